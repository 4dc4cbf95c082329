/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The thresholds of one class: sliders over the score histogram, the
 * proposals and the live confusion matrix. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "dm-threshold-panel.h"

#define N_BINS 40

struct _DmThresholdPanel
{
  AdwBin parent_instance;

  GtkDrawingArea *histogram;
  GtkScale *image_scale;
  GtkAdjustment *image_adjustment;
  GtkLabel *image_value;
  GtkWidget *band_box;
  GtkScale *band_scale;
  GtkAdjustment *band_adjustment;
  GtkLabel *band_value;
  GtkSwitch *band_switch;
  GtkButton *false_reject_button;
  GtkSpinButton *false_reject_spin;
  GtkButton *f1_button;
  GtkAdjustment *pixel_adjustment;
  GtkLabel *pixel_value;
  GtkButton *pixel_quantile_button;
  GtkButton *pixel_f1_button;
  GtkGrid *matrix;
  GtkWidget *cells[3][3]; /* decision x (good, defect, all) */
  GtkWidget *row_titles[3];

  /* the class: all images, then the test images' own copies */
  gsize n;
  float *scores;
  guint8 *labels, *user_labels, *holdout;
  gsize n_test;
  float *test_scores;
  guint8 *test_labels, *test_user, *test_truth;
  DmScoreIndex *index; /* of the test images */
  guint normal_bins[N_BINS], defect_bins[N_BINS];

  DmThresholds thresholds;
  DmThresholdCounts counts;
  double pixel_quantile; /* the held-out proposal; NAN: no held-out images */
  gboolean has_masks;    /* some labelled defect has a mask */
  gboolean pixel_f1_busy;
  gboolean updating; /* the widgets are being set from code */
};

G_DEFINE_FINAL_TYPE (DmThresholdPanel, dm_threshold_panel, ADW_TYPE_BIN)

