/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The thresholds of one class in the Review page: the image threshold over
 * the histogram of normal and defect scores, an optional uncertain band,
 * the pixel threshold, the two proposals (at most N % false rejects on the
 * held-out normals, F1-optimal on the labelled test images) and the
 * counts and confusion matrix, updated on every slider move. */
#pragma once

#include <adwaita.h>

#include "dm-project-results.h"
#include "dm-thresholds.h"

G_BEGIN_DECLS

#define DM_TYPE_THRESHOLD_PANEL (dm_threshold_panel_get_type ())
G_DECLARE_FINAL_TYPE (DmThresholdPanel, dm_threshold_panel, DM, THRESHOLD_PANEL, AdwBin)

GtkWidget *dm_threshold_panel_new (void);

/* The class's n images (copied): scores, dataset labels (0 good, else
 * defect), the user's verdicts (DmUserLabel values, may be NULL) and which
 * are held-out normals (non-zero; may be NULL: none). Counts, matrix and
 * histogram are over the test images; the false-reject proposal uses the
 * held-out normals (the test normals when none are held out). Keeps the
 * thresholds, moving the slider range to the scores. */
void dm_threshold_panel_set_scores (DmThresholdPanel *self,
                                    const float *scores,
                                    const guint8 *labels,
                                    const guint8 *user_labels,
                                    const guint8 *holdout,
                                    gsize n);
/* The same from a class of the results. */
void dm_threshold_panel_set_result_class (DmThresholdPanel *self,
                                          const DmResultClass *klass,
                                          const guint8 *user_labels);
/* After the user relabelled images (n as given before). */
void dm_threshold_panel_set_user_labels (DmThresholdPanel *self, const guint8 *user_labels);

/* The pixel slider's range (e.g. 0 .. the class's map_high). */
void dm_threshold_panel_set_pixel_range (DmThresholdPanel *self, double low, double high);

/* Shows thresholds (a band when both uncertain ends are set); does not emit
 * "thresholds-changed". */
void dm_threshold_panel_set_thresholds (DmThresholdPanel *self, const DmThresholds *thresholds);
void dm_threshold_panel_get_thresholds (DmThresholdPanel *self, DmThresholds *thresholds);

/* The pixel threshold's proposals: the held-out quantile (NAN: no
 * held-out images, its button is off) and whether an F1-optimal one can be
 * had (some defect has a mask). set_result_class sets both from the class. */
void dm_threshold_panel_set_pixel_proposals (DmThresholdPanel *self,
                                             double holdout_quantile,
                                             gboolean has_masks);
/* The F1 proposal is being computed (its button off until it is done). */
void dm_threshold_panel_set_pixel_f1_busy (DmThresholdPanel *self, gboolean busy);
/* Takes value as the pixel threshold as if the slider had moved there
 * (emits "thresholds-changed"); NAN is ignored. */
void dm_threshold_panel_propose_pixel (DmThresholdPanel *self, double value);

/* The counts at the current thresholds (test images). */
void dm_threshold_panel_get_counts (DmThresholdPanel *self, DmThresholdCounts *counts);

G_END_DECLS
