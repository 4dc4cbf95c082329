/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DINOv2 without registers (testvectors README §5c): the original, the
 * HuggingFace Dinov2Model and timm's vit_*_patch14_dinov2 layouts load to
 * the same float32 weights with no register token, the token sequence is
 * cls then the patches, the encoder writes back without register_tokens,
 * and DINOv2 giant's SwiGLU blocks are refused by name in every scheme. */
#include <glib/gstdio.h>
#include <string.h>

#include "dm-error.h"
#include "dm-safetensors-writer.h"
#include "dm-safetensors.h"
#include "dm-test-util.h"
#include "dm-vit-embed.h"
#include "dm-vit-weights.h"
#include "dm-vit.h"

static char *tmpdir;

static char *
data_path (const char *dir, const char *name)
{
  return g_build_filename (dm_test_srcdir (), "data", dir, name, NULL);
}

static DmSafetensors *
open_ok (const char *path)
{
  g_autoptr (GError) error = NULL;
  DmSafetensors *st = dm_safetensors_open (path, &error);

  g_assert_no_error (error);
  return st;
}

static DmVitWeights *
load_ok (const char *path)
{
  g_autoptr (GError) error = NULL;
  DmVitWeights *w = dm_vit_weights_load (path, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (w);
  return w;
}

/* path's tensors less those named in skip, written to dir/name (a folder
 * of its own, so that a config.json can go beside it). */
static char *
copy_without (const char *path, const char *const *skip, const char *dir, const char *name)
{
  g_autoptr (DmSafetensors) st = open_ok (path);
  g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *folder = g_build_filename (tmpdir, dir, NULL);
  char *out = g_build_filename (folder, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  for (guint i = 0; i < dm_safetensors_n_tensors (st); i++)
    {
      const DmTensorInfo *t = dm_safetensors_tensor (st, i);

      if (g_strv_contains (skip, t->name))
        continue;
      g_assert_true (dm_safetensors_writer_add_raw (
        w, t->name, t->dtype, dm_safetensors_tensor_bytes (st, t), t->rank, t->shape, &error));
    }
  g_assert_true (dm_safetensors_writer_write (w, out, &error));
  g_assert_no_error (error);
  return out;
}

/* The arenas of a register model and its no-register form agree except
 * for the register rows, which the latter lacks: compare view by view. */
static void
assert_same_but_registers (const DmVitWeights *reg, const DmVitWeights *noreg)
{
  const DmVitConfig *c = &reg->config;
  gsize d = c->dim, gg = (gsize)c->pos_grid * c->pos_grid;
  gsize tail = (gsize)(noreg->arena + noreg->n_floats - noreg->mask_token);

  g_assert_cmpint (noreg->config.n_registers, ==, 0);
  g_assert_cmpint (noreg->n_blocks, ==, reg->n_blocks);
  g_assert_cmpmem (reg->cls_token, d * 4, noreg->cls_token, d * 4);
  g_assert_cmpmem (reg->cls_pos, (1 + gg) * d * 4, noreg->cls_pos, (1 + gg) * d * 4);
  /* mask token, patch embedding, norms and blocks: the rest of the arena */
  g_assert_cmpuint (reg->n_floats - (gsize)(reg->mask_token - reg->arena), ==, tail);
  g_assert_cmpmem (reg->mask_token, tail * 4, noreg->mask_token, tail * 4);
}

static void
test_three_schemes (void)
{
  static const char *const reg_names[] = { "register_tokens", NULL };
  static const char *const hf_reg[] = { "embeddings.register_tokens", NULL };
  static const char *const timm_drop[] = { "register_tokens", "mask_token", NULL };
  g_autofree char *orig = data_path ("weights", "encoder_dinov2_f32_d2.safetensors");
  g_autofree char *hf = data_path ("weights", "hf/model.safetensors");
  g_autofree char *po = copy_without (orig, reg_names, "orig", "dinov2_vits14.safetensors");
  g_autofree char *ph = copy_without (hf, hf_reg, "hf", "model.safetensors");
  g_autofree char *pt = copy_without (orig, timm_drop, "timm", "vit_small_patch14.safetensors");
  g_autofree char *config = g_build_filename (tmpdir, "hf", "config.json", NULL);
  g_autoptr (DmVitWeights) reg = load_ok (orig);
  g_autoptr (DmVitWeights) o = NULL, h = NULL, t = NULL;
  g_autoptr (GError) error = NULL;

  /* What facebook/dinov2-small's config.json says: no num_register_tokens. */
  g_assert_true (
    g_file_set_contents (config,
                         "{\"architectures\": [\"Dinov2Model\"], \"model_type\": \"dinov2\", "
                         "\"hidden_size\": 128, \"num_attention_heads\": 2, "
                         "\"num_hidden_layers\": 2, \"mlp_ratio\": 4, \"patch_size\": 14, "
                         "\"image_size\": 518, \"layer_norm_eps\": 1e-06, "
                         "\"use_swiglu_ffn\": false}",
                         -1, &error));
  o = load_ok (po);
  h = load_ok (ph);
  t = load_ok (pt);
  g_assert_cmpint (o->scheme, ==, DM_VIT_SCHEME_DINOV2);
  g_assert_cmpint (h->scheme, ==, DM_VIT_SCHEME_HF);
  g_assert_cmpint (t->scheme, ==, DM_VIT_SCHEME_TIMM);
  g_assert_cmpstr (dm_vit_scheme_description (h->scheme, 0), ==, "HuggingFace Dinov2Model");
  g_assert_cmpstr (dm_vit_scheme_description (t->scheme, 0), ==, "timm vit_*_patch14_dinov2");
  assert_same_but_registers (reg, o);
  assert_same_but_registers (reg, h);
  /* timm's no-register models keep the cls row of the positions and
   * their cls_token unfolded: the same arena as the original, whose mask
   * token it lacks (zero) */
  g_assert_cmpmem (o->cls_pos, 4 * 128, t->cls_pos, 4 * 128);
  g_assert_cmpmem (o->patch_w, (o->n_floats - (gsize)(o->patch_w - o->arena)) * 4, t->patch_w,
                   (t->n_floats - (gsize)(t->patch_w - t->arena)) * 4);
  for (int i = 0; i < 128; i++)
    g_assert_cmpfloat (t->mask_token[i], ==, 0.0f);

  /* The HF config.json must agree: a register count there is checked. */
  g_assert_true (g_file_set_contents (config, "{\"num_register_tokens\": 4}", -1, &error));
  g_assert_null (dm_vit_weights_load (ph, -1, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_MISMATCH);
  dm_test_assert_has (error->message, "num_register_tokens is 4 but the weights have register "
                                      "count 0");
}

/* Meta's dinov2_vit?14_pretrain.pth layout (the committed tiny one). */
static void
test_pth_and_tokens (void)
{
  g_autofree char *pth = data_path ("noreg", "dinov2_tiny_pretrain_bf16.pth");
  g_autoptr (DmVitWeights) w = load_ok (pth);
  const DmVitConfig *c = &w->config;
  int g = 2, D = c->dim, N;
  g_autofree float *x = NULL, *patches = g_new (float, (gsize)g *g *D);
  g_autofree float *pos = g_new (float, (gsize)g *g *D);

  g_assert_cmpint (w->scheme, ==, DM_VIT_SCHEME_DINOV2);
  g_assert_cmpint (w->source_dtype, ==, DM_DTYPE_BF16);
  g_assert_cmpint (c->n_registers, ==, 0);
  g_assert_cmpint (c->depth, ==, 10);
  g_assert_cmpint (c->pos_grid, ==, 37);
  N = dm_vit_n_tokens (c, g * c->patch_size);
  g_assert_cmpint (N, ==, 1 + g * g);

  /* [cls + its position, patch + position, ...]: nothing in between */
  dm_test_fill_uniform (patches, (gsize)g * g * D, -1, 1, 1);
  dm_test_fill_uniform (pos, (gsize)g * g * D, -1, 1, 2);
  x = g_new (float, (gsize)N *D);
  dm_vit_assemble_tokens (x, patches, w->cls_token, w->cls_pos, NULL, 0, pos, 1, g, D);
  for (int d = 0; d < D; d++)
    {
      g_assert_cmpfloat (x[d], ==, w->cls_token[d] + w->cls_pos[d]);
      g_assert_cmpfloat (x[D + d], ==, patches[d] + pos[d]);
      g_assert_cmpfloat (x[(gsize)(N - 1) * D + d], ==,
                         patches[(gsize)(g * g - 1) * D + d] + pos[(gsize)(g * g - 1) * D + d]);
    }
}

/* Written back (a model file's embedded encoder): no register_tokens, and
 * it reads again as the same no-register encoder. */
static void
test_export (void)
{
  g_autofree char *pth = data_path ("noreg", "dinov2_tiny_pretrain_bf16.pth");
  g_autofree char *path = g_build_filename (tmpdir, "export.safetensors", NULL);
  g_autoptr (DmVitWeights) w = load_ok (pth);
  g_autoptr (DmSafetensorsWriter) writer = dm_safetensors_writer_new ();
  g_autoptr (DmSafetensors) st = NULL;
  g_autoptr (DmVitWeights) back = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (dm_vit_weights_add_to_writer (w, writer, "encoder.", DM_DTYPE_BF16, &error));
  g_assert_true (dm_safetensors_writer_write (writer, path, &error));
  g_assert_no_error (error);
  st = open_ok (path);
  g_assert_null (dm_safetensors_find (st, "encoder.register_tokens"));
  g_assert_nonnull (dm_safetensors_find (st, "encoder.mask_token"));
  back = dm_vit_weights_load_from (st, NULL, -1, &error);
  g_assert_no_error (error);
  g_assert_true (dm_vit_config_equal (&w->config, &back->config));
  g_assert_cmpmem (w->arena, w->n_floats * 4, back->arena, back->n_floats * 4);
}

typedef struct
{
  const char *what;
  int dim;
  const char *patch, *pos, *block; /* names of the scheme */
  const char *mlp[2];              /* the MLP tensors of block 0 */
  gint64 mlp_shape[2][2];
  const char *expect;
} SwigluCase;

/* DINOv2 giant in its three layouts (and a SwiGLU ViT of another width):
 * only the names and shapes the probe reads are there, with a 1 x 1
 * position grid and a narrow MLP (giant's is 8192 / 4096 wide) so that
 * the files stay small. */
static void
test_giant_refused (void)
{
  const SwigluCase cases[] = {
    { "original giant",
      1536,
      "patch_embed.proj.weight",
      "pos_embed",
      "blocks.0.",
      { "mlp.w12.weight", "mlp.w3.weight" },
      { { 128, 1536 }, { 1536, 64 } },
      "DINOv2 giant (ViT-g/14) with a SwiGLU MLP ('blocks.0.mlp.w12.weight')" },
    { "HF giant",
      1536,
      "embeddings.patch_embeddings.projection.weight",
      "embeddings.position_embeddings",
      "encoder.layer.0.",
      { "mlp.weights_in.weight", "mlp.weights_out.weight" },
      { { 128, 1536 }, { 1536, 64 } },
      "DINOv2 giant (ViT-g/14) with a SwiGLU MLP ('encoder.layer.0.mlp.weights_in.weight')" },
    { "timm packed SwiGLU",
      128,
      "patch_embed.proj.weight",
      "pos_embed",
      "blocks.0.",
      { "mlp.fc1.weight", "mlp.fc2.weight" },
      { { 1024, 128 }, { 128, 512 } },
      "a ViT with a SwiGLU MLP ('blocks.0.mlp.fc1.weight')" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const SwigluCase *c = &cases[i];
      g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
      g_autofree char *path = g_strdup_printf ("%s/giant-%u.safetensors", tmpdir, i);
      g_autofree char *mlp0 = g_strconcat (c->block, c->mlp[0], NULL);
      g_autofree char *mlp1 = g_strconcat (c->block, c->mlp[1], NULL);
      g_autofree char *norm = g_strconcat (c->block, "norm1.weight", NULL);
      gint64 d = c->dim, n_max = 1536 * 3 * 14 * 14;
      g_autofree guint16 *zeros = g_new0 (guint16, n_max);
      g_autoptr (GError) error = NULL;
      g_autoptr (DmVitWeights) vit = NULL;

      g_assert_true (
        dm_safetensors_writer_add_raw (w, c->patch, DM_DTYPE_F16, zeros, 4,
                                       (gint64[]){ d, 3, 14, 14 }, &error)
        && dm_safetensors_writer_add_raw (w, c->pos, DM_DTYPE_F16, zeros, 3, (gint64[]){ 1, 2, d },
                                          &error)
        && dm_safetensors_writer_add_raw (w, norm, DM_DTYPE_F16, zeros, 1, (gint64[]){ d }, &error)
        && dm_safetensors_writer_add_raw (w, mlp0, DM_DTYPE_F16, zeros, 2, c->mlp_shape[0], &error)
        && dm_safetensors_writer_add_raw (w, mlp1, DM_DTYPE_F16, zeros, 2, c->mlp_shape[1],
                                          &error));
      g_assert_true (dm_safetensors_writer_write (w, path, &error));
      g_assert_no_error (error);
      vit = dm_vit_weights_load (path, -1, &error);
      g_assert_null (vit);
      g_assert_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED);
      g_test_message ("%s: %s", c->what, error->message);
      dm_test_assert_has (error->message, path);
      dm_test_assert_has (error->message, c->expect);
      dm_test_assert_has (error->message, "use one of those");
    }
}

int
main (int argc, char *argv[])
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmpdir = dm_test_make_tmpdir ();
  g_test_add_func ("/vit-noreg/three-schemes", test_three_schemes);
  g_test_add_func ("/vit-noreg/pth-and-tokens", test_pth_and_tokens);
  g_test_add_func ("/vit-noreg/export", test_export);
  g_test_add_func ("/vit-noreg/giant-refused", test_giant_refused);
  rc = g_test_run ();
  g_free (tmpdir);
  return rc;
}
