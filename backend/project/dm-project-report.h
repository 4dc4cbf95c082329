/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The inspection report of a trained, scored project: its results with the
 * user's labels, painted masks and thresholds, its model's description and
 * its data's counts, as the input of backend/report. Blocking: masks are
 * decoded and the dataset listed. */
#pragma once

#include <glib.h>

#include "dm-project-results.h"
#include "dm-project.h"
#include "dm-report.h"

G_BEGIN_DECLS

/* NULL with a GError when the project has no model or results, or they
 * cannot be read. */
DmReportInput *
dm_project_report_input (const DmProject *project, DmProjectResults *results, GError **error);

G_END_DECLS
