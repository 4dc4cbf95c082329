/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared between the decoders of dm-image-*.c: the source they read from and
 * the checks every decoder makes before it allocates pixels. */
#pragma once

#include "dm-image.h"

G_BEGIN_DECLS

/* Largest side accepted whatever the ceiling: keeps every size computation
 * (stride * height, libtiff's tile sizes) far from overflowing. */
#define DM_IMAGE_MAX_SIDE (1 << 24)

typedef struct
{
  const guint8 *data;
  gsize size;
  const char *name; /* for messages, already display-safe UTF-8 */
  guint64 max_pixels;
  DmImageLoadFlags flags;
  DmImageInfo *info; /* never NULL inside the decoders */
} DmImageSource;

DmImage *dm_image_decode_png (const DmImageSource *src, GError **error);
DmImage *dm_image_decode_tiff (const DmImageSource *src, GError **error);
DmImage *dm_image_decode_jpeg (const DmImageSource *src, GError **error);
DmImage *dm_image_decode_bmp (const DmImageSource *src, GError **error);

/* "BM" and a known DIB header size (dm-image-bmp.c). */
gboolean dm_image_is_bmp (const guint8 *data, gsize size);

/* Rejects zero, negative or absurd sizes and images over the ceiling; called
 * from each header before anything of image size is allocated. */
gboolean
dm_image_check_size (const DmImageSource *src, gint64 width, gint64 height, GError **error);

/* "name: message" with the message as the codec printed it (trailing
 * newlines and dots dropped). */
void dm_image_set_error (GError **error, const DmImageSource *src, int code, const char *message);

G_END_DECLS
