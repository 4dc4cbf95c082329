/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The live loss curve of the Train page. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dm-loss-curve.h"

/* the running average weighs the last ~20 iterations: the raw loss of a
 * batch jumps with the images drawn, the trend is what the user reads */
#define SMOOTHING 0.9

typedef struct
{
  gint64 iteration;
  float loss;
  float smooth;
} Point;

struct _DmLossCurve
{
  GtkWidget parent_instance;

  GArray *points; /* Point */
  gint64 total_iters;
  float max_loss;
};

G_DEFINE_FINAL_TYPE (DmLossCurve, dm_loss_curve, GTK_TYPE_WIDGET)

GtkWidget *
dm_loss_curve_new (void)
{
  return g_object_new (DM_TYPE_LOSS_CURVE, NULL);
}

void
dm_loss_curve_reset (DmLossCurve *self, gint64 total_iters)
{
  g_array_set_size (self->points, 0);
  self->total_iters = MAX (total_iters, 1);
  self->max_loss = 0;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
dm_loss_curve_append (DmLossCurve *self, gint64 iteration, float loss)
{
  Point p = { iteration, loss, loss };

  if (!isfinite (loss))
    return;
  if (self->points->len > 0)
    {
      const Point *last = &g_array_index (self->points, Point, self->points->len - 1);

      /* reports of one iteration may arrive twice (a flushed burst, then
       * the latest report); the curve keeps the first */
      if (iteration <= last->iteration)
        return;
      p.smooth = (float)(SMOOTHING * last->smooth + (1 - SMOOTHING) * loss);
    }
  g_array_append_val (self->points, p);
  self->max_loss = MAX (self->max_loss, loss);
  if (iteration >= self->total_iters)
    self->total_iters = iteration + 1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
dm_loss_curve_get_n_points (DmLossCurve *self)
{
  return self->points->len;
}

/* 1, 2 or 5 times a power of ten, about range / 4. */
static double
nice_step (double range)
{
  double raw = range / 4, p = pow (10, floor (log10 (raw))), f = raw / p;

  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static void
draw_text (cairo_t *cr, PangoLayout *layout, const char *text, double x, double y, double align)
{
  int w, h;

  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - align * w, y - h / 2.0);
  pango_cairo_show_layout (cr, layout);
}

static void
draw_line (cairo_t *cr,
           DmLossCurve *self,
           gboolean smooth,
           double x0,
           double y0,
           double w,
           double h,
           double top)
{
  for (guint i = 0; i < self->points->len; i++)
    {
      const Point *p = &g_array_index (self->points, Point, i);
      double x = x0 + w * (double)p->iteration / (double)MAX (self->total_iters - 1, 1);
      double y = y0 + h - h * (smooth ? p->smooth : p->loss) / top;

      if (i == 0)
        cairo_move_to (cr, x, y);
      else
        cairo_line_to (cr, x, y);
    }
  cairo_stroke (cr);
}

static void
dm_loss_curve_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  DmLossCurve *self = DM_LOSS_CURVE (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (widget, NULL);
  GdkRGBA fg, accent = { 0.21, 0.52, 0.89, 1 };
  double left = 48, right = 12, top_pad = 10, bottom = 26;
  double w = width - left - right, h = height - top_pad - bottom, top, step;
  cairo_t *cr;

  if (w < 20 || h < 20)
    return;
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  cairo_set_line_width (cr, 1);

  /* axes and grid: loss from 0, iterations of the whole schedule */
  top = self->max_loss > 0 ? self->max_loss * 1.05 : 1;
  step = nice_step (top);
  for (double v = 0; v <= top + 1e-12; v += step)
    {
      char label[32];
      double y = top_pad + h - h * v / top;

      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.12);
      cairo_move_to (cr, left, round (y) + 0.5);
      cairo_line_to (cr, left + w, round (y) + 0.5);
      cairo_stroke (cr);
      g_snprintf (label, sizeof label, "%.3g", v);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.7);
      draw_text (cr, layout, label, left - 6, y, 1);
    }
  step = nice_step ((double)self->total_iters);
  for (double it = 0; it <= (double)self->total_iters + 1e-9; it += step)
    {
      char label[32];
      double x = left + w * it / (double)MAX (self->total_iters - 1, 1);

      if (x > left + w + 0.5)
        break;
      g_snprintf (label, sizeof label, "%.0f", it);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.7);
      draw_text (cr, layout, label, x, top_pad + h + bottom / 2.0 + 2, 0.5);
    }
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.35);
  cairo_rectangle (cr, left + 0.5, top_pad + 0.5, w, h);
  cairo_stroke (cr);

  if (self->points->len == 0)
    {
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.5);
      draw_text (cr, layout, _ ("The loss appears here while the model trains"), left + w / 2,
                 top_pad + h / 2, 0.5);
    }
  else
    {
      cairo_save (cr);
      cairo_rectangle (cr, left, top_pad, w, h);
      cairo_clip (cr);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      cairo_set_source_rgba (cr, accent.red, accent.green, accent.blue, 0.3);
      draw_line (cr, self, FALSE, left, top_pad, w, h, top);
      cairo_set_line_width (cr, 2.5);
      cairo_set_source_rgba (cr, accent.red, accent.green, accent.blue, 1);
      draw_line (cr, self, TRUE, left, top_pad, w, h, top);
      cairo_restore (cr);
    }
  cairo_destroy (cr);
}

static void
dm_loss_curve_finalize (GObject *object)
{
  DmLossCurve *self = DM_LOSS_CURVE (object);

  g_array_unref (self->points);
  G_OBJECT_CLASS (dm_loss_curve_parent_class)->finalize (object);
}

static void
dm_loss_curve_class_init (DmLossCurveClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = dm_loss_curve_finalize;
  widget_class->snapshot = dm_loss_curve_snapshot;
  gtk_widget_class_set_css_name (widget_class, "losscurve");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
dm_loss_curve_init (DmLossCurve *self)
{
  self->points = g_array_new (FALSE, FALSE, sizeof (Point));
  self->total_iters = 1;
  gtk_widget_set_size_request (GTK_WIDGET (self), 200, 180);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Training loss"), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _ ("The loss of each iteration so far"), -1);
}
