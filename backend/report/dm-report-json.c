/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's JSON: every figure of the PDF, machine-readable. The shape
 * extends `dinomaly eval --json` ("classes": {name: {seven metrics}},
 * "mean"). Written by hand as the eval writer is: json-glib 1.6 writes
 * 1e-05 as "1e-05.0", which is not JSON. */
#include "config.h"

#include <math.h>

#include "dm-dataset.h"
#include "dm-json-util.h"
#include "dm-report-private.h"

static void
json_filename (GString *s, const char *path)
{
  g_autofree char *display = path != NULL ? g_filename_display_name (path) : NULL;

  dm_json_append_quoted (s, display);
}

static void
json_doubles (GString *s, const double *v, guint n)
{
  g_string_append_c (s, '[');
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append (s, ", ");
      dm_json_append_number (s, v[i]);
    }
  g_string_append_c (s, ']');
}

static void
json_uints (GString *s, const guint *v, guint n)
{
  g_string_append_c (s, '[');
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "%s%u", i > 0 ? ", " : "", v[i]);
  g_string_append_c (s, ']');
}

static const char *
threshold_source_name (DmReportThresholdSource source)
{
  switch (source)
    {
    case DM_REPORT_THRESHOLD_MODEL: return "model";
    case DM_REPORT_THRESHOLD_F1_OPTIMAL: return "f1_optimal";
    case DM_REPORT_THRESHOLD_QUANTILE: return "normal_quantile";
    case DM_REPORT_THRESHOLD_USER: return "user";
    case DM_REPORT_THRESHOLD_HOLDOUT_QUANTILE: return "holdout_quantile";
    case DM_REPORT_THRESHOLD_NONE:
    default: return "none";
    }
}

