/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Recognises a DINOv2 encoder (with or without registers) in a weight file: naming
 * scheme, key prefix and architecture, from the header's names and shapes
 * (and a HuggingFace config.json when there is one). Nothing is read. */
#include "dm-vit-weights-private.h"

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#include "dm-error.h"

static const DmVitNames names_dinov2 = {
  .cls = "cls_token",
  .registers = "register_tokens",
  .pos = "pos_embed",
  .mask = "mask_token",
  .patch_w = "patch_embed.proj.weight",
  .patch_b = "patch_embed.proj.bias",
  .norm_w = "norm.weight",
  .norm_b = "norm.bias",
  .block = "blocks.",
  .norm1_w = "norm1.weight",
  .norm1_b = "norm1.bias",
  .qkv_w = { "attn.qkv.weight" },
  .qkv_b = { "attn.qkv.bias" },
  .proj_w = "attn.proj.weight",
  .proj_b = "attn.proj.bias",
  .ls1 = "ls1.gamma",
  .norm2_w = "norm2.weight",
  .norm2_b = "norm2.bias",
  .fc1_w = "mlp.fc1.weight",
  .fc1_b = "mlp.fc1.bias",
  .fc2_w = "mlp.fc2.weight",
  .fc2_b = "mlp.fc2.bias",
  .ls2 = "ls2.gamma",
};

static const DmVitNames names_hf = {
  .cls = "embeddings.cls_token",
  .registers = "embeddings.register_tokens",
  .pos = "embeddings.position_embeddings",
  .mask = "embeddings.mask_token",
  .patch_w = "embeddings.patch_embeddings.projection.weight",
  .patch_b = "embeddings.patch_embeddings.projection.bias",
  .norm_w = "layernorm.weight",
  .norm_b = "layernorm.bias",
  .block = "encoder.layer.",
  .norm1_w = "norm1.weight",
  .norm1_b = "norm1.bias",
  .qkv_w = { "attention.attention.query.weight", "attention.attention.key.weight",
             "attention.attention.value.weight" },
  .qkv_b = { "attention.attention.query.bias", "attention.attention.key.bias",
             "attention.attention.value.bias" },
  .proj_w = "attention.output.dense.weight",
  .proj_b = "attention.output.dense.bias",
  .ls1 = "layer_scale1.lambda1",
  .norm2_w = "norm2.weight",
  .norm2_b = "norm2.bias",
  .fc1_w = "mlp.fc1.weight",
  .fc1_b = "mlp.fc1.bias",
  .fc2_w = "mlp.fc2.weight",
  .fc2_b = "mlp.fc2.bias",
  .ls2 = "layer_scale2.lambda1",
};

static const DmVitNames names_timm = {
  .cls = "cls_token",
  .registers = "reg_token",
  .pos = "pos_embed",
  .mask = NULL,
  .patch_w = "patch_embed.proj.weight",
  .patch_b = "patch_embed.proj.bias",
  .norm_w = "norm.weight",
  .norm_b = "norm.bias",
  .block = "blocks.",
  .norm1_w = "norm1.weight",
  .norm1_b = "norm1.bias",
  .qkv_w = { "attn.qkv.weight" },
  .qkv_b = { "attn.qkv.bias" },
  .proj_w = "attn.proj.weight",
  .proj_b = "attn.proj.bias",
  .ls1 = "ls1.gamma",
  .norm2_w = "norm2.weight",
  .norm2_b = "norm2.bias",
  .fc1_w = "mlp.fc1.weight",
  .fc1_b = "mlp.fc1.bias",
  .fc2_w = "mlp.fc2.weight",
  .fc2_b = "mlp.fc2.bias",
  .ls2 = "ls2.gamma",
};

const DmVitNames *
dm_vit_names (DmVitScheme scheme)
{
  switch (scheme)
    {
    case DM_VIT_SCHEME_HF: return &names_hf;
    case DM_VIT_SCHEME_TIMM: return &names_timm;
    case DM_VIT_SCHEME_DINOV2:
    default: return &names_dinov2;
    }
}

const char *
dm_vit_scheme_name (DmVitScheme scheme)
{
  switch (scheme)
    {
    case DM_VIT_SCHEME_HF: return "hf";
    case DM_VIT_SCHEME_TIMM: return "timm";
    case DM_VIT_SCHEME_DINOV2:
    default: return "dinov2";
    }
}

