/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Train page: settings, progress and the live loss curve. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

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
  AdwExpanderRow *all_settings_row;
  AdwActionRow *estimate_row;
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
  DmProject *project;      /* borrowed */
  gboolean updating;       /* set while widgets are set from the project */
};

G_DEFINE_FINAL_TYPE (DmTrainPage, dm_train_page, ADW_TYPE_BIN)

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
        g_strcmp0 (project->backbone_arch, "base") == 0   ? "ViT-B/14"
        : g_strcmp0 (project->backbone_arch, "tiny") == 0 ? "ViT (D 64)/14"
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

void
dm_train_page_show_project (DmTrainPage *self, DmProject *project)
{
  DmTrainSettings s;
  g_autofree char *json = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *values;
  gboolean has_backbone;

  self->project = project;
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
  self->updating = FALSE;
  describe_preset (self, &s);
  dm_train_settings_clear (&s);
}

void
dm_train_page_set_resumable (DmTrainPage *self, gint64 next, gint64 total)
{
  gtk_widget_set_visible (GTK_WIDGET (self->resume_group), next >= 0);
  if (next >= 0)
    {
      g_autofree char *text = g_strdup_printf (
        _ ("Stopped after iteration %lld of %lld. Resuming continues exactly where it "
           "stopped."),
        (long long)next, (long long)total);
      adw_action_row_set_subtitle (self->resume_row, text);
    }
}

void
dm_train_page_set_running (DmTrainPage *self, gboolean running, gint64 total_iters)
{
  gtk_widget_set_visible (GTK_WIDGET (self->train_button), !running);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->settings_group), !running);
  if (!running)
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->resume_group), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_group), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->outcome_group), FALSE);
  dm_loss_curve_reset (self->loss_curve, total_iters);
  for (int i = 0; i < N_STATS; i++)
    gtk_label_set_text (self->stat_values[i], "—");
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
}

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

static void
set_stat (DmTrainPage *self, int stat, const char *text)
{
  gtk_label_set_text (self->stat_values[stat], text);
}

static void
show_training (DmTrainPage *self, const DmTrainProgress *t)
{
  gint64 done = t->iteration + 1 - t->start_iter, span = MAX (t->end_iter - t->start_iter, 1);
  g_autofree char *phase = g_strdup_printf (_ ("Training: iteration %lld of %lld"),
                                            (long long)(t->iteration + 1), (long long)t->end_iter);
  g_autofree char *it = g_strdup_printf ("%" G_GINT64_FORMAT, t->iteration + 1);
  g_autofree char *loss = g_strdup_printf ("%.4f", t->loss);
  g_autofree char *speed = g_strdup_printf ("%.1f", t->images_per_s);
  g_autofree char *left = format_duration (t->eta_s);

  gtk_label_set_text (self->phase_label, phase);
  gtk_progress_bar_set_fraction (self->progress_bar, CLAMP ((double)done / span, 0, 1));
  set_stat (self, STAT_ITERATION, it);
  set_stat (self, STAT_LOSS, loss);
  set_stat (self, STAT_SPEED, speed);
  set_stat (self, STAT_TIME_LEFT, left);
  dm_loss_curve_append (self->loss_curve, t->iteration, (float)t->loss);
  if (done >= 1 && t->images_per_s > 0)
    {
      /* measured on the iterations run so far (the first ones settle in) */
      double per_iter = t->elapsed_s / (double)done;
      g_autofree char *total = format_duration (per_iter * (double)t->end_iter);
      g_autofree char *text = g_strdup_printf (
        _ ("%.2f s per iteration, measured on this run: about %s for the whole schedule"), per_iter,
        total);
      adw_action_row_set_subtitle (self->estimate_row, text);
    }
}

void
dm_train_page_show_progress (DmTrainPage *self, const DmProjectTrainProgress *p)
{
  g_autofree char *text = NULL;

  switch (p->phase)
    {
    case DM_PROJECT_TRAIN_LOADING:
      gtk_label_set_text (self->phase_label, _ ("Reading the images and the backbone…"));
      gtk_progress_bar_pulse (self->progress_bar);
      break;
    case DM_PROJECT_TRAIN_CACHING:
      text = g_strdup_printf (_ ("Computing the encoder's features of the training images: %d "
                                 "of %d (done once per run)"),
                              p->train->images_done, p->train->n_images);
      gtk_label_set_text (self->phase_label, text);
      gtk_progress_bar_set_fraction (self->progress_bar,
                                     (double)p->train->images_done / MAX (p->train->n_images, 1));
      break;
    case DM_PROJECT_TRAIN_TRAINING: show_training (self, p->train); break;
    case DM_PROJECT_TRAIN_SAVING:
      gtk_label_set_text (self->phase_label, _ ("Saving the model…"));
      break;
    case DM_PROJECT_TRAIN_SCORING:
      text = g_strdup_printf (_ ("Scoring the test and held-out images: %u of %u"), p->scored,
                              p->n_to_score);
      gtk_label_set_text (self->phase_label, text);
      gtk_progress_bar_set_fraction (self->progress_bar,
                                     (double)p->scored / MAX (p->n_to_score, 1));
      break;
    }
}

void
dm_train_page_show_outcome (
  DmTrainPage *self, gboolean success, const char *title, const char *details, GPtrArray *problems)
{
  guint n = problems != NULL ? problems->len : 0;

  gtk_widget_set_visible (GTK_WIDGET (self->outcome_group), TRUE);
  gtk_label_set_text (self->phase_label, title);
  if (success)
    gtk_progress_bar_set_fraction (self->progress_bar, 1);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->outcome_row), title);
  adw_action_row_set_subtitle (self->outcome_row, details != NULL ? details : "");
  gtk_image_set_from_icon_name (self->outcome_icon,
                                success ? "emblem-ok-symbolic" : "dialog-warning-symbolic");
  if (success)
    gtk_widget_remove_css_class (GTK_WIDGET (self->outcome_row), "warning");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->outcome_row), "warning");
  for (guint i = 0; i < self->problem_rows->len; i++)
    adw_expander_row_remove (self->problems_row, self->problem_rows->pdata[i]);
  g_ptr_array_set_size (self->problem_rows, 0);
  for (guint i = 0; i < n; i++)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), problems->pdata[i]);
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

DmLossCurve *
dm_train_page_get_loss_curve (DmTrainPage *self)
{
  return self->loss_curve;
}

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

static void
dm_train_page_dispose (GObject *object)
{
  DmTrainPage *self = DM_TRAIN_PAGE (object);

  g_clear_pointer (&self->problem_rows, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), DM_TYPE_TRAIN_PAGE);
  G_OBJECT_CLASS (dm_train_page_parent_class)->dispose (object);
}

static void
dm_train_page_class_init (DmTrainPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_train_page_dispose;
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
  build_setting_rows (self);
  build_stats (self);
  gtk_widget_set_visible (GTK_WIDGET (self->resume_group), FALSE);
  adw_action_row_set_subtitle (self->estimate_row,
                               _ ("Measured on the first iterations of each run"));
}
