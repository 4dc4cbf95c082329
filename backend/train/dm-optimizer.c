/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Gradient clipping, StableAdamW with AMSGrad, and the schedule. */
#include "dm-optimizer.h"

#include <math.h>

void
dm_optimizer_settings_default (DmOptimizerSettings *s, gint64 total_iters)
{
  s->lr = 2e-3;
  s->lr_final = 2e-4;
  s->warmup_iters = 100;
  s->total_iters = total_iters;
  s->beta1 = 0.9;
  s->beta2 = 0.999;
  s->weight_decay = 1e-4;
  s->eps = 1e-10;
  s->clip_norm = 0.1;
}

double
dm_schedule_lr (const DmOptimizerSettings *s, gint64 it)
{
  gint64 span;

  if (it < s->warmup_iters)
    return s->warmup_iters > 1 ? s->lr * (double)it / (double)(s->warmup_iters - 1) : s->lr;
  span = MAX (s->total_iters - s->warmup_iters, 1);
  return s->lr_final
         + 0.5 * (s->lr - s->lr_final)
             * (1.0 + cos (G_PI * (double)(it - s->warmup_iters) / (double)span));
}

double
dm_clip_grad_norm (float *grads, const DmTensorSpan *spans, int n_spans, double clip, double *coef)
{
  double sum = 0, norm, c;

  for (int t = 0; t < n_spans; t++)
    {
      const float *g = grads + spans[t].offset;
      for (gsize i = 0; i < spans[t].n; i++)
        sum += (double)g[i] * (double)g[i];
    }
  norm = sqrt (sum);
  c = MIN (1.0, clip / (norm + 1e-6));
  if (c < 1.0)
    for (int t = 0; t < n_spans; t++)
      {
        float *g = grads + spans[t].offset;
        for (gsize i = 0; i < spans[t].n; i++)
          g[i] = (float)((double)g[i] * c);
      }
  if (coef != NULL)
    *coef = c;
  return norm;
}

void
dm_stable_adamw_step (const DmOptimizerSettings *s,
                      const DmTensorSpan *spans,
                      int n_spans,
                      float *params,
                      const float *grads,
                      float *m,
                      float *v,
                      float *vmax,
                      gint64 step,
                      double lr,
                      double *rms_out)
{
  double b1 = s->beta1, b2 = s->beta2;
  double bc1 = 1.0 - pow (b1, (double)step);
  double bc2_sqrt = sqrt (1.0 - pow (b2, (double)step));
  double decay = 1.0 - lr * s->weight_decay;

  for (int t = 0; t < n_spans; t++)
    {
      gsize off = spans[t].offset, n = spans[t].n;
      float *w = params + off, *mt = m + off, *vt = v + off, *vm = vmax + off;
      const float *g = grads + off;
      double sq = 0, r, step_size;

      /* moments first, then the RMS of g / den over the tensor, then the
       * update: r needs the whole tensor's den before any weight moves */
      for (gsize i = 0; i < n; i++)
        {
          double gi = g[i], den;

          mt[i] = (float)(b1 * mt[i] + (1.0 - b1) * gi);
          vt[i] = (float)(b2 * vt[i] + (1.0 - b2) * gi * gi);
          vm[i] = MAX (vm[i], vt[i]);
          den = sqrt ((double)vm[i]) / bc2_sqrt + s->eps;
          sq += (gi / den) * (gi / den);
        }
      r = MAX (1.0, sqrt (sq / (double)MAX (n, 1)));
      if (rms_out != NULL)
        rms_out[t] = r;
      step_size = lr / bc1 / r;
      for (gsize i = 0; i < n; i++)
        {
          double den = sqrt ((double)vm[i]) / bc2_sqrt + s->eps;
          double wi = (double)w[i] * decay;

          w[i] = (float)(wi - step_size * (double)mt[i] / den);
        }
    }
}
