/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Bottleneck and linear-attention decoder, forward and backward. */
#include "dm-decoder.h"
#include "dm-arena.h"

#include <string.h>

#include "dm-binary.h"
#include "dm-dropout.h"
#include "dm-eltwise.h"
#include "dm-error.h"
#include "dm-layernorm.h"
#include "dm-linear-attention.h"
#include "dm-linear.h"

#define DROPOUT_SITE_STRIDE DM_DECODER_DROPOUT_SITE_STRIDE

/* Lays the views out (base NULL: only counts) and returns the floats used.
 * Training with recompute keeps, per block, what cannot be made again
 * cheaply (the LayerNorms' statistics, qkv, linear attention's KV, ksum and
 * z, x_mid, fc1's pre-activation and the output); the LayerNorms' outputs,
 * q' and k', the attention output and the GELU output of every block, and
 * the bottleneck's GELU output, live in one scratch U of 5 M D floats
 * shared by all blocks and are made again in the backward where it needs
 * them. What lies where in U, in units of M D, by phase (a buffer is only
 * overwritten once it has been read for the last time):
 *   forward:        ln1 [0, 1), q' k' [0, 2), att [2, 3), ln2 [4, 5),
 *                   fc1_act [0, 4)
 *   backward, MLP:  fc1_act or bn_act [0, 4), then dwide there (the weight
 *                   gradient that reads fc1_act goes first), ln2 [4, 5)
 *   backward, attn: q' k' [0, 2), att [2, 3), dqkv [2, 5) (after att is
 *                   read), ln1 [0, 1) (after q' k' are)
 * Without recompute every block keeps its own, and dwide and dqkv (never
 * live at once) share 4 M D floats. */
static gsize
layout (DmDecoderActs *a, float *base, int B, int N, int D, gboolean training, gboolean recompute)
{
  gsize M = (gsize)B * N, off = 0, MD = M * D;
  int H = D / 64;
  gsize la = dm_linear_attention_saved_size (B, N, D, H);
  float *U = NULL;
#define TAKE(view, n)                                                                              \
  do                                                                                               \
    {                                                                                              \
      if (base != NULL)                                                                            \
        (view) = base + off;                                                                       \
      off += dm_pad_floats (n);                                                                    \
    }                                                                                              \
  while (0)

  recompute = recompute && training;
  if (base != NULL)
    {
      memset (a, 0, sizeof *a);
      a->B = B;
      a->N = N;
      a->D = D;
      a->H = H;
      a->training = training;
      a->recompute = recompute;
    }
  if (recompute)
    TAKE (U, 5 * MD);
  TAKE (a->bn_in, MD);
  TAKE (a->bn_pre, 4 * MD);
  if (recompute)
    a->bn_act = U;
  else
    TAKE (a->bn_act, 4 * MD);
  TAKE (a->bn_out, MD);
  for (int i = 0; i < DM_DECODER_DEPTH; i++)
    {
      DmDecoderBlockActs *b = &a->blocks[i];

      if (!training && i > 0)
        {
          /* inference: every block reuses block 0's buffers but its output */
          if (base != NULL)
            *b = a->blocks[0];
          TAKE (b->out, MD);
          continue;
        }
      if (recompute)
        {
          if (base != NULL)
            {
              b->ln1 = U;
              b->qk1 = U;
              b->att = U + 2 * MD;
              b->ln2 = U + 4 * MD;
              b->fc1_act = U;
            }
        }
      else
        {
          TAKE (b->ln1, MD);
          TAKE (b->qk1, 2 * MD);
          TAKE (b->att, MD);
          TAKE (b->ln2, MD);
          TAKE (b->fc1_act, 4 * MD);
        }
      TAKE (b->ln1_mean, M);
      TAKE (b->ln1_var, M);
      TAKE (b->qkv, 3 * MD);
      TAKE (b->la_saved, la);
      TAKE (b->x_mid, MD);
      TAKE (b->ln2_mean, M);
      TAKE (b->ln2_var, M);
      TAKE (b->fc1_pre, 4 * MD);
      TAKE (b->out, MD);
    }
  TAKE (a->R1, MD);
  TAKE (a->R2, MD);
  if (training)
    {
      TAKE (a->dx, MD);
      TAKE (a->dbranch, MD);
      if (recompute)
        {
          if (base != NULL)
            {
              a->dwide = U;
              a->dqkv = U + 2 * MD;
            }
        }
      else
        {
          TAKE (a->dwide, 4 * MD);
          a->dqkv = a->dwide;
        }
    }
#undef TAKE
  return off;
}

