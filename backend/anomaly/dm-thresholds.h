/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Thresholds and decisions of a class: an image threshold (pass / fail),
 * an optional uncertain band routed to a person, a pixel threshold for
 * regions, and the ways to propose them (a quantile of the held-out
 * normals' scores, or the F1-optimal cut on labelled images). A score at
 * or above a threshold counts as a defect, as in sklearn's curves. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  DM_DECISION_PASS,
  DM_DECISION_UNCERTAIN,
  DM_DECISION_FAIL,
} DmDecision;

typedef struct
{
  double image;          /* fail at or above; NAN: not set (everything passes) */
  double uncertain_low;  /* with uncertain_high: [low, high) is uncertain; */
  double uncertain_high; /* NAN: no band (image alone decides) */
  double pixel;          /* map values at or above are a region; NAN: not set */
} DmThresholds;

/* Every member NAN. */
void dm_thresholds_init (DmThresholds *thresholds);

/* The decision for one image score. With a band: below low passes, at or
 * above high fails, in between is uncertain (the image threshold is not
 * used then). Without: fail at or above image, else pass. */
DmDecision dm_decide (const DmThresholds *thresholds, float score);

/* "pass", "uncertain", "fail". */
const char *dm_decision_name (DmDecision decision);

/* The q-quantile (0 <= q <= 1) of n values with linear interpolation
 * between the closest ranks, as numpy.quantile's default. NAN for n = 0. */
double dm_quantile (const float *values, gsize n, double q);

/* The threshold that maximises F1 when images scoring at or above it are
 * called defects: one of the scores (the lowest score of the defects
 * called), ties taken together. labels: 0 good, else defect. f1 (may be
 * NULL) receives the F1 reached. NAN (f1 0) when there is no defect or no
 * image. */
double dm_threshold_f1_optimal (const float *scores, const guint8 *labels, gsize n, double *f1);

/* ---- Counting at given thresholds (the Review's summary and sliders) ---- */

/* The user's verdict on an image, with the values of DmUserLabel
 * (dm-project.h): 0 none (the dataset's label holds), 1 good, 2 defect. */
#define DM_TRUTH_USER_NONE 0
#define DM_TRUTH_USER_GOOD 1
#define DM_TRUTH_USER_DEFECT 2

/* The label that counts for each image: the user's where given, else the
 * dataset's. labels: 0 good, else defect; user_labels (may be NULL) as
 * above. truth receives 0 good, 1 defect. */
void dm_truth_resolve (const guint8 *labels, const guint8 *user_labels, gsize n, guint8 *truth);

typedef struct
{
  /* matrix[decision][truth]: decision DM_DECISION_PASS, _UNCERTAIN, _FAIL,
   * truth 0 good, 1 defect */
  guint matrix[3][2];
  guint decided[3]; /* images per decision (sums of the rows) */
  guint truth[2];   /* images per truth (sums of the columns) */
} DmThresholdCounts;

/* The counts of n images (brute force, O(n)): each decided by dm_decide,
 * counted against dm_truth_resolve (labels, user_labels). */
void dm_threshold_counts (const DmThresholds *thresholds,
                          const float *scores,
                          const guint8 *labels,
                          const guint8 *user_labels,
                          gsize n,
                          DmThresholdCounts *counts);

/* The same in O(log n) per update: the scores sorted once per truth, then
 * every threshold change is two binary searches per truth (a slider moved
 * over 2,000 images costs microseconds). Build again when labels change. */
typedef struct _DmScoreIndex DmScoreIndex;

DmScoreIndex *
dm_score_index_new (const float *scores, const guint8 *labels, const guint8 *user_labels, gsize n);
void dm_score_index_free (DmScoreIndex *index);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmScoreIndex, dm_score_index_free)

void dm_score_index_counts (const DmScoreIndex *index,
                            const DmThresholds *thresholds,
                            DmThresholdCounts *counts);
/* How many images of truth (0 good, 1 defect) score at or above value. */
gsize dm_score_index_count_at_or_above (const DmScoreIndex *index, guint truth, double value);
/* The lowest and highest score of all images (NAN, NAN when empty). */
void dm_score_index_range (const DmScoreIndex *index, double *low, double *high);

/* A histogram of scores in n_bins equal bins over [low, high) (values
 * below low go to the first bin, at or above high to the last; NaN is
 * skipped), one count per truth: normal[] for truth 0, defect[] for truth
 * 1 (both n_bins long, overwritten). truth may be NULL (all normal). */
void dm_score_histogram (const float *scores,
                         const guint8 *truth,
                         gsize n,
                         double low,
                         double high,
                         guint n_bins,
                         guint *normal,
                         guint *defect);

/* The image threshold that lets at most about max_rate (0..1) of the
 * held-out normals fail: dm_quantile (normal_scores, n, 1 - max_rate).
 * NAN for n = 0. */
double dm_threshold_for_false_rejects (const float *normal_scores, gsize n, double max_rate);

G_END_DECLS
