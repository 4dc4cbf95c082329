/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Naive double-precision references of the attention and cosine ops. */
#include "dm-reference-attention.h"

#include <math.h>

#define COSINE_EPS 1e-8

/* Element (b, t, part, h, i) of qkv (B, N, 3D), part 0 = q, 1 = k, 2 = v. */
static inline gsize
qkv_index (int N, int D, int hd, int b, int t, int part, int h, int i)
{
  return ((gsize)b * N + t) * 3 * D + (gsize)part * D + (gsize)h * hd + i;
}

static inline gsize
out_index (int N, int D, int hd, int b, int t, int h, int i)
{
  return ((gsize)b * N + t) * D + (gsize)h * hd + i;
}

void
dm_reference_attention_forward (double *out, const double *qkv, int B, int N, int D, int H)
{
  int hd = D / H;
  double scale = 1.0 / sqrt ((double)hd);
  double *p = g_new (double, N);

  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++)
      for (int s = 0; s < N; s++)
        {
          double max = -INFINITY, sum = 0;

          for (int t = 0; t < N; t++)
            {
              double dot = 0;

              for (int i = 0; i < hd; i++)
                dot += qkv[qkv_index (N, D, hd, b, s, 0, h, i)]
                       * qkv[qkv_index (N, D, hd, b, t, 1, h, i)];
              p[t] = dot * scale;
              max = MAX (max, p[t]);
            }
          for (int t = 0; t < N; t++)
            {
              p[t] = exp (p[t] - max);
              sum += p[t];
            }
          for (int i = 0; i < hd; i++)
            {
              double acc = 0;

              for (int t = 0; t < N; t++)
                acc += p[t] * qkv[qkv_index (N, D, hd, b, t, 2, h, i)];
              out[out_index (N, D, hd, b, s, h, i)] = acc / sum;
            }
        }
  g_free (p);
}

static inline double
elu1 (double x)
{
  return x > 0 ? x + 1 : exp (x);
}

static inline double
elu1_grad (double x)
{
  return x > 0 ? 1 : exp (x);
}

/* The per-head quantities of one image: q', k' (N, hd), KV (hd, hd), ksum. */
typedef struct
{
  double *q1, *k1, *kv, *ksum;
} LinearHead;

static void
linear_head (LinearHead *w, const double *qkv, int N, int D, int hd, int b, int h)
{
  for (int t = 0; t < N; t++)
    for (int i = 0; i < hd; i++)
      {
        w->q1[t * hd + i] = elu1 (qkv[qkv_index (N, D, hd, b, t, 0, h, i)]);
        w->k1[t * hd + i] = elu1 (qkv[qkv_index (N, D, hd, b, t, 1, h, i)]);
      }
  for (int i = 0; i < hd; i++)
    {
      w->ksum[i] = 0;
      for (int t = 0; t < N; t++)
        w->ksum[i] += w->k1[t * hd + i];
      for (int j = 0; j < hd; j++)
        {
          double acc = 0;

          for (int t = 0; t < N; t++)
            acc += w->k1[t * hd + i] * qkv[qkv_index (N, D, hd, b, t, 2, h, j)];
          w->kv[i * hd + j] = acc;
        }
    }
}

static void
linear_head_init (LinearHead *w, int N, int hd)
{
  w->q1 = g_new (double, (gsize)N *hd);
  w->k1 = g_new (double, (gsize)N *hd);
  w->kv = g_new (double, (gsize)hd *hd);
  w->ksum = g_new (double, hd);
}

static void
linear_head_clear (LinearHead *w)
{
  g_free (w->q1);
  g_free (w->k1);
  g_free (w->kv);
  g_free (w->ksum);
}

void
dm_reference_linear_attention_forward (double *out, const double *qkv, int B, int N, int D, int H)
{
  int hd = D / H;
  LinearHead w;

  linear_head_init (&w, N, hd);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++)
      {
        linear_head (&w, qkv, N, D, hd, b, h);
        for (int s = 0; s < N; s++)
          {
            double den = 0;

            for (int i = 0; i < hd; i++)
              den += w.q1[s * hd + i] * w.ksum[i];
            for (int j = 0; j < hd; j++)
              {
                double u = 0;

                for (int i = 0; i < hd; i++)
                  u += w.q1[s * hd + i] * w.kv[i * hd + j];
                out[out_index (N, D, hd, b, s, h, j)] = u / den;
              }
          }
      }
  linear_head_clear (&w);
}

