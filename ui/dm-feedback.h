/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Telling the user from anywhere in the window: a toast in the nearest
 * AdwToastOverlay above a widget, an error dialog over its window, a
 * project saved or why not. */
#pragma once

#include <adwaita.h>

#include "dm-open-project.h"

G_BEGIN_DECLS

/* A toast in the toast overlay that holds widget (or is widget); nothing
 * when there is none (a page shown alone). Toasts go by their timeout:
 * dismissing one early can crash libadwaita 1.2 (dm-start-page.c). */
void dm_feedback_toast (GtkWidget *widget, const char *text);
/* An error dialog over widget's window: the heading and the error's
 * message (which names the file and the problem). */
void dm_feedback_error (GtkWidget *widget, const char *heading, const GError *error);
/* Saves project after a change to part (dm_open_project_save); when that
 * fails, an error dialog over widget's window says why. */
gboolean dm_feedback_save (GtkWidget *widget, DmOpenProject *project, const char *part);

G_END_DECLS
