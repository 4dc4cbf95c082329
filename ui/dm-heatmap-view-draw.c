/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmHeatmapView's pictures: the heatmap coloured at map resolution, the
 * contour at the pixel threshold (marching squares), the not-inspected
 * border, and the snapshot that puts them over the image in each pane. */
#include "config.h"

#include <math.h>

#include "dm-colormap.h"
#include "dm-heatmap-view-private.h"
#include "dm-overlay.h"

/* ---- the heatmap and its contour ---- */

/* The map coloured at map resolution, premultiplied; Cairo scales it onto
 * the crop's rectangle with bilinear filtering when drawn. Colour and
 * opacity follow dm-overlay.h (the command line's overlays), on the class's
 * range instead of the threshold-anchored one. */
static void
build_heat (DmHeatmapView *self)
{
  const guint8 (*table)[3] = dm_colormap_table (self->colormap);
  DmOverlayStyle style;
  guint8 *data;
  int stride;

  self->heat_dirty = FALSE;
  g_clear_pointer (&self->heat, cairo_surface_destroy);
  if (self->map == NULL)
    return;
  dm_overlay_style_init (&style, NAN);
  style.low = (float)self->low;
  style.high = (float)MAX (self->high, self->low + 1e-6);
  style.max_alpha = (float)self->opacity;
  self->heat = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, self->map_size, self->map_size);
  cairo_surface_flush (self->heat);
  data = cairo_image_surface_get_data (self->heat);
  stride = cairo_image_surface_get_stride (self->heat);
  for (int y = 0; y < self->map_size; y++)
    {
      guint32 *row = (guint32 *)(gpointer)(data + (gsize)y * stride);

      for (int x = 0; x < self->map_size; x++)
        {
          float t = dm_overlay_scale_position (&style, self->map[(gsize)y * self->map_size + x]);
          float a = dm_overlay_alpha (&style, t);
          const guint8 *c = table[(int)lrintf (t * 255.0f)];
          guint32 pa = (guint32)lrintf (a * 255.0f);

          row[x] = pa << 24 | (guint32)lrintf (c[0] * a) << 16 | (guint32)lrintf (c[1] * a) << 8
                   | (guint32)lrintf (c[2] * a);
        }
    }
  cairo_surface_mark_dirty (self->heat);
}

static void
add_segment (GArray *out, double x0, double y0, double x1, double y1)
{
  float s[4] = { (float)x0, (float)y0, (float)x1, (float)y1 };

  g_array_append_vals (out, s, 4);
}

/* Marching squares over the map's pixel centres, framed by a ring of nodes
 * on the crop's edge that lie just below the threshold, so every region
 * closes, also where it touches the edge of the crop. Segments in crop
 * coordinates. */
static void
build_contour (DmHeatmapView *self)
{
  int n = self->map_size, g = n + 2;
  double thr = self->pixel_threshold, below = thr - 1e-6 * MAX (1.0, fabs (thr));
  g_autofree double *pos = NULL;

  self->contour_dirty = FALSE;
  g_array_set_size (self->contour, 0);
  if (self->map == NULL || !isfinite (thr))
    return;
  /* node coordinates: the crop's edge, the pixel centres, the far edge */
  pos = g_new (double, g);
  pos[0] = 0;
  for (int i = 1; i <= n; i++)
    pos[i] = (i - 0.5) * self->crop / n;
  pos[n + 1] = self->crop;

#define NODE(i, j)                                                                                 \
  ((i) <= 0 || (j) <= 0 || (i) > n || (j) > n ? below                                              \
                                              : (double)self->map[(gsize)((j)-1) * n + ((i)-1)])
  for (int j = 0; j + 1 < g; j++)
    for (int i = 0; i + 1 < g; i++)
      {
        double a = NODE (i, j), b = NODE (i + 1, j), c = NODE (i + 1, j + 1), d = NODE (i, j + 1);
        int code = (a >= thr) << 3 | (b >= thr) << 2 | (c >= thr) << 1 | (d >= thr);
        double x0 = pos[i], x1 = pos[i + 1], y0 = pos[j], y1 = pos[j + 1];
        /* crossings on the four edges */
        double top = x0 + (x1 - x0) * (thr - a) / (b - a);
        double bottom = x0 + (x1 - x0) * (thr - d) / (c - d);
        double left = y0 + (y1 - y0) * (thr - a) / (d - a);
        double right = y0 + (y1 - y0) * (thr - b) / (c - b);
        gboolean centre = (a + b + c + d) / 4 >= thr;

        switch (code)
          {
          case 0:
          case 15: break;
          case 1:
          case 14: add_segment (self->contour, x0, left, bottom, y1); break;
          case 2:
          case 13: add_segment (self->contour, bottom, y1, x1, right); break;
          case 3:
          case 12: add_segment (self->contour, x0, left, x1, right); break;
          case 4:
          case 11: add_segment (self->contour, top, y0, x1, right); break;
          case 6:
          case 9: add_segment (self->contour, top, y0, bottom, y1); break;
          case 7:
          case 8: add_segment (self->contour, x0, left, top, y0); break;
          case 5: /* b and d above: the centre decides which pair joins */
          case 10:
            if ((code == 5) == centre)
              {
                add_segment (self->contour, x0, left, top, y0);
                add_segment (self->contour, bottom, y1, x1, right);
              }
            else
              {
                add_segment (self->contour, top, y0, x1, right);
                add_segment (self->contour, x0, left, bottom, y1);
              }
            break;
          default: break;
          }
      }
#undef NODE
}

