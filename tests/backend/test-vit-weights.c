/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the encoder weights: the three naming schemes load to
 * bit-identical float32 weights, prefixes are found, and files that are not
 * a DINOv2 ViT are refused with the reason (no registers: test-vit-noreg.c). */
#include <glib/gstdio.h>
#include <string.h>

#include "dm-dinomaly-weights.h"
#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-safetensors-writer.h"
#include "dm-safetensors.h"
#include "dm-test-util.h"
#include "dm-vit-weights.h"

static char *tmpdir;
static float *zeros; /* enough zero floats for any replacement tensor */
#define N_ZEROS (1 << 18)

static char *
data_path (const char *name)
{
  return g_build_filename (dm_test_srcdir (), "data", "weights", name, NULL);
}

static DmVitWeights *
load_ok (const char *path, int n_blocks)
{
  g_autoptr (GError) error = NULL;
  DmVitWeights *w = dm_vit_weights_load (path, n_blocks, &error);

  g_assert_no_error (error);
  g_assert_nonnull (w);
  return w;
}

static void
check_tiny_config (const DmVitWeights *w, int depth)
{
  const DmVitConfig *c = &w->config;

  g_assert_cmpint (c->dim, ==, 128);
  g_assert_cmpint (c->heads, ==, 2);
  g_assert_cmpint (c->head_dim, ==, 64);
  g_assert_cmpint (c->depth, ==, depth);
  g_assert_cmpint (c->n_registers, ==, 4);
  g_assert_cmpint (c->patch_size, ==, 14);
  g_assert_cmpint (c->pos_grid, ==, 37);
  g_assert_cmpint (c->mlp_hidden, ==, 512);
  g_assert_cmpfloat (c->ln_eps, ==, 1e-6f);
  g_assert_cmpstr (w->prefix, ==, "");
  /* views start on 64-byte boundaries (D = 128 is a multiple of 16) */
  g_assert_true (((guintptr)w->arena & 63) == 0);
  g_assert_true (((guintptr)w->pos_grid & 63) == 0);
  g_assert_true (((guintptr)w->patch_w & 63) == 0);
  g_assert_true (((guintptr)w->blocks[w->n_blocks - 1].fc2_w & 63) == 0);
  g_assert_true (w->pos_grid == w->cls_pos + c->dim);
}

static void
assert_same (const char *what, const float *a, const float *b, gsize n)
{
  if (memcmp (a, b, n * sizeof (float)) != 0)
    {
      for (gsize i = 0; i < n; i++)
        if (memcmp (&a[i], &b[i], sizeof (float)) != 0)
          g_error ("%s differs at %" G_GSIZE_FORMAT ": %.9g vs %.9g", what, i, a[i], b[i]);
    }
}

/* Every array bit for bit; for timm the cls position is folded into the
 * cls token and the mask token is absent. */
