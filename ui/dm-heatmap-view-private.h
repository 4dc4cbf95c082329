/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the three files of DmHeatmapView share: dm-heatmap-view.c (state,
 * zoom and pan), dm-heatmap-view-draw.c (pictures) and
 * dm-heatmap-view-mask.c (labeling). */
#pragma once

#include <cairo.h>

#include "dm-colormap.h"
#include "dm-heatmap-view.h"
#include "dm-preprocess.h"

G_BEGIN_DECLS

enum
{
  DM_HEATMAP_PROP_0,
  DM_HEATMAP_PROP_OPACITY,
  DM_HEATMAP_PROP_PIXEL_THRESHOLD,
  DM_HEATMAP_PROP_MODE,
  DM_HEATMAP_PROP_ZOOM,
  DM_HEATMAP_PROP_TOOL,
  DM_HEATMAP_PROP_BRUSH_SIZE,
  DM_HEATMAP_PROP_CAN_UNDO,
  DM_HEATMAP_PROP_CAN_REDO,
  DM_HEATMAP_PROP_COLORMAP,
  DM_HEATMAP_N_PROPS
};

extern GParamSpec *dm_heatmap_view_properties[DM_HEATMAP_N_PROPS];
extern guint dm_heatmap_view_signal_mask_changed;

typedef struct
{
  int x, y, width, height; /* image pixels */
  char *label;
} DmHeatmapRegion;

struct _DmHeatmapView
{
  GtkWidget parent_instance;

  /* the original */
  cairo_surface_t *image; /* RGB24 (width, height) or NULL */
  int width, height;

  /* the map and how it lies on the original */
  float *map; /* (map_size, map_size) or NULL */
  int map_size, resize, crop;
  DmCropGeometry geom;   /* valid when map and image are both set */
  cairo_surface_t *heat; /* ARGB32 (map_size, map_size), rebuilt when dirty */
  GArray *contour;       /* float x0, y0, x1, y1 segments in crop coordinates */
  GArray *regions;       /* DmHeatmapRegion: outlined with their labels */
  gboolean heat_dirty, contour_dirty;
  double low, high, pixel_threshold, opacity;
  DmColormap colormap;
  DmHeatmapMode mode;

  /* the view: image point p lands on pane centre + (p - image centre) x
   * fit x zoom + pan */
  double zoom, pan_x, pan_y;
  double pointer_x, pointer_y; /* last pointer position, -1 when outside */
  double gesture_zoom;         /* zoom when a pinch began */
  double drag_pan_x, drag_pan_y;
  gboolean drag_paints; /* the running drag paints (else pans) */

  /* labeling */
  DmHeatmapTool tool;
  double brush_size;
  cairo_surface_t *mask; /* A8 (width, height), 0 or 255 */
  GBytes *stroke_before; /* the mask before the running stroke */
  gboolean stroke_erase;
  double last_x, last_y;  /* the stroke's last point, image coordinates */
  GPtrArray *undo, *redo; /* GBytes: whole masks, newest last */
};

/* dm-heatmap-view.c: the panes of the widget (one in overlay mode, two
 * side by side: the original left, the heatmap right), and how the image
 * lies in a pane: widget = origin + image x scale */
int dm_heatmap_view_get_panes (DmHeatmapView *self, graphene_rect_t panes[2]);
void dm_heatmap_view_pane_transform (
  DmHeatmapView *self, const graphene_rect_t *pane, double *scale, double *ox, double *oy);

/* dm-heatmap-view-draw.c */
void dm_heatmap_view_draw (GtkWidget *widget, GtkSnapshot *snapshot);

/* dm-heatmap-view-mask.c */
void dm_heatmap_view_mask_reset (DmHeatmapView *self);
void dm_heatmap_view_mask_clear_history (DmHeatmapView *self);
void dm_heatmap_view_stroke_begin (DmHeatmapView *self, double x, double y, gboolean erase);
void dm_heatmap_view_stroke_to (DmHeatmapView *self, double x, double y);
void dm_heatmap_view_stroke_end (DmHeatmapView *self);
void dm_heatmap_view_draw_mask (DmHeatmapView *self, cairo_t *cr);
void dm_heatmap_view_mask_class_init (GtkWidgetClass *widget_class);

G_END_DECLS
