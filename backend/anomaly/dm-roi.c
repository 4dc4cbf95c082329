/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Regions of interest: shapes, their rows as spans, masks and the masked
 * score (dm-roi.h). */
#include "dm-roi.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dm-anomaly-map.h"
#include "dm-error.h"
#include "dm-preprocess.h"

static void
shape_clear (gpointer data)
{
  DmRoiShape *shape = data;

  g_clear_pointer (&shape->points, g_free);
}

DmRoi *
dm_roi_new (void)
{
  DmRoi *roi = g_new0 (DmRoi, 1);

  roi->shapes = g_array_new (FALSE, TRUE, sizeof (DmRoiShape));
  g_array_set_clear_func (roi->shapes, shape_clear);
  return roi;
}

DmRoi *
dm_roi_copy (const DmRoi *roi)
{
  DmRoi *copy = dm_roi_new ();

  for (guint i = 0; roi != NULL && i < roi->shapes->len; i++)
    {
      const DmRoiShape *s = &g_array_index (roi->shapes, DmRoiShape, i);

      dm_roi_add (copy, s->kind, s->layer, s->erase, s->radius, s->points, s->n_points);
    }
  return copy;
}

void
dm_roi_free (DmRoi *roi)
{
  if (roi == NULL)
    return;
  g_array_unref (roi->shapes);
  g_free (roi);
}

void
dm_roi_add (DmRoi *roi,
            DmRoiShapeKind kind,
            DmRoiLayer layer,
            gboolean erase,
            double radius,
            const double *points,
            guint n_points)
{
  DmRoiShape shape = { kind,           layer,
                       erase != FALSE, kind == DM_ROI_STROKE ? radius : 0.0,
                       n_points,       g_memdup2 (points, (gsize)n_points * 2 * sizeof (double)),
                       INFINITY,       -INFINITY };

  for (guint i = 0; i < n_points; i++)
    {
      shape.y_min = MIN (shape.y_min, points[2 * i + 1] - shape.radius);
      shape.y_max = MAX (shape.y_max, points[2 * i + 1] + shape.radius);
    }
  g_array_append_val (roi->shapes, shape);
}

gboolean
dm_roi_remove_last (DmRoi *roi)
{
  if (roi->shapes->len == 0)
    return FALSE;
  g_array_set_size (roi->shapes, roi->shapes->len - 1);
  return TRUE;
}

guint
dm_roi_n_shapes (const DmRoi *roi)
{
  return roi != NULL ? roi->shapes->len : 0;
}

gboolean
dm_roi_is_empty (const DmRoi *roi)
{
  return dm_roi_n_shapes (roi) == 0;
}

gboolean
dm_roi_equal (const DmRoi *a, const DmRoi *b)
{
  if (dm_roi_n_shapes (a) != dm_roi_n_shapes (b))
    return FALSE;
  for (guint i = 0; i < dm_roi_n_shapes (a); i++)
    {
      const DmRoiShape *s = &g_array_index (a->shapes, DmRoiShape, i);
      const DmRoiShape *t = &g_array_index (b->shapes, DmRoiShape, i);

      if (s->kind != t->kind || s->layer != t->layer || s->erase != t->erase
          || s->radius != t->radius || s->n_points != t->n_points
          || memcmp (s->points, t->points, (gsize)s->n_points * 2 * sizeof (double)) != 0)
        return FALSE;
    }
  return TRUE;
}

static const char *const kind_names[] = { "rectangle", "polygon", "stroke" };
static const char *const layer_names[] = { "inspect", "ignore" };

const char *
dm_roi_shape_kind_name (DmRoiShapeKind kind)
{
  return kind_names[CLAMP ((int)kind, 0, 2)];
}

gboolean
dm_roi_shape_kind_from_name (const char *name, DmRoiShapeKind *kind)
{
  for (int i = 0; i < 3; i++)
    if (g_strcmp0 (name, kind_names[i]) == 0)
      {
        *kind = (DmRoiShapeKind)i;
        return TRUE;
      }
  return FALSE;
}

const char *
dm_roi_layer_name (DmRoiLayer layer)
{
  return layer_names[layer == DM_ROI_IGNORE];
}

gboolean
dm_roi_layer_from_name (const char *name, DmRoiLayer *layer)
{
  for (int i = 0; i < 2; i++)
    if (g_strcmp0 (name, layer_names[i]) == 0)
      {
        *layer = (DmRoiLayer)i;
        return TRUE;
      }
  return FALSE;
}

