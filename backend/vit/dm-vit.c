/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The frozen DINOv2 encoder (with or without registers), forward only. */
#include "dm-vit.h"
#include "dm-arena.h"

#include <string.h>

#include "dm-attention.h"
#include "dm-binary.h"
#include "dm-error.h"
#include "dm-layernorm.h"
#include "dm-linear.h"
#include "dm-vit-embed.h"

/* Views into the workspace for one forward. */
typedef struct
{
  float *unfolded; /* (B * g * g, 3 * P * P) */
  float *patches;  /* (B * g * g, D) */
  float *pos;      /* (g * g, D) */
  float *x;        /* (B, N, D) the residual stream */
  float *h;        /* (B, N, D) LayerNorm output */
  float *qkv;      /* (B, N, 3D) */
  float *att;      /* (B, N, D) attention output, before the projection */
  float *mlp;      /* (B, N, 4D) */
  float *scratch;  /* attention scratch */
} VitActs;

void
dm_vit_targets_default (DmVitTargets *targets, const DmVitConfig *config)
{
  memset (targets, 0, sizeof *targets);
  targets->n_targets = 8;
  targets->group_split = 4;
  for (int i = 0; i < 8; i++)
    {
      if (config->depth == 12)
        targets->targets[i] = 2 + i;
      else if (config->depth == 24)
        targets->targets[i] = 4 + 2 * i;
      else
        {
          /* evenly spread over the blocks before the last two */
          int last = MAX (config->depth - 3, 7);
          targets->targets[i] = last - 7 + i;
        }
    }
}

int
dm_vit_n_tokens (const DmVitConfig *config, int crop)
{
  int g = crop / config->patch_size;
  return 1 + config->n_registers + g * g;
}

static gsize
layout_acts (VitActs *acts, float *base, const DmVitConfig *c, int B, int crop)
{
  int g = crop / c->patch_size;
  gsize N = (gsize)dm_vit_n_tokens (c, crop);
  gsize D = c->dim;
  gsize n_patches = (gsize)B * g * g;
  gsize sizes[] = {
    n_patches * 3 * c->patch_size * c->patch_size,
    n_patches * D,
    (gsize)g * g * D,
    B * N * D,
    B * N * D,
    B * N * 3 * D,
    B * N * D,
    B * N * (gsize)c->mlp_hidden,
    dm_attention_scratch_size (B, (int)N, c->dim, c->heads),
  };
  float **views[] = { &acts->unfolded, &acts->patches, &acts->pos, &acts->x,      &acts->h,
                      &acts->qkv,      &acts->att,     &acts->mlp, &acts->scratch };
  gsize offset = 0;

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      if (base != NULL)
        *views[i] = base + offset;
      offset += dm_pad_floats (sizes[i]);
    }
  return offset;
}

gsize
dm_vit_workspace_size (const DmVitConfig *config, int B, int crop)
{
  VitActs acts;
  return layout_acts (&acts, NULL, config, B, crop);
}

/* One pre-norm block: x += ls1 * Attn (LN1 (x)); x += ls2 * MLP (LN2 (x)).
 * Each LayerScale residual is closed inside its matmul (proj, fc2): the
 * gammas as output scales, the add as an in-place sum into x. */
static gboolean
block_forward (DmEngine *engine,
               const DmVitConfig *c,
               const DmVitBlockWeights *w,
               VitActs *a,
               int B,
               int N,
               GError **error)
{
  int M = B * N, D = c->dim;

  return dm_layernorm_forward (engine, a->h, NULL, NULL, a->x, w->norm1_w, w->norm1_b, M, D,
                               c->ln_eps, error)
         && dm_linear_forward (engine, a->qkv, a->h, w->qkv_w, w->qkv_b, M, D, 3 * D, DM_ACT_NONE,
                               error)
         && dm_attention_forward (engine, a->att, a->scratch, a->qkv, B, N, D, c->heads, error)
         && dm_linear_forward_residual (engine, a->x, a->att, w->proj_w, w->proj_b, w->ls1, a->x, M,
                                        D, D, error)
         && dm_layernorm_forward (engine, a->h, NULL, NULL, a->x, w->norm2_w, w->norm2_b, M, D,
                                  c->ln_eps, error)
         && dm_linear_forward (engine, a->mlp, a->h, w->fc1_w, w->fc1_b, M, D, c->mlp_hidden,
                               DM_ACT_GELU, error)
         && dm_linear_forward_residual (engine, a->x, a->mlp, w->fc2_w, w->fc2_b, w->ls2, a->x, M,
                                        c->mlp_hidden, D, error);
}

static void
scale (float *x, gsize n, float s)
{
  for (gsize i = 0; i < n; i++)
    x[i] *= s;
}

gsize
dm_vit_pos_size (const DmVitConfig *config, int crop)
{
  gsize g = crop / config->patch_size;

  return g * g * config->dim;
}

void
dm_vit_pos_prepare (const DmVitWeights *weights, int crop, float *pos)
{
  const DmVitConfig *c = &weights->config;

  dm_pos_embed_interpolate (pos, weights->pos_grid, c->pos_grid, crop / c->patch_size, c->dim);
}

