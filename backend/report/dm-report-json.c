/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's JSON: every figure of the PDF, machine-readable. The shape
 * extends `dinomaly eval --json` ("classes": {name: {seven metrics}},
 * "mean"). Long arrays and small records on one line each. */
#include "config.h"

#include <math.h>

#include "dm-dataset.h"
#include "dm-json-writer.h"
#include "dm-report-private.h"

static void
write_filename (DmJsonWriter *w, const char *key, const char *path)
{
  g_autofree char *display = path != NULL ? g_filename_display_name (path) : NULL;

  dm_json_writer_member_string (w, key, display);
}

static void
write_doubles (DmJsonWriter *w, const char *key, const double *v, guint n)
{
  dm_json_writer_key (w, key);
  dm_json_writer_begin_inline_array (w);
  for (guint i = 0; i < n; i++)
    dm_json_writer_number (w, v[i]);
  dm_json_writer_end_array (w);
}

static void
write_uints (DmJsonWriter *w, const char *key, const guint *v, guint n)
{
  dm_json_writer_key (w, key);
  dm_json_writer_begin_inline_array (w);
  for (guint i = 0; i < n; i++)
    dm_json_writer_int (w, v[i]);
  dm_json_writer_end_array (w);
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
write_class (DmJsonWriter *w, const DmReportClass *k)
{
  DmReportCurve curve;
  DmReportHistogram hist;
  DmReportConfusion cm;
  g_autoptr (GArray) gallery = NULL;
  guint n_top = 0, n_miss = 0;
  gboolean has_curve;
  double edges[DM_REPORT_HISTOGRAM_BINS + 1];

  dm_metrics_write_json (w, &k->metrics);
  dm_json_writer_member_int (w, "n_images", k->n_images);
  dm_json_writer_member_int (w, "n_defect", (gint64)k->metrics.n_anomalous);
  dm_json_writer_key (w, "counts");
  dm_json_writer_begin_inline_object (w);
  dm_json_writer_member_int (w, "train", k->n_train);
  dm_json_writer_member_int (w, "holdout", k->n_holdout);
  dm_json_writer_member_int (w, "test_good", k->n_test_good);
  dm_json_writer_member_int (w, "test_defect", k->n_test_defect);
  dm_json_writer_member_int (w, "masks", k->n_masks);
  dm_json_writer_end_object (w);
  dm_json_writer_member_number (w, "image_threshold",
                                k->threshold_source != DM_REPORT_THRESHOLD_NONE ? k->image_threshold
                                                                                : NAN);
  dm_json_writer_member_string (w, "threshold_method", threshold_source_name (k->threshold_source));
  if (k->threshold_source == DM_REPORT_THRESHOLD_QUANTILE
      || k->threshold_source == DM_REPORT_THRESHOLD_HOLDOUT_QUANTILE)
    dm_json_writer_member_number (w, "threshold_quantile", k->threshold_quantile);
  dm_json_writer_key (w, "uncertain");
  if (k->has_uncertain)
    {
      dm_json_writer_begin_inline_array (w);
      dm_json_writer_number (w, k->uncertain_low);
      dm_json_writer_number (w, k->uncertain_high);
      dm_json_writer_end_array (w);
    }
  else
    dm_json_writer_null (w);
  dm_json_writer_member_number (w, "pixel_threshold", k->pixel_threshold);
  if (!dm_rules_is_empty (k->rules))
    {
      dm_json_writer_key (w, "rules");
      dm_json_writer_begin_object (w);
      dm_rules_write_members (k->rules, w);
      dm_json_writer_end_object (w);
    }
  {
    /* which rule decided the images that have a verdict */
    guint by_rule[DM_RULE_REGION_COUNT + 1] = { 0 }, judged = 0;

    for (guint i = 0; i < k->n_images; i++)
      if (k->images[i].verdict != NULL)
        {
          by_rule[k->images[i].verdict->rule]++;
          judged++;
        }
    if (judged > 0)
      {
        dm_json_writer_key (w, "decided_by");
        dm_json_writer_begin_inline_object (w);
        for (int r = DM_RULE_SCORE; r <= DM_RULE_REGION_COUNT; r++)
          dm_json_writer_member_int (w, dm_rule_name (r), by_rule[r]);
        dm_json_writer_end_object (w);
      }
  }

  dm_report_confusion_compute (k, &cm);
  dm_json_writer_key (w, "confusion");
  dm_json_writer_begin_inline_object (w);
  dm_json_writer_member_int (w, "good_as_good", cm.counts[0][DM_REPORT_DECISION_GOOD]);
  dm_json_writer_member_int (w, "good_as_uncertain", cm.counts[0][DM_REPORT_DECISION_UNCERTAIN]);
  dm_json_writer_member_int (w, "good_as_defect", cm.counts[0][DM_REPORT_DECISION_DEFECT]);
  dm_json_writer_member_int (w, "defect_as_good", cm.counts[1][DM_REPORT_DECISION_GOOD]);
  dm_json_writer_member_int (w, "defect_as_uncertain", cm.counts[1][DM_REPORT_DECISION_UNCERTAIN]);
  dm_json_writer_member_int (w, "defect_as_defect", cm.counts[1][DM_REPORT_DECISION_DEFECT]);
  dm_json_writer_member_int (
    w, "undecided", cm.counts[0][DM_REPORT_DECISION_NONE] + cm.counts[1][DM_REPORT_DECISION_NONE]);
  dm_json_writer_end_object (w);

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
  if (has_curve && curve.n_points > 1)
    {
      guint n = curve.n_points - 1;

      dm_json_writer_key (w, "roc");
      dm_json_writer_begin_object (w);
      write_doubles (w, "thresholds", curve.threshold + 1, n);
      write_doubles (w, "fpr", curve.fpr + 1, n);
      write_doubles (w, "tpr", curve.tpr + 1, n);
      dm_json_writer_end_object (w);
      dm_json_writer_key (w, "pr");
      dm_json_writer_begin_object (w);
      write_doubles (w, "thresholds", curve.threshold + 1, n);
      write_doubles (w, "precision", curve.precision + 1, n);
      write_doubles (w, "recall", curve.tpr + 1, n);
      dm_json_writer_end_object (w);
    }
  else
    {
      dm_json_writer_key (w, "roc");
      dm_json_writer_null (w);
      dm_json_writer_key (w, "pr");
      dm_json_writer_null (w);
    }
  if (has_curve)
    dm_report_curve_clear (&curve);

  dm_report_histogram_compute (k, &hist);
  for (int b = 0; b <= DM_REPORT_HISTOGRAM_BINS; b++)
    edges[b] = hist.lo + (hist.hi - hist.lo) * b / DM_REPORT_HISTOGRAM_BINS;
  dm_json_writer_key (w, "histogram");
  dm_json_writer_begin_object (w);
  write_doubles (w, "edges", edges, DM_REPORT_HISTOGRAM_BINS + 1);
  write_uints (w, "good", hist.good, DM_REPORT_HISTOGRAM_BINS);
  write_uints (w, "defect", hist.defect, DM_REPORT_HISTOGRAM_BINS);
  dm_json_writer_end_object (w);

  gallery = dm_report_gallery_select (k, DM_REPORT_GALLERY_TOP, DM_REPORT_GALLERY_MISCLASSIFIED,
                                      &n_top, &n_miss);
  dm_json_writer_key (w, "gallery");
  dm_json_writer_begin_object (w);
  dm_json_writer_member_int (w, "n_misclassified", n_miss);
  dm_json_writer_key (w, "images");
  dm_json_writer_begin_array (w);
  for (guint g = 0; g < gallery->len; g++)
    {
      guint index = g_array_index (gallery, guint, g);
      const DmReportImage *im = &k->images[index];
      g_autofree char *sample = NULL, *view = NULL;

      if (im->path != NULL)
        dm_dataset_sample_view (im->path, &sample, &view);
      dm_json_writer_begin_inline_object (w);
      write_filename (w, "path", im->path);
      /* a multi-view image's part and camera (Real-IAD), else null */
      dm_json_writer_member_string (w, "sample", sample);
      dm_json_writer_member_string (w, "view", view);
      dm_json_writer_member_string (w, "defect_type", im->defect_type);
      dm_json_writer_member_string (w, "label", im->label ? "defect" : "good");
      dm_json_writer_key (w, "score");
      dm_json_writer_float (w, im->score);
      dm_json_writer_member_string (w, "decision",
                                    dm_report_decision_name (dm_report_image_decision (k, index)));
      dm_json_writer_member_string (w, "section", g < n_top ? "top" : "misclassified");
      if (im->verdict != NULL)
        dm_verdict_write_members (w, im->verdict);
      dm_json_writer_end_object (w);
    }
  dm_json_writer_end_array (w);
  dm_json_writer_end_object (w);
}

char *
dm_report_json (const DmReportInput *input)
{
  DmJsonWriter *w = dm_json_writer_new (TRUE);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = g_date_time_format_iso8601 (input->date != NULL ? input->date : now);

  dm_json_writer_begin_object (w);
  dm_json_writer_member_int (w, "schema_version", DM_REPORT_SCHEMA_VERSION);
  dm_json_writer_member_string (w, "title", input->title);
  dm_json_writer_member_string (w, "project", input->project_name);
  dm_json_writer_member_string (w, "date", date);
  dm_json_writer_member_string (w, "data", input->data_path);
  dm_json_writer_key (w, "model");
  dm_json_writer_begin_inline_object (w);
  dm_json_writer_member_string (w, "name", input->model_name);
  dm_json_writer_member_string (w, "sha256", input->model_sha256);
  if (input->model_version != NULL)
    dm_json_writer_member_string (w, "version", input->model_version);
  dm_json_writer_member_int (w, "resize", input->resize);
  dm_json_writer_member_int (w, "crop", input->crop);
  dm_json_writer_end_object (w);
  dm_json_writer_key (w, "backbone");
  dm_json_writer_begin_inline_object (w);
  dm_json_writer_member_string (w, "name", input->backbone_name);
  dm_json_writer_member_string (w, "sha256", input->backbone_sha256);
  dm_json_writer_member_bool (w, "embedded", input->backbone_embedded);
  dm_json_writer_end_object (w);
  dm_json_writer_key (w, "training");
  if (input->has_training)
    {
      const DmTrainingRecord *t = &input->training;

      dm_json_writer_begin_inline_object (w);
      dm_json_writer_member_int (w, "iterations", t->iterations);
      dm_json_writer_member_int (w, "seed", t->seed);
      dm_json_writer_member_int (w, "batch_size", t->batch_size);
      dm_json_writer_member_number (w, "lr", t->lr);
      dm_json_writer_member_number (w, "seconds", t->seconds);
      dm_json_writer_member_number (w, "final_loss", t->final_loss);
      dm_json_writer_member_string (w, "started", t->started);
      dm_json_writer_end_object (w);
    }
  else
    dm_json_writer_null (w);
  dm_json_writer_key (w, "protocol");
  dm_json_writer_begin_inline_object (w);
  dm_json_writer_member_string (w, "image_score",
                                "mean of the top 1% of the blurred 256x256 anomaly map");
  dm_json_writer_member_int (w, "map_size", 256);
  dm_json_writer_member_number (w, "top_fraction", 0.01);
  dm_json_writer_member_string (w, "masks", "binarised at > 0");
  dm_json_writer_member_string (w, "mean", "unweighted mean over classes");
  dm_json_writer_member_number (w, "aupro_max_fpr", 0.3);
  dm_json_writer_member_string (w, "decision",
                                "defect when score >= image_threshold, or a class's region "
                                "rule fires (dm-decider.h)");
  dm_json_writer_member_string (w, "roi_score",
                                "with a region of interest: mean of the top "
                                "max(1, floor(655 n / 65536)) of the n inspected map pixels");
  dm_json_writer_end_object (w);
  dm_json_writer_key (w, "classes");
  dm_json_writer_begin_object (w);
  for (guint c = 0; c < input->n_classes; c++)
    {
      dm_json_writer_key (w, input->classes[c].name);
      dm_json_writer_begin_object (w);
      write_class (w, &input->classes[c]);
      dm_json_writer_end_object (w);
    }
  dm_json_writer_end_object (w);
  dm_json_writer_key (w, "mean");
  dm_json_writer_begin_object (w);
  dm_metrics_write_json (w, &input->mean);
  dm_json_writer_member_int (w, "n_classes", input->n_classes);
  dm_json_writer_end_object (w);
  if (input->n_audit > 0)
    {
      dm_json_writer_key (w, "audit");
      dm_json_writer_begin_array (w);
      for (guint i = 0; i < input->n_audit; i++)
        {
          const DmReportAuditRecord *a = &input->audit[i];

          dm_json_writer_begin_inline_object (w);
          dm_json_writer_member_string (w, "time", a->time);
          dm_json_writer_member_string (w, "user", a->user);
          dm_json_writer_member_string (w, "action", a->action);
          dm_json_writer_member_string (w, "target", a->target);
          dm_json_writer_member_string (w, "change", a->change);
          dm_json_writer_end_object (w);
        }
      dm_json_writer_end_array (w);
    }
  dm_json_writer_end_object (w);
  return dm_json_writer_free_to_text (w);
}

gboolean
dm_report_write_json (const DmReportInput *input, const char *path, GError **error)
{
  g_autofree char *text = dm_report_json (input);

  return dm_report_write_text (path, text, error);
}