gboolean
dm_roi_validate (const DmRoi *roi, GError **error)
{
  guint64 total = 0;

  if (dm_roi_n_shapes (roi) > DM_ROI_MAX_SHAPES)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE,
                   "region of interest: %u shapes (at most %d)", dm_roi_n_shapes (roi),
                   DM_ROI_MAX_SHAPES);
      return FALSE;
    }
  for (guint i = 0; i < dm_roi_n_shapes (roi); i++)
    {
      const DmRoiShape *s = &g_array_index (roi->shapes, DmRoiShape, i);
      guint need = s->kind == DM_ROI_RECTANGLE ? 2 : s->kind == DM_ROI_POLYGON ? 3 : 1;

      total += s->n_points;
      if (s->n_points > DM_ROI_MAX_POINTS || total > DM_ROI_MAX_TOTAL_POINTS)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE,
                       "region of interest: shape %u: too many points (at most %d per shape, %d "
                       "in all)",
                       i + 1, DM_ROI_MAX_POINTS, DM_ROI_MAX_TOTAL_POINTS);
          return FALSE;
        }
      if (s->n_points < need || (s->kind == DM_ROI_RECTANGLE && s->n_points != 2))
        {
          g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                       "region of interest: shape %u: a %s needs %s%u points, it has %u", i + 1,
                       dm_roi_shape_kind_name (s->kind),
                       s->kind == DM_ROI_RECTANGLE ? "" : "at least ", need, s->n_points);
          return FALSE;
        }
      for (guint k = 0; k < 2 * s->n_points; k++)
        if (!(fabs (s->points[k]) <= DM_ROI_MAX_COORDINATE))
          {
            g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                         "region of interest: shape %u: coordinate %g is not a finite number "
                         "within ±%g",
                         i + 1, s->points[k], DM_ROI_MAX_COORDINATE);
            return FALSE;
          }
      if (s->kind == DM_ROI_STROKE && !(s->radius > 0 && s->radius <= DM_ROI_MAX_COORDINATE))
        {
          g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                       "region of interest: shape %u: a stroke's radius must be positive (it is "
                       "%g)",
                       i + 1, s->radius);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- rows as spans ----------------------------------------------------- */

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

static int
compare_spans (const void *a, const void *b)
{
  return compare_doubles (&((const DmSpan *)a)->x0, &((const DmSpan *)b)->x0);
}

/* Sorts spans and merges those that overlap or touch. */
static void
normalise (GArray *spans)
{
  guint n = 0;

  g_array_sort (spans, compare_spans);
  for (guint i = 0; i < spans->len; i++)
    {
      DmSpan s = g_array_index (spans, DmSpan, i);

      if (!(s.x1 > s.x0))
        continue;
      if (n > 0 && s.x0 <= g_array_index (spans, DmSpan, n - 1).x1)
        {
          DmSpan *last = &g_array_index (spans, DmSpan, n - 1);
          last->x1 = MAX (last->x1, s.x1);
        }
      else
        g_array_index (spans, DmSpan, n++) = s;
    }
  g_array_set_size (spans, n);
}

/* Appends the even-odd spans of the closed polygon (n vertices) at row y:
 * an edge crosses the row when its ends lie on both sides of it, the lower
 * end counted as below (so a vertex on the row is crossed once). */
static void
polygon_row (const double *p, guint n, double y, GArray *spans, GArray *xs)
{
  g_array_set_size (xs, 0);
  for (guint i = 0; i < n; i++)
    {
      const double *a = p + 2 * i, *b = p + 2 * ((i + 1) % n);

      if ((a[1] <= y) != (b[1] <= y))
        {
          double x = a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
          g_array_append_val (xs, x);
        }
    }
  g_array_sort (xs, compare_doubles);
  for (guint i = 0; i + 1 < xs->len; i += 2)
    {
      DmSpan s = { g_array_index (xs, double, i), g_array_index (xs, double, i + 1) };
      g_array_append_val (spans, s);
    }
}

static void
disc_row (const double *c, double r, double y, GArray *spans)
{
  double dy = y - c[1], h2 = r * r - dy * dy;

  if (h2 > 0)
    {
      DmSpan s = { c[0] - sqrt (h2), c[0] + sqrt (h2) };
      g_array_append_val (spans, s);
    }
}

/* A stroke is the union of discs at its points and of the rectangles of
 * half-width r along its segments: every point within r of the polyline. */
