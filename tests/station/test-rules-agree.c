/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every front end gives the same decision and regions for the same image:
 * a model with thresholds and inspection rules (an ignore area, a
 * calibration, limits on regions) judged by `dinomaly predict`
 * (results.csv and results.json), `dinomaly eval --csv`, `dinomaly report`
 * (its CSV table and its JSON gallery), `dinomaly station` (the journal's
 * records) and the window's Inspect export (dm_inspect_write_csv), field
 * for field: the decision, the rule that fired, the number of regions and
 * the largest one's sizes in px and mm. The limits are chosen from the
 * library's verdicts so that each rule of interest fires for some part. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "dm-calibrate.h"
#include "dm-decider.h"
#include "dm-inspect.h"
#include "dm-model-file.h"
#include "dm-test-data.h"
#include "dm-test-station.h"
#include "dm-test-util.h"

#define N_GOOD 6
#define N_PATCH 6
#define N_TEST (N_GOOD + N_PATCH)
#define MAP_PIXELS (256 * 256)

static const char *cli;
static char *tmp;

static int
run (char **out, char **err, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  va_list ap;
  const char *a;
  int status;

  va_start (ap, err);
  while ((a = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (gpointer)a);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  status = dm_test_run_cli (cli, (const char *const *)args->pdata, out, err);
  if (status != 0)
    g_test_message ("%s%s", *out, *err);
  return status;
}

static int
compare_floats (gconstpointer a, gconstpointer b)
{
  float x = *(const float *)a, y = *(const float *)b;

  return (x > y) - (x < y);
}

/* The value of rank floor (q (n - 1)) of v sorted. */
static float
quantile (const float *v, guint n, double q)
{
  g_autofree float *s = g_memdup2 (v, n * sizeof *v);

  qsort (s, n, sizeof *s, compare_floats);
  return s[(guint)(q * (n - 1))];
}

/* What one front end said about one picture. */
typedef struct
{
  char *decision; /* "pass", "uncertain", "fail" */
  char *verdict;  /* the DM_VERDICT_CSV_COLUMNS fields */
  double score;
} Said;

static void
said_free (gpointer data)
{
  Said *s = data;

  g_free (s->decision);
  g_free (s->verdict);
  g_free (s);
}

/* eval and report say good / defect */
static const char *
as_predict_word (const char *word)
{
  if (g_strcmp0 (word, "good") == 0)
    return "pass";
  if (g_strcmp0 (word, "defect") == 0)
    return "fail";
  return word;
}

/* Rows of a CSV whose path is in column path_col, score in score_col,
 * decision in decision_col and the verdict's six columns from verdict_col;
 * path -> Said. */
static GHashTable *
read_csv (const char *file, int path_col, int score_col, int decision_col, int verdict_col)
{
  GHashTable *rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, said_free);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  dm_test_assert_has (lines[0], DM_VERDICT_CSV_COLUMNS);
  for (guint i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
      Said *s = g_new0 (Said, 1);

      g_assert_cmpuint (g_strv_length (f), >=, (guint)verdict_col + 6);
      s->decision = g_strdup (as_predict_word (f[decision_col]));
      s->verdict = g_strjoin (",", f[verdict_col], f[verdict_col + 1], f[verdict_col + 2],
                              f[verdict_col + 3], f[verdict_col + 4], f[verdict_col + 5], NULL);
      s->score = g_ascii_strtod (f[score_col], NULL);
      g_hash_table_replace (rows, g_strdup (f[path_col]), s);
    }
  return rows;
}

static void
assert_agree (const char *what, GHashTable *said, GHashTable *truth, guint n_expected)
{
  GHashTableIter iter;
  gpointer key, value;

  g_assert_cmpuint (g_hash_table_size (said), ==, n_expected);
  g_hash_table_iter_init (&iter, said);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const Said *s = value, *t = g_hash_table_lookup (truth, key);

      if (t == NULL)
        g_error ("%s names %s, predict does not", what, (const char *)key);
      if (g_strcmp0 (s->decision, t->decision) != 0 || g_strcmp0 (s->verdict, t->verdict) != 0)
        g_error ("%s: %s: %s,%s but predict says %s,%s", what, (const char *)key, s->decision,
                 s->verdict, t->decision, t->verdict);
      /* eval batches its forward passes otherwise: sums in another order */
      g_assert_cmpfloat (fabs (s->score - t->score), <=, 1e-5 * fabs (t->score));
    }
  g_test_message ("%s: %u parts agree with predict", what, g_hash_table_size (said));
}

