/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly eval`: what the command and its writers (JSON, CSV, the
 * evaluation folders of --save-maps) share. */
#pragma once

#include <glib.h>

#include "dm-dataset.h"
#include "dm-evaluation.h"
#include "dm-metrics.h"

G_BEGIN_DECLS

/* One evaluated class, kept after its maps are freed. */
typedef struct
{
  char *name;
  DmMetrics metrics;
  guint n_images;
  guint n_defect;
  guint n_truth; /* with ground truth: good, or defect with a mask */
  gboolean has_threshold;
  double threshold; /* the model's image threshold: score > threshold is a defect */
  double seconds;
} DmCliEvalRecord;

void dm_cli_eval_record_clear (DmCliEvalRecord *record);

/* Rows `class,path,label,score,decision` of one class (RFC 4180 quoting). */
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
 * "notes"}}, "mean": {...}, "problems": [...], "failures": [...]}. */
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
