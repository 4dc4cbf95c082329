/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The encoder-feature cache: memory or a mapped file, float32 or bf16. */
#include "dm-feature-cache.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dm-error.h"
#include "dm-file-util.h"

guint64
dm_feature_cache_bytes (int n_images, int N, int D, gboolean bf16)
{
  return (guint64)n_images * 2 * (guint64)N * (guint64)D * (bf16 ? 2 : 4);
}

guint64
dm_feature_cache_available_memory (void)
{
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/meminfo", &text, NULL, NULL))
    return 0;
  line = strstr (text, "MemAvailable:");
  if (line == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen ("MemAvailable:"), NULL, 10) * 1024;
}

DmFeatureCache *
dm_feature_cache_new (
  int n_images, int N, int D, gboolean bf16, guint64 max_bytes, const char *dir, GError **error)
{
  g_autofree DmFeatureCache *self = NULL;
  guint64 need = dm_feature_cache_bytes (n_images, N, D, bf16);
  guint64 available = dm_feature_cache_available_memory ();
  void *map;

  if (n_images < 1 || N < 1 || D < 1)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "feature cache of %d images is empty",
                   n_images);
      return NULL;
    }
  if (max_bytes == 0)
    max_bytes = available > 0 ? available / 10 * 8 : G_MAXUINT64;
  self = g_new0 (DmFeatureCache, 1);
  self->n_images = n_images;
  self->N = N;
  self->D = D;
  self->bf16 = bf16;
  self->image_bytes = (gsize)2 * N * D * (bf16 ? 2 : 4);
  self->n_bytes = need;
  self->fd = -1;
  if (need <= max_bytes)
    {
      map = mmap (NULL, need, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (map == MAP_FAILED)
        {
          g_autofree char *size = dm_format_bytes (need);
          g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY,
                       "The encoder-feature cache of %d images needs %s of memory: %s", n_images,
                       size, g_strerror (errno));
          return NULL;
        }
    }
  else if (dir == NULL)
    {
      g_autofree char *size = dm_format_bytes (need);
      g_autofree char *limit = dm_format_bytes (max_bytes);
      g_autofree char *half = dm_format_bytes (need / 2);

      g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE,
                   "The encoder-feature cache of %d images needs %s, more than the %s of memory "
                   "it may use%s; give a folder for a cache file (--cache-dir), store it as "
                   "bfloat16 (--cache-bf16: %s), or train on fewer images",
                   n_images, size, limit, bf16 ? " (already bfloat16)" : "", bf16 ? size : half);
      return NULL;
    }
  else
    {
      g_autofree char *path = g_build_filename (dir, ".dinomaly-features-XXXXXX", NULL);
      int fd;

      if (g_mkdir_with_parents (dir, 0755) != 0)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot create the cache folder: %s", dir,
                       g_strerror (errno));
          return NULL;
        }
      fd = g_mkstemp (path);
      if (fd < 0)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot create a cache file: %s", dir,
                       g_strerror (errno));
          return NULL;
        }
      /* unlinked at once: the space goes back when we exit, even on a crash */
      g_unlink (path);
      if (posix_fallocate (fd, 0, (off_t)need) != 0)
        {
          g_autofree char *size = dm_format_bytes (need);
          close (fd);
          g_set_error (error, DM_ERROR, DM_ERROR_IO,
                       "%s: no room for the %s encoder-feature cache file", dir, size);
          return NULL;
        }
      map = mmap (NULL, need, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (map == MAP_FAILED)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot map the cache file: %s", dir,
                       g_strerror (errno));
          close (fd);
          return NULL;
        }
      self->file_backed = TRUE;
      self->fd = fd; /* kept for dm_feature_cache_evict */
    }
  self->data = map;
  return g_steal_pointer (&self);
}

void
dm_feature_cache_free (DmFeatureCache *cache)
{
  if (cache == NULL)
    return;
  if (cache->data != NULL)
    munmap (cache->data, cache->n_bytes);
  if (cache->fd >= 0)
    close (cache->fd);
  g_free (cache);
}

static inline guint16
to_bf16 (float x)
{
  guint32 u;

  memcpy (&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) /* NaN stays NaN */
    return (guint16)((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u); /* round to nearest even */
  return (guint16)(u >> 16);
}

static inline float
from_bf16 (guint16 h)
{
  guint32 u = (guint32)h << 16;
  float x;

  memcpy (&x, &u, 4);
  return x;
}

void
dm_feature_cache_store (DmFeatureCache *cache, int index, const float *E1, const float *E2)
{
  gsize n = (gsize)cache->N * cache->D;
  guint8 *dst = cache->data + (gsize)index * cache->image_bytes;

  g_return_if_fail (index >= 0 && index < cache->n_images);
  if (!cache->bf16)
    {
      memcpy (dst, E1, n * sizeof (float));
      memcpy (dst + n * sizeof (float), E2, n * sizeof (float));
      return;
    }
  {
    guint16 *h = (guint16 *)dst;
    for (gsize i = 0; i < n; i++)
      h[i] = to_bf16 (E1[i]);
    for (gsize i = 0; i < n; i++)
      h[n + i] = to_bf16 (E2[i]);
  }
}

void
dm_feature_cache_gather (
  const DmFeatureCache *cache, const int *indices, int B, float *fused, float *E1, float *E2)
{
  gsize n = (gsize)cache->N * cache->D;

  for (int b = 0; b < B; b++)
    {
      const guint8 *src = cache->data + (gsize)indices[b] * cache->image_bytes;
      float *e1 = E1 + (gsize)b * n, *e2 = E2 + (gsize)b * n, *f = fused + (gsize)b * n;

      if (!cache->bf16)
        {
          memcpy (e1, src, n * sizeof (float));
          memcpy (e2, src + n * sizeof (float), n * sizeof (float));
        }
      else
        {
          const guint16 *h = (const guint16 *)src;
          for (gsize i = 0; i < n; i++)
            e1[i] = from_bf16 (h[i]);
          for (gsize i = 0; i < n; i++)
            e2[i] = from_bf16 (h[n + i]);
        }
      for (gsize i = 0; i < n; i++)
        f[i] = (e1[i] + e2[i]) * 0.5f;
    }
}

void
dm_feature_cache_prefetch (const DmFeatureCache *cache, const int *indices, int B)
{
  gsize page = (gsize)sysconf (_SC_PAGESIZE);

  if (!cache->file_backed)
    return;
  for (int b = 0; b < B; b++)
    {
      gsize start = (gsize)indices[b] * cache->image_bytes;
      gsize first = start / page * page;

      /* advice only: a failure costs speed, never results */
      madvise (cache->data + first, start + cache->image_bytes - first, MADV_WILLNEED);
    }
}

void
dm_feature_cache_evict (DmFeatureCache *cache)
{
  if (!cache->file_backed)
    return;
  msync (cache->data, cache->n_bytes, MS_SYNC);
  madvise (cache->data, cache->n_bytes, MADV_DONTNEED);
  posix_fadvise (cache->fd, 0, (off_t)cache->n_bytes, POSIX_FADV_DONTNEED);
}
