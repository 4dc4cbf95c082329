/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmRoiEditor: the picture fitted into the widget, the not-inspected part
 * rasterized (dm_roi_rasterize) into a hatched texture over it, the shape
 * being drawn and the measured line on top. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dm-roi-editor.h"

struct _DmRoiEditor
{
  GtkWidget parent_instance;

  GdkTexture *picture; /* the reference picture, or NULL */
  int width, height;
  DmRoi *roi;
  GdkTexture *shade; /* what is not inspected, hatched; NULL when all is */

  DmRoiTool tool;
  gboolean ignore, erase;
  double radius;

  /* the shape being drawn, in picture pixels */
  GArray *points; /* double x, y pairs */
  gboolean dragging;
  double measure[4]; /* the last measured line */
  double measured;
};

enum
{
  PROP_0,
  PROP_TOOL,
  PROP_IGNORE,
  PROP_ERASE,
  PROP_RADIUS,
  PROP_MEASURED_LENGTH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];
static guint signal_changed;

G_DEFINE_FINAL_TYPE (DmRoiEditor, dm_roi_editor, GTK_TYPE_WIDGET)

GType
dm_roi_tool_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { DM_ROI_TOOL_RECTANGLE, "DM_ROI_TOOL_RECTANGLE", "rectangle" },
    { DM_ROI_TOOL_POLYGON, "DM_ROI_TOOL_POLYGON", "polygon" },
    { DM_ROI_TOOL_BRUSH, "DM_ROI_TOOL_BRUSH", "brush" },
    { DM_ROI_TOOL_MEASURE, "DM_ROI_TOOL_MEASURE", "measure" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("DmRoiTool", values));
  return type;
}

/* ---- geometry: the picture fitted and centred ---- */

static gboolean
fit (DmRoiEditor *self, double *scale, double *ox, double *oy)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self));
  double h = gtk_widget_get_height (GTK_WIDGET (self));

  if (self->width <= 0 || self->height <= 0 || w <= 0 || h <= 0)
    return FALSE;
  *scale = MIN (w / self->width, h / self->height);
  *ox = (w - self->width * *scale) / 2;
  *oy = (h - self->height * *scale) / 2;
  return TRUE;
}

static gboolean
to_picture (DmRoiEditor *self, double wx, double wy, double *x, double *y)
{
  double s, ox, oy;

  if (!fit (self, &s, &ox, &oy))
    return FALSE;
  *x = CLAMP ((wx - ox) / s, 0, self->width);
  *y = CLAMP ((wy - oy) / s, 0, self->height);
  return TRUE;
}

/* ---- the shade of what is not inspected ---- */

static void
update_shade (DmRoiEditor *self)
{
  g_autofree guint8 *inspected = NULL;
  g_autoptr (GBytes) bytes = NULL;
  guint8 *rgba;
  gsize n = (gsize)self->width * self->height;

  g_clear_object (&self->shade);
  if (self->picture == NULL || dm_roi_is_empty (self->roi))
    return;
  inspected = g_malloc (n);
  dm_roi_rasterize (self->roi, self->width, self->height, self->width, self->height, inspected);
  rgba = g_malloc (n * 4);
  for (int y = 0; y < self->height; y++)
    for (int x = 0; x < self->width; x++)
      {
        gsize i = (gsize)y * self->width + x;
        /* hatched as the overlays hatch the margin: dark and light
         * stripes (premultiplied), visible on dark pictures too */
        gboolean light = ((x + y) / 6) % 2 == 0;
        guint8 a = inspected[i] ? 0 : light ? 90 : 160;
        guint8 v = inspected[i] || !light ? 0 : 70;

        rgba[i * 4 + 0] = v;
        rgba[i * 4 + 1] = v;
        rgba[i * 4 + 2] = v;
        rgba[i * 4 + 3] = a;
      }
  bytes = g_bytes_new_take (rgba, n * 4);
  self->shade = gdk_memory_texture_new (
    self->width, self->height, GDK_MEMORY_R8G8B8A8_PREMULTIPLIED, bytes, (gsize)self->width * 4);
}

static void
roi_changed (DmRoiEditor *self)
{
  update_shade (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signal_changed, 0);
}

/* ---- editing ---- */

