/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Thresholds and decisions of a class (see dm-thresholds.h). */
#include "dm-thresholds.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

void
dm_truth_resolve (const guint8 *labels, const guint8 *user_labels, gsize n, guint8 *truth)
{
  for (gsize i = 0; i < n; i++)
    {
      guint8 user = user_labels != NULL ? user_labels[i] : DM_TRUTH_USER_NONE;

      if (user == DM_TRUTH_USER_GOOD)
        truth[i] = 0;
      else if (user == DM_TRUTH_USER_DEFECT)
        truth[i] = 1;
      else
        truth[i] = labels[i] != 0;
    }
}

static void
counts_finish (DmThresholdCounts *counts)
{
  for (int d = 0; d < 3; d++)
    counts->decided[d] = counts->matrix[d][0] + counts->matrix[d][1];
  for (int t = 0; t < 2; t++)
    counts->truth[t] = counts->matrix[0][t] + counts->matrix[1][t] + counts->matrix[2][t];
}

void
dm_threshold_counts (const DmThresholds *thresholds,
                     const float *scores,
                     const guint8 *labels,
                     const guint8 *user_labels,
                     gsize n,
                     DmThresholdCounts *counts)
{
  memset (counts, 0, sizeof *counts);
  for (gsize i = 0; i < n; i++)
    {
      guint8 truth;

      dm_truth_resolve (labels + i, user_labels != NULL ? user_labels + i : NULL, 1, &truth);
      counts->matrix[dm_decide (thresholds, scores[i])][truth]++;
    }
  counts_finish (counts);
}

struct _DmScoreIndex
{
  gsize n[2];       /* images per truth */
  float *sorted[2]; /* (n[t]) ascending scores of truth t; NaN left out */
  gsize n_nan[2];   /* NaN scores: they pass (no comparison holds) */
};

DmScoreIndex *
dm_score_index_new (const float *scores, const guint8 *labels, const guint8 *user_labels, gsize n)
{
  DmScoreIndex *index = g_new0 (DmScoreIndex, 1);
  g_autofree guint8 *truth = g_new (guint8, MAX (n, 1));

  dm_truth_resolve (labels, user_labels, n, truth);
  for (int t = 0; t < 2; t++)
    index->sorted[t] = g_new (float, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    {
      if (isnan (scores[i]))
        index->n_nan[truth[i]]++;
      else
        index->sorted[truth[i]][index->n[truth[i]]++] = scores[i];
    }
  for (int t = 0; t < 2; t++)
    qsort (index->sorted[t], index->n[t], sizeof (float), compare_floats);
  return index;
}

void
dm_score_index_free (DmScoreIndex *index)
{
  if (index == NULL)
    return;
  g_free (index->sorted[0]);
  g_free (index->sorted[1]);
  g_free (index);
}

/* How many of the ascending values score >= value: n minus the first
 * position whose value is >= value (a lower bound). As dm_decide compares
 * a float score with a double threshold, so does this. */
static gsize
count_at_or_above (const float *sorted, gsize n, double value)
{
  gsize lo = 0, hi = n;

  if (isnan (value))
    return 0;
  while (lo < hi)
    {
      gsize mid = lo + (hi - lo) / 2;

      if ((double)sorted[mid] >= value)
        hi = mid;
      else
        lo = mid + 1;
    }
  return n - lo;
}

gsize
dm_score_index_count_at_or_above (const DmScoreIndex *index, guint truth, double value)
{
  g_return_val_if_fail (truth < 2, 0);
  return count_at_or_above (index->sorted[truth], index->n[truth], value);
}

void
dm_score_index_counts (const DmScoreIndex *index, const DmThresholds *t, DmThresholdCounts *counts)
{
  gboolean band = !isnan (t->uncertain_low) && !isnan (t->uncertain_high);

  memset (counts, 0, sizeof *counts);
  for (int truth = 0; truth < 2; truth++)
    {
      const float *s = index->sorted[truth];
      gsize n = index->n[truth], total = n + index->n_nan[truth], fail, at_low;

      if (band)
        {
          fail = count_at_or_above (s, n, t->uncertain_high);
          at_low = count_at_or_above (s, n, t->uncertain_low);
          /* a band with low above high: dm_decide fails what reaches high
           * and passes the rest */
          counts->matrix[DM_DECISION_UNCERTAIN][truth] = at_low > fail ? (guint)(at_low - fail) : 0;
        }
      else
        fail = count_at_or_above (s, n, t->image);
      counts->matrix[DM_DECISION_FAIL][truth] = (guint)fail;
      counts->matrix[DM_DECISION_PASS][truth]
        = (guint)(total - fail - counts->matrix[DM_DECISION_UNCERTAIN][truth]);
    }
  counts_finish (counts);
}

void
dm_score_index_range (const DmScoreIndex *index, double *low, double *high)
{
  *low = NAN;
  *high = NAN;
  for (int t = 0; t < 2; t++)
    {
      if (index->n[t] == 0)
        continue;
      if (isnan (*low) || index->sorted[t][0] < *low)
        *low = index->sorted[t][0];
      if (isnan (*high) || index->sorted[t][index->n[t] - 1] > *high)
        *high = index->sorted[t][index->n[t] - 1];
    }
}

void
dm_score_histogram (const float *scores,
                    const guint8 *truth,
                    gsize n,
                    double low,
                    double high,
                    guint n_bins,
                    guint *normal,
                    guint *defect)
{
  double width = (high - low) / n_bins;

  memset (normal, 0, n_bins * sizeof (guint));
  memset (defect, 0, n_bins * sizeof (guint));
  if (n_bins == 0)
    return;
  for (gsize i = 0; i < n; i++)
    {
      double pos;
      guint bin;

      if (isnan (scores[i]))
        continue;
      pos = width > 0 ? floor ((scores[i] - low) / width) : 0;
      bin = pos <= 0 ? 0 : pos >= n_bins - 1 ? n_bins - 1 : (guint)pos;
      if (truth != NULL && truth[i])
        defect[bin]++;
      else
        normal[bin]++;
    }
}

double
dm_threshold_for_false_rejects (const float *normal_scores, gsize n, double max_rate)
{
  return dm_quantile (normal_scores, n, 1.0 - CLAMP (max_rate, 0.0, 1.0));
}
