/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Loads the DINOv2 encoder (with or without registers) into one float32 arena with named
 * views, from any of the three naming schemes, and writes it back under the
 * original names. */
#include "dm-vit-weights-private.h"

#include <string.h>

#include "dm-arena.h"
#include "dm-error.h"
#include "dm-weight-file.h"

/* Views start on 64-byte boundaries: oneDNN and AVX loads like that. */
static float *
carve (float *base, gsize *offset, gsize n)
{
  float *p = base != NULL ? base + *offset : NULL;

  *offset += dm_pad_floats (n);
  return p;
}

/* Points every view into base (NULL: only counts). Returns the floats used. */
static gsize
layout (DmVitWeights *w, float *base)
{
  const DmVitConfig *c = &w->config;
  gsize d = c->dim, h = c->mlp_hidden, gg = (gsize)c->pos_grid * c->pos_grid, off = 0;
  float *pos;

  w->cls_token = carve (base, &off, d);
  /* cls position and grid in one piece: the original (1 + G*G, D) table. */
  pos = carve (base, &off, (1 + gg) * d);
  w->cls_pos = pos;
  w->pos_grid = pos != NULL ? pos + d : NULL;
  w->register_tokens = carve (base, &off, c->n_registers * d);
  w->mask_token = carve (base, &off, d);
  w->patch_w = carve (base, &off, d * 3 * c->patch_size * c->patch_size);
  w->patch_b = carve (base, &off, d);
  w->norm_w = carve (base, &off, d);
  w->norm_b = carve (base, &off, d);
  for (int i = 0; i < w->n_blocks; i++)
    {
      DmVitBlockWeights *b = &w->blocks[i];

      b->norm1_w = carve (base, &off, d);
      b->norm1_b = carve (base, &off, d);
      b->qkv_w = carve (base, &off, 3 * d * d);
      b->qkv_b = carve (base, &off, 3 * d);
      b->proj_w = carve (base, &off, d * d);
      b->proj_b = carve (base, &off, d);
      b->ls1 = carve (base, &off, d);
      b->norm2_w = carve (base, &off, d);
      b->norm2_b = carve (base, &off, d);
      b->fc1_w = carve (base, &off, h * d);
      b->fc1_b = carve (base, &off, h);
      b->fc2_w = carve (base, &off, d * h);
      b->fc2_b = carve (base, &off, d);
      b->ls2 = carve (base, &off, d);
    }
  return off;
}

void
dm_vit_weights_free (DmVitWeights *weights)
{
  if (weights == NULL)
    return;
  dm_aligned_free (weights->arena);
  g_free (weights->blocks);
  g_free (weights->prefix);
  g_free (weights);
}

typedef struct
{
  const DmSafetensors *st;
  const char *prefix;
  const DmVitNames *names;
} Reader;

/* Reads prefix + name (block >= 0: inside block N) into out. */
static gboolean
read_tensor (const Reader *r, int block, const char *name, float *out, gsize n, GError **error)
{
  g_autofree char *key = block < 0
                           ? g_strconcat (r->prefix, name, NULL)
                           : g_strdup_printf ("%s%s%d.%s", r->prefix, r->names->block, block, name);

  return dm_safetensors_read_weights (r->st, key, out, n, error);
}

static gboolean
has_tensor (const Reader *r, const char *name)
{
  g_autofree char *key = g_strconcat (r->prefix, name, NULL);

  return name != NULL && dm_safetensors_find (r->st, key) != NULL;
}

static gboolean
read_block (const Reader *r, int i, const DmVitConfig *c, DmVitBlockWeights *b, GError **error)
{
  const DmVitNames *n = r->names;
  gsize d = c->dim, h = c->mlp_hidden;

  if (n->qkv_w[1] == NULL)
    {
      if (!read_tensor (r, i, n->qkv_w[0], b->qkv_w, 3 * d * d, error)
          || !read_tensor (r, i, n->qkv_b[0], b->qkv_b, 3 * d, error))
        return FALSE;
    }
  else /* HF: separate query, key, value stacked in that order */
    for (int k = 0; k < 3; k++)
      if (!read_tensor (r, i, n->qkv_w[k], b->qkv_w + k * d * d, d * d, error)
          || !read_tensor (r, i, n->qkv_b[k], b->qkv_b + k * d, d, error))
        return FALSE;
  return read_tensor (r, i, n->norm1_w, b->norm1_w, d, error)
         && read_tensor (r, i, n->norm1_b, b->norm1_b, d, error)
         && read_tensor (r, i, n->proj_w, b->proj_w, d * d, error)
         && read_tensor (r, i, n->proj_b, b->proj_b, d, error)
         && read_tensor (r, i, n->ls1, b->ls1, d, error)
         && read_tensor (r, i, n->norm2_w, b->norm2_w, d, error)
         && read_tensor (r, i, n->norm2_b, b->norm2_b, d, error)
         && read_tensor (r, i, n->fc1_w, b->fc1_w, h * d, error)
         && read_tensor (r, i, n->fc1_b, b->fc1_b, h, error)
         && read_tensor (r, i, n->fc2_w, b->fc2_w, d * h, error)
         && read_tensor (r, i, n->fc2_b, b->fc2_b, d, error)
         && read_tensor (r, i, n->ls2, b->ls2, d, error);
}

