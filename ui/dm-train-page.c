/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Train page: settings, progress and the live loss curve. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dm-train-memory-job.h"
#include "dm-train-page.h"

typedef struct
{
  const char *name; /* the member of the project's settings */
  const char *title;
  const char *subtitle;
  double min, max, step;
  int digits; /* 0: an integer */
} SettingSpec;

/* Every setting of dm-train-settings.h that a user may want to change;
 * the paths, threads and checkpoints are the project's business. */
static const SettingSpec settings_spec[] = {
  { "resize", N_ ("Resize"), N_ ("Side of the square each image is resized to"), 14, 2048, 2, 0 },
  { "crop", N_ ("Center Crop"), N_ ("Side of the center square the model sees; a multiple of 14"),
    14, 2044, 14, 0 },
  { "total_iters", N_ ("Iterations"), N_ ("Length of the schedule"), 1, 200000, 100, 0 },
  { "batch", N_ ("Batch Size"), N_ ("Images per iteration"), 1, 256, 1, 0 },
  { "dropout", N_ ("Bottleneck Dropout"), N_ ("The noise that keeps the decoder from copying"), 0,
    0.95, 0.05, 2 },
  { "lr", N_ ("Learning Rate"), N_ ("Peak, after the warm-up"), 1e-6, 1, 1e-4, 5 },
  { "lr_final", N_ ("Final Learning Rate"), N_ ("At the end of the cosine decay"), 0, 1, 1e-4, 5 },
  { "warmup_iters", N_ ("Warm-Up Iterations"), NULL, 0, 100000, 10, 0 },
  { "hm_p_final", N_ ("Hard Mining: Easy Share"),
    N_ ("Share of the easiest points whose gradient is damped, reached after the ramp"), 0, 1, 0.05,
    2 },
  { "hm_ramp_iters", N_ ("Hard Mining: Ramp"), N_ ("Iterations until the easy share is reached"), 0,
    200000, 100, 0 },
  { "hm_factor", N_ ("Hard Mining: Damping"), N_ ("Gradient factor of the easy points"), 0, 1, 0.05,
    2 },
  { "clip_norm", N_ ("Gradient Norm Clip"), NULL, 0.001, 100, 0.01, 3 },
  { "weight_decay", N_ ("Weight Decay"), NULL, 0, 1, 1e-4, 5 },
  { "seed", N_ ("Seed"), N_ ("Initialisation, image order and dropout"), 0, 2147483647, 1, 0 },
  { "threshold_quantile", N_ ("Proposed Threshold"),
    N_ ("Share of the held-out good parts that the image threshold proposed after training "
        "passes"),
    0.5, 1, 0.005, 3 },
};

enum
{
  STAT_ITERATION,
  STAT_LOSS,
  STAT_SPEED,
  STAT_TIME_LEFT,
  N_STATS
};

struct _DmTrainPage
{
  AdwBin parent_instance;

  AdwPreferencesGroup *backbone_group;
  AdwPreferencesGroup *resume_group;
  AdwActionRow *resume_row;
  AdwPreferencesGroup *settings_group;
  AdwActionRow *backbone_row;
  AdwComboRow *preset_row;
  GtkSwitch *per_class_switch;
  AdwExpanderRow *all_settings_row;
  AdwActionRow *estimate_row;
  AdwActionRow *memory_row;
  GtkButton *train_button;
  GtkButton *cancel_button;
  AdwPreferencesGroup *progress_group;
  GtkLabel *phase_label;
  GtkProgressBar *progress_bar;
  GtkBox *stats_box;
  DmLossCurve *loss_curve;
  AdwPreferencesGroup *outcome_group;
  AdwActionRow *outcome_row;
  GtkImage *outcome_icon;
  AdwExpanderRow *problems_row;

