/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The large view of the Review page: an original image with its anomaly
 * map drawn over it with Cairo exactly where the model looked (the resize
 * and center crop undone, the rest hatched as not inspected), the contour
 * of the region above the pixel threshold, zoom and pan, overlay or side
 * by side, and a brush to paint and erase defect regions on a mask at the
 * image's resolution, with undo and redo. */
#pragma once

#include <gtk/gtk.h>

#include "dm-image.h"

G_BEGIN_DECLS

typedef enum
{
  DM_HEATMAP_MODE_OVERLAY,      /* the heatmap over the image */
  DM_HEATMAP_MODE_SIDE_BY_SIDE, /* the image left, image + heatmap right */
} DmHeatmapMode;

typedef enum
{
  DM_HEATMAP_TOOL_NONE,  /* dragging pans */
  DM_HEATMAP_TOOL_PAINT, /* the primary button paints the mask, others pan */
  DM_HEATMAP_TOOL_ERASE, /* the primary button erases the mask, others pan */
} DmHeatmapTool;

#define DM_TYPE_HEATMAP_MODE (dm_heatmap_mode_get_type ())
GType dm_heatmap_mode_get_type (void);
#define DM_TYPE_HEATMAP_TOOL (dm_heatmap_tool_get_type ())
GType dm_heatmap_tool_get_type (void);

#define DM_TYPE_HEATMAP_VIEW (dm_heatmap_view_get_type ())
G_DECLARE_FINAL_TYPE (DmHeatmapView, dm_heatmap_view, DM, HEATMAP_VIEW, GtkWidget)

GtkWidget *dm_heatmap_view_new (void);

/* The original image as 8-bit RGB, rows of 3 * width bytes (copied). A new
 * image resets zoom and pan, drops the map and starts an empty mask with an
 * empty undo history. NULL clears. */
void dm_heatmap_view_set_image (DmHeatmapView *self, const guint8 *rgb, int width, int height);
/* The same from a decoded image of any kind (gray replicated, 16-bit / 257,
 * float clamped to 0..255, alpha dropped). */
void dm_heatmap_view_set_dm_image (DmHeatmapView *self, const DmImage *image);

/* The anomaly map (map_size, map_size) (copied) of the crop x crop center
 * crop of the image resized to resize x resize (DmResultClass's resize and
 * crop). NULL: no heatmap. */
void
dm_heatmap_view_set_map (DmHeatmapView *self, const float *map, int map_size, int resize, int crop);

/* Map values from low (calm, transparent) to high (full colour): the
 * class's map_low and map_high, the same for every image of the class. */
void dm_heatmap_view_set_range (DmHeatmapView *self, double low, double high);
/* The region above it is outlined; NAN: no contour. */
void dm_heatmap_view_set_pixel_threshold (DmHeatmapView *self, double threshold);
double dm_heatmap_view_get_pixel_threshold (DmHeatmapView *self);
/* Defect regions to outline: their bounding boxes (pixels of the image)
 * with a label each (e.g. its size), drawn over the heatmap. n 0 clears. */
void dm_heatmap_view_set_regions (DmHeatmapView *self,
                                  const int *boxes,
                                  const char *const *labels,
                                  guint n);
guint dm_heatmap_view_get_n_regions (DmHeatmapView *self);
/* The anomaly map shown (map_size, map_size), or NULL. */
const float *dm_heatmap_view_get_map (DmHeatmapView *self);
/* The heatmap's largest opacity, 0..1. */
void dm_heatmap_view_set_opacity (DmHeatmapView *self, double opacity);
double dm_heatmap_view_get_opacity (DmHeatmapView *self);
/* The heatmap's colours by name (dm_colormap_name: "ember", the default,
 * or the colour-blind-safe "viridis"); an unknown name shows ember. */
void dm_heatmap_view_set_colormap (DmHeatmapView *self, const char *name);
const char *dm_heatmap_view_get_colormap (DmHeatmapView *self);
void dm_heatmap_view_set_mode (DmHeatmapView *self, DmHeatmapMode mode);
DmHeatmapMode dm_heatmap_view_get_mode (DmHeatmapView *self);

/* 1 shows the whole image; larger zooms in around the view's centre. */
void dm_heatmap_view_set_zoom (DmHeatmapView *self, double zoom);
double dm_heatmap_view_get_zoom (DmHeatmapView *self);
/* Zooms by factor keeping the image point under widget point (x, y) in
 * place (what the wheel and the pinch do). */
void dm_heatmap_view_zoom_at (DmHeatmapView *self, double factor, double x, double y);

/* Where widget point (x, y) lies on the image (pixel edges on integers);
 * FALSE when no image is shown there. */
gboolean dm_heatmap_view_widget_to_image (
  DmHeatmapView *self, double x, double y, double *image_x, double *image_y);

/* ---- labeling (dm-heatmap-view-mask.c) ---- */

void dm_heatmap_view_set_tool (DmHeatmapView *self, DmHeatmapTool tool);
DmHeatmapTool dm_heatmap_view_get_tool (DmHeatmapView *self);
/* The brush's diameter in image pixels (1..1024); [ and ] change it. */
void dm_heatmap_view_set_brush_size (DmHeatmapView *self, double size);
double dm_heatmap_view_get_brush_size (DmHeatmapView *self);

/* Paints (erase FALSE) or erases a stroke through n points in image
 * coordinates as one undo step, as a drag with the brush does; emits
 * "mask-changed" when a pixel changed. */
void dm_heatmap_view_paint_stroke (DmHeatmapView *self,
                                   const double *points /* (n, 2) */,
                                   guint n,
                                   gboolean erase);

/* The mask as a one-channel 8-bit image of the image's size, 0 or 255
 * (MVTec layout: save it with dm_image_save_png); NULL without an image. */
DmImage *dm_heatmap_view_get_mask (DmHeatmapView *self);
/* Continues from an existing mask (any value above 0 in any channel is a
 * defect); the undo history starts again. NULL clears the mask. FALSE with
 * an error when its size is not the image's. */
gboolean dm_heatmap_view_set_mask (DmHeatmapView *self, const DmImage *mask, GError **error);
/* Defect pixels of the mask. */
gsize dm_heatmap_view_count_mask_pixels (DmHeatmapView *self);

gboolean dm_heatmap_view_can_undo (DmHeatmapView *self);
gboolean dm_heatmap_view_can_redo (DmHeatmapView *self);
void dm_heatmap_view_undo (DmHeatmapView *self);
void dm_heatmap_view_redo (DmHeatmapView *self);

G_END_DECLS
