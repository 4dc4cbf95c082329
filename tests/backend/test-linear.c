/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of dm_linear_forward/backward: against the naive reference, the
 * gradients against central finite differences in double, primitive reuse
 * and gradient accumulation. */
#include <string.h>

#include "dm-error.h"
#include "dm-linear.h"
#include "dm-packed.h"
#include "dm-reference-dense.h"
#include "dm-test-fd.h"
#include "dm-test-util.h"

typedef struct
{
  int M, K, N;
} Shape;

/* Odd shapes on purpose: a single row or column, dims not a multiple of 8
 * or 16, and one ViT-S-like slice. */
static const Shape shapes[] = {
  { 1, 1, 1 },    { 1, 7, 3 },      { 3, 5, 4 },      { 7, 13, 17 },
  { 33, 65, 31 }, { 257, 96, 130 }, { 64, 384, 192 },
};

static float *
random_floats (gsize n, float lo, float hi, guint64 seed)
{
  float *x = g_new (float, n);

  dm_test_fill_uniform (x, n, lo, hi, seed);
  return x;
}

static DmEngine *
new_engine (void)
{
  g_autoptr (GError) error = NULL;
  DmEngine *engine = dm_engine_new (0, &error);

  g_assert_no_error (error);
  return engine;
}

static void
test_forward (void)
{
  g_autoptr (DmEngine) engine = new_engine ();

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      int M = shapes[s].M, K = shapes[s].K, N = shapes[s].N;
      g_autofree float *inp = random_floats ((gsize)M * K, -1, 1, 10 + s);
      g_autofree float *weight = random_floats ((gsize)N * K, -0.5, 0.5, 20 + s);
      g_autofree float *bias = random_floats (N, -0.5, 0.5, 30 + s);
      g_autofree float *out = g_new (float, (gsize)M *N);
      g_autofree float *ref = g_new (float, (gsize)M *N);

      for (int with_bias = 0; with_bias < 2; with_bias++)
        for (int act = DM_ACT_NONE; act <= DM_ACT_GELU; act++)
          {
            g_autoptr (GError) error = NULL;
            const float *b = with_bias ? bias : NULL;

            g_assert_true (dm_linear_forward (engine, out, inp, weight, b, M, K, N, act, &error));
            g_assert_no_error (error);
            dm_ref_linear_forward (ref, inp, weight, b, M, K, N, act);
            dm_test_assert_close (out, ref, (gsize)M * N, 1e-5,
                                  act == DM_ACT_GELU ? "linear forward gelu" : "linear forward");
          }
    }
}

/* out = residual + scale * (inp W^T + bias), in place and out of place,
 * with and without scale and bias, against the naive linear and the same
 * residual arithmetic in double. */
static void
test_forward_residual (void)
{
  g_autoptr (DmEngine) engine = new_engine ();

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      int M = shapes[s].M, K = shapes[s].K, N = shapes[s].N;
      gsize n = (gsize)M * N;
      g_autofree float *inp = random_floats ((gsize)M * K, -1, 1, 110 + s);
      g_autofree float *weight = random_floats ((gsize)N * K, -0.5, 0.5, 120 + s);
      g_autofree float *bias = random_floats (N, -0.5, 0.5, 130 + s);
      g_autofree float *scale = random_floats (N, -0.3, 0.3, 140 + s);
      g_autofree float *residual = random_floats (n, -2, 2, 150 + s);
      g_autofree float *out = g_new (float, n);
      g_autofree float *branch = g_new (float, n);
      g_autofree float *ref = g_new (float, n);

      for (int variant = 0; variant < 8; variant++)
        {
          gboolean with_bias = variant & 1, with_scale = variant & 2, in_place = variant & 4;
          const float *b = with_bias ? bias : NULL, *sc = with_scale ? scale : NULL;
          g_autoptr (GError) error = NULL;

          dm_ref_linear_forward (branch, inp, weight, b, M, K, N, DM_ACT_NONE);
          for (gsize i = 0; i < n; i++)
            ref[i] = (float)(residual[i] + (sc != NULL ? (double)sc[i % N] : 1.0) * branch[i]);
          if (in_place)
            memcpy (out, residual, n * sizeof (float));
          else
            memset (out, 0x7f, n * sizeof (float)); /* out is written, not read */
          g_assert_true (dm_linear_forward_residual (engine, out, inp, weight, b, sc,
                                                     in_place ? out : residual, M, K, N, &error));
          g_assert_no_error (error);
          dm_test_assert_close (out, ref, n, 1e-5,
                                in_place ? "linear forward residual in place"
                                         : "linear forward residual");
        }
    }
  {
    g_autoptr (GError) error = NULL;
    float x = 1, w = 1, o = 0;

    g_assert_false (
      dm_linear_forward_residual (engine, &o, &x, &w, NULL, NULL, NULL, 1, 1, 1, &error));
    g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  }
}

