/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The images of a project: its classes' sources loaded as one DmDataset
 * (no decoding; headers only when checks ask for them). Blocking: run it
 * off the main thread. */
#pragma once

#include <glib.h>

#include "dm-dataset.h"
#include "dm-project.h"

G_BEGIN_DECLS

/* Loads every class of the project, with the parts from the line that a
 * person added to them (dm-project-feedback.h). A class whose source cannot be read at
 * all (a folder that is gone, say) does not stop the others: its error
 * message goes to class_errors (strings, may be NULL). The hold-out
 * fraction is the first class's (the project's setting), seed 0. */
DmDataset *dm_project_load_dataset (const DmProject *project,
                                    DmDatasetChecks checks,
                                    GPtrArray *class_errors,
                                    GError **error);

G_END_DECLS
