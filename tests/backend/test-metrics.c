/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the seven metrics: hand-computed cases, degenerate inputs, the
 * fast paths against naive references, and the six reference cases of
 * tests/data/metrics (sklearn 1.2 / skimage 0.19 / numpy 1.24) to 1e-6. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dm-aupro.h"
#include "dm-error.h"
#include "dm-image.h"
#include "dm-metrics-dir.h"
#include "dm-metrics.h"
#include "dm-test-util.h"

/* largest |ours - reference| per metric over the reference cases */
static double worst_dev[DM_METRIC_COUNT];
static gboolean any_case_run;

static void
assert_near (double got, double want, double tol, const char *what)
{
  if (!(fabs (got - want) <= tol))
    g_error ("%s: got %.17g, want %.17g (tolerance %g)", what, got, want, tol);
}

/* ---- ROC / PR ---------------------------------------------------------- */

static void
test_roc_ties (void)
{
  /* P = 3, N = 2; the positive and the negative at 0.8 move together.
   * curve (tp, fp): (1,0) (2,1) (3,1) (3,2)
   * AUROC: pairs pos > neg: 4 + half a tie = 4.5 / 6
   * AP: 1/3 * 1 + 1/3 * 2/3 + 1/3 * 3/4 + 0 = 29/36
   * F1: best at (P 3/4, R 1): 1.5 / (1.75 + 1e-7) */
  const float s[] = { 0.9f, 0.8f, 0.8f, 0.7f, 0.5f };
  const guint8 y[] = { 1, 0, 1, 1, 0 };
  DmRocResult r;

  g_assert_true (dm_roc_compute (s, y, 5, &r, NULL));
  g_assert_cmpint (r.status, ==, DM_METRIC_OK);
  g_assert_cmpuint (r.n_thresholds, ==, 4);
  assert_near (r.auroc, 0.75, 1e-15, "auroc");
  assert_near (r.ap, 29.0 / 36.0, 1e-15, "ap");
  assert_near (r.f1max, 1.5 / (1.75 + 1e-7), 1e-15, "f1max");

  /* the same samples in another order give the same numbers */
  {
    const float s2[] = { 0.5f, 0.8f, 0.7f, 0.8f, 0.9f };
    const guint8 y2[] = { 0, 1, 1, 0, 1 };
    DmRocResult r2;

    g_assert_true (dm_roc_compute (s2, y2, 5, &r2, NULL));
    g_assert_cmpfloat (r2.auroc, ==, r.auroc);
    g_assert_cmpfloat (r2.ap, ==, r.ap);
    g_assert_cmpfloat (r2.f1max, ==, r.f1max);
  }
}

static void
test_roc_all_tied (void)
{
  /* one point: AUROC 0.5, AP = precision = 2/5, F1 = 2 * 0.4 / (1.4 + 1e-7);
   * -0.0 and +0.0 are one value */
  const float s[] = { 0.0f, -0.0f, 0.0f, -0.0f, 0.0f };
  const guint8 y[] = { 1, 1, 0, 0, 0 };
  DmRocResult r;

  g_assert_true (dm_roc_compute (s, y, 5, &r, NULL));
  g_assert_cmpuint (r.n_thresholds, ==, 1);
  assert_near (r.auroc, 0.5, 1e-15, "auroc");
  assert_near (r.ap, 0.4, 1e-15, "ap");
  assert_near (r.f1max, 2 * 0.4 * 1 / (0.4 + 1 + 1e-7), 1e-15, "f1max");
}

static void
test_roc_perfect_and_reversed (void)
{
  const float s[] = { -3.0f, -1.0f, 2.0f, 1e30f };
  const guint8 up[] = { 0, 0, 1, 1 }, down[] = { 1, 1, 0, 0 };
  DmRocResult r;

  g_assert_true (dm_roc_compute (s, up, 4, &r, NULL));
  assert_near (r.auroc, 1.0, 0, "auroc");
  assert_near (r.ap, 1.0, 0, "ap");
  assert_near (r.f1max, 2.0 / (2.0 + 1e-7), 1e-16, "f1max");
  g_assert_true (dm_roc_compute (s, down, 4, &r, NULL));
  assert_near (r.auroc, 0.0, 0, "auroc");
  /* precision at each point: 0, 0, 1/3, 2/4; recall steps at the last two */
  assert_near (r.ap, 0.5 * (1.0 / 3.0) + 0.5 * 0.5, 1e-15, "ap");
}

