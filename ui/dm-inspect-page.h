/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Inspect page: images or folders of new parts dropped or chosen, scored
 * with the project's model in a worker thread, each appearing in a grid as
 * it is computed (thumbnail, name, score, pass / uncertain / fail badge by
 * the chosen class's thresholds), a large view of the selected image with
 * its heatmap, progress and cancel, and an export of the results (CSV and
 * overlay PNGs) written off the main thread. The window's actions
 * (dm-window-inspect.c) drive it; on being shown it asks the window for the
 * project (win.inspect-refresh). */
#pragma once

#include <adwaita.h>

#include "dm-project.h"
#include "dm-thresholds.h"

G_BEGIN_DECLS

#define DM_TYPE_INSPECT_PAGE (dm_inspect_page_get_type ())
G_DECLARE_FINAL_TYPE (DmInspectPage, dm_inspect_page, DM, INSPECT_PAGE, AdwBin)

/* Takes what the page needs of the project (copied: folder, model, backbone,
 * classes and their thresholds). Another project (or NULL) cancels a
 * running inspection and clears the results; the same one refreshes the
 * thresholds and whether there is a model. */
void dm_inspect_page_show_project (DmInspectPage *self, const DmProject *project);

/* TRUE when the project has a trained model to inspect with. */
gboolean dm_inspect_page_has_model (DmInspectPage *self);

/* Scores the images in paths (files and folders) and appends them to the
 * results; while a run goes on, the paths wait for it. FALSE (with an
 * error) without a model. */
gboolean dm_inspect_page_start (DmInspectPage *self, const char *const *paths, GError **error);
/* Stops the running inspection (what is scored stays) and drops the paths
 * waiting. */
void dm_inspect_page_cancel (DmInspectPage *self);
/* Drops the results (cancels first). */
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
