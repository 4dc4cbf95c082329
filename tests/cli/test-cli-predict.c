/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of `dinomaly predict` as a user runs it: the reference scores and
 * maps from the image files, the files it writes, and one clear line, a
 * non-zero exit and nothing half-written for every kind of bad input. The
 * binary's path is argv[1]; the model files are made here with the
 * library from tests/data/forward (tiny model, resize 256, crop 224). */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dm-anomaly-map.h"
#include "dm-decider.h"
#include "dm-dinomaly-weights.h"
#include "dm-file-util.h"
#include "dm-image.h"
#include "dm-model-file.h"
#include "dm-safetensors-writer.h"
#include "dm-safetensors.h"
#include "dm-test-util.h"

static const char *cli_path;
static char *tmpdir;
static char *encoder_path; /* tests/data/forward: tiny encoder, timm names, BF16 */
static char *model_path;   /* backbone embedded, one class "tire" with thresholds */
static char *ref_model;    /* refers to encoder_path by its SHA-256 */
static char *multi_model;  /* two classes, thresholds for both */
static char *narrow_model; /* a D 64 decoder for a D 128 backbone */
static char *deep_model;   /* metadata depth 12 over an embedded encoder of 10 blocks */
static char *huge_model;   /* metadata depth 100000 */
static char *tire_png;     /* reference images */
static char *mt_jpg;

#define TIRE_IMAGE_THRESHOLD 1.05 /* between the two reference scores */
#define TIRE_PIXEL_THRESHOLD 0.5

static int
run_cli (const char *const *args, char **out, char **err)
{
  return dm_test_run_cli (cli_path, args, out, err);
}

/* Failure: exactly one line on stderr, naming the file and the problem. */
static void
assert_one_line_error (const char *err, const char *path, const char *part)
{
  g_test_message ("%s", err);
  g_assert_true (g_str_has_prefix (err, "dinomaly predict: "));
  g_assert_true (g_str_has_suffix (err, "\n"));
  if (strchr (err, '\n') + 1 != err + strlen (err))
    g_error ("more than one line:\n%s", err);
  if (path != NULL)
    dm_test_assert_has (err, path);
  dm_test_assert_has (err, part);
}

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static char *
forward_path (const char *name)
{
  return g_build_filename (dm_test_srcdir (), "data", "forward", name, NULL);
}

static void
copy_file (const char *from, const char *to, gssize keep)
{
  g_autofree char *data = NULL;
  gsize size;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_get_contents (from, &data, &size, &error));
  g_assert_true (
    g_file_set_contents (to, data, keep >= 0 ? MIN (keep, (gssize)size) : (gssize)size, &error));
  g_assert_no_error (error);
}

static DmDinomalyWeights *
load_decoder (void)
{
  g_autofree char *path = forward_path ("decoder_f32.safetensors");
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) st = dm_safetensors_open (path, &error);
  DmDinomalyWeights *w;

  g_assert_no_error (error);
  w = dm_dinomaly_weights_load (st, 128, &error);
  g_assert_no_error (error);
  return w;
}

static void
set_classes (DmModelInfo *info, const char *const *names, const double *image, const double *pixel)
{
  guint n = g_strv_length ((char **)names);

  g_strfreev (info->class_names);
  info->class_names = g_strdupv ((char **)names);
  info->thresholds = g_new0 (DmClassThreshold, n);
  info->n_thresholds = n;
  for (guint i = 0; i < n; i++)
    {
      info->thresholds[i].class_name = g_strdup (names[i]);
      info->thresholds[i].image = image[i];
      info->thresholds[i].pixel = pixel[i];
    }
}

static void
make_models (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmVitWeights) encoder = dm_vit_weights_load (encoder_path, -1, &error);
  g_autoptr (DmDinomalyWeights) decoder = load_decoder ();
  g_autoptr (DmModelInfo) info = dm_model_info_new ();
  g_autoptr (DmModelInfo) ref_info = dm_model_info_new ();
  g_autoptr (DmModelInfo) multi = dm_model_info_new ();
  g_autoptr (DmDinomalyWeights) narrow = dm_dinomaly_weights_new (64, &error);
  g_autoptr (DmSafetensorsWriter) writer = dm_safetensors_writer_new ();

  g_assert_no_error (error);
  g_assert_true (dm_model_info_set_backbone (info, &encoder->config, &error));
  info->resize = 256;
  info->crop = 224;
  set_classes (info, (const char *[]){ "tire", NULL }, (double[]){ TIRE_IMAGE_THRESHOLD },
               (double[]){ TIRE_PIXEL_THRESHOLD });
  info->backbone_name = g_strdup ("encoder_timm_bf16.safetensors");
  info->backbone_sha256 = dm_file_sha256 (encoder_path, &error);
  g_assert_true (dm_model_file_write (model_path, info, decoder, encoder, DM_DTYPE_BF16, &error));
  g_assert_no_error (error);

  /* the same, referring to the backbone file instead of embedding it */
  g_assert_true (dm_model_info_set_backbone (ref_info, &encoder->config, &error));
  ref_info->resize = 256;
  ref_info->crop = 224;
  ref_info->backbone_name = g_strdup ("encoder_timm_bf16.safetensors");
  ref_info->backbone_sha256 = g_strdup (info->backbone_sha256);
  ref_info->backbone_embedded = FALSE;
  ref_info->backbone_scheme = DM_VIT_SCHEME_TIMM;
  g_assert_true (dm_model_file_write (ref_model, ref_info, decoder, NULL, DM_DTYPE_F32, &error));
  g_assert_no_error (error);

  g_assert_true (dm_model_info_set_backbone (multi, &encoder->config, &error));
  multi->resize = 256;
  multi->crop = 224;
  set_classes (multi, (const char *[]){ "mt", "tire", NULL }, (double[]){ 2.0, 0.5 },
               (double[]){ 0.5, 0.5 });
  multi->backbone_sha256 = g_strdup (info->backbone_sha256);
  g_assert_true (dm_model_file_write (multi_model, multi, decoder, encoder, DM_DTYPE_BF16, &error));
  g_assert_no_error (error);

  /* A decoder 64 wide under metadata that says 128 (the backbone's width):
   * dm_model_file_write refuses to make one, so it is written by hand. */
  dm_dinomaly_weights_init (narrow, 3);
  g_assert_true (dm_dinomaly_weights_add_to_writer (narrow, writer, &error));
  dm_model_info_to_metadata (ref_info, writer);
  g_assert_true (dm_safetensors_writer_write (writer, narrow_model, &error));
  g_assert_no_error (error);

  /* metadata edited against the tensors beside it, written by hand too */
  for (int k = 0; k < 2; k++)
    {
      g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
      int depth = info->arch.depth;

      info->arch.depth = k == 0 ? 12 : 100000;
      g_assert_true (dm_vit_weights_add_to_writer (encoder, w, "encoder.", DM_DTYPE_F32, &error));
      g_assert_true (dm_dinomaly_weights_add_to_writer (decoder, w, &error));
      dm_model_info_to_metadata (info, w);
      g_assert_true (dm_safetensors_writer_write (w, k == 0 ? deep_model : huge_model, &error));
      g_assert_no_error (error);
      info->arch.depth = depth;
    }
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Every entry of a folder, sorted. */
static char *
list_dir (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    return g_strdup ("(no folder)");
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **)names->pdata);
}

