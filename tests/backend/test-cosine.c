/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the per-token and per-image cosine distances: forward against the
 * naive double reference on strided token-major features, backward against
 * central finite differences, the eps corner and the untouched rows. */
#include <math.h>
#include <string.h>

#include "dm-cosine.h"
#include "dm-reference-attention.h"
#include "dm-test-util.h"

#define N_PREFIX 5 /* cls + 4 registers before the patch tokens */

static double *
to_double (const float *x, gsize n)
{
  double *y = g_new (double, n);

  for (gsize i = 0; i < n; i++)
    y[i] = x[i];
  return y;
}

static float *
to_float (const double *x, gsize n)
{
  float *y = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    y[i] = (float)x[i];
  return y;
}

/* Features (B, N, D) with N = 5 + P; r close to a (as a decoder's
 * reconstruction is) so distances are small and cancellation shows. */
static void
make_features (float *a, float *r, int B, int P, int D, float noise, guint64 seed)
{
  gsize n = (gsize)B * (N_PREFIX + P) * D;

  dm_test_fill_uniform (a, n, -1, 1, seed);
  dm_test_fill_uniform (r, n, -noise, noise, seed + 1);
  for (gsize i = 0; i < n; i++)
    r[i] += a[i];
}

static void
check_forward (int B, int P, int D, float noise, guint64 seed)
{
  gsize stride = (gsize)(N_PREFIX + P) * D, n = B * stride;
  g_autofree float *a = g_new (float, n), *r = g_new (float, n);
  g_autofree float *dist = g_new (float, (gsize)B *P), *loss = g_new (float, B);
  g_autofree double *a_d = NULL, *r_d = NULL;
  g_autofree double *dist_d = g_new (double, (gsize)B *P), *loss_d = g_new (double, B);
  g_autofree float *dist_ref = NULL, *loss_ref = NULL;

  make_features (a, r, B, P, D, noise, seed);
  a_d = to_double (a, n);
  r_d = to_double (r, n);
  dm_cosine_distance_forward (dist, a + N_PREFIX * D, r + N_PREFIX * D, B, P, D, stride);
  dm_reference_cosine_distance_forward (dist_d, a_d + N_PREFIX * D, r_d + N_PREFIX * D, B, P, D,
                                        stride);
  dist_ref = to_float (dist_d, (gsize)B * P);
  dm_test_assert_close (dist, dist_ref, (gsize)B * P, 1e-5, "cosine distance forward");

  dm_global_cosine_forward (loss, a + N_PREFIX * D, r + N_PREFIX * D, B, P, D, stride);
  dm_reference_global_cosine_forward (loss_d, a_d + N_PREFIX * D, r_d + N_PREFIX * D, B, P, D,
                                      stride);
  loss_ref = to_float (loss_d, B);
  dm_test_assert_close (loss, loss_ref, B, 1e-5, "global cosine forward");
}

