/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Inspection Rules dialog of a class: its region of interest drawn on
 * a reference picture (DmRoiEditor), its calibration by measuring a known
 * length, and its limits on defect regions (minimum area, maximum area,
 * length and number). Save stores them as the class's rules in the
 * project (dm-rules.h), where the window, the reports and the station read
 * them. */
#pragma once

#include <adwaita.h>

#include "dm-open-project.h"

G_BEGIN_DECLS

#define DM_TYPE_RULES_DIALOG (dm_rules_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DmRulesDialog, dm_rules_dialog, DM, RULES_DIALOG, AdwWindow)

/* For class_name of project, drawn on the picture at reference_path
 * (loaded off the main thread). */
DmRulesDialog *dm_rules_dialog_new (GtkWindow *parent,
                                    DmOpenProject *project,
                                    const char *class_name,
                                    const char *reference_path);

/* The rules as the dialog shows them now (a new copy). */
DmRules *dm_rules_dialog_get_rules (DmRulesDialog *self);
/* Validates and stores them in the project (saved); FALSE with the error
 * shown in the dialog and returned. */
gboolean dm_rules_dialog_save (DmRulesDialog *self, GError **error);
/* The editor, for tests. */
GtkWidget *dm_rules_dialog_get_editor (DmRulesDialog *self);

G_END_DECLS
