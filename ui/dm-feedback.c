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

/* libadwaita 1.2 (Debian 12 has 1.2.2) frees a toast dismissed less than
 * 0.2 s into its 0.5 s entrance (the one it gets while another toast
 * leaves) and then reads it when the entrance ends: a use after free
 * (upstream commit 1674ebc9, fixed in 1.3), the rare SIGSEGV of the
 * project-window test when the demo was ready at once. A toast is
 * therefore dismissed no sooner than its entrance can have ended. */
#define TOAST_ENTRANCE_US (600 * G_TIME_SPAN_MILLISECOND)

AdwToast *
dm_feedback_toast_until_dismissed (GtkWidget *widget, const char *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  AdwToast *toast = adw_toast_new (text);
  gint64 *shown = g_new (gint64, 1);

  *shown = g_get_monotonic_time ();
  g_object_set_data_full (G_OBJECT (toast), "dm-shown", shown, g_free);
  adw_toast_set_timeout (toast, 0);
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), g_object_ref (toast));
  return toast;
}

static gboolean
dismiss_now (gpointer toast)
{
  adw_toast_dismiss (toast);
  return G_SOURCE_REMOVE;
}

void
dm_feedback_dismiss (AdwToast *toast)
{
  gint64 *shown = g_object_get_data (G_OBJECT (toast), "dm-shown");
  gint64 left = shown != NULL ? *shown + TOAST_ENTRANCE_US - g_get_monotonic_time () : 0;

  if (left <= 0)
    {
      adw_toast_dismiss (toast);
      g_object_unref (toast);
      return;
    }
  g_timeout_add_full (G_PRIORITY_DEFAULT, (guint)(left / G_TIME_SPAN_MILLISECOND) + 1, dismiss_now,
                      toast, g_object_unref);
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