gsize
dm_decoder_acts_size (int B, int N, int D, gboolean training, gboolean recompute)
{
  DmDecoderActs a;
  return layout (&a, NULL, B, N, D, training, recompute);
}

void
dm_decoder_acts_point (
  DmDecoderActs *acts, float *base, int B, int N, int D, gboolean training, gboolean recompute)
{
  layout (acts, base, B, N, D, training, recompute);
}

gboolean
dm_decoder_recompute_wanted (int B, int N, int D)
{
  return dm_decoder_acts_size (B, N, D, TRUE, FALSE) * sizeof (float) > DM_DECODER_RECOMPUTE_BYTES;
}

static gboolean
dropout_on (const DmDropout *dropout)
{
  return dropout != NULL && dropout->p > 0.0f;
}

/* Pre-norm block with linear attention, no LayerScale:
 * x_mid = x + proj (LinAttn (LN1 (x))); out = x_mid + fc2 (GELU (fc1 (LN2 (x_mid)))). */
static gboolean
block_forward (DmEngine *engine,
               const DmDecoderBlockViews *w,
               DmDecoderActs *a,
               DmDecoderBlockActs *b,
               const float *x,
               GError **error)
{
  int M = a->B * a->N, D = a->D;
  gboolean keep = a->training;

  if (!dm_layernorm_forward (engine, b->ln1, keep ? b->ln1_mean : NULL, keep ? b->ln1_var : NULL, x,
                             w->norm1_w, w->norm1_b, M, D, DM_DECODER_LN_EPS, error)
      || !dm_linear_forward (engine, b->qkv, b->ln1, w->qkv_w, w->qkv_b, M, D, 3 * D, DM_ACT_NONE,
                             error)
      || !dm_linear_attention_forward (engine, b->att, b->la_saved, b->qk1, b->qkv, a->B, a->N, D,
                                       a->H, error)
      || !dm_linear_forward_residual (engine, b->x_mid, b->att, w->proj_w, w->proj_b, NULL, x, M, D,
                                      D, error))
    return FALSE;
  if (!dm_layernorm_forward (engine, b->ln2, keep ? b->ln2_mean : NULL, keep ? b->ln2_var : NULL,
                             b->x_mid, w->norm2_w, w->norm2_b, M, D, DM_DECODER_LN_EPS, error))
    return FALSE;
  if (keep)
    {
      /* training keeps the pre-activation for GELU's backward */
      if (!dm_linear_forward (engine, b->fc1_pre, b->ln2, w->fc1_w, w->fc1_b, M, D, 4 * D,
                              DM_ACT_NONE, error)
          || !dm_gelu_forward (engine, b->fc1_act, b->fc1_pre, (gsize)M * 4 * D, error))
        return FALSE;
    }
  else if (!dm_linear_forward (engine, b->fc1_act, b->ln2, w->fc1_w, w->fc1_b, M, D, 4 * D,
                               DM_ACT_GELU, error))
    return FALSE;
  /* the residuals ride on the matmuls as binary adds */
  return dm_linear_forward_residual (engine, b->out, b->fc1_act, w->fc2_w, w->fc2_b, NULL, b->x_mid,
                                     M, 4 * D, D, error);
}