static void
test_cosine_forward (void)
{
  static const int shapes[][3] = {
    /* B, P, D */
    { 1, 1, 64 }, { 1, 7, 128 }, { 3, 7, 384 }, { 2, 256, 384 }, { 2, 784, 768 }, { 1, 3, 5 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      check_forward (shapes[i][0], shapes[i][1], shapes[i][2], 1.0f, 30 + i);
      check_forward (shapes[i][0], shapes[i][1], shapes[i][2], 0.01f, 40 + i);
    }
}

/* Central differences in double of L = sum w . f(a, r) through the reference
 * forward, against the backward, for f the per-token distance (global =
 * FALSE) or the global loss. */
static void
check_backward (gboolean global, int B, int P, int D, guint64 seed)
{
  gsize stride = (gsize)(N_PREFIX + P) * D, n = B * stride;
  gsize n_f = global ? (gsize)B : (gsize)B * P;
  gsize first = N_PREFIX * D;
  g_autofree float *a = g_new (float, n), *r = g_new (float, n);
  g_autofree float *w = g_new (float, n_f);
  g_autofree float *da = g_new (float, n), *dr = g_new (float, n), *dr2 = g_new (float, n);
  g_autofree double *a_d = NULL, *r_d = NULL, *w_d = NULL;
  g_autofree double *f = g_new (double, n_f);
  g_autofree double *fd_a = g_new0 (double, n), *fd_r = g_new0 (double, n);
  g_autofree float *fd_af = NULL, *fd_rf = NULL;
  const double h = 1e-6;
  const char *what_a
    = global ? "global cosine backward da vs FD" : "cosine distance backward da vs FD";
  const char *what_r
    = global ? "global cosine backward dr vs FD" : "cosine distance backward dr vs FD";

  make_features (a, r, B, P, D, 0.5f, seed);
  dm_test_fill_uniform (w, n_f, -1, 1, seed + 2);
  a_d = to_double (a, n);
  r_d = to_double (r, n);
  w_d = to_double (w, n_f);

  for (int which = 0; which < 2; which++)
    {
      double *x = which == 0 ? a_d : r_d;
      double *fd = which == 0 ? fd_a : fd_r;

      for (int b = 0; b < B; b++)
        for (gsize i = 0; i < (gsize)P * D; i++)
          {
            gsize at = b * stride + first + i;
            double x0 = x[at], lp = 0, lm = 0;

            for (int sign = 0; sign < 2; sign++)
              {
                double l = 0;

                x[at] = x0 + (sign == 0 ? h : -h);
                if (global)
                  dm_reference_global_cosine_forward (f, a_d + first, r_d + first, B, P, D, stride);
                else
                  dm_reference_cosine_distance_forward (f, a_d + first, r_d + first, B, P, D,
                                                        stride);
                for (gsize k = 0; k < n_f; k++)
                  l += w_d[k] * f[k];
                if (sign == 0)
                  lp = l;
                else
                  lm = l;
              }
            x[at] = x0;
            fd[at] = (lp - lm) / (2 * h);
          }
    }
  fd_af = to_float (fd_a, n);
  fd_rf = to_float (fd_r, n);

  /* sentinels in the cls/register rows: they must stay untouched */
  for (gsize i = 0; i < n; i++)
    da[i] = dr[i] = dr2[i] = 0;
  for (int b = 0; b < B; b++)
    for (gsize i = 0; i < first; i++)
      da[b * stride + i] = dr[b * stride + i] = dr2[b * stride + i] = 12345.0f;
  if (global)
    {
      dm_global_cosine_backward (da + first, dr + first, w, a + first, r + first, B, P, D, stride);
      dm_global_cosine_backward (NULL, dr2 + first, w, a + first, r + first, B, P, D, stride);
    }
  else
    {
      dm_cosine_distance_backward (da + first, dr + first, w, a + first, r + first, B, P, D,
                                   stride);
      dm_cosine_distance_backward (NULL, dr2 + first, w, a + first, r + first, B, P, D, stride);
    }
  for (int b = 0; b < B; b++)
    for (gsize i = 0; i < first; i++)
      {
        g_assert_cmpfloat (da[b * stride + i], ==, 12345.0f);
        g_assert_cmpfloat (dr[b * stride + i], ==, 12345.0f);
        da[b * stride + i] = dr[b * stride + i] = dr2[b * stride + i] = 0;
      }
  dm_test_assert_close (da, fd_af, n, 1e-5, what_a);
  dm_test_assert_close (dr, fd_rf, n, 1e-5, what_r);
  g_assert_cmpmem (dr, n * sizeof (float), dr2, n * sizeof (float));
}

static void
test_cosine_backward (void)
{
  check_backward (FALSE, 1, 1, 5, 1);
  check_backward (FALSE, 2, 3, 16, 2);
  check_backward (FALSE, 2, 4, 64, 3);
  check_backward (TRUE, 1, 1, 5, 4);
  check_backward (TRUE, 2, 3, 16, 5);
  check_backward (TRUE, 2, 4, 64, 6);
}

/* A zero vector: PyTorch clamps its norm at eps, so cos = 0, dist = 1, and
 * the gradient into the other vector is 0 (no NaN). Identical vectors: dist
 * 0 to rounding, never far below. */
static void
test_cosine_corners (void)
{
  int B = 1, P = 2, D = 8;
  gsize stride = (gsize)(N_PREFIX + P) * D, n = B * stride, first = N_PREFIX * D;
  g_autofree float *a = g_new0 (float, n), *r = g_new0 (float, n), *dr = g_new0 (float, n);
  float dist[2], loss, ones[2] = { 1, 1 };

  dm_test_fill_uniform (r, n, -1, 1, 8);
  memcpy (a + first + D, r + first + D, D * sizeof (float)); /* point 1: a == r */
  dm_cosine_distance_forward (dist, a + first, r + first, B, P, D, stride);
  g_assert_cmpfloat_with_epsilon (dist[0], 1.0, 1e-7);
  g_assert_cmpfloat_with_epsilon (dist[1], 0.0, 1e-7);
  dm_cosine_distance_backward (NULL, dr + first, ones, a + first, r + first, B, P, D, stride);
  for (int i = 0; i < D; i++)
    {
      g_assert_cmpfloat (dr[first + i], ==, 0.0f);
      g_assert_true (isfinite (dr[first + D + i]));
    }
  for (gsize i = 0; i < n; i++)
    a[i] = 0;
  dm_global_cosine_forward (&loss, a + first, r + first, B, P, D, stride);
  g_assert_cmpfloat (loss, ==, 1.0f);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cosine/forward", test_cosine_forward);
  g_test_add_func ("/cosine/backward", test_cosine_backward);
  g_test_add_func ("/cosine/corners", test_cosine_corners);
  status = g_test_run ();
  dm_test_print_error_summary ();
  return status;
}