const char *
dm_vit_scheme_description (DmVitScheme scheme, int n_registers)
{
  switch (scheme)
    {
    case DM_VIT_SCHEME_HF:
      return n_registers > 0 ? "HuggingFace Dinov2WithRegistersModel" : "HuggingFace Dinov2Model";
    case DM_VIT_SCHEME_TIMM:
      return n_registers > 0 ? "timm vit_*_patch14_reg4_dinov2" : "timm vit_*_patch14_dinov2";
    case DM_VIT_SCHEME_DINOV2:
    default: return "original DINOv2";
    }
}

void
dm_vit_probe_clear (DmVitProbe *probe)
{
  g_clear_pointer (&probe->prefix, g_free);
  g_clear_pointer (&probe->config_json, g_free);
}

typedef struct
{
  const DmSafetensors *st;
  const char *prefix;
  const DmVitNames *names;
} Ctx;

static gboolean G_GNUC_PRINTF (3, 4) fail (const Ctx *ctx, GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED, "%s: %s", dm_safetensors_path (ctx->st),
               message);
  return FALSE;
}

/* Checks that prefix + name (+ "N." for a block) exists with this shape. */
static gboolean
expect (const Ctx *ctx,
        int block,
        const char *name,
        gboolean optional,
        int rank,
        const gint64 *shape,
        GError **error)
{
  g_autofree char *key
    = block < 0 ? g_strconcat (ctx->prefix, name, NULL)
                : g_strdup_printf ("%s%s%d.%s", ctx->prefix, ctx->names->block, block, name);
  const DmTensorInfo *t = dm_safetensors_find (ctx->st, key);
  DmTensorInfo want = { .rank = rank };

  if (t == NULL)
    return optional ? TRUE : fail (ctx, error, "tensor '%s' is missing", key);
  if (!dm_dtype_is_float (t->dtype))
    return fail (ctx, error, "tensor '%s' is %s; weights must be F32, F16 or BF16", key,
                 dm_dtype_name (t->dtype));
  if (!dm_tensor_info_has_shape (t, rank, shape))
    {
      g_autofree char *have = dm_tensor_info_shape_string (t);
      g_autofree char *need = NULL;

      memcpy (want.shape, shape, rank * sizeof (gint64));
      need = dm_tensor_info_shape_string (&want);
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH, "%s: tensor '%s' has shape %s, expected %s",
                   dm_safetensors_path (ctx->st), key, have, need);
      return FALSE;
    }
  return TRUE;
}

#define SHAPE(...)                                                                                 \
  (sizeof ((gint64[]){ __VA_ARGS__ }) / sizeof (gint64)), (gint64[])                               \
  {                                                                                                \
    __VA_ARGS__                                                                                    \
  }

static gboolean
check_block (const Ctx *ctx, int i, const DmVitConfig *c, GError **error)
{
  const DmVitNames *n = ctx->names;
  gint64 d = c->dim, h = c->mlp_hidden;

  if (!expect (ctx, i, n->norm1_w, FALSE, SHAPE (d), error)
      || !expect (ctx, i, n->norm1_b, FALSE, SHAPE (d), error))
    return FALSE;
  if (n->qkv_w[1] == NULL)
    {
      if (!expect (ctx, i, n->qkv_w[0], FALSE, SHAPE (3 * d, d), error)
          || !expect (ctx, i, n->qkv_b[0], FALSE, SHAPE (3 * d), error))
        return FALSE;
    }
  else
    for (int k = 0; k < 3; k++)
      if (!expect (ctx, i, n->qkv_w[k], FALSE, SHAPE (d, d), error)
          || !expect (ctx, i, n->qkv_b[k], FALSE, SHAPE (d), error))
        return FALSE;
  return expect (ctx, i, n->proj_w, FALSE, SHAPE (d, d), error)
         && expect (ctx, i, n->proj_b, FALSE, SHAPE (d), error)
         && expect (ctx, i, n->ls1, FALSE, SHAPE (d), error)
         && expect (ctx, i, n->norm2_w, FALSE, SHAPE (d), error)
         && expect (ctx, i, n->norm2_b, FALSE, SHAPE (d), error)
         && expect (ctx, i, n->fc1_w, FALSE, SHAPE (h, d), error)
         && expect (ctx, i, n->fc1_b, FALSE, SHAPE (h), error)
         && expect (ctx, i, n->fc2_w, FALSE, SHAPE (d, h), error)
         && expect (ctx, i, n->fc2_b, FALSE, SHAPE (d), error)
         && expect (ctx, i, n->ls2, FALSE, SHAPE (d), error);
}

