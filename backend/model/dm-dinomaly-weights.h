/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The trained part of Dinomaly, bottleneck + 8 decoder blocks, in ONE flat
 * float32 arena with named views (llm.c style). Gradients and optimiser
 * moments use the same layout (DmDinomalyLayout): one memset zeroes them,
 * one loop over the parameter table runs the optimiser, one write saves
 * them.
 *
 * The arena order is fixed and is the order of the official state dict
 * (shared/spec/weights.md), every tensor starting on a 64-byte boundary
 * (padding floats, if any, are zero and stay zero):
 *
 *   bottleneck.0.fc1.weight (4D, D)   bottleneck.0.fc1.bias (4D)
 *   bottleneck.0.fc2.weight (D, 4D)   bottleneck.0.fc2.bias (D)
 *   then for N = 0..7:
 *   decoder.N.norm1.weight (D)        decoder.N.norm1.bias (D)
 *   decoder.N.attn.qkv.weight (3D, D) decoder.N.attn.qkv.bias (3D)
 *   decoder.N.attn.proj.weight (D, D) decoder.N.attn.proj.bias (D)
 *   decoder.N.norm2.weight (D)        decoder.N.norm2.bias (D)
 *   decoder.N.mlp.fc1.weight (4D, D)  decoder.N.mlp.fc1.bias (4D)
 *   decoder.N.mlp.fc2.weight (D, 4D)  decoder.N.mlp.fc2.bias (D)
 *
 * Linear weights are [out, in]: y = x W^T + b. */
#pragma once

#include <glib.h>

#include "dm-safetensors.h"
#include "dm-safetensors-writer.h"

G_BEGIN_DECLS

#define DM_DECODER_DEPTH 8
#define DM_DINOMALY_MLP_RATIO 4
#define DM_DINOMALY_N_PARAMS (4 + 12 * DM_DECODER_DEPTH) /* tensors: 100 */

typedef enum
{
  DM_PARAM_LINEAR_WEIGHT, /* init: truncated normal, std 0.01, cut at +-0.03 */
  DM_PARAM_BIAS,          /* init: 0 (linear biases and LayerNorm biases) */
  DM_PARAM_NORM_WEIGHT,   /* init: 1 */
} DmParamKind;

/* One tensor of the arena. */
typedef struct
{
  char name[40]; /* official state-dict name, e.g. "decoder.3.attn.qkv.weight" */
  DmParamKind kind;
  int rank; /* 1 or 2 */
  gint64 shape[2];
  gsize offset; /* in floats from the arena start, a multiple of 16 */
  gsize n_elements;
} DmParamInfo;

typedef struct
{
  int dim;                                  /* D */
  int mlp_hidden;                           /* 4D */
  DmParamInfo params[DM_DINOMALY_N_PARAMS]; /* in arena order */
  gsize n_floats;                           /* arena size, padding included */
} DmDinomalyLayout;

typedef struct
{
  float *fc1_w; /* (4D, D) */
  float *fc1_b; /* (4D) */
  float *fc2_w; /* (D, 4D) */
  float *fc2_b; /* (D) */
} DmBottleneckViews;

typedef struct
{
  float *norm1_w; /* (D) */
  float *norm1_b; /* (D) */
  float *qkv_w;   /* (3D, D): rows of q, then k, then v */
  float *qkv_b;   /* (3D) */
  float *proj_w;  /* (D, D) */
  float *proj_b;  /* (D) */
  float *norm2_w; /* (D) */
  float *norm2_b; /* (D) */
  float *fc1_w;   /* (4D, D) */
  float *fc1_b;   /* (4D) */
  float *fc2_w;   /* (D, 4D) */
  float *fc2_b;   /* (D) */
} DmDecoderBlockViews;

/* Named views into an arena of this layout: parameters, gradients, Adam
 * moments alike. */
typedef struct
{
  DmBottleneckViews bottleneck;
  DmDecoderBlockViews blocks[DM_DECODER_DEPTH];
} DmDinomalyViews;

typedef struct
{
  DmDinomalyLayout layout;
  float *arena; /* owned, 64-byte aligned, layout.n_floats */
  DmDinomalyViews v;
} DmDinomalyWeights;

/* The table for width dim (D > 0). */
void dm_dinomaly_layout_init (DmDinomalyLayout *layout, int dim);
/* Points views at base, an arena of layout->n_floats floats. */
void dm_dinomaly_views_point (DmDinomalyViews *views, const DmDinomalyLayout *layout, float *base);
/* The entry of a name, or NULL. */
const DmParamInfo *dm_dinomaly_layout_find (const DmDinomalyLayout *layout, const char *name);

/* Zeroed weights of width dim. */
DmDinomalyWeights *dm_dinomaly_weights_new (int dim, GError **error);
void dm_dinomaly_weights_free (DmDinomalyWeights *weights);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmDinomalyWeights, dm_dinomaly_weights_free)

/* The training init of shared/spec/dinomaly.md §5 from a seeded generator
 * (same seed, same weights on every platform): linear weights truncated
 * normal std 0.01 cut at +-0.03, biases 0, LayerNorm weights 1, bias 0. */
void dm_dinomaly_weights_init (DmDinomalyWeights *weights, guint64 seed);

/* What a state dict holds, from its header. */
typedef struct
{
  char *prefix;     /* stripped before "bottleneck."/"decoder.": usually "" */
  int dim;          /* D */
  guint dtype_mask; /* 1 << DmDtype of its tensors */
  guint64 n_params;
} DmDinomalyProbe;

/* Finds the bottleneck and the 8 decoder blocks under the official names
 * and checks every shape. The file may hold other tensors (encoder.*). */
gboolean dm_dinomaly_probe (const DmSafetensors *st, DmDinomalyProbe *probe, GError **error);
void dm_dinomaly_probe_clear (DmDinomalyProbe *probe);

/* Loads them. expected_dim > 0: the backbone's width, a mismatch is an
 * error (DM_ERROR_MISMATCH) naming both widths. */
DmDinomalyWeights *
dm_dinomaly_weights_load (const DmSafetensors *st, int expected_dim, GError **error);

/* Adds the 100 tensors under their official names (data not copied: keep
 * weights alive until the writer is written). */
gboolean dm_dinomaly_weights_add_to_writer (const DmDinomalyWeights *weights,
                                            DmSafetensorsWriter *writer,
                                            GError **error);

G_END_DECLS
