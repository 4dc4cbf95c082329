/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The trained part of Dinomaly (spec/dinomaly.md §3-§4): the noisy
 * bottleneck and the 8 linear-attention decoder blocks, forward (training
 * with dropout, or inference) and backward, plus the decoder groups.
 *
 * Tokens are token-major (B, N, D) with all N tokens (cls, registers and
 * patches); M = B * N rows. */
#pragma once

#include <glib.h>

#include "dm-dinomaly-weights.h"
#include "dm-engine.h"

G_BEGIN_DECLS

#define DM_DECODER_LN_EPS 1e-8f

/* Training activations above this many bytes are made again in the
 * backward rather than kept per block (dm_decoder_recompute_wanted). */
#define DM_DECODER_RECOMPUTE_BYTES (G_GUINT64_CONSTANT (1) << 30)

/* What one block's forward keeps for its backward (views into the
 * activation block). With recompute, those marked "or shared" point into
 * scratch shared by all blocks and are made again by the backward. */
typedef struct
{
  float *ln1;      /* (M, D), or shared */
  float *ln1_mean; /* (M) */
  float *ln1_var;  /* (M) */
  float *qkv;      /* (M, 3D) */
  float *la_saved; /* linear attention's saved buffer (KV, ksum, z) */
  float *qk1;      /* (M, 2D) q' and k', or shared */
  float *att;      /* (M, D) before the projection, or shared */
  float *x_mid;    /* (M, D) after the attention residual */
  float *ln2;      /* (M, D), or shared */
  float *ln2_mean; /* (M) */
  float *ln2_var;  /* (M) */
  float *fc1_pre;  /* (M, 4D) before GELU */
  float *fc1_act;  /* (M, 4D) after GELU, or shared */
  float *out;      /* (M, D) the block's output d_{i+1} */
} DmDecoderBlockActs;

typedef struct
{
  int B, N, D, H;
  gboolean training;  /* every block keeps its own activations */
  gboolean recompute; /* training: some are made again in the backward */
  float *bn_in;       /* (M, D) fused input after the first dropout */
  float *bn_pre;      /* (M, 4D) fc1 before GELU */
  float *bn_act;      /* (M, 4D) after GELU and the second dropout (or shared) */
  float *bn_out;      /* (M, D) after fc2 and the third dropout: x0 */
  DmDecoderBlockActs blocks[DM_DECODER_DEPTH];
  float *R1; /* (M, D) mean (d8, d7, d6, d5) */
  float *R2; /* (M, D) mean (d4, d3, d2, d1) */
  /* backward scratch (training only) */
  float *dx;      /* (M, D) gradient of the residual stream */
  float *dbranch; /* (M, D) */
  float *dqkv;    /* (M, 3D), sharing memory with dwide or the scratch */
  float *dwide;   /* (M, 4D) */
} DmDecoderActs;

/* Floats needed for the activations of a forward (and backward when
 * training; recompute: see DmDecoderBlockActs) at these shapes. */
gsize dm_decoder_acts_size (int B, int N, int D, gboolean training, gboolean recompute);
/* Points the views at base (dm_decoder_acts_size floats). */
void dm_decoder_acts_point (
  DmDecoderActs *acts, float *base, int B, int N, int D, gboolean training, gboolean recompute);
/* TRUE when training activations kept per block would exceed
 * DM_DECODER_RECOMPUTE_BYTES: then about half of them are made again in
 * the backward (a few percent more time, bit for bit the same gradients). */
gboolean dm_decoder_recompute_wanted (int B, int N, int D);

/* The three dropout sites of the bottleneck (input, hidden, output) draw
 * from disjoint index ranges of the step's seed: site s uses the element
 * indices from s * DM_DECODER_DROPOUT_SITE_STRIDE on. */
#define DM_DECODER_DROPOUT_SITE_STRIDE (G_GUINT64_CONSTANT (1) << 40)

/* Dropout of one training step: the masks depend only on (seed, element),
 * so a resumed run draws the same masks. p = 0 disables it. */
typedef struct
{
  float p;
  guint64 seed;
} DmDropout;

/* fused (M, D) -> acts->R1, acts->R2 (and, in training, everything the
 * backward needs). dropout may be NULL (inference). */
gboolean dm_decoder_forward (DmEngine *engine,
                             const DmDinomalyViews *w,
                             DmDecoderActs *acts,
                             const float *fused,
                             const DmDropout *dropout,
                             GError **error);

/* dR1, dR2 (M, D): the loss gradients of the two decoder groups (rows of
 * cls and registers zero) -> parameter gradients accumulated into grads
 * (a DmDinomalyViews over the gradient arena). The forward must have run
 * with acts->training and the same dropout. dR1 and dR2 are read only. */
gboolean dm_decoder_backward (DmEngine *engine,
                              const DmDinomalyViews *w,
                              const DmDinomalyViews *grads,
                              DmDecoderActs *acts,
                              const float *dR1,
                              const float *dR2,
                              const DmDropout *dropout,
                              GError **error);

G_END_DECLS
