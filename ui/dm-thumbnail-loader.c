/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Thumbnails decoded off the main thread, a few at a time, with an LRU cache. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "dm-image.h"
#include "dm-resize.h"
#include "dm-thumbnail-loader.h"

struct _DmThumbnailLoader
{
  GObject parent_instance;

  guint max_threads;
  guint n_running;
  GQueue queue; /* Request*, most recent first */
  gint purge_scheduled;

  guint cache_size;
  GHashTable *cache; /* key -> CacheEntry*, owned */
  GQueue lru;        /* keys (owned by the entries), most recently used first */
};

G_DEFINE_FINAL_TYPE (DmThumbnailLoader, dm_thumbnail_loader, G_TYPE_OBJECT)

typedef struct
{
  char *key;
  GdkTexture *texture;
  GList link; /* in lru; data = key */
} CacheEntry;

typedef struct
{
  GTask *task; /* the caller's */
  char *path;
  char *key;
  int size;
  GCancellable *cancellable; /* the caller's, or NULL */
  gulong cancelled_id;
} Request;

/* What a decode thread hands back: 8-bit RGB or RGBA pixels. */
typedef struct
{
  GBytes *pixels;
  int width, height, channels;
} Decoded;

static char *
cache_key (const char *path, int size)
{
  return g_strdup_printf ("%d:%s", size, path);
}

static void
cache_entry_free (gpointer data)
{
  CacheEntry *e = data;

  g_clear_object (&e->texture);
  g_free (e->key);
  g_free (e);
}

static void
cache_insert (DmThumbnailLoader *self, const char *key, GdkTexture *texture)
{
  CacheEntry *e = g_hash_table_lookup (self->cache, key);

  if (e != NULL)
    {
      g_set_object (&e->texture, texture);
      g_queue_unlink (&self->lru, &e->link);
      g_queue_push_head_link (&self->lru, &e->link);
      return;
    }
  e = g_new0 (CacheEntry, 1);
  e->key = g_strdup (key);
  e->texture = g_object_ref (texture);
  e->link.data = e->key;
  g_queue_push_head_link (&self->lru, &e->link);
  g_hash_table_insert (self->cache, e->key, e);
  while (self->lru.length > self->cache_size)
    {
      GList *last = g_queue_pop_tail_link (&self->lru);
      g_hash_table_remove (self->cache, last->data);
    }
}

static GdkTexture *
cache_lookup (DmThumbnailLoader *self, const char *key)
{
  CacheEntry *e = g_hash_table_lookup (self->cache, key);

  if (e == NULL)
    return NULL;
  g_queue_unlink (&self->lru, &e->link);
  g_queue_push_head_link (&self->lru, &e->link);
  return g_object_ref (e->texture);
}

GdkTexture *
dm_thumbnail_loader_lookup (DmThumbnailLoader *self, const char *path, int size)
{
  g_autofree char *key = cache_key (path, size);

  g_return_val_if_fail (DM_IS_THUMBNAIL_LOADER (self), NULL);
  return cache_lookup (self, key);
}

/* ---- decoding (in a worker thread) ---- */

static void
decoded_free (gpointer data)
{
  Decoded *d = data;

  g_bytes_unref (d->pixels);
  g_free (d);
}

/* Any decoded image as 8-bit RGB or RGBA: GDK 4.8 has no gray formats;
 * 16-bit keeps its high byte, float is stretched over its own range. */