static char *
read_text (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

static float *
read_map (const char *dir, const char *stem)
{
  g_autofree char *name = g_strconcat (stem, "_map.tiff", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) image = dm_image_load (path, 0, &error);
  float *map = g_new (float, 256 * 256);

  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, 256);
  g_assert_cmpint (image->height, ==, 256);
  g_assert_cmpint (image->channels, ==, 1);
  g_assert_cmpint (image->type, ==, DM_PIXEL_F32);
  for (int y = 0; y < 256; y++)
    memcpy (map + y * 256, image->data + y * image->stride, 256 * sizeof (float));
  return map;
}

static void
assert_overlay (const char *dir, const char *stem, int width, int height)
{
  g_autofree char *name = g_strconcat (stem, "_overlay.png", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) image = dm_image_load (path, 0, &error);

  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, width);
  g_assert_cmpint (image->height, ==, height);
  g_assert_cmpint (image->channels, ==, 3);
  g_assert_cmpint (image->type, ==, DM_PIXEL_U8);
}

/* The reference images through the whole command: decoding, the
 * preprocessing, batches, the CSV, the float TIFF maps as written. */
static void
test_reference (void)
{
  g_autofree char *vectors = forward_path ("expected.safetensors");
  g_autofree char *out_dir = tmp_path ("out-reference");
  g_autofree char *out = NULL, *err = NULL, *csv = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) expect = dm_safetensors_open (vectors, &error);
  g_autofree float *want_maps = g_new (float, 2 * 256 * 256);
  float want_scores[2];
  g_auto (GStrv) lines = NULL;
  const char *stems[2] = { "tire_hole_000", "mt_crack_exp1_num_249594" };
  const char *decisions[2] = { "fail", "pass" };

  g_assert_no_error (error);
  g_assert_true (dm_safetensors_read_f32 (expect, "score", want_scores, 2, &error));
  g_assert_true (dm_safetensors_read_f32 (expect, "map_256", want_maps, 2 * 256 * 256, &error));
  g_assert_no_error (error);

  /* batch 1: two batches through the pipeline */
  g_assert_cmpint (run_cli ((const char *[]){ "predict", "--model", model_path, tire_png, mt_jpg,
                                              "--out", out_dir, "--batch", "1", NULL },
                            &out, &err),
                   ==, 0);
  g_assert_cmpstr (err, ==, "");
  g_assert_cmpstr (out, ==, "");
  csv = read_text (out_dir, "results.csv");
  g_test_message ("%s", csv);
  lines = g_strsplit (csv, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4); /* header, 2 rows, "" after the last \n */
  g_assert_cmpstr (lines[0], ==, "path,score,decision," DM_VERDICT_CSV_COLUMNS);
  g_assert_cmpstr (lines[3], ==, "");
  for (int i = 0; i < 2; i++)
    {
      g_auto (GStrv) fields = g_strsplit (lines[i + 1], ",", -1);
      g_autofree float *map = read_map (out_dir, stems[i]);
      double score;
      char what[64];

      g_assert_cmpuint (g_strv_length (fields), ==, 9);
      g_assert_cmpstr (fields[0], ==, i == 0 ? tire_png : mt_jpg);
      score = g_ascii_strtod (fields[1], NULL);
      g_test_message ("%s: score %.9g, reference %.9g", stems[i], score, want_scores[i]);
      g_assert_cmpfloat (fabs (score - want_scores[i]), <=, 1e-5);
      g_assert_cmpstr (fields[2], ==, decisions[i]);
      g_snprintf (what, sizeof what, "predict map_256 %s", stems[i]);
      dm_test_assert_close (map, want_maps + i * 256 * 256, 256 * 256, 1e-5, what);
      g_assert_cmpfloat (dm_test_max_abs_diff (map, want_maps + i * 256 * 256, 256 * 256), <=,
                         1e-5);
      {
        /* the score is the top-1% mean of the map as written */
        g_autofree float *scratch = g_new (float, 256 * 256);
        g_assert_cmpfloat (fabs (dm_anomaly_score (map, scratch) - score), <=, 1e-6);
      }
    }
  assert_overlay (out_dir, stems[0], 600, 800);
  assert_overlay (out_dir, stems[1], 219, 264);
  {
    g_autofree char *listing = list_dir (out_dir);
    g_assert_cmpstr (listing, ==,
                     "mt_crack_exp1_num_249594_map.tiff mt_crack_exp1_num_249594_overlay.png "
                     "results.csv results.json tire_hole_000_map.tiff tire_hole_000_overlay.png");
  }
}

static gint
compare_floats_down (gconstpointer a, gconstpointer b)
{
  float x = *(const float *)a, y = *(const float *)b;

  return (x < y) - (x > y);
}

/* A straightforward reference for the score over a region of interest:
 * the mean of the k = max (1, floor (655 n / 65536)) largest inspected
 * values, summed in double after a full sort. */
static double
reference_roi_score (const float *map, const guint8 *mask)
{
  g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (float));
  double sum = 0;
  guint k;

  for (int i = 0; i < 256 * 256; i++)
    if (mask[i])
      g_array_append_val (values, map[i]);
  g_array_sort (values, compare_floats_down);
  k = MAX (1, 655 * values->len / 65536);
  for (guint i = 0; i < k; i++)
    sum += g_array_index (values, float, i);
  return sum / k;
}

