/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly export --onnx` and `--triton` as a user runs them: the files
 * they write (checked by check-onnx.py: onnx.checker, the metadata, the
 * Triton layout and config.pbtxt against the graph), a model that names
 * its backbone by SHA-256, and every usage or input error answered with a
 * message and nothing written. Numbers are test-onnx-export's part. */
#include <glib/gstdio.h>
#include <string.h>

#include "dm-test-data.h"
#include "dm-test-onnx.h"
#include "dm-test-util.h"

static const char *cli_path;

static int
run (const char *const *args, char **out, char **err)
{
  return dm_test_run_cli (cli_path, args, out, err);
}

static void
with_thresholds (DmModelInfo *info)
{
  info->n_thresholds = 1;
  info->thresholds = g_new0 (DmClassThreshold, 1);
  info->thresholds[0] = (DmClassThreshold){ g_strdup ("tire"), 1.05, 0.9, TRUE, 1.0, 1.1 };
}

static void
test_onnx (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *model = g_build_filename (dir, "tire.dinomaly", NULL);
  g_autofree char *onnx = g_build_filename (dir, "tire.onnx", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *summary, *meta;

  dm_test_write_tiny_model (model, "tire", with_thresholds);
  g_assert_cmpint (
    run ((const char *[]){ "export", "--onnx", onnx, "--model", model, NULL }, &out, &err), ==, 0);
  dm_test_assert_has (out, "ONNX (opset 17, float32), input image (N, 3, 224, 224)");
  dm_test_assert_has (out, "outputs anomaly_map (N, 256, 256) and score (N)");
  summary = dm_test_onnx_check (parser, "model", onnx, NULL);
  meta = json_object_get_object_member (summary, "metadata");
  g_assert_cmpstr (json_object_get_string_member (meta, "dinomaly.classes"), ==, "[\"tire\"]");
  dm_test_assert_has (json_object_get_string_member (meta, "dinomaly.thresholds"),
                      "\"uncertain\":[1,1.1]");
  dm_test_assert_has (json_object_get_string_member (meta, "dinomaly.input"), "\"crop\":224");
  g_assert_cmpstr (json_object_get_string_member (summary, "producer"), ==, "Dinomaly Studio");
}

static void
test_triton (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *model = g_build_filename (dir, "my tire.v2.dinomaly", NULL);
  g_autofree char *repo = g_build_filename (dir, "models", NULL);
  g_autofree char *config = g_build_filename (repo, "line3", "config.pbtxt", NULL);
  g_autofree char *onnx = g_build_filename (repo, "line3", "3", "model.onnx", NULL);
  g_autofree char *default_config = g_build_filename (repo, "my_tire.v2", "config.pbtxt", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *summary, *cfg, *params;

  dm_test_write_tiny_model (model, "tire", with_thresholds);
  g_assert_cmpint (
    run ((const char *[]){ "export", "--triton", repo, "--model", model, "--name", "line3",
                           "--max-batch", "4", "--model-version", "3", NULL },
         &out, &err),
    ==, 0);
  dm_test_assert_has (out, "Triton model \"line3\"");
  g_assert_true (g_file_test (config, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (onnx, G_FILE_TEST_IS_REGULAR));

  summary = dm_test_onnx_check (parser, "triton", repo, "line3", NULL);
  cfg = json_object_get_object_member (summary, "config");
  g_assert_cmpint (
    json_array_get_int_element (json_object_get_array_member (cfg, "max_batch_size"), 0), ==, 4);
  g_assert_cmpint (
    json_array_get_int_element (json_object_get_array_member (summary, "versions"), 0), ==, 3);
  g_assert_true (json_object_has_member (cfg, "dynamic_batching"));
  params = json_object_get_object_member (summary, "parameters");
  dm_test_assert_has (json_object_get_string_member (params, "dinomaly.preprocessing"),
                      "PIL bilinear, 8-bit path");
  g_assert_cmpstr (json_object_get_string_member (params, "dinomaly.classes"), ==, "[\"tire\"]");

  /* the default name: the file's, made a valid folder name */
  g_assert_cmpint (
    run ((const char *[]){ "export", "--triton", repo, "--model", model, NULL }, &out, &err), ==,
    0);
  g_assert_true (g_file_test (default_config, G_FILE_TEST_IS_REGULAR));
  dm_test_onnx_check (parser, "triton", repo, "my_tire.v2", NULL);
}

/* encoder.* left out of the model (dinomaly import --no-embed-backbone):
 * the backbone file must be given and be the recorded one. */
static void
test_backbone_by_sha (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *model = g_build_filename (dir, "ref.dinomaly", NULL);
  g_autofree char *onnx = g_build_filename (dir, "ref.onnx", NULL);
  g_autofree char *encoder = g_build_filename (dm_test_srcdir (), "data", "forward",
                                               "encoder_timm_bf16.safetensors", NULL);
  g_autofree char *other
    = g_build_filename (dm_test_srcdir (), "data", "forward", "decoder_f32.safetensors", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_cmpint (
    run ((const char *[]){ "import", "--backbone", encoder, "--weights", other, "--out", model,
                           "--resize", "256", "--crop", "224", "--no-embed-backbone", NULL },
         &out, &err),
    ==, 0);

  g_assert_cmpint (
    run ((const char *[]){ "export", "--onnx", onnx, "--model", model, NULL }, &out, &err), ==, 1);
  dm_test_assert_has (err, "backbone");
  g_assert_false (g_file_test (onnx, G_FILE_TEST_EXISTS));
  g_assert_cmpint (
    run ((const char *[]){ "export", "--onnx", onnx, "--model", model, "--backbone", other, NULL },
         &out, &err),
    ==, 1);
  g_assert_false (g_file_test (onnx, G_FILE_TEST_EXISTS));
  g_assert_cmpint (run ((const char *[]){ "export", "--onnx", onnx, "--model", model, "--backbone",
                                          encoder, NULL },
                        &out, &err),
                   ==, 0);
  dm_test_onnx_check (parser, "model", onnx, NULL);
}

typedef struct
{
  const char *args[16];
  int status;
  const char *message;
} BadCase;

static void
test_bad_arguments (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *model = g_build_filename (dir, "m.dinomaly", NULL);
  g_autofree char *onnx = g_build_filename (dir, "m.onnx", NULL);
  g_autofree char *repo = g_build_filename (dir, "repo", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.dinomaly", NULL);
  g_autofree char *no_folder = g_build_filename (dir, "no", "such", "m.onnx", NULL);
  g_autofree char *text = g_build_filename (dir, "m.txt", NULL);
  g_autofree char *out = NULL, *err = NULL;
  const BadCase cases[] = {
    { { "export", "--model", model, NULL }, 2, "one of --state-dict OUT, --onnx OUT.onnx" },
    { { "export", "--onnx", onnx, "--triton", repo, "--model", model, NULL }, 2, "one of" },
    { { "export", "--onnx", onnx, NULL }, 2, "give --model" },
    { { "export", "--onnx", text, "--model", model, NULL }, 2, "name the file .onnx" },
    { { "export", "--onnx", onnx, "--model", model, "--name", "x", NULL }, 2, "go with --triton" },
    { { "export", "--onnx", onnx, "--model", model, "--no-backbone", NULL },
      2,
      "--no-backbone goes with --state-dict" },
    { { "export", "--triton", repo, "--model", model, "--name", "a/b", NULL },
      2,
      "cannot name a Triton model" },
    { { "export", "--triton", repo, "--model", model, "--name", "..", NULL },
      2,
      "cannot name a Triton model" },
    { { "export", "--triton", repo, "--model", model, "--max-batch", "0", NULL },
      2,
      "--max-batch" },
    { { "export", "--triton", repo, "--model", model, "--model-version", "-1", NULL },
      2,
      "--model-version" },
    { { "export", "--onnx", onnx, "--model", missing, NULL }, 1, "missing.dinomaly" },
    { { "export", "--onnx", no_folder, "--model", model, NULL }, 1, "m.onnx" },
    { { "export", "--onnx", onnx, "--model", model, "--backbone", model, NULL },
      1,
      "embeds its backbone already" },
  };

  dm_test_write_tiny_model (model, "tire", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      int status = run (cases[i].args, &out, &err);

      if (status != cases[i].status || strstr (err, cases[i].message) == NULL)
        g_error ("case %u: status %d, expected %d with '%s':\n%s", i, status, cases[i].status,
                 cases[i].message, err);
      g_assert_false (g_file_test (onnx, G_FILE_TEST_EXISTS));
      g_assert_false (g_file_test (repo, G_FILE_TEST_EXISTS));
    }
  /* nothing left behind: only the model in the folder */
  {
    g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;
    int n = 0;

    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_assert_cmpstr (name, ==, "m.dinomaly");
        n++;
      }
    g_assert_cmpint (n, ==, 1);
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    g_error ("usage: %s PATH-TO-dinomaly", argv[0]);
  cli_path = argv[1];
  g_test_add_func ("/cli-export-onnx/onnx", test_onnx);
  g_test_add_func ("/cli-export-onnx/triton", test_triton);
  g_test_add_func ("/cli-export-onnx/backbone-by-sha256", test_backbone_by_sha);
  g_test_add_func ("/cli-export-onnx/bad-arguments", test_bad_arguments);
  return g_test_run ();
}
