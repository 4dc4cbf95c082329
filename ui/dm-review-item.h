/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One scored test image in the Review page's grid: where it is in the
 * results, its score, the decision at the class's current thresholds and
 * the user's verdict (both notify, so a cell showing it follows). */
#pragma once

#include <glib-object.h>

#include "dm-project.h"
#include "dm-thresholds.h"

G_BEGIN_DECLS

#define DM_TYPE_REVIEW_ITEM (dm_review_item_get_type ())
G_DECLARE_FINAL_TYPE (DmReviewItem, dm_review_item, DM, REVIEW_ITEM, GObject)

/* class_index / image_index: the image's place in DmProjectResults;
 * defect: the dataset's label; defect_type "good" or the defect folder. */
DmReviewItem *dm_review_item_new (guint class_index,
                                  guint image_index,
                                  const char *class_name,
                                  const char *path,
                                  const char *defect_type,
                                  gboolean defect,
                                  float score);

guint dm_review_item_get_class_index (DmReviewItem *self);
guint dm_review_item_get_image_index (DmReviewItem *self);
const char *dm_review_item_get_class_name (DmReviewItem *self);
const char *dm_review_item_get_path (DmReviewItem *self);
/* The file name (what the search matches). */
const char *dm_review_item_get_name (DmReviewItem *self);
const char *dm_review_item_get_defect_type (DmReviewItem *self);
gboolean dm_review_item_get_defect (DmReviewItem *self);
float dm_review_item_get_score (DmReviewItem *self);

DmDecision dm_review_item_get_decision (DmReviewItem *self);
void dm_review_item_set_decision (DmReviewItem *self, DmDecision decision);
/* The largest defect region that counts, in the class's rule units (px,
 * or mm² when its limits are in mm), 0 for none; NAN until judged. */
double dm_review_item_get_largest_region (DmReviewItem *self);
void dm_review_item_set_largest_region (DmReviewItem *self, double area);
DmUserLabel dm_review_item_get_user_label (DmReviewItem *self);
void dm_review_item_set_user_label (DmReviewItem *self, DmUserLabel label);

G_END_DECLS
