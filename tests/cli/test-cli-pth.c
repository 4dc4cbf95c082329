/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PyTorch files through the command line: `info` and `import` on .pth
 * files, the hostile ones refused in one line with nothing run, a model
 * built from a .pth backbone scoring exactly as one built from the
 * safetensors twin, `export --state-dict` read back bit for bit in both
 * formats and imported again into the same model, torch.load of the
 * export (when Debian's python3-torch is installed), and `train` with a
 * .pth backbone and --init giving the same model as with safetensors.
 * The binary's path is argv[1]. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dm-image.h"
#include "dm-model-file.h"
#include "dm-pth-writer.h"
#include "dm-safetensors-writer.h"
#include "dm-test-data.h"
#include "dm-test-util.h"
#include "dm-weight-file.h"

#define PWNED "pwned-by-pickle.txt"

static const char *cli_path;
static char *tmpdir;
static char *pth_backbone; /* tests/data/pth: the tiny encoder, original names, BF16 */
static char *st_backbone;  /* tests/data/forward: the same weights, timm names, BF16 */
static char *decoder;      /* tests/data/forward/decoder_f32.safetensors */
static char *images[2];    /* reference images */

static int
run_cli (const char *const *args, char **out, char **err)
{
  return dm_test_run_cli (cli_path, args, out, err);
}

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static char *
data_path (const char *folder, const char *name)
{
  return g_build_filename (dm_test_srcdir (), "data", folder, name, NULL);
}

/* Runs the command and expects success; returns its standard output. */
static char *
run_ok (const char *const *args)
{
  g_autofree char *err = NULL;
  char *out = NULL;
  int rc = run_cli (args, &out, &err);

  if (rc != 0)
    g_error ("dinomaly %s: exit %d\n%s%s", args[0], rc, out, err);
  return out;
}

/* The same when what it prints does not matter. */
static void
run_quiet (const char *const *args)
{
  g_free (run_ok (args));
}

/* Exit 1, one line on stderr naming the file and the problem. */
static void
assert_fails (const char *const *args, const char *path, const char *part)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *prefix = g_strdup_printf ("dinomaly %s: ", args[0]);

  g_assert_cmpint (run_cli (args, &out, &err), ==, 1);
  g_test_message ("%s", err);
  g_assert_true (g_str_has_prefix (err, prefix));
  if (strchr (err, '\n') + 1 != err + strlen (err))
    g_error ("more than one line:\n%s", err);
  dm_test_assert_has (err, path);
  dm_test_assert_has (err, part);
}

/* b holds a's tensors with the same names, dtypes, shapes and bytes
 * (b may hold others when subset). */
static void
assert_same_tensors (const DmSafetensors *a,
                     const DmSafetensors *b,
                     gboolean subset,
                     const char *what)
{
  double worst = 0.0;

  if (!subset)
    g_assert_cmpuint (dm_safetensors_n_tensors (a), ==, dm_safetensors_n_tensors (b));
  for (guint i = 0; i < dm_safetensors_n_tensors (a); i++)
    {
      const DmTensorInfo *t = dm_safetensors_tensor (a, i);
      const DmTensorInfo *u = dm_safetensors_find (b, t->name);
      g_autofree float *x = NULL, *y = NULL;
      g_autoptr (GError) error = NULL;

      if (u == NULL)
        g_error ("%s: no tensor '%s' in %s", what, t->name, dm_safetensors_path (b));
      g_assert_cmpint (t->dtype, ==, u->dtype);
      g_assert_true (dm_tensor_info_has_shape (u, t->rank, t->shape));
      g_assert_cmpmem (dm_safetensors_tensor_bytes (a, t), t->end - t->begin,
                       dm_safetensors_tensor_bytes (b, u), u->end - u->begin);
      x = g_new (float, MAX (t->n_elements, 1));
      y = g_new (float, MAX (t->n_elements, 1));
      g_assert_true (dm_safetensors_read_f32_range (a, t, 0, t->n_elements, x, &error));
      g_assert_true (dm_safetensors_read_f32_range (b, u, 0, u->n_elements, y, &error));
      worst = MAX (worst, dm_test_max_abs_diff (x, y, t->n_elements));
    }
  g_test_message ("%s: %u tensors, largest difference %g", what, dm_safetensors_n_tensors (a),
                  worst);
  g_assert_cmpfloat (worst, ==, 0.0);
}

