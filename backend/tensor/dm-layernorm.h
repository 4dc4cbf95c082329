/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Layer normalization over the last dimension (oneDNN), forward and
 * backward, with a per-channel scale (weight) and shift (bias). */
#pragma once

#include <glib.h>

#include "dm-engine.h"

G_BEGIN_DECLS

/* out (M, C) = (inp - mean) / sqrt (var + eps) * weight + bias, per row.
 *   inp (M, C); weight, bias (C)
 *   mean, var (M): per-row mean and biased variance (divided by C), saved
 *   for the backward; both NULL in inference (then nothing is saved).
 * eps: 1e-6 in the encoder, 1e-8 in the decoder. out may equal inp. */
gboolean dm_layernorm_forward (DmEngine *engine,
                               float *out,
                               float *mean,
                               float *var,
                               const float *inp,
                               const float *weight,
                               const float *bias,
                               int M,
                               int C,
                               float eps,
                               GError **error);

/* dinp (M, C) written; dweight, dbias (C) accumulated; any may be NULL.
 * dout, inp (M, C), weight (C), mean and var (M) as saved by the forward,
 * eps as in the forward. dinp may equal dout. */
gboolean dm_layernorm_backward (DmEngine *engine,
                                float *dinp,
                                float *dweight,
                                float *dbias,
                                const float *dout,
                                const float *inp,
                                const float *weight,
                                const float *mean,
                                const float *var,
                                int M,
                                int C,
                                float eps,
                                GError **error);

/* The backward of a pre-norm branch's LayerNorm fused with the residual
 * stream's gradient, by a loop of ours on all cores (one pass instead of
 * the parameter sums, oneDNN's backward and the add):
 *   dx (M, C)    += the input gradient of out = LN (x) for dout, plus
 *                   extra_scale * extra (M, C) when extra is not NULL
 *   dweight (C)  += sum over rows of dout * xhat; dbias (C) += sum of dout
 *   dsum (C)     += the column sums of the updated dx, when not NULL (the
 *                   bias gradient of the layer whose output gradient dx is)
 * x, weight, mean, var and eps as in the forward. Column sums in double,
 * in a fixed order (the same bits on any number of threads). dx must not
 * overlap the inputs; dweight, dbias may be NULL. */
gboolean dm_layernorm_backward_add (DmEngine *engine,
                                    float *dx,
                                    float *dweight,
                                    float *dbias,
                                    float *dsum,
                                    const float *dout,
                                    const float *x,
                                    const float *weight,
                                    const float *mean,
                                    const float *var,
                                    const float *extra,
                                    float extra_scale,
                                    int M,
                                    int C,
                                    float eps,
                                    GError **error);

G_END_DECLS