static void
stroke_row (const DmRoiShape *shape, double y, GArray *spans, GArray *xs)
{
  const double *p = shape->points;
  double r = shape->radius;

  for (guint i = 0; i < shape->n_points; i++)
    disc_row (p + 2 * i, r, y, spans);
  for (guint i = 0; i + 1 < shape->n_points; i++)
    {
      const double *a = p + 2 * i, *b = p + 2 * i + 2;
      double dx = b[0] - a[0], dy = b[1] - a[1], len = hypot (dx, dy);
      double nx, ny;

      if (!(len > 0))
        continue;
      nx = -dy / len * r;
      ny = dx / len * r;
      {
        double quad[8] = { a[0] + nx, a[1] + ny, b[0] + nx, b[1] + ny,
                           b[0] - nx, b[1] - ny, a[0] - nx, a[1] - ny };
        polygon_row (quad, 4, y, spans, xs);
      }
    }
}

/* The spans of one shape at row y, normalised. */
static void
shape_row (const DmRoiShape *shape, double y, GArray *spans, GArray *xs)
{
  g_array_set_size (spans, 0);
  if (y < shape->y_min || y > shape->y_max)
    return;
  switch (shape->kind)
    {
    case DM_ROI_RECTANGLE:
      {
        const double *p = shape->points;
        double y0 = MIN (p[1], p[3]), y1 = MAX (p[1], p[3]);

        if (y >= y0 && y < y1)
          {
            DmSpan s = { MIN (p[0], p[2]), MAX (p[0], p[2]) };
            g_array_append_val (spans, s);
          }
      }
      break;
    case DM_ROI_POLYGON: polygon_row (shape->points, shape->n_points, y, spans, xs); break;
    case DM_ROI_STROKE: stroke_row (shape, y, spans, xs); break;
    }
  normalise (spans);
}

/* a = a ∪ b (both normalised) */
static void
spans_union (GArray *a, const GArray *b)
{
  g_array_append_vals (a, b->data, b->len);
  normalise (a);
}

/* out = a \ b (both normalised) */
static void
spans_subtract (const GArray *a, const GArray *b, GArray *out)
{
  guint j = 0;

  g_array_set_size (out, 0);
  for (guint i = 0; i < a->len; i++)
    {
      DmSpan s = g_array_index (a, DmSpan, i);

      while (j < b->len && g_array_index (b, DmSpan, j).x1 <= s.x0)
        j++;
      for (guint k = j; k < b->len && s.x0 < s.x1; k++)
        {
          DmSpan c = g_array_index (b, DmSpan, k);

          if (c.x0 >= s.x1)
            break;
          if (c.x0 > s.x0)
            {
              DmSpan piece = { s.x0, c.x0 };
              g_array_append_val (out, piece);
            }
          s.x0 = MAX (s.x0, c.x1);
        }
      if (s.x1 > s.x0)
        g_array_append_val (out, s);
    }
}

/* One layer painted in order at row y into layer (normalised); FALSE when
 * the layer has no shape at all. */
static gboolean
layer_row (const DmRoi *roi,
           DmRoiLayer which,
           double y,
           GArray *layer,
           GArray *shape,
           GArray *tmp,
           GArray *xs)
{
  gboolean any = FALSE;

  g_array_set_size (layer, 0);
  for (guint i = 0; i < roi->shapes->len; i++)
    {
      const DmRoiShape *s = &g_array_index (roi->shapes, DmRoiShape, i);

      if (s->layer != which)
        continue;
      any = TRUE;
      shape_row (s, y, shape, xs);
      if (shape->len == 0)
        continue;
      if (s->erase)
        {
          spans_subtract (layer, shape, tmp);
          g_array_set_size (layer, 0);
          g_array_append_vals (layer, tmp->data, tmp->len);
        }
      else
        spans_union (layer, shape);
    }
  return any;
}

void
dm_roi_row (const DmRoi *roi, int ref_width, double y, GArray *spans)
{
  g_autoptr (GArray) inspect = g_array_new (FALSE, FALSE, sizeof (DmSpan));
  g_autoptr (GArray) ignore = g_array_new (FALSE, FALSE, sizeof (DmSpan));
  g_autoptr (GArray) shape = g_array_new (FALSE, FALSE, sizeof (DmSpan));
  g_autoptr (GArray) tmp = g_array_new (FALSE, FALSE, sizeof (DmSpan));
  g_autoptr (GArray) xs = g_array_new (FALSE, FALSE, sizeof (double));
  DmSpan whole = { 0, ref_width };

  g_array_set_size (spans, 0);
  if (roi == NULL || !layer_row (roi, DM_ROI_INSPECT, y, inspect, shape, tmp, xs))
    {
      g_array_set_size (inspect, 0);
      g_array_append_val (inspect, whole);
    }
  else
    {
      /* clip to the picture */
      g_array_set_size (shape, 0);
      g_array_append_val (shape, whole);
      spans_subtract (inspect, shape, tmp);
      spans_subtract (inspect, tmp, shape);
      g_array_set_size (inspect, 0);
      g_array_append_vals (inspect, shape->data, shape->len);
    }
  if (roi != NULL && layer_row (roi, DM_ROI_IGNORE, y, ignore, shape, tmp, xs))
    spans_subtract (inspect, ignore, spans);
  else
    g_array_append_vals (spans, inspect->data, inspect->len);
}

