/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Backbone page of a project: which DINOv2 encoder the model is built
 * on. Shows what a chosen file is (checked off the main thread) or why it
 * cannot be used, and offers random weights for trying the workflow. */
#pragma once

#include <adwaita.h>

#include "dm-open-project.h"

G_BEGIN_DECLS

#define DM_TYPE_BACKBONE_PAGE (dm_backbone_page_get_type ())
G_DECLARE_FINAL_TYPE (DmBackbonePage, dm_backbone_page, DM, BACKBONE_PAGE, AdwBin)

/* "project": the open project, or NULL. The page follows its backbone
 * choice; a file is checked in the background. */
void dm_backbone_page_set_project (DmBackbonePage *self, DmOpenProject *project);
DmOpenProject *dm_backbone_page_get_project (DmBackbonePage *self);

/* TRUE while a file check runs (for tests). */
gboolean dm_backbone_page_is_checking (DmBackbonePage *self);

G_END_DECLS
