/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fully connected layers (y = x W^T + b, optional exact GELU) on oneDNN
 * matmul, forward and backward, with PyTorch-style [out, in] weights. */
#pragma once

#include <glib.h>

#include "dm-engine.h"

G_BEGIN_DECLS

typedef enum
{
  DM_ACT_NONE,
  DM_ACT_GELU, /* exact GELU: x * (1 + erf (x / sqrt 2)) / 2 */
} DmActivation;

/* out = act (inp . weight^T + bias), bias may be NULL.
 *   out    (M, N)
 *   inp    (M, K)
 *   weight (N, K)   PyTorch [out, in], read in place (no repacking: on
 *                   AVX2 oneDNN runs its jit sgemm, which reads the
 *                   transposed layout at full speed)
 *   bias   (N)
 * Bias and GELU are fused into the matmul as oneDNN post-ops. */
gboolean dm_linear_forward (DmEngine *engine,
                            float *out,
                            const float *inp,
                            const float *weight,
                            const float *bias,
                            int M,
                            int K,
                            int N,
                            DmActivation act,
                            GError **error);

/* A residual branch closed inside the matmul:
 *   out (M, N) = residual (M, N) + scale (N) * (inp . weight^T + bias)
 * the transformer's x = x + ls * proj (...) (scale = the LayerScale
 * gamma) or x = x + fc2 (...) (scale NULL), in one pass over out instead
 * of a matmul, then a scale and an add. residual == out works in place
 * (oneDNN's sum post-op accumulates into out); another residual buffer is
 * read by a binary add post-op. scale rides on the matmul as per-column
 * output scales given at run time, so one primitive serves every block.
 * bias and scale may be NULL; residual may not. Forward only (the
 * encoder and inference). */
gboolean dm_linear_forward_residual (DmEngine *engine,
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

/* Backward of the affine part (no activation: when the forward had GELU,
 * callers run dm_gelu_backward on the pre-activation first, so they keep
 * the pre-activation of a GELU layer, e.g. by running the forward with
 * DM_ACT_NONE and dm_gelu_forward separately in training).
 *   dinp    (M, K)  = dout . weight          written; skipped when NULL
 *   dweight (N, K) += dout^T . inp           accumulated; skipped when NULL
 *   dbias   (N)    += column sums of dout    accumulated; skipped when NULL
 *   dout    (M, N), inp (M, K), weight (N, K)
 * inp may be NULL when dweight is; weight may be NULL when dinp is. */
gboolean dm_linear_backward (DmEngine *engine,
                             float *dinp,
                             float *dweight,
                             float *dbias,
                             const float *dout,
                             const float *inp,
                             const float *weight,
                             int M,
                             int K,
                             int N,
                             GError **error);

G_END_DECLS