static void
compare_weights (const DmVitWeights *a, const DmVitWeights *b)
{
  const DmVitConfig *c = &a->config;
  gsize d = c->dim, h = c->mlp_hidden, gg = (gsize)c->pos_grid * c->pos_grid;
  gboolean timm = b->scheme == DM_VIT_SCHEME_TIMM && a->scheme != DM_VIT_SCHEME_TIMM;

  g_assert_true (dm_vit_config_equal (&a->config, &b->config));
  g_assert_cmpint (a->n_blocks, ==, b->n_blocks);
  g_assert_cmpuint (a->n_floats, ==, b->n_floats);
  assert_same ("pos_grid", a->pos_grid, b->pos_grid, gg * d);
  assert_same ("register_tokens", a->register_tokens, b->register_tokens, c->n_registers * d);
  assert_same ("patch_w", a->patch_w, b->patch_w, d * 3 * c->patch_size * c->patch_size);
  assert_same ("patch_b", a->patch_b, b->patch_b, d);
  assert_same ("norm_w", a->norm_w, b->norm_w, d);
  assert_same ("norm_b", a->norm_b, b->norm_b, d);
  if (timm)
    for (gsize i = 0; i < d; i++)
      {
        /* exact: the tiny values lie on the 1/128 grid (testvectors §1) */
        g_assert_cmpfloat (b->cls_token[i], ==, a->cls_token[i] + a->cls_pos[i]);
        g_assert_cmpfloat (b->cls_pos[i], ==, 0.0f);
        g_assert_cmpfloat (b->mask_token[i], ==, 0.0f);
      }
  else
    {
      assert_same ("cls_token", a->cls_token, b->cls_token, d);
      assert_same ("cls_pos", a->cls_pos, b->cls_pos, d);
      assert_same ("mask_token", a->mask_token, b->mask_token, d);
    }
  for (int i = 0; i < a->n_blocks; i++)
    {
      const DmVitBlockWeights *x = &a->blocks[i], *y = &b->blocks[i];
      const struct
      {
        const char *name;
        const float *p, *q;
        gsize n;
      } v[] = {
        { "norm1_w", x->norm1_w, y->norm1_w, d },
        { "norm1_b", x->norm1_b, y->norm1_b, d },
        { "qkv_w", x->qkv_w, y->qkv_w, 3 * d * d },
        { "qkv_b", x->qkv_b, y->qkv_b, 3 * d },
        { "proj_w", x->proj_w, y->proj_w, d * d },
        { "proj_b", x->proj_b, y->proj_b, d },
        { "ls1", x->ls1, y->ls1, d },
        { "norm2_w", x->norm2_w, y->norm2_w, d },
        { "norm2_b", x->norm2_b, y->norm2_b, d },
        { "fc1_w", x->fc1_w, y->fc1_w, h * d },
        { "fc1_b", x->fc1_b, y->fc1_b, h },
        { "fc2_w", x->fc2_w, y->fc2_w, d * h },
        { "fc2_b", x->fc2_b, y->fc2_b, d },
        { "ls2", x->ls2, y->ls2, d },
      };
      for (guint k = 0; k < G_N_ELEMENTS (v); k++)
        assert_same (v[k].name, v[k].p, v[k].q, v[k].n);
    }
}

/* One array checked against the raw bytes of the file, widened by hand. */
static void
check_raw (const DmVitWeights *w, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) st = dm_safetensors_open (path, &error);
  const char *name = w->scheme == DM_VIT_SCHEME_HF
                       ? "encoder.layer.1.attention.attention.key.weight"
                       : "blocks.1.attn.qkv.weight";
  const DmTensorInfo *t = dm_safetensors_find (st, name);
  const guint8 *raw = dm_safetensors_tensor_bytes (st, t);
  gsize d = w->config.dim, first = w->scheme == DM_VIT_SCHEME_HF ? d * d : 0;

  g_assert_nonnull (t);
  for (gsize i = 0; i < t->n_elements; i++)
    {
      guint16 h = (guint16)(raw[2 * i] | (raw[2 * i + 1] << 8));
      float want;

      if (t->dtype == DM_DTYPE_F32)
        memcpy (&want, raw + 4 * i, 4);
      else
        want = t->dtype == DM_DTYPE_F16 ? dm_f16_to_f32 (h) : dm_bf16_to_f32 (h);
      g_assert_cmpfloat (w->blocks[1].qkv_w[first + i], ==, want);
    }
}

static void
test_schemes_committed (void)
{
  g_autofree char *po = data_path ("encoder_dinov2_f32_d2.safetensors");
  g_autofree char *ph = data_path ("hf/model.safetensors");
  g_autofree char *pt = data_path ("encoder_timm_bf16_d2.safetensors");
  g_autoptr (DmVitWeights) o = load_ok (po, -1);
  g_autoptr (DmVitWeights) h = load_ok (ph, -1);
  g_autoptr (DmVitWeights) t = load_ok (pt, -1);

  g_assert_cmpint (o->scheme, ==, DM_VIT_SCHEME_DINOV2);
  g_assert_cmpint (h->scheme, ==, DM_VIT_SCHEME_HF);
  g_assert_cmpint (t->scheme, ==, DM_VIT_SCHEME_TIMM);
  g_assert_cmpint (o->source_dtype, ==, DM_DTYPE_F32);
  g_assert_cmpint (h->source_dtype, ==, DM_DTYPE_F16);
  g_assert_cmpint (t->source_dtype, ==, DM_DTYPE_BF16);
  check_tiny_config (o, 2);
  check_tiny_config (h, 2);
  check_tiny_config (t, 2);
  compare_weights (o, h);
  compare_weights (o, t);
  /* Same scheme layout and no folding between original and HF: the whole
   * arenas agree, padding included. */
  g_assert_cmpmem (o->arena, o->n_floats * 4, h->arena, h->n_floats * 4);
  check_raw (o, po);
  check_raw (h, ph);
  check_raw (t, pt);
}

