/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The embedding stage of the DINOv2 encoder (spec/dinomaly.md §2): patches
 * unfolded for the patch-embedding matmul, the position grid interpolated
 * to the image's grid, and the token sequence assembled. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* out (g * g, D) = the (G * G, D) position grid resized to g x g with
 * PyTorch's bicubic interpolation (a = -0.75, borders clamped, not
 * anti-aliased) at scale factor (g + 0.1) / G, as DINOv2's
 * interpolate_pos_encoding does. When g == G the grid is copied as is. */
void dm_pos_embed_interpolate (float *out, const float *grid, int G, int g, int D);

/* out (B * g * g, 3 * P * P): each row one patch, in the order
 * (channel, ky, kx) of the patch-embedding weight (D, 3, P, P) flattened.
 * img (B, 3, H, W) with H = W = g * P. */
void dm_patch_unfold (float *out, const float *img, int B, int g, int P);

/* x (B, N, D) with N = 1 + R + g * g: [cls + cls_pos, registers, patch
 * embeddings + interpolated positions]. patches (B * g * g, D) are the
 * patch-embedding outputs (bias included); cls_pos may be NULL (timm). */
void dm_vit_assemble_tokens (float *x,
                             const float *patches,
                             const float *cls_token,
                             const float *cls_pos,
                             const float *registers,
                             int R,
                             const float *pos,
                             int B,
                             int g,
                             int D);

G_END_DECLS
