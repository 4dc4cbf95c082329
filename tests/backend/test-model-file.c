/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the model file: round trips of tensors and metadata, the
 * backbone by checksum, atomic writes, newer versions refused. */
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-model-file.h"
#include "dm-safetensors-writer.h"
#include "dm-test-util.h"

static char *tmpdir;

static char *
data_path (const char *name)
{
  return g_build_filename (dm_test_srcdir (), "data", "weights", name, NULL);
}

static DmVitWeights *
load_vit (const char *name)
{
  g_autofree char *path = data_path (name);
  g_autoptr (GError) error = NULL;
  DmVitWeights *w = dm_vit_weights_load (path, -1, &error);

  g_assert_no_error (error);
  return w;
}

/* An info for the depth-2 tiny encoder, with every optional part filled. */
static DmModelInfo *
make_info (const DmVitWeights *vit, const char *sha)
{
  DmModelInfo *info = dm_model_info_new ();
  g_autoptr (GError) error = NULL;

  info->arch = vit->config;
  info->resize = 256;
  info->crop = 224;
  info->n_targets = 2;
  info->target_blocks[0] = 0;
  info->target_blocks[1] = 1;
  info->n_groups = 2;
  info->group_size[0] = info->group_size[1] = 1;
  info->groups[0][0] = 0;
  info->groups[1][0] = 1;
  info->dropout = 0.4;
  g_strfreev (info->class_names);
  info->class_names = g_strsplit ("bottle,tire,magnetic tile \"é\"", ",", -1);
  info->n_thresholds = 2;
  info->thresholds = g_new0 (DmClassThreshold, 2);
  info->thresholds[0] = (DmClassThreshold){ g_strdup ("tire"), 0.1234567890123, 0.5, FALSE, 0, 0 };
  info->thresholds[1] = (DmClassThreshold){ g_strdup ("bottle"), 1.0 / 3.0, 0.25, TRUE, 0.3, 0.4 };
  {
    /* inspection rules for one class: an ignored corner, a calibration,
     * limits in mm */
    g_autoptr (DmRules) rules = dm_rules_new ();
    const double corner[] = { 0, 0, 40.5, 30 };

    rules->ref_width = 320;
    rules->ref_height = 240;
    rules->mm_per_pixel = 0.05;
    dm_roi_add (rules->roi, DM_ROI_RECTANGLE, DM_ROI_IGNORE, FALSE, 0, corner, 2);
    rules->units = DM_UNITS_MM;
    rules->max_area = 0.5;
    dm_model_info_set_rules (info, "tire", rules);
  }
  info->backbone_name = g_strdup ("encoder.safetensors");
  info->backbone_sha256 = g_strdup (sha);
  info->backbone_scheme = vit->scheme;
  info->has_training = TRUE;
  info->training.iterations = 10000;
  info->training.seed = G_GINT64_CONSTANT (-7);
  info->training.seconds = 1234.5;
  info->training.started = g_strdup ("2025-01-02T03:04:05Z");
  info->training.batch_size = 16;
  info->training.lr = 2e-3;
  info->training.final_loss = 0.0123;
  info->training.loss_every = 50;
  info->training.n_losses = 4;
  info->training.losses = g_new (double, 4);
  info->training.losses[0] = 0.99;
  info->training.losses[1] = NAN; /* a diverged step: null in JSON */
  info->training.losses[2] = 0.5;
  info->training.losses[3] = 1e-300;
  g_assert_true (dm_model_info_validate (info, &error));
  g_assert_no_error (error);
  return info;
}

static void
assert_info_equal (const DmModelInfo *a, const DmModelInfo *b)
{
  g_autofree char *ja = dm_model_info_to_json (a, FALSE);
  g_autofree char *jb = dm_model_info_to_json (b, FALSE);

  g_assert_cmpstr (ja, ==, jb);
  g_assert_true (dm_vit_config_equal (&a->arch, &b->arch));
  g_assert_cmpint (a->crop, ==, b->crop);
  g_assert_cmpfloat (a->mean[1], ==, b->mean[1]);
  g_assert_cmpfloat (a->thresholds[0].image, ==, b->thresholds[0].image);
  g_assert_cmpfloat (a->thresholds[1].uncertain_high, ==, b->thresholds[1].uncertain_high);
  g_assert_cmpint (a->thresholds[1].has_uncertain, ==, b->thresholds[1].has_uncertain);
  g_assert_cmpint (a->thresholds[0].has_uncertain, ==, b->thresholds[0].has_uncertain);
  g_assert_true (
    g_strv_equal ((const char *const *)a->class_names, (const char *const *)b->class_names));
  g_assert_cmpint (a->training.seed, ==, b->training.seed);
  g_assert_cmpuint (b->training.n_losses, ==, 4);
  g_assert_true (isnan (b->training.losses[1]));
  g_assert_cmpfloat (b->training.losses[3], ==, 1e-300);
  g_assert_cmpuint (a->n_rules, ==, b->n_rules);
  g_assert_true (
    dm_rules_equal (dm_model_info_get_rules (a, "tire"), dm_model_info_get_rules (b, "tire")));
  g_assert_null (dm_model_info_get_rules (b, "bottle"));
  g_assert_cmpint (a->backbone_embedded, ==, b->backbone_embedded);
  g_assert_cmpint (a->backbone_scheme, ==, b->backbone_scheme);
}

