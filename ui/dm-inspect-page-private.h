/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared by the Inspect page's files: dm-inspect-page.c (the grid, the large
 * view, the class) and dm-inspect-page-jobs.c (inspection and export in
 * worker threads). */
#pragma once

#include "dm-heatmap-view.h"
#include "dm-inspect-page.h"
#include "dm-inspect.h"
#include "dm-thumbnail-loader.h"

G_BEGIN_DECLS
/* ---- one result (immutable once made, but for its thumbnail) ---- */

#define DM_TYPE_INSPECT_ENTRY (dm_inspect_entry_get_type ())
G_DECLARE_FINAL_TYPE (DmInspectEntry, dm_inspect_entry, DM, INSPECT_ENTRY, GObject)

struct _DmInspectEntry
{
  GObject parent_instance;
  char *path;
  char *name;  /* display name of the file */
  float score; /* NAN when it failed */
  float *map;  /* (256, 256), NULL when it failed */
  int width, height, resize, crop;
  char *error;           /* why it failed, or NULL */
  GdkTexture *thumbnail; /* main thread only; "notify::thumbnail" when set */
};

typedef struct
{
  char *name;
  DmThresholds thresholds;
  double map_low, map_high; /* the class's heatmap colours; NAN until known */
} InspectClass;

typedef struct _InspectRun InspectRun;

struct _DmInspectPage
{
  AdwBin parent_instance;

  GtkStack *stack;
  GtkStack *content_stack;
  GtkDropDown *class_dropdown;
  GtkLabel *status_label;
  GtkProgressBar *progress_bar;
  GtkWidget *cancel_button;
  GtkWidget *export_button;
  GtkWidget *clear_button;
  GtkGridView *grid;
  DmHeatmapView *view;
  GtkLabel *detail_title;
  GtkLabel *detail_badge;
  GtkLabel *detail_subtitle;

  GListStore *store; /* DmInspectEntry */
  GtkSingleSelection *selection;
  DmThumbnailLoader *loader;
  GCancellable *view_cancellable; /* the selected image's decode */
  DmInspectEntry *shown;          /* what the large view shows (a ref) */
  gboolean view_ready;

  /* the project (copied) */
  char *folder;
  char *model_path; /* NULL: no trained model */
  char *backbone_path;
  GArray *classes; /* InspectClass */
  guint class_index;

  InspectRun *run;  /* the running inspection, or NULL */
  GPtrArray *queue; /* GStrv of paths waiting */
  guint n_failed;
  GPtrArray *notes; /* char *: files left out of the last run */
  gboolean exporting;
};

/* dm-inspect-page.c */
void dm_inspect_class_clear (gpointer data);
InspectClass *dm_inspect_page_current_class (DmInspectPage *self);
/* Buttons and bar follow whether a job runs. */
void dm_inspect_page_set_busy (DmInspectPage *self);
/* The summary line once nothing runs. */
void dm_inspect_page_update_status (DmInspectPage *self);
void dm_inspect_page_toast (DmInspectPage *self, const char *text);

/* dm-inspect-page-jobs.c */
/* Starts the first waiting paths when nothing runs. */
void dm_inspect_page_start_next (DmInspectPage *self);
/* The running job no longer reports to the page. */
void dm_inspect_page_detach_run (DmInspectPage *self);

G_END_DECLS
