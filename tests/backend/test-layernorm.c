/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of dm_layernorm_forward/backward with the encoder's eps (1e-6) and
 * the decoder's (1e-8): against the naive reference, the gradients against
 * central finite differences in double, in-place use, primitive reuse and
 * gradient accumulation. */
#include <string.h>

#include "dm-error.h"
#include "dm-layernorm.h"
#include "dm-reference-dense.h"
#include "dm-test-fd.h"
#include "dm-test-util.h"

typedef struct
{
  int M, C;
} Shape;

static const Shape shapes[] = {
  { 1, 1 }, { 1, 7 }, { 5, 33 }, { 17, 384 }, { 261, 128 }, { 64, 768 },
};
static const float epsilons[] = { 1e-6f, 1e-8f };

static DmEngine *
new_engine (void)
{
  g_autoptr (GError) error = NULL;
  DmEngine *engine = dm_engine_new (0, &error);

  g_assert_no_error (error);
  return engine;
}

/* Rows with an offset and a spread that vary from row to row; every fourth
 * row is tiny and centred (spread 1e-4, variance ~3e-9) so that eps
 * matters. (A tiny spread around a large offset is ill-conditioned in
 * float: the mean's rounding alone moves the output by ~1e-3.) */
static float *
random_rows (int M, int C, guint64 seed)
{
  float *x = g_new (float, (gsize)M *C);

  dm_test_fill_uniform (x, (gsize)M * C, -1, 1, seed);
  for (int m = 0; m < M; m++)
    {
      float scale = m % 4 == 3 ? 1e-4f : 0.5f + (m % 5);
      float shift = m % 4 == 3 ? 0.0f : (float)(m % 3) - 1.0f;

      for (int c = 0; c < C; c++)
        x[(gsize)m * C + c] = x[(gsize)m * C + c] * scale + shift;
    }
  return x;
}

static float *
random_floats (gsize n, float lo, float hi, guint64 seed)
{
  float *x = g_new (float, n);

  dm_test_fill_uniform (x, n, lo, hi, seed);
  return x;
}

static void
test_forward (void)
{
  g_autoptr (DmEngine) engine = new_engine ();

  for (guint e = 0; e < G_N_ELEMENTS (epsilons); e++)
    for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
      {
        int M = shapes[s].M, C = shapes[s].C;
        float eps = epsilons[e];
        gsize n = (gsize)M * C;
        g_autoptr (GError) error = NULL;
        g_autofree float *inp = random_rows (M, C, 10 + s);
        g_autofree float *weight = random_floats (C, 0.5, 1.5, 20 + s);
        g_autofree float *bias = random_floats (C, -0.5, 0.5, 30 + s);
        g_autofree float *out = g_new (float, n);
        g_autofree float *out2 = g_new (float, n);
        g_autofree float *ref = g_new (float, n);
        g_autofree float *mean = g_new (float, M);
        g_autofree float *var = g_new (float, M);
        g_autofree float *mean_ref = g_new (float, M);
        g_autofree float *var_ref = g_new (float, M);
        const char *what = e == 0 ? "layernorm forward eps 1e-6" : "layernorm forward eps 1e-8";

        g_assert_true (
          dm_layernorm_forward (engine, out, mean, var, inp, weight, bias, M, C, eps, &error));
        g_assert_no_error (error);
        dm_ref_layernorm_forward (ref, mean_ref, var_ref, inp, weight, bias, M, C, eps);
        dm_test_assert_close (out, ref, n, 1e-5, what);
        dm_test_assert_close (mean, mean_ref, M, 1e-5, "layernorm forward mean");
        /* var over rows of very different spreads: compare each to itself. */
        for (int m = 0; m < M; m++)
          dm_test_assert_close (var + m, var_ref + m, 1, 1e-5, "layernorm forward var");

        /* Inference (no statistics) and in place give the same output. */
        g_assert_true (
          dm_layernorm_forward (engine, out2, NULL, NULL, inp, weight, bias, M, C, eps, &error));
        g_assert_no_error (error);
        dm_test_assert_close (out2, ref, n, 1e-5, what);
        memcpy (out2, inp, n * sizeof (float));
        g_assert_true (
          dm_layernorm_forward (engine, out2, mean, var, out2, weight, bias, M, C, eps, &error));
        g_assert_cmpmem (out2, n * sizeof (float), out, n * sizeof (float));
      }
}

