/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The To Verify page: the parts the line sent back (its uncertain parts
 * and a sample of passes, dm-project-feedback.h) with their heatmaps, the
 * ones whose verdict changes the most first ("label next": the uncertain
 * band's middle, then the nearest to a threshold). A person says good or
 * defect (a project label, in the audit trail), then adds the part to its
 * class: a good part to the training images of the next version, a defect
 * to the test images. Then "Train a new version with the N new parts". */
#pragma once

#include <adwaita.h>

#include "dm-open-project.h"

G_BEGIN_DECLS

#define DM_TYPE_VERIFY_PAGE (dm_verify_page_get_type ())
G_DECLARE_FINAL_TYPE (DmVerifyPage, dm_verify_page, DM, VERIFY_PAGE, AdwBin)

void dm_verify_page_set_project (DmVerifyPage *self, DmOpenProject *project);
DmOpenProject *dm_verify_page_get_project (DmVerifyPage *self);
gboolean dm_verify_page_is_loading (DmVerifyPage *self);
/* The parts shown, in their order (ids; transfer none), and how many were
 * added to their class since the newest version was trained. */
const char *const *dm_verify_page_get_ids (DmVerifyPage *self);
guint dm_verify_page_get_n_new (DmVerifyPage *self);

G_END_DECLS
