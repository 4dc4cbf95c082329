/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A DINOv2 without registers through every command, as a user runs them:
 * `info` on Meta's .pth layout, `import` with the reference decoder, the
 * model file's metadata (0 registers, no register_tokens tensor), `predict`
 * on the reference images against testvectors README §5c (maps 1e-5
 * absolute, scores 1e-6 relative), `export`, and `train` + `eval` on a
 * generated MVTec dataset. The binary's path is argv[1]. */
#include <math.h>
#include <string.h>

#include "dm-anomaly-map.h"
#include "dm-image.h"
#include "dm-model-file.h"
#include "dm-safetensors.h"
#include "dm-test-data.h"
#include "dm-test-util.h"
#include "dm-weight-file.h"

static const char *cli_path;
static char *tmpdir;
static char *pth;   /* tests/data/noreg: the tiny encoder without registers, BF16 */
static char *model; /* imported from it with the reference decoder */

static char *
run_ok (const char *const *args)
{
  g_autofree char *err = NULL;
  char *out = NULL;
  int rc = dm_test_run_cli (cli_path, args, &out, &err);

  if (rc != 0)
    g_error ("dinomaly %s exited %d:\n%s%s", args[0], rc, out, err);
  return out;
}

static void
test_info (void)
{
  g_autofree char *out = run_ok ((const char *[]){ "info", pth, NULL });

  g_test_message ("%s", out);
  dm_test_assert_has (out, "DINOv2 encoder");
  dm_test_assert_has (out, "family         DINOv2 ViT (D 128)/14 without registers");
  dm_test_assert_has (out, "original DINOv2 (key prefix: none)");
  dm_test_assert_has (out, "D 128, 2 heads of 64, depth 10, 0 registers");
  dm_test_assert_has (out, "BF16");
}

static void
test_import_and_info (void)
{
  g_autofree char *decoder
    = g_build_filename (dm_test_srcdir (), "data", "forward", "decoder_f32.safetensors", NULL);
  g_autofree char *out = NULL, *info = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmModelFile) file = NULL;

  out = run_ok ((const char *[]){ "import", "--backbone", pth, "--weights", decoder, "--resize",
                                  "256", "--crop", "224", "--classes", "tire,mt", "--out", model,
                                  NULL });
  dm_test_assert_has (out, "backbone embedded");
  info = run_ok ((const char *[]){ "info", model, NULL });
  g_test_message ("%s", info);
  dm_test_assert_has (info, "depth 10, 0 registers");
  dm_test_assert_has (info, "without registers");
  dm_test_assert_has (info, "target blocks  2 3 4 5 6 7 8 9");
  file = dm_model_file_open (model, &error);
  g_assert_no_error (error);
  g_assert_cmpint (file->info->arch.n_registers, ==, 0);
  g_assert_null (dm_safetensors_find (file->st, "encoder.register_tokens"));
  g_assert_nonnull (dm_safetensors_find (file->st, "encoder.pos_embed"));
  dm_test_assert_has (dm_safetensors_metadata (file->st, "dinomaly.architecture"),
                      "\"registers\":0");
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
  for (int y = 0; y < 256; y++)
    memcpy (map + y * 256, image->data + y * image->stride, 256 * sizeof (float));
  return map;
}

/* The reference images through `predict`: decoding, preprocessing, the
 * forward without registers, the maps as written. */
