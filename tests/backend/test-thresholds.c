/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Thresholds: decisions with and without the uncertain band, numpy's
 * quantile, the F1-optimal cut, and the counts (brute force and the sorted
 * index of the sliders), histograms and false-reject cuts against the
 * definitions written out. */
#include <math.h>
#include <string.h>

#include "dm-test-util.h"
#include "dm-thresholds.h"

static void
test_decide (void)
{
  DmThresholds t;

  dm_thresholds_init (&t);
  g_assert_cmpint (dm_decide (&t, 1e9f), ==, DM_DECISION_PASS);
  t.image = 0.5;
  g_assert_cmpint (dm_decide (&t, 0.49f), ==, DM_DECISION_PASS);
  g_assert_cmpint (dm_decide (&t, 0.5f), ==, DM_DECISION_FAIL);
  t.uncertain_low = 0.4;
  t.uncertain_high = 0.6;
  g_assert_cmpint (dm_decide (&t, 0.39f), ==, DM_DECISION_PASS);
  g_assert_cmpint (dm_decide (&t, 0.4f), ==, DM_DECISION_UNCERTAIN);
  g_assert_cmpint (dm_decide (&t, 0.59f), ==, DM_DECISION_UNCERTAIN);
  g_assert_cmpint (dm_decide (&t, 0.6f), ==, DM_DECISION_FAIL);
  g_assert_cmpstr (dm_decision_name (DM_DECISION_UNCERTAIN), ==, "uncertain");
}

static void
test_quantile (void)
{
  const float x[] = { 0.3f, 0.1f, 0.7f, 0.5f, 0.9f, 0.2f };
  /* numpy.quantile of the same float32 values */
  const double q[] = { 0, 0.25, 0.5, 0.9, 1 };
  const double want[] = { 0.1, 0.225, 0.4, 0.8, 0.9 };

  for (guint i = 0; i < G_N_ELEMENTS (q); i++)
    g_assert_cmpfloat_with_epsilon (dm_quantile (x, 6, q[i]), want[i], 1e-6);
  g_assert_true (isnan (dm_quantile (x, 0, 0.5)));
  g_assert_cmpfloat (dm_quantile (x, 1, 0.99), ==, x[0]);
}

static double
f1_at (const float *s, const guint8 *l, gsize n, double t)
{
  gsize tp = 0, fp = 0, fn = 0;

  for (gsize i = 0; i < n; i++)
    {
      gboolean called = s[i] >= t;
      tp += called && l[i];
      fp += called && !l[i];
      fn += !called && l[i];
    }
  return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
}

static void
test_f1_optimal (void)
{
  GRand *rand = g_rand_new_with_seed (7);

  for (int round = 0; round < 200; round++)
    {
      gsize n = 1 + g_rand_int_range (rand, 0, 60);
      g_autofree float *s = g_new (float, n);
      g_autofree guint8 *l = g_new (guint8, n);
      double best = 0, f1, t;
      gboolean any = FALSE;

      for (gsize i = 0; i < n; i++)
        {
          l[i] = g_rand_int_range (rand, 0, 3) == 0;
          any |= l[i];
          /* few distinct values, so that ties happen */
          s[i] = (float)g_rand_int_range (rand, 0, 12) / 8.0f + (l[i] ? 0.3f : 0.0f);
        }
      for (gsize i = 0; i < n; i++)
        best = MAX (best, f1_at (s, l, n, s[i]));
      t = dm_threshold_f1_optimal (s, l, n, &f1);
      if (!any)
        {
          g_assert_true (isnan (t));
          continue;
        }
      g_assert_cmpfloat_with_epsilon (f1, best, 1e-12);
      g_assert_cmpfloat_with_epsilon (f1_at (s, l, n, t), best, 1e-12);
    }
  g_rand_free (rand);
}

/* Scores with ties, NaNs now and then, labels and user verdicts at random. */
static void
random_class (GRand *rand, gsize n, float *s, guint8 *l, guint8 *u)
{
  for (gsize i = 0; i < n; i++)
    {
      l[i] = g_rand_int_range (rand, 0, 3) == 0;
      u[i] = g_rand_int_range (rand, 0, 5) == 0 ? g_rand_int_range (rand, 1, 3) : 0;
      s[i] = g_rand_int_range (rand, 0, 40) == 0
               ? NAN
               : (float)g_rand_int_range (rand, 0, 16) / 8.0f + (l[i] ? 0.5f : 0.0f);
    }
}

