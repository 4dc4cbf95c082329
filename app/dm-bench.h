/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every `dinomaly bench` mode shares: the row selection options, the
 * machine's own f32 matmul peak, peak memory, bf16 detection and the JSON
 * rows, so that `bench infer` and `bench train` report alike. */
#pragma once

#include <glib.h>

#include "dm-engine.h"
#include "dm-vit-weights.h"

G_BEGIN_DECLS

/* Options of every mode; zero / NULL means "all" (or the default). */
typedef struct
{
  char *arch;          /* "small", "base", "large" or NULL for all */
  int crop;            /* 224, 280, 392 or 0 for all three */
  int batch;           /* 1, 8 or 0 for both */
  char *dtype;         /* "f32", "bf16" or NULL for both */
  int threads;         /* 0: all cores */
  int runs;            /* timed runs per row, the best counts (default 3) */
  char *json;          /* write the rows there too */
  gboolean profile;    /* print each row's op profile */
  gboolean no_pytorch; /* do not run the PyTorch baseline */
} DmBenchOptions;

/* Entries for these options (static storage pointing into options; ends
 * with the NULL entry). */
const GOptionEntry *dm_bench_option_entries (DmBenchOptions *options);
/* Checks values after parsing; FALSE with a message for the user. */
gboolean dm_bench_options_check (const DmBenchOptions *options, GError **error);
void dm_bench_options_clear (DmBenchOptions *options);

/* The rows a benchmark measures: the product of these, minus what the
 * options leave out. */
extern const char *const dm_bench_archs[3];  /* "small", "base", "large" */
extern const int dm_bench_crops[3];          /* 224, 280, 392 */
extern const int dm_bench_batches[2];        /* 1, 8 */
extern const char *const dm_bench_dtypes[2]; /* "f32", "bf16" */
gboolean dm_bench_options_want (
  const DmBenchOptions *options, const char *arch, int crop, int batch, const char *dtype);

/* Whether rows of this data type are wanted. */
gboolean dm_bench_options_want_dtype (const DmBenchOptions *options, const char *dtype);

/* The resize that goes with a crop in the presets (spec §8): 448 for 392,
 * 320 for 280, 256 for 224, else crop * 8 / 7. */
int dm_bench_resize_for_crop (int crop);

/* The f32 (or bf16, f32 results) peak of this machine as oneDNN reaches
 * it: products of two n x n matrices (n = 2048, 2 n^3 FLOP) on the given
 * threads, by oneDNN's first-choice matmul and (f32) by its jit gemm, the
 * faster counting. Each run
 * allocates and frees its matrices, so that the memory of the rows it is
 * interleaved with is measured without them. */
typedef struct _DmBenchPeak DmBenchPeak;

DmBenchPeak *dm_bench_peak_new (int n_threads, DmPrecision precision, GError **error);
void dm_bench_peak_free (DmBenchPeak *peak);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmBenchPeak, dm_bench_peak_free)
/* One timed product by each implementation; returns the faster's GFLOP/s,
 * and keeps the best. */
gboolean dm_bench_peak_run (DmBenchPeak *peak, double *gflops, GError **error);
/* The best GFLOP/s of every run so far. */
double dm_bench_peak_best (const DmBenchPeak *peak);

/* TRUE when the CPU can do bf16 arithmetic natively (oneDNN's effective
 * ISA has AVX512_BF16 or AMX); otherwise `reason` says what it has. */
gboolean dm_bench_have_bf16 (char **reason);
/* oneDNN's effective ISA, in words ("AVX2", ...). */
const char *dm_bench_isa_name (void);

/* Peak resident memory of this process since the last reset, MiB. The
 * reset uses /proc/self/clear_refs (Linux); where that is not possible the
 * peak is the process's whole-life peak, and reset returns FALSE. */
