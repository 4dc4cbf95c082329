/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the exact GELU and elu + 1: against the naive reference, the
 * backward against central finite differences in double, in-place use and
 * primitive reuse. */
#include <math.h>
#include <string.h>

#include "dm-eltwise.h"
#include "dm-error.h"
#include "dm-reference-dense.h"
#include "dm-test-util.h"

typedef gboolean (*ForwardFunc) (DmEngine *, float *, const float *, gsize, GError **);
typedef gboolean (*BackwardFunc) (
  DmEngine *, float *, const float *, const float *, gsize, GError **);
typedef void (*RefForwardFunc) (float *, const float *, gsize);
typedef void (*RefBackwardFunc) (float *, const float *, const float *, gsize);

typedef struct
{
  const char *name;
  ForwardFunc forward;
  BackwardFunc backward;
  RefForwardFunc ref_forward;
  RefBackwardFunc ref_backward;
  double (*f64) (double);
} Op;

static const Op ops[] = {
  { "gelu", dm_gelu_forward, dm_gelu_backward, dm_ref_gelu_forward, dm_ref_gelu_backward,
    dm_ref_gelu },
  { "elu1", dm_elu1_forward, dm_elu1_backward, dm_ref_elu1_forward, dm_ref_elu1_backward,
    dm_ref_elu1 },
};

static const gsize sizes[] = { 1, 7, 16, 1000, 100003 };

static DmEngine *
new_engine (void)
{
  g_autoptr (GError) error = NULL;
  DmEngine *engine = dm_engine_new (0, &error);

  g_assert_no_error (error);
  return engine;
}

/* Inputs in [-6, 6] (both tails of GELU and of exp), none within 1e-3 of
 * elu's kink at 0 where a central difference would straddle it. */
static float *
random_inputs (gsize n, guint64 seed)
{
  float *x = g_new (float, n);

  dm_test_fill_uniform (x, n, -6, 6, seed);
  for (gsize i = 0; i < n; i++)
    if (fabsf (x[i]) < 1e-3f)
      x[i] = 2e-3f;
  return x;
}

