/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window of Dinomaly Studio: the start page and the open
 * project's pages, its geometry, its file choosers, and the Review page's
 * keys (win.label-image, win.next-image, win.previous-image). */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-backbone-page.h"
#include "dm-inspect-page.h"
#include "dm-metrics-page.h"
#include "dm-start-page.h"
#include "dm-window-private.h"

#define MAX_RECENT 10

G_DEFINE_FINAL_TYPE (DmWindow, dm_window, ADW_TYPE_APPLICATION_WINDOW)

enum
{
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

DmWindow *
dm_window_new (AdwApplication *application)
{
  return g_object_new (DM_TYPE_WINDOW, "application", application, NULL);
}

DmOpenProject *
dm_window_get_project (DmWindow *self)
{
  g_return_val_if_fail (DM_IS_WINDOW (self), NULL);
  return self->project;
}

/* ---- the open project ---- */

static void
remember_recent (DmWindow *self, const char *folder)
{
  g_auto (GStrv) recent = g_settings_get_strv (self->settings, "recent-projects");
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) updated = NULL;
  guint n = 1;

  g_strv_builder_add (builder, folder);
  for (guint i = 0; recent[i] != NULL && n < MAX_RECENT; i++)
    if (g_strcmp0 (recent[i], folder) != 0)
      {
        g_strv_builder_add (builder, recent[i]);
        n++;
      }
  updated = g_strv_builder_end (builder);
  /* the start page follows the setting */
  g_settings_set_strv (self->settings, "recent-projects", (const char *const *)updated);
}

static void
close_project (DmWindow *self)
{
  g_autoptr (DmOpenProject) closed = g_steal_pointer (&self->project);

  if (closed == NULL)
    return;
  /* every page lets go of it (its jobs discarded) before it is freed */
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
  if (self->main_stack != NULL)
    {
      adw_view_switcher_title_set_title (self->window_title, _ ("Dinomaly Studio"));
      adw_view_switcher_title_set_subtitle (self->window_title, NULL);
      adw_view_switcher_title_set_view_switcher_enabled (self->window_title, FALSE);
      gtk_window_set_title (GTK_WINDOW (self), _ ("Dinomaly Studio"));
      gtk_stack_set_visible_child_name (self->main_stack, "start");
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.close-project", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-class", FALSE);
}

void
dm_window_set_project (DmWindow *self, DmProject *project)
{
  g_autofree char *folder = NULL, *title = NULL;

  close_project (self);
  if (project == NULL)
    return;
  self->project = dm_open_project_new (project);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
  folder = g_filename_display_name (project->folder);
  adw_view_switcher_title_set_title (self->window_title, project->name);
  adw_view_switcher_title_set_subtitle (self->window_title, folder);
  adw_view_switcher_title_set_view_switcher_enabled (self->window_title, TRUE);
  /* the switcher takes the header's middle: the project's name stays in
   * the window title (task switcher, window list) */
  title = g_strdup_printf (_ ("%s — Dinomaly Studio"), project->name);
  gtk_window_set_title (GTK_WINDOW (self), title);
  gtk_stack_set_visible_child_name (self->main_stack, "project");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.close-project", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-class", TRUE);
  remember_recent (self, project->folder);
}

/* ---- geometry ---- */

static void
dm_window_restore_state (DmWindow *self)
{
  int width = g_settings_get_int (self->settings, "window-width");
  int height = g_settings_get_int (self->settings, "window-height");

  /* A corrupt or hand-edited value must not give a window of zero size. */
  if (width > 0 && height > 0)
    gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static void
dm_window_save_state (DmWindow *self)
{
  int width = 0, height = 0;

  /* GTK keeps the default size at the last unmaximized size, so saving it
   * together with the maximized flag restores both states correctly. */
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_delay (self->settings);
  if (width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  g_settings_apply (self->settings);
}

/* ---- file choosers (GTK 4.8: GtkFileChooserNative) ---- */

static void
on_chooser_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  DmWindow *self = DM_WINDOW (user_data);
  DmWindowChosen chosen = g_object_get_data (G_OBJECT (dialog), "chosen");

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
        chosen (self, (const char *const *)paths);
    }
  gtk_native_dialog_destroy (dialog);
  if (self->chooser == dialog)
    g_clear_object (&self->chooser);
}

static void
drop_chooser (DmWindow *self)
{
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
}

GtkFileChooser *
dm_window_choose (DmWindow *self,
                  const char *title,
                  GtkFileChooserAction action,
                  const char *accept,
                  DmWindowChosen chosen)
{
  drop_chooser (self);
  self->chooser = GTK_NATIVE_DIALOG (
    gtk_file_chooser_native_new (title, GTK_WINDOW (self), action, accept, _ ("_Cancel")));
  gtk_native_dialog_set_modal (self->chooser, TRUE);
  g_object_set_data (G_OBJECT (self->chooser), "chosen", chosen);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  return GTK_FILE_CHOOSER (self->chooser);
}

/* ---- the Review page's keys ---- */

