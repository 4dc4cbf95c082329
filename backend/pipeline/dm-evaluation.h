/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Evaluation of a model on one class of a dataset, by the reference
 * protocol: every test image through the model, the blurred 256 x 256
 * anomaly maps and top-1% image scores, ground truth by the spec's mask
 * pipeline, and the seven metrics. Blocking; progress and cancel hooks for
 * the callers (the `dinomaly eval` command, a background job). */
#pragma once

#include <glib.h>

#include "dm-dataset.h"
#include "dm-decider.h"
#include "dm-dinomaly.h"
#include "dm-metrics.h"

G_BEGIN_DECLS

#define DM_EVAL_MAP_SIZE 256
/* The batch every evaluating path uses by default (`dinomaly eval` and
 * `report`, a project's scoring): oneDNN's blocking depends on the batch,
 * so maps differ in their last bits from one batch size to another, and
 * the same batch keeps the pixel metrics of all of them equal. */
#define DM_EVAL_BATCH 4

/* Called after each batch with the images done so far; from the calling thread. */
typedef void (*DmEvalProgressFunc) (guint done, guint total, gpointer user_data);

typedef struct
{
  guint class_index;
  guint n_images;      /* test images evaluated (those that decoded) */
  guint *sample_index; /* (n_images) into dataset->samples, in dataset order */
  float *scores;       /* (n_images) */
  guint8 *labels;      /* (n_images) 0 good, 1 defect */
  guint8 *has_truth;   /* (n_images) 1: good, or defect with a usable mask */
  float *maps;         /* (n_images, 256, 256) blurred anomaly maps */
  guint8 *masks;       /* (n_images, 256, 256) 0/1; all 0 without ground truth */
  guint n_truth;       /* images with has_truth */
  GPtrArray *failures; /* char *: "FILE: reason" of images or masks that failed
                        * to decode (an image is left out, a mask leaves its image
                        * without ground truth) */
  DmMetrics metrics;   /* image metrics over all n_images; pixel metrics and AUPRO
                        * over the n_truth images with ground truth */
  double seconds;      /* wall time of the run */
} DmEvalClass;

void dm_eval_class_free (DmEvalClass *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmEvalClass, dm_eval_class_free)

/* Runs `inference` (built for model, max_batch >= batch) over the test
 * samples of one class in dataset order, batch images at a time.
 * Each image goes through dm_preprocess_file at the model's resize/crop,
 * normalised with the model's mean/std; each mask of a defect image
 * through dm_preprocess_mask_file (resize, crop, nearest to 256); normal
 * images get all-zero masks. Metrics by dm_metrics_compute: one call over
 * everything when every image has ground truth, else image metrics over
 * all images and pixel metrics over those with ground truth (a defect
 * image without a mask has no pixels to count as defect or normal).
 * max_pixels: the decoders' ceiling (0: default). cancel (may be NULL) is
 * read between batches: non-zero stops with DM_ERROR_CANCELLED. NULL with a
 * GError when inference fails, memory runs out or the class has no test
 * image that decodes. */
DmEvalClass *dm_evaluate_class (DmInference *inference,
                                const DmDinomalyModel *model,
                                const DmDataset *dataset,
                                guint class_index,
                                int batch,
                                guint64 max_pixels,
                                DmEvalProgressFunc progress,
                                gpointer user_data,
                                const gint *cancel,
                                GError **error);

/* The same over the images of another split of the class (DM_SPLIT_HOLDOUT:
 * the held-out normals, all good, so the image metrics are NaN). */
DmEvalClass *dm_evaluate_class_split (DmInference *inference,
                                      const DmDinomalyModel *model,
                                      const DmDataset *dataset,
                                      guint class_index,
                                      DmSplit split,
                                      int batch,
                                      guint64 max_pixels,
                                      DmEvalProgressFunc progress,
                                      gpointer user_data,
                                      const gint *cancel,
                                      GError **error);

/* Image metrics over (scores, labels) of n images and pixel metrics over
 * the subset with has_truth (maps, masks of every image, (n, h, w)): what
 * dm_evaluate_class computes, for callers that change labels or masks. */
gboolean dm_eval_compute_metrics (const float *scores,
                                  const guint8 *labels,
                                  const guint8 *has_truth,
                                  gsize n,
                                  const float *maps,
                                  const guint8 *masks,
                                  int height,
                                  int width,
                                  DmMetrics *out,
                                  GError **error);

/* The same with a region of interest's inspected map pixels (inspected
 * (height, width), NULL: all; dm_metrics_compute_inspected). */
gboolean dm_eval_compute_metrics_inspected (const float *scores,
                                            const guint8 *labels,
                                            const guint8 *has_truth,
                                            gsize n,
                                            const float *maps,
                                            const guint8 *masks,
                                            int height,
                                            int width,
                                            const guint8 *inspected,
                                            DmMetrics *out,
                                            GError **error);

/* A class's region of interest applied to an evaluation: each image's
 * score becomes the score over the inspected map pixels and the metrics
 * are computed again over those pixels. Without an ROI nothing changes
 * (the model's scores and metrics, bit for bit). */
gboolean dm_eval_class_apply_rules (DmEvalClass *result, const DmDecider *decider, GError **error);

G_END_DECLS
