/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The region of interest editor: a class's reference picture with its
 * inspection and ignore areas (dm-roi.h) drawn on it as rectangles,
 * polygons and brush strokes, each adding to its layer or erasing from it;
 * what is not inspected is dimmed and hatched as the overlays show it. A
 * measuring tool draws a line whose length (reference pixels) calibrates
 * the class (the rules dialog turns it into millimetres per pixel). */
#pragma once

#include <gtk/gtk.h>

#include "dm-image.h"
#include "dm-roi.h"

G_BEGIN_DECLS

typedef enum
{
  DM_ROI_TOOL_RECTANGLE, /* drag from corner to corner */
  DM_ROI_TOOL_POLYGON,   /* click the vertices, double-click the last */
  DM_ROI_TOOL_BRUSH,     /* drag a brush of the radius */
  DM_ROI_TOOL_MEASURE,   /* drag along a known length */
} DmRoiTool;

#define DM_TYPE_ROI_TOOL (dm_roi_tool_get_type ())
GType dm_roi_tool_get_type (void);

#define DM_TYPE_ROI_EDITOR (dm_roi_editor_get_type ())
G_DECLARE_FINAL_TYPE (DmRoiEditor, dm_roi_editor, DM, ROI_EDITOR, GtkWidget)

GtkWidget *dm_roi_editor_new (void);

/* The reference picture (copied as 8-bit RGB; NULL clears). Shapes keep
 * their coordinates: they are in the picture's pixels. */
void dm_roi_editor_set_image (DmRoiEditor *self, const DmImage *image);
int dm_roi_editor_get_image_width (DmRoiEditor *self);
int dm_roi_editor_get_image_height (DmRoiEditor *self);

/* The shapes (copied; NULL: none). "changed" follows every edit. */
void dm_roi_editor_set_roi (DmRoiEditor *self, const DmRoi *roi);
const DmRoi *dm_roi_editor_get_roi (DmRoiEditor *self);
/* Removes the last shape; FALSE when there is none. */
gboolean dm_roi_editor_undo (DmRoiEditor *self);
void dm_roi_editor_clear (DmRoiEditor *self);

/* Properties "tool" (DmRoiTool), "ignore" (new shapes go to the ignore
 * layer, else to the inspection area), "erase" (they remove from it),
 * "radius" (the brush, reference pixels) and, read-only,
 * "measured-length" (the last measured line, reference pixels; 0: none). */
void dm_roi_editor_set_tool (DmRoiEditor *self, DmRoiTool tool);
DmRoiTool dm_roi_editor_get_tool (DmRoiEditor *self);
double dm_roi_editor_get_measured_length (DmRoiEditor *self);

/* What the pointer did, for tests and key bindings: a drag from (x0, y0)
 * to (x1, y1) and a click at (x, y) (n: 2 for a double click), in
 * reference picture pixels. */
void dm_roi_editor_drag (DmRoiEditor *self, double x0, double y0, double x1, double y1);
void dm_roi_editor_click (DmRoiEditor *self, double x, double y, int n);

G_END_DECLS
