/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libdinomaly gives exactly `dinomaly predict`'s results: the same
 * pictures, as 8-bit and 16-bit, gray and RGB buffers (packed and with
 * padded rows) through dinomaly_inspect, and as PNG files of those formats
 * through predict (whose path is argv[1]): scores, maps and decisions
 * (with the rule and the regions) compared bit for bit, and the map at
 * the picture's size against a reference and the regions, for a model without thresholds and
 * one whose uncertain band puts the pictures in all three decisions. */
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "dm-test-lib.h"
#include "dm-test-util.h"

#define N_PICTURES 3

static const char *cli_path;
/* pictures decided by a rule on regions, over all comparisons */
static guint n_region_rules;

typedef struct
{
  DmTestFrame frames[N_PICTURES][DM_TEST_LIB_N_FORMATS];
  char *pngs[N_PICTURES * DM_TEST_LIB_N_FORMATS + 1];
} Pictures;

static void
make_pictures (const char *dir, Pictures *p)
{
  static const struct
  {
    guint32 width, height;
    gboolean defect;
  } pictures[N_PICTURES] = { { 97, 61, FALSE }, { 97, 61, TRUE }, { 64, 83, TRUE } };

  for (int k = 0; k < N_PICTURES; k++)
    {
      dm_test_lib_make_frames (pictures[k].width, pictures[k].height, 11 + k, pictures[k].defect,
                               p->frames[k]);
      for (int f = 0; f < DM_TEST_LIB_N_FORMATS; f++)
        {
          g_autofree char *name = g_strdup_printf ("p%d_%s.png", k, p->frames[k][f].name);
          char *path = g_build_filename (dir, name, NULL);

          dm_test_lib_save_png (&p->frames[k][f], path);
          p->pngs[k * DM_TEST_LIB_N_FORMATS + f] = path;
        }
    }
  p->pngs[N_PICTURES * DM_TEST_LIB_N_FORMATS] = NULL;
}

static void
clear_pictures (Pictures *p)
{
  for (int k = 0; k < N_PICTURES; k++)
    for (int f = 0; f < DM_TEST_LIB_N_FORMATS; f++)
      dm_test_lib_frame_clear (&p->frames[k][f]);
  for (int i = 0; p->pngs[i] != NULL; i++)
    g_free (p->pngs[i]);
}

static dinomaly_result *
inspect (dinomaly_model *model, const DmTestFrame *frame)
{
  dinomaly_result *result = NULL;
  dinomaly_status status = dinomaly_inspect (model, frame->pixels, frame->size, frame->width,
                                             frame->height, frame->stride, frame->format, &result);

  if (status != DINOMALY_OK)
    g_error ("dinomaly_inspect (%s): %s", frame->name, dinomaly_last_error ());
  return result;
}

/* The rule a decision by the score alone comes with. */
static const char *
score_rule (dinomaly_decision decision)
{
  return decision == DINOMALY_DECISION_REJECT      ? "score"
         : decision == DINOMALY_DECISION_UNCERTAIN ? "uncertain_band"
                                                   : "";
}

/* The regions of predict's results.json entry against the API's. */
static void
compare_regions (JsonObject *image, const dinomaly_result *r)
{
  JsonArray *regions = json_object_get_array_member (image, "regions");
  size_t n = dinomaly_result_region_count (r);

  g_assert_cmpint (json_object_get_int_member (image, "n_regions"), ==, (gint64)n);
  g_assert_cmpuint (json_array_get_length (regions), ==, MIN (n, DINOMALY_MAX_REGIONS));
  for (guint i = 0; i < json_array_get_length (regions); i++)
    {
      JsonObject *want = json_array_get_object_element (regions, i);
      dinomaly_region got;

      g_assert_cmpint (dinomaly_result_region (r, i, &got), ==, DINOMALY_OK);
      g_assert_cmpint (json_object_get_int_member (want, "x"), ==, got.x);
      g_assert_cmpint (json_object_get_int_member (want, "y"), ==, got.y);
      g_assert_cmpint (json_object_get_int_member (want, "width"), ==, got.width);
      g_assert_cmpint (json_object_get_int_member (want, "height"), ==, got.height);
      g_assert_cmpint (json_object_get_int_member (want, "area_px"), ==, (gint64)got.area_px);
      g_assert_cmpfloat (json_object_get_double_member (want, "length_px"), ==, got.length_px);
      g_assert_cmpfloat ((float)json_object_get_double_member (want, "max"), ==, got.max_value);
      g_assert_cmpfloat ((float)json_object_get_double_member (want, "mean"), ==, got.mean_value);
      /* no calibration: null in JSON, NAN here */
      g_assert_true (json_object_get_null_member (want, "area_mm2"));
      g_assert_true (isnan (got.area_mm2) && isnan (got.length_mm));
    }
}

