/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly eval` end to end, as a user runs it: the tiny random-weight
 * model of tests/data/forward on a generated MVTec tree (always) and on a
 * copied subset of ../shared/data/magnetic_tile (when present). JSON, CSV
 * and --save-maps are checked against `dinomaly metrics` and against the
 * inference run directly; a Real-IAD miniature keeps each image's sample
 * and view in the CSV; the paper's table (--table) equals the JSON's
 * figures in percent; bad input exits 1 or 2 naming the problem. The
 * weights are random: this checks plumbing, not detection quality. The
 * binary's path is argv[1]. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "dm-dinomaly.h"
#include "dm-image.h"
#include "dm-preprocess.h"
#include "dm-safetensors.h"
#include "dm-test-data.h"
#include "dm-decider.h"
#include "dm-test-util.h"

static const char *cli_path;
static char *model_path; /* the tiny model, written once */
static const double gen_threshold = 1.045;
static const char *const metric_keys[7] = {
  "image_auroc", "image_ap", "image_f1max", "pixel_auroc", "pixel_ap", "pixel_f1max", "aupro",
};

/* ---- running the command ------------------------------------------------------- */

static int
run_cli (const char *const *args, char **out, char **err)
{
  g_autofree char *o = NULL, *e = NULL;
  int status = dm_test_run_cli (cli_path, args, &o, &e);

  g_test_message ("stdout:\n%s\nstderr:\n%s", o, e);
  if (out != NULL)
    *out = g_steal_pointer (&o);
  if (err != NULL)
    *err = g_steal_pointer (&e);
  return status;
}

static void
assert_contains (const char *haystack, const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("\"%s\" not found in:\n%s", needle, haystack);
}

/* ---- data ------------------------------------------------------------------------ */

/* The tiny model (timm encoder, 10 blocks, D 128) at resize 256 / crop 224,
 * classes gen and other; gen has an image threshold. */
static void
gen_threshold_only (DmModelInfo *info)
{
  info->thresholds = g_new0 (DmClassThreshold, 1);
  info->n_thresholds = 1;
  info->thresholds[0].class_name = g_strdup ("gen");
  info->thresholds[0].image = gen_threshold;
  info->thresholds[0].pixel = 0.5;
}

static void
write_tiny_model (const char *path)
{
  dm_test_write_tiny_model (path, "gen,other,magnetic_tile", gen_threshold_only);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* The first n names of a folder, sorted. */
static GPtrArray *
first_names (const char *dir, guint n)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *entry;

  g_assert_nonnull (d);
  while ((entry = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (entry));
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_set_size (names, MIN (n, names->len));
  return names;
}

/* ---- checks ---------------------------------------------------------------------- */

typedef struct
{
  char *klass, *path, *label, *decision, *sample, *view;
  float score;
} CsvRow;

static void
csv_row_free (CsvRow *r)
{
  g_free (r->klass);
  g_free (r->path);
  g_free (r->label);
  g_free (r->decision);
  g_free (r->sample);
  g_free (r->view);
  g_free (r);
}

static GPtrArray *
read_csv (const char *path)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify)csv_row_free);

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "class,path,label,score,decision," DM_VERDICT_CSV_COLUMNS
                                 ",sample,view");
  for (int i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
      CsvRow *r = g_new0 (CsvRow, 1);

      g_assert_cmpuint (g_strv_length (f), ==, 13);
      r->klass = g_strdup (f[0]);
      r->path = g_strdup (f[1]);
      r->label = g_strdup (f[2]);
      r->score = (float)g_ascii_strtod (f[3], NULL);
      r->decision = g_strdup (f[4]);
      r->sample = g_strdup (f[11]);
      r->view = g_strdup (f[12]);
      g_ptr_array_add (rows, r);
    }
  return rows;
}

/* Every class: seven keys; `dinomaly metrics` on the saved folder gives
 * exactly the same numbers. The mean is the mean of the classes. */
static void
check_report (const char *json_path, const char *maps_dir, guint n_classes)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *root = dm_test_load_json (parser, json_path), *classes, *mean;
  g_autoptr (GList) names = NULL;

  classes = json_object_get_object_member (root, "classes");
  mean = json_object_get_object_member (root, "mean");
  g_assert_nonnull (classes);
  g_assert_nonnull (mean);
  g_assert_cmpuint (json_object_get_size (classes), ==, n_classes);
  names = json_object_get_members (classes);
  for (int id = 0; id < 7; id++)
    {
      double sum = 0;

      g_assert_true (json_object_has_member (mean, metric_keys[id]));
      for (GList *l = names; l != NULL; l = l->next)
        sum += json_object_get_double_member (json_object_get_object_member (classes, l->data),
                                              metric_keys[id]);
      g_assert_cmpfloat (
        fabs (json_object_get_double_member (mean, metric_keys[id]) - sum / n_classes), <=, 1e-12);
    }
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonObject *c = json_object_get_object_member (classes, l->data);
      g_autofree char *dir = g_build_filename (maps_dir, l->data, NULL);
      g_autofree char *out = g_build_filename (maps_dir, "metrics.json", NULL);
      g_autoptr (JsonParser) mp = json_parser_new ();
      JsonObject *m;

      g_assert_cmpint (
        run_cli ((const char *[]){ "metrics", dir, "--json", out, NULL }, NULL, NULL), ==, 0);
      m = dm_test_load_json (mp, out);
      for (int id = 0; id < 7; id++)
        {
          double a, b;

          g_assert_true (json_object_has_member (c, metric_keys[id]));
          a = json_object_get_double_member (c, metric_keys[id]);
          b = json_object_get_double_member (m, metric_keys[id]);
          g_test_message ("%s %s: eval %.17g, metrics %.17g", (char *)l->data, metric_keys[id], a,
                          b);
          if (a != b)
            g_error ("%s %s: eval %.17g != metrics %.17g", (char *)l->data, metric_keys[id], a, b);
        }
    }
}

/* One image straight through the model: its score equals the CSV's and its
 * map the saved one. */
static void
check_direct (const char *image_path, const char *map_path, float csv_score)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmDinomalyModel) model = dm_dinomaly_model_load (model_path, NULL, NULL, &error);
  g_autoptr (DmEngine) engine = dm_engine_new (1, &error);
  g_autoptr (DmInference) inference = NULL;
  g_autoptr (DmImage) saved = NULL;
  g_autofree float *x = NULL, *map = g_new (float, 256 * 256);
  float score;

  g_assert_no_error (error);
  inference = dm_inference_new (engine, model, 1, &error);
  g_assert_no_error (error);
  x = g_new (float, 3 * 224 * 224);
  g_assert_true (dm_preprocess_file (image_path, 256, 224, 0, x, &error));
  g_assert_true (dm_inference_run (inference, x, 1, map, &score, &error));
  g_assert_no_error (error);
  g_test_message ("%s: direct score %.9g, eval's %.9g", image_path, score, csv_score);
  g_assert_cmpfloat (fabs (score - csv_score), <=, 1e-5);
  saved = dm_image_load (map_path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (saved->type, ==, DM_PIXEL_F32);
  dm_test_assert_close ((const float *)(void *)saved->data, map, 256 * 256, 1e-5,
                        "eval map vs direct inference");
}

/* ---- tests -------------------------------------------------------------------------- */

static void
test_generated_tree (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *json = g_build_filename (tmp, "eval.json", NULL);
  g_autofree char *csv = g_build_filename (tmp, "eval.csv", NULL);
  g_autofree char *maps = g_build_filename (tmp, "maps", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  const CsvRow *probe = NULL;

  dm_test_write_mvtec_class (data, "gen", 1);
  dm_test_write_mvtec_class (data, "other", 100);
  g_assert_cmpint (run_cli ((const char *[]){ "eval", "--model", model_path, "--data", data,
                                              "--json", json, "--csv", csv, "--save-maps", maps,
                                              "--batch", "4", "--threads", "1", NULL },
                            &out, &err),
                   ==, 0);
  assert_contains (out, "img AUROC");
  assert_contains (out, "gen ");
  assert_contains (out, "other ");
  assert_contains (out, "mean ");
  check_report (json, maps, 2);

  rows = read_csv (csv);
  g_assert_cmpuint (rows->len, ==, 12);
  for (guint i = 0; i < rows->len; i++)
    {
      const CsvRow *r = rows->pdata[i];

      g_assert_true (g_file_test (r->path, G_FILE_TEST_IS_REGULAR));
      g_assert_cmpstr (r->label, ==, strstr (r->path, "/bad/") ? "defect" : "good");
      if (strcmp (r->klass, "gen") == 0)
        g_assert_cmpstr (r->decision, ==, r->score >= gen_threshold ? "defect" : "good");
      else
        g_assert_cmpstr (r->decision, ==, "");
      if (g_str_has_suffix (r->path, "gen/test/bad/001.png"))
        probe = r;
    }
  g_assert_nonnull (probe);
  if (probe != NULL)
    {
      g_autofree char *map = g_build_filename (maps, "gen", "maps", "bad_001_map.tiff", NULL);
      check_direct (probe->path, map, probe->score);
    }

  /* one class only */
  g_assert_cmpint (
    run_cli ((const char *[]){ "eval", "--model", model_path, "--data", data, "--classes", "other",
                               "--json", json, "--threads", "1", NULL },
             NULL, NULL),
    ==, 0);
  {
    g_autoptr (JsonParser) parser = json_parser_new ();
    JsonObject *root = dm_test_load_json (parser, json);
    JsonObject *classes = json_object_get_object_member (root, "classes");

    g_assert_cmpuint (json_object_get_size (classes), ==, 1);
    g_assert_true (json_object_has_member (classes, "other"));
  }
}

static void
test_magnetic_tile_subset (void)
{
  const char *shared = dm_test_shared_dir ();
  g_autofree char *src = NULL;
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *data = g_build_filename (tmp, "magnetic_tile", NULL);
  g_autofree char *json = g_build_filename (tmp, "eval.json", NULL);
  g_autofree char *csv = g_build_filename (tmp, "eval.csv", NULL);
  g_autofree char *maps = g_build_filename (tmp, "maps", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  const char *const types[] = { "blowhole", "crack", "uneven" };
  gint64 t0;
  double seconds;

  if (shared == NULL)
    {
      g_test_skip ("../shared is absent");
      return;
    }
  src = g_build_filename (shared, "data", "magnetic_tile", "magnetic_tile", NULL);
  if (!g_file_test (src, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("../shared/data/magnetic_tile is absent");
      return;
    }
  /* 2 training, 6 good and 6 defect test images (2 per type) with masks */
  {
    const char *const dirs[] = { "train/good", "test/good" };
    const guint counts[] = { 2, 6 };

    for (guint d = 0; d < 2; d++)
      {
        g_autofree char *from_dir = g_build_filename (src, dirs[d], NULL);
        g_autoptr (GPtrArray) names = first_names (from_dir, counts[d]);

        for (guint i = 0; i < names->len; i++)
          {
            g_autofree char *from = g_build_filename (from_dir, names->pdata[i], NULL);
            g_autofree char *to = g_build_filename (data, dirs[d], names->pdata[i], NULL);
            dm_test_copy_file (from, to);
          }
      }
    for (guint t = 0; t < G_N_ELEMENTS (types); t++)
      {
        g_autofree char *from_dir = g_build_filename (src, "test", types[t], NULL);
        g_autoptr (GPtrArray) names = first_names (from_dir, 2);

        for (guint i = 0; i < names->len; i++)
          {
            const char *name = names->pdata[i];
            g_autofree char *stem = g_strndup (name, strlen (name) - 4);
            g_autofree char *mask_name = g_strconcat (stem, "_mask.png", NULL);
            g_autofree char *from = g_build_filename (from_dir, name, NULL);
            g_autofree char *to = g_build_filename (data, "test", types[t], name, NULL);
            g_autofree char *mfrom
              = g_build_filename (src, "ground_truth", types[t], mask_name, NULL);
            g_autofree char *mto
              = g_build_filename (data, "ground_truth", types[t], mask_name, NULL);

            dm_test_copy_file (from, to);
            dm_test_copy_file (mfrom, mto);
          }
      }
  }

  t0 = g_get_monotonic_time ();
  g_assert_cmpint (
    run_cli ((const char *[]){ "eval", "--model", model_path, "--data", data, "--json", json,
                               "--csv", csv, "--save-maps", maps, "--threads", "1", NULL },
             &out, &err),
    ==, 0);
  seconds = (double)(g_get_monotonic_time () - t0) / 1e6;
  g_test_message ("magnetic_tile subset (12 test images): dinomaly eval took %.2f s", seconds);
  g_printerr ("# magnetic_tile subset, 12 test images: dinomaly eval took %.2f s\n", seconds);
  assert_contains (out, "magnetic_tile");
  g_assert_cmpstr (err, ==, "");
  check_report (json, maps, 1);
  rows = read_csv (csv);
  g_assert_cmpuint (rows->len, ==, 12);
  for (guint i = 0; i < rows->len; i++)
    g_assert_cmpstr (((CsvRow *)rows->pdata[i])->decision, ==, ""); /* no threshold */
  {
    /* the first crack image, straight through the model */
    const CsvRow *probe = NULL;

    for (guint i = 0; i < rows->len && probe == NULL; i++)
      if (strstr (((CsvRow *)rows->pdata[i])->path, "/crack/") != NULL)
        probe = rows->pdata[i];
    g_assert_nonnull (probe);
    if (probe != NULL)
      {
        g_autofree char *base = g_path_get_basename (probe->path);
        g_autofree char *map_name
          = g_strdup_printf ("crack_%.*s_map.tiff", (int)(strlen (base) - 4), base);
        g_autofree char *map = g_build_filename (maps, "magnetic_tile", "maps", map_name, NULL);

        check_direct (probe->path, map, probe->score);
      }
  }
}

static void
expect_exit (const char *const *args, int code, const char *needle)
{
  g_autofree char *err = NULL;

  g_assert_cmpint (run_cli (args, NULL, &err), ==, code);
  if (needle != NULL)
    assert_contains (err, needle);
}

static void
test_bad_input (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *nowhere = g_build_filename (tmp, "nowhere", NULL);
  g_autofree char *fake_model = g_build_filename (tmp, "fake.dinomaly", NULL);

  dm_test_write_mvtec_class (data, "gen", 1);
  g_assert_true (g_file_set_contents (fake_model, "this is not a model file", -1, NULL));
  {
    g_autofree char *train_only
      = g_build_filename (data, "trainonly", "train", "good", "0.png", NULL);
    dm_test_write_noise_image (train_only, 40, 30, 5, FALSE);
  }

  expect_exit ((const char *[]){ "eval", "--model", model_path, "--data", nowhere, NULL }, 1,
               "nowhere: no such file or folder");
  expect_exit ((const char *[]){ "eval", "--model", fake_model, "--data", data, NULL }, 1,
               "fake.dinomaly");
  expect_exit ((const char *[]){ "eval", "--model", nowhere, "--data", data, NULL }, 1, "nowhere");
  expect_exit ((const char *[]){ "eval", "--model", model_path, "--data", data, "--classes",
                                 "gen,nope", NULL },
               1, "no class 'nope'");
  expect_exit (
    (const char *[]){ "eval", "--model", model_path, "--data", data, "--classes", "", NULL }, 2,
    "--classes is empty");
  expect_exit ((const char *[]){ "eval", "--model", model_path, "--data", data, "--classes",
                                 "gen,,gen", NULL },
               2, "empty class name");
  expect_exit ((const char *[]){ "eval", "--model", model_path, "--data", data, "--classes",
                                 "trainonly", NULL },
               1, "none of the chosen classes has test images");
  expect_exit ((const char *[]){ "eval", "--data", data, NULL }, 2, "--model and --data");
  expect_exit (
    (const char *[]){ "eval", "--model", model_path, "--data", data, "--batch", "0", NULL }, 2,
    "--batch");
  expect_exit ((const char *[]){ "eval", "--model", model_path, "--data", data, "extra", NULL }, 2,
               "unexpected argument");
  expect_exit ((const char *[]){ "eval", "--help", NULL }, 0, NULL);
}

/* Problems are listed and the rest is evaluated. */
static void
test_dataset_with_problems (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *json = g_build_filename (tmp, "eval.json", NULL);
  g_autofree char *csv = g_build_filename (tmp, "eval.csv", NULL);
  g_autofree char *notes = g_build_filename (data, "gen", "test", "bad", "notes.txt", NULL);
  g_autofree char *mask1
    = g_build_filename (data, "gen", "ground_truth", "bad", "001_mask.png", NULL);
  g_autofree char *broken = g_build_filename (data, "gen", "test", "good", "broken.png", NULL);
  g_autofree char *good0 = g_build_filename (data, "gen", "test", "good", "000.png", NULL);
  g_autofree char *cut = g_build_filename (data, "gen", "test", "good", "cut.png", NULL);
  g_autofree char *out = NULL, *err = NULL, *bytes = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) rows = NULL;
  JsonObject *root, *gen;
  gsize len;

  dm_test_write_mvtec_class (data, "gen", 1);
  g_assert_true (g_file_set_contents (notes, "not an image", -1, NULL));
  g_assert_cmpint (g_unlink (mask1), ==, 0);
  g_assert_true (g_file_set_contents (broken, "not a png either", -1, NULL));
  /* a PNG whose header reads but whose pixels are cut off: decoding fails */
  g_assert_true (g_file_get_contents (good0, &bytes, &len, NULL));
  g_assert_true (g_file_set_contents (cut, bytes, 60, NULL));

  g_assert_cmpint (
    run_cli ((const char *[]){ "eval", "--model", model_path, "--data", data, "--json", json,
                               "--csv", csv, "--threads", "1", NULL },
             &out, &err),
    ==, 0);
  assert_contains (err, "3 problems in");
  assert_contains (err, "notes.txt");
  assert_contains (err, "001.png");
  assert_contains (err, "broken.png");
  assert_contains (err, "cut.png");
  assert_contains (out, "1 defect image without a mask");

  root = dm_test_load_json (parser, json);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "problems")), ==, 3);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "failures")), ==, 1);
  gen = json_object_get_object_member (json_object_get_object_member (root, "classes"), "gen");
  g_assert_cmpint (json_object_get_int_member (gen, "n_images"), ==, 6);
  g_assert_cmpint (json_object_get_int_member (gen, "n_with_ground_truth"), ==, 5);
  for (int id = 0; id < 7; id++)
    g_assert_false (json_object_get_null_member (gen, metric_keys[id]));
  rows = read_csv (csv);
  g_assert_cmpuint (rows->len, ==, 6);
}

/* A Real-IAD miniature of class gen: samples 1, 2 (OK) to train, 3 (OK)
 * and 11 (NG "AK", seen from camera 1 only) to test, two cameras each, the
 * split in realiad_jsons/realiad_jsons/gen.json. */
static void
write_realiad (const char *root)
{
  g_autoptr (GString) json = g_string_new ("{\"meta\": {\"normal_class\": \"OK\"}, \"train\": [");
  g_autofree char *json_path
    = g_build_filename (root, "realiad_jsons", "realiad_jsons", "gen.json", NULL);
  g_autofree char *json_dir = g_path_get_dirname (json_path);
  int n = 0;

  for (int sample = 1; sample <= 11; sample += sample == 3 ? 8 : 1)
    for (int view = 1; view <= 2; view++)
      {
        gboolean ng = sample == 11;
        g_autofree char *rel
          = ng ? g_strdup_printf ("NG/AK/S%04d/gen_%04d_NG_AK_C%d_20231021%06d.jpg", sample, sample,
                                  view, 130000 + view)
               : g_strdup_printf ("OK/S%04d/gen_%04d_OK_C%d_20231021%06d.jpg", sample, sample,
                                  view, 130000 + view);
        g_autofree char *path = g_build_filename (root, "realiad_1024", "gen", rel, NULL);
        gboolean defect = ng && view == 1;

        if (sample == 3 && view == 1)
          g_string_append (json, "], \"test\": [");
        else if (n > 0)
          g_string_append (json, ", ");
        dm_test_write_noise_image (path, 80, 60, 100 + (guint64)n, defect);
        if (defect)
          {
            g_autofree char *mask_rel = g_strdup_printf ("%.*s.png", (int)strlen (rel) - 4, rel);
            g_autofree char *mask = g_build_filename (root, "realiad_1024", "gen", mask_rel, NULL);

            dm_test_write_patch_mask (mask, 80, 60);
            g_string_append_printf (json,
                                    "{\"category\": \"gen\", \"anomaly_class\": \"AK\", "
                                    "\"image_path\": \"%s\", \"mask_path\": \"%s\"}",
                                    rel, mask_rel);
          }
        else
          g_string_append_printf (json,
                                  "{\"category\": \"gen\", \"anomaly_class\": \"OK\", "
                                  "\"image_path\": \"%s\", \"mask_path\": null}",
                                  rel);
        n++;
      }
  g_string_append (json, "]}\n");
  g_assert_cmpint (g_mkdir_with_parents (json_dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (json_path, json->str, -1, NULL));
}

/* 100 v with one decimal, as the paper prints it. */
static char *
percent (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.1f", 100.0 * v));
}

static void
test_realiad_views_and_paper_table (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *data = g_build_filename (tmp, "Real-IAD", NULL);
  g_autofree char *json = g_build_filename (tmp, "eval.json", NULL);
  g_autofree char *csv = g_build_filename (tmp, "eval.csv", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_auto (GStrv) lines = NULL;
  JsonObject *root, *gen, *mean;
  guint n_defect = 0;

  write_realiad (data);
  g_assert_cmpint (run_cli ((const char *[]){ "eval", "--model", model_path, "--data", data,
                                              "--json", json, "--csv", csv, "--table", "paper",
                                              "--threads", "1", NULL },
                            &out, &err),
                   ==, 0);
  g_assert_cmpstr (err, ==, "");

  /* every view an image, its sample and camera in the CSV */
  rows = read_csv (csv);
  g_assert_cmpuint (rows->len, ==, 4);
  for (guint i = 0; i < rows->len; i++)
    {
      const CsvRow *r = rows->pdata[i];
      g_autofree char *tag = g_strdup_printf ("_%s_", r->view);

      g_assert_cmpstr (r->klass, ==, "gen");
      g_assert_true (strcmp (r->sample, "S0003") == 0 || strcmp (r->sample, "S0011") == 0);
      g_assert_true (strstr (r->path, r->sample) != NULL);
      g_assert_true (strstr (r->path, tag) != NULL);
      if (strcmp (r->label, "defect") == 0)
        {
          n_defect++;
          g_assert_cmpstr (r->sample, ==, "S0011");
          g_assert_cmpstr (r->view, ==, "C1");
        }
    }
  g_assert_cmpuint (n_defect, ==, 1);

  /* the paper's table: header, the class and the mean, each value the
   * JSON's figure in percent with one decimal */
  root = dm_test_load_json (parser, json);
  gen = json_object_get_object_member (json_object_get_object_member (root, "classes"), "gen");
  mean = json_object_get_object_member (root, "mean");
  /* the JSON says how many parts were seen by which cameras */
  g_assert_cmpint (json_object_get_int_member (gen, "n_samples"), ==, 2);
  {
    JsonArray *views = json_object_get_array_member (gen, "views");

    g_assert_cmpuint (json_array_get_length (views), ==, 2);
    g_assert_cmpstr (json_array_get_string_element (views, 0), ==, "C1");
    g_assert_cmpstr (json_array_get_string_element (views, 1), ==, "C2");
  }
  lines = g_strsplit (out, "\n", -1);
  {
    const char *header = NULL, *gen_row = NULL, *mean_row = NULL;

    for (char **l = lines; *l != NULL; l++)
      if (g_str_has_prefix (*l, "Class "))
        header = *l;
      else if (g_str_has_prefix (*l, "gen "))
        gen_row = *l;
      else if (g_str_has_prefix (*l, "Mean "))
        mean_row = *l;
    g_assert_nonnull (header);
    g_assert_nonnull (gen_row);
    g_assert_nonnull (mean_row);
    {
      g_auto (GStrv) h = g_strsplit_set (header, " ", -1);
      g_autoptr (GPtrArray) cols = g_ptr_array_new ();
      static const char *const want[]
        = { "Class", "I-AUROC", "I-AP", "I-F1max", "P-AUROC", "P-AP", "P-F1max", "AUPRO" };

      for (char **c = h; *c != NULL; c++)
        if (**c != '\0')
          g_ptr_array_add (cols, *c);
      g_assert_cmpuint (cols->len, ==, G_N_ELEMENTS (want));
      for (guint i = 0; i < cols->len; i++)
        g_assert_cmpstr (cols->pdata[i], ==, want[i]);
    }
    for (int which = 0; which < 2; which++)
      {
        g_auto (GStrv) cells = g_strsplit_set (which == 0 ? gen_row : mean_row, " ", -1);
        g_autoptr (GPtrArray) values = g_ptr_array_new ();
        JsonObject *o = which == 0 ? gen : mean;

        for (char **c = cells + 1; *c != NULL; c++)
          if (**c != '\0')
            g_ptr_array_add (values, *c);
        g_assert_cmpuint (values->len, ==, 7);
        for (int id = 0; id < 7; id++)
          {
            g_autofree char *want = percent (json_object_get_double_member (o, metric_keys[id]));

            g_assert_cmpstr (values->pdata[id], ==, want);
          }
      }
  }
  g_assert_null (strstr (out, "img AUROC")); /* instead of the default table */

  /* the same as CSV and Markdown; a format that does not exist */
  {
    g_autofree char *csv_out = NULL, *md_out = NULL;
    g_autofree char *want_gen = NULL;

    g_assert_cmpint (run_cli ((const char *[]){ "eval", "--model", model_path, "--data", data,
                                                "--table", "paper-csv", "--threads", "1", NULL },
                              &csv_out, NULL),
                     ==, 0);
    assert_contains (csv_out, "class,I-AUROC,I-AP,I-F1max,P-AUROC,P-AP,P-F1max,AUPRO\n");
    want_gen = percent (json_object_get_double_member (gen, "image_auroc"));
    {
      g_autofree char *prefix = g_strdup_printf ("\ngen,%s,", want_gen);

      assert_contains (csv_out, prefix);
    }
    assert_contains (csv_out, "\nMean,");
    g_assert_cmpint (run_cli ((const char *[]){ "eval", "--model", model_path, "--data", data,
                                                "--table", "paper-markdown", "--threads", "1",
                                                NULL },
                              &md_out, NULL),
                     ==, 0);
    assert_contains (md_out, "| Class | I-AUROC | I-AP | I-F1max | P-AUROC | P-AP | P-F1max | "
                             "AUPRO |\n|---|---:|");
    assert_contains (md_out, "| **Mean** |");
    expect_exit ((const char *[]){ "eval", "--model", model_path, "--data", data, "--table",
                                   "latex", NULL },
                 2, "--table: give paper, paper-csv or paper-markdown");
  }
}

int
main (int argc, char *argv[])
{
  g_autofree char *tmp = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    g_error ("usage: test-cli-eval PATH-TO-dinomaly");
  cli_path = argv[1];
  tmp = dm_test_make_tmpdir ();
  model_path = g_build_filename (tmp, "tiny.dinomaly", NULL);
  write_tiny_model (model_path);

  g_test_add_func ("/cli-eval/generated-tree", test_generated_tree);
  g_test_add_func ("/cli-eval/magnetic-tile-subset", test_magnetic_tile_subset);
  g_test_add_func ("/cli-eval/bad-input", test_bad_input);
  g_test_add_func ("/cli-eval/dataset-with-problems", test_dataset_with_problems);
  g_test_add_func ("/cli-eval/realiad-views-and-paper-table", test_realiad_views_and_paper_table);
  status = g_test_run ();
  dm_test_print_error_summary ();
  g_free (model_path);
  return status;
}