/* One row of results.csv and the same image in results.json agree with
 * the library's decider run on the map as written, field for field. */
static void
assert_row_is_verdict (const char *row, JsonObject *image, const DmVerdict *v)
{
  g_auto (GStrv) f = g_strsplit (row, ",", -1);
  g_autoptr (GString) want = g_string_new (NULL);
  JsonArray *regions = json_object_get_array_member (image, "regions");

  g_assert_cmpuint (g_strv_length (f), ==, 9);
  g_assert_cmpfloat (fabs (g_ascii_strtod (f[1], NULL) - v->score), <=, 1e-6 * fabs (v->score));
  g_assert_cmpstr (f[2], ==, dm_decision_name (v->decision));
  dm_verdict_append_csv (want, v);
  g_assert_cmpstr (strchr (strchr (strchr (row, ',') + 1, ',') + 1, ',') + 1, ==, want->str);

  g_assert_cmpstr (json_object_get_string_member (image, "decision"), ==,
                   dm_decision_name (v->decision));
  if (v->rule == DM_RULE_NONE)
    g_assert_true (json_object_get_null_member (image, "rule"));
  else
    g_assert_cmpstr (json_object_get_string_member (image, "rule"), ==, dm_rule_name (v->rule));
  g_assert_cmpint (json_object_get_int_member (image, "n_regions"), ==, v->n_regions);
  g_assert_cmpint (json_object_get_int_member (image, "n_small"), ==, v->n_small);
  g_assert_cmpuint (json_array_get_length (regions), ==, v->n_listed);
  for (guint i = 0; i < v->n_listed; i++)
    {
      JsonObject *r = json_array_get_object_element (regions, i);
      const DmRegion *w = &v->regions[i];

      g_assert_cmpint (json_object_get_int_member (r, "x"), ==, w->x);
      g_assert_cmpint (json_object_get_int_member (r, "y"), ==, w->y);
      g_assert_cmpint (json_object_get_int_member (r, "width"), ==, w->width);
      g_assert_cmpint (json_object_get_int_member (r, "height"), ==, w->height);
      g_assert_cmpint (json_object_get_int_member (r, "area_px"), ==, (gint64)w->area_px);
      g_assert_cmpfloat (json_object_get_double_member (r, "area_mm2"), ==, w->area_mm2);
      g_assert_cmpfloat (json_object_get_double_member (r, "length_px"), ==, w->length_px);
      g_assert_cmpfloat (json_object_get_double_member (r, "length_mm"), ==, w->length_mm);
      g_assert_cmpfloat ((float)json_object_get_double_member (r, "max"), ==, w->max_value);
      g_assert_cmpfloat ((float)json_object_get_double_member (r, "mean"), ==, w->mean_value);
    }
}

/* Inspection rules through predict: an ignore area changes the score as
 * the reference computation says, the regions and the rule that fired in
 * results.csv and results.json are the decider's on the maps as written,
 * and rules stored in the model with `dinomaly rules` give the same files
 * as --rules. */