  GtkSpinButton *spins[G_N_ELEMENTS (settings_spec)];
  GtkLabel *stat_values[N_STATS];
  GPtrArray *problem_rows; /* GtkWidget*: rows added to problems_row */
  DmOpenProject *project;  /* the open project, or NULL */
  DmTrainJob *job;         /* the run shown, or NULL */
  DmJob *memory_job;       /* the memory estimate of the next run */
  guint n_losses;          /* of the job's losses, those given to the curve */
  GPtrArray *bindings;     /* GBinding*: the job's properties onto widgets */
  gboolean updating;       /* set while widgets are set from the project */
};

G_DEFINE_FINAL_TYPE (DmTrainPage, dm_train_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_PROJECT,
  PROP_JOB,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A setting's value from the settings' JSON form (the names the project
 * stores them under). */
static double
setting_value (const DmProject *project, JsonObject *settings, const char *name)
{
  JsonNode *n;

  /* not a training setting: it is applied after training */
  if (g_strcmp0 (name, "threshold_quantile") == 0)
    return dm_project_threshold_quantile (project);
  n = settings != NULL ? json_object_get_member (settings, name) : NULL;
  if (n == NULL)
    return 0;
  if (json_node_get_value_type (n) == G_TYPE_STRING)
    return g_ascii_strtod (json_node_get_string (n), NULL);
  return json_node_get_double (n);
}

static void
on_spin_changed (GtkSpinButton *spin, DmTrainPage *self)
{
  const SettingSpec *spec = g_object_get_data (G_OBJECT (spin), "spec");

  if (self->updating || self->project == NULL)
    return;
  gtk_widget_activate_action (GTK_WIDGET (self), "win.set-train-setting", "(sd)", spec->name,
                              gtk_spin_button_get_value (spin));
}

static void
on_preset_selected (DmTrainPage *self)
{
  guint i = adw_combo_row_get_selected (self->preset_row);

  if (self->updating || self->project == NULL || i >= dm_train_preset_count ())
    return;
  gtk_widget_activate_action (GTK_WIDGET (self), "win.set-preset", "s",
                              dm_train_preset_name ((DmTrainPreset)i));
}

static void
on_per_class_switched (DmTrainPage *self)
{
  if (self->updating || self->project == NULL)
    return;
  gtk_widget_activate_action (GTK_WIDGET (self), "win.set-train-setting", "(sd)", "per_class",
                              gtk_switch_get_active (self->per_class_switch) ? 1.0 : 0.0);
}

static void
on_memory_done (DmTrainPage *self, DmJob *job)
{
  gboolean too_much;
  g_autofree char *text = dm_train_memory_job_describe (job, &too_much);

  adw_action_row_set_subtitle (self->memory_row, text);
  if (too_much)
    gtk_widget_add_css_class (GTK_WIDGET (self->memory_row), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->memory_row), "warning");
}

/* The memory the next run needs, said before it starts (computed in the
 * background: the images are listed and the backbone's header read). */
static void
update_memory (DmTrainPage *self, const DmProject *project)
{
  dm_job_clear (&self->memory_job);
  gtk_widget_remove_css_class (GTK_WIDGET (self->memory_row), "warning");
  if (project->backbone_kind == NULL)
    {
      adw_action_row_set_subtitle (self->memory_row, _ ("Known once a backbone is chosen"));
      return;
    }
  adw_action_row_set_subtitle (self->memory_row, _ ("Estimating…"));
  self->memory_job = dm_train_memory_job_new (project);
  g_signal_connect_swapped (self->memory_job, "finished", G_CALLBACK (on_memory_done), self);
  dm_job_start (self->memory_job);
}

static void
describe_preset (DmTrainPage *self, const DmTrainSettings *s)
{
  g_autofree char *text = g_strdup_printf (_ ("%d × %d pixels, %lld iterations of %d images"),
                                           s->crop, s->crop, (long long)s->total_iters, s->batch);

  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->preset_row), text);
}