static void
test_schemes_shared (void)
{
  const char *shared = dm_test_shared_dir ();
  g_autofree char *po = NULL, *ph = NULL, *pt = NULL;
  g_autoptr (DmVitWeights) o = NULL, h = NULL, t = NULL, o3 = NULL, t3 = NULL;
  gint64 start;

  if (shared == NULL)
    {
      g_test_skip ("../shared is absent");
      return;
    }
  po = g_build_filename (shared, "testvectors", "tiny", "encoder_dinov2_f32.safetensors", NULL);
  ph = g_build_filename (shared, "testvectors", "tiny", "hf", "model.safetensors", NULL);
  pt = g_build_filename (shared, "testvectors", "tiny", "encoder_timm_bf16.safetensors", NULL);
  start = g_get_monotonic_time ();
  o = load_ok (po, -1);
  h = load_ok (ph, -1);
  t = load_ok (pt, -1);
  g_test_message ("three tiny encoders (depth 10) loaded in %.1f ms",
                  (g_get_monotonic_time () - start) / 1000.0);
  check_tiny_config (o, 10);
  check_tiny_config (h, 10);
  check_tiny_config (t, 10);
  compare_weights (o, h);
  compare_weights (o, t);
  check_raw (o, po);
  check_raw (h, ph);
  check_raw (t, pt);

  /* Only the first blocks: the same numbers, a smaller arena. */
  o3 = load_ok (po, 3);
  t3 = load_ok (pt, 3);
  g_assert_cmpint (o3->n_blocks, ==, 3);
  g_assert_cmpint (o3->config.depth, ==, 10);
  g_assert_cmpuint (o3->n_floats, <, o->n_floats);
  g_assert_cmpmem (o3->arena, o3->n_floats * 4, o->arena, o3->n_floats * 4);
  compare_weights (o3, t3);
}

static void
test_n_blocks (void)
{
  g_autofree char *po = data_path ("encoder_dinov2_f32_d2.safetensors");
  g_autoptr (DmVitWeights) all = load_ok (po, -1);
  g_autoptr (DmVitWeights) one = load_ok (po, 1);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (one->n_blocks, ==, 1);
  g_assert_cmpint (one->config.depth, ==, 2);
  g_assert_cmpmem (one->arena, one->n_floats * 4, all->arena, one->n_floats * 4);
  g_assert_null (dm_vit_weights_load (po, 3, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "3 blocks asked for, the encoder has 2"));
}

static gboolean
skipped (const char *name, const char *const *skip)
{
  for (int i = 0; skip != NULL && skip[i] != NULL; i++)
    {
      gsize n = strlen (skip[i]);
      if (strcmp (name, skip[i]) == 0
          || (skip[i][n - 1] == '.' && g_str_has_prefix (name, skip[i])))
        return TRUE;
    }
  return FALSE;
}

/* A writer holding st's tensors (bytes as they are) behind prefix, less the
 * skipped ones (exact names, or prefixes ending with '.'). */
static DmSafetensorsWriter *
copy_tensors (const DmSafetensors *st, const char *prefix, const char *const *skip)
{
  DmSafetensorsWriter *w = dm_safetensors_writer_new ();

  for (guint i = 0; i < dm_safetensors_n_tensors (st); i++)
    {
      const DmTensorInfo *t = dm_safetensors_tensor (st, i);
      g_autofree char *key = g_strconcat (prefix, t->name, NULL);
      g_autoptr (GError) error = NULL;

      if (skipped (t->name, skip))
        continue;
      dm_safetensors_writer_add_raw (w, key, t->dtype, dm_safetensors_tensor_bytes (st, t), t->rank,
                                     t->shape, &error);
      g_assert_no_error (error);
    }
  return w;
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
write_ok (DmSafetensorsWriter *w, const char *path)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (dm_safetensors_writer_write (w, path, &error));
  g_assert_no_error (error);
}

