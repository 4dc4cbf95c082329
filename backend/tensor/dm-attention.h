/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Softmax multi-head self-attention of the DINOv2 encoder (forward only: the
 * encoder is frozen), read straight out of the qkv linear's output. */
#pragma once

#include "dm-engine.h"

G_BEGIN_DECLS

/* Floats of caller-owned scratch that dm_attention_forward needs for these
 * shapes, whatever the engine's thread count. The scores are computed a
 * cache-sized chunk (heads of one image, or rows of one head) at a time, so
 * this is far below B*H*N*N for real shapes. 0 when the shapes are invalid. */
gsize dm_attention_scratch_size (int B, int N, int D, int H);

/* qkv     (B, N, 3*D): per token [q | k | v], each D = H heads of hd = D/H
 *                      contiguous values, as the qkv linear (weight [3D, D])
 *                      writes them.
 * out     (B, N, D):   per head softmax(q k^T / sqrt(hd)) v, heads
 *                      concatenated in order (the output projection's input).
 * scratch (dm_attention_scratch_size (B, N, D, H)): caller-owned.
 * out must not overlap qkv or scratch. */
gboolean dm_attention_forward (DmEngine *engine,
                               float *out,
                               float *scratch,
                               const float *qkv,
                               int B,
                               int N,
                               int D,
                               int H,
                               GError **error);

G_END_DECLS
