/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Test projects that train in seconds: generated parts of two classes and
 * the tiny random backbone at 28 x 28 pixels. */
#pragma once

#include "dm-evaluation.h"
#include "dm-project-train.h"
#include "dm-project.h"

G_BEGIN_DECLS

/* A new project in folder over generated "washer" and "fabric" parts
 * (written to folder/../<basename>-data), tiny backbone, total_iters
 * iterations of batch 4. */
DmProject *dm_test_tiny_project (const char *folder, int total_iters);

/* A few real images of ../shared/data/magnetic_tile copied in MVTec layout
 * to dst (n_train normal training images, n_good good test images, n_defect
 * of each defect type named in defects (NULL-terminated), with their masks
 * matched by name). FALSE when ../shared is absent. */
gboolean dm_test_copy_magnetic_tile (
  const char *dst, guint n_train, guint n_good, const char *const *defects, guint n_defect);

/* A project in folder named name over those real images (class
 * "magnetic_tile"), or over generated washers when ../shared is absent
 * (class "washer"; 8 training, 4 good and 2 of each defect type), with the
 * tiny backbone at 28 x 28 and total_iters iterations of batch 4. The data
 * go to folder-data. */
DmProject *dm_test_real_project (const char *folder,
                                 const char *name,
                                 guint n_train,
                                 guint n_good,
                                 const char *const *defects,
                                 guint n_defect,
                                 int total_iters);

/* Trains and scores it (the job of the window), applies the outcome to
 * project and returns the job (its results). */
DmProjectTrain *dm_test_train_project (DmProject *project);

/* `dinomaly eval` of the project's model on one of its classes
 * (dm_evaluate_class on the project's dataset). */
DmEvalClass *dm_test_evaluate_project_class (DmProject *project, const char *class_name);

G_END_DECLS
