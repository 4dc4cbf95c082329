/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Naive double-precision references of the attention and cosine ops, written
 * straight from the formulas for the tests (slow: never use them in the
 * engine). Layouts are those of dm-attention.h, dm-linear-attention.h and
 * dm-cosine.h. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* out (B, N, D) = per head softmax(q k^T / sqrt(hd)) v; qkv (B, N, 3D). */
void dm_reference_attention_forward (double *out, const double *qkv, int B, int N, int D, int H);

/* out (B, N, D): per head q' = elu(q) + 1, k' = elu(k) + 1,
 * out_s = (q'_s k'^T v) / (q'_s . sum_t k'_t); qkv (B, N, 3D). */
void
dm_reference_linear_attention_forward (double *out, const double *qkv, int B, int N, int D, int H);
/* dqkv (B, N, 3D) written from dout (B, N, D), by the chain rule through
 * u_s = q'_s KV and z_s = 1 / (q'_s . ksum) (computed independently of the
 * engine's formulation). */
void dm_reference_linear_attention_backward (
  double *dqkv, const double *dout, const double *qkv, int B, int N, int D, int H);

/* PyTorch 1.13's cosine similarity of two contiguous vectors of n values:
 * x.y / (max(|x|, eps) max(|y|, eps)), eps = 1e-8 (see dm-cosine.h). */
double dm_reference_cosine (const double *x, const double *y, gsize n);

/* dist (B, P) = 1 - cos(a[b,p,:], r[b,p,:]); rows of D values, images
 * batch_stride values apart. */
void dm_reference_cosine_distance_forward (
  double *dist, const double *a, const double *r, int B, int P, int D, gsize batch_stride);
/* loss (B) = 1 - cos(flat(a[b]), flat(r[b])) over the P*D values of image b. */
void dm_reference_global_cosine_forward (
  double *loss, const double *a, const double *r, int B, int P, int D, gsize batch_stride);

G_END_DECLS