/* pos: the prepared grid, or NULL to interpolate it into the workspace. */
static gboolean
vit_forward (DmEngine *engine,
             const DmVitWeights *weights,
             const DmVitTargets *targets,
             const float *img,
             int B,
             int crop,
             const float *pos,
             float *E1,
             float *E2,
             float *fused,
             float *workspace,
             const DmVitDebug *debug,
             GError **error)
{
  const DmVitConfig *c = &weights->config;
  int P = c->patch_size, D = c->dim;
  int g = crop / P;
  int N = dm_vit_n_tokens (c, crop);
  gsize n_tokens = (gsize)B * N * D;
  int last = targets->targets[targets->n_targets - 1];
  int next_target = 0;
  VitActs a;

  if (crop <= 0 || crop % P != 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "Crop size %d is not a positive multiple of the patch size %d", crop, P);
      return FALSE;
    }
  if (last >= weights->n_blocks)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "The encoder has %d blocks loaded but target block %d is needed",
                   weights->n_blocks, last);
      return FALSE;
    }
  layout_acts (&a, workspace, c, B, crop);

  /* Embedding: the 14x14 stride-14 convolution as a matmul over unfolded
   * patches, then cls (+ its position), registers (no position), patches +
   * the interpolated grid. */
  dm_patch_unfold (a.unfolded, img, B, g, P);
  if (!dm_linear_forward (engine, a.patches, a.unfolded, weights->patch_w, weights->patch_b,
                          B * g * g, 3 * P * P, D, DM_ACT_NONE, error))
    return FALSE;
  if (pos == NULL)
    {
      dm_pos_embed_interpolate (a.pos, weights->pos_grid, c->pos_grid, g, D);
      pos = a.pos;
    }
  dm_vit_assemble_tokens (a.x, a.patches, weights->cls_token, weights->cls_pos,
                          weights->register_tokens, c->n_registers, pos, B, g, D);
  if (debug != NULL && debug->pos_interp != NULL)
    {
      memcpy (debug->pos_interp, weights->cls_pos, sizeof (float) * D);
      memcpy (debug->pos_interp + D, pos, sizeof (float) * g * g * D);
    }
  if (debug != NULL && debug->tokens != NULL)
    memcpy (debug->tokens, a.x, sizeof (float) * N * D);

  for (int i = 0; i <= last; i++)
    {
      if (!block_forward (engine, c, &weights->blocks[i], &a, B, N, error))
        return FALSE;
      if (debug != NULL && debug->block_out != NULL && debug->block_out[i] != NULL)
        memcpy (debug->block_out[i], a.x, sizeof (float) * N * D);
      if (next_target < targets->n_targets && targets->targets[next_target] == i)
        {
          /* Running sums in target order, as torch.stack (list).mean (0)
           * adds them: E1 over the first group, E2 over the second,
           * fused over all targets. */
          int t = next_target, split = targets->group_split;
          float *group = t < split ? E1 : E2;

          if (t == 0 || t == split)
            memcpy (group, a.x, sizeof (float) * n_tokens);
          else
            dm_add (group, group, a.x, n_tokens);
          if (fused != NULL && t == 0)
            memcpy (fused, a.x, sizeof (float) * n_tokens);
          else if (fused != NULL)
            dm_add (fused, fused, a.x, n_tokens);
          next_target++;
        }
    }
  scale (E1, n_tokens, 1.0f / (float)targets->group_split);
  scale (E2, n_tokens, 1.0f / (float)(targets->n_targets - targets->group_split));
  if (fused != NULL)
    scale (fused, n_tokens, 1.0f / (float)targets->n_targets);
  return TRUE;
}

gboolean
dm_vit_forward_debug (DmEngine *engine,
                      const DmVitWeights *weights,
                      const DmVitTargets *targets,
                      const float *img,
                      int B,
                      int crop,
                      float *E1,
                      float *E2,
                      float *fused,
                      float *workspace,
                      const DmVitDebug *debug,
                      GError **error)
{
  return vit_forward (engine, weights, targets, img, B, crop, NULL, E1, E2, fused, workspace, debug,
                      error);
}

gboolean
dm_vit_forward_with_pos (DmEngine *engine,
                         const DmVitWeights *weights,
                         const DmVitTargets *targets,
                         const float *img,
                         int B,
                         int crop,
                         const float *pos,
                         float *E1,
                         float *E2,
                         float *fused,
                         float *workspace,
                         GError **error)
{
  return vit_forward (engine, weights, targets, img, B, crop, pos, E1, E2, fused, workspace, NULL,
                      error);
}

gboolean
dm_vit_forward (DmEngine *engine,
                const DmVitWeights *weights,
                const DmVitTargets *targets,
                const float *img,
                int B,
                int crop,
                float *E1,
                float *E2,
                float *fused,
                float *workspace,
                GError **error)
{
  return dm_vit_forward_debug (engine, weights, targets, img, B, crop, E1, E2, fused, workspace,
                               NULL, error);
}