/* With a set of packed weights attached (inference): the forward and the
 * residual forward give what the naive reference gives; the weights are
 * packed once (on AVX-512, where the matmul reads a blocked layout; on
 * AVX2 it reads them as they are and nothing is copied). */
static void
test_forward_packed (void)
{
  g_autoptr (DmEngine) engine = new_engine ();
  gboolean blocked = dnnl_get_effective_cpu_isa () >= dnnl_cpu_isa_avx512_core;

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      int M = shapes[s].M, K = shapes[s].K, N = shapes[s].N;
      gsize n = (gsize)M * N;
      g_autoptr (GError) error = NULL;
      g_autoptr (DmPackedWeights) set = dm_packed_weights_new ();
      g_autofree float *inp = random_floats ((gsize)M * K, -1, 1, 210 + s);
      g_autofree float *weight = random_floats ((gsize)N * K, -0.5, 0.5, 220 + s);
      g_autofree float *bias = random_floats (N, -0.5, 0.5, 230 + s);
      g_autofree float *scale = random_floats (N, -0.3, 0.3, 240 + s);
      g_autofree float *out = g_new (float, n), *ref = g_new (float, n);
      gsize bytes;

      dm_engine_set_packed_weights (engine, set);
      for (int act = DM_ACT_NONE; act <= DM_ACT_GELU; act++)
        {
          g_assert_true (dm_linear_forward (engine, out, inp, weight, bias, M, K, N, act, &error));
          g_assert_no_error (error);
          dm_ref_linear_forward (ref, inp, weight, bias, M, K, N, act);
          dm_test_assert_close (out, ref, n, 1e-5, "linear forward, packed weights");
        }
      bytes = dm_packed_weights_get_bytes (set);
      if (blocked)
        g_assert_cmpuint (bytes, >=, (gsize)K * N * sizeof (float));
      else
        g_assert_cmpuint (bytes, ==, 0);
      memset (out, 0, n * sizeof (float));
      g_assert_true (
        dm_linear_forward_residual (engine, out, inp, weight, bias, scale, out, M, K, N, &error));
      g_assert_no_error (error);
      dm_ref_linear_forward (ref, inp, weight, bias, M, K, N, DM_ACT_NONE);
      for (gsize i = 0; i < n; i++)
        ref[i] *= scale[i % N];
      dm_test_assert_close (out, ref, n, 1e-5, "linear forward residual, packed weights");
      /* the same weights again: no second copy */
      g_assert_cmpuint (dm_packed_weights_get_bytes (set), ==, bytes);
      dm_engine_set_packed_weights (engine, NULL);
    }
}

/* bf16 (where the CPU has it): the forward, the residual forward (with
 * packed weights too) and the backward within 1e-2 of the naive f32
 * reference (operands rounded to 8 bits of mantissa, f32 sums). */
