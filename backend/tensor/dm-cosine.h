/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Cosine distances between encoder and decoder features (spec/dinomaly.md
 * §4-§6): per token for the anomaly map and hard mining, per image for the
 * global cosine loss; forward and backward, plain loops in double. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Features are token-major (B, N, D) sequences whose patch tokens start at
 * token 5 (after cls and 4 registers). Each op takes a pointer to the first
 * patch row of image 0, P patch rows of D floats per image, and batch_stride,
 * the floats between images (N*D). Gradients are written in the same strided
 * layout, patch rows only: the cls and register rows are left untouched.
 *
 * Cosine similarity as PyTorch 1.13's F.cosine_similarity (eps = 1e-8), which
 * normalises each vector first (squared norm clamped at eps^2, then sqrt):
 *   cos(x, y) = sum_i (x_i / max(|x|, eps)) (y_i / max(|y|, eps))
 * computed here as (x.y) / (max(|x|, eps) max(|y|, eps)) with the dot product
 * and the norms accumulated in double. PyTorch <= 1.11 computed
 * x.y / sqrt(max(|x|^2 |y|^2, eps^2)) = x.y / max(|x| |y|, eps); the two
 * differ only when a norm is below 1e-8. The clamp runs under no_grad in
 * PyTorch, so autograd differentiates the norm as x / max(|x|, eps): the
 * backward here does the same, which is the exact gradient whenever both
 * norms are >= eps (always, for real features).
 *
 * §5's global loss uses the flattened version of the same function over all
 * P*D values of an image (a (B, P*D) view, dim 1); §5's hard-mining and §6's
 * anomaly map use the per-point version over D (dim 1 of (B, D, g, g)). */

/* dist (B, P) = 1 - cos(a[b,p,:], r[b,p,:]) per token. */
void dm_cosine_distance_forward (
  float *dist, const float *a, const float *r, int B, int P, int D, gsize batch_stride);

/* ddist (B, P) -> dr written (layout of r); da written when non-NULL. Each
 * point's gradient is independent, so the caller can then scale dr per point
 * (hard mining multiplies some by 0.1). */
void dm_cosine_distance_backward (float *da,
                                  float *dr,
                                  const float *ddist,
                                  const float *a,
                                  const float *r,
                                  int B,
                                  int P,
                                  int D,
                                  gsize batch_stride);

/* loss (B) = 1 - cos(flat(a[b]), flat(r[b])) over the P*D values of image b. */
void dm_global_cosine_forward (
  float *loss, const float *a, const float *r, int B, int P, int D, gsize batch_stride);

/* dloss (B) -> dr written (layout of r); da written when non-NULL. */
void dm_global_cosine_backward (float *da,
                                float *dr,
                                const float *dloss,
                                const float *a,
                                const float *r,
                                int B,
                                int P,
                                int D,
                                gsize batch_stride);

G_END_DECLS
