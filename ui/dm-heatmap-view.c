/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmHeatmapView: its state, properties and setters, the geometry of the
 * panes, zoom and pan by wheel, pinch, keys and drag (pictures:
 * dm-heatmap-view-draw.c; labeling: dm-heatmap-view-mask.c). */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dm-heatmap-view-private.h"
#include "dm-overlay.h"

#define MIN_ZOOM 0.5
#define MAX_ZOOM 64.0
#define ZOOM_STEP 1.25
#define PANE_GAP 8.0

GParamSpec *dm_heatmap_view_properties[DM_HEATMAP_N_PROPS];
guint dm_heatmap_view_signal_mask_changed;

G_DEFINE_FINAL_TYPE (DmHeatmapView, dm_heatmap_view, GTK_TYPE_WIDGET)

GType
dm_heatmap_mode_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { DM_HEATMAP_MODE_OVERLAY, "DM_HEATMAP_MODE_OVERLAY", "overlay" },
    { DM_HEATMAP_MODE_SIDE_BY_SIDE, "DM_HEATMAP_MODE_SIDE_BY_SIDE", "side-by-side" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("DmHeatmapMode", values));
  return type;
}

GType
dm_heatmap_tool_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { DM_HEATMAP_TOOL_NONE, "DM_HEATMAP_TOOL_NONE", "none" },
    { DM_HEATMAP_TOOL_PAINT, "DM_HEATMAP_TOOL_PAINT", "paint" },
    { DM_HEATMAP_TOOL_ERASE, "DM_HEATMAP_TOOL_ERASE", "erase" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("DmHeatmapTool", values));
  return type;
}

/* ---- geometry ---- */

/* The panes of the widget: one in overlay mode, two side by side (the
 * original left, the heatmap right). Returns how many. */
int
dm_heatmap_view_get_panes (DmHeatmapView *self, graphene_rect_t panes[2])
{
  double w = gtk_widget_get_width (GTK_WIDGET (self));
  double h = gtk_widget_get_height (GTK_WIDGET (self));

  if (self->mode == DM_HEATMAP_MODE_SIDE_BY_SIDE)
    {
      double half = MAX (1.0, (w - PANE_GAP) / 2);

      panes[0] = GRAPHENE_RECT_INIT (0, 0, half, h);
      panes[1] = GRAPHENE_RECT_INIT (w - half, 0, half, h);
      return 2;
    }
  panes[0] = GRAPHENE_RECT_INIT (0, 0, w, h);
  return 1;
}

/* Image -> widget for a pane: widget = origin + image x scale. */
void
dm_heatmap_view_pane_transform (
  DmHeatmapView *self, const graphene_rect_t *pane, double *s, double *ox, double *oy)
{
  double fit = MIN (pane->size.width / self->width, pane->size.height / self->height);

  *s = fit * self->zoom;
  *ox = pane->origin.x + pane->size.width / 2 - self->width * *s / 2 + self->pan_x;
  *oy = pane->origin.y + pane->size.height / 2 - self->height * *s / 2 + self->pan_y;
}

/* The pane under widget point (x, y), else the nearest one. */
static int
pane_at (const graphene_rect_t *panes, int n, double x)
{
  return n == 2 && x >= panes[1].origin.x - PANE_GAP / 2 ? 1 : 0;
}

/* Widget -> image, also outside the image (for strokes that leave it). */
static gboolean
to_image (DmHeatmapView *self, double x, double y, double *ix, double *iy)
{
  graphene_rect_t panes[2];
  int n, p;
  double s, ox, oy;

  if (self->image == NULL)
    return FALSE;
  n = dm_heatmap_view_get_panes (self, panes);
  p = pane_at (panes, n, x);
  dm_heatmap_view_pane_transform (self, &panes[p], &s, &ox, &oy);
  *ix = (x - ox) / s;
  *iy = (y - oy) / s;
  return TRUE;
}

gboolean
dm_heatmap_view_widget_to_image (
  DmHeatmapView *self, double x, double y, double *image_x, double *image_y)
{
  double ix, iy;

  g_return_val_if_fail (DM_IS_HEATMAP_VIEW (self), FALSE);
  if (!to_image (self, x, y, &ix, &iy) || ix < 0 || iy < 0 || ix >= self->width
      || iy >= self->height)
    return FALSE;
  *image_x = ix;
  *image_y = iy;
  return TRUE;
}

