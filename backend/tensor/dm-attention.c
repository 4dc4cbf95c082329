/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Softmax multi-head attention forward: two strided oneDNN matmuls around a
 * oneDNN softmax, one cache-sized chunk of scores at a time. */
#include "dm-attention.h"

#include <math.h>

#include "dm-error.h"

/* Scores of one chunk, in floats, per pair of threads: 512 KiB, so that each
 * core's share of a chunk stays in its L2 between the score matmul, the
 * softmax and the value matmul. Measured on 2 Zen cores with 512 KiB of L2
 * each at N = 789 (ViT-B, 392 px): whole-head chunks ran 17% and whole-image
 * chunks 28% slower than the 158-row blocks this budget gives. Where one
 * head's scores fit (N = 261), chunks are whole images: see plan_chunk. */
#define DM_ATTENTION_CHUNK_FLOATS (128 * 1024)
/* More threads get proportionally larger chunks (more heads or rows each), up
 * to this many budgets; dm_attention_scratch_size covers them all. */
#define DM_ATTENTION_MAX_BUDGETS 8

/* A chunk is bc images x hc heads x nq query rows: either several whole
 * images (small N), or some heads of one image, or some rows of one head
 * (large N: softmax is per row, so rows split freely). */
typedef struct
{
  int bc, hc, nq;
} AttentionChunk;

typedef struct
{
  AttentionChunk shape;
  DmPrimitive *qk;      /* scores = q k^T / sqrt(hd) */
  DmPrimitive *softmax; /* in place, over each row of scores */
  DmPrimitive *pv;      /* out = scores v */
} AttentionPrimitives;

static void
plan_chunk (int B, int N, int H, int n_budgets, AttentionChunk *chunk)
{
  gsize budget = (gsize)DM_ATTENTION_CHUNK_FLOATS * CLAMP (n_budgets, 1, DM_ATTENTION_MAX_BUDGETS);
  gsize per_head = (gsize)N * N;

  chunk->bc = 1;
  chunk->hc = 1;
  chunk->nq = N;
  if (per_head > budget)
    {
      gsize n_blocks = (per_head + budget - 1) / budget;

      chunk->nq = (int)(((gsize)N + n_blocks - 1) / n_blocks);
      return;
    }
  /* A head's scores fit: whole images, all heads at once (bc images). Fewer,
   * larger primitive calls beat the L2 fit here: measured at N = 261 on
   * 2 Zen cores, one image per chunk ran 15-20% faster than one head per
   * chunk with 2 threads (six to twelve times fewer parallel regions, each
   * a barrier that a busy machine makes expensive) and the same with 1. */
  chunk->hc = H;
  chunk->bc = (int)CLAMP (budget / (H * per_head), 1, (gsize)B);
}

static gboolean
check_shapes (int B, int N, int D, int H, GError **error)
{
  if (B <= 0 || N <= 0 || D <= 0 || H <= 0 || D % H != 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "attention: invalid shapes B = %d, N = %d, D = %d, H = %d "
                   "(all positive, D a multiple of H)",
                   B, N, D, H);
      return FALSE;
    }
  return TRUE;
}

gsize
dm_attention_scratch_size (int B, int N, int D, int H)
{
  gsize size = 0;

  if (!check_shapes (B, N, D, H, NULL))
    return 0;
  for (int n = 1; n <= DM_ATTENTION_MAX_BUDGETS; n++)
    {
      AttentionChunk c;

      plan_chunk (B, N, H, n, &c);
      size = MAX (size, (gsize)c.bc * c.hc * c.nq * N);
    }
  return size;
}

static DmPrimitive *
get_matmul (DmEngine *engine,
            const char *key,
            const dnnl_memory_desc_t *src,
            const dnnl_memory_desc_t *weights,
            const dnnl_memory_desc_t *dst,
            float scale,
            GError **error)
{
  static const int args[] = { DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST };
  dnnl_matmul_desc_t desc;
  dnnl_primitive_attr_t attr;
  DmPrimitive *p;

  if (!dm_dnnl_check (dnnl_matmul_desc_init (&desc, src, weights, NULL, dst), key, error))
    return NULL;
  attr = dm_engine_new_attr (NULL);
  if (scale != 1.0f)
    dnnl_primitive_attr_set_output_scales (attr, 1, 0, &scale);
  p = dm_engine_create (engine, key, &desc, attr, NULL, args, 3, error);
  dnnl_primitive_attr_destroy (attr);
  return p;
}

/* The three primitives of one chunk shape, created on first use. The
 * descriptors index qkv and out in place: q, k and v of heads h0.. of image
 * b0.. are (bc, hc, rows, hd) views with strides (N*3D, hd, 3D, 1). */
