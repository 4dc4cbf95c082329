/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly bench train`: training timings on random weights of the real
 * shapes (no weight file needed). One configuration per run, so the peak
 * memory printed is that configuration's; --json appends a row to a JSON
 * array file, so a loop over configurations collects a table. */
#include "config.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "dm-cli.h"
#include "dm-error.h"
#include "dm-trainer.h"
#include "dm-vit-random.h"

/* Options shared by every mode. */
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
} BenchOptions;

/* Parses the shared options; fills the preset's values where no flag
 * says otherwise. */
static gboolean
parse_options (const char *mode, const char *summary, BenchOptions *o, int *argc, char ***argv)
{
  g_autofree char *command = g_strdup_printf ("bench %s", mode);
  const GOptionEntry entries[] = {
    { "preset", 0, 0, G_OPTION_ARG_STRING, &o->preset,
      "quick (small, 224, batch 8), balanced (base, 280, 8) or paper (base, 392, 16)", "NAME" },
    { "arch", 0, 0, G_OPTION_ARG_STRING, &o->arch, "small, base or large", "ARCH" },
    { "crop", 0, 0, G_OPTION_ARG_INT, &o->crop, "image side, a multiple of 14", "C" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &o->batch, "images per batch", "B" },
    { "dtype", 0, 0, G_OPTION_ARG_STRING, &o->dtype,
      "f32, or bf16 (the feature cache; see the note printed)", "f32|bf16" },
    { "iters", 0, 0, G_OPTION_ARG_INT, &o->iters, "timed iterations after one warm-up (3)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &o->threads, "threads (all cores)", "N" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &o->json, "append a row to this JSON array file",
      "FILE" },
    { NULL },
  };
  DmTrainPreset preset = DM_TRAIN_PRESET_PAPER;
  DmTrainSettings s;

  if (!dm_cli_parse (command, "", summary, entries, argc, argv))
    return FALSE;
  if (*argc > 1)
    {
      dm_cli_usage_error (command, "unexpected argument (options only)");
      return FALSE;
    }
  if (o->preset != NULL && !dm_train_preset_from_name (o->preset, &preset))
    {
      dm_cli_usage_error (command, "--preset: quick, balanced or paper");
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
  dm_train_settings_clear (&s);
  if (strcmp (o->dtype, "f32") != 0 && strcmp (o->dtype, "bf16") != 0)
    {
      dm_cli_usage_error (command, "--dtype: f32 or bf16");
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
}

/* TRUE when the CPU computes in bf16 natively (AVX512_BF16 or AMX). */
static gboolean
cpu_has_bf16 (void)
{
  g_autofree char *info = NULL;

  if (!g_file_get_contents ("/proc/cpuinfo", &info, NULL, NULL))
    return FALSE;
  return strstr (info, " avx512_bf16") != NULL || strstr (info, " amx_bf16") != NULL;
}

static double
peak_rss_mb (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0; /* KiB on Linux */
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
  return g_file_set_contents (path, text, -1, error);
}

typedef struct
{
  int crop;
} RandomImages;

static gboolean
random_image (int index, float *out, gpointer user_data, GError **error)
{
  RandomImages *r = user_data;

  GRand *rand = g_rand_new_with_seed ((guint32)index + 1);

  (void)error;
  for (gsize i = 0; i < (gsize)3 * r->crop * r->crop; i++)
    out[i] = (float)g_rand_double_range (rand, -2.0, 2.0);
  g_rand_free (rand);
  return TRUE;
}

typedef struct
{
  gint64 *stamps; /* monotonic µs at the end of each iteration */
  int n;
} Timer;

static void
on_progress (const DmTrainProgress *p, gpointer user_data)
{
  Timer *t = user_data;

  if (p->phase == DM_TRAIN_PHASE_TRAINING)
    t->stamps[t->n++] = g_get_monotonic_time ();
}

int
dm_cli_bench_train (int argc, char **argv)
{
  BenchOptions o = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (DmVitWeights) enc = NULL;
  g_autoptr (DmEngine) engine = NULL;
  g_autoptr (DmTrainer) trainer = NULL;
  g_autoptr (JsonObject) row = json_object_new ();
  g_autofree gint64 *stamps = NULL;
  DmVitConfig config;
  DmVitTargets targets;
  DmTrainSettings s;
  RandomImages images;
  Timer timer = { 0 };
  double per_iter, setup_s, cache_s;
  gint64 t0;
  int status = DM_CLI_FAILED, n_images;
  gboolean bf16;

  if (!parse_options ("train",
                      "Times training iterations (gather, decoder forward with dropout, loss, "
                      "backward, clip, StableAdamW) on random weights of the real shapes; the "
                      "one-time encoder-feature cache is timed separately.",
                      &o, &argc, &argv))
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
  if (bf16)
    printf ("note: bf16 %s: the features are cached as bfloat16 (half the memory) and every "
            "computation stays float32\n",
            cpu_has_bf16 () ? "(this CPU has bf16 instructions, unused here)"
                            : "(this CPU has no AVX512_BF16 or AMX, so no bf16 arithmetic)");

  t0 = g_get_monotonic_time ();
  dm_vit_targets_default (&targets, &config);
  enc = dm_vit_weights_new_random (&config, targets.targets[targets.n_targets - 1] + 1, 1, &error);
  if (enc == NULL)
    goto failed;
  engine = dm_engine_new (o.threads, &error);
  if (engine == NULL)
    goto failed;
  dm_train_settings_init (&s);
  s.resize = o.crop;
  s.crop = o.crop;
  s.batch = o.batch;
  s.iters = 1 + o.iters;
  s.cache_bf16 = bf16;
  n_images = o.batch; /* one epoch of one batch: the cache time per image is what matters */
  trainer = dm_trainer_new (engine, &s, enc, &targets, &error);
  dm_train_settings_clear (&s);
  if (trainer == NULL)
    goto failed;
  images.crop = o.crop;
  dm_trainer_set_images (trainer, n_images, random_image, &images, "bench");
  setup_s = (g_get_monotonic_time () - t0) / 1e6;
  if (!dm_trainer_build_cache (trainer, NULL, NULL, NULL, &error))
    goto failed;
  cache_s = dm_trainer_get_cache_seconds (trainer);
  stamps = g_new0 (gint64, 1 + o.iters);
  timer.stamps = stamps;
  t0 = g_get_monotonic_time ();
  if (!dm_trainer_run (trainer, on_progress, &timer, NULL, &error))
    goto failed;
  /* the first iteration creates the oneDNN primitives: not timed */
  per_iter = (stamps[o.iters] - stamps[0]) / 1e6 / o.iters;

  printf ("train %s/%d batch %d %s: %.3f s/iteration, %.2f images/s (first iteration %.2f s); "
          "feature cache %.2f s for %d images (%.2f s/image, %.1f MiB); setup %.2f s; peak RSS "
          "%.0f MiB\n",
          o.arch, o.crop, o.batch, o.dtype, per_iter, o.batch / per_iter, (stamps[0] - t0) / 1e6,
          cache_s, n_images, cache_s / n_images, dm_trainer_get_cache_bytes (trainer) / 1048576.0,
          setup_s, peak_rss_mb ());
  json_object_set_string_member (row, "mode", "train");
  json_object_set_string_member (row, "arch", o.arch);
  json_object_set_int_member (row, "crop", o.crop);
  json_object_set_int_member (row, "batch", o.batch);
  json_object_set_string_member (row, "dtype", o.dtype);
  json_object_set_double_member (row, "images_per_s", o.batch / per_iter);
  json_object_set_double_member (row, "seconds_per_iteration", per_iter);
  json_object_set_double_member (row, "peak_rss_mb", peak_rss_mb ());
  json_object_set_double_member (row, "cache_seconds_per_image", cache_s / n_images);
  json_object_set_int_member (row, "threads", dm_engine_get_n_threads (engine));
  json_object_set_boolean_member (row, "cpu_bf16", cpu_has_bf16 ());
  if (o.json != NULL && !append_row (o.json, row, &error))
    goto failed;
  status = DM_CLI_OK;
  goto out;

failed:
  g_printerr ("dinomaly bench train: %s\n", error->message);
out:
  clear_options (&o);
  return status;
}