/* The map at the picture's size: NAN exactly outside the model's centre
 * crop (resize 256, crop 224), inside it a straightforward bilinear
 * reference of the 256 x 256 map; its pixels at or above the pixel
 * threshold are exactly the regions' (their areas add up, the highest
 * value is the highest region's). */
static void
check_picture_map (const dinomaly_result *r, const DmTestFrame *frame, double pixel, gboolean roi)
{
  guint64 left_out = 0;
  uint32_t w = 0, h = 0;
  const float *map = dinomaly_result_map (r, NULL, NULL);
  g_autofree float *values = NULL;
  guint64 above = 0, area = 0;
  float top = -INFINITY, region_top = -INFINITY;
  size_t n = dinomaly_result_region_count (r);

  dinomaly_result_picture_size (r, &w, &h);
  g_assert_cmpuint (w, ==, frame->width);
  g_assert_cmpuint (h, ==, frame->height);
  values = g_new (float, (gsize)w *h);
  g_assert_cmpint (dinomaly_result_picture_map (r, values, (gsize)w * h - 1), ==,
                   DINOMALY_ERROR_ARGUMENT);
  g_assert_cmpint (dinomaly_result_picture_map (r, values, (gsize)w * h), ==, DINOMALY_OK);
  for (uint32_t y = 0; y < h; y++)
    for (uint32_t x = 0; x < w; x++)
      {
        double xc = (x + 0.5) * 256.0 / w - 16.0, yc = (y + 0.5) * 256.0 / h - 16.0;
        float v = values[(gsize)y * w + x];

        if (xc < 0 || xc >= 224 || yc < 0 || yc >= 224)
          {
            g_assert_true (isnan (v));
            continue;
          }
        {
          double u = CLAMP (xc * 256.0 / 224.0 - 0.5, 0.0, 255.0);
          double t = CLAMP (yc * 256.0 / 224.0 - 0.5, 0.0, 255.0);
          int x0 = (int)u, y0 = (int)t, x1 = MIN (x0 + 1, 255), y1 = MIN (y0 + 1, 255);
          double fx = u - x0, fy = t - y0;
          double want = (map[y0 * 256 + x0] * (1 - fx) + map[y0 * 256 + x1] * fx) * (1 - fy)
                        + (map[y1 * 256 + x0] * (1 - fx) + map[y1 * 256 + x1] * fx) * fy;

          if (roi && isnan (v))
            {
              left_out++; /* the region of interest leaves it out */
              continue;
            }
          g_assert_cmpfloat_with_epsilon (v, want, 1e-6);
        }
        if ((double)v >= pixel)
          {
            above++;
            top = MAX (top, v);
          }
      }
  g_assert_true (roi == (left_out > 0));
  if (n > DINOMALY_MAX_REGIONS)
    return;
  for (size_t i = 0; i < n; i++)
    {
      dinomaly_region region;

      g_assert_cmpint (dinomaly_result_region (r, i, &region), ==, DINOMALY_OK);
      area += region.area_px;
      region_top = MAX (region_top, region.max_value);
    }
  g_assert_cmpuint (above, ==, area);
  if (n > 0)
    g_assert_cmpfloat (top, ==, region_top);
}

/* predict over every PNG, the API over every frame (packed and padded):
 * the same score, map, decision, rule and regions; counts[] receives how
 * many pictures got each decision, n_regions the regions of all. */