static void
test_roc_degenerate (void)
{
  const float s[] = { 0.1f, 0.2f, 0.3f };
  const guint8 zeros[] = { 0, 0, 0 }, ones[] = { 1, 1, 1 }, mixed[] = { 0, 1, 0 };
  const float bad[] = { 0.1f, NAN, 0.3f }, inf[] = { 0.1f, INFINITY, 0.3f };
  DmRocResult r;

  g_assert_true (dm_roc_compute (s, zeros, 3, &r, NULL));
  g_assert_cmpint (r.status, ==, DM_METRIC_NO_POSITIVES);
  g_assert_true (isnan (r.auroc) && isnan (r.ap) && isnan (r.f1max));
  g_assert_true (dm_roc_compute (s, ones, 3, &r, NULL));
  g_assert_cmpint (r.status, ==, DM_METRIC_NO_NEGATIVES);
  g_assert_true (isnan (r.auroc) && isnan (r.ap) && isnan (r.f1max));
  g_assert_true (dm_roc_compute (NULL, NULL, 0, &r, NULL));
  g_assert_cmpint (r.status, ==, DM_METRIC_EMPTY);
  g_assert_true (dm_roc_compute (bad, mixed, 3, &r, NULL));
  g_assert_cmpint (r.status, ==, DM_METRIC_NON_FINITE);
  g_assert_true (isnan (r.auroc));
  g_assert_true (dm_roc_compute (inf, mixed, 3, &r, NULL));
  g_assert_cmpint (r.status, ==, DM_METRIC_NON_FINITE);
  for (int s_ = DM_METRIC_OK; s_ <= DM_METRIC_UNDEFINED_CLASS; s_++)
    g_assert_nonnull (dm_metric_status_message (s_));
}

typedef struct
{
  float s;
  guint8 y;
} ScoredLabel;

static int
cmp_desc (const void *a, const void *b)
{
  float x = ((const ScoredLabel *)a)->s, z = ((const ScoredLabel *)b)->s;
  return x > z ? -1 : x < z ? 1 : 0;
}

/* The textbook way: qsort descending, group ties, plain sums. */
static void
naive_roc (const float *s, const guint8 *y, gsize n, double *auroc, double *ap, double *f1)
{
  g_autofree ScoredLabel *v = g_new (ScoredLabel, n);
  double P = 0, N, tp = 0, fp = 0, fpr0 = 0, tpr0 = 0, r0 = 0;

  for (gsize i = 0; i < n; i++)
    {
      v[i] = (ScoredLabel){ s[i], y[i] };
      P += y[i] != 0;
    }
  N = n - P;
  qsort (v, n, sizeof *v, cmp_desc);
  *auroc = *ap = 0;
  *f1 = -1;
  for (gsize i = 0; i < n;)
    {
      gsize j = i;
      double p, r;
      while (j < n && v[j].s == v[i].s)
        {
          tp += v[j].y != 0;
          fp += v[j].y == 0;
          j++;
        }
      i = j;
      *auroc += (fp / N - fpr0) * (tp / P + tpr0) / 2;
      fpr0 = fp / N;
      tpr0 = tp / P;
      p = tp / (tp + fp);
      r = tp / P;
      *ap += (r - r0) * p;
      r0 = r;
      *f1 = MAX (*f1, 2 * p * r / (p + r + 1e-7));
    }
}

static void
test_roc_against_naive (void)
{
  /* sizes that exercise every radix pass, ties (quantised scores), both
   * signs, and values spread over many exponents */
  const gsize sizes[] = { 1, 2, 7, 100, 5000, 200003 };

  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
    for (int quant = 0; quant < 2; quant++)
      {
        gsize n = sizes[k];
        g_autofree float *s = g_new (float, n);
        g_autofree float *u = g_new (float, n);
        g_autofree guint8 *y = g_new (guint8, n);
        double a, p, f;
        DmRocResult r;

        dm_test_fill_uniform (s, n, -4, 4, 11 + k);
        dm_test_fill_uniform (u, n, 0, 1, 23 + k);
        for (gsize i = 0; i < n; i++)
          {
            s[i] = quant ? roundf (s[i] * 8) / 8 : s[i] * s[i] * s[i] * 1e3f;
            y[i] = u[i] < 0.2f + 0.1f * (s[i] > 0); /* informative but noisy */
          }
        y[0] = 1;
        if (n > 1)
          y[n - 1] = 0;
        g_assert_true (dm_roc_compute (s, y, n, &r, NULL));
        if (n == 1)
          {
            g_assert_cmpint (r.status, ==, DM_METRIC_NO_NEGATIVES);
            continue;
          }
        naive_roc (s, y, n, &a, &p, &f);
        assert_near (r.auroc, a, 1e-12, "auroc vs naive");
        assert_near (r.ap, p, 1e-12, "ap vs naive");
        assert_near (r.f1max, f, 1e-15, "f1max vs naive");
      }
}

/* ---- AUPRO ------------------------------------------------------------- */

static void
test_aupro_thresholds (void)
{
  float t[DM_AUPRO_MAX_THRESHOLDS];

  /* numpy: len(np.arange(f32(0), f32(1), (f32(1) - f32(0)) / 200)) == 200 */
  g_assert_cmpint (dm_aupro_thresholds (0.0f, 1.0f, t), ==, 200);
  g_assert_cmpfloat (t[0], ==, 0.0f);
  g_assert_cmpfloat (t[100], ==, 0.5f);
  g_assert_cmpfloat (t[199], ==, 0.995f);
  /* a pair for which numpy 1.24 gives 201 (found with numpy; bits given) */
  {
    guint32 ua = 1050244054u, ub = 1060695846u; /* 0.29971188, 0.7223991 */
    float a, b;
    memcpy (&a, &ua, 4);
    memcpy (&b, &ub, 4);
    g_assert_cmpint (dm_aupro_thresholds (a, b, t), ==, 201);
    g_assert_cmpfloat (t[0], ==, a);
    /* the extra threshold is below max in double, equal to it in float32 */
    g_assert_cmpfloat (t[200], <=, b);
  }
  g_assert_cmpint (dm_aupro_thresholds (0.5f, 0.5f, t), ==, 0);
  g_assert_cmpint (dm_aupro_thresholds (-3e38f, 3e38f, t), ==, 0);
}

