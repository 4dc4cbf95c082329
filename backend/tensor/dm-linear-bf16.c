/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bf16 linear layers: oneDNN reorders round the f32 operands to bf16 into
 * engine workspaces, oneDNN's bf16 matmul (brgemm with AVX512_BF16 or AMX)
 * multiplies with f32 accumulation into f32 outputs, post-ops in f32. */
#include "dm-linear-bf16.h"

#include "dm-error.h"
#include "dm-packed.h"

/* 2-D descriptors: dense row-major, with strides, or of a layout chosen
 * by the matmul. */
static void
md2 (dnnl_memory_desc_t *md,
     dnnl_dim_t rows,
     dnnl_dim_t cols,
     dnnl_data_type_t dt,
     gboolean transposed)
{
  dnnl_dims_t dims = { rows, cols };
  dnnl_dims_t strides = { transposed ? 1 : cols, transposed ? rows : 1 };

  dnnl_memory_desc_init_by_strides (md, 2, dims, dt, strides);
}

static void
md2_any (dnnl_memory_desc_t *md, dnnl_dim_t rows, dnnl_dim_t cols)
{
  dnnl_memory_desc_init_by_tag (md, 2, (dnnl_dims_t){ rows, cols }, dnnl_bf16, dnnl_format_tag_any);
}

/* to (layout to_md, bf16) = from (layout from_md, f32), by a reorder
 * created once under key. */
static gboolean
convert (DmEngine *engine,
         const char *key,
         const dnnl_memory_desc_t *from_md,
         const dnnl_memory_desc_t *to_md,
         const float *from,
         void *to,
         GError **error)
{
  static const int args[] = { DNNL_ARG_FROM, DNNL_ARG_TO };
  DmPrimitive *p = dm_engine_lookup (engine, key);
  void *buffers[2] = { (void *)from, to };

  if (p == NULL)
    {
      dnnl_engine_t dnnl = dm_engine_get_dnnl (engine);
      dnnl_primitive_desc_t pd = NULL;
      dnnl_primitive_attr_t attr = dm_engine_new_attr (NULL);
      dnnl_status_t status
        = dnnl_reorder_primitive_desc_create (&pd, from_md, dnnl, to_md, dnnl, attr);

      dnnl_primitive_attr_destroy (attr);
      if (!dm_dnnl_check (status, key, error))
        return FALSE;
      p = dm_engine_create_from_pd (engine, key, pd, args, 2, error);
      if (p == NULL)
        return FALSE;
    }
  return dm_engine_execute (engine, p, buffers, error);
}

/* A bf16 copy of the (rows, cols) f32 matrix x (dense, or transposed:
 * strides (1, rows)) in the layout to_md, in the engine workspace `slot`;
 * `user` names the primitive that reads it (the layouts differ). */
static void *
to_bf16 (DmEngine *engine,
         const char *slot,
         const char *user,
         const float *x,
         int rows,
         int cols,
         gboolean transposed,
         const dnnl_memory_desc_t *to_md,
         GError **error)
{
  char key[DM_KEY_MAX];
  dnnl_memory_desc_t from_md;
  void *buffer = dm_engine_get_workspace (engine, slot, dnnl_memory_desc_get_size (to_md), error);

  if (buffer == NULL)
    return NULL;
  md2 (&from_md, rows, cols, dnnl_f32, transposed);
  g_snprintf (key, sizeof key, "bf16-convert:%s:%d,%d:%d:%s", slot, rows, cols, transposed, user);
  return convert (engine, key, &from_md, to_md, x, buffer, error) ? buffer : NULL;
}

/* The forward's weights (N, K) stored, read as (K, N): packed once when a
 * set is attached (inference), else rounded on every call (training). */
