/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The parts of `dinomaly bench` that every mode shares: options, the
 * matmul peak, memory, ISA and JSON rows. */
#include "config.h"

#include "dm-bench.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "dm-arena.h"
#include "dm-engine.h"
#include "dm-error.h"
#include "dm-json-writer.h"
#include "dm-file-util.h"

const char *const dm_bench_archs[3] = { "small", "base", "large" };
const int dm_bench_crops[3] = { 224, 280, 392 };
const int dm_bench_batches[2] = { 1, 8 };
const char *const dm_bench_dtypes[2] = { "f32", "bf16" };

const GOptionEntry *
dm_bench_option_entries (DmBenchOptions *o)
{
  static GOptionEntry entries[10];
  const GOptionEntry filled[] = {
    { "arch", 0, 0, G_OPTION_ARG_STRING, &o->arch,
      "only this encoder: small (ViT-S/14), base (ViT-B/14) or large (ViT-L/14)",
      "small|base|large" },
    { "crop", 0, 0, G_OPTION_ARG_INT, &o->crop, "only this crop size: 224, 280 or 392", "C" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &o->batch, "only this batch size (default: 1 and 8)", "B" },
    { "dtype", 0, 0, G_OPTION_ARG_STRING, &o->dtype, "only this data type: f32 or bf16",
      "f32|bf16" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &o->threads, "threads (default: all cores)", "T" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &o->runs,
      "timed runs per row after a warm-up, the best counts (3)", "R" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &o->json, "also write the rows as a JSON list", "FILE" },
    { "profile", 0, 0, G_OPTION_ARG_NONE, &o->profile,
      "print the time of each op of the timed runs", NULL },
    { "no-pytorch", 0, 0, G_OPTION_ARG_NONE, &o->no_pytorch, "do not run the PyTorch baseline",
      NULL },
    { NULL },
  };

  G_STATIC_ASSERT (G_N_ELEMENTS (filled) == G_N_ELEMENTS (entries));
  memcpy (entries, filled, sizeof entries);
  return entries;
}

gboolean
dm_bench_options_check (const DmBenchOptions *o, GError **error)
{
  if (o->arch != NULL && !g_strv_contains (dm_bench_archs, o->arch))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "--arch %s: give small, base or large",
                   o->arch);
      return FALSE;
    }
  if (o->dtype != NULL && g_strcmp0 (o->dtype, "f32") != 0 && g_strcmp0 (o->dtype, "bf16") != 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "--dtype %s: give f32 or bf16", o->dtype);
      return FALSE;
    }
  if (o->crop < 0 || (o->crop > 0 && (o->crop % 14 != 0 || o->crop > 1036)))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "--crop %d: give a multiple of the patch size 14, at most 1036", o->crop);
      return FALSE;
    }
  if (o->batch < 0 || o->batch > 256)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "--batch %d: give 1 to 256", o->batch);
      return FALSE;
    }
  if (o->threads < 0 || o->threads > 1024)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "--threads %d: give 1 to 1024 (0: all)",
                   o->threads);
      return FALSE;
    }
  if (o->runs < 0 || o->runs > 1000)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "--runs %d: give 1 to 1000", o->runs);
      return FALSE;
    }
  return TRUE;
}

void
dm_bench_options_clear (DmBenchOptions *o)
{
  g_clear_pointer (&o->arch, g_free);
  g_clear_pointer (&o->dtype, g_free);
  g_clear_pointer (&o->json, g_free);
}

gboolean
dm_bench_options_want (
  const DmBenchOptions *o, const char *arch, int crop, int batch, const char *dtype)
{
  return (o->arch == NULL || strcmp (o->arch, arch) == 0) && (o->crop == 0 || o->crop == crop)
         && (o->batch == 0 || o->batch == batch)
         && (o->dtype == NULL || strcmp (o->dtype, dtype) == 0);
}

gboolean
dm_bench_options_want_dtype (const DmBenchOptions *o, const char *dtype)
{
  return o->dtype == NULL || strcmp (o->dtype, dtype) == 0;
}

int
dm_bench_resize_for_crop (int crop)
{
  switch (crop)
    {
    case 392: return 448;
    case 280: return 320;
    case 224: return 256;
    default: return crop * 8 / 7;
    }
}

