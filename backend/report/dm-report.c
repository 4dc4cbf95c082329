/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's input (ownership, classes) and the figures that every
 * writer shares: curves, thresholds, histograms, decisions, confusion
 * matrices and the choice of gallery images. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-report.h"
#include "dm-thresholds.h"

DmReportInput *
dm_report_input_new (void)
{
  DmReportInput *input = g_new0 (DmReportInput, 1);

  input->resize = 448;
  input->crop = 392;
  dm_metrics_mean (NULL, 0, &input->mean);
  return input;
}

static void
class_clear (DmReportClass *klass)
{
  for (guint i = 0; i < klass->n_images; i++)
    {
      g_free (klass->images[i].path);
      g_free (klass->images[i].defect_type);
      g_free (klass->images[i].map);
      g_free (klass->images[i].verdict);
    }
  g_free (klass->images);
  g_free (klass->name);
  dm_rules_free (klass->rules);
}

void
dm_report_input_free (DmReportInput *input)
{
  if (input == NULL)
    return;
  for (guint c = 0; c < input->n_classes; c++)
    class_clear (&input->classes[c]);
  g_free (input->classes);
  g_free (input->title);
  g_free (input->project_name);
  g_free (input->data_path);
  g_clear_pointer (&input->date, g_date_time_unref);
  g_free (input->model_name);
  g_free (input->model_version);
  g_free (input->model_sha256);
  for (guint i = 0; i < input->n_audit; i++)
    {
      DmReportAuditRecord *a = &input->audit[i];

      g_free (a->time);
      g_free (a->user);
      g_free (a->action);
      g_free (a->target);
      g_free (a->change);
    }
  g_free (input->audit);
  g_free (input->backbone_name);
  g_free (input->backbone_sha256);
  g_free (input->training.started);
  g_free (input->training.losses);
  g_free (input);
}

DmReportClass *
dm_report_input_add_class (DmReportInput *input, const char *name, guint n_images)
{
  DmReportClass *klass;

  input->classes = g_renew (DmReportClass, input->classes, input->n_classes + 1);
  klass = &input->classes[input->n_classes++];
  memset (klass, 0, sizeof *klass);
  klass->name = g_strdup (name);
  klass->images = g_new0 (DmReportImage, MAX (n_images, 1));
  klass->n_images = n_images;
  klass->image_threshold = NAN;
  klass->threshold_quantile = NAN;
  klass->pixel_threshold = NAN;
  klass->uncertain_low = NAN;
  klass->uncertain_high = NAN;
  dm_metrics_mean (NULL, 0, &klass->metrics); /* all NaN until the caller sets them */
  return klass;
}

void
dm_report_input_add_audit (DmReportInput *input,
                           const char *time,
                           const char *user,
                           const char *action,
                           const char *target,
                           const char *change)
{
  DmReportAuditRecord *a;

  input->audit = g_renew (DmReportAuditRecord, input->audit, input->n_audit + 1);
  a = &input->audit[input->n_audit++];
  a->time = g_strdup (time);
  a->user = g_strdup (user);
  a->action = g_strdup (action);
  a->target = g_strdup (target);
  a->change = g_strdup (change);
}

gboolean
dm_report_input_set_model (DmReportInput *input,
                           const char *model_path,
                           const DmModelInfo *info,
                           GError **error)
{
  input->model_name = g_filename_display_basename (model_path);
  input->model_sha256 = dm_file_sha256 (model_path, error);
  input->backbone_name = g_strdup (info->backbone_name);
  input->backbone_sha256 = g_strdup (info->backbone_sha256);
  input->backbone_embedded = info->backbone_embedded;
  input->resize = info->resize;
  input->crop = info->crop;
  if (info->has_training)
    dm_report_input_set_training (input, &info->training);
  return input->model_sha256 != NULL;
}

void
dm_report_input_set_training (DmReportInput *input, const DmTrainingRecord *training)
{
  g_free (input->training.started);
  g_free (input->training.losses);
  input->training = *training;
  input->training.started = g_strdup (training->started);
  input->training.losses = training->n_losses > 0
                             ? g_memdup2 (training->losses, training->n_losses * sizeof (double))
                             : NULL;
  input->has_training = TRUE;
}

void
dm_report_input_update_mean (DmReportInput *input)
{
  g_autofree DmMetrics *all = g_new0 (DmMetrics, MAX (input->n_classes, 1));

  for (guint c = 0; c < input->n_classes; c++)
    all[c] = input->classes[c].metrics;
  dm_metrics_mean (all, input->n_classes, &input->mean);
}

/* ---- curves ------------------------------------------------------------------- */

typedef struct
{
  float score;
  guint8 label;
} Scored;

static int
by_score_descending (const void *a, const void *b)
{
  float x = ((const Scored *)a)->score, y = ((const Scored *)b)->score;

  return x < y ? 1 : x > y ? -1 : 0;
}

/* (n) scores and labels sorted by score, highest first; NULL when a score
 * is not finite. */