static void
compare_with_predict (const char *dir,
                      const char *model_path,
                      double pixel,
                      const char *rules_path,
                      Pictures *p,
                      guint counts[4],
                      guint *n_regions)
{
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *json_path = g_build_filename (out, "results.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GError) error = NULL;
  dinomaly_model *model = NULL;
  JsonArray *images;

  g_assert_cmpint (dinomaly_model_open (model_path, NULL, NULL, rules_path, 0, &model), ==,
                   DINOMALY_OK);
  rows
    = dm_test_lib_run_predict (cli_path, model_path, rules_path, out, (const char *const *)p->pngs);
  json_parser_load_from_file (parser, json_path, &error);
  g_assert_no_error (error);
  images
    = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "images");
  g_assert_cmpuint (json_array_get_length (images), ==, rows->len);
  *n_regions = 0;
  g_assert_cmpuint (rows->len, ==, N_PICTURES * DM_TEST_LIB_N_FORMATS);
  memset (counts, 0, 4 * sizeof (guint));
  for (int k = 0; k < N_PICTURES; k++)
    for (int f = 0; f < DM_TEST_LIB_N_FORMATS; f++)
      {
        const DmTestFrame *frame = &p->frames[k][f];
        const DmTestPredictRow *row = g_ptr_array_index (rows, k * DM_TEST_LIB_N_FORMATS + f);
        g_autofree float *want_map = dm_test_lib_read_predict_map (out, row->path);
        g_autofree char *what = g_strdup_printf ("library vs predict, %s map", frame->name);
        DmTestFrame padded;
        char score[G_ASCII_DTOSTR_BUF_SIZE];

        g_assert_cmpstr (row->path, ==, p->pngs[k * DM_TEST_LIB_N_FORMATS + f]);
        /* 16-bit rows stay aligned: pad by an even count */
        dm_test_lib_pad_frame (frame, frame->pixel_bytes == 1 || frame->pixel_bytes == 3 ? 13 : 14,
                               &padded);
        for (int pass = 0; pass < 2; pass++)
          {
            dinomaly_result *r = inspect (model, pass == 0 ? frame : &padded);
            uint32_t mw = 0, mh = 0;
            const float *map = dinomaly_result_map (r, &mw, &mh);
            dinomaly_decision decision = dinomaly_result_decision (r);

            g_assert_cmpuint (mw, ==, 256);
            g_assert_cmpuint (mh, ==, 256);
            /* predict writes %.9g: the float read back exactly */
            g_ascii_formatd (score, sizeof score, "%.9g", dinomaly_result_score (r));
            g_assert_cmpstr (score, ==, row->score);
            g_assert_cmpfloat ((float)g_ascii_strtod (row->score, NULL), ==,
                               dinomaly_result_score (r));
            dm_test_assert_close (map, want_map, 256 * 256, 0.0, what);
            g_assert_true (memcmp (map, want_map, 256 * 256 * sizeof (float)) == 0);
            g_assert_cmpstr (dinomaly_decision_name (decision), ==, row->decision);
            g_assert_cmpstr (dinomaly_rule_name (dinomaly_result_rule (r)), ==,
                             row->rule != NULL ? row->rule : score_rule (decision));
            compare_regions (json_array_get_object_element (images, k * DM_TEST_LIB_N_FORMATS + f),
                             r);
            if (pass == 0)
              {
                check_picture_map (r, frame, pixel,
                                   rules_path != NULL && strstr (rules_path, "roi") != NULL);
                counts[decision]++;
                if (dinomaly_result_rule (r) >= DINOMALY_RULE_REGION_AREA)
                  n_region_rules++;
                *n_regions += dinomaly_result_region_count (r);
              }
            dinomaly_result_free (r);
          }
        dm_test_lib_frame_clear (&padded);
      }
  dinomaly_model_close (model);
}

