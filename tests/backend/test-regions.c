/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Defect regions and the one decision.
 *
 * Generated defects of known sizes: rectangles, discs and a thin scratch
 * drawn in the pixels of an original picture become an anomaly map whose
 * value at each map pixel is a linear function of the signed distance from
 * that point (placed on the picture through the crop geometry) to the
 * defect's outline, so the map crosses the pixel threshold exactly on the
 * outline wherever bilinear interpolation is exact (straight edges). The
 * regions found must give the count exactly and each area (px and mm²),
 * bounding box and longest extent within one pixel of the truth.
 *
 * Then the run-based labelling against a plain reference (every pixel of
 * the original sampled with dm_overlay_sample_map, flood-filled with
 * 8-connectivity), and every rule of the decision. */
#include <math.h>
#include <string.h>

#include "dm-anomaly-map.h"
#include "dm-decider.h"
#include "dm-overlay.h"
#include "dm-preprocess.h"
#include "dm-regions.h"
#include "dm-test-util.h"

#define S DM_ANOMALY_MAP_SIZE
#define N ((gsize)S * S)

typedef enum
{
  RECT,
  DISC,
} Kind;

typedef struct
{
  Kind kind;
  double a, b, c, d; /* RECT: x0, y0, x1, y1; DISC: cx, cy, r */
} Defect;

/* signed distance, positive inside */
static double
signed_distance (const Defect *f, double x, double y)
{
  if (f->kind == DISC)
    return f->c - hypot (x - f->a, y - f->b);
  {
    double dx = MIN (x - f->a, f->c - x), dy = MIN (y - f->b, f->d - y);

    if (dx >= 0 && dy >= 0)
      return MIN (dx, dy);
    if (dx < 0 && dy < 0)
      return -hypot (dx, dy);
    return MIN (dx, dy);
  }
}

/* The map of defects on a width x height picture: 0.5 + 0.02 d (d the
 * distance in picture pixels to the nearest defect's outline), the
 * threshold 0.5 lying on the outline. */
static void
make_map (float *map, const Defect *defects, guint n, int width, int height, int resize, int crop)
{
  DmCropGeometry geom;

  dm_crop_geometry_init (&geom, width, height, resize, crop);
  for (int j = 0; j < S; j++)
    for (int i = 0; i < S; i++)
      {
        double x, y, best = -1e9;

        dm_crop_geometry_to_image (&geom, (i + 0.5) * crop / S, (j + 0.5) * crop / S, &x, &y);
        for (guint k = 0; k < n; k++)
          best = MAX (best, signed_distance (&defects[k], x, y));
        map[j * S + i] = (float)(0.5 + 0.02 * best);
      }
}

