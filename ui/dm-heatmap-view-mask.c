/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmHeatmapView's labeling half: a defect mask at the image's resolution
 * painted and erased with a round brush, whole-mask undo and redo. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-heatmap-view-private.h"

/* Undo keeps whole masks (a 1-megapixel mask is 1 MB, a memcpy to take):
 * simple and exact. Bounded in steps and bytes, oldest dropped first. */
#define MAX_UNDO_STEPS 64
#define MAX_UNDO_BYTES ((gsize)256 << 20)
#define BRUSH_STEP 1.25

static GBytes *
mask_bytes (DmHeatmapView *self)
{
  cairo_surface_flush (self->mask);
  return g_bytes_new (cairo_image_surface_get_data (self->mask),
                      (gsize)cairo_image_surface_get_stride (self->mask) * self->height);
}

static void
mask_restore (DmHeatmapView *self, GBytes *bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  cairo_surface_flush (self->mask);
  memcpy (cairo_image_surface_get_data (self->mask), data, size);
  cairo_surface_mark_dirty (self->mask);
}

static void
history_changed (DmHeatmapView *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "heatmap.undo", self->undo->len > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "heatmap.redo", self->redo->len > 0);
  g_object_notify_by_pspec (G_OBJECT (self), dm_heatmap_view_properties[DM_HEATMAP_PROP_CAN_UNDO]);
  g_object_notify_by_pspec (G_OBJECT (self), dm_heatmap_view_properties[DM_HEATMAP_PROP_CAN_REDO]);
}

void
dm_heatmap_view_mask_clear_history (DmHeatmapView *self)
{
  if (self->undo != NULL)
    g_ptr_array_set_size (self->undo, 0);
  if (self->redo != NULL)
    g_ptr_array_set_size (self->redo, 0);
}

void
dm_heatmap_view_mask_reset (DmHeatmapView *self)
{
  g_clear_pointer (&self->mask, cairo_surface_destroy);
  g_clear_pointer (&self->stroke_before, g_bytes_unref);
  if (self->image != NULL)
    self->mask = cairo_image_surface_create (CAIRO_FORMAT_A8, self->width, self->height);
  dm_heatmap_view_mask_clear_history (self);
  history_changed (self);
}

static void
push_undo (DmHeatmapView *self, GBytes *before)
{
  gsize total = 0;

  g_ptr_array_add (self->undo, g_bytes_ref (before));
  for (guint i = 0; i < self->undo->len; i++)
    total += g_bytes_get_size (self->undo->pdata[i]);
  while (self->undo->len > 1 && (self->undo->len > MAX_UNDO_STEPS || total > MAX_UNDO_BYTES))
    {
      total -= g_bytes_get_size (self->undo->pdata[0]);
      g_ptr_array_remove_index (self->undo, 0);
    }
  g_ptr_array_set_size (self->redo, 0);
}

/* Sets the pixels whose centres lie within the brush around (cx, cy), and
 * the pixel under the point itself so that a one-pixel brush paints. */
static void
stamp (DmHeatmapView *self, double cx, double cy)
{
  double r = self->brush_size / 2;
  int x0 = MAX (0, (int)floor (cx - r)), x1 = MIN (self->width - 1, (int)ceil (cx + r));
  int y0 = MAX (0, (int)floor (cy - r)), y1 = MIN (self->height - 1, (int)ceil (cy + r));
  guint8 value = self->stroke_erase ? 0 : 255;
  guint8 *data = cairo_image_surface_get_data (self->mask);
  int stride = cairo_image_surface_get_stride (self->mask);

  for (int y = y0; y <= y1; y++)
    for (int x = x0; x <= x1; x++)
      {
        double dx = x + 0.5 - cx, dy = y + 0.5 - cy;

        if (dx * dx + dy * dy <= r * r)
          data[(gsize)y * stride + x] = value;
      }
  if (cx >= 0 && cy >= 0 && cx < self->width && cy < self->height)
    data[(gsize)floor (cy) * stride + (gsize)floor (cx)] = value;
}

