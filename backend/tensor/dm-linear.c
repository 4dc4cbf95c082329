/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fully connected layers on oneDNN matmul: the forward with bias and GELU
 * fused as post-ops, the backward as matmuls over transposed (strided)
 * views, the bias gradient included. */
#include "dm-linear.h"

#include "dm-error.h"
#include "dm-linear-bf16.h"
#include "dm-packed.h"

static gboolean
check_shape (const char *what, int M, int K, int N, GError **error)
{
  if (M > 0 && K > 0 && N > 0)
    return TRUE;
  g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: invalid shape M=%d K=%d N=%d", what, M, K,
               N);
  return FALSE;
}

/* The oneDNN implementation each direction prefers. On AVX-512, oneDNN's
 * own first choice for a matmul is brgemm, which copies (and transposes)
 * its operands on every call; its jit gemm ran the backward's products 5 to
 * 20% faster on this project's machine (one and two threads, see the
 * closing note of issue 20). The forward keeps oneDNN's choice (its fused
 * bias, GELU and residual are free there). DINOMALY_MATMUL_FORWARD and
 * DINOMALY_MATMUL_BACKWARD override them for benchmarks ("default" for
 * oneDNN's choice). */
static const char *
prefer (gboolean backward)
{
  static const char *choice[2];
  static gsize once;

  if (g_once_init_enter (&once))
    {
      const char *fwd = g_getenv ("DINOMALY_MATMUL_FORWARD");
      const char *bwd = g_getenv ("DINOMALY_MATMUL_BACKWARD");

      choice[0] = fwd != NULL ? g_intern_string (fwd) : NULL;
      choice[1] = g_intern_string (bwd != NULL ? bwd : "gemm:jit");
      for (int i = 0; i < 2; i++)
        if (g_strcmp0 (choice[i], "default") == 0)
          choice[i] = NULL;
      g_once_init_leave (&once, 1);
    }
  return choice[backward];
}

/* The forward's weights descriptor: W stored (N, K) read as the (K, N)
 * matrix with strides (1, K), or, for packed weights, whatever layout the
 * matmul prefers (dm-packed.h). */
static void
weights_md (dnnl_memory_desc_t *md, int K, int N, gboolean packed)
{
  if (packed)
    dnnl_memory_desc_init_by_tag (md, 2, (dnnl_dims_t){ K, N }, dnnl_f32, dnnl_format_tag_any);
  else
    dm_md_f32_strided (md, 2, (dnnl_dim_t[]){ K, N }, (dnnl_dim_t[]){ 1, K });
}

/* Whether the matmul of desc, given the choice, reads its weights in a
 * blocked layout (brgemm on AVX-512): then packing them pays. Where it
 * would take a plain one (the jit gemm on AVX2), a copy gains nothing and
 * the weights are read as they are. Asked once per primitive made. */
static gboolean
prefers_blocked (DmEngine *engine, const dnnl_matmul_desc_t *desc, const_dnnl_primitive_attr_t attr)
{
  dnnl_primitive_desc_t pd = NULL;
  const dnnl_memory_desc_t *md;
  gboolean blocked = FALSE;

  if (dnnl_primitive_desc_create (&pd, desc, attr, dm_engine_get_dnnl (engine), NULL)
      != dnnl_success)
    return FALSE;
  md = dnnl_primitive_desc_query_md (pd, dnnl_query_weights_md, 0);
  blocked
    = md != NULL && md->format_kind == dnnl_blocked && md->format_desc.blocking.inner_nblks > 0;
  dnnl_primitive_desc_destroy (pd);
  return blocked;
}

/* The matmul of a forward (packed: its weights in the layout it prefers,
 * when that is blocked), counted for the profile. */
