/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the bottleneck/decoder parameter arena: the layout table, the
 * training init, loading from state dicts and the errors. */
#include <math.h>
#include <string.h>

#include "dm-dinomaly-weights.h"
#include "dm-error.h"
#include "dm-safetensors-writer.h"
#include "dm-safetensors.h"
#include "dm-test-util.h"

static char *tmpdir;

static void
test_layout (void)
{
  DmDinomalyLayout l;
  DmDinomalyViews v;
  gsize sum = 0;
  float *base = (float *)(gsize)0x1000; /* only pointer arithmetic */

  dm_dinomaly_layout_init (&l, 128);
  g_assert_cmpint (l.mlp_hidden, ==, 512);
  g_assert_cmpstr (l.params[0].name, ==, "bottleneck.0.fc1.weight");
  g_assert_cmpint (l.params[0].shape[0], ==, 512);
  g_assert_cmpint (l.params[0].shape[1], ==, 128);
  g_assert_cmpstr (l.params[3].name, ==, "bottleneck.0.fc2.bias");
  g_assert_cmpstr (l.params[4].name, ==, "decoder.0.norm1.weight");
  g_assert_cmpint (l.params[4].kind, ==, DM_PARAM_NORM_WEIGHT);
  g_assert_cmpstr (l.params[6].name, ==, "decoder.0.attn.qkv.weight");
  g_assert_cmpint (l.params[6].shape[0], ==, 384);
  g_assert_cmpstr (l.params[DM_DINOMALY_N_PARAMS - 1].name, ==, "decoder.7.mlp.fc2.bias");
  for (guint i = 0; i < DM_DINOMALY_N_PARAMS; i++)
    {
      const DmParamInfo *p = &l.params[i];
      g_assert_cmpuint (p->offset % 16, ==, 0);
      g_assert_cmpuint (p->offset, ==, sum); /* D = 128: no padding */
      g_assert_cmpuint (p->n_elements, ==, p->shape[0] * (p->rank == 2 ? p->shape[1] : 1));
      g_assert_true (dm_dinomaly_layout_find (&l, p->name) == p);
      sum += p->n_elements;
    }
  g_assert_cmpuint (l.n_floats, ==, 1717888); /* the parameters of the tiny decoder */
  g_assert_null (dm_dinomaly_layout_find (&l, "decoder.8.norm1.weight"));

  dm_dinomaly_views_point (&v, &l, base);
  g_assert_true (v.bottleneck.fc1_w == base);
  g_assert_true (v.blocks[3].qkv_w
                 == base + dm_dinomaly_layout_find (&l, "decoder.3.attn.qkv.weight")->offset);
  g_assert_true (v.blocks[7].fc2_b == base + l.params[DM_DINOMALY_N_PARAMS - 1].offset);
  g_assert_true (v.blocks[5].norm2_b
                 == base + dm_dinomaly_layout_find (&l, "decoder.5.norm2.bias")->offset);

  /* D = 100: every tensor still starts on 64 bytes. */
  dm_dinomaly_layout_init (&l, 100);
  for (guint i = 0; i < DM_DINOMALY_N_PARAMS; i++)
    g_assert_cmpuint (l.params[i].offset % 16, ==, 0);
  g_assert_cmpuint (l.n_floats, >, 100 * 400 * 2 + 8 * (100 * 100 * 4 + 2 * 100 * 400));
}

static void
test_init (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmDinomalyWeights) a = dm_dinomaly_weights_new (100, &error);
  g_autoptr (DmDinomalyWeights) b = dm_dinomaly_weights_new (100, &error);
  double sum = 0, sum2 = 0, maxabs = 0;
  gsize n = 0, used = 0;

  g_assert_no_error (error);
  dm_dinomaly_weights_init (a, 7);
  dm_dinomaly_weights_init (b, 7);
  g_assert_cmpmem (a->arena, a->layout.n_floats * 4, b->arena, b->layout.n_floats * 4);
  dm_dinomaly_weights_init (b, 8);
  g_assert_true (memcmp (a->arena, b->arena, a->layout.n_floats * 4) != 0);

  for (guint i = 0; i < DM_DINOMALY_N_PARAMS; i++)
    {
      const DmParamInfo *p = &a->layout.params[i];
      const float *x = a->arena + p->offset;

      used += p->n_elements;
      for (gsize j = 0; j < p->n_elements; j++)
        switch (p->kind)
          {
          case DM_PARAM_LINEAR_WEIGHT:
            sum += x[j];
            sum2 += (double)x[j] * x[j];
            maxabs = MAX (maxabs, fabs (x[j]));
            n++;
            break;
          case DM_PARAM_NORM_WEIGHT: g_assert_cmpfloat (x[j], ==, 1.0f); break;
          case DM_PARAM_BIAS:
          default: g_assert_cmpfloat (x[j], ==, 0.0f);
          }
      /* padding after the tensor stays zero */
      for (gsize j = p->offset + p->n_elements;
           j < (i + 1 < DM_DINOMALY_N_PARAMS ? a->layout.params[i + 1].offset : a->layout.n_floats);
           j++)
        g_assert_cmpfloat (a->arena[j], ==, 0.0f);
    }
  g_assert_cmpuint (used, <, a->layout.n_floats);
  {
    double mean = sum / n, std = sqrt (sum2 / n - mean * mean);
    /* a normal of std 0.01 cut at 3 sigma has std 0.00987 */
    g_test_message ("init: %" G_GSIZE_FORMAT " linear weights, mean %.3g, std %.5f, max |w| %.5f",
                    n, mean, std, maxabs);
    g_assert_cmpfloat (fabs (mean), <, 1e-4);
    g_assert_cmpfloat (fabs (std - 0.00987), <, 0.0001);
    g_assert_cmpfloat (maxabs, <=, 0.03);
    g_assert_cmpfloat (maxabs, >, 0.029);
  }
}