static void
label_image_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  const char *path, *label;
  DmUserLabel value = DM_USER_LABEL_NONE;

  g_variant_get (param, "(&s&s)", &path, &label);
  if (g_str_equal (label, "good"))
    value = DM_USER_LABEL_GOOD;
  else if (g_str_equal (label, "defect"))
    value = DM_USER_LABEL_DEFECT;
  else if (!g_str_equal (label, "none"))
    {
      g_warning ("win.label-image: unknown label “%s” (good, defect or none)", label);
      return;
    }
  if (!dm_review_page_label_image (self->review_page, path, value))
    g_debug ("win.label-image: %s is not a reviewed test image", path);
}

static void
next_image_action (GtkWidget *widget, const char *name, GVariant *param)
{
  dm_review_page_next (DM_WINDOW (widget)->review_page);
}

static void
previous_image_action (GtkWidget *widget, const char *name, GVariant *param)
{
  dm_review_page_previous (DM_WINDOW (widget)->review_page);
}

/* ---- GObject ---- */

static gboolean
dm_window_close_request (GtkWindow *window)
{
  GtkWindowClass *parent_class = GTK_WINDOW_CLASS (dm_window_parent_class);

  if (dm_window_train_close_request (DM_WINDOW (window)))
    return TRUE;
  dm_window_save_state (DM_WINDOW (window));
  return parent_class->close_request != NULL ? parent_class->close_request (window) : FALSE;
}

static void
dm_window_dispose (GObject *object)
{
  DmWindow *self = DM_WINDOW (object);

  /* a run still under way stops (keeping a checkpoint), unseen */
  if (self->train_page != NULL && dm_train_page_get_job (self->train_page) != NULL)
    dm_job_discard (DM_JOB (dm_train_page_get_job (self->train_page)));
  /* the line's station drains before the window goes */
  if (self->line_page != NULL)
    dm_line_page_shutdown (self->line_page);
  /* the pages let go of the project first (a mask being painted is saved) */
  dm_window_set_project (self, NULL);
  drop_chooser (self);
  dm_job_clear (&self->report_job);
  gtk_widget_dispose_template (GTK_WIDGET (self), DM_TYPE_WINDOW);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (dm_window_parent_class)->dispose (object);
}

static void
dm_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PROJECT: g_value_set_object (value, DM_WINDOW (object)->project); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_window_class_init (DmWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = dm_window_dispose;
  object_class->get_property = dm_window_get_property;
  window_class->close_request = dm_window_close_request;

  /* the open project; every page's "project" is bound to it */
  properties[PROP_PROJECT]
    = g_param_spec_object ("project", NULL, NULL, DM_TYPE_OPEN_PROJECT,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* the pages are built by the template */
  g_type_ensure (DM_TYPE_START_PAGE);
  g_type_ensure (DM_TYPE_DATA_PAGE);
  g_type_ensure (DM_TYPE_BACKBONE_PAGE);
  g_type_ensure (DM_TYPE_TRAIN_PAGE);
  g_type_ensure (DM_TYPE_REVIEW_PAGE);
  g_type_ensure (DM_TYPE_INSPECT_PAGE);
  g_type_ensure (DM_TYPE_LINE_PAGE);
  g_type_ensure (DM_TYPE_MODELS_PAGE);
  g_type_ensure (DM_TYPE_HISTORY_PAGE);
  g_type_ensure (DM_TYPE_VERIFY_PAGE);
  g_type_ensure (DM_TYPE_METRICS_PAGE);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/dinomaly/Studio/dm-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DmWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, data_page);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, train_page);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, review_page);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, line_page);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, models_page);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, history_page);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, verify_page);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, review_stack);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, models_stack);

  /* (path, "good" | "defect" | "none") */
  gtk_widget_class_install_action (widget_class, "win.label-image", "(ss)", label_image_action);
  gtk_widget_class_install_action (widget_class, "win.next-image", NULL, next_image_action);
  gtk_widget_class_install_action (widget_class, "win.previous-image", NULL, previous_image_action);
  dm_window_class_init_project_actions (widget_class);
  dm_window_class_init_train_actions (widget_class);
  dm_window_class_init_inspect_actions (widget_class);
  dm_window_class_init_report_actions (widget_class);
}

static void
dm_window_init (DmWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (APP_ID);
  dm_window_restore_state (self);
  /* the Review page's grid shows the images the Data page has decoded */
  dm_review_page_set_thumbnail_loader (self->review_page,
                                       dm_data_page_get_thumbnail_loader (self->data_page));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel-training", FALSE);
  /* the heatmaps' colours: win.heatmap-colormap (the Review page's menu)
   * sets the key, both large views follow it */
  {
    g_autoptr (GAction) colormap = g_settings_create_action (self->settings, "heatmap-colormap");

    g_action_map_add_action (G_ACTION_MAP (self), colormap);
  }
  g_settings_bind (self->settings, "heatmap-colormap",
                   dm_review_page_get_heatmap_view (self->review_page), "colormap",
                   G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "heatmap-colormap",
                   dm_inspect_page_get_heatmap_view (DM_INSPECT_PAGE (
                     adw_view_stack_get_child_by_name (self->view_stack, "inspect"))),
                   "colormap", G_SETTINGS_BIND_GET);
}
