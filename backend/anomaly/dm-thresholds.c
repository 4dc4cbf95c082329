/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Thresholds and decisions of a class (see dm-thresholds.h). */
#include "dm-thresholds.h"

#include <math.h>
#include <stdlib.h>

void
dm_thresholds_init (DmThresholds *thresholds)
{
  thresholds->image = NAN;
  thresholds->uncertain_low = NAN;
  thresholds->uncertain_high = NAN;
  thresholds->pixel = NAN;
}

DmDecision
dm_decide (const DmThresholds *t, float score)
{
  if (!isnan (t->uncertain_low) && !isnan (t->uncertain_high))
    {
      if (score >= t->uncertain_high)
        return DM_DECISION_FAIL;
      return score >= t->uncertain_low ? DM_DECISION_UNCERTAIN : DM_DECISION_PASS;
    }
  return !isnan (t->image) && score >= t->image ? DM_DECISION_FAIL : DM_DECISION_PASS;
}

const char *
dm_decision_name (DmDecision decision)
{
  switch (decision)
    {
    case DM_DECISION_PASS: return "pass";
    case DM_DECISION_UNCERTAIN: return "uncertain";
    case DM_DECISION_FAIL: return "fail";
    }
  return "pass";
}

static int
compare_floats (const void *a, const void *b)
{
  float x = *(const float *)a, y = *(const float *)b;

  return (x > y) - (x < y);
}

double
dm_quantile (const float *values, gsize n, double q)
{
  g_autofree float *sorted = NULL;
  double pos, frac;
  gsize lo;

  if (n == 0)
    return NAN;
  sorted = g_memdup2 (values, n * sizeof (float));
  qsort (sorted, n, sizeof (float), compare_floats);
  pos = CLAMP (q, 0.0, 1.0) * (double)(n - 1);
  lo = (gsize)floor (pos);
  if (lo >= n - 1)
    return sorted[n - 1];
  frac = pos - (double)lo;
  return sorted[lo] + frac * ((double)sorted[lo + 1] - sorted[lo]);
}

typedef struct
{
  float score;
  guint8 defect;
} Scored;

static int
compare_descending (const void *a, const void *b)
{
  float x = ((const Scored *)a)->score, y = ((const Scored *)b)->score;

  return (x < y) - (x > y);
}

double
dm_threshold_f1_optimal (const float *scores, const guint8 *labels, gsize n, double *f1)
{
  g_autofree Scored *s = NULL;
  gsize positives = 0, tp = 0, fp = 0;
  double best = 0, best_threshold = NAN;

  if (f1 != NULL)
    *f1 = 0;
  s = g_new (Scored, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    {
      s[i] = (Scored){ scores[i], labels[i] != 0 };
      positives += s[i].defect;
    }
  if (positives == 0)
    return NAN;
  qsort (s, n, sizeof (Scored), compare_descending);
  /* walk the cut down through the scores; tied scores move together */
  for (gsize i = 0; i < n; i++)
    {
      double value;

      tp += s[i].defect;
      fp += !s[i].defect;
      if (i + 1 < n && s[i + 1].score == s[i].score)
        continue;
      value = 2.0 * tp / (double)(2 * tp + fp + (positives - tp));
      if (value > best)
        {
          best = value;
          best_threshold = s[i].score;
        }
    }
  if (f1 != NULL)
    *f1 = best;
  return best_threshold;
}
