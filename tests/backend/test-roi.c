/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Regions of interest against a straightforward reference: every map
 * pixel's centre placed on the reference picture and tested against each
 * shape by the textbook predicates (inside a rectangle, even-odd ray
 * crossing for polygons, distance to a segment for strokes), layers
 * painted in order; the masked score against sort-and-average with the
 * written rule k = max (1, floor (655 n / 65536)); the rules' JSON form
 * (round trip, every refusal with its reason). */
#include <math.h>
#include <string.h>

#include "dm-anomaly-map.h"
#include "dm-error.h"
#include "dm-preprocess.h"
#include "dm-roi.h"
#include "dm-rules.h"
#include "dm-test-util.h"

#define N ((gsize)DM_ANOMALY_MAP_SIZE * DM_ANOMALY_MAP_SIZE)

/* ---- the reference -------------------------------------------------------- */

static gboolean
in_polygon (const double *p, guint n, double x, double y)
{
  gboolean inside = FALSE;

  for (guint i = 0, j = n - 1; i < n; j = i++)
    if ((p[2 * i + 1] > y) != (p[2 * j + 1] > y)
        && x < p[2 * i]
                 + (y - p[2 * i + 1]) * (p[2 * j] - p[2 * i]) / (p[2 * j + 1] - p[2 * i + 1]))
      inside = !inside;
  return inside;
}

static double
segment_distance (const double *a, const double *b, double x, double y)
{
  double dx = b[0] - a[0], dy = b[1] - a[1], l2 = dx * dx + dy * dy;
  double t = l2 > 0 ? ((x - a[0]) * dx + (y - a[1]) * dy) / l2 : 0;

  t = CLAMP (t, 0.0, 1.0);
  return hypot (x - (a[0] + t * dx), y - (a[1] + t * dy));
}

static gboolean
in_shape (const DmRoiShape *s, double x, double y)
{
  const double *p = s->points;

  switch (s->kind)
    {
    case DM_ROI_RECTANGLE:
      return x >= MIN (p[0], p[2]) && x < MAX (p[0], p[2]) && y >= MIN (p[1], p[3])
             && y < MAX (p[1], p[3]);
    case DM_ROI_POLYGON: return in_polygon (p, s->n_points, x, y);
    case DM_ROI_STROKE:
      if (s->n_points == 1)
        return hypot (x - p[0], y - p[1]) < s->radius;
      for (guint i = 0; i + 1 < s->n_points; i++)
        if (segment_distance (p + 2 * i, p + 2 * i + 2, x, y) < s->radius)
          return TRUE;
      return FALSE;
    }
  return FALSE;
}

static gboolean
reference_inspected (const DmRoi *roi, int ref_width, double x, double y)
{
  gboolean any_inspect = FALSE, area = FALSE, ignored = FALSE;

  for (guint i = 0; i < roi->shapes->len; i++)
    {
      const DmRoiShape *s = &g_array_index (roi->shapes, DmRoiShape, i);
      gboolean *layer = s->layer == DM_ROI_INSPECT ? &area : &ignored;

      any_inspect |= s->layer == DM_ROI_INSPECT;
      if (in_shape (s, x, y))
        *layer = !s->erase;
    }
  if (!any_inspect)
    area = x >= 0 && x < ref_width;
  return area && x >= 0 && x < ref_width && !ignored;
}

/* ---- shapes ---------------------------------------------------------------- */

static DmRoi *
random_roi (GRand *rand, int w, int h)
{
  DmRoi *roi = dm_roi_new ();
  int n = g_rand_int_range (rand, 1, 7);

  for (int i = 0; i < n; i++)
    {
      DmRoiShapeKind kind = (DmRoiShapeKind)g_rand_int_range (rand, 0, 3);
      DmRoiLayer layer = g_rand_boolean (rand) ? DM_ROI_INSPECT : DM_ROI_IGNORE;
      guint np = kind == DM_ROI_RECTANGLE ? 2 : (guint)g_rand_int_range (rand, 3, 9);
      double pts[16];

      if (kind == DM_ROI_STROKE)
        np = (guint)g_rand_int_range (rand, 1, 6);
      for (guint k = 0; k < np; k++)
        {
          pts[2 * k] = g_rand_double_range (rand, -0.1 * w, 1.1 * w);
          pts[2 * k + 1] = g_rand_double_range (rand, -0.1 * h, 1.1 * h);
        }
      dm_roi_add (roi, kind, layer, g_rand_int_range (rand, 0, 4) == 0,
                  g_rand_double_range (rand, 2, 0.2 * w), pts, np);
    }
  return roi;
}