static void
test_formats (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *plain_model = g_build_filename (dir, "plain.dinomaly", NULL);
  g_autofree char *band_model = g_build_filename (dir, "band.dinomaly", NULL);
  g_autofree char *regions_model = g_build_filename (dir, "regions.dinomaly", NULL);
  g_autofree char *rules_path = g_build_filename (dir, "rules.json", NULL);
  g_autofree char *roi_rules_path = g_build_filename (dir, "rules-roi.json", NULL);
  float top_map = 0.0f;
  guint n_regions = 0;
  float scores[N_PICTURES * DM_TEST_LIB_N_FORMATS];
  dinomaly_model *model = NULL;
  Pictures p = { 0 };
  guint counts[4];
  int n = N_PICTURES * DM_TEST_LIB_N_FORMATS;

  make_pictures (dir, &p);

  /* without thresholds: no decision, as predict's empty column */
  dm_test_lib_write_model (plain_model, FALSE, NAN, NAN, NAN);
  compare_with_predict (dir, plain_model, INFINITY, NULL, &p, counts, &n_regions);
  g_assert_cmpuint (counts[DINOMALY_DECISION_NONE], ==, n);
  g_assert_cmpuint (n_regions, ==, 0);

  /* a band between the lowest and the highest scores: all three decisions */
  g_assert_cmpint (dinomaly_model_open (plain_model, NULL, NULL, NULL, 0, &model), ==, DINOMALY_OK);
  for (int i = 0; i < n; i++)
    {
      dinomaly_result *r
        = inspect (model, &p.frames[i / DM_TEST_LIB_N_FORMATS][i % DM_TEST_LIB_N_FORMATS]);

      scores[i] = dinomaly_result_score (r);
      dinomaly_result_free (r);
    }
  dinomaly_model_close (model);
  qsort (scores, n, sizeof (float), dm_test_lib_compare_floats);
  g_assert_cmpfloat (scores[0], <, scores[1]);
  g_assert_cmpfloat (scores[n - 2], <, scores[n - 1]);
  dm_test_lib_write_model (band_model, TRUE, (scores[0] + scores[1]) / 2.0,
                           (scores[n - 2] + scores[n - 1]) / 2.0, 10.0);
  compare_with_predict (dir, band_model, 10.0, NULL, &p, counts, &n_regions);
  g_assert_cmpuint (counts[DINOMALY_DECISION_PASS], ==, 1);
  g_assert_cmpuint (counts[DINOMALY_DECISION_UNCERTAIN], ==, n - 2);
  g_assert_cmpuint (counts[DINOMALY_DECISION_REJECT], ==, 1);
  g_assert_cmpuint (n_regions, ==, 0);

  /* a pixel threshold at 70% of the highest map value: regions on the
   * pictures; rules that fail a picture with more than one region or one
   * of 400 pixels or more */
  dm_test_lib_write_model (regions_model, TRUE, (scores[0] + scores[1]) / 2.0,
                           (scores[n - 2] + scores[n - 1]) / 2.0, 0.7 * top_map);
  g_assert_true (g_file_set_contents (
    rules_path, "{\"regions\": {\"units\": \"px\", \"max_area\": 400, \"max_regions\": 1}}", -1,
    NULL));
  compare_with_predict (dir, regions_model, 0.7 * top_map, NULL, &p, counts, &n_regions);
  g_assert_cmpuint (n_regions, >, 0);
  g_assert_cmpuint (n_region_rules, ==, 0);
  compare_with_predict (dir, regions_model, 0.7 * top_map, rules_path, &p, counts, &n_regions);
  g_assert_cmpuint (n_regions, >, 0);
  g_assert_cmpuint (counts[DINOMALY_DECISION_REJECT], >, 1);
  g_assert_cmpuint (n_region_rules, >, 0);
  g_test_message ("regions %u, decided by a rule on regions %u", n_regions, n_region_rules);

  /* a region of interest: the left two thirds of the picture (the score
   * over the inspected map pixels, regions only there) */
  g_assert_true (g_file_set_contents (roi_rules_path,
                                      "{\"reference\": {\"width\": 90, \"height\": 90}, \"roi\": "
                                      "[{\"shape\": \"rectangle\", \"layer\": \"inspect\", "
                                      "\"points\": [[0, 0], [60, 90]]}]}",
                                      -1, NULL));
  compare_with_predict (dir, regions_model, 0.7 * top_map, roi_rules_path, &p, counts, &n_regions);
  clear_pictures (&p);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, >=, 2);
  cli_path = argv[1];
  g_test_add_func ("/lib/predict/formats", test_formats);
  rc = g_test_run ();
  dm_test_print_error_summary ();
  return rc;
}
