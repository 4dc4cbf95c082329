/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly bench train`: training timings on random weights of the real
 * shapes (no weight file needed), as a fraction of the machine's own f32
 * matmul limit measured in the same run, beside PyTorch on the same shapes.
 * One configuration per run, so the peak memory printed is that
 * configuration's; --json appends a row to a JSON array file, so a loop
 * over configurations collects a table. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dm-bench.h"
#include "dm-cli.h"
#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-trainer.h"
#include "dm-vit-random.h"

/* Images of the feature cache: enough chunks after the first (which
 * creates the encoder's primitives) to time the steady state. */
#define CACHE_MIN_IMAGES 24

typedef struct
{
  char *preset; /* quick, balanced, paper: arch, crop and batch of §8 */
  char *arch;   /* small, base, large */
  int crop;
  int batch;
  char *dtype; /* f32 or bf16 */
  char *json;
  int iters;
  int threads;
  int cache_images;
  char *cache_dir; /* put the cache in a file there */
  gboolean no_pytorch;
  gboolean profile;
} BenchOptions;

/* Parses the options; fills the preset's values where no flag says
 * otherwise. */
static gboolean
parse_options (BenchOptions *o, int *argc, char ***argv)
{
  const GOptionEntry entries[] = {
    { "preset", 0, 0, G_OPTION_ARG_STRING, &o->preset,
      "quick (small, 224, batch 8), balanced (base, 280, 8), paper (base, 392, 16) or any other "
      "preset of dinomaly train (its encoder, crop and batch)",
      "NAME" },
    { "arch", 0, 0, G_OPTION_ARG_STRING, &o->arch, "small, base or large", "ARCH" },
    { "crop", 0, 0, G_OPTION_ARG_INT, &o->crop, "image side, a multiple of 14", "C" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &o->batch, "images per batch", "B" },
    { "dtype", 0, 0, G_OPTION_ARG_STRING, &o->dtype,
      "f32, or bf16 (the feature cache; see the note printed)", "f32|bf16" },
    { "iters", 0, 0, G_OPTION_ARG_INT, &o->iters, "timed iterations after one warm-up (3)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &o->threads, "threads (all cores)", "N" },
    { "cache-images", 0, 0, G_OPTION_ARG_INT, &o->cache_images,
      "images in the feature cache (the batch, at least 24: three chunks of 8)", "N" },
    { "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->cache_dir,
      "keep the feature cache in a file in this folder (as for data larger than memory)", "DIR" },
    { "profile", 0, 0, G_OPTION_ARG_NONE, &o->profile,
      "print the time of each op of the timed iterations", NULL },
    { "no-pytorch", 0, 0, G_OPTION_ARG_NONE, &o->no_pytorch, "do not run the PyTorch baseline",
      NULL },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &o->json, "append a row to this JSON array file",
      "FILE" },
    { NULL },
  };
  DmTrainPreset preset = DM_TRAIN_PRESET_PAPER;
  DmTrainSettings s;

  if (!dm_cli_parse ("bench train", "",
                     "Times training iterations (gather, decoder forward with dropout, loss, "
                     "backward, clip, StableAdamW) on random weights of the real shapes, as a "
                     "fraction of the f32 matmul limit measured between the iterations, and "
                     "beside PyTorch on the same shapes when Debian's PyTorch is installed; the "
                     "one-time encoder-feature cache is timed separately.",
                     entries, argc, argv))
    return FALSE;
  if (*argc > 1)
    {
      dm_cli_usage_error ("bench train", "unexpected argument (options only)");
      return FALSE;
    }
  if (o->preset != NULL && !dm_train_preset_from_name (o->preset, &preset))
    {
      g_autofree char *list = dm_train_preset_list ();
      g_autofree char *message = g_strdup_printf ("--preset: %s", list);

      dm_cli_usage_error ("bench train", message);
      return FALSE;
    }
  dm_train_settings_init (&s);
  dm_train_settings_apply_preset (&s, preset);
  if (o->arch == NULL)
    o->arch = g_strdup (dm_train_preset_arch (preset));
  if (o->crop <= 0)
    o->crop = s.crop;
  if (o->batch <= 0)
    o->batch = s.batch;
  if (o->dtype == NULL)
    o->dtype = g_strdup ("f32");
  if (o->iters <= 0)
    o->iters = 3;
  o->cache_images = MAX (o->cache_images, MAX (o->batch, CACHE_MIN_IMAGES));
  dm_train_settings_clear (&s);
  if (strcmp (o->dtype, "f32") != 0 && strcmp (o->dtype, "bf16") != 0)
    {
      dm_cli_usage_error ("bench train", "--dtype: f32 or bf16");
      return FALSE;
    }
  return TRUE;
}

static void
clear_options (BenchOptions *o)
{
  g_free (o->preset);
  g_free (o->arch);
  g_free (o->dtype);
  g_free (o->json);
  g_free (o->cache_dir);
}

/* Appends a row to the JSON array in path (created when absent). */
static gboolean
append_row (const char *path, JsonObject *row, GError **error)
{
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  JsonArray *array;

  if (g_file_get_contents (path, &text, NULL, NULL) && text[0] != '\0')
    {
      root = json_from_string (text, error);
      if (root == NULL)
        return FALSE;
      if (!JSON_NODE_HOLDS_ARRAY (root))
        {
          g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: not a JSON array", path);
          return FALSE;
        }
    }
  else
    {
      root = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (root, json_array_new ());
    }
  array = json_node_get_array (root);
  json_array_add_object_element (array, json_object_ref (row));
  g_clear_pointer (&text, g_free);
  text = json_to_string (root, TRUE);
  return dm_file_set_contents_atomic (path, text, strlen (text), error);
}

static gboolean
random_image (int index, float *out, gpointer user_data, GError **error)
{
  int crop = GPOINTER_TO_INT (user_data);
  guint64 state = (guint64)index * 0x9E3779B97F4A7C15ull + 1;

  for (gsize i = 0; i < (gsize)3 * crop * crop; i++)
    {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      out[i] = (float)(state >> 40) * (4.0f / 16777216.0f) - 2.0f;
    }
  return TRUE;
}

/* What the progress callback measures. */
typedef struct
{
  DmBenchPeak *peak;
  DmEngine *engine; /* profiled from the second iteration on, when set */
  DmTrainer *evict; /* a file-backed cache emptied from memory after each iteration */
  /* caching: the first report comes after the first chunk (primitives
   * created); the rate is taken from there on */
  gint64 cache_t0, cache_t1;
  int cache_done0, cache_done1;
  /* training: end of each iteration, and when the next one could start
   * (after the peak product run between them) */
  gint64 *ended, *resumed;
  int n;
  double rss_mb; /* peak RSS of the training iterations */
  GError *error;
} Timer;

static void
on_progress (const DmTrainProgress *p, gpointer user_data)
{
  Timer *t = user_data;
  gint64 now = g_get_monotonic_time ();
  double gflops;

  if (p->phase == DM_TRAIN_PHASE_CACHING)
    {
      if (t->cache_t0 == 0)
        {
          t->cache_t0 = now;
          t->cache_done0 = p->images_done;
        }
      t->cache_t1 = now;
      t->cache_done1 = p->images_done;
      return;
    }
  t->ended[t->n] = now;
  if (t->n == 0 && t->engine != NULL)
    dm_engine_set_profiling (t->engine, TRUE);
  /* the product's matrices are freed again: not part of training's peak */
  t->rss_mb = MAX (t->rss_mb, dm_bench_peak_rss_mb ());
  if (t->error == NULL)
    dm_bench_peak_run (t->peak, &gflops, &t->error);
  if (t->evict != NULL)
    dm_trainer_evict_cache (t->evict);
  dm_bench_reset_peak_rss ();
  t->resumed[t->n++] = g_get_monotonic_time ();
}

int
dm_cli_bench_train (int argc, char **argv)
{
  BenchOptions o = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (DmVitWeights) enc = NULL;
  g_autoptr (DmEngine) engine = NULL;
  g_autoptr (DmTrainer) trainer = NULL;
  g_autoptr (DmBenchPeak) peak = NULL;
  g_autoptr (JsonObject) row = json_object_new ();
  g_autofree gint64 *ended = NULL, *resumed = NULL;
  g_autofree char *bf16_reason = NULL;
  DmBenchPytorch torch = { 0 };
  DmVitConfig config;
  DmVitTargets targets;
  DmTrainSettings s;
  Timer timer = { 0 };
  double mean, best = G_MAXDOUBLE, gflop, cache_rate, cache_gflop, limit, rss_before, rss_train;
  double first_s, gflops;
  int status = DM_CLI_FAILED, threads, N;
  gboolean bf16;
  DmPrecision precision;

  if (!parse_options (&o, &argc, &argv))
    {
      clear_options (&o);
      return DM_CLI_USAGE;
    }
  if (!dm_vit_config_for_arch (o.arch, &config))
    {
      clear_options (&o);
      return dm_cli_usage_error ("bench train", "--arch: small, base or large");
    }
  bf16 = strcmp (o.dtype, "bf16") == 0;
  engine = dm_engine_new (o.threads, &error);
  if (engine == NULL)
    goto failed;
  threads = dm_engine_get_n_threads (engine);
  /* the precision asked for, where the CPU has it */
  precision = dm_engine_set_precision (engine, bf16 ? DM_PRECISION_BF16 : DM_PRECISION_F32);
  peak = dm_bench_peak_new (threads, precision, &error);
  if (peak == NULL)
    goto failed;
  for (int r = 0; r < 5; r++)
    if (!dm_bench_peak_run (peak, &gflops, &error))
      goto failed;
  printf ("dinomaly bench train: %s/%d batch %d %s, %d threads, oneDNN ISA %s\n", o.arch, o.crop,
          o.batch, o.dtype, threads, dm_bench_isa_name ());
  if (bf16 && precision == DM_PRECISION_BF16)
    printf ("bf16: the linear layers multiply bf16 operands with f32 sums (the rest is f32); "
            "the features are cached as bf16; the limit is the bf16 matmul's\n");
  else if (bf16)
    printf ("bf16: %s; training computes in f32, the features are cached as bf16\n",
            dm_bench_have_bf16 (&bf16_reason) ? "?" : bf16_reason);
  fflush (stdout);

  /* training's memory: everything made from here on but the encoder, which
   * is freed once the cache is built (the decoder, its gradients and Adam
   * moments, activations, batch and cache) */
  rss_before = dm_bench_rss_mb ();
  dm_vit_targets_default (&targets, &config);
  enc = dm_vit_weights_new_random (&config, targets.targets[targets.n_targets - 1] + 1, 1, &error);
  if (enc == NULL)
    goto failed;
  dm_train_settings_init (&s);
  s.resize = o.crop;
  s.crop = o.crop;
  s.batch = o.batch;
  s.iters = 1 + o.iters;
  s.cache_bf16 = bf16;
  if (o.cache_dir != NULL)
    {
      s.cache_dir = g_strdup (o.cache_dir);
      s.cache_max_bytes = 1; /* always the file */
    }
  trainer = dm_trainer_new (engine, &s, enc, &targets, &error);
  dm_train_settings_clear (&s);
  if (trainer == NULL)
    goto failed;
  N = dm_vit_n_tokens (&config, o.crop);
  dm_trainer_set_images (trainer, o.cache_images, random_image, GINT_TO_POINTER (o.crop), "bench");
  timer.peak = peak;
  if (!dm_trainer_build_cache (trainer, on_progress, &timer, NULL, &error))
    goto failed;
  /* training needs the cache only: the encoder's memory goes back, as the
   * PyTorch baseline holds none either */
  dm_trainer_release_encoder (trainer);
  g_clear_pointer (&enc, dm_vit_weights_free);
  ended = g_new0 (gint64, 1 + o.iters);
  resumed = g_new0 (gint64, 1 + o.iters);
  timer.ended = ended;
  timer.resumed = resumed;
  timer.engine = o.profile ? engine : NULL;
  if (o.cache_dir != NULL)
    {
      /* as with data larger than memory: every batch comes from the disk */
      timer.evict = trainer;
      dm_trainer_evict_cache (trainer);
    }
  dm_bench_reset_peak_rss ();
  {
    gint64 t0 = g_get_monotonic_time ();

    if (!dm_trainer_run (trainer, on_progress, &timer, NULL, &error))
      goto failed;
    if (timer.error != NULL)
      {
        g_propagate_error (&error, timer.error);
        goto failed;
      }
    first_s = (ended[0] - t0) / 1e6;
  }
  /* the first iteration creates the oneDNN primitives: not timed */
  mean = 0;
  for (int i = 1; i <= o.iters; i++)
    {
      double seconds = (ended[i] - resumed[i - 1]) / 1e6;

      mean += seconds / o.iters;
      best = MIN (best, seconds);
    }
  rss_train = timer.rss_mb;
  limit = dm_bench_peak_best (peak);
  gflop = dm_bench_train_flop (config.dim, N) * o.batch * 1e-9;
  cache_gflop
    = dm_bench_encoder_flop (&config, targets.targets[targets.n_targets - 1], o.crop) * 1e-9;
  cache_rate
    = timer.cache_done1 > timer.cache_done0
        ? (timer.cache_done1 - timer.cache_done0) / ((timer.cache_t1 - timer.cache_t0) / 1e6)
        : o.cache_images / dm_trainer_get_cache_seconds (trainer);

  printf ("%s matmul limit: %.1f GFLOP/s (2048^3 products: 5 before, one between iterations; "
          "the best counts)\n",
          dm_precision_name (precision), limit);
  printf ("feature cache: %d images, %.2f images/s = %.1f%% of the encoder's limit (%.2f GFLOP "
          "per image); %.1f MiB %s\n",
          o.cache_images, cache_rate, 100.0 * cache_rate * cache_gflop / limit, cache_gflop,
          dm_trainer_get_cache_bytes (trainer) / 1048576.0,
          dm_trainer_cache_is_file (trainer) ? "in a file" : "in memory");
  printf ("train %s/%d batch %d %s: %.3f s/iteration (mean of %d after a warm-up of %.2f s; best "
          "%.3f), %.2f images/s\n",
          o.arch, o.crop, o.batch, o.dtype, mean, o.iters, first_s, best, o.batch / mean);
  printf ("  %.1f GFLOP/iteration (matmuls) -> %.1f GFLOP/s = %.1f%% of the %s matmul limit "
          "(best iteration; mean %.1f%%)\n",
          gflop, gflop / best, 100.0 * gflop / best / limit, dm_precision_name (precision),
          100.0 * gflop / mean / limit);
  printf ("  peak RSS %.0f MiB (training iterations %.0f MiB, of which %.0f MiB made for "
          "training)\n",
          dm_bench_peak_rss_mb () > rss_train ? dm_bench_peak_rss_mb () : rss_train, rss_train,
          rss_train - rss_before);
  if (o.profile)
    {
      g_autofree char *table = dm_engine_format_profile (engine, o.iters);

      printf ("\nper iteration:\n%s\n", table);
    }
  fflush (stdout);

  if (!o.no_pytorch && precision == DM_PRECISION_BF16)
    printf ("PyTorch: not run for bf16 (the baseline is float32)\n");
  else if (!o.no_pytorch)
    {
      dm_bench_pytorch_run ("train", o.arch, o.crop, o.batch, threads, o.iters, &torch);
      if (torch.skipped != NULL)
        printf ("PyTorch: not run: %s\n", torch.skipped);
      else
        printf ("PyTorch %s (same shapes, %d threads, float32): %.3f s/iteration, %.2f images/s = "
                "%.1f%% of the limit; peak RSS %.0f MiB (%.0f MiB made for training)\n"
                "  -> dinomaly is %.2fx as fast, with %.2fx the training memory\n",
                torch.version, threads, torch.seconds, torch.images_per_s,
                100.0 * gflop / torch.seconds / limit, torch.peak_rss_mb,
                torch.peak_rss_mb - torch.rss_before_mb, torch.seconds / mean,
                (rss_train - rss_before) / (torch.peak_rss_mb - torch.rss_before_mb));
    }

  json_object_set_string_member (row, "mode", "train");
  json_object_set_string_member (row, "arch", o.arch);
  json_object_set_int_member (row, "crop", o.crop);
  json_object_set_int_member (row, "batch", o.batch);
  json_object_set_string_member (row, "dtype", o.dtype);
  json_object_set_int_member (row, "threads", threads);
  json_object_set_double_member (row, "images_per_s", o.batch / mean);
  json_object_set_double_member (row, "seconds_per_iteration", mean);
  json_object_set_double_member (row, "best_seconds_per_iteration", best);
  json_object_set_double_member (row, "gflop_per_iteration", gflop);
  json_object_set_double_member (row, "peak_gflops", limit);
  json_object_set_double_member (row, "fraction_of_limit", gflop / best / limit);
  json_object_set_double_member (row, "peak_rss_mb", dm_bench_peak_rss_mb ());
  json_object_set_double_member (row, "train_rss_mb", rss_train - rss_before);
  json_object_set_double_member (row, "cache_images_per_s", cache_rate);
  json_object_set_double_member (row, "cache_fraction_of_limit", cache_rate * cache_gflop / limit);
  json_object_set_boolean_member (row, "cache_file", dm_trainer_cache_is_file (trainer));
  json_object_set_boolean_member (row, "cpu_bf16", dm_bench_have_bf16 (NULL));
  json_object_set_string_member (row, "precision", dm_precision_name (precision));
  if (torch.skipped == NULL && torch.version != NULL)
    {
      json_object_set_string_member (row, "pytorch_version", torch.version);
      json_object_set_double_member (row, "pytorch_seconds_per_iteration", torch.seconds);
      json_object_set_double_member (row, "pytorch_train_rss_mb",
                                     torch.peak_rss_mb - torch.rss_before_mb);
      json_object_set_double_member (row, "speedup_vs_pytorch", torch.seconds / mean);
    }
  if (o.json != NULL && !append_row (o.json, row, &error))
    goto failed;
  status = DM_CLI_OK;
  goto out;

failed:
  g_printerr ("dinomaly bench train: %s\n", error->message);
out:
  dm_bench_pytorch_clear (&torch);
  clear_options (&o);
  return status;
}