/* Why a file without a patch embedding is not an encoder, in words. */
static gboolean
explain_not_vit (const Ctx *ctx, GError **error)
{
  guint n = dm_safetensors_n_tensors (ctx->st);
  gboolean decoder = FALSE, resnet = FALSE;

  for (guint i = 0; i < n; i++)
    {
      const char *name = dm_safetensors_tensor (ctx->st, i)->name;

      if (strstr (name, "bottleneck.0.fc1.weight") != NULL
          || strstr (name, "decoder.0.attn.qkv") != NULL)
        decoder = TRUE;
      if (strstr (name, "layer1.0.conv1.weight") != NULL || strstr (name, "layer1.0.bn1.") != NULL)
        resnet = TRUE;
    }
  if (decoder)
    return fail (ctx, error,
                 "a Dinomaly bottleneck/decoder state dict without an encoder, not a DINOv2 "
                 "encoder (no 'patch_embed.proj.weight')");
  if (resnet)
    return fail (ctx, error,
                 "looks like a ResNet (layer1.0.conv1.weight), not a DINOv2 ViT encoder (no "
                 "'patch_embed.proj.weight')");
  return fail (ctx, error,
               "not a DINOv2 encoder: none of its %u tensors is a patch embedding "
               "('patch_embed.proj.weight' or 'embeddings.patch_embeddings.projection.weight')",
               n);
}

static gboolean
find_anchor (Ctx *ctx, DmVitScheme *scheme, char **prefix, GError **error)
{
  static const char *anchors[2]
    = { "embeddings.patch_embeddings.projection.weight", "patch_embed.proj.weight" };
  guint n = dm_safetensors_n_tensors (ctx->st), found = 0;
  const char *first = NULL;

  for (guint i = 0; i < n; i++)
    {
      const char *name = dm_safetensors_tensor (ctx->st, i)->name;

      for (int a = 0; a < 2; a++)
        {
          gsize len = strlen (name), alen = strlen (anchors[a]);

          /* The prefix is empty or ends with '.': "xpatch_embed..." is not ours. */
          if (len < alen || strcmp (name + len - alen, anchors[a]) != 0
              || (len > alen && name[len - alen - 1] != '.'))
            continue;
          if (found++ > 0)
            return fail (ctx, error, "holds more than one encoder ('%s' and '%s')", first, name);
          first = name;
          *scheme = a == 0 ? DM_VIT_SCHEME_HF : DM_VIT_SCHEME_DINOV2;
          *prefix = g_strndup (name, len - alen);
          break;
        }
    }
  if (found == 0)
    return explain_not_vit (ctx, error);
  return TRUE;
}

/* Largest N of the tensors "<prefix><block>N.*", or -1 when there are none. */
static int
max_block_index (const Ctx *ctx)
{
  g_autofree char *start = g_strconcat (ctx->prefix, ctx->names->block, NULL);
  gsize len = strlen (start);
  int max = -1;

  for (guint i = 0; i < dm_safetensors_n_tensors (ctx->st); i++)
    {
      const char *name = dm_safetensors_tensor (ctx->st, i)->name;
      char *end = NULL;
      gint64 v;

      if (strncmp (name, start, len) != 0 || !g_ascii_isdigit (name[len]))
        continue;
      v = g_ascii_strtoll (name + len, &end, 10);
      if (*end == '.' && v >= 0 && v < 4096)
        max = MAX (max, (int)v);
    }
  return max;
}

