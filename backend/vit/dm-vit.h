/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The frozen DINOv2 encoder (with 4 registers or none), forward only (spec/dinomaly.md
 * §2): patch embedding, positions, blocks up to the last target block, and
 * the target-block means Dinomaly needs (the fused input and the two
 * encoder groups). */
#pragma once

#include <glib.h>

#include "dm-engine.h"
#include "dm-vit-weights.h"

G_BEGIN_DECLS

#define DM_VIT_MAX_TARGETS 16

typedef struct
{
  int n_targets;                   /* 8 */
  int targets[DM_VIT_MAX_TARGETS]; /* 0-based block indices, ascending */
  int group_split;                 /* E1 = mean(targets[0..split)), E2 = the rest */
} DmVitTargets;

/* The paper's targets for a config: blocks 2..9 for 12-deep models,
 * 4, 6, ..., 18 for 24-deep ones; else the 8 blocks ending two before the
 * last, evenly spread. */
void dm_vit_targets_default (DmVitTargets *targets, const DmVitConfig *config);

/* Activation memory of one forward at batch B and crop size (floats). */
gsize dm_vit_workspace_size (const DmVitConfig *config, int B, int crop);

/* Tokens of an image of this crop: 1 + registers + (crop / patch)^2. */
int dm_vit_n_tokens (const DmVitConfig *config, int crop);

/* img (B, 3, crop, crop) normalised images ->
 *   E1, E2 (B, N, D): the means of the two target groups, all N tokens;
 *   fused  (B, N, D): the mean of all targets (NULL to skip).
 * workspace: dm_vit_workspace_size floats. Blocks after the last target
 * are never run. The weights must hold at least that many blocks. */
gboolean dm_vit_forward (DmEngine *engine,
                         const DmVitWeights *weights,
                         const DmVitTargets *targets,
                         const float *img,
                         int B,
                         int crop,
                         float *E1,
                         float *E2,
                         float *fused,
                         float *workspace,
                         GError **error);

/* The position embeddings of the patch grid for a crop, (g * g, D) with
 * g = crop / patch: the interpolated 37 x 37 table, the same for every
 * image. Callers that run many batches compute it once (dm_vit_pos_size
 * floats) and pass it to dm_vit_forward_with_pos. */
gsize dm_vit_pos_size (const DmVitConfig *config, int crop);
void dm_vit_pos_prepare (const DmVitWeights *weights, int crop, float *pos);

/* dm_vit_forward with the grid of dm_vit_pos_prepare (same weights and
 * crop) instead of interpolating it again. */
gboolean dm_vit_forward_with_pos (DmEngine *engine,
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
                                  GError **error);

/* For tests: every block's output of image 0 goes to block_out[i]
 * ((N, D) each, for blocks 0..last target) when non-NULL, and the token
 * sequence before block 0 to tokens. */
typedef struct
{
  float *tokens;
  float **block_out;
  float *pos_interp; /* (1 + g*g, D): cls position then the grid */
} DmVitDebug;

gboolean dm_vit_forward_debug (DmEngine *engine,
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
                               GError **error);

G_END_DECLS
