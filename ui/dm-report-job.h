/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's background work as DmJobs: its figures (dm_project_report_input,
 * computed from what is on disk: the project is saved at every change) for
 * the Metrics page and the Export Report dialog, and writing the files. */
#pragma once

#include "dm-job.h"
#include "dm-project.h"
#include "dm-report-dialog.h"

G_BEGIN_DECLS

/* TRUE when the project has scored results to report on. */
gboolean dm_report_job_has_results (const DmProject *project);

/* Computes the figures of the project in folder (read anew from disk). */
DmJob *dm_report_job_new_input (const char *folder);
/* Once it succeeded: the figures (to free), NULL after. */
DmReportInput *dm_report_job_steal_input (DmJob *job);

/* Writes input (taken) as a PDF at pdf_path, and as options say a CSV and
 * a JSON file beside it (<name>.csv, <name>.json). */
DmJob *dm_report_job_new_write (DmReportInput *input,
                                const DmReportOptions *options,
                                const char *pdf_path);
const char *dm_report_job_get_pdf_path (DmJob *job);

G_END_DECLS