gboolean dm_bench_reset_peak_rss (void);
double dm_bench_peak_rss_mb (void);
/* Resident memory now, MiB (NaN where /proc is absent). */
double dm_bench_rss_mb (void);

/* FLOP (multiply-add = 2) of one image through the inference forward:
 * patch embedding, encoder blocks 0..last_block (qkv, q k^T, p v, proj,
 * fc1, fc2), bottleneck, decoder blocks (qkv, k'^T v, q' KV, the
 * normaliser q' . sum k', proj, fc1, fc2). Elementwise work (norms,
 * softmax, GELU, residuals, means, cosines, maps) is not counted. */
double dm_bench_inference_flop (const DmVitConfig *config, int last_block, int crop);
/* The two parts of it: the encoder (patch embedding and blocks
 * 0..last_block, what the feature cache computes per image) and the
 * bottleneck + decoder forward over N tokens of width D. */
double dm_bench_encoder_flop (const DmVitConfig *config, int last_block, int crop);
double dm_bench_decoder_flop (int D, int N);
/* FLOP of one image through one training iteration, counted alike: the
 * decoder forward, then its backward: the input and weight gradients of
 * every linear layer (no input gradient for the bottleneck's first, whose
 * input is the frozen encoder's), and linear attention's four products
 * (g KV^T, q'^T du, k' dKV, v dKV^T) and two normaliser dot products per
 * token. Column sums (bias gradients), norms, the loss and the optimiser
 * are not counted. */
double dm_bench_train_flop (int D, int N);

/* The PyTorch baseline (build-aux/bench-pytorch.py run by Debian's
 * /usr/bin/python3): the same work on the same shapes and threads. */
typedef struct
{
  char *skipped;  /* NULL when it ran, else why not (owned) */
  char *version;  /* torch.__version__ (owned) */
  double seconds; /* per iteration (train) or per batch (infer, best run) */
  double images_per_s;
  double peak_rss_mb;   /* whole process */
  double rss_before_mb; /* train: before the decoder was made (Python and torch) */
} DmBenchPytorch;

/* Runs the baseline: mode "train" (count = timed iterations) or "infer"
 * (count = runs, the best counts). Always returns; result->skipped says why
 * it did not run (no PyTorch, no script, a failure). */
void dm_bench_pytorch_run (const char *mode,
                           const char *arch,
                           int crop,
                           int batch,
                           int threads,
                           int count,
                           DmBenchPytorch *result);
void dm_bench_pytorch_clear (DmBenchPytorch *result);
/* Whether the baseline can run here: result->skipped says why not. */
void dm_bench_pytorch_available (DmBenchPytorch *result);

/* One measured (or skipped) row. */
typedef struct
{
  const char *mode; /* "infer", "train" */
  const char *arch;
  int crop;
  int batch;
  const char *dtype;
  int threads;
  double images_per_s;
  double gflop_per_image;
  double peak_gflops;       /* the matmul peak at the same thread count, best of the runs
                             * interleaved with this row's (same load) */
  double fraction_of_limit; /* images_per_s / (peak_gflops / gflop_per_image); NaN (JSON
                             * null) with peak_gflops when the row was skipped */
  double peak_rss_mb;
  double seconds_per_batch;    /* best run */
  char *skipped;               /* NULL, or why the row was not measured (owned) */
  char *profile;               /* the op profile of the timed runs, or NULL (owned) */
  DmBenchPytorch pytorch;      /* the baseline on the same row (skipped: why not) */
  double pytorch_images_per_s; /* NaN when it did not run */
} DmBenchRow;

void dm_bench_row_clear (DmBenchRow *row);

/* Writes rows as a JSON list of objects (atomically). Skipped rows carry
 * "skipped": reason and null figures. */
gboolean dm_bench_write_json (const char *path, const DmBenchRow *rows, guint n, GError **error);

/* One line per row for people. */
void dm_bench_print_header (void);
void dm_bench_print_row (const DmBenchRow *row);

G_END_DECLS
