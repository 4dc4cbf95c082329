/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmWindow's project actions: new, open (chooser, recent or path), close,
 * add a class from a folder, remove a class with undo. Every change to the
 * project is saved at once (atomically, by dm_project_save). */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-demo.h"
#include "dm-project-dataset.h"
#include "dm-window-private.h"

#define MAX_RECENT 10

static void
show_error (DmWindow *self, const char *heading, const GError *error)
{
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), heading, error->message));
  adw_message_dialog_add_response (dialog, "close", _ ("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
toast (DmWindow *self, const char *text)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

/* Saves the project; on failure says so (the change stays in memory and
 * the next save retries). */
static gboolean
save_project (DmWindow *self)
{
  g_autoptr (GError) error = NULL;

  /* whatever changed, the figures shown may have too */
  self->project_generation++;
  if (dm_project_save (self->project, &error))
    return TRUE;
  show_error (self, _ ("Could Not Save the Project"), error);
  return FALSE;
}

void
dm_window_update_recent (DmWindow *self)
{
  g_auto (GStrv) recent = g_settings_get_strv (self->settings, "recent-projects");
  g_autoptr (GStrvBuilder) existing = g_strv_builder_new ();
  g_auto (GStrv) shown = NULL;

  /* projects deleted or on an unplugged disk are not offered */
  for (guint i = 0; recent[i] != NULL; i++)
    {
      g_autofree char *file = g_build_filename (recent[i], DM_PROJECT_FILE, NULL);
      if (g_file_test (file, G_FILE_TEST_EXISTS))
        g_strv_builder_add (existing, recent[i]);
    }
  shown = g_strv_builder_end (existing);
  dm_start_page_set_recent (self->start_page, (const char *const *)shown);
}

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
  g_settings_set_strv (self->settings, "recent-projects", (const char *const *)updated);
  dm_window_update_recent (self);
}

/* ---- the project's images, loaded off the main thread ---- */

typedef struct
{
  DmDataset *dataset;
  GPtrArray *class_errors;
} DatasetResult;

static void
dataset_result_free (gpointer data)
{
  DatasetResult *r = data;

  dm_dataset_free (r->dataset);
  g_ptr_array_unref (r->class_errors);
  g_free (r);
}

static void
dataset_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  /* the project is saved at every change: the thread reads its own copy */
  g_autoptr (DmProject) project = dm_project_open (task_data, &error);
  DatasetResult *r;

  if (project == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  r = g_new0 (DatasetResult, 1);
  r->class_errors = g_ptr_array_new_with_free_func (g_free);
  r->dataset = dm_project_load_dataset (project, DM_DATASET_CHECK_ALL, r->class_errors, &error);
  if (r->dataset == NULL)
    {
      dataset_result_free (r);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, r, dataset_result_free);
}

static void
on_dataset_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DmWindow *self = DM_WINDOW (source);
  g_autoptr (GError) error = NULL;
  DatasetResult *r = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->dataset_cancellable);
  if (r == NULL)
    {
      toast (self, error->message);
      return;
    }
  g_clear_pointer (&self->dataset, dm_dataset_free);
  self->dataset = g_steal_pointer (&r->dataset);
  dm_data_page_show_dataset (self->data_page, self->dataset, r->class_errors);
  dataset_result_free (r);
}

void
dm_window_reload_dataset (DmWindow *self)
{
  g_autoptr (GTask) task = NULL;

  if (self->dataset_cancellable != NULL)
    g_cancellable_cancel (self->dataset_cancellable);
  g_clear_object (&self->dataset_cancellable);
  if (self->project == NULL)
    return;
  self->dataset_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->dataset_cancellable, on_dataset_loaded, NULL);
  g_task_set_task_data (task, g_strdup (self->project->folder), g_free);
  g_task_set_return_on_cancel (task, TRUE);
  dm_data_page_show_dataset (self->data_page, NULL, NULL);
  g_task_run_in_thread (task, dataset_thread);
}

