/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly eval`: what the command, its writers (JSON, CSV, the
 * evaluation folders of --save-maps) and `dinomaly report` share. */
#pragma once

#include <glib.h>

#include "dm-dataset.h"
#include "dm-dinomaly.h"
#include "dm-evaluation.h"
#include "dm-metrics.h"
#include "dm-model-file.h"
#include "dm-model-set.h"
#include "dm-report.h"

G_BEGIN_DECLS

/* One evaluated class, kept after its maps are freed. */
typedef struct
{
  char *name;
  DmMetrics metrics;
  guint n_images;
  guint n_defect;
  guint n_truth;   /* with ground truth: good, or defect with a mask */
  guint n_samples; /* multi-view datasets (Real-IAD): the parts photographed, else 0 */
  char *views;     /* ... and their cameras, "C1,C2,..." (sorted), else NULL */
  gboolean has_threshold;
  double threshold; /* the model's image threshold: score > threshold is a defect */
  DmDecider *decider; /* the class's thresholds and inspection rules (owned) */
  double seconds;
} DmCliEvalRecord;

void dm_cli_eval_record_clear (DmCliEvalRecord *record);
/* n_samples and views of a record from its images' names. */
void dm_cli_eval_record_count_views (DmCliEvalRecord *record,
                                     const DmDataset *dataset,
                                     const DmEvalClass *result);

/* Called after each class is evaluated, while its maps are alive; FALSE
 * with error stops the run. record may be changed before it is kept. */
typedef gboolean (*DmCliEvalClassFunc) (const DmDataset *dataset,
                                        const DmEvalClass *result,
                                        DmCliEvalRecord *record,
                                        gpointer user_data,
                                        GError **error);

/* One evaluation run as `dinomaly eval` does it: the dataset (its problems
 * listed on stderr), the chosen classes, the model (a unified model file,
 * or a folder of one model per class: each class is evaluated with its
 * own, a class without one is skipped with a note), then class by class
 * dm_evaluate_class with progress on a terminal. */
typedef struct
{
  /* in */
  const char *command; /* "eval", "report": the prefix of every message */
  const char *model_path;
  const char *backbone_path;
  const char *data_path;
  const char *classes; /* "A,B" or NULL: every class with test images */
  int batch;
  int threads;
  gboolean in_json; /* the problems beyond the first 20 go to a JSON file */
  /* out, owned (dm_cli_eval_run_clear) */
  DmDataset *dataset;
  DmModelSet *models; /* model_path read: one model, or one per class */
  DmModelInfo *info;  /* of the model loaded last (the class evaluated last) */
  DmDinomalyModel *model;
  char *model_loaded;  /* its file */
  GArray *records;     /* DmCliEvalRecord, one per evaluated class */
  GPtrArray *failures; /* char *: images or masks that failed to decode */
  DmMetrics mean;      /* over records */
  guint n_images;
  gint64 t_start; /* g_get_monotonic_time at the start */
  gint64 t_model; /* ... once the model was loaded */
} DmCliEvalRun;

/* Runs it, calling per_class (may be NULL) for each class. Prints what
 * went wrong and returns DM_CLI_OK, DM_CLI_FAILED or DM_CLI_USAGE. */
int dm_cli_eval_run (DmCliEvalRun *run, DmCliEvalClassFunc per_class, gpointer user_data);
void dm_cli_eval_run_clear (DmCliEvalRun *run);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DmCliEvalRun, dm_cli_eval_run_clear)

/* The model's thresholds for a class, or NULL. */
const DmClassThreshold *dm_cli_eval_find_threshold (const DmModelInfo *info, const char *name);

/* The size of a sample's picture: from the dataset's header check, else
 * its header read now (0 x 0 when it cannot be read). */
void dm_cli_eval_sample_size (const DmSample *sample, int *width, int *height);

/* The paper's table of the evaluated classes (dm_report_paper_table). */
char *dm_cli_eval_paper_table (const DmCliEvalRecord *records,
                               guint n,
                               const DmMetrics *mean,
                               DmPaperTableFormat format);

/* Rows `class,path,label,score,decision,rule,regions,largest_area_px,
 * largest_area_mm2,largest_length_px,largest_length_mm,sample,view` of one
 * class (RFC 4180 quoting), each image judged by the record's decider
 * (decision "good", "uncertain" or "defect", empty without a threshold);
 * sample and view are those of a multi-view image (Real-IAD's "S0011",
 * "C3": dm_dataset_sample_view), else empty. */
void dm_cli_eval_append_csv (GString *csv,
                             const DmDataset *dataset,
                             const DmEvalClass *result,
                             const DmCliEvalRecord *record);

/* DIR/<class>/scores.csv, maps/<name>_map.tiff, masks/<name>_mask.png
 * (dm-metrics-dir.h's layout): `dinomaly metrics DIR/<class>` gives the
 * same numbers whenever every defect image has a mask. */
gboolean dm_cli_eval_save_maps (const char *dir,
                                const DmDataset *dataset,
                                const DmEvalClass *result,
                                GError **error);

/* The report: {"model", "data", "classes": {name: {seven metrics, counts,
 * "notes"; for a multi-view class "n_samples" and "views"}}, "mean": {...},
 * "problems": [...], "failures": [...]}. */
gboolean dm_cli_eval_write_json (const char *path,
                                 const char *model_path,
                                 const char *data_path,
                                 const DmCliEvalRecord *records,
                                 guint n_records,
                                 const DmMetrics *mean,
                                 const DmDataset *dataset,
                                 GPtrArray *failures,
                                 GError **error);

G_END_DECLS