static DmSafetensors *
open_weights (const char *path)
{
  g_autoptr (GError) error = NULL;
  DmSafetensors *st = dm_weight_file_open (path, NULL, &error);

  g_assert_no_error (error);
  return st;
}

/* Scores and maps of `predict` with a model; the scores column as text. */
static char *
predict (const char *model, const char *out_dir, float *maps)
{
  g_autofree char *csv_path = g_build_filename (out_dir, "results.csv", NULL);
  g_autofree char *csv = NULL;
  g_auto (GStrv) lines = NULL;
  GString *scores = g_string_new (NULL);
  const char *stems[2] = { "tire_hole_000", "mt_crack_exp1_num_249594" };

  run_quiet ((const char *[]){ "predict", "--model", model, "--out", out_dir, images[0], images[1],
                               "--threads", "2", NULL });
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  lines = g_strsplit (csv, "\n", -1);
  for (int i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      g_auto (GStrv) fields = g_strsplit (lines[i], ",", -1);
      g_string_append_printf (scores, "%s ", fields[1]);
    }
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *name = g_strconcat (stems[i], "_map.tiff", NULL);
      g_autofree char *path = g_build_filename (out_dir, name, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (DmImage) image = dm_image_load (path, 0, &error);

      g_assert_no_error (error);
      g_assert_cmpint (image->type, ==, DM_PIXEL_F32);
      g_assert_cmpint (image->width, ==, 256);
      for (int y = 0; y < 256; y++)
        memcpy (maps + (i * 256 + y) * 256, image->data + y * image->stride, 256 * sizeof (float));
    }
  return g_string_free (scores, FALSE);
}

static void
import_model (const char *backbone, const char *weights, const char *out)
{
  if (backbone != NULL)
    run_quiet ((const char *[]){ "import", "--backbone", backbone, "--weights", weights, "--resize",
                                 "256", "--crop", "224", "--out", out, NULL });
  else
    run_quiet ((const char *[]){ "import", "--weights", weights, "--resize", "256", "--crop", "224",
                                 "--out", out, NULL });
}

static void
test_info (void)
{
  g_autofree char *nested = data_path ("pth", "dinomaly_tiny_checkpoint_nested.pth");
  g_autofree char *out = run_ok ((const char *[]){ "info", pth_backbone, NULL });

  g_test_message ("%s", out);
  dm_test_assert_has (out, "DINOv2 encoder");
  dm_test_assert_has (out, "original DINOv2 (key prefix: none)");
  dm_test_assert_has (out, "D 128, 2 heads of 64, depth 10, 4 registers");
  dm_test_assert_has (out, "2,237,056 in 148 tensors, BF16");
  dm_test_assert_has (out, "MB, PyTorch zip archive (torch.save), 148 tensors");
  dm_test_assert_has (out, "state dict     at the top level");
  /* a checkpoint with a partial decoder: found under "model", then refused */
  assert_fails ((const char *[]){ "info", nested, NULL }, nested,
                "tensor 'decoder.1.norm1.weight' is missing");
}

/* HuggingFace's pytorch_model.bin: the zip format, config.json beside it
 * as for model.safetensors. */