static gboolean
config_int (JsonObject *o, const char *member, gint64 *out)
{
  JsonNode *node = json_object_get_member (o, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    *out = json_node_get_int (node);
  else if (json_node_get_value_type (node) == G_TYPE_DOUBLE
           && json_node_get_double (node) == (double)(gint64)json_node_get_double (node))
    *out = (gint64)json_node_get_double (node);
  else
    return FALSE;
  return TRUE;
}

/* Uses a HuggingFace config.json: heads and eps from it, the rest checked
 * against what the shapes said. */
static gboolean
apply_config_json (const Ctx *ctx, const char *path, DmVitConfig *c, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local_error = NULL;
  JsonObject *o;
  JsonNode *node;
  gint64 v;
  const struct
  {
    const char *member;
    int value;
    const char *what;
  } checks[] = {
    { "hidden_size", c->dim, "width D" },
    { "num_hidden_layers", c->depth, "depth" },
    { "num_register_tokens", c->n_registers, "register count" },
    { "patch_size", c->patch_size, "patch size" },
    { "num_channels", 3, "channel count" },
  };

  if (!json_parser_load_from_file (parser, path, &local_error))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: not valid JSON: %s", path,
                   local_error->message);
      return FALSE;
    }
  if (json_parser_get_root (parser) == NULL
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: not a JSON object", path);
      return FALSE;
    }
  o = json_node_get_object (json_parser_get_root (parser));
  node = json_object_get_member (o, "model_type");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING
      && !g_str_has_prefix (json_node_get_string (node), "dinov2"))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH, "%s: model_type '%s' is not a DINOv2 model",
                   path, json_node_get_string (node));
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (checks); i++)
    if (config_int (o, checks[i].member, &v) && v != checks[i].value)
      {
        g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                     "%s: %s is %" G_GINT64_FORMAT " but the weights have %s %d", path,
                     checks[i].member, v, checks[i].what, checks[i].value);
        return FALSE;
      }
  if (config_int (o, "mlp_ratio", &v) && v * c->dim != c->mlp_hidden)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "%s: mlp_ratio %" G_GINT64_FORMAT " does not match the MLP width %d", path, v,
                   c->mlp_hidden);
      return FALSE;
    }
  if (config_int (o, "image_size", &v) && v / c->patch_size != c->pos_grid)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "%s: image_size %" G_GINT64_FORMAT " does not match the %dx%d position grid",
                   path, v, c->pos_grid, c->pos_grid);
      return FALSE;
    }
  node = json_object_get_member (o, "use_swiglu_ffn");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                   "%s: use_swiglu_ffn is true: DINOv2 giant (ViT-g/14) and other SwiGLU encoders "
                   "have a different block; not supported (use ViT-S/14, ViT-B/14 or ViT-L/14)",
                   path);
      return FALSE;
    }
  if (config_int (o, "num_attention_heads", &v))
    {
      if (v <= 0 || c->dim % v != 0)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                       "%s: num_attention_heads %" G_GINT64_FORMAT " does not divide the width %d",
                       path, v, c->dim);
          return FALSE;
        }
      c->heads = (int)v;
      c->head_dim = c->dim / c->heads;
    }
  node = json_object_get_member (o, "layer_norm_eps");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
    {
      double eps = json_node_get_double (node); /* converts an int too */
      if (!(eps > 0 && eps < 1))
        {
          g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: layer_norm_eps %g is out of range",
                       path, eps);
          return FALSE;
        }
      c->ln_eps = (float)eps;
    }
  return TRUE;
}

static int
isqrt_exact (gint64 n)
{
  gint64 r = 0;

  while ((r + 1) * (r + 1) <= n)
    r++;
  return r * r == n ? (int)r : -1;
}

static const DmTensorInfo *
find_tensor (const Ctx *ctx, const char *name)
{
  g_autofree char *key = g_strconcat (ctx->prefix, name, NULL);

  return name != NULL ? dm_safetensors_find (ctx->st, key) : NULL;
}

/* Registers, and what their absence says about the naming scheme. The
 * original and timm names differ only in the register tensor
 * (register_tokens / reg_token), so a file with neither is one of the
 * plain DINOv2 models the official code runs with num_register_tokens = 0:
 * Meta's dinov2_vit?14_pretrain.pth (with its unused mask_token) or timm's
 * vit_*_patch14_dinov2 (the same names without mask_token). */
static gboolean
find_registers (Ctx *ctx, DmVitProbe *probe, GError **error)
{
  DmVitConfig *c = &probe->config;
  const DmTensorInfo *t;

  if (probe->scheme == DM_VIT_SCHEME_DINOV2 && find_tensor (ctx, names_dinov2.registers) == NULL
      && (find_tensor (ctx, names_timm.registers) != NULL
          || find_tensor (ctx, names_dinov2.mask) == NULL))
    probe->scheme = DM_VIT_SCHEME_TIMM;
  ctx->names = dm_vit_names (probe->scheme);
  t = find_tensor (ctx, ctx->names->registers);
  if (t == NULL)
    {
      c->n_registers = 0;
      return TRUE;
    }
  if (t->rank != 3 || t->shape[0] != 1 || t->shape[1] < 1 || t->shape[1] > 64
      || t->shape[2] != c->dim)
    {
      g_autofree char *s = dm_tensor_info_shape_string (t);
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "%s: tensor '%s%s' has shape %s, expected (1, R, %d)",
                   dm_safetensors_path (ctx->st), ctx->prefix, ctx->names->registers, s, c->dim);
      return FALSE;
    }
  c->n_registers = (int)t->shape[1];
  return TRUE;
}