static gboolean
get_primitives (DmEngine *engine,
                const AttentionChunk *c,
                int N,
                int D,
                int hd,
                AttentionPrimitives *prims,
                GError **error)
{
  char key[DM_KEY_MAX];
  dnnl_dim_t ld = 3 * (dnnl_dim_t)D; /* row stride of qkv */
  dnnl_dim_t img = N * ld;           /* image stride of qkv */
  dnnl_memory_desc_t q, kt, v, scores, out, rows;

  dm_md_f32_strided (&q, 4, (dnnl_dim_t[]){ c->bc, c->hc, c->nq, hd },
                     (dnnl_dim_t[]){ img, hd, ld, 1 });
  dm_md_f32_strided (&kt, 4, (dnnl_dim_t[]){ c->bc, c->hc, hd, N },
                     (dnnl_dim_t[]){ img, hd, 1, ld });
  dm_md_f32_strided (&v, 4, (dnnl_dim_t[]){ c->bc, c->hc, N, hd },
                     (dnnl_dim_t[]){ img, hd, ld, 1 });
  dm_md_f32 (&scores, 4, (dnnl_dim_t[]){ c->bc, c->hc, c->nq, N });
  dm_md_f32_strided (&out, 4, (dnnl_dim_t[]){ c->bc, c->hc, c->nq, hd },
                     (dnnl_dim_t[]){ (dnnl_dim_t)N * D, hd, D, 1 });
  dm_md_f32 (&rows, 2, (dnnl_dim_t[]){ (dnnl_dim_t)c->bc * c->hc * c->nq, N });

  prims->shape = *c;

  g_snprintf (key, sizeof key, "attention-qk:%d,%d,%d,%d,%d,%d", c->bc, c->hc, c->nq, N, D, hd);
  prims->qk = dm_engine_lookup (engine, key);
  if (prims->qk == NULL)
    {
      /* The 1/sqrt(hd) scale rides on the matmul as an output scale. */
      prims->qk
        = get_matmul (engine, key, &q, &kt, &scores, (float)(1.0 / sqrt ((double)hd)), error);
      if (prims->qk == NULL)
        return FALSE;
      prims->qk->flop = 2.0 * c->bc * c->hc * c->nq * N * hd;
    }

  g_snprintf (key, sizeof key, "attention-softmax:%d,%d", c->bc * c->hc * c->nq, N);
  prims->softmax = dm_engine_lookup (engine, key);
  if (prims->softmax == NULL)
    {
      static const int args[] = { DNNL_ARG_SRC, DNNL_ARG_DST };
      dnnl_softmax_desc_t desc;

      if (!dm_dnnl_check (dnnl_softmax_forward_desc_init (&desc, dnnl_forward_inference, &rows, 1),
                          key, error))
        return FALSE;
      prims->softmax = dm_engine_create (engine, key, &desc, NULL, NULL, args, 2, error);
      if (prims->softmax == NULL)
        return FALSE;
    }

  g_snprintf (key, sizeof key, "attention-pv:%d,%d,%d,%d,%d,%d", c->bc, c->hc, c->nq, N, D, hd);
  prims->pv = dm_engine_lookup (engine, key);
  if (prims->pv == NULL)
    {
      prims->pv = get_matmul (engine, key, &scores, &v, &out, 1.0f, error);
      if (prims->pv == NULL)
        return FALSE;
      prims->pv->flop = 2.0 * c->bc * c->hc * c->nq * N * hd;
    }
  return TRUE;
}

gboolean
dm_attention_forward (DmEngine *engine,
                      float *out,
                      float *scratch,
                      const float *qkv,
                      int B,
                      int N,
                      int D,
                      int H,
                      GError **error)
{
  AttentionChunk plan;
  AttentionPrimitives prims = { { 0, 0, 0 }, NULL, NULL, NULL };
  int hd;

  if (!check_shapes (B, N, D, H, error))
    return FALSE;
  hd = D / H;
  plan_chunk (B, N, H, (dm_engine_get_n_threads (engine) + 1) / 2, &plan);

  for (int b0 = 0; b0 < B; b0 += plan.bc)
    for (int h0 = 0; h0 < H; h0 += plan.hc)
      for (int r0 = 0; r0 < N; r0 += plan.nq)
        {
          AttentionChunk c = { MIN (plan.bc, B - b0), plan.hc, MIN (plan.nq, N - r0) };
          /* (bc, hc, ...) views of image b0, head h0, query row r0 */
          const float *base = qkv + (gsize)b0 * N * 3 * D + (gsize)h0 * hd;
          void *qk_bufs[3] = { (void *)(base + (gsize)r0 * 3 * D), (void *)(base + D), scratch };
          void *softmax_bufs[2] = { scratch, scratch };
          void *pv_bufs[3] = { scratch, (void *)(base + 2 * D),
                               out + (gsize)b0 * N * D + (gsize)r0 * D + (gsize)h0 * hd };

          /* Only the last images or rows can differ from the plan's shape. */
          if (c.bc != prims.shape.bc || c.nq != prims.shape.nq || c.hc != prims.shape.hc)
            if (!get_primitives (engine, &c, N, D, hd, &prims, error))
              return FALSE;
          if (!dm_engine_execute (engine, prims.qk, qk_bufs, error)
              || !dm_engine_execute (engine, prims.softmax, softmax_bufs, error)
              || !dm_engine_execute (engine, prims.pv, pv_bufs, error))
            return FALSE;
        }
  return TRUE;
}