#define PEAK_N 2048

struct _DmBenchPeak
{
  DmEngine *engine; /* owned: the primitives and their packing scratchpad */
  DmPrimitive *matmul[2];
  int n_matmuls;
  DmPrecision precision;
  double best;
};

DmBenchPeak *
dm_bench_peak_new (int n_threads, DmPrecision precision, GError **error)
{
  static const int args[] = { DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST };
  /* oneDNN's own first choice (brgemm on AVX-512) and its jit gemm: the
   * faster of the two on this machine is its f32 limit; bf16 has brgemm */
  static const char *const impls[2] = { NULL, "gemm:jit" };
  g_autoptr (DmBenchPeak) self = g_new0 (DmBenchPeak, 1);
  dnnl_data_type_t dt = precision == DM_PRECISION_BF16 ? dnnl_bf16 : dnnl_f32;
  dnnl_memory_desc_t in, out;
  dnnl_matmul_desc_t desc;

  self->engine = dm_engine_new (n_threads, error);
  if (self->engine == NULL)
    return NULL;
  dnnl_memory_desc_init_by_tag (&in, 2, (dnnl_dims_t){ PEAK_N, PEAK_N }, dt, dnnl_ab);
  dm_md_f32 (&out, 2, (dnnl_dim_t[]){ PEAK_N, PEAK_N });
  if (!dm_dnnl_check (dnnl_matmul_desc_init (&desc, &in, &in, NULL, &out), "peak matmul", error))
    return NULL;
  self->precision = precision;
  self->n_matmuls = precision == DM_PRECISION_BF16 ? 1 : 2;
  for (int i = 0; i < self->n_matmuls; i++)
    {
      self->matmul[i]
        = dm_engine_create_prefer (self->engine, i == 0 ? "bench-peak" : "bench-peak-gemm", &desc,
                                   NULL, NULL, impls[i], args, 3, error);
      if (self->matmul[i] == NULL)
        return NULL;
    }
  return g_steal_pointer (&self);
}

void
dm_bench_peak_free (DmBenchPeak *self)
{
  if (self == NULL)
    return;
  dm_engine_free (self->engine);
  g_free (self);
}

double
dm_bench_peak_best (const DmBenchPeak *self)
{
  return self->best;
}

gboolean
dm_bench_peak_run (DmBenchPeak *self, double *gflops, GError **error)
{
  gsize n2 = (gsize)PEAK_N * PEAK_N;
  float *m = dm_aligned_alloc (3 * n2 * sizeof (float), error);
  void *buffers[3];
  double best = G_MAXDOUBLE;

  if (m == NULL)
    return FALSE;
  for (gsize i = 0; i < 3 * n2; i++)
    m[i] = (float)((i * 7919) % 1000) * 1e-3f - 0.5f;
  if (self->precision == DM_PRECISION_BF16)
    {
      /* the two operands as bf16 values (the top halves of the floats) */
      guint16 *h = (guint16 *)m;

      for (gsize i = 0; i < 2 * n2; i++)
        {
          guint32 u;

          memcpy (&u, &m[i], sizeof u);
          h[i] = (guint16)(u >> 16);
        }
    }
  buffers[0] = m;
  buffers[1] = self->precision == DM_PRECISION_BF16 ? (void *)((guint16 *)m + n2) : m + n2;
  buffers[2] = m + 2 * n2;
  /* the fill touched every page: only the products are timed */
  for (int i = 0; i < self->n_matmuls; i++)
    {
      gint64 t0 = g_get_monotonic_time ();

      if (!dm_engine_execute (self->engine, self->matmul[i], buffers, error))
        {
          dm_aligned_free (m);
          return FALSE;
        }
      best = MIN (best, (double)(g_get_monotonic_time () - t0) * 1e-6);
    }
  dm_aligned_free (m);
  *gflops = 2.0 * PEAK_N * (double)n2 / best * 1e-9;
  self->best = MAX (self->best, *gflops);
  return TRUE;
}

const char *
dm_bench_isa_name (void)
{
  return dm_engine_isa_name ();
}