static void
test_round_trip_embedded (void)
{
  const char *files[] = { "encoder_dinov2_f32_d2.safetensors", "hf/model.safetensors",
                          "encoder_timm_bf16_d2.safetensors" };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr (DmVitWeights) vit = load_vit (files[i]);
      g_autoptr (DmDinomalyWeights) w = dm_dinomaly_weights_new (128, NULL);
      g_autofree char *src = data_path (files[i]);
      g_autofree char *sha = dm_file_sha256 (src, NULL);
      g_autoptr (DmModelInfo) info = make_info (vit, sha);
      g_autofree char *name = g_strdup_printf ("embedded-%u.dinomaly", i);
      g_autofree char *path = g_build_filename (tmpdir, name, NULL);
      g_autoptr (DmModelFile) file = NULL;
      g_autoptr (DmDinomalyWeights) w2 = NULL;
      g_autoptr (DmVitWeights) vit2 = NULL, vit_part = NULL;
      g_autoptr (GError) error = NULL;
      const DmTensorInfo *t;

      dm_dinomaly_weights_init (w, 11 + i);
      g_assert_true (dm_model_file_write (path, info, w, vit, vit->source_dtype, &error));
      g_assert_no_error (error);

      file = dm_model_file_open (path, &error);
      g_assert_no_error (error);
      assert_info_equal (info, file->info);
      g_assert_cmpstr (dm_safetensors_metadata (file->st, "format"), ==, "pt");
      g_assert_cmpstr (dm_safetensors_metadata (file->st, "dinomaly.format_version"), ==, "1");
      /* the embedded backbone keeps its dtype; the decoder is F32 */
      t = dm_safetensors_find (file->st, "encoder.blocks.1.mlp.fc2.weight");
      g_assert_nonnull (t);
      g_assert_cmpint (t->dtype, ==, vit->source_dtype);
      g_assert_cmpint (dm_safetensors_find (file->st, "decoder.7.mlp.fc2.bias")->dtype, ==,
                       DM_DTYPE_F32);
      g_assert_cmpuint (dm_safetensors_n_tensors (file->st), ==, 36 + DM_DINOMALY_N_PARAMS);

      w2 = dm_model_file_load_weights (file, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (w2->arena, w2->layout.n_floats * 4, w->arena, w->layout.n_floats * 4);
      vit2 = dm_model_file_load_backbone (file, NULL, -1, &error);
      g_assert_no_error (error);
      g_assert_true (dm_vit_config_equal (&vit2->config, &vit->config));
      g_assert_cmpmem (vit2->arena, vit2->n_floats * 4, vit->arena, vit->n_floats * 4);
      /* n_blocks 0: up to the last target block */
      vit_part = dm_model_file_load_backbone (file, NULL, 0, &error);
      g_assert_no_error (error);
      g_assert_cmpint (vit_part->n_blocks, ==, 2);
    }
}

