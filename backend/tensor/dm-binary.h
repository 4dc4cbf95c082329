/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Elementwise binary ops of the model: residual adds, LayerScale (per-
 * channel scale, alone or fused into the residual) and the mean of k
 * tensors, forward and backward. */
#pragma once

#include <glib.h>

#include "dm-engine.h"

G_BEGIN_DECLS

/* out (n) = a (n) + b (n); out may equal a or b. A plain loop (the
 * signature has no engine; memory-bound, ~0.3 ms for 0.8 M floats).
 * The backward of an add is the identity (da = db = dout), so there is no
 * dm_add_backward: a residual's backward passes dout to the branch and adds
 * the branch's input gradient to it with dm_add. */
void dm_add (float *out, const float *a, const float *b, gsize n);

/* x (M, C) += gamma (C) * y (M, C), row by row, in place: the encoder's
 * LayerScale residual x = x + ls * f(x). On oneDNN binary (mul with a
 * broadcast gamma and a sum post-op: one pass over x and y, all threads).
 * Backward: dx passes through unchanged, and dy, dgamma are those of
 * dm_layerscale_backward (dy, dgamma, dx, y, gamma, M, C). */
gboolean dm_layerscale_residual (
  DmEngine *engine, float *x, const float *y, const float *gamma, int M, int C, GError **error);

/* out (M, C) = inp (M, C) * gamma (C) per row (oneDNN binary, broadcast).
 * out may equal inp. */
gboolean dm_layerscale_forward (
  DmEngine *engine, float *out, const float *inp, const float *gamma, int M, int C, GError **error);

/* dinp (M, C) = dout * gamma, written (oneDNN binary); dgamma (C) +=
 * sum over rows of dout * inp, accumulated (plain loop, double sums).
 * Either may be NULL. dinp may equal dout. */
gboolean dm_layerscale_backward (DmEngine *engine,
                                 float *dinp,
                                 float *dgamma,
                                 const float *dout,
                                 const float *inp,
                                 const float *gamma,
                                 int M,
                                 int C,
                                 GError **error);

/* out (M, N) = scale * x (M, N), and dsum (N) += the column sums of out,
 * by a loop of ours on all cores (out may equal x; scale 1 with out == x
 * only sums). Sums in double in a fixed order: the same bits on any
 * number of threads. The bias gradient of a linear layer from its output
 * gradient. */
gboolean dm_scale_column_sums (DmEngine *engine,
                               float *out,
                               float *dsum,
                               const float *x,
                               float scale,
                               int M,
                               int N,
                               GError **error);

/* out (n) = (inputs[0] + ... + inputs[k-1]) / k, summed in float in that
 * order (as torch.stack (...).mean (0)). out may equal any input. A plain
 * loop over cache-sized chunks, one pass over each input. */
void dm_mean_forward (float *out, const float *const *inputs, int k, gsize n);
/* dinputs[j] (n) = dout (n) / k for each j, written; NULL entries are
 * skipped. */
void dm_mean_backward (float *const *dinputs, const float *dout, int k, gsize n);

G_END_DECLS