/* Writes w's tensors behind prefix, without `skip`, plus one extra zero
 * tensor (name, shape) when given. */
static char *
write_state (const DmDinomalyWeights *w,
             const char *name,
             const char *prefix,
             const char *skip,
             const char *extra,
             int extra_rank,
             const gint64 *extra_shape)
{
  g_autoptr (DmSafetensorsWriter) writer = dm_safetensors_writer_new ();
  g_autoptr (GError) error = NULL;
  static float zeros[512 * 512];
  char *path = g_build_filename (tmpdir, name, NULL);

  for (guint i = 0; i < DM_DINOMALY_N_PARAMS; i++)
    {
      const DmParamInfo *p = &w->layout.params[i];
      g_autofree char *key = g_strconcat (prefix, p->name, NULL);

      if (g_strcmp0 (p->name, skip) == 0)
        continue;
      dm_safetensors_writer_add_f32 (writer, key, DM_DTYPE_F32, w->arena + p->offset, p->rank,
                                     p->shape, &error);
      g_assert_no_error (error);
    }
  if (extra != NULL)
    dm_safetensors_writer_add_f32 (writer, extra, DM_DTYPE_F32, zeros, extra_rank, extra_shape,
                                   &error);
  g_assert_no_error (error);
  g_assert_true (dm_safetensors_writer_write (writer, path, &error));
  g_assert_no_error (error);
  return path;
}

static DmSafetensors *
open_ok (const char *path)
{
  g_autoptr (GError) error = NULL;
  DmSafetensors *st = dm_safetensors_open (path, &error);

  g_assert_no_error (error);
  return st;
}