static void
test_known_sizes (void)
{
  const int width = 1200, height = 900, resize = 448, crop = 392;
  /* inside the crop: x in about [75, 1125), y in [56, 844) */
  const Defect defects[] = {
    { RECT, 200.0, 150.0, 260.0, 190.0 },  /* 60 x 40 */
    { DISC, 700.0, 400.0, 35.0, 0 },       /* r 35 */
    { RECT, 300.0, 600.0, 500.0, 612.0 },  /* a 200 x 12 scratch */
    { RECT, 900.0, 700.0, 930.25, 730.5 }, /* 30.25 x 30.5: truth in between pixels */
  };
  const double mm = 0.04; /* 25 pixels per millimetre */
  g_autofree float *map = g_new (float, N);
  g_autoptr (GArray) regions = NULL;
  DmRegionSettings s = { width, height, resize, crop, 0.5, NULL, 0, 0, mm };
  guint matched = 0;

  make_map (map, defects, G_N_ELEMENTS (defects), width, height, resize, crop);
  regions = dm_regions_find (map, &s, NULL);
  g_assert_cmpuint (regions->len, ==, G_N_ELEMENTS (defects));
  for (guint k = 0; k < G_N_ELEMENTS (defects); k++)
    {
      const Defect *f = &defects[k];
      double area, perimeter, bx0, by0, bx1, by1, length;

      if (f->kind == RECT)
        {
          double w = f->c - f->a, h = f->d - f->b;

          area = w * h;
          perimeter = 2 * (w + h);
          bx0 = f->a, by0 = f->b, bx1 = f->c, by1 = f->d;
          length = hypot (w, h);
        }
      else
        {
          area = G_PI * f->c * f->c;
          perimeter = 2 * G_PI * f->c;
          bx0 = f->a - f->c, by0 = f->b - f->c, bx1 = f->a + f->c, by1 = f->b + f->c;
          length = 2 * f->c;
        }
      for (guint i = 0; i < regions->len; i++)
        {
          const DmRegion *r = &g_array_index (regions, DmRegion, i);

          if (fabs (r->x - bx0) > 1.0 || fabs (r->y - by0) > 1.0)
            continue;
          matched++;
          /* within one pixel of the truth: the outline moved by at most a
           * pixel changes the area by at most the perimeter */
          g_assert_cmpfloat (fabs ((double)r->area_px - area), <=, perimeter);
          g_assert_cmpfloat (fabs (r->area_mm2 - area * mm * mm), <=, perimeter * mm * mm);
          g_assert_cmpfloat (fabs (r->x + r->width - bx1), <=, 1.0);
          g_assert_cmpfloat (fabs (r->y + r->height - by1), <=, 1.0);
          g_assert_cmpfloat (fabs (r->length_px - length), <=, 1.5); /* one pixel at each end */
          g_assert_cmpfloat (fabs (r->length_mm - length * mm), <=, 1.5 * mm);
          g_assert_cmpfloat (r->max_value, >=, 0.5f);
          g_assert_cmpfloat (r->mean_value, <=, r->max_value);
          g_test_message ("defect %u: area %" G_GUINT64_FORMAT " px (truth %.1f), %.4f mm² "
                          "(truth %.4f), length %.2f px (truth %.2f)",
                          k, r->area_px, area, r->area_mm2, area * mm * mm, r->length_px, length);
        }
    }
  g_assert_cmpuint (matched, ==, G_N_ELEMENTS (defects));
  /* largest first */
  for (guint i = 1; i < regions->len; i++)
    g_assert_cmpuint (g_array_index (regions, DmRegion, i - 1).area_px, >=,
                      g_array_index (regions, DmRegion, i).area_px);
}

/* ---- against a plain reference ------------------------------------------- */

static void
flood (const guint8 *on, int w, int h, int x, int y, guint32 label, guint32 *labels, GArray *stack)
{
  g_array_set_size (stack, 0);
  labels[(gsize)y * w + x] = label;
  g_array_append_val (stack, ((int[2]){ x, y }));
  while (stack->len > 0)
    {
      int *p = &g_array_index (stack, int, 2 * (stack->len - 1)); /* pairs */
      int px = p[0], py = p[1];

      g_array_set_size (stack, stack->len - 1);
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++)
          {
            int qx = px + dx, qy = py + dy;
            gsize q = (gsize)qy * w + qx;

            if (qx < 0 || qy < 0 || qx >= w || qy >= h || !on[q] || labels[q])
              continue;
            labels[q] = label;
            g_array_append_val (stack, ((int[2]){ qx, qy }));
          }
    }
}