/* ---- drawing ---- */

/* Dims and hatches the part of the image outside the crop, in image
 * coordinates under the pane's transform; the stripes keep a fixed
 * spacing on screen whatever the zoom. */
static void
draw_not_inspected (DmHeatmapView *self, cairo_t *cr, const graphene_rect_t *pane)
{
  double x, y, w, h;

  dm_crop_geometry_rect (&self->geom, &x, &y, &w, &h);
  cairo_save (cr);
  cairo_rectangle (cr, 0, 0, self->width, self->height);
  cairo_rectangle (cr, x, y, w, h);
  cairo_set_fill_rule (cr, CAIRO_FILL_RULE_EVEN_ODD);
  cairo_clip (cr);
  cairo_set_source_rgba (cr, 0.1, 0.1, 0.12, 0.6);
  cairo_paint (cr);
  cairo_identity_matrix (cr);
  cairo_set_source_rgba (cr, 0.85, 0.85, 0.85, 0.35);
  cairo_set_line_width (cr, 1.5);
  for (double d = -pane->size.height; d < pane->size.width; d += 10)
    {
      cairo_move_to (cr, pane->origin.x + d, pane->origin.y + pane->size.height);
      cairo_line_to (cr, pane->origin.x + d + pane->size.height, pane->origin.y);
    }
  cairo_stroke (cr);
  cairo_restore (cr);
}

static void
draw_heat (DmHeatmapView *self, cairo_t *cr)
{
  cairo_pattern_t *pattern;
  double x, y, w, h;

  if (self->heat_dirty)
    build_heat (self);
  if (self->heat == NULL)
    return;
  dm_crop_geometry_rect (&self->geom, &x, &y, &w, &h);
  cairo_save (cr);
  cairo_rectangle (cr, x, y, w, h);
  cairo_clip (cr);
  cairo_translate (cr, x, y);
  cairo_scale (cr, w / self->map_size, h / self->map_size);
  cairo_set_source_surface (cr, self->heat, 0, 0);
  pattern = cairo_get_source (cr);
  /* pad: the outer half pixel of the map keeps its colour up to the edge */
  cairo_pattern_set_extend (pattern, CAIRO_EXTEND_PAD);
  cairo_pattern_set_filter (pattern, CAIRO_FILTER_BILINEAR);
  cairo_paint (cr);
  cairo_restore (cr);
}

static void
draw_contour (DmHeatmapView *self, cairo_t *cr)
{
  const float *s;

  if (self->contour_dirty)
    build_contour (self);
  if (self->contour->len == 0)
    return;
  s = (const float *)(gpointer)self->contour->data;
  cairo_save (cr);
  cairo_new_path (cr);
  for (guint k = 0; k + 3 < self->contour->len; k += 4)
    {
      double x0, y0, x1, y1;

      dm_crop_geometry_to_image (&self->geom, s[k], s[k + 1], &x0, &y0);
      dm_crop_geometry_to_image (&self->geom, s[k + 2], s[k + 3], &x1, &y1);
      cairo_move_to (cr, x0, y0);
      cairo_line_to (cr, x1, y1);
    }
  /* the path is kept in device space: stroke it in screen pixels, a dark
   * halo under a light line so it reads over any colour */
  cairo_identity_matrix (cr);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_width (cr, 3.5);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.6);
  cairo_stroke_preserve (cr);
  cairo_set_line_width (cr, 1.5);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_stroke (cr);
  cairo_restore (cr);
}

/* Each region's box (dashed, with a halo) and its label above it, in
 * screen pixels whatever the zoom. */
