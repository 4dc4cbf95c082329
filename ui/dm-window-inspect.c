/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmWindow's Inspect actions: scoring new parts with the project's model
 * (win.inspect-paths makes a DmInspectJob that the Inspect page runs and
 * shows, win.cancel-inspect, win.clear-inspection, win.export-inspection,
 * win.inspect-refresh) and the choosers in front of them. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-feedback.h"
#include "dm-inspect-page.h"
#include "dm-window-private.h"

static DmInspectPage *
inspect_page (DmWindow *self)
{
  return DM_INSPECT_PAGE (adw_view_stack_get_child_by_name (self->view_stack, "inspect"));
}

static void
refresh_action (GtkWidget *widget, const char *name, GVariant *param)
{
  dm_inspect_page_refresh (inspect_page (DM_WINDOW (widget)));
}

static void
inspect_paths (DmWindow *self, const char *const *paths)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmInspectJob) job = NULL;

  if (self->project == NULL || paths[0] == NULL)
    return;
  adw_view_stack_set_visible_child_name (self->view_stack, "inspect");
  job = dm_inspect_job_new (dm_open_project_get_project (self->project),
                            dm_inspect_page_get_class (inspect_page (self)), paths, &error);
  if (job == NULL)
    dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Inspect the Images"), error);
  else
    dm_inspect_page_add_job (inspect_page (self), job);
}

static void
inspect_paths_action (GtkWidget *widget, const char *name, GVariant *param)
{
  g_autofree const char **paths = g_variant_get_strv (param, NULL);

  inspect_paths (DM_WINDOW (widget), paths);
}

static void
cancel_inspect_action (GtkWidget *widget, const char *name, GVariant *param)
{
  dm_inspect_page_cancel (inspect_page (DM_WINDOW (widget)));
}

static void
clear_inspection_action (GtkWidget *widget, const char *name, GVariant *param)
{
  dm_inspect_page_clear (inspect_page (DM_WINDOW (widget)));
}

static void
export_inspection_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  g_autoptr (GError) error = NULL;

  if (!dm_inspect_page_export (inspect_page (self), g_variant_get_string (param, NULL), &error))
    dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Export the Results"), error);
}

/* ---- choosers ---- */

static void
on_images_chosen (DmWindow *self, const char *const *paths)
{
  inspect_paths (self, paths);
}

static void
on_export_chosen (DmWindow *self, const char *const *paths)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "win.export-inspection", "s", paths[0]);
}

static void
inspect_open_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  GtkFileChooser *chooser;
  g_autoptr (GtkFileFilter) images = gtk_file_filter_new ();
  g_autoptr (GtkFileFilter) all = gtk_file_filter_new ();

  if (self->project == NULL)
    return;
  chooser = dm_window_choose (self, _ ("Open Images of New Parts"), GTK_FILE_CHOOSER_ACTION_OPEN,
                              _ ("_Open"), on_images_chosen);
  gtk_file_chooser_set_select_multiple (chooser, TRUE);
  gtk_file_filter_set_name (images, _ ("Images (PNG, TIFF, JPEG, BMP)"));
  gtk_file_filter_add_mime_type (images, "image/png");
  gtk_file_filter_add_mime_type (images, "image/tiff");
  gtk_file_filter_add_mime_type (images, "image/jpeg");
  gtk_file_filter_add_mime_type (images, "image/bmp");
  gtk_file_filter_set_name (all, _ ("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (chooser, images);
  gtk_file_chooser_add_filter (chooser, all);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
inspect_choose_export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);

  if (self->project != NULL)
    gtk_native_dialog_show (GTK_NATIVE_DIALOG (
      dm_window_choose (self, _ ("Export the Results into a Folder"),
                        GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _ ("_Export"), on_export_chosen)));
}

void
dm_window_class_init_inspect_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.inspect-paths", "as", inspect_paths_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-inspect", NULL, cancel_inspect_action);
  gtk_widget_class_install_action (widget_class, "win.export-inspection", "s",
                                   export_inspection_action);
  gtk_widget_class_install_action (widget_class, "win.clear-inspection", NULL,
                                   clear_inspection_action);
  gtk_widget_class_install_action (widget_class, "win.inspect-open", NULL, inspect_open_action);
  gtk_widget_class_install_action (widget_class, "win.inspect-choose-export", NULL,
                                   inspect_choose_export_action);
  gtk_widget_class_install_action (widget_class, "win.inspect-refresh", NULL, refresh_action);
}