static void
test_prefixes (void)
{
  static const char *prefixes[] = { "encoder.", "model.", "backbone.", "module.backbone." };
  g_autofree char *po = data_path ("encoder_dinov2_f32_d2.safetensors");
  g_autofree char *ph = data_path ("hf/model.safetensors");
  g_autoptr (DmSafetensors) so = open_ok (po);
  g_autoptr (DmSafetensors) sh = open_ok (ph);
  g_autoptr (DmVitWeights) o = load_ok (po, -1);
  g_autoptr (DmDinomalyWeights) dec = dm_dinomaly_weights_new (128, NULL);
  DmVitProbe plain, probe;
  g_autoptr (GError) error = NULL;

  g_assert_true (dm_vit_probe (so, NULL, &plain, &error));
  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    for (int hf = 0; hf < 2; hf++)
      {
        g_autoptr (DmSafetensorsWriter) w = copy_tensors (hf ? sh : so, prefixes[i], NULL);
        g_autofree char *name = g_strdup_printf ("prefix-%u-%d.safetensors", i, hf);
        g_autofree char *path = g_build_filename (tmpdir, name, NULL);
        g_autoptr (DmSafetensors) st = NULL;
        g_autoptr (DmVitWeights) p = NULL;

        /* A full Dinomaly state dict: the decoder must not count as encoder. */
        if (i == 0)
          g_assert_true (dm_dinomaly_weights_add_to_writer (dec, w, &error));
        write_ok (w, path);
        st = open_ok (path);
        g_assert_true (dm_vit_probe (st, NULL, &probe, &error));
        g_assert_no_error (error);
        g_assert_cmpstr (probe.prefix, ==, prefixes[i]);
        g_assert_cmpuint (probe.n_params, ==, plain.n_params);
        dm_vit_probe_clear (&probe);
        p = dm_vit_weights_load_from (st, NULL, -1, &error);
        g_assert_no_error (error);
        g_assert_cmpstr (p->prefix, ==, prefixes[i]);
        g_assert_cmpmem (p->arena, p->n_floats * 4, o->arena, o->n_floats * 4);
      }

  /* A state dict without prefix: encoder and decoder side by side. */
  {
    g_autoptr (DmSafetensorsWriter) w = copy_tensors (so, "", NULL);
    g_autofree char *path = g_build_filename (tmpdir, "prefix-none.safetensors", NULL);
    g_autoptr (DmSafetensors) st = NULL;

    g_assert_true (dm_dinomaly_weights_add_to_writer (dec, w, &error));
    write_ok (w, path);
    st = open_ok (path);
    g_assert_true (dm_vit_probe (st, NULL, &probe, &error));
    g_assert_cmpuint (probe.n_params, ==, plain.n_params);
    g_assert_cmpuint (probe.n_tensors, ==, plain.n_tensors);
    dm_vit_probe_clear (&probe);
  }
  dm_vit_probe_clear (&plain);
}

typedef struct
{
  const char *what;
  const char *source; /* committed file the case starts from, NULL: none */
  const char *skip[4];
  const char *add_name; /* one tensor added (zeros), or NULL */
  DmDtype add_dtype;
  int add_rank;
  gint64 add_shape[4];
  const char *config; /* a config.json beside the file, or NULL */
  const char *expect;
} ArchCase;