static void
check_op (const Op *op)
{
  g_autoptr (DmEngine) engine = new_engine ();
  char what[64];

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      gsize n = sizes[s];
      g_autoptr (GError) error = NULL;
      g_autofree float *inp = random_inputs (n, 10 + s);
      g_autofree float *dout = g_new (float, n);
      g_autofree float *out = g_new (float, n);
      g_autofree float *ref = g_new (float, n);
      g_autofree float *dinp = g_new (float, n);
      g_autofree float *fd = g_new (float, n);
      guint n_prims;

      dm_test_fill_uniform (dout, n, -1, 1, 20 + s);
      g_assert_true (op->forward (engine, out, inp, n, &error));
      g_assert_no_error (error);
      op->ref_forward (ref, inp, n);
      g_snprintf (what, sizeof what, "%s forward", op->name);
      dm_test_assert_close (out, ref, n, 1e-5, what);

      g_assert_true (op->backward (engine, dinp, dout, inp, n, &error));
      g_assert_no_error (error);
      op->ref_backward (ref, dout, inp, n);
      g_snprintf (what, sizeof what, "%s backward", op->name);
      dm_test_assert_close (dinp, ref, n, 1e-5, what);

      /* d/dx of L = sum dout * f(x), centrally in double: elementwise, so
       * one pair of evaluations per element. */
      for (gsize i = 0; i < n; i++)
        {
          double h = 1e-4;

          fd[i] = (float)(dout[i] * (op->f64 (inp[i] + h) - op->f64 (inp[i] - h)) / (2 * h));
        }
      g_snprintf (what, sizeof what, "%s fd", op->name);
      dm_test_assert_close (dinp, fd, n, 1e-5, what);

      /* Same shape again: the cached primitives; in place: same numbers. */
      n_prims = dm_engine_get_n_primitives (engine);
      memcpy (ref, inp, n * sizeof (float));
      g_assert_true (op->forward (engine, ref, ref, n, &error));
      g_assert_cmpmem (ref, n * sizeof (float), out, n * sizeof (float));
      memcpy (ref, dout, n * sizeof (float));
      g_assert_true (op->backward (engine, ref, ref, inp, n, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (ref, n * sizeof (float), dinp, n * sizeof (float));
      g_assert_cmpuint (dm_engine_get_n_primitives (engine), ==, n_prims);
    }

  /* n = 0 is nothing to do. */
  {
    g_autoptr (GError) error = NULL;

    g_assert_true (op->forward (engine, NULL, NULL, 0, &error));
    g_assert_true (op->backward (engine, NULL, NULL, NULL, 0, &error));
    g_assert_no_error (error);
  }
}

static void
test_gelu (void)
{
  check_op (&ops[0]);
}

static void
test_elu1 (void)
{
  g_autoptr (DmEngine) engine = new_engine ();
  g_autoptr (GError) error = NULL;
  float inp[4] = { -100.0f, -1.0f, 0.0f, 2.5f }, out[4];

  check_op (&ops[1]);
  /* Exact values and positivity (linear attention divides by sums). */
  g_assert_true (dm_elu1_forward (engine, out, inp, 4, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (out[0], >=, 0.0f);
  g_assert_cmpfloat (out[0], <, 1e-30f);
  g_assert_cmpfloat_with_epsilon (out[1], expf (-1.0f), 1e-7f);
  g_assert_cmpfloat (out[2], ==, 1.0f);
  g_assert_cmpfloat (out[3], ==, 3.5f);
}

/* The matrix form with the bias gradient: against the naive backward and
 * column sums in double, against central differences, in place, and the
 * same bits on one and on two threads. */
static void
test_gelu_bias (void)
{
  static const int shapes[][2] = { { 1, 1 }, { 3, 17 }, { 130, 64 }, { 2088, 37 } };

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      int M = shapes[s][0], N = shapes[s][1];
      gsize n = (gsize)M * N;
      g_autoptr (DmEngine) one = dm_engine_new (1, NULL);
      g_autoptr (DmEngine) two = dm_engine_new (2, NULL);
      g_autoptr (GError) error = NULL;
      g_autofree float *inp = random_inputs (n, 40 + s);
      g_autofree float *dout = g_new (float, n);
      g_autofree float *dinp = g_new (float, n);
      g_autofree float *ref = g_new (float, n);
      g_autofree float *fd = g_new (float, n);
      g_autofree float *bias = g_new (float, N), *bias2 = g_new (float, N);
      g_autofree float *bias_ref = g_new (float, N);

      dm_test_fill_uniform (dout, n, -1, 1, 50 + s);
      for (int c = 0; c < N; c++)
        bias[c] = bias2[c] = 0.25f;
      g_assert_true (dm_gelu_backward_bias (one, dinp, bias, dout, inp, M, N, &error));
      g_assert_no_error (error);
      dm_ref_gelu_backward (ref, dout, inp, n);
      dm_test_assert_close (dinp, ref, n, 1e-5, "gelu backward + bias: dinp");
      for (gsize i = 0; i < n; i++)
        fd[i]
          = (float)(dout[i] * (dm_ref_gelu (inp[i] + 1e-4) - dm_ref_gelu (inp[i] - 1e-4)) / 2e-4);
      dm_test_assert_close (dinp, fd, n, 1e-5, "gelu backward + bias: fd");
      for (int c = 0; c < N; c++)
        {
          double sum = 0.25;

          for (int r = 0; r < M; r++)
            sum += dout[(gsize)r * N + c] * dm_ref_gelu_grad (inp[(gsize)r * N + c]);
          bias_ref[c] = (float)sum;
        }
      dm_test_assert_close (bias, bias_ref, N, 1e-5, "gelu backward + bias: bias");

      /* in place on two threads: the same bits */
      memcpy (ref, dout, n * sizeof (float));
      g_assert_true (dm_gelu_backward_bias (two, ref, bias2, ref, inp, M, N, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (ref, n * sizeof (float), dinp, n * sizeof (float));
      g_assert_cmpmem (bias2, N * sizeof (float), bias, N * sizeof (float));
    }
  {
    g_autoptr (DmEngine) engine = new_engine ();
    g_autoptr (GError) error = NULL;
    float x = 0;

    g_assert_false (dm_gelu_backward_bias (engine, &x, NULL, &x, &x, 0, 1, &error));
    g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  }
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/eltwise/gelu", test_gelu);
  g_test_add_func ("/eltwise/elu1", test_elu1);
  g_test_add_func ("/eltwise/gelu-bias", test_gelu_bias);
  status = g_test_run ();
  dm_test_print_error_summary ();
  return status;
}