static void
test_map_mask_reference (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (18);
  g_autofree guint8 *mask = g_malloc (N);
  const int sizes[][2] = { { 800, 600 }, { 640, 640 }, { 300, 700 } };
  const int geometry[][2] = { { 448, 392 }, { 256, 256 }, { 280, 224 } };

  for (int trial = 0; trial < 60; trial++)
    {
      int w = sizes[trial % 3][0], h = sizes[trial % 3][1];
      int resize = geometry[trial % 3][0], crop = geometry[trial % 3][1];
      g_autoptr (DmRoi) roi = random_roi (rand, w, h);
      DmCropGeometry geom;
      guint n = dm_roi_map_mask (roi, w, h, resize, crop, mask), want_n = 0;

      g_assert_true (dm_roi_validate (roi, NULL));
      dm_crop_geometry_init (&geom, w, h, resize, crop);
      for (int j = 0; j < DM_ANOMALY_MAP_SIZE; j++)
        for (int i = 0; i < DM_ANOMALY_MAP_SIZE; i++)
          {
            double x = ((i + 0.5) * crop / DM_ANOMALY_MAP_SIZE + geom.offset) * w / resize;
            double y = ((j + 0.5) * crop / DM_ANOMALY_MAP_SIZE + geom.offset) * h / resize;
            guint8 want = reference_inspected (roi, w, x, y);

            if (mask[j * DM_ANOMALY_MAP_SIZE + i] != want)
              g_error ("trial %d: map pixel (%d, %d) at (%g, %g): %d, reference %d", trial, i, j, x,
                       y, mask[j * DM_ANOMALY_MAP_SIZE + i], want);
            want_n += want;
          }
      g_assert_cmpuint (n, ==, want_n);
    }
}

/* The same ROI on pictures of other sizes marks the same map pixels (the
 * shapes scale with the picture, as the crop geometry does), and the
 * rasterised picture agrees with the reference at every pixel centre. */
static void
test_rasterize_and_scale (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);

  for (int trial = 0; trial < 20; trial++)
    {
      g_autoptr (DmRoi) roi = random_roi (rand, 400, 300);
      g_autofree guint8 *a = g_malloc (N), *b = g_malloc (N);
      g_autofree guint8 *pixels = g_malloc (200 * 150);
      guint64 count = dm_roi_rasterize (roi, 400, 300, 200, 150, pixels), want = 0;

      dm_roi_map_mask (roi, 400, 300, 448, 392, a);
      {
        /* the same shapes drawn at twice the size */
        g_autoptr (DmRoi) big = dm_roi_new ();

        for (guint i = 0; i < roi->shapes->len; i++)
          {
            const DmRoiShape *s = &g_array_index (roi->shapes, DmRoiShape, i);
            g_autofree double *p = g_new (double, 2 * s->n_points);

            for (guint k = 0; k < 2 * s->n_points; k++)
              p[k] = 2 * s->points[k];
            dm_roi_add (big, s->kind, s->layer, s->erase, 2 * s->radius, p, s->n_points);
          }
        dm_roi_map_mask (big, 800, 600, 448, 392, b);
      }
      g_assert_cmpmem (a, N, b, N);
      for (int y = 0; y < 150; y++)
        for (int x = 0; x < 200; x++)
          {
            guint8 r = reference_inspected (roi, 400, (x + 0.5) * 2, (y + 0.5) * 2);

            g_assert_cmpint (pixels[y * 200 + x], ==, r);
            want += r;
          }
      g_assert_cmpuint (count, ==, want);
    }
}