void
dm_reference_linear_attention_backward (
  double *dqkv, const double *dout, const double *qkv, int B, int N, int D, int H)
{
  int hd = D / H;
  LinearHead w;
  double *u = g_new (double, hd);
  double *dq1 = g_new (double, (gsize)N *hd);
  double *dk1 = g_new (double, (gsize)N *hd);
  double *dkv = g_new (double, (gsize)hd *hd);
  double *dksum = g_new (double, hd);

  linear_head_init (&w, N, hd);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++)
      {
        linear_head (&w, qkv, N, D, hd, b, h);
        for (int i = 0; i < hd * hd; i++)
          dkv[i] = 0;
        for (int i = 0; i < hd; i++)
          dksum[i] = 0;
        for (int s = 0; s < N; s++)
          {
            const double *g = dout + out_index (N, D, hd, b, s, h, 0);
            double den = 0, z, dz = 0, dden;

            for (int i = 0; i < hd; i++)
              den += w.q1[s * hd + i] * w.ksum[i];
            z = 1 / den;
            for (int j = 0; j < hd; j++)
              {
                u[j] = 0;
                for (int i = 0; i < hd; i++)
                  u[j] += w.q1[s * hd + i] * w.kv[i * hd + j];
                dz += g[j] * u[j]; /* out_j = z u_j */
              }
            dden = -dz / (den * den);
            for (int i = 0; i < hd; i++)
              {
                double acc = dden * w.ksum[i];

                for (int j = 0; j < hd; j++)
                  {
                    acc += z * g[j] * w.kv[i * hd + j]; /* du_j = z g_j */
                    dkv[i * hd + j] += w.q1[s * hd + i] * z * g[j];
                  }
                dq1[s * hd + i] = acc;
                dksum[i] += dden * w.q1[s * hd + i];
              }
          }
        for (int t = 0; t < N; t++)
          for (int i = 0; i < hd; i++)
            {
              double acc = dksum[i];

              for (int j = 0; j < hd; j++)
                acc += dkv[i * hd + j] * qkv[qkv_index (N, D, hd, b, t, 2, h, j)];
              dk1[t * hd + i] = acc;
            }
        for (int t = 0; t < N; t++)
          for (int i = 0; i < hd; i++)
            {
              double dv = 0;

              for (int j = 0; j < hd; j++)
                dv += w.k1[t * hd + j] * dkv[j * hd + i];
              dqkv[qkv_index (N, D, hd, b, t, 0, h, i)]
                = dq1[t * hd + i] * elu1_grad (qkv[qkv_index (N, D, hd, b, t, 0, h, i)]);
              dqkv[qkv_index (N, D, hd, b, t, 1, h, i)]
                = dk1[t * hd + i] * elu1_grad (qkv[qkv_index (N, D, hd, b, t, 1, h, i)]);
              dqkv[qkv_index (N, D, hd, b, t, 2, h, i)] = dv;
            }
      }
  linear_head_clear (&w);
  g_free (u);
  g_free (dq1);
  g_free (dk1);
  g_free (dkv);
  g_free (dksum);
}

/* Literally PyTorch 1.13's order of operations: squared norms clamped at
 * eps^2, square roots, each vector divided by its norm, then the dot product
 * of the normalised vectors (the engine divides the dot product instead). */
double
dm_reference_cosine (const double *x, const double *y, gsize n)
{
  double xx = 0, yy = 0, cos = 0, nx, ny;

  for (gsize i = 0; i < n; i++)
    {
      xx += x[i] * x[i];
      yy += y[i] * y[i];
    }
  nx = sqrt (MAX (xx, COSINE_EPS * COSINE_EPS));
  ny = sqrt (MAX (yy, COSINE_EPS * COSINE_EPS));
  for (gsize i = 0; i < n; i++)
    cos += (x[i] / nx) * (y[i] / ny);
  return cos;
}

void
dm_reference_cosine_distance_forward (
  double *dist, const double *a, const double *r, int B, int P, int D, gsize batch_stride)
{
  for (int b = 0; b < B; b++)
    for (int p = 0; p < P; p++)
      {
        gsize at = b * batch_stride + (gsize)p * D;

        dist[(gsize)b * P + p] = 1 - dm_reference_cosine (a + at, r + at, D);
      }
}

void
dm_reference_global_cosine_forward (
  double *loss, const double *a, const double *r, int B, int P, int D, gsize batch_stride)
{
  /* The patch rows of one image are contiguous: one flat vector of P*D. */
  for (int b = 0; b < B; b++)
    loss[b] = 1 - dm_reference_cosine (a + b * batch_stride, r + b * batch_stride, (gsize)P * D);
}
