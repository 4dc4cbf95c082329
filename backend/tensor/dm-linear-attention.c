/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The decoder's linear attention: batched strided oneDNN matmuls for the
 * (N x hd x hd) products, plain loops for elu + 1, the sums and the
 * normalisation. */
#include "dm-linear-attention.h"
#include "dm-arena.h"

#include "dm-error.h"

/* Sections of `saved`, in floats. */
typedef struct
{
  gsize qk1;  /* (B, N, 2D): per token [q' | k'], the layout of qkv's first 2D */
  gsize kv;   /* (B, H, hd, hd) */
  gsize ksum; /* (B, H, hd) = (B, D) */
  gsize z;    /* (B, H, N) */
  gsize total;
} SavedLayout;

static gboolean
check_shapes (int B, int N, int D, int H, GError **error)
{
  if (B <= 0 || N <= 0 || D <= 0 || H <= 0 || D % H != 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "linear attention: invalid shapes B = %d, N = %d, D = %d, H = %d "
                   "(all positive, D a multiple of H)",
                   B, N, D, H);
      return FALSE;
    }
  return TRUE;
}

static void
saved_layout (int B, int N, int D, int H, SavedLayout *l)
{
  gsize hd = D / H;

  l->qk1 = 0;
  l->kv = l->qk1 + dm_pad_floats ((gsize)2 * B * N * D);
  l->ksum = l->kv + dm_pad_floats ((gsize)B * D * hd);
  l->z = l->ksum + dm_pad_floats ((gsize)B * D);
  l->total = l->z + dm_pad_floats ((gsize)B * H * N);
}

gsize
dm_linear_attention_saved_size (int B, int N, int D, int H)
{
  SavedLayout l;

  if (!check_shapes (B, N, D, H, NULL))
    return 0;
  saved_layout (B, N, D, H, &l);
  return l.total;
}

/* A (B, H, d2, d3) view with explicit strides. */
static void
view4 (dnnl_memory_desc_t *md,
       int B,
       int H,
       dnnl_dim_t d2,
       dnnl_dim_t d3,
       dnnl_dim_t s0,
       dnnl_dim_t s1,
       dnnl_dim_t s2,
       dnnl_dim_t s3)
{
  dm_md_f32_strided (md, 4, (dnnl_dim_t[]){ B, H, d2, d3 }, (dnnl_dim_t[]){ s0, s1, s2, s3 });
}

/* Per-head views of the buffers, as (B, H, rows, hd) with strides. */
typedef enum
{
  VIEW_QKV, /* q, k or v inside qkv or dqkv (B, N, 3D) */
  VIEW_QK1, /* q' or k' inside saved (B, N, 2D) */
  VIEW_OUT, /* out or dout (B, N, D) */
  VIEW_KV,  /* KV or dKV (B, H, hd, hd), dense */
} ViewKind;

static void
view_tokens (dnnl_memory_desc_t *md, ViewKind kind, gboolean transposed, int B, int N, int D, int H)
{
  dnnl_dim_t hd = D / H;
  dnnl_dim_t ld = kind == VIEW_QKV ? 3 * (dnnl_dim_t)D : kind == VIEW_QK1 ? 2 * (dnnl_dim_t)D : D;

  if (kind == VIEW_KV)
    {
      if (transposed)
        view4 (md, B, H, hd, hd, H * hd * hd, hd * hd, 1, hd);
      else
        view4 (md, B, H, hd, hd, H * hd * hd, hd * hd, hd, 1);
    }
  else if (transposed) /* (B, H, hd, N) */
    view4 (md, B, H, hd, N, N * ld, hd, 1, ld);
  else /* (B, H, N, hd) */
    view4 (md, B, H, N, hd, N * ld, hd, ld, 1);
}

/* The matmul dst = src x weights over the views given, created on first use
 * under "linear-attention-<name>:B,N,D,H". */
static DmPrimitive *
get_matmul (DmEngine *engine,
            const char *name,
            int B,
            int N,
            int D,
            int H,
            ViewKind src,
            gboolean src_t,
            ViewKind weights,
            gboolean weights_t,
            ViewKind dst,
            GError **error)
{
  static const int args[] = { DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST };
  char key[DM_KEY_MAX];
  DmPrimitive *p;
  dnnl_memory_desc_t s, w, d;
  dnnl_matmul_desc_t desc;

  g_snprintf (key, sizeof key, "linear-attention-%s:%d,%d,%d,%d", name, B, N, D, H);
  p = dm_engine_lookup (engine, key);
  if (p != NULL)
    return p;
  view_tokens (&s, src, src_t, B, N, D, H);
  view_tokens (&w, weights, weights_t, B, N, D, H);
  view_tokens (&d, dst, FALSE, B, N, D, H);
  if (!dm_dnnl_check (dnnl_matmul_desc_init (&desc, &s, &w, NULL, &d), key, error))
    return NULL;
  p = dm_engine_create (engine, key, &desc, NULL, NULL, args, 3, error);
  if (p != NULL) /* every product here is (N x hd) by (hd x hd) or its transpose */
    p->flop = 2.0 * B * N * D * (D / H);
  return p;
}

