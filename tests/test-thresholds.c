/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Thresholds: decisions with and without the uncertain band, numpy's
 * quantile, and the F1-optimal cut against a brute-force search. */
#include <math.h>

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/thresholds/decide", test_decide);
  g_test_add_func ("/thresholds/quantile", test_quantile);
  g_test_add_func ("/thresholds/f1-optimal", test_f1_optimal);
  return g_test_run ();
}