/* Which backbone the model will learn on; random weights are said loudly. */
static void
show_backbone (DmTrainPage *self, const DmProject *project)
{
  gboolean random = g_strcmp0 (project->backbone_kind, "random") == 0;
  g_autofree char *name
    = project->backbone_path != NULL ? g_filename_display_basename (project->backbone_path) : NULL;

  if (random)
    {
      g_autofree char *text = g_strdup_printf (
        _ ("Random %s weights, for trying only: the workflow is real, the scores mean nothing"),
        g_strcmp0 (project->backbone_arch, "base") == 0    ? "ViT-B/14"
        : g_strcmp0 (project->backbone_arch, "large") == 0 ? "ViT-L/14"
        : g_strcmp0 (project->backbone_arch, "tiny") == 0  ? "ViT (D 64)/14"
                                                           : "ViT-S/14");
      adw_action_row_set_subtitle (self->backbone_row, text);
      gtk_widget_add_css_class (GTK_WIDGET (self->backbone_row), "warning");
    }
  else
    {
      adw_action_row_set_subtitle (self->backbone_row, name != NULL ? name : "");
      gtk_widget_remove_css_class (GTK_WIDGET (self->backbone_row), "warning");
    }
}

/* The project's preset, settings and backbone. */
static void
show_settings (DmTrainPage *self)
{
  DmProject *project = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;
  DmTrainSettings s;
  g_autofree char *json = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *values;
  gboolean has_backbone;

  if (project == NULL)
    return;
  has_backbone = project->backbone_kind != NULL;
  gtk_widget_set_visible (GTK_WIDGET (self->backbone_group), !has_backbone);
  gtk_widget_set_visible (GTK_WIDGET (self->backbone_row), has_backbone);
  show_backbone (self, project);
  gtk_widget_set_sensitive (GTK_WIDGET (self->train_button), has_backbone);
  if (!dm_project_train_settings (project, &s, NULL))
    {
      /* settings that do not validate still show; training will say why */
      dm_train_settings_clear (&s);
      dm_train_settings_init (&s);
    }
  json = dm_train_settings_to_json (&s);
  root = json_from_string (json, NULL);
  values = root != NULL ? json_node_get_object (root) : NULL;
  self->updating = TRUE;
  for (guint i = 0; i < dm_train_preset_count (); i++)
    if (g_strcmp0 (project->preset, dm_train_preset_name ((DmTrainPreset)i)) == 0)
      adw_combo_row_set_selected (self->preset_row, i);
  for (guint i = 0; i < G_N_ELEMENTS (settings_spec); i++)
    gtk_spin_button_set_value (self->spins[i],
                               setting_value (project, values, settings_spec[i].name));
  gtk_switch_set_active (self->per_class_switch, s.per_class);
  self->updating = FALSE;
  describe_preset (self, &s);
  update_memory (self, project);
  dm_train_settings_clear (&s);
}

static gboolean
is_running (DmTrainPage *self)
{
  return self->job != NULL && dm_job_is_running (DM_JOB (self->job));
}

/* A checkpoint to resume, when nothing runs. Returns whether there is one. */
static gboolean
show_resumable (DmTrainPage *self)
{
  DmProject *project = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;
  gint64 next = -1, total = 0;

  if (project == NULL || is_running (self) || !dm_project_train_can_resume (project, &next, &total))
    next = -1;
  gtk_widget_set_visible (GTK_WIDGET (self->resume_group), next >= 0);
  if (next >= 0)
    {
      g_autofree char *text = g_strdup_printf (
        _ ("Stopped after iteration %lld of %lld. Resuming continues exactly where it "
           "stopped."),
        (long long)next, (long long)total);
      adw_action_row_set_subtitle (self->resume_row, text);
    }
  return next >= 0;
}

static void
on_project_changed (DmTrainPage *self)
{
  show_settings (self);
  show_resumable (self);
}

/* Opening a project with an interrupted run says so. */
static void
offer_resume (DmTrainPage *self)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  AdwToast *toast;

  if (overlay == NULL)
    return;
  toast = adw_toast_new (_ ("Training was interrupted"));
  adw_toast_set_button_label (toast, _ ("_Resume"));
  adw_toast_set_action_name (toast, "win.resume-training");
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
}