/* R1 = mean (d8, d7, d6, d5), R2 = mean (d4, d3, d2, d1): the decoder list
 * reversed, so the shallow encoder group meets the last decoder blocks. */
static void
decoder_groups (DmDecoderActs *a)
{
  gsize n = (gsize)a->B * a->N * a->D;
  const float *g1[4] = { a->blocks[7].out, a->blocks[6].out, a->blocks[5].out, a->blocks[4].out };
  const float *g2[4] = { a->blocks[3].out, a->blocks[2].out, a->blocks[1].out, a->blocks[0].out };

  dm_mean_forward (a->R1, g1, 4, n);
  dm_mean_forward (a->R2, g2, 4, n);
}

gboolean
dm_decoder_forward (DmEngine *engine,
                    const DmDinomalyViews *w,
                    DmDecoderActs *a,
                    const float *fused,
                    const DmDropout *dropout,
                    GError **error)
{
  int M = a->B * a->N, D = a->D;
  gsize n = (gsize)M * D, n4 = n * 4;
  const DmBottleneckViews *bw = &w->bottleneck;
  const float *bn_in = fused; /* inference reads the fused input in place */
  const float *x;

  if (!a->training && dropout_on (dropout))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "Dropout needs training activations (internal error)");
      return FALSE;
    }
  /* Bottleneck: Dropout -> fc1 -> GELU -> Dropout -> fc2 -> Dropout */
  if (dropout_on (dropout))
    {
      gint64 stamp = dm_engine_profile_begin (engine);

      dm_dropout_forward (engine, a->bn_in, fused, n, dropout->p, dropout->seed, 0);
      dm_engine_profile_end (engine, "dropout", stamp);
      bn_in = a->bn_in;
    }
  else if (a->training)
    {
      /* the backward reads bn_in for fc1's weight gradient (the training
       * step gathers its batch straight into it: nothing to copy) */
      if (a->bn_in != fused)
        memcpy (a->bn_in, fused, n * sizeof (float));
      bn_in = a->bn_in;
    }
  if (a->training)
    {
      if (!dm_linear_forward (engine, a->bn_pre, bn_in, bw->fc1_w, bw->fc1_b, M, D, 4 * D,
                              DM_ACT_NONE, error)
          || !dm_gelu_forward (engine, a->bn_act, a->bn_pre, n4, error))
        return FALSE;
    }
  else if (!dm_linear_forward (engine, a->bn_act, bn_in, bw->fc1_w, bw->fc1_b, M, D, 4 * D,
                               DM_ACT_GELU, error))
    return FALSE;
  if (dropout_on (dropout))
    {
      gint64 stamp = dm_engine_profile_begin (engine);

      dm_dropout_forward (engine, a->bn_act, a->bn_act, n4, dropout->p, dropout->seed,
                          DROPOUT_SITE_STRIDE);
      dm_engine_profile_end (engine, "dropout", stamp);
    }
  if (!dm_linear_forward (engine, a->bn_out, a->bn_act, bw->fc2_w, bw->fc2_b, M, 4 * D, D,
                          DM_ACT_NONE, error))
    return FALSE;
  if (dropout_on (dropout))
    {
      gint64 stamp = dm_engine_profile_begin (engine);

      dm_dropout_forward (engine, a->bn_out, a->bn_out, n, dropout->p, dropout->seed,
                          2 * DROPOUT_SITE_STRIDE);
      dm_engine_profile_end (engine, "dropout", stamp);
    }

  x = a->bn_out;
  for (int i = 0; i < DM_DECODER_DEPTH; i++)
    {
      if (!block_forward (engine, &w->blocks[i], a, &a->blocks[i], x, error))
        return FALSE;
      x = a->blocks[i].out;
    }
  {
    gint64 stamp = dm_engine_profile_begin (engine);

    decoder_groups (a);
    dm_engine_profile_end (engine, "decoder groups", stamp);
  }
  return TRUE;
}