gboolean
dm_bench_have_bf16 (char **reason)
{
  return dm_engine_cpu_has_bf16 (reason);
}

gboolean
dm_bench_reset_peak_rss (void)
{
  /* "5" resets the peak RSS (VmHWM) of the process, Linux >= 4.0 */
  FILE *f = fopen ("/proc/self/clear_refs", "w");
  gboolean ok;

  if (f == NULL)
    return FALSE;
  ok = fputs ("5", f) >= 0;
  return fclose (f) == 0 && ok;
}

/* A "Key:   123 kB" line of /proc/self/status in MiB; NaN when absent. */
static double
status_mb (const char *key)
{
  FILE *f = fopen ("/proc/self/status", "r");
  char line[256];
  double mb = NAN;

  if (f == NULL)
    return NAN;
  while (fgets (line, sizeof line, f) != NULL)
    if (g_str_has_prefix (line, key))
      {
        mb = g_ascii_strtod (line + strlen (key), NULL) / 1024.0;
        break;
      }
  fclose (f);
  return mb;
}

double
dm_bench_peak_rss_mb (void)
{
  double mb = status_mb ("VmHWM:");
  struct rusage usage;

  if (!isnan (mb))
    return mb;
  if (getrusage (RUSAGE_SELF, &usage) == 0)
    return (double)usage.ru_maxrss / 1024.0; /* kB on Linux */
  return NAN;
}

double
dm_bench_rss_mb (void)
{
  return status_mb ("VmRSS:");
}

double
dm_bench_encoder_flop (const DmVitConfig *c, int last_block, int crop)
{
  double D = c->dim, P = c->patch_size, hidden = c->mlp_hidden;
  double g = crop / c->patch_size;
  double N = 1 + c->n_registers + g * g;
  double patch = 2 * g * g * (3 * P * P) * D;
  /* qkv + proj + fc1 + fc2, then q k^T and p v (N x N x D each) */
  double block = 2 * N * (3 * D * D + D * D + 2 * D * hidden) + 2 * (2 * N * N * D);

  return patch + (last_block + 1) * block;
}

/* The decoder's heads are 64 wide (spec §2: D / 64 heads). */
#define HEAD_DIM 64.0

double
dm_bench_decoder_flop (int dim, int n_tokens)
{
  double D = dim, N = n_tokens;
  double bottleneck = 2 * N * (2 * D * 4 * D);
  /* per head k'^T v and q' KV (N x hd x hd each), the normaliser q' . sum k' */
  double block
    = 2 * N * (3 * D * D + D * D + 2 * D * 4 * D) + 2 * (2 * N * D * HEAD_DIM) + 2 * N * D;

  return bottleneck + 8 * block;
}

double
dm_bench_inference_flop (const DmVitConfig *c, int last_block, int crop)
{
  double g = crop / c->patch_size;

  return dm_bench_encoder_flop (c, last_block, crop)
         + dm_bench_decoder_flop (c->dim, (int)(1 + c->n_registers + g * g));
}

double
dm_bench_train_flop (int dim, int n_tokens)
{
  double D = dim, N = n_tokens;
  /* fc2: input and weight gradients; fc1: the weight gradient only */
  double bottleneck = 3 * 2 * N * (D * 4 * D);
  /* every linear twice (input and weight gradients); linear attention's
   * four products and its two per-token dot products (dz, dksum) */
  double block = 2 * 2 * N * (3 * D * D + D * D + 2 * D * 4 * D) + 4 * (2 * N * D * HEAD_DIM)
                 + 2 * (2 * N * D);

  return dm_bench_decoder_flop (dim, n_tokens) + bottleneck + 8 * block;
}

#define PYTHON "/usr/bin/python3"
#define PYTORCH_HINT "apt-get install python3-torch libopenblas0-openmp"

static const char *
pytorch_script (void)
{
  const char *env = g_getenv ("DINOMALY_BENCH_PYTORCH");

  if (env != NULL && env[0] != '\0')
    return env;
#ifdef DM_BENCH_PYTORCH_SCRIPT
  return DM_BENCH_PYTORCH_SCRIPT;
#else
  return NULL;
#endif
}