static double
random_threshold (GRand *rand, const float *s, gsize n)
{
  switch (g_rand_int_range (rand, 0, 4))
    {
    case 0: return NAN;
    case 1: return s[g_rand_int_range (rand, 0, (gint32)n)]; /* exactly a score: ties */
    default: return g_rand_double_range (rand, -0.5, 3.0);
    }
}

static void
test_counts (void)
{
  GRand *rand = g_rand_new_with_seed (11);

  for (int round = 0; round < 300; round++)
    {
      gsize n = 1 + g_rand_int_range (rand, 0, 80);
      g_autofree float *s = g_new (float, n);
      g_autofree guint8 *l = g_new (guint8, n);
      g_autofree guint8 *u = g_new (guint8, n);
      g_autoptr (DmScoreIndex) index = NULL;

      random_class (rand, n, s, l, u);
      index = dm_score_index_new (s, l, u, n);
      for (int k = 0; k < 20; k++)
        {
          DmThresholds t;
          DmThresholdCounts fast, brute, want;

          dm_thresholds_init (&t);
          t.image = random_threshold (rand, s, n);
          if (k % 2)
            {
              t.uncertain_low = random_threshold (rand, s, n);
              t.uncertain_high = random_threshold (rand, s, n);
            }
          /* the definition, written out: user verdicts overrule */
          memset (&want, 0, sizeof want);
          for (gsize i = 0; i < n; i++)
            {
              guint truth = u[i] == 2 || (u[i] == 0 && l[i]);
              want.matrix[dm_decide (&t, s[i])][truth]++;
              want.decided[dm_decide (&t, s[i])]++;
              want.truth[truth]++;
            }
          dm_threshold_counts (&t, s, l, u, n, &brute);
          dm_score_index_counts (index, &t, &fast);
          g_assert_cmpmem (&brute, sizeof brute, &want, sizeof want);
          g_assert_cmpmem (&fast, sizeof fast, &want, sizeof want);
        }
    }
  g_rand_free (rand);
}

static void
test_histogram (void)
{
  const float s[] = { -1.0f, 0.0f, 0.24f, 0.25f, 0.5f, 0.99f, 1.0f, 7.0f, NAN };
  const guint8 truth[] = { 0, 0, 1, 0, 1, 1, 0, 1, 1 };
  guint normal[4], defect[4];
  const guint want_normal[4] = { 2, 1, 0, 1 }, want_defect[4] = { 1, 0, 1, 2 };

  dm_score_histogram (s, truth, G_N_ELEMENTS (s), 0.0, 1.0, 4, normal, defect);
  g_assert_cmpmem (normal, sizeof normal, want_normal, sizeof want_normal);
  g_assert_cmpmem (defect, sizeof defect, want_defect, sizeof want_defect);
  dm_score_histogram (s, NULL, G_N_ELEMENTS (s), 0.0, 1.0, 4, normal, defect);
  g_assert_cmpuint (normal[0] + normal[1] + normal[2] + normal[3], ==, 8);
  g_assert_cmpuint (defect[3], ==, 0);
}

static void
test_false_rejects (void)
{
  GRand *rand = g_rand_new_with_seed (3);

  for (int round = 0; round < 100; round++)
    {
      gsize n = 1 + g_rand_int_range (rand, 0, 500), rejected = 0;
      g_autofree float *s = g_new (float, n);
      double x = g_rand_double_range (rand, 0.0, 0.2), t;

      for (gsize i = 0; i < n; i++)
        s[i] = (float)g_rand_double (rand);
      t = dm_threshold_for_false_rejects (s, n, x);
      g_assert_cmpfloat (t, ==, dm_quantile (s, n, 1.0 - x));
      for (gsize i = 0; i < n; i++)
        rejected += s[i] >= t;
      /* linear interpolation between ranks: at most one image over X */
      g_assert_cmpfloat ((double)rejected, <=, x * (n - 1) + 1.0);
    }
  g_assert_true (isnan (dm_threshold_for_false_rejects (NULL, 0, 0.01)));
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/thresholds/decide", test_decide);
  g_test_add_func ("/thresholds/quantile", test_quantile);
  g_test_add_func ("/thresholds/f1-optimal", test_f1_optimal);
  g_test_add_func ("/thresholds/counts", test_counts);
  g_test_add_func ("/thresholds/histogram", test_histogram);
  g_test_add_func ("/thresholds/false-rejects", test_false_rejects);
  return g_test_run ();
}
