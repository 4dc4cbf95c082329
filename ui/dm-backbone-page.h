/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Backbone page of a project: which DINOv2 encoder the model is built
 * on. Shows what a chosen file is (checked off the main thread) or why it
 * cannot be used, and offers random weights for trying the workflow. */
#pragma once

#include <adwaita.h>

#include "dm-project.h"

G_BEGIN_DECLS

#define DM_TYPE_BACKBONE_PAGE (dm_backbone_page_get_type ())
G_DECLARE_FINAL_TYPE (DmBackbonePage, dm_backbone_page, DM, BACKBONE_PAGE, AdwBin)

/* Shows the project's backbone choice (borrowed; NULL clears). A file is
 * checked again in the background. */
void dm_backbone_page_show_project (DmBackbonePage *self, DmProject *project);

/* TRUE while a file check runs (for tests). */
gboolean dm_backbone_page_is_checking (DmBackbonePage *self);

G_END_DECLS