void
dm_train_page_set_project (DmTrainPage *self, DmOpenProject *project)
{
  g_return_if_fail (DM_IS_TRAIN_PAGE (self));

  if (self->project == project)
    return;
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  /* the run shown was of the project before */
  dm_train_page_set_job (self, NULL);
  g_set_object (&self->project, project);
  if (project != NULL)
    {
      g_signal_connect_object (project, "changed::training", G_CALLBACK (on_project_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (project, "changed::backbone", G_CALLBACK (on_project_changed), self,
                               G_CONNECT_SWAPPED);
      /* the images to train on: the memory the run needs */
      g_signal_connect_object (project, "changed::classes", G_CALLBACK (on_project_changed), self,
                               G_CONNECT_SWAPPED);
      /* a model trained: a checkpoint may be left to resume */
      g_signal_connect_object (project, "changed::model", G_CALLBACK (show_resumable), self,
                               G_CONNECT_SWAPPED);
      show_settings (self);
      if (show_resumable (self))
        offer_resume (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

DmOpenProject *
dm_train_page_get_project (DmTrainPage *self)
{
  return self->project;
}

/* ---- the job's figures, bound to the widgets ---- */

static char *
format_duration (double seconds)
{
  /* long long, not gint64: xgettext cannot expand G_GINT64_FORMAT */
  long long s = (long long)(seconds + 0.5);

  if (s >= 3600)
    return g_strdup_printf (_ ("%lld h %02lld min"), s / 3600, (s / 60) % 60);
  if (s >= 60)
    return g_strdup_printf (_ ("%lld min %02lld s"), s / 60, s % 60);
  return g_strdup_printf (_ ("%lld s"), s);
}

/* The figures of training: "—" until its first iteration. */
static gboolean
stat_text (GBinding *binding, const GValue *from, GValue *to, gpointer data)
{
  DmTrainJob *job = DM_TRAIN_JOB (g_binding_dup_source (binding));
  gboolean trained = dm_train_job_get_iteration (job) > 0;

  g_object_unref (job);
  if (!trained)
    {
      g_value_set_string (to, "—");
      return TRUE;
    }
  switch (GPOINTER_TO_INT (data))
    {
    case STAT_ITERATION:
      g_value_take_string (to, g_strdup_printf ("%" G_GINT64_FORMAT, g_value_get_int64 (from)));
      break;
    case STAT_LOSS:
      g_value_take_string (to, g_strdup_printf ("%.4f", g_value_get_double (from)));
      break;
    case STAT_SPEED:
      g_value_take_string (to, g_strdup_printf ("%.1f", g_value_get_double (from)));
      break;
    default: g_value_take_string (to, format_duration (g_value_get_double (from))); break;
    }
  return TRUE;
}

static gboolean
estimate_text (GBinding *binding, const GValue *from, GValue *to, gpointer data)
{
  DmTrainJob *job = DM_TRAIN_JOB (g_binding_dup_source (binding));
  double per_iter = g_value_get_double (from);
  g_autofree char *total = format_duration (per_iter * (double)dm_train_job_get_total (job));

  g_object_unref (job);
  /* not measured yet: the text of the last run stays */
  if (per_iter <= 0)
    return FALSE;
  g_value_take_string (
    to, g_strdup_printf (
          _ ("%.2f s per iteration, measured on this run: about %s for the whole schedule"),
          per_iter, total));
  return TRUE;
}

static void
on_phase (DmTrainPage *self)
{
  g_autofree char *text = dm_train_job_describe_phase (self->job);

  gtk_label_set_text (self->phase_label, text);
}

/* One model per class: each class's curve starts anew. */
static void
on_class (DmTrainPage *self)
{
  dm_loss_curve_reset (self->loss_curve, dm_train_job_get_total (self->job));
  self->n_losses = 0;
  on_phase (self);
}

static void
on_fraction (DmTrainPage *self)
{
  double fraction = dm_train_job_get_fraction (self->job);

  if (fraction < 0)
    gtk_progress_bar_pulse (self->progress_bar);
  else
    gtk_progress_bar_set_fraction (self->progress_bar, fraction);
}

/* The iterations the curve does not have yet. */
static void
on_losses (DmTrainPage *self)
{
  guint n;
  const DmTrainJobLoss *losses = dm_train_job_get_losses (self->job, &n);

  for (; self->n_losses < n; self->n_losses++)
    dm_loss_curve_append (self->loss_curve, losses[self->n_losses].iteration,
                          losses[self->n_losses].loss);
}

/* ---- the outcome ---- */

static void
show_problems (DmTrainPage *self, const char *const *problems)
{
  guint n = problems != NULL ? g_strv_length ((char **)problems) : 0;

  for (guint i = 0; i < self->problem_rows->len; i++)
    adw_expander_row_remove (self->problems_row, self->problem_rows->pdata[i]);
  g_ptr_array_set_size (self->problem_rows, 0);
  for (guint i = 0; i < n; i++)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), problems[i]);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_expander_row_add_row (self->problems_row, row);
      g_ptr_array_add (self->problem_rows, row);
    }
  if (n > 0)
    {
      g_autofree char *subtitle
        = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u note", "%u notes", n), n);
      adw_expander_row_set_subtitle (self->problems_row, subtitle);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->problems_row), n > 0);
}

static char *
success_details (DmTrainJob *job)
{
  DmProjectResults *results = dm_train_job_get_results (job);
  guint n_losses, n_test = 0, n_classes = results != NULL ? results->n_classes : 0;
  const DmTrainJobLoss *losses = dm_train_job_get_losses (job, &n_losses);
  double final = n_losses > 0 ? losses[n_losses - 1].loss : NAN;

  for (guint c = 0; c < n_classes; c++)
    for (guint i = 0; i < results->classes[c].n_images; i++)
      n_test += results->classes[c].images[i].split == DM_SPLIT_TEST;
  if (results == NULL)
    return g_strdup_printf (_ ("Final loss %.4f. The project has no test images to score."), final);
  return g_strdup_printf (
    _ ("Final loss %.4f. %u test images of %u classes scored; image and region thresholds "
       "proposed per class so that about %.1f%% of the held-out good parts would be rejected."),
    final, n_test, n_classes, 100 * (1 - results->quantile));
}

static void
show_outcome (DmTrainPage *self)
{
  DmJobState state = dm_job_get_state (DM_JOB (self->job));
  const GError *error = dm_job_get_error (DM_JOB (self->job));
  gboolean success = state == DM_JOB_SUCCEEDED;
  g_autofree char *details = NULL;
  const char *title;

  if (success)
    {
      title = _ ("The Model Is Trained");
      details = success_details (self->job);
    }
  else if (state == DM_JOB_CANCELLED && dm_train_job_has_model (self->job))
    {
      /* stopped while scoring: the model is there, only scores are missing */
      title = _ ("Scoring Stopped");
      details = g_strdup (_ ("The model is saved; its test images were not all scored."));
    }
  else if (state == DM_JOB_CANCELLED)
    {
      title = _ ("Training Stopped");
      details = g_strdup (_ ("A checkpoint was kept: resuming continues from it."));
    }
  else
    {
      title = _ ("Training Failed");
      details = g_strdup (error != NULL ? error->message : "");
    }
  gtk_widget_set_visible (GTK_WIDGET (self->outcome_group), TRUE);
  gtk_label_set_text (self->phase_label, title);
  if (success)
    gtk_progress_bar_set_fraction (self->progress_bar, 1);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->outcome_row), title);
  adw_action_row_set_subtitle (self->outcome_row, details);
  gtk_image_set_from_icon_name (self->outcome_icon,
                                success ? "emblem-ok-symbolic" : "dialog-warning-symbolic");
  if (success)
    gtk_widget_remove_css_class (GTK_WIDGET (self->outcome_row), "warning");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->outcome_row), "warning");
  show_problems (self, dm_train_job_get_problems (self->job));
}