static void
test_by_reference (void)
{
  g_autofree char *hf = data_path ("hf/model.safetensors");
  g_autofree char *other = data_path ("encoder_timm_bf16_d2.safetensors");
  g_autoptr (DmVitWeights) vit = load_vit ("hf/model.safetensors");
  g_autoptr (DmDinomalyWeights) w = dm_dinomaly_weights_new (128, NULL);
  g_autofree char *sha = dm_file_sha256 (hf, NULL);
  g_autoptr (DmModelInfo) info = make_info (vit, sha);
  g_autofree char *path = g_build_filename (tmpdir, "reference.dinomaly", NULL);
  g_autoptr (DmModelFile) file = NULL;
  g_autoptr (DmVitWeights) vit2 = NULL;
  g_autoptr (GError) error = NULL;

  dm_dinomaly_weights_init (w, 5);
  info->backbone_embedded = FALSE;
  g_assert_false (
    dm_model_file_write (path, info, w, vit, DM_DTYPE_F32, &error)); /* backbone given */
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (dm_model_file_write (path, info, w, NULL, DM_DTYPE_F32, &error));
  g_assert_no_error (error);

  file = dm_model_file_open (path, &error);
  g_assert_no_error (error);
  assert_info_equal (info, file->info);
  g_assert_cmpuint (dm_safetensors_n_tensors (file->st), ==, DM_DINOMALY_N_PARAMS);
  g_assert_null (dm_model_file_load_backbone (file, NULL, -1, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, sha));
  g_clear_error (&error);
  g_assert_null (dm_model_file_load_backbone (file, other, -1, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_MISMATCH);
  g_test_message ("wrong backbone: %s", error->message);
  g_assert_nonnull (strstr (error->message, "is not that of the backbone"));
  g_clear_error (&error);
  vit2 = dm_model_file_load_backbone (file, hf, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (vit2->arena, vit2->n_floats * 4, vit->arena, vit->n_floats * 4);

  info->backbone_sha256[0] = 'x';
  g_assert_false (dm_model_file_write (path, info, w, NULL, DM_DTYPE_F32, &error));
  g_assert_nonnull (strstr (error->message, "not 64 hex digits"));
  g_clear_error (&error);
  g_clear_pointer (&info->backbone_sha256, g_free);
  g_assert_false (dm_model_file_write (path, info, w, NULL, DM_DTYPE_F32, &error));
  g_assert_nonnull (strstr (error->message, "needs the backbone's SHA-256"));
}

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
test_atomic (void)
{
  g_autofree char *dir = g_build_filename (tmpdir, "atomic", NULL);
  g_autofree char *path = g_build_filename (dir, "m.dinomaly", NULL);
  g_autoptr (DmVitWeights) vit = load_vit ("encoder_dinov2_f32_d2.safetensors");
  g_autoptr (DmDinomalyWeights) w = dm_dinomaly_weights_new (128, NULL);
  g_autoptr (DmDinomalyWeights) narrow = dm_dinomaly_weights_new (64, NULL);
  g_autoptr (DmModelInfo) info = make_info (vit, NULL);
  g_autoptr (GError) error = NULL;
  struct rlimit old, lim;
  void (*old_handler) (int);
  gboolean ok;

  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);

  /* Refused before writing: nothing appears. */
  info->crop = 200;
  g_assert_false (dm_model_file_write (path, info, w, vit, DM_DTYPE_F32, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "crop 200"));
  g_clear_error (&error);
  info->crop = 224;
  g_assert_false (dm_model_file_write (path, info, narrow, vit, DM_DTYPE_F32, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_MISMATCH);
  g_assert_nonnull (
    strstr (error->message, "the decoder is 64 wide but the architecture says 128"));
  g_clear_error (&error);
  g_assert_false (dm_model_file_write (path, info, w, NULL, DM_DTYPE_F32, &error));
  g_assert_nonnull (strstr (error->message, "none was given"));
  g_clear_error (&error);
  g_assert_cmpuint (count_entries (dir), ==, 0);

  /* Failing half-way (file size limit): no file, no temporary file. */
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &old), ==, 0);
  lim = old;
  lim.rlim_cur = 1 << 20;
  old_handler = signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &lim), ==, 0);
  ok = dm_model_file_write (path, info, w, vit, DM_DTYPE_F32, &error);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &old), ==, 0);
  signal (SIGXFSZ, old_handler);
  g_assert_false (ok);
  g_assert_error (error, DM_ERROR, DM_ERROR_IO);
  g_test_message ("half-way failure: %s", error->message);
  g_clear_error (&error);
  g_assert_cmpuint (count_entries (dir), ==, 0);

  g_assert_true (dm_model_file_write (path, info, w, vit, DM_DTYPE_F32, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_entries (dir), ==, 1);
}

