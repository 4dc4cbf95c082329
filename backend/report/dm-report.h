/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Inspection reports: a plain in-memory description of an evaluation
 * (DmReportInput) and the writers that turn it into a PDF (Cairo + Pango),
 * a CSV of image decisions and a JSON file of every figure. The input is
 * filled by whoever has the results (`dinomaly report` from a fresh
 * evaluation, the window from a project's stored results); the writers
 * compute nothing the caller could disagree with but the curves,
 * histograms and confusion matrices, from the scores given. */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "dm-decider.h"
#include "dm-metrics.h"
#include "dm-model-file.h"

G_BEGIN_DECLS

#define DM_REPORT_SCHEMA_VERSION 1
#define DM_REPORT_MAP_SIZE 256

typedef enum
{
  DM_REPORT_PAPER_A4,     /* 210 x 297 mm */
  DM_REPORT_PAPER_LETTER, /* 8.5 x 11 in */
} DmReportPaper;

/* How a class's image threshold was chosen; the report says it in words. */
typedef enum
{
  DM_REPORT_THRESHOLD_NONE,             /* no threshold: no decisions, no confusion matrix */
  DM_REPORT_THRESHOLD_MODEL,            /* stored in the model file */
  DM_REPORT_THRESHOLD_F1_OPTIMAL,       /* F1-optimal on the test labels (dm_report_f1_threshold) */
  DM_REPORT_THRESHOLD_QUANTILE,         /* a quantile of the normal test images' scores */
  DM_REPORT_THRESHOLD_USER,             /* set by the user (the window's slider, a project) */
  DM_REPORT_THRESHOLD_HOLDOUT_QUANTILE, /* a quantile of the held-out normal training images'
                                         * scores (a project's proposal) */
} DmReportThresholdSource;

/* One test image. */
typedef struct
{
  char *path;         /* the image file (file-name encoding): shown, and read for galleries */
  char *defect_type;  /* "good" or the defect type (the test folder's name) */
  guint8 label;       /* 0 good, 1 defect */
  float score;        /* image score */
  float *map;         /* (256, 256) anomaly map over the model's crop, or NULL;
                       * only gallery images need one (dm_report_gallery_select) */
  DmVerdict *verdict; /* the whole decision (regions, the rule that fired) from
                       * dm_report_class_judge, or NULL: decided by the score */
} DmReportImage;

typedef struct
{
  char *name;
  /* the data's counts (dataset split), as listed on the title page */
  guint n_train;
  guint n_holdout;
  guint n_test_good;
  guint n_test_defect;
  guint n_masks;

  DmReportImage *images; /* (n_images), any order */
  guint n_images;
  DmMetrics metrics; /* the seven metrics of the class, as evaluated */

  /* score >= image_threshold: defect. With has_uncertain, scores in
   * [uncertain_low, uncertain_high) are "uncertain", below good, above
   * defect (dm_decide in dm-thresholds.h: one rule everywhere). */
  DmReportThresholdSource threshold_source;
  double image_threshold;
  double threshold_quantile; /* for the two _QUANTILE sources: the quantile */
  gboolean has_uncertain;
  double uncertain_low;
  double uncertain_high;
  double pixel_threshold; /* the heatmaps' scale (dm-overlay.h); NaN: none */
  DmRules *rules;         /* the class's inspection rules (owned), or NULL */
} DmReportClass;

/* One record of a project's audit trail, as the appendix lists it. */
typedef struct
{
  char *time;   /* as shown (local time) */
  char *user;   /* the account */
  char *action; /* what, in words */
  char *target; /* to what */
  char *change; /* "before -> after", or NULL */
} DmReportAuditRecord;

typedef struct
{
  char *title;        /* the report's title (e.g. the project's name); NULL: a default */
  char *project_name; /* may be NULL */
  char *data_path;    /* the dataset, as shown (UTF-8); may be NULL */
  GDateTime *date;    /* when the evaluation ran; NULL: when the report is written */

  char *model_name;    /* the model file's name (UTF-8); may be NULL */
  char *model_version; /* the project's model version ("2"), or NULL */
  char *model_sha256;  /* 64 hex digits of the model file, or NULL */
  char *backbone_name;
  char *backbone_sha256;
  gboolean backbone_embedded;
  int resize; /* the model's input: needed to lay maps over the original images */
  int crop;
  gboolean has_training;
  DmTrainingRecord training; /* owned: started and losses are freed with the input */

  DmReportClass *classes; /* (n_classes) */
  guint n_classes;
  DmMetrics mean; /* dm_metrics_mean over the classes */

  /* the project's audit trail, oldest first: an appendix of the PDF and
   * the JSON's "audit" (none: no appendix) */
  DmReportAuditRecord *audit;
  guint n_audit;

  /* what the PDF leaves out (the user's choice; all FALSE by default) */
  gboolean omit_plots;   /* ROC, PR, histogram and confusion matrix per class */
  gboolean omit_gallery; /* the heatmap galleries */
} DmReportInput;

/* An empty input (resize 448, crop 392, no class). */
DmReportInput *dm_report_input_new (void);
void dm_report_input_free (DmReportInput *input);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmReportInput, dm_report_input_free)