static void
test_aupro_hand (void)
{
  /* 1 x 12: a 2-pixel region (0.75, 0.375), 10 good pixels: 7 zeros, 0.25,
   * 0.5, 1.0. Thresholds i/200. FPR: 0.3 for i < 50 (not kept: strict),
   * 0.2 for i < 100, 0.1 after; PRO: 1 for i < 75, 0.5 for i < 150, 0.
   * Normalised points (1, 1) (1, .5) | (.5, .5) (.5, 0): one trapezoid of
   * width 0.5 at height 0.5 -> 0.25 (the official compute_pro agrees). */
  const float map[12] = { 0.75f, 0.375f, 0, 0, 0, 0, 0, 0, 0, 0.25f, 0.5f, 1.0f };
  const guint8 mask[12] = { 1, 1 };
  g_autofree DmAuproResult *r = g_new0 (DmAuproResult, 1);

  g_assert_true (dm_aupro_compute (map, mask, 1, 1, 12, 8, r, NULL));
  g_assert_cmpint (r->status, ==, DM_METRIC_OK);
  g_assert_cmpint (r->n_thresholds, ==, 200);
  g_assert_cmpint (r->n_kept, ==, 150);
  g_assert_cmpuint (r->n_regions, ==, 1);
  g_assert_cmpuint (r->n_negative, ==, 10);
  g_assert_cmpfloat (r->fpr[49], ==, 0.3);
  g_assert_cmpfloat (r->pro[74], ==, 1.0);
  g_assert_cmpfloat (r->pro[75], ==, 0.5);
  assert_near (r->aupro, 0.25, 1e-16, "aupro hand");
}

/* Naive AUPRO: flood-fill labelling, then every threshold counted anew. */
static void
naive_aupro (const float *maps,
             const guint8 *masks,
             int n,
             int h,
             int w,
             int conn,
             double *aupro,
             int *n_regions)
{
  gsize hw = (gsize)h * w;
  g_autofree int *lab = g_new0 (int, hw *n);
  g_autofree int *stack = g_new (int, hw);
  g_autofree int *area = g_new0 (int, hw *n + 1);
  float t[DM_AUPRO_MAX_THRESHOLDS], lo = INFINITY, hi = -INFINITY;
  double xs[DM_AUPRO_MAX_THRESHOLDS], ys[DM_AUPRO_MAX_THRESHOLDS], fmax = 0;
  int nt, nk = 0, R = 0;

  for (gsize i = 0; i < hw * n; i++)
    {
      lo = MIN (lo, maps[i]);
      hi = MAX (hi, maps[i]);
    }
  nt = dm_aupro_thresholds (lo, hi, t);
  for (int img = 0; img < n; img++)
    for (gsize i = 0; i < hw; i++)
      if (masks[img * hw + i] && !lab[img * hw + i])
        {
          int top = 0;
          lab[img * hw + i] = ++R;
          stack[top++] = (int)i;
          while (top > 0)
            {
              int p = stack[--top], py = p / w, px = p % w;
              for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                  {
                    int qy = py + dy, qx = px + dx;
                    gsize q = (gsize)qy * w + qx;
                    if ((dy || dx) && (conn == 8 || !dy || !dx) && qy >= 0 && qy < h && qx >= 0
                        && qx < w && masks[img * hw + q] && !lab[img * hw + q])
                      {
                        lab[img * hw + q] = R;
                        stack[top++] = (int)q;
                      }
                  }
            }
        }
  for (gsize i = 0; i < hw * n; i++)
    area[lab[i]]++;
  for (int k = 0; k < nt; k++)
    {
      g_autofree int *hit = g_new0 (int, R + 1);
      double fp = 0, neg = 0, pro = 0, fpr;
      for (gsize i = 0; i < hw * n; i++)
        {
          gboolean on = maps[i] > t[k];
          if (lab[i])
            hit[lab[i]] += on;
          else
            {
              neg++;
              fp += on;
            }
        }
      for (int r = 1; r <= R; r++)
        pro += (double)hit[r] / area[r];
      fpr = fp / neg;
      if (fpr < 0.3)
        {
          xs[nk] = fpr;
          ys[nk++] = pro / R;
          fmax = MAX (fmax, fpr);
        }
    }
  *aupro = 0;
  for (int k = 1; k < nk; k++)
    *aupro -= (xs[k] / fmax - xs[k - 1] / fmax) * (ys[k] + ys[k - 1]) / 2;
  *n_regions = R;
}