enum
{
  SIGNAL_THRESHOLDS_CHANGED,
  SIGNAL_PIXEL_F1_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
band_on (const DmThresholds *t)
{
  return !isnan (t->uncertain_low) && !isnan (t->uncertain_high);
}

static void
set_number (GtkLabel *label, double value)
{
  char text[32];

  if (isnan (value))
    gtk_label_set_text (label, "–");
  else
    {
      g_snprintf (text, sizeof text, "%.4f", value);
      gtk_label_set_text (label, text);
    }
}

static void
set_count (GtkWidget *label, guint value)
{
  char text[16];

  g_snprintf (text, sizeof text, "%u", value);
  gtk_label_set_text (GTK_LABEL (label), text);
}

/* Counts and matrix at the current thresholds: two binary searches per
 * truth and nine labels, whatever the number of images. */
static void
update_summary (DmThresholdPanel *self)
{
  gboolean band = band_on (&self->thresholds);

  if (self->index != NULL)
    dm_score_index_counts (self->index, &self->thresholds, &self->counts);
  else
    memset (&self->counts, 0, sizeof self->counts);
  for (int d = 0; d < 3; d++)
    {
      set_count (self->cells[d][0], self->counts.matrix[d][0]);
      set_count (self->cells[d][1], self->counts.matrix[d][1]);
      set_count (self->cells[d][2], self->counts.decided[d]);
    }
  for (int c = 0; c < 3; c++)
    gtk_widget_set_visible (self->cells[DM_DECISION_UNCERTAIN][c], band);
  gtk_widget_set_visible (self->row_titles[DM_DECISION_UNCERTAIN], band);
  set_number (self->image_value, band ? self->thresholds.uncertain_high : self->thresholds.image);
  set_number (self->band_value, self->thresholds.uncertain_low);
  set_number (self->pixel_value, self->thresholds.pixel);
  gtk_widget_queue_draw (GTK_WIDGET (self->histogram));
}

static void
changed (DmThresholdPanel *self)
{
  update_summary (self);
  g_signal_emit (self, signals[SIGNAL_THRESHOLDS_CHANGED], 0);
}

/* Shows self->thresholds in the widgets without reacting to them. */
static void
sync_widgets (DmThresholdPanel *self)
{
  gboolean band = band_on (&self->thresholds);
  double image = band ? self->thresholds.uncertain_high : self->thresholds.image;

  self->updating = TRUE;
  gtk_switch_set_active (self->band_switch, band);
  gtk_widget_set_visible (self->band_box, band);
  gtk_adjustment_set_value (self->image_adjustment,
                            isnan (image) ? gtk_adjustment_get_upper (self->image_adjustment)
                                          : image);
  if (band)
    gtk_adjustment_set_value (self->band_adjustment, self->thresholds.uncertain_low);
  if (!isnan (self->thresholds.pixel))
    gtk_adjustment_set_value (self->pixel_adjustment, self->thresholds.pixel);
  self->updating = FALSE;
  update_summary (self);
}

static void
on_image_changed (GtkAdjustment *adjustment, DmThresholdPanel *self)
{
  double value = gtk_adjustment_get_value (adjustment);

  if (self->updating)
    return;
  self->thresholds.image = value;
  if (band_on (&self->thresholds))
    {
      self->thresholds.uncertain_high = value;
      /* the band's lower end never passes its upper end */
      if (self->thresholds.uncertain_low > value)
        {
          self->thresholds.uncertain_low = value;
          self->updating = TRUE;
          gtk_adjustment_set_value (self->band_adjustment, value);
          self->updating = FALSE;
        }
    }
  changed (self);
}

static void
on_band_changed (GtkAdjustment *adjustment, DmThresholdPanel *self)
{
  if (self->updating || !band_on (&self->thresholds))
    return;
  self->thresholds.uncertain_low
    = MIN (gtk_adjustment_get_value (adjustment), self->thresholds.uncertain_high);
  changed (self);
}

static void
on_pixel_changed (GtkAdjustment *adjustment, DmThresholdPanel *self)
{
  if (self->updating)
    return;
  self->thresholds.pixel = gtk_adjustment_get_value (adjustment);
  changed (self);
}

static void
on_band_switch (GtkSwitch *sw, GParamSpec *pspec, DmThresholdPanel *self)
{
  double high;

  if (self->updating)
    return;
  gtk_widget_set_visible (self->band_box, gtk_switch_get_active (sw));
  if (gtk_switch_get_active (sw))
    {
      /* start with a band from the image threshold down by a tenth of the
       * range, which the user then widens or narrows */
      high = gtk_adjustment_get_value (self->image_adjustment);
      self->thresholds.image = high;
      self->thresholds.uncertain_high = high;
      self->thresholds.uncertain_low
        = MAX (gtk_adjustment_get_lower (self->image_adjustment),
               high
                 - 0.1
                     * (gtk_adjustment_get_upper (self->image_adjustment)
                        - gtk_adjustment_get_lower (self->image_adjustment)));
    }
  else
    self->thresholds.uncertain_low = self->thresholds.uncertain_high = NAN;
  sync_widgets (self);
  g_signal_emit (self, signals[SIGNAL_THRESHOLDS_CHANGED], 0);
}

static void
set_image_threshold (DmThresholdPanel *self, double value)
{
  if (isnan (value))
    return;
  self->thresholds.image = value;
  if (band_on (&self->thresholds))
    {
      self->thresholds.uncertain_high = value;
      self->thresholds.uncertain_low = MIN (self->thresholds.uncertain_low, value);
    }
  /* a proposal outside the slider's range widens it */
  if (value > gtk_adjustment_get_upper (self->image_adjustment))
    gtk_adjustment_set_upper (self->image_adjustment, value);
  if (value < gtk_adjustment_get_lower (self->image_adjustment))
    gtk_adjustment_set_lower (self->image_adjustment, value);
  sync_widgets (self);
  g_signal_emit (self, signals[SIGNAL_THRESHOLDS_CHANGED], 0);
}

static void
on_false_reject_clicked (DmThresholdPanel *self)
{
  g_autofree float *normals = g_new (float, MAX (self->n, 1));
  gsize n_normals = 0;
  double rate = gtk_spin_button_get_value (self->false_reject_spin) / 100.0;

  for (gsize i = 0; i < self->n; i++)
    if (self->holdout[i])
      normals[n_normals++] = self->scores[i];
  if (n_normals == 0)
    for (gsize i = 0; i < self->n_test; i++)
      if (!self->test_truth[i])
        normals[n_normals++] = self->test_scores[i];
  set_image_threshold (self, dm_threshold_for_false_rejects (normals, n_normals, rate));
}

static void
on_f1_clicked (DmThresholdPanel *self)
{
  set_image_threshold (
    self, dm_threshold_f1_optimal (self->test_scores, self->test_truth, self->n_test, NULL));
}

void
dm_threshold_panel_propose_pixel (DmThresholdPanel *self, double value)
{
  g_return_if_fail (DM_IS_THRESHOLD_PANEL (self));
  if (isnan (value))
    return;
  self->thresholds.pixel = value;
  /* a proposal outside the slider's range widens it, as for the image */
  if (value > gtk_adjustment_get_upper (self->pixel_adjustment))
    gtk_adjustment_set_upper (self->pixel_adjustment, value);
  if (value < gtk_adjustment_get_lower (self->pixel_adjustment))
    gtk_adjustment_set_lower (self->pixel_adjustment, value);
  sync_widgets (self);
  g_signal_emit (self, signals[SIGNAL_THRESHOLDS_CHANGED], 0);
}

static void
on_pixel_quantile_clicked (DmThresholdPanel *self)
{
  dm_threshold_panel_propose_pixel (self, self->pixel_quantile);
}

static void
on_pixel_f1_clicked (DmThresholdPanel *self)
{
  g_signal_emit (self, signals[SIGNAL_PIXEL_F1_REQUESTED], 0);
}

/* Sensitivity and a tooltip that says why a proposal cannot be had. */
static void
sync_pixel_buttons (DmThresholdPanel *self)
{
  gboolean quantile = !isnan (self->pixel_quantile);

  gtk_widget_set_sensitive (GTK_WIDGET (self->pixel_quantile_button), quantile);
  gtk_widget_set_tooltip_text (
    GTK_WIDGET (self->pixel_quantile_button),
    quantile ? _ ("Set the pixel threshold back to the proposal from the held-out normal images: "
                  "the quantile of their largest map values that the image proposal uses")
             : _ ("No held-out normal images: nothing to take a quantile of"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->pixel_f1_button),
                            self->has_masks && !self->pixel_f1_busy);
  gtk_widget_set_tooltip_text (
    GTK_WIDGET (self->pixel_f1_button),
    !self->has_masks ? _ ("No defect image of the test set has a mask")
    : self->pixel_f1_busy
      ? _ ("Reading the maps and masks…")
      : _ ("Set the pixel threshold where F1 over the pixels of the test images with masks is "
           "highest"));
}

void
dm_threshold_panel_set_pixel_proposals (DmThresholdPanel *self,
                                        double holdout_quantile,
                                        gboolean has_masks)
{
  g_return_if_fail (DM_IS_THRESHOLD_PANEL (self));
  self->pixel_quantile = holdout_quantile;
  self->has_masks = has_masks;
  sync_pixel_buttons (self);
}

void
dm_threshold_panel_set_pixel_f1_busy (DmThresholdPanel *self, gboolean busy)
{
  g_return_if_fail (DM_IS_THRESHOLD_PANEL (self));
  self->pixel_f1_busy = busy;
  sync_pixel_buttons (self);
}

/* ---- the histogram behind the image slider ---- */

static GtkWidget *
child_by_css_name (GtkWidget *parent, const char *name)
{
  for (GtkWidget *c = gtk_widget_get_first_child (parent); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    if (g_str_equal (gtk_widget_get_css_name (c), name))
      return c;
  return NULL;
}

/* Where the slider's centre is at the lowest and highest value, in the
 * histogram's coordinates, so that bars and lines sit under the knob. */
static gboolean
slider_span (DmThresholdPanel *self, double *x0, double *x1)
{
  GtkWidget *trough = child_by_css_name (GTK_WIDGET (self->image_scale), "trough");
  GtkWidget *slider = trough != NULL ? child_by_css_name (trough, "slider") : NULL;
  graphene_rect_t bounds;
  double half;

  if (trough == NULL || !gtk_widget_compute_bounds (trough, GTK_WIDGET (self->histogram), &bounds))
    return FALSE;
  half = slider != NULL ? gtk_widget_get_width (slider) / 2.0 : 0.0;
  *x0 = bounds.origin.x + half;
  *x1 = bounds.origin.x + bounds.size.width - half;
  return *x1 > *x0;
}

static void
draw_histogram (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  DmThresholdPanel *self = data;
  double lower = gtk_adjustment_get_lower (self->image_adjustment);
  double upper = gtk_adjustment_get_upper (self->image_adjustment);
  double x0, x1, bar, top = 4, base = height - 22; /* the scale covers the bottom */
  double most = 1e-9, n_normal = 0, n_defect = 0;

  if (!slider_span (self, &x0, &x1))
    {
      x0 = 0;
      x1 = width;
    }
#define X_OF(v) (x0 + ((v)-lower) / (upper - lower) * (x1 - x0))
  bar = (x1 - x0) / N_BINS;
  /* each truth as a share of its own images: a few defects among many
   * normals stay visible; one height scale for both, so shapes compare */
  for (int b = 0; b < N_BINS; b++)
    {
      n_normal += self->normal_bins[b];
      n_defect += self->defect_bins[b];
    }
  for (int b = 0; b < N_BINS; b++)
    most = MAX (most, MAX (self->normal_bins[b] / MAX (n_normal, 1.0),
                           self->defect_bins[b] / MAX (n_defect, 1.0)));

  /* the uncertain band, shaded */
  if (band_on (&self->thresholds))
    {
      double a = X_OF (self->thresholds.uncertain_low), b = X_OF (self->thresholds.uncertain_high);

      cairo_set_source_rgba (cr, 0.96, 0.76, 0.07, 0.25);
      cairo_rectangle (cr, a, top, b - a, base - top);
      cairo_fill (cr);
    }
  /* normals blue, defects orange, drawn over each other half transparent */
  for (int pass = 0; pass < 2; pass++)
    {
      const guint *bins = pass == 0 ? self->normal_bins : self->defect_bins;
      double total = MAX (pass == 0 ? n_normal : n_defect, 1.0);

      if (pass == 0)
        cairo_set_source_rgba (cr, 0.21, 0.52, 0.89, 0.65);
      else
        cairo_set_source_rgba (cr, 0.90, 0.38, 0.0, 0.75);
      for (int b = 0; b < N_BINS; b++)
        {
          double h = (base - top) * bins[b] / total / most;

          if (bins[b] > 0)
            cairo_rectangle (cr, x0 + b * bar + 0.5, base - MAX (h, 1.5), bar - 1, MAX (h, 1.5));
        }
      cairo_fill (cr);
    }
  /* the threshold lines */
  cairo_set_line_width (cr, 2);
  cairo_set_source_rgb (cr, 0.75, 0.11, 0.16);
  if (!isnan (self->thresholds.image) || band_on (&self->thresholds))
    {
      double v
        = band_on (&self->thresholds) ? self->thresholds.uncertain_high : self->thresholds.image;

      cairo_move_to (cr, round (X_OF (v)) + 0.0, top);
      cairo_line_to (cr, round (X_OF (v)) + 0.0, base);
      cairo_stroke (cr);
    }
  if (band_on (&self->thresholds))
    {
      cairo_set_dash (cr, (double[]){ 4, 3 }, 2, 0);
      cairo_set_source_rgb (cr, 0.61, 0.45, 0.0);
      cairo_move_to (cr, round (X_OF (self->thresholds.uncertain_low)), top);
      cairo_line_to (cr, round (X_OF (self->thresholds.uncertain_low)), base);
      cairo_stroke (cr);
    }
#undef X_OF
}

/* ---- the class ---- */

static void
rebuild (DmThresholdPanel *self)
{
  gsize k = 0;
  double low, high, pad;

  g_clear_pointer (&self->index, dm_score_index_free);
  self->n_test = 0;
  for (gsize i = 0; i < self->n; i++)
    if (!self->holdout[i])
      {
        self->test_scores[k] = self->scores[i];
        self->test_labels[k] = self->labels[i];
        self->test_user[k] = self->user_labels[i];
        k++;
      }
  self->n_test = k;
  dm_truth_resolve (self->test_labels, self->test_user, k, self->test_truth);
  self->index = dm_score_index_new (self->test_scores, self->test_labels, self->test_user, k);
  gtk_widget_set_sensitive (GTK_WIDGET (self->f1_button),
                            dm_score_index_count_at_or_above (self->index, 1, -INFINITY) > 0);

  /* the slider spans every score (hold-out ones too), with a margin */
  low = INFINITY;
  high = -INFINITY;
  for (gsize i = 0; i < self->n; i++)
    if (isfinite (self->scores[i]))
      {
        low = MIN (low, self->scores[i]);
        high = MAX (high, self->scores[i]);
      }
  if (!(high >= low))
    {
      low = 0;
      high = 1;
    }
  pad = MAX (0.05 * (high - low), 1e-6);
  self->updating = TRUE;
  gtk_adjustment_configure (self->image_adjustment,
                            gtk_adjustment_get_value (self->image_adjustment), low - pad,
                            high + pad, (high - low) / 200, (high - low) / 20, 0);
  gtk_adjustment_configure (self->band_adjustment, gtk_adjustment_get_value (self->band_adjustment),
                            low - pad, high + pad, (high - low) / 200, (high - low) / 20, 0);
  self->updating = FALSE;
  dm_score_histogram (self->test_scores, self->test_truth, k, low - pad, high + pad, N_BINS,
                      self->normal_bins, self->defect_bins);
  sync_widgets (self);
}

void
dm_threshold_panel_set_scores (DmThresholdPanel *self,
                               const float *scores,
                               const guint8 *labels,
                               const guint8 *user_labels,
                               const guint8 *holdout,
                               gsize n)
{
  g_return_if_fail (DM_IS_THRESHOLD_PANEL (self));
  g_free (self->scores);
  g_free (self->labels);
  g_free (self->user_labels);
  g_free (self->holdout);
  g_free (self->test_scores);
  g_free (self->test_labels);
  g_free (self->test_user);
  g_free (self->test_truth);
  self->n = n;
  self->scores = g_memdup2 (scores, n * sizeof (float));
  self->labels = g_memdup2 (labels, n);
  self->user_labels = user_labels != NULL ? g_memdup2 (user_labels, n) : g_malloc0 (MAX (n, 1));
  self->holdout = holdout != NULL ? g_memdup2 (holdout, n) : g_malloc0 (MAX (n, 1));
  self->test_scores = g_new (float, MAX (n, 1));
  self->test_labels = g_new (guint8, MAX (n, 1));
  self->test_user = g_new (guint8, MAX (n, 1));
  self->test_truth = g_new (guint8, MAX (n, 1));
  rebuild (self);
}

void
dm_threshold_panel_set_result_class (DmThresholdPanel *self,
                                     const DmResultClass *klass,
                                     const guint8 *user_labels)
{
  g_autofree float *scores = g_new (float, MAX (klass->n_images, 1));
  g_autofree guint8 *labels = g_new (guint8, MAX (klass->n_images, 1));
  g_autofree guint8 *holdout = g_new (guint8, MAX (klass->n_images, 1));
  gboolean any_holdout = FALSE, has_masks = FALSE;

  for (guint i = 0; i < klass->n_images; i++)
    {
      scores[i] = klass->images[i].score;
      labels[i] = klass->images[i].label == DM_LABEL_DEFECT;
      holdout[i] = klass->images[i].split == DM_SPLIT_HOLDOUT;
      any_holdout |= holdout[i];
      has_masks |= klass->images[i].split == DM_SPLIT_TEST && labels[i]
                   && klass->images[i].mask_path != NULL;
    }
  dm_threshold_panel_set_scores (self, scores, labels, user_labels, holdout, klass->n_images);
  dm_threshold_panel_set_pixel_range (self, 0, klass->map_high);
  dm_threshold_panel_set_pixel_proposals (self, any_holdout ? klass->proposed_pixel : NAN,
                                          has_masks);
}

void
dm_threshold_panel_set_user_labels (DmThresholdPanel *self, const guint8 *user_labels)
{
  g_return_if_fail (DM_IS_THRESHOLD_PANEL (self));
  if (user_labels != NULL)
    memcpy (self->user_labels, user_labels, self->n);
  else
    memset (self->user_labels, 0, self->n);
  rebuild (self);
}

void
dm_threshold_panel_set_pixel_range (DmThresholdPanel *self, double low, double high)
{
  g_return_if_fail (DM_IS_THRESHOLD_PANEL (self));
  if (!(high > low))
    high = low + 1;
  self->updating = TRUE;
  gtk_adjustment_configure (self->pixel_adjustment,
                            gtk_adjustment_get_value (self->pixel_adjustment), low, high,
                            (high - low) / 200, (high - low) / 20, 0);
  self->updating = FALSE;
  sync_widgets (self);
}

void
dm_threshold_panel_set_thresholds (DmThresholdPanel *self, const DmThresholds *thresholds)
{
  g_return_if_fail (DM_IS_THRESHOLD_PANEL (self));
  self->thresholds = *thresholds;
  if (band_on (thresholds))
    self->thresholds.image = thresholds->uncertain_high;
  sync_widgets (self);
}

void
dm_threshold_panel_get_thresholds (DmThresholdPanel *self, DmThresholds *thresholds)
{
  g_return_if_fail (DM_IS_THRESHOLD_PANEL (self));
  *thresholds = self->thresholds;
}

void
dm_threshold_panel_get_counts (DmThresholdPanel *self, DmThresholdCounts *counts)
{
  g_return_if_fail (DM_IS_THRESHOLD_PANEL (self));
  *counts = self->counts;
}

/* ---- GObject ---- */

static GtkWidget *
grid_label (DmThresholdPanel *self, const char *text, int column, int row, gboolean heading)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), heading && column == 0 ? 0.0f : 1.0f);
  gtk_widget_add_css_class (label, heading ? "heading" : "numeric");
  gtk_grid_attach (self->matrix, label, column, row, 1, 1);
  return label;
}

