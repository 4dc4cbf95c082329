/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of `dinomaly info` and `dinomaly import` as a user runs them: exit
 * codes, what they print, one clear line on failure. The binary's path is
 * argv[1]; the state dicts are made here with the library. */
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "dm-dinomaly-weights.h"
#include "dm-safetensors-writer.h"
#include "dm-safetensors.h"
#include "dm-test-util.h"

static const char *cli_path;
static char *tmpdir;
static char *decoder_path; /* bottleneck + decoder, D 128 */
static char *narrow_path;  /* the same, D 64 */
static char *state_path;   /* encoder.* (original names) + bottleneck + decoder */
static char *noreg_path;   /* an encoder without registers */
static char *nan_path;     /* the decoder with a NaN in decoder.3.mlp.fc1.weight */

static int
run_cli (const char *const *args, char **out, char **err)
{
  return dm_test_run_cli (cli_path, args, out, err);
}

static char *
data_path (const char *name)
{
  return g_build_filename (dm_test_srcdir (), "data", "weights", name, NULL);
}

/* Failure: exit 1 and exactly one line on stderr naming the file. */
static void
assert_one_line_error (const char *command, const char *path, const char *err, const char *part)
{
  g_autofree char *prefix = g_strdup_printf ("dinomaly %s: ", command);

  g_test_message ("%s", err);
  g_assert_true (g_str_has_prefix (err, prefix));
  g_assert_true (g_str_has_suffix (err, "\n"));
  if (strchr (err, '\n') + 1 != err + strlen (err))
    g_error ("more than one line:\n%s", err);
  if (path != NULL)
    dm_test_assert_has (err, path);
  dm_test_assert_has (err, part);
}

static char *
write_decoder (const char *name, int dim, const DmSafetensors *encoder)
{
  g_autoptr (DmDinomalyWeights) w = dm_dinomaly_weights_new (dim, NULL);
  g_autoptr (DmSafetensorsWriter) writer = dm_safetensors_writer_new ();
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (tmpdir, name, NULL);

  dm_dinomaly_weights_init (w, 1);
  for (guint i = 0; encoder != NULL && i < dm_safetensors_n_tensors (encoder); i++)
    {
      const DmTensorInfo *t = dm_safetensors_tensor (encoder, i);
      g_autofree char *key = g_strconcat ("encoder.", t->name, NULL);
      dm_safetensors_writer_add_raw (
        writer, key, t->dtype, dm_safetensors_tensor_bytes (encoder, t), t->rank, t->shape, &error);
    }
  g_assert_true (dm_dinomaly_weights_add_to_writer (w, writer, &error));
  g_assert_true (dm_safetensors_writer_write (writer, path, &error));
  g_assert_no_error (error);
  return path;
}

static void
make_files (void)
{
  g_autofree char *orig = data_path ("encoder_dinov2_f32_d2.safetensors");
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) st = dm_safetensors_open (orig, &error);
  g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();

  g_assert_no_error (error);
  decoder_path = write_decoder ("decoder.safetensors", 128, NULL);
  narrow_path = write_decoder ("narrow.safetensors", 64, NULL);
  state_path = write_decoder ("state.safetensors", 128, st);
  noreg_path = g_build_filename (tmpdir, "noreg.safetensors", NULL);
  for (guint i = 0; i < dm_safetensors_n_tensors (st); i++)
    {
      const DmTensorInfo *t = dm_safetensors_tensor (st, i);
      if (strcmp (t->name, "register_tokens") != 0)
        dm_safetensors_writer_add_raw (w, t->name, t->dtype, dm_safetensors_tensor_bytes (st, t),
                                       t->rank, t->shape, &error);
    }
  g_assert_true (dm_safetensors_writer_write (w, noreg_path, &error));
  g_assert_no_error (error);
  {
    /* a diverged run's weights: one NaN, written over the file's bytes */
    g_autoptr (DmSafetensors) dec = dm_safetensors_open (decoder_path, &error);
    const DmTensorInfo *t = dm_safetensors_find (dec, "decoder.3.mlp.fc1.weight");
    const float nan_value = NAN;
    g_autofree char *bytes = NULL;
    gsize len;
    guint64 at;

    g_assert_nonnull (t);
    g_assert_true (g_file_get_contents (decoder_path, &bytes, &len, NULL));
    at = 8 + dm_safetensors_header_size (dec) + t->begin + 5 * sizeof (float);
    memcpy (bytes + at, &nan_value, sizeof nan_value);
    nan_path = g_build_filename (tmpdir, "nan.safetensors", NULL);
    g_assert_true (g_file_set_contents (nan_path, bytes, (gssize)len, NULL));
  }
}