static void
test_aupro_against_naive (void)
{
  for (int trial = 0; trial < 12; trial++)
    {
      int n = 1 + trial % 4, h = 5 + trial, w = 17 - trial;
      gsize total = (gsize)n * h * w;
      g_autofree float *maps = g_new (float, total);
      g_autofree float *u = g_new (float, total);
      g_autofree guint8 *masks = g_new (guint8, total);
      g_autofree DmAuproResult *r = g_new0 (DmAuproResult, 1);

      dm_test_fill_uniform (maps, total, 0, 1, 100 + trial);
      dm_test_fill_uniform (u, total, 0, 1, 200 + trial);
      for (gsize i = 0; i < total; i++)
        {
          /* sparse masks: many 1-pixel and diagonal-touching regions */
          masks[i] = u[i] < 0.12f + 0.03f * (trial % 5);
          maps[i] = (trial % 3 == 0) ? roundf (maps[i] * 16) / 16 : maps[i];
          maps[i] += masks[i] ? 0.3f : 0;
        }
      for (int conn = 4; conn <= 8; conn += 4)
        {
          double want;
          int regions;

          naive_aupro (maps, masks, n, h, w, conn, &want, &regions);
          g_assert_true (dm_aupro_compute (maps, masks, n, h, w, conn, r, NULL));
          g_assert_cmpint (r->status, ==, DM_METRIC_OK);
          g_assert_cmpuint (r->n_regions, ==, (guint64)regions);
          assert_near (r->aupro, want, 1e-13, "aupro vs naive");
        }
    }
}

static void
test_aupro_regions (void)
{
  /* a 4 x 4 checkerboard: 1 region with 8-connectivity, 8 with 4; a lone
   * pixel in a corner; a full-height line on the border */
  const guint8 checker[16] = { 1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1 };
  const guint8 corner[16] = { [15] = 1 };
  const guint8 line[16] = { 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0 };
  /* a U shape whose arms meet only through the bottom row: one region */
  const guint8 u_shape[16] = { 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1 };
  float map[16];
  g_autofree DmAuproResult *r = g_new0 (DmAuproResult, 1);

  for (int i = 0; i < 16; i++)
    map[i] = (float)((i * 7) % 16) / 15.0f;
  g_assert_true (dm_aupro_compute (map, checker, 1, 4, 4, 8, r, NULL));
  g_assert_cmpuint (r->n_regions, ==, 1);
  g_assert_true (dm_aupro_compute (map, checker, 1, 4, 4, 4, r, NULL));
  g_assert_cmpuint (r->n_regions, ==, 8);
  g_assert_true (dm_aupro_compute (map, corner, 1, 4, 4, 8, r, NULL));
  g_assert_cmpuint (r->n_regions, ==, 1);
  /* the 1-pixel region holds map[15] = 0.6: predicted below it only */
  g_assert_cmpfloat (r->pro[0], ==, 1.0);
  g_assert_cmpfloat (r->pro[199], ==, 0.0);
  g_assert_true (dm_aupro_compute (map, line, 1, 4, 4, 4, r, NULL));
  g_assert_cmpuint (r->n_regions, ==, 1);
  g_assert_true (dm_aupro_compute (map, u_shape, 1, 4, 4, 4, r, NULL));
  g_assert_cmpuint (r->n_regions, ==, 1);
}

