/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Encoders of the real shapes with random weights, for benchmarks and
 * tests that need a backbone but not a pretrained one (no weight file is
 * read: the numbers are seeded and the same on every platform). */
#pragma once

#include <glib.h>

#include "dm-vit-weights.h"

G_BEGIN_DECLS

/* The DINOv2-with-registers shapes: "small" (D 384, 6 heads), "base"
 * (768, 12), "large" (1024, 16, depth 24); depth 12 otherwise, 4
 * registers, patch 14, 37x37 positions, MLP 4D, LN eps 1e-6. FALSE for an
 * unknown name. */
gboolean dm_vit_config_for_arch (const char *arch, DmVitConfig *config);

/* A config of any width (a multiple of 64) and depth, for small tests. */
void dm_vit_config_custom (DmVitConfig *config, int dim, int depth);

/* Random weights: linear weights normal with std fan_in^-1/2, biases std
 * 0.02, LayerNorm weights 1 + 0.1 normal, LayerScale 0.1, tokens and
 * positions std 0.02, all float32. n_blocks < 0: all. */
DmVitWeights *
dm_vit_weights_new_random (const DmVitConfig *config, int n_blocks, guint64 seed, GError **error);

G_END_DECLS
