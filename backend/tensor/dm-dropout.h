/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Dropout with a counter-based random mask: element i is kept or dropped
 * by a hash of (seed, offset + i) alone, so the mask is the same for any
 * thread count or chunking, and the backward recomputes it (no storage). */
#pragma once

#include <glib.h>

#include "dm-engine.h"

G_BEGIN_DECLS

/* TRUE when element `index` (= offset + i) of a dropout with this seed and
 * drop probability p is kept. p in [0, 1]: 0 keeps all, 1 drops all.
 * The keep probability is 1 - p up to 2^-32. */
gboolean dm_dropout_is_kept (guint64 seed, guint64 index, float p);

/* out[i] = kept (seed, offset + i) ? inp[i] / (1 - p) : 0, for i < n, on
 * the engine's threads (engine NULL: the calling thread)
 * (PyTorch's training-mode dropout: kept values scaled by 1 / (1 - p),
 * in float as PyTorch does; p = 0 is the identity, p = 1 gives zeros).
 * out may equal inp. Callers give each dropout site and each step its own
 * (seed, offset) range, e.g. one seed per step and offsets that do not
 * overlap between sites. */
void dm_dropout_forward (
  DmEngine *engine, float *out, const float *inp, gsize n, float p, guint64 seed, guint64 offset);

/* dinp[i] = kept (seed, offset + i) ? dout[i] / (1 - p) : 0, written, with
 * the forward's mask recomputed from the same (p, seed, offset). dinp may
 * equal dout. */
void dm_dropout_backward (
  DmEngine *engine, float *dinp, const float *dout, gsize n, float p, guint64 seed, guint64 offset);

G_END_DECLS
