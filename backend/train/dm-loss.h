/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The loose reconstruction loss of spec/dinomaly.md §5: global cosine per
 * group and image, with hard mining (the gradient of points that are
 * already well reconstructed is multiplied by a factor, 0.1). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DM_LOSS_N_GROUPS 2

typedef struct
{
  double p_final; /* 0.9: share of points treated as easy at the end of the ramp */
  int ramp_iters; /* 1000: iterations over which p grows linearly from 0 */
  float factor;   /* 0.1: gradient factor of easy points */
} DmLossSettings;

void dm_loss_settings_default (DmLossSettings *settings);

typedef struct
{
  double loss;                          /* mean over the groups */
  double loss_groups[DM_LOSS_N_GROUPS]; /* mean over the batch of 1 - cos */
  double p;                             /* hard-mining share at this iteration */
  int count;                            /* points per group: B * P */
  int k;                                /* the threshold is the k-th largest distance */
  float thresh[DM_LOSS_N_GROUPS];
  int n_easy[DM_LOSS_N_GROUPS]; /* points whose gradient was scaled */
} DmLossResult;

/* p = min (p_final * it / ramp, p_final) and k = (int) (count * (1 - p)),
 * in double as the reference computes them. */
double dm_loss_hard_mining_p (const DmLossSettings *settings, gint64 iteration);
int dm_loss_hard_mining_k (double p, int count);

/* Floats of scratch needed for B images of P patches. */
gsize dm_loss_scratch_size (int B, int P);

/* E[i], R[i]: token-major (B, N, D) features of group i, patches from row
 * first_patch on. Computes the loss and writes dR[i] ((B, N, D), zero on
 * the cls and register rows) = d loss / d R[i] with the hard-mining
 * factor applied (dR[i] may be R[i]: written in place). easy, when
 * non-NULL, receives (groups, B, P) bytes: 1 where the factor was applied. */
void dm_loss_forward_backward (const DmLossSettings *settings,
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
                               DmLossResult *result);

G_END_DECLS