/* A copy of a model file with one metadata entry changed. */
static char *
with_metadata (const char *src, const char *name, const char *key, const char *value)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) st = dm_safetensors_open (src, &error);
  g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
  char *path = g_build_filename (tmpdir, name, NULL);

  g_assert_no_error (error);
  for (const char *const *k = dm_safetensors_metadata_keys (st); *k != NULL; k++)
    dm_safetensors_writer_set_metadata (w, *k, dm_safetensors_metadata (st, *k));
  dm_safetensors_writer_set_metadata (w, key, value);
  for (guint i = 0; i < dm_safetensors_n_tensors (st); i++)
    {
      const DmTensorInfo *t = dm_safetensors_tensor (st, i);
      dm_safetensors_writer_add_raw (w, t->name, t->dtype, dm_safetensors_tensor_bytes (st, t),
                                     t->rank, t->shape, &error);
    }
  g_assert_true (dm_safetensors_writer_write (w, path, &error));
  g_assert_no_error (error);
  return path;
}

static void
test_versions_and_corruption (void)
{
  g_autoptr (DmVitWeights) vit = load_vit ("encoder_dinov2_f32_d2.safetensors");
  g_autoptr (DmDinomalyWeights) w = dm_dinomaly_weights_new (128, NULL);
  g_autoptr (DmModelInfo) info = make_info (vit, NULL);
  g_autofree char *path = g_build_filename (tmpdir, "good.dinomaly", NULL);
  g_autoptr (GError) error = NULL;
  const struct
  {
    const char *key, *value, *expect;
    int code;
  } cases[] = {
    { "dinomaly.format_version", "2",
      "model file format version 2 is newer than this program understands (1)",
      DM_ERROR_UNSUPPORTED },
    { "dinomaly.format_version", "0", "format version 0 is not valid", DM_ERROR_CORRUPT },
    { "dinomaly.format_version", "\"1\"", "'format_version' is not an integer", DM_ERROR_CORRUPT },
    { "dinomaly.input", "{\"resize\": 256}", "'input.crop' is missing", DM_ERROR_CORRUPT },
    { "dinomaly.input", "{\"resize\": 256, \"crop\": 224, \"mean\": [1, 2], \"std\": [1, 1, 1]}",
      "'input.mean' does not have 3 entries", DM_ERROR_CORRUPT },
    { "dinomaly.target_blocks", "[0, 5]", "target block 5", DM_ERROR_CORRUPT },
    { "dinomaly.groups", "[[0], [7]]", "group 1 holds block 7", DM_ERROR_CORRUPT },
    { "dinomaly.architecture", "not json", "'dinomaly.architecture' is not valid JSON",
      DM_ERROR_CORRUPT },
    { "dinomaly.thresholds", "[{\"class\": \"cat\", \"image\": 1, \"pixel\": 1}]",
      "threshold for class 'cat', which is not one of the classes", DM_ERROR_CORRUPT },
    { "dinomaly.backbone", "{\"embedded\": 1}", "'backbone.embedded' is not true or false",
      DM_ERROR_CORRUPT },
  };

  g_assert_true (dm_model_file_write (path, info, w, vit, DM_DTYPE_F32, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("changed-%u.dinomaly", i);
      g_autofree char *changed = with_metadata (path, name, cases[i].key, cases[i].value);
      g_autoptr (DmModelFile) file = dm_model_file_open (changed, &error);

      g_test_message ("%s = %s: %s", cases[i].key, cases[i].value,
                      error != NULL ? error->message : "(accepted!)");
      g_assert_null (file);
      g_assert_error (error, DM_ERROR, cases[i].code);
      g_assert_true (g_str_has_prefix (error->message, changed));
      if (strstr (error->message, cases[i].expect) == NULL)
        g_error ("'%s' lacks '%s'", error->message, cases[i].expect);
      g_clear_error (&error);
    }

  /* The JSON form refuses a newer version too. */
  {
    g_autofree char *json = dm_model_info_to_json (info, TRUE);
    g_autoptr (DmModelInfo) back = dm_model_info_from_json (json, &error);

    g_assert_no_error (error);
    assert_info_equal (info, back);
    info->format_version = 3;
    g_free (json);
    json = dm_model_info_to_json (info, FALSE);
    g_assert_null (dm_model_info_from_json (json, &error));
    g_assert_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED);
    g_assert_nonnull (strstr (error->message, "version 3 is newer"));
    g_clear_error (&error);
    g_assert_null (dm_model_info_from_json ("[]", &error));
    g_assert_error (error, DM_ERROR, DM_ERROR_CORRUPT);
  }

  /* An encoder file is not a model file. */
  {
    g_autofree char *encoder = data_path ("encoder_dinov2_f32_d2.safetensors");
    g_clear_error (&error);
    g_assert_null (dm_model_file_open (encoder, &error));
    g_assert_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED);
    g_assert_nonnull (strstr (error->message, "not a Dinomaly model file"));
  }
}