static void
test_layers (void)
{
  g_autoptr (DmRoi) roi = dm_roi_new ();
  g_autoptr (GArray) spans = g_array_new (FALSE, FALSE, sizeof (DmSpan));
  const double area[] = { 10, 0, 90, 100 }, hole[] = { 40, 0, 60, 100 };
  const double clamp[] = { 20, 0, 30, 100 };

  /* nothing drawn: the whole row */
  dm_roi_row (roi, 100, 5, spans);
  g_assert_cmpuint (spans->len, ==, 1);
  g_assert_cmpfloat (g_array_index (spans, DmSpan, 0).x0, ==, 0);
  g_assert_cmpfloat (g_array_index (spans, DmSpan, 0).x1, ==, 100);
  /* an area with a hole erased, then an ignored clamp inside it */
  dm_roi_add (roi, DM_ROI_RECTANGLE, DM_ROI_INSPECT, FALSE, 0, area, 2);
  dm_roi_add (roi, DM_ROI_RECTANGLE, DM_ROI_INSPECT, TRUE, 0, hole, 2);
  dm_roi_add (roi, DM_ROI_RECTANGLE, DM_ROI_IGNORE, FALSE, 0, clamp, 2);
  dm_roi_row (roi, 100, 5, spans);
  g_assert_cmpuint (spans->len, ==, 3);
  g_assert_cmpfloat (g_array_index (spans, DmSpan, 0).x0, ==, 10);
  g_assert_cmpfloat (g_array_index (spans, DmSpan, 0).x1, ==, 20);
  g_assert_cmpfloat (g_array_index (spans, DmSpan, 1).x0, ==, 30);
  g_assert_cmpfloat (g_array_index (spans, DmSpan, 1).x1, ==, 40);
  g_assert_cmpfloat (g_array_index (spans, DmSpan, 2).x0, ==, 60);
  g_assert_cmpfloat (g_array_index (spans, DmSpan, 2).x1, ==, 90);
  /* undo takes the last shape back */
  g_assert_true (dm_roi_remove_last (roi));
  dm_roi_row (roi, 100, 5, spans);
  g_assert_cmpuint (spans->len, ==, 2);
}

/* ---- the score ------------------------------------------------------------- */

static int
compare_desc (gconstpointer a, gconstpointer b)
{
  float x = *(const float *)a, y = *(const float *)b;

  return (x < y) - (x > y);
}

static float
reference_score (const float *map, const guint8 *mask)
{
  g_autoptr (GArray) v = g_array_new (FALSE, FALSE, sizeof (float));
  gsize k;
  double sum = 0;

  for (gsize i = 0; i < N; i++)
    if (mask[i])
      g_array_append_val (v, map[i]);
  g_array_sort (v, compare_desc);
  k = (gsize)floor (655.0 * v->len / 65536.0);
  k = MAX (k, 1);
  for (gsize i = 0; i < k; i++)
    sum += g_array_index (v, float, i);
  return (float)(sum / k);
}

