/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Heatmap overlays: an anomaly map drawn over the ORIGINAL image exactly
 * where the model looked (the resize and center crop undone), the rest of
 * the image dimmed and hatched as "not inspected". Colours come from a
 * perceptual colour map on a scale anchored on the model's pixel threshold,
 * never on the image's own min and max, so a good part looks calm. */
#pragma once

#include <glib.h>

#include "dm-colormap.h"
#include "dm-image.h"
#include "dm-preprocess.h"

G_BEGIN_DECLS

/* Without a pixel threshold the scale runs from 0 to this map value (its
 * middle, 0.25 in 1 - cos, stands in for a threshold): the range of a
 * trained Dinomaly's maps, where good parts stay well below 0.1. */
#define DM_OVERLAY_DEFAULT_TOP 0.5f

typedef struct
{
  DmColormap colormap;
  float low;         /* map value at the bottom of the scale: fully transparent */
  float high;        /* map value at the top of the scale */
  float max_alpha;   /* opacity from the middle of the scale up (0.65) */
  float outside_dim; /* brightness kept outside the crop (0.4) */
} DmOverlayStyle;

/* The scale: 0 -> bottom (transparent), pixel_threshold -> the middle,
 * 2 x pixel_threshold -> the top. A threshold that is not a positive
 * finite number gives the fixed scale 0 .. DM_OVERLAY_DEFAULT_TOP. */
void dm_overlay_style_init (DmOverlayStyle *style, double pixel_threshold);

/* Where a map value lies on the scale, clamped to [0, 1] (NaN -> 0). */
float dm_overlay_scale_position (const DmOverlayStyle *style, float value);
/* The heatmap's opacity at scale position t: 0 at the bottom, rising
 * quadratically to max_alpha at the middle (the threshold), then flat, so
 * values far below the threshold barely tint the picture. */
float dm_overlay_alpha (const DmOverlayStyle *style, float t);

/* The value of a map_size x map_size map (covering the crop, pixel
 * centres at (i + 0.5) * crop / map_size) at crop coordinates (x, y),
 * bilinear with the edges clamped. */
float dm_overlay_sample_map (const float *map, int map_size, int crop, double x, double y);

/* The map's value at pixel (x, y) of the original: the pixel's centre
 * placed in the crop that geom describes, then dm_overlay_sample_map.
 * FALSE (value untouched) for a pixel outside the crop. What the overlay
 * colours there, and libdinomaly's map at the picture's size. */
gboolean dm_overlay_map_at_pixel (
  const float *map, int map_size, const DmCropGeometry *geom, int x, int y, float *value);

/* An 8-bit RGB image of the original's size: inside the crop the original
 * (as 8-bit RGB: gray replicated, 16-bit / 257, float clamped to 0..255,
 * alpha dropped) blended with the colour of the map at each pixel; outside
 * it dimmed and hatched. map (map_size, map_size) covers the crop that
 * geom describes (geom from the original's width and height). */
DmImage *dm_overlay_compose (const DmImage *image,
                             const float *map,
                             int map_size,
                             const DmCropGeometry *geom,
                             const DmOverlayStyle *style,
                             GError **error);
/* The same with the pixels a region of interest leaves out (inspected
 * (height, width) 0, see dm_roi_rasterize) dimmed and hatched like those
 * outside the crop. inspected NULL: everything in the crop is inspected. */
DmImage *dm_overlay_compose_masked (const DmImage *image,
                                    const float *map,
                                    int map_size,
                                    const DmCropGeometry *geom,
                                    const DmOverlayStyle *style,
                                    const guint8 *inspected,
                                    GError **error);

G_END_DECLS