static void
json_class (GString *s, const DmReportClass *k)
{
  DmReportCurve curve;
  DmReportHistogram hist;
  DmReportConfusion cm;
  g_autoptr (GArray) gallery = NULL;
  guint n_top = 0, n_miss = 0;
  gboolean has_curve;
  double edges[DM_REPORT_HISTOGRAM_BINS + 1];

  dm_metrics_append_json (s, &k->metrics, "      ");
  g_string_append_printf (s,
                          "      \"n_images\": %u,\n      \"n_defect\": %" G_GUINT64_FORMAT ",\n"
                          "      \"counts\": {\"train\": %u, \"holdout\": %u, \"test_good\": %u, "
                          "\"test_defect\": %u, \"masks\": %u},\n",
                          k->n_images, k->metrics.n_anomalous, k->n_train, k->n_holdout,
                          k->n_test_good, k->n_test_defect, k->n_masks);
  g_string_append (s, "      \"image_threshold\": ");
  dm_json_append_number (s, k->threshold_source != DM_REPORT_THRESHOLD_NONE ? k->image_threshold
                                                                            : NAN);
  g_string_append (s, ",\n      \"threshold_method\": ");
  dm_json_append_quoted (s, threshold_source_name (k->threshold_source));
  if (k->threshold_source == DM_REPORT_THRESHOLD_QUANTILE
      || k->threshold_source == DM_REPORT_THRESHOLD_HOLDOUT_QUANTILE)
    {
      g_string_append (s, ",\n      \"threshold_quantile\": ");
      dm_json_append_number (s, k->threshold_quantile);
    }
  g_string_append (s, ",\n      \"uncertain\": ");
  if (k->has_uncertain)
    {
      g_string_append_c (s, '[');
      dm_json_append_number (s, k->uncertain_low);
      g_string_append (s, ", ");
      dm_json_append_number (s, k->uncertain_high);
      g_string_append_c (s, ']');
    }
  else
    g_string_append (s, "null");
  g_string_append (s, ",\n      \"pixel_threshold\": ");
  dm_json_append_number (s, k->pixel_threshold);

  dm_report_confusion_compute (k, &cm);
  g_string_append_printf (
    s,
    ",\n      \"confusion\": {\"good_as_good\": %u, \"good_as_uncertain\": %u, "
    "\"good_as_defect\": %u, \"defect_as_good\": %u, \"defect_as_uncertain\": %u, "
    "\"defect_as_defect\": %u, \"undecided\": %u}",
    cm.counts[0][DM_REPORT_DECISION_GOOD], cm.counts[0][DM_REPORT_DECISION_UNCERTAIN],
    cm.counts[0][DM_REPORT_DECISION_DEFECT], cm.counts[1][DM_REPORT_DECISION_GOOD],
    cm.counts[1][DM_REPORT_DECISION_UNCERTAIN], cm.counts[1][DM_REPORT_DECISION_DEFECT],
    cm.counts[0][DM_REPORT_DECISION_NONE] + cm.counts[1][DM_REPORT_DECISION_NONE]);

  /* the curves from the point after (0, 0): the ROC's leading point is
   * implied, as in sklearn's roc_curve without drop_intermediate */
  {
    g_autofree float *scores = g_new (float, MAX (k->n_images, 1));
    g_autofree guint8 *labels = g_new (guint8, MAX (k->n_images, 1));

    for (guint i = 0; i < k->n_images; i++)
      {
        scores[i] = k->images[i].score;
        labels[i] = k->images[i].label;
      }
    has_curve = dm_report_curve_compute (scores, labels, k->n_images, &curve, NULL);
  }
  g_string_append (s, ",\n      \"roc\": ");
  if (has_curve && curve.n_points > 1)
    {
      g_string_append (s, "{\"thresholds\": ");
      json_doubles (s, curve.threshold + 1, curve.n_points - 1);
      g_string_append (s, ", \"fpr\": ");
      json_doubles (s, curve.fpr + 1, curve.n_points - 1);
      g_string_append (s, ", \"tpr\": ");
      json_doubles (s, curve.tpr + 1, curve.n_points - 1);
      g_string_append (s, "},\n      \"pr\": {\"thresholds\": ");
      json_doubles (s, curve.threshold + 1, curve.n_points - 1);
      g_string_append (s, ", \"precision\": ");
      json_doubles (s, curve.precision + 1, curve.n_points - 1);
      g_string_append (s, ", \"recall\": ");
      json_doubles (s, curve.tpr + 1, curve.n_points - 1);
      g_string_append (s, "}");
    }
  else
    g_string_append (s, "null,\n      \"pr\": null");
  if (has_curve)
    dm_report_curve_clear (&curve);

  dm_report_histogram_compute (k, &hist);
  for (int b = 0; b <= DM_REPORT_HISTOGRAM_BINS; b++)
    edges[b] = hist.lo + (hist.hi - hist.lo) * b / DM_REPORT_HISTOGRAM_BINS;
  g_string_append (s, ",\n      \"histogram\": {\"edges\": ");
  json_doubles (s, edges, DM_REPORT_HISTOGRAM_BINS + 1);
  g_string_append (s, ", \"good\": ");
  json_uints (s, hist.good, DM_REPORT_HISTOGRAM_BINS);
  g_string_append (s, ", \"defect\": ");
  json_uints (s, hist.defect, DM_REPORT_HISTOGRAM_BINS);
  g_string_append (s, "}");

  gallery = dm_report_gallery_select (k, DM_REPORT_GALLERY_TOP, DM_REPORT_GALLERY_MISCLASSIFIED,
                                      &n_top, &n_miss);
  g_string_append_printf (s, ",\n      \"gallery\": {\"n_misclassified\": %u, \"images\": [",
                          n_miss);
  for (guint g = 0; g < gallery->len; g++)
    {
      const DmReportImage *im = &k->images[g_array_index (gallery, guint, g)];
      g_autofree char *sample = NULL, *view = NULL;

      if (im->path != NULL)
        dm_dataset_sample_view (im->path, &sample, &view);
      g_string_append (s, g == 0 ? "\n        {\"path\": " : ",\n        {\"path\": ");
      json_filename (s, im->path);
      /* a multi-view image's part and camera (Real-IAD), else null */
      g_string_append (s, ", \"sample\": ");
      dm_json_append_quoted (s, sample);
      g_string_append (s, ", \"view\": ");
      dm_json_append_quoted (s, view);
      g_string_append (s, ", \"defect_type\": ");
      dm_json_append_quoted (s, im->defect_type);
      g_string_append_printf (s, ", \"label\": \"%s\", \"score\": ", im->label ? "defect" : "good");
      dm_report_append_float (s, im->score);
      g_string_append (s, ", \"decision\": ");
      dm_json_append_quoted (s, dm_report_decision_name (dm_report_decide (k, im->score)));
      g_string_append_printf (s, ", \"section\": \"%s\"}", g < n_top ? "top" : "misclassified");
    }
  g_string_append (s, gallery->len > 0 ? "\n      ]}\n" : "]}\n");
}