static Scored *
sorted_scores (const float *scores, const guint8 *labels, gsize n)
{
  Scored *s = g_new (Scored, MAX (n, 1));

  for (gsize i = 0; i < n; i++)
    {
      if (!isfinite (scores[i]))
        {
          g_free (s);
          return NULL;
        }
      s[i].score = scores[i];
      s[i].label = labels[i] != 0;
    }
  qsort (s, n, sizeof *s, by_score_descending);
  return s;
}

gboolean
dm_report_curve_compute (
  const float *scores, const guint8 *labels, gsize n, DmReportCurve *curve, GError **error)
{
  g_autofree Scored *s = NULL;
  guint64 tp = 0, fp = 0, pos = 0, neg = 0;
  guint k = 0;

  memset (curve, 0, sizeof *curve);
  s = sorted_scores (scores, labels, n);
  if (s == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_NUMERIC,
                   "report curves: a score is not a finite number");
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    pos += s[i].label, neg += !s[i].label;
  curve->n_positive = pos;
  curve->n_negative = neg;
  curve->threshold = g_new (double, n + 1);
  curve->fpr = g_new (double, n + 1);
  curve->tpr = g_new (double, n + 1);
  curve->precision = g_new (double, n + 1);
  curve->threshold[0] = INFINITY;
  curve->fpr[0] = 0.0;
  curve->tpr[0] = 0.0;
  curve->precision[0] = 1.0;
  k = 1;
  for (gsize i = 0; i < n;)
    {
      float v = s[i].score;

      /* tied scores move together, whatever their labels */
      for (; i < n && s[i].score == v; i++)
        tp += s[i].label, fp += !s[i].label;
      curve->threshold[k] = v;
      curve->fpr[k] = neg > 0 ? (double)fp / (double)neg : NAN;
      curve->tpr[k] = pos > 0 ? (double)tp / (double)pos : NAN;
      curve->precision[k] = (double)tp / (double)(tp + fp);
      k++;
    }
  curve->n_points = k;
  return TRUE;
}

void
dm_report_curve_clear (DmReportCurve *curve)
{
  g_free (curve->threshold);
  g_free (curve->fpr);
  g_free (curve->tpr);
  g_free (curve->precision);
  memset (curve, 0, sizeof *curve);
}

double
dm_report_f1_threshold (const float *scores, const guint8 *labels, gsize n)
{
  g_autofree guint8 *defect = g_new (guint8, MAX (n, 1));
  gsize n_defect = 0;

  for (gsize i = 0; i < n; i++)
    n_defect += defect[i] = labels[i] != 0;
  /* a cut needs both kinds of images to mean anything */
  if (n_defect == 0 || n_defect == n)
    return NAN;
  return dm_threshold_f1_optimal (scores, defect, n, NULL);
}

double
dm_report_normal_quantile (const float *scores, const guint8 *labels, gsize n, double q)
{
  g_autofree float *good = g_new (float, MAX (n, 1));
  gsize m = 0;

  for (gsize i = 0; i < n; i++)
    if (labels[i] == 0 && isfinite (scores[i]))
      good[m++] = scores[i];
  if (m == 0 || !(q >= 0.0 && q <= 1.0))
    return NAN;
  return dm_quantile (good, m, q);
}

/* ---- histogram, decisions, confusion -------------------------------------------- */

void
dm_report_histogram_compute (const DmReportClass *klass, DmReportHistogram *hist)
{
  double lo = INFINITY, hi = -INFINITY;
  const double marks[3]
    = { klass->image_threshold, klass->has_uncertain ? klass->uncertain_low : NAN,
        klass->has_uncertain ? klass->uncertain_high : NAN };

  memset (hist, 0, sizeof *hist);
  for (guint i = 0; i < klass->n_images; i++)
    if (isfinite (klass->images[i].score))
      {
        lo = MIN (lo, klass->images[i].score);
        hi = MAX (hi, klass->images[i].score);
      }
  for (int m = 0; m < 3; m++)
    if (isfinite (marks[m]))
      {
        lo = MIN (lo, marks[m]);
        hi = MAX (hi, marks[m]);
      }
  if (!isfinite (lo))
    lo = 0.0, hi = 1.0;
  if (hi - lo < 1e-9 * MAX (1.0, fabs (hi)))
    {
      double pad = 0.05 * MAX (fabs (hi), 1e-3);

      lo -= pad;
      hi += pad;
    }
  hist->lo = lo;
  hist->hi = hi;
  for (guint i = 0; i < klass->n_images; i++)
    {
      double v = klass->images[i].score;
      int b;

      if (!isfinite (v))
        continue;
      b = (int)floor ((v - lo) / (hi - lo) * DM_REPORT_HISTOGRAM_BINS);
      b = CLAMP (b, 0, DM_REPORT_HISTOGRAM_BINS - 1);
      if (klass->images[i].label)
        hist->defect[b]++;
      else
        hist->good[b]++;
    }
}