static DmDtype
source_dtype (guint mask)
{
  mask &= (1u << DM_DTYPE_F32) | (1u << DM_DTYPE_F16) | (1u << DM_DTYPE_BF16);
  if (mask == (1u << DM_DTYPE_F16))
    return DM_DTYPE_F16;
  if (mask == (1u << DM_DTYPE_BF16))
    return DM_DTYPE_BF16;
  return DM_DTYPE_F32; /* mixed: only F32 holds both exactly */
}

DmVitWeights *
dm_vit_weights_load_from (const DmSafetensors *st,
                          const char *config_json,
                          int n_blocks,
                          GError **error)
{
  g_autoptr (DmVitWeights) w = NULL;
  DmVitProbe probe;
  gboolean pos_has_cls;
  const DmVitConfig *c;
  Reader r = { .st = st };
  gsize d, gg;

  if (!dm_vit_probe (st, config_json, &probe, error))
    return NULL;
  if (n_blocks > probe.config.depth)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: %d blocks asked for, the encoder has %d",
                   dm_safetensors_path (st), n_blocks, probe.config.depth);
      dm_vit_probe_clear (&probe);
      return NULL;
    }
  w = g_new0 (DmVitWeights, 1);
  w->config = probe.config;
  w->n_blocks = n_blocks < 0 ? probe.config.depth : n_blocks;
  w->scheme = probe.scheme;
  w->prefix = g_steal_pointer (&probe.prefix);
  w->source_dtype = source_dtype (probe.dtype_mask);
  pos_has_cls = probe.pos_has_cls;
  dm_vit_probe_clear (&probe);
  c = &w->config;
  d = c->dim;
  gg = (gsize)c->pos_grid * c->pos_grid;

  w->blocks = g_new0 (DmVitBlockWeights, MAX (w->n_blocks, 1));
  w->n_floats = layout (w, NULL);
  w->arena = dm_aligned_alloc (w->n_floats * sizeof (float), error);
  if (w->arena == NULL)
    return NULL;
  /* Padding and the tensors a scheme lacks (timm's cls position and mask
   * token) are zero. */
  memset (w->arena, 0, w->n_floats * sizeof (float));
  layout (w, w->arena);

  r.prefix = w->prefix;
  r.names = dm_vit_names (w->scheme);
  if (!read_tensor (&r, -1, r.names->cls, w->cls_token, d, error)
      || (c->n_registers > 0
          && !read_tensor (&r, -1, r.names->registers, w->register_tokens, c->n_registers * d,
                           error))
      || !read_tensor (&r, -1, r.names->patch_w, w->patch_w, d * 3 * c->patch_size * c->patch_size,
                       error)
      || !read_tensor (&r, -1, r.names->patch_b, w->patch_b, d, error))
    return NULL;
  if (!pos_has_cls)
    {
      /* timm's cls_token already holds cls + its position: keep it zero here. */
      if (!read_tensor (&r, -1, r.names->pos, w->pos_grid, gg * d, error))
        return NULL;
    }
  else if (!read_tensor (&r, -1, r.names->pos, w->cls_pos, (1 + gg) * d, error))
    return NULL;
  if (has_tensor (&r, r.names->mask)
      && !read_tensor (&r, -1, r.names->mask, w->mask_token, d, error))
    return NULL;
  if (has_tensor (&r, r.names->norm_w))
    {
      if (!read_tensor (&r, -1, r.names->norm_w, w->norm_w, d, error))
        return NULL;
    }
  else
    for (gsize i = 0; i < d; i++)
      w->norm_w[i] = 1.0f;
  if (has_tensor (&r, r.names->norm_b)
      && !read_tensor (&r, -1, r.names->norm_b, w->norm_b, d, error))
    return NULL;
  for (int i = 0; i < w->n_blocks; i++)
    if (!read_block (&r, i, c, &w->blocks[i], error))
      return NULL;
  return g_steal_pointer (&w);
}

DmVitWeights *
dm_vit_weights_alloc (const DmVitConfig *config, int n_blocks, GError **error)
{
  g_autoptr (DmVitWeights) w = g_new0 (DmVitWeights, 1);

  w->config = *config;
  w->n_blocks = n_blocks < 0 ? config->depth : MIN (n_blocks, config->depth);
  w->scheme = DM_VIT_SCHEME_DINOV2;
  w->prefix = g_strdup ("");
  w->source_dtype = DM_DTYPE_F32;
  w->blocks = g_new0 (DmVitBlockWeights, MAX (w->n_blocks, 1));
  w->n_floats = layout (w, NULL);
  w->arena = dm_aligned_alloc (w->n_floats * sizeof (float), error);
  if (w->arena == NULL)
    return NULL;
  memset (w->arena, 0, w->n_floats * sizeof (float));
  layout (w, w->arena);
  return g_steal_pointer (&w);
}

