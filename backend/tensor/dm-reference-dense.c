/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Naive references of the dense ops, for the tests only: plain loops,
 * every sum in double. */
#include "dm-reference-dense.h"

#include <math.h>

#include "dm-dropout.h"

double
dm_ref_gelu (double x)
{
  return 0.5 * x * (1.0 + erf (x * G_SQRT2 / 2.0));
}

double
dm_ref_gelu_grad (double x)
{
  return 0.5 * (1.0 + erf (x * G_SQRT2 / 2.0)) + x * exp (-0.5 * x * x) / sqrt (2.0 * G_PI);
}

double
dm_ref_elu1 (double x)
{
  return x > 0.0 ? x + 1.0 : exp (x);
}

double
dm_ref_elu1_grad (double x)
{
  return x > 0.0 ? 1.0 : exp (x);
}

void
dm_ref_linear_forward (float *out,
                       const float *inp,
                       const float *weight,
                       const float *bias,
                       int M,
                       int K,
                       int N,
                       DmActivation act)
{
  for (int m = 0; m < M; m++)
    for (int n = 0; n < N; n++)
      {
        double s = bias != NULL ? bias[n] : 0.0;

        for (int k = 0; k < K; k++)
          s += (double)inp[(gsize)m * K + k] * weight[(gsize)n * K + k];
        out[(gsize)m * N + n] = (float)(act == DM_ACT_GELU ? dm_ref_gelu (s) : s);
      }
}

void
dm_ref_linear_forward_f64 (double *out,
                           const double *inp,
                           const double *weight,
                           const double *bias,
                           int M,
                           int K,
                           int N,
                           DmActivation act)
{
  for (int m = 0; m < M; m++)
    for (int n = 0; n < N; n++)
      {
        double s = bias != NULL ? bias[n] : 0.0;

        for (int k = 0; k < K; k++)
          s += inp[(gsize)m * K + k] * weight[(gsize)n * K + k];
        out[(gsize)m * N + n] = act == DM_ACT_GELU ? dm_ref_gelu (s) : s;
      }
}

void
dm_ref_linear_backward (float *dinp,
                        float *dweight,
                        float *dbias,
                        const float *dout,
                        const float *inp,
                        const float *weight,
                        int M,
                        int K,
                        int N)
{
  if (dinp != NULL)
    for (int m = 0; m < M; m++)
      for (int k = 0; k < K; k++)
        {
          double s = 0.0;

          for (int n = 0; n < N; n++)
            s += (double)dout[(gsize)m * N + n] * weight[(gsize)n * K + k];
          dinp[(gsize)m * K + k] = (float)s;
        }
  if (dweight != NULL)
    for (int n = 0; n < N; n++)
      for (int k = 0; k < K; k++)
        {
          double s = 0.0;

          for (int m = 0; m < M; m++)
            s += (double)dout[(gsize)m * N + n] * inp[(gsize)m * K + k];
          dweight[(gsize)n * K + k] += (float)s;
        }
  if (dbias != NULL)
    for (int n = 0; n < N; n++)
      {
        double s = 0.0;

        for (int m = 0; m < M; m++)
          s += dout[(gsize)m * N + n];
        dbias[n] += (float)s;
      }
}

/* Mean and biased variance of one row, two passes in double. */
static void
row_stats (const float *x, int C, double *mean, double *var)
{
  double s = 0.0, v = 0.0;

  for (int c = 0; c < C; c++)
    s += x[c];
  s /= C;
  for (int c = 0; c < C; c++)
    v += (x[c] - s) * (x[c] - s);
  *mean = s;
  *var = v / C;
}

void
dm_ref_layernorm_forward (float *out,
                          float *mean,
                          float *var,
                          const float *inp,
                          const float *weight,
                          const float *bias,
                          int M,
                          int C,
                          float eps)
{
  for (int m = 0; m < M; m++)
    {
      const float *x = inp + (gsize)m * C;
      double mu, v, rstd;

      row_stats (x, C, &mu, &v);
      rstd = 1.0 / sqrt (v + eps);
      for (int c = 0; c < C; c++)
        out[(gsize)m * C + c] = (float)((x[c] - mu) * rstd * weight[c] + bias[c]);
      if (mean != NULL)
        mean[m] = (float)mu;
      if (var != NULL)
        var[m] = (float)v;
    }
}

