/* SPDX-License-Identifier: GPL-3.0-or-later */
/* AUPRO at FPR 0.3: the per-region overlap metric of the official
 * compute_pro (numpy 1.24, skimage 0.19, sklearn 1.2), label once, sweep
 * every threshold from one pass over the pixels. */
#pragma once

#include <glib.h>

#include "dm-roc.h"

G_BEGIN_DECLS

/* numpy.arange(min, max, (max - min) / 200) has 200 or 201 elements. */
#define DM_AUPRO_MAX_THRESHOLDS 201

/* The thresholds of compute_pro, as numpy 1.24 computes them from float32
 * map values: D = (float)(max - min) (float32 subtraction), step =
 * (double)D / 200, n = ceil((double)D / step) (200 or 201), t_0 = min,
 * t_1 = min + step, t_i = t_0 + i * (t_1 - t_0) (all double; numpy's
 * arange fill), then (float)t_i since `map > t` compares in float32.
 * Writes n values to t (DM_AUPRO_MAX_THRESHOLDS room) and returns n, or 0
 * when there is none (max <= min, or a range that overflows). */
int dm_aupro_thresholds (float min, float max, float *t);

typedef struct
{
  double aupro;          /* normalised area under PRO(FPR) for FPR < 0.3, or NaN */
  DmMetricStatus status; /* DM_METRIC_OK or why aupro is NaN */
  int n_thresholds;      /* 200 or 201; 0 when the maps are constant */
  int n_kept;            /* thresholds with FPR < 0.3 */
  guint64 n_regions;     /* connected defect regions over all masks */
  guint64 n_negative;    /* defect-free pixels */
  /* the curve, per threshold in increasing order (first n_thresholds) */
  float threshold[DM_AUPRO_MAX_THRESHOLDS];
  double pro[DM_AUPRO_MAX_THRESHOLDS]; /* mean overlap over all regions */
  double fpr[DM_AUPRO_MAX_THRESHOLDS]; /* false positive rate, not normalised */
} DmAuproResult;

/* AUPRO of one class. maps: (n_images, height, width) float32; masks: the
 * same shape, 0 = good, anything else = defect.
 *
 * At each threshold t of dm_aupro_thresholds, a pixel is predicted
 * defective iff map > t. Regions are the connected components of each
 * image's mask (connectivity 8 as skimage.measure.label's default in 2-D,
 * or 4 for comparison), labelled once. PRO(t) = mean over every region of
 * every image of (predicted pixels in the region / its area); FPR(t) =
 * predicted defect-free pixels / all defect-free pixels of the class. The
 * thresholds with FPR < 0.3 (strict) are kept, their FPRs divided by the
 * largest of them, and AUPRO = sklearn.metrics.auc(fpr, pro) of those points
 * in threshold order (trapezoids; FPR falls, so auc's direction is -1).
 *
 * Each pixel gets the index of the first threshold it does not exceed
 * (threshold search on a guess from the step); per-region and defect-free
 * histograms of that index give every count at every threshold by suffix
 * sums. The official code divides by inverse_masks.sum() in float32, exact
 * below 2^24 defect-free pixels (here: exact integer counts always).
 *
 * NaN with a status, as the official code raises or returns NaN:
 * - n_images == 0: DM_METRIC_EMPTY;
 * - a NaN or infinite map value: DM_METRIC_NON_FINITE;
 * - min == max over all maps: DM_METRIC_CONSTANT_MAP (numpy.arange raises);
 * - all masks zero: DM_METRIC_NO_REGIONS (statistics.mean([]) raises);
 * - every pixel a defect: DM_METRIC_NO_NEGATIVES (FPR is 0/0);
 * - fewer than 2 kept thresholds: DM_METRIC_TOO_FEW_POINTS (auc raises);
 * - the largest kept FPR is 0: DM_METRIC_ZERO_FPR (0/0, auc gives NaN).
 *
 * FALSE with a GError only for bad arguments (size <= 0, connectivity not
 * 4 or 8) or when the per-image scratch (about 13 bytes per pixel of one
 * image) cannot be allocated. */
gboolean dm_aupro_compute (const float *maps,
                           const guint8 *masks,
                           gsize n_images,
                           int height,
                           int width,
                           int connectivity,
                           DmAuproResult *out,
                           GError **error);

/* The same over the pixels that inspected ((height, width), 1 inspected,
 * shared by every image: a region of interest) keeps: the others take no
 * part in the range, the regions (a defect cut by the mask is what is left
 * of it) or the defect-free pixels. NULL: every pixel (dm_aupro_compute). */
gboolean dm_aupro_compute_inspected (const float *maps,
                                     const guint8 *masks,
                                     gsize n_images,
                                     int height,
                                     int width,
                                     int connectivity,
                                     const guint8 *inspected,
                                     DmAuproResult *out,
                                     GError **error);

G_END_DECLS