static void
show_project (DmWindow *self, DmProject *project)
{
  g_autofree char *folder = NULL;

  dm_window_close_project (self);
  self->project = project;
  folder = g_filename_display_name (project->folder);
  adw_view_switcher_title_set_title (self->window_title, project->name);
  adw_view_switcher_title_set_subtitle (self->window_title, folder);
  adw_view_switcher_title_set_view_switcher_enabled (self->window_title, TRUE);
  {
    /* the switcher takes the header's middle: the project's name stays in
     * the window title (task switcher, window list) */
    g_autofree char *title = g_strdup_printf (_ ("%s — Dinomaly Studio"), project->name);
    gtk_window_set_title (GTK_WINDOW (self), title);
  }
  dm_data_page_show_project (self->data_page, project);
  dm_backbone_page_show_project (self->backbone_page, project);
  dm_window_train_show_project (self);
  dm_window_refresh_metrics (self, TRUE);
  dm_window_reload_dataset (self);
  dm_window_load_results (self);
  gtk_stack_set_visible_child_name (self->main_stack, "project");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.close-project", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-class", TRUE);
  remember_recent (self, project->folder);
}

void
dm_window_close_project (DmWindow *self)
{
  g_clear_pointer (&self->removed_class, dm_project_class_free);
  if (self->dataset_cancellable != NULL)
    g_cancellable_cancel (self->dataset_cancellable);
  g_clear_object (&self->dataset_cancellable);
  g_clear_pointer (&self->dataset, dm_dataset_free);
  dm_window_clear_results (self);
  if (self->project == NULL)
    return;
  g_clear_pointer (&self->project, dm_project_free);
  if (self->data_page != NULL)
    dm_data_page_show_project (self->data_page, NULL);
  if (self->backbone_page != NULL)
    dm_backbone_page_show_project (self->backbone_page, NULL);
  if (self->main_stack != NULL)
    {
      adw_view_switcher_title_set_title (self->window_title, _ ("Dinomaly Studio"));
      adw_view_switcher_title_set_subtitle (self->window_title, NULL);
      adw_view_switcher_title_set_view_switcher_enabled (self->window_title, FALSE);
      gtk_window_set_title (GTK_WINDOW (self), _ ("Dinomaly Studio"));
      gtk_stack_set_visible_child_name (self->main_stack, "start");
      dm_window_update_recent (self);
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.close-project", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-class", FALSE);
}

static void
open_folder (DmWindow *self, const char *folder)
{
  g_autoptr (GError) error = NULL;
  DmProject *project = dm_project_open (folder, &error);

  if (project == NULL)
    show_error (self, _ ("Could Not Open the Project"), error);
  else
    show_project (self, project);
}

static void
create_in_folder (DmWindow *self, const char *folder)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_path_get_basename (folder);
  DmProject *project = dm_project_create (folder, name, &error);

  if (project == NULL)
    show_error (self, _ ("Could Not Create the Project"), error);
  else
    show_project (self, project);
}

/* Adds the classes a folder holds: a single MVTec class (train/good), an
 * MVTec dataset root (several such class folders), or a plain folder of
 * normal images. */
