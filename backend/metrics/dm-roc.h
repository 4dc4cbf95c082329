/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ROC and precision-recall machinery: AUROC, AP and F1-max of scores against
 * 0/1 labels, from one sort, as scikit-learn 1.2 computes them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Why a metric is NaN. Every metric of this folder returns a number or NaN
 * with one of these; none of them crashes or fails on degenerate data (a
 * GError is only for an allocation failure or a bad argument). */
typedef enum
{
  DM_METRIC_OK = 0,
  DM_METRIC_EMPTY,           /* no samples at all */
  DM_METRIC_NON_FINITE,      /* a NaN or infinite score: sklearn raises "Input contains NaN" */
  DM_METRIC_NO_POSITIVES,    /* every label is 0 (no anomalous image / no defect pixel) */
  DM_METRIC_NO_NEGATIVES,    /* every label is 1 (no normal image / no defect-free pixel) */
  DM_METRIC_CONSTANT_MAP,    /* AUPRO: all maps hold one value, numpy.arange(min, max, 0) raises */
  DM_METRIC_NO_REGIONS,      /* AUPRO: no defect region in any mask, mean([]) raises */
  DM_METRIC_TOO_FEW_POINTS,  /* AUPRO: fewer than 2 thresholds with FPR < 0.3, sklearn's auc raises
                              */
  DM_METRIC_ZERO_FPR,        /* AUPRO: every kept FPR is 0, so FPR / max(FPR) is 0/0 */
  DM_METRIC_UNDEFINED_CLASS, /* mean over classes: some class has NaN for this metric */
} DmMetricStatus;

/* A sentence for the status, e.g. for the `notes` of a JSON report. */
const char *dm_metric_status_message (DmMetricStatus status);

typedef struct
{
  double auroc;          /* sklearn roc_auc_score */
  double ap;             /* sklearn average_precision_score */
  double f1max;          /* max of 2PR/(P+R+1e-7) over precision_recall_curve but its last point */
  DmMetricStatus status; /* the same for all three; DM_METRIC_OK or why they are NaN */
  guint64 n_positive;    /* samples with label != 0 */
  guint64 n_negative;    /* samples with label == 0 */
  guint64 n_thresholds;  /* distinct score values: the points of the curves */
} DmRocResult;

/* AUROC, AP and F1-max of scores (n) against labels (n, 0 = normal, any
 * other value = anomalous), exactly as scikit-learn 1.2.1:
 *
 * The curve (sklearn's _binary_clf_curve): scores sorted descending; one
 * point per distinct score value, so tied samples move together whatever
 * their labels; at the point of value v, tp = positives with score >= v and
 * fp = negatives with score >= v. -0.0 and +0.0 are one value (numpy's diff
 * says so too). Counts are exact integers; every ratio below is one IEEE
 * double division of them, as numpy does.
 *
 * - AUROC = trapezoid area of tpr = tp/P over fpr = fp/N from (0, 0)
 *   through every point. roc_curve's drop_intermediate only removes
 *   collinear points, which leaves the area unchanged (up to rounding).
 * - AP = sum over the points of (recall_i - recall_{i-1}) * precision_i with
 *   recall = tp/P, precision = tp/(tp+fp), recall_{-1} = 0 (the same terms as
 *   sklearn's -sum(diff(recall) * precision[:-1]) on the reversed curve).
 * - F1-max = max over the points of (2 * precision * recall) /
 *   (precision + recall + 1e-7). precision_recall_curve in 1.2.1 returns
 *   one point per distinct score, *all* of them (the truncation after full
 *   recall of sklearn <= 1.0 is gone; it never changed F1-max or AP anyway:
 *   past full recall precision only falls and recall steps are 0), then the
 *   appended (P = 1, R = 0) point, which f1_score_max drops.
 *
 * Sums use compensated (Neumaier) summation; numpy's pairwise sum differs
 * from the exact sum by a few 1e-16, so results match to ~1e-15.
 *
 * Degenerate inputs give NaN for all three with the status:
 * - n == 0: DM_METRIC_EMPTY.
 * - a NaN or infinite score: DM_METRIC_NON_FINITE (sklearn raises).
 * - no positives: DM_METRIC_NO_POSITIVES. sklearn 1.2: roc_auc_score raises
 *   "Only one class present in y_true"; average_precision_score warns and
 *   returns 0.0 (recall is set to 1 everywhere); F1-max would be 0.
 * - no negatives: DM_METRIC_NO_NEGATIVES. sklearn: roc_auc_score raises;
 *   AP would be 1.0 and F1-max 2/(2+1e-7), both meaningless.
 *   The official evaluation calls roc_auc_score first and so produces no
 *   number at all for such a class; NaN for the three says the same.
 *
 * Cost: the scores of each class are turned into order-preserving 32-bit
 * keys and radix sorted (3 passes of 11 bits), then both sorted lists are
 * walked once, merged, to make every point. 8 bytes of scratch per sample
 * (g_try_malloc); FALSE with DM_ERROR_NO_MEMORY when it cannot be had. */
gboolean dm_roc_compute (
  const float *scores, const guint8 *labels, gsize n, DmRocResult *out, GError **error);

G_END_DECLS