void
dm_ref_layernorm_forward_f64 (double *out,
                              const double *inp,
                              const double *weight,
                              const double *bias,
                              int M,
                              int C,
                              double eps)
{
  for (int m = 0; m < M; m++)
    {
      const double *x = inp + (gsize)m * C;
      double mu = 0.0, v = 0.0, rstd;

      for (int c = 0; c < C; c++)
        mu += x[c];
      mu /= C;
      for (int c = 0; c < C; c++)
        v += (x[c] - mu) * (x[c] - mu);
      v /= C;
      rstd = 1.0 / sqrt (v + eps);
      for (int c = 0; c < C; c++)
        out[(gsize)m * C + c] = (x[c] - mu) * rstd * weight[c] + bias[c];
    }
}

void
dm_ref_layernorm_backward (float *dinp,
                           float *dweight,
                           float *dbias,
                           const float *dout,
                           const float *inp,
                           const float *weight,
                           int M,
                           int C,
                           float eps)
{
  for (int m = 0; m < M; m++)
    {
      const float *x = inp + (gsize)m * C;
      const float *g = dout + (gsize)m * C;
      double mu, v, rstd, mean_g = 0.0, mean_gx = 0.0;

      row_stats (x, C, &mu, &v);
      rstd = 1.0 / sqrt (v + eps);
      for (int c = 0; c < C; c++)
        {
          double xhat = (x[c] - mu) * rstd;
          double gw = (double)g[c] * weight[c];

          mean_g += gw;
          mean_gx += gw * xhat;
          if (dweight != NULL)
            dweight[c] += (float)(g[c] * xhat);
          if (dbias != NULL)
            dbias[c] += g[c];
        }
      mean_g /= C;
      mean_gx /= C;
      if (dinp != NULL)
        for (int c = 0; c < C; c++)
          {
            double xhat = (x[c] - mu) * rstd;

            dinp[(gsize)m * C + c]
              = (float)(rstd * ((double)g[c] * weight[c] - mean_g - xhat * mean_gx));
          }
    }
}

void
dm_ref_gelu_forward (float *out, const float *inp, gsize n)
{
  for (gsize i = 0; i < n; i++)
    out[i] = (float)dm_ref_gelu (inp[i]);
}

void
dm_ref_gelu_backward (float *dinp, const float *dout, const float *inp, gsize n)
{
  for (gsize i = 0; i < n; i++)
    dinp[i] = (float)(dout[i] * dm_ref_gelu_grad (inp[i]));
}

void
dm_ref_elu1_forward (float *out, const float *inp, gsize n)
{
  for (gsize i = 0; i < n; i++)
    out[i] = (float)dm_ref_elu1 (inp[i]);
}

void
dm_ref_elu1_backward (float *dinp, const float *dout, const float *inp, gsize n)
{
  for (gsize i = 0; i < n; i++)
    dinp[i] = (float)(dout[i] * dm_ref_elu1_grad (inp[i]));
}

void
dm_ref_layerscale_forward (float *out, const float *inp, const float *gamma, int M, int C)
{
  for (int m = 0; m < M; m++)
    for (int c = 0; c < C; c++)
      out[(gsize)m * C + c] = inp[(gsize)m * C + c] * gamma[c];
}

void
dm_ref_layerscale_backward (
  float *dinp, float *dgamma, const float *dout, const float *inp, const float *gamma, int M, int C)
{
  for (int c = 0; c < C; c++)
    {
      double s = 0.0;

      for (int m = 0; m < M; m++)
        {
          gsize i = (gsize)m * C + c;

          s += (double)dout[i] * inp[i];
          if (dinp != NULL)
            dinp[i] = dout[i] * gamma[c];
        }
      if (dgamma != NULL)
        dgamma[c] += (float)s;
    }
}

void
dm_ref_dropout_forward (
  float *out, const float *inp, gsize n, float p, guint64 seed, guint64 offset)
{
  float scale = p < 1.0f ? (float)(1.0 / (1.0 - (double)p)) : 0.0f;

  for (gsize i = 0; i < n; i++)
    out[i] = dm_dropout_is_kept (seed, offset + i, p) ? inp[i] * scale : 0.0f;
}
