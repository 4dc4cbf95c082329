/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmWindow's Metrics page and report export. The figures of both come from
 * dm_project_report_input, computed off the main thread from what is on
 * disk (the project is saved at every change): the Metrics page shows them,
 * the report writes them. The page recomputes when it is shown after the
 * project changed (each save bumps a generation count) or a model was
 * trained. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-project-report.h"
#include "dm-report-dialog.h"
#include "dm-window-private.h"

/* ---- the report's input, computed in a thread ---- */

static void
input_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  g_autoptr (DmProject) project = dm_project_open (task_data, &error);
  g_autoptr (DmProjectResults) results = NULL;
  g_autofree char *dir = NULL;
  DmReportInput *input;

  if (project == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  dir = dm_project_subfolder (project, "results");
  results = dm_project_results_load (dir, &error);
  input = results != NULL ? dm_project_report_input (project, results, &error) : NULL;
  if (input == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, input, (GDestroyNotify)dm_report_input_free);
}

static void
compute_input (DmWindow *self, GCancellable *cancellable, GAsyncReadyCallback done, gpointer data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, done, data);

  g_task_set_task_data (task, g_strdup (self->project->folder), g_free);
  g_task_run_in_thread (task, input_thread);
}

static gboolean
has_results (DmWindow *self)
{
  g_autofree char *path = NULL;

  if (self->project == NULL)
    return FALSE;
  path = g_build_filename (self->project->folder, "results", DM_RESULTS_FILE, NULL);
  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

/* ---- the Metrics page ---- */

static void
on_metrics_computed (GObject *source, GAsyncResult *result, gpointer data)
{
  DmWindow *self = DM_WINDOW (source);
  g_autoptr (GError) error = NULL;
  DmReportInput *input = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->metrics_cancellable);
  dm_metrics_page_set_busy (self->metrics_page, FALSE);
  dm_metrics_page_set_input (self->metrics_page, input);
  if (input == NULL)
    dm_window_show_error (self, _ ("Could Not Compute the Metrics"), error);
}

void
dm_window_refresh_metrics (DmWindow *self, gboolean force)
{
  if (self->metrics_cancellable != NULL)
    g_cancellable_cancel (self->metrics_cancellable);
  g_clear_object (&self->metrics_cancellable);
  if (!has_results (self))
    {
      dm_metrics_page_set_input (self->metrics_page, NULL);
      self->metrics_generation = self->project_generation;
      return;
    }
  if (!force && self->metrics_generation == self->project_generation
      && dm_metrics_page_get_input (self->metrics_page) != NULL)
    return;
  self->metrics_generation = self->project_generation;
  self->metrics_cancellable = g_cancellable_new ();
  dm_metrics_page_set_busy (self->metrics_page, TRUE);
  compute_input (self, self->metrics_cancellable, on_metrics_computed, NULL);
}

gboolean
dm_window_metrics_busy (DmWindow *self)
{
  return self->metrics_cancellable != NULL;
}

static void
on_visible_page (DmWindow *self)
{
  if (g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "metrics") == 0)
    dm_window_refresh_metrics (self, FALSE);
}

/* ---- writing the report ---- */

typedef struct
{
  DmReportInput *input;
  DmReportOptions options;
  char *pdf_path;
} Export;

static void
export_free (Export *e)
{
  dm_report_input_free (e->input);
  g_free (e->pdf_path);
  g_free (e);
}

/* path with its .pdf (if any) replaced by ext */
static char *
sibling (const char *pdf_path, const char *ext)
{
  g_autofree char *stem = g_str_has_suffix (pdf_path, ".pdf")
                            ? g_strndup (pdf_path, strlen (pdf_path) - 4)
                            : g_strdup (pdf_path);
  return g_strconcat (stem, ext, NULL);
}

static void
export_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Export *e = task_data;
  GError *error = NULL;
  g_autofree char *csv = sibling (e->pdf_path, ".csv");
  g_autofree char *json = sibling (e->pdf_path, ".json");

  e->input->omit_plots = !e->options.plots;
  e->input->omit_gallery = !e->options.gallery;
  if (dm_report_write_pdf (e->input, e->options.paper, e->pdf_path, &error)
      && (!e->options.csv || dm_report_write_csv (e->input, csv, &error))
      && (!e->options.json || dm_report_write_json (e->input, json, &error)))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_exported (GObject *source, GAsyncResult *result, gpointer data)
{
  DmWindow *self = DM_WINDOW (source);
  Export *e = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL, *text = NULL;
  AdwToast *toast;

  self->exporting = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      dm_window_show_error (self, _ ("Could Not Write the Report"), error);
      return;
    }
  name = g_filename_display_basename (e->pdf_path);
  text = g_strdup_printf (_ ("Report saved as “%s”"), name);
  toast = adw_toast_new (text);
  adw_toast_set_button_label (toast, _ ("_Open"));
  adw_toast_set_action_name (toast, "win.open-file");
  adw_toast_set_action_target_value (toast, g_variant_new_string (e->pdf_path));
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
write_report (DmWindow *self,
              DmReportInput *input,
              const DmReportOptions *options,
              const char *path)
{
  g_autoptr (GTask) task = g_task_new (self, NULL, on_exported, NULL);
  Export *e = g_new0 (Export, 1);

  e->input = input;
  e->options = *options;
  e->pdf_path = g_strdup (path);
  self->exporting = TRUE;
  g_task_set_task_data (task, e, (GDestroyNotify)export_free);
  g_task_run_in_thread (task, export_thread);
}