static void
test_info_hf_bin (void)
{
  g_autofree char *hf_st = data_path ("weights", "hf/model.safetensors");
  g_autofree char *hf_config = data_path ("weights", "hf/config.json");
  g_autofree char *dir = tmp_path ("hf");
  g_autofree char *bin = g_build_filename (dir, "pytorch_model.bin", NULL);
  g_autofree char *config = g_build_filename (dir, "config.json", NULL);
  g_autofree char *json = NULL, *out = NULL;
  g_autoptr (DmSafetensors) st = open_weights (hf_st);
  g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < dm_safetensors_n_tensors (st); i++)
    {
      const DmTensorInfo *t = dm_safetensors_tensor (st, i);
      g_assert_true (dm_safetensors_writer_add_raw (
        w, t->name, t->dtype, dm_safetensors_tensor_bytes (st, t), t->rank, t->shape, &error));
    }
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (dm_pth_write (w, bin, &error));
  g_assert_true (g_file_get_contents (hf_config, &json, NULL, &error));
  g_assert_true (g_file_set_contents (config, json, -1, &error));
  g_assert_no_error (error);
  out = run_ok ((const char *[]){ "info", bin, NULL });
  g_test_message ("%s", out);
  dm_test_assert_has (out, "HuggingFace Dinov2WithRegistersModel");
  dm_test_assert_has (out, config);
  dm_test_assert_has (out, "in 44 tensors, F16");
  dm_test_assert_has (out, "PyTorch zip archive (torch.save), 44 tensors");
}

/* Every place a weight file is taken refuses the hostile pickles. */
static void
test_hostile (void)
{
  const char *files[] = { "evil_os_system.pth", "evil_builtins_eval.pth" };
  const char *globals[] = { "'posix.system'", "'builtins.eval'" };
  g_autofree char *model = tmp_path ("evil.dinomaly");

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = data_path ("pth", files[i]);
      g_autofree char *part = g_strconcat ("refuses to run pickle global ", globals[i], NULL);

      assert_fails ((const char *[]){ "info", path, NULL }, path, part);
      assert_fails ((const char *[]){ "import", "--weights", path, "--out", model, NULL }, path,
                    part);
      assert_fails ((const char *[]){ "import", "--backbone", path, "--weights", decoder, "--out",
                                      model, NULL },
                    path, part);
      g_assert_false (g_file_test (PWNED, G_FILE_TEST_EXISTS));
    }
  g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
}

/* A model from the .pth backbone scores as the one from safetensors. */
static void
test_forward (void)
{
  g_autofree char *a = tmp_path ("from-pth.dinomaly"), *b = tmp_path ("from-st.dinomaly");
  g_autofree char *out_a = tmp_path ("pred-pth"), *out_b = tmp_path ("pred-st");
  g_autofree float *maps_a = g_new (float, 2 * 256 * 256);
  g_autofree float *maps_b = g_new (float, 2 * 256 * 256);
  g_autofree char *scores_a = NULL, *scores_b = NULL;

  import_model (pth_backbone, decoder, a);
  import_model (st_backbone, decoder, b);
  scores_a = predict (a, out_a, maps_a);
  scores_b = predict (b, out_b, maps_b);
  g_test_message ("scores: .pth backbone %s, safetensors %s", scores_a, scores_b);
  g_assert_cmpstr (scores_a, ==, scores_b);
  dm_test_assert_close (maps_a, maps_b, 2 * 256 * 256, 0.0,
                        "predict maps: .pth backbone = safetensors backbone");
  g_assert_cmpmem (maps_a, 2 * 256 * 256 * sizeof (float), maps_b, 2 * 256 * 256 * sizeof (float));
}

