/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Review page: the scored test images of a trained project in a grid
 * sorted by score with pass / uncertain / fail badges, filters and search;
 * a large view of one image with its heatmap; the class's thresholds,
 * saved into the project as they move; labeling (good / defect) and
 * painted defect masks, saved as they change. */
#pragma once

#include <adwaita.h>

#include "dm-heatmap-view.h"
#include "dm-project-results.h"
#include "dm-open-project.h"
#include "dm-review-item.h"
#include "dm-threshold-panel.h"
#include "dm-thumbnail-loader.h"

G_BEGIN_DECLS

#define DM_TYPE_REVIEW_PAGE (dm_review_page_get_type ())
G_DECLARE_FINAL_TYPE (DmReviewPage, dm_review_page, DM, REVIEW_PAGE, AdwBin)

/* Results shared between the window and the page's loading threads (a
 * decode that outlives a closed project still reads its map): share takes
 * results over and returns the shared copy, with one reference. */
DmProjectResults *dm_review_results_share (DmProjectResults *results);
DmProjectResults *dm_review_results_ref (DmProjectResults *shared);
void dm_review_results_unref (DmProjectResults *shared);

/* "project": the open project, or NULL. Its results are loaded in the
 * background when it is set and after a model is trained ("changed::model");
 * the page writes the user's thresholds and labels into it and saves it. */
void dm_review_page_set_project (DmReviewPage *self, DmOpenProject *project);
DmOpenProject *dm_review_page_get_project (DmReviewPage *self);
/* Where the grid's thumbnails come from (the Data page's loader). */
void dm_review_page_set_thumbnail_loader (DmReviewPage *self, DmThumbnailLoader *loader);

/* Shows these results (shared, referenced by the page) of the project
 * instead of those on disk; NULL: the empty state. A pending mask is saved
 * first. */
void dm_review_page_show_results (DmReviewPage *self, DmProjectResults *results);
/* The results shown (shared), or NULL. */
DmProjectResults *dm_review_page_get_results (DmReviewPage *self);

/* The test images as the grid shows them: filtered, by score descending
 * (DmReviewItem). */
GListModel *dm_review_page_get_items (DmReviewPage *self);
/* The image shown in the large view, else the one selected in the grid
 * (NULL when none). */
DmReviewItem *dm_review_page_get_current (DmReviewPage *self);

/* Labels the test image at path (DM_USER_LABEL_NONE clears); FALSE when
 * no shown image has that path. */
gboolean dm_review_page_label_image (DmReviewPage *self, const char *path, DmUserLabel label);
/* The next / previous image in the grid's current order (in the large
 * view when it is open). */
void dm_review_page_next (DmReviewPage *self);
void dm_review_page_previous (DmReviewPage *self);

/* Opens the large view of the image at path; FALSE when not shown. The
 * image and its map load in the background (see is_loading). */
gboolean dm_review_page_open_image (DmReviewPage *self, const char *path);
gboolean dm_review_page_is_loading (DmReviewPage *self);
/* Back to the grid (saving a pending mask). */
void dm_review_page_close_image (DmReviewPage *self);
/* Writes a mask painted in the last 300 ms now. */
void dm_review_page_flush (DmReviewPage *self);

/* Sets the thresholds of a results class as the panel's sliders do: into
 * the project, the badges and the counts. */
void dm_review_page_set_thresholds (DmReviewPage *self,
                                    guint class_index,
                                    const DmThresholds *thresholds);

/* For tests and the window. */
DmThresholdPanel *dm_review_page_get_threshold_panel (DmReviewPage *self);
DmHeatmapView *dm_review_page_get_heatmap_view (DmReviewPage *self);
/* The grid's summary line ("12 images: 8 pass, 1 uncertain, 3 fail"). */
const char *dm_review_page_get_summary (DmReviewPage *self);

G_END_DECLS