/* The position table: the cls row + G*G grid rows, except timm's register
 * models, which fold cls's position into cls_token and keep G*G rows.
 * 1 + G*G is never a square, so the row count tells the two apart. */
static gboolean
find_positions (const Ctx *ctx, DmVitProbe *probe, GError **error)
{
  DmVitConfig *c = &probe->config;
  const DmTensorInfo *t = find_tensor (ctx, ctx->names->pos);
  gint64 rows;

  if (t == NULL)
    return fail (ctx, error, "tensor '%s%s' is missing", ctx->prefix, ctx->names->pos);
  rows = t->rank == 3 ? t->shape[1] : -1;
  probe->pos_has_cls = !(probe->scheme == DM_VIT_SCHEME_TIMM && rows > 0 && isqrt_exact (rows) > 0);
  if (probe->pos_has_cls)
    rows--;
  if (t->rank != 3 || t->shape[0] != 1 || t->shape[2] != c->dim || rows < 1
      || (c->pos_grid = isqrt_exact (rows)) < 1)
    {
      g_autofree char *s = dm_tensor_info_shape_string (t);
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "%s: tensor '%s%s' has shape %s, expected (1, %sG*G, %d) for a square grid of "
                   "positions",
                   dm_safetensors_path (ctx->st), ctx->prefix, ctx->names->pos, s,
                   probe->scheme == DM_VIT_SCHEME_TIMM ? "" : "1 + ", c->dim);
      return FALSE;
    }
  return TRUE;
}

/* DINOv2 giant (ViT-g/14) replaces the MLP by a SwiGLU one: a gate and a
 * value projection and a different activation. Its names: original
 * mlp.w12 / mlp.w3, HuggingFace mlp.weights_in / weights_out, timm
 * (SwiGLUPacked) mlp.fc1 of twice the rows mlp.fc2 takes. */
static gboolean
refuse_swiglu (const Ctx *ctx, const DmVitConfig *c, GError **error)
{
  static const char *const gates[] = { "mlp.w12.weight", "mlp.weights_in.weight" };
  g_autofree char *fc1 = g_strdup_printf ("%s0.%s", ctx->names->block, ctx->names->fc1_w);
  g_autofree char *fc2 = g_strdup_printf ("%s0.%s", ctx->names->block, ctx->names->fc2_w);
  const DmTensorInfo *t1 = find_tensor (ctx, fc1), *t2 = find_tensor (ctx, fc2);
  g_autofree char *found = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (gates) && found == NULL; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s0.%s", ctx->names->block, gates[i]);

      if (find_tensor (ctx, name) != NULL)
        found = g_strconcat (ctx->prefix, name, NULL);
    }
  if (found == NULL && t1 != NULL && t2 != NULL && t1->rank == 2 && t2->rank == 2
      && t1->shape[0] == 2 * t2->shape[1] && t2->shape[0] == c->dim)
    found = g_strconcat (ctx->prefix, fc1, NULL);
  if (found == NULL)
    return TRUE;
  return fail (ctx, error,
               "%s with a SwiGLU MLP ('%s'), a different block from the ViT-S/14, ViT-B/14 and "
               "ViT-L/14 ones Dinomaly runs; it is not supported: use one of those",
               c->dim == 1536 ? "DINOv2 giant (ViT-g/14)" : "a ViT", found);
}