static void
add_classes_from_folder (DmWindow *self, const char *folder)
{
  g_autofree char *train_good = g_build_filename (folder, "train", "good", NULL);
  g_autoptr (GPtrArray) found
    = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_project_class_free);
  g_autoptr (GError) error = NULL;
  guint added = 0;

  if (g_file_test (train_good, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *name = g_path_get_basename (folder);
      g_ptr_array_add (found, dm_project_class_new (name, "mvtec", folder));
    }
  else
    {
      g_autoptr (GDir) dir = g_dir_open (folder, 0, NULL);
      const char *entry;

      while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *sub = g_build_filename (folder, entry, NULL);
          g_autofree char *sub_good = g_build_filename (sub, "train", "good", NULL);

          if (g_file_test (sub_good, G_FILE_TEST_IS_DIR))
            g_ptr_array_add (found, dm_project_class_new (entry, "mvtec", sub));
        }
      if (found->len == 0)
        {
          g_autofree char *name = g_path_get_basename (folder);
          g_ptr_array_add (found, dm_project_class_new (name, "folders", folder));
        }
    }

  while (found->len > 0)
    {
      DmProjectClass *c = g_ptr_array_steal_index (found, 0);

      if (dm_project_add_class (self->project, c, &error))
        added++;
      else
        {
          toast (self, error->message);
          g_clear_error (&error);
          dm_project_class_free (c);
        }
    }
  if (added > 0 && save_project (self))
    {
      g_autofree char *text = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "%u class added", "%u classes added", added), added);
      toast (self, text);
    }
  dm_data_page_show_project (self->data_page, self->project);
  dm_window_reload_dataset (self);
}

static void
set_backbone_file (DmWindow *self, const char *path)
{
  if (self->project == NULL)
    return;
  g_free (self->project->backbone_kind);
  g_free (self->project->backbone_path);
  g_clear_pointer (&self->project->backbone_sha256, g_free);
  self->project->backbone_kind = g_strdup ("file");
  self->project->backbone_path = g_strdup (path);
  g_settings_set_string (self->settings, "backbone-file", path);
  save_project (self);
  dm_backbone_page_show_project (self->backbone_page, self->project);
  dm_window_train_show_project (self);
}

/* ---- file choosers (GTK 4.8: GtkFileChooserNative) ---- */

typedef void (*FolderHandler) (DmWindow *self, const char *folder);

static void
on_chooser_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  DmWindow *self = DM_WINDOW (user_data);
  FolderHandler handler = g_object_get_data (G_OBJECT (dialog), "handler");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        handler (self, path);
    }
  gtk_native_dialog_destroy (dialog);
  if (self->chooser == dialog)
    g_clear_object (&self->chooser);
}