static void
test_rules (void)
{
  g_autofree char *rules_path = tmp_path ("rules.json");
  g_autofree char *limits_path = tmp_path ("limits.json");
  g_autofree char *ruled_model = tmp_path ("ruled.dinomaly");
  g_autofree char *out_a = tmp_path ("out-rules"), *out_b = tmp_path ("out-limits");
  g_autofree char *out_c = tmp_path ("out-stored");
  const char *stems[2] = { "tire_hole_000", "mt_crack_exp1_num_249594" };
  const int sizes[2][2] = { { 600, 800 }, { 219, 264 } };
  /* the left quarter of the picture ignored; 0.1 mm per pixel of a 600 x
   * 800 reference */
  const char *roi = "\"reference\": {\"width\": 600, \"height\": 800}, \"mm_per_pixel\": 0.1, "
                    "\"roi\": [{\"shape\": \"rectangle\", \"layer\": \"ignore\", "
                    "\"points\": [[0, 0], [150, 800]]}]";
  g_autofree char *rules_text = g_strdup_printf ("{%s}", roi);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmRules) rules = NULL;
  g_autoptr (DmDecider) decider = NULL;
  DmThresholds t;
  DmVerdict v[2];
  guint n_inspected = 0;
  const guint8 *mask;
  guint most = 0;

  g_assert_true (g_file_set_contents (rules_path, rules_text, -1, &error));
  rules = dm_rules_load (rules_path, &error);
  g_assert_no_error (error);
  dm_thresholds_init (&t);
  t.image = TIRE_IMAGE_THRESHOLD;
  t.pixel = TIRE_PIXEL_THRESHOLD;
  decider = dm_decider_new (&t, rules, 256, 224, &error);
  g_assert_no_error (error);
  mask = dm_decider_get_map_mask (decider, &n_inspected);
  g_assert_nonnull (mask);
  g_assert_cmpuint (n_inspected, >, 0);
  g_assert_cmpuint (n_inspected, <, 256 * 256);

  /* the ROI alone: scores over it, regions measured, no limit */
  {
    g_autofree char *out = NULL, *err = NULL, *csv = NULL, *json = NULL;
    g_auto (GStrv) lines = NULL;
    g_autoptr (JsonParser) parser = json_parser_new ();
    JsonArray *images;

    g_assert_cmpint (
      run_cli ((const char *[]){ "predict", "--model", model_path, "--rules", rules_path, tire_png,
                                 mt_jpg, "--out", out_a, NULL },
               &out, &err),
      ==, 0);
    g_assert_cmpstr (err, ==, "");
    csv = read_text (out_a, "results.csv");
    json = read_text (out_a, "results.json");
    g_test_message ("%s\n%s", csv, json);
    g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
    g_assert_no_error (error);
    images = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                           "images");
    g_assert_cmpuint (json_array_get_length (images), ==, 2);
    lines = g_strsplit (csv, "\n", -1);
    for (int i = 0; i < 2; i++)
      {
        g_autofree float *map = read_map (out_a, stems[i]);
        g_autofree float *scratch = g_new (float, 256 * 256);
        double want = reference_roi_score (map, mask);

        dm_decider_run (decider, map, dm_anomaly_score (map, scratch), sizes[i][0], sizes[i][1],
                        &v[i], NULL);
        g_test_message ("%s: score over the ROI %.9g (reference %.9g, whole map %.9g), %u "
                        "regions, rule '%s'",
                        stems[i], v[i].score, want, dm_anomaly_score (map, scratch), v[i].n_regions,
                        dm_rule_name (v[i].rule));
        g_assert_cmpfloat (fabs (v[i].score - want), <=, 1e-6 * fabs (want));
        assert_row_is_verdict (lines[i + 1], json_array_get_object_element (images, i), &v[i]);
        most = MAX (most, v[i].n_regions);
        /* calibrated: every region has its size in mm */
        for (guint r = 0; r < v[i].n_listed; r++)
          g_assert_cmpfloat (
            fabs (v[i].regions[r].area_mm2
                  - 0.01 * v[i].regions[r].area_px * (600.0 / sizes[i][0]) * (800.0 / sizes[i][1])),
            <=, 1e-9 * v[i].regions[r].area_px);
      }
    g_assert_cmpuint (most, >, 0); /* the test below needs regions */
  }

  /* limits: at most (most - 1) regions; the image with most fails by
   * region_count unless its score failed it already */
  {
    g_autofree char *text
      = g_strdup_printf ("{%s, \"regions\": {\"max_regions\": %u}}", roi, most - 1);
    g_autofree char *out = NULL, *err = NULL, *csv = NULL, *json = NULL, *csv_c = NULL;
    g_autofree char *json_c = NULL;
    g_autoptr (DmRules) limited = NULL;
    g_autoptr (DmDecider) d2 = NULL;
    g_autoptr (JsonParser) parser = json_parser_new ();
    g_auto (GStrv) lines = NULL;
    JsonArray *images;
    guint n_count = 0;
    int rc;

    g_assert_true (g_file_set_contents (limits_path, text, -1, &error));
    limited = dm_rules_load (limits_path, &error);
    g_assert_no_error (error);
    d2 = dm_decider_new (&t, limited, 256, 224, &error);
    g_assert_no_error (error);
    g_assert_cmpint (
      run_cli ((const char *[]){ "predict", "--model", model_path, "--rules", limits_path, tire_png,
                                 mt_jpg, "--out", out_b, NULL },
               &out, &err),
      ==, 0);
    g_assert_cmpstr (err, ==, "");
    csv = read_text (out_b, "results.csv");
    json = read_text (out_b, "results.json");
    g_test_message ("%s", csv);
    g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
    images = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                           "images");
    lines = g_strsplit (csv, "\n", -1);
    for (int i = 0; i < 2; i++)
      {
        g_autofree float *map = read_map (out_b, stems[i]);
        g_autofree float *scratch = g_new (float, 256 * 256);
        DmVerdict w;

        dm_decider_run (d2, map, dm_anomaly_score (map, scratch), sizes[i][0], sizes[i][1], &w,
                        NULL);
        assert_row_is_verdict (lines[i + 1], json_array_get_object_element (images, i), &w);
        if (v[i].n_regions == most && v[i].decision != DM_DECISION_FAIL)
          {
            g_assert_cmpint (w.decision, ==, DM_DECISION_FAIL);
            g_assert_cmpint (w.rule, ==, DM_RULE_REGION_COUNT);
          }
        if (v[i].decision == DM_DECISION_FAIL)
          g_assert_cmpint (w.rule, ==, DM_RULE_SCORE); /* a failed score stays the reason */
        n_count += w.rule == DM_RULE_REGION_COUNT;
      }
    g_test_message ("%u image(s) failed by region_count", n_count);

    /* the same rules stored in the model: the same files */
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    rc = run_cli ((const char *[]){ "rules", "--model", model_path, "--rules", limits_path, "--out",
                                    ruled_model, NULL },
                  &out, &err);
    g_test_message ("%s%s", out, err);
    g_assert_cmpint (rc, ==, 0);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run_cli ((const char *[]){ "predict", "--model", ruled_model, tire_png, mt_jpg,
                                                "--out", out_c, NULL },
                              &out, &err),
                     ==, 0);
    g_assert_cmpstr (err, ==, "");
    csv_c = read_text (out_c, "results.csv");
    json_c = read_text (out_c, "results.json");
    g_assert_cmpstr (csv_c, ==, csv);
    g_assert_cmpstr (json_c, ==, json);
  }
}

/* Rules that cannot be used: one line naming the file and the problem,
 * exit 1, nothing written; `dinomaly rules` shows a class's rules as JSON,
 * refuses limits in mm without a calibration and bad numbers (usage, 2). */
static void
test_bad_rules (void)
{
  const struct
  {
    const char *name, *text, *part;
  } cases[] = {
    { "not-json.json", "{\"roi\": [", "not valid JSON" },
    { "bad-shape.json",
      "{\"reference\": {\"width\": 600, \"height\": 800}, \"roi\": [{\"shape\": \"circle\", "
      "\"points\": [[1, 2]]}]}",
      "circle" },
    { "mm-uncalibrated.json", "{\"regions\": {\"units\": \"mm\", \"max_area\": 1}}",
      "calibration" },
    { "no-reference.json",
      "{\"roi\": [{\"shape\": \"rectangle\", \"layer\": \"ignore\", \"points\": [[0, 0], [9, "
      "9]]}]}",
      "reference" },
    { "all-ignored.json",
      "{\"reference\": {\"width\": 10, \"height\": 10}, \"roi\": [{\"shape\": \"rectangle\", "
      "\"layer\": \"ignore\", \"points\": [[0, 0], [10, 10]]}]}",
      "nothing of the model's view" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = tmp_path (cases[i].name);
      g_autofree char *dir = g_strdup_printf ("%s/out-bad-rules-%u", tmpdir, i);
      g_autofree char *out = NULL, *err = NULL;

      g_assert_true (g_file_set_contents (path, cases[i].text, -1, NULL));
      g_assert_cmpint (run_cli ((const char *[]){ "predict", "--model", model_path, "--rules", path,
                                                  "--out", dir, mt_jpg, NULL },
                                &out, &err),
                       ==, 1);
      assert_one_line_error (err, cases[i].name, cases[i].part);
      g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
    }

  /* dinomaly rules: shown as JSON; refused changes leave the file alone */
  {
    g_autofree char *copy = tmp_path ("rules-cli.dinomaly");
    g_autofree char *out = NULL, *err = NULL, *before = NULL, *after = NULL;
    gsize n_before, n_after;

    copy_file (model_path, copy, -1);
    g_assert_true (g_file_get_contents (copy, &before, &n_before, NULL));
    g_assert_cmpint (run_cli ((const char *[]){ "rules", "--model", copy, NULL }, &out, &err), ==,
                     0);
    g_assert_cmpstr (out, ==, "{}\n");
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run_cli ((const char *[]){ "rules", "--model", copy, "--units", "mm",
                                                "--max-area", "0.5", NULL },
                              &out, &err),
                     ==, 1);
    g_test_message ("%s", err);
    dm_test_assert_has (err, "rules-cli.dinomaly");
    dm_test_assert_has (err, "calibration");
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (
      run_cli ((const char *[]){ "rules", "--model", copy, "--max-regions", "1.5", NULL }, &out,
               &err),
      ==, 2);
    dm_test_assert_has (err, "--max-regions");
    g_assert_true (g_file_get_contents (copy, &after, &n_after, NULL));
    g_assert_cmpuint (n_after, ==, n_before);
    g_assert_true (memcmp (before, after, n_before) == 0);

    /* stored, then shown */
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (
      run_cli ((const char *[]){ "rules", "--model", copy, "--mm-per-pixel", "0.05", "--units",
                                 "mm", "--max-area", "0.5", "--max-regions", "2", NULL },
               &out, &err),
      ==, 0);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run_cli ((const char *[]){ "rules", "--model", copy, NULL }, &out, &err), ==,
                     0);
    g_test_message ("%s", out);
    dm_test_assert_has (out, "\"mm_per_pixel\": 0.05");
    dm_test_assert_has (out, "\"max_area\": 0.5");
    dm_test_assert_has (out, "\"max_regions\": 2");
  }
}