static void
test_backward_vs_naive (void)
{
  g_autoptr (DmEngine) engine = new_engine ();

  for (guint e = 0; e < G_N_ELEMENTS (epsilons); e++)
    for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
      {
        int M = shapes[s].M, C = shapes[s].C;
        float eps = epsilons[e];
        gsize n = (gsize)M * C;
        g_autoptr (GError) error = NULL;
        g_autofree float *inp = random_rows (M, C, 40 + s);
        g_autofree float *weight = random_floats (C, 0.5, 1.5, 50 + s);
        g_autofree float *bias = random_floats (C, -0.5, 0.5, 60 + s);
        g_autofree float *dout = random_floats (n, -1, 1, 70 + s);
        g_autofree float *out = g_new (float, n);
        g_autofree float *mean = g_new (float, M);
        g_autofree float *var = g_new (float, M);
        g_autofree float *dinp = g_new (float, n);
        g_autofree float *dinp_ref = g_new (float, n);
        g_autofree float *dweight = random_floats (C, -1, 1, 80 + s);
        g_autofree float *dbias = random_floats (C, -1, 1, 90 + s);
        g_autofree float *dweight_ref = g_memdup2 (dweight, C * sizeof (float));
        g_autofree float *dbias_ref = g_memdup2 (dbias, C * sizeof (float));
        g_autofree float *dweight2 = g_memdup2 (dweight, C * sizeof (float));
        g_autofree float *dbias2 = g_memdup2 (dbias, C * sizeof (float));

        g_assert_true (
          dm_layernorm_forward (engine, out, mean, var, inp, weight, bias, M, C, eps, &error));
        g_assert_true (dm_layernorm_backward (engine, dinp, dweight, dbias, dout, inp, weight, mean,
                                              var, M, C, eps, &error));
        g_assert_no_error (error);
        dm_ref_layernorm_backward (dinp_ref, dweight_ref, dbias_ref, dout, inp, weight, M, C, eps);
        /* Rows differ in scale by 1e4 and dinp scales with 1/std: compare
         * row by row. */
        for (int m = 0; m < M; m++)
          dm_test_assert_close (dinp + (gsize)m * C, dinp_ref + (gsize)m * C, C, 1e-5,
                                e == 0 ? "layernorm backward dinp eps 1e-6"
                                       : "layernorm backward dinp eps 1e-8");
        dm_test_assert_close (dweight, dweight_ref, C, 1e-5, "layernorm backward dweight");
        dm_test_assert_close (dbias, dbias_ref, C, 1e-5, "layernorm backward dbias");

        /* Without dinp the parameter gradients take the plain-C path. */
        g_assert_true (dm_layernorm_backward (engine, NULL, dweight2, dbias2, dout, inp, weight,
                                              mean, var, M, C, eps, &error));
        g_assert_no_error (error);
        dm_test_assert_close (dweight2, dweight_ref, C, 1e-5, "layernorm backward dweight");
        dm_test_assert_close (dbias2, dbias_ref, C, 1e-5, "layernorm backward dbias");

        /* In place: dinp over dout. */
        memcpy (out, dout, n * sizeof (float));
        g_assert_true (dm_layernorm_backward (engine, out, NULL, NULL, out, inp, weight, mean, var,
                                              M, C, eps, &error));
        g_assert_cmpmem (out, n * sizeof (float), dinp, n * sizeof (float));
      }
}

typedef struct
{
  int M, C;
  double eps;
  double *inp, *weight, *bias, *wout, *out;
} LayernormLoss;

static double
layernorm_loss (gpointer data)
{
  LayernormLoss *l = data;
  double s = 0.0;

  dm_ref_layernorm_forward_f64 (l->out, l->inp, l->weight, l->bias, l->M, l->C, l->eps);
  for (int i = 0; i < l->M * l->C; i++)
    s += l->wout[i] * l->out[i];
  return s;
}