/* Appends a class named name with n_images zeroed images (paths and types
 * NULL, image_threshold NaN, pixel_threshold NaN) and returns it. The
 * pointer moves with the next call. */
DmReportClass *dm_report_input_add_class (DmReportInput *input, const char *name, guint n_images);
/* Appends an audit record (copied). */
void dm_report_input_add_audit (DmReportInput *input,
                                const char *time,
                                const char *user,
                                const char *action,
                                const char *target,
                                const char *change);
/* A deep copy of training into input->training; has_training set. */
void dm_report_input_set_training (DmReportInput *input, const DmTrainingRecord *training);
/* The model's part of the title page from its file and metadata: name,
 * checksum (NULL with a GError when the file cannot be read; the rest is
 * filled anyway), backbone, input size, training record. */
gboolean dm_report_input_set_model (DmReportInput *input,
                                    const char *model_path,
                                    const DmModelInfo *info,
                                    GError **error);
/* input->mean from the classes' metrics (dm_metrics_mean). */
void dm_report_input_update_mean (DmReportInput *input);

/* ---- figures the writers share (so the PDF, JSON and CSV agree) ---- */

/* The ROC and precision-recall curves of scores against labels: one point
 * per distinct score, highest first, as dm_roc_compute walks them, after a
 * leading (fpr 0, tpr 0) point for ROC. threshold[i]: images with
 * score >= threshold[i] count as defects at point i (point 0: +inf). */
typedef struct
{
  guint n_points;
  double *threshold; /* (n_points) */
  double *fpr;       /* (n_points) */
  double *tpr;       /* (n_points) = recall */
  double *precision; /* (n_points); 1 at point 0 */
  guint64 n_positive;
  guint64 n_negative;
} DmReportCurve;

/* FALSE (curve empty) when a score is not finite. */
gboolean dm_report_curve_compute (
  const float *scores, const guint8 *labels, gsize n, DmReportCurve *curve, GError **error);
void dm_report_curve_clear (DmReportCurve *curve);

/* The image threshold with the best F1 on these labels, for the rule
 * score >= threshold (dm_threshold_f1_optimal). NaN without both labels. */
double dm_report_f1_threshold (const float *scores, const guint8 *labels, gsize n);

/* The q-quantile (0..1, linear interpolation as numpy's default) of the
 * scores of the normal images; NaN when there is none. */
double dm_report_normal_quantile (const float *scores, const guint8 *labels, gsize n, double q);

#define DM_REPORT_HISTOGRAM_BINS 30

/* Score histogram of normal and defect images over DM_REPORT_HISTOGRAM_BINS
 * equal bins from lo to hi (the scores' range, widened to hold the
 * thresholds); a bin holds [edge_i, edge_i+1), the last one its top too. */
typedef struct
{
  double lo, hi;
  guint good[DM_REPORT_HISTOGRAM_BINS];
  guint defect[DM_REPORT_HISTOGRAM_BINS];
} DmReportHistogram;

void dm_report_histogram_compute (const DmReportClass *klass, DmReportHistogram *hist);

typedef enum
{
  DM_REPORT_DECISION_NONE, /* no threshold */
  DM_REPORT_DECISION_GOOD,
  DM_REPORT_DECISION_UNCERTAIN,
  DM_REPORT_DECISION_DEFECT,
} DmReportDecision;

DmReportDecision dm_report_decide (const DmReportClass *klass, float score);
/* The decision of image i: its verdict's when it has one (regions and
 * rules included), else dm_report_decide on its score. */
DmReportDecision dm_report_image_decision (const DmReportClass *klass, guint i);

/* The class's thresholds (the image threshold as chosen, the band, the
 * pixel threshold) and rules (copied into klass->rules; may be NULL) as one
 * decider for maps of a model with this resize and crop. */
DmDecider *dm_report_class_decider (
  DmReportClass *klass, const DmRules *rules, int resize, int crop, GError **error);
