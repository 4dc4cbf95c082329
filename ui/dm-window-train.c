/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmWindow's training: the Train page's actions (win.train,
 * win.resume-training, win.cancel-training, win.set-preset,
 * win.set-train-setting), the DmTrainJob a run is (shown by the Train
 * page, its outcome applied to the project here), and closing the window
 * while it runs. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dm-feedback.h"
#include "dm-project-audit.h"
#include "dm-project-versions.h"
#include "dm-window-private.h"

static DmTrainJob *
running_job (DmWindow *self)
{
  DmTrainJob *job = dm_train_page_get_job (self->train_page);

  return job != NULL && dm_job_is_running (DM_JOB (job)) ? job : NULL;
}

/* What a run must not have changed under it. */
static void
on_running (DmWindow *self, GParamSpec *pspec, DmJob *job)
{
  static const char *const blocked[]
    = { "win.train",         "win.resume-training", "win.new-project", "win.open-project",
        "win.close-project", "win.open-demo",       "win.set-preset",  "win.set-train-setting" };
  gboolean running = dm_job_is_running (job);

  for (guint i = 0; i < G_N_ELEMENTS (blocked); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), blocked[i], !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel-training", running);
}

/* A new version in the audit trail: its id, and its training images. */
static void
record_version (DmWindow *self, const DmProjectVersion *v)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *id = g_strdup_printf ("%u", v->id);
  g_autofree char *what
    = g_strdup_printf ("%u images (%u from the line), data %.12s", v->n_train, v->n_line_parts,
                       v->data_fingerprint != NULL ? v->data_fingerprint : "");

  if (!dm_open_project_audit (self->project, DM_AUDIT_TRAIN, id, what, NULL, &error))
    g_warning ("%s", error->message);
}

/* The model (also of a run stopped while scoring) into the project. */
static void
on_train_finished (DmWindow *self, DmJob *job)
{
  g_autoptr (GError) error = NULL;

  if (self->project != NULL && dm_train_job_has_model (DM_TRAIN_JOB (job)))
    {
      DmProject *project = dm_open_project_get_project (self->project);
      guint before = project->versions->len;

      if (!dm_train_job_apply (DM_TRAIN_JOB (job), project, &error))
        dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Save the Project"), error);
      else if (project->versions->len > before)
        record_version (self, project->versions->pdata[project->versions->len - 1]);
      /* results, thresholds, metrics: every page showing them reads them anew */
      dm_open_project_changed (self->project, "model");
    }
  if (self->close_after_training)
    gtk_window_destroy (GTK_WINDOW (self));
  else if (dm_job_get_state (job) == DM_JOB_SUCCEEDED)
    dm_feedback_toast (GTK_WIDGET (self->toast_overlay), _ ("The model is trained"));
}

static void
start (DmWindow *self, gboolean resume)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmTrainJob) job = NULL;

  if (self->project == NULL || running_job (self) != NULL)
    return;
  job = dm_train_job_new (dm_open_project_get_project (self->project), resume,
                          g_settings_get_int (self->settings, "thread-count"), &error);
  if (job == NULL)
    {
      dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Start Training"), error);
      return;
    }
  self->close_after_training = FALSE;
  g_signal_connect_object (job, "notify::running", G_CALLBACK (on_running), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (job, "finished", G_CALLBACK (on_train_finished), self,
                           G_CONNECT_SWAPPED);
  dm_train_page_set_job (self->train_page, job);
  dm_job_start (DM_JOB (job));
}

static void
train_action (GtkWidget *widget, const char *name, GVariant *param)
{
  start (DM_WINDOW (widget), FALSE);
}

static void
resume_action (GtkWidget *widget, const char *name, GVariant *param)
{
  start (DM_WINDOW (widget), TRUE);
}

static void
cancel_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmTrainJob *job = running_job (DM_WINDOW (widget));

  if (job != NULL)
    dm_job_cancel (DM_JOB (job));
}

/* ---- settings ---- */

static void
set_preset_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  const char *preset = g_variant_get_string (param, NULL);
  DmProject *project;
  DmTrainPreset id;

  if (self->project == NULL || !dm_train_preset_from_name (preset, &id))
    return;
  project = dm_open_project_get_project (self->project);
  g_free (project->preset);
  project->preset = g_strdup (preset);
  /* what a preset sets: a user's own values of these give way to it */
  for (const char *const *m = dm_train_preset_settings (); *m != NULL; m++)
    json_object_remove_member (project->settings, *m);
  dm_feedback_save (GTK_WIDGET (self), self->project, "training");
}

static void
set_train_setting_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  static const char *const integers[]
    = { "resize", "crop", "total_iters", "batch", "warmup_iters", "hm_ramp_iters" };
  static const char *const booleans[] = { "per_class", "cache_bf16" };
  JsonObject *settings;
  const char *member;
  double value;

  if (self->project == NULL)
    return;
  settings = dm_open_project_get_project (self->project)->settings;
  g_variant_get (param, "(&sd)", &member, &value);
  if (g_strcmp0 (member, "seed") == 0)
    {
      g_autofree char *text = g_strdup_printf ("%.0f", MAX (value, 0));
      json_object_set_string_member (settings, member, text);
    }
  else if (g_strv_contains (integers, member))
    json_object_set_int_member (settings, member, (gint64)llround (value));
  else if (g_strv_contains (booleans, member))
    json_object_set_boolean_member (settings, member, value != 0);
  else
    json_object_set_double_member (settings, member, value);
  dm_feedback_save (GTK_WIDGET (self), self->project, "training");
}

/* ---- closing the window ---- */

static void
on_close_response (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  DmWindow *self = DM_WINDOW (user_data);
  DmTrainJob *job = running_job (self);

  if (g_strcmp0 (response, "stop") != 0 || job == NULL)
    return;
  self->close_after_training = TRUE;
  dm_job_cancel (DM_JOB (job));
  dm_feedback_toast (GTK_WIDGET (self->toast_overlay), _ ("Stopping: saving a checkpoint…"));
}

gboolean
dm_window_train_close_request (DmWindow *self)
{
  AdwMessageDialog *dialog;

  if (running_job (self) == NULL || self->close_after_training)
    return running_job (self) != NULL;
  dialog = ADW_MESSAGE_DIALOG (
    adw_message_dialog_new (GTK_WINDOW (self), _ ("Stop Training?"),
                            _ ("The model is still training. Stopping keeps a checkpoint: when "
                               "the project is opened again, training can resume from it.")));
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Keep Training"), "stop",
                                    _ ("_Stop and Close"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "stop", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_close_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}

void
dm_window_class_init_train_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.train", NULL, train_action);
  gtk_widget_class_install_action (widget_class, "win.resume-training", NULL, resume_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-training", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "win.set-preset", "s", set_preset_action);
  gtk_widget_class_install_action (widget_class, "win.set-train-setting", "(sd)",
                                   set_train_setting_action);
}