static void
choose (DmWindow *self,
        const char *title,
        GtkFileChooserAction action,
        const char *accept,
        FolderHandler handler)
{
  GtkFileChooserNative *chooser;

  if (self->chooser != NULL)
    {
      gtk_native_dialog_destroy (self->chooser);
      g_clear_object (&self->chooser);
    }
  chooser = gtk_file_chooser_native_new (title, GTK_WINDOW (self), action, accept, _ ("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  if (action == GTK_FILE_CHOOSER_ACTION_SAVE)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), _ ("New Project"));
  g_object_set_data (G_OBJECT (chooser), "handler", handler);
  g_signal_connect (chooser, "response", G_CALLBACK (on_chooser_response), self);
  self->chooser = GTK_NATIVE_DIALOG (chooser);
  gtk_native_dialog_show (self->chooser);
}

static void
choose_backbone_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  g_autoptr (GtkFileFilter) weights = gtk_file_filter_new ();
  g_autoptr (GtkFileFilter) all = gtk_file_filter_new ();

  if (self->project == NULL)
    return;
  choose (self, _ ("Choose a DINOv2 Weight File"), GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Choose"),
          set_backbone_file);
  gtk_file_filter_set_name (weights, _ ("Weight files (.safetensors)"));
  gtk_file_filter_add_pattern (weights, "*.safetensors");
  gtk_file_filter_add_pattern (weights, "*.pth");
  gtk_file_filter_set_name (all, _ ("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), weights);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);
}

static void
set_backbone_file_action (GtkWidget *widget, const char *name, GVariant *param)
{
  set_backbone_file (DM_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
use_random_backbone_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  gboolean random = g_variant_get_boolean (param);

  if (self->project == NULL)
    return;
  g_free (self->project->backbone_kind);
  if (random)
    {
      self->project->backbone_kind = g_strdup ("random");
      if (self->project->backbone_arch == NULL)
        self->project->backbone_arch = g_strdup ("small");
    }
  else
    self->project->backbone_kind = g_strdup (self->project->backbone_path != NULL ? "file" : NULL);
  save_project (self);
  dm_backbone_page_show_project (self->backbone_page, self->project);
  dm_window_train_show_project (self);
}

static void
new_project_action (GtkWidget *widget, const char *name, GVariant *param)
{
  choose (DM_WINDOW (widget), _ ("New Project"), GTK_FILE_CHOOSER_ACTION_SAVE, _ ("_Create"),
          create_in_folder);
}

static void
open_project_action (GtkWidget *widget, const char *name, GVariant *param)
{
  choose (DM_WINDOW (widget), _ ("Open Project"), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
          _ ("_Open"), open_folder);
}

static void
new_project_folder_action (GtkWidget *widget, const char *name, GVariant *param)
{
  create_in_folder (DM_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
open_project_folder_action (GtkWidget *widget, const char *name, GVariant *param)
{
  open_folder (DM_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
close_project_action (GtkWidget *widget, const char *name, GVariant *param)
{
  dm_window_close_project (DM_WINDOW (widget));
}

static void
add_class_action (GtkWidget *widget, const char *name, GVariant *param)
{
  choose (DM_WINDOW (widget), _ ("Add Class from Folder"), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
          _ ("_Add"), add_classes_from_folder);
}

static void
add_class_folder_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);

  if (self->project != NULL)
    add_classes_from_folder (self, g_variant_get_string (param, NULL));
}

static void
remove_class_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  const char *class_name = g_variant_get_string (param, NULL);
  g_autofree char *text = NULL;
  DmProjectClass *removed;
  AdwToast *undo;

  if (self->project == NULL)
    return;
  for (self->removed_index = 0; self->removed_index < self->project->classes->len;
       self->removed_index++)
    if (g_strcmp0 (
          ((DmProjectClass *)g_ptr_array_index (self->project->classes, self->removed_index))->name,
          class_name)
        == 0)
      break;
  removed = dm_project_remove_class (self->project, class_name);
  if (removed == NULL)
    return;
  g_clear_pointer (&self->removed_class, dm_project_class_free);
  self->removed_class = removed;
  save_project (self);
  dm_data_page_show_project (self->data_page, self->project);
  dm_window_reload_dataset (self);

  text = g_strdup_printf (_ ("Class “%s” removed"), class_name);
  undo = adw_toast_new (text);
  adw_toast_set_button_label (undo, _ ("_Undo"));
  adw_toast_set_action_name (undo, "win.undo-remove-class");
  adw_toast_overlay_add_toast (self->toast_overlay, undo);
}

static void
undo_remove_class_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);

  if (self->project == NULL || self->removed_class == NULL)
    return;
  /* a class renamed or added since may have taken the name */
  if (dm_project_find_class (self->project, self->removed_class->name) != NULL)
    {
      g_autofree char *text = g_strdup_printf (
        _ ("“%s” cannot come back: another class has its name now"), self->removed_class->name);

      toast (self, text);
      g_clear_pointer (&self->removed_class, dm_project_class_free);
      return;
    }
  dm_project_insert_class (self->project, g_steal_pointer (&self->removed_class),
                           self->removed_index);
  save_project (self);
  dm_data_page_show_project (self->data_page, self->project);
  dm_window_reload_dataset (self);
}

/* ---- the demo project: generated off the main thread ---- */

static void
demo_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  DmProject *project = dm_demo_project_ensure (task_data, &error);

  if (project != NULL)
    g_task_return_pointer (task, project, (GDestroyNotify)dm_project_free);
  else
    g_task_return_error (task, error);
}

/* libadwaita 1.2 (Debian 12) frees a toast's bookkeeping when its hide
 * animation ends but still runs the show animation's "done" handler on it
 * when the toast is dismissed while it is being shown (300 ms, 500 ms when
 * it replaces another): a use-after-free that crashed the window when a
 * demo that already existed opened within that time (fixed upstream in 1.3,
 * commit 1674ebc9 "toast-overlay: Prevent show_done from firing after
 * hide_done"). A toast is therefore dismissed only once it is fully shown. */
#define TOAST_SHOWN_US (G_USEC_PER_SEC * 3 / 4)

static gboolean
dismiss_toast_later (gpointer toast)
{
  adw_toast_dismiss (toast);
  return G_SOURCE_REMOVE;
}

static void
dismiss_demo_toast (DmWindow *self)
{
  gint64 shown_for;

  if (self->demo_toast == NULL)
    return;
  shown_for = g_get_monotonic_time () - self->demo_toast_added;
  if (shown_for >= TOAST_SHOWN_US)
    adw_toast_dismiss (self->demo_toast);
  else
    g_timeout_add_full (G_PRIORITY_DEFAULT, (guint)((TOAST_SHOWN_US - shown_for) / 1000) + 1,
                        dismiss_toast_later, g_object_ref (self->demo_toast), g_object_unref);
  g_clear_object (&self->demo_toast);
}

static void
on_demo_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DmWindow *self = DM_WINDOW (source);
  g_autoptr (GError) error = NULL;
  DmProject *project = g_task_propagate_pointer (G_TASK (result), &error);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.open-demo", TRUE);
  dismiss_demo_toast (self);
  if (project == NULL)
    show_error (self, _ ("Could Not Prepare the Demo Project"), error);
  else
    show_project (self, project);
}

static void
open_demo_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  g_autoptr (GTask) task = g_task_new (self, NULL, on_demo_ready, NULL);
  char *folder = g_build_filename (g_get_user_data_dir (), "dinomaly-studio", "demo", NULL);

  gtk_widget_action_set_enabled (widget, "win.open-demo", FALSE);
  dismiss_demo_toast (self);
  self->demo_toast = adw_toast_new (_ ("Preparing the demo project…"));
  adw_toast_set_timeout (self->demo_toast, 0);
  self->demo_toast_added = g_get_monotonic_time ();
  adw_toast_overlay_add_toast (self->toast_overlay, g_object_ref (self->demo_toast));
  g_task_set_task_data (task, folder, g_free);
  g_task_run_in_thread (task, demo_thread);
}

