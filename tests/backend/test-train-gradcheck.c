/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The whole training gradient (bottleneck with dropout, 8 linear-attention
 * decoder blocks, the loose loss with and without hard mining) against
 * central finite differences of a double-precision naive forward, on a tiny
 * random configuration (D = 64, one head, 2 images of 7 tokens).
 *
 * Hard mining is a gradient hook, not the gradient of a function: with the
 * masks of the base point fixed, it is the exact gradient of the surrogate
 * L(E, R0 + S (R - R0)), S = the factor at easy points and 1 elsewhere,
 * which equals the loss at the base point. That surrogate is what the
 * finite differences differentiate. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dm-dropout.h"
#include "dm-error.h"
#include "dm-test-util.h"
#include "dm-train-step.h"

#define B 2
#define N 7
#define FIRST 1 /* cls only: P = 6 patches */
#define P (N - FIRST)
#define D 64
#define H4 (4 * D)
#define M (B * N)

typedef struct
{
  const DmDinomalyLayout *layout;
  double *w; /* parameters, the arena layout, in double */
  const float *fused, *E1, *E2;
  float p;
  guint64 seed;
  const guint8 *easy; /* (2, B, P) or NULL */
  float factor;
  double R0[2][M * D]; /* the groups at the base point (for the surrogate) */
  gboolean have_R0;
  double R_out[2][M * D];
} RefModel;

static const double *
par (const RefModel *m, int index)
{
  return m->w + m->layout->params[index].offset;
}

static void
lin (double *out, const double *in, const double *W, const double *b, int rows, int K, int n_out)
{
  for (int r = 0; r < rows; r++)
    for (int o = 0; o < n_out; o++)
      {
        double acc = b[o];
        for (int k = 0; k < K; k++)
          acc += in[r * K + k] * W[o * K + k];
        out[r * n_out + o] = acc;
      }
}

static void
layer_norm (double *out, const double *in, const double *w, const double *b, int rows, int C)
{
  for (int r = 0; r < rows; r++)
    {
      double mean = 0, var = 0;
      for (int c = 0; c < C; c++)
        mean += in[r * C + c];
      mean /= C;
      for (int c = 0; c < C; c++)
        var += (in[r * C + c] - mean) * (in[r * C + c] - mean);
      var /= C;
      for (int c = 0; c < C; c++)
        out[r * C + c] = (in[r * C + c] - mean) / sqrt (var + 1e-8) * w[c] + b[c];
    }
}

static double
gelu (double x)
{
  return 0.5 * x * (1.0 + erf (x / sqrt (2.0)));
}

static double
elu1 (double x)
{
  return x > 0 ? x + 1.0 : exp (x);
}

static void
dropout (double *x, gsize n, const RefModel *m, int site)
{
  double scale = (float)(1.0 / (1.0 - (double)m->p));

  if (m->p == 0.0f)
    return;
  for (gsize i = 0; i < n; i++)
    x[i] = dm_dropout_is_kept (m->seed, site * DM_DECODER_DROPOUT_SITE_STRIDE + i, m->p)
             ? x[i] * scale
             : 0.0;
}

/* Linear attention, one head of D: qkv (M, 3D) -> out (M, D). */
static void
linear_attention (double *out, const double *qkv)
{
  for (int b = 0; b < B; b++)
    {
      static double kv[D][D], ksum[D];

      memset (kv, 0, sizeof kv);
      memset (ksum, 0, sizeof ksum);
      for (int t = 0; t < N; t++)
        {
          const double *row = qkv + (gsize)(b * N + t) * 3 * D;
          for (int i = 0; i < D; i++)
            {
              double k = elu1 (row[D + i]);
              ksum[i] += k;
              for (int j = 0; j < D; j++)
                kv[i][j] += k * row[2 * D + j];
            }
        }
      for (int s = 0; s < N; s++)
        {
          const double *row = qkv + (gsize)(b * N + s) * 3 * D;
          double q[D], z = 0;

          for (int i = 0; i < D; i++)
            {
              q[i] = elu1 (row[i]);
              z += q[i] * ksum[i];
            }
          for (int j = 0; j < D; j++)
            {
              double acc = 0;
              for (int i = 0; i < D; i++)
                acc += q[i] * kv[i][j];
              out[(gsize)(b * N + s) * D + j] = acc / z;
            }
        }
    }
}

static double
global_cos_loss (const float *E, const double *R, int b)
{
  double dot = 0, ee = 0, rr = 0;

  for (int p = 0; p < P; p++)
    for (int d = 0; d < D; d++)
      {
        gsize at = (gsize)(b * N + FIRST + p) * D + d;
        dot += E[at] * R[at];
        ee += (double)E[at] * E[at];
        rr += R[at] * R[at];
      }
  return 1.0 - dot / (MAX (sqrt (ee), 1e-8) * MAX (sqrt (rr), 1e-8));
}