/* Folders: sorted, non-images listed and skipped, colliding stems get a
 * suffix; a model with a backbone file; --class with several classes. */
static void
test_folders (void)
{
  g_autofree char *a = tmp_path ("in-a"), *b = tmp_path ("in-b");
  g_autofree char *out_dir = tmp_path ("out-folders"), *out2 = tmp_path ("out-class");
  g_autofree char *out3 = tmp_path ("out-noclass");
  g_autofree char *a_mt = g_build_filename (a, "mt.jpg", NULL);
  g_autofree char *a_png = g_build_filename (a, "MT.png", NULL);
  g_autofree char *b_mt = g_build_filename (b, "mt.jpg", NULL);
  g_autofree char *notes = g_build_filename (a, "notes.txt", NULL);
  g_autofree char *out = NULL, *err = NULL, *csv = NULL, *listing = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree float *map1 = NULL, *map3 = NULL;

  g_assert_cmpint (g_mkdir (a, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (b, 0755), ==, 0);
  copy_file (mt_jpg, a_mt, -1);
  copy_file (mt_jpg, b_mt, -1);
  g_assert_true (g_file_set_contents (notes, "not an image\n", -1, NULL));
  {
    /* a PNG named like the JPEG but for case: the same stem on some file systems */
    g_autoptr (DmImage) img = dm_image_new (20, 10, 3, DM_PIXEL_U8, NULL);
    memset (img->data, 90, img->stride * 10);
    g_assert_true (dm_image_save_png (img, a_png, NULL));
  }

  g_assert_cmpint (run_cli ((const char *[]){ "predict", "--model", ref_model, "--backbone",
                                              encoder_path, a, b, "--out", out_dir, NULL },
                            &out, &err),
                   ==, 0);
  dm_test_assert_has (err, "notes.txt: not a PNG, TIFF, JPEG or BMP image, skipped");
  g_assert_cmpuint (strlen (err), ==, strcspn (err, "\n") + 1); /* that line only */
  csv = read_text (out_dir, "results.csv");
  g_test_message ("%s", csv);
  lines = g_strsplit (csv, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);
  /* sorted by name within each folder: "MT.png" < "mt.jpg"; no thresholds:
   * empty decisions */
  g_assert_true (g_str_has_prefix (lines[1], a_png));
  g_assert_true (g_str_has_prefix (lines[2], a_mt));
  g_assert_true (g_str_has_prefix (lines[3], b_mt));
  g_assert_true (g_str_has_suffix (lines[1], ","));
  listing = list_dir (out_dir);
  g_assert_cmpstr (listing, ==,
                   "MT_map.tiff MT_overlay.png mt-2_map.tiff mt-2_overlay.png mt-3_map.tiff "
                   "mt-3_overlay.png results.csv results.json");
  map1 = read_map (out_dir, "mt-2");
  map3 = read_map (out_dir, "mt-3");
  /* equal up to the order of sums (rows of a batch may take other kernels) */
  dm_test_assert_close (map1, map3, 256 * 256, 1e-5, "predict same image twice in a batch");

  /* two classes: --class picks the thresholds; without it no decision */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli ((const char *[]){ "predict", "--model", multi_model, "--class", "mt",
                                              b_mt, "--out", out2, NULL },
                            &out, &err),
                   ==, 0);
  g_clear_pointer (&csv, g_free);
  csv = read_text (out2, "results.csv");
  dm_test_assert_has (csv, ",pass,");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (
    run_cli ((const char *[]){ "predict", "--model", multi_model, b_mt, "--out", out3, NULL }, &out,
             &err),
    ==, 0);
  g_clear_pointer (&csv, g_free);
  csv = read_text (out3, "results.csv");
  g_assert_true (g_str_has_suffix (csv, ",\n"));
}

/* ---- bad input ----------------------------------------------------------- */

static guint32
crc32_png (const guint8 *data, gsize n)
{
  guint32 c = 0xffffffffu;

  for (gsize i = 0; i < n; i++)
    {
      c ^= data[i];
      for (int k = 0; k < 8; k++)
        c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
  return c ^ 0xffffffffu;
}

static void
put_be32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = (v >> 16) & 0xff;
  p[2] = (v >> 8) & 0xff;
  p[3] = v & 0xff;
}

