/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Metrics page: table of the seven metrics and the class's plots. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dm-feedback.h"
#include "dm-metrics-page.h"
#include "dm-report-job.h"
#include "dm-report-plot.h"

enum
{
  PLOT_ROC,
  PLOT_PR,
  PLOT_HISTOGRAM,
  PLOT_CONFUSION,
  N_PLOTS
};

struct _DmMetricsPage
{
  AdwBin parent_instance;

  GtkStack *stack;
  GtkSpinner *spinner;
  GtkLabel *summary_label;
  GtkGrid *table;
  GtkDropDown *class_dropdown;
  GtkGrid *plots;

  GtkWidget *areas[N_PLOTS];
  DmReportInput *input; /* owned, or NULL */
  guint selected;       /* class shown in the plots */
  DmReportCurve curve;  /* of the selected class */
  gboolean has_curve;

  DmOpenProject *project; /* the open project, or NULL */
  DmJob *job;             /* computing input */
  gboolean stale;         /* the project changed since input was computed */
};

G_DEFINE_FINAL_TYPE (DmMetricsPage, dm_metrics_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const DmMetricId columns[]
  = { DM_METRIC_IMAGE_AUROC, DM_METRIC_IMAGE_AP,    DM_METRIC_IMAGE_F1MAX, DM_METRIC_PIXEL_AUROC,
      DM_METRIC_PIXEL_AP,    DM_METRIC_PIXEL_F1MAX, DM_METRIC_AUPRO };

static GtkWidget *
cell (const char *text, gboolean heading, gboolean numeric)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1 : 0);
  if (heading)
    gtk_widget_add_css_class (label, "heading");
  if (numeric)
    gtk_widget_add_css_class (label, "numeric");
  return label;
}

static GtkWidget *
metric_cell (const DmMetrics *m, DmMetricId id, gboolean bold)
{
  double v = dm_metrics_get (m, id);
  g_autofree char *text = isnan (v) ? g_strdup ("—") : g_strdup_printf ("%.1f", 100 * v);
  g_autofree char *tip
    = isnan (v) ? g_strdup (dm_metric_status_message (m->status[id])) : g_strdup_printf ("%.6f", v);
  GtkWidget *label = cell (text, bold, TRUE);

  gtk_widget_set_tooltip_text (label, tip);
  return label;
}

static void
clear_grid (GtkGrid *grid)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (grid))) != NULL)
    gtk_grid_remove (grid, child);
}

static void
build_table (DmMetricsPage *self)
{
  const char *heads[]
    = { N_ ("Image AUROC"), N_ ("Image AP"),     N_ ("Image F1-max"), N_ ("Pixel AUROC"),
        N_ ("Pixel AP"),    N_ ("Pixel F1-max"), N_ ("AUPRO") };
  DmReportInput *in = self->input;
  guint row = 1;

  clear_grid (self->table);
  gtk_grid_attach (self->table, cell (_ ("Class"), TRUE, FALSE), 0, 0, 1, 1);
  for (guint j = 0; j < G_N_ELEMENTS (columns); j++)
    gtk_grid_attach (self->table, cell (_ (heads[j]), TRUE, TRUE), (int)j + 1, 0, 1, 1);
  for (guint c = 0; c < in->n_classes; c++, row++)
    {
      gtk_grid_attach (self->table, cell (in->classes[c].name, FALSE, FALSE), 0, (int)row, 1, 1);
      for (guint j = 0; j < G_N_ELEMENTS (columns); j++)
        gtk_grid_attach (self->table, metric_cell (&in->classes[c].metrics, columns[j], FALSE),
                         (int)j + 1, (int)row, 1, 1);
    }
  gtk_grid_attach (self->table, gtk_separator_new (GTK_ORIENTATION_HORIZONTAL), 0, (int)row++,
                   G_N_ELEMENTS (columns) + 1, 1);
  gtk_grid_attach (self->table, cell (_ ("Mean"), TRUE, FALSE), 0, (int)row, 1, 1);
  for (guint j = 0; j < G_N_ELEMENTS (columns); j++)
    gtk_grid_attach (self->table, metric_cell (&in->mean, columns[j], TRUE), (int)j + 1, (int)row,
                     1, 1);
}

static void
update_summary (DmMetricsPage *self)
{
  DmReportInput *in = self->input;
  guint n_images = 0;
  g_autofree char *text = NULL;

  for (guint c = 0; c < in->n_classes; c++)
    n_images += in->classes[c].n_images;
  text = g_strdup_printf (
    _ ("%u test images of %u classes. Percent; the image score is the mean of the top 1%% of "
       "the blurred 256 × 256 anomaly map; AUPRO up to a false-positive rate of 0.3; the mean is "
       "unweighted over classes. Labels and masks you gave count."),
    n_images, in->n_classes);
  gtk_label_set_text (self->summary_label, text);
}

