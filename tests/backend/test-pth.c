/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PyTorch files read as their safetensors twins: the tiny vectors' .pth
 * files (testvectors README §5b) against the safetensors vectors, bit for
 * bit as float32; the fixtures of tests/data/pth/make-pth.py (checkpoints,
 * DDP prefixes, argparse.Namespace, legacy views, protocol 4, zip64)
 * against their expected tensors, byte for byte; the .pth writer round
 * trip; the backbone check and loader on a .pth. Runs from tests/data
 * alone; with ../shared present also on the big files (f32, f16, legacy,
 * official state dict). */
#include <string.h>

#include "dm-backbone-check.h"
#include "dm-pth-writer.h"
#include "dm-safetensors-writer.h"
#include "dm-test-util.h"
#include "dm-vit-weights.h"
#include "dm-weight-file.h"
#include "dm-zip.h"

static char *
data_path (const char *folder, const char *name)
{
  return g_build_filename (dm_test_srcdir (), "data", folder, name, NULL);
}

/* A file of ../shared/testvectors/tiny, or NULL when it is absent. */
static char *
shared_path (const char *name)
{
  const char *shared = dm_test_shared_dir ();
  char *path;

  if (shared == NULL)
    return NULL;
  path = g_build_filename (shared, "testvectors", "tiny", name, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    g_clear_pointer (&path, g_free);
  return path;
}

static DmSafetensors *
open_ok (const char *path, DmWeightFileInfo *info)
{
  g_autoptr (GError) error = NULL;
  DmSafetensors *st = dm_weight_file_open (path, info, &error);

  g_assert_no_error (error);
  g_assert_nonnull (st);
  return st;
}

/* Every tensor of `from` is in `in` under prefix + its name, with the same
 * shape and bit-identical float32 values (dtypes may differ: a bf16 .pth
 * against the f32 vectors). Returns how many were compared. */
static guint
compare_f32 (const DmSafetensors *from,
             const DmSafetensors *in,
             const char *prefix,
             const char *what)
{
  guint n = dm_safetensors_n_tensors (from);

  for (guint i = 0; i < n; i++)
    {
      const DmTensorInfo *a = dm_safetensors_tensor (from, i);
      g_autofree char *key = g_strconcat (prefix, a->name, NULL);
      const DmTensorInfo *b = dm_safetensors_find (in, key);
      g_autoptr (GError) error = NULL;
      g_autofree float *x = NULL, *y = NULL;

      if (b == NULL)
        g_error ("%s: no tensor '%s' in %s", what, key, dm_safetensors_path (in));
      g_assert_true (dm_tensor_info_has_shape (b, a->rank, a->shape));
      x = g_new (float, MAX (a->n_elements, 1));
      y = g_new (float, MAX (a->n_elements, 1));
      g_assert_true (dm_safetensors_read_f32_range (from, a, 0, a->n_elements, x, &error));
      g_assert_true (dm_safetensors_read_f32_range (in, b, 0, b->n_elements, y, &error));
      g_assert_no_error (error);
      dm_test_assert_close (x, y, a->n_elements, 0.0, what);
      if (memcmp (x, y, a->n_elements * sizeof (float)) != 0)
        g_error ("%s: tensor '%s' differs in its bits", what, a->name);
    }
  return n;
}

/* The same tensors (names, dtypes, shapes, bytes), in any order. */
static void
assert_same_tensors (const DmSafetensors *a, const DmSafetensors *b)
{
  g_assert_cmpuint (dm_safetensors_n_tensors (a), ==, dm_safetensors_n_tensors (b));
  for (guint i = 0; i < dm_safetensors_n_tensors (a); i++)
    {
      const DmTensorInfo *t = dm_safetensors_tensor (a, i);
      const DmTensorInfo *u = dm_safetensors_find (b, t->name);

      if (u == NULL)
        g_error ("no tensor '%s' in %s", t->name, dm_safetensors_path (b));
      g_assert_cmpint (t->dtype, ==, u->dtype);
      g_assert_true (dm_tensor_info_has_shape (u, t->rank, t->shape));
      g_assert_cmpuint (t->end - t->begin, ==, u->end - u->begin);
      if (memcmp (dm_safetensors_tensor_bytes (a, t), dm_safetensors_tensor_bytes (b, u),
                  t->end - t->begin)
          != 0)
        g_error ("tensor '%s' differs between %s and %s", t->name, dm_safetensors_path (a),
                 dm_safetensors_path (b));
    }
}

/* The bf16 encoder of tests/data against the 2-block cut of the f32 one;
 * with ../shared, every encoder .pth against the whole f32 file. */
static void
test_encoders (void)
{
  g_autofree char *bf16 = data_path ("pth", "dinov2_tiny_reg4_pretrain_bf16.pth");
  g_autofree char *d2 = data_path ("weights", "encoder_dinov2_f32_d2.safetensors");
  g_autofree char *f32 = shared_path ("encoder_dinov2_f32.safetensors");
  const char *names[]
    = { "pth/dinov2_tiny_reg4_pretrain.pth", "pth/dinov2_tiny_reg4_pretrain_f16.pth",
        "pth/dinov2_tiny_reg4_pretrain_bf16.pth", "pth/dinov2_tiny_reg4_pretrain_legacy.pth" };
  const DmWeightFormat formats[] = { DM_WEIGHT_FORMAT_PTH, DM_WEIGHT_FORMAT_PTH,
                                     DM_WEIGHT_FORMAT_PTH, DM_WEIGHT_FORMAT_PTH_LEGACY };
  DmWeightFileInfo info;

  {
    g_autoptr (DmSafetensors) pth = open_ok (bf16, &info);
    g_autoptr (DmSafetensors) ref = open_ok (d2, NULL);

    g_assert_cmpint (info.format, ==, DM_WEIGHT_FORMAT_PTH);
    g_assert_cmpstr (info.pth.archive, ==, "dinov2_tiny_reg4_pretrain_bf16");
    g_assert_cmpstr (info.pth.found_under, ==, "");
    g_assert_false (info.pth.copied);
    g_assert_cmpuint (dm_safetensors_n_tensors (pth), ==, 148);
    g_assert_cmpint (dm_safetensors_find (pth, "cls_token")->dtype, ==, DM_DTYPE_BF16);
    g_assert_cmpuint (compare_f32 (ref, pth, "", "bf16 .pth = f32 safetensors (2 blocks)"), ==, 36);
    dm_weight_file_info_clear (&info);
  }
  if (f32 == NULL)
    {
      g_test_message ("../shared absent: the f32, f16 and legacy files are not checked");
      return;
    }
  {
    g_autoptr (DmSafetensors) ref = open_ok (f32, NULL);

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autofree char *path = shared_path (names[i]);
        g_autoptr (DmSafetensors) pth = NULL;
        g_autofree char *what = g_strdup_printf ("%s = f32 safetensors", names[i] + 4);

        if (path == NULL)
          g_error ("%s is missing from ../shared", names[i]);
        pth = open_ok (path, &info);
        g_assert_cmpint (info.format, ==, formats[i]);
        g_assert_cmpuint (dm_safetensors_n_tensors (pth), ==, dm_safetensors_n_tensors (ref));
        g_assert_cmpuint (compare_f32 (ref, pth, "", what), ==, 148);
        dm_weight_file_info_clear (&info);
      }
  }
}