static void
test_info_encoders (void)
{
  const struct
  {
    const char *file, *scheme, *dtype, *tensors;
  } cases[] = {
    { "encoder_dinov2_f32_d2.safetensors", "original DINOv2 (key prefix: none)", "F32",
      "in 36 tensors" },
    { "hf/model.safetensors", "HuggingFace Dinov2WithRegistersModel", "F16", "in 44 tensors" },
    { "encoder_timm_bf16_d2.safetensors", "timm vit_*_patch14_reg4_dinov2", "BF16",
      "in 35 tensors" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = data_path (cases[i].file);
      g_autofree char *out = NULL, *err = NULL;

      g_assert_cmpint (run_cli ((const char *[]){ "info", path, NULL }, &out, &err), ==, 0);
      g_test_message ("%s", out);
      dm_test_assert_has (out, "DINOv2 encoder");
      dm_test_assert_has (out, "family         DINOv2 ViT (D 128)/14 with 4 registers");
      dm_test_assert_has (out, cases[i].scheme);
      dm_test_assert_has (
        out, "ViT/14: D 128, 2 heads of 64, depth 2, 4 registers, MLP 512, position grid 37x37");
      dm_test_assert_has (out, cases[i].tensors);
      dm_test_assert_has (out, cases[i].dtype);
      if (i == 1)
        dm_test_assert_has (out, "config.json");
      g_assert_cmpstr (err, ==, "");
    }
}

/* Without registers: read, and said (the whole no-register path is in
 * test-cli-noreg.c). */
static void
test_info_noreg (void)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_cli ((const char *[]){ "info", noreg_path, NULL }, &out, &err), ==, 0);
  dm_test_assert_has (out, "family         DINOv2 ViT (D 128)/14 without registers");
  dm_test_assert_has (out, "depth 2, 0 registers");
  g_assert_cmpstr (err, ==, "");
}

static void
test_info_state_dicts (void)
{
  g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;

  g_assert_cmpint (run_cli ((const char *[]){ "info", decoder_path, NULL }, &out, &err), ==, 0);
  dm_test_assert_has (out, "bottleneck + decoder state dict (no encoder)");
  dm_test_assert_has (out, "bottleneck + 8 decoder blocks, D 128, MLP 512");
  dm_test_assert_has (out, "1,717,888 in 100 tensors, F32");
  g_assert_cmpint (run_cli ((const char *[]){ "info", state_path, NULL }, &out2, &err2), ==, 0);
  dm_test_assert_has (out2, "Dinomaly state dict with its encoder");
  dm_test_assert_has (out2, "key prefix: 'encoder.'");
  dm_test_assert_has (out2, "648,832 in 36 tensors");
}

static void
test_info_bad_files (void)
{
  g_autofree char *script = data_path ("make-weights.py");
  g_autofree char *truncated = g_build_filename (tmpdir, "truncated.safetensors", NULL);
  g_autofree char *missing = g_build_filename (tmpdir, "missing.safetensors", NULL);
  g_autofree char *orig = data_path ("encoder_dinov2_f32_d2.safetensors");
  g_autofree char *content = NULL;
  gsize len;
  const struct
  {
    const char *path, *part;
  } cases[] = {
    { script, "not a safetensors file" },
    { truncated, "run past the data section" },
    { missing, "no such file" },
    { nan_path, "tensor 'decoder.3.mlp.fc1.weight' holds NaN at element 5" },
    { tmpdir, "folder" },
  };

  g_assert_true (g_file_get_contents (orig, &content, &len, NULL));
  g_assert_true (g_file_set_contents (truncated, content, len / 2, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL, *err = NULL;

      g_assert_cmpint (run_cli ((const char *[]){ "info", cases[i].path, NULL }, &out, &err), ==,
                       1);
      g_assert_cmpstr (out, ==, "");
      assert_one_line_error ("info", cases[i].path, err, cases[i].part);
    }
  {
    g_autofree char *out = NULL, *err = NULL;
    g_assert_cmpint (run_cli ((const char *[]){ "info", NULL }, &out, &err), ==, 2);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run_cli ((const char *[]){ "info", "--help", NULL }, &out, &err), ==, 0);
  }
}

static void
test_import (void)
{
  g_autofree char *hf = data_path ("hf/model.safetensors");
  g_autofree char *timm = data_path ("encoder_timm_bf16_d2.safetensors");
  g_autofree char *model = g_build_filename (tmpdir, "m.dinomaly", NULL);
  g_autofree char *ref = g_build_filename (tmpdir, "ref.dinomaly", NULL);
  g_autofree char *from_state = g_build_filename (tmpdir, "s.dinomaly", NULL);
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (
    run_cli ((const char *[]){ "import", "--backbone", hf, "--weights", decoder_path, "--resize",
                               "256", "--crop", "224", "--target-blocks", "0,1", "--classes",
                               "tire,tile", "--out", model, NULL },
             &out, &err),
    ==, 0);
  dm_test_assert_has (out, "backbone embedded");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli ((const char *[]){ "info", model, NULL }, &out, &err), ==, 0);
  g_test_message ("%s", out);
  dm_test_assert_has (out, "Dinomaly model file (format version 1)");
  dm_test_assert_has (out, "ViT/14: D 128, 2 heads of 64, depth 2, 4 registers");
  dm_test_assert_has (out, "embedded under 'encoder.': 648,832 parameters, F16");
  dm_test_assert_has (out, "model.safetensors (hf naming), SHA-256 ");
  dm_test_assert_has (out, "bottleneck + 8 decoder blocks, D 128");
  dm_test_assert_has (out, "resize 256, crop 224 (grid 16x16)");
  dm_test_assert_has (out, "target blocks  0 1; groups [0] [1]");
  dm_test_assert_has (out, "classes        2: tire, tile");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* By reference: the model holds no encoder. */
  g_assert_cmpint (run_cli ((const char *[]){ "import", "--backbone", timm, "--weights",
                                              decoder_path, "--target-blocks", "0,1",
                                              "--no-embed-backbone", "--out", ref, NULL },
                            &out, &err),
                   ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli ((const char *[]){ "info", ref, NULL }, &out, &err), ==, 0);
  dm_test_assert_has (out, "not embedded");
  dm_test_assert_has (out, "encoder_timm_bf16_d2.safetensors (timm naming)");
  dm_test_assert_has (out, "100 tensors");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* A full state dict needs no --backbone. */
  g_assert_cmpint (run_cli ((const char *[]){ "import", "--weights", state_path, "--target-blocks",
                                              "0,1", "--out", from_state, NULL },
                            &out, &err),
                   ==, 0);
  dm_test_assert_has (out, "prefix encoder.");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli ((const char *[]){ "info", from_state, NULL }, &out, &err), ==, 0);
  dm_test_assert_has (out, "embedded under 'encoder.': 648,832 parameters, F32");
}