static void
add_shape (DmRoiEditor *self, DmRoiShapeKind kind, double radius, const double *p, guint n)
{
  dm_roi_add (self->roi, kind, self->ignore ? DM_ROI_IGNORE : DM_ROI_INSPECT, self->erase, radius,
              p, n);
  roi_changed (self);
}

static void
finish_drag (DmRoiEditor *self)
{
  const double *p = (const double *)self->points->data;
  guint n = self->points->len / 2;

  self->dragging = FALSE;
  if (n == 0)
    return;
  switch (self->tool)
    {
    case DM_ROI_TOOL_RECTANGLE:
      {
        double r[4] = { MIN (p[0], p[2 * n - 2]), MIN (p[1], p[2 * n - 1]),
                        MAX (p[0], p[2 * n - 2]), MAX (p[1], p[2 * n - 1]) };

        /* a click is no rectangle */
        if (r[2] - r[0] >= 1 && r[3] - r[1] >= 1)
          add_shape (self, DM_ROI_RECTANGLE, 0, r, 2);
        break;
      }
    case DM_ROI_TOOL_BRUSH: add_shape (self, DM_ROI_STROKE, self->radius, p, n); break;
    case DM_ROI_TOOL_MEASURE:
      self->measure[0] = p[0];
      self->measure[1] = p[1];
      self->measure[2] = p[2 * n - 2];
      self->measure[3] = p[2 * n - 1];
      self->measured = hypot (p[2 * n - 2] - p[0], p[2 * n - 1] - p[1]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEASURED_LENGTH]);
      break;
    case DM_ROI_TOOL_POLYGON:
    default: break;
    }
  g_array_set_size (self->points, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
append_point (DmRoiEditor *self, double x, double y)
{
  g_array_append_val (self->points, x);
  g_array_append_val (self->points, y);
}

void
dm_roi_editor_drag (DmRoiEditor *self, double x0, double y0, double x1, double y1)
{
  g_return_if_fail (DM_IS_ROI_EDITOR (self));
  g_array_set_size (self->points, 0);
  append_point (self, x0, y0);
  append_point (self, x1, y1);
  finish_drag (self);
}

void
dm_roi_editor_click (DmRoiEditor *self, double x, double y, int n)
{
  g_return_if_fail (DM_IS_ROI_EDITOR (self));
  if (self->tool != DM_ROI_TOOL_POLYGON)
    return;
  /* a double click ends the polygon at the vertex its first click added */
  if (n < 2)
    append_point (self, x, y);
  if (n >= 2 && self->points->len >= 6)
    {
      add_shape (self, DM_ROI_POLYGON, 0, (const double *)self->points->data,
                 self->points->len / 2);
      g_array_set_size (self->points, 0);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_drag_begin (GtkGestureDrag *gesture, double wx, double wy, DmRoiEditor *self)
{
  double x, y;

  if (self->tool == DM_ROI_TOOL_POLYGON || !to_picture (self, wx, wy, &x, &y))
    {
      gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_DENIED);
      return;
    }
  g_array_set_size (self->points, 0);
  append_point (self, x, y);
  self->dragging = TRUE;
}

static void
on_drag_update (GtkGestureDrag *gesture, double dx, double dy, DmRoiEditor *self)
{
  double sx, sy, x, y;

  if (!self->dragging)
    return;
  gtk_gesture_drag_get_start_point (gesture, &sx, &sy);
  if (!to_picture (self, sx + dx, sy + dy, &x, &y))
    return;
  /* rectangles and lines keep their start and the current point */
  if (self->tool != DM_ROI_TOOL_BRUSH && self->points->len > 2)
    g_array_set_size (self->points, 2);
  append_point (self, x, y);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_drag_end (GtkGestureDrag *gesture, double dx, double dy, DmRoiEditor *self)
{
  if (self->dragging)
    {
      on_drag_update (gesture, dx, dy, self);
      finish_drag (self);
    }
}

static void
on_pressed (GtkGestureClick *gesture, int n, double wx, double wy, DmRoiEditor *self)
{
  double x, y;

  if (self->tool == DM_ROI_TOOL_POLYGON && to_picture (self, wx, wy, &x, &y))
    dm_roi_editor_click (self, x, y, n);
}

/* ---- drawing ---- */

static void
dm_roi_editor_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  DmRoiEditor *self = DM_ROI_EDITOR (widget);
  const double *p = (const double *)self->points->data;
  guint n = self->points->len / 2;
  graphene_rect_t area;
  double s, ox, oy;
  cairo_t *cr;

  if (self->picture == NULL || !fit (self, &s, &ox, &oy))
    return;
  area = GRAPHENE_RECT_INIT (ox, oy, self->width * s, self->height * s);
  gtk_snapshot_append_texture (snapshot, self->picture, &area);
  if (self->shade != NULL)
    gtk_snapshot_append_texture (snapshot, self->shade, &area);
  if (n == 0 && self->measured <= 0)
    return;

  cr
    = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (widget),
                                                                gtk_widget_get_height (widget)));
  cairo_translate (cr, ox, oy);
  cairo_scale (cr, s, s);
  cairo_set_line_width (cr, 2 / s);
  /* the shape being drawn: yellow, dashed while unfinished */
  if (n > 0)
    {
      double dash = 6 / s;

      cairo_set_source_rgb (cr, 0.98, 0.80, 0.10);
      cairo_set_dash (cr, &dash, 1, 0);
      if (self->tool == DM_ROI_TOOL_RECTANGLE && n >= 2)
        cairo_rectangle (cr, p[0], p[1], p[2 * n - 2] - p[0], p[2 * n - 1] - p[1]);
      else
        {
          cairo_move_to (cr, p[0], p[1]);
          for (guint i = 1; i < n; i++)
            cairo_line_to (cr, p[2 * i], p[2 * i + 1]);
          if (self->tool == DM_ROI_TOOL_BRUSH)
            {
              cairo_set_dash (cr, NULL, 0, 0);
              cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
              cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
              cairo_set_line_width (cr, 2 * self->radius);
              cairo_set_source_rgba (cr, 0.98, 0.80, 0.10, 0.5);
            }
        }
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
    }
  /* the measured line: blue with end ticks */
  if (self->measured > 0)
    {
      cairo_set_line_width (cr, 2 / s);
      cairo_set_source_rgb (cr, 0.21, 0.52, 0.89);
      cairo_move_to (cr, self->measure[0], self->measure[1]);
      cairo_line_to (cr, self->measure[2], self->measure[3]);
      cairo_stroke (cr);
      for (int e = 0; e < 2; e++)
        {
          cairo_arc (cr, self->measure[2 * e], self->measure[2 * e + 1], 4 / s, 0, 2 * G_PI);
          cairo_fill (cr);
        }
    }
  cairo_destroy (cr);
}