static void
test_reference_labelling (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autoptr (GArray) stack = g_array_new (FALSE, FALSE, 2 * sizeof (int));
  g_autofree float *map = g_new (float, N);

  for (int trial = 0; trial < 12; trial++)
    {
      int w = g_rand_int_range (rand, 150, 400), h = g_rand_int_range (rand, 150, 400);
      int resize = 256, crop = trial % 2 ? 224 : 256;
      g_autofree guint8 *on = g_malloc0 ((gsize)w * h);
      g_autofree guint8 *inspected = g_malloc ((gsize)w * h);
      g_autofree guint32 *want = g_new0 (guint32, (gsize)w * h);
      g_autofree guint32 *got = g_new0 (guint32, (gsize)w * h);
      g_autoptr (DmRoi) roi = dm_roi_new ();
      g_autoptr (GArray) regions = NULL;
      g_autoptr (GHashTable) pairs = g_hash_table_new (NULL, NULL);
      DmCropGeometry geom;
      DmRegionSettings s = { w, h, resize, crop, 0.0, NULL, 0, 0, NAN };
      guint32 n_want = 0;

      /* blotchy map: smoothed noise, thresholded around its median */
      dm_test_fill_uniform (map, N, 0.0f, 1.0f, 100 + trial);
      for (int pass = 0; pass < 3; pass++)
        for (gsize i = S + 1; i < N - S - 1; i++)
          map[i] = (map[i - 1] + map[i + 1] + map[i - S] + map[i + S] + map[i]) / 5.0f;
      s.threshold = 0.5;
      if (trial % 3 == 0)
        {
          const double hole[] = { w * 0.3, h * 0.2, w * 0.6, h * 0.9, w * 0.2, h * 0.7 };
          dm_roi_add (roi, DM_ROI_POLYGON, DM_ROI_IGNORE, FALSE, 0, hole, 3);
          s.roi = roi;
          s.ref_width = w;
          s.ref_height = h;
        }
      dm_roi_rasterize (s.roi, s.ref_width, s.ref_height, w, h, inspected);
      dm_crop_geometry_init (&geom, w, h, resize, crop);
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          {
            double xc = (x + 0.5) / geom.scale_x - geom.offset;
            double yc = (y + 0.5) / geom.scale_y - geom.offset;

            if (xc >= 0 && xc < crop && yc >= 0 && yc < crop && inspected[y * w + x])
              on[y * w + x] = (double)dm_overlay_sample_map (map, S, crop, xc, yc) >= s.threshold;
          }
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          if (on[y * w + x] && !want[y * w + x])
            flood (on, w, h, x, y, ++n_want, want, stack);

      regions = dm_regions_find (map, &s, got);
      g_assert_cmpuint (regions->len, ==, n_want);
      g_assert_cmpuint (n_want, >, 3);
      /* the same partition: labels map one to one */
      for (gsize i = 0; i < (gsize)w * h; i++)
        {
          gpointer seen;

          g_assert_cmpint (got[i] == 0, ==, want[i] == 0);
          if (got[i] == 0)
            continue;
          seen = g_hash_table_lookup (pairs, GUINT_TO_POINTER (want[i]));
          if (seen == NULL)
            g_hash_table_insert (pairs, GUINT_TO_POINTER (want[i]), GUINT_TO_POINTER (got[i]));
          else
            g_assert_cmpuint (GPOINTER_TO_UINT (seen), ==, got[i]);
        }
      /* each region's figures from its pixels */
      for (guint k = 0; k < regions->len; k++)
        {
          const DmRegion *r = &g_array_index (regions, DmRegion, k);
          guint64 area = 0;
          int x0 = w, y0 = h, x1 = -1, y1 = -1;
          float max = -INFINITY;
          double sum = 0;

          for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
              if (got[y * w + x] == k + 1)
                {
                  float v
                    = dm_overlay_sample_map (map, S, crop, (x + 0.5) / geom.scale_x - geom.offset,
                                             (y + 0.5) / geom.scale_y - geom.offset);
                  area++;
                  x0 = MIN (x0, x), y0 = MIN (y0, y), x1 = MAX (x1, x), y1 = MAX (y1, y);
                  max = MAX (max, v);
                  sum += v;
                }
          g_assert_cmpuint (r->area_px, ==, area);
          g_assert_cmpint (r->x, ==, x0);
          g_assert_cmpint (r->y, ==, y0);
          g_assert_cmpint (r->width, ==, x1 - x0 + 1);
          g_assert_cmpint (r->height, ==, y1 - y0 + 1);
          g_assert_cmpfloat (r->max_value, ==, max);
          g_assert_cmpfloat_with_epsilon (r->mean_value, sum / area, 1e-5);
          if (k > 0)
            g_assert_cmpuint (g_array_index (regions, DmRegion, k - 1).area_px, >=, area);
          if (area < 400)
            {
              /* the longest extent: every pair of pixel corners */
              double best = 0;

              for (int ya = y0; ya <= y1; ya++)
                for (int xa = x0; xa <= x1; xa++)
                  if (got[ya * w + xa] == k + 1)
                    for (int yb = y0; yb <= y1; yb++)
                      for (int xb = x0; xb <= x1; xb++)
                        if (got[yb * w + xb] == k + 1)
                          for (int c = 0; c < 16; c++)
                            best = MAX (best, hypot ((xa + (c & 1)) - (xb + ((c >> 1) & 1)),
                                                     (ya + ((c >> 2) & 1)) - (yb + (c >> 3))));
              g_assert_cmpfloat_with_epsilon (r->length_px, best, 1e-9);
            }
        }
    }
}