static void
test_aupro_degenerate (void)
{
  float flat[16], ramp[16];
  guint8 none[16] = { 0 }, all[16], some[16] = { [5] = 1 };
  g_autofree DmAuproResult *r = g_new0 (DmAuproResult, 1);
  g_autoptr (GError) error = NULL;

  memset (all, 1, sizeof all);
  for (int i = 0; i < 16; i++)
    {
      flat[i] = 0.25f;
      ramp[i] = (float)i;
    }
  g_assert_true (dm_aupro_compute (flat, some, 1, 4, 4, 8, r, NULL));
  g_assert_cmpint (r->status, ==, DM_METRIC_CONSTANT_MAP);
  g_assert_true (isnan (r->aupro));
  g_assert_true (dm_aupro_compute (ramp, none, 1, 4, 4, 8, r, NULL));
  g_assert_cmpint (r->status, ==, DM_METRIC_NO_REGIONS);
  g_assert_true (dm_aupro_compute (ramp, all, 1, 4, 4, 8, r, NULL));
  g_assert_cmpint (r->status, ==, DM_METRIC_NO_NEGATIVES);
  /* the defect holds the largest value: every kept FPR is 0 */
  ramp[5] = 100;
  g_assert_true (dm_aupro_compute (ramp, some, 1, 4, 4, 8, r, NULL));
  g_assert_cmpint (r->status, ==, DM_METRIC_OK);
  /* a map that is 0 but for one huge good pixel: FPR is 1/15 everywhere,
   * every threshold kept at x = 1: zero area, not NaN */
  memset (ramp, 0, sizeof ramp);
  ramp[0] = 1;
  g_assert_true (dm_aupro_compute (ramp, some, 1, 4, 4, 8, r, NULL));
  g_assert_cmpint (r->status, ==, DM_METRIC_OK);
  g_assert_cmpfloat (r->aupro, ==, 0.0);
  /* the defect is the only pixel above the minimum: FPR 0 everywhere */
  memset (ramp, 0, sizeof ramp);
  ramp[5] = 1;
  g_assert_true (dm_aupro_compute (ramp, some, 1, 4, 4, 8, r, NULL));
  g_assert_cmpint (r->status, ==, DM_METRIC_ZERO_FPR);
  g_assert_true (isnan (r->aupro));
  /* every good pixel at the maximum: FPR 1 at every threshold, none kept */
  flat[5] = 0;
  g_assert_true (dm_aupro_compute (flat, some, 1, 4, 4, 8, r, NULL));
  g_assert_cmpint (r->status, ==, DM_METRIC_TOO_FEW_POINTS);
  g_assert_cmpint (r->n_kept, ==, 0);
  flat[3] = NAN;
  g_assert_true (dm_aupro_compute (flat, some, 1, 4, 4, 8, r, NULL));
  g_assert_cmpint (r->status, ==, DM_METRIC_NON_FINITE);
  g_assert_true (dm_aupro_compute (NULL, NULL, 0, 4, 4, 8, r, NULL));
  g_assert_cmpint (r->status, ==, DM_METRIC_EMPTY);
  g_assert_false (dm_aupro_compute (ramp, some, 1, 4, 4, 6, r, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
}

/* ---- the seven together ------------------------------------------------ */

static void
test_metrics_degenerate_class (void)
{
  /* two normal images, one constant map: image metrics NaN (no anomalous
   * image), pixel metrics NaN (no defect pixel), AUPRO NaN */
  const float scores[2] = { 0.5f, 0.7f };
  const guint8 labels[2] = { 0, 0 };
  float maps[2 * 9];
  guint8 masks[2 * 9] = { 0 };
  DmMetrics m, mean, both[2];

  for (int i = 0; i < 18; i++)
    maps[i] = 0.25f;
  g_assert_true (dm_metrics_compute (scores, labels, 2, maps, masks, 3, 3, &m, NULL));
  for (int id = 0; id < DM_METRIC_COUNT; id++)
    g_assert_true (isnan (dm_metrics_get (&m, id)));
  g_assert_cmpint (m.status[DM_METRIC_IMAGE_AUROC], ==, DM_METRIC_NO_POSITIVES);
  g_assert_cmpint (m.status[DM_METRIC_PIXEL_AP], ==, DM_METRIC_NO_POSITIVES);
  g_assert_cmpint (m.status[DM_METRIC_AUPRO], ==, DM_METRIC_CONSTANT_MAP);

  /* a defect pixel on a constant map: pixel AUROC 0.5, AP = 1/18, F1 from
   * P = 1/18, R = 1 (sklearn does the same); AUPRO still NaN */
  masks[4] = 1;
  g_assert_true (
    dm_metrics_compute (scores, (const guint8[]){ 0, 1 }, 2, maps, masks, 3, 3, &m, NULL));
  assert_near (m.image_auroc, 1.0, 0, "image auroc");
  assert_near (m.pixel_auroc, 0.5, 1e-16, "pixel auroc");
  assert_near (m.pixel_ap, 1.0 / 18, 1e-16, "pixel ap");
  assert_near (m.pixel_f1max, 2 * (1.0 / 18) / (1.0 / 18 + 1 + 1e-7), 1e-16, "pixel f1");
  g_assert_cmpint (m.status[DM_METRIC_AUPRO], ==, DM_METRIC_CONSTANT_MAP);
  g_assert_cmpint (m.aupro_regions, ==, 0);

  both[0] = m;
  both[1] = m;
  both[1].image_auroc = 0.5;
  dm_metrics_mean (both, 2, &mean);
  assert_near (mean.image_auroc, 0.75, 0, "mean");
  g_assert_cmpint (mean.status[DM_METRIC_IMAGE_AUROC], ==, DM_METRIC_OK);
  g_assert_true (isnan (mean.aupro));
  g_assert_cmpint (mean.status[DM_METRIC_AUPRO], ==, DM_METRIC_UNDEFINED_CLASS);
  g_assert_cmpuint (mean.n_images, ==, 4);
  dm_metrics_mean (NULL, 0, &mean);
  g_assert_cmpint (mean.status[DM_METRIC_AUPRO], ==, DM_METRIC_EMPTY);
  g_assert_cmpstr (dm_metric_name (DM_METRIC_AUPRO), ==, "aupro");
}

/* ---- the reference cases ----------------------------------------------- */

static double
json_number (JsonObject *o, const char *key)
{
  JsonNode *node = json_object_get_member (o, key);

  g_assert_nonnull (node);
  return JSON_NODE_HOLDS_NULL (node) ? NAN : json_node_get_double (node);
}

static void
test_reference_case (gconstpointer data)
{
  const char *name = data;
  g_autofree char *dir = g_build_filename (dm_test_srcdir (), "data", "metrics", name, NULL);
  g_autofree char *json_path = g_build_filename (dir, "expected.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (DmMetricsInput) in = NULL;
  g_autofree DmAuproResult *r4 = g_new0 (DmAuproResult, 1);
  g_autofree DmAuproResult *r8 = g_new0 (DmAuproResult, 1);
  JsonObject *want, *diag;
  DmMetrics m;

  json_parser_load_from_file (parser, json_path, &error);
  g_assert_no_error (error);
  want = json_node_get_object (json_parser_get_root (parser));
  diag = json_object_get_object_member (want, "_diagnostics");

  in = dm_metrics_input_load_dir (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (in->n_images, ==, json_object_get_int_member (diag, "n_images"));
  g_assert_cmpint (in->width, ==, json_object_get_int_member (diag, "size"));
  g_assert_true (dm_metrics_compute (in->scores, in->labels, in->n_images, in->maps, in->masks,
                                     in->height, in->width, &m, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (m.n_anomalous, ==, json_object_get_int_member (diag, "n_anomalous"));

  for (int id = 0; id < DM_METRIC_COUNT; id++)
    {
      /* expected.json calls AUPRO pixel_aupro */
      const char *key = id == DM_METRIC_AUPRO ? "pixel_aupro" : dm_metric_name (id);
      double got = dm_metrics_get (&m, id), ref = json_number (want, key);
      double dev = fabs (got - ref);

      g_test_message ("%s %s: %.17g (reference %.17g, |diff| %.2g)", name, key, got, ref, dev);
      worst_dev[id] = MAX (worst_dev[id], dev);
      assert_near (got, ref, 1e-6, key);
    }
  any_case_run = TRUE;

  /* diagnostics: 200/201 thresholds, regions with 8 and 4 connectivity,
   * and what a 4-connectivity bug would have given */
  g_assert_cmpint (m.aupro_thresholds, ==, json_object_get_int_member (diag, "aupro_thresholds"));
  g_assert_cmpuint (m.aupro_regions, ==, json_object_get_int_member (diag, "regions_8conn"));
  g_assert_true (
    dm_aupro_compute (in->maps, in->masks, in->n_images, in->height, in->width, 4, r4, NULL));
  g_assert_cmpuint (r4->n_regions, ==, json_object_get_int_member (diag, "regions_4conn"));
  assert_near (r4->aupro, json_number (diag, "pixel_aupro_if_4_connected"), 1e-6,
               "aupro with 4-connectivity");
  if (r4->n_regions != m.aupro_regions)
    g_assert_true (fabs (r4->aupro - m.aupro) > 1e-3); /* the bug would show */

  /* with 201 thresholds: the area from the first 200 only */
  if (!JSON_NODE_HOLDS_NULL (json_object_get_member (diag, "pixel_aupro_if_only_200_thresholds")))
    {
      double fmax = 0, area = 0, xp = 0, yp = 0;
      int k = 0;

      g_assert_true (
        dm_aupro_compute (in->maps, in->masks, in->n_images, in->height, in->width, 8, r8, NULL));
      g_assert_cmpint (r8->n_thresholds, ==, 201);
      for (int i = 0; i < 200; i++)
        if (r8->fpr[i] < 0.3)
          fmax = MAX (fmax, r8->fpr[i]);
      for (int i = 0; i < 200; i++)
        if (r8->fpr[i] < 0.3)
          {
            double x = r8->fpr[i] / fmax, y = r8->pro[i];
            if (k++ > 0)
              area -= (x - xp) * (y + yp) / 2;
            xp = x;
            yp = y;
          }
      assert_near (area, json_number (diag, "pixel_aupro_if_only_200_thresholds"), 1e-6,
                   "aupro over 200 thresholds");
    }
}

/* ---- the folder reader (the CLI test covers the messages end to end) --- */

static void
write_case (const char *dir, const char *csv, int map_w, int mask_w)
{
  g_autofree char *maps = g_build_filename (dir, "maps", NULL);
  g_autofree char *masks = g_build_filename (dir, "masks", NULL);
  g_autofree char *csv_path = g_build_filename (dir, "scores.csv", NULL);
  const char *const names[] = { "a", "b" };
  float px[5 * 4]; /* (4, up to 5) */
  g_autoptr (GError) error = NULL;

  g_mkdir_with_parents (maps, 0755);
  g_mkdir_with_parents (masks, 0755);
  g_assert_true (g_file_set_contents (csv_path, csv, -1, NULL));
  for (int i = 0; i < 16; i++)
    px[i] = (float)i / 16;
  for (int k = 0; k < 2; k++)
    {
      g_autofree char *map_name = g_strdup_printf ("%s_map.tiff", names[k]);
      g_autofree char *map = g_build_filename (maps, map_name, NULL);
      g_assert_true (dm_image_save_tiff_f32 (px, k == 1 ? map_w : 4, 4, map, &error));
      g_assert_no_error (error);
    }
  {
    g_autofree char *mask = g_build_filename (masks, "b_mask.png", NULL);
    g_autoptr (DmImage) img = dm_image_new (mask_w, 4, 1, DM_PIXEL_U8, &error);

    g_assert_no_error (error);
    memset (img->data, 0, img->stride * 4);
    img->data[5] = 255;
    img->data[6] = 17;
    g_assert_true (dm_image_save_png (img, mask, &error));
    g_assert_no_error (error);
  }
}

static void
test_reader (void)
{
  const struct
  {
    const char *csv;
    int map_w, mask_w;
    int code;
    const char *needle;
  } cases[] = {
    { "name,label,score\r\na,0,0.25\r\n\r\nb,1,0.75\r\n", 4, 4, -1, NULL },
    { "\xEF\xBB\xBFname,label,score\na, 0 ,1e-45\nb,1,-0\n", 4, 4, -1, NULL },
    { "name,label,score\na,0,0.25\nb,1,0.75,\n", 4, 4, DM_ERROR_CORRUPT, "line 3" },
    { "name,label,score\na,0,0.25\nb,1,\n", 4, 4, DM_ERROR_CORRUPT, "line 3" },
    { "name,label,score\na,0,0.25\nb,1,0.75\n", 5, 4, DM_ERROR_MISMATCH, "b_map.tiff" },
    { "name,label,score\na,0,0.25\nb,1,0.75\n", 4, 3, DM_ERROR_MISMATCH, "b_mask.png" },
    { "name,label,score\na,0,0.25\nc,1,0.75\n", 4, 4, DM_ERROR_IO, "c_map.tiff" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dir = dm_test_make_tmpdir ();
      g_autoptr (GError) error = NULL;
      g_autoptr (DmMetricsInput) in = NULL;

      write_case (dir, cases[i].csv, cases[i].map_w, cases[i].mask_w);
      in = dm_metrics_input_load_dir (dir, &error);
      if (cases[i].code < 0)
        {
          g_assert_no_error (error);
          g_assert_cmpuint (in->n_images, ==, 2);
          g_assert_cmpstr (in->names[1], ==, "b");
          g_assert_cmpint (in->labels[0], ==, 0);
          g_assert_cmpint (in->labels[1], ==, 1);
          g_assert_cmpuint (in->n_missing_masks, ==, 1);
          g_assert_cmpint (in->masks[16 + 5], ==, 1);
          g_assert_cmpint (in->masks[16 + 6], ==, 1);
          g_assert_cmpint (in->masks[16 + 7], ==, 0);
          g_assert_cmpfloat (in->maps[16 + 3], ==, 3.0f / 16);
          if (i == 1)
            {
              g_assert_cmpfloat (in->scores[0], >, 0); /* the smallest subnormal */
              g_assert_cmpfloat (in->scores[1], ==, 0);
            }
          else
            g_assert_cmpfloat (in->scores[1], ==, 0.75f);
        }
      else
        {
          g_assert_error (error, DM_ERROR, cases[i].code);
          if (strstr (error->message, cases[i].needle) == NULL)
            g_error ("\"%s\" lacks \"%s\"", error->message, cases[i].needle);
        }
    }
}

/* ---- speed (only with -m perf) ----------------------------------------- */

/* CPU time of this process: what a loaded machine's wall clock hides. */
static double
cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
test_speed (void)
{
  /* 153 maps of 256 x 256 = 10.03 M pixels, smooth blobs + noise, 4% defect */
  const int n = 153, h = 256, w = 256;
  gsize total = (gsize)n * h * w;
  g_autofree float *maps = g_new (float, total);
  g_autofree guint8 *masks = g_new0 (guint8, total);
  g_autofree DmAuproResult *r = g_new0 (DmAuproResult, 1);
  DmRocResult roc;
  double t_roc, t_pro, c0, c1, c2;

  if (!g_test_perf ())
    {
      g_test_skip ("a benchmark: run with -m perf");
      return;
    }
  dm_test_fill_uniform (maps, total, 0, 0.2f, 5);
  for (int img = 0; img < n; img++)
    {
      int cx = (img * 37) % w, cy = (img * 91) % h, rad = 10 + img % 30;
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          {
            gsize i = ((gsize)img * h + y) * w + x;
            int d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            if (img % 2 && d2 < rad * rad)
              {
                masks[i] = 1;
                maps[i] += 0.3f * (1 - (float)d2 / (rad * rad));
              }
          }
    }
  c0 = cpu_seconds ();
  g_test_timer_start ();
  g_assert_true (dm_roc_compute (maps, masks, total, &roc, NULL));
  t_roc = g_test_timer_elapsed ();
  c1 = cpu_seconds ();
  g_test_timer_start ();
  g_assert_true (dm_aupro_compute (maps, masks, n, h, w, 8, r, NULL));
  t_pro = g_test_timer_elapsed ();
  c2 = cpu_seconds ();
  g_test_minimized_result (t_roc, "pixel AUROC+AP+F1-max over %" G_GSIZE_FORMAT " pixels: %.3f s",
                           total, t_roc);
  g_test_minimized_result (t_pro, "AUPRO (%d thresholds, %" G_GUINT64_FORMAT " regions): %.3f s",
                           r->n_thresholds, r->n_regions, t_pro);
  g_print ("# speed: %" G_GSIZE_FORMAT " pixels, %" G_GUINT64_FORMAT
           " distinct scores: AUROC+AP+F1-max %.3f s wall, %.3f s cpu (one sort, one walk); "
           "AUPRO (%d thresholds, %" G_GUINT64_FORMAT " regions) %.3f s wall, %.3f s cpu\n",
           total, roc.n_thresholds, t_roc, c1 - c0, r->n_thresholds, r->n_regions, t_pro, c2 - c1);
}

/* A region of interest in the pixel metrics: everything inspected changes
 * nothing; leaving out a strip of columns at the edge is the same as
 * cutting those columns off every map and mask (no region is joined or
 * split through a border strip), for every pixel metric and AUPRO. */
static void
test_metrics_inspected (void)
{
  enum
  {
    n = 6,
    h = 24,
    w = 32,
    keep = 20
  };
  g_autofree float *maps = g_new (float, n *h *w), *cut_maps = g_new (float, n *h *keep);
  g_autofree guint8 *masks = g_new0 (guint8, n * h * w), *cut_masks = g_new (guint8, n * h * keep);
  g_autofree guint8 *inspected = g_new (guint8, h * w);
  float scores[n];
  guint8 labels[n];
  DmMetrics all, plain, masked, cut;

  dm_test_fill_uniform (maps, n * h * w, 0, 1, 77);
  for (int i = 0; i < n; i++)
    {
      scores[i] = (float)i / n;
      labels[i] = i % 2;
      /* defects on both sides of the cut, one across it */
      for (int y = 4 + i; y < 10 + i && labels[i]; y++)
        for (int x = 12; x < 26; x++)
          {
            masks[(i * h + y) * w + x] = 1;
            maps[(i * h + y) * w + x] += 0.5f;
          }
    }
  for (int i = 0; i < n * h; i++)
    {
      memcpy (cut_maps + i * keep, maps + i * w, keep * sizeof (float));
      memcpy (cut_masks + i * keep, masks + i * w, keep);
    }
  memset (inspected, 1, h * w);
  g_assert_true (dm_metrics_compute (scores, labels, n, maps, masks, h, w, &plain, NULL));
  g_assert_true (
    dm_metrics_compute_inspected (scores, labels, n, maps, masks, h, w, inspected, &all, NULL));
  for (int id = 0; id < DM_METRIC_COUNT; id++)
    g_assert_true (dm_metrics_get (&all, id) == dm_metrics_get (&plain, id));
  for (int y = 0; y < h; y++)
    for (int x = keep; x < w; x++)
      inspected[y * w + x] = 0;
  g_assert_true (
    dm_metrics_compute_inspected (scores, labels, n, maps, masks, h, w, inspected, &masked, NULL));
  g_assert_true (dm_metrics_compute (scores, labels, n, cut_maps, cut_masks, h, keep, &cut, NULL));
  for (int id = 0; id < DM_METRIC_COUNT; id++)
    {
      g_test_message ("%s: %.9g masked, %.9g cut, %.9g whole", dm_metric_name (id),
                      dm_metrics_get (&masked, id), dm_metrics_get (&cut, id),
                      dm_metrics_get (&plain, id));
      g_assert_true (dm_metrics_get (&masked, id) == dm_metrics_get (&cut, id));
    }
  g_assert_cmpuint (masked.n_pixels, ==, cut.n_pixels);
  g_assert_cmpuint (masked.n_defect_pixels, ==, cut.n_defect_pixels);
  g_assert_cmpuint (masked.aupro_regions, ==, cut.aupro_regions);
  g_assert_true (dm_metrics_get (&masked, DM_METRIC_PIXEL_AUROC)
                 != dm_metrics_get (&plain, DM_METRIC_PIXEL_AUROC));
}

int
main (int argc, char *argv[])
{
  static const char *const cases[] = { "case1", "case2", "case3", "case4", "case5", "case6" };
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics/roc/ties", test_roc_ties);
  g_test_add_func ("/metrics/roc/all-tied", test_roc_all_tied);
  g_test_add_func ("/metrics/roc/perfect-and-reversed", test_roc_perfect_and_reversed);
  g_test_add_func ("/metrics/roc/degenerate", test_roc_degenerate);
  g_test_add_func ("/metrics/roc/against-naive", test_roc_against_naive);
  g_test_add_func ("/metrics/aupro/thresholds", test_aupro_thresholds);
  g_test_add_func ("/metrics/aupro/hand", test_aupro_hand);
  g_test_add_func ("/metrics/aupro/regions", test_aupro_regions);
  g_test_add_func ("/metrics/aupro/against-naive", test_aupro_against_naive);
  g_test_add_func ("/metrics/aupro/degenerate", test_aupro_degenerate);
  g_test_add_func ("/metrics/seven/degenerate-class", test_metrics_degenerate_class);
  g_test_add_func ("/metrics/reader", test_reader);
  g_test_add_func ("/metrics/seven/inspected", test_metrics_inspected);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/metrics/reference/%s", cases[i]);
      g_test_add_data_func (path, cases[i], test_reference_case);
    }
  g_test_add_func ("/metrics/speed", test_speed);
  status = g_test_run ();
  if (any_case_run)
    {
      g_print ("# largest deviation from the reference over the cases run:");
      for (int id = 0; id < DM_METRIC_COUNT; id++)
        g_print (" %s %.2g%s", dm_metric_name (id), worst_dev[id],
                 id + 1 < DM_METRIC_COUNT ? "," : "\n");
    }
  return status;
}
