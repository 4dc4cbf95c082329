/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Random DINOv2-shaped encoders: the real architectures (ViT-S/B/L with 4
 * registers, patch 14, 37x37 position grid) with seeded random weights,
 * for benchmarks and for trying the workflow without a downloaded
 * backbone. Their features are not those of a pretrained DINOv2. */
#pragma once

#include <glib.h>

#include "dm-vit-weights.h"

G_BEGIN_DECLS

/* The config of "small" (ViT-S/14, D 384), "base" (ViT-B/14, D 768),
 * "large" (ViT-L/14, D 1024) or "tiny" (D 64, 12 blocks: no DINOv2 size,
 * for tests); FALSE for another name. */
gboolean dm_vit_config_for_arch (const char *arch, DmVitConfig *config);

/* Seeded random weights of that shape: LayerNorm weights 1, biases 0,
 * linear and patch weights normal with std fan_in^-1/2, LayerScale 0.1,
 * tokens and positions normal with std 0.02 (as DINOv2's own init). The
 * same seed gives the same weights everywhere. */
DmVitWeights *
dm_vit_weights_new_random (const DmVitConfig *config, int n_blocks, guint64 seed, GError **error);

G_END_DECLS