static void
test_load (void)
{
  g_autoptr (DmDinomalyWeights) w = dm_dinomaly_weights_new (128, NULL);
  g_autoptr (GError) error = NULL;
  const char *prefixes[] = { "", "module." };

  dm_dinomaly_weights_init (w, 3);
  for (guint k = 0; k < G_N_ELEMENTS (prefixes); k++)
    {
      g_autofree char *name = g_strdup_printf ("state-%u.safetensors", k);
      g_autofree char *path = write_state (w, name, prefixes[k], NULL, NULL, 0, NULL);
      g_autoptr (DmSafetensors) st = open_ok (path);
      g_autoptr (DmDinomalyWeights) back = NULL;
      DmDinomalyProbe probe;

      g_assert_true (dm_dinomaly_probe (st, &probe, &error));
      g_assert_cmpstr (probe.prefix, ==, prefixes[k]);
      g_assert_cmpint (probe.dim, ==, 128);
      g_assert_cmpuint (probe.n_params, ==, 1717888);
      g_assert_cmpuint (probe.dtype_mask, ==, 1u << DM_DTYPE_F32);
      dm_dinomaly_probe_clear (&probe);
      back = dm_dinomaly_weights_load (st, 128, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (back->arena, back->layout.n_floats * 4, w->arena, w->layout.n_floats * 4);
    }
}

static void
test_load_shared (void)
{
  g_autofree char *path = NULL;
  g_autoptr (DmSafetensors) st = NULL;
  g_autoptr (DmDinomalyWeights) w = NULL;
  g_autoptr (GError) error = NULL;

  if (dm_test_shared_dir () == NULL)
    {
      g_test_skip ("../shared is absent");
      return;
    }
  path = g_build_filename (dm_test_shared_dir (), "testvectors", "tiny", "decoder_f32.safetensors",
                           NULL);
  st = open_ok (path);
  w = dm_dinomaly_weights_load (st, 0, &error);
  g_assert_no_error (error);
  /* The file is written in the official order: so is the arena. */
  g_assert_cmpuint (dm_safetensors_n_tensors (st), ==, DM_DINOMALY_N_PARAMS);
  for (guint i = 0; i < DM_DINOMALY_N_PARAMS; i++)
    {
      const DmTensorInfo *t = dm_safetensors_tensor (st, i);
      const DmParamInfo *p = &w->layout.params[i];

      g_assert_cmpstr (t->name, ==, p->name);
      g_assert_cmpuint (t->begin, ==, p->offset * 4);
      g_assert_cmpmem (dm_safetensors_tensor_bytes (st, t), t->end - t->begin, w->arena + p->offset,
                       p->n_elements * 4);
    }
}

static void
test_errors (void)
{
  g_autoptr (DmDinomalyWeights) w = dm_dinomaly_weights_new (128, NULL);
  const struct
  {
    const char *what, *skip, *extra;
    int rank;
    gint64 shape[2];
    const char *expect;
  } cases[] = {
    { "missing tensor",
      "decoder.7.mlp.fc2.bias",
      NULL,
      0,
      { 0 },
      "tensor 'decoder.7.mlp.fc2.bias' is missing" },
    { "missing norm",
      "decoder.2.norm1.weight",
      NULL,
      0,
      { 0 },
      "tensor 'decoder.2.norm1.weight' is missing" },
    { "wrong shape",
      "decoder.3.attn.qkv.weight",
      "decoder.3.attn.qkv.weight",
      2,
      { 384, 64 },
      "tensor 'decoder.3.attn.qkv.weight' is F32 (384, 64), expected float (384, 128)" },
    { "MLP ratio",
      "bottleneck.0.fc1.weight",
      "bottleneck.0.fc1.weight",
      2,
      { 256, 128 },
      "expected (4D, D) (MLP ratio 4)" },
    { "nine blocks", NULL, "decoder.8.norm1.weight", 1, { 128 }, "more than 8 decoder blocks" },
    { "no bottleneck",
      "bottleneck.0.fc1.weight",
      NULL,
      0,
      { 0 },
      "no Dinomaly bottleneck/decoder ('bottleneck.0.fc1.weight' is missing although decoder "
      "blocks are there)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("bad-state-%u.safetensors", i);
      g_autofree char *path
        = write_state (w, name, "", cases[i].skip, cases[i].extra, cases[i].rank, cases[i].shape);
      g_autoptr (DmSafetensors) st = open_ok (path);
      g_autoptr (GError) error = NULL;
      g_autoptr (DmDinomalyWeights) back = dm_dinomaly_weights_load (st, 0, &error);

      g_test_message ("%s: %s", cases[i].what, error != NULL ? error->message : "(accepted!)");
      g_assert_null (back);
      g_assert_nonnull (error);
      g_assert_true (g_str_has_prefix (error->message, path));
      if (strstr (error->message, cases[i].expect) == NULL)
        g_error ("%s: '%s' lacks '%s'", cases[i].what, error->message, cases[i].expect);
    }

  /* Decoder and backbone widths that do not fit. */
  {
    g_autofree char *path = write_state (w, "width.safetensors", "", NULL, NULL, 0, NULL);
    g_autoptr (DmSafetensors) st = open_ok (path);
    g_autoptr (GError) error = NULL;

    g_assert_null (dm_dinomaly_weights_load (st, 384, &error));
    g_assert_error (error, DM_ERROR, DM_ERROR_MISMATCH);
    g_test_message ("width: %s", error->message);
    g_assert_nonnull (
      strstr (error->message, "the decoder is 128 wide but the backbone is 384 wide"));
  }
  /* An encoder file has no decoder. */
  {
    g_autofree char *path = g_build_filename (dm_test_srcdir (), "data", "weights",
                                              "encoder_dinov2_f32_d2.safetensors", NULL);
    g_autoptr (DmSafetensors) st = open_ok (path);
    g_autoptr (GError) error = NULL;

    g_assert_null (dm_dinomaly_weights_load (st, 0, &error));
    g_assert_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED);
    g_assert_nonnull (strstr (error->message, "no Dinomaly bottleneck/decoder"));
  }
  {
    g_autoptr (GError) error = NULL;
    g_assert_null (dm_dinomaly_weights_new (0, &error));
    g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  }
}

int
main (int argc, char *argv[])
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmpdir = dm_test_make_tmpdir ();
  g_test_add_func ("/dinomaly-weights/layout", test_layout);
  g_test_add_func ("/dinomaly-weights/init", test_init);
  g_test_add_func ("/dinomaly-weights/load", test_load);
  g_test_add_func ("/dinomaly-weights/load-shared", test_load_shared);
  g_test_add_func ("/dinomaly-weights/errors", test_errors);
  rc = g_test_run ();
  g_free (tmpdir);
  return rc;
}
