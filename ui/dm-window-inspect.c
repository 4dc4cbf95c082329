/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmWindow's Inspect actions: scoring new parts with the project's model
 * (win.inspect-paths, win.cancel-inspect, win.export-inspection) and the
 * choosers in front of them. The Inspect page runs the jobs; the window
 * hands it the project. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-inspect-page.h"
#include "dm-window-private.h"

static DmInspectPage *
inspect_page (DmWindow *self)
{
  GtkWidget *page = adw_view_stack_get_child_by_name (self->view_stack, "inspect");

  return page != NULL ? DM_INSPECT_PAGE (page) : NULL;
}

static void
refresh_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  DmInspectPage *page = inspect_page (self);

  if (page != NULL)
    dm_inspect_page_show_project (page, self->project);
}

static void
inspect_paths_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  DmInspectPage *page = inspect_page (self);
  g_autofree const char **paths = g_variant_get_strv (param, NULL);
  g_autoptr (GError) error = NULL;

  if (page == NULL || self->project == NULL)
    return;
  dm_inspect_page_show_project (page, self->project);
  adw_view_stack_set_visible_child_name (self->view_stack, "inspect");
  if (!dm_inspect_page_start (page, paths, &error))
    dm_window_show_error (self, _ ("Could Not Inspect the Images"), error);
}

static void
cancel_inspect_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmInspectPage *page = inspect_page (DM_WINDOW (widget));

  if (page != NULL)
    dm_inspect_page_cancel (page);
}

static void
clear_inspection_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmInspectPage *page = inspect_page (DM_WINDOW (widget));

  if (page != NULL)
    dm_inspect_page_clear (page);
}

static void
export_inspection_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  DmInspectPage *page = inspect_page (self);
  g_autoptr (GError) error = NULL;

  if (page != NULL && !dm_inspect_page_export (page, g_variant_get_string (param, NULL), &error))
    dm_window_show_error (self, _ ("Could Not Export the Results"), error);
}

/* ---- choosers (GTK 4.8: GtkFileChooserNative) ---- */

static void
on_open_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  DmWindow *self = DM_WINDOW (user_data);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));
      g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
      g_auto (GStrv) paths = NULL;

      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        {
          g_autoptr (GFile) file = g_list_model_get_item (files, i);
          g_autofree char *path = g_file_get_path (file);

          if (path != NULL)
            g_strv_builder_add (builder, path);
        }
      paths = g_strv_builder_end (builder);
      if (paths[0] != NULL)
        gtk_widget_activate_action (GTK_WIDGET (self), "win.inspect-paths", "^as", paths);
    }
  gtk_native_dialog_destroy (dialog);
  if (self->chooser == dialog)
    g_clear_object (&self->chooser);
}

static void
on_export_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  DmWindow *self = DM_WINDOW (user_data);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        gtk_widget_activate_action (GTK_WIDGET (self), "win.export-inspection", "s", path);
    }
  gtk_native_dialog_destroy (dialog);
  if (self->chooser == dialog)
    g_clear_object (&self->chooser);
}

static GtkFileChooser *
choose (DmWindow *self,
        const char *title,
        const char *accept,
        GtkFileChooserAction action,
        GCallback on_response)
{
  if (self->chooser != NULL)
    {
      gtk_native_dialog_destroy (self->chooser);
      g_clear_object (&self->chooser);
    }
  self->chooser = GTK_NATIVE_DIALOG (
    gtk_file_chooser_native_new (title, GTK_WINDOW (self), action, accept, _ ("_Cancel")));
  gtk_native_dialog_set_modal (self->chooser, TRUE);
  g_signal_connect (self->chooser, "response", on_response, self);
  return GTK_FILE_CHOOSER (self->chooser);
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
  chooser = choose (self, _ ("Open Images of New Parts"), _ ("_Open"), GTK_FILE_CHOOSER_ACTION_OPEN,
                    G_CALLBACK (on_open_response));
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
  gtk_native_dialog_show (self->chooser);
}

static void
inspect_choose_export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);

  if (self->project == NULL)
    return;
  choose (self, _ ("Export the Results into a Folder"), _ ("_Export"),
          GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, G_CALLBACK (on_export_response));
  gtk_native_dialog_show (self->chooser);
}

void
dm_window_class_init_inspect_actions (GtkWidgetClass *widget_class)
{
  /* the page is built by the window's template */
  g_type_ensure (DM_TYPE_INSPECT_PAGE);
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
