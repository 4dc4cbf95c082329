/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Defect regions on the original picture (dm-regions.h): one pass over the
 * rows that the crop covers, runs of defect pixels joined by union-find,
 * then each region measured from its runs. */
#include "dm-regions.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dm-anomaly-map.h"
#include "dm-preprocess.h"

typedef struct
{
  int y, x0, x1;  /* defect pixels [x0, x1) of row y */
  guint32 parent; /* union-find over runs */
  double sum;     /* map values over the run */
  float max;
} Run;

/* Where column (or row) i of the picture samples the map: the two map
 * pixels and the weight of the second, as dm_overlay_sample_map computes
 * them (the same float arithmetic, so regions and overlay agree). */
typedef struct
{
  int i0, i1;
  float f;
} Tap;

static void
tap_init (Tap *t, double c, int size, int crop)
{
  double u = c * size / crop - 0.5;

  u = CLAMP (u, 0.0, (double)(size - 1));
  t->i0 = (int)u;
  t->i1 = MIN (t->i0 + 1, size - 1);
  t->f = (float)(u - t->i0);
}

static guint32
find_root (Run *runs, guint32 i)
{
  while (runs[i].parent != i)
    {
      runs[i].parent = runs[runs[i].parent].parent;
      i = runs[i].parent;
    }
  return i;
}

static void
join (Run *runs, guint32 a, guint32 b)
{
  a = find_root (runs, a);
  b = find_root (runs, b);
  /* the smaller index becomes the root: roots are then met in order */
  if (a < b)
    runs[b].parent = a;
  else if (b < a)
    runs[a].parent = b;
}

void
dm_regions_mm_per_pixel (const DmRegionSettings *s, double *mm_x, double *mm_y)
{
  if (!(s->mm_per_pixel > 0) || !isfinite (s->mm_per_pixel))
    {
      *mm_x = *mm_y = NAN;
      return;
    }
  *mm_x = s->mm_per_pixel * (s->ref_width > 0 ? (double)s->ref_width / s->width : 1.0);
  *mm_y = s->mm_per_pixel * (s->ref_height > 0 ? (double)s->ref_height / s->height : 1.0);
}

typedef struct
{
  double x, y;
} Point;

static int
compare_points (const void *a, const void *b)
{
  const Point *p = a, *q = b;

  if (p->x != q->x)
    return (p->x > q->x) - (p->x < q->x);
  return (p->y > q->y) - (p->y < q->y);
}