static DmPrimitive *
create_forward (DmEngine *engine,
                const char *key,
                dnnl_matmul_desc_t *desc,
                const_dnnl_primitive_attr_t attr,
                const int *args,
                int n_args,
                int M,
                int K,
                int N,
                gboolean packed,
                GError **error)
{
  DmPrimitive *p;

  if (packed && !prefers_blocked (engine, desc, attr))
    {
      weights_md (&desc->weights_desc, K, N, FALSE);
      packed = FALSE;
    }
  p = dm_engine_create_prefer (engine, key, desc, attr, NULL, prefer (FALSE), args, n_args, error);
  if (p != NULL)
    {
      p->flop = 2.0 * M * K * N;
      p->packed_weights = packed;
    }
  return p;
}

/* buffers[1] = the weights the primitive reads: their packed copy when it
 * takes one. */
static gboolean
point_weights (
  DmEngine *engine, DmPrimitive *p, const float *weight, int K, int N, void **slot, GError **error)
{
  const float *packed;

  *slot = (void *)weight;
  if (!p->packed_weights)
    return TRUE;
  packed = dm_packed_weights_lookup (dm_engine_get_packed_weights (engine), engine, weight, K, N,
                                     dnnl_primitive_desc_query_md (p->pd, dnnl_query_weights_md, 0),
                                     error);
  *slot = (void *)packed;
  return packed != NULL;
}

dnnl_primitive_attr_t
dm_linear_forward_attr (DmActivation act,
                        gboolean residual,
                        gboolean has_bias,
                        gboolean has_scale,
                        gboolean in_place,
                        const dnnl_memory_desc_t *dst,
                        int *args,
                        int *n_args)
{
  dnnl_post_ops_t post_ops;
  dnnl_primitive_attr_t attr;

  dnnl_post_ops_create (&post_ops);
  if (act == DM_ACT_GELU)
    dnnl_post_ops_append_eltwise (post_ops, 1.0f, dnnl_eltwise_gelu_erf, 0.0f, 0.0f);
  if (residual && in_place)
    dnnl_post_ops_append_sum (post_ops, 1.0f);
  else if (residual)
    dnnl_post_ops_append_binary (post_ops, dnnl_binary_add, dst);
  attr = dm_engine_new_attr (post_ops);
  dnnl_post_ops_destroy (post_ops);
  if (has_scale)
    {
      float runtime = DNNL_RUNTIME_F32_VAL;

      dnnl_primitive_attr_set_output_scales (attr, 1, 1 << 1, &runtime);
    }
  if (has_bias)
    args[(*n_args)++] = DNNL_ARG_BIAS;
  if (has_scale)
    args[(*n_args)++] = DNNL_ARG_ATTR_OUTPUT_SCALES;
  if (residual && !in_place)
    args[(*n_args)++] = DNNL_ARG_ATTR_MULTIPLE_POST_OP (0) | DNNL_ARG_SRC_1;
  return attr;
}

gboolean
dm_linear_describe_scales (
  DmEngine *engine, DmPrimitive *p, int N, gboolean has_bias, GError **error)
{
  /* oneDNN 2.6 does not describe run-time scales: a vector of N */
  dnnl_memory_desc_t scales;

  dm_md_f32 (&scales, 1, (dnnl_dim_t[]){ N });
  return dm_primitive_set_arg_md (engine, p, 3 + has_bias, &scales, error);
}

/* out (M, N) = act (inp (M, K) . W^T + bias), W stored (N, K): the weights
 * operand is the (K, N) matrix with strides (1, K). */