static void
draw_regions (DmHeatmapView *self, cairo_t *cr)
{
  for (guint i = 0; i < self->regions->len; i++)
    {
      const DmHeatmapRegion *r = &g_array_index (self->regions, DmHeatmapRegion, i);
      double x0 = r->x, y0 = r->y, x1 = r->x + r->width, y1 = r->y + r->height;
      cairo_text_extents_t ext;

      cairo_save (cr);
      cairo_user_to_device (cr, &x0, &y0);
      cairo_user_to_device (cr, &x1, &y1);
      cairo_identity_matrix (cr);
      /* at least a few pixels: a one-pixel region stays visible */
      if (x1 - x0 < 6)
        x0 -= 3, x1 += 3;
      if (y1 - y0 < 6)
        y0 -= 3, y1 += 3;
      cairo_rectangle (cr, x0, y0, x1 - x0, y1 - y0);
      cairo_set_line_width (cr, 3);
      cairo_set_source_rgba (cr, 0, 0, 0, 0.6);
      cairo_stroke_preserve (cr);
      cairo_set_line_width (cr, 1.5);
      cairo_set_dash (cr, (double[]){ 5, 3 }, 2, 0);
      cairo_set_source_rgb (cr, 1, 0.85, 0.2);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      if (r->label != NULL && r->label[0] != '\0')
        {
          cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
          cairo_set_font_size (cr, 12);
          cairo_text_extents (cr, r->label, &ext);
          y0 = MAX (y0, ext.height + 6);
          cairo_rectangle (cr, x0, y0 - ext.height - 6, ext.x_advance + 8, ext.height + 6);
          cairo_set_source_rgba (cr, 0, 0, 0, 0.7);
          cairo_fill (cr);
          cairo_move_to (cr, x0 + 4, y0 - 3 - (ext.height + ext.y_bearing));
          cairo_set_source_rgb (cr, 1, 0.85, 0.2);
          cairo_show_text (cr, r->label);
        }
      cairo_restore (cr);
    }
}

static void
draw_pane (DmHeatmapView *self, cairo_t *cr, const graphene_rect_t *pane, gboolean heatmap)
{
  double s, ox, oy;

  dm_heatmap_view_pane_transform (self, pane, &s, &ox, &oy);
  cairo_save (cr);
  cairo_rectangle (cr, pane->origin.x, pane->origin.y, pane->size.width, pane->size.height);
  cairo_clip (cr);
  cairo_translate (cr, ox, oy);
  cairo_scale (cr, s, s);
  cairo_set_source_surface (cr, self->image, 0, 0);
  /* pixels as squares when zoomed in (what an inspector wants to see) */
  cairo_pattern_set_filter (cairo_get_source (cr),
                            s >= 2 ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_GOOD);
  cairo_rectangle (cr, 0, 0, self->width, self->height);
  cairo_fill (cr);
  if (heatmap && self->map != NULL)
    draw_heat (self, cr);
  dm_heatmap_view_draw_mask (self, cr);
  if (heatmap && self->map != NULL)
    {
      draw_contour (self, cr);
      draw_not_inspected (self, cr, pane);
      draw_regions (self, cr);
    }
  cairo_restore (cr);

  /* the brush's outline where the pointer is */
  if (self->tool != DM_HEATMAP_TOOL_NONE && self->pointer_x >= 0
      && self->pointer_x >= pane->origin.x && self->pointer_x < pane->origin.x + pane->size.width)
    {
      cairo_arc (cr, self->pointer_x, self->pointer_y, MAX (1.0, self->brush_size * s / 2), 0,
                 2 * G_PI);
      cairo_set_line_width (cr, 3);
      cairo_set_source_rgba (cr, 0, 0, 0, 0.6);
      cairo_stroke_preserve (cr);
      cairo_set_line_width (cr, 1.5);
      if (self->tool == DM_HEATMAP_TOOL_ERASE)
        cairo_set_dash (cr, (double[]){ 4, 3 }, 2, 0);
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
    }
}

void
dm_heatmap_view_draw (GtkWidget *widget, GtkSnapshot *snapshot)
{
  DmHeatmapView *self = DM_HEATMAP_VIEW (widget);
  double w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  graphene_rect_t panes[2];
  cairo_t *cr;
  int n;

  if (w <= 0 || h <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  cairo_set_source_rgb (cr, 0.16, 0.16, 0.17);
  cairo_paint (cr);
  if (self->image != NULL)
    {
      n = dm_heatmap_view_get_panes (self, panes);
      for (int p = 0; p < n; p++)
        draw_pane (self, cr, &panes[p], n == 1 || p == 1);
    }
  cairo_destroy (cr);
}
