/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The decoder's linear attention (spec/dinomaly.md §3), forward and backward,
 * read straight out of the qkv linear's output. */
#pragma once

#include "dm-engine.h"

G_BEGIN_DECLS

/* The widest head (D / H) supported. */
#define DM_LINEAR_ATTENTION_MAX_HD 256

/* Per head, with hd = D/H:
 *   q' = elu(q) + 1,  k' = elu(k) + 1          (N, hd), all > 0
 *   KV = k'^T v  (hd, hd),  ksum = sum_t k'_t  (hd)
 *   z_s = 1 / (q'_s . ksum),  out_s = z_s (q'_s KV)
 * No 1/sqrt(hd) scale. */

/* Floats of the caller-owned `saved` buffer: KV (B, H, hd, hd), ksum
 * (B, H, hd) and z (B, H, N), each section padded to a multiple of 16
 * floats. 0 when the shapes are invalid. */
gsize dm_linear_attention_saved_size (int B, int N, int D, int H);

/* qkv   (B, N, 3D): per token [q | k | v], each H heads of hd contiguous.
 * out   (B, N, D):  heads concatenated in order.
 * saved (dm_linear_attention_saved_size): written, what backward reads.
 * qk1   (B, N, 2D): written, per token [q' | k']; the backward reads them
 *                   too: keep them, or make them again with
 *                   dm_linear_attention_recompute.
 * out must not overlap the others. */
gboolean dm_linear_attention_forward (DmEngine *engine,
                                      float *out,
                                      float *saved,
                                      float *qk1,
                                      const float *qkv,
                                      int B,
                                      int N,
                                      int D,
                                      int H,
                                      GError **error);

/* qk1 and, when out is not NULL, out again from qkv and saved, bit for bit
 * what the forward wrote (training recomputes them in the backward instead
 * of keeping them per block). */
gboolean dm_linear_attention_recompute (DmEngine *engine,
                                        float *out,
                                        float *saved,
                                        float *qk1,
                                        const float *qkv,
                                        int B,
                                        int N,
                                        int D,
                                        int H,
                                        GError **error);

/* dqkv  (B, N, 3D): written (not accumulated), the gradient of q, k and v.
 * dbias (3D):       += the column sums of dqkv (the qkv layer's bias
 *                   gradient, summed here where dqkv is made), or NULL.
 * dout  (B, N, D):  gradient of out.
 * qkv, saved, qk1:  as given to and written by the forward.
 * dqkv must not overlap the other buffers. Uses engine-owned workspaces. */
gboolean dm_linear_attention_backward (DmEngine *engine,
                                       float *dqkv,
                                       float *dbias,
                                       const float *dout,
                                       const float *qkv,
                                       const float *saved,
                                       const float *qk1,
                                       int B,
                                       int N,
                                       int D,
                                       int H,
                                       GError **error);

G_END_DECLS