gboolean
dm_vit_probe (const DmSafetensors *st, const char *config_json, DmVitProbe *probe, GError **error)
{
  Ctx ctx = { .st = st };
  DmVitConfig *c = &probe->config;
  const DmTensorInfo *t;
  g_autofree char *key = NULL;
  gint64 d;
  int max_block;

  memset (probe, 0, sizeof *probe);
  ctx.prefix = "";
  if (!find_anchor (&ctx, &probe->scheme, &probe->prefix, error))
    goto failed;
  ctx.prefix = probe->prefix;

  /* Patch embedding (D, 3, P, P): gives D and P. */
  key = g_strconcat (
    ctx.prefix, probe->scheme == DM_VIT_SCHEME_HF ? names_hf.patch_w : names_dinov2.patch_w, NULL);
  t = dm_safetensors_find (st, key);
  if (t->rank != 4 || t->shape[0] < 1 || t->shape[1] != 3 || t->shape[2] < 1
      || t->shape[2] != t->shape[3] || t->shape[0] > 65536 || t->shape[2] > 1024)
    {
      g_autofree char *s = dm_tensor_info_shape_string (t);
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "%s: tensor '%s' has shape %s, expected (D, 3, P, P) for an RGB patch embedding",
                   dm_safetensors_path (st), key, s);
      goto failed;
    }
  c->dim = (int)t->shape[0];
  c->patch_size = (int)t->shape[2];
  d = c->dim;

  if (!find_registers (&ctx, probe, error) || !find_positions (&ctx, probe, error))
    goto failed;

  max_block = max_block_index (&ctx);
  if (max_block < 0)
    {
      fail (&ctx, error, "no transformer blocks ('%s%s0.%s' is missing)", ctx.prefix,
            ctx.names->block, ctx.names->norm1_w);
      goto failed;
    }
  c->depth = max_block + 1;
  if (!refuse_swiglu (&ctx, c, error))
    goto failed;
  g_free (key);
  key = g_strdup_printf ("%s%s0.%s", ctx.prefix, ctx.names->block, ctx.names->fc1_w);
  t = dm_safetensors_find (st, key);
  if (t == NULL || t->rank != 2 || t->shape[0] < 1 || t->shape[1] != d)
    {
      if (t == NULL)
        fail (&ctx, error, "tensor '%s' is missing", key);
      else
        {
          g_autofree char *s = dm_tensor_info_shape_string (t);
          g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                       "%s: tensor '%s' has shape %s, expected (H, %d)", dm_safetensors_path (st),
                       key, s, c->dim);
        }
      goto failed;
    }
  c->mlp_hidden = (int)t->shape[0];
  c->heads = c->dim / 64;
  c->head_dim = 64;
  c->ln_eps = 1e-6f;

  if (!expect (&ctx, -1, ctx.names->cls, FALSE, SHAPE (1, 1, d), error)
      || (ctx.names->mask != NULL && !expect (&ctx, -1, ctx.names->mask, TRUE, SHAPE (1, d), error))
      || !expect (&ctx, -1, ctx.names->patch_b, FALSE, SHAPE (d), error)
      || !expect (&ctx, -1, ctx.names->norm_w, TRUE, SHAPE (d), error)
      || !expect (&ctx, -1, ctx.names->norm_b, TRUE, SHAPE (d), error))
    goto failed;
  for (int i = 0; i < c->depth; i++)
    if (!check_block (&ctx, i, c, error))
      goto failed;

  if (probe->scheme == DM_VIT_SCHEME_HF && config_json != NULL
      && g_file_test (config_json, G_FILE_TEST_IS_REGULAR))
    {
      if (!apply_config_json (&ctx, config_json, c, error))
        {
          /* Name both files: the weights are what the user asked about. */
          g_prefix_error (error, "%s: ", dm_safetensors_path (st));
          goto failed;
        }
      probe->config_json = g_strdup (config_json);
    }
  else if (c->dim % 64 != 0)
    {
      fail (&ctx, error, "width D = %d is not a multiple of the head width 64", c->dim);
      goto failed;
    }

  /* Count what belongs to the encoder (a state dict also holds the decoder). */
  for (guint i = 0; i < dm_safetensors_n_tensors (st); i++)
    {
      t = dm_safetensors_tensor (st, i);
      if (!g_str_has_prefix (t->name, ctx.prefix)
          || (ctx.prefix[0] == '\0'
              && (g_str_has_prefix (t->name, "bottleneck.")
                  || g_str_has_prefix (t->name, "decoder."))))
        continue;
      probe->n_tensors++;
      probe->n_params += t->n_elements;
      probe->dtype_mask |= 1u << t->dtype;
    }
  return TRUE;

failed:
  dm_vit_probe_clear (probe);
  return FALSE;
}
