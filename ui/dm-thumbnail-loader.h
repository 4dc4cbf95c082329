/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Thumbnails of image files, decoded and scaled off the main thread by a
 * small pool of its own (so a grid of thousands of images neither floods
 * GLib's shared pool nor the disk), kept in an LRU cache in memory. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DM_TYPE_THUMBNAIL_LOADER (dm_thumbnail_loader_get_type ())
G_DECLARE_FINAL_TYPE (DmThumbnailLoader, dm_thumbnail_loader, DM, THUMBNAIL_LOADER, GObject)

/* At most max_threads decodes run at once (0: 2); the cache keeps the last
 * cache_size thumbnails used (0: 512). */
DmThumbnailLoader *dm_thumbnail_loader_new (guint max_threads, guint cache_size);

/* The cached thumbnail of (path, size), or NULL (transfer full). Marks it
 * as recently used. */
GdkTexture *dm_thumbnail_loader_lookup (DmThumbnailLoader *self, const char *path, int size);

/* Loads the thumbnail of path whose longer side is size pixels (the
 * aspect ratio is kept; a smaller image is not enlarged). Requests wait in
 * a queue, most recent first, so what the user looks at now comes first;
 * cancelling one drops it from the queue at once (the callback gets
 * G_IO_ERROR_CANCELLED). A cache hit still calls back from the main loop,
 * never from inside this call. callback runs on the thread-default main
 * context of the caller (the main thread). */
void dm_thumbnail_loader_load_async (DmThumbnailLoader *self,
                                     const char *path,
                                     int size,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
/* The thumbnail (transfer full), or NULL with the reason: a GError naming
 * the file (unreadable, not an image...) or G_IO_ERROR_CANCELLED. */
GdkTexture *
dm_thumbnail_loader_load_finish (DmThumbnailLoader *self, GAsyncResult *result, GError **error);

/* For tests and the status line: requests queued and running. */
guint dm_thumbnail_loader_get_n_pending (DmThumbnailLoader *self);
/* The number of thumbnails cached. */
guint dm_thumbnail_loader_get_n_cached (DmThumbnailLoader *self);

G_END_DECLS
