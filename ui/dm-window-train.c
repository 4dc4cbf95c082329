/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmWindow's training: the Train page's actions, the project's training
 * job in a worker thread (GTask), its progress carried to the main loop,
 * and closing the window while it runs.
 *
 * The worker never touches a widget: each report lands in a small
 * mutex-guarded slot (the latest report, plus the losses of iterations
 * since the last flush) and at most one idle callback is pending to show
 * it, so a burst of reports costs the main loop one redraw. */
#include "config.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <math.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dm-checkpoint.h"
#include "dm-error.h"
#include "dm-window-private.h"

#define TRAIN_NICE 10

typedef struct
{
  float loss;
  gint64 iteration;
} LossPoint;

typedef struct
{
  DmWindow *window; /* strong, dropped when the job ends */
  DmProjectTrain *job;

  GMutex lock; /* guards what follows */
  DmProjectTrainProgress latest;
  DmTrainProgress latest_train;
  gboolean has_latest;
  GArray *losses; /* LossPoint since the last flush */
  guint idle_id;
} TrainRun;

static void
train_run_clear (TrainRun *run)
{
  g_clear_object (&run->window);
  g_clear_pointer (&run->job, dm_project_train_free);
  g_clear_pointer (&run->losses, g_array_unref);
  g_mutex_clear (&run->lock);
}

static void
train_run_unref (TrainRun *run)
{
  g_atomic_rc_box_release_full (run, (GDestroyNotify)train_run_clear);
}

/* ---- progress: worker -> main loop ---- */

static gboolean
flush_progress (gpointer data)
{
  TrainRun *run = data;
  DmProjectTrainProgress latest;
  DmTrainProgress latest_train;
  g_autoptr (GArray) losses = g_array_new (FALSE, FALSE, sizeof (LossPoint));
  gboolean has_latest;
  DmTrainPage *page;

  g_mutex_lock (&run->lock);
  run->idle_id = 0;
  latest = run->latest;
  latest_train = run->latest_train;
  has_latest = run->has_latest;
  run->has_latest = FALSE;
  g_array_append_vals (losses, run->losses->data, run->losses->len);
  g_array_set_size (run->losses, 0);
  g_mutex_unlock (&run->lock);

  if (run->window == NULL || run->window->train_page == NULL)
    return G_SOURCE_REMOVE;
  page = run->window->train_page;
  for (guint i = 0; i < losses->len; i++)
    {
      LossPoint *p = &g_array_index (losses, LossPoint, i);
      dm_loss_curve_append (dm_train_page_get_loss_curve (page), p->iteration, p->loss);
    }
  if (has_latest)
    {
      if (latest.train != NULL)
        latest.train = &latest_train;
      dm_train_page_show_progress (page, &latest);
    }
  return G_SOURCE_REMOVE;
}

/* On the worker thread. */
static void
on_job_progress (const DmProjectTrainProgress *p, gpointer user_data)
{
  TrainRun *run = user_data;

  g_mutex_lock (&run->lock);
  run->latest = *p;
  if (p->train != NULL)
    {
      run->latest_train = *p->train;
      /* borrowed for the call only: the job keeps the messages itself */
      run->latest_train.skipped = NULL;
      run->latest_train.n_new_skipped = 0;
      if (p->phase == DM_PROJECT_TRAIN_TRAINING)
        {
          /* the page draws the latest iteration; the ones before it that
           * no flush showed go to the curve here */
          LossPoint point = { (float)p->train->loss, p->train->iteration };
          g_array_append_val (run->losses, point);
        }
    }
  run->has_latest = TRUE;
  if (run->idle_id == 0)
    run->idle_id = g_idle_add_full (G_PRIORITY_DEFAULT, flush_progress,
                                    g_atomic_rc_box_acquire (run), (GDestroyNotify)train_run_unref);
  g_mutex_unlock (&run->lock);
}

/* ---- the job ---- */