void
dm_heatmap_view_stroke_begin (DmHeatmapView *self, double x, double y, gboolean erase)
{
  if (self->mask == NULL)
    return;
  g_clear_pointer (&self->stroke_before, g_bytes_unref);
  self->stroke_before = mask_bytes (self);
  self->stroke_erase = erase;
  stamp (self, x, y);
  cairo_surface_mark_dirty (self->mask);
  self->last_x = x;
  self->last_y = y;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dm_heatmap_view_stroke_to (DmHeatmapView *self, double x, double y)
{
  double dx, dy, length, step;
  int n;

  if (self->mask == NULL || self->stroke_before == NULL)
    return;
  /* discs a quarter of the brush apart: a continuous band, no beads */
  dx = x - self->last_x;
  dy = y - self->last_y;
  length = sqrt (dx * dx + dy * dy);
  step = MAX (0.5, self->brush_size / 4);
  n = (int)ceil (length / step);
  cairo_surface_flush (self->mask);
  for (int k = 1; k <= n; k++)
    stamp (self, self->last_x + dx * k / n, self->last_y + dy * k / n);
  cairo_surface_mark_dirty (self->mask);
  self->last_x = x;
  self->last_y = y;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dm_heatmap_view_stroke_end (DmHeatmapView *self)
{
  g_autoptr (GBytes) before = g_steal_pointer (&self->stroke_before);
  g_autoptr (GBytes) after = NULL;

  if (self->mask == NULL || before == NULL)
    return;
  after = mask_bytes (self);
  if (g_bytes_equal (before, after))
    return;
  push_undo (self, before);
  history_changed (self);
  g_signal_emit (self, dm_heatmap_view_signal_mask_changed, 0);
}

void
dm_heatmap_view_paint_stroke (DmHeatmapView *self, const double *points, guint n, gboolean erase)
{
  g_return_if_fail (DM_IS_HEATMAP_VIEW (self));
  if (n == 0)
    return;
  dm_heatmap_view_stroke_begin (self, points[0], points[1], erase);
  for (guint i = 1; i < n; i++)
    dm_heatmap_view_stroke_to (self, points[2 * i], points[2 * i + 1]);
  dm_heatmap_view_stroke_end (self);
}

void
dm_heatmap_view_draw_mask (DmHeatmapView *self, cairo_t *cr)
{
  cairo_pattern_t *pattern;

  if (self->mask == NULL)
    return;
  pattern = cairo_pattern_create_for_surface (self->mask);
  cairo_pattern_set_filter (pattern, CAIRO_FILTER_NEAREST);
  /* cyan: apart from every colour of the ember map */
  cairo_set_source_rgba (cr, 0.1, 0.8, 1.0, 0.5);
  cairo_mask (cr, pattern);
  cairo_pattern_destroy (pattern);
}

gsize
dm_heatmap_view_count_mask_pixels (DmHeatmapView *self)
{
  const guint8 *data;
  gsize count = 0;
  int stride;

  g_return_val_if_fail (DM_IS_HEATMAP_VIEW (self), 0);
  if (self->mask == NULL)
    return 0;
  cairo_surface_flush (self->mask);
  data = cairo_image_surface_get_data (self->mask);
  stride = cairo_image_surface_get_stride (self->mask);
  for (int y = 0; y < self->height; y++)
    for (int x = 0; x < self->width; x++)
      count += data[(gsize)y * stride + x] != 0;
  return count;
}

DmImage *
dm_heatmap_view_get_mask (DmHeatmapView *self)
{
  DmImage *out;
  const guint8 *data;
  int stride;

  g_return_val_if_fail (DM_IS_HEATMAP_VIEW (self), NULL);
  if (self->mask == NULL)
    return NULL;
  out = dm_image_new (self->width, self->height, 1, DM_PIXEL_U8, NULL);
  if (out == NULL)
    return NULL;
  cairo_surface_flush (self->mask);
  data = cairo_image_surface_get_data (self->mask);
  stride = cairo_image_surface_get_stride (self->mask);
  for (int y = 0; y < self->height; y++)
    memcpy (out->data + (gsize)y * out->stride, data + (gsize)y * stride, self->width);
  return out;
}

gboolean
dm_heatmap_view_set_mask (DmHeatmapView *self, const DmImage *mask, GError **error)
{
  guint8 *data;
  int stride;

  g_return_val_if_fail (DM_IS_HEATMAP_VIEW (self), FALSE);
  if (self->image == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "Mask: no image to paint on");
      return FALSE;
    }
  if (mask != NULL && (mask->width != self->width || mask->height != self->height))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "Mask: %d x %d pixels, the image has %d x %d",
                   mask->width, mask->height, self->width, self->height);
      return FALSE;
    }
  dm_heatmap_view_mask_reset (self);
  if (mask != NULL)
    {
      cairo_surface_flush (self->mask);
      data = cairo_image_surface_get_data (self->mask);
      stride = cairo_image_surface_get_stride (self->mask);
      for (int y = 0; y < self->height; y++)
        for (int x = 0; x < self->width; x++)
          {
            gboolean on = FALSE;

            for (int c = 0; c < MIN (mask->channels, 3); c++)
              on |= dm_image_get (mask, x, y, c) > 0;
            data[(gsize)y * stride + x] = on ? 255 : 0;
          }
      cairo_surface_mark_dirty (self->mask);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return TRUE;
}

