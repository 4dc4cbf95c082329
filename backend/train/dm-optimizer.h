/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The optimiser of spec/dinomaly.md §5: global gradient-norm clipping,
 * StableAdamW with AMSGrad per parameter tensor, and the warm-up + cosine
 * learning-rate schedule. Parameters, gradients and the three moment
 * buffers share one flat layout (a table of tensor offsets). The loops are
 * memory-bound: they run on all cores, clipping folded into the step. */
#pragma once

#include <glib.h>

#include "dm-engine.h"

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

/* The flat layout cut into fixed chunks for the optimiser's loops, which
 * run on all the engine's threads, and the chunks' partial sums. Sums go
 * chunk by chunk in a fixed order, so the results do not depend on the
 * thread count. Made once per layout. */
typedef struct _DmOptimizerPlan DmOptimizerPlan;

DmOptimizerPlan *dm_optimizer_plan_new (const DmTensorSpan *spans, int n_spans);
void dm_optimizer_plan_free (DmOptimizerPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmOptimizerPlan, dm_optimizer_plan_free)

/* The global L2 norm of all gradients, accumulated in double. engine may
 * be NULL (one thread). */
double dm_grad_norm (DmEngine *engine, DmOptimizerPlan *plan, const float *grads);
/* The clipping factor min (1, clip / (norm + 1e-6)). */
double dm_clip_coef (double norm, double clip);

/* One StableAdamW + AMSGrad step (step is 1-based: the bias corrections use
 * beta^step) at learning rate lr, per tensor, on the gradients times
 * grad_scale (the clipping factor: (float) (g * grad_scale) in double, as
 * clipping them in place would give; 1: as they are):
 *   w *= 1 - lr wd; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 *   vmax = max (vmax, v); den = sqrt (vmax) / sqrt (1 - b2^t) + eps;
 *   r = max (1, rms (g / den)); w -= lr / (1 - b1^t) / r * m / den.
 * rms_out, when non-NULL, receives r of each tensor. The moments are
 * float32, the per-element arithmetic float32 (the RMS sum in double).
 * grads is only read. */
void dm_stable_adamw_step (DmEngine *engine,
                           DmOptimizerPlan *plan,
                           const DmOptimizerSettings *settings,
                           float *params,
                           const float *grads,
                           double grad_scale,
                           float *m,
                           float *v,
                           float *vmax,
                           gint64 step,
                           double lr,
                           double *rms_out);

G_END_DECLS