static void
test_predict_reference (void)
{
  g_autofree char *ref = g_build_filename (dm_test_srcdir (), "data", "image", "reference", NULL);
  g_autofree char *tire = g_build_filename (ref, "tire_hole_000.png", NULL);
  g_autofree char *mt = g_build_filename (ref, "mt_crack_exp1_num_249594.jpg", NULL);
  g_autofree char *vectors
    = g_build_filename (dm_test_srcdir (), "data", "noreg", "maps.safetensors", NULL);
  g_autofree char *dir = g_build_filename (tmpdir, "predict", NULL);
  g_autofree char *csv_path = g_build_filename (dir, "results.csv", NULL);
  g_autofree char *out = NULL, *csv = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) expect = dm_safetensors_open (vectors, &error);
  g_autofree float *want_maps = g_new (float, 2 * 256 * 256);
  const char *stems[2] = { "tire_hole_000", "mt_crack_exp1_num_249594" };
  g_auto (GStrv) lines = NULL;
  float want[2];

  g_assert_no_error (error);
  g_assert_true (dm_safetensors_read_f32 (expect, "score", want, 2, &error));
  g_assert_true (dm_safetensors_read_f32 (expect, "map_256", want_maps, 2 * 256 * 256, &error));
  out = run_ok ((const char *[]){ "predict", "--model", model, tire, mt, "--out", dir, NULL });
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  lines = g_strsplit (csv, "\n", -1);
  for (int i = 0; i < 2; i++)
    {
      g_auto (GStrv) fields = g_strsplit (lines[i + 1], ",", -1);
      g_autofree float *map = read_map (dir, stems[i]);
      double score = g_ascii_strtod (fields[1], NULL);
      double map_err = dm_test_max_abs_diff (map, want_maps + i * 256 * 256, 256 * 256);

      g_test_message ("%s: score %.9g, reference %.9g; map max abs diff %.3g", stems[i], score,
                      want[i], map_err);
      g_assert_cmpfloat (fabs (score - want[i]), <=, 1e-6 * want[i]);
      g_assert_cmpfloat (map_err, <=, 1e-5);
    }
}

static void
test_export (void)
{
  g_autofree char *sd = g_build_filename (tmpdir, "state.pth", NULL);
  g_autofree char *out
    = run_ok ((const char *[]){ "export", "--state-dict", sd, "--model", model, NULL });
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) st = dm_weight_file_open (sd, NULL, &error);

  g_assert_no_error (error);
  /* 100 of the decoder, 147 of the encoder (no register_tokens) */
  dm_test_assert_has (out, "247 tensors");
  g_assert_null (dm_safetensors_find (st, "encoder.register_tokens"));
  g_assert_nonnull (dm_safetensors_find (st, "encoder.cls_token"));
  g_assert_nonnull (dm_safetensors_find (st, "decoder.7.mlp.fc2.bias"));
}

/* Training on a no-register backbone and evaluating the model. */
static void
test_train_eval (void)
{
  g_autofree char *root = g_build_filename (tmpdir, "mvtec", NULL);
  g_autofree char *trained = g_build_filename (tmpdir, "trained.dinomaly", NULL);
  g_autofree char *out = NULL, *eval = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmModelFile) file = NULL;

  dm_test_write_mvtec_class (root, "washer", 3);
  out = run_ok ((const char *[]){
    "train",    "--data",   root,     "--backbone", pth,       "--out", trained,
    "--resize", "64",       "--crop", "56",         "--batch", "2",     "--total-iters",
    "4",        "--warmup", "1",      "--threads",  "1",       NULL });
  dm_test_assert_has (out, "trained 4 iterations");
  file = dm_model_file_open (trained, &error);
  g_assert_no_error (error);
  g_assert_cmpint (file->info->arch.n_registers, ==, 0);
  g_assert_true (file->info->backbone_embedded);
  eval = run_ok ((const char *[]){ "eval", "--model", trained, "--data", root, "--threads", "1",
                                   "--table", "paper", NULL });
  g_test_message ("%s", eval);
  dm_test_assert_has (eval, "washer");
}

int
main (int argc, char *argv[])
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, >=, 2);
  cli_path = argv[1];
  tmpdir = dm_test_make_tmpdir ();
  pth
    = g_build_filename (dm_test_srcdir (), "data", "noreg", "dinov2_tiny_pretrain_bf16.pth", NULL);
  model = g_build_filename (tmpdir, "noreg.dinomaly", NULL);
  g_test_add_func ("/cli-noreg/info", test_info);
  g_test_add_func ("/cli-noreg/import-and-info", test_import_and_info);
  g_test_add_func ("/cli-noreg/predict-reference", test_predict_reference);
  g_test_add_func ("/cli-noreg/export", test_export);
  g_test_add_func ("/cli-noreg/train-eval", test_train_eval);
  rc = g_test_run ();
  g_free (pth);
  g_free (model);
  g_free (tmpdir);
  return rc;
}
