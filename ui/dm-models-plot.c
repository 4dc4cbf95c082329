/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ROC and PR curves of two versions (dm-models-plot.h). */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-models-plot.h"

/* the two versions' colours: GNOME's blue 3 and orange 4 */
static const double colours[2][3] = { { 0.21, 0.52, 0.89 }, { 0.90, 0.38, 0.0 } };

#define MARGIN 34

static void
text (cairo_t *cr, PangoLayout *layout, double x, double y, const char *s, double align)
{
  int w, h;

  pango_layout_set_text (layout, s, -1);
  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - align * w, y);
  pango_cairo_show_layout (cr, layout);
}

static void
panel (cairo_t *cr,
       PangoLayout *layout,
       double x0,
       double y0,
       double w,
       double h,
       const char *title,
       const char *x_label,
       const char *y_label,
       const DmCurve curves[2],
       const GdkRGBA *fg)
{
  double px = x0 + MARGIN, py = y0 + 22, pw = w - MARGIN - 8, ph = h - 22 - MARGIN;

  gdk_cairo_set_source_rgba (cr, fg);
  text (cr, layout, x0 + w / 2, y0, title, 0.5);
  text (cr, layout, px + pw / 2, py + ph + 14, x_label, 0.5);
  cairo_save (cr);
  cairo_move_to (cr, x0, py + ph / 2);
  cairo_rotate (cr, -G_PI / 2);
  pango_layout_set_text (layout, y_label, -1);
  {
    int tw, th;

    pango_layout_get_pixel_size (layout, &tw, &th);
    cairo_rel_move_to (cr, -tw / 2.0, 0);
  }
  pango_cairo_show_layout (cr, layout);
  cairo_restore (cr);
  text (cr, layout, px - 4, py + ph - 8, "0", 1);
  text (cr, layout, px - 4, py - 8, "1", 1);
  text (cr, layout, px + pw, py + ph + 1, "1", 0.5);

  cairo_set_line_width (cr, 1);
  cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, 0.35);
  cairo_rectangle (cr, px + 0.5, py + 0.5, pw, ph);
  cairo_stroke (cr);
  cairo_set_line_width (cr, 2);
  for (int i = 0; i < 2; i++)
    {
      if (curves[i].n == 0)
        continue;
      cairo_set_source_rgb (cr, colours[i][0], colours[i][1], colours[i][2]);
      for (guint k = 0; k < curves[i].n; k++)
        {
          double x = px + curves[i].x[k] * pw, y = py + (1 - curves[i].y[k]) * ph;

          if (k == 0)
            cairo_move_to (cr, x, y);
          else
            cairo_line_to (cr, x, y);
        }
      cairo_stroke (cr);
    }
}

void
dm_models_plot_draw (cairo_t *cr,
                     int width,
                     int height,
                     const DmModelsData *data,
                     const char *const names[2],
                     const GdkRGBA *fg)
{
  PangoLayout *layout;
  PangoFontDescription *font;
  double half = width / 2.0, legend = 20;

  if (data == NULL || data->curve_class == NULL)
    return;
  layout = pango_cairo_create_layout (cr);
  font = pango_font_description_from_string ("Sans 9");
  pango_layout_set_font_description (layout, font);
  panel (cr, layout, 0, 0, half - 8, height - legend, _ ("ROC"), _ ("False positive rate"),
         _ ("True positive rate"), data->roc, fg);
  panel (cr, layout, half + 8, 0, half - 8, height - legend, _ ("Precision and Recall"),
         _ ("Recall"), _ ("Precision"), data->pr, fg);
  /* the legend: which colour is which version, and the class */
  for (int i = 0; i < 2; i++)
    {
      double x = MARGIN + i * 150;

      cairo_set_source_rgb (cr, colours[i][0], colours[i][1], colours[i][2]);
      cairo_rectangle (cr, x, height - 12, 18, 4);
      cairo_fill (cr);
      gdk_cairo_set_source_rgba (cr, fg);
      text (cr, layout, x + 24, height - 18, names[i], 0);
    }
  {
    /* TRANSLATORS: the class whose images the curves are drawn from */
    g_autofree char *what = g_strdup_printf (_ ("Image scores of class %s"), data->curve_class);

    text (cr, layout, width, height - 18, what, 1);
  }
  pango_font_description_free (font);
  g_object_unref (layout);
}
