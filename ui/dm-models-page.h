/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Models page: every version of the project's model (when, by whom,
 * backbone, preset, the seven metrics on the test images, the false-reject
 * and escape rates at its thresholds); two compared side by side (metrics,
 * ROC and PR curves on one plot, the test images they decide differently);
 * promote one as the active model, roll back, delete, each with undo and
 * each in the audit trail. */
#pragma once

#include <adwaita.h>

#include "dm-open-project.h"

G_BEGIN_DECLS

#define DM_TYPE_MODELS_PAGE (dm_models_page_get_type ())
G_DECLARE_FINAL_TYPE (DmModelsPage, dm_models_page, DM, MODELS_PAGE, AdwBin)

void dm_models_page_set_project (DmModelsPage *self, DmOpenProject *project);
DmOpenProject *dm_models_page_get_project (DmModelsPage *self);
/* Shows versions a and b side by side (ids). */
void dm_models_page_compare (DmModelsPage *self, guint a, guint b);
/* TRUE while the results are being read. */
gboolean dm_models_page_is_loading (DmModelsPage *self);
/* What the comparison found: test images both scored, decided differently
 * (0 before a comparison). */
guint dm_models_page_get_n_compared (DmModelsPage *self);
guint dm_models_page_get_n_disagreements (DmModelsPage *self);

G_END_DECLS