static void
select_class (DmMetricsPage *self, guint c)
{
  if (self->has_curve)
    dm_report_curve_clear (&self->curve);
  self->has_curve = FALSE;
  self->selected = c;
  if (self->input != NULL && c < self->input->n_classes)
    {
      const DmReportClass *k = &self->input->classes[c];
      g_autofree float *scores = g_new (float, MAX (k->n_images, 1));
      g_autofree guint8 *labels = g_new (guint8, MAX (k->n_images, 1));

      for (guint i = 0; i < k->n_images; i++)
        {
          scores[i] = k->images[i].score;
          labels[i] = k->images[i].label;
        }
      self->has_curve = dm_report_curve_compute (scores, labels, k->n_images, &self->curve, NULL);
    }
  for (int p = 0; p < N_PLOTS; p++)
    gtk_widget_queue_draw (self->areas[p]);
}

static void
on_class_selected (DmMetricsPage *self)
{
  select_class (self, gtk_drop_down_get_selected (self->class_dropdown));
}

static void
draw_plot (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  DmMetricsPage *self = g_object_get_data (G_OBJECT (area), "page");
  int which = GPOINTER_TO_INT (data);
  const DmReportClass *k;
  cairo_rectangle_t rect = { 8, 8, width - 16, height - 16 };
  DmPlotStyle style;

  /* a figure on paper, as in the report, whatever the theme */
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  if (self->input == NULL || self->selected >= self->input->n_classes)
    return;
  k = &self->input->classes[self->selected];
  dm_plot_style_init (&style);
  style.font_size = 11;
  switch (which)
    {
    case PLOT_ROC:
      if (self->has_curve)
        dm_plot_roc (cr, &rect, &style, &self->curve, k->metrics.image_auroc, k->image_threshold);
      break;
    case PLOT_PR:
      if (self->has_curve)
        dm_plot_pr (cr, &rect, &style, &self->curve, k->metrics.image_ap, k->image_threshold);
      break;
    case PLOT_HISTOGRAM:
      {
        DmReportHistogram hist;

        dm_report_histogram_compute (k, &hist);
        dm_plot_histogram (cr, &rect, &style, &hist, k->image_threshold, k->has_uncertain,
                           k->uncertain_low, k->uncertain_high);
        break;
      }
    case PLOT_CONFUSION:
      {
        DmReportConfusion confusion;

        dm_report_confusion_compute (k, &confusion);
        dm_plot_confusion (cr, &rect, &style, &confusion, k->has_uncertain);
        break;
      }
    }
}

void
dm_metrics_page_set_input (DmMetricsPage *self, DmReportInput *input)
{
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  guint keep = self->selected;

  g_clear_pointer (&self->input, dm_report_input_free);
  self->input = input;
  gtk_spinner_stop (self->spinner);
  if (input == NULL || input->n_classes == 0)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      select_class (self, 0);
      return;
    }
  build_table (self);
  update_summary (self);
  for (guint c = 0; c < input->n_classes; c++)
    gtk_string_list_append (names, input->classes[c].name);
  gtk_drop_down_set_model (self->class_dropdown, G_LIST_MODEL (names));
  keep = keep < input->n_classes ? keep : 0;
  gtk_drop_down_set_selected (self->class_dropdown, keep);
  select_class (self, keep);
  gtk_stack_set_visible_child_name (self->stack, "metrics");
}

/* ---- the figures, computed off the main thread ---- */

static void
on_computed (DmMetricsPage *self, DmJob *job)
{
  gtk_spinner_stop (self->spinner);
  if (dm_job_get_state (job) == DM_JOB_SUCCEEDED)
    dm_metrics_page_set_input (self, dm_report_job_steal_input (job));
  else
    {
      dm_metrics_page_set_input (self, NULL);
      dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Compute the Metrics"),
                         dm_job_get_error (job));
    }
}

/* The figures of the project as it is on disk now. */
static void
compute (DmMetricsPage *self)
{
  DmProject *project = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;

  dm_job_clear (&self->job);
  self->stale = FALSE;
  if (project == NULL || !dm_report_job_has_results (project))
    {
      dm_metrics_page_set_input (self, NULL);
      return;
    }
  self->job = dm_report_job_new_input (project->folder);
  g_signal_connect_swapped (self->job, "finished", G_CALLBACK (on_computed), self);
  /* a spinner instead of stale numbers */
  gtk_spinner_start (self->spinner);
  gtk_stack_set_visible_child_name (self->stack, "busy");
  dm_job_start (self->job);
}

/* Thresholds, labels, a model: the figures are computed again when seen. */
static void
on_project_changed (DmMetricsPage *self)
{
  self->stale = TRUE;
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    compute (self);
}

