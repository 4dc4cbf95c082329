/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Elementwise activations on oneDNN eltwise primitives (jit, all threads),
 * one primitive per (algorithm, length) from the engine's cache. */
#include "dm-eltwise.h"

#include "dm-error.h"
#include "dm-fastmath.h"
#include "dm-parallel.h"

/* The forward primitive of alg over a 1-D tensor of n floats. Also the
 * hint of the matching backward. */
static DmPrimitive *
get_forward (
  DmEngine *engine, dnnl_alg_kind_t alg, float alpha, float beta, gsize n, GError **error)
{
  char key[DM_KEY_MAX];
  DmPrimitive *p;
  dnnl_memory_desc_t md;
  dnnl_eltwise_desc_t desc;
  const int args[] = { DNNL_ARG_SRC, DNNL_ARG_DST };

  g_snprintf (key, sizeof key, "eltwise-fwd:%d,%g,%g:%" G_GSIZE_FORMAT, (int)alg, alpha, beta, n);
  p = dm_engine_lookup (engine, key);
  if (p != NULL)
    return p;
  dm_md_f32 (&md, 1, (dnnl_dim_t[]){ (dnnl_dim_t)n });
  if (!dm_dnnl_check (
        dnnl_eltwise_forward_desc_init (&desc, dnnl_forward_training, alg, &md, alpha, beta), key,
        error))
    return NULL;
  return dm_engine_create (engine, key, &desc, NULL, NULL, args, 2, error);
}

static DmPrimitive *
get_backward (
  DmEngine *engine, dnnl_alg_kind_t alg, float alpha, float beta, gsize n, GError **error)
{
  char key[DM_KEY_MAX];
  DmPrimitive *p, *forward;
  dnnl_memory_desc_t md;
  dnnl_eltwise_desc_t desc;
  const int args[] = { DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_SRC };

  g_snprintf (key, sizeof key, "eltwise-bwd:%d,%g,%g:%" G_GSIZE_FORMAT, (int)alg, alpha, beta, n);
  p = dm_engine_lookup (engine, key);
  if (p != NULL)
    return p;
  forward = get_forward (engine, alg, alpha, beta, n, error);
  if (forward == NULL)
    return NULL;
  dm_md_f32 (&md, 1, (dnnl_dim_t[]){ (dnnl_dim_t)n });
  if (!dm_dnnl_check (dnnl_eltwise_backward_desc_init (&desc, alg, &md, &md, alpha, beta), key,
                      error))
    return NULL;
  return dm_engine_create (engine, key, &desc, NULL, forward->pd, args, 3, error);
}

static gboolean
run_forward (DmEngine *engine,
             dnnl_alg_kind_t alg,
             float alpha,
             float beta,
             float *out,
             const float *inp,
             gsize n,
             GError **error)
{
  DmPrimitive *p;
  void *buffers[2] = { (void *)inp, out };

  if (n == 0)
    return TRUE;
  p = get_forward (engine, alg, alpha, beta, n, error);
  return p != NULL && dm_engine_execute (engine, p, buffers, error);
}

static gboolean
run_backward (DmEngine *engine,
              dnnl_alg_kind_t alg,
              float alpha,
              float beta,
              float *dinp,
              const float *dout,
              const float *inp,
              gsize n,
              GError **error)
{
  DmPrimitive *p;
  void *buffers[3] = { (void *)inp, (void *)dout, dinp };

  if (n == 0)
    return TRUE;
  p = get_backward (engine, alg, alpha, beta, n, error);
  return p != NULL && dm_engine_execute (engine, p, buffers, error);
}

gboolean
dm_gelu_forward (DmEngine *engine, float *out, const float *inp, gsize n, GError **error)
{
  return run_forward (engine, dnnl_eltwise_gelu_erf, 0.0f, 0.0f, out, inp, n, error);
}

gboolean
dm_gelu_backward (
  DmEngine *engine, float *dinp, const float *dout, const float *inp, gsize n, GError **error)
{
  return run_backward (engine, dnnl_eltwise_gelu_erf, 0.0f, 0.0f, dinp, dout, inp, n, error);
}