static void
train_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  TrainRun *run = task_data;
  GError *error = NULL;

  /* The job takes every core; at a lower priority (Linux keeps a nice value
   * per thread, and the OpenMP threads this thread starts inherit it) the
   * window still gets the CPU at once when it has a frame to draw. */
  if (setpriority (PRIO_PROCESS, (id_t)syscall (SYS_gettid), TRAIN_NICE) != 0)
    g_debug ("could not lower the training thread's priority: %s", g_strerror (errno));

  if (dm_project_train_run (run->job, on_job_progress, run, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
set_running (DmWindow *self, gboolean running)
{
  static const char *const blocked[]
    = { "win.train",         "win.resume-training", "win.new-project", "win.open-project",
        "win.close-project", "win.open-demo",       "win.set-preset",  "win.set-train-setting" };

  for (guint i = 0; i < G_N_ELEMENTS (blocked); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), blocked[i], !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel-training", running);
}

static void
show_success (DmWindow *self, DmProjectTrain *job)
{
  DmProjectResults *results = dm_project_train_get_results (job);
  g_autoptr (GError) error = NULL;
  g_autofree char *details = NULL;
  guint n_test = 0, n_classes = results != NULL ? results->n_classes : 0;
  gsize n_losses;
  gint64 first;
  const float *losses = dm_project_train_get_losses (job, &n_losses, &first);

  for (guint c = 0; c < n_classes; c++)
    for (guint i = 0; i < results->classes[c].n_images; i++)
      n_test += results->classes[c].images[i].split == DM_SPLIT_TEST;
  if (!dm_project_train_apply (job, self->project, &error))
    dm_window_show_error (self, _ ("Could Not Save the Project"), error);
  if (results != NULL)
    details = g_strdup_printf (
      _ ("Final loss %.4f. %u test images of %u classes scored; image and region thresholds "
         "proposed per class so that about %.1f%% of the held-out good parts would be rejected."),
      n_losses > 0 ? losses[n_losses - 1] : NAN, n_test, n_classes, 100 * (1 - results->quantile));
  else
    details = g_strdup_printf (_ ("Final loss %.4f. The project has no test images to score."),
                               n_losses > 0 ? losses[n_losses - 1] : NAN);
  dm_train_page_show_outcome (self->train_page, TRUE, _ ("The Model Is Trained"), details,
                              dm_project_train_get_problems (job));
  dm_window_toast (self, _ ("The model is trained"));
  dm_window_refresh_metrics (self, TRUE);
  dm_window_load_results (self);
}

static void
on_train_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DmWindow *self = DM_WINDOW (source);
  TrainRun *run = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);
  gint64 next = -1, total = 0;

  flush_progress (run);
  g_clear_object (&self->train_cancellable);
  self->train_run = NULL;
  set_running (self, FALSE);
  if (self->project == NULL)
    return;
  dm_train_page_set_running (self->train_page, FALSE, 0);
  if (ok)
    show_success (self, run->job);
  else if (g_error_matches (error, DM_ERROR, DM_ERROR_CANCELLED)
           && dm_project_train_has_model (run->job))
    {
      /* stopped while scoring: the model is there, only scores are missing */
      dm_project_train_apply (run->job, self->project, NULL);
      dm_train_page_show_outcome (self->train_page, FALSE, _ ("Scoring Stopped"),
                                  _ ("The model is saved; its test images were not all scored."),
                                  dm_project_train_get_problems (run->job));
    }
  else if (g_error_matches (error, DM_ERROR, DM_ERROR_CANCELLED))
    dm_train_page_show_outcome (self->train_page, FALSE, _ ("Training Stopped"),
                                _ ("A checkpoint was kept: resuming continues from it."),
                                dm_project_train_get_problems (run->job));
  else
    dm_train_page_show_outcome (self->train_page, FALSE, _ ("Training Failed"), error->message,
                                dm_project_train_get_problems (run->job));
  if (dm_project_train_can_resume (self->project, &next, &total))
    dm_train_page_set_resumable (self->train_page, next, total);
  if (self->close_after_training)
    gtk_window_destroy (GTK_WINDOW (self));
}

/* A resumed run's curve starts with the iterations the checkpoint ran. */
static void
show_checkpoint_losses (DmWindow *self)
{
  g_autofree char *path
    = g_build_filename (self->project->folder, "checkpoints", DM_CHECKPOINT_FILE, NULL);
  DmLossCurve *curve = dm_train_page_get_loss_curve (self->train_page);
  DmCheckpointState st;

  dm_checkpoint_state_init (&st);
  if (dm_checkpoint_read_state (path, &st, NULL) && st.losses != NULL)
    for (guint i = 0; i < st.losses->len; i++)
      dm_loss_curve_append (curve, st.first_iter + i, g_array_index (st.losses, float, i));
  dm_checkpoint_state_clear (&st);
}

