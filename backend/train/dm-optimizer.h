/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The optimiser of spec/dinomaly.md §5: global gradient-norm clipping,
 * StableAdamW with AMSGrad per parameter tensor, and the warm-up + cosine
 * learning-rate schedule. Parameters, gradients and the three moment
 * buffers share one flat layout (a table of tensor offsets). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  double lr;           /* 2e-3: peak learning rate */
  double lr_final;     /* 2e-4: reached at the last iteration */
  int warmup_iters;    /* 100 */
  gint64 total_iters;  /* T: the cosine runs from warmup_iters to T */
  double beta1;        /* 0.9 */
  double beta2;        /* 0.999 */
  double weight_decay; /* 1e-4 */
  double eps;          /* 1e-10 */
  double clip_norm;    /* 0.1 */
} DmOptimizerSettings;

void dm_optimizer_settings_default (DmOptimizerSettings *settings, gint64 total_iters);

/* it < warmup: lr * it / (warmup - 1); then lr_final + (lr - lr_final) / 2 *
 * (1 + cos (pi * (it - warmup) / (T - warmup))). */
double dm_schedule_lr (const DmOptimizerSettings *settings, gint64 iteration);

/* One tensor of the flat layout. */
typedef struct
{
  gsize offset; /* floats from the start of each buffer */
  gsize n;      /* elements */
} DmTensorSpan;

/* The global L2 norm of all gradients (accumulated in double) before
 * clipping; multiplies every gradient by min (1, clip / (norm + 1e-6)) and
 * stores that factor in coef. */
double
dm_clip_grad_norm (float *grads, const DmTensorSpan *spans, int n_spans, double clip, double *coef);

/* One StableAdamW + AMSGrad step (step is 1-based: the bias corrections use
 * beta^step) at learning rate lr, per tensor:
 *   w *= 1 - lr wd; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 *   vmax = max (vmax, v); den = sqrt (vmax) / sqrt (1 - b2^t) + eps;
 *   r = max (1, rms (g / den)); w -= lr / (1 - b1^t) / r * m / den.
 * rms_out, when non-NULL, receives r of each tensor. The moments are
 * float32, the per-element arithmetic float32 (the RMS sum in double);
 * grads is used as scratch: it holds den afterwards, not the gradient. */
void dm_stable_adamw_step (const DmOptimizerSettings *settings,
                           const DmTensorSpan *spans,
                           int n_spans,
                           float *params,
                           float *grads,
                           float *m,
                           float *v,
                           float *vmax,
                           gint64 step,
                           double lr,
                           double *rms_out);

G_END_DECLS
