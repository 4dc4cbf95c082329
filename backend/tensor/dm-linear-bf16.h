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

/* Shared by both precisions (dm-linear.c): the attr of a forward matmul
 * (GELU; for a residual forward the sum in place or the binary add of the
 * residual; per-column run-time output scales), appending the run-time
 * arguments after SRC, WEIGHTS, DST to args; and, once the primitive is
 * made, the descriptor of its scales argument (oneDNN 2.6 gives none). */
dnnl_primitive_attr_t dm_linear_forward_attr (DmActivation act,
                                              gboolean residual,
                                              gboolean has_bias,
                                              gboolean has_scale,
                                              gboolean in_place,
                                              const dnnl_memory_desc_t *dst,
                                              int *args,
                                              int *n_args);
gboolean dm_linear_describe_scales (
  DmEngine *engine, DmPrimitive *p, int N, gboolean has_bias, GError **error);

G_END_DECLS