/* dx holds the gradient of the block's output on entry and of its input on
 * return, plus extra_scale * extra (the next block down's share of a
 * decoder group's gradient; extra may be NULL); dsum, when not NULL,
 * receives the column sums of the returned dx (the fc2 bias gradient of
 * the block below). The fc2 bias gradient of this block came with dx. The
 * bias gradients are column sums taken in the passes that make each
 * output gradient (GELU's backward, the LayerNorms', linear attention's),
 * and the residual adds ride on the LayerNorm backward passes. */
static gboolean
block_backward (DmEngine *engine,
                const DmDecoderBlockViews *w,
                const DmDecoderBlockViews *g,
                DmDecoderActs *a,
                DmDecoderBlockActs *b,
                const float *x,
                const float *extra,
                float *dsum,
                GError **error)
{
  int M = a->B * a->N, D = a->D;
  gsize n = (gsize)M * D;

  /* MLP branch: out = x_mid + fc2 (gelu (fc1 (ln2 (x_mid)))); dx becomes
   * d x_mid, whose column sums are proj's bias gradient */
  if (a->recompute
      && (!dm_gelu_forward (engine, b->fc1_act, b->fc1_pre, 4 * n, error)
          || !dm_layernorm_forward (engine, b->ln2, b->ln2_mean, b->ln2_var, b->x_mid, w->norm2_w,
                                    w->norm2_b, M, D, DM_DECODER_LN_EPS, error)))
    return FALSE;
  /* the weight gradient first: with recompute, dwide overwrites fc1_act */
  if (!dm_linear_backward (engine, NULL, g->fc2_w, NULL, a->dx, b->fc1_act, NULL, M, 4 * D, D,
                           error)
      || !dm_linear_backward (engine, a->dwide, NULL, NULL, a->dx, NULL, w->fc2_w, M, 4 * D, D,
                              error)
      || !dm_gelu_backward_bias (engine, a->dwide, g->fc1_b, a->dwide, b->fc1_pre, M, 4 * D, error)
      || !dm_linear_backward (engine, a->dbranch, g->fc1_w, NULL, a->dwide, b->ln2, w->fc1_w, M, D,
                              4 * D, error)
      || !dm_layernorm_backward_add (engine, a->dx, g->norm2_w, g->norm2_b, g->proj_b, a->dbranch,
                                     b->x_mid, w->norm2_w, b->ln2_mean, b->ln2_var, NULL, 0.0f, M,
                                     D, DM_DECODER_LN_EPS, error))
    return FALSE;

  /* Attention branch: x_mid = x + proj (linattn (qkv (ln1 (x)))); with
   * recompute, ln1 is made again once linear attention's backward has
   * read q' and k' (they share memory) */
  if (a->recompute
      && !dm_linear_attention_recompute (engine, b->att, b->la_saved, b->qk1, b->qkv, a->B, a->N, D,
                                         a->H, error))
    return FALSE;
  if (!dm_linear_backward (engine, a->dbranch, g->proj_w, NULL, a->dx, b->att, w->proj_w, M, D, D,
                           error)
      || !dm_linear_attention_backward (engine, a->dqkv, g->qkv_b, a->dbranch, b->qkv, b->la_saved,
                                        b->qk1, a->B, a->N, D, a->H, error))
    return FALSE;
  if (a->recompute
      && !dm_layernorm_forward (engine, b->ln1, b->ln1_mean, b->ln1_var, x, w->norm1_w, w->norm1_b,
                                M, D, DM_DECODER_LN_EPS, error))
    return FALSE;
  return dm_linear_backward (engine, a->dbranch, g->qkv_w, NULL, a->dqkv, b->ln1, w->qkv_w, M, D,
                             3 * D, error)
         && dm_layernorm_backward_add (engine, a->dx, g->norm1_w, g->norm1_b, dsum, a->dbranch, x,
                                       w->norm1_w, b->ln1_mean, b->ln1_var, extra, 0.25f, M, D,
                                       DM_DECODER_LN_EPS, error);
}