static void
on_state (DmTrainPage *self)
{
  DmJobState state = dm_job_get_state (DM_JOB (self->job));

  if (state == DM_JOB_READY || state == DM_JOB_RUNNING)
    return;
  show_outcome (self);
  show_resumable (self);
}

/* ---- the job ---- */

static void
bind (DmTrainPage *self,
      const char *source,
      gpointer target,
      const char *target_property,
      GBindingFlags flags,
      GBindingTransformFunc transform,
      gpointer data)
{
  GBinding *binding
    = g_object_bind_property_full (self->job, source, target, target_property,
                                   flags | G_BINDING_SYNC_CREATE, transform, NULL, data, NULL);

  g_ptr_array_add (self->bindings, g_object_ref (binding));
}

static void
unbind_job (DmTrainPage *self)
{
  for (guint i = 0; i < self->bindings->len; i++)
    g_binding_unbind (self->bindings->pdata[i]);
  g_ptr_array_set_size (self->bindings, 0);
  if (self->job != NULL)
    g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
}

void
dm_train_page_set_job (DmTrainPage *self, DmTrainJob *job)
{
  /* the job's property behind each figure */
  static const char *const stats[N_STATS]
    = { "iteration", "loss", "images-per-second", "time-left" };

  g_return_if_fail (DM_IS_TRAIN_PAGE (self));
  if (self->job == job)
    return;
  unbind_job (self);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_group), job != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->outcome_group), FALSE);
  if (job == NULL)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JOB]);
      return;
    }
  self->job = g_object_ref (job);
  gtk_widget_set_visible (GTK_WIDGET (self->resume_group), FALSE);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  dm_loss_curve_reset (self->loss_curve, dm_train_job_get_total (job));
  self->n_losses = 0;

  bind (self, "running", self->cancel_button, "visible", 0, NULL, NULL);
  bind (self, "running", self->train_button, "visible", G_BINDING_INVERT_BOOLEAN, NULL, NULL);
  bind (self, "running", self->settings_group, "sensitive", G_BINDING_INVERT_BOOLEAN, NULL, NULL);
  for (int i = 0; i < N_STATS; i++)
    bind (self, stats[i], self->stat_values[i], "label", 0, stat_text, GINT_TO_POINTER (i));
  bind (self, "seconds-per-iteration", self->estimate_row, "subtitle", 0, estimate_text, NULL);
  g_signal_connect_swapped (job, "notify::phase", G_CALLBACK (on_phase), self);
  g_signal_connect_swapped (job, "notify::class-name", G_CALLBACK (on_class), self);
  g_signal_connect_swapped (job, "notify::iteration", G_CALLBACK (on_phase), self);
  g_signal_connect_swapped (job, "notify::images-done", G_CALLBACK (on_phase), self);
  g_signal_connect_swapped (job, "notify::fraction", G_CALLBACK (on_fraction), self);
  g_signal_connect_swapped (job, "notify::n-losses", G_CALLBACK (on_losses), self);
  g_signal_connect_swapped (job, "notify::state", G_CALLBACK (on_state), self);
  on_phase (self);
  on_losses (self);
  on_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_JOB]);
}