static void
test_bf16 (void)
{
  g_autofree char *reason = NULL;
  g_autoptr (DmEngine) engine = new_engine ();

  if (!dm_engine_cpu_has_bf16 (&reason))
    {
      g_test_skip (reason);
      return;
    }
  g_assert_cmpint (dm_engine_set_precision (engine, DM_PRECISION_BF16), ==, DM_PRECISION_BF16);
  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      int M = shapes[s].M, K = shapes[s].K, N = shapes[s].N;
      gsize n = (gsize)M * N;
      g_autoptr (GError) error = NULL;
      g_autoptr (DmPackedWeights) set = dm_packed_weights_new ();
      g_autofree float *inp = random_floats ((gsize)M * K, -1, 1, 310 + s);
      g_autofree float *weight = random_floats ((gsize)N * K, -0.5, 0.5, 320 + s);
      g_autofree float *bias = random_floats (N, -0.5, 0.5, 330 + s);
      g_autofree float *dout = random_floats (n, -1, 1, 340 + s);
      g_autofree float *out = g_new (float, n), *ref = g_new (float, n);
      g_autofree float *dinp = g_new (float, (gsize)M *K), *dinp_ref = g_new (float, (gsize)M *K);
      g_autofree float *dw = g_new0 (float, (gsize)N *K), *dw_ref = g_new0 (float, (gsize)N *K);
      g_autofree float *db_ref = g_new0 (float, N);

      for (int packed = 0; packed < 2; packed++)
        {
          dm_engine_set_packed_weights (engine, packed ? set : NULL);
          g_assert_true (
            dm_linear_forward (engine, out, inp, weight, bias, M, K, N, DM_ACT_GELU, &error));
          g_assert_no_error (error);
          dm_ref_linear_forward (ref, inp, weight, bias, M, K, N, DM_ACT_GELU);
          dm_test_assert_close (out, ref, n, 1e-2, "linear forward bf16");
          memcpy (out, dout, n * sizeof (float));
          g_assert_true (dm_linear_forward_residual (engine, out, inp, weight, bias, NULL, out, M,
                                                     K, N, &error));
          g_assert_no_error (error);
          dm_ref_linear_forward (ref, inp, weight, bias, M, K, N, DM_ACT_NONE);
          for (gsize i = 0; i < n; i++)
            ref[i] += dout[i];
          dm_test_assert_close (out, ref, n, 1e-2, "linear forward residual bf16");
        }
      dm_engine_set_packed_weights (engine, NULL);
      g_assert_true (
        dm_linear_backward (engine, dinp, dw, NULL, dout, inp, weight, M, K, N, &error));
      g_assert_no_error (error);
      dm_ref_linear_backward (dinp_ref, dw_ref, db_ref, dout, inp, weight, M, K, N);
      dm_test_assert_close (dinp, dinp_ref, (gsize)M * K, 1e-2, "linear backward bf16 dinp");
      dm_test_assert_close (dw, dw_ref, (gsize)N * K, 1e-2, "linear backward bf16 dweight");
    }
}