static const void *
forward_weights (
  DmEngine *engine, DmPrimitive *p, const float *weight, int K, int N, GError **error)
{
  const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md (p->pd, dnnl_query_weights_md, 0);
  DmPackedWeights *set = dm_engine_get_packed_weights (engine);

  if (set != NULL)
    return dm_packed_weights_lookup (set, engine, weight, K, N, md, error);
  return to_bf16 (engine, "bf16-weights", p->key, weight, K, N, TRUE, md, error);
}

typedef enum
{
  FORWARD,          /* + bias, + GELU */
  FORWARD_RESIDUAL, /* + bias, * scale, + residual */
} Kind;

static DmPrimitive *
get_forward (DmEngine *engine,
             Kind kind,
             int M,
             int K,
             int N,
             gboolean has_bias,
             DmActivation act,
             gboolean has_scale,
             gboolean in_place,
             GError **error)
{
  char key[DM_KEY_MAX];
  DmPrimitive *p;
  dnnl_memory_desc_t src, weights, bias, dst;
  dnnl_matmul_desc_t desc;
  dnnl_primitive_attr_t attr;
  int args[6] = { DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST };
  int n_args = 3;

  g_snprintf (key, sizeof key, "linear-bf16-fwd:%d:%d,%d,%d:%d:%d:%d:%d", kind, M, K, N, has_bias,
              (int)act, has_scale, in_place);
  p = dm_engine_lookup (engine, key);
  if (p != NULL)
    return p;
  md2 (&src, M, K, dnnl_bf16, FALSE);
  md2_any (&weights, K, N);
  md2 (&bias, 1, N, dnnl_f32, FALSE);
  md2 (&dst, M, N, dnnl_f32, FALSE);
  if (!dm_dnnl_check (dnnl_matmul_desc_init (&desc, &src, &weights, has_bias ? &bias : NULL, &dst),
                      key, error))
    return NULL;
  attr = dm_linear_forward_attr (act, kind == FORWARD_RESIDUAL, has_bias, has_scale, in_place, &dst,
                                 args, &n_args);
  p = dm_engine_create (engine, key, &desc, attr, NULL, args, n_args, error);
  dnnl_primitive_attr_destroy (attr);
  if (p == NULL)
    return NULL;
  p->flop = 2.0 * M * K * N;
  if (has_scale && !dm_linear_describe_scales (engine, p, N, has_bias, error))
    return NULL;
  return p;
}

static gboolean
run_forward (DmEngine *engine,
             DmPrimitive *p,
             float *out,
             const float *inp,
             const float *weight,
             const float *bias,
             const float *scale,
             const float *residual,
             int M,
             int K,
             int N,
             GError **error)
{
  dnnl_memory_desc_t src_md;
  void *buffers[6];
  int n = 3;

  if (p == NULL)
    return FALSE;
  md2 (&src_md, M, K, dnnl_bf16, FALSE);
  buffers[0] = to_bf16 (engine, "bf16-src", "dense", inp, M, K, FALSE, &src_md, error);
  buffers[1] = (void *)forward_weights (engine, p, weight, K, N, error);
  buffers[2] = out;
  if (buffers[0] == NULL || buffers[1] == NULL)
    return FALSE;
  if (bias != NULL)
    buffers[n++] = (void *)bias;
  if (scale != NULL)
    buffers[n++] = (void *)scale;
  if (residual != NULL && residual != out)
    buffers[n++] = (void *)residual;
  return dm_engine_execute (engine, p, buffers, error);
}

gboolean
dm_linear_bf16_forward (DmEngine *engine,
                        float *out,
                        const float *inp,
                        const float *weight,
                        const float *bias,
                        int M,
                        int K,
                        int N,
                        DmActivation act,
                        GError **error)
{
  DmPrimitive *p = get_forward (engine, FORWARD, M, K, N, bias != NULL, act, FALSE, FALSE, error);

  return run_forward (engine, p, out, inp, weight, bias, NULL, NULL, M, K, N, error);
}

