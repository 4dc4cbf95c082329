/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The frozen DINOv2 encoder (with or without registers): its shape (DmVitConfig) and
 * its weights as float32 views into one 64-byte aligned block, loaded from
 * a weight file (safetensors or PyTorch .pth: dm-weight-file.h) in any of
 * the three naming schemes of shared/spec/weights.md (original DINOv2,
 * HuggingFace, timm).
 *
 * Linear weights are PyTorch's [out, in]: y = x W^T + b. */
#pragma once

#include <glib.h>

#include "dm-dtype.h"
#include "dm-safetensors.h"
#include "dm-safetensors-writer.h"

G_BEGIN_DECLS

typedef struct
{
  int dim;         /* D: embedding width (384 ViT-S, 768 ViT-B, 1024 ViT-L) */
  int heads;       /* attention heads: D / 64 unless a config.json says otherwise */
  int head_dim;    /* D / heads (64) */
  int depth;       /* transformer blocks in the file */
  int n_registers; /* register tokens: 4 (dinov2_vit?14_reg4), or 0 (dinov2_vit?14) */
  int patch_size;  /* P: patch side in pixels (14) */
  int pos_grid;    /* G: side of the pretrained position grid (37) */
  int mlp_hidden;  /* MLP width (4D) */
  float ln_eps;    /* LayerNorm epsilon (1e-6) */
} DmVitConfig;

typedef enum
{
  DM_VIT_SCHEME_DINOV2, /* original DINOv2: blocks.N.attn.qkv, register_tokens (none without
                           registers), mask_token, pos_embed with cls row */
  DM_VIT_SCHEME_HF,     /* HuggingFace Dinov2WithRegistersModel / Dinov2Model: embeddings.*,
                           encoder.layer.N.* */
  DM_VIT_SCHEME_TIMM,   /* timm vit_*_patch14_reg4_dinov2: reg_token, cls position folded into
                           cls; vit_*_patch14_dinov2: the original names without mask_token */
} DmVitScheme;

/* Short name ("dinov2", "hf", "timm") and a phrase for people naming the
 * model class of that scheme, which differs with and without registers
 * ("HuggingFace Dinov2Model" / "Dinov2WithRegistersModel"). */
const char *dm_vit_scheme_name (DmVitScheme scheme);
const char *dm_vit_scheme_description (DmVitScheme scheme, int n_registers);

/* One block's weights (views into DmVitWeights.arena). */
typedef struct
{
  float *norm1_w; /* (D) */
  float *norm1_b; /* (D) */
  float *qkv_w;   /* (3D, D): rows of q, then k, then v */
  float *qkv_b;   /* (3D) */
  float *proj_w;  /* (D, D) */
  float *proj_b;  /* (D) */
  float *ls1;     /* (D) LayerScale after attention */
  float *norm2_w; /* (D) */
  float *norm2_b; /* (D) */
  float *fc1_w;   /* (4D, D) */
  float *fc1_b;   /* (4D) */
  float *fc2_w;   /* (D, 4D) */
  float *fc2_b;   /* (D) */
  float *ls2;     /* (D) LayerScale after the MLP */
} DmVitBlockWeights;

/* What a file holds, found from its header alone (nothing is read). */
typedef struct
{
  DmVitScheme scheme;
  char *prefix; /* stripped key prefix: "" or "encoder.", "model.", ... */
  DmVitConfig config;
  char *config_json;    /* the HF config.json used, or NULL */
  gboolean pos_has_cls; /* the position table starts with cls's row (all but timm's
                         * register models, whose cls_token holds it) */
  guint n_tensors;      /* encoder tensors in the file */
  guint64 n_params;     /* their elements */
  guint dtype_mask;     /* 1 << DmDtype of each dtype they use */
} DmVitProbe;

typedef struct
{
  DmVitConfig config;
  int n_blocks;         /* blocks loaded: config.depth, or fewer when asked */
  DmVitScheme scheme;   /* where the weights came from */
  char *prefix;         /* the key prefix that was stripped */
  DmDtype source_dtype; /* the widest float dtype of the file's encoder tensors */

  float *arena; /* owned: every view below points into it, 64-byte aligned */
  gsize n_floats;

  float *cls_token;          /* (D) */
  float *cls_pos;            /* (D) position of cls; zero for timm (folded into cls_token) */
  float *pos_grid;           /* (G*G, D) row-major 37x37 grid; always cls_pos + D, so
                              * cls_pos..pos_grid end is the original (1 + G*G, D) table */
  float *register_tokens;    /* (R, D); R may be 0 */
  float *mask_token;         /* (D) unused by Dinomaly; zero for timm; kept for export */
  float *patch_w;            /* (D, 3*P*P) = conv (D, 3, P, P) flattened */
  float *patch_b;            /* (D) */
  float *norm_w;             /* (D) final LayerNorm, unused by Dinomaly; kept for export */
  float *norm_b;             /* (D) */
  DmVitBlockWeights *blocks; /* (n_blocks), owned */
} DmVitWeights;

/* Finds scheme, prefix and shape of the DINOv2 encoder (with or without
 * registers; DINOv2 giant's SwiGLU blocks are refused by name) in a
 * file and checks every tensor's name and shape (all config.depth blocks).
 * config_json: path of a HuggingFace config.json to use for an HF file
 * (checked against the shapes), or NULL. On failure, the error says what
 * the file is not and which key or shape was missing or wrong. */
gboolean
dm_vit_probe (const DmSafetensors *st, const char *config_json, DmVitProbe *probe, GError **error);
void dm_vit_probe_clear (DmVitProbe *probe);

/* Loads an encoder file (safetensors or .pth); a config.json in the same
 * folder is used for an HF file (model.safetensors or pytorch_model.bin). n_blocks < 0 loads all
 * blocks, else only the first n_blocks (the model never runs the blocks after its last target
 * block). */
DmVitWeights *dm_vit_weights_load (const char *path, int n_blocks, GError **error);
/* The same from an open file (e.g. a model file's embedded `encoder.*`). */
DmVitWeights *dm_vit_weights_load_from (const DmSafetensors *st,
                                        const char *config_json,
                                        int n_blocks,
                                        GError **error);
void dm_vit_weights_free (DmVitWeights *weights);
/* Zeroed weights of a config (original scheme, no prefix), n_blocks < 0
 * for all blocks. */
DmVitWeights *dm_vit_weights_alloc (const DmVitConfig *config, int n_blocks, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmVitWeights, dm_vit_weights_free)

/* Adds every tensor under the original DINOv2 names (cls_token,
 * register_tokens, pos_embed (1, 1 + G*G, D), mask_token, patch_embed.*,
 * blocks.N.*, norm.*) behind `prefix` ("encoder." in a model file), stored
 * as store_as. The writer points at the arena: keep weights alive until it
 * is written. All blocks must be loaded. */
gboolean dm_vit_weights_add_to_writer (const DmVitWeights *weights,
                                       DmSafetensorsWriter *writer,
                                       const char *prefix,
                                       DmDtype store_as,
                                       GError **error);

/* Parameters of a full model of this config (original-scheme tensors). */
guint64 dm_vit_config_n_params (const DmVitConfig *config);
/* TRUE when two configs describe the same architecture. */
gboolean dm_vit_config_equal (const DmVitConfig *a, const DmVitConfig *b);

G_END_DECLS