void
dm_window_show_error (DmWindow *self, const char *heading, const GError *error)
{
  show_error (self, heading, error);
}

void
dm_window_toast (DmWindow *self, const char *text)
{
  toast (self, text);
}

gboolean
dm_window_save_project (DmWindow *self)
{
  return save_project (self);
}

void
dm_window_class_init_project_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.new-project", NULL, new_project_action);
  gtk_widget_class_install_action (widget_class, "win.open-project", NULL, open_project_action);
  gtk_widget_class_install_action (widget_class, "win.new-project-folder", "s",
                                   new_project_folder_action);
  gtk_widget_class_install_action (widget_class, "win.open-project-folder", "s",
                                   open_project_folder_action);
  gtk_widget_class_install_action (widget_class, "win.close-project", NULL, close_project_action);
  gtk_widget_class_install_action (widget_class, "win.add-class", NULL, add_class_action);
  gtk_widget_class_install_action (widget_class, "win.add-class-folder", "s",
                                   add_class_folder_action);
  gtk_widget_class_install_action (widget_class, "win.remove-class", "s", remove_class_action);
  gtk_widget_class_install_action (widget_class, "win.undo-remove-class", NULL,
                                   undo_remove_class_action);
  gtk_widget_class_install_action (widget_class, "win.open-demo", NULL, open_demo_action);
  gtk_widget_class_install_action (widget_class, "win.choose-backbone", NULL,
                                   choose_backbone_action);
  gtk_widget_class_install_action (widget_class, "win.set-backbone-file", "s",
                                   set_backbone_file_action);
  gtk_widget_class_install_action (widget_class, "win.use-random-backbone", "b",
                                   use_random_backbone_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-project",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK,
                                       "win.open-project", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK,
                                       "win.close-project", NULL);
}
