/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A cell of the Review page's grid: the thumbnail of a test image with its
 * pass / uncertain / fail badge, the user's verdict, the score and the
 * file name; it follows the item's decision and label as they change. */
#pragma once

#include <adwaita.h>

#include "dm-review-item.h"
#include "dm-thumbnail-loader.h"

G_BEGIN_DECLS

#define DM_REVIEW_CELL_THUMBNAIL_SIZE 144

#define DM_TYPE_REVIEW_CELL (dm_review_cell_get_type ())
G_DECLARE_FINAL_TYPE (DmReviewCell, dm_review_cell, DM, REVIEW_CELL, GtkWidget)

GtkWidget *dm_review_cell_new (void);
/* Shows item (NULL: nothing), its thumbnail loaded by loader (may be
 * NULL: no thumbnail); a load for the previous item is cancelled. */
void dm_review_cell_set_item (DmReviewCell *self, DmReviewItem *item, DmThumbnailLoader *loader);
DmReviewItem *dm_review_cell_get_item (DmReviewCell *self);

/* Translated badge texts, shared with the large view. */
const char *dm_review_decision_text (DmDecision decision);
const char *dm_review_label_text (DmUserLabel label);

G_END_DECLS
