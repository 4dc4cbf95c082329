/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmWindow's report export (win.export-report: the dialog with its
 * preview, then a file chooser; win.export-report-to: straight to a path)
 * and win.open-file. The figures are computed and the files written in
 * DmJobs (dm-report-job.h); the window holds the one under way. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-feedback.h"
#include "dm-report-dialog.h"
#include "dm-report-job.h"
#include "dm-window-private.h"

/* One report at a time: its actions wait while one is prepared or written. */
static void
on_running (DmWindow *self, GParamSpec *pspec, DmJob *job)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-report", !dm_job_is_running (job));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-report-to",
                                 !dm_job_is_running (job));
}

static void
start (DmWindow *self, DmJob *job, GCallback done)
{
  dm_job_clear (&self->report_job);
  self->report_job = job;
  g_signal_connect_swapped (job, "notify::running", G_CALLBACK (on_running), self);
  g_signal_connect_swapped (job, "finished", done, self);
  dm_job_start (job);
}

/* ---- writing ---- */

static void
on_written (DmWindow *self, DmJob *job)
{
  const char *pdf_path = dm_report_job_get_pdf_path (job);
  g_autofree char *name = NULL, *text = NULL;
  AdwToast *toast;

  if (dm_job_get_state (job) != DM_JOB_SUCCEEDED)
    {
      dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Write the Report"),
                         dm_job_get_error (job));
      return;
    }
  name = g_filename_display_basename (pdf_path);
  text = g_strdup_printf (_ ("Report saved as “%s”"), name);
  toast = adw_toast_new (text);
  adw_toast_set_button_label (toast, _ ("_Open"));
  adw_toast_set_action_name (toast, "win.open-file");
  adw_toast_set_action_target_value (toast, g_variant_new_string (pdf_path));
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
write_report (DmWindow *self,
              DmReportInput *input,
              const DmReportOptions *options,
              const char *path)
{
  start (self, dm_report_job_new_write (input, options, path), G_CALLBACK (on_written));
}

/* ---- the dialog ---- */

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
  DmProject *project;
  GtkFileChooserNative *chooser;
  g_autofree char *name = NULL, *reports = NULL;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  g_autoptr (GFile) folder = NULL;

  if (self->project == NULL)
    return;
  project = dm_open_project_get_project (self->project);
  name = g_strdup_printf (_ ("%s report.pdf"), project->name);
  reports = dm_project_subfolder (project, "reports");
  folder = g_file_new_for_path (reports);
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

/* ---- the figures first ---- */

static void
on_input_for_dialog (DmWindow *self, DmJob *job)
{
  DmReportDialog *dialog;

  if (dm_job_get_state (job) != DM_JOB_SUCCEEDED)
    {
      dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Prepare the Report"),
                         dm_job_get_error (job));
      return;
    }
  dialog = dm_report_dialog_new (GTK_WINDOW (self), dm_report_job_steal_input (job));
  g_signal_connect_object (dialog, "export", G_CALLBACK (on_dialog_export), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_input_for_path (DmWindow *self, DmJob *job)
{
  g_autofree char *path = g_strdup (g_object_get_data (G_OBJECT (job), "path"));
  DmReportOptions defaults = { DM_REPORT_PAPER_A4, TRUE, TRUE, TRUE, TRUE };

  if (dm_job_get_state (job) != DM_JOB_SUCCEEDED)
    dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Prepare the Report"),
                       dm_job_get_error (job));
  else
    write_report (self, dm_report_job_steal_input (job), &defaults, path);
}

/* A job computing the figures, or NULL (and a toast) when there is nothing
 * to report on. */
static DmJob *
prepare (DmWindow *self)
{
  DmProject *project = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;

  if (project == NULL || !dm_report_job_has_results (project))
    {
      dm_feedback_toast (GTK_WIDGET (self->toast_overlay),
                         _ ("Train a model first: the report shows its scored test images"));
      return NULL;
    }
  return dm_report_job_new_input (project->folder);
}

static void
export_report_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  DmJob *job = prepare (self);

  if (job != NULL)
    start (self, job, G_CALLBACK (on_input_for_dialog));
}

/* win.export-report-to s: every part, A4, CSV and JSON beside the PDF. */
static void
export_report_to_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  DmJob *job = prepare (self);

  if (job == NULL)
    return;
  g_object_set_data_full (G_OBJECT (job), "path", g_strdup (g_variant_get_string (param, NULL)),
                          g_free);
  start (self, job, G_CALLBACK (on_input_for_path));
}

static void
open_file_action (GtkWidget *widget, const char *name, GVariant *param)
{
  g_autoptr (GFile) file = g_file_new_for_path (g_variant_get_string (param, NULL));
  g_autofree char *uri = g_file_get_uri (file);
  g_autoptr (GError) error = NULL;

  if (!g_app_info_launch_default_for_uri (uri, NULL, &error))
    dm_feedback_error (widget, _ ("Could Not Open the File"), error);
}

void
dm_window_class_init_report_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.export-report", NULL, export_report_action);
  gtk_widget_class_install_action (widget_class, "win.export-report-to", "s",
                                   export_report_to_action);
  gtk_widget_class_install_action (widget_class, "win.open-file", "s", open_file_action);
}