/* NULL when Debian's Python imports torch, else why not. Asked once. */
static const char *
pytorch_missing (void)
{
  static char *reason;
  static gboolean asked;

  if (!asked)
    {
      const char *argv[] = { PYTHON, "-c", "import torch", NULL };
      int status = 1;

      asked = TRUE;
      if (!g_file_test (PYTHON, G_FILE_TEST_IS_EXECUTABLE))
        reason = g_strdup ("no " PYTHON " (Debian's Python)");
      else if (!g_spawn_sync (NULL, (char **)argv, NULL,
                              G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                              NULL, NULL, &status, NULL)
               || !g_spawn_check_wait_status (status, NULL))
        reason = g_strdup ("Debian's PyTorch is not installed (" PYTORCH_HINT ")");
      else if (pytorch_script () == NULL || !g_file_test (pytorch_script (), G_FILE_TEST_EXISTS))
        reason
          = g_strdup_printf ("the baseline script %s is missing (set DINOMALY_BENCH_PYTORCH)",
                             pytorch_script () != NULL ? pytorch_script () : "bench-pytorch.py");
    }
  return reason;
}

static double
json_double (JsonObject *o, const char *name)
{
  return json_object_has_member (o, name) ? json_object_get_double_member (o, name) : NAN;
}

void
dm_bench_pytorch_run (const char *mode,
                      const char *arch,
                      int crop,
                      int batch,
                      int threads,
                      int count,
                      DmBenchPytorch *r)
{
  g_autofree char *crop_s = g_strdup_printf ("%d", crop);
  g_autofree char *batch_s = g_strdup_printf ("%d", batch);
  g_autofree char *threads_s = g_strdup_printf ("%d", threads);
  g_autofree char *count_s = g_strdup_printf ("%d", MAX (count, 1));
  g_autofree char *out = NULL, *err = NULL;
  g_auto (GStrv) envp = g_get_environ ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  const char *argv[] = { PYTHON,    pytorch_script (),
                         mode,      "--arch",
                         arch,      "--crop",
                         crop_s,    "--batch",
                         batch_s,   "--threads",
                         threads_s, strcmp (mode, "train") == 0 ? "--iters" : "--runs",
                         count_s,   NULL };
  const char *missing = pytorch_missing ();
  int status = 0;

  memset (r, 0, sizeof *r);
  if (missing != NULL)
    {
      r->skipped = g_strdup (missing);
      return;
    }
  /* OpenBLAS (OpenMP build) and torch read the thread count from here too */
  envp = g_environ_setenv (envp, "OMP_NUM_THREADS", threads_s, TRUE);
  if (!g_spawn_sync (NULL, (char **)argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                     &error)
      || !g_spawn_check_wait_status (status, &error))
    {
      g_strstrip (err != NULL ? err : (err = g_strdup ("")));
      r->skipped = g_strdup_printf (
        "the PyTorch baseline failed: %s%s%s", error->message, err[0] != '\0' ? ": " : "",
        err[0] != '\0' ? strrchr (err, '\n') != NULL ? strrchr (err, '\n') + 1 : err : "");
      return;
    }
  root = json_from_string (out, &error);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      r->skipped = g_strdup_printf ("the PyTorch baseline printed no result: %s",
                                    error != NULL ? error->message : "not an object");
      return;
    }
  {
    JsonObject *o = json_node_get_object (root);

    r->version = g_strdup (
      json_object_has_member (o, "torch") ? json_object_get_string_member (o, "torch") : "?");
    r->seconds = json_double (o, strcmp (mode, "train") == 0 ? "seconds_per_iteration"
                                                             : "seconds_per_batch");
    r->images_per_s = json_double (o, "images_per_s");
    r->peak_rss_mb = json_double (o, "peak_rss_mb");
    r->rss_before_mb = json_double (o, "rss_before_mb");
  }
}

void
dm_bench_pytorch_available (DmBenchPytorch *r)
{
  const char *missing = pytorch_missing ();

  memset (r, 0, sizeof *r);
  r->skipped = g_strdup (missing);
}

void
dm_bench_pytorch_clear (DmBenchPytorch *r)
{
  g_clear_pointer (&r->skipped, g_free);
  g_clear_pointer (&r->version, g_free);
}