DmTrainJob *
dm_train_page_get_job (DmTrainPage *self)
{
  return self->job;
}

DmLossCurve *
dm_train_page_get_loss_curve (DmTrainPage *self)
{
  return self->loss_curve;
}

/* ---- building ---- */

static void
build_setting_rows (DmTrainPage *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (settings_spec); i++)
    {
      const SettingSpec *spec = &settings_spec[i];
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *spin = gtk_spin_button_new_with_range (spec->min, spec->max, spec->step);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ (spec->title));
      if (spec->subtitle != NULL)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _ (spec->subtitle));
      gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), spec->digits);
      gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), TRUE);
      gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
      gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _ (spec->title), -1);
      g_object_set_data (G_OBJECT (spin), "spec", (gpointer)spec);
      g_signal_connect (spin, "value-changed", G_CALLBACK (on_spin_changed), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), spin);
      adw_expander_row_add_row (self->all_settings_row, row);
      self->spins[i] = GTK_SPIN_BUTTON (spin);
    }
}

static void
build_stats (DmTrainPage *self)
{
  const char *captions[N_STATS]
    = { N_ ("Iteration"), N_ ("Loss"), N_ ("Images per Second"), N_ ("Time Left") };

  for (int i = 0; i < N_STATS; i++)
    {
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      GtkWidget *value = gtk_label_new ("—");
      GtkWidget *caption = gtk_label_new (_ (captions[i]));

      gtk_widget_add_css_class (value, "title-2");
      gtk_widget_add_css_class (caption, "caption");
      gtk_widget_add_css_class (caption, "dim-label");
      gtk_box_append (GTK_BOX (box), value);
      gtk_box_append (GTK_BOX (box), caption);
      gtk_box_append (self->stats_box, box);
      self->stat_values[i] = GTK_LABEL (value);
    }
}