/* A picture twice the size of the reference gets the reference's mm per
 * pixel halved; an anisotropic one per axis. */
static void
test_calibration_scaling (void)
{
  DmRegionSettings s = { 2000, 500, 448, 392, 0.5, NULL, 1000, 1000, 0.1 };
  double mx, my;

  dm_regions_mm_per_pixel (&s, &mx, &my);
  g_assert_cmpfloat (mx, ==, 0.05);
  g_assert_cmpfloat (my, ==, 0.2);
  s.ref_width = s.ref_height = 0;
  dm_regions_mm_per_pixel (&s, &mx, &my);
  g_assert_cmpfloat (mx, ==, 0.1);
  s.mm_per_pixel = NAN;
  dm_regions_mm_per_pixel (&s, &mx, &my);
  g_assert_true (isnan (mx) && isnan (my));
}

/* ---- the decision ---------------------------------------------------------- */

static void
test_decider (void)
{
  const int width = 1000, height = 1000, resize = 448, crop = 392;
  const Defect spots[] = {
    { DISC, 400.0, 400.0, 20.0, 0 },      /* ~1257 px */
    { RECT, 600.0, 300.0, 610.0, 310.0 }, /* 100 px */
    { RECT, 300.0, 700.0, 500.0, 704.0 }, /* 200 x 4: 800 px, long */
  };
  g_autofree float *map = g_new (float, N), *scratch = g_new (float, N);
  g_autoptr (DmRules) rules = dm_rules_new ();
  g_autoptr (DmDecider) d = NULL;
  g_autoptr (GError) error = NULL;
  DmThresholds t;
  DmVerdict v;
  float score;

  make_map (map, spots, G_N_ELEMENTS (spots), width, height, resize, crop);
  score = dm_anomaly_score (map, scratch);
  dm_thresholds_init (&t);
  t.image = score + 1; /* the score alone passes */
  t.pixel = 0.5;

  /* no rules: dm_decide's decision on the model's score, bit for bit */
  d = dm_decider_new (&t, NULL, resize, crop, &error);
  g_assert_no_error (error);
  dm_decider_run (d, map, score, width, height, &v, NULL);
  g_assert_true (v.score == score);
  g_assert_cmpint (v.decision, ==, DM_DECISION_PASS);
  g_assert_cmpint (v.rule, ==, DM_RULE_NONE);
  g_assert_cmpuint (v.n_regions, ==, 3);
  g_assert_cmpuint (v.n_listed, ==, 3);
  g_clear_pointer (&d, dm_decider_free);

  /* the minimum area drops the small square; the area limit fires */
  rules->mm_per_pixel = 0.1; /* 1 px = 0.01 mm² */
  rules->units = DM_UNITS_MM;
  rules->min_area = 1.5; /* mm²: 150 px */
  rules->max_area = 12.0;
  d = dm_decider_new (&t, rules, resize, crop, &error);
  g_assert_no_error (error);
  dm_decider_run (d, map, score, width, height, &v, NULL);
  g_assert_cmpuint (v.n_regions, ==, 2);
  g_assert_cmpuint (v.n_small, ==, 1);
  g_assert_cmpint (v.decision, ==, DM_DECISION_FAIL);
  g_assert_cmpint (v.rule, ==, DM_RULE_REGION_AREA);
  g_assert_cmpstr (dm_rule_name (v.rule), ==, "region_area");
  g_clear_pointer (&d, dm_decider_free);

  /* a scratch longer than 15 mm */
  rules->max_area = NAN;
  rules->max_length = 15.0;
  d = dm_decider_new (&t, rules, resize, crop, &error);
  dm_decider_run (d, map, score, width, height, &v, NULL);
  g_assert_cmpint (v.rule, ==, DM_RULE_REGION_LENGTH);
  g_assert_cmpint (v.decision, ==, DM_DECISION_FAIL);
  g_clear_pointer (&d, dm_decider_free);

  /* at most one region */
  rules->max_length = NAN;
  rules->max_regions = 1;
  d = dm_decider_new (&t, rules, resize, crop, &error);
  dm_decider_run (d, map, score, width, height, &v, NULL);
  g_assert_cmpint (v.rule, ==, DM_RULE_REGION_COUNT);
  g_clear_pointer (&d, dm_decider_free);

  /* the band still applies: uncertain without a region rule, a region
   * rule fails an uncertain part, and the score's failure comes first */
  rules->max_regions = 2;
  t.uncertain_low = score - 1;
  t.uncertain_high = score + 1;
  d = dm_decider_new (&t, rules, resize, crop, &error);
  dm_decider_run (d, map, score, width, height, &v, NULL);
  g_assert_cmpint (v.decision, ==, DM_DECISION_UNCERTAIN);
  g_assert_cmpint (v.rule, ==, DM_RULE_UNCERTAIN);
  g_clear_pointer (&d, dm_decider_free);
  rules->max_regions = 0;
  d = dm_decider_new (&t, rules, resize, crop, &error);
  dm_decider_run (d, map, score, width, height, &v, NULL);
  g_assert_cmpint (v.decision, ==, DM_DECISION_FAIL);
  g_assert_cmpint (v.rule, ==, DM_RULE_REGION_COUNT);
  g_clear_pointer (&d, dm_decider_free);
  t.uncertain_high = score;
  d = dm_decider_new (&t, rules, resize, crop, &error);
  dm_decider_run (d, map, score, width, height, &v, NULL);
  g_assert_cmpint (v.rule, ==, DM_RULE_SCORE);
  g_clear_pointer (&d, dm_decider_free);

  /* an ignore area over the disc: its region goes, and the score is the
   * masked one */
  {
    const double over[] = { 350, 350, 450, 450 };

    dm_thresholds_init (&t);
    t.image = 10;
    t.pixel = 0.5;
    rules->max_regions = -1;
    rules->ref_width = width;
    rules->ref_height = height;
    dm_roi_add (rules->roi, DM_ROI_RECTANGLE, DM_ROI_IGNORE, FALSE, 0, over, 2);
    d = dm_decider_new (&t, rules, resize, crop, &error);
    g_assert_no_error (error);
    dm_decider_run (d, map, score, width, height, &v, NULL);
    g_assert_cmpuint (v.n_regions + v.n_small, ==, 2);
    g_assert_cmpfloat (v.score, <, score);
    g_assert_true (v.score == dm_decider_score (d, map, score, scratch));
    g_clear_pointer (&d, dm_decider_free);
  }

  /* refusals */
  {
    const double everything[] = { -10, -10, 2000, 2000 };

    t.pixel = NAN;
    rules->max_area = 1;
    d = dm_decider_new (&t, rules, resize, crop, &error);
    g_assert_null (d);
    dm_test_assert_has (error->message, "need a pixel threshold");
    g_clear_error (&error);
    t.pixel = 0.5;
    dm_roi_add (rules->roi, DM_ROI_RECTANGLE, DM_ROI_IGNORE, FALSE, 0, everything, 2);
    d = dm_decider_new (&t, rules, resize, crop, &error);
    g_assert_null (d);
    dm_test_assert_has (error->message, "nothing of the model's view");
  }
}

/* Many regions: the verdict lists the 32 largest, counts all. */
static void
test_many_regions (void)
{
  g_autofree float *map = g_new0 (float, N);
  g_autoptr (DmDecider) d = NULL;
  DmThresholds t;
  DmVerdict v;

  for (int j = 4; j < S - 4; j += 8)
    for (int i = 4; i < S - 4; i += 8)
      map[j * S + i] = 1.0f;
  dm_thresholds_init (&t);
  t.image = 1;
  t.pixel = 0.6;
  d = dm_decider_new (&t, NULL, 256, 256, NULL);
  dm_decider_run (d, map, 0.1f, 256, 256, &v, NULL);
  g_assert_cmpuint (v.n_regions, ==, 31 * 31);
  g_assert_cmpuint (v.n_listed, ==, DM_VERDICT_MAX_REGIONS);
  g_assert_cmpint (v.decision, ==, DM_DECISION_PASS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/regions/known-sizes", test_known_sizes);
  g_test_add_func ("/regions/reference-labelling", test_reference_labelling);
  g_test_add_func ("/regions/calibration-scaling", test_calibration_scaling);
  g_test_add_func ("/regions/decider", test_decider);
  g_test_add_func ("/regions/many", test_many_regions);
  return g_test_run ();
}