/* The loss (the hard-mining surrogate when m->easy is set). */
static double
ref_loss (gpointer user_data)
{
  RefModel *m = user_data;
  static double x[M * D], t[M * D], wide[M * H4], qkv[M * 3 * D], att[M * D], mid[M * D];
  static double outs[8][M * D];
  double loss = 0;

  for (int i = 0; i < M * D; i++)
    x[i] = m->fused[i];
  dropout (x, M * D, m, 0);
  lin (wide, x, par (m, 0), par (m, 1), M, D, H4);
  for (int i = 0; i < M * H4; i++)
    wide[i] = gelu (wide[i]);
  dropout (wide, M * H4, m, 1);
  lin (x, wide, par (m, 2), par (m, 3), M, H4, D);
  dropout (x, M * D, m, 2);
  for (int blk = 0; blk < 8; blk++)
    {
      int q = 4 + 12 * blk;

      layer_norm (t, x, par (m, q + 0), par (m, q + 1), M, D);
      lin (qkv, t, par (m, q + 2), par (m, q + 3), M, D, 3 * D);
      linear_attention (att, qkv);
      lin (mid, att, par (m, q + 4), par (m, q + 5), M, D, D);
      for (int i = 0; i < M * D; i++)
        mid[i] += x[i];
      layer_norm (t, mid, par (m, q + 6), par (m, q + 7), M, D);
      lin (wide, t, par (m, q + 8), par (m, q + 9), M, D, H4);
      for (int i = 0; i < M * H4; i++)
        wide[i] = gelu (wide[i]);
      lin (x, wide, par (m, q + 10), par (m, q + 11), M, H4, D);
      for (int i = 0; i < M * D; i++)
        x[i] += mid[i];
      memcpy (outs[blk], x, sizeof x);
    }
  for (int i = 0; i < M * D; i++)
    {
      m->R_out[0][i] = (outs[7][i] + outs[6][i] + outs[5][i] + outs[4][i]) / 4;
      m->R_out[1][i] = (outs[3][i] + outs[2][i] + outs[1][i] + outs[0][i]) / 4;
    }
  for (int g = 0; g < 2; g++)
    {
      const float *E = g == 0 ? m->E1 : m->E2;
      double *R = m->R_out[g];
      static double Rs[M * D];

      memcpy (Rs, R, sizeof Rs);
      if (m->easy != NULL && m->have_R0)
        for (int b = 0; b < B; b++)
          for (int p = 0; p < P; p++)
            if (m->easy[(g * B + b) * P + p])
              for (int d = 0; d < D; d++)
                {
                  gsize at = (gsize)(b * N + FIRST + p) * D + d;
                  Rs[at] = m->R0[g][at] + m->factor * (R[at] - m->R0[g][at]);
                }
      for (int b = 0; b < B; b++)
        loss += global_cos_loss (E, Rs, b) / (2.0 * B);
    }
  return loss;
}

/* Non-trivial random weights (as the vectors' decoder: LN weights near 1,
 * biases and weights of a scale that keeps every path alive). */
static void
random_weights (DmDinomalyWeights *w, guint64 seed)
{
  GRand *rand = g_rand_new_with_seed ((guint32)seed);

  for (int i = 0; i < DM_DINOMALY_N_PARAMS; i++)
    {
      const DmParamInfo *p = &w->layout.params[i];
      float *x = w->arena + p->offset;
      double scale = p->kind == DM_PARAM_LINEAR_WEIGHT ? 1.0 / sqrt ((double)p->shape[1])
                     : p->kind == DM_PARAM_BIAS        ? 0.1
                                                       : 0.2;
      for (gsize e = 0; e < p->n_elements; e++)
        {
          double u = g_rand_double_range (rand, -1.0, 1.0) * sqrt (3.0) * scale;
          x[e] = (float)(p->kind == DM_PARAM_NORM_WEIGHT ? 1.0 + u : u);
        }
    }
  g_rand_free (rand);
}

static double worst_dir = 0, worst_elem = 0, worst_rand = 0;

