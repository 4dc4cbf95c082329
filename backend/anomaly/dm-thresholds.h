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

G_END_DECLS
