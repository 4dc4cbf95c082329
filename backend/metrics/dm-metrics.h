/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The seven benchmark metrics of one class (image AUROC/AP/F1-max, pixel
 * AUROC/AP/F1-max, AUPRO) and their unweighted mean over classes. */
#pragma once

#include <glib.h>

#include "dm-aupro.h"
#include "dm-json-writer.h"
#include "dm-roc.h"

G_BEGIN_DECLS

typedef enum
{
  DM_METRIC_IMAGE_AUROC,
  DM_METRIC_IMAGE_AP,
  DM_METRIC_IMAGE_F1MAX,
  DM_METRIC_PIXEL_AUROC,
  DM_METRIC_PIXEL_AP,
  DM_METRIC_PIXEL_F1MAX,
  DM_METRIC_AUPRO,
  DM_METRIC_COUNT
} DmMetricId;

typedef struct
{
  double image_auroc;
  double image_ap;
  double image_f1max;
  double pixel_auroc;
  double pixel_ap;
  double pixel_f1max;
  double aupro;
  /* why each is NaN (DM_METRIC_OK when it is a number), by DmMetricId */
  DmMetricStatus status[DM_METRIC_COUNT];
  /* what the numbers were made of */
  guint64 n_images;
  guint64 n_anomalous;     /* images with label 1 */
  guint64 n_defect_pixels; /* mask pixels != 0 */
  guint64 n_pixels;        /* all pixels of all maps */
  guint64 aupro_regions;   /* 8-connected defect regions */
  int aupro_thresholds;    /* 200 or 201, 0 for constant maps */
} DmMetrics;

/* "image_auroc", ..., "aupro": the names of the JSON report. */
const char *dm_metric_name (DmMetricId id);
double dm_metrics_get (const DmMetrics *metrics, DmMetricId id);

/* The seven metrics of one class.
 * image_scores, image_labels: (n_images), label 0 = normal, else anomalous.
 * maps: (n_images, height, width) float32 anomaly maps; masks: the same
 * shape, 0 = good, else defect (normal images have all-zero masks).
 * Image metrics: dm_roc_compute over the scores; pixel metrics:
 * dm_roc_compute over every pixel of every map; AUPRO: dm_aupro_compute
 * with 8-connectivity. NaN rules are those of the two (see dm-roc.h and
 * dm-aupro.h): e.g. a class without anomalous images has NaN image metrics
 * (DM_METRIC_NO_POSITIVES); without defect pixels NaN pixel metrics and
 * AUPRO; a constant map leaves pixel AUROC (0.5), AP and F1-max defined
 * (sklearn does) and makes AUPRO NaN (DM_METRIC_CONSTANT_MAP). maps and
 * masks may be NULL when n_images is 0 or height * width is 0 (then the
 * pixel metrics are DM_METRIC_EMPTY). FALSE with a GError only for bad
 * arguments or an allocation failure. */
gboolean dm_metrics_compute (const float *image_scores,
                             const guint8 *image_labels,
                             gsize n_images,
                             const float *maps,
                             const guint8 *masks,
                             int height,
                             int width,
                             DmMetrics *out,
                             GError **error);

/* The same with a region of interest: the pixel metrics and AUPRO count
 * only the pixels that inspected ((height, width), shared by every map)
 * keeps (dm_aupro_compute_inspected); NULL: every pixel. The image scores
 * are taken as given (with an ROI they are dm_roi_score's). */
gboolean dm_metrics_compute_inspected (const float *image_scores,
                                       const guint8 *image_labels,
                                       gsize n_images,
                                       const float *maps,
                                       const guint8 *masks,
                                       int height,
                                       int width,
                                       const guint8 *inspected,
                                       DmMetrics *out,
                                       GError **error);

/* Unweighted mean over n_classes (as the paper's tables): each metric is the
 * plain mean of the classes' values; a class with NaN makes that mean NaN
 * with DM_METRIC_UNDEFINED_CLASS (numpy's mean would propagate it too; the
 * official code would have stopped on that class). n_classes == 0 gives NaN
 * with DM_METRIC_EMPTY. Counts are summed; the diagnostics are zero. */
void dm_metrics_mean (const DmMetrics *classes, gsize n_classes, DmMetrics *out);

/* The seven metrics as members of the JSON object being written (NaN as
 * null) and, when some are NaN, "notes": {name: why}
 * (dm_metric_status_message). */
void dm_metrics_write_json (DmJsonWriter *writer, const DmMetrics *metrics);

G_END_DECLS
