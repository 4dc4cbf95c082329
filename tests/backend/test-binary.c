/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the residual add, LayerScale (alone and in the residual) and the
 * mean of k tensors: against their formulas, the backwards against central
 * finite differences in double, aliasing, reuse and accumulation. */
#include <string.h>

#include "dm-binary.h"
#include "dm-error.h"
#include "dm-reference-dense.h"
#include "dm-test-fd.h"
#include "dm-test-util.h"

typedef struct
{
  int M, C;
} Shape;

static const Shape shapes[] = { { 1, 1 }, { 1, 7 }, { 5, 33 }, { 261, 128 }, { 17, 768 } };

static DmEngine *
new_engine (void)
{
  g_autoptr (GError) error = NULL;
  DmEngine *engine = dm_engine_new (0, &error);

  g_assert_no_error (error);
  return engine;
}

static float *
random_floats (gsize n, float lo, float hi, guint64 seed)
{
  float *x = g_new (float, n);

  dm_test_fill_uniform (x, n, lo, hi, seed);
  return x;
}

static void
test_add (void)
{
  gsize n = 1001;
  g_autofree float *a = random_floats (n, -1, 1, 1);
  g_autofree float *b = random_floats (n, -1, 1, 2);
  g_autofree float *out = g_new (float, n);
  g_autofree float *ref = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    ref[i] = a[i] + b[i];
  dm_add (out, a, b, n);
  dm_test_assert_close (out, ref, n, 0.0, "add forward");
  /* out aliasing a (the residual stream updated in place) or b. */
  {
    g_autofree float *a2 = g_memdup2 (a, n * sizeof (float));
    g_autofree float *b2 = g_memdup2 (b, n * sizeof (float));

    dm_add (a2, a2, b, n);
    dm_test_assert_close (a2, ref, n, 0.0, "add forward");
    dm_add (b2, a, b2, n);
    dm_test_assert_close (b2, ref, n, 0.0, "add forward");
  }
}