static gboolean
run_matmul (
  DmEngine *engine, DmPrimitive *p, const void *src, const void *weights, void *dst, GError **error)
{
  void *bufs[3] = { (void *)src, (void *)weights, dst };

  return p != NULL && dm_engine_execute (engine, p, bufs, error);
}

/* q' and k' (B*N, 2D) = elu(qkv[:, :2D]) + 1 by three oneDNN primitives:
 * a reorder of the strided q|k columns into the dense section of `saved`,
 * then the jit elu and a jit x + 1 in place there (oneDNN 2.6 runs eltwise
 * with post-ops, and eltwise on strided data, through its slow reference
 * code; these three passes are 5 to 10 times faster than a scalar loop).
 * The derivative of elu(x) + 1 is 1 for x > 0, else exp(x) = elu(x) + 1. */
static gboolean
elu1_forward (DmEngine *engine, float *qk1, const float *qkv, int BN, int D, GError **error)
{
  static const int copy_args[] = { DNNL_ARG_FROM, DNNL_ARG_TO };
  static const int eltwise_args[] = { DNNL_ARG_SRC, DNNL_ARG_DST };
  char key[DM_KEY_MAX];
  dnnl_memory_desc_t strided, dense;
  DmPrimitive *copy, *elu, *plus1;
  void *copy_bufs[2] = { (void *)qkv, qk1 };
  void *eltwise_bufs[2] = { qk1, qk1 };

  dm_md_f32_strided (&strided, 2, (dnnl_dim_t[]){ BN, 2 * D }, (dnnl_dim_t[]){ 3 * D, 1 });
  dm_md_f32 (&dense, 2, (dnnl_dim_t[]){ BN, 2 * D });

  g_snprintf (key, sizeof key, "linear-attention-copy:%d,%d", BN, D);
  copy = dm_engine_lookup (engine, key);
  if (copy == NULL)
    {
      dnnl_primitive_desc_t pd = NULL;
      dnnl_primitive_attr_t attr = dm_engine_new_attr (NULL);
      dnnl_engine_t dnnl = dm_engine_get_dnnl (engine);
      dnnl_status_t status
        = dnnl_reorder_primitive_desc_create (&pd, &strided, dnnl, &dense, dnnl, attr);

      dnnl_primitive_attr_destroy (attr);
      if (!dm_dnnl_check (status, key, error))
        return FALSE;
      copy = dm_engine_create_from_pd (engine, key, pd, copy_args, 2, error);
      if (copy == NULL)
        return FALSE;
    }

  g_snprintf (key, sizeof key, "linear-attention-elu:%d,%d", BN, D);
  elu = dm_engine_lookup (engine, key);
  if (elu == NULL)
    {
      dnnl_eltwise_desc_t desc;

      if (!dm_dnnl_check (dnnl_eltwise_forward_desc_init (&desc, dnnl_forward_inference,
                                                          dnnl_eltwise_elu, &dense, 1.0f, 0.0f),
                          key, error))
        return FALSE;
      elu = dm_engine_create (engine, key, &desc, NULL, NULL, eltwise_args, 2, error);
      if (elu == NULL)
        return FALSE;
    }

  g_snprintf (key, sizeof key, "linear-attention-plus1:%d,%d", BN, D);
  plus1 = dm_engine_lookup (engine, key);
  if (plus1 == NULL)
    {
      dnnl_eltwise_desc_t desc;

      if (!dm_dnnl_check (dnnl_eltwise_forward_desc_init (&desc, dnnl_forward_inference,
                                                          dnnl_eltwise_linear, &dense, 1.0f, 1.0f),
                          key, error))
        return FALSE;
      plus1 = dm_engine_create (engine, key, &desc, NULL, NULL, eltwise_args, 2, error);
      if (plus1 == NULL)
        return FALSE;
    }

  return dm_engine_execute (engine, copy, copy_bufs, error)
         && dm_engine_execute (engine, elu, eltwise_bufs, error)
         && dm_engine_execute (engine, plus1, eltwise_bufs, error);
}

