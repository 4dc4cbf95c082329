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

/* Trains and scores it (the job of the window), applies the outcome to
 * project and returns the job (its results). */
DmProjectTrain *dm_test_train_project (DmProject *project);

/* `dinomaly eval` of the project's model on one of its classes
 * (dm_evaluate_class on the project's dataset). */
DmEvalClass *dm_test_evaluate_project_class (DmProject *project, const char *class_name);

G_END_DECLS
