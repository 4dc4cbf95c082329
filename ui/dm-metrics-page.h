/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Metrics page: the seven benchmark metrics of every class and their
 * mean, and for a chosen class the ROC and precision-recall curves, the
 * score histogram with the thresholds and the confusion matrix, drawn with
 * the report's Cairo plots. The numbers are computed off the main thread
 * (a DmJob of dm-report-job.h) as a DmReportInput: the same figures the
 * exported report shows. */
#pragma once

#include <adwaita.h>

#include "dm-open-project.h"
#include "dm-report.h"

G_BEGIN_DECLS

#define DM_TYPE_METRICS_PAGE (dm_metrics_page_get_type ())
G_DECLARE_FINAL_TYPE (DmMetricsPage, dm_metrics_page, DM, METRICS_PAGE, AdwBin)

/* "project": the open project, or NULL. Its figures are computed in the
 * background when the page is shown after the project changed. */
void dm_metrics_page_set_project (DmMetricsPage *self, DmOpenProject *project);
DmOpenProject *dm_metrics_page_get_project (DmMetricsPage *self);
/* TRUE while the figures are computed. */
gboolean dm_metrics_page_is_busy (DmMetricsPage *self);

/* Shows input (taken; NULL: the empty state). */
void dm_metrics_page_set_input (DmMetricsPage *self, DmReportInput *input);
DmReportInput *dm_metrics_page_get_input (DmMetricsPage *self);

/* The text of the metrics table as shown, one row per line (tests). */
char *dm_metrics_page_get_table_text (DmMetricsPage *self);

G_END_DECLS