static void
run_case (gint64 iteration, float p, const char *label)
{
  g_autoptr (GError) error = NULL;
  /* one thread: idle OpenMP workers would spin beside the long serial
   * reference loop (tiny shapes need no more) */
  g_autoptr (DmEngine) engine = dm_engine_new (1, &error);
  g_autoptr (DmDinomalyWeights) w = dm_dinomaly_weights_new (D, &error);
  g_autoptr (DmTrainStep) step = NULL;
  g_autofree RefModel *m = g_new0 (RefModel, 1);
  DmLossSettings loss;
  DmTrainStepResult r;
  DmDropout drop = { p, 12345 };
  gboolean quick = g_getenv ("DM_TEST_QUICK") != NULL;
  double base, case_dir = 0, case_elem = 0, case_rand = 0;
  GRand *rand = g_rand_new_with_seed (99);

  g_assert_no_error (error);
  random_weights (w, 7);
  step = dm_train_step_new (engine, w, B, N, FIRST, &error);
  g_assert_no_error (error);
  dm_test_fill_uniform (step->fused, (gsize)M * D, -1.5f, 1.5f, 1);
  dm_test_fill_uniform (step->E1, (gsize)M * D, -1.0f, 1.0f, 2);
  dm_test_fill_uniform (step->E2, (gsize)M * D, -1.0f, 1.0f, 3);
  /* correlate E with the input a little, as real features are */
  for (gsize i = 0; i < (gsize)M * D; i++)
    {
      step->E1[i] += 0.5f * step->fused[i];
      step->E2[i] -= 0.3f * step->fused[i];
    }
  dm_loss_settings_default (&loss);
  g_assert_true (dm_train_step_gradients (step, iteration, &drop, &loss, &r, &error));
  g_assert_no_error (error);
  g_test_message ("%s: loss %.8f, p %.3f, k %d of %d, easy %d + %d", label, r.loss.loss, r.loss.p,
                  r.loss.k, r.loss.count, r.loss.n_easy[0], r.loss.n_easy[1]);
  if (iteration > 0)
    g_assert_cmpint (r.loss.n_easy[0] + r.loss.n_easy[1], >, 0);

  m->layout = &w->layout;
  m->w = g_new (double, w->layout.n_floats);
  for (gsize i = 0; i < w->layout.n_floats; i++)
    m->w[i] = w->arena[i];
  m->fused = step->fused;
  m->E1 = step->E1;
  m->E2 = step->E2;
  m->p = p;
  m->seed = drop.seed;
  m->easy = iteration > 0 ? step->easy : NULL;
  m->factor = loss.factor;
  base = ref_loss (m);
  memcpy (m->R0, m->R_out, sizeof m->R0);
  m->have_R0 = TRUE;
  {
    /* the double forward is the float one */
    g_autofree float *R1 = g_new (float, M *D);
    g_autofree float *R2 = g_new (float, M *D);
    char what[64];

    for (int i = 0; i < M * D; i++)
      {
        R1[i] = (float)m->R0[0][i];
        R2[i] = (float)m->R0[1][i];
      }
    g_snprintf (what, sizeof what, "%s R1 vs double", label);
    dm_test_assert_close (step->acts.R1, R1, (gsize)M * D, 1e-5, what);
    g_snprintf (what, sizeof what, "%s R2 vs double", label);
    dm_test_assert_close (step->acts.R2, R2, (gsize)M * D, 1e-5, what);
    g_assert_cmpfloat (fabs (r.loss.loss - base), <=, 1e-5 * fabs (base));
  }

  for (int t = 0; t < DM_DINOMALY_N_PARAMS; t++)
    {
      const DmParamInfo *pi = &w->layout.params[t];
      const float *g = step->grads + pi->offset;
      double *x = m->w + pi->offset;
      g_autofree double *u = g_new (double, pi->n_elements);
      double h = 1e-5, analytic = 0, scale = 0, plus, minus, fd, err;
      gsize big = 0;

      /* 1. along sign (g) with random magnitudes: no cancellation */
      for (gsize e = 0; e < pi->n_elements; e++)
        {
          u[e] = (g[e] >= 0 ? 1.0 : -1.0) * g_rand_double_range (rand, 0.5, 1.0);
          analytic += g[e] * u[e];
          if (fabs (g[e]) > fabs (g[big]))
            big = e;
        }
      for (gsize e = 0; e < pi->n_elements; e++)
        x[e] += h * u[e];
      plus = ref_loss (m);
      for (gsize e = 0; e < pi->n_elements; e++)
        x[e] -= 2 * h * u[e];
      minus = ref_loss (m);
      for (gsize e = 0; e < pi->n_elements; e++)
        x[e] += h * u[e];
      fd = (plus - minus) / (2 * h);
      err = fabs (analytic - fd) / MAX (fabs (fd), 1e-12);
      case_dir = MAX (case_dir, err);
      if (!(err <= 1e-3))
        g_error ("%s %s: directional derivative %.9g, finite differences %.9g (rel %.3g)", label,
                 pi->name, analytic, fd, err);

      /* 2. the element with the largest gradient (not in quick runs) */
      if (!quick)
        {
          double saved = x[big];
          x[big] = saved + h;
          plus = ref_loss (m);
          x[big] = saved - h;
          minus = ref_loss (m);
          x[big] = saved;
          fd = (plus - minus) / (2 * h);
          err = fabs (g[big] - fd) / MAX (fabs (fd), 1e-12);
          case_elem = MAX (case_elem, err);
          if (!(err <= 1e-3))
            g_error ("%s %s[%" G_GSIZE_FORMAT
                     "]: gradient %.9g, finite differences %.9g (rel %.3g)",
                     label, pi->name, big, g[big], fd, err);
        }
      if (quick)
        continue;

      /* 3. a random +-1 direction, the error relative to sum |g| */
      analytic = 0;
      for (gsize e = 0; e < pi->n_elements; e++)
        {
          u[e] = g_rand_boolean (rand) ? 1.0 : -1.0;
          analytic += g[e] * u[e];
          scale += fabs (g[e]);
        }
      for (gsize e = 0; e < pi->n_elements; e++)
        x[e] += h * u[e];
      plus = ref_loss (m);
      for (gsize e = 0; e < pi->n_elements; e++)
        x[e] -= 2 * h * u[e];
      minus = ref_loss (m);
      for (gsize e = 0; e < pi->n_elements; e++)
        x[e] += h * u[e];
      fd = (plus - minus) / (2 * h);
      err = fabs (analytic - fd) / MAX (scale, 1e-12);
      case_rand = MAX (case_rand, err);
      if (!(err <= 1e-4))
        g_error ("%s %s: random direction %.9g, finite differences %.9g (%.3g of sum |g|)", label,
                 pi->name, analytic, fd, err);
    }
  g_test_message ("%s: worst relative error: sign direction %.3g, largest element %.3g, random "
                  "direction %.3g (of sum |g|)",
                  label, case_dir, case_elem, case_rand);
  worst_dir = MAX (worst_dir, case_dir);
  worst_elem = MAX (worst_elem, case_elem);
  worst_rand = MAX (worst_rand, case_rand);
  g_free (m->w);
  g_rand_free (rand);
}

