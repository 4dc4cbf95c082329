/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Export Report dialog: a preview of the first page and the choice of
 * paper and of what to include. "Export…" emits ::export; the window asks
 * where and writes the files off the main thread. */
#pragma once

#include <adwaita.h>

#include "dm-report.h"

G_BEGIN_DECLS

typedef struct
{
  DmReportPaper paper;
  gboolean plots;   /* curves, histograms, confusion matrices */
  gboolean gallery; /* heatmap galleries */
  gboolean csv;     /* also <name>.csv */
  gboolean json;    /* also <name>.json */
} DmReportOptions;

#define DM_TYPE_REPORT_DIALOG (dm_report_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DmReportDialog, dm_report_dialog, DM, REPORT_DIALOG, AdwWindow)

/* input: the report to preview and export (taken). */
DmReportDialog *dm_report_dialog_new (GtkWindow *parent, DmReportInput *input);
/* Hands the input over (to the job that writes it); NULL after. */
DmReportInput *dm_report_dialog_steal_input (DmReportDialog *self);
void dm_report_dialog_get_options (DmReportDialog *self, DmReportOptions *options);

G_END_DECLS
