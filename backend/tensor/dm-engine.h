/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The oneDNN CPU engine and stream, the thread count, and the primitive
 * cache: every primitive is created once per (op, shapes, types) key, with
 * its memory objects, and then only re-pointed at new buffers and executed.
 * A DmEngine is used by one thread at a time. */
#pragma once

#include <glib.h>
#include <oneapi/dnnl/dnnl.h>

G_BEGIN_DECLS

#define DM_PRIMITIVE_MAX_ARGS 8
#define DM_KEY_MAX 256

typedef struct
{
  dnnl_primitive_t primitive;
  dnnl_primitive_desc_t pd; /* owned; also the hint for backward */
  int n_args;
  int arg_ids[DM_PRIMITIVE_MAX_ARGS];                   /* DNNL_ARG_* of each slot */
  dnnl_memory_t memories[DM_PRIMITIVE_MAX_ARGS];        /* created once, no buffer */
  dnnl_exec_arg_t exec_args[DM_PRIMITIVE_MAX_ARGS + 1]; /* + scratchpad */
  void *aux;      /* optional small workspace of the op, owned: dm_primitive_get_aux */
  gsize aux_size; /* bytes in aux */
  double flop;    /* work of one execution (multiply-add = 2), for the profile; 0: not counted */
  char *key;      /* owned: the cache key */
  gboolean packed_weights; /* its weights argument is in a blocked layout (dm-packed.h) */
} DmPrimitive;

typedef struct _DmEngine DmEngine;

/* The arithmetic of the linear layers (dm-linear.h): float32, or bfloat16
 * operands with float32 accumulation and float32 results (everything else
 * stays float32), on CPUs that compute bf16 natively. */
typedef enum
{
  DM_PRECISION_F32,
  DM_PRECISION_BF16,
} DmPrecision;
typedef struct _DmPackedWeights DmPackedWeights; /* dm-packed.h */

/* n_threads <= 0 means all cores. */
DmEngine *dm_engine_new (int n_threads, GError **error);
void dm_engine_free (DmEngine *engine);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmEngine, dm_engine_free)

int dm_engine_get_n_threads (DmEngine *engine);

/* TRUE when the CPU computes bf16 natively (oneDNN's ISA has AVX512_BF16 or
 * AMX); otherwise reason (when not NULL) says what it has. */
gboolean dm_engine_cpu_has_bf16 (char **reason);
/* oneDNN's effective ISA, in words ("AVX2", "AVX-512 BF16", ...). */
const char *dm_engine_isa_name (void);
/* A new engine computes in bf16 where the CPU can, else in f32; the
 * environment variable DINOMALY_PRECISION=f32 (the test suite's) or bf16
 * chooses. Setting bf16 on a CPU without it keeps f32; returns what is
 * set. */
DmPrecision dm_engine_set_precision (DmEngine *engine, DmPrecision precision);
DmPrecision dm_engine_get_precision (DmEngine *engine);
const char *dm_precision_name (DmPrecision precision);
void dm_engine_set_n_threads (DmEngine *engine, int n_threads);
dnnl_engine_t dm_engine_get_dnnl (DmEngine *engine);
/* The set of packed constant weights the forward linear layers use from
 * now on (borrowed; NULL: none, the weights are read as they are). Attach
 * one only around forwards whose weights do not change (dm-packed.h). */
void dm_engine_set_packed_weights (DmEngine *engine, DmPackedWeights *set);
DmPackedWeights *dm_engine_get_packed_weights (DmEngine *engine);
guint dm_engine_get_n_primitives (DmEngine *engine);

/* Looks a primitive up by its key; NULL when it has not been created yet. */
DmPrimitive *dm_engine_lookup (DmEngine *engine, const char *key);

/* Creates the primitive for op_desc (+ attr, + forward hint for backward
 * ops), one memory object per entry of arg_ids (descriptors queried from
 * the primitive descriptor), and stores it under key. Grows the shared
 * scratchpad if needed. Called on the first use of a shape only. */
DmPrimitive *dm_engine_create (DmEngine *engine,
                               const char *key,
                               const_dnnl_op_desc_t op_desc,
                               const_dnnl_primitive_attr_t attr,
                               const_dnnl_primitive_desc_t hint,
                               const int *arg_ids,
                               int n_args,
                               GError **error);

/* Same, with the first implementation whose name (oneDNN's
 * impl_info_str, e.g. "gemm:jit") contains prefer, when oneDNN offers one
 * (else its own first choice); prefer NULL is dm_engine_create. */
