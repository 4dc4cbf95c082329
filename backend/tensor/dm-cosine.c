/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Per-token and per-image cosine distances, forward and backward. */
#include "dm-cosine.h"

#include <math.h>

#define DM_COSINE_EPS 1e-8

/* The sums of one pair of vectors, and what the backward needs of them. */
typedef struct
{
  double nx, ny; /* norms, clamped at eps */
  double cos;
} CosineSums;

static void
cosine_sums (CosineSums *s, const float *x, const float *y, gsize n)
{
  double xy = 0, xx = 0, yy = 0;

  for (gsize i = 0; i < n; i++)
    {
      double xi = x[i], yi = y[i];

      xy += xi * yi;
      xx += xi * xi;
      yy += yi * yi;
    }
  s->nx = MAX (sqrt (xx), DM_COSINE_EPS);
  s->ny = MAX (sqrt (yy), DM_COSINE_EPS);
  s->cos = xy / (s->nx * s->ny);
}

/* d(1 - cos)/dy = -(x / (nx ny) - cos y / ny^2), times the upstream
 * gradient; the same with x and y swapped for dx. */
static void
cosine_backward (
  float *dx, float *dy, double grad, const CosineSums *s, const float *x, const float *y, gsize n)
{
  double inv = 1.0 / (s->nx * s->ny);
  double cy = s->cos / (s->ny * s->ny), cx = s->cos / (s->nx * s->nx);

  for (gsize i = 0; i < n; i++)
    dy[i] = (float)(-grad * (x[i] * inv - y[i] * cy));
  if (dx != NULL)
    for (gsize i = 0; i < n; i++)
      dx[i] = (float)(-grad * (y[i] * inv - x[i] * cx));
}

void
dm_cosine_distance_forward (
  float *dist, const float *a, const float *r, int B, int P, int D, gsize batch_stride)
{
  for (int b = 0; b < B; b++)
    for (int p = 0; p < P; p++)
      {
        gsize at = b * batch_stride + (gsize)p * D;
        CosineSums s;

        cosine_sums (&s, a + at, r + at, D);
        dist[(gsize)b * P + p] = (float)(1 - s.cos);
      }
}

void
dm_cosine_distance_backward (float *da,
                             float *dr,
                             const float *ddist,
                             const float *a,
                             const float *r,
                             int B,
                             int P,
                             int D,
                             gsize batch_stride)
{
  for (int b = 0; b < B; b++)
    for (int p = 0; p < P; p++)
      {
        gsize at = b * batch_stride + (gsize)p * D;
        CosineSums s;

        cosine_sums (&s, a + at, r + at, D);
        cosine_backward (da != NULL ? da + at : NULL, dr + at, ddist[(gsize)b * P + p], &s, a + at,
                         r + at, D);
      }
}

void
dm_global_cosine_forward (
  float *loss, const float *a, const float *r, int B, int P, int D, gsize batch_stride)
{
  /* The P patch rows of an image are consecutive: one flat vector. */
  for (int b = 0; b < B; b++)
    {
      CosineSums s;

      cosine_sums (&s, a + b * batch_stride, r + b * batch_stride, (gsize)P * D);
      loss[b] = (float)(1 - s.cos);
    }
}

void
dm_global_cosine_backward (float *da,
                           float *dr,
                           const float *dloss,
                           const float *a,
                           const float *r,
                           int B,
                           int P,
                           int D,
                           gsize batch_stride)
{
  for (int b = 0; b < B; b++)
    {
      gsize at = b * batch_stride;
      CosineSums s;

      cosine_sums (&s, a + at, r + at, (gsize)P * D);
      cosine_backward (da != NULL ? da + at : NULL, dr + at, dloss[b], &s, a + at, r + at,
                       (gsize)P * D);
    }
}