static void
test_backward_vs_naive (void)
{
  g_autoptr (DmEngine) engine = new_engine ();

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      int M = shapes[s].M, K = shapes[s].K, N = shapes[s].N;
      g_autoptr (GError) error = NULL;
      g_autofree float *inp = random_floats ((gsize)M * K, -1, 1, 40 + s);
      g_autofree float *weight = random_floats ((gsize)N * K, -0.5, 0.5, 50 + s);
      g_autofree float *dout = random_floats ((gsize)M * N, -1, 1, 60 + s);
      /* Non-zero starting gradients: the parameter gradients accumulate. */
      g_autofree float *dweight = random_floats ((gsize)N * K, -1, 1, 70 + s);
      g_autofree float *dbias = random_floats (N, -1, 1, 80 + s);
      g_autofree float *dweight_ref = g_memdup2 (dweight, sizeof (float) * N * K);
      g_autofree float *dbias_ref = g_memdup2 (dbias, sizeof (float) * N);
      g_autofree float *dinp = g_new (float, (gsize)M *K);
      g_autofree float *dinp_ref = g_new (float, (gsize)M *K);

      g_assert_true (
        dm_linear_backward (engine, dinp, dweight, dbias, dout, inp, weight, M, K, N, &error));
      g_assert_no_error (error);
      dm_ref_linear_backward (dinp_ref, dweight_ref, dbias_ref, dout, inp, weight, M, K, N);
      dm_test_assert_close (dinp, dinp_ref, (gsize)M * K, 1e-5, "linear backward dinp");
      dm_test_assert_close (dweight, dweight_ref, (gsize)N * K, 1e-5, "linear backward dweight");
      dm_test_assert_close (dbias, dbias_ref, N, 1e-5, "linear backward dbias");

      /* Each gradient alone (the others NULL) gives the same numbers. */
      {
        g_autofree float *dinp2 = g_new (float, (gsize)M *K);
        g_autofree float *dbias2 = g_new0 (float, N);
        g_autofree float *dbias2_ref = g_new0 (float, N);

        g_assert_true (
          dm_linear_backward (engine, dinp2, NULL, NULL, dout, NULL, weight, M, K, N, &error));
        g_assert_true (
          dm_linear_backward (engine, NULL, NULL, dbias2, dout, NULL, NULL, M, K, N, &error));
        g_assert_no_error (error);
        g_assert_cmpmem (dinp2, sizeof (float) * M * K, dinp, sizeof (float) * M * K);
        dm_ref_linear_backward (NULL, NULL, dbias2_ref, dout, inp, weight, M, K, N);
        dm_test_assert_close (dbias2, dbias2_ref, N, 1e-5, "linear backward dbias");
      }
    }
}

typedef struct
{
  int M, K, N;
  double *inp, *weight, *bias, *wout, *out;
} LinearLoss;

/* L = sum (wout .* (inp . weight^T + bias)), all in double. */
static double
linear_loss (gpointer data)
{
  LinearLoss *l = data;
  double s = 0.0;

  dm_ref_linear_forward_f64 (l->out, l->inp, l->weight, l->bias, l->M, l->K, l->N, DM_ACT_NONE);
  for (int i = 0; i < l->M * l->N; i++)
    s += l->wout[i] * l->out[i];
  return s;
}

static void
test_backward_fd (void)
{
  static const Shape fd_shapes[] = { { 1, 8, 3 }, { 3, 5, 4 }, { 5, 19, 17 } };
  g_autoptr (DmEngine) engine = new_engine ();

  for (guint s = 0; s < G_N_ELEMENTS (fd_shapes); s++)
    {
      int M = fd_shapes[s].M, K = fd_shapes[s].K, N = fd_shapes[s].N;
      g_autoptr (GError) error = NULL;
      g_autofree float *inp = random_floats ((gsize)M * K, -1, 1, 90 + s);
      g_autofree float *weight = random_floats ((gsize)N * K, -0.5, 0.5, 100 + s);
      g_autofree float *bias = random_floats (N, -0.5, 0.5, 110 + s);
      g_autofree float *dout = random_floats ((gsize)M * N, -1, 1, 120 + s);
      g_autofree float *dinp = g_new (float, (gsize)M *K);
      g_autofree float *dweight = g_new0 (float, (gsize)N *K);
      g_autofree float *dbias = g_new0 (float, N);
      g_autofree float *fd_inp = g_new (float, (gsize)M *K);
      g_autofree float *fd_weight = g_new (float, (gsize)N *K);
      g_autofree float *fd_bias = g_new (float, N);
      LinearLoss l = { M, K, N };

      g_assert_true (
        dm_linear_backward (engine, dinp, dweight, dbias, dout, inp, weight, M, K, N, &error));
      g_assert_no_error (error);

      l.inp = dm_test_to_f64 (inp, (gsize)M * K);
      l.weight = dm_test_to_f64 (weight, (gsize)N * K);
      l.bias = dm_test_to_f64 (bias, N);
      l.wout = dm_test_to_f64 (dout, (gsize)M * N);
      l.out = g_new (double, (gsize)M *N);
      dm_test_fd_gradient (l.inp, (gsize)M * K, 1e-3, linear_loss, &l, fd_inp);
      dm_test_fd_gradient (l.weight, (gsize)N * K, 1e-3, linear_loss, &l, fd_weight);
      dm_test_fd_gradient (l.bias, N, 1e-3, linear_loss, &l, fd_bias);
      dm_test_assert_close (dinp, fd_inp, (gsize)M * K, 1e-5, "linear fd dinp");
      dm_test_assert_close (dweight, fd_weight, (gsize)N * K, 1e-5, "linear fd dweight");
      dm_test_assert_close (dbias, fd_bias, N, 1e-5, "linear fd dbias");
      g_free (l.inp);
      g_free (l.weight);
      g_free (l.bias);
      g_free (l.wout);
      g_free (l.out);
    }
}