/* The rules section: optional (a file without it has no rules), its
 * classes checked, bad rules refused with the class named. */
static void
test_rules_section (void)
{
  g_autoptr (DmVitWeights) vit = load_vit ("encoder_dinov2_f32_d2.safetensors");
  g_autoptr (DmModelInfo) info = make_info (vit, NULL);
  g_autofree char *json = NULL, *old = NULL, *bad = NULL;
  g_autoptr (DmModelInfo) back = NULL, without = NULL;
  g_autoptr (GError) error = NULL;
  DmThresholds t;

  json = dm_model_info_to_json (info, FALSE);
  dm_test_assert_has (json, "\"rules\":[{\"class\":\"tire\",\"reference\"");
  back = dm_model_info_from_json (json, &error);
  g_assert_no_error (error);
  g_assert_true (dm_rules_equal (dm_model_info_get_rules (info, "tire"),
                                 dm_model_info_get_rules (back, "tire")));

  /* removing the rules removes the section: the file reads as before */
  dm_model_info_set_rules (info, "tire", NULL);
  g_assert_cmpuint (info->n_rules, ==, 0);
  old = dm_model_info_to_json (info, FALSE);
  g_assert_null (strstr (old, "rules"));
  without = dm_model_info_from_json (old, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (without->n_rules, ==, 0);

  g_assert_true (dm_model_info_get_thresholds (back, "bottle", &t));
  g_assert_cmpfloat (t.uncertain_low, ==, 0.3);
  g_assert_false (dm_model_info_get_thresholds (back, "magnetic tile \"é\"", &t));
  g_assert_true (isnan (t.image));

  /* an unknown class, and rules that do not hold */
  bad = g_strdup (json);
  memcpy (strstr (bad, "\"class\":\"tire\",\"reference") + 9, "tyre", 4);
  g_assert_null (dm_model_info_from_json (bad, &error));
  dm_test_assert_has (error->message, "rules for class 'tyre'");
  g_clear_error (&error);
  g_free (bad);
  bad = g_strdup (json);
  memcpy (strstr (bad, "\"units\":\"mm\"") + 9, "xx", 2);
  g_assert_null (dm_model_info_from_json (bad, &error));
  dm_test_assert_has (error->message, "rules of class 'tire'");
  dm_test_assert_has (error->message, "'regions.units'");
}

static void
test_defaults (void)
{
  g_autoptr (DmModelInfo) info = dm_model_info_new ();
  g_autoptr (GError) error = NULL;
  DmVitConfig base = { 768, 12, 64, 12, 4, 14, 37, 3072, 1e-6f };
  DmVitConfig large = { 1024, 16, 64, 24, 4, 14, 37, 4096, 1e-6f };
  DmVitConfig shallow = { 128, 2, 64, 6, 4, 14, 37, 512, 1e-6f };

  g_assert_true (dm_model_info_set_backbone (info, &base, &error));
  g_assert_true (dm_model_info_validate (info, &error));
  g_assert_cmpint (info->resize, ==, 448);
  g_assert_cmpint (info->crop, ==, 392);
  g_assert_cmpint (info->target_blocks[0], ==, 2);
  g_assert_cmpint (dm_model_info_last_target (info), ==, 9);
  g_assert_cmpint (info->groups[1][0], ==, 6);
  g_assert_cmpfloat (info->std[2], ==, 0.225);
  g_assert_true (dm_model_info_set_backbone (info, &large, &error));
  g_assert_cmpint (info->target_blocks[0], ==, 4);
  g_assert_cmpint (dm_model_info_last_target (info), ==, 18);
  g_assert_cmpint (info->groups[0][3], ==, 10);
  g_assert_false (dm_model_info_set_backbone (info, &shallow, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  /* ViT-B/14 reg4 under the original names, mask token and final norm
   * included (timm, without them, lists 86.58 M) */
  g_assert_cmpuint (dm_vit_config_n_params (&base), ==, 86583552);
}

int
main (int argc, char *argv[])
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmpdir = dm_test_make_tmpdir ();
  g_test_add_func ("/model-file/round-trip-embedded", test_round_trip_embedded);
  g_test_add_func ("/model-file/by-reference", test_by_reference);
  g_test_add_func ("/model-file/atomic", test_atomic);
  g_test_add_func ("/model-file/versions-and-corruption", test_versions_and_corruption);
  g_test_add_func ("/model-file/defaults", test_defaults);
  g_test_add_func ("/model-file/rules-section", test_rules_section);
  rc = g_test_run ();
  g_free (tmpdir);
  return rc;
}