/* A small PNG whose IHDR claims width x height (CRC fixed). */
static char *
png_with_size (const char *name, guint32 width, guint32 height)
{
  g_autofree char *path = tmp_path (name);
  g_autoptr (DmImage) img = dm_image_new (8, 8, 3, DM_PIXEL_U8, NULL);
  g_autofree guint8 *data = NULL;
  gsize size;

  memset (img->data, 128, img->stride * 8);
  g_assert_true (dm_image_save_png (img, path, NULL));
  g_assert_true (g_file_get_contents (path, (char **)&data, &size, NULL));
  /* signature (8), IHDR length (4) and type (4), then width, height */
  g_assert_cmpmem (data + 12, 4, "IHDR", 4);
  put_be32 (data + 16, width);
  put_be32 (data + 20, height);
  put_be32 (data + 29, crc32_png (data + 12, 17));
  g_assert_true (g_file_set_contents (path, (const char *)data, size, NULL));
  return g_steal_pointer (&path);
}

typedef struct
{
  const char *label;
  const char *args[12]; /* "@out" is replaced by a fresh output folder */
  const char *file;     /* the error names it */
  const char *part;     /* and says this */
  gboolean out_written; /* the run gets to write results.csv (header only) */
} BadCase;

static void
run_bad_case (const BadCase *c, int index)
{
  g_autofree char *name = g_strdup_printf ("out-bad-%d", index);
  g_autofree char *out_dir = tmp_path (name);
  g_autofree char *out = NULL, *err = NULL;
  const char *args[16];
  int n = 0;

  args[n++] = "predict";
  for (int i = 0; c->args[i] != NULL; i++)
    args[n++] = strcmp (c->args[i], "@out") == 0 ? out_dir : c->args[i];
  args[n] = NULL;
  g_test_message ("case %s", c->label);
  g_assert_cmpint (run_cli (args, &out, &err), ==, 1);
  g_assert_cmpstr (out, ==, "");
  assert_one_line_error (err, c->file, c->part);
  if (c->out_written)
    {
      /* the header alone: nothing was done, nothing half-written */
      g_autofree char *listing = list_dir (out_dir);
      g_autofree char *csv = read_text (out_dir, "results.csv");

      g_assert_cmpstr (listing, ==, "results.csv results.json");
      g_assert_cmpstr (csv, ==, "path,score,decision," DM_VERDICT_CSV_COLUMNS "\n");
    }
  else
    g_assert_false (g_file_test (out_dir, G_FILE_TEST_EXISTS));
}

static void
test_bad_input (void)
{
  g_autofree char *truncated = tmp_path ("truncated.dinomaly");
  g_autofree char *corrupt = tmp_path ("corrupt.dinomaly");
  g_autofree char *short_backbone = tmp_path ("short-encoder.safetensors");
  g_autofree char *missing = tmp_path ("no-such-encoder.safetensors");
  g_autofree char *other_backbone = g_build_filename (dm_test_srcdir (), "data", "weights",
                                                      "encoder_timm_bf16_d2.safetensors", NULL);
  g_autofree char *zero_width = png_with_size ("zero-width.png", 0, 8);
  g_autofree char *huge = png_with_size ("huge.png", 100000, 100000);
  g_autofree char *gone = tmp_path ("gone.png");
  g_autofree char *empty_dir = tmp_path ("no-images");
  g_autofree char *notes = g_build_filename (empty_dir, "notes.txt", NULL);
  g_autofree char *a_file = tmp_path ("a-file");
  g_autofree char *under_file = g_build_filename (a_file, "out", NULL);
  g_autofree char *truncated_png = tmp_path ("truncated.png");

  copy_file (model_path, truncated, 4000000);
  copy_file (model_path, corrupt, -1);
  {
    /* the JSON header's opening brace becomes garbage */
    g_autofree char *data = NULL;
    gsize size;

    g_assert_true (g_file_get_contents (corrupt, &data, &size, NULL));
    data[8] = '#';
    g_assert_true (g_file_set_contents (corrupt, data, size, NULL));
  }
  copy_file (encoder_path, short_backbone, 100000);
  copy_file (tire_png, truncated_png, 30000);
  g_assert_cmpint (g_mkdir (empty_dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (notes, "text\n", -1, NULL));
  g_assert_true (g_file_set_contents (a_file, "a file, not a folder\n", -1, NULL));

  {
    const BadCase cases[] = {
      { "truncated model",
        { "--model", truncated, mt_jpg, "--out", "@out" },
        truncated,
        "truncated" },
      { "corrupt model", { "--model", corrupt, mt_jpg, "--out", "@out" }, corrupt, "header" },
      { "not a model",
        { "--model", encoder_path, mt_jpg, "--out", "@out" },
        encoder_path,
        "model" },
      { "decoder narrower than the backbone",
        { "--model", narrow_model, "--backbone", encoder_path, mt_jpg, "--out", "@out" },
        narrow_model,
        "64" },
      { "metadata edited: deeper than the embedded encoder",
        { "--model", deep_model, mt_jpg, "--out", "@out" },
        deep_model,
        "metadata says D 128, depth 12, 4 registers, patch 14, but the embedded encoder's "
        "tensors are D 128, depth 10" },
      { "metadata edited: depth 100000",
        { "--model", huge_model, mt_jpg, "--out", "@out" },
        huge_model,
        "depth 100000" },
      { "backbone not given",
        { "--model", ref_model, mt_jpg, "--out", "@out" },
        ref_model,
        "give that file" },
      { "backbone missing",
        { "--model", ref_model, "--backbone", missing, mt_jpg, "--out", "@out" },
        missing,
        "no such file" },
      { "backbone with another SHA-256",
        { "--model", ref_model, "--backbone", other_backbone, mt_jpg, "--out", "@out" },
        other_backbone,
        "SHA-256" },
      { "truncated backbone",
        { "--model", ref_model, "--backbone", short_backbone, mt_jpg, "--out", "@out" },
        short_backbone,
        "SHA-256" },
      { "unknown class",
        { "--model", multi_model, "--class", "bottle", mt_jpg, "--out", "@out" },
        multi_model,
        "no class 'bottle'" },
      { "image of zero width",
        { "--model", model_path, zero_width, "--out", "@out" },
        zero_width,
        "Invalid IHDR data",
        TRUE },
      { "image over the pixel ceiling",
        { "--model", model_path, huge, "--out", "@out" },
        huge,
        "over the limit",
        TRUE },
      { "image over --max-pixels",
        { "--model", model_path, "--max-pixels", "1000", mt_jpg, "--out", "@out" },
        mt_jpg,
        "over the limit of 1000 pixels",
        TRUE },
      { "truncated image",
        { "--model", model_path, truncated_png, "--out", "@out" },
        truncated_png,
        "",
        TRUE },
      { "image that does not exist",
        { "--model", model_path, gone, "--out", "@out" },
        gone,
        "no such file" },
      { "folder without images",
        { "--model", model_path, empty_dir, "--out", "@out" },
        empty_dir,
        "no PNG, TIFF, JPEG or BMP image" },
      { "output is a file",
        { "--model", model_path, mt_jpg, "--out", a_file },
        a_file,
        "not a folder" },
      { "output under a file",
        { "--model", model_path, mt_jpg, "--out", under_file },
        under_file,
        "cannot create the folder" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      run_bad_case (&cases[i], (int)i);
  }
  g_assert_false (g_file_test (under_file, G_FILE_TEST_EXISTS));

  if (geteuid () != 0)
    {
      /* permissions mean nothing to root: only as a user */
      g_autofree char *locked = tmp_path ("locked.jpg");
      g_autofree char *ro_dir = tmp_path ("read-only");
      const BadCase unreadable = { "unreadable image",
                                   { "--model", model_path, locked, "--out", "@out" },
                                   locked,
                                   "Permission denied" };
      const BadCase read_only = { "read-only output",
                                  { "--model", model_path, mt_jpg, "--out", ro_dir },
                                  ro_dir,
                                  "Permission denied" };

      copy_file (mt_jpg, locked, -1);
      g_assert_cmpint (g_chmod (locked, 0), ==, 0);
      run_bad_case (&unreadable, 100);
      g_assert_cmpint (g_mkdir (ro_dir, 0555), ==, 0);
      run_bad_case (&read_only, 101);
    }
}

/* A bad image among good ones: the others are scored, the CSV lists them,
 * one line names the bad one, the exit status says it. */
static void
test_bad_among_good (void)
{
  g_autofree char *out_dir = tmp_path ("out-mixed");
  g_autofree char *bad = png_with_size ("bad-among-good.png", 0, 0);
  g_autofree char *out = NULL, *err = NULL, *csv = NULL, *listing = NULL;

  g_assert_cmpint (run_cli ((const char *[]){ "predict", "--model", model_path, mt_jpg, bad,
                                              tire_png, "--out", out_dir, "--batch", "2", NULL },
                            &out, &err),
                   ==, 1);
  assert_one_line_error (err, bad, "IHDR");
  csv = read_text (out_dir, "results.csv");
  g_test_message ("%s", csv);
  g_assert_true (g_str_has_prefix (csv, "path,score,decision," DM_VERDICT_CSV_COLUMNS "\n"));
  dm_test_assert_has (csv, mt_jpg);
  dm_test_assert_has (csv, tire_png);
  g_assert_null (strstr (csv, "bad-among-good"));
  listing = list_dir (out_dir);
  g_assert_cmpstr (listing, ==,
                   "mt_crack_exp1_num_249594_map.tiff mt_crack_exp1_num_249594_overlay.png "
                   "results.csv results.json tire_hole_000_map.tiff tire_hole_000_overlay.png");
}

static void
test_usage (void)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_cli ((const char *[]){ "predict", mt_jpg, NULL }, &out, &err), ==, 2);
  dm_test_assert_has (err, "--model and --out are required");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli ((const char *[]){ "predict", "--help", NULL }, &out, &err), ==, 0);
  dm_test_assert_has (out, "results.csv");
  dm_test_assert_has (out, "--colormap");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli ((const char *[]){ "predict", "--model", model_path, "--out", "x",
                                              "--colormap", "jet", mt_jpg, NULL },
                            &out, &err),
                   ==, 2);
  dm_test_assert_has (err, "unknown --colormap 'jet'");
}

