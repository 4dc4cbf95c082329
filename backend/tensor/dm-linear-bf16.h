/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The linear layers in bf16 (inside the tensor layer only): dm-linear.c
 * hands its calls here when the engine's precision is DM_PRECISION_BF16.
 * The operands are rounded to bf16 on the way in (oneDNN reorders: the
 * activations every call, the weights every call or once when packed),
 * the products accumulate in f32, and outputs, post-ops and gradients are
 * f32, so that every other op stays as it is. Same arguments and meanings
 * as the f32 functions of dm-linear.h. */
#pragma once

#include "dm-linear.h"

G_BEGIN_DECLS

gboolean dm_linear_bf16_forward (DmEngine *engine,
                                 float *out,
                                 const float *inp,
                                 const float *weight,
                                 const float *bias,
                                 int M,
                                 int K,
                                 int N,
                                 DmActivation act,
                                 GError **error);

gboolean dm_linear_bf16_forward_residual (DmEngine *engine,
                                          float *out,
                                          const float *inp,
                                          const float *weight,
                                          const float *bias,
                                          const float *scale,
                                          const float *residual,
                                          int M,
                                          int K,
                                          int N,
                                          GError **error);

/* dinp and dweight; the caller adds dbias (f32 column sums). */
gboolean dm_linear_bf16_backward (DmEngine *engine,
                                  float *dinp,
                                  float *dweight,
                                  const float *dout,
                                  const float *inp,
                                  const float *weight,
                                  int M,
                                  int K,
                                  int N,
                                  GError **error);

G_END_DECLS