/* ---- the API ---- */

void
dm_roi_editor_set_image (DmRoiEditor *self, const DmImage *image)
{
  g_autoptr (GBytes) bytes = NULL;
  guint8 *rgb;

  g_return_if_fail (DM_IS_ROI_EDITOR (self));
  g_clear_object (&self->picture);
  self->width = self->height = 0;
  if (image != NULL && image->type == DM_PIXEL_U8)
    {
      rgb = g_malloc ((gsize)image->width * image->height * 3);
      for (int y = 0; y < image->height; y++)
        for (int x = 0; x < image->width; x++)
          for (int c = 0; c < 3; c++)
            {
              /* gray replicated, alpha dropped */
              int from = image->channels >= 3 ? c : 0;

              rgb[((gsize)y * image->width + x) * 3 + c]
                = image->data[y * image->stride + (gsize)x * image->channels + from];
            }
      bytes = g_bytes_new_take (rgb, (gsize)image->width * image->height * 3);
      self->picture = gdk_memory_texture_new (image->width, image->height, GDK_MEMORY_R8G8B8, bytes,
                                              (gsize)image->width * 3);
      self->width = image->width;
      self->height = image->height;
    }
  update_shade (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

int
dm_roi_editor_get_image_width (DmRoiEditor *self)
{
  return self->width;
}

int
dm_roi_editor_get_image_height (DmRoiEditor *self)
{
  return self->height;
}

void
dm_roi_editor_set_roi (DmRoiEditor *self, const DmRoi *roi)
{
  g_return_if_fail (DM_IS_ROI_EDITOR (self));
  dm_roi_free (self->roi);
  self->roi = roi != NULL ? dm_roi_copy (roi) : dm_roi_new ();
  roi_changed (self);
}

const DmRoi *
dm_roi_editor_get_roi (DmRoiEditor *self)
{
  return self->roi;
}

gboolean
dm_roi_editor_undo (DmRoiEditor *self)
{
  if (!dm_roi_remove_last (self->roi))
    return FALSE;
  roi_changed (self);
  return TRUE;
}

void
dm_roi_editor_clear (DmRoiEditor *self)
{
  dm_roi_editor_set_roi (self, NULL);
}

void
dm_roi_editor_set_tool (DmRoiEditor *self, DmRoiTool tool)
{
  g_return_if_fail (DM_IS_ROI_EDITOR (self));
  if (self->tool == tool)
    return;
  self->tool = tool;
  /* an unfinished polygon is dropped */
  g_array_set_size (self->points, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOOL]);
}

DmRoiTool
dm_roi_editor_get_tool (DmRoiEditor *self)
{
  return self->tool;
}

double
dm_roi_editor_get_measured_length (DmRoiEditor *self)
{
  return self->measured;
}

static void
dm_roi_editor_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  DmRoiEditor *self = DM_ROI_EDITOR (object);

  switch (id)
    {
    case PROP_TOOL: g_value_set_enum (value, self->tool); break;
    case PROP_IGNORE: g_value_set_boolean (value, self->ignore); break;
    case PROP_ERASE: g_value_set_boolean (value, self->erase); break;
    case PROP_RADIUS: g_value_set_double (value, self->radius); break;
    case PROP_MEASURED_LENGTH: g_value_set_double (value, self->measured); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
dm_roi_editor_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  DmRoiEditor *self = DM_ROI_EDITOR (object);

  switch (id)
    {
    case PROP_TOOL: dm_roi_editor_set_tool (self, g_value_get_enum (value)); break;
    case PROP_IGNORE:
      if (self->ignore != g_value_get_boolean (value))
        {
          self->ignore = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_ERASE:
      if (self->erase != g_value_get_boolean (value))
        {
          self->erase = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_RADIUS:
      if (self->radius != g_value_get_double (value))
        {
          self->radius = g_value_get_double (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
dm_roi_editor_measure (GtkWidget *widget,
                       GtkOrientation orientation,
                       int for_size,
                       int *minimum,
                       int *natural,
                       int *minimum_baseline,
                       int *natural_baseline)
{
  *minimum = 160;
  *natural = 480;
}

static void
dm_roi_editor_finalize (GObject *object)
{
  DmRoiEditor *self = DM_ROI_EDITOR (object);

  g_clear_object (&self->picture);
  g_clear_object (&self->shade);
  dm_roi_free (self->roi);
  g_array_unref (self->points);
  G_OBJECT_CLASS (dm_roi_editor_parent_class)->finalize (object);
}

static void
dm_roi_editor_class_init (DmRoiEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = dm_roi_editor_finalize;
  object_class->get_property = dm_roi_editor_get_property;
  object_class->set_property = dm_roi_editor_set_property;
  widget_class->snapshot = dm_roi_editor_snapshot;
  widget_class->measure = dm_roi_editor_measure;

  properties[PROP_TOOL]
    = g_param_spec_enum ("tool", NULL, NULL, DM_TYPE_ROI_TOOL, DM_ROI_TOOL_RECTANGLE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IGNORE]
    = g_param_spec_boolean ("ignore", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERASE]
    = g_param_spec_boolean ("erase", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RADIUS]
    = g_param_spec_double ("radius", NULL, NULL, 0.5, DM_ROI_MAX_COORDINATE, 12,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MEASURED_LENGTH]
    = g_param_spec_double ("measured-length", NULL, NULL, 0, G_MAXDOUBLE, 0,
                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signal_changed = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 0);
  gtk_widget_class_set_css_name (widget_class, "roieditor");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
dm_roi_editor_init (DmRoiEditor *self)
{
  GtkGesture *gesture;

  self->roi = dm_roi_new ();
  self->points = g_array_new (FALSE, FALSE, sizeof (double));
  self->radius = 12;
  gtk_accessible_update_property (
    GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Region of interest"),
    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
    _ ("The reference picture; what is not inspected is dimmed and hatched"), -1);

  gesture = gtk_gesture_drag_new ();
  g_signal_connect (gesture, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (gesture, "drag-update", G_CALLBACK (on_drag_update), self);
  g_signal_connect (gesture, "drag-end", G_CALLBACK (on_drag_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_click_new ();
  g_signal_connect (gesture, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));
}

GtkWidget *
dm_roi_editor_new (void)
{
  return g_object_new (DM_TYPE_ROI_EDITOR, NULL);
}