static void
test_import_errors (void)
{
  g_autofree char *hf = data_path ("hf/model.safetensors");
  g_autofree char *bad = g_build_filename (tmpdir, "bad.dinomaly", NULL);
  /* "@out", "@decoder" and "@narrow" stand for the files. */
  const struct
  {
    const char *args[12];
    int rc;
    const char *part;
  } cases[] = {
    { { "import", "--backbone", hf, "--weights", "@narrow", "--target-blocks", "0,1", "--out",
        "@out" },
      1,
      "the decoder is 64 wide but the backbone is 128 wide" },
    { { "import", "--backbone", "@decoder", "--weights", "@decoder", "--out", "@out" },
      1,
      "bottleneck/decoder state dict without an encoder" },
    { { "import", "--weights", "@decoder", "--out", "@out" },
      1,
      "no --backbone, and the weights hold no usable encoder" },
    { { "import", "--backbone", hf, "--weights", "@decoder", "--out", "@out" },
      1,
      "no default target blocks for an encoder of depth 2; give them with --target-blocks" },
    { { "import", "--backbone", hf, "--weights", "@decoder", "--target-blocks", "0,5", "--out",
        "@out" },
      1,
      "target block 5" },
    { { "import", "--backbone", hf, "--weights", "@decoder", "--target-blocks", "0,1", "--crop",
        "200", "--out", "@out" },
      2, /* an option out of range is a usage error, as in every command */
      "--crop 200: must be a multiple of the 14-pixel patch" },
    { { "import", "--backbone", hf, "--weights", "@nan", "--target-blocks", "0,1", "--out",
        "@out" },
      1,
      "tensor 'decoder.3.mlp.fc1.weight' holds NaN at element 5" },
    { { "import", "--weights", "@decoder", "--no-embed-backbone", "--out", "@out" },
      2,
      "--no-embed-backbone needs --backbone" },
    { { "import", "--backbone", hf }, 2, "--weights and --out are required" },
    { { "import", "--target-blocks", "0,1,2", "--backbone", hf, "--weights", "@decoder", "--out",
        "@out" },
      2,
      "give an even number of blocks" },
    { { "import", "--frobnicate" }, 2, "Unknown option" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *args[13];
      g_autofree char *out = NULL, *err = NULL;
      int n;

      for (n = 0; n < 12 && cases[i].args[n] != NULL; n++)
        {
          const char *a = cases[i].args[n];
          args[n] = g_strcmp0 (a, "@out") == 0       ? bad
                    : g_strcmp0 (a, "@decoder") == 0 ? decoder_path
                    : g_strcmp0 (a, "@narrow") == 0  ? narrow_path
                    : g_strcmp0 (a, "@nan") == 0     ? nan_path
                                                     : a;
        }
      args[n] = NULL;
      g_assert_cmpint (run_cli (args, &out, &err), ==, cases[i].rc);
      if (cases[i].rc == 1)
        assert_one_line_error ("import", NULL, err, cases[i].part);
      else
        dm_test_assert_has (err, cases[i].part);
      g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
    }
}

int
main (int argc, char *argv[])
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, >=, 2);
  cli_path = argv[1];
  tmpdir = dm_test_make_tmpdir ();
  make_files ();
  g_test_add_func ("/cli-weights/info-encoders", test_info_encoders);
  g_test_add_func ("/cli-weights/info-noreg", test_info_noreg);
  g_test_add_func ("/cli-weights/info-state-dicts", test_info_state_dicts);
  g_test_add_func ("/cli-weights/info-bad-files", test_info_bad_files);
  g_test_add_func ("/cli-weights/import", test_import);
  g_test_add_func ("/cli-weights/import-errors", test_import_errors);
  rc = g_test_run ();
  g_free (decoder_path);
  g_free (narrow_path);
  g_free (state_path);
  g_free (noreg_path);
  g_free (tmpdir);
  return rc;
}
