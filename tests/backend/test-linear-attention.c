/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the decoder's linear attention: forward and backward against the
 * naive double reference, backward against central finite differences of the
 * double forward, primitive reuse. */
#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-linear-attention.h"
#include "dm-reference-attention.h"
#include "dm-test-util.h"

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

/* q and k in [-2, 2] (both branches of elu), v in [-1, 1]. */
static void
fill_qkv (float *qkv, int B, int N, int D, guint64 seed)
{
  dm_test_fill_uniform (qkv, (gsize)B * N * 3 * D, -1, 1, seed);
  for (gsize row = 0; row < (gsize)B * N; row++)
    for (int c = 0; c < 2 * D; c++)
      qkv[row * 3 * D + c] *= 2;
}

/* Forward and backward of the op against the reference on one shape. */
static void
check_shape (DmEngine *engine, int B, int N, int D, int H, guint64 seed)
{
  g_autoptr (GError) error = NULL;
  gsize n_qkv = (gsize)B * N * 3 * D, n_out = (gsize)B * N * D;
  gsize n_saved = dm_linear_attention_saved_size (B, N, D, H);
  g_autofree float *qkv = g_new (float, n_qkv);
  g_autofree float *out = g_new (float, n_out);
  g_autofree float *saved = g_new (float, n_saved);
  g_autofree float *qk1 = g_new (float, (gsize)2 * B * N * D);
  g_autofree float *dout = g_new (float, n_out);
  g_autofree float *dqkv = g_new (float, n_qkv);
  g_autofree double *qkv_d = NULL, *dout_d = NULL;
  g_autofree double *out_ref_d = g_new (double, n_out);
  g_autofree double *dqkv_ref_d = g_new (double, n_qkv);
  g_autofree float *out_ref = NULL, *dqkv_ref = NULL;
  g_autofree float *dbias = g_new (float, 3 * D), *dbias_ref = g_new (float, 3 * D);

  g_assert_cmpuint (n_saved, >, 0);
  fill_qkv (qkv, B, N, D, seed);
  dm_test_fill_uniform (dout, n_out, -1, 1, seed + 1000);
  qkv_d = to_double (qkv, n_qkv);
  dout_d = to_double (dout, n_out);

  g_assert_true (dm_linear_attention_forward (engine, out, saved, qk1, qkv, B, N, D, H, &error));
  g_assert_no_error (error);
  dm_reference_linear_attention_forward (out_ref_d, qkv_d, B, N, D, H);
  out_ref = to_float (out_ref_d, n_out);
  dm_test_assert_close (out, out_ref, n_out, 1e-5, "linear attention forward");

  /* garbage in dqkv: everything must be written; dbias accumulates */
  memset (dqkv, 0x7f, n_qkv * sizeof (float));
  for (int c = 0; c < 3 * D; c++)
    dbias[c] = 0.5f;
  g_assert_true (
    dm_linear_attention_backward (engine, dqkv, dbias, dout, qkv, saved, qk1, B, N, D, H, &error));
  g_assert_no_error (error);
  dm_reference_linear_attention_backward (dqkv_ref_d, dout_d, qkv_d, B, N, D, H);
  dqkv_ref = to_float (dqkv_ref_d, n_qkv);
  dm_test_assert_close (dqkv, dqkv_ref, n_qkv, 1e-5, "linear attention backward vs naive");
  /* the bias gradient: 0.5 + the column sums of the naive dqkv */
  for (int c = 0; c < 3 * D; c++)
    {
      double sum = 0.5;

      for (gsize row = 0; row < (gsize)B * N; row++)
        sum += dqkv_ref_d[row * 3 * D + c];
      dbias_ref[c] = (float)sum;
    }
  dm_test_assert_close (dbias, dbias_ref, 3 * D, 1e-5, "linear attention bias gradient");
}

static void
test_linear_attention_shapes (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (0, &error);
  static const int shapes[][4] = {
    /* B, N, D, H */
    { 1, 1, 64, 1 },    { 1, 7, 64, 1 },  { 2, 7, 128, 2 },
    { 3, 7, 384, 6 },   { 2, 1, 384, 6 }, { 1, 13, 48, 3 }, /* hd = 16 */
    { 2, 5, 40, 4 },                                        /* hd = 10 */
    { 2, 197, 128, 2 },
  };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    check_shape (engine, shapes[i][0], shapes[i][1], shapes[i][2], shapes[i][3], 20 + i);
}

/* L(qkv) = sum out . G in double through the reference forward. */
static double
loss_d (const double *qkv, const double *G, double *out, int B, int N, int D, int H)
{
  double l = 0;

  dm_reference_linear_attention_forward (out, qkv, B, N, D, H);
  for (gsize i = 0; i < (gsize)B * N * D; i++)
    l += out[i] * G[i];
  return l;
}

/* Central differences of L in double against the op's backward (float) and
 * the reference backward (double). */