static guint8 *
to_rgb8 (const DmImage *im, int *out_channels)
{
  int oc = im->channels == 4 ? 4 : 3;
  guint8 *out = g_malloc ((gsize)im->width * im->height * oc);
  float lo = 0.f, hi = 1.f;

  if (im->type == DM_PIXEL_F32)
    {
      lo = G_MAXFLOAT;
      hi = -G_MAXFLOAT;
      for (int y = 0; y < im->height; y++)
        {
          const float *row = (const float *)(im->data + y * im->stride);
          for (int i = 0; i < im->width * im->channels; i++)
            if (isfinite (row[i]))
              {
                lo = MIN (lo, row[i]);
                hi = MAX (hi, row[i]);
              }
        }
      if (!(hi > lo))
        hi = lo + 1.f;
    }
  for (int y = 0; y < im->height; y++)
    for (int x = 0; x < im->width; x++)
      {
        guint8 *o = out + ((gsize)y * im->width + x) * oc;
        for (int c = 0; c < oc; c++)
          {
            int src_c = im->channels == 1 ? 0 : MIN (c, im->channels - 1);
            const guint8 *row = im->data + y * im->stride;
            int v;

            if (im->type == DM_PIXEL_U8)
              v = row[x * im->channels + src_c];
            else if (im->type == DM_PIXEL_U16)
              v = ((const guint16 *)row)[x * im->channels + src_c] >> 8;
            else
              {
                float f = ((const float *)row)[x * im->channels + src_c];
                v = isfinite (f) ? (int)(255.f * (f - lo) / (hi - lo) + 0.5f) : 0;
              }
            o[c] = (guint8)CLAMP (v, 0, 255);
          }
      }
  *out_channels = oc;
  return out;
}

static void
decode_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Request *r = task_data;
  GError *error = NULL;
  g_autoptr (DmImage) im = NULL;
  g_autofree guint8 *rgb = NULL;
  Decoded *d;
  int channels, w, h;
  guint8 *small;

  /* dropped while waiting for a thread: do not decode for nobody */
  if (r->cancellable != NULL && g_cancellable_is_cancelled (r->cancellable))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
      return;
    }
  im = dm_image_load (r->path, 0, &error);
  if (im == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  rgb = to_rgb8 (im, &channels);
  w = im->width;
  h = im->height;
  if (MAX (w, h) > r->size)
    {
      double scale = (double)r->size / MAX (w, h);
      w = MAX (1, (int)(w * scale + 0.5));
      h = MAX (1, (int)(h * scale + 0.5));
    }
  small = g_malloc ((gsize)w * h * channels);
  if (!dm_resize_u8 (rgb, im->width, im->height, (gsize)im->width * channels, small, w, h,
                     (gsize)w * channels, channels, &error))
    {
      g_free (small);
      g_task_return_error (task, error);
      return;
    }
  d = g_new0 (Decoded, 1);
  d->pixels = g_bytes_new_take (small, (gsize)w * h * channels);
  d->width = w;
  d->height = h;
  d->channels = channels;
  g_task_return_pointer (task, d, decoded_free);
}

/* ---- the queue (main thread) ---- */

static void
request_free (Request *r)
{
  if (r->cancelled_id != 0)
    g_cancellable_disconnect (r->cancellable, r->cancelled_id);
  g_clear_object (&r->cancellable);
  g_clear_object (&r->task);
  g_free (r->path);
  g_free (r->key);
  g_free (r);
}

static void pump (DmThumbnailLoader *self);

static void
on_decoded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DmThumbnailLoader *self = DM_THUMBNAIL_LOADER (source);
  Request *r = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;
  Decoded *d = g_task_propagate_pointer (G_TASK (result), &error);

  self->n_running--;
  if (d != NULL)
    {
      GdkMemoryFormat format = d->channels == 4 ? GDK_MEMORY_R8G8B8A8 : GDK_MEMORY_R8G8B8;
      g_autoptr (GdkTexture) texture = gdk_memory_texture_new (
        d->width, d->height, format, d->pixels, (gsize)d->width * d->channels);

      /* cached even when its requester went away: it was paid for */
      cache_insert (self, r->key, texture);
      g_task_return_pointer (r->task, g_steal_pointer (&texture), g_object_unref);
      decoded_free (d);
    }
  else
    g_task_return_error (r->task, error);
  pump (self);
}

