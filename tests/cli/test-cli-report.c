/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly report` end to end: the tiny random-weight model of
 * tests/data/forward on a generated MVTec tree. The report's metrics are
 * those of `dinomaly eval` (the same run), its thresholds come from the
 * model, the F1 optimum or a quantile as asked, the PDF has the pages and
 * figures (pdfinfo/pdftotext when installed), and bad arguments exit 2.
 * The weights are random: this checks plumbing, not detection quality.
 * The binary's path is argv[1]. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "dm-dinomaly.h"
#include "dm-image.h"
#include "dm-model-file.h"
#include "dm-safetensors.h"
#include "dm-test-data.h"
#include "dm-decider.h"
#include "dm-test-util.h"

static const char *cli_path;
static char *model_path;
static char *data_dir;
static const char *const metric_keys[7] = {
  "image_auroc", "image_ap", "image_f1max", "pixel_auroc", "pixel_ap", "pixel_f1max", "aupro",
};

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

/* The tiny model (as test-cli-eval's) with a training record and, for
 * class gen, an image threshold with an uncertain band. */
static void
gen_band_and_record (DmModelInfo *info)
{
  info->thresholds = g_new0 (DmClassThreshold, 1);
  info->n_thresholds = 1;
  info->thresholds[0].class_name = g_strdup ("gen");
  info->thresholds[0].image = 1.045;
  info->thresholds[0].pixel = 0.5;
  info->thresholds[0].has_uncertain = TRUE;
  info->thresholds[0].uncertain_low = 1.04;
  info->thresholds[0].uncertain_high = 1.05;
  info->has_training = TRUE;
  info->training.iterations = 10;
  info->training.seed = 3;
  info->training.seconds = 12.5;
  info->training.batch_size = 2;
  info->training.lr = 1e-3;
  info->training.final_loss = 0.5;
}

static void
write_tiny_model (const char *path)
{
  dm_test_write_tiny_model (path, "gen,other", gen_band_and_record);
}

/* ---- tests --------------------------------------------------------------------------- */

static void
test_report_matches_eval (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *pdf = g_build_filename (tmp, "report.pdf", NULL);
  g_autofree char *json = g_build_filename (tmp, "report.json", NULL);
  g_autofree char *csv = g_build_filename (tmp, "report.csv", NULL);
  g_autofree char *eval_json = g_build_filename (tmp, "eval.json", NULL);
  g_autofree char *out = NULL, *csv_text = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonParser) eval_parser = json_parser_new ();
  JsonObject *root, *eval_root, *classes, *eval_classes;
  g_auto (GStrv) lines = NULL;

  g_assert_cmpint (run_cli ((const char *[]){ "report", "--model", model_path, "--data", data_dir,
                                              "--out", pdf, "--json", json, "--csv", csv, "--paper",
                                              "letter", "--threads", "1", NULL },
                            &out, NULL),
                   ==, 0);
  dm_test_assert_has (out, "report written to");
  g_assert_cmpint (run_cli ((const char *[]){ "eval", "--model", model_path, "--data", data_dir,
                                              "--json", eval_json, "--threads", "1", NULL },
                            NULL, NULL),
                   ==, 0);
  root = dm_test_load_json (parser, json);
  eval_root = dm_test_load_json (eval_parser, eval_json);
  g_assert_cmpint (json_object_get_int_member (root, "schema_version"), ==, 1);
  classes = json_object_get_object_member (root, "classes");
  eval_classes = json_object_get_object_member (eval_root, "classes");
  g_assert_cmpuint (json_object_get_size (classes), ==, 2);
  for (int c = 0; c < 3; c++)
    {
      const char *name = c == 0 ? "gen" : c == 1 ? "other" : NULL;
      JsonObject *a = name != NULL ? json_object_get_object_member (classes, name)
                                   : json_object_get_object_member (root, "mean");
      JsonObject *b = name != NULL ? json_object_get_object_member (eval_classes, name)
                                   : json_object_get_object_member (eval_root, "mean");

      for (int id = 0; id < 7; id++)
        {
          JsonNode *na = json_object_get_member (a, metric_keys[id]);
          JsonNode *nb = json_object_get_member (b, metric_keys[id]);

          g_assert_cmpint (JSON_NODE_HOLDS_NULL (na), ==, JSON_NODE_HOLDS_NULL (nb));
          if (!JSON_NODE_HOLDS_NULL (na))
            g_assert_cmpfloat (json_node_get_double (na), ==, json_node_get_double (nb));
        }
    }
  {
    JsonObject *gen = json_object_get_object_member (classes, "gen");
    JsonObject *other = json_object_get_object_member (classes, "other");

    g_assert_cmpstr (json_object_get_string_member (gen, "threshold_method"), ==, "model");
    g_assert_cmpfloat (json_object_get_double_member (gen, "image_threshold"), ==, 1.045);
    g_assert_cmpint (json_array_get_length (json_object_get_array_member (gen, "uncertain")), ==,
                     2);
    g_assert_cmpstr (json_object_get_string_member (other, "threshold_method"), ==, "f1_optimal");
    g_assert_false (JSON_NODE_HOLDS_NULL (json_object_get_member (other, "image_threshold")));
    g_assert_nonnull (json_object_get_object_member (root, "training"));
  }
  g_assert_true (g_file_get_contents (csv, &csv_text, NULL, NULL));
  lines = g_strsplit (csv_text, "\n", -1);
  g_assert_cmpstr (lines[0], ==,
                   "class,path,label,score,decision,threshold," DM_VERDICT_CSV_COLUMNS
                   ",sample,view");
  g_assert_cmpuint (g_strv_length (lines), ==, 14); /* header, 12 rows, "" */

  if (!dm_test_have_program ("pdfinfo") || !dm_test_have_program ("pdftotext"))
    {
      g_test_skip ("pdfinfo/pdftotext not installed (Debian: poppler-utils)");
      return;
    }
  {
    g_autofree char *info = NULL, *text = NULL;
    const char *argv_info[] = { "pdfinfo", pdf, NULL };
    const char *argv_text[] = { "pdftotext", pdf, "-", NULL };
    JsonObject *mean = json_object_get_object_member (root, "mean");

    g_assert_true (g_spawn_sync (NULL, (char **)argv_info, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                 &info, NULL, NULL, NULL));
    g_assert_true (g_spawn_sync (NULL, (char **)argv_text, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                 &text, NULL, NULL, NULL));
    g_test_message ("%s", info);
    dm_test_assert_has (info, "612 x 792 pts (letter)");
    dm_test_assert_has (text, "Class gen");
    dm_test_assert_has (text, "Class other");
    dm_test_assert_has (text, "stored in the model file");
    dm_test_assert_has (text, "F1-optimal");
    dm_test_assert_has (text, "encoder_timm_bf16.safetensors");
    for (int id = 0; id < 7; id++)
      {
        JsonNode *node = json_object_get_member (mean, metric_keys[id]);
        g_autofree char *want = NULL;

        if (JSON_NODE_HOLDS_NULL (node))
          continue;
        want = g_strdup_printf ("%.4f", json_node_get_double (node));
        dm_test_assert_has (text, want);
      }
  }
}

static void
test_quantile_threshold (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *pdf = g_build_filename (tmp, "r.pdf", NULL);
  g_autofree char *json = g_build_filename (tmp, "r.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *gen;

  g_assert_cmpint (
    run_cli ((const char *[]){ "report", "--model", model_path, "--data", data_dir, "--classes",
                               "gen", "--out", pdf, "--json", json, "--threshold-quantile", "0.5",
                               "--threads", "1", NULL },
             NULL, NULL),
    ==, 0);
  gen = json_object_get_object_member (
    json_object_get_object_member (dm_test_load_json (parser, json), "classes"), "gen");
  g_assert_cmpstr (json_object_get_string_member (gen, "threshold_method"), ==, "normal_quantile");
  g_assert_cmpfloat (json_object_get_double_member (gen, "threshold_quantile"), ==, 0.5);
  /* the median of 3 normal scores is one of them: it and the one above it
   * are at or above the threshold (defect), the one below passes */
  {
    JsonObject *cm = json_object_get_object_member (gen, "confusion");

    g_assert_cmpint (json_object_get_int_member (cm, "good_as_defect"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (cm, "good_as_good"), ==, 1);
  }
}

static void
test_bad_input (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *pdf = g_build_filename (tmp, "r.pdf", NULL);
  g_autofree char *missing = g_build_filename (tmp, "none.dinomaly", NULL);
  g_autofree char *bad_dir = g_build_filename (tmp, "no", "such", "r.pdf", NULL);
  g_autofree char *err = NULL;

  g_assert_cmpint (
    run_cli ((const char *[]){ "report", "--model", model_path, "--data", data_dir, NULL }, NULL,
             &err),
    ==, 2);
  dm_test_assert_has (err, "--out");
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli ((const char *[]){ "report", "--model", model_path, "--data", data_dir,
                                              "--out", pdf, "--paper", "a5", NULL },
                            NULL, &err),
                   ==, 2);
  dm_test_assert_has (err, "--paper");
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli ((const char *[]){ "report", "--model", model_path, "--data", data_dir,
                                              "--out", pdf, "--threshold-quantile", "1.5", NULL },
                            NULL, &err),
                   ==, 2);
  dm_test_assert_has (err, "--threshold-quantile");
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli ((const char *[]){ "report", "--model", model_path, "--data", data_dir,
                                              "--out", pdf, "--classes", "nope", NULL },
                            NULL, &err),
                   ==, 1);
  dm_test_assert_has (err, "dinomaly report: no class 'nope'");
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli ((const char *[]){ "report", "--model", missing, "--data", data_dir,
                                              "--out", pdf, NULL },
                            NULL, &err),
                   ==, 1);
  dm_test_assert_has (err, "dinomaly report:");
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (
    run_cli ((const char *[]){ "report", "--model", model_path, "--data", data_dir, "--classes",
                               "gen", "--out", bad_dir, "--threads", "1", NULL },
             NULL, &err),
    ==, 1);
  dm_test_assert_has (err, "dinomaly report:");
  g_assert_false (g_file_test (pdf, G_FILE_TEST_EXISTS));
}

int
main (int argc, char *argv[])
{
  g_autofree char *tmp = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    g_error ("usage: test-cli-report PATH-TO-DINOMALY");
  cli_path = argv[1];
  tmp = dm_test_make_tmpdir ();
  model_path = g_build_filename (tmp, "tiny.dinomaly", NULL);
  data_dir = g_build_filename (tmp, "data", NULL);
  write_tiny_model (model_path);
  dm_test_write_mvtec_class (data_dir, "gen", 1);
  dm_test_write_mvtec_class (data_dir, "other", 100);
  g_test_add_func ("/cli-report/matches-eval", test_report_matches_eval);
  g_test_add_func ("/cli-report/quantile-threshold", test_quantile_threshold);
  g_test_add_func ("/cli-report/bad-input", test_bad_input);
  status = g_test_run ();
  dm_test_print_error_summary ();
  g_free (model_path);
  g_free (data_dir);
  return status;
}