static void
test_wrong_architecture (void)
{
  static const char *orig = "encoder_dinov2_f32_d2.safetensors";
  static const char *timm = "encoder_timm_bf16_d2.safetensors";
  static const char *hf = "hf/model.safetensors";
  static const char *hf_config
    = "{\"model_type\": \"dinov2_with_registers\", \"hidden_size\": 128, "
      "\"num_attention_heads\": 2, \"num_hidden_layers\": 2, "
      "\"num_register_tokens\": 4, \"patch_size\": 14, \"mlp_ratio\": 4, "
      "\"image_size\": 518, \"layer_norm_eps\": 1e-6";
  const ArchCase cases[] = {
    { "missing block tensor",
      orig,
      { "blocks.1.mlp.fc2.weight" },
      NULL,
      0,
      0,
      { 0 },
      NULL,
      "tensor 'blocks.1.mlp.fc2.weight' is missing" },
    { "missing block",
      orig,
      { "blocks.0." },
      NULL,
      0,
      0,
      { 0 },
      NULL,
      "tensor 'blocks.0.mlp.fc1.weight' is missing" },
    { "missing LayerScale",
      timm,
      { "blocks.1.ls2.gamma" },
      NULL,
      0,
      0,
      { 0 },
      NULL,
      "tensor 'blocks.1.ls2.gamma' is missing" },
    { "missing HF value",
      hf,
      { "encoder.layer.1.attention.attention.value.bias" },
      NULL,
      0,
      0,
      { 0 },
      NULL,
      "tensor 'encoder.layer.1.attention.attention.value.bias' is missing" },
    { "no blocks", orig, { "blocks." }, NULL, 0, 0, { 0 }, NULL, "no transformer blocks" },
    { "missing cls",
      orig,
      { "cls_token" },
      NULL,
      0,
      0,
      { 0 },
      NULL,
      "tensor 'cls_token' is missing" },
    { "missing positions",
      timm,
      { "pos_embed" },
      NULL,
      0,
      0,
      { 0 },
      NULL,
      "tensor 'pos_embed' is missing" },
    { "inconsistent MLP",
      orig,
      { "blocks.1.mlp.fc1.weight" },
      "blocks.1.mlp.fc1.weight",
      DM_DTYPE_F32,
      2,
      { 256, 128 },
      NULL,
      "tensor 'blocks.1.mlp.fc1.weight' has shape (256, 128), expected (512, 128)" },
    { "inconsistent qkv",
      orig,
      { "blocks.0.attn.qkv.weight" },
      "blocks.0.attn.qkv.weight",
      DM_DTYPE_F32,
      2,
      { 384, 64 },
      NULL,
      "has shape (384, 64), expected (384, 128)" },
    { "inconsistent HF query",
      hf,
      { "encoder.layer.0.attention.attention.query.weight" },
      "encoder.layer.0.attention.attention.query.weight",
      DM_DTYPE_F16,
      2,
      { 128, 64 },
      NULL,
      "has shape (128, 64), expected (128, 128)" },
    { "positions not a square",
      orig,
      { "pos_embed" },
      "pos_embed",
      DM_DTYPE_F32,
      3,
      { 1, 1000, 128 },
      NULL,
      "expected (1, 1 + G*G, 128) for a square grid" },
    { "gray patch embedding",
      orig,
      { "patch_embed.proj.weight" },
      "patch_embed.proj.weight",
      DM_DTYPE_F32,
      4,
      { 128, 1, 14, 14 },
      NULL,
      "expected (D, 3, P, P)" },
    { "integer weights",
      orig,
      { "blocks.0.ls1.gamma" },
      "blocks.0.ls1.gamma",
      DM_DTYPE_I32,
      1,
      { 128 },
      NULL,
      "tensor 'blocks.0.ls1.gamma' is I32" },
    { "block after a gap",
      orig,
      { NULL },
      "blocks.5.norm1.weight",
      DM_DTYPE_F32,
      1,
      { 128 },
      NULL,
      "tensor 'blocks.2.norm1.weight' is missing" },
    { "two encoders",
      orig,
      { NULL },
      "model.patch_embed.proj.weight",
      DM_DTYPE_F32,
      4,
      { 128, 3, 14, 14 },
      NULL,
      "more than one encoder" },
    { "random tensors",
      NULL,
      { NULL },
      "a",
      DM_DTYPE_F32,
      2,
      { 3, 4 },
      NULL,
      "none of its 1 tensors is a patch embedding" },
    { "ResNet",
      NULL,
      { NULL },
      "layer1.0.conv1.weight",
      DM_DTYPE_F32,
      4,
      { 64, 64, 3, 3 },
      NULL,
      "looks like a ResNet" },
    { "HF config width",
      hf,
      { NULL },
      NULL,
      0,
      0,
      { 0 },
      "{\"hidden_size\": 256}",
      "hidden_size is 256 but the weights have" },
    { "HF config depth",
      hf,
      { NULL },
      NULL,
      0,
      0,
      { 0 },
      "{\"num_hidden_layers\": 10}",
      "num_hidden_layers is 10 but the weights have" },
    { "HF config registers",
      hf,
      { NULL },
      NULL,
      0,
      0,
      { 0 },
      "{\"num_register_tokens\": 0}",
      "num_register_tokens is 0" },
    { "HF config SwiGLU",
      hf,
      { NULL },
      NULL,
      0,
      0,
      { 0 },
      "{\"use_swiglu_ffn\": true}",
      "DINOv2 giant (ViT-g/14) and other SwiGLU encoders have a different block" },
    { "HF config heads",
      hf,
      { NULL },
      NULL,
      0,
      0,
      { 0 },
      "{\"num_attention_heads\": 3}",
      "num_attention_heads 3 does not divide the width 128" },
    { "HF config model type",
      hf,
      { NULL },
      NULL,
      0,
      0,
      { 0 },
      "{\"model_type\": \"vit\"}",
      "model_type 'vit' is not a DINOv2 model" },
    { "HF config not JSON",
      hf,
      { NULL },
      NULL,
      0,
      0,
      { 0 },
      "{\"hidden_size\": ",
      "not valid JSON" },
  };
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const ArchCase *c = &cases[i];
      g_autofree char *dir = g_strdup_printf ("%s/arch-%02u", tmpdir, i);
      g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
      g_autofree char *src = c->source != NULL ? data_path (c->source) : NULL;
      g_autoptr (DmSafetensors) st = src != NULL ? open_ok (src) : NULL;
      g_autoptr (DmSafetensorsWriter) w
        = st != NULL ? copy_tensors (st, "", c->skip) : dm_safetensors_writer_new ();
      g_autoptr (DmVitWeights) vit = NULL;

      g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
      if (c->add_name != NULL)
        {
          if (c->add_dtype == DM_DTYPE_I32 || c->add_dtype == DM_DTYPE_F16)
            dm_safetensors_writer_add_raw (w, c->add_name, c->add_dtype, zeros, c->add_rank,
                                           c->add_shape, &error);
          else
            dm_safetensors_writer_add_f32 (w, c->add_name, c->add_dtype, zeros, c->add_rank,
                                           c->add_shape, &error);
          g_assert_no_error (error);
        }
      if (g_str_equal (c->what, "ResNet"))
        dm_safetensors_writer_add_f32 (w, "conv1.weight", DM_DTYPE_F32, zeros, 4,
                                       (gint64[]){ 64, 3, 7, 7 }, NULL);
      write_ok (w, path);
      if (c->config != NULL)
        {
          g_autofree char *config_path = g_build_filename (dir, "config.json", NULL);
          g_autofree char *text = g_str_has_prefix (c->config, "{\"hidden_size\": ")
                                      && !g_str_has_suffix (c->config, "}")
                                    ? g_strdup (c->config)
                                    : g_strdup_printf ("%s, %s", hf_config, c->config + 1);
          g_file_set_contents (config_path, text, -1, &error);
          g_assert_no_error (error);
        }
      vit = dm_vit_weights_load (path, -1, &error);
      g_test_message ("%s: %s", c->what, error != NULL ? error->message : "(accepted!)");
      g_assert_null (vit);
      g_assert_nonnull (error);
      if (strstr (error->message, c->expect) == NULL)
        g_error ("%s: message '%s' lacks '%s'", c->what, error->message, c->expect);
      g_assert_nonnull (strstr (error->message, path));
      g_clear_error (&error);
    }
}