/* The export read back bit for bit, in both formats, and imported again. */
static void
test_export (void)
{
  g_autofree char *model = tmp_path ("from-pth.dinomaly");
  g_autofree char *sd_pth = tmp_path ("sd.pth"), *sd_st = tmp_path ("sd.safetensors");
  g_autofree char *dec_pth = tmp_path ("dec.pth");
  g_autofree char *again_pth = tmp_path ("again-pth.dinomaly");
  g_autofree char *again_st = tmp_path ("again-st.dinomaly");
  g_autofree char *out = NULL;
  g_autoptr (DmModelFile) m = NULL;
  g_autoptr (GError) error = NULL;

  if (!g_file_test (model, G_FILE_TEST_EXISTS))
    import_model (pth_backbone, decoder, model);
  m = dm_model_file_open (model, &error);
  g_assert_no_error (error);

  out = run_ok ((const char *[]){ "export", "--state-dict", sd_pth, "--model", model, NULL });
  dm_test_assert_has (out, "248 tensors (bottleneck + 8 decoder blocks, encoder.*)");
  dm_test_assert_has (out, "PyTorch state dict");
  g_clear_pointer (&out, g_free);
  out = run_ok ((const char *[]){ "export", "--state-dict", sd_st, "--model", model, NULL });
  g_clear_pointer (&out, g_free);
  out = run_ok (
    (const char *[]){ "export", "--state-dict", dec_pth, "--model", model, "--no-backbone", NULL });
  dm_test_assert_has (out, "100 tensors (bottleneck + 8 decoder blocks)");
  {
    g_autoptr (DmSafetensors) a = open_weights (sd_pth);
    g_autoptr (DmSafetensors) b = open_weights (sd_st);
    g_autoptr (DmSafetensors) c = open_weights (dec_pth);

    assert_same_tensors (m->st, a, FALSE, "export .pth = model file");
    assert_same_tensors (m->st, b, FALSE, "export .safetensors = model file");
    assert_same_tensors (c, m->st, TRUE, "export --no-backbone .pth = model file");
    g_assert_cmpuint (dm_safetensors_n_tensors (c), ==, 100);
  }
  /* imported again: the same tensors, so the same scores */
  import_model (NULL, sd_pth, again_pth);
  import_model (NULL, sd_st, again_st);
  {
    g_autoptr (DmSafetensors) a = open_weights (again_pth);
    g_autoptr (DmSafetensors) b = open_weights (again_st);

    assert_same_tensors (m->st, a, FALSE, "import of the .pth export = model");
    assert_same_tensors (m->st, b, FALSE, "import of the safetensors export = model");
  }
}

static void
test_export_usage (void)
{
  g_autofree char *model = tmp_path ("from-st.dinomaly");
  g_autofree char *missing = tmp_path ("missing.dinomaly");
  g_autofree char *out_path = tmp_path ("x.pth");
  g_autofree char *ref = tmp_path ("ref.dinomaly");
  g_autofree char *with = tmp_path ("with.pth"), *without = tmp_path ("without.pth");
  const char *usage[][8] = {
    { "export", "--model", model, NULL },
    { "export", "--state-dict", "x.npz", "--model", model, NULL },
    { "export", "--state-dict", out_path, "--model", model, "--no-backbone", "--backbone" },
    { "export", "--state-dict", out_path, NULL },
  };

  if (!g_file_test (model, G_FILE_TEST_EXISTS))
    import_model (st_backbone, decoder, model);
  for (guint i = 0; i < G_N_ELEMENTS (usage); i++)
    {
      g_autofree char *out = NULL, *err = NULL;
      const char *args[9] = { NULL };

      memcpy (args, usage[i], sizeof usage[i]);
      if (i == 2)
        args[7] = st_backbone;
      g_assert_cmpint (run_cli (args, &out, &err), ==, 2);
      g_test_message ("%s", err);
    }
  assert_fails ((const char *[]){ "export", "--state-dict", out_path, "--model", missing, NULL },
                missing, "no such file");
  g_assert_false (g_file_test (out_path, G_FILE_TEST_EXISTS));

  /* a model that refers to its backbone: encoder.* only with --backbone */
  {
    g_autofree char *a = NULL, *b = NULL, *err = NULL;
    g_autoptr (DmSafetensors) st = NULL;

    run_quiet ((const char *[]){ "import", "--backbone", st_backbone, "--weights", decoder,
                                 "--resize", "256", "--crop", "224", "--no-embed-backbone", "--out",
                                 ref, NULL });
    g_assert_cmpint (
      run_cli ((const char *[]){ "export", "--state-dict", without, "--model", ref, NULL }, &a,
               &err),
      ==, 0);
    dm_test_assert_has (err, "refers to its backbone");
    b = run_ok ((const char *[]){ "export", "--state-dict", with, "--model", ref, "--backbone",
                                  st_backbone, NULL });
    dm_test_assert_has (a, "100 tensors");
    dm_test_assert_has (b, "248 tensors");
    st = open_weights (with);
    g_assert_nonnull (dm_safetensors_find (st, "encoder.blocks.9.mlp.fc2.weight"));
    g_assert_cmpint (dm_safetensors_find (st, "encoder.cls_token")->dtype, ==, DM_DTYPE_BF16);
  }
}