gboolean
dm_window_is_exporting (DmWindow *self)
{
  return self->exporting;
}

static void
on_save_chosen (GtkNativeDialog *chooser, int response, gpointer data)
{
  DmReportDialog *dialog = DM_REPORT_DIALOG (data);
  DmWindow *self = DM_WINDOW (gtk_window_get_transient_for (GTK_WINDOW (dialog)));
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL, *pdf = NULL;
  DmReportOptions options;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  if (file == NULL || (path = g_file_get_path (file)) == NULL)
    return;
  pdf = g_str_has_suffix (path, ".pdf") ? g_strdup (path) : g_strconcat (path, ".pdf", NULL);
  dm_report_dialog_get_options (dialog, &options);
  write_report (self, dm_report_dialog_steal_input (dialog), &options, pdf);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
on_dialog_export (DmReportDialog *dialog, gpointer data)
{
  DmWindow *self = DM_WINDOW (data);
  GtkFileChooserNative *chooser;
  g_autofree char *name = g_strdup_printf (_ ("%s report.pdf"), self->project->name);
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  g_autofree char *reports = dm_project_subfolder (self->project, "reports");
  g_autoptr (GFile) folder = g_file_new_for_path (reports);

  chooser
    = gtk_file_chooser_native_new (_ ("Export Report"), GTK_WINDOW (dialog),
                                   GTK_FILE_CHOOSER_ACTION_SAVE, _ ("_Export"), _ ("_Cancel"));
  gtk_file_filter_set_name (filter, _ ("PDF documents"));
  gtk_file_filter_add_suffix (filter, "pdf");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, NULL);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect (chooser, "response", G_CALLBACK (on_save_chosen), dialog);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
on_input_for_dialog (GObject *source, GAsyncResult *result, gpointer data)
{
  DmWindow *self = DM_WINDOW (source);
  g_autoptr (GError) error = NULL;
  DmReportInput *input = g_task_propagate_pointer (G_TASK (result), &error);
  DmReportDialog *dialog;

  self->exporting = FALSE;
  if (input == NULL)
    {
      dm_window_show_error (self, _ ("Could Not Prepare the Report"), error);
      return;
    }
  dialog = dm_report_dialog_new (GTK_WINDOW (self), input);
  g_signal_connect_object (dialog, "export", G_CALLBACK (on_dialog_export), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
export_report_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);

  if (!has_results (self))
    {
      dm_window_toast (self, _ ("Train a model first: the report shows its scored test images"));
      return;
    }
  self->exporting = TRUE;
  compute_input (self, NULL, on_input_for_dialog, NULL);
}

static void
on_input_for_path (GObject *source, GAsyncResult *result, gpointer data)
{
  DmWindow *self = DM_WINDOW (source);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = data;
  DmReportInput *input = g_task_propagate_pointer (G_TASK (result), &error);
  DmReportOptions defaults = { DM_REPORT_PAPER_A4, TRUE, TRUE, TRUE, TRUE };

  if (input == NULL)
    {
      self->exporting = FALSE;
      dm_window_show_error (self, _ ("Could Not Prepare the Report"), error);
      return;
    }
  write_report (self, input, &defaults, path);
}

/* win.export-report-to s: every part, A4, CSV and JSON beside the PDF. */
static void
export_report_to_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);

  if (!has_results (self))
    {
      dm_window_toast (self, _ ("Train a model first: the report shows its scored test images"));
      return;
    }
  self->exporting = TRUE;
  compute_input (self, NULL, on_input_for_path, g_strdup (g_variant_get_string (param, NULL)));
}

static void
open_file_action (GtkWidget *widget, const char *name, GVariant *param)
{
  g_autoptr (GFile) file = g_file_new_for_path (g_variant_get_string (param, NULL));
  g_autofree char *uri = g_file_get_uri (file);
  g_autoptr (GError) error = NULL;

  if (!g_app_info_launch_default_for_uri (uri, NULL, &error))
    dm_window_show_error (DM_WINDOW (widget), _ ("Could Not Open the File"), error);
}

void
dm_window_init_report (DmWindow *self)
{
  g_signal_connect_object (self->view_stack, "notify::visible-child-name",
                           G_CALLBACK (on_visible_page), self, G_CONNECT_SWAPPED);
}

void
dm_window_class_init_report_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.export-report", NULL, export_report_action);
  gtk_widget_class_install_action (widget_class, "win.export-report-to", "s",
                                   export_report_to_action);
  gtk_widget_class_install_action (widget_class, "win.open-file", "s", open_file_action);
}
