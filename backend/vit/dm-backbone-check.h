/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a backbone file a user chose is: a DINOv2-with-registers encoder
 * (architecture, naming scheme, parameters, dtypes, size, SHA-256), or
 * exactly why it cannot be used. Blocking (it hashes the whole file):
 * call it off the main thread. */
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
 * run code, not a DINOv2-with-registers ViT, ...). */
gboolean dm_backbone_check (const char *path, DmBackboneCheck *check, GError **error);
void dm_backbone_check_clear (DmBackboneCheck *check);

/* "ViT-B/14" for D 768 and patch 14, "ViT-S/14", "ViT-L/14", "ViT-g/14",
 * else "ViT (D 128)/14". Free with g_free. */
char *dm_backbone_arch_name (const DmVitConfig *config);

G_END_DECLS