/* The official trainer's state dict: encoder.* and the decoder. */
static void
test_official (void)
{
  g_autofree char *path = shared_path ("pth/dinomaly_tiny_official.pth");
  g_autofree char *f32 = shared_path ("encoder_dinov2_f32.safetensors");
  g_autofree char *decoder = data_path ("forward", "decoder_f32.safetensors");

  if (path == NULL || f32 == NULL)
    {
      g_test_skip ("needs ../shared/testvectors/tiny");
      return;
    }
  {
    g_autoptr (DmSafetensors) pth = open_ok (path, NULL);
    g_autoptr (DmSafetensors) enc = open_ok (f32, NULL);
    g_autoptr (DmSafetensors) dec = open_ok (decoder, NULL);

    g_assert_cmpuint (dm_safetensors_n_tensors (pth), ==, 248);
    g_assert_cmpuint (compare_f32 (enc, pth, "encoder.", "official .pth encoder.* = f32"), ==, 148);
    g_assert_cmpuint (compare_f32 (dec, pth, "", "official .pth decoder = decoder_f32"), ==, 100);
  }
}

/* {"model": state dict, "iteration", "lr", "args"}; and views sharing one
 * storage, one of them transposed. */
static void
test_nested_and_views (void)
{
  g_autofree char *nested = data_path ("pth", "dinomaly_tiny_checkpoint_nested.pth");
  g_autofree char *views = data_path ("pth", "views_shared_storage.pth");
  g_autofree char *decoder = data_path ("forward", "decoder_f32.safetensors");
  g_autoptr (DmSafetensors) dec = open_ok (decoder, NULL);
  DmWeightFileInfo info;

  {
    g_autoptr (DmSafetensors) pth = open_ok (nested, &info);
    const char *others[] = { "iteration", "lr", "args", NULL };

    g_assert_cmpstr (info.pth.found_under, ==, "model");
    g_assert_true (g_strv_equal ((const char *const *)info.pth.other_keys, others));
    g_assert_cmpstr (info.pth.stripped_prefix, ==, "");
    g_assert_cmpuint (compare_f32 (pth, dec, "", "nested checkpoint = decoder_f32"), ==, 16);
    g_assert_nonnull (dm_safetensors_find (pth, "decoder.0.mlp.fc2.bias"));
    dm_weight_file_info_clear (&info);
  }
  {
    g_autoptr (DmSafetensors) pth = open_ok (views, &info);

    g_assert_true (info.pth.copied);
    g_assert_cmpuint (compare_f32 (pth, dec, "", "shared storage and strides = decoder_f32"), ==,
                      3);
    dm_weight_file_info_clear (&info);
  }
}