gboolean
dm_linear_attention_forward (DmEngine *engine,
                             float *out,
                             float *saved,
                             const float *qkv,
                             int B,
                             int N,
                             int D,
                             int H,
                             GError **error)
{
  SavedLayout l;
  int hd;
  float *qk1, *kv, *ksum, *z;
  double *acc;
  DmPrimitive *kv_mm, *out_mm;
  gint64 stamp;

  if (!check_shapes (B, N, D, H, error))
    return FALSE;
  hd = D / H;
  saved_layout (B, N, D, H, &l);
  qk1 = saved + l.qk1;
  kv = saved + l.kv;
  ksum = saved + l.ksum;
  z = saved + l.z;
  acc = dm_engine_get_workspace (engine, "linear-attention", sizeof (double) * D, error);
  if (acc == NULL)
    return FALSE;

  if (!elu1_forward (engine, qk1, qkv, B * N, D, error))
    return FALSE;

  /* ksum, summed in double: N terms of the same sign */
  stamp = dm_engine_profile_begin (engine);
  for (int b = 0; b < B; b++)
    {
      for (int c = 0; c < D; c++)
        acc[c] = 0;
      for (int t = 0; t < N; t++)
        {
          const float *k1 = qk1 + ((gsize)b * N + t) * 2 * D + D;

          for (int c = 0; c < D; c++)
            acc[c] += k1[c];
        }
      for (int c = 0; c < D; c++)
        ksum[(gsize)b * D + c] = (float)acc[c];
    }
  dm_engine_profile_end (engine, "linear attention loops", stamp);

  /* KV = k'^T v */
  kv_mm = get_matmul (engine, "kv", B, N, D, H, VIEW_QK1, TRUE, VIEW_QKV, FALSE, VIEW_KV, error);
  if (!run_matmul (engine, kv_mm, qk1 + D, qkv + 2 * D, kv, error))
    return FALSE;

  stamp = dm_engine_profile_begin (engine);
  /* z_s = 1 / (q'_s . ksum). Four tokens at a time: four independent
   * chains of double adds instead of one (each token's sum keeps its
   * order, so the result is the same bit for bit, ~3x faster). */
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++)
      {
        const float *ks = ksum + (gsize)b * D + (gsize)h * hd;
        const float *q0 = qk1 + (gsize)b * N * 2 * D + (gsize)h * hd;
        gsize ld = (gsize)2 * D;
        float *zh = z + ((gsize)b * H + h) * N;
        int s = 0;

        for (; s + 4 <= N; s += 4)
          {
            const float *q = q0 + s * ld;
            double d0 = 0, d1 = 0, d2 = 0, d3 = 0;

            for (int i = 0; i < hd; i++)
              {
                double k = ks[i];

                d0 += (double)q[i] * k;
                d1 += (double)q[ld + i] * k;
                d2 += (double)q[2 * ld + i] * k;
                d3 += (double)q[3 * ld + i] * k;
              }
            zh[s] = (float)(1.0 / d0);
            zh[s + 1] = (float)(1.0 / d1);
            zh[s + 2] = (float)(1.0 / d2);
            zh[s + 3] = (float)(1.0 / d3);
          }
        for (; s < N; s++)
          {
            const float *q = q0 + s * ld;
            double den = 0;

            for (int i = 0; i < hd; i++)
              den += (double)q[i] * ks[i];
            zh[s] = (float)(1.0 / den);
          }
      }
  dm_engine_profile_end (engine, "linear attention loops", stamp);

  /* out = z (q' KV) */
  out_mm = get_matmul (engine, "out", B, N, D, H, VIEW_QK1, FALSE, VIEW_KV, FALSE, VIEW_OUT, error);
  if (!run_matmul (engine, out_mm, qk1, kv, out, error))
    return FALSE;
  stamp = dm_engine_profile_begin (engine);
  for (int b = 0; b < B; b++)
    for (int s = 0; s < N; s++)
      for (int h = 0; h < H; h++)
        {
          float zs = z[((gsize)b * H + h) * N + s];
          float *o = out + ((gsize)b * N + s) * D + (gsize)h * hd;

          for (int i = 0; i < hd; i++)
            o[i] *= zs;
        }
  dm_engine_profile_end (engine, "linear attention loops", stamp);
  return TRUE;
}

/* With u_s = q'_s KV, den_s = q'_s . ksum, z_s = 1/den_s, out_s = z_s u_s and
 * g_s = dout_s:
 *   du_s     = z_s g_s
 *   dz_s     = g_s . u_s = q'_s . w_s        where w_s = g_s KV^T
 *   dden_s   = -z_s^2 dz_s
 *   dq'_s    = z_s w_s + dden_s ksum
 *   dKV      = q'^T du
 *   dksum    = sum_s dden_s q'_s
 *   dk'_t    = dKV v_t + dksum,   dv_t = k'_t dKV
 * and dq = dq' elu'(q), elu'(x) = 1 for x > 0, else exp(x) = q'. Writing
 * dz_s through w_s means u never has to be saved or recomputed. dqkv is used
 * as the scratch of the steps: w goes into the dq slots, du into the dv slots
 * (consumed by dKV before dv overwrites it). */
