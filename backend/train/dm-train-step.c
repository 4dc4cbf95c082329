/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One training iteration: forward, loss, backward, clip, StableAdamW. */
#include "dm-train-step.h"

#include <math.h>
#include <string.h>

#include "dm-arena.h"
#include "dm-error.h"

/* The floats of a step's working memory (fused, E1, E2, dR1, dR2 unless
 * recomputing, the decoder's activations, the loss scratch and its mask):
 * what dm_train_step_new_full lays out and what the memory estimate counts. */
gsize
dm_train_step_memory_floats (int B, int N, int D, int P, gboolean recompute)
{
  gsize tokens = dm_pad_floats ((gsize)B * N * D);

  /* with recompute (large shapes) the loss writes its gradients over the
   * decoder groups R1, R2 (it reads each element before it writes it) */
  return (recompute ? 3 : 5) * tokens
         + dm_pad_floats (dm_decoder_acts_size (B, N, D, TRUE, recompute))
         + dm_pad_floats (dm_loss_scratch_size (B, P)) + dm_pad_floats ((gsize)2 * B * P / 4 + 1);
}

DmTrainStep *
dm_train_step_new (
  DmEngine *engine, DmDinomalyWeights *weights, int B, int N, int first_patch, GError **error)
{
  return dm_train_step_new_full (engine, weights, B, N, first_patch,
                                 dm_decoder_recompute_wanted (B, N, weights->layout.dim), error);
}

DmTrainStep *
dm_train_step_new_full (DmEngine *engine,
                        DmDinomalyWeights *weights,
                        int B,
                        int N,
                        int first_patch,
                        gboolean recompute,
                        GError **error)
{
  g_autoptr (DmTrainStep) self = NULL;
  const DmDinomalyLayout *layout = &weights->layout;
  int D = layout->dim, P = N - first_patch;
  gsize tokens, acts, scratch, n = layout->n_floats, off = 0;
  float *base;

  if (B < 1 || N < 1 || first_patch < 0 || P < 1)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "Training batch of %d images of %d tokens (%d patches) is invalid", B, N, P);
      return NULL;
    }
  self = g_new0 (DmTrainStep, 1);
  self->engine = engine;
  self->weights = weights;
  self->B = B;
  self->N = N;
  self->D = D;
  self->first_patch = first_patch;

  /* gradients and moments: one arena of 4 layouts */
  self->grads = dm_aligned_alloc (4 * n * sizeof (float), error);
  if (self->grads == NULL)
    return NULL;
  memset (self->grads, 0, 4 * n * sizeof (float));
  self->m = self->grads + n;
  self->v = self->m + n;
  self->vmax = self->v + n;
  dm_dinomaly_views_point (&self->grad_views, layout, self->grads);
  for (int i = 0; i < DM_DINOMALY_N_PARAMS; i++)
    {
      self->spans[i].offset = layout->params[i].offset;
      self->spans[i].n = layout->params[i].n_elements;
    }
  self->plan = dm_optimizer_plan_new (self->spans, DM_DINOMALY_N_PARAMS);

  tokens = dm_pad_floats ((gsize)B * N * D);
  acts = dm_pad_floats (dm_decoder_acts_size (B, N, D, TRUE, recompute));
  scratch = dm_pad_floats (dm_loss_scratch_size (B, P));
  self->memory_floats = dm_train_step_memory_floats (B, N, D, P, recompute);
  self->memory = dm_aligned_alloc (self->memory_floats * sizeof (float), error);
  if (self->memory == NULL)
    return NULL;
  memset (self->memory, 0, self->memory_floats * sizeof (float));
  base = self->memory;
  self->fused = base + off;
  off += tokens;
  self->E1 = base + off;
  off += tokens;
  self->E2 = base + off;
  off += tokens;
  if (!recompute)
    {
      self->dR1 = base + off;
      off += tokens;
      self->dR2 = base + off;
      off += tokens;
    }
  dm_decoder_acts_point (&self->acts, base + off, B, N, D, TRUE, recompute);
  off += acts;
  if (recompute)
    {
      self->dR1 = self->acts.R1;
      self->dR2 = self->acts.R2;
    }
  self->loss_scratch = base + off;
  off += scratch;
  self->easy = (guint8 *)(base + off);
  return g_steal_pointer (&self);
}

