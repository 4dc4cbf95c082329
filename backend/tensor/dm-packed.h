/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Weights that never change while they are used (inference) reordered once
 * into the blocked layout oneDNN's matmul reads directly: otherwise it
 * copies every weight matrix into that layout on every call, which at
 * batch 1 costs a tenth of the time of the product. A set is attached to
 * an engine (dm_engine_set_packed_weights) for a run of forwards; the
 * forward linear layers then look their weights up in it by address,
 * packing each on first use. */
#pragma once

#include <glib.h>
#include <oneapi/dnnl/dnnl.h>

#include "dm-engine.h"

G_BEGIN_DECLS

DmPackedWeights *dm_packed_weights_new (void);
void dm_packed_weights_free (DmPackedWeights *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmPackedWeights, dm_packed_weights_free)

/* Bytes of the packed copies made so far. */
gsize dm_packed_weights_get_bytes (const DmPackedWeights *set);

/* The copy of weight ((N, K), PyTorch [out, in]) in the layout md (a
 * (K, N) matmul weights descriptor), made and kept on the first call for
 * that address. The weights must not change, nor be freed and their
 * address reused, while the set lives. NULL with error set on failure. */
const float *dm_packed_weights_lookup (DmPackedWeights *set,
                                       DmEngine *engine,
                                       const float *weight,
                                       int K,
                                       int N,
                                       const dnnl_memory_desc_t *md,
                                       GError **error);

G_END_DECLS