static void
complete_cancelled (Request *r)
{
  g_task_return_new_error (r->task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
  request_free (r);
}

static void
pump (DmThumbnailLoader *self)
{
  while (self->n_running < self->max_threads && self->queue.length > 0)
    {
      Request *r = g_queue_pop_head (&self->queue);
      GdkTexture *cached;
      g_autoptr (GTask) inner = NULL;

      if (r->cancellable != NULL && g_cancellable_is_cancelled (r->cancellable))
        {
          complete_cancelled (r);
          continue;
        }
      /* an earlier request for the same thumbnail may have filled it */
      cached = cache_lookup (self, r->key);
      if (cached != NULL)
        {
          g_task_return_pointer (r->task, cached, g_object_unref);
          request_free (r);
          continue;
        }
      self->n_running++;
      inner = g_task_new (self, NULL, on_decoded, NULL);
      g_task_set_task_data (inner, r, (GDestroyNotify)request_free);
      g_task_run_in_thread (inner, decode_thread);
    }
}

/* Drops the cancelled requests that still wait, so their callers hear at
 * once and a grid that scrolled on does not wait behind them. */
static gboolean
purge_cancelled (gpointer data)
{
  DmThumbnailLoader *self = data;
  GList *l = self->queue.head;

  g_atomic_int_set (&self->purge_scheduled, 0);
  while (l != NULL)
    {
      GList *next = l->next;
      Request *r = l->data;

      if (r->cancellable != NULL && g_cancellable_is_cancelled (r->cancellable))
        {
          g_queue_delete_link (&self->queue, l);
          complete_cancelled (r);
        }
      l = next;
    }
  return G_SOURCE_REMOVE;
}

/* May run in any thread (whichever cancels). */
static void
on_cancelled (GCancellable *cancellable, gpointer data)
{
  DmThumbnailLoader *self = data;

  if (g_atomic_int_compare_and_exchange (&self->purge_scheduled, 0, 1))
    g_idle_add_full (G_PRIORITY_DEFAULT, purge_cancelled, g_object_ref (self), g_object_unref);
}

void
dm_thumbnail_loader_load_async (DmThumbnailLoader *self,
                                const char *path,
                                int size,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  GdkTexture *cached;
  Request *r;

  g_return_if_fail (DM_IS_THUMBNAIL_LOADER (self));
  g_return_if_fail (path != NULL && size > 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, dm_thumbnail_loader_load_async);
  if (g_task_return_error_if_cancelled (task))
    return;
  r = g_new0 (Request, 1);
  r->key = cache_key (path, size);
  cached = cache_lookup (self, r->key);
  if (cached != NULL)
    {
      /* GTask defers this to the next main loop iteration */
      g_task_return_pointer (task, cached, g_object_unref);
      g_free (r->key);
      g_free (r);
      return;
    }
  r->task = g_steal_pointer (&task);
  r->path = g_strdup (path);
  r->size = size;
  if (cancellable != NULL)
    {
      r->cancellable = g_object_ref (cancellable);
      r->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), self, NULL);
    }
  g_queue_push_head (&self->queue, r);
  pump (self);
}

GdkTexture *
dm_thumbnail_loader_load_finish (DmThumbnailLoader *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

guint
dm_thumbnail_loader_get_n_pending (DmThumbnailLoader *self)
{
  return self->queue.length + self->n_running;
}

guint
dm_thumbnail_loader_get_n_cached (DmThumbnailLoader *self)
{
  return g_hash_table_size (self->cache);
}

DmThumbnailLoader *
dm_thumbnail_loader_new (guint max_threads, guint cache_size)
{
  DmThumbnailLoader *self = g_object_new (DM_TYPE_THUMBNAIL_LOADER, NULL);

  self->max_threads = max_threads > 0 ? max_threads : 2;
  self->cache_size = cache_size > 0 ? cache_size : 512;
  return self;
}

static void
dm_thumbnail_loader_finalize (GObject *object)
{
  DmThumbnailLoader *self = DM_THUMBNAIL_LOADER (object);

  /* every waiting request holds a reference: the queue is empty here */
  g_assert (self->queue.length == 0 && self->n_running == 0);
  g_hash_table_destroy (self->cache);
  G_OBJECT_CLASS (dm_thumbnail_loader_parent_class)->finalize (object);
}

static void
dm_thumbnail_loader_class_init (DmThumbnailLoaderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dm_thumbnail_loader_finalize;
}

static void
dm_thumbnail_loader_init (DmThumbnailLoader *self)
{
  self->max_threads = 2;
  self->cache_size = 512;
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, cache_entry_free);
  g_queue_init (&self->queue);
  g_queue_init (&self->lru);
}