DmReportDecision
dm_report_decide (const DmReportClass *klass, float score)
{
  DmThresholds t;

  if (klass->threshold_source == DM_REPORT_THRESHOLD_NONE || isnan (klass->image_threshold))
    return DM_REPORT_DECISION_NONE;
  /* the one rule of the whole application (dm-thresholds.h) */
  dm_thresholds_init (&t);
  t.image = klass->image_threshold;
  if (klass->has_uncertain)
    {
      t.uncertain_low = klass->uncertain_low;
      t.uncertain_high = klass->uncertain_high;
    }
  switch (dm_decide (&t, score))
    {
    case DM_DECISION_FAIL: return DM_REPORT_DECISION_DEFECT;
    case DM_DECISION_UNCERTAIN: return DM_REPORT_DECISION_UNCERTAIN;
    case DM_DECISION_PASS:
    default: return DM_REPORT_DECISION_GOOD;
    }
}

DmReportDecision
dm_report_image_decision (const DmReportClass *klass, guint i)
{
  const DmVerdict *v = klass->images[i].verdict;

  if (v == NULL || klass->threshold_source == DM_REPORT_THRESHOLD_NONE
      || isnan (klass->image_threshold))
    return dm_report_decide (klass, klass->images[i].score);
  switch (v->decision)
    {
    case DM_DECISION_FAIL: return DM_REPORT_DECISION_DEFECT;
    case DM_DECISION_UNCERTAIN: return DM_REPORT_DECISION_UNCERTAIN;
    case DM_DECISION_PASS:
    default: return DM_REPORT_DECISION_GOOD;
    }
}

DmDecider *
dm_report_class_decider (
  DmReportClass *klass, const DmRules *rules, int resize, int crop, GError **error)
{
  DmThresholds t;

  dm_thresholds_init (&t);
  if (klass->threshold_source != DM_REPORT_THRESHOLD_NONE)
    t.image = klass->image_threshold;
  if (klass->has_uncertain)
    {
      t.uncertain_low = klass->uncertain_low;
      t.uncertain_high = klass->uncertain_high;
    }
  t.pixel = klass->pixel_threshold;
  g_clear_pointer (&klass->rules, dm_rules_free);
  if (!dm_rules_is_empty (rules))
    klass->rules = dm_rules_copy (rules);
  return dm_decider_new (&t, klass->rules, resize, crop, error);
}

void
dm_report_class_judge (
  DmReportClass *klass, const DmDecider *decider, guint i, const float *map, int width, int height)
{
  DmReportImage *im = &klass->images[i];

  if (im->verdict == NULL)
    im->verdict = g_new0 (DmVerdict, 1);
  dm_decider_run (decider, map, im->score, width, height, im->verdict, NULL);
  im->score = im->verdict->score;
}

const char *
dm_report_decision_name (DmReportDecision decision)
{
  switch (decision)
    {
    case DM_REPORT_DECISION_GOOD: return "good";
    case DM_REPORT_DECISION_UNCERTAIN: return "uncertain";
    case DM_REPORT_DECISION_DEFECT: return "defect";
    case DM_REPORT_DECISION_NONE:
    default: return "";
    }
}

void
dm_report_confusion_compute (const DmReportClass *klass, DmReportConfusion *confusion)
{
  memset (confusion, 0, sizeof *confusion);
  for (guint i = 0; i < klass->n_images; i++)
    confusion->counts[klass->images[i].label != 0][dm_report_image_decision (klass, i)]++;
}

/* ---- gallery ------------------------------------------------------------------------ */

static int
by_image_score_descending (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const DmReportClass *klass = user_data;
  float x = klass->images[*(const guint *)a].score;
  float y = klass->images[*(const guint *)b].score;

  if (x != y)
    return x < y ? 1 : -1;
  return *(const guint *)a < *(const guint *)b ? -1 : 1;
}

static gboolean
misclassified (const DmReportClass *klass, guint i)
{
  DmReportDecision d = dm_report_image_decision (klass, i);

  return (klass->images[i].label && d == DM_REPORT_DECISION_GOOD)
         || (!klass->images[i].label && d == DM_REPORT_DECISION_DEFECT);
}

GArray *
dm_report_gallery_select (const DmReportClass *klass,
                          guint max_top,
                          guint max_misclassified,
                          guint *n_top,
                          guint *n_misclassified_all)
{
  GArray *chosen = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree guint *order = g_new (guint, MAX (klass->n_images, 1));
  guint top = MIN (max_top, klass->n_images), n_miss = 0, shown = 0;

  for (guint i = 0; i < klass->n_images; i++)
    order[i] = i;
  g_qsort_with_data (order, (gint)klass->n_images, sizeof *order, by_image_score_descending,
                     (gpointer)klass);
  g_array_append_vals (chosen, order, top);
  for (guint k = 0; k < klass->n_images; k++)
    if (misclassified (klass, order[k]))
      {
        n_miss++;
        if (k >= top && shown < max_misclassified)
          {
            g_array_append_val (chosen, order[k]);
            shown++;
          }
      }
  if (n_top != NULL)
    *n_top = top;
  if (n_misclassified_all != NULL)
    *n_misclassified_all = n_miss;
  return chosen;
}