/* make-pth.py's files: exactly their expected tensors, and where they were. */
static void
test_fixtures (void)
{
  static const struct
  {
    const char *name;
    gboolean legacy;
    const char *under;
    const char *prefix;
    const char *others;
    gboolean copied;
  } cases[] = {
    { "checkpoint_ddp_namespace", FALSE, "state_dict", "module.", "epoch,optimizer,args", FALSE },
    { "legacy_views", TRUE, "", "", "", TRUE },
    { "protocol4_parameters", FALSE, "", "", "", TRUE },
    { "zip64_extras", FALSE, "", "", "", TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *file = g_strconcat (cases[i].name, ".pth", NULL);
      g_autofree char *expected_name = g_strconcat (i == 3 ? "protocol4_parameters" : cases[i].name,
                                                    ".expected.safetensors", NULL);
      g_autofree char *path = data_path ("pth", file);
      g_autofree char *expected_path = data_path ("pth", expected_name);
      g_autoptr (DmSafetensors) expected = open_ok (expected_path, NULL);
      g_autoptr (DmSafetensors) pth = NULL;
      g_autofree char *others = NULL;
      DmWeightFileInfo info;

      g_test_message ("%s", file);
      pth = open_ok (path, &info);
      assert_same_tensors (expected, pth);
      g_assert_cmpint (info.pth.legacy, ==, cases[i].legacy);
      g_assert_cmpstr (info.pth.found_under, ==, cases[i].under);
      g_assert_cmpstr (info.pth.stripped_prefix, ==, cases[i].prefix);
      others = g_strjoinv (",", info.pth.other_keys);
      g_assert_cmpstr (others, ==, cases[i].others);
      g_assert_cmpint (info.pth.copied, ==, cases[i].copied);
      dm_weight_file_info_clear (&info);
    }
}

/* Tensors of every dtype torch has a storage for, written as .pth and read
 * back byte for byte; records aligned for torch's mmap; atomic to a file. */
static void
test_writer (void)
{
  g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (DmSafetensors) back = NULL, again = NULL, st_back = NULL;
  g_autoptr (DmZip) zip = NULL;
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (tmp, "state.pth", NULL);
  g_autofree char *st_path = g_build_filename (tmp, "state.safetensors", NULL);
  float f[24];
  double d[3] = { 1.5, -2.25, 1e300 };
  gint64 l[4] = { -1, 0, G_MAXINT64, 3 };
  guint8 b[3] = { 1, 0, 1 };
  gint64 s23[] = { 2, 3 }, s4[] = { 4 }, s3[] = { 3 }, s04[] = { 0, 4 }, s2222[] = { 2, 3, 2, 2 };
  gsize size = 0;
  const guint8 *data;

  dm_test_fill_uniform (f, 24, -2, 2, 7);
  g_assert_true (dm_safetensors_writer_add_f32 (w, "a.weight", DM_DTYPE_F32, f, 2, s23, &error));
  g_assert_true (dm_safetensors_writer_add_f32 (w, "a.half", DM_DTYPE_F16, f, 1, s4, &error));
  g_assert_true (dm_safetensors_writer_add_f32 (w, "a.bf16", DM_DTYPE_BF16, f, 4, s2222, &error));
  g_assert_true (dm_safetensors_writer_add_raw (w, "d", DM_DTYPE_F64, d, 1, s3, &error));
  g_assert_true (dm_safetensors_writer_add_raw (w, "l", DM_DTYPE_I64, l, 1, s4, &error));
  g_assert_true (dm_safetensors_writer_add_raw (w, "mask", DM_DTYPE_BOOL, b, 1, s3, &error));
  g_assert_true (dm_safetensors_writer_add_f32 (w, "scalar", DM_DTYPE_F32, f, 0, NULL, &error));
  g_assert_true (dm_safetensors_writer_add_f32 (w, "empty", DM_DTYPE_F32, f, 2, s04, &error));
  g_assert_no_error (error);

  bytes = dm_pth_write_bytes (w, &error);
  g_assert_no_error (error);
  back = dm_weight_file_new_from_bytes (bytes, "memory.pth", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (dm_safetensors_writer_write (w, st_path, &error));
  st_back = open_ok (st_path, NULL);
  assert_same_tensors (st_back, back);

  data = g_bytes_get_data (bytes, &size);
  zip = dm_zip_open (data, size, "memory.pth", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dm_zip_n_entries (zip), ==, 11); /* data.pkl, byteorder, 8 storages, version */
  for (guint i = 0; i < dm_zip_n_entries (zip); i++)
    g_assert_cmpuint (dm_zip_entry (zip, i)->offset % 64, ==, 0);
  g_assert_cmpmem (dm_zip_entry_data (zip, dm_zip_find (zip, "archive/byteorder")), 6, "little", 6);
  g_assert_cmpmem (dm_zip_entry_data (zip, dm_zip_find (zip, "archive/version")), 2, "3\n", 2);

  g_assert_true (dm_pth_write (w, path, &error));
  g_assert_no_error (error);
  again = open_ok (path, NULL);
  assert_same_tensors (st_back, again);

  {
    g_autoptr (DmSafetensorsWriter) bad = dm_safetensors_writer_new ();
    guint16 u[2] = { 1, 2 };
    gint64 s2[] = { 2 };
    g_autofree char *bad_path = g_build_filename (tmp, "u16.pth", NULL);

    g_assert_true (dm_safetensors_writer_add_raw (bad, "u", DM_DTYPE_U16, u, 1, s2, &error));
    g_assert_false (dm_pth_write (bad, bad_path, &error));
    g_test_message ("%s", error->message);
    dm_test_assert_has (error->message, bad_path);
    dm_test_assert_has (error->message, "no storage type");
    g_assert_false (g_file_test (bad_path, G_FILE_TEST_EXISTS));
  }
}

/* The backbone check and the encoder loader take a .pth like a
 * safetensors file and give the same weights. */
static void
test_backbone (void)
{
  g_autofree char *bf16 = data_path ("pth", "dinov2_tiny_reg4_pretrain_bf16.pth");
  g_autofree char *d2 = data_path ("weights", "encoder_dinov2_f32_d2.safetensors");
  g_autoptr (GError) error = NULL;
  g_autoptr (DmVitWeights) a = NULL, b = NULL;
  DmBackboneCheck check;

  g_assert_true (dm_backbone_check (bf16, &check, &error));
  g_assert_no_error (error);
  g_assert_cmpint (check.probe.config.dim, ==, 128);
  g_assert_cmpint (check.probe.config.depth, ==, 10);
  g_assert_cmpint (check.probe.config.n_registers, ==, 4);
  g_assert_cmpint (check.probe.scheme, ==, DM_VIT_SCHEME_DINOV2);
  g_assert_cmpuint (check.probe.dtype_mask, ==, 1u << DM_DTYPE_BF16);
  g_assert_cmpuint (strlen (check.sha256), ==, 64);
  dm_backbone_check_clear (&check);

  a = dm_vit_weights_load (bf16, 2, &error);
  g_assert_no_error (error);
  b = dm_vit_weights_load (d2, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a->n_floats, ==, b->n_floats);
  dm_test_assert_close (a->arena, b->arena, a->n_floats, 0.0,
                        "encoder loaded from .pth = from safetensors");
  g_assert_cmpmem (a->arena, a->n_floats * sizeof (float), b->arena, b->n_floats * sizeof (float));
}

int
main (int argc, char *argv[])
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pth/encoders", test_encoders);
  g_test_add_func ("/pth/official", test_official);
  g_test_add_func ("/pth/nested-and-views", test_nested_and_views);
  g_test_add_func ("/pth/fixtures", test_fixtures);
  g_test_add_func ("/pth/writer", test_writer);
  g_test_add_func ("/pth/backbone", test_backbone);
  rc = g_test_run ();
  dm_test_print_error_summary ();
  return rc;
}