static void
build_matrix (DmThresholdPanel *self)
{
  const char *columns[] = { C_ ("truth", "Good"), C_ ("truth", "Defect"), C_ ("truth", "All") };
  const char *rows[]
    = { C_ ("decision", "Pass"), C_ ("decision", "Uncertain"), C_ ("decision", "Fail") };

  for (int c = 0; c < 3; c++)
    grid_label (self, columns[c], c + 1, 0, TRUE);
  for (int d = 0; d < 3; d++)
    {
      self->row_titles[d] = grid_label (self, rows[d], 0, d + 1, TRUE);
      for (int c = 0; c < 3; c++)
        self->cells[d][c] = grid_label (self, "0", c + 1, d + 1, FALSE);
    }
}

static void
dm_threshold_panel_dispose (GObject *object)
{
  DmThresholdPanel *self = DM_THRESHOLD_PANEL (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), DM_TYPE_THRESHOLD_PANEL);
  g_clear_pointer (&self->index, dm_score_index_free);
  g_clear_pointer (&self->scores, g_free);
  g_clear_pointer (&self->labels, g_free);
  g_clear_pointer (&self->user_labels, g_free);
  g_clear_pointer (&self->holdout, g_free);
  g_clear_pointer (&self->test_scores, g_free);
  g_clear_pointer (&self->test_labels, g_free);
  g_clear_pointer (&self->test_user, g_free);
  g_clear_pointer (&self->test_truth, g_free);
  G_OBJECT_CLASS (dm_threshold_panel_parent_class)->dispose (object);
}

