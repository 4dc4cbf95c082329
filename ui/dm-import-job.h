/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading a dataset to import (an MVTec AD folder, a VisA split file or a
 * folder holding one) as a DmJob: the files are counted ("n-files", for
 * "Reading N files…"), then read with dm_dataset_load's detection and
 * checks. Once finished, the classes found go into a project. */
#pragma once

#include "dm-job.h"
#include "dm-project.h"

G_BEGIN_DECLS

#define DM_TYPE_IMPORT_JOB (dm_import_job_get_type ())
G_DECLARE_FINAL_TYPE (DmImportJob, dm_import_job, DM, IMPORT_JOB, DmJob)

DmImportJob *dm_import_job_new (const char *path);
const char *dm_import_job_get_path (DmImportJob *self);
/* The files under the path (a CSV: its lines), 0 until counted. */
guint dm_import_job_get_n_files (DmImportJob *self);

/* Once finished: TRUE when the path is no dataset but a plain folder (of
 * normal images: one class of the "folders" layout). */
gboolean dm_import_job_is_plain_folder (DmImportJob *self);
/* Adds one project class per class of the dataset read; the names the
 * project has already are appended to taken (“name”, comma separated).
 * Returns the number added. */
guint dm_import_job_add_classes (DmImportJob *self, DmProject *project, GString *taken);

G_END_DECLS
