/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmModelsPage's fields, shared by dm-models-page.c (loading, actions,
 * undo) and dm-models-page-view.c (what the page shows: the versions'
 * table, the comparison, the gallery, the curves). */
#pragma once

#include "dm-job.h"
#include "dm-models-data.h"
#include "dm-models-page.h"
#include "dm-project-versions.h"
#include "dm-thumbnail-loader.h"

G_BEGIN_DECLS

typedef enum
{
  UNDO_NONE,
  UNDO_PROMOTE,   /* undo: roll back */
  UNDO_ROLL_BACK, /* undo: promote undo_id again */
  UNDO_DELETE,    /* undo: put removed back */
} UndoKind;

struct _DmModelsPage
{
  AdwBin parent_instance;

  GtkStack *stack;
  GtkLabel *summary_label;
  GtkButton *roll_back_button;
  GtkGrid *versions_grid;
  GtkDropDown *compare_a;
  GtkDropDown *compare_b;
  GtkSpinner *spinner;
  GtkLabel *compare_status;
  GtkGrid *compare_grid;
  GtkDrawingArea *curves;
  GtkLabel *disagree_label;
  GtkFlowBox *disagree_box;

  DmOpenProject *project;
  GArray *ids; /* guint: the versions in the dropdowns, in order */
  gboolean updating;
  guint compared[2];
  DmJob *job;
  gboolean reload_again; /* something changed while the job ran */
  DmModelsData *data;    /* the last figures read, or NULL */
  DmThumbnailLoader *thumbs;
  GCancellable *thumbs_cancel;

  UndoKind undo;
  guint undo_id;
  DmProjectVersion *removed; /* deleted, its files kept while undo can bring it back */
  guint removed_index;
};

DmProject *dm_models_page_project (DmModelsPage *self);

/* dm-models-page-view.c */
void dm_models_page_fill_versions (DmModelsPage *self);
void dm_models_page_fill_summary (DmModelsPage *self);
void dm_models_page_fill_dropdowns (DmModelsPage *self);
void dm_models_page_fill_compare (DmModelsPage *self);
void dm_models_page_fill_gallery (DmModelsPage *self);
void dm_models_page_draw_curves (
  GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data);

G_END_DECLS
