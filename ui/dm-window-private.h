/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmWindow's fields and what its files share: dm-window.c (structure,
 * geometry, file choosers, the Review page's keys), dm-window-project.c
 * (opening and closing, the project's classes and backbone),
 * dm-window-train.c, dm-window-inspect.c and dm-window-report.c (the jobs
 * the window starts). The pages hold their own state and follow the
 * window's "project". */
#pragma once

#include "dm-data-page.h"
#include "dm-job.h"
#include "dm-history-page.h"
#include "dm-line-page.h"
#include "dm-models-page.h"
#include "dm-open-project.h"
#include "dm-review-page.h"
#include "dm-train-page.h"
#include "dm-verify-page.h"
#include "dm-window.h"

G_BEGIN_DECLS

struct _DmWindow
{
  AdwApplicationWindow parent_instance;

  /* geometry (window-width, window-height, window-maximized), recent
   * projects, the last backbone file, the thread count */
  GSettings *settings;

  AdwToastOverlay *toast_overlay;
  GtkStack *main_stack;     /* "start" | "project" */
  AdwViewStack *view_stack; /* the project's pages */
  AdwViewSwitcherTitle *window_title;
  DmDataPage *data_page;
  DmTrainPage *train_page;
  DmReviewPage *review_page;
  DmLinePage *line_page;
  DmModelsPage *models_page;
  DmHistoryPage *history_page;
  DmVerifyPage *verify_page;
  GtkStack *review_stack; /* the test images and the parts from the line */
  GtkStack *models_stack; /* the versions and the history */

  DmOpenProject *project;        /* "project", bound to every page's; NULL: none open */
  GtkNativeDialog *chooser;      /* the file chooser shown */
  DmJob *report_job;             /* preparing or writing a report */
  gboolean close_after_training; /* "Stop and Close": the window goes once the run stops */
};

/* Opens project (taken) in the window, closing the one open; NULL closes. */
void dm_window_set_project (DmWindow *self, DmProject *project);

/* A native file chooser over the window (one at a time: a new one
 * replaces the one shown), not shown yet: the caller adds its filters and
 * shows it. chosen gets the accepted paths (NULL-terminated). */
typedef void (*DmWindowChosen) (DmWindow *self, const char *const *paths);
GtkFileChooser *dm_window_choose (DmWindow *self,
                                  const char *title,
                                  GtkFileChooserAction action,
                                  const char *accept,
                                  DmWindowChosen chosen);

/* Asks whether to stop the running training before the window closes;
 * TRUE when the close must wait (the run stops, then the window closes). */
gboolean dm_window_train_close_request (DmWindow *self);

void dm_window_class_init_project_actions (GtkWidgetClass *widget_class);
void dm_window_class_init_train_actions (GtkWidgetClass *widget_class);
void dm_window_class_init_inspect_actions (GtkWidgetClass *widget_class);
void dm_window_class_init_report_actions (GtkWidgetClass *widget_class);

G_END_DECLS
