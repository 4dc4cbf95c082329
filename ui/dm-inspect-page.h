/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Inspect page: images or folders of new parts dropped or chosen, scored
 * with the project's model in a worker thread, each appearing in a grid as
 * it is computed (thumbnail, name, score, pass / uncertain / fail badge by
 * the chosen class's thresholds), a large view of the selected image with
 * its heatmap, progress and cancel, and an export of the results (CSV and
 * overlay PNGs) written off the main thread. Each inspection is a
 * DmInspectJob that the window makes (dm-window-inspect.c) and the page
 * runs in turn; the page follows its "project". */
#pragma once

#include <adwaita.h>

#include "dm-heatmap-view.h"
#include "dm-inspect-job.h"
#include "dm-open-project.h"
#include "dm-thresholds.h"

G_BEGIN_DECLS

#define DM_TYPE_INSPECT_PAGE (dm_inspect_page_get_type ())
G_DECLARE_FINAL_TYPE (DmInspectPage, dm_inspect_page, DM, INSPECT_PAGE, AdwBin)

/* "project": the open project, or NULL. Another project cancels a running
 * inspection and clears the results; a change to it (thresholds, a model)
 * shows when the page is shown. */
void dm_inspect_page_set_project (DmInspectPage *self, DmOpenProject *project);
DmOpenProject *dm_inspect_page_get_project (DmInspectPage *self);
/* The large view of the image at hand (the window sets its colour map). */
DmHeatmapView *dm_inspect_page_get_heatmap_view (DmInspectPage *self);
/* Reads the project again (its thresholds, whether its model file is there). */
void dm_inspect_page_refresh (DmInspectPage *self);

/* TRUE when the project has a trained model to inspect with. */
gboolean dm_inspect_page_has_model (DmInspectPage *self);

/* Shows the job's results after those already there; the job (ready) runs
 * when the one before it is done. */
void dm_inspect_page_add_job (DmInspectPage *self, DmInspectJob *job);
/* Stops the running inspection (what is scored stays) and drops the jobs
 * waiting. */
void dm_inspect_page_cancel (DmInspectPage *self);
/* Drops the results (the running job is discarded). */
void dm_inspect_page_clear (DmInspectPage *self);
/* Writes folder/inspection.csv and folder/<name>_overlay.png for the
 * scored images in a worker thread; a toast tells the outcome. FALSE (with
 * an error) when there is nothing to export or an inspection or export
 * runs. */
gboolean dm_inspect_page_export (DmInspectPage *self, const char *folder, GError **error);

gboolean dm_inspect_page_is_running (DmInspectPage *self);
gboolean dm_inspect_page_is_exporting (DmInspectPage *self);

/* The class whose thresholds decide (by name; unknown names are ignored). */
void dm_inspect_page_set_class (DmInspectPage *self, const char *name);
const char *dm_inspect_page_get_class (DmInspectPage *self);

/* The results in order: path, score (NAN for a failed image), the decision
 * its badge shows and the failure message (NULL when scored). */
guint dm_inspect_page_get_n_results (DmInspectPage *self);
gboolean dm_inspect_page_get_result (DmInspectPage *self,
                                     guint index,
                                     const char **path,
                                     float *score,
                                     DmDecision *decision,
                                     const char **error_message);
/* Shows result index in the large view. */
void dm_inspect_page_select (DmInspectPage *self, guint index);
/* TRUE once the selected image and its heatmap are shown. */
gboolean dm_inspect_page_view_ready (DmInspectPage *self);

G_END_DECLS