static DmPrimitive *
get_forward (DmEngine *engine,
             int M,
             int K,
             int N,
             gboolean has_bias,
             DmActivation act,
             gboolean packed,
             GError **error)
{
  char key[DM_KEY_MAX];
  DmPrimitive *p;
  dnnl_memory_desc_t src, weights, bias, dst;
  dnnl_matmul_desc_t desc;
  dnnl_primitive_attr_t attr;
  int args[4] = { DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST };
  int n_args = 3;

  g_snprintf (key, sizeof key, "linear-fwd:%d,%d,%d:%d:%d:%d", M, K, N, has_bias, (int)act, packed);
  p = dm_engine_lookup (engine, key);
  if (p != NULL)
    return p;

  dm_md_f32 (&src, 2, (dnnl_dim_t[]){ M, K });
  weights_md (&weights, K, N, packed);
  dm_md_f32 (&bias, 2, (dnnl_dim_t[]){ 1, N });
  dm_md_f32 (&dst, 2, (dnnl_dim_t[]){ M, N });
  if (!dm_dnnl_check (dnnl_matmul_desc_init (&desc, &src, &weights, has_bias ? &bias : NULL, &dst),
                      key, error))
    return NULL;
  attr = dm_linear_forward_attr (act, FALSE, has_bias, FALSE, FALSE, &dst, args, &n_args);
  p = create_forward (engine, key, &desc, attr, args, n_args, M, K, N, packed, error);
  dnnl_primitive_attr_destroy (attr);
  return p;
}

/* out (M, N) = residual + scale * (inp . W^T + bias): per-column runtime
 * output scales (oneDNN applies them to the product plus bias), then a sum
 * post-op (in place) or a binary add of the residual tensor. Both stay on
 * the jit gemm; a binary mul by a broadcast gamma followed by sum would
 * not (oneDNN 2.6 falls back to its reference matmul for that, ~500x
 * slower). */
static DmPrimitive *
get_forward_residual (DmEngine *engine,
                      int M,
                      int K,
                      int N,
                      gboolean has_bias,
                      gboolean has_scale,
                      gboolean in_place,
                      gboolean packed,
                      GError **error)
{
  char key[DM_KEY_MAX];
  DmPrimitive *p;
  dnnl_memory_desc_t src, weights, bias, dst;
  dnnl_matmul_desc_t desc;
  dnnl_primitive_attr_t attr;
  /* the order of the run-time buffers: see dm_linear_forward_residual */
  int args[6] = { DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST };
  int n_args = 3;

  g_snprintf (key, sizeof key, "linear-fwd-residual:%d,%d,%d:%d:%d:%d:%d", M, K, N, has_bias,
              has_scale, in_place, packed);
  p = dm_engine_lookup (engine, key);
  if (p != NULL)
    return p;

  dm_md_f32 (&src, 2, (dnnl_dim_t[]){ M, K });
  weights_md (&weights, K, N, packed);
  dm_md_f32 (&bias, 2, (dnnl_dim_t[]){ 1, N });
  dm_md_f32 (&dst, 2, (dnnl_dim_t[]){ M, N });
  if (!dm_dnnl_check (dnnl_matmul_desc_init (&desc, &src, &weights, has_bias ? &bias : NULL, &dst),
                      key, error))
    return NULL;
  attr = dm_linear_forward_attr (DM_ACT_NONE, TRUE, has_bias, has_scale, in_place, &dst, args,
                                 &n_args);
  p = create_forward (engine, key, &desc, attr, args, n_args, M, K, N, packed, error);
  dnnl_primitive_attr_destroy (attr);
  if (p != NULL && has_scale && !dm_linear_describe_scales (engine, p, N, has_bias, error))
    return NULL;
  return p;
}

/* dinp (M, K) = dout (M, N) . W (N, K): all plain row-major. */
static DmPrimitive *
get_backward_data (DmEngine *engine, int M, int K, int N, GError **error)
{
  char key[DM_KEY_MAX];
  DmPrimitive *p;
  dnnl_memory_desc_t src, weights, dst;
  dnnl_matmul_desc_t desc;
  const int args[] = { DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST };

  g_snprintf (key, sizeof key, "linear-bwd-data:%d,%d,%d", M, K, N);
  p = dm_engine_lookup (engine, key);
  if (p != NULL)
    return p;
  dm_md_f32 (&src, 2, (dnnl_dim_t[]){ M, N });
  dm_md_f32 (&weights, 2, (dnnl_dim_t[]){ N, K });
  dm_md_f32 (&dst, 2, (dnnl_dim_t[]){ M, K });
  if (!dm_dnnl_check (dnnl_matmul_desc_init (&desc, &src, &weights, NULL, &dst), key, error))
    return NULL;
  p = dm_engine_create_prefer (engine, key, &desc, NULL, NULL, prefer (TRUE), args, 3, error);
  if (p != NULL)
    p->flop = 2.0 * M * K * N;
  return p;
}