/* A bottleneck/decoder file given as the backbone. */
static void
test_decoder_as_backbone (void)
{
  g_autoptr (DmDinomalyWeights) dec = dm_dinomaly_weights_new (128, NULL);
  g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
  g_autofree char *path = g_build_filename (tmpdir, "decoder.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmVitWeights) vit = NULL;

  g_assert_true (dm_dinomaly_weights_add_to_writer (dec, w, &error));
  write_ok (w, path);
  vit = dm_vit_weights_load (path, -1, &error);
  g_assert_null (vit);
  g_assert_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "bottleneck/decoder state dict without an encoder"));

  if (dm_test_shared_dir () != NULL)
    {
      g_autofree char *shared = g_build_filename (dm_test_shared_dir (), "testvectors", "tiny",
                                                  "decoder_f32.safetensors", NULL);
      g_clear_error (&error);
      g_assert_null (dm_vit_weights_load (shared, -1, &error));
      g_assert_nonnull (strstr (error->message, "not a DINOv2 encoder"));
    }
}

/* Writing back under the original names, in the source dtype, is exact. */
static void
test_export (void)
{
  const char *files[] = { "encoder_dinov2_f32_d2.safetensors", "hf/model.safetensors",
                          "encoder_timm_bf16_d2.safetensors" };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *src = data_path (files[i]);
      g_autofree char *name = g_strdup_printf ("export-%u.safetensors", i);
      g_autofree char *path = g_build_filename (tmpdir, name, NULL);
      g_autoptr (DmVitWeights) a = load_ok (src, -1);
      g_autoptr (DmVitWeights) part = load_ok (src, 1);
      g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
      g_autoptr (DmSafetensors) st = NULL;
      g_autoptr (DmVitWeights) b = NULL;
      g_autoptr (GError) error = NULL;

      g_assert_true (dm_vit_weights_add_to_writer (a, w, "encoder.", a->source_dtype, &error));
      g_assert_no_error (error);
      write_ok (w, path);
      st = open_ok (path);
      g_assert_cmpint (dm_safetensors_find (st, "encoder.pos_embed")->shape[1], ==, 1370);
      g_assert_cmpint (dm_safetensors_find (st, "encoder.blocks.1.attn.qkv.weight")->dtype, ==,
                       a->source_dtype);
      b = dm_vit_weights_load_from (st, NULL, -1, &error);
      g_assert_no_error (error);
      g_assert_cmpint (b->scheme, ==, DM_VIT_SCHEME_DINOV2);
      g_assert_cmpstr (b->prefix, ==, "encoder.");
      g_assert_cmpmem (a->arena, a->n_floats * 4, b->arena, b->n_floats * 4);

      g_assert_false (dm_vit_weights_add_to_writer (part, w, "x.", DM_DTYPE_F32, &error));
      g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
    }
}