/* Image i judged by decider on its map (256, 256) and its picture's size:
 * its verdict is kept and its score becomes the verdict's (the score over
 * a region of interest). Call it for every image or none. */
void dm_report_class_judge (
  DmReportClass *klass, const DmDecider *decider, guint i, const float *map, int width, int height);
/* "good", "uncertain", "defect", or "" for none: the CSV and JSON words. */
const char *dm_report_decision_name (DmReportDecision decision);

/* Counts at the class's threshold: [label][decision] with label 0 good,
 * 1 defect and decision DM_REPORT_DECISION_GOOD/UNCERTAIN/DEFECT. */
typedef struct
{
  guint counts[2][4];
} DmReportConfusion;

void dm_report_confusion_compute (const DmReportClass *klass, DmReportConfusion *confusion);

/* The gallery of a class: the indices (into klass->images) of the
 * max_top highest scores, then of the misclassified images (a defect
 * decided good or a good one decided defect, highest score first) not
 * already shown, at most max_misclassified of them. *n_misclassified_all
 * receives how many misclassified images there are in all. */
GArray *dm_report_gallery_select (const DmReportClass *klass,
                                  guint max_top,
                                  guint max_misclassified,
                                  guint *n_top,
                                  guint *n_misclassified_all);

/* The gallery limits of the PDF (keep a 15-class report under 20 MB). */
#define DM_REPORT_GALLERY_TOP 8
#define DM_REPORT_GALLERY_MISCLASSIFIED 40

/* ---- writers ---- */

/* The PDF: title page (model, backbone, training, data), the protocol in
 * words, the metrics table, per class ROC, PR, histogram and confusion
 * matrix, and the gallery with heatmap overlays. Numbers in the locale's
 * format, texts through gettext. Written to a temporary file, then renamed. */
gboolean dm_report_write_pdf (const DmReportInput *input,
                              DmReportPaper paper,
                              const char *path,
                              GError **error);

/* Draws the PDF's first page (the title page) on cr, in points of the
 * paper's size (scale cr for a preview of another size). */
void dm_report_render_title_page (const DmReportInput *input, DmReportPaper paper, cairo_t *cr);

/* class,path,label,score,decision,threshold,rule,regions,largest_area_px,
 * largest_area_mm2,largest_length_px,largest_length_mm,sample,view: one row
 * per image (numbers with a dot whatever the locale; RFC 4180 quoting; the
 * verdict's columns empty for images without one); sample and
 * view are those of a multi-view image (Real-IAD: "S0011", "C3", from
 * dm_dataset_sample_view), else empty. */
char *dm_report_csv (const DmReportInput *input);
gboolean dm_report_write_csv (const DmReportInput *input, const char *path, GError **error);

/* Every figure of the PDF: {"schema_version", "title", "date", "model",
 * "backbone", "training", "protocol", "classes": {name: {the seven
 * metrics, counts, thresholds, confusion, roc, pr, histogram, gallery}},
 * "mean": {the seven metrics, "n_classes"}}. NaN is null, with the reason
 * under "notes" as `dinomaly eval --json` has it. */
char *dm_report_json (const DmReportInput *input);
gboolean dm_report_write_json (const DmReportInput *input, const char *path, GError **error);

/* "SAMPLE,VIEW" of the image at path for a CSV row, or "," when it is no
 * multi-view image (the eval's CSV has the same two columns). */
void dm_report_append_sample_view (GString *csv, const char *path);

/* ---- the paper's table ---- */

typedef enum
{
  DM_PAPER_TABLE_TEXT,     /* "paper": aligned columns */
  DM_PAPER_TABLE_CSV,      /* "paper-csv" */
  DM_PAPER_TABLE_MARKDOWN, /* "paper-markdown" */
} DmPaperTableFormat;

/* "paper", "paper-csv", "paper-markdown"; FALSE for another name. */
gboolean dm_report_paper_format_from_name (const char *name, DmPaperTableFormat *format);

/* One row per class (names[i], metrics[i]) and a last row "Mean": the
 * seven metrics in the paper's order (I-AUROC, I-AP, I-F1max, P-AUROC,
 * P-AP, P-F1max, AUPRO) as percentages with one decimal and a dot
 * ("99.6"); a metric that is NaN is "-" (empty in CSV). */
char *dm_report_paper_table (const char *const *names,
                             const DmMetrics *metrics,
                             guint n,
                             const DmMetrics *mean,
                             DmPaperTableFormat format);
/* The same for a report's classes and mean. */
char *dm_report_input_paper_table (const DmReportInput *input, DmPaperTableFormat format);

G_END_DECLS
