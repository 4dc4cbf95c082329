/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The decoder's linear attention: batched strided oneDNN matmuls for the
 * (N x hd x hd) products; elu + 1, the sums and the normalisation in
 * passes of ours over the heads, on all cores. */
#include "dm-linear-attention.h"
#include "dm-arena.h"

#include "dm-error.h"
#include "dm-fastmath.h"
#include "dm-parallel.h"

#include <string.h>

/* Sections of `saved`, in floats. */
typedef struct
{
  gsize kv;   /* (B, H, hd, hd) */
  gsize ksum; /* (B, H, hd) = (B, D) */
  gsize z;    /* (B, H, N) */
  gsize total;
} SavedLayout;

static gboolean
check_shapes (int B, int N, int D, int H, GError **error)
{
  if (B <= 0 || N <= 0 || D <= 0 || H <= 0 || D % H != 0 || D / H > DM_LINEAR_ATTENTION_MAX_HD)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "linear attention: invalid shapes B = %d, N = %d, D = %d, H = %d "
                   "(all positive, D a multiple of H, heads at most %d wide)",
                   B, N, D, H, DM_LINEAR_ATTENTION_MAX_HD);
      return FALSE;
    }
  return TRUE;
}

static void
saved_layout (int B, int N, int D, int H, SavedLayout *l)
{
  gsize hd = D / H;

  l->kv = 0;
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

/* elu (x) + 1: x + 1 for x > 0, e^x otherwise (both computed, then one
 * chosen: no branch). Its derivative is 1 for x > 0, else e^x, the value
 * itself. */
static inline float
elu1 (float x)
{
  float e = dm_exp_neg (x);

  return x > 0.0f ? x + 1.0f : e;
}

/* The buffers of one call, shared by the per-head passes. */
typedef struct
{
  int B, N, D, H, hd;
  const float *qkv; /* (B, N, 3D) */
  float *qk1;       /* (B, N, 2D) [q' | k'] */
  float *ksum;      /* (B, D) */
  float *z;         /* (B, H, N) */
  float *zq;        /* (B, N, D) z q', what the output product reads */
  /* backward */
  const float *dout; /* (B, N, D) */
  float *dqkv;       /* (B, N, 3D) */
  double *dksum;     /* (B, D) */
  float *dksum_f;    /* (B, D) */
  double *bias;      /* (B, H, 3, hd) per-head column sums of dq, dk, dv */
} Heads;

/* The dot product of x and y (n floats) in double, in 8 independent sums
 * added in a fixed order (one sum in order would not vectorise). */
static inline double
dot_double (const float *restrict x, const float *restrict y, int n)
{
  double acc[8] = { 0 };
  int i = 0;

  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++)
      acc[l] += (double)x[i + l] * (double)y[i + l];
  for (; i < n; i++)
    acc[0] += (double)x[i] * (double)y[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* The same in float. */
static inline float
dot_float (const float *restrict x, const float *restrict y, int n)
{
  float acc[8] = { 0 };
  int i = 0;

  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++)
      acc[l] += x[i + l] * y[i + l];
  for (; i < n; i++)
    acc[0] += x[i] * y[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* Forward of head h of image b: q' and k' into qk1, ksum (in double: N
 * terms of one sign), z_s = 1 / (q'_s . ksum) (in double), and z q'. The
 * sums live in local arrays, so that the compiler sees they alias nothing
 * and vectorises. */
DM_VECTOR_CLONES static void
forward_head (const Heads *a, int b, int h)
{
  int N = a->N, D = a->D, hd = a->hd;
  gsize row0 = (gsize)b * N, o = (gsize)h * hd;
  double acc[DM_LINEAR_ATTENTION_MAX_HD];
  float ks[DM_LINEAR_ATTENTION_MAX_HD];
  float *z = a->z + ((gsize)b * a->H + h) * N;

  for (int i = 0; i < hd; i++)
    acc[i] = 0;
  for (int t = 0; t < N; t++)
    {
      const float *restrict k = a->qkv + (row0 + t) * 3 * D + D + o;
      float *restrict k1 = a->qk1 + (row0 + t) * 2 * D + D + o;

      for (int i = 0; i < hd; i++)
        {
          float v = elu1 (k[i]);

          k1[i] = v;
          acc[i] += v;
        }
    }
  for (int i = 0; i < hd; i++)
    ks[i] = (float)acc[i];
  memcpy (a->ksum + (gsize)b * D + o, ks, sizeof (float) * hd);
  for (int s = 0; s < N; s++)
    {
      const float *restrict q = a->qkv + (row0 + s) * 3 * D + o;
      float *restrict q1 = a->qk1 + (row0 + s) * 2 * D + o;
      float *restrict zq = a->zq + (row0 + s) * D + o;
      float zs;

      for (int i = 0; i < hd; i++)
        q1[i] = elu1 (q[i]);
      zs = (float)(1.0 / dot_double (q1, ks, hd));
      z[s] = zs;
      for (int i = 0; i < hd; i++)
        zq[i] = zs * q1[i];
    }
}

static void
forward_heads (gsize begin, gsize end, gpointer data)
{
  const Heads *a = data;

  for (gsize p = begin; p < end; p++)
    forward_head (a, (int)(p / a->H), (int)(p % a->H));
}

/* The per-head pass and, when out is not NULL, the output product; KV is
 * computed only when compute_kv (the forward; a recompute has it). */
static gboolean
forward_or_recompute (DmEngine *engine,
                      float *out,
                      float *saved,
                      float *qk1,
                      const float *qkv,
                      int B,
                      int N,
                      int D,
                      int H,
                      gboolean compute_kv,
                      GError **error)
{
  SavedLayout l;
  Heads a = { 0 };
  DmPrimitive *kv_mm, *out_mm;
  gint64 stamp;

  if (!check_shapes (B, N, D, H, error))
    return FALSE;
  saved_layout (B, N, D, H, &l);
  a.B = B;
  a.N = N;
  a.D = D;
  a.H = H;
  a.hd = D / H;
  a.qkv = qkv;
  a.qk1 = qk1;
  a.ksum = saved + l.ksum;
  a.z = saved + l.z;
  a.zq = dm_engine_get_workspace (engine, "linear-attention-zq", sizeof (float) * B * N * D, error);
  if (a.zq == NULL)
    return FALSE;

  stamp = dm_engine_profile_begin (engine);
  dm_parallel_for (engine, (gsize)B * H, 1, forward_heads, &a);
  dm_engine_profile_end (engine, "linear attention loops", stamp);

  /* KV = k'^T v, then out = (z q') KV */
  if (compute_kv)
    {
      kv_mm
        = get_matmul (engine, "kv", B, N, D, H, VIEW_QK1, TRUE, VIEW_QKV, FALSE, VIEW_KV, error);
      if (!run_matmul (engine, kv_mm, a.qk1 + D, qkv + 2 * D, saved + l.kv, error))
        return FALSE;
    }
  if (out == NULL)
    return TRUE;
  out_mm = get_matmul (engine, "out", B, N, D, H, VIEW_OUT, FALSE, VIEW_KV, FALSE, VIEW_OUT, error);
  return run_matmul (engine, out_mm, a.zq, saved + l.kv, out, error);
}

gboolean
dm_linear_attention_forward (DmEngine *engine,
                             float *out,
                             float *saved,
                             float *qk1,
                             const float *qkv,
                             int B,
                             int N,
                             int D,
                             int H,
                             GError **error)
{
  return forward_or_recompute (engine, out, saved, qk1, qkv, B, N, D, H, TRUE, error);
}

gboolean
dm_linear_attention_recompute (DmEngine *engine,
                               float *out,
                               float *saved,
                               float *qk1,
                               const float *qkv,
                               int B,
                               int N,
                               int D,
                               int H,
                               GError **error)
{
  return forward_or_recompute (engine, out, saved, qk1, qkv, B, N, D, H, FALSE, error);
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

/* dq, du and dksum of head h of image b (dq holds w on entry); the column
 * sums of dq for the bias. Sums in local arrays (see forward_head). */
DM_VECTOR_CLONES static void
backward_q_head (const Heads *a, int b, int h)
{
  int N = a->N, D = a->D, hd = a->hd;
  gsize row0 = (gsize)b * N, o = (gsize)h * hd;
  const float *z = a->z + ((gsize)b * a->H + h) * N;
  float ks[DM_LINEAR_ATTENTION_MAX_HD];
  double dks[DM_LINEAR_ATTENTION_MAX_HD], bias[DM_LINEAR_ATTENTION_MAX_HD];

  memcpy (ks, a->ksum + (gsize)b * D + o, sizeof (float) * hd);
  for (int i = 0; i < hd; i++)
    dks[i] = bias[i] = 0;
  for (int s = 0; s < N; s++)
    {
      gsize row = row0 + s;
      const float *restrict q = a->qkv + row * 3 * D + o;
      const float *restrict q1 = a->qk1 + row * 2 * D + o;
      const float *restrict g = a->dout + row * D + o;
      float *restrict dq = a->dqkv + row * 3 * D + o; /* holds w on entry */
      float *restrict du = a->dqkv + row * 3 * D + 2 * D + o;
      float zs = z[s], dden = -zs * zs * dot_float (q1, dq, hd);

      /* branch-free: the signs of q are random, a branch mispredicts */
      for (int i = 0; i < hd; i++)
        {
          float slope = q[i] > 0 ? 1.0f : q1[i];
          float d = (zs * dq[i] + dden * ks[i]) * slope;

          dks[i] += dden * q1[i];
          dq[i] = d;
          du[i] = zs * g[i];
          bias[i] += d;
        }
    }
  for (int i = 0; i < hd; i++)
    a->dksum_f[(gsize)b * D + o + i] = (float)dks[i];
  memcpy (a->bias + ((gsize)b * a->H + h) * 3 * hd, bias, sizeof (double) * hd);
}

static void
backward_q_heads (gsize begin, gsize end, gpointer data)
{
  const Heads *a = data;

  for (gsize p = begin; p < end; p++)
    backward_q_head (a, (int)(p / a->H), (int)(p % a->H));
}

/* dk = (dk' + dksum) elu'(k) of head h of image b, and the column sums of
 * dk and dv for the bias. */
DM_VECTOR_CLONES static void
backward_k_head (const Heads *a, int b, int h)
{
  int N = a->N, D = a->D, hd = a->hd;
  gsize row0 = (gsize)b * N, o = (gsize)h * hd;
  float dks[DM_LINEAR_ATTENTION_MAX_HD];
  double bias_k[DM_LINEAR_ATTENTION_MAX_HD], bias_v[DM_LINEAR_ATTENTION_MAX_HD];

  memcpy (dks, a->dksum_f + (gsize)b * D + o, sizeof (float) * hd);
  for (int i = 0; i < hd; i++)
    bias_k[i] = bias_v[i] = 0;
  for (int t = 0; t < N; t++)
    {
      gsize row = row0 + t;
      const float *restrict k = a->qkv + row * 3 * D + D + o;
      const float *restrict k1 = a->qk1 + row * 2 * D + D + o;
      float *restrict dk = a->dqkv + row * 3 * D + D + o;
      const float *restrict dv = a->dqkv + row * 3 * D + 2 * D + o;

      for (int i = 0; i < hd; i++)
        {
          float slope = k[i] > 0 ? 1.0f : k1[i];
          float d = (dk[i] + dks[i]) * slope;

          dk[i] = d;
          bias_k[i] += d;
          bias_v[i] += dv[i];
        }
    }
  memcpy (a->bias + ((gsize)b * a->H + h) * 3 * hd + hd, bias_k, sizeof (double) * hd);
  memcpy (a->bias + ((gsize)b * a->H + h) * 3 * hd + 2 * hd, bias_v, sizeof (double) * hd);
}

static void
backward_k_heads (gsize begin, gsize end, gpointer data)
{
  const Heads *a = data;

  for (gsize p = begin; p < end; p++)
    backward_k_head (a, (int)(p / a->H), (int)(p % a->H));
}

gboolean
dm_linear_attention_backward (DmEngine *engine,
                              float *dqkv,
                              float *dbias,
                              const float *dout,
                              const float *qkv,
                              const float *saved,
                              const float *qk1,
                              int B,
                              int N,
                              int D,
                              int H,
                              GError **error)
{
  SavedLayout l;
  Heads a = { 0 };
  const float *kv;
  float *dkv;
  DmPrimitive *mm;
  gint64 stamp;
  int hd;

  if (!check_shapes (B, N, D, H, error))
    return FALSE;
  hd = D / H;
  saved_layout (B, N, D, H, &l);
  a.B = B;
  a.N = N;
  a.D = D;
  a.H = H;
  a.hd = hd;
  a.qkv = qkv;
  a.qk1 = (float *)qk1;
  a.ksum = (float *)saved + l.ksum;
  a.z = (float *)saved + l.z;
  a.dout = dout;
  a.dqkv = dqkv;
  kv = saved + l.kv;
  /* dksum (B, D) and the bias sums (B, 3D) in double, dksum in float, dKV
   * (B, H, hd, hd) */
  a.dksum = dm_engine_get_workspace (
    engine, "linear-attention", (sizeof (double) * 4 + sizeof (float) * (hd + 1)) * B * D, error);
  if (a.dksum == NULL)
    return FALSE;
  a.bias = a.dksum + (gsize)B * D;
  a.dksum_f = (float *)(a.bias + (gsize)3 * B * D);
  dkv = a.dksum_f + (gsize)B * D;

  /* w = g KV^T, into the dq slots */
  mm = get_matmul (engine, "bw-w", B, N, D, H, VIEW_OUT, FALSE, VIEW_KV, TRUE, VIEW_QKV, error);
  if (!run_matmul (engine, mm, dout, kv, dqkv, error))
    return FALSE;

  stamp = dm_engine_profile_begin (engine);
  dm_parallel_for (engine, (gsize)B * H, 1, backward_q_heads, &a);
  dm_engine_profile_end (engine, "linear attention loops", stamp);

  /* dKV = q'^T du; dv = k' dKV (overwriting du); dk' = v dKV^T */
  mm = get_matmul (engine, "bw-dkv", B, N, D, H, VIEW_QK1, TRUE, VIEW_QKV, FALSE, VIEW_KV, error);
  if (!run_matmul (engine, mm, a.qk1, dqkv + 2 * D, dkv, error))
    return FALSE;
  mm = get_matmul (engine, "bw-dv", B, N, D, H, VIEW_QK1, FALSE, VIEW_KV, FALSE, VIEW_QKV, error);
  if (!run_matmul (engine, mm, a.qk1 + D, dkv, dqkv + 2 * D, error))
    return FALSE;
  mm = get_matmul (engine, "bw-dk", B, N, D, H, VIEW_QKV, FALSE, VIEW_KV, TRUE, VIEW_QKV, error);
  if (!run_matmul (engine, mm, qkv + 2 * D, dkv, dqkv + D, error))
    return FALSE;

  stamp = dm_engine_profile_begin (engine);
  dm_parallel_for (engine, (gsize)B * H, 1, backward_k_heads, &a);
  if (dbias != NULL)
    {
      /* the heads' sums over the images, in order */
      for (int h = 0; h < H; h++)
        for (int part = 0; part < 3; part++)
          for (int i = 0; i < hd; i++)
            {
              double sum = 0;

              for (int b = 0; b < B; b++)
                sum += a.bias[(((gsize)b * H + h) * 3 + part) * hd + i];
              dbias[(gsize)part * D + (gsize)h * hd + i] += (float)sum;
            }
    }
  dm_engine_profile_end (engine, "linear attention loops", stamp);
  return TRUE;
}
