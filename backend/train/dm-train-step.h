/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One training iteration of the bottleneck + decoder (spec/dinomaly.md §5)
 * on a batch of cached encoder features: forward with dropout, loose loss
 * with hard mining, backward, global clipping, StableAdamW. Every buffer
 * (gradients, Adam moments, activations, the batch) is allocated once in
 * dm_train_step_new; an iteration allocates nothing. */
#pragma once

#include <glib.h>

#include "dm-decoder.h"
#include "dm-dinomaly-weights.h"
#include "dm-engine.h"
#include "dm-loss.h"
#include "dm-optimizer.h"

G_BEGIN_DECLS

typedef struct
{
  DmEngine *engine;           /* borrowed */
  DmDinomalyWeights *weights; /* borrowed: the parameters being trained */
  int B, N, D;
  int first_patch; /* 1 + registers: rows before it are cls and registers */

  /* Gradients and the three Adam moments: arenas of weights->layout, one
   * allocation (grads, m, v, vmax in that order, n_floats each). */
  float *grads;
  float *m;
  float *v;
  float *vmax;
  DmDinomalyViews grad_views;
  DmTensorSpan spans[DM_DINOMALY_N_PARAMS];
  DmOptimizerPlan *plan; /* owned: the optimiser's chunks over spans */
  gint64 adam_steps;     /* updates done: the next one uses t = adam_steps + 1 */

  /* The batch: the caller fills these before dm_train_step_gradients. */
  float *fused; /* (B, N, D) decoder input: mean of the 8 target blocks */
  float *E1;    /* (B, N, D) shallow encoder group (patch rows are read) */
  float *E2;    /* (B, N, D) deep encoder group */

  DmDecoderActs acts;
  float *dR1, *dR2;    /* (B, N, D) loss gradients (over acts.R1, R2 with recompute) */
  float *loss_scratch; /* dm_loss_scratch_size */
  guint8 *easy;        /* (2, B, P) hard-mining masks of the last step */

  float *memory; /* owned: everything above but the moments */
  gsize memory_floats;
} DmTrainStep;

typedef struct
{
  gint64 iteration;
  double lr;
  DmLossResult loss;
  double grad_norm; /* global L2 norm of all gradients before clipping */
  double clip_coef; /* min (1, clip / (norm + 1e-6)) */
} DmTrainStepResult;

/* Buffers for batches of B images of N tokens (first_patch of them cls and
 * registers) at the width of weights. Fresh Adam state (zero moments).
 * Large activations are made again in the backward instead of kept
 * (dm_decoder_recompute_wanted): the same numbers, less memory. */
gsize dm_train_step_memory_floats (int B, int N, int D, int P, gboolean recompute);
DmTrainStep *dm_train_step_new (
  DmEngine *engine, DmDinomalyWeights *weights, int B, int N, int first_patch, GError **error);
/* The same, recomputing or not as told (the tests compare the two). */
DmTrainStep *dm_train_step_new_full (DmEngine *engine,
                                     DmDinomalyWeights *weights,
                                     int B,
                                     int N,
                                     int first_patch,
                                     gboolean recompute,
                                     GError **error);
void dm_train_step_free (DmTrainStep *step);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmTrainStep, dm_train_step_free)

/* Bytes held (activations, gradients, moments, batch). */
gsize dm_train_step_get_memory_size (const DmTrainStep *step);

/* Zeroes the gradients, runs the training forward on step->fused (dropout
 * may be NULL: none), the loss of iteration against step->E1/E2 and the
 * backward: step->grads holds the unclipped gradients afterwards, and
 * result the loss (and its hard-mining figures). */
gboolean dm_train_step_gradients (DmTrainStep *step,
                                  gint64 iteration,
                                  const DmDropout *dropout,
                                  const DmLossSettings *loss,
                                  DmTrainStepResult *result,
                                  GError **error);

/* Clips the gradients (result->grad_norm, result->clip_coef) and takes one
 * StableAdamW step at the schedule's lr for result->iteration
 * (result->lr). FALSE, without touching the parameters or the moments,
 * when the gradient norm is not finite. step->grads is left as it was (the
 * clipping factor is applied inside the step). */
gboolean
dm_train_step_update (DmTrainStep *step, const DmOptimizerSettings *opt, DmTrainStepResult *result);

/* Both, in order; DM_ERROR_NUMERIC when the loss or the gradient norm is
 * not finite (nothing updated). */
gboolean dm_train_step_run (DmTrainStep *step,
                            gint64 iteration,
                            const DmDropout *dropout,
                            const DmLossSettings *loss,
                            const DmOptimizerSettings *opt,
                            DmTrainStepResult *result,
                            GError **error);

G_END_DECLS
