/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Our own elementwise and reduction loops on all cores and at the CPU's
 * vector width: the engine's OpenMP team (the threads oneDNN's primitives
 * run on, so nothing is oversubscribed and no second pool spins), and
 * function clones for AVX-512 and AVX2 picked when the program loads. */
#pragma once

#include <glib.h>

#include "dm-engine.h"

G_BEGIN_DECLS

/* Compiles a loop function for x86-64-v4 (AVX-512), x86-64-v3 (AVX2 + FMA)
 * and the baseline, and calls the best the CPU runs. The backend is built
 * with -ffp-contract=off and our sums keep a fixed order (explicit lanes),
 * so every clone gives the baseline's bits: only the speed differs. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define DM_NO_VECTOR_CLONES 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define DM_NO_VECTOR_CLONES 1 /* ifunc resolvers run before the sanitizer's runtime */
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(DM_NO_VECTOR_CLONES)
#define DM_VECTOR_CLONES                                                                           \
  __attribute__ ((target_clones ("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define DM_VECTOR_CLONES
#endif

/* Work on elements [begin, end) of one chunk. */
typedef void (*DmParallelFunc) (gsize begin, gsize end, gpointer user_data);

/* Runs func on [0, n) cut into chunks of `chunk` elements (the last one
 * shorter), each chunk once, the chunks spread over the engine's threads in
 * contiguous runs; returns when all are done. The chunks depend on n and
 * chunk only, never on the thread count, so a result summed per chunk and
 * then over the chunks in order is the same on any number of threads. */
/* (engine NULL: on the calling thread alone.) */
void
dm_parallel_for (DmEngine *engine, gsize n, gsize chunk, DmParallelFunc func, gpointer user_data);

/* The number of chunks dm_parallel_for cuts [0, n) into. */
static inline gsize
dm_parallel_n_chunks (gsize n, gsize chunk)
{
  return (n + chunk - 1) / chunk;
}

/* Column sums over rows [0, M): the rows are cut into at most
 * DM_ROW_CHUNKS chunks of dm_row_chunk (M) consecutive rows (a cut that
 * depends on M alone), each chunk sums its rows into its own row of
 * partial sums in double, and dm_sum_partials adds the chunks up in order:
 * the same bits on any number of threads. */
#define DM_ROW_CHUNKS 64

static inline gsize
dm_row_chunk (gsize M)
{
  return MAX ((M + DM_ROW_CHUNKS - 1) / DM_ROW_CHUNKS, 1);
}

/* out[c] += (float) sum over k < n_chunks of partial[k * C + c]. */
void dm_sum_partials (float *out, const double *partial, gsize n_chunks, gsize C);

G_END_DECLS
