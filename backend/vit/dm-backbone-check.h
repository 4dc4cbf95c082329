/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a backbone file a user chose is: a DINOv2 encoder with or without
 * registers (architecture, naming scheme, parameters, dtypes, size,
 * SHA-256), or exactly why it cannot be used; and where the official files
 * of that family come from. dm_backbone_check is blocking (it hashes the
 * whole file): call it off the main thread. */
#pragma once

#include <glib.h>

#include "dm-vit-weights.h"

G_BEGIN_DECLS

typedef struct
{
  char *path;
  DmVitProbe probe;  /* scheme, prefix, config, parameters, dtypes */
  guint64 file_size; /* bytes */
  char *sha256;      /* 64 hex digits */
} DmBackboneCheck;

/* Reads safetensors and PyTorch (.pth) files alike. FALSE with an error
 * naming the file and the problem (not a weight file, a pickle that asks to
 * run code, not a DINOv2 ViT, DINOv2 giant, ...). */
gboolean dm_backbone_check (const char *path, DmBackboneCheck *check, GError **error);
void dm_backbone_check_clear (DmBackboneCheck *check);

/* "ViT-B/14" for D 768 and patch 14, "ViT-S/14", "ViT-L/14", "ViT-g/14",
 * else "ViT (D 128)/14". Free with g_free. */
char *dm_backbone_arch_name (const DmVitConfig *config);

/* "DINOv2 ViT-B/14 with 4 registers", "DINOv2 ViT-S/14 without
 * registers": the family, for the command line (the window words its
 * own, translated). Free with g_free. */
char *dm_backbone_family_name (const DmVitConfig *config);

/* The official releases of a ViT-S/B/L/14 with 4 or without registers:
 * Meta's checkpoint (github.com/facebookresearch/dinov2), the HuggingFace
 * repository and the timm model name. */
typedef struct
{
  const char *pth;  /* "dinov2_vits14_reg4_pretrain.pth" */
  const char *hf;   /* "facebook/dinov2-with-registers-small" */
  const char *timm; /* "vit_small_patch14_reg4_dinov2.lvd142m" */
} DmBackboneOfficial;

#define DM_BACKBONE_META_REPO "github.com/facebookresearch/dinov2"

/* FALSE for a shape no official file has (another width, depth or
 * register count). */
gboolean dm_backbone_official (const DmVitConfig *config, DmBackboneOfficial *official);

G_END_DECLS