static void
on_map (GtkWidget *widget)
{
  DmMetricsPage *self = DM_METRICS_PAGE (widget);

  GTK_WIDGET_CLASS (dm_metrics_page_parent_class)->map (widget);
  if (self->stale)
    compute (self);
}

void
dm_metrics_page_set_project (DmMetricsPage *self, DmOpenProject *project)
{
  g_return_if_fail (DM_IS_METRICS_PAGE (self));

  if (self->project == project)
    return;
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_set_object (&self->project, project);
  if (project != NULL)
    g_signal_connect_object (project, "changed", G_CALLBACK (on_project_changed), self,
                             G_CONNECT_SWAPPED);
  dm_job_clear (&self->job);
  dm_metrics_page_set_input (self, NULL);
  on_project_changed (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

DmOpenProject *
dm_metrics_page_get_project (DmMetricsPage *self)
{
  return self->project;
}

gboolean
dm_metrics_page_is_busy (DmMetricsPage *self)
{
  return self->job != NULL && dm_job_is_running (self->job);
}

DmReportInput *
dm_metrics_page_get_input (DmMetricsPage *self)
{
  return self->input;
}

char *
dm_metrics_page_get_table_text (DmMetricsPage *self)
{
  GString *out = g_string_new (NULL);
  int rows = self->input != NULL ? (int)self->input->n_classes + 3 : 0;

  for (int r = 0; r < rows; r++)
    {
      for (int c = 0; c <= (int)G_N_ELEMENTS (columns); c++)
        {
          GtkWidget *w = gtk_grid_get_child_at (self->table, c, r);

          if (w != NULL && GTK_IS_LABEL (w))
            g_string_append_printf (out, "%s%s", c > 0 ? "\t" : "",
                                    gtk_label_get_text (GTK_LABEL (w)));
        }
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

static void
build_plots (DmMetricsPage *self)
{
  /* what a screen reader says of each figure */
  const char *names[N_PLOTS]
    = { _ ("ROC curve"), _ ("Precision-recall curve"),
        _ ("Histogram of the scores of good and defect images"), _ ("Confusion matrix") };

  for (int p = 0; p < N_PLOTS; p++)
    {
      GtkWidget *frame = gtk_frame_new (NULL);
      GtkWidget *area = gtk_drawing_area_new ();

      gtk_accessible_update_property (GTK_ACCESSIBLE (area), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      names[p], GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      _ ("Of the class chosen above, at its image threshold"), -1);

      gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (area), 300);
      gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (area), draw_plot, GINT_TO_POINTER (p),
                                      NULL);
      g_object_set_data (G_OBJECT (area), "page", self);
      gtk_frame_set_child (GTK_FRAME (frame), area);
      gtk_grid_attach (self->plots, frame, p % 2, p / 2, 1, 1);
      self->areas[p] = area;
    }
}

static void
dm_metrics_page_dispose (GObject *object)
{
  DmMetricsPage *self = DM_METRICS_PAGE (object);

  if (self->has_curve)
    dm_report_curve_clear (&self->curve);
  self->has_curve = FALSE;
  g_clear_pointer (&self->input, dm_report_input_free);
  dm_job_clear (&self->job);
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_clear_object (&self->project);
  /* no gtk_widget_dispose_template: the bound stack is the bin's own
   * child, which AdwBin unparents */
  G_OBJECT_CLASS (dm_metrics_page_parent_class)->dispose (object);
}

static void
dm_metrics_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PROJECT: g_value_set_object (value, DM_METRICS_PAGE (object)->project); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_metrics_page_set_property (GObject *object,
                              guint prop_id,
                              const GValue *value,
                              GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PROJECT:
      dm_metrics_page_set_project (DM_METRICS_PAGE (object), g_value_get_object (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_metrics_page_class_init (DmMetricsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_metrics_page_dispose;
  object_class->get_property = dm_metrics_page_get_property;
  object_class->set_property = dm_metrics_page_set_property;
  widget_class->map = on_map;
  properties[PROP_PROJECT]
    = g_param_spec_object ("project", NULL, NULL, DM_TYPE_OPEN_PROJECT,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-metrics-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DmMetricsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, DmMetricsPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, DmMetricsPage, summary_label);
  gtk_widget_class_bind_template_child (widget_class, DmMetricsPage, table);
  gtk_widget_class_bind_template_child (widget_class, DmMetricsPage, class_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DmMetricsPage, plots);
  gtk_widget_class_bind_template_callback (widget_class, on_class_selected);
}

static void
dm_metrics_page_init (DmMetricsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  build_plots (self);
  gtk_stack_set_visible_child_name (self->stack, "empty");
}