static void
test_masked_score (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autofree float *map = g_new (float, N), *scratch = g_new (float, N);
  g_autofree guint8 *mask = g_malloc (N);

  dm_test_fill_uniform (map, N, 0.0f, 1.0f, 11);
  /* everything inspected: the model's score, bit for bit */
  memset (mask, 1, N);
  g_assert_true (dm_roi_score (map, mask, scratch) == dm_anomaly_score (map, scratch));
  g_assert_cmpuint (dm_roi_top_k (65536), ==, DM_ANOMALY_TOP_K);
  g_assert_cmpuint (dm_roi_top_k (100), ==, 1);
  g_assert_cmpuint (dm_roi_top_k (32768), ==, 327);
  g_assert_cmpuint (dm_roi_top_k (0), ==, 1);

  for (int trial = 0; trial < 30; trial++)
    {
      g_autoptr (DmRoi) roi = random_roi (rand, 512, 512);
      guint n = dm_roi_map_mask (roi, 512, 512, 448, 392, mask);
      float got, want;

      if (n == 0)
        {
          g_assert_true (isnan (dm_roi_score (map, mask, scratch)));
          continue;
        }
      got = dm_roi_score (map, mask, scratch);
      want = reference_score (map, mask);
      /* the same k values; only the order of the double sum differs */
      g_assert_cmpfloat_with_epsilon (got, want, 1e-6 * want);
    }
  /* a hot spot in an ignored corner no longer counts */
  memset (map, 0, N * sizeof (float));
  for (int j = 0; j < 20; j++)
    for (int i = 0; i < 40; i++)
      map[j * 256 + i] = 1.0f;
  {
    g_autoptr (DmRoi) roi = dm_roi_new ();
    const double corner[] = { 0, 0, 200, 200 };

    g_assert_cmpfloat (dm_anomaly_score (map, scratch), ==, 1.0f);
    dm_roi_add (roi, DM_ROI_RECTANGLE, DM_ROI_IGNORE, FALSE, 0, corner, 2);
    dm_roi_map_mask (roi, 1000, 1000, 448, 392, mask);
    g_assert_cmpfloat (dm_roi_score (map, mask, scratch), ==, 0.0f);
  }
}

/* ---- JSON ---------------------------------------------------------------- */

static void
test_json_round_trip (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);

  for (int trial = 0; trial < 20; trial++)
    {
      g_autoptr (DmRules) r = dm_rules_new ();
      g_autoptr (DmRules) back = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *json = NULL;

      dm_roi_free (r->roi);
      r->roi = random_roi (rand, 640, 480);
      r->ref_width = 640;
      r->ref_height = 480;
      r->mm_per_pixel = g_rand_double_range (rand, 0.001, 1);
      r->units = trial % 2 ? DM_UNITS_MM : DM_UNITS_PIXELS;
      r->min_area = trial;
      r->max_area = trial % 3 ? 10.0 / 3 : NAN;
      r->max_length = trial % 4 ? 2.5 : NAN;
      r->max_regions = trial % 5 - 1;
      json = dm_rules_to_json (r, trial % 2);
      back = dm_rules_parse (json, strlen (json), "test", &error);
      g_assert_no_error (error);
      g_assert_true (dm_rules_equal (r, back));
    }
  {
    /* nothing set: an empty object, read back as nothing */
    g_autoptr (DmRules) r = dm_rules_new ();
    g_autofree char *json = dm_rules_to_json (r, FALSE);
    g_autoptr (DmRules) back = dm_rules_parse (json, strlen (json), "test", NULL);

    g_assert_cmpstr (json, ==, "{}");
    g_assert_true (dm_rules_is_empty (back));
  }
}

