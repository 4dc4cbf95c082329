/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Naive references of the dense ops (linear, layer norm, GELU, elu + 1,
 * LayerScale, dropout) for the tests: plain loops, sums in double, and
 * double-precision forwards for finite-difference gradient checks. The
 * adds and means of dm-binary are already plain loops; the tests check
 * them against their formulas directly. */
#pragma once

#include <glib.h>

#include "dm-linear.h"

G_BEGIN_DECLS

/* As dm_linear_forward: out (M, N) = act (inp (M, K) . weight (N, K)^T +
 * bias (N)); bias may be NULL. */
void dm_ref_linear_forward (float *out,
                            const float *inp,
                            const float *weight,
                            const float *bias,
                            int M,
                            int K,
                            int N,
                            DmActivation act);
void dm_ref_linear_forward_f64 (double *out,
                                const double *inp,
                                const double *weight,
                                const double *bias,
                                int M,
                                int K,
                                int N,
                                DmActivation act);
/* As dm_linear_backward: dinp written, dweight and dbias accumulated. */
void dm_ref_linear_backward (float *dinp,
                             float *dweight,
                             float *dbias,
                             const float *dout,
                             const float *inp,
                             const float *weight,
                             int M,
                             int K,
                             int N);

/* As dm_layernorm_forward (mean, var may be NULL). */
void dm_ref_layernorm_forward (float *out,
                               float *mean,
                               float *var,
                               const float *inp,
                               const float *weight,
                               const float *bias,
                               int M,
                               int C,
                               float eps);
void dm_ref_layernorm_forward_f64 (double *out,
                                   const double *inp,
                                   const double *weight,
                                   const double *bias,
                                   int M,
                                   int C,
                                   double eps);
/* As dm_layernorm_backward, from the statistics recomputed in double. */
void dm_ref_layernorm_backward (float *dinp,
                                float *dweight,
                                float *dbias,
                                const float *dout,
                                const float *inp,
                                const float *weight,
                                int M,
                                int C,
                                float eps);

double dm_ref_gelu (double x);
double dm_ref_gelu_grad (double x);
double dm_ref_elu1 (double x);
double dm_ref_elu1_grad (double x);
void dm_ref_gelu_forward (float *out, const float *inp, gsize n);
void dm_ref_gelu_backward (float *dinp, const float *dout, const float *inp, gsize n);
void dm_ref_elu1_forward (float *out, const float *inp, gsize n);
void dm_ref_elu1_backward (float *dinp, const float *dout, const float *inp, gsize n);

/* out (M, C) = inp * gamma (C); dinp written, dgamma accumulated. */
void dm_ref_layerscale_forward (float *out, const float *inp, const float *gamma, int M, int C);
void dm_ref_layerscale_backward (float *dinp,
                                 float *dgamma,
                                 const float *dout,
                                 const float *inp,
                                 const float *gamma,
                                 int M,
                                 int C);

/* As dm_dropout_forward, element by element through dm_dropout_is_kept. */
void dm_ref_dropout_forward (
  float *out, const float *inp, gsize n, float p, guint64 seed, guint64 offset);

G_END_DECLS
