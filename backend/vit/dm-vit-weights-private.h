/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tensor names of the three encoder naming schemes, shared by the probe
 * and the loader. */
#pragma once

#include "dm-vit-weights.h"

G_BEGIN_DECLS

/* Names relative to the file's prefix. Block names are relative to
 * `block` + "N.". NULL: the scheme has no such tensor. For HF, q/k/v are
 * three tensors; the others keep them stacked in qkv_w[0]. */
typedef struct
{
  const char *cls, *registers, *pos, *mask, *patch_w, *patch_b, *norm_w, *norm_b;
  const char *block;
  const char *norm1_w, *norm1_b;
  const char *qkv_w[3], *qkv_b[3];
  const char *proj_w, *proj_b, *ls1;
  const char *norm2_w, *norm2_b;
  const char *fc1_w, *fc1_b, *fc2_w, *fc2_b, *ls2;
} DmVitNames;

const DmVitNames *dm_vit_names (DmVitScheme scheme);

G_END_DECLS