gboolean
dm_linear_bf16_forward_residual (DmEngine *engine,
                                 float *out,
                                 const float *inp,
                                 const float *weight,
                                 const float *bias,
                                 const float *scale,
                                 const float *residual,
                                 int M,
                                 int K,
                                 int N,
                                 GError **error)
{
  DmPrimitive *p = get_forward (engine, FORWARD_RESIDUAL, M, K, N, bias != NULL, DM_ACT_NONE,
                                scale != NULL, residual == out, error);

  return run_forward (engine, p, out, inp, weight, bias, scale, residual, M, K, N, error);
}

/* dst (rows, cols) (+)= a (rows, inner) . b (inner, cols), a given as a
 * bf16 matrix (transposed: strides (1, rows)), b converted from f32
 * (dense) into the layout the matmul wants; accumulate adds a sum
 * post-op. */
static gboolean
backward_product (DmEngine *engine,
                  const char *name,
                  float *dst,
                  const void *a,
                  gboolean a_transposed,
                  const float *b,
                  int rows,
                  int inner,
                  int cols,
                  gboolean accumulate,
                  GError **error)
{
  static const int args[] = { DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST };
  char key[DM_KEY_MAX];
  DmPrimitive *p;
  void *buffers[3];

  g_snprintf (key, sizeof key, "linear-bf16-%s:%d,%d,%d", name, rows, inner, cols);
  p = dm_engine_lookup (engine, key);
  if (p == NULL)
    {
      dnnl_memory_desc_t src_md, weights_md, dst_md;
      dnnl_matmul_desc_t desc;
      dnnl_post_ops_t post_ops;
      dnnl_primitive_attr_t attr;

      md2 (&src_md, rows, inner, dnnl_bf16, a_transposed);
      md2_any (&weights_md, inner, cols);
      md2 (&dst_md, rows, cols, dnnl_f32, FALSE);
      if (!dm_dnnl_check (dnnl_matmul_desc_init (&desc, &src_md, &weights_md, NULL, &dst_md), key,
                          error))
        return FALSE;
      dnnl_post_ops_create (&post_ops);
      if (accumulate)
        dnnl_post_ops_append_sum (post_ops, 1.0f);
      attr = dm_engine_new_attr (post_ops);
      p = dm_engine_create (engine, key, &desc, attr, NULL, args, 3, error);
      dnnl_primitive_attr_destroy (attr);
      dnnl_post_ops_destroy (post_ops);
      if (p == NULL)
        return FALSE;
      p->flop = 2.0 * rows * inner * cols;
    }
  buffers[0] = (void *)a;
  buffers[1] = to_bf16 (engine, "bf16-weights", p->key, b, inner, cols, FALSE,
                        dnnl_primitive_desc_query_md (p->pd, dnnl_query_weights_md, 0), error);
  buffers[2] = dst;
  return buffers[1] != NULL && dm_engine_execute (engine, p, buffers, error);
}

gboolean
dm_linear_bf16_backward (DmEngine *engine,
                         float *dinp,
                         float *dweight,
                         const float *dout,
                         const float *inp,
                         const float *weight,
                         int M,
                         int K,
                         int N,
                         GError **error)
{
  dnnl_memory_desc_t dense;
  void *dout16;

  if (dinp == NULL && dweight == NULL)
    return TRUE;
  /* dout in bf16 once for both products */
  md2 (&dense, M, N, dnnl_bf16, FALSE);
  dout16 = to_bf16 (engine, "bf16-dout", "dense", dout, M, N, FALSE, &dense, error);
  if (dout16 == NULL)
    return FALSE;
  /* dinp (M, K) = dout (M, N) . W (N, K) */
  if (dinp != NULL
      && !backward_product (engine, "bwd-data", dinp, dout16, FALSE, weight, M, N, K, FALSE, error))
    return FALSE;
  /* dW (N, K) += dout^T (N, M) . inp (M, K) */
  return dweight == NULL
         || backward_product (engine, "bwd-weights", dweight, dout16, TRUE, inp, N, M, K, TRUE,
                              error);
}