static void
test_agree (void)
{
  g_autofree char *model = dm_test_station_model (tmp);
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *class_dir = g_build_filename (data, "part", NULL);
  g_autofree char *good_dir = g_build_filename (class_dir, "test", "good", NULL);
  g_autofree char *patch_dir = g_build_filename (class_dir, "test", "patch", NULL);
  g_autofree char *train_dir = g_build_filename (class_dir, "train", "good", NULL);
  g_autofree char *predict_dir = g_build_filename (tmp, "predict", NULL);
  g_autofree char *predict_csv = g_build_filename (predict_dir, "results.csv", NULL);
  g_autofree char *eval_csv = g_build_filename (tmp, "eval.csv", NULL);
  g_autofree char *report_pdf = g_build_filename (tmp, "report.pdf", NULL);
  g_autofree char *report_csv = g_build_filename (tmp, "report.csv", NULL);
  g_autofree char *report_json = g_build_filename (tmp, "report.json", NULL);
  g_autofree char *export_csv = g_build_filename (tmp, "export.csv", NULL);
  g_autofree char *journal = g_build_filename (tmp, "journal", NULL);
  g_autofree char *source_good = g_strconcat ("folder:", good_dir, "?settle=200", NULL);
  g_autofree char *source_patch = g_strconcat ("folder:", patch_dir, "?settle=200", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autofree float *scores = g_new (float, N_TEST);
  g_autofree float *maps = g_new (float, (gsize)N_TEST *MAP_PIXELS);
  float largest[N_TEST];
  char *files[N_TEST + 1] = { NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (DmRules) rules = dm_rules_new ();
  g_autoptr (DmDecider) decider = NULL;
  g_autoptr (GHashTable) truth = NULL, eval = NULL, report = NULL, exported = NULL;
  g_autoptr (GHashTable) station = NULL;
  guint by_rule[DM_RULE_REGION_COUNT + 1] = { 0 };
  guint n_open = 0;
  DmThresholds t;

  /* the dataset: noise parts, half of them with a bright patch */
  g_assert_cmpint (g_mkdir_with_parents (good_dir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (patch_dir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (train_dir, 0755), ==, 0);
  for (guint i = 0; i < N_TEST; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s-%02u.png", i < N_GOOD ? "g" : "p", i);

      files[i] = g_build_filename (i < N_GOOD ? good_dir : patch_dir, name, NULL);
      dm_test_write_noise_image (files[i], 64, 48, 700 + i, i >= N_GOOD);
    }
  {
    g_autofree char *train = g_build_filename (train_dir, "t-00.png", NULL);

    dm_test_write_noise_image (train, 64, 48, 900, FALSE);
  }

  /* rules: the left quarter ignored, 0.1 mm per pixel; limits in mm² */
  rules->ref_width = 64;
  rules->ref_height = 48;
  rules->mm_per_pixel = 0.1;
  dm_roi_add (rules->roi, DM_ROI_RECTANGLE, DM_ROI_IGNORE, FALSE, 0,
              (const double[]){ 0, 0, 16, 48 }, 2);
  rules->units = DM_UNITS_MM;
  rules->min_area = 0.02; /* 2 px */

  /* thresholds that split the parts: the image threshold and band from
   * the scores over the ROI (median, 30th to 70th percentile), the pixel
   * threshold the 97th percentile of all map values */
  dm_test_station_reference (model, files, scores, maps);
  dm_thresholds_init (&t);
  decider = dm_decider_new (&t, rules, 256, 224, &error);
  g_assert_no_error (error);
  {
    g_autofree float *scratch = g_new (float, MAP_PIXELS);
    float roi_scores[N_TEST];

    for (guint i = 0; i < N_TEST; i++)
      roi_scores[i] = dm_decider_score (decider, maps + (gsize)i * MAP_PIXELS, scores[i], scratch);
    t.image = quantile (roi_scores, N_TEST, 0.5);
    t.uncertain_low = quantile (roi_scores, N_TEST, 0.3);
    t.uncertain_high = quantile (roi_scores, N_TEST, 0.7);
  }
  t.pixel = quantile (maps, (guint)N_TEST * MAP_PIXELS, 0.97);
  g_clear_pointer (&decider, dm_decider_free);
  decider = dm_decider_new (&t, rules, 256, 224, &error);
  g_assert_no_error (error);
  /* the maximum area: the median largest region of the parts the score
   * does not fail, so that region_area fires for some */
  for (guint i = 0; i < N_TEST; i++)
    {
      DmVerdict v;

      dm_decider_run (decider, maps + (gsize)i * MAP_PIXELS, scores[i], 64, 48, &v, NULL);
      g_test_message ("part %u: score %g %s, %u regions, largest %g mm²", i, v.score,
                      dm_decision_name (v.decision), v.n_regions,
                      v.n_listed > 0 ? v.regions[0].area_mm2 : 0.0);
      if (v.decision != DM_DECISION_FAIL && v.n_listed > 0)
        largest[n_open++] = (float)v.regions[0].area_mm2;
    }
  g_test_message ("%u parts with a region that the score does not fail", n_open);
  g_assert_cmpuint (n_open, >=, 1);
  rules->max_area = quantile (largest, n_open, 0.5);
  rules->max_regions = 3;
  g_clear_pointer (&decider, dm_decider_free);
  decider = dm_decider_new (&t, rules, 256, 224, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < N_TEST; i++)
    {
      DmVerdict v;

      dm_decider_run (decider, maps + (gsize)i * MAP_PIXELS, scores[i], 64, 48, &v, NULL);
      by_rule[v.rule]++;
    }
  g_test_message ("thresholds image %g, band [%g, %g), pixel %g; max area %g mm²; rules: "
                  "%u none, %u score, %u band, %u area, %u length, %u count",
                  t.image, t.uncertain_low, t.uncertain_high, t.pixel, rules->max_area, by_rule[0],
                  by_rule[1], by_rule[2], by_rule[3], by_rule[4], by_rule[5]);
  g_assert_cmpuint (by_rule[DM_RULE_NONE], >=, 1);
  g_assert_cmpuint (by_rule[DM_RULE_SCORE], >=, 1);
  g_assert_cmpuint (by_rule[DM_RULE_REGION_AREA], >=, 1);

  /* stored in the model file, where every front end reads them */
  g_assert_true (dm_calibrate_store (model, "part", &t, &error));
  g_assert_true (dm_calibrate_store_rules (model, "part", rules, &error));
  g_assert_no_error (error);

  /* predict: the reference of the others */
  {
    g_autoptr (GPtrArray) args = g_ptr_array_new ();

    g_ptr_array_add (args, "predict");
    g_ptr_array_add (args, "--model");
    g_ptr_array_add (args, model);
    g_ptr_array_add (args, "--out");
    g_ptr_array_add (args, predict_dir);
    for (guint i = 0; i < N_TEST; i++)
      g_ptr_array_add (args, files[i]);
    g_ptr_array_add (args, NULL);
    g_assert_cmpint (dm_test_run_cli (cli, (const char *const *)args->pdata, &out, &err), ==, 0);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  truth = read_csv (predict_csv, 0, 1, 2, 3);
  g_assert_cmpuint (g_hash_table_size (truth), ==, N_TEST);
  /* and predict's decisions are the library's on the reference maps */
  for (guint i = 0; i < N_TEST; i++)
    {
      const Said *s = g_hash_table_lookup (truth, files[i]);
      g_autoptr (GString) want = g_string_new (NULL);
      DmVerdict v;

      dm_decider_run (decider, maps + (gsize)i * MAP_PIXELS, scores[i], 64, 48, &v, NULL);
      dm_verdict_append_csv (want, &v);
      g_assert_nonnull (s);
      g_assert_cmpstr (s->decision, ==, dm_decision_name (v.decision));
      g_assert_cmpstr (s->verdict, ==, want->str);
    }

  /* results.json: each image's rule and regions as in the CSV */
  {
    g_autofree char *path = g_build_filename (predict_dir, "results.json", NULL);
    g_autoptr (JsonParser) parser = json_parser_new ();
    JsonArray *images;

    g_assert_true (json_parser_load_from_file (parser, path, &error));
    g_assert_no_error (error);
    images = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                           "images");
    g_assert_cmpuint (json_array_get_length (images), ==, N_TEST);
    for (guint i = 0; i < N_TEST; i++)
      {
        JsonObject *o = json_array_get_object_element (images, i);
        const Said *s = g_hash_table_lookup (truth, json_object_get_string_member (o, "path"));
        g_autoptr (GString) csv = g_string_new (NULL);
        DmVerdict v = { 0 };

        dm_verdict_read_members (o, &v);
        dm_verdict_append_csv (csv, &v);
        g_assert_nonnull (s);
        g_assert_cmpstr (json_object_get_string_member (o, "decision"), ==, s->decision);
        g_assert_cmpstr (csv->str, ==, s->verdict);
      }
  }

  /* eval --csv: class,path,label,score,decision,<verdict>,sample,view */
  g_assert_cmpint (
    run (&out, &err, "eval", "--model", model, "--data", data, "--csv", eval_csv, NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  eval = read_csv (eval_csv, 1, 3, 4, 5);
  assert_agree ("eval --csv", eval, truth, N_TEST);

  /* report: class,path,label,score,decision,threshold,<verdict>,... and
   * the gallery's entries in the JSON */
  g_assert_cmpint (run (&out, &err, "report", "--model", model, "--data", data, "--out", report_pdf,
                        "--csv", report_csv, "--json", report_json, NULL),
                   ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  report = read_csv (report_csv, 1, 3, 4, 6);
  assert_agree ("report --csv", report, truth, N_TEST);
  {
    g_autoptr (JsonParser) parser = json_parser_new ();
    JsonObject *root, *klass;
    JsonArray *gallery;

    g_assert_true (json_parser_load_from_file (parser, report_json, &error));
    g_assert_no_error (error);
    root = json_node_get_object (json_parser_get_root (parser));
    klass = json_object_get_object_member (json_object_get_object_member (root, "classes"), "part");
    gallery
      = json_object_get_array_member (json_object_get_object_member (klass, "gallery"), "images");
    g_assert_cmpuint (json_array_get_length (gallery), >, 0);
    for (guint i = 0; i < json_array_get_length (gallery); i++)
      {
        JsonObject *o = json_array_get_object_element (gallery, i);
        const Said *s = g_hash_table_lookup (truth, json_object_get_string_member (o, "path"));
        g_autoptr (GString) csv = g_string_new (NULL);
        DmVerdict v = { 0 };

        g_assert_nonnull (s);
        dm_verdict_read_members (o, &v);
        dm_verdict_append_csv (csv, &v);
        g_assert_cmpstr (as_predict_word (json_object_get_string_member (o, "decision")), ==,
                         s->decision);
        g_assert_cmpstr (csv->str, ==, s->verdict);
      }
    g_test_message ("report gallery: %u parts agree with predict", json_array_get_length (gallery));
  }

  /* the window's Inspect export: class,path,score,decision,threshold,<verdict> */
  {
    g_autoptr (DmModelFile) file = dm_model_file_open (model, &error);
    g_autoptr (DmDecider) stored = NULL;
    DmInspectRecord records[N_TEST];
    DmThresholds st;

    g_assert_no_error (error);
    g_assert_true (dm_model_info_get_thresholds (file->info, "part", &st));
    stored = dm_decider_new (&st, dm_model_info_get_rules (file->info, "part"), file->info->resize,
                             file->info->crop, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < N_TEST; i++)
      records[i]
        = (DmInspectRecord){ files[i], scores[i], maps + (gsize)i * MAP_PIXELS, 64, 48, NULL };
    g_assert_true (dm_inspect_write_csv (export_csv, "part", stored, records, N_TEST, &error));
    g_assert_no_error (error);
    exported = read_csv (export_csv, 1, 2, 3, 5);
    assert_agree ("Inspect export", exported, truth, N_TEST);
  }

  /* the station: its journal's records */
  g_assert_cmpint (run (&out, &err, "station", "--model", model, "--source", source_good,
                        "--source", source_patch, "--journal", journal, "--duration", "6",
                        "--status-every", "0", NULL),
                   ==, 0);
  {
    g_autoptr (GPtrArray) records = dm_test_station_read_journal (journal);

    station = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, said_free);
    for (guint i = 0; i < records->len; i++)
      {
        const DmPart *p = records->pdata[i];
        Said *s = g_new0 (Said, 1);
        GString *csv = g_string_new (NULL);

        g_assert_false (p->is_error);
        dm_verdict_append_csv (csv, &p->verdict);
        s->verdict = g_string_free (csv, FALSE);
        s->decision = g_strdup (dm_decision_name (p->decision));
        s->score = p->score;
        g_hash_table_replace (station, g_strdup (p->file), s);
      }
    assert_agree ("station journal", station, truth, N_TEST);
  }

  for (guint i = 0; i < N_TEST; i++)
    g_free (files[i]);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_FATAL_MASK);
  cli = argv[1];
  tmp = dm_test_make_tmpdir ();
  g_test_add_func ("/rules/front-ends-agree", test_agree);
  return g_test_run ();
}