void
dm_bench_row_clear (DmBenchRow *row)
{
  g_clear_pointer (&row->skipped, g_free);
  g_clear_pointer (&row->profile, g_free);
  dm_bench_pytorch_clear (&row->pytorch);
}

/* A figure rounded as the table prints it (the JSON says no more than was
 * measured); NaN stays NaN (null). */
static double
rounded (double v, const char *format)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (v))
    return v;
  return g_ascii_strtod (g_ascii_formatd (buffer, sizeof buffer, format, v), NULL);
}

gboolean
dm_bench_write_json (const char *path, const DmBenchRow *rows, guint n, GError **error)
{
  g_autoptr (DmJsonWriter) w = dm_json_writer_new (TRUE);

  dm_json_writer_begin_array (w);
  for (guint i = 0; i < n; i++)
    {
      const DmBenchRow *r = &rows[i];
      gboolean skip = r->skipped != NULL;

      dm_json_writer_begin_object (w);
      dm_json_writer_member_string (w, "mode", r->mode);
      dm_json_writer_member_string (w, "arch", r->arch);
      dm_json_writer_member_int (w, "crop", r->crop);
      dm_json_writer_member_int (w, "batch", r->batch);
      dm_json_writer_member_string (w, "dtype", r->dtype);
      dm_json_writer_member_int (w, "threads", r->threads);
      dm_json_writer_member_number (w, "images_per_s",
                                    rounded (skip ? NAN : r->images_per_s, "%.6g"));
      dm_json_writer_member_number (w, "gflop_per_image", rounded (r->gflop_per_image, "%.6g"));
      dm_json_writer_member_number (w, "peak_gflops", rounded (r->peak_gflops, "%.6g"));
      dm_json_writer_member_number (w, "fraction_of_limit",
                                    rounded (skip ? NAN : r->fraction_of_limit, "%.4f"));
      dm_json_writer_member_number (w, "peak_rss_mb",
                                    rounded (skip ? NAN : r->peak_rss_mb, "%.1f"));
      dm_json_writer_member_number (w, "seconds_per_batch",
                                    rounded (skip ? NAN : r->seconds_per_batch, "%.6g"));
      dm_json_writer_member_number (w, "pytorch_images_per_s",
                                    rounded (skip ? NAN : r->pytorch_images_per_s, "%.6g"));
      if (skip)
        dm_json_writer_member_string (w, "skipped", r->skipped);
      dm_json_writer_end_object (w);
    }
  dm_json_writer_end_array (w);
  return dm_json_writer_write_file (w, path, error);
}

void
dm_bench_print_header (void)
{
  printf ("%-6s %5s %5s %-5s %9s %10s %12s %9s %10s %9s %7s\n", "arch", "crop", "batch", "dtype",
          "images/s", "GFLOP/img", "limit img/s", "fraction", "peak RSS", "PyTorch", "ratio");
}

void
dm_bench_print_row (const DmBenchRow *r)
{
  if (r->skipped != NULL)
    {
      /* the first sentence only: the reason in full is in the header */
      const char *end = strpbrk (r->skipped, "(;:");
      int len = end != NULL ? (int)(end - r->skipped) : (int)strlen (r->skipped);

      while (len > 0 && r->skipped[len - 1] == ' ')
        len--;
      printf ("%-6s %5d %5d %-5s skipped: %.*s\n", r->arch, r->crop, r->batch, r->dtype, len,
              r->skipped);
      return;
    }
  printf ("%-6s %5d %5d %-5s %9.3f %10.2f %12.3f %8.1f%% %7.0f MB", r->arch, r->crop, r->batch,
          r->dtype, r->images_per_s, r->gflop_per_image, r->peak_gflops / r->gflop_per_image,
          100.0 * r->fraction_of_limit, r->peak_rss_mb);
  if (isfinite (r->pytorch_images_per_s))
    printf (" %9.3f %6.2fx", r->pytorch_images_per_s, r->images_per_s / r->pytorch_images_per_s);
  printf ("\n");
  if (r->profile != NULL)
    printf ("\n%s\n", r->profile);
}