/* torch.load (weights_only) of the export gives the model's tensors. */
static void
test_torch_load (void)
{
  const char *python = "/usr/bin/python3";
  const char *script
    = "import sys, hashlib, torch\n"
      "kw = {'weights_only': True} if 'weights_only' in torch.load.__code__.co_varnames else {}\n"
      "sd = torch.load(sys.argv[1], **kw)\n"
      "names = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16'}\n"
      "for k, v in sd.items():\n"
      "    b = (v.view(torch.int16) if v.dtype == torch.bfloat16 else v).contiguous().numpy()\n"
      "    print(k, names[v.dtype], list(v.shape), hashlib.sha256(b.tobytes()).hexdigest())\n";
  g_autofree char *model = tmp_path ("from-pth.dinomaly");
  g_autofree char *sd_pth = tmp_path ("torch-sd.pth");
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (DmModelFile) m = NULL;
  g_autoptr (GError) error = NULL;
  GString *want = g_string_new (NULL);
  g_autofree char *want_text = NULL;
  int status = -1;

  if (!g_file_test (python, G_FILE_TEST_IS_EXECUTABLE)
      || !g_spawn_sync (NULL, (char *[]){ (char *)python, "-c", "import torch", NULL }, NULL, 0,
                        NULL, NULL, NULL, NULL, &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    {
      g_test_skip ("Debian's python3-torch is not installed");
      return;
    }
  if (!g_file_test (model, G_FILE_TEST_EXISTS))
    import_model (pth_backbone, decoder, model);
  run_quiet ((const char *[]){ "export", "--state-dict", sd_pth, "--model", model, NULL });
  g_assert_true (g_spawn_sync (NULL,
                               (char *[]){ (char *)python, "-c", (char *)script, sd_pth, NULL },
                               NULL, 0, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("torch.load failed:\n%s", err);

  m = dm_model_file_open (model, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < dm_safetensors_n_tensors (m->st); i++)
    {
      const DmTensorInfo *t = dm_safetensors_tensor (m->st, i);
      g_autofree char *sha = g_compute_checksum_for_data (
        G_CHECKSUM_SHA256, dm_safetensors_tensor_bytes (m->st, t), t->end - t->begin);

      g_string_append_printf (want, "%s %s [", t->name, dm_dtype_name (t->dtype));
      for (int d = 0; d < t->rank; d++)
        g_string_append_printf (want, "%s%" G_GINT64_FORMAT, d > 0 ? ", " : "", t->shape[d]);
      g_string_append_printf (want, "] %s\n", sha);
    }
  want_text = g_string_free (want, FALSE);
  g_assert_cmpstr (out, ==, want_text);
  g_test_message ("torch.load of the export: %u tensors, the same bytes",
                  dm_safetensors_n_tensors (m->st));
}

/* train: a .pth backbone and a .pth --init give the model that their
 * safetensors twins give. */
static void
test_train (void)
{
  g_autofree char *data = tmp_path ("mvtec");
  g_autofree char *bb_pth = tmp_path ("bb.pth"), *bb_st = tmp_path ("bb.safetensors");
  g_autofree char *init_pth = tmp_path ("init.pth"), *init_st = tmp_path ("init.safetensors");
  g_autofree char *first = tmp_path ("first.dinomaly");
  g_autoptr (GError) error = NULL;
  g_autoptr (DmVitWeights) enc = dm_vit_weights_load (st_backbone, -1, &error);
  g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
  const char *variants[2][2] = { { bb_pth, init_pth }, { bb_st, init_st } };
  DmSafetensors *results[2];

  /* the tiny encoder, original names, BF16, written in both formats */
  g_assert_no_error (error);
  g_assert_true (dm_vit_weights_add_to_writer (enc, w, "", DM_DTYPE_BF16, &error));
  g_assert_true (dm_pth_write (w, bb_pth, &error)
                 && dm_safetensors_writer_write (w, bb_st, &error));
  g_assert_no_error (error);
  for (int c = 0; c < 2; c++)
    {
      g_autofree char *name = g_strdup_printf ("class%d", c);
      dm_test_write_mvtec_class (data, name, (guint64)c + 1);
    }
  /* a first model gives the decoder to start from, exported both ways */
  {
    run_quiet ((const char *[]){ "train", "--data", data, "--backbone", bb_st, "--out", first,
                                 "--resize", "64", "--crop", "56", "--batch", "2", "--total-iters",
                                 "2", "--threads", "1", NULL });
    run_quiet ((const char *[]){ "export", "--state-dict", init_pth, "--model", first,
                                 "--no-backbone", NULL });
    run_quiet ((const char *[]){ "export", "--state-dict", init_st, "--model", first,
                                 "--no-backbone", NULL });
  }
  for (int v = 0; v < 2; v++)
    {
      g_autofree char *name = g_strdup_printf ("trained-%d.dinomaly", v);
      g_autofree char *model = tmp_path (name);
      g_autoptr (DmModelFile) m = NULL;

      run_quiet ((const char *[]){ "train",
                                   "--data",
                                   data,
                                   "--backbone",
                                   variants[v][0],
                                   "--init",
                                   variants[v][1],
                                   "--out",
                                   model,
                                   "--resize",
                                   "64",
                                   "--crop",
                                   "56",
                                   "--batch",
                                   "2",
                                   "--total-iters",
                                   "3",
                                   "--threads",
                                   "1",
                                   NULL });
      m = dm_model_file_open (model, &error);
      g_assert_no_error (error);
      results[v] = g_steal_pointer (&m->st);
    }
  assert_same_tensors (results[0], results[1], FALSE,
                       "train with .pth backbone and --init = with safetensors");
  dm_safetensors_free (results[0]);
  dm_safetensors_free (results[1]);
}

int
main (int argc, char *argv[])
{
  g_autofree char *cwd = g_get_current_dir ();
  int status;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, ==, 2);
  cli_path = argv[1];
  tmpdir = dm_test_make_tmpdir ();
  /* run from a clean folder: a pickle that ran `touch` would leave its
   * file here */
  g_assert_cmpint (g_chdir (tmpdir), ==, 0);
  pth_backbone = data_path ("pth", "dinov2_tiny_reg4_pretrain_bf16.pth");
  st_backbone = data_path ("forward", "encoder_timm_bf16.safetensors");
  decoder = data_path ("forward", "decoder_f32.safetensors");
  images[0] = data_path ("image", "reference/tire_hole_000.png");
  images[1] = data_path ("image", "reference/mt_crack_exp1_num_249594.jpg");

  g_test_add_func ("/cli-pth/info", test_info);
  g_test_add_func ("/cli-pth/info-hf-bin", test_info_hf_bin);
  g_test_add_func ("/cli-pth/hostile", test_hostile);
  g_test_add_func ("/cli-pth/forward", test_forward);
  g_test_add_func ("/cli-pth/export", test_export);
  g_test_add_func ("/cli-pth/export-usage", test_export_usage);
  g_test_add_func ("/cli-pth/torch-load", test_torch_load);
  g_test_add_func ("/cli-pth/train", test_train);
  status = g_test_run ();
  g_assert_false (g_file_test (PWNED, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_chdir (cwd), ==, 0);
  g_assert_false (g_file_test (PWNED, G_FILE_TEST_EXISTS));
  dm_test_print_error_summary ();
  g_free (tmpdir);
  g_free (pth_backbone);
  g_free (st_backbone);
  g_free (decoder);
  g_free (images[0]);
  g_free (images[1]);
  return status;
}