static void
dm_threshold_panel_class_init (DmThresholdPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_threshold_panel_dispose;

  /* Emitted when the user moved a threshold or took a proposal: the
   * caller saves them into the project's class. */
  signals[SIGNAL_THRESHOLDS_CHANGED]
    = g_signal_new ("thresholds-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                    NULL, NULL, G_TYPE_NONE, 0);
  /* Emitted when the user asks for the F1-optimal pixel threshold: the
   * caller reads the maps and masks off the main thread and hands the
   * value to dm_threshold_panel_propose_pixel. */
  signals[SIGNAL_PIXEL_F1_REQUESTED]
    = g_signal_new ("pixel-f1-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                    NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-threshold-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, DmThresholdPanel, histogram);
  gtk_widget_class_bind_template_child (widget_class, DmThresholdPanel, image_scale);
  gtk_widget_class_bind_template_child (widget_class, DmThresholdPanel, image_adjustment);
  gtk_widget_class_bind_template_child (widget_class, DmThresholdPanel, image_value);
  gtk_widget_class_bind_template_child (widget_class, DmThresholdPanel, band_box);
  gtk_widget_class_bind_template_child (widget_class, DmThresholdPanel, band_scale);
  gtk_widget_class_bind_template_child (widget_class, DmThresholdPanel, band_adjustment);
  gtk_widget_class_bind_template_child (widget_class, DmThresholdPanel, band_value);
  gtk_widget_class_bind_template_child (widget_class, DmThresholdPanel, band_switch);
  gtk_widget_class_bind_template_child (widget_class, DmThresholdPanel, false_reject_button);
  gtk_widget_class_bind_template_child (widget_class, DmThresholdPanel, false_reject_spin);
  gtk_widget_class_bind_template_child (widget_class, DmThresholdPanel, f1_button);
  gtk_widget_class_bind_template_child (widget_class, DmThresholdPanel, pixel_adjustment);
  gtk_widget_class_bind_template_child (widget_class, DmThresholdPanel, pixel_value);
  gtk_widget_class_bind_template_child (widget_class, DmThresholdPanel, pixel_quantile_button);
  gtk_widget_class_bind_template_child (widget_class, DmThresholdPanel, pixel_f1_button);
  gtk_widget_class_bind_template_child (widget_class, DmThresholdPanel, matrix);
}

static void
dm_threshold_panel_init (DmThresholdPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  dm_thresholds_init (&self->thresholds);
  build_matrix (self);
  gtk_drawing_area_set_draw_func (self->histogram, draw_histogram, self, NULL);
  g_signal_connect (self->image_adjustment, "value-changed", G_CALLBACK (on_image_changed), self);
  g_signal_connect (self->band_adjustment, "value-changed", G_CALLBACK (on_band_changed), self);
  g_signal_connect (self->pixel_adjustment, "value-changed", G_CALLBACK (on_pixel_changed), self);
  g_signal_connect (self->band_switch, "notify::active", G_CALLBACK (on_band_switch), self);
  g_signal_connect_swapped (self->false_reject_button, "clicked",
                            G_CALLBACK (on_false_reject_clicked), self);
  g_signal_connect_swapped (self->f1_button, "clicked", G_CALLBACK (on_f1_clicked), self);
  g_signal_connect_swapped (self->pixel_quantile_button, "clicked",
                            G_CALLBACK (on_pixel_quantile_clicked), self);
  g_signal_connect_swapped (self->pixel_f1_button, "clicked", G_CALLBACK (on_pixel_f1_clicked),
                            self);
  dm_threshold_panel_set_pixel_proposals (self, NAN, FALSE);
  /* an empty class until set_scores */
  dm_threshold_panel_set_scores (self, NULL, NULL, NULL, NULL, 0);
}

GtkWidget *
dm_threshold_panel_new (void)
{
  return g_object_new (DM_TYPE_THRESHOLD_PANEL, NULL);
}