/* --colormap viridis: the same map and CSV as the default run, an overlay
 * in other colours (the default is ember, as before) */
static void
test_colormap (void)
{
  g_autofree char *ember_dir = tmp_path ("out-ember"), *viridis_dir = tmp_path ("out-viridis");
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *ember_csv = NULL, *viridis_csv = NULL;
  g_autofree float *ember_map = NULL, *viridis_map = NULL;
  g_autoptr (DmImage) ember = NULL, viridis = NULL;
  g_autoptr (GError) error = NULL;
  gsize n_changed = 0;

  g_assert_cmpint (run_cli ((const char *[]){ "predict", "--model", model_path, tire_png, "--out",
                                              ember_dir, NULL },
                            &out, &err),
                   ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli ((const char *[]){ "predict", "--model", model_path, tire_png, "--out",
                                              viridis_dir, "--colormap", "viridis", NULL },
                            &out, &err),
                   ==, 0);
  ember_csv = read_text (ember_dir, "results.csv");
  viridis_csv = read_text (viridis_dir, "results.csv");
  g_assert_cmpstr (ember_csv, ==, viridis_csv);
  ember_map = read_map (ember_dir, "tire_hole_000");
  viridis_map = read_map (viridis_dir, "tire_hole_000");
  g_assert_cmpmem (ember_map, 256 * 256 * sizeof (float), viridis_map, 256 * 256 * sizeof (float));
  {
    g_autofree char *a = g_build_filename (ember_dir, "tire_hole_000_overlay.png", NULL);
    g_autofree char *b = g_build_filename (viridis_dir, "tire_hole_000_overlay.png", NULL);

    ember = dm_image_load (a, 0, &error);
    g_assert_no_error (error);
    viridis = dm_image_load (b, 0, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpint (ember->width, ==, viridis->width);
  g_assert_cmpint (ember->height, ==, viridis->height);
  for (int y = 0; y < ember->height; y++)
    for (int x = 0; x < ember->width; x++)
      n_changed += memcmp (ember->data + (gsize)y * ember->stride + 3 * x,
                           viridis->data + (gsize)y * viridis->stride + 3 * x, 3)
                   != 0;
  g_test_message ("%" G_GSIZE_FORMAT " overlay pixels changed with viridis", n_changed);
  g_assert_cmpuint (n_changed, >, 0);
}

/* Hostile inputs of a folder: a file name that is not UTF-8 keeps its
 * bytes in results.csv (the row names the real file), a named pipe with an
 * image's name is skipped with the reason instead of hanging, and a
 * damaged JPEG is an error naming the file, never a score. */
static void
test_hostile_folder (void)
{
  g_autofree char *in = tmp_path ("in-hostile"), *out_dir = tmp_path ("out-hostile");
  g_autofree char *latin1 = g_build_filename (in, "caf\xe9.jpg", NULL);
  g_autofree char *fifo = g_build_filename (in, "pipe.png", NULL);
  g_autofree char *damaged = g_build_filename (in, "damaged.jpg", NULL);
  g_autofree char *out = NULL, *err = NULL, *csv = NULL, *bytes = NULL;
  gsize size, sos = 0;

  g_assert_cmpint (g_mkdir (in, 0755), ==, 0);
  copy_file (mt_jpg, latin1, -1);
  g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);
  g_assert_true (g_file_get_contents (mt_jpg, &bytes, &size, NULL));
  for (gsize i = 2; i + 1 < size && sos == 0; i++)
    if ((guint8)bytes[i] == 0xff && (guint8)bytes[i + 1] == 0xda)
      sos = i;
  g_assert_cmpuint (sos + 42, <, size);
  bytes[sos + 40] = (char)0xff; /* an unknown marker inside the scan */
  bytes[sos + 41] = 0x01;
  g_assert_true (g_file_set_contents (damaged, bytes, (gssize)size, NULL));

  g_assert_cmpint (run_cli ((const char *[]){ "predict", "--model", ref_model, "--backbone",
                                              encoder_path, in, "--out", out_dir, NULL },
                            &out, &err),
                   ==, 1);
  g_test_message ("%s", err);
  dm_test_assert_has (err, "pipe.png");
  dm_test_assert_has (err, "named pipe");
  dm_test_assert_has (err, "damaged.jpg: damaged JPEG data");
  csv = read_text (out_dir, "results.csv");
  g_assert_nonnull (strstr (csv, latin1));
  g_assert_null (strstr (csv, "\xef\xbf\xbd"));  /* no U+FFFD */
  g_assert_null (strstr (csv, "damaged.jpg,1")); /* not scored */

  /* at the user's choice, the damaged JPEG is scored with a note saying so;
   * a multi-page TIFF is scored with a note that only its first page was */
  {
    g_autofree char *out2 = tmp_path ("out-hostile-2");
    g_autofree char *multi
      = g_build_filename (dm_test_srcdir (), "data", "image", "corpus", "tiff-multipage.tif", NULL);

    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (
      run_cli ((const char *[]){ "predict", "--model", ref_model, "--backbone", encoder_path,
                                 "--accept-damaged", damaged, multi, "--out", out2, NULL },
               &out, &err),
      ==, 0);
    g_test_message ("%s", err);
    dm_test_assert_has (err, "damaged.jpg: scored despite damaged JPEG data");
    dm_test_assert_has (err, "tiff-multipage.tif: a TIFF of 2 pages: only the first was scored");
    g_clear_pointer (&csv, g_free);
    csv = read_text (out2, "results.csv");
    dm_test_assert_has (csv, "damaged.jpg,");
  }

  /* a run killed while writing left temporary files; the next run into
   * the folder removes them, but not one whose writer is alive (its lock
   * held, here by this test) nor a stranger's hidden file */
  {
    g_autofree char *stale1 = g_build_filename (out_dir, ".mt_overlay.png.Ab12Cd", NULL);
    g_autofree char *stale2 = g_build_filename (out_dir, ".results.csv.Qw34Er", NULL);
    g_autofree char *live = g_build_filename (out_dir, ".mt_map.tiff.Zx56Cv", NULL);
    g_autofree char *foreign = g_build_filename (out_dir, ".bashrc.abc123", NULL);
    int fd;

    g_assert_true (g_file_set_contents (stale1, "half a PNG", -1, NULL));
    g_assert_true (g_file_set_contents (stale2, "half a CSV", -1, NULL));
    g_assert_true (g_file_set_contents (live, "being written", -1, NULL));
    g_assert_true (g_file_set_contents (foreign, "not ours", -1, NULL));
    fd = open (live, O_RDWR);
    g_assert_cmpint (flock (fd, LOCK_EX), ==, 0);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    run_cli ((const char *[]){ "predict", "--model", ref_model, "--backbone", encoder_path, latin1,
                               "--out", out_dir, NULL },
             &out, &err);
    close (fd);
    g_assert_false (g_file_test (stale1, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (stale2, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_test (live, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_test (foreign, G_FILE_TEST_EXISTS));
  }
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    g_error ("usage: test-cli-predict PATH-TO-DINOMALY");
  cli_path = argv[1];
  tmpdir = dm_test_make_tmpdir ();
  encoder_path = forward_path ("encoder_timm_bf16.safetensors");
  model_path = tmp_path ("tiny.dinomaly");
  ref_model = tmp_path ("ref.dinomaly");
  multi_model = tmp_path ("multi.dinomaly");
  narrow_model = tmp_path ("narrow.dinomaly");
  deep_model = tmp_path ("deep.dinomaly");
  huge_model = tmp_path ("huge.dinomaly");
  tire_png
    = g_build_filename (dm_test_srcdir (), "data", "image", "reference", "tire_hole_000.png", NULL);
  mt_jpg = g_build_filename (dm_test_srcdir (), "data", "image", "reference",
                             "mt_crack_exp1_num_249594.jpg", NULL);
  make_models ();

  g_test_add_func ("/cli-predict/reference", test_reference);
  g_test_add_func ("/cli-predict/rules", test_rules);
  g_test_add_func ("/cli-predict/bad-rules", test_bad_rules);
  g_test_add_func ("/cli-predict/folders", test_folders);
  g_test_add_func ("/cli-predict/hostile-folder", test_hostile_folder);
  g_test_add_func ("/cli-predict/bad-input", test_bad_input);
  g_test_add_func ("/cli-predict/bad-among-good", test_bad_among_good);
  g_test_add_func ("/cli-predict/usage", test_usage);
  g_test_add_func ("/cli-predict/colormap", test_colormap);
  status = g_test_run ();
  dm_test_print_error_summary ();
  g_free (encoder_path);
  g_free (model_path);
  g_free (ref_model);
  g_free (multi_model);
  g_free (narrow_model);
  g_free (deep_model);
  g_free (huge_model);
  g_free (tire_png);
  g_free (mt_jpg);
  g_free (tmpdir);
  return status;
}
