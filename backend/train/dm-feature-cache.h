/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The encoder-feature cache of training (spec/dinomaly.md §5, last
 * bullet): the encoder is frozen and there is no augmentation, so each
 * training image's two encoder groups E1, E2 ((N, D) each, all tokens) are
 * computed once and every iteration gathers its batch from here. The
 * decoder input is (E1 + E2) / 2, the mean of the 8 target blocks up to
 * float rounding.
 *
 * Storage: float32, or bfloat16 (rounded to nearest even, half the memory;
 * the maths stays float32), in anonymous memory or, when it does not fit,
 * in an unlinked file of a given folder mapped into memory (the kernel
 * pages it). Layout: (n_images, 2, N, D), image-major. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  int n_images, N, D;
  gboolean bf16;
  gboolean file_backed; /* an unlinked file in the cache folder */
  gsize image_bytes;    /* bytes of one image's E1 + E2 */
  gsize n_bytes;        /* the whole mapping */
  guint8 *data;         /* mmap'ed */
  int fd;               /* the file (file_backed), else -1 */
} DmFeatureCache;

/* Bytes of a cache of these shapes. */
guint64 dm_feature_cache_bytes (int n_images, int N, int D, gboolean bf16);

/* Memory the system can give without swapping (MemAvailable), 0 when
 * unknown. */
guint64 dm_feature_cache_available_memory (void);

/* A cache in memory when its size is at most max_bytes (0: 80% of the
 * available memory); else in folder dir (NULL: the error says how much is
 * needed and how much there is, and what to do). */
DmFeatureCache *dm_feature_cache_new (
  int n_images, int N, int D, gboolean bf16, guint64 max_bytes, const char *dir, GError **error);
void dm_feature_cache_free (DmFeatureCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmFeatureCache, dm_feature_cache_free)

/* Stores image `index`: E1, E2 (N, D). */
void dm_feature_cache_store (DmFeatureCache *cache, int index, const float *E1, const float *E2);

/* Gathers images indices[0..B) into fused, E1, E2 (B, N, D):
 * fused = (E1 + E2) / 2. */
void dm_feature_cache_gather (
  const DmFeatureCache *cache, const int *indices, int B, float *fused, float *E1, float *E2);

/* Asks the kernel to start reading images indices[0..B) of a file-backed
 * cache (the next batch, while this one computes): with a dataset larger
 * than memory, their pages come from disk in the background. Nothing for a
 * cache in memory. */
void dm_feature_cache_prefetch (const DmFeatureCache *cache, const int *indices, int B);

/* Drops a file-backed cache's pages from memory (written back first), as
 * memory pressure would: benchmarks measure iterations that read from disk
 * with it. Nothing for a cache in memory. */
void dm_feature_cache_evict (DmFeatureCache *cache);

G_END_DECLS