static void
test_layerscale_forward (void)
{
  g_autoptr (DmEngine) engine = new_engine ();

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      int M = shapes[s].M, C = shapes[s].C;
      gsize n = (gsize)M * C;
      g_autoptr (GError) error = NULL;
      g_autofree float *inp = random_floats (n, -2, 2, 10 + s);
      g_autofree float *gamma = random_floats (C, -0.3, 0.3, 20 + s);
      g_autofree float *x = random_floats (n, -2, 2, 30 + s);
      g_autofree float *out = g_new (float, n);
      g_autofree float *ref = g_new (float, n);
      guint n_prims;

      g_assert_true (dm_layerscale_forward (engine, out, inp, gamma, M, C, &error));
      g_assert_no_error (error);
      dm_ref_layerscale_forward (ref, inp, gamma, M, C);
      dm_test_assert_close (out, ref, n, 0.0, "layerscale forward");

      /* x += gamma * y: the reference product added to x (one rounding
       * each, as the fused primitive may round once: 1e-7). */
      for (gsize i = 0; i < n; i++)
        ref[i] += x[i];
      g_assert_true (dm_layerscale_residual (engine, x, inp, gamma, M, C, &error));
      g_assert_no_error (error);
      dm_test_assert_close (x, ref, n, 2e-7, "layerscale residual");

      /* Again: cached; in place: same numbers. */
      n_prims = dm_engine_get_n_primitives (engine);
      memcpy (out, inp, n * sizeof (float));
      g_assert_true (dm_layerscale_forward (engine, out, out, gamma, M, C, &error));
      dm_ref_layerscale_forward (ref, inp, gamma, M, C);
      dm_test_assert_close (out, ref, n, 0.0, "layerscale forward");
      g_assert_true (dm_layerscale_residual (engine, x, inp, gamma, M, C, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (dm_engine_get_n_primitives (engine), ==, n_prims);
    }
}

typedef struct
{
  int M, C;
  double *inp, *gamma, *wout;
} ScaleLoss;

static double
scale_loss (gpointer data)
{
  ScaleLoss *l = data;
  double s = 0.0;

  for (int m = 0; m < l->M; m++)
    for (int c = 0; c < l->C; c++)
      {
        gsize i = (gsize)m * l->C + c;
        s += l->wout[i] * l->inp[i] * l->gamma[c];
      }
  return s;
}

static void
test_layerscale_backward (void)
{
  g_autoptr (DmEngine) engine = new_engine ();

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      int M = shapes[s].M, C = shapes[s].C;
      gsize n = (gsize)M * C;
      g_autoptr (GError) error = NULL;
      g_autofree float *inp = random_floats (n, -2, 2, 40 + s);
      g_autofree float *gamma = random_floats (C, -0.3, 0.3, 50 + s);
      g_autofree float *dout = random_floats (n, -1, 1, 60 + s);
      g_autofree float *dinp = g_new (float, n);
      g_autofree float *dinp_ref = g_new (float, n);
      g_autofree float *dgamma = random_floats (C, -1, 1, 70 + s);
      g_autofree float *dgamma_ref = g_memdup2 (dgamma, C * sizeof (float));
      g_autofree float *once = NULL;

      g_assert_true (dm_layerscale_backward (engine, dinp, dgamma, dout, inp, gamma, M, C, &error));
      g_assert_no_error (error);
      dm_ref_layerscale_backward (dinp_ref, dgamma_ref, dout, inp, gamma, M, C);
      dm_test_assert_close (dinp, dinp_ref, n, 0.0, "layerscale backward dinp");
      dm_test_assert_close (dgamma, dgamma_ref, C, 1e-6, "layerscale backward dgamma");

      /* Accumulation: from zero, twice gives exactly double. */
      memset (dgamma, 0, C * sizeof (float));
      g_assert_true (dm_layerscale_backward (engine, NULL, dgamma, dout, inp, gamma, M, C, &error));
      once = g_memdup2 (dgamma, C * sizeof (float));
      g_assert_true (dm_layerscale_backward (engine, NULL, dgamma, dout, inp, gamma, M, C, &error));
      for (int c = 0; c < C; c++)
        once[c] *= 2.0f;
      dm_test_assert_close (dgamma, once, C, 0.0, "layerscale accumulate dgamma");

      /* In place: dinp over dout, with dgamma still from the old dout. */
      memset (dgamma_ref, 0, C * sizeof (float));
      memset (dgamma, 0, C * sizeof (float));
      g_assert_true (
        dm_layerscale_backward (engine, NULL, dgamma_ref, dout, inp, gamma, M, C, &error));
      g_assert_true (dm_layerscale_backward (engine, dout, dgamma, dout, inp, gamma, M, C, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (dout, n * sizeof (float), dinp, n * sizeof (float));
      g_assert_cmpmem (dgamma, C * sizeof (float), dgamma_ref, C * sizeof (float));
    }

  /* Central differences in double on a small case. */
  {
    int M = 3, C = 5;
    gsize n = (gsize)M * C;
    g_autoptr (GError) error = NULL;
    g_autofree float *inp = random_floats (n, -2, 2, 80);
    g_autofree float *gamma = random_floats (C, -0.3, 0.3, 81);
    g_autofree float *dout = random_floats (n, -1, 1, 82);
    g_autofree float *dinp = g_new (float, n);
    g_autofree float *dgamma = g_new0 (float, C);
    g_autofree float *fd_inp = g_new (float, n);
    g_autofree float *fd_gamma = g_new (float, C);
    ScaleLoss l = { M, C };

    g_assert_true (dm_layerscale_backward (engine, dinp, dgamma, dout, inp, gamma, M, C, &error));
    g_assert_no_error (error);
    l.inp = dm_test_to_f64 (inp, n);
    l.gamma = dm_test_to_f64 (gamma, C);
    l.wout = dm_test_to_f64 (dout, n);
    dm_test_fd_gradient (l.inp, n, 1e-3, scale_loss, &l, fd_inp);
    dm_test_fd_gradient (l.gamma, C, 1e-3, scale_loss, &l, fd_gamma);
    dm_test_assert_close (dinp, fd_inp, n, 1e-5, "layerscale fd dinp");
    dm_test_assert_close (dgamma, fd_gamma, C, 1e-5, "layerscale fd dgamma");
    g_free (l.inp);
    g_free (l.gamma);
    g_free (l.wout);
  }
}

static void
test_layerscale_invalid (void)
{
  g_autoptr (DmEngine) engine = new_engine ();
  g_autoptr (GError) error = NULL;
  float x[2] = { 0 };

  g_assert_false (dm_layerscale_forward (engine, x, x, x, 0, 2, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
}

typedef struct
{
  int k;
  gsize n;
  double **inputs, *wout;
} MeanLoss;

static double
mean_loss (gpointer data)
{
  MeanLoss *l = data;
  double s = 0.0;

  for (gsize i = 0; i < l->n; i++)
    {
      double m = 0.0;

      for (int j = 0; j < l->k; j++)
        m += l->inputs[j][i];
      s += l->wout[i] * m / l->k;
    }
  return s;
}

static void
test_mean (void)
{
  static const int ks[] = { 1, 3, 4, 8 };
  gsize n = 2500; /* crosses the 1024-float chunks, ends in a partial one */

  for (guint t = 0; t < G_N_ELEMENTS (ks); t++)
    {
      int k = ks[t];
      float *inputs[8];
      float *dinputs[8];
      g_autofree float *out = g_new (float, n);
      g_autofree float *ref = g_new (float, n);
      g_autofree float *dout = random_floats (n, -1, 1, 90);

      for (int j = 0; j < k; j++)
        {
          inputs[j] = random_floats (n, -1, 1, 100 + j);
          dinputs[j] = g_new (float, n);
        }
      for (gsize i = 0; i < n; i++)
        {
          float s = inputs[0][i];

          for (int j = 1; j < k; j++)
            s += inputs[j][i];
          ref[i] = s / (float)k;
        }
      dm_mean_forward (out, (const float *const *)inputs, k, n);
      dm_test_assert_close (out, ref, n, 0.0, "mean forward");
      /* out may be one of the inputs. */
      dm_mean_forward (inputs[k - 1], (const float *const *)inputs, k, n);
      dm_test_assert_close (inputs[k - 1], ref, n, 0.0, "mean forward");

      /* Backward, with one gradient skipped. */
      if (k > 1)
        dinputs[0] = (g_free (dinputs[0]), NULL);
      dm_mean_backward (dinputs, dout, k, n);
      for (int j = k > 1 ? 1 : 0; j < k; j++)
        {
          for (gsize i = 0; i < n; i++)
            ref[i] = dout[i] / (float)k;
          dm_test_assert_close (dinputs[j], ref, n, 0.0, "mean backward");
        }

      /* Central differences in double, on the first 50 elements of one
       * input (the gradient is the same for every input). */
      {
        MeanLoss l = { k, 50 };
        double *inputs64[8];
        g_autofree float *fd = g_new (float, 50);

        for (int j = 0; j < k; j++)
          inputs64[j] = dm_test_to_f64 (inputs[j], 50);
        l.inputs = inputs64;
        l.wout = dm_test_to_f64 (dout, 50);
        dm_test_fd_gradient (inputs64[k - 1], 50, 1e-3, mean_loss, &l, fd);
        dm_test_assert_close (dinputs[k - 1], fd, 50, 1e-5, "mean fd");
        for (int j = 0; j < k; j++)
          g_free (inputs64[j]);
        g_free (l.wout);
      }
      for (int j = 0; j < k; j++)
        {
          g_free (inputs[j]);
          g_free (dinputs[j]);
        }
    }
}

/* out = s x and the column sums of out, against sums in double; in place
 * with s = 1 (sums only); one and two threads give the same bits. */
static void
test_column_sums (void)
{
  static const int sum_shapes[][2] = { { 1, 1 }, { 7, 3 }, { 200, 65 }, { 2088, 384 } };
  g_autoptr (DmEngine) one = dm_engine_new (1, NULL);
  g_autoptr (DmEngine) two = dm_engine_new (2, NULL);

  for (guint s = 0; s < G_N_ELEMENTS (sum_shapes); s++)
    {
      int M = sum_shapes[s][0], N = sum_shapes[s][1];
      gsize n = (gsize)M * N;
      g_autoptr (GError) error = NULL;
      g_autofree float *x = g_new (float, n), *out = g_new (float, n), *out2 = g_new (float, n);
      g_autofree float *sum = g_new (float, N), *sum2 = g_new (float, N);
      g_autofree float *want = g_new (float, N), *scaled = g_new (float, n);

      dm_test_fill_uniform (x, n, -1, 1, 60 + s);
      for (int c = 0; c < N; c++)
        {
          double acc = 2.0;

          for (int m = 0; m < M; m++)
            acc += 0.25f * x[(gsize)m * N + c];
          want[c] = (float)acc;
          sum[c] = sum2[c] = 2.0f;
        }
      for (gsize i = 0; i < n; i++)
        scaled[i] = 0.25f * x[i];
      g_assert_true (dm_scale_column_sums (one, out, sum, x, 0.25f, M, N, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (out, n * sizeof (float), scaled, n * sizeof (float));
      dm_test_assert_close (sum, want, N, 1e-6, "column sums");
      g_assert_true (dm_scale_column_sums (two, out2, sum2, x, 0.25f, M, N, &error));
      g_assert_cmpmem (out2, n * sizeof (float), out, n * sizeof (float));
      g_assert_cmpmem (sum2, N * sizeof (float), sum, N * sizeof (float));
      /* in place, scale 1: x unchanged, its sums added again */
      memcpy (out2, out, n * sizeof (float));
      g_assert_true (dm_scale_column_sums (two, out2, sum2, out2, 1.0f, M, N, &error));
      g_assert_cmpmem (out2, n * sizeof (float), out, n * sizeof (float));
      for (int c = 0; c < N; c++)
        want[c] = 2.0f * want[c] - 2.0f;
      dm_test_assert_close (sum2, want, N, 1e-6, "column sums again");
    }
  {
    g_autoptr (GError) error = NULL;
    float x = 0;

    g_assert_false (dm_scale_column_sums (one, &x, &x, &x, 1.0f, 1, 0, &error));
    g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  }
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/binary/add", test_add);
  g_test_add_func ("/binary/layerscale-forward", test_layerscale_forward);
  g_test_add_func ("/binary/layerscale-backward", test_layerscale_backward);
  g_test_add_func ("/binary/layerscale-invalid", test_layerscale_invalid);
  g_test_add_func ("/binary/mean", test_mean);
  g_test_add_func ("/binary/column-sums", test_column_sums);
  status = g_test_run ();
  dm_test_print_error_summary ();
  return status;
}