static void
check_finite_differences (DmEngine *engine, int B, int N, int D, int H, guint64 seed)
{
  g_autoptr (GError) error = NULL;
  gsize n_qkv = (gsize)B * N * 3 * D, n_out = (gsize)B * N * D;
  g_autofree float *qkv = g_new (float, n_qkv);
  g_autofree float *out = g_new (float, n_out);
  g_autofree float *saved = g_new (float, dm_linear_attention_saved_size (B, N, D, H));
  g_autofree float *qk1 = g_new (float, (gsize)2 * B * N * D);
  g_autofree float *G = g_new (float, n_out);
  g_autofree float *dqkv = g_new (float, n_qkv);
  g_autofree double *qkv_d = NULL, *G_d = NULL;
  g_autofree double *out_d = g_new (double, n_out);
  g_autofree double *fd_d = g_new (double, n_qkv);
  g_autofree double *ref_d = g_new (double, n_qkv);
  g_autofree float *fd = NULL, *ref = NULL;
  const double h = 1e-5;

  fill_qkv (qkv, B, N, D, seed);
  dm_test_fill_uniform (G, n_out, -1, 1, seed + 1);
  qkv_d = to_double (qkv, n_qkv);
  G_d = to_double (G, n_out);
  for (gsize i = 0; i < n_qkv; i++)
    {
      double x = qkv_d[i], lp, lm;

      qkv_d[i] = x + h;
      lp = loss_d (qkv_d, G_d, out_d, B, N, D, H);
      qkv_d[i] = x - h;
      lm = loss_d (qkv_d, G_d, out_d, B, N, D, H);
      qkv_d[i] = x;
      fd_d[i] = (lp - lm) / (2 * h);
    }
  fd = to_float (fd_d, n_qkv);

  g_assert_true (dm_linear_attention_forward (engine, out, saved, qk1, qkv, B, N, D, H, &error));
  g_assert_true (
    dm_linear_attention_backward (engine, dqkv, NULL, G, qkv, saved, qk1, B, N, D, H, &error));
  g_assert_no_error (error);
  dm_test_assert_close (dqkv, fd, n_qkv, 1e-5, "linear attention backward vs FD");

  dm_reference_linear_attention_backward (ref_d, G_d, qkv_d, B, N, D, H);
  ref = to_float (ref_d, n_qkv);
  dm_test_assert_close (ref, fd, n_qkv, 1e-7, "linear attention naive backward vs FD");
}

static void
test_linear_attention_finite_differences (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (0, &error);

  g_assert_no_error (error);
  check_finite_differences (engine, 1, 1, 8, 1, 1);
  check_finite_differences (engine, 2, 5, 8, 2, 2);
  check_finite_differences (engine, 1, 7, 24, 3, 3);
  check_finite_differences (engine, 2, 3, 64, 1, 4);
}

static void
test_linear_attention_reuse (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (0, &error);
  int B = 2, N = 9, D = 128, H = 2;
  gsize n_qkv = (gsize)B * N * 3 * D, n_out = (gsize)B * N * D;
  g_autofree float *qkv = g_new (float, n_qkv);
  g_autofree float *dout = g_new (float, n_out);
  g_autofree float *out1 = g_new (float, n_out), *out2 = g_new (float, n_out);
  g_autofree float *d1 = g_new (float, n_qkv), *d2 = g_new (float, n_qkv);
  g_autofree float *saved = g_new (float, dm_linear_attention_saved_size (B, N, D, H));
  g_autofree float *qk1 = g_new (float, (gsize)2 * B * N * D);
  g_autofree float *qk1_again = g_new (float, (gsize)2 * B * N * D);
  guint n_prims;

  g_assert_no_error (error);
  fill_qkv (qkv, B, N, D, 9);
  dm_test_fill_uniform (dout, n_out, -1, 1, 10);
  g_assert_true (dm_linear_attention_forward (engine, out1, saved, qk1, qkv, B, N, D, H, &error));
  g_assert_true (
    dm_linear_attention_backward (engine, d1, NULL, dout, qkv, saved, qk1, B, N, D, H, &error));
  n_prims = dm_engine_get_n_primitives (engine);
  g_assert_cmpuint (n_prims, ==, 6); /* 6 batched matmuls */
  g_assert_true (dm_linear_attention_forward (engine, out2, saved, qk1, qkv, B, N, D, H, &error));
  g_assert_true (
    dm_linear_attention_backward (engine, d2, NULL, dout, qkv, saved, qk1, B, N, D, H, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (dm_engine_get_n_primitives (engine), ==, n_prims);
  g_assert_cmpmem (out1, n_out * sizeof (float), out2, n_out * sizeof (float));
  g_assert_cmpmem (d1, n_qkv * sizeof (float), d2, n_qkv * sizeof (float));
  /* recomputed: q', k' and the output bit for bit */
  memset (out2, 0, n_out * sizeof (float));
  g_assert_true (
    dm_linear_attention_recompute (engine, out2, saved, qk1_again, qkv, B, N, D, H, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out1, n_out * sizeof (float), out2, n_out * sizeof (float));
  g_assert_cmpmem (qk1, (gsize)2 * B * N * D * sizeof (float), qk1_again,
                   (gsize)2 * B * N * D * sizeof (float));
}

static void
test_linear_attention_bad_shapes (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (0, &error);
  float dummy[4] = { 0 };

  g_assert_no_error (error);
  g_assert_cmpuint (dm_linear_attention_saved_size (1, 0, 64, 1), ==, 0);
  g_assert_false (
    dm_linear_attention_forward (engine, dummy, dummy, dummy, dummy, 1, 4, 10, 3, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (dm_linear_attention_backward (engine, dummy, NULL, dummy, dummy, dummy, dummy, 1,
                                                4, 10, 3, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "linear attention"));
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/linear-attention/shapes", test_linear_attention_shapes);
  g_test_add_func ("/linear-attention/finite-differences",
                   test_linear_attention_finite_differences);
  g_test_add_func ("/linear-attention/reuse", test_linear_attention_reuse);
  g_test_add_func ("/linear-attention/bad-shapes", test_linear_attention_bad_shapes);
  status = g_test_run ();
  dm_test_print_error_summary ();
  return status;
}
