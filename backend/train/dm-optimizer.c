/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Gradient clipping, StableAdamW with AMSGrad, and the schedule. */
#include "dm-optimizer.h"

#include <math.h>

#include "dm-parallel.h"

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

/* Floats per chunk: large enough that a chunk's call and partial sum cost
 * nothing, small enough that the chunks of the largest tensors spread
 * evenly over the threads. */
#define CHUNK 16384
/* Independent partial sums per chunk: one vector register of doubles, so
 * that the sums vectorise (a single running sum would not) and still add
 * up in a fixed order. */
#define LANES 8

typedef struct
{
  int span;         /* tensor */
  gsize begin, end; /* floats from the start of the buffers */
} Chunk;

struct _DmOptimizerPlan
{
  const DmTensorSpan *spans; /* borrowed */
  int n_spans;
  Chunk *chunks;
  gsize n_chunks;
  double *partial;  /* (n_chunks) */
  float *step_size; /* (n_spans) of the step being taken */
};

DmOptimizerPlan *
dm_optimizer_plan_new (const DmTensorSpan *spans, int n_spans)
{
  DmOptimizerPlan *plan = g_new0 (DmOptimizerPlan, 1);
  gsize n = 0;

  for (int t = 0; t < n_spans; t++)
    n += dm_parallel_n_chunks (spans[t].n, CHUNK);
  plan->spans = spans;
  plan->n_spans = n_spans;
  plan->chunks = g_new0 (Chunk, MAX (n, 1));
  plan->partial = g_new0 (double, MAX (n, 1));
  plan->step_size = g_new0 (float, MAX (n_spans, 1));
  for (int t = 0; t < n_spans; t++)
    for (gsize i = 0; i < spans[t].n; i += CHUNK)
      {
        Chunk *c = &plan->chunks[plan->n_chunks++];

        c->span = t;
        c->begin = spans[t].offset + i;
        c->end = spans[t].offset + MIN (i + CHUNK, spans[t].n);
      }
  return plan;
}

void
dm_optimizer_plan_free (DmOptimizerPlan *plan)
{
  if (plan == NULL)
    return;
  g_free (plan->chunks);
  g_free (plan->partial);
  g_free (plan->step_size);
  g_free (plan);
}

/* The sum of x[i]^2 over [0, n), in LANES double sums added in order. */
DM_VECTOR_CLONES static double
sum_squares (const float *x, gsize n)
{
  double acc[LANES] = { 0 }, sum = 0;
  gsize i = 0;

  for (; i + LANES <= n; i += LANES)
    for (int l = 0; l < LANES; l++)
      acc[l] += (double)x[i + l] * (double)x[i + l];
  for (; i < n; i++)
    acc[0] += (double)x[i] * (double)x[i];
  for (int l = 0; l < LANES; l++)
    sum += acc[l];
  return sum;
}

typedef struct
{
  DmOptimizerPlan *plan;
  const float *grads;
} NormJob;

static void
norm_chunks (gsize begin, gsize end, gpointer data)
{
  NormJob *job = data;

  for (gsize c = begin; c < end; c++)
    {
      const Chunk *k = &job->plan->chunks[c];

      job->plan->partial[c] = sum_squares (job->grads + k->begin, k->end - k->begin);
    }
}

double
dm_grad_norm (DmEngine *engine, DmOptimizerPlan *plan, const float *grads)
{
  NormJob job = { plan, grads };
  double sum = 0;

  dm_parallel_for (engine, plan->n_chunks, 1, norm_chunks, &job);
  for (gsize c = 0; c < plan->n_chunks; c++)
    sum += plan->partial[c];
  return sqrt (sum);
}

double
dm_clip_coef (double norm, double clip)
{
  return MIN (1.0, clip / (norm + 1e-6));
}

typedef struct
{
  DmOptimizerPlan *plan;
  float *w, *m, *v, *vmax;
  const float *g;
  double grad_scale;
  float b1, b2, c1, c2, inv_bc2_sqrt, eps, decay;
  const float *step_size; /* per tensor, pass 2 */
} AdamJob;

/* Pass 1 over floats [o, o + n) of one chunk: the moments, and the sum of
 * (g / den)^2 that the tensor's RMS needs before any weight moves. The
 * gradient is scaled in double and rounded, as clipping it in place did
 * (a scale of 1 leaves it exact). Locals and restrict pointers, so that
 * the compiler sees no aliasing and vectorises. */