/* ---- masks ------------------------------------------------------------- */

/* The first pixel x in [0, n] whose centre (x + 0.5) * scale is at or
 * beyond v: the guess from division, corrected on the exact test. */
static int
first_centre_at (double v, double scale, int n)
{
  double g = ceil (v / scale - 0.5);
  int x = g <= 0 ? 0 : g >= n ? n : (int)g;

  while (x > 0 && (x - 1 + 0.5) * scale >= v)
    x--;
  while (x < n && (x + 0.5) * scale < v)
    x++;
  return x;
}

void
dm_roi_row_pixels (
  const DmRoi *roi, int ref_width, int ref_height, int width, int height, int y, GArray *ranges)
{
  g_autoptr (GArray) spans = g_array_new (FALSE, FALSE, sizeof (DmSpan));
  double sx = ref_width > 0 ? (double)ref_width / width : 1.0;
  double sy = ref_height > 0 ? (double)ref_height / height : 1.0;

  g_array_set_size (ranges, 0);
  dm_roi_row (roi, ref_width > 0 ? ref_width : width, (y + 0.5) * sy, spans);
  for (guint i = 0; i < spans->len; i++)
    {
      DmSpan s = g_array_index (spans, DmSpan, i);
      DmPixelRange r = { first_centre_at (s.x0, sx, width), first_centre_at (s.x1, sx, width) };

      if (r.x1 > r.x0)
        g_array_append_val (ranges, r);
    }
}

guint64
dm_roi_rasterize (
  const DmRoi *roi, int ref_width, int ref_height, int width, int height, guint8 *out)
{
  g_autoptr (GArray) ranges = g_array_new (FALSE, FALSE, sizeof (DmPixelRange));
  guint64 n = 0;

  memset (out, 0, (gsize)width * height);
  for (int y = 0; y < height; y++)
    {
      dm_roi_row_pixels (roi, ref_width, ref_height, width, height, y, ranges);
      for (guint i = 0; i < ranges->len; i++)
        {
          DmPixelRange r = g_array_index (ranges, DmPixelRange, i);

          memset (out + (gsize)y * width + r.x0, 1, (gsize)(r.x1 - r.x0));
          n += (guint64)(r.x1 - r.x0);
        }
    }
  return n;
}

guint
dm_roi_map_mask (
  const DmRoi *roi, int ref_width, int ref_height, int resize, int crop, guint8 *mask)
{
  const int size = DM_ANOMALY_MAP_SIZE;
  g_autoptr (GArray) spans = g_array_new (FALSE, FALSE, sizeof (DmSpan));
  DmCropGeometry geom;
  guint n = 0;

  /* the reference picture's own geometry: the shapes are in its pixels */
  dm_crop_geometry_init (&geom, ref_width, ref_height, resize, crop);
  for (int j = 0; j < size; j++)
    {
      double xr, yr;

      dm_crop_geometry_to_image (&geom, 0.0, (j + 0.5) * crop / size, &xr, &yr);
      dm_roi_row (roi, ref_width, yr, spans);
      for (int i = 0; i < size; i++)
        {
          guint8 in = 0;

          dm_crop_geometry_to_image (&geom, (i + 0.5) * crop / size, 0.0, &xr, &yr);
          for (guint s = 0; s < spans->len && !in; s++)
            in = xr >= g_array_index (spans, DmSpan, s).x0
                 && xr < g_array_index (spans, DmSpan, s).x1;
          mask[(gsize)j * size + i] = in;
          n += in;
        }
    }
  return n;
}

gsize
dm_roi_top_k (guint n_inspected)
{
  gsize n_map = (gsize)DM_ANOMALY_MAP_SIZE * DM_ANOMALY_MAP_SIZE;

  return MAX (1, (gsize)DM_ANOMALY_TOP_K * n_inspected / n_map);
}

float
dm_roi_score (const float *map, const guint8 *mask, float *scratch)
{
  gsize n_map = (gsize)DM_ANOMALY_MAP_SIZE * DM_ANOMALY_MAP_SIZE, n = 0;

  for (gsize i = 0; i < n_map; i++)
    if (mask[i])
      scratch[n++] = map[i];
  if (n == 0)
    return NAN;
  return dm_top_k_mean_in_place (scratch, n, dm_roi_top_k ((guint)n));
}
