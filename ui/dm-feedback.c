/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Toasts and error dialogs for pages and the window. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-feedback.h"

void
dm_feedback_toast (GtkWidget *widget, const char *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}

void
dm_feedback_error (GtkWidget *widget, const char *heading, const GError *error)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                              heading, error->message);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _ ("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

gboolean
dm_feedback_save (GtkWidget *widget, DmOpenProject *project, const char *part)
{
  g_autoptr (GError) error = NULL;

  if (dm_open_project_save (project, part, &error))
    return TRUE;
  dm_feedback_error (widget, _ ("Could Not Save the Project"), error);
  return FALSE;
}