static void
test_cache_and_accumulate (void)
{
  g_autoptr (DmEngine) engine = new_engine ();
  g_autoptr (GError) error = NULL;
  int M = 9, K = 21, N = 11;
  g_autofree float *inp = random_floats ((gsize)M * K, -1, 1, 130);
  g_autofree float *weight = random_floats ((gsize)N * K, -1, 1, 131);
  g_autofree float *bias = random_floats (N, -1, 1, 132);
  g_autofree float *dout = random_floats ((gsize)M * N, -1, 1, 133);
  g_autofree float *out = g_new (float, (gsize)M *N);
  g_autofree float *dinp = g_new (float, (gsize)M *K);
  g_autofree float *dweight = g_new0 (float, (gsize)N *K);
  g_autofree float *dbias = g_new0 (float, N);
  g_autofree float *once_w = NULL, *once_b = NULL;
  guint n;

  g_assert_true (dm_linear_forward (engine, out, inp, weight, bias, M, K, N, DM_ACT_GELU, &error));
  n = dm_engine_get_n_primitives (engine);
  g_assert_true (dm_linear_forward (engine, out, inp, weight, bias, M, K, N, DM_ACT_GELU, &error));
  g_assert_cmpuint (dm_engine_get_n_primitives (engine), ==, n);

  g_assert_true (
    dm_linear_backward (engine, dinp, dweight, dbias, dout, inp, weight, M, K, N, &error));
  n = dm_engine_get_n_primitives (engine);
  once_w = g_memdup2 (dweight, sizeof (float) * N * K);
  once_b = g_memdup2 (dbias, sizeof (float) * N);
  g_assert_true (
    dm_linear_backward (engine, dinp, dweight, dbias, dout, inp, weight, M, K, N, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (dm_engine_get_n_primitives (engine), ==, n);
  /* Twice the same gradient: double (up to one rounding: the gemv may add
   * the old value inside its sum). */
  for (int i = 0; i < N * K; i++)
    once_w[i] *= 2.0f;
  for (int i = 0; i < N; i++)
    once_b[i] *= 2.0f;
  dm_test_assert_close (dweight, once_w, (gsize)N * K, 0.0, "linear accumulate dweight");
  dm_test_assert_close (dbias, once_b, N, 1e-6, "linear accumulate dbias");
}

static void
test_invalid_shape (void)
{
  g_autoptr (DmEngine) engine = new_engine ();
  g_autoptr (GError) error = NULL;
  float x[4] = { 0 };

  g_assert_false (dm_linear_forward (engine, x, x, x, NULL, 0, 2, 2, DM_ACT_NONE, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (dm_linear_backward (engine, x, x, x, x, x, x, 2, -1, 2, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/linear/forward", test_forward);
  g_test_add_func ("/linear/forward-residual", test_forward_residual);
  g_test_add_func ("/linear/forward-packed", test_forward_packed);
  g_test_add_func ("/linear/bf16", test_bf16);
  g_test_add_func ("/linear/backward-vs-naive", test_backward_vs_naive);
  g_test_add_func ("/linear/backward-fd", test_backward_fd);
  g_test_add_func ("/linear/cache-and-accumulate", test_cache_and_accumulate);
  g_test_add_func ("/linear/invalid-shape", test_invalid_shape);
  status = g_test_run ();
  dm_test_print_error_summary ();
  return status;
}