char *
dm_report_json (const DmReportInput *input)
{
  GString *s = g_string_new (NULL);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = g_date_time_format_iso8601 (input->date != NULL ? input->date : now);

  g_string_append_printf (s,
                          "{\n  \"schema_version\": %d,\n  \"title\": ", DM_REPORT_SCHEMA_VERSION);
  dm_json_append_quoted (s, input->title);
  g_string_append (s, ",\n  \"project\": ");
  dm_json_append_quoted (s, input->project_name);
  g_string_append (s, ",\n  \"date\": ");
  dm_json_append_quoted (s, date);
  g_string_append (s, ",\n  \"data\": ");
  dm_json_append_quoted (s, input->data_path);
  g_string_append (s, ",\n  \"model\": {\"name\": ");
  dm_json_append_quoted (s, input->model_name);
  g_string_append (s, ", \"sha256\": ");
  dm_json_append_quoted (s, input->model_sha256);
  g_string_append_printf (
    s, ", \"resize\": %d, \"crop\": %d},\n  \"backbone\": {\"name\": ", input->resize, input->crop);
  dm_json_append_quoted (s, input->backbone_name);
  g_string_append (s, ", \"sha256\": ");
  dm_json_append_quoted (s, input->backbone_sha256);
  g_string_append_printf (
    s, ", \"embedded\": %s},\n  \"training\": ", input->backbone_embedded ? "true" : "false");
  if (input->has_training)
    {
      const DmTrainingRecord *t = &input->training;

      g_string_append_printf (s,
                              "{\"iterations\": %" G_GINT64_FORMAT ", \"seed\": %" G_GINT64_FORMAT
                              ", \"batch_size\": %d, \"lr\": ",
                              t->iterations, t->seed, t->batch_size);
      dm_json_append_number (s, t->lr);
      g_string_append (s, ", \"seconds\": ");
      dm_json_append_number (s, t->seconds);
      g_string_append (s, ", \"final_loss\": ");
      dm_json_append_number (s, t->final_loss);
      g_string_append (s, ", \"started\": ");
      dm_json_append_quoted (s, t->started);
      g_string_append (s, "}");
    }
  else
    g_string_append (s, "null");
  g_string_append (s,
                   ",\n  \"protocol\": {\"image_score\": \"mean of the top 1% of the blurred "
                   "256x256 anomaly map\", \"map_size\": 256, \"top_fraction\": 0.01, "
                   "\"masks\": \"binarised at > 0\", \"mean\": \"unweighted mean over classes\", "
                   "\"aupro_max_fpr\": 0.3, \"decision\": \"defect when score >= "
                   "image_threshold\"},\n  \"classes\": {");
  for (guint c = 0; c < input->n_classes; c++)
    {
      g_string_append (s, c == 0 ? "\n    " : ",\n    ");
      dm_json_append_quoted (s, input->classes[c].name);
      g_string_append (s, ": {\n");
      json_class (s, &input->classes[c]);
      g_string_append (s, "    }");
    }
  g_string_append (s, input->n_classes > 0 ? "\n  },\n  \"mean\": {\n" : "},\n  \"mean\": {\n");
  dm_metrics_append_json (s, &input->mean, "    ");
  g_string_append_printf (s, "    \"n_classes\": %u\n  }\n}\n", input->n_classes);
  return g_string_free (s, FALSE);
}

gboolean
dm_report_write_json (const DmReportInput *input, const char *path, GError **error)
{
  g_autofree char *text = dm_report_json (input);

  return dm_report_write_text (path, text, error);
}