DmPrimitive *dm_engine_create_prefer (DmEngine *engine,
                                      const char *key,
                                      const_dnnl_op_desc_t op_desc,
                                      const_dnnl_primitive_attr_t attr,
                                      const_dnnl_primitive_desc_t hint,
                                      const char *prefer,
                                      const int *arg_ids,
                                      int n_args,
                                      GError **error);

/* Same, from a primitive descriptor made elsewhere (sum, reorder); takes
 * ownership of pd. */
DmPrimitive *dm_engine_create_from_pd (DmEngine *engine,
                                       const char *key,
                                       dnnl_primitive_desc_t pd,
                                       const int *arg_ids,
                                       int n_args,
                                       GError **error);

/* Replaces the memory descriptor of slot i, for arguments that oneDNN
 * cannot describe from the primitive descriptor (run-time output scales:
 * a 1-D f32 vector). Called right after creation. */
gboolean dm_primitive_set_arg_md (
  DmEngine *engine, DmPrimitive *primitive, int slot, const dnnl_memory_desc_t *md, GError **error);

/* Points slot i at buffers[i] (same order as arg_ids at creation) and runs
 * the primitive to completion. Never allocates. */
gboolean
dm_engine_execute (DmEngine *engine, DmPrimitive *primitive, void *const *buffers, GError **error);

/* A 64-byte aligned, zeroed workspace of at least n_bytes owned by the
 * primitive (freed with it), for ops that need a small buffer beside
 * oneDNN's, e.g. a parameter gradient that oneDNN writes and the op then
 * adds into the caller's accumulator. Allocated on the first call (when the
 * primitive is created); later calls with n_bytes <= the first return the
 * same buffer without allocating. NULL with error set when out of memory. */
void *dm_primitive_get_aux (DmPrimitive *primitive, gsize n_bytes, GError **error);

/* An attr with the user scratchpad mode (the engine owns one scratchpad)
 * and, when wanted, post-ops. Free with dnnl_primitive_attr_destroy. */
dnnl_primitive_attr_t dm_engine_new_attr (dnnl_post_ops_t post_ops);

/* Fills a plain row-major f32 descriptor of ndims dims. */
void dm_md_f32 (dnnl_memory_desc_t *md, int ndims, const dnnl_dim_t *dims);
/* Fills an f32 descriptor with explicit strides (elements). */
void dm_md_f32_strided (dnnl_memory_desc_t *md,
                        int ndims,
                        const dnnl_dim_t *dims,
                        const dnnl_dim_t *strides);

/* A 64-byte aligned work buffer of at least n_bytes owned by the engine
 * and kept under key, for ops whose API has no scratch argument (small
 * per-call workspaces such as a backward's intermediate gradients). It is
 * allocated on the first call for a key and only grows; the content is not
 * preserved between calls. Never allocates once warm. */
void *dm_engine_get_workspace (DmEngine *engine, const char *key, gsize n_bytes, GError **error);

/* The op profile (off by default): every primitive executed and every
 * section between dm_engine_profile_begin and _end is added up under its
 * name (a primitive's name is its cache key up to the first ':'), in
 * wall-clock and process CPU seconds. For `dinomaly bench --profile` and
 * the benchmarks; nothing is measured while it is off. */
typedef struct
{
  const char *name;
  guint64 calls;
  double wall_s;
  double cpu_s; /* all threads: spinning OpenMP workers count unless passive */
  double flop;  /* summed DmPrimitive.flop */
} DmProfileEntry;

void dm_engine_set_profiling (DmEngine *engine, gboolean profiling);
/* The entries so far, largest wall time first (owned by the engine, valid
 * until the next call on it); *n receives their number. */
const DmProfileEntry *dm_engine_get_profile (DmEngine *engine, guint *n);
void dm_engine_reset_profile (DmEngine *engine);
/* The profile as a table for people, per unit of work (times divided by
 * per, e.g. the iterations profiled): milliseconds, share of the wall
 * time of all entries, CPU milliseconds and GFLOP/s where counted. */
char *dm_engine_format_profile (DmEngine *engine, double per);
/* A section of work that is not a primitive (a loop of ours): begin
 * returns a stamp (0 while profiling is off), end adds the time since to
 * name (a string that outlives the engine, e.g. a literal). */
gint64 dm_engine_profile_begin (DmEngine *engine);
void dm_engine_profile_end (DmEngine *engine, const char *name, gint64 stamp);

/* Sets error from a oneDNN status; returns FALSE when status != success. */
gboolean dm_dnnl_check (dnnl_status_t status, const char *what, GError **error);

G_END_DECLS