DmVitWeights *
dm_vit_weights_load (const char *path, int n_blocks, GError **error)
{
  g_autoptr (DmSafetensors) st = dm_weight_file_open (path, NULL, error);
  g_autofree char *dir = NULL;
  g_autofree char *config_json = NULL;

  if (st == NULL)
    return NULL;
  dir = g_path_get_dirname (path);
  config_json = g_build_filename (dir, "config.json", NULL);
  return dm_vit_weights_load_from (st, config_json, n_blocks, error);
}

#define ADD(name, data, ...)                                                                       \
  add_tensor (writer, prefix, name, store_as, data,                                                \
              sizeof ((gint64[]){ __VA_ARGS__ }) / sizeof (gint64), (gint64[]){ __VA_ARGS__ },     \
              error)

static gboolean
add_tensor (DmSafetensorsWriter *writer,
            const char *prefix,
            const char *name,
            DmDtype store_as,
            const float *data,
            int rank,
            const gint64 *shape,
            GError **error)
{
  g_autofree char *key = g_strconcat (prefix, name, NULL);

  return dm_safetensors_writer_add_f32 (writer, key, store_as, data, rank, shape, error);
}

gboolean
dm_vit_weights_add_to_writer (const DmVitWeights *w,
                              DmSafetensorsWriter *writer,
                              const char *prefix,
                              DmDtype store_as,
                              GError **error)
{
  const DmVitConfig *c = &w->config;
  gint64 d = c->dim, h = c->mlp_hidden, p = c->patch_size, gg = (gint64)c->pos_grid * c->pos_grid;

  if (w->n_blocks != c->depth)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "only %d of the %d encoder blocks are loaded: cannot write the encoder",
                   w->n_blocks, c->depth);
      return FALSE;
    }
  /* Module order of the original DINOv2 state dict. */
  /* Without registers, no register_tokens: as Meta's dinov2_vit?14 files. */
  if (!ADD ("cls_token", w->cls_token, 1, 1, d) || !ADD ("pos_embed", w->cls_pos, 1, 1 + gg, d)
      || (c->n_registers > 0 && !ADD ("register_tokens", w->register_tokens, 1, c->n_registers, d))
      || !ADD ("mask_token", w->mask_token, 1, d)
      || !ADD ("patch_embed.proj.weight", w->patch_w, d, 3, p, p)
      || !ADD ("patch_embed.proj.bias", w->patch_b, d))
    return FALSE;
  for (int i = 0; i < w->n_blocks; i++)
    {
      const DmVitBlockWeights *b = &w->blocks[i];
      char n[14][64];
      const char *suffix[14]
        = { "norm1.weight",     "norm1.bias",     "attn.qkv.weight", "attn.qkv.bias",
            "attn.proj.weight", "attn.proj.bias", "ls1.gamma",       "norm2.weight",
            "norm2.bias",       "mlp.fc1.weight", "mlp.fc1.bias",    "mlp.fc2.weight",
            "mlp.fc2.bias",     "ls2.gamma" };

      for (int k = 0; k < 14; k++)
        g_snprintf (n[k], sizeof n[k], "blocks.%d.%s", i, suffix[k]);
      if (!ADD (n[0], b->norm1_w, d) || !ADD (n[1], b->norm1_b, d)
          || !ADD (n[2], b->qkv_w, 3 * d, d) || !ADD (n[3], b->qkv_b, 3 * d)
          || !ADD (n[4], b->proj_w, d, d) || !ADD (n[5], b->proj_b, d) || !ADD (n[6], b->ls1, d)
          || !ADD (n[7], b->norm2_w, d) || !ADD (n[8], b->norm2_b, d) || !ADD (n[9], b->fc1_w, h, d)
          || !ADD (n[10], b->fc1_b, h) || !ADD (n[11], b->fc2_w, d, h) || !ADD (n[12], b->fc2_b, d)
          || !ADD (n[13], b->ls2, d))
        return FALSE;
    }
  return ADD ("norm.weight", w->norm_w, d) && ADD ("norm.bias", w->norm_b, d);
}

guint64
dm_vit_config_n_params (const DmVitConfig *c)
{
  guint64 d = c->dim, h = c->mlp_hidden, gg = (guint64)c->pos_grid * c->pos_grid;
  guint64 block
    = 4 * d /* norms */ + 3 * d * d + 3 * d + d * d + d + 2 * d /* ls */ + h * d + h + d * h + d;

  return d /* cls */ + (1 + gg) * d + c->n_registers * d + d /* mask */
         + d * 3 * c->patch_size * c->patch_size + d + 2 * d /* norm */ + c->depth * block;
}

gboolean
dm_vit_config_equal (const DmVitConfig *a, const DmVitConfig *b)
{
  return a->dim == b->dim && a->heads == b->heads && a->head_dim == b->head_dim
         && a->depth == b->depth && a->n_registers == b->n_registers
         && a->patch_size == b->patch_size && a->pos_grid == b->pos_grid
         && a->mlp_hidden == b->mlp_hidden && a->ln_eps == b->ln_eps;
}
