/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One model per class from the command line, as a user runs it: `train
 * --per-class` (and the paper-per-class preset) writes a folder of class
 * models and says first how much memory a class's run needs; `--resume`
 * skips the classes done; `eval` and `report` score each class with its
 * own model and skip a class without one; `predict` needs --class to pick
 * the model. The tiny no-register encoder of tests/data/noreg keeps it
 * fast. The binary's path is argv[1]. */
#include <glib/gstdio.h>
#include <string.h>

#include "dm-model-file.h"
#include "dm-test-data.h"
#include "dm-test-util.h"

static const char *cli_path;
static char *tmpdir;
static char *data;     /* MVTec layout: gear, plate */
static char *backbone; /* tests/data/noreg's .pth */

static int
run (const char *const *args, char **out, char **err)
{
  return dm_test_run_cli (cli_path, args, out, err);
}

static void
train (const char *out_dir, const char *extra, const char *extra2, char **out, char **err)
{
  g_autofree char *ckpt = g_strconcat (out_dir, "-ckpt", NULL);
  const char *args[] = { "train", "--data",           data, "--backbone", backbone, "--out",
                         out_dir, "--resize",         "32", "--crop",     "28",     "--batch",
                         "2",     "--total-iters",    "2",  "--warmup",   "1",      "--threads",
                         "1",     "--checkpoint-dir", ckpt, extra,        extra2,   NULL };
  int rc = run (args, out, err);

  if (rc != 0)
    g_error ("train exited %d:\n%s%s", rc, *out, *err);
}

static void
test_train_eval (void)
{
  g_autofree char *models = g_build_filename (tmpdir, "models", NULL);
  g_autofree char *preset = g_build_filename (tmpdir, "preset-models", NULL);
  g_autofree char *gear = g_build_filename (models, "gear.dinomaly", NULL);
  g_autofree char *plate = g_build_filename (models, "plate.dinomaly", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmModelFile) file = NULL;

  train (models, "--per-class", NULL, &out, &err);
  g_test_message ("%s%s", out, err);
  dm_test_assert_has (out, "2 class models trained (0 done before)");
  dm_test_assert_has (err, "class 1 of 2: gear");
  dm_test_assert_has (err, "class 2 of 2: plate");
  dm_test_assert_has (err, "memory needed (the largest class): about");
  file = dm_model_file_open (plate, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (file->info->class_names[0], ==, "plate");
  g_assert_null (file->info->class_names[1]);
  g_assert_true (g_file_test (gear, G_FILE_TEST_IS_REGULAR));

  /* the preset sets it too; its 5,000 iterations give way to the option */
  train (preset, "--preset", "paper-per-class", &out, &err);
  dm_test_assert_has (out, "2 class models trained");

  /* resumed: nothing left to do */
  train (models, "--per-class", "--resume", &out, &err);
  dm_test_assert_has (out, "0 class models trained (2 done before)");
  dm_test_assert_has (err, "class 'gear' is trained already");

  g_assert_cmpint (run ((const char *[]){ "eval", "--model", models, "--data", data, "--threads",
                                          "1", "--table", "paper", NULL },
                        &out, &err),
                   ==, 0);
  g_test_message ("%s%s", out, err);
  dm_test_assert_has (out, "one per class (2)");
  dm_test_assert_has (out, "gear");
  dm_test_assert_has (out, "plate");

  /* a class without its model: the others are evaluated */
  {
    g_autofree char *only = g_build_filename (tmpdir, "only-gear", NULL);
    g_autofree char *copy = g_build_filename (only, "gear.dinomaly", NULL);
    g_autofree char *pdf = g_build_filename (tmpdir, "per-class.pdf", NULL);

    dm_test_copy_file (gear, copy);
    g_assert_cmpint (
      run ((const char *[]){ "eval", "--model", only, "--data", data, "--threads", "1", NULL },
           &out, &err),
      ==, 0);
    dm_test_assert_has (err, "has no model of class 'plate': skipped");
    dm_test_assert_has (out, "gear");
    g_assert_null (strstr (out, "plate"));

    g_assert_cmpint (run ((const char *[]){ "report", "--model", models, "--data", data,
                                            "--threads", "1", "--out", pdf, NULL },
                          &out, &err),
                     ==, 0);
    g_test_message ("%s%s", out, err);
    g_assert_true (g_file_test (pdf, G_FILE_TEST_IS_REGULAR));
  }
}

static void
test_predict (void)
{
  g_autofree char *models = g_build_filename (tmpdir, "models", NULL);
  g_autofree char *image = g_build_filename (data, "plate", "test", "bad", "000.png", NULL);
  g_autofree char *dir = g_build_filename (tmpdir, "predict", NULL);
  g_autofree char *out = NULL, *err = NULL, *csv = NULL;
  g_autofree char *csv_path = g_build_filename (dir, "results.csv", NULL);

  g_assert_cmpint (
    run ((const char *[]){ "predict", "--model", models, "--out", dir, image, NULL }, &out, &err),
    ==, 1);
  dm_test_assert_has (err, "holds one model per class: give --class (gear, plate)");
  g_assert_cmpint (run ((const char *[]){ "predict", "--model", models, "--class", "screw", "--out",
                                          dir, image, NULL },
                        &out, &err),
                   ==, 1);
  dm_test_assert_has (err, "no model of class 'screw' (classes: gear, plate)");
  g_assert_cmpint (run ((const char *[]){ "predict", "--model", models, "--class", "plate", "--out",
                                          dir, image, NULL },
                        &out, &err),
                   ==, 0);
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  dm_test_assert_has (csv, "000.png");
}

int
main (int argc, char *argv[])
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, >=, 2);
  cli_path = argv[1];
  tmpdir = dm_test_make_tmpdir ();
  data = g_build_filename (tmpdir, "data", NULL);
  backbone
    = g_build_filename (dm_test_srcdir (), "data", "noreg", "dinov2_tiny_pretrain_bf16.pth", NULL);
  dm_test_write_mvtec_class (data, "gear", 1);
  dm_test_write_mvtec_class (data, "plate", 2);
  g_test_add_func ("/cli-per-class/train-eval", test_train_eval);
  g_test_add_func ("/cli-per-class/predict", test_predict);
  rc = g_test_run ();
  g_free (data);
  g_free (backbone);
  g_free (tmpdir);
  return rc;
}