/* dW (N, K) += dout^T (N, M) . inp (M, K): dout^T is dout read with
 * strides (1, N); the sum post-op makes the matmul accumulate (sgemm's
 * beta = 1, no extra pass). */
static DmPrimitive *
get_backward_weights (DmEngine *engine, int M, int K, int N, GError **error)
{
  char key[DM_KEY_MAX];
  DmPrimitive *p;
  dnnl_memory_desc_t src, weights, dst;
  dnnl_matmul_desc_t desc;
  dnnl_post_ops_t post_ops;
  dnnl_primitive_attr_t attr;
  const int args[] = { DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST };

  g_snprintf (key, sizeof key, "linear-bwd-weights:%d,%d,%d", M, K, N);
  p = dm_engine_lookup (engine, key);
  if (p != NULL)
    return p;
  dm_md_f32_strided (&src, 2, (dnnl_dim_t[]){ N, M }, (dnnl_dim_t[]){ 1, N });
  dm_md_f32 (&weights, 2, (dnnl_dim_t[]){ M, K });
  dm_md_f32 (&dst, 2, (dnnl_dim_t[]){ N, K });
  if (!dm_dnnl_check (dnnl_matmul_desc_init (&desc, &src, &weights, NULL, &dst), key, error))
    return NULL;
  dnnl_post_ops_create (&post_ops);
  dnnl_post_ops_append_sum (post_ops, 1.0f);
  attr = dm_engine_new_attr (post_ops);
  p = dm_engine_create_prefer (engine, key, &desc, attr, NULL, prefer (TRUE), args, 3, error);
  dnnl_primitive_attr_destroy (attr);
  dnnl_post_ops_destroy (post_ops);
  if (p != NULL)
    p->flop = 2.0 * M * K * N;
  return p;
}

/* dbias (1, N) += ones (1, M) . dout (M, N): the column sums as a matrix-
 * vector product with the sum post-op, so that they run in oneDNN's jit
 * gemv on all threads (a plain loop took ~6 ms for 2056 x 1536, as long
 * as a fifth of the weight gradient's matmul). The ones live in the
 * primitive's aux buffer. Sums in float, as PyTorch's. */
static DmPrimitive *
get_backward_bias (DmEngine *engine, int M, int N, GError **error)
{
  char key[DM_KEY_MAX];
  DmPrimitive *p;
  dnnl_memory_desc_t src, weights, dst;
  dnnl_matmul_desc_t desc;
  dnnl_post_ops_t post_ops;
  dnnl_primitive_attr_t attr;
  const int args[] = { DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST };
  float *ones;

  g_snprintf (key, sizeof key, "linear-bwd-bias:%d,%d", M, N);
  p = dm_engine_lookup (engine, key);
  if (p != NULL)
    return p;
  dm_md_f32 (&src, 2, (dnnl_dim_t[]){ 1, M });
  dm_md_f32 (&weights, 2, (dnnl_dim_t[]){ M, N });
  dm_md_f32 (&dst, 2, (dnnl_dim_t[]){ 1, N });
  if (!dm_dnnl_check (dnnl_matmul_desc_init (&desc, &src, &weights, NULL, &dst), key, error))
    return NULL;
  dnnl_post_ops_create (&post_ops);
  dnnl_post_ops_append_sum (post_ops, 1.0f);
  attr = dm_engine_new_attr (post_ops);
  p = dm_engine_create (engine, key, &desc, attr, NULL, args, 3, error);
  dnnl_primitive_attr_destroy (attr);
  dnnl_post_ops_destroy (post_ops);
  if (p == NULL)
    return NULL;
  ones = dm_primitive_get_aux (p, (gsize)M * sizeof (float), error);
  if (ones == NULL)
    return NULL;
  for (int m = 0; m < M; m++)
    ones[m] = 1.0f;
  return p;
}