gboolean
dm_heatmap_view_can_undo (DmHeatmapView *self)
{
  g_return_val_if_fail (DM_IS_HEATMAP_VIEW (self), FALSE);
  return self->undo->len > 0;
}

gboolean
dm_heatmap_view_can_redo (DmHeatmapView *self)
{
  g_return_val_if_fail (DM_IS_HEATMAP_VIEW (self), FALSE);
  return self->redo->len > 0;
}

/* Moves the current mask onto `to` and restores the newest of `from`. */
static void
step_history (DmHeatmapView *self, GPtrArray *from, GPtrArray *to)
{
  GBytes *restore;

  if (self->mask == NULL || from->len == 0 || self->stroke_before != NULL)
    return;
  g_ptr_array_add (to, mask_bytes (self));
  restore = g_ptr_array_steal_index (from, from->len - 1);
  mask_restore (self, restore);
  g_bytes_unref (restore);
  history_changed (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, dm_heatmap_view_signal_mask_changed, 0);
}

void
dm_heatmap_view_undo (DmHeatmapView *self)
{
  g_return_if_fail (DM_IS_HEATMAP_VIEW (self));
  step_history (self, self->undo, self->redo);
}

void
dm_heatmap_view_redo (DmHeatmapView *self)
{
  g_return_if_fail (DM_IS_HEATMAP_VIEW (self));
  step_history (self, self->redo, self->undo);
}

void
dm_heatmap_view_set_tool (DmHeatmapView *self, DmHeatmapTool tool)
{
  g_return_if_fail (DM_IS_HEATMAP_VIEW (self));
  if (tool == self->tool)
    return;
  self->tool = tool;
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self),
                                   tool == DM_HEATMAP_TOOL_NONE ? NULL : "crosshair");
  g_object_notify_by_pspec (G_OBJECT (self), dm_heatmap_view_properties[DM_HEATMAP_PROP_TOOL]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

DmHeatmapTool
dm_heatmap_view_get_tool (DmHeatmapView *self)
{
  g_return_val_if_fail (DM_IS_HEATMAP_VIEW (self), DM_HEATMAP_TOOL_NONE);
  return self->tool;
}

void
dm_heatmap_view_set_brush_size (DmHeatmapView *self, double size)
{
  g_return_if_fail (DM_IS_HEATMAP_VIEW (self));
  size = CLAMP (size, 1.0, 1024.0);
  if (size == self->brush_size)
    return;
  self->brush_size = size;
  g_object_notify_by_pspec (G_OBJECT (self),
                            dm_heatmap_view_properties[DM_HEATMAP_PROP_BRUSH_SIZE]);
  if (self->tool != DM_HEATMAP_TOOL_NONE)
    gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
dm_heatmap_view_get_brush_size (DmHeatmapView *self)
{
  g_return_val_if_fail (DM_IS_HEATMAP_VIEW (self), 0);
  return self->brush_size;
}

static void
mask_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DmHeatmapView *self = DM_HEATMAP_VIEW (widget);

  if (g_str_equal (action_name, "heatmap.undo"))
    dm_heatmap_view_undo (self);
  else if (g_str_equal (action_name, "heatmap.redo"))
    dm_heatmap_view_redo (self);
  else if (g_str_equal (action_name, "heatmap.brush-larger"))
    dm_heatmap_view_set_brush_size (
      self, MAX (self->brush_size + 1, round (self->brush_size * BRUSH_STEP)));
  else
    dm_heatmap_view_set_brush_size (
      self, MIN (self->brush_size - 1, floor (self->brush_size / BRUSH_STEP)));
}

void
dm_heatmap_view_mask_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "heatmap.undo", NULL, mask_action);
  gtk_widget_class_install_action (widget_class, "heatmap.redo", NULL, mask_action);
  gtk_widget_class_install_action (widget_class, "heatmap.brush-larger", NULL, mask_action);
  gtk_widget_class_install_action (widget_class, "heatmap.brush-smaller", NULL, mask_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "heatmap.undo",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "heatmap.redo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Z, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "heatmap.redo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_y, GDK_CONTROL_MASK, "heatmap.redo",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_bracketright, 0,
                                       "heatmap.brush-larger", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_bracketleft, 0,
                                       "heatmap.brush-smaller", NULL);
}