gboolean
dm_linear_attention_backward (DmEngine *engine,
                              float *dqkv,
                              const float *dout,
                              const float *qkv,
                              const float *saved,
                              int B,
                              int N,
                              int D,
                              int H,
                              GError **error)
{
  SavedLayout l;
  int hd;
  const float *qk1, *kv, *ksum, *z;
  float *dkv, *dksum_f;
  double *dksum;
  DmPrimitive *mm;
  gint64 stamp;

  if (!check_shapes (B, N, D, H, error))
    return FALSE;
  hd = D / H;
  saved_layout (B, N, D, H, &l);
  qk1 = saved + l.qk1;
  kv = saved + l.kv;
  ksum = saved + l.ksum;
  z = saved + l.z;
  /* dksum (B, D) in double, then in float, then dKV (B, H, hd, hd) */
  dksum = dm_engine_get_workspace (engine, "linear-attention",
                                   (sizeof (double) + sizeof (float) * (hd + 1)) * B * D, error);
  if (dksum == NULL)
    return FALSE;
  dksum_f = (float *)(dksum + (gsize)B * D);
  dkv = dksum_f + (gsize)B * D;

  /* w = g KV^T, into the dq slots */
  mm = get_matmul (engine, "bw-w", B, N, D, H, VIEW_OUT, FALSE, VIEW_KV, TRUE, VIEW_QKV, error);
  if (!run_matmul (engine, mm, dout, kv, dqkv, error))
    return FALSE;

  stamp = dm_engine_profile_begin (engine);
  for (gsize i = 0; i < (gsize)B * D; i++)
    dksum[i] = 0;
  for (int b = 0; b < B; b++)
    for (int s = 0; s < N; s++)
      {
        gsize row = (gsize)b * N + s;
        const float *q = qkv + row * 3 * D;
        const float *q1 = qk1 + row * 2 * D;
        const float *g = dout + row * D;
        float *dq = dqkv + row * 3 * D; /* holds w on entry */
        float *du = dq + 2 * D;

        for (int h = 0; h < H; h++)
          {
            int o = h * hd;
            float zs = z[((gsize)b * H + h) * N + s], dz = 0, dden;
            const float *ks = ksum + (gsize)b * D + o;
            double *dks = dksum + (gsize)b * D + o;

            for (int i = 0; i < hd; i++)
              dz += q1[o + i] * dq[o + i];
            dden = -zs * zs * dz;
            /* branch-free: the signs of q are random, a branch mispredicts */
            for (int i = 0; i < hd; i++)
              {
                float slope = q[o + i] > 0 ? 1.0f : q1[o + i];

                dks[i] += dden * q1[o + i];
                dq[o + i] = (zs * dq[o + i] + dden * ks[i]) * slope;
                du[o + i] = zs * g[o + i];
              }
          }
      }
  for (gsize i = 0; i < (gsize)B * D; i++)
    dksum_f[i] = (float)dksum[i];
  dm_engine_profile_end (engine, "linear attention loops", stamp);

  /* dKV = q'^T du; dv = k' dKV (overwriting du); dk' = v dKV^T */
  mm = get_matmul (engine, "bw-dkv", B, N, D, H, VIEW_QK1, TRUE, VIEW_QKV, FALSE, VIEW_KV, error);
  if (!run_matmul (engine, mm, qk1, dqkv + 2 * D, dkv, error))
    return FALSE;
  mm = get_matmul (engine, "bw-dv", B, N, D, H, VIEW_QK1, FALSE, VIEW_KV, FALSE, VIEW_QKV, error);
  if (!run_matmul (engine, mm, qk1 + D, dkv, dqkv + 2 * D, error))
    return FALSE;
  mm = get_matmul (engine, "bw-dk", B, N, D, H, VIEW_QKV, FALSE, VIEW_KV, TRUE, VIEW_QKV, error);
  if (!run_matmul (engine, mm, qkv + 2 * D, dkv, dqkv + D, error))
    return FALSE;

  /* dk = (dk' + dksum) elu'(k) */
  stamp = dm_engine_profile_begin (engine);
  for (int b = 0; b < B; b++)
    for (int t = 0; t < N; t++)
      {
        gsize row = (gsize)b * N + t;
        const float *k = qkv + row * 3 * D + D;
        const float *k1 = qk1 + row * 2 * D + D;
        const float *dks = dksum_f + (gsize)b * D;
        float *dk = dqkv + row * 3 * D + D;

        for (int c = 0; c < D; c++)
          {
            float slope = k[c] > 0 ? 1.0f : k1[c];

            dk[c] = (dk[c] + dks[c]) * slope;
          }
      }
  dm_engine_profile_end (engine, "linear attention loops", stamp);
  return TRUE;
}
