/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Inspecting new parts (dm_inspect_run) as a DmJob: the files and folders
 * given are listed, the model loaded, and every image scored appears in
 * "results" (a GListModel of DmInspectEntry) as it comes; "n-files",
 * "n-done" and "notes" (the files left out) follow the run. The Inspect
 * page shows the results of its jobs in one grid. */
#pragma once

#include <gdk/gdk.h>

#include "dm-inspect.h"
#include "dm-job.h"
#include "dm-project.h"

G_BEGIN_DECLS

/* ---- one scored image (immutable once made, but for its thumbnail) ---- */

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
  GdkTexture *thumbnail; /* main thread only; "thumbnail-ready" when set */
  GPtrArray *verdicts;   /* Judged: verdicts by the deciders they were made with
                          * (the job's classes, then any asked for since) */
};

/* The entry's verdict by decider: made (once, on the calling thread) when
 * no verdict by an equal decider is kept yet. NULL for a failed entry. */
const DmVerdict *dm_inspect_entry_judge (DmInspectEntry *entry, const DmDecider *decider);

/* ---- the job ---- */

#define DM_TYPE_INSPECT_JOB (dm_inspect_job_get_type ())
G_DECLARE_FINAL_TYPE (DmInspectJob, dm_inspect_job, DM, INSPECT_JOB, DmJob)

/* The project's model file for class_name when it exists (to free), else
 * NULL: the unified model, or, for a project trained one model per
 * class, that class's (class_name NULL: the folder, when it holds any). */
char *dm_inspect_job_find_model (const DmProject *project, const char *class_name);

/* A run over paths (files and folders) with the project's model of
 * class_name (see dm_inspect_job_find_model) and backbone; each entry is
 * judged in the worker by every class's thresholds and rules as the
 * project has them now. NULL with an error when the project has no
 * trained model for it. */
DmInspectJob *dm_inspect_job_new (const DmProject *project,
                                  const char *class_name,
                                  const char *const *paths,
                                  GError **error);

/* "results": DmInspectEntry, in the order of the files. */
GListModel *dm_inspect_job_get_results (DmInspectJob *self);
/* "n-files": the images found (0 until listed); "n-done": scored so far. */
guint dm_inspect_job_get_n_files (DmInspectJob *self);
guint dm_inspect_job_get_n_done (DmInspectJob *self);
/* "listed": the files are known (and the notes, the colour ranges). */
gboolean dm_inspect_job_is_listed (DmInspectJob *self);
/* "notes": the files left out and why (messages naming them). */
const char *const *dm_inspect_job_get_notes (DmInspectJob *self);
/* The heatmap colour range of a class, as the project's scored test
 * images set it; FALSE when unknown. */
gboolean dm_inspect_job_get_map_range (DmInspectJob *self,
                                       const char *class_name,
                                       double *low,
                                       double *high);

G_END_DECLS
