/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Elementwise activations on oneDNN eltwise: exact GELU (MLPs) and
 * elu(x) + 1 (the feature map of the decoder's linear attention). */
#pragma once

#include <glib.h>

#include "dm-engine.h"

G_BEGIN_DECLS

/* out (n) = gelu (inp (n)) = inp * (1 + erf (inp / sqrt 2)) / 2.
 * out may equal inp (in place). */
gboolean dm_gelu_forward (DmEngine *engine, float *out, const float *inp, gsize n, GError **error);
/* dinp (n) = dout (n) * gelu' (inp (n)), written; inp is the forward's
 * input (the pre-activation). dinp may equal dout. */
gboolean dm_gelu_backward (
  DmEngine *engine, float *dinp, const float *dout, const float *inp, gsize n, GError **error);

/* The same over a (M, N) matrix, by a loop of ours on all cores that also
 * adds the column sums of dinp into dbias (N) when it is not NULL: the
 * bias gradient of the linear layer before the GELU, in the one pass over
 * its output gradient. gelu' from dm_gelu_grad (within 2e-7). dinp may
 * equal dout. */
gboolean dm_gelu_backward_bias (DmEngine *engine,
                                float *dinp,
                                float *dbias,
                                const float *dout,
                                const float *inp,
                                int M,
                                int N,
                                GError **error);

/* out (n) = elu (inp) + 1 with alpha 1: inp + 1 where inp > 0, exp (inp)
 * elsewhere; always > 0. out may equal inp. */
gboolean dm_elu1_forward (DmEngine *engine, float *out, const float *inp, gsize n, GError **error);
/* dinp (n) = dout * (inp > 0 ? 1 : exp (inp)), written. dinp may equal dout. */
gboolean dm_elu1_backward (
  DmEngine *engine, float *dinp, const float *dout, const float *inp, gsize n, GError **error);

G_END_DECLS
