/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared by the Inspect page's files: dm-inspect-page.c (the grid, the large
 * view, the class, the project) and dm-inspect-page-jobs.c (the inspection
 * jobs in turn, the export). */
#pragma once

#include "dm-heatmap-view.h"
#include "dm-inspect-job.h"
#include "dm-inspect-page.h"
#include "dm-thumbnail-loader.h"

G_BEGIN_DECLS

typedef struct
{
  char *name;
  DmThresholds thresholds;
  double map_low, map_high; /* the class's heatmap colours; NAN until known */
  DmRules *rules;           /* the class's inspection rules, or NULL */
  DmDecider *decider;       /* thresholds and rules for the model's maps, made
                             * when first needed; NULL until then, or when the
                             * rules do not apply (the score alone decides) */
} InspectClass;

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

  GListStore *runs;    /* GListModel: each job's results, in turn */
  GListModel *results; /* DmInspectEntry: the runs flattened */
  GtkSingleSelection *selection;
  DmThumbnailLoader *loader;
  GCancellable *view_cancellable; /* the selected image's decode */
  DmInspectEntry *shown;          /* what the large view shows (a ref) */
  gboolean view_ready;

  DmOpenProject *project; /* the open project, or NULL */
  gboolean has_model;
  gboolean stale;  /* the project changed while the page was hidden */
  GArray *classes; /* InspectClass */
  guint class_index;

  DmInspectJob *job; /* running, or the last one run (its notes), or NULL */
  GPtrArray *queue;  /* DmInspectJob waiting for it */
  DmJob *export_job;
};

/* dm-inspect-page.c */
InspectClass *dm_inspect_page_current_class (DmInspectPage *self);
/* The entry's verdict by the class's thresholds and rules, or NULL (a
 * failed entry, no class, rules that do not apply). */
const DmVerdict *dm_inspect_page_verdict (InspectClass *klass, DmInspectEntry *entry);
/* Buttons and bar follow whether a job runs. */
void dm_inspect_page_set_busy (DmInspectPage *self);
/* The summary line once nothing runs. */
void dm_inspect_page_update_status (DmInspectPage *self);

/* dm-inspect-page-jobs.c */
void dm_inspect_page_jobs_dispose (DmInspectPage *self);

G_END_DECLS