static double
cross (Point o, Point a, Point b)
{
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

/* Andrew's monotone chain: the hull of pts (n, sorted) into hull; returns
 * its size. hull holds 2 n points. */
static guint
convex_hull (const Point *pts, guint n, Point *hull)
{
  guint k = 0;

  if (n < 3)
    {
      memcpy (hull, pts, n * sizeof (Point));
      return n;
    }
  for (guint i = 0; i < n; i++)
    {
      while (k >= 2 && cross (hull[k - 2], hull[k - 1], pts[i]) <= 0)
        k--;
      hull[k++] = pts[i];
    }
  for (guint i = n - 1, t = k + 1; i-- > 0;)
    {
      while (k >= t && cross (hull[k - 2], hull[k - 1], pts[i]) <= 0)
        k--;
      hull[k++] = pts[i];
    }
  return k - 1;
}

/* The largest distance between two hull points, with x and y scaled. The
 * hull of the scaled points is the scaled hull (an affine map), so one
 * hull serves both units. Quadratic in the hull's size, which grows with
 * the region's perimeter, not its area. */
static double
diameter (const Point *hull, guint n, double sx, double sy)
{
  double best = 0;

  for (guint i = 0; i < n; i++)
    for (guint j = i + 1; j < n; j++)
      {
        double dx = (hull[i].x - hull[j].x) * sx, dy = (hull[i].y - hull[j].y) * sy;
        best = MAX (best, dx * dx + dy * dy);
      }
  return sqrt (best);
}

typedef struct
{
  DmRegion region;
  guint32 root; /* regions numbered in the order their first run was met */
} Keyed;

/* Largest first; ties by the top, then the left, then the order met (each
 * region has its own), so the order never depends on the sort. */
static int
compare_keyed (const void *a, const void *b)
{
  const Keyed *p = a, *q = b;

  if (p->region.area_px != q->region.area_px)
    return p->region.area_px < q->region.area_px ? 1 : -1;
  if (p->region.y != q->region.y)
    return p->region.y < q->region.y ? -1 : 1;
  if (p->region.x != q->region.x)
    return p->region.x < q->region.x ? -1 : 1;
  return (p->root > q->root) - (p->root < q->root);
}

/* The runs of row y in run order, appended; columns [cx0, cx1) are in the
 * crop, taps hold their map positions. */
static void
row_runs (const float *map,
          const DmRegionSettings *s,
          int y,
          const Tap *ty,
          const Tap *taps,
          int cx0,
          int cx1,
          GArray *ranges,
          GArray *runs)
{
  const int size = DM_ANOMALY_MAP_SIZE;
  const float *r0 = map + (gsize)ty->i0 * size, *r1 = map + (gsize)ty->i1 * size;

  dm_roi_row_pixels (s->roi, s->ref_width, s->ref_height, s->width, s->height, y, ranges);
  for (guint k = 0; k < ranges->len; k++)
    {
      DmPixelRange pr = g_array_index (ranges, DmPixelRange, k);
      Run run = { y, -1, -1, 0, 0, -INFINITY };

      for (int x = MAX (pr.x0, cx0); x < MIN (pr.x1, cx1); x++)
        {
          const Tap *t = &taps[x];
          float top = r0[t->i0] * (1.0f - t->f) + r0[t->i1] * t->f;
          float bottom = r1[t->i0] * (1.0f - t->f) + r1[t->i1] * t->f;
          float v = top * (1.0f - ty->f) + bottom * ty->f;

          /* compared in double, as dm_decide compares scores */
          if ((double)v >= s->threshold)
            {
              if (run.x0 < 0)
                run.x0 = x;
              run.x1 = x + 1;
              run.sum += v;
              run.max = MAX (run.max, v);
            }
          else if (run.x0 >= 0)
            {
              run.parent = runs->len;
              g_array_append_val (runs, run);
              run.x0 = -1;
              run.sum = 0;
              run.max = -INFINITY;
            }
        }
      if (run.x0 >= 0)
        {
          run.parent = runs->len;
          g_array_append_val (runs, run);
        }
    }
}

/* The region of the runs listed in order[from, to) (one root), measured. */
static void
measure (const Run *runs,
         const guint32 *order,
         guint from,
         guint to,
         double mm_x,
         double mm_y,
         GArray *points,
         GArray *hull,
         DmRegion *r)
{
  double sum = 0;
  guint n_hull;

  memset (r, 0, sizeof *r);
  r->max_value = -INFINITY;
  r->x = G_MAXINT;
  r->y = G_MAXINT;
  g_array_set_size (points, 0);
  {
    int x_end = G_MININT, y_end = G_MININT;

    for (guint i = from; i < to; i++)
      {
        const Run *run = &runs[order[i]];
        Point corners[4] = {
          { run->x0, run->y }, { run->x0, run->y + 1 }, { run->x1, run->y }, { run->x1, run->y + 1 }
        };

        r->area_px += (guint64)(run->x1 - run->x0);
        sum += run->sum;
        r->max_value = MAX (r->max_value, run->max);
        r->x = MIN (r->x, run->x0);
        r->y = MIN (r->y, run->y);
        x_end = MAX (x_end, run->x1);
        y_end = MAX (y_end, run->y + 1);
        g_array_append_vals (points, corners, 4);
      }
    r->width = x_end - r->x;
    r->height = y_end - r->y;
  }
  r->mean_value = (float)(sum / (double)r->area_px);
  g_array_sort (points, compare_points);
  g_array_set_size (hull, 2 * points->len + 1);
  n_hull = convex_hull ((const Point *)points->data, points->len, (Point *)hull->data);
  r->length_px = diameter ((const Point *)hull->data, n_hull, 1.0, 1.0);
  if (isfinite (mm_x))
    {
      r->area_mm2 = (double)r->area_px * mm_x * mm_y;
      r->length_mm = diameter ((const Point *)hull->data, n_hull, mm_x, mm_y);
    }
  else
    r->area_mm2 = r->length_mm = NAN;
}

GArray *
dm_regions_find (const float *map, const DmRegionSettings *s, guint32 *labels)
{
  const int size = DM_ANOMALY_MAP_SIZE;
  GArray *regions = g_array_new (FALSE, TRUE, sizeof (DmRegion));
  g_autoptr (GArray) runs = g_array_new (FALSE, FALSE, sizeof (Run));
  g_autoptr (GArray) ranges = g_array_new (FALSE, FALSE, sizeof (DmPixelRange));
  g_autoptr (GArray) points = g_array_new (FALSE, FALSE, sizeof (Point));
  g_autoptr (GArray) hull = g_array_new (FALSE, FALSE, sizeof (Point));
  g_autofree Tap *taps = NULL;
  g_autofree guint32 *order = NULL, *start = NULL, *region_of = NULL;
  DmCropGeometry geom;
  int cx0 = s->width, cx1 = 0;
  guint prev_from = 0, prev_to = 0, n_roots = 0;
  double mm_x, mm_y;

  if (labels != NULL)
    memset (labels, 0, (gsize)s->width * s->height * sizeof (guint32));
  if (!isfinite (s->threshold) || s->width <= 0 || s->height <= 0)
    return regions;
  dm_crop_geometry_init (&geom, s->width, s->height, s->resize, s->crop);
  taps = g_new (Tap, s->width);
  for (int x = 0; x < s->width; x++)
    {
      double xc = (x + 0.5) / geom.scale_x - geom.offset;

      if (xc >= 0.0 && xc < geom.crop)
        {
          cx0 = MIN (cx0, x);
          cx1 = MAX (cx1, x + 1);
          tap_init (&taps[x], xc, size, geom.crop);
        }
    }

  for (int y = 0; y < s->height; y++)
    {
      double yc = (y + 0.5) / geom.scale_y - geom.offset;
      guint from = runs->len, j = prev_from;
      Tap ty;

      if (!(yc >= 0.0 && yc < geom.crop))
        {
          prev_from = prev_to = runs->len;
          continue;
        }
      tap_init (&ty, yc, size, geom.crop);
      row_runs (map, s, y, &ty, taps, cx0, cx1, ranges, runs);
      /* 8-connected to the row above: runs that overlap once widened by one */
      for (guint i = from; i < runs->len; i++)
        {
          Run *run = &g_array_index (runs, Run, i);

          while (j < prev_to && g_array_index (runs, Run, j).x1 < run->x0)
            j++;
          for (guint k = j; k < prev_to && g_array_index (runs, Run, k).x0 <= run->x1; k++)
            join ((Run *)runs->data, k, i);
        }
      prev_from = from;
      prev_to = runs->len;
    }
  if (runs->len == 0)
    return regions;

  /* runs grouped by root (counting sort), roots numbered in order */
  {
    Run *r = (Run *)runs->data;
    guint n = runs->len;

    region_of = g_new (guint32, n);
    start = g_new0 (guint32, n + 1);
    order = g_new (guint32, n);
    for (guint i = 0; i < n; i++)
      {
        guint32 root = find_root (r, i);
        region_of[i] = root == i ? n_roots++ : region_of[root];
      }
    for (guint i = 0; i < n; i++)
      start[region_of[i] + 1]++;
    for (guint k = 0; k < n_roots; k++)
      start[k + 1] += start[k];
    {
      g_autofree guint32 *fill = g_memdup2 (start, (n_roots + 1) * sizeof (guint32));
      for (guint i = 0; i < n; i++)
        order[fill[region_of[i]]++] = i;
    }
  }

  dm_regions_mm_per_pixel (s, &mm_x, &mm_y);
  {
    g_autofree Keyed *keyed = g_new (Keyed, n_roots);
    g_autofree guint32 *rank = g_new (guint32, n_roots);

    for (guint k = 0; k < n_roots; k++)
      {
        measure ((const Run *)runs->data, order, start[k], start[k + 1], mm_x, mm_y, points, hull,
                 &keyed[k].region);
        keyed[k].root = k;
      }
    qsort (keyed, n_roots, sizeof (Keyed), compare_keyed);
    g_array_set_size (regions, n_roots);
    for (guint k = 0; k < n_roots; k++)
      {
        g_array_index (regions, DmRegion, k) = keyed[k].region;
        rank[keyed[k].root] = k;
      }
    for (guint i = 0; labels != NULL && i < runs->len; i++)
      {
        const Run *run = &g_array_index (runs, Run, i);
        guint32 *row = labels + (gsize)run->y * s->width;

        for (int x = run->x0; x < run->x1; x++)
          row[x] = rank[region_of[i]] + 1;
      }
  }
  return regions;
}