static void
start (DmWindow *self, gboolean resume)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;
  DmProjectTrain *job;
  TrainRun *run;
  DmTrainSettings s;
  gint64 total = 0;

  if (self->project == NULL || self->train_cancellable != NULL)
    return;
  job = dm_project_train_new (self->project, resume,
                              g_settings_get_int (self->settings, "thread-count"), &error);
  if (job == NULL)
    {
      dm_window_show_error (self, _ ("Could Not Start Training"), error);
      return;
    }
  if (!resume || !dm_project_train_can_resume (self->project, NULL, &total))
    {
      dm_project_train_settings (self->project, &s, NULL);
      total = s.total_iters;
      dm_train_settings_clear (&s);
    }
  run = g_atomic_rc_box_new0 (TrainRun);
  g_mutex_init (&run->lock);
  run->window = g_object_ref (self);
  run->job = job;
  run->losses = g_array_new (FALSE, FALSE, sizeof (LossPoint));
  self->train_cancellable = g_cancellable_new ();
  self->train_run = run;
  self->close_after_training = FALSE;
  dm_train_page_set_running (self->train_page, TRUE, total);
  if (resume)
    show_checkpoint_losses (self);
  set_running (self, TRUE);
  task = g_task_new (self, self->train_cancellable, on_train_done, NULL);
  g_task_set_task_data (task, run, (GDestroyNotify)train_run_unref);
  /* the job's own error tells a stop with a checkpoint from a failure */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, train_thread);
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
  DmWindow *self = DM_WINDOW (widget);

  if (self->train_cancellable != NULL)
    g_cancellable_cancel (self->train_cancellable);
}

/* ---- settings ---- */

static void
set_preset_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  const char *preset = g_variant_get_string (param, NULL);
  DmTrainPreset id;

  if (self->project == NULL || !dm_train_preset_from_name (preset, &id))
    return;
  g_free (self->project->preset);
  self->project->preset = g_strdup (preset);
  /* what a preset sets: a user's own values of these give way to it */
  for (const char *const *m = dm_train_preset_settings (); *m != NULL; m++)
    json_object_remove_member (self->project->settings, *m);
  dm_window_save_project (self);
  dm_train_page_show_project (self->train_page, self->project);
}

static void
set_train_setting_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  static const char *const integers[]
    = { "resize", "crop", "total_iters", "batch", "warmup_iters", "hm_ramp_iters" };
  const char *member;
  double value;

  if (self->project == NULL)
    return;
  g_variant_get (param, "(&sd)", &member, &value);
  if (g_strcmp0 (member, "seed") == 0)
    {
      g_autofree char *text = g_strdup_printf ("%.0f", MAX (value, 0));
      json_object_set_string_member (self->project->settings, member, text);
    }
  else if (g_strv_contains (integers, member))
    json_object_set_int_member (self->project->settings, member, (gint64)llround (value));
  else
    json_object_set_double_member (self->project->settings, member, value);
  dm_window_save_project (self);
  dm_train_page_show_project (self->train_page, self->project);
}

/* ---- the project and closing ---- */

void
dm_window_train_show_project (DmWindow *self)
{
  gint64 next = -1, total = 0;

  dm_train_page_show_project (self->train_page, self->project);
  if (self->project == NULL || dm_window_is_training (self))
    return;
  if (!dm_project_train_can_resume (self->project, &next, &total))
    next = -1;
  dm_train_page_set_resumable (self->train_page, next, total);
  if (next >= 0)
    {
      AdwToast *toast = adw_toast_new (_ ("Training was interrupted"));

      adw_toast_set_button_label (toast, _ ("_Resume"));
      adw_toast_set_action_name (toast, "win.resume-training");
      adw_toast_overlay_add_toast (self->toast_overlay, toast);
    }
}

gboolean
dm_window_is_training (DmWindow *self)
{
  return self->train_cancellable != NULL;
}

static void
on_close_response (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  DmWindow *self = DM_WINDOW (user_data);

  if (g_strcmp0 (response, "stop") != 0 || !dm_window_is_training (self))
    return;
  self->close_after_training = TRUE;
  g_cancellable_cancel (self->train_cancellable);
  dm_window_toast (self, _ ("Stopping: saving a checkpoint…"));
}

gboolean
dm_window_train_close_request (DmWindow *self)
{
  AdwMessageDialog *dialog;

  if (!dm_window_is_training (self) || self->close_after_training)
    return dm_window_is_training (self);
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
