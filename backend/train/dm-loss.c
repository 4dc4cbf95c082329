/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The loose reconstruction loss with hard mining. */
#include "dm-loss.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dm-cosine.h"

void
dm_loss_settings_default (DmLossSettings *settings)
{
  settings->p_final = 0.9;
  settings->ramp_iters = 1000;
  settings->factor = 0.1f;
}

double
dm_loss_hard_mining_p (const DmLossSettings *s, gint64 iteration)
{
  double p = s->p_final * (double)iteration / (double)s->ramp_iters;
  return MIN (p, s->p_final);
}

int
dm_loss_hard_mining_k (double p, int count)
{
  int k = (int)((double)count * (1.0 - p));
  return CLAMP (k, 1, count);
}

gsize
dm_loss_scratch_size (int B, int P)
{
  /* distances, a sorted copy, per-image losses and their gradients */
  return (gsize)2 * B * P + 2 * (gsize)B;
}

static int
compare_desc (const void *a, const void *b)
{
  float x = *(const float *)a, y = *(const float *)b;
  return (x < y) - (x > y);
}

void
dm_loss_forward_backward (const DmLossSettings *settings,
                          gint64 iteration,
                          const float *const *E,
                          const float *const *R,
                          float *const *dR,
                          int B,
                          int N,
                          int D,
                          int first_patch,
                          float *scratch,
                          guint8 *easy,
                          DmLossResult *result)
{
  int P = N - first_patch;
  gsize count = (gsize)B * P, stride = (gsize)N * D, head = (gsize)first_patch * D;
  float *dist = scratch;          /* (B, P) */
  float *sorted = dist + count;   /* (B * P) */
  float *loss_b = sorted + count; /* (B) */
  float *dloss_b = loss_b + B;    /* (B) */

  memset (result, 0, sizeof *result);
  result->p = dm_loss_hard_mining_p (settings, iteration);
  result->count = (int)count;
  result->k = dm_loss_hard_mining_k (result->p, (int)count);

  for (int i = 0; i < DM_LOSS_N_GROUPS; i++)
    {
      const float *e = E[i] + head, *r = R[i] + head;
      float *dr = dR[i] + head;
      double group = 0;

      /* the global cosine loss of each image, and its gradient: the loss
       * is the mean over groups of the mean over images */
      dm_global_cosine_forward (loss_b, e, r, B, P, D, stride);
      for (int b = 0; b < B; b++)
        {
          group += loss_b[b];
          dloss_b[b] = (float)(1.0 / ((double)B * DM_LOSS_N_GROUPS));
        }
      result->loss_groups[i] = group / B;
      result->loss += result->loss_groups[i] / DM_LOSS_N_GROUPS;
      /* the points' distances before dR is written: dR may be R itself */
      dm_cosine_distance_forward (dist, e, r, B, P, D, stride);
      for (int b = 0; b < B; b++)
        memset (dR[i] + (gsize)b * stride, 0, head * sizeof (float));
      dm_global_cosine_backward (NULL, dr, dloss_b, e, r, B, P, D, stride);

      /* hard mining: points closer than the k-th largest distance of the
       * batch are easy; their gradient is scaled, not zeroed */
      memcpy (sorted, dist, count * sizeof (float));
      qsort (sorted, count, sizeof (float), compare_desc);
      result->thresh[i] = sorted[result->k - 1];
      for (int b = 0; b < B; b++)
        for (int p = 0; p < P; p++)
          {
            gsize at = (gsize)b * P + p;
            gboolean is_easy = dist[at] < result->thresh[i];

            if (easy != NULL)
              easy[(gsize)i * count + at] = is_easy;
            if (!is_easy)
              continue;
            result->n_easy[i]++;
            for (int d = 0; d < D; d++)
              dr[(gsize)b * stride + (gsize)p * D + d] *= settings->factor;
          }
    }
}