/* oneDNN 2.6 has no elu + 1 and runs eltwise-with-eltwise-post-op only in
 * its reference (scalar) implementation, so this is two jit passes: elu,
 * then x + 1 in place (the second pass is memory-bound and cheap). */
gboolean
dm_elu1_forward (DmEngine *engine, float *out, const float *inp, gsize n, GError **error)
{
  return run_forward (engine, dnnl_eltwise_elu, 1.0f, 0.0f, out, inp, n, error)
         && run_forward (engine, dnnl_eltwise_linear, 1.0f, 1.0f, out, out, n, error);
}

/* The + 1 has derivative 1: this is elu's backward from the input. */
gboolean
dm_elu1_backward (
  DmEngine *engine, float *dinp, const float *dout, const float *inp, gsize n, GError **error)
{
  return run_backward (engine, dnnl_eltwise_elu, 1.0f, 0.0f, dinp, dout, inp, n, error);
}

typedef struct
{
  float *dinp;
  const float *dout, *inp;
  double *partial; /* (chunks, N), NULL: no bias */
  gsize N, rows_per_chunk;
} GeluJob;

/* One row of dinp = dout gelu' (inp) and its column sums, out of place
 * and in place: restrict parameters (the compiler honours them after
 * inlining) so that the loops vectorise with no alias check, which an
 * in-place call would always fail. */
static G_ALWAYS_INLINE inline void
gelu_row (gsize N,
          float *restrict d,
          const float *restrict g,
          const float *restrict x,
          double *restrict part)
{
  for (gsize c = 0; c < N; c++)
    d[c] = g[c] * dm_gelu_grad (x[c]);
  if (part != NULL)
    for (gsize c = 0; c < N; c++)
      part[c] += d[c];
}

static G_ALWAYS_INLINE inline void
gelu_row_in_place (gsize N, float *restrict d, const float *restrict x, double *restrict part)
{
  for (gsize c = 0; c < N; c++)
    d[c] = d[c] * dm_gelu_grad (x[c]);
  if (part != NULL)
    for (gsize c = 0; c < N; c++)
      part[c] += d[c];
}

/* Rows [r0, r1): dinp = dout gelu' (inp); the chunk's column sums. */
DM_VECTOR_CLONES static void
gelu_rows (const GeluJob *j, gsize r0, gsize r1)
{
  gsize N = j->N;
  double *part = j->partial != NULL ? j->partial + r0 / j->rows_per_chunk * N : NULL;

  if (part != NULL)
    for (gsize c = 0; c < N; c++)
      part[c] = 0;
  for (gsize r = r0; r < r1; r++)
    if (j->dinp == j->dout)
      gelu_row_in_place (N, j->dinp + r * N, j->inp + r * N, part);
    else
      gelu_row (N, j->dinp + r * N, j->dout + r * N, j->inp + r * N, part);
}

static void
gelu_chunk (gsize begin, gsize end, gpointer data)
{
  gelu_rows (data, begin, end);
}

gboolean
dm_gelu_backward_bias (DmEngine *engine,
                       float *dinp,
                       float *dbias,
                       const float *dout,
                       const float *inp,
                       int M,
                       int N,
                       GError **error)
{
  GeluJob j = { dinp, dout, inp, NULL, (gsize)MAX (N, 0), dm_row_chunk ((gsize)MAX (M, 0)) };
  gsize n_chunks = dm_parallel_n_chunks ((gsize)MAX (M, 0), j.rows_per_chunk);
  gint64 stamp;

  if (M <= 0 || N <= 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "dm_gelu_backward_bias: invalid shape M=%d N=%d", M, N);
      return FALSE;
    }
  if (dbias != NULL)
    {
      j.partial
        = dm_engine_get_workspace (engine, "column-sums", sizeof (double) * n_chunks * N, error);
      if (j.partial == NULL)
        return FALSE;
    }
  stamp = dm_engine_profile_begin (engine);
  dm_parallel_for (engine, (gsize)M, j.rows_per_chunk, gelu_chunk, &j);
  if (dbias != NULL)
    dm_sum_partials (dbias, j.partial, n_chunks, (gsize)N);
  dm_engine_profile_end (engine, "gelu backward + bias", stamp);
  return TRUE;
}