DM_VECTOR_CLONES static double
adam_moments (const AdamJob *j, gsize o, gsize n)
{
  const float *restrict g = j->g + o;
  float *restrict mt = j->m + o, *restrict vt = j->v + o, *restrict vm = j->vmax + o;
  const double scale = j->grad_scale;
  const float b1 = j->b1, b2 = j->b2, c1 = j->c1, c2 = j->c2, inv = j->inv_bc2_sqrt, eps = j->eps;
  double acc[LANES] = { 0 }, sum = 0;
  gsize i0 = 0;

#define ADAM_ELEMENT(i, sq)                                                                        \
  do                                                                                               \
    {                                                                                              \
      float gi = (float)((double)g[i] * scale), den, q;                                            \
      mt[i] = b1 * mt[i] + c1 * gi;                                                                \
      vt[i] = b2 * vt[i] + c2 * gi * gi;                                                           \
      vm[i] = vm[i] > vt[i] ? vm[i] : vt[i];                                                       \
      den = sqrtf (vm[i]) * inv + eps;                                                             \
      q = gi / den;                                                                                \
      sq += (double)(q * q);                                                                       \
    }                                                                                              \
  while (0)
  for (; i0 + LANES <= n; i0 += LANES)
    for (int l = 0; l < LANES; l++)
      ADAM_ELEMENT (i0 + l, acc[l]);
  for (; i0 < n; i0++)
    ADAM_ELEMENT (i0, acc[0]);
#undef ADAM_ELEMENT
  for (int l = 0; l < LANES; l++)
    sum += acc[l];
  return sum;
}

/* Pass 2: decoupled weight decay, then the step (den recomputed from vmax,
 * exactly as pass 1 had it). */
DM_VECTOR_CLONES static void
adam_update (const AdamJob *j, gsize o, gsize n, float step_size)
{
  float *restrict w = j->w + o;
  const float *restrict mt = j->m + o, *restrict vm = j->vmax + o;
  const float inv = j->inv_bc2_sqrt, eps = j->eps, decay = j->decay;

  for (gsize i = 0; i < n; i++)
    {
      float den = sqrtf (vm[i]) * inv + eps;

      w[i] = w[i] * decay - step_size * (mt[i] / den);
    }
}

static void
adam_pass1 (gsize begin, gsize end, gpointer data)
{
  AdamJob *j = data;

  for (gsize c = begin; c < end; c++)
    {
      const Chunk *k = &j->plan->chunks[c];

      j->plan->partial[c] = adam_moments (j, k->begin, k->end - k->begin);
    }
}

static void
adam_pass2 (gsize begin, gsize end, gpointer data)
{
  AdamJob *j = data;

  for (gsize c = begin; c < end; c++)
    {
      const Chunk *k = &j->plan->chunks[c];

      adam_update (j, k->begin, k->end - k->begin, j->step_size[k->span]);
    }
}

void
dm_stable_adamw_step (DmEngine *engine,
                      DmOptimizerPlan *plan,
                      const DmOptimizerSettings *s,
                      float *params,
                      const float *grads,
                      double grad_scale,
                      float *m,
                      float *v,
                      float *vmax,
                      gint64 step,
                      double lr,
                      double *rms_out)
{
  double b1 = s->beta1, b2 = s->beta2;
  double bc1 = 1.0 - pow (b1, (double)step);
  float *step_size = plan->step_size;
  AdamJob j = {
    .plan = plan,
    .w = params,
    .m = m,
    .v = v,
    .vmax = vmax,
    .g = grads,
    .grad_scale = grad_scale,
    .b1 = (float)b1,
    .b2 = (float)b2,
    .c1 = (float)(1.0 - b1),
    .c2 = (float)(1.0 - b2),
    .inv_bc2_sqrt = (float)(1.0 / sqrt (1.0 - pow (b2, (double)step))),
    .eps = (float)s->eps,
    .decay = (float)(1.0 - lr * s->weight_decay),
    .step_size = step_size,
  };
  gsize c = 0;

  dm_parallel_for (engine, plan->n_chunks, 1, adam_pass1, &j);
  /* each tensor's RMS from its chunks' sums, in order */
  for (int t = 0; t < plan->n_spans; t++)
    {
      gsize n = plan->spans[t].n;
      double sq = 0, r;

      for (; c < plan->n_chunks && plan->chunks[c].span == t; c++)
        sq += plan->partial[c];
      r = MAX (1.0, sqrt (sq / (double)MAX (n, 1)));
      if (rms_out != NULL)
        rms_out[t] = r;
      step_size[t] = (float)(lr / bc1 / r);
    }
  dm_parallel_for (engine, plan->n_chunks, 1, adam_pass2, &j);
}
