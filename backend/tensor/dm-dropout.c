/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Dropout masks from a counter-based generator: a strong 64-bit hash (the
 * SplitMix64 finalizer, a bijective avalanche mix) of the seed's key xor
 * the element pair's counter gives 32 random bits to each element of the
 * pair. Chosen over Philox4x32-10 because in portable C (no threads of our
 * own, SSE2 only: no vector 64-bit multiply) one hash per two elements
 * measured ~2x faster than Philox per element, with no statistical defect
 * visible to dropout (the tests check keep rates, neighbour and seed
 * independence). The mask depends on (seed, index) only. */
#include "dm-dropout.h"

#include <string.h>

#include "dm-parallel.h"
#include "dm-random.h"

/* The seed is hashed once, so nearby seeds (0, 1, 2...) give unrelated
 * masks. */
static inline guint64
seed_key (guint64 seed)
{
  return dm_mix64 (seed + DM_GOLDEN_GAMMA);
}

/* 64 random bits for the element pair `pair` (elements 2 pair, 2 pair + 1:
 * the low 32 bits go to the even one). */
static inline guint64
pair_bits (guint64 key, guint64 pair)
{
  return dm_mix64 (key ^ (pair * DM_GOLDEN_GAMMA));
}

/* Elements whose 32 bits are below the threshold are kept: (1 - p) 2^32,
 * which is 2^32 (all kept) for p = 0. */
static inline guint64
keep_threshold (float p)
{
  double t = (1.0 - (double)p) * 4294967296.0;

  if (t <= 0.0)
    return 0;
  if (t >= 4294967296.0)
    return G_GUINT64_CONSTANT (4294967296);
  return (guint64)t;
}

gboolean
dm_dropout_is_kept (guint64 seed, guint64 index, float p)
{
  guint64 bits = pair_bits (seed_key (seed), index >> 1);
  guint32 r = (index & 1) ? (guint32)(bits >> 32) : (guint32)bits;

  return r < keep_threshold (p);
}

/* Elements per block of the vectorised loop: the pairs' random bits go to
 * a small table first (the hash vectorises on its own: AVX-512 has 64-bit
 * multiplies), then one compare-and-scale pass reads them per element. */
#define BLOCK 256
/* Elements per chunk of the parallel loop (even: chunks start on pairs). */
#define CHUNK (64 * BLOCK)

/* dst[i] = keep (offset + i) ? src[i] * scale : 0 for i < n, offset even
 * and n <= BLOCK: element offset + i takes the low 32 bits of its pair's
 * hash when it is even, the high 32 bits when odd. */
static G_ALWAYS_INLINE inline void
mask_copy (gsize n,
           float *restrict dst,
           const float *restrict src,
           const guint32 *restrict bits,
           guint32 threshold,
           float scale)
{
  for (gsize i = 0; i < n; i++)
    dst[i] = bits[i] < threshold ? src[i] * scale : 0.0f;
}

/* The same in place (restrict pointers on both copies: no alias checks,
 * which an in-place call would fail). */
static G_ALWAYS_INLINE inline void
mask_in_place (
  gsize n, float *restrict x, const guint32 *restrict bits, guint32 threshold, float scale)
{
  for (gsize i = 0; i < n; i++)
    x[i] = bits[i] < threshold ? x[i] * scale : 0.0f;
}

DM_VECTOR_CLONES static void
mask_block (float *dst,
            const float *src,
            gsize n,
            guint64 key,
            guint64 offset,
            guint32 threshold,
            float scale)
{
  guint32 bits[BLOCK];
  guint64 pair0 = offset >> 1;
  gsize n_pairs = (n + 1) / 2;

  for (gsize j = 0; j < n_pairs; j++)
    {
      guint64 b = pair_bits (key, pair0 + j);

      bits[2 * j] = (guint32)b;
      bits[2 * j + 1] = (guint32)(b >> 32);
    }
  if (dst == src)
    mask_in_place (n, dst, bits, threshold, scale);
  else
    mask_copy (n, dst, src, bits, threshold, scale);
}

typedef struct
{
  float *dst;
  const float *src;
  guint64 key, offset;
  guint32 threshold;
  float scale;
} MaskJob;

/* Elements [begin, end) of the job; begin is a multiple of CHUNK. */
static void
mask_chunk (gsize begin, gsize end, gpointer data)
{
  const MaskJob *j = data;
  gsize i = begin;

  if ((j->offset + i) & 1)
    {
      /* a lone element at the start: the high half of its pair's bits */
      guint32 r = (guint32)(pair_bits (j->key, (j->offset + i) >> 1) >> 32);

      j->dst[i] = r < j->threshold ? j->src[i] * j->scale : 0.0f;
      i++;
    }
  for (; i < end; i += BLOCK)
    mask_block (j->dst + i, j->src + i, MIN (BLOCK, end - i), j->key, j->offset + i, j->threshold,
                j->scale);
}

/* The one loop of both directions. Whole pairs share a hash; a chunk
 * starting on an odd element index (odd offset) begins with a lone one. */
static void
apply_mask (
  DmEngine *engine, float *dst, const float *src, gsize n, float p, guint64 seed, guint64 offset)
{
  guint64 threshold;
  MaskJob job;

  g_return_if_fail (p >= 0.0f && p <= 1.0f);
  if (n == 0)
    return;
  if (p == 0.0f)
    {
      if (dst != src)
        memmove (dst, src, n * sizeof (float));
      return;
    }
  if (p == 1.0f)
    {
      memset (dst, 0, n * sizeof (float));
      return;
    }
  threshold = keep_threshold (p); /* < 2^32 for 0 < p */
  job.dst = dst;
  job.src = src;
  job.key = seed_key (seed);
  job.offset = offset;
  job.threshold = (guint32)MIN (threshold, G_GUINT64_CONSTANT (0xFFFFFFFF));
  /* PyTorch: noise.div_(1 - p), a float. */
  job.scale = (float)(1.0 / (1.0 - (double)p));
  dm_parallel_for (engine, n, CHUNK, mask_chunk, &job);
}

void
dm_dropout_forward (
  DmEngine *engine, float *out, const float *inp, gsize n, float p, guint64 seed, guint64 offset)
{
  apply_mask (engine, out, inp, n, p, seed, offset);
}

void
dm_dropout_backward (
  DmEngine *engine, float *dinp, const float *dout, gsize n, float p, guint64 seed, guint64 offset)
{
  apply_mask (engine, dinp, dout, n, p, seed, offset);
}