static void
test_backward_fd (void)
{
  static const Shape fd_shapes[] = { { 1, 5 }, { 3, 8 }, { 4, 37 } };
  g_autoptr (DmEngine) engine = new_engine ();

  for (guint e = 0; e < G_N_ELEMENTS (epsilons); e++)
    for (guint s = 0; s < G_N_ELEMENTS (fd_shapes); s++)
      {
        int M = fd_shapes[s].M, C = fd_shapes[s].C;
        float eps = epsilons[e];
        gsize n = (gsize)M * C;
        g_autoptr (GError) error = NULL;
        g_autofree float *inp = random_floats (n, -2, 2, 100 + s);
        g_autofree float *weight = random_floats (C, 0.5, 1.5, 110 + s);
        g_autofree float *bias = random_floats (C, -0.5, 0.5, 120 + s);
        g_autofree float *dout = random_floats (n, -1, 1, 130 + s);
        g_autofree float *out = g_new (float, n);
        g_autofree float *mean = g_new (float, M);
        g_autofree float *var = g_new (float, M);
        g_autofree float *dinp = g_new (float, n);
        g_autofree float *dweight = g_new0 (float, C);
        g_autofree float *dbias = g_new0 (float, C);
        g_autofree float *fd_inp = g_new (float, n);
        g_autofree float *fd_weight = g_new (float, C);
        g_autofree float *fd_bias = g_new (float, C);
        LayernormLoss l = { M, C, eps };

        g_assert_true (
          dm_layernorm_forward (engine, out, mean, var, inp, weight, bias, M, C, eps, &error));
        g_assert_true (dm_layernorm_backward (engine, dinp, dweight, dbias, dout, inp, weight, mean,
                                              var, M, C, eps, &error));
        g_assert_no_error (error);

        l.inp = dm_test_to_f64 (inp, n);
        l.weight = dm_test_to_f64 (weight, C);
        l.bias = dm_test_to_f64 (bias, C);
        l.wout = dm_test_to_f64 (dout, n);
        l.out = g_new (double, n);
        dm_test_fd_gradient (l.inp, n, 1e-5, layernorm_loss, &l, fd_inp);
        dm_test_fd_gradient (l.weight, C, 1e-5, layernorm_loss, &l, fd_weight);
        dm_test_fd_gradient (l.bias, C, 1e-5, layernorm_loss, &l, fd_bias);
        dm_test_assert_close (dinp, fd_inp, n, 1e-5,
                              e == 0 ? "layernorm fd dinp eps 1e-6" : "layernorm fd dinp eps 1e-8");
        dm_test_assert_close (dweight, fd_weight, C, 1e-5, "layernorm fd dweight");
        dm_test_assert_close (dbias, fd_bias, C, 1e-5, "layernorm fd dbias");
        /* the fused backward from zero gradients: the same */
        memset (dinp, 0, n * sizeof (float));
        memset (dweight, 0, C * sizeof (float));
        memset (dbias, 0, C * sizeof (float));
        g_assert_true (dm_layernorm_backward_add (engine, dinp, dweight, dbias, NULL, dout, inp,
                                                  weight, mean, var, NULL, 0.0f, M, C, eps,
                                                  &error));
        g_assert_no_error (error);
        dm_test_assert_close (dinp, fd_inp, n, 1e-5, "layernorm fused fd dinp");
        dm_test_assert_close (dweight, fd_weight, C, 1e-5, "layernorm fused fd dweight");
        dm_test_assert_close (dbias, fd_bias, C, 1e-5, "layernorm fused fd dbias");
        g_free (l.inp);
        g_free (l.weight);
        g_free (l.bias);
        g_free (l.wout);
        g_free (l.out);
      }
}

/* The fused backward with the residual: dx += dinp + s extra, the
 * parameter sums and the column sums of the new dx, against the naive
 * backward; one and two threads give the same bits. */
static void
test_backward_add (void)
{
  g_autoptr (DmEngine) one = dm_engine_new (1, NULL);
  g_autoptr (DmEngine) two = dm_engine_new (2, NULL);

  for (guint e = 0; e < G_N_ELEMENTS (epsilons); e++)
    for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
      {
        int M = shapes[s].M, C = shapes[s].C;
        float eps = epsilons[e];
        gsize n = (gsize)M * C;
        g_autoptr (GError) error = NULL;
        g_autofree float *inp = random_rows (M, C, 300 + s);
        g_autofree float *weight = random_floats (C, 0.5, 1.5, 310 + s);
        g_autofree float *bias = random_floats (C, -0.5, 0.5, 320 + s);
        g_autofree float *dout = random_floats (n, -1, 1, 330 + s);
        g_autofree float *extra = random_floats (n, -1, 1, 340 + s);
        g_autofree float *dx = random_floats (n, -1, 1, 350 + s);
        g_autofree float *dx2 = g_memdup2 (dx, n * sizeof (float));
        g_autofree float *want = g_new (float, n);
        g_autofree float *out = g_new (float, n);
        g_autofree float *mean = g_new (float, M);
        g_autofree float *var = g_new (float, M);
        g_autofree float *dw = g_new (float, C), *db = g_new (float, C), *ds = g_new (float, C);
        g_autofree float *dw2 = g_new (float, C), *db2 = g_new (float, C), *ds2 = g_new (float, C);
        g_autofree float *dw_ref = g_new0 (float, C), *db_ref = g_new0 (float, C);
        g_autofree float *ds_ref = g_new (float, C);

        for (int c = 0; c < C; c++)
          dw[c] = db[c] = ds[c] = dw2[c] = db2[c] = ds2[c] = 1.0f;
        g_assert_true (
          dm_layernorm_forward (one, out, mean, var, inp, weight, bias, M, C, eps, &error));
        dm_ref_layernorm_backward (want, dw_ref, db_ref, dout, inp, weight, M, C, eps);
        for (gsize i = 0; i < n; i++)
          want[i] += dx[i] + 0.25f * extra[i];
        for (int c = 0; c < C; c++)
          {
            double sum = 1.0;

            for (int m = 0; m < M; m++)
              sum += want[(gsize)m * C + c];
            ds_ref[c] = (float)sum;
            dw_ref[c] += 1.0f;
            db_ref[c] += 1.0f;
          }
        g_assert_true (dm_layernorm_backward_add (one, dx, dw, db, ds, dout, inp, weight, mean, var,
                                                  extra, 0.25f, M, C, eps, &error));
        g_assert_no_error (error);
        g_test_message ("shape %d x %d eps %g", M, C, eps);
        dm_test_assert_close (dx, want, n, 1e-5, "layernorm fused dx");
        dm_test_assert_close (dw, dw_ref, C, 1e-5, "layernorm fused dweight");
        dm_test_assert_close (db, db_ref, C, 1e-5, "layernorm fused dbias");
        dm_test_assert_close (ds, ds_ref, C, 1e-5, "layernorm fused column sums");
        g_assert_true (dm_layernorm_backward_add (two, dx2, dw2, db2, ds2, dout, inp, weight, mean,
                                                  var, extra, 0.25f, M, C, eps, &error));
        g_assert_cmpmem (dx2, n * sizeof (float), dx, n * sizeof (float));
        g_assert_cmpmem (dw2, C * sizeof (float), dw, C * sizeof (float));
        g_assert_cmpmem (db2, C * sizeof (float), db, C * sizeof (float));
        g_assert_cmpmem (ds2, C * sizeof (float), ds, C * sizeof (float));
      }
}