gboolean
dm_linear_forward (DmEngine *engine,
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
  DmPrimitive *p;
  void *buffers[4] = { (void *)inp, (void *)weight, out, (void *)bias };

  if (!check_shape ("dm_linear_forward", M, K, N, error))
    return FALSE;
  if (dm_engine_get_precision (engine) == DM_PRECISION_BF16)
    return dm_linear_bf16_forward (engine, out, inp, weight, bias, M, K, N, act, error);
  p = get_forward (engine, M, K, N, bias != NULL, act,
                   dm_engine_get_packed_weights (engine) != NULL, error);
  if (p == NULL || !point_weights (engine, p, weight, K, N, &buffers[1], error))
    return FALSE;
  return dm_engine_execute (engine, p, buffers, error);
}

gboolean
dm_linear_forward_residual (DmEngine *engine,
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
  gboolean in_place = residual == out;
  DmPrimitive *p;
  void *buffers[6] = { (void *)inp, (void *)weight, out };
  int n = 3;

  if (!check_shape ("dm_linear_forward_residual", M, K, N, error))
    return FALSE;
  if (residual == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "dm_linear_forward_residual: no residual (use dm_linear_forward)");
      return FALSE;
    }
  if (dm_engine_get_precision (engine) == DM_PRECISION_BF16)
    return dm_linear_bf16_forward_residual (engine, out, inp, weight, bias, scale, residual, M, K,
                                            N, error);
  p = get_forward_residual (engine, M, K, N, bias != NULL, scale != NULL, in_place,
                            dm_engine_get_packed_weights (engine) != NULL, error);
  if (p == NULL || !point_weights (engine, p, weight, K, N, &buffers[1], error))
    return FALSE;
  if (bias != NULL)
    buffers[n++] = (void *)bias;
  if (scale != NULL)
    buffers[n++] = (void *)scale;
  if (!in_place)
    buffers[n++] = (void *)residual;
  return dm_engine_execute (engine, p, buffers, error);
}

gboolean
dm_linear_backward (DmEngine *engine,
                    float *dinp,
                    float *dweight,
                    float *dbias,
                    const float *dout,
                    const float *inp,
                    const float *weight,
                    int M,
                    int K,
                    int N,
                    GError **error)
{
  if (!check_shape ("dm_linear_backward", M, K, N, error))
    return FALSE;
  if (dm_engine_get_precision (engine) == DM_PRECISION_BF16)
    {
      if (!dm_linear_bf16_backward (engine, dinp, dweight, dout, inp, weight, M, K, N, error))
        return FALSE;
      dinp = NULL;
      dweight = NULL;
    }
  if (dinp != NULL)
    {
      DmPrimitive *p = get_backward_data (engine, M, K, N, error);
      void *buffers[3] = { (void *)dout, (void *)weight, dinp };

      if (p == NULL || !dm_engine_execute (engine, p, buffers, error))
        return FALSE;
    }
  if (dweight != NULL)
    {
      DmPrimitive *p = get_backward_weights (engine, M, K, N, error);
      void *buffers[3] = { (void *)dout, (void *)inp, dweight };

      if (p == NULL || !dm_engine_execute (engine, p, buffers, error))
        return FALSE;
    }
  if (dbias != NULL)
    {
      DmPrimitive *p = get_backward_bias (engine, M, N, error);
      void *buffers[3] = { NULL, (void *)dout, dbias };

      if (p == NULL)
        return FALSE;
      buffers[0] = p->aux;
      if (!dm_engine_execute (engine, p, buffers, error))
        return FALSE;
    }
  return TRUE;
}
