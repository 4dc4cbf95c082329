/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Regions of interest: the part of a class's pictures that is inspected,
 * drawn as shapes (rectangles, polygons, brush strokes) on a reference
 * picture, and what it does to the anomaly map's score.
 *
 * Two layers, each painted in order from nothing: the inspection area
 * (shapes with layer DM_ROI_INSPECT) and the ignore area (DM_ROI_IGNORE).
 * A shape adds its pixels to its layer, or with erase removes them (the
 * window's eraser, a hole cut in an area). A point is inspected when it
 * lies in the inspection area (the whole picture when no shape is on that
 * layer) and not in the ignore area.
 *
 * Shapes are in the pixel coordinates of the reference picture (width x
 * height; pixel i covers [i, i + 1), as in dm-preprocess.h). A picture of
 * another size gets them scaled in proportion, so the region is the same
 * part of the picture whatever its resolution. A pixel is inside when its
 * centre is: a rectangle holds the centres with x0 <= x < x1 and
 * y0 <= y < y1, a polygon those inside by the even-odd rule (an edge holds
 * the centres on its left-closed half), a stroke those within radius of
 * its polyline (a disc for a single point). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Limits of what a reader accepts (dm-rules.h parses untrusted JSON). */
#define DM_ROI_MAX_SHAPES 4096
#define DM_ROI_MAX_POINTS 65536        /* per shape */
#define DM_ROI_MAX_TOTAL_POINTS 262144 /* all shapes together */
#define DM_ROI_MAX_COORDINATE 1e6      /* |x|, |y|, radius */

typedef enum
{
  DM_ROI_RECTANGLE, /* two corners */
  DM_ROI_POLYGON,   /* three or more vertices, closed */
  DM_ROI_STROKE,    /* a brush: one or more points and a radius */
} DmRoiShapeKind;

typedef enum
{
  DM_ROI_INSPECT,
  DM_ROI_IGNORE,
} DmRoiLayer;

typedef struct
{
  DmRoiShapeKind kind;
  DmRoiLayer layer;
  gboolean erase; /* removes from its layer instead of adding */
  double radius;  /* strokes: half the brush's width, reference pixels */
  guint n_points;
  double *points;      /* (n_points, 2): x, y */
  double y_min, y_max; /* the rows it can touch (set by dm_roi_add) */
} DmRoiShape;

typedef struct
{
  GArray *shapes; /* DmRoiShape, in painting order */
} DmRoi;

/* An interval [x0, x1) of a row. */
typedef struct
{
  double x0, x1;
} DmSpan;

DmRoi *dm_roi_new (void);
DmRoi *dm_roi_copy (const DmRoi *roi);
void dm_roi_free (DmRoi *roi);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmRoi, dm_roi_free)

/* Appends a shape (points copied). */
void dm_roi_add (DmRoi *roi,
                 DmRoiShapeKind kind,
                 DmRoiLayer layer,
                 gboolean erase,
                 double radius,
                 const double *points,
                 guint n_points);
/* Removes the last shape (undo); FALSE when there is none. */
gboolean dm_roi_remove_last (DmRoi *roi);
guint dm_roi_n_shapes (const DmRoi *roi);
/* TRUE when the ROI has no shape (NULL too): everything is inspected. */
gboolean dm_roi_is_empty (const DmRoi *roi);
gboolean dm_roi_equal (const DmRoi *a, const DmRoi *b);

/* Checks each shape for sense (enough points, finite coordinates within
 * DM_ROI_MAX_COORDINATE, a positive radius for strokes) and the limits;
 * errors (DM_ERROR_INVALID) name the shape by its number. */
gboolean dm_roi_validate (const DmRoi *roi, GError **error);

/* "rectangle", "polygon", "stroke" / "inspect", "ignore", and back (FALSE
 * for another name). */
const char *dm_roi_shape_kind_name (DmRoiShapeKind kind);
gboolean dm_roi_shape_kind_from_name (const char *name, DmRoiShapeKind *kind);
const char *dm_roi_layer_name (DmRoiLayer layer);
gboolean dm_roi_layer_from_name (const char *name, DmRoiLayer *layer);

/* The inspected part of the reference row at height y: sorted, disjoint
 * spans (DmSpan, overwritten) clipped to [0, ref_width). */
void dm_roi_row (const DmRoi *roi, int ref_width, double y, GArray *spans);

/* A run of pixels [x0, x1) of a row. */
typedef struct
{
  int x0, x1;
} DmPixelRange;

/* The inspected pixels of row y of a picture of width x height whose
 * reference is ref_width x ref_height (0 x 0: the picture itself): sorted,
 * disjoint ranges (DmPixelRange, overwritten). */
void dm_roi_row_pixels (
  const DmRoi *roi, int ref_width, int ref_height, int width, int height, int y, GArray *ranges);

/* The inspected pixels of a picture of width x height whose reference is
 * ref_width x ref_height: out (height, width) is 1 inspected, 0 not.
 * Returns how many are inspected. */
guint64 dm_roi_rasterize (
  const DmRoi *roi, int ref_width, int ref_height, int width, int height, guint8 *out);

/* Which pixels of the 256 x 256 anomaly map are inspected: the map covers
 * the centre crop (crop of resize x resize, dm-preprocess.h) and a map
 * pixel counts as inspected when its centre, placed back on the reference
 * picture through that crop geometry, is. The result does not depend on
 * the picture's size (shapes scale with it, as the geometry does). mask
 * (256, 256) receives 1 / 0; returns how many are inspected. */
guint dm_roi_map_mask (
  const DmRoi *roi, int ref_width, int ref_height, int resize, int crop, guint8 *mask);

/* The image score over the inspected map pixels only (spec/dinomaly.md §6
 * with an ROI). With n of the N = 256 * 256 map pixels inspected:
 *
 *   k = max (1, floor (DM_ANOMALY_TOP_K * n / N))   (655 * n / 65536)
 *   score = mean of the k largest values among the n inspected pixels
 *
 * so the score stays "the mean of the top 1%" of what is inspected, and
 * with every pixel inspected it is dm_anomaly_score bit for bit (k = 655
 * over the same values in the same order). NaN when n is 0. scratch holds
 * n floats. */
gsize dm_roi_top_k (guint n_inspected);
float dm_roi_score (const float *map, const guint8 *mask, float *scratch);

G_END_DECLS
