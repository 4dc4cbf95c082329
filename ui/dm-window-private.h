/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmWindow's fields, shared by dm-window.c (structure, geometry) and
 * dm-window-project.c (project actions). */
#pragma once

#include "dm-backbone-page.h"
#include "dm-data-page.h"
#include "dm-metrics-page.h"
#include "dm-project.h"
#include "dm-review-page.h"
#include "dm-start-page.h"
#include "dm-train-page.h"
#include "dm-window.h"

G_BEGIN_DECLS

struct _DmWindow
{
  AdwApplicationWindow parent_instance;

  /* Window geometry is kept in GSettings so the window reopens as the user
   * left it (window-width, window-height, window-maximized); the recent
   * projects too. */
  GSettings *settings;

  AdwToastOverlay *toast_overlay;
  GtkStack *main_stack;
  DmStartPage *start_page;
  AdwViewStack *view_stack;
  DmDataPage *data_page;
  DmBackbonePage *backbone_page;
  DmTrainPage *train_page;
  DmMetricsPage *metrics_page;
  AdwViewSwitcherTitle *window_title;

  DmProject *project;            /* the open project, or NULL */
  DmProjectClass *removed_class; /* kept for "Undo" after a removal */
  guint removed_index;
  GtkNativeDialog *chooser; /* the file chooser being shown */
  AdwToast *demo_toast;   /* "Preparing the demo project…", while it is prepared */
  gint64 demo_toast_added; /* monotonic µs */
  GCancellable *dataset_cancellable; /* of the dataset being loaded */
  DmDataset *dataset;                /* the open project's images, or NULL */

  /* training (dm-window-train.c) */
  GCancellable *train_cancellable; /* of the running job, NULL when idle */
  gpointer train_run;              /* the running job's progress channel */
  gboolean close_after_training;   /* the user chose "Stop and Close" */

  /* metrics and reports (dm-window-report.c) */
  guint project_generation;          /* bumped by every save of the project */
  guint metrics_generation;          /* the generation the Metrics page shows */
  GCancellable *metrics_cancellable; /* of the metrics being computed */
  gboolean exporting;                /* a report is being prepared or written */
  /* review (dm-window-review.c) */
  DmReviewPage *review_page;
  DmProjectResults *results;         /* shared (dm_review_results_share), or NULL */
  GCancellable *results_cancellable; /* of the results being loaded */
};

void dm_window_class_init_project_actions (GtkWidgetClass *widget_class);
void dm_window_class_init_train_actions (GtkWidgetClass *widget_class);
void dm_window_class_init_report_actions (GtkWidgetClass *widget_class);
void dm_window_init_report (DmWindow *self);

/* Recomputes the Metrics page's figures in the background (force: even
 * when the project did not change since). */
void dm_window_refresh_metrics (DmWindow *self, gboolean force);
/* TRUE while the Metrics page's figures are computed / a report is being
 * prepared or written (tests wait on them). */
gboolean dm_window_metrics_busy (DmWindow *self);
gboolean dm_window_is_exporting (DmWindow *self);

/* Shared by the action files: an error dialog, a toast, saving (FALSE
 * after showing why it failed). */
void dm_window_show_error (DmWindow *self, const char *heading, const GError *error);
void dm_window_toast (DmWindow *self, const char *text);
gboolean dm_window_save_project (DmWindow *self);

/* The Train page follows the open project (settings, backbone, a run to
 * resume). */
void dm_window_train_show_project (DmWindow *self);
/* TRUE while a training job runs. */
gboolean dm_window_is_training (DmWindow *self);
/* Asks whether to stop the running job before the window closes; TRUE
 * when the close must wait (the job stops, then the window closes). */
gboolean dm_window_train_close_request (DmWindow *self);
void dm_window_class_init_data_actions (GtkWidgetClass *widget_class);
void dm_window_class_init_inspect_actions (GtkWidgetClass *widget_class);
void dm_window_update_recent (DmWindow *self);
void dm_window_close_project (DmWindow *self);
/* Loads the project's images in the background and shows the counts. */
void dm_window_reload_dataset (DmWindow *self);
void dm_window_class_init_review_actions (GtkWidgetClass *widget_class);
/* Loads the open project's results in the background into the Review page
 * (its empty state when there are none). */
void dm_window_load_results (DmWindow *self);
/* Empties the Review page (saving a mask being painted) and drops the results. */
void dm_window_clear_results (DmWindow *self);

G_END_DECLS
