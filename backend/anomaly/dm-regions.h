/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Defect regions: the 8-connected regions of the anomaly map above the
 * pixel threshold, measured on the original picture.
 *
 * How the map is placed on the picture: exactly as the heatmap overlay
 * draws it (dm-overlay.h). Each pixel of the original whose centre lies
 * inside the model's centre crop (dm_crop_geometry: crop x = (x + 0.5) /
 * (width / resize) - offset, the same for y, in [0, crop)) takes the map's
 * value at that point, bilinear between the 256 x 256 map's pixel centres
 * with the edges clamped (dm_overlay_sample_map). A pixel is a defect when
 * that value is at or above the pixel threshold and the pixel is inspected
 * (dm-roi.h); regions are the 8-connected sets of defect pixels. So what
 * the overlay shows above the threshold is what is measured, in pixels of
 * the original picture, whatever the map's resolution. */
#pragma once

#include <glib.h>

#include "dm-roi.h"

G_BEGIN_DECLS

typedef struct
{
  guint64 area_px;         /* pixels of the original picture */
  int x, y, width, height; /* bounding box, original pixels */
  float max_value;         /* the anomaly map over the region's pixels */
  float mean_value;
  double length_px; /* longest extent: the largest distance between two
                     * points of its pixels (their squares, corners included):
                     * a w x h rectangle measures sqrt (w^2 + h^2) */
  double area_mm2;  /* with a calibration, else NAN */
  double length_mm;
} DmRegion;

typedef struct
{
  int width, height;   /* the original picture */
  int resize, crop;    /* the model's preprocessing: the map covers this crop */
  double threshold;    /* the pixel threshold; NAN: no region */
  const DmRoi *roi;    /* the region of interest, or NULL (everything in the crop) */
  int ref_width;       /* the picture the ROI and the calibration refer to; */
  int ref_height;      /* 0 x 0: this picture itself */
  double mm_per_pixel; /* millimetres per pixel of the reference picture; NAN: none */
} DmRegionSettings;

/* Every region of the (256, 256) map, largest area first (ties: top, then
 * left). labels (may be NULL) receives (height, width) the region of each
 * pixel: its index in the result + 1, 0 for none. Memory grows with the
 * runs of defect pixels, not with the picture (labels aside). */
GArray *dm_regions_find (const float *map, const DmRegionSettings *settings, guint32 *labels);

/* Millimetres per pixel of a picture of width x height along x and y
 * (the reference's mm per pixel scaled by the sizes); NAN without one. */
void dm_regions_mm_per_pixel (const DmRegionSettings *settings, double *mm_x, double *mm_y);

G_END_DECLS