gboolean
dm_decoder_backward (DmEngine *engine,
                     const DmDinomalyViews *w,
                     const DmDinomalyViews *grads,
                     DmDecoderActs *a,
                     const float *dR1,
                     const float *dR2,
                     const DmDropout *dropout,
                     GError **error)
{
  int M = a->B * a->N, D = a->D;
  gsize n = (gsize)M * D, n4 = n * 4;
  const DmBottleneckViews *bw = &w->bottleneck;
  const DmBottleneckViews *bg = &grads->bottleneck;

  if (!a->training)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "The decoder's backward needs a training forward (internal error)");
      return FALSE;
    }
  /* Block 7's output only feeds R1: d d8 = dR1 / 4 (its column sums:
   * block 7's fc2 bias gradient). Going down, each block output d_i also
   * receives its group's share, added by the backward of the block above. */
  if (!dm_scale_column_sums (engine, a->dx, grads->blocks[DM_DECODER_DEPTH - 1].fc2_b, dR1, 0.25f,
                             M, D, error))
    return FALSE;
  for (int i = DM_DECODER_DEPTH - 1; i >= 0; i--)
    {
      const float *x = i > 0 ? a->blocks[i - 1].out : a->bn_out;
      const float *extra = i > 0 ? (i - 1 >= 4 ? dR1 : dR2) : NULL;
      float *dsum = i > 0 ? grads->blocks[i - 1].fc2_b : NULL;

      if (!block_backward (engine, &w->blocks[i], &grads->blocks[i], a, &a->blocks[i], x, extra,
                           dsum, error))
        return FALSE;
    }

  /* Bottleneck, from the gradient of x0 = Dropout (fc2 (Dropout (GELU (fc1 (Dropout (f)))))).
   * The fused input is a constant (the encoder is frozen): no gradient for it. */
  if (dropout_on (dropout))
    {
      gint64 stamp = dm_engine_profile_begin (engine);

      dm_dropout_backward (engine, a->dx, a->dx, n, dropout->p, dropout->seed,
                           2 * DROPOUT_SITE_STRIDE);
      dm_engine_profile_end (engine, "dropout", stamp);
    }
  if (a->recompute)
    {
      /* bn_act = Dropout (GELU (bn_pre)) again, the same mask */
      if (!dm_gelu_forward (engine, a->bn_act, a->bn_pre, n4, error))
        return FALSE;
      if (dropout_on (dropout))
        dm_dropout_forward (engine, a->bn_act, a->bn_act, n4, dropout->p, dropout->seed,
                            DROPOUT_SITE_STRIDE);
    }
  if (!dm_scale_column_sums (engine, a->dx, bg->fc2_b, a->dx, 1.0f, M, D, error)
      || !dm_linear_backward (engine, NULL, bg->fc2_w, NULL, a->dx, a->bn_act, NULL, M, 4 * D, D,
                              error)
      || !dm_linear_backward (engine, a->dwide, NULL, NULL, a->dx, NULL, bw->fc2_w, M, 4 * D, D,
                              error))
    return FALSE;
  if (dropout_on (dropout))
    {
      gint64 stamp = dm_engine_profile_begin (engine);

      dm_dropout_backward (engine, a->dwide, a->dwide, n4, dropout->p, dropout->seed,
                           DROPOUT_SITE_STRIDE);
      dm_engine_profile_end (engine, "dropout", stamp);
    }
  return dm_gelu_backward_bias (engine, a->dwide, bg->fc1_b, a->dwide, a->bn_pre, M, 4 * D, error)
         && dm_linear_backward (engine, NULL, bg->fc1_w, NULL, a->dwide, a->bn_in, NULL, M, D,
                                4 * D, error);
}