static void
update_geometry (DmHeatmapView *self)
{
  if (self->image != NULL && self->map != NULL)
    dm_crop_geometry_init (&self->geom, self->width, self->height, self->resize, self->crop);
}

static void
dm_heatmap_view_measure (GtkWidget *widget,
                         GtkOrientation orientation,
                         int for_size,
                         int *minimum,
                         int *natural,
                         int *minimum_baseline,
                         int *natural_baseline)
{
  *minimum = 64;
  *natural = 480;
}

/* ---- zoom and pan ---- */

void
dm_heatmap_view_zoom_at (DmHeatmapView *self, double factor, double x, double y)
{
  graphene_rect_t panes[2];
  double s, ox, oy, ix, iy, zoom;
  int p;

  g_return_if_fail (DM_IS_HEATMAP_VIEW (self));
  zoom = CLAMP (self->zoom * factor, MIN_ZOOM, MAX_ZOOM);
  if (self->image == NULL || zoom == self->zoom)
    return;
  p = pane_at (panes, dm_heatmap_view_get_panes (self, panes), x);
  dm_heatmap_view_pane_transform (self, &panes[p], &s, &ox, &oy);
  ix = (x - ox) / s;
  iy = (y - oy) / s;
  self->zoom = zoom;
  dm_heatmap_view_pane_transform (self, &panes[p], &s, &ox, &oy);
  /* move the image so that (ix, iy) is under (x, y) again */
  self->pan_x += x - (ox + ix * s);
  self->pan_y += y - (oy + iy * s);
  g_object_notify_by_pspec (G_OBJECT (self), dm_heatmap_view_properties[DM_HEATMAP_PROP_ZOOM]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dm_heatmap_view_set_zoom (DmHeatmapView *self, double zoom)
{
  g_return_if_fail (DM_IS_HEATMAP_VIEW (self));
  zoom = CLAMP (zoom, MIN_ZOOM, MAX_ZOOM);
  if (zoom == 1.0)
    self->pan_x = self->pan_y = 0;
  else
    {
      /* around the view's centre */
      self->pan_x *= zoom / self->zoom;
      self->pan_y *= zoom / self->zoom;
    }
  if (zoom == self->zoom)
    {
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return;
    }
  self->zoom = zoom;
  g_object_notify_by_pspec (G_OBJECT (self), dm_heatmap_view_properties[DM_HEATMAP_PROP_ZOOM]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
dm_heatmap_view_get_zoom (DmHeatmapView *self)
{
  g_return_val_if_fail (DM_IS_HEATMAP_VIEW (self), 1.0);
  return self->zoom;
}

static void
zoom_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  DmHeatmapView *self = DM_HEATMAP_VIEW (widget);

  if (g_str_equal (action_name, "heatmap.zoom-reset"))
    dm_heatmap_view_set_zoom (self, 1.0);
  else
    dm_heatmap_view_set_zoom (self, g_str_equal (action_name, "heatmap.zoom-in")
                                      ? self->zoom * ZOOM_STEP
                                      : self->zoom / ZOOM_STEP);
}

static gboolean
on_scroll (GtkEventControllerScroll *controller, double dx, double dy, DmHeatmapView *self)
{
  double x = self->pointer_x, y = self->pointer_y;

  if (x < 0)
    {
      x = gtk_widget_get_width (GTK_WIDGET (self)) / 2.0;
      y = gtk_widget_get_height (GTK_WIDGET (self)) / 2.0;
    }
  /* a wheel notch (dy = 1) is a step of about 16 % */
  dm_heatmap_view_zoom_at (self, exp (-0.15 * dy), x, y);
  return TRUE;
}

static void
on_motion (GtkEventControllerMotion *controller, double x, double y, DmHeatmapView *self)
{
  self->pointer_x = x;
  self->pointer_y = y;
  if (self->tool != DM_HEATMAP_TOOL_NONE)
    gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_leave (GtkEventControllerMotion *controller, DmHeatmapView *self)
{
  self->pointer_x = self->pointer_y = -1;
  if (self->tool != DM_HEATMAP_TOOL_NONE)
    gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_drag_begin (GtkGestureDrag *gesture, double x, double y, DmHeatmapView *self)
{
  guint button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));
  double ix, iy;

  gtk_widget_grab_focus (GTK_WIDGET (self));
  self->drag_paints = self->tool != DM_HEATMAP_TOOL_NONE && button == GDK_BUTTON_PRIMARY
                      && to_image (self, x, y, &ix, &iy);
  if (self->drag_paints)
    dm_heatmap_view_stroke_begin (self, ix, iy, self->tool == DM_HEATMAP_TOOL_ERASE);
  else
    {
      self->drag_pan_x = self->pan_x;
      self->drag_pan_y = self->pan_y;
    }
}

static void
on_drag_update (GtkGestureDrag *gesture, double dx, double dy, DmHeatmapView *self)
{
  double x, y, ix, iy;

  if (self->drag_paints)
    {
      gtk_gesture_drag_get_start_point (gesture, &x, &y);
      self->pointer_x = x + dx;
      self->pointer_y = y + dy;
      if (to_image (self, x + dx, y + dy, &ix, &iy))
        dm_heatmap_view_stroke_to (self, ix, iy);
      return;
    }
  self->pan_x = self->drag_pan_x + dx;
  self->pan_y = self->drag_pan_y + dy;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_drag_end (GtkGestureDrag *gesture, double dx, double dy, DmHeatmapView *self)
{
  if (self->drag_paints)
    dm_heatmap_view_stroke_end (self);
  self->drag_paints = FALSE;
}

static void
on_pinch_begin (GtkGesture *gesture, GdkEventSequence *sequence, DmHeatmapView *self)
{
  self->gesture_zoom = self->zoom;
}

static void
on_pinch_scale (GtkGestureZoom *gesture, double scale, DmHeatmapView *self)
{
  double x, y;

  if (!gtk_gesture_get_bounding_box_center (GTK_GESTURE (gesture), &x, &y))
    return;
  dm_heatmap_view_zoom_at (self, self->gesture_zoom * scale / self->zoom, x, y);
}

/* ---- setters ---- */

void
dm_heatmap_view_set_image (DmHeatmapView *self, const guint8 *rgb, int width, int height)
{
  g_return_if_fail (DM_IS_HEATMAP_VIEW (self));
  g_clear_pointer (&self->image, cairo_surface_destroy);
  g_clear_pointer (&self->map, g_free);
  g_clear_pointer (&self->heat, cairo_surface_destroy);
  g_array_set_size (self->contour, 0);
  self->width = self->height = 0;
  if (rgb != NULL && width > 0 && height > 0)
    {
      guint8 *data;
      int stride;

      self->image = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
      cairo_surface_flush (self->image);
      data = cairo_image_surface_get_data (self->image);
      stride = cairo_image_surface_get_stride (self->image);
      for (int y = 0; y < height; y++)
        {
          const guint8 *in = rgb + (gsize)y * width * 3;
          guint32 *out = (guint32 *)(gpointer)(data + (gsize)y * stride);

          for (int x = 0; x < width; x++)
            out[x] = 0xff000000u | (guint32)in[3 * x] << 16 | (guint32)in[3 * x + 1] << 8
                     | in[3 * x + 2];
        }
      cairo_surface_mark_dirty (self->image);
      self->width = width;
      self->height = height;
    }
  self->pan_x = self->pan_y = 0;
  if (self->zoom != 1.0)
    {
      self->zoom = 1.0;
      g_object_notify_by_pspec (G_OBJECT (self), dm_heatmap_view_properties[DM_HEATMAP_PROP_ZOOM]);
    }
  dm_heatmap_view_mask_reset (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dm_heatmap_view_set_dm_image (DmHeatmapView *self, const DmImage *image)
{
  g_autofree guint8 *rgb = NULL;

  if (image == NULL)
    {
      dm_heatmap_view_set_image (self, NULL, 0, 0);
      return;
    }
  rgb = g_malloc ((gsize)image->width * image->height * 3);
  for (int y = 0; y < image->height; y++)
    for (int x = 0; x < image->width; x++)
      for (int c = 0; c < 3; c++)
        {
          float v = dm_image_get (image, x, y, image->channels >= 3 ? c : 0);

          if (image->type == DM_PIXEL_U16)
            v /= 257.0f;
          rgb[((gsize)y * image->width + x) * 3 + c]
            = (guint8)(isfinite (v) ? CLAMP (lrintf (v), 0, 255) : 0);
        }
  dm_heatmap_view_set_image (self, rgb, image->width, image->height);
}

void
dm_heatmap_view_set_map (DmHeatmapView *self, const float *map, int map_size, int resize, int crop)
{
  g_return_if_fail (DM_IS_HEATMAP_VIEW (self));
  g_return_if_fail (map == NULL || (map_size > 0 && crop > 0 && crop <= resize));
  g_clear_pointer (&self->map, g_free);
  if (map != NULL)
    {
      self->map = g_memdup2 (map, (gsize)map_size * map_size * sizeof (float));
      self->map_size = map_size;
      self->resize = resize;
      self->crop = crop;
      update_geometry (self);
    }
  self->heat_dirty = self->contour_dirty = TRUE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dm_heatmap_view_set_range (DmHeatmapView *self, double low, double high)
{
  g_return_if_fail (DM_IS_HEATMAP_VIEW (self));
  self->low = low;
  self->high = high;
  self->heat_dirty = TRUE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dm_heatmap_view_set_pixel_threshold (DmHeatmapView *self, double threshold)
{
  g_return_if_fail (DM_IS_HEATMAP_VIEW (self));
  if (threshold == self->pixel_threshold || (isnan (threshold) && isnan (self->pixel_threshold)))
    return;
  self->pixel_threshold = threshold;
  self->contour_dirty = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self),
                            dm_heatmap_view_properties[DM_HEATMAP_PROP_PIXEL_THRESHOLD]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
region_clear (gpointer data)
{
  g_free (((DmHeatmapRegion *)data)->label);
}

void
dm_heatmap_view_set_regions (DmHeatmapView *self,
                             const int *boxes,
                             const char *const *labels,
                             guint n)
{
  g_return_if_fail (DM_IS_HEATMAP_VIEW (self));
  g_array_set_size (self->regions, 0);
  for (guint i = 0; i < n; i++)
    {
      DmHeatmapRegion r = { boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3],
                            g_strdup (labels[i]) };

      g_array_append_val (self->regions, r);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
dm_heatmap_view_get_n_regions (DmHeatmapView *self)
{
  return self->regions->len;
}

const float *
dm_heatmap_view_get_map (DmHeatmapView *self)
{
  return self->map;
}

double
dm_heatmap_view_get_pixel_threshold (DmHeatmapView *self)
{
  g_return_val_if_fail (DM_IS_HEATMAP_VIEW (self), NAN);
  return self->pixel_threshold;
}

void
dm_heatmap_view_set_opacity (DmHeatmapView *self, double opacity)
{
  g_return_if_fail (DM_IS_HEATMAP_VIEW (self));
  opacity = CLAMP (opacity, 0.0, 1.0);
  if (opacity == self->opacity)
    return;
  self->opacity = opacity;
  self->heat_dirty = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), dm_heatmap_view_properties[DM_HEATMAP_PROP_OPACITY]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
dm_heatmap_view_get_opacity (DmHeatmapView *self)
{
  g_return_val_if_fail (DM_IS_HEATMAP_VIEW (self), 0);
  return self->opacity;
}

void
dm_heatmap_view_set_mode (DmHeatmapView *self, DmHeatmapMode mode)
{
  g_return_if_fail (DM_IS_HEATMAP_VIEW (self));
  if (mode == self->mode)
    return;
  self->mode = mode;
  g_object_notify_by_pspec (G_OBJECT (self), dm_heatmap_view_properties[DM_HEATMAP_PROP_MODE]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

DmHeatmapMode
dm_heatmap_view_get_mode (DmHeatmapView *self)
{
  g_return_val_if_fail (DM_IS_HEATMAP_VIEW (self), DM_HEATMAP_MODE_OVERLAY);
  return self->mode;
}

void
dm_heatmap_view_set_colormap (DmHeatmapView *self, const char *name)
{
  DmColormap map = DM_COLORMAP_EMBER;

  g_return_if_fail (DM_IS_HEATMAP_VIEW (self));
  /* an unknown name (a setting of a later version) shows the default */
  dm_colormap_from_name (name, &map);
  if (map == self->colormap)
    return;
  self->colormap = map;
  self->heat_dirty = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), dm_heatmap_view_properties[DM_HEATMAP_PROP_COLORMAP]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
dm_heatmap_view_get_colormap (DmHeatmapView *self)
{
  g_return_val_if_fail (DM_IS_HEATMAP_VIEW (self), NULL);
  return dm_colormap_name (self->colormap);
}

/* ---- GObject ---- */

static void
dm_heatmap_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DmHeatmapView *self = DM_HEATMAP_VIEW (object);

  switch (prop_id)
    {
    case DM_HEATMAP_PROP_OPACITY: g_value_set_double (value, self->opacity); break;
    case DM_HEATMAP_PROP_COLORMAP:
      g_value_set_string (value, dm_heatmap_view_get_colormap (self));
      break;
    case DM_HEATMAP_PROP_PIXEL_THRESHOLD: g_value_set_double (value, self->pixel_threshold); break;
    case DM_HEATMAP_PROP_MODE: g_value_set_enum (value, self->mode); break;
    case DM_HEATMAP_PROP_ZOOM: g_value_set_double (value, self->zoom); break;
    case DM_HEATMAP_PROP_TOOL: g_value_set_enum (value, self->tool); break;
    case DM_HEATMAP_PROP_BRUSH_SIZE: g_value_set_double (value, self->brush_size); break;
    case DM_HEATMAP_PROP_CAN_UNDO:
      g_value_set_boolean (value, dm_heatmap_view_can_undo (self));
      break;
    case DM_HEATMAP_PROP_CAN_REDO:
      g_value_set_boolean (value, dm_heatmap_view_can_redo (self));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_heatmap_view_set_property (GObject *object,
                              guint prop_id,
                              const GValue *value,
                              GParamSpec *pspec)
{
  DmHeatmapView *self = DM_HEATMAP_VIEW (object);

  switch (prop_id)
    {
    case DM_HEATMAP_PROP_COLORMAP:
      dm_heatmap_view_set_colormap (self, g_value_get_string (value));
      break;
    case DM_HEATMAP_PROP_OPACITY:
      dm_heatmap_view_set_opacity (self, g_value_get_double (value));
      break;
    case DM_HEATMAP_PROP_PIXEL_THRESHOLD:
      dm_heatmap_view_set_pixel_threshold (self, g_value_get_double (value));
      break;
    case DM_HEATMAP_PROP_MODE: dm_heatmap_view_set_mode (self, g_value_get_enum (value)); break;
    case DM_HEATMAP_PROP_ZOOM: dm_heatmap_view_set_zoom (self, g_value_get_double (value)); break;
    case DM_HEATMAP_PROP_TOOL: dm_heatmap_view_set_tool (self, g_value_get_enum (value)); break;
    case DM_HEATMAP_PROP_BRUSH_SIZE:
      dm_heatmap_view_set_brush_size (self, g_value_get_double (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_heatmap_view_dispose (GObject *object)
{
  DmHeatmapView *self = DM_HEATMAP_VIEW (object);

  g_clear_pointer (&self->image, cairo_surface_destroy);
  g_clear_pointer (&self->heat, cairo_surface_destroy);
  g_clear_pointer (&self->mask, cairo_surface_destroy);
  g_clear_pointer (&self->map, g_free);
  g_clear_pointer (&self->stroke_before, g_bytes_unref);
  dm_heatmap_view_mask_clear_history (self);
  G_OBJECT_CLASS (dm_heatmap_view_parent_class)->dispose (object);
}

static void
dm_heatmap_view_finalize (GObject *object)
{
  DmHeatmapView *self = DM_HEATMAP_VIEW (object);

  g_array_unref (self->contour);
  g_array_unref (self->regions);
  g_ptr_array_unref (self->undo);
  g_ptr_array_unref (self->redo);
  G_OBJECT_CLASS (dm_heatmap_view_parent_class)->finalize (object);
}

static void
dm_heatmap_view_class_init (DmHeatmapViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = dm_heatmap_view_get_property;
  object_class->set_property = dm_heatmap_view_set_property;
  object_class->dispose = dm_heatmap_view_dispose;
  object_class->finalize = dm_heatmap_view_finalize;
  widget_class->snapshot = dm_heatmap_view_draw;
  widget_class->measure = dm_heatmap_view_measure;

  dm_heatmap_view_properties[DM_HEATMAP_PROP_OPACITY]
    = g_param_spec_double ("opacity", NULL, NULL, 0, 1, 0.65, rw);
  dm_heatmap_view_properties[DM_HEATMAP_PROP_PIXEL_THRESHOLD]
    = g_param_spec_double ("pixel-threshold", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, rw);
  dm_heatmap_view_properties[DM_HEATMAP_PROP_MODE]
    = g_param_spec_enum ("mode", NULL, NULL, DM_TYPE_HEATMAP_MODE, DM_HEATMAP_MODE_OVERLAY, rw);
  dm_heatmap_view_properties[DM_HEATMAP_PROP_ZOOM]
    = g_param_spec_double ("zoom", NULL, NULL, MIN_ZOOM, MAX_ZOOM, 1, rw);
  dm_heatmap_view_properties[DM_HEATMAP_PROP_TOOL]
    = g_param_spec_enum ("tool", NULL, NULL, DM_TYPE_HEATMAP_TOOL, DM_HEATMAP_TOOL_NONE, rw);
  dm_heatmap_view_properties[DM_HEATMAP_PROP_BRUSH_SIZE]
    = g_param_spec_double ("brush-size", NULL, NULL, 1, 1024, 24, rw);
  dm_heatmap_view_properties[DM_HEATMAP_PROP_CAN_UNDO]
    = g_param_spec_boolean ("can-undo", NULL, NULL, FALSE, ro);
  dm_heatmap_view_properties[DM_HEATMAP_PROP_CAN_REDO]
    = g_param_spec_boolean ("can-redo", NULL, NULL, FALSE, ro);
  /* the colour map's name (dm_colormap_name): "ember" or "viridis" */
  dm_heatmap_view_properties[DM_HEATMAP_PROP_COLORMAP]
    = g_param_spec_string ("colormap", NULL, NULL, "ember", rw);
  g_object_class_install_properties (object_class, DM_HEATMAP_N_PROPS, dm_heatmap_view_properties);

  /* Emitted when a stroke, an undo or a redo changed the mask: the caller
   * saves it (dm_heatmap_view_get_mask). */
  dm_heatmap_view_signal_mask_changed
    = g_signal_new ("mask-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "heatmap.zoom-in", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "heatmap.zoom-out", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "heatmap.zoom-reset", NULL, zoom_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, 0, "heatmap.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, 0, "heatmap.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, 0, "heatmap.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, 0, "heatmap.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, 0, "heatmap.zoom-out",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, 0, "heatmap.zoom-reset", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_0, 0, "heatmap.zoom-reset", NULL);
  dm_heatmap_view_mask_class_init (widget_class);

  gtk_widget_class_set_css_name (widget_class, "heatmapview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
dm_heatmap_view_init (DmHeatmapView *self)
{
  GtkEventController *controller;
  GtkGesture *gesture;

  self->contour = g_array_new (FALSE, FALSE, sizeof (float));
  self->regions = g_array_new (FALSE, FALSE, sizeof (DmHeatmapRegion));
  g_array_set_clear_func (self->regions, region_clear);
  self->undo = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  self->redo = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  self->low = 0;
  self->high = DM_OVERLAY_DEFAULT_TOP;
  self->pixel_threshold = NAN;
  self->opacity = 0.65;
  self->zoom = 1.0;
  self->brush_size = 24;
  self->pointer_x = self->pointer_y = -1;
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_focus_on_click (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  gtk_accessible_update_property (
    GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Image with its anomaly heatmap"),
    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
    _ ("Warm colours mark anomalous areas; a line surrounds those above the pixel threshold, "
       "dashed boxes outline the defect regions with their sizes, and hatched parts are not "
       "inspected"),
    -1);
  dm_heatmap_view_mask_reset (self);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect (controller, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_motion_new ();
  g_signal_connect (controller, "enter", G_CALLBACK (on_motion), self);
  g_signal_connect (controller, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (controller, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  gesture = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), 0);
  g_signal_connect (gesture, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (gesture, "drag-update", G_CALLBACK (on_drag_update), self);
  g_signal_connect (gesture, "drag-end", G_CALLBACK (on_drag_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_zoom_new ();
  g_signal_connect (gesture, "begin", G_CALLBACK (on_pinch_begin), self);
  g_signal_connect (gesture, "scale-changed", G_CALLBACK (on_pinch_scale), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));
}

GtkWidget *
dm_heatmap_view_new (void)
{
  return g_object_new (DM_TYPE_HEATMAP_VIEW, NULL);
}
