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

G_END_DECLS