static void
test_gradcheck_plain (void)
{
  /* it = 0: hard mining off; no dropout */
  if (g_getenv ("DM_TEST_QUICK") != NULL)
    {
      g_test_skip ("DM_TEST_QUICK: the hard-mining case covers every path");
      return;
    }
  run_case (0, 0.0f, "no mining, no dropout");
}

static void
test_gradcheck_hard_mining (void)
{
  /* it = 500: p = 0.45, about half of the points are easy; dropout 0.2 */
  run_case (500, 0.2f, "hard mining p 0.45, dropout 0.2");
}

/* Recomputing activations in the backward (what large shapes do to save
 * memory) gives the gradients of keeping them, bit for bit; so the finite
 * differences above cover both ways. */
static void
test_recompute_same_bits (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (2, &error);
  g_autoptr (DmDinomalyWeights) w = dm_dinomaly_weights_new (D, &error);
  g_autoptr (DmTrainStep) keep = NULL, again = NULL;
  DmLossSettings loss;
  DmTrainStepResult r1, r2;
  DmDropout drop = { 0.2f, 777 };

  g_assert_no_error (error);
  random_weights (w, 11);
  keep = dm_train_step_new_full (engine, w, B, N, FIRST, FALSE, &error);
  again = dm_train_step_new_full (engine, w, B, N, FIRST, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (again->acts.recompute);
  g_assert_false (keep->acts.recompute);
  g_assert_cmpuint (again->memory_floats, <, keep->memory_floats);
  dm_test_fill_uniform (keep->fused, (gsize)M * D, -1.5f, 1.5f, 4);
  dm_test_fill_uniform (keep->E1, (gsize)M * D, -1.0f, 1.0f, 5);
  dm_test_fill_uniform (keep->E2, (gsize)M * D, -1.0f, 1.0f, 6);
  memcpy (again->fused, keep->fused, (gsize)M * D * sizeof (float));
  memcpy (again->E1, keep->E1, (gsize)M * D * sizeof (float));
  memcpy (again->E2, keep->E2, (gsize)M * D * sizeof (float));
  dm_loss_settings_default (&loss);
  g_assert_true (dm_train_step_gradients (keep, 500, &drop, &loss, &r1, &error));
  g_assert_true (dm_train_step_gradients (again, 500, &drop, &loss, &r2, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (r1.loss.loss, ==, r2.loss.loss);
  g_assert_cmpmem (keep->grads, w->layout.n_floats * sizeof (float), again->grads,
                   w->layout.n_floats * sizeof (float));
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train-gradcheck/plain", test_gradcheck_plain);
  g_test_add_func ("/train-gradcheck/hard-mining-dropout", test_gradcheck_hard_mining);
  g_test_add_func ("/train-gradcheck/recompute-same-bits", test_recompute_same_bits);
  status = g_test_run ();
  dm_test_print_error_summary ();
  g_print ("# finite differences, worst relative error: sign direction %.3g, largest element "
           "%.3g, random direction %.3g (of sum |g|)\n",
           worst_dir, worst_elem, worst_rand);
  return status;
}