static void
test_json_refused (void)
{
  const struct
  {
    const char *json, *why;
  } bad[] = {
    { "[]", "top level is not an object" },
    { "{", "not valid JSON" },
    { "{\"roi\": [{\"shape\": \"rectangle\", \"points\": [[0, 0], [1, 1]]}]}", "reference" },
    { "{\"reference\": {\"width\": 10}}", "needs a width and a height" },
    { "{\"reference\": {\"width\": 0, \"height\": 10}}", "'width' is 0" },
    { "{\"reference\": {\"width\": 10, \"height\": 10}, \"roi\": [{\"shape\": \"circle\", "
      "\"points\": []}]}",
      "'shape' \"circle\" is not" },
    { "{\"reference\": {\"width\": 10, \"height\": 10}, \"roi\": [{\"shape\": \"polygon\", "
      "\"points\": [[0, 0], [1, 1]]}]}",
      "needs at least 3 points" },
    { "{\"reference\": {\"width\": 10, \"height\": 10}, \"roi\": [{\"shape\": \"stroke\", "
      "\"points\": [[0, 0]]}]}",
      "radius must be positive" },
    { "{\"reference\": {\"width\": 10, \"height\": 10}, \"roi\": [{\"shape\": \"rectangle\", "
      "\"points\": [[0, 0], [1e300, 1]]}]}",
      "not a finite number" },
    { "{\"reference\": {\"width\": 10, \"height\": 10}, \"roi\": [{\"shape\": \"rectangle\", "
      "\"points\": [[0, 0], [\"a\", 1]]}]}",
      "point 2 is not [x, y]" },
    { "{\"reference\": {\"width\": 10, \"height\": 10}, \"roi\": [{\"shape\": \"rectangle\", "
      "\"layer\": \"both\", \"points\": [[0, 0], [1, 1]]}]}",
      "'layer' is not" },
    { "{\"regions\": {\"units\": \"mm\", \"max_area\": 1}}", "need a calibration" },
    { "{\"regions\": {\"units\": \"inch\"}}", "'regions.units'" },
    { "{\"regions\": {\"max_area\": -1}}", "region limits" },
    { "{\"regions\": {\"max_regions\": 1.5}}", "'max_regions' is not an integer" },
    { "{\"mm_per_pixel\": 0}", "not a positive number" },
    { "{\"mm_per_pixel\": \"0.1\"}", "'mm_per_pixel' is not a number" },
    { "{\"roi\": {}}", "'roi' is not an array" },
    { "{\"a\": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}", "nested deeper" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (DmRules) r
        = dm_rules_parse (bad[i].json, strlen (bad[i].json), "rules.json", &error);

      g_assert_null (r);
      g_assert_nonnull (error);
      dm_test_assert_has (error->message, "rules.json: ");
      dm_test_assert_has (error->message, bad[i].why);
    }
  {
    /* too many shapes */
    g_autoptr (GString) s
      = g_string_new ("{\"reference\": {\"width\": 9, \"height\": 9}, \"roi\": [");
    g_autoptr (GError) error = NULL;
    g_autoptr (DmRules) r = NULL;

    for (int i = 0; i <= DM_ROI_MAX_SHAPES; i++)
      g_string_append_printf (s, "%s{\"shape\": \"rectangle\", \"points\": [[0, 0], [1, 1]]}",
                              i ? "," : "");
    g_string_append (s, "]}");
    r = dm_rules_parse (s->str, s->len, "many.json", &error);
    g_assert_null (r);
    dm_test_assert_has (error->message, "at most 4096");
  }
}

static void
test_load_file (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "rules.json", NULL);
  const char *text = "{\"reference\": {\"width\": 100, \"height\": 50}, \"mm_per_pixel\": 0.1,"
                     " \"roi\": [{\"shape\": \"stroke\", \"layer\": \"ignore\", \"radius\": 4,"
                     " \"points\": [[10, 10], [20, 30]]}],"
                     " \"regions\": {\"units\": \"mm\", \"max_area\": 0.5}, \"note\": \"kept\"}";
  g_autoptr (GError) error = NULL;
  g_autoptr (DmRules) r = NULL;

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  r = dm_rules_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (r->ref_width, ==, 100);
  g_assert_cmpfloat (r->mm_per_pixel, ==, 0.1);
  g_assert_cmpuint (dm_roi_n_shapes (r->roi), ==, 1);
  g_assert_cmpint (r->units, ==, DM_UNITS_MM);
  g_assert_cmpfloat (r->max_area, ==, 0.5);
  g_assert_true (isnan (r->max_length));
  g_assert_cmpint (r->max_regions, ==, -1);
  g_clear_pointer (&r, dm_rules_free);
  r = dm_rules_load (dir, &error);
  g_assert_null (r);
  g_assert_nonnull (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/roi/map-mask-reference", test_map_mask_reference);
  g_test_add_func ("/roi/rasterize-and-scale", test_rasterize_and_scale);
  g_test_add_func ("/roi/layers", test_layers);
  g_test_add_func ("/roi/masked-score", test_masked_score);
  g_test_add_func ("/roi/json-round-trip", test_json_round_trip);
  g_test_add_func ("/roi/json-refused", test_json_refused);
  g_test_add_func ("/roi/load-file", test_load_file);
  return g_test_run ();
}