static void
test_cache_and_accumulate (void)
{
  g_autoptr (DmEngine) engine = new_engine ();
  g_autoptr (GError) error = NULL;
  int M = 13, C = 40;
  gsize n = (gsize)M * C;
  g_autofree float *inp = random_rows (M, C, 140);
  g_autofree float *weight = random_floats (C, 0.5, 1.5, 141);
  g_autofree float *bias = random_floats (C, -0.5, 0.5, 142);
  g_autofree float *dout = random_floats (n, -1, 1, 143);
  g_autofree float *out = g_new (float, n);
  g_autofree float *mean = g_new (float, M);
  g_autofree float *var = g_new (float, M);
  g_autofree float *dinp = g_new (float, n);
  g_autofree float *dweight = g_new0 (float, C);
  g_autofree float *dbias = g_new0 (float, C);
  g_autofree float *once_w = NULL, *once_b = NULL;
  guint n_prims;

  g_assert_true (
    dm_layernorm_forward (engine, out, mean, var, inp, weight, bias, M, C, 1e-6f, &error));
  g_assert_true (dm_layernorm_backward (engine, dinp, dweight, dbias, dout, inp, weight, mean, var,
                                        M, C, 1e-6f, &error));
  n_prims = dm_engine_get_n_primitives (engine);
  once_w = g_memdup2 (dweight, C * sizeof (float));
  once_b = g_memdup2 (dbias, C * sizeof (float));
  g_assert_true (
    dm_layernorm_forward (engine, out, mean, var, inp, weight, bias, M, C, 1e-6f, &error));
  g_assert_true (dm_layernorm_backward (engine, dinp, dweight, dbias, dout, inp, weight, mean, var,
                                        M, C, 1e-6f, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (dm_engine_get_n_primitives (engine), ==, n_prims);
  for (int c = 0; c < C; c++)
    {
      once_w[c] *= 2.0f;
      once_b[c] *= 2.0f;
    }
  dm_test_assert_close (dweight, once_w, C, 0.0, "layernorm accumulate dweight");
  dm_test_assert_close (dbias, once_b, C, 0.0, "layernorm accumulate dbias");

  /* Another eps is another primitive. */
  g_assert_true (
    dm_layernorm_forward (engine, out, mean, var, inp, weight, bias, M, C, 1e-8f, &error));
  g_assert_cmpuint (dm_engine_get_n_primitives (engine), ==, n_prims + 1);
}

static void
test_invalid (void)
{
  g_autoptr (DmEngine) engine = new_engine ();
  g_autoptr (GError) error = NULL;
  float x[4] = { 0 };

  g_assert_false (dm_layernorm_forward (engine, x, x, x, x, x, x, 0, 4, 1e-6f, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (dm_layernorm_forward (engine, x, x, NULL, x, x, x, 1, 4, 1e-6f, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (dm_layernorm_backward (engine, x, x, x, x, x, x, NULL, x, 1, 4, 1e-6f, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/layernorm/forward", test_forward);
  g_test_add_func ("/layernorm/backward-vs-naive", test_backward_vs_naive);
  g_test_add_func ("/layernorm/backward-fd", test_backward_fd);
  g_test_add_func ("/layernorm/backward-add", test_backward_add);
  g_test_add_func ("/layernorm/cache-and-accumulate", test_cache_and_accumulate);
  g_test_add_func ("/layernorm/invalid", test_invalid);
  status = g_test_run ();
  dm_test_print_error_summary ();
  return status;
}
