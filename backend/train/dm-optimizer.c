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
                      float *grads,
                      float *m,
                      float *v,
                      float *vmax,
                      gint64 step,
                      double lr,
                      double *rms_out)
{
  double b1 = s->beta1, b2 = s->beta2;
  double bc1 = 1.0 - pow (b1, (double)step);
  float inv_bc2_sqrt = (float)(1.0 / sqrt (1.0 - pow (b2, (double)step)));
  float decay = (float)(1.0 - lr * s->weight_decay);
  float fb1 = (float)b1, fb2 = (float)b2, c1 = (float)(1.0 - b1), c2 = (float)(1.0 - b2);
  float eps = (float)s->eps;

  for (int t = 0; t < n_spans; t++)
    {
      gsize off = spans[t].offset, n = spans[t].n;
      float *w = params + off, *mt = m + off, *vt = v + off, *vm = vmax + off;
      float *g = grads + off;
      double sq = 0, r;
      float step_size;

      /* pass 1: the moments and den; the RMS of g / den over the whole
       * tensor is needed before any weight moves, so den is kept in the
       * gradient's place (the gradient is not needed after this) */
      for (gsize i = 0; i < n; i++)
        {
          float gi = g[i], den, q;

          mt[i] = fb1 * mt[i] + c1 * gi;
          vt[i] = fb2 * vt[i] + c2 * gi * gi;
          vm[i] = vm[i] > vt[i] ? vm[i] : vt[i];
          den = sqrtf (vm[i]) * inv_bc2_sqrt + eps;
          q = gi / den;
          sq += (double)(q * q);
          g[i] = den;
        }
      r = MAX (1.0, sqrt (sq / (double)MAX (n, 1)));
      if (rms_out != NULL)
        rms_out[t] = r;
      step_size = (float)(lr / bc1 / r);
      /* pass 2: decoupled weight decay, then the step */
      for (gsize i = 0; i < n; i++)
        w[i] = w[i] * decay - step_size * (mt[i] / g[i]);
    }
}