/* ---- GObject ---- */

static void
dm_train_page_dispose (GObject *object)
{
  DmTrainPage *self = DM_TRAIN_PAGE (object);

  if (self->bindings != NULL)
    unbind_job (self);
  dm_train_page_set_project (self, NULL);
  dm_job_clear (&self->memory_job);
  g_clear_pointer (&self->bindings, g_ptr_array_unref);
  g_clear_pointer (&self->problem_rows, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), DM_TYPE_TRAIN_PAGE);
  G_OBJECT_CLASS (dm_train_page_parent_class)->dispose (object);
}

static void
dm_train_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DmTrainPage *self = DM_TRAIN_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROJECT: g_value_set_object (value, self->project); break;
    case PROP_JOB: g_value_set_object (value, self->job); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_train_page_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  DmTrainPage *self = DM_TRAIN_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROJECT: dm_train_page_set_project (self, g_value_get_object (value)); break;
    case PROP_JOB: dm_train_page_set_job (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_train_page_class_init (DmTrainPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_train_page_dispose;
  object_class->get_property = dm_train_page_get_property;
  object_class->set_property = dm_train_page_set_property;

  properties[PROP_PROJECT]
    = g_param_spec_object ("project", NULL, NULL, DM_TYPE_OPEN_PROJECT,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_JOB]
    = g_param_spec_object ("job", NULL, NULL, DM_TYPE_TRAIN_JOB,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-train-page.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, DmTrainPage, name)
  BIND (backbone_group);
  BIND (resume_group);
  BIND (resume_row);
  BIND (settings_group);
  BIND (backbone_row);
  BIND (preset_row);
  BIND (all_settings_row);
  BIND (estimate_row);
  BIND (memory_row);
  BIND (per_class_switch);
  BIND (train_button);
  BIND (cancel_button);
  BIND (progress_group);
  BIND (phase_label);
  BIND (progress_bar);
  BIND (stats_box);
  BIND (loss_curve);
  BIND (outcome_group);
  BIND (outcome_row);
  BIND (outcome_icon);
  BIND (problems_row);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_preset_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_per_class_switched);
}

static void
dm_train_page_init (DmTrainPage *self)
{
  g_type_ensure (DM_TYPE_LOSS_CURVE);
  gtk_widget_init_template (GTK_WIDGET (self));
  /* the presets of the settings' table, in its order */
  for (guint i = 0; i < dm_train_preset_count (); i++)
    gtk_string_list_append (GTK_STRING_LIST (adw_combo_row_get_model (self->preset_row)),
                            _ (dm_train_preset_title ((DmTrainPreset)i)));
  self->problem_rows = g_ptr_array_new ();
  self->bindings = g_ptr_array_new_with_free_func (g_object_unref);
  build_setting_rows (self);
  build_stats (self);
  gtk_widget_set_visible (GTK_WIDGET (self->resume_group), FALSE);
  adw_action_row_set_subtitle (self->estimate_row,
                               _ ("Measured on the first iterations of each run"));
}
