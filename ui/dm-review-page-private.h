/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmReviewPage's fields, shared by dm-review-page.c (grid, filters,
 * thresholds) and dm-review-page-detail.c (large view, labels, masks). */
#pragma once

#include "dm-job.h"
#include "dm-review-page.h"

G_BEGIN_DECLS

struct _DmReviewPage
{
  AdwBin parent_instance;

  /* template: the grid */
  GtkStack *stack;      /* "empty" | "results" */
  GtkStack *view_stack; /* "grid" | "detail" */
  AdwFlap *flap;        /* the threshold panel */
  GtkToggleButton *grid_flap_button;
  GtkToggleButton *detail_flap_button;
  GtkDropDown *class_dropdown;
  GtkDropDown *decision_dropdown;
  GtkSpinButton *region_spin; /* parts with a region of at least this (0: all) */
  GtkDropDown *label_dropdown;
  GtkSearchEntry *search_entry;
  GtkLabel *summary_label;
  GtkGridView *grid_view;
  GtkLabel *panel_title;
  DmThresholdPanel *threshold_panel;
  /* template: the large view */
  GtkLabel *detail_title;
  GtkLabel *detail_subtitle;
  GtkLabel *detail_badge;
  GtkToggleButton *good_button;
  GtkToggleButton *defect_button;
  GtkToggleButton *side_button;
  GtkToggleButton *paint_button;
  GtkToggleButton *erase_button;
  GtkAdjustment *opacity_adjustment;
  GtkAdjustment *brush_adjustment;
  GtkButton *undo_button;
  GtkButton *redo_button;
  DmHeatmapView *heatmap_view;
  GtkLabel *status_label;

  DmOpenProject *project;    /* the open project, or NULL */
  DmJob *results_job;        /* loading the project's results */
  GPtrArray *judge_jobs;     /* DmJob* per results class: its rules (or NULL) */
  DmJob *pixel_job;          /* the F1-optimal pixel threshold, or NULL */
  DmProjectResults *results; /* shared (dm_review_results_ref) */
  DmThumbnailLoader *loader; /* strong */
  GListStore *store;         /* DmReviewItem, results order */
  GtkSortListModel *sorted;  /* by score, descending */
  GtkFilterListModel *filtered;
  GtkSingleSelection *selection;
  GtkCustomFilter *filter;
  GArray *class_of_choice; /* class dropdown position - 1 -> results class */
  char *search;            /* casefolded search text, or NULL */
  int panel_class;         /* results class in the threshold panel, or -1 */
  char *summary;
  gboolean updating; /* widgets set by code: ignore their signals */

  /* the large view (dm-review-page-detail.c) */
  DmReviewItem *current;  /* shown there, or NULL */
  guint current_position; /* its last position in filtered */
  GCancellable *load_cancellable;
  gboolean loading;
  char *mask_path;    /* where current's painted mask is saved */
  guint mask_save_id; /* the debounce of a mask change */
};

/* dm-review-page.c */
/* The project the results shown belong to (NULL when none are shown). */
DmProject *dm_review_page_project (DmReviewPage *self);
/* Saves the project after the user changed thresholds, labels or a mask
 * (a dialog says why when that failed). */
void dm_review_page_save (DmReviewPage *self);
void dm_review_page_class_thresholds (DmReviewPage *self, guint class_index, DmThresholds *t);
void dm_review_page_show_panel_class (DmReviewPage *self, int class_index);
void dm_review_page_refilter (DmReviewPage *self);
DmReviewItem *dm_review_page_find_item (DmReviewPage *self, const char *path);
guint8 *dm_review_page_user_labels (DmReviewPage *self, guint class_index);

/* dm-review-page-detail.c */
void dm_review_page_detail_class_init (GtkWidgetClass *widget_class);
void dm_review_page_detail_init (DmReviewPage *self);
void dm_review_page_detail_dispose (DmReviewPage *self);
void dm_review_page_show_item (DmReviewPage *self, DmReviewItem *item, guint position);
/* After the user's verdict on current changed (toggles, badge). */
void dm_review_page_detail_sync_label (DmReviewPage *self);
/* After the thresholds of current's class changed (contour, badge). */
void dm_review_page_detail_sync_thresholds (DmReviewPage *self);

/* dm-review-page.c: after items' decisions changed (filter, summary, the
 * large view's badge). */
void dm_review_page_decisions_changed (DmReviewPage *self);

/* dm-review-page-rules.c: the decisions of class_index by its inspection
 * rules, off the main thread (nothing to do for a class without rules). */
void dm_review_page_judge_class (DmReviewPage *self, guint class_index);
/* TRUE while some class is being judged (tests wait on it). */
gboolean dm_review_page_is_judging (DmReviewPage *self);
void dm_review_page_rules_dispose (DmReviewPage *self);

/* dm-review-page-pixel.c: the F1-optimal pixel threshold of the panel's
 * class, off the main thread, into the panel when done. */
void dm_review_page_propose_pixel_f1 (DmReviewPage *self);
/* TRUE while it is being computed (tests wait on it). */
gboolean dm_review_page_is_proposing_pixel (DmReviewPage *self);

G_END_DECLS
