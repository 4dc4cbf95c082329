/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmWindow's fields, shared by dm-window.c (structure, geometry) and
 * dm-window-project.c (project actions). */
#pragma once

#include "dm-backbone-page.h"
#include "dm-data-page.h"
#include "dm-project.h"
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
  AdwViewSwitcherTitle *window_title;

  DmProject *project;            /* the open project, or NULL */
  DmProjectClass *removed_class; /* kept for "Undo" after a removal */
  guint removed_index;
  GtkNativeDialog *chooser; /* the file chooser being shown */
  AdwToast *demo_toast;
  GCancellable *dataset_cancellable; /* of the dataset being loaded */
  DmDataset *dataset;                /* the open project's images, or NULL */

  /* training (dm-window-train.c) */
  GCancellable *train_cancellable; /* of the running job, NULL when idle */
  gpointer train_run;              /* the running job's progress channel */
  gboolean close_after_training;   /* the user chose "Stop and Close" */
};

void dm_window_class_init_project_actions (GtkWidgetClass *widget_class);
void dm_window_class_init_train_actions (GtkWidgetClass *widget_class);

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

G_END_DECLS