static void
test_sha256 (void)
{
  g_autofree char *path = data_path ("hf/config.json");
  g_autofree char *empty = g_build_filename (tmpdir, "empty", NULL);
  g_autofree char *content = NULL;
  g_autofree char *want = NULL, *got = NULL, *got_empty = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;

  g_file_get_contents (path, &content, &len, &error);
  want = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)content, len);
  got = dm_file_sha256 (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got, ==, want);
  g_file_set_contents (empty, "", 0, &error);
  got_empty = dm_file_sha256 (empty, &error);
  g_assert_cmpstr (got_empty, ==,
                   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  g_assert_null (dm_file_sha256 ("/nonexistent/file", &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_IO);
}

int
main (int argc, char *argv[])
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmpdir = dm_test_make_tmpdir ();
  zeros = g_new0 (float, N_ZEROS);
  g_test_add_func ("/vit-weights/schemes-committed", test_schemes_committed);
  g_test_add_func ("/vit-weights/schemes-shared", test_schemes_shared);
  g_test_add_func ("/vit-weights/n-blocks", test_n_blocks);
  g_test_add_func ("/vit-weights/prefixes", test_prefixes);
  g_test_add_func ("/vit-weights/wrong-architecture", test_wrong_architecture);
  g_test_add_func ("/vit-weights/decoder-as-backbone", test_decoder_as_backbone);
  g_test_add_func ("/vit-weights/export", test_export);
  g_test_add_func ("/vit-weights/sha256", test_sha256);
  rc = g_test_run ();
  g_free (zeros);
  g_free (tmpdir);
  return rc;
}