void
dm_train_step_free (DmTrainStep *step)
{
  if (step == NULL)
    return;
  dm_aligned_free (step->grads);
  dm_aligned_free (step->memory);
  dm_optimizer_plan_free (step->plan);
  g_free (step);
}

gsize
dm_train_step_get_memory_size (const DmTrainStep *step)
{
  return (4 * step->weights->layout.n_floats + step->memory_floats) * sizeof (float);
}

gboolean
dm_train_step_gradients (DmTrainStep *step,
                         gint64 iteration,
                         const DmDropout *dropout,
                         const DmLossSettings *loss,
                         DmTrainStepResult *result,
                         GError **error)
{
  const float *E[DM_LOSS_N_GROUPS] = { step->E1, step->E2 };
  const float *R[DM_LOSS_N_GROUPS] = { step->acts.R1, step->acts.R2 };
  float *dR[DM_LOSS_N_GROUPS] = { step->dR1, step->dR2 };

  gint64 stamp;

  memset (result, 0, sizeof *result);
  result->iteration = iteration;
  stamp = dm_engine_profile_begin (step->engine);
  memset (step->grads, 0, step->weights->layout.n_floats * sizeof (float));
  dm_engine_profile_end (step->engine, "zero gradients", stamp);
  if (!dm_decoder_forward (step->engine, &step->weights->v, &step->acts, step->fused, dropout,
                           error))
    return FALSE;
  stamp = dm_engine_profile_begin (step->engine);
  dm_loss_forward_backward (loss, iteration, E, R, dR, step->B, step->N, step->D, step->first_patch,
                            step->loss_scratch, step->easy, &result->loss);
  dm_engine_profile_end (step->engine, "loss", stamp);
  return dm_decoder_backward (step->engine, &step->weights->v, &step->grad_views, &step->acts,
                              step->dR1, step->dR2, dropout, error);
}

gboolean
dm_train_step_update (DmTrainStep *step, const DmOptimizerSettings *opt, DmTrainStepResult *result)
{
  gint64 stamp = dm_engine_profile_begin (step->engine);

  result->lr = dm_schedule_lr (opt, result->iteration);
  result->grad_norm = dm_grad_norm (step->engine, step->plan, step->grads);
  result->clip_coef = dm_clip_coef (result->grad_norm, opt->clip_norm);
  dm_engine_profile_end (step->engine, "gradient norm", stamp);
  if (!isfinite (result->grad_norm))
    return FALSE;
  stamp = dm_engine_profile_begin (step->engine);
  step->adam_steps++;
  dm_stable_adamw_step (step->engine, step->plan, opt, step->weights->arena, step->grads,
                        result->clip_coef, step->m, step->v, step->vmax, step->adam_steps,
                        result->lr, NULL);
  dm_engine_profile_end (step->engine, "StableAdamW", stamp);
  return TRUE;
}

gboolean
dm_train_step_run (DmTrainStep *step,
                   gint64 iteration,
                   const DmDropout *dropout,
                   const DmLossSettings *loss,
                   const DmOptimizerSettings *opt,
                   DmTrainStepResult *result,
                   GError **error)
{
  if (!dm_train_step_gradients (step, iteration, dropout, loss, result, error))
    return FALSE;
  if (!isfinite (result->loss.loss) || !dm_train_step_update (step, opt, result))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_NUMERIC,
                   "The loss or the gradient is not finite at iteration %" G_GINT64_FORMAT,
                   iteration);
      return FALSE;
    }
  return TRUE;
}
