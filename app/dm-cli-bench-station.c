/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly bench station`: the station under a generated source at a
 * chosen rate, on random weights of the real shapes, against the bare
 * inference of the same run. It finds the highest rate the station
 * sustains (no frame dropped from a queue of two batches), measures the
 * latency from acquisition to the committed decision at half that rate,
 * and the resident memory over a soak. The targets: p99 latency at
 * half the sustained rate <= 1.5 x the batch-1 inference time; sustained
 * rate >= 90% of the best batched throughput; memory growth < 2% over ten
 * minutes. */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dm-bench.h"
#include "dm-cli.h"
#include "dm-dinomaly-weights.h"
#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-inspector.h"
#include "dm-model-file.h"
#include "dm-station.h"
#include "dm-random.h"
#include "dm-vit-random.h"

#define BENCH_SEED 20250101
#define SEARCH_STEPS 2 /* bisections once the rate fails */

typedef struct
{
  char *arch;
  int crop, batch, max_wait_ms, threads;
  int width, height; /* of the generated frames; 0: resize x resize */
  double duration;   /* seconds per trial */
  double soak;       /* seconds, 0: none */
  double rate;       /* > 0: only this rate, no search */
  char *json;
} Options;

typedef struct
{
  double rate;
  guint64 generated, taken, dropped, committed;
  double p50_ms, p99_ms, seconds;
  double drain_s; /* from the last frame to the last commit */
  gboolean sustained;
} Trial;

/* ---- the model and the reference ---- */

/* A model file of random weights of the real shape, thresholds so high
 * that every part passes (nothing kept: the disk is not measured). */
static gboolean
write_model (const char *path, const char *arch, int crop, GError **error)
{
  g_autoptr (DmModelInfo) info = dm_model_info_new ();
  g_autoptr (DmVitWeights) encoder = NULL;
  g_autoptr (DmDinomalyWeights) decoder = NULL;
  DmVitConfig config;

  if (!dm_vit_config_for_arch (arch, &config))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "unknown architecture %s", arch);
      return FALSE;
    }
  encoder = dm_vit_weights_new_random (&config, config.depth, BENCH_SEED, error);
  if (encoder == NULL || (decoder = dm_dinomaly_weights_new (config.dim, error)) == NULL
      || !dm_model_info_set_backbone (info, &config, error))
    return FALSE;
  dm_dinomaly_weights_init (decoder, BENCH_SEED);
  info->crop = crop;
  info->resize = dm_bench_resize_for_crop (crop);
  g_strfreev (info->class_names);
  info->class_names = g_strsplit ("bench", ",", -1);
  info->thresholds = g_new0 (DmClassThreshold, 1);
  info->n_thresholds = 1;
  info->thresholds[0].class_name = g_strdup ("bench");
  info->thresholds[0].image = 1e30;
  info->thresholds[0].pixel = 1e30;
  info->backbone_name = g_strdup_printf ("random %s (bench)", arch);
  info->backbone_sha256 = g_strnfill (64, '0');
  return dm_model_file_write (path, info, decoder, encoder, DM_DTYPE_BF16, error);
}

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

/* What `bench infer` measures, on the same model and threads: the whole
 * inference of a prepared batch (here through a DmInspector of its own).
 * Sampled again before every trial, the best of the session counts, so
 * that the bare figures see the same spells of load as the station's. */
typedef struct
{
  DmInspector *inspector;
  float *x, *maps, *scores;
  int batch;
  double batch1_s;                          /* best */
  double batched_ips;                       /* best */
  GArray *batch1_samples, *batched_samples; /* every sample (double), for the median */
} Reference;

static double
median (GArray *samples)
{
  g_autoptr (GArray) sorted = g_array_copy (samples);

  if (sorted->len == 0)
    return NAN;
  g_array_sort (sorted, compare_doubles);
  return g_array_index (sorted, double, (sorted->len - 1) / 2);
}

static void
reference_clear (Reference *r)
{
  g_clear_pointer (&r->inspector, dm_inspector_free);
  g_clear_pointer (&r->x, g_free);
  g_clear_pointer (&r->maps, g_free);
  g_clear_pointer (&r->scores, g_free);
  g_clear_pointer (&r->batch1_samples, g_array_unref);
  g_clear_pointer (&r->batched_samples, g_array_unref);
}

static gboolean
reference_sample (Reference *r, int runs, GError **error)
{
  for (int run = 0; run < runs; run++)
    for (int pass = 0; pass < (r->batch > 1 ? 2 : 1); pass++)
      {
        int B = pass == 0 ? 1 : r->batch;
        gint64 t0 = g_get_monotonic_time ();
        double s;

        if (!dm_inspector_score (r->inspector, r->x, B, r->maps, r->scores, error))
          return FALSE;
        s = (double)(g_get_monotonic_time () - t0) * 1e-6;
        if (B == 1)
          {
            r->batch1_s = MIN (r->batch1_s, s);
            g_array_append_val (r->batch1_samples, s);
          }
        if (B == r->batch)
          {
            double ips = B / s;

            r->batched_ips = MAX (r->batched_ips, ips);
            g_array_append_val (r->batched_samples, ips);
          }
      }
  return TRUE;
}

static gboolean
reference_init (Reference *r, const char *model, const Options *o, GError **error)
{
  gsize n;

  memset (r, 0, sizeof *r);
  r->batch = o->batch;
  r->batch1_s = G_MAXDOUBLE;
  r->batch1_samples = g_array_new (FALSE, FALSE, sizeof (double));
  r->batched_samples = g_array_new (FALSE, FALSE, sizeof (double));
  r->inspector = dm_inspector_new (model, NULL, o->batch, o->threads, NULL, error);
  if (r->inspector == NULL)
    return FALSE;
  n = dm_inspector_input_size (r->inspector) * (gsize)o->batch;
  r->x = g_new (float, n);
  r->maps = g_new (float, DM_INSPECTOR_MAP_PIXELS * o->batch);
  r->scores = g_new (float, o->batch);
  for (gsize i = 0; i < n; i++)
    r->x[i] = (float)((i * 2654435761u) % 4096) / 1024.0f - 2.0f;
  /* a warm-up of each size (primitives), then three samples */
  if (!reference_sample (r, 1, error))
    return FALSE;
  r->batch1_s = G_MAXDOUBLE;
  r->batched_ips = 0;
  g_array_set_size (r->batch1_samples, 0);
  g_array_set_size (r->batched_samples, 0);
  return reference_sample (r, 3, error);
}

/* ---- a trial ---- */

static double
rss_mb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL)
      || (line = strstr (status, "VmRSS:")) == NULL)
    return NAN;
  return g_ascii_strtod (line + 6, NULL) / 1024.0;
}

/* "1.23 0.98 0.50": the load averages of the last 1, 5 and 15 minutes. */
static char *
load_average (void)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) fields = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("unknown");
  fields = g_strsplit (text, " ", 4);
  if (g_strv_length (fields) < 3)
    return g_strdup ("unknown");
  return g_strdup_printf ("%s %s %s", fields[0], fields[1], fields[2]);
}

/* Every committed frame's latency, acquisition to commit. */
typedef struct
{
  GMutex lock;
  GArray *latencies_ms; /* double */
} Collector;

static void
on_committed (const DmPart *part, const float *map, int error_code, gpointer data)
{
  Collector *c = data;
  double ms = (double)(g_get_real_time () - part->acquired_us) * 1e-3;

  g_mutex_lock (&c->lock);
  g_array_append_val (c->latencies_ms, ms);
  g_mutex_unlock (&c->lock);
}

static guint
committed (Collector *c)
{
  guint n;

  g_mutex_lock (&c->lock);
  n = c->latencies_ms->len;
  g_mutex_unlock (&c->lock);
  return n;
}

/* The generated source: frames of the template on a fixed clock at rate
 * for duration seconds, each handed to the station without waiting (a
 * full queue drops it, as a camera's frame). rss (may be NULL) receives
 * (seconds, MB) every 10 s. */
static void
run_trial (DmStation *station,
           const DmImage *template,
           double rate,
           double duration,
           double max_drain_s,
           GArray *rss,
           Trial *t)
{
  Collector c = { .latencies_ms = g_array_new (FALSE, FALSE, sizeof (double)) };
  guint64 count = (guint64)MAX (1, llround (rate * duration)), dropped = 0;
  gint64 period = (gint64)(G_USEC_PER_SEC / rate);
  gint64 t0 = g_get_monotonic_time (), next_sample = t0, end, last_frame;

  g_mutex_init (&c.lock);
  for (guint64 k = 0; k < count; k++)
    {
      gint64 wait = t0 + (gint64)k * period - g_get_monotonic_time ();
      DmImage *frame;

      if (wait > 0)
        g_usleep ((gulong)wait);
      frame = dm_image_new (template->width, template->height, template->channels, template->type,
                            NULL);
      memcpy (frame->data, template->data, template->stride * (gsize) template->height);
      if (!dm_station_submit_image (station, "bench", NULL, frame, (gint64)k, on_committed, &c))
        dropped++;
      if (rss != NULL && g_get_monotonic_time () >= next_sample)
        {
          double sample[2] = { (double)(g_get_monotonic_time () - t0) * 1e-6, rss_mb () };

          g_array_append_vals (rss, sample, 2);
          next_sample += 10 * G_USEC_PER_SEC;
        }
    }
  /* every frame taken is committed */
  last_frame = g_get_monotonic_time ();
  end = last_frame + 300 * G_USEC_PER_SEC;
  while (committed (&c) < count - dropped && g_get_monotonic_time () < end)
    g_usleep (10000);
  t->drain_s = (double)(g_get_monotonic_time () - last_frame) * 1e-6;
  t->rate = rate;
  t->generated = count;
  t->dropped = dropped;
  t->committed = committed (&c);
  t->seconds = (double)(g_get_monotonic_time () - t0) * 1e-6;
  /* kept up: nothing dropped, and no backlog left to drain beyond what
   * two batches take (a queue that grows drains long after the last
   * frame, well before it overflows) */
  t->sustained = dropped == 0 && t->committed == count && t->drain_s <= max_drain_s;
  g_mutex_lock (&c.lock);
  g_array_sort (c.latencies_ms, compare_doubles);
  t->p50_ms = c.latencies_ms->len > 0
                ? g_array_index (c.latencies_ms, double, (c.latencies_ms->len - 1) / 2)
                : NAN;
  t->p99_ms = c.latencies_ms->len > 0 ? g_array_index (c.latencies_ms, double,
                                                       (guint)ceil (0.99 * c.latencies_ms->len) - 1)
                                      : NAN;
  g_mutex_unlock (&c.lock);
  g_array_unref (c.latencies_ms);
  g_mutex_clear (&c.lock);
}

/* The station the trials run on: no source of its own, a queue of two
 * batches, no outputs (the journal is written and fsync'd as always). */
static DmStation *
make_station (const char *model, const char *folder, const Options *o, GError **error)
{
  g_autofree char *journal = g_build_filename (folder, "journal", NULL);
  DmStationSettings s;
  DmThresholds th;
  DmStation *station;

  dm_thresholds_init (&th);
  th.image = 1e30;
  dm_station_settings_init (&s);
  s.model_path = g_strdup (model);
  s.journal = g_strdup (journal);
  s.name = g_strdup ("bench");
  s.batch = o->batch;
  s.max_wait_ms = o->max_wait_ms;
  s.queue = 2 * o->batch;
  s.n_threads = o->threads;
  s.keep_images = FALSE;
  s.drain_seconds = 1;
  dm_station_settings_set_class (&s, "bench", &th);
  station = dm_station_new (&s, error);
  dm_station_settings_clear (&s);
  if (station != NULL && !dm_station_start (station, error))
    g_clear_pointer (&station, dm_station_free);
  return station;
}

static void
print_trial (const Trial *t, const Reference *r)
{
  printf ("  %8.2f frames/s: %" G_GUINT64_FORMAT " made, %" G_GUINT64_FORMAT
          " committed, %" G_GUINT64_FORMAT " dropped; latency p50 %.0f ms, p99 %.0f ms; "
          "drained in %.2f s -> %s (bare so far: batch 1 %.0f ms, %.2f images/s)\n",
          t->rate, t->generated, t->committed, t->dropped, t->p50_ms, t->p99_ms, t->drain_s,
          t->sustained ? "sustained" : "not sustained", r->batch1_s * 1e3, r->batched_ips);
  fflush (stdout);
}

/* ---- the bench ---- */

static void
json_row (GString *out,
          const Options *o,
          Reference *r,
          const Trial *sustained,
          double flooded,
          const Trial *half,
          double rss_first,
          double rss_last,
          const char *load_before,
          const char *load_after)
{
  char b[9][G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (
    out,
    "{\"mode\":\"station\",\"arch\":\"%s\",\"crop\":%d,\"batch\":%d,\"max_wait_ms\":%d,"
    "\"frame\":\"%dx%d\",\"infer_batch1_ms\":%s,\"infer_batch1_median_ms\":%s,"
    "\"infer_batched_images_per_s\":%s,\"infer_batched_median_images_per_s\":%s,"
    "\"sustained_frames_per_s\":%s,\"flooded_frames_per_s\":%s,\"half_rate_p50_ms\":%s,\"half_rate_"
    "p99_ms\":%s,"
    "\"soak_rss_growth\":%s,\"load_before\":\"%s\",\"load_after\":\"%s\"}",
    o->arch, o->crop, o->batch, o->max_wait_ms, o->width, o->height,
    g_ascii_formatd (b[0], sizeof b[0], "%.3f", r->batch1_s * 1e3),
    g_ascii_formatd (b[1], sizeof b[1], "%.3f", median (r->batch1_samples) * 1e3),
    g_ascii_formatd (b[2], sizeof b[2], "%.4f", r->batched_ips),
    g_ascii_formatd (b[3], sizeof b[3], "%.4f", median (r->batched_samples)),
    g_ascii_formatd (b[4], sizeof b[4], "%.4f", sustained->rate),
    g_ascii_formatd (b[8], sizeof b[8], "%.4f", flooded),
    g_ascii_formatd (b[5], sizeof b[5], "%.3f", half->p50_ms),
    g_ascii_formatd (b[6], sizeof b[6], "%.3f", half->p99_ms),
    isfinite (rss_first) ? g_ascii_formatd (b[7], sizeof b[7], "%.5f", rss_last / rss_first - 1)
                         : "null",
    load_before, load_after);
}

/* One trial, after a sample of the bare inference (same load). */
static gboolean
trial (DmStation *station,
       const DmImage *template,
       Reference *r,
       double rate,
       double duration,
       GArray *rss,
       Trial *t,
       GError **error)
{
  if (!reference_sample (r, 1, error))
    return FALSE;
  run_trial (station, template, rate, duration, 2.0 * r->batch / r->batched_ips + 0.5, rss, t);
  print_trial (t, r);
  return TRUE;
}

static int
bench (Options *o)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *folder = g_dir_make_tmp ("dinomaly-bench-station-XXXXXX", &error);
  g_autofree char *model = NULL, *load_before = load_average (), *load_after = NULL;
  g_autoptr (GArray) rss = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GString) json = g_string_new (NULL);
  double good = 0, bad = 0, rss_first = NAN, rss_last = NAN;
  Trial sustained = { 0 }, half = { 0 }, saturated = { 0 }, t;
  double flooded;
  g_autoptr (DmStation) station = NULL;
  g_autoptr (DmImage) template = NULL;
  Reference r = { 0 };

  if (folder == NULL)
    goto failed;
  model = g_build_filename (folder, "random.dinomaly", NULL);
  if (o->width == 0)
    o->width = o->height = dm_bench_resize_for_crop (o->crop);
  printf ("dinomaly bench station: ViT-%s/%d, batch up to %d, wait up to %d ms, frames %dx%d; "
          "load average %s\n",
          strcmp (o->arch, "small") == 0 ? "S" : "B", o->crop, o->batch, o->max_wait_ms, o->width,
          o->height, load_before);
  fflush (stdout);
  if (!write_model (model, o->arch, o->crop, &error) || !reference_init (&r, model, o, &error))
    goto failed;
  printf ("bare inference (as bench infer, best so far): batch 1 %.1f ms, batch %d %.2f "
          "images/s\n",
          r.batch1_s * 1e3, o->batch, r.batched_ips);
  printf ("the station (generated frames -> queue of %d -> preprocess -> batch -> journal):\n",
          2 * o->batch);
  fflush (stdout);
  station = make_station (model, folder, o, &error);
  template = dm_image_new (o->width, o->height, 3, DM_PIXEL_U8, &error);
  if (station == NULL || template == NULL)
    goto failed;
  {
    guint64 state = BENCH_SEED;

    for (gsize i = 0; i < template->stride * (gsize) template->height; i++)
      template->data[i] = (guint8)(dm_splitmix64 (&state) >> 56);
  }

  /* the highest sustained rate: up by 10% from 80% of the bare
   * throughput until it does not keep up, then bisect */
  if (o->rate > 0)
    {
      if (!trial (station, template, &r, o->rate, o->duration, NULL, &sustained, &error))
        goto failed;
    }
  else
    {
      double rate = 0.8 * r.batched_ips;

      for (;;)
        {
          if (!trial (station, template, &r, rate, o->duration, NULL, &t, &error))
            goto failed;
          if (!t.sustained)
            {
              bad = rate;
              break;
            }
          good = rate;
          sustained = t;
          /* a first reference taken in a spell of load would make a
           * slow climb: never below 80% of the best bare figure so far */
          rate = MAX (rate * 1.1, 0.8 * r.batched_ips);
        }
      for (int k = 0; k < SEARCH_STEPS && good > 0; k++)
        {
          double mid = (good + bad) / 2;

          if (!trial (station, template, &r, mid, o->duration, NULL, &t, &error))
            goto failed;
          if (t.sustained)
            good = mid, sustained = t;
          else
            bad = mid;
        }
    }
  /* latency at half that rate */
  if (!trial (station, template, &r, MAX (sustained.rate, 0.3 * r.batched_ips) / 2, o->duration,
              NULL, &half, &error))
    goto failed;
  /* the station flooded (three times the best bare rate, frames dropped):
   * its throughput with full batches, against the bare one of the same
   * minutes; the search above also pays for every dip of the machine's
   * speed during a trial, this does not */
  if (!trial (station, template, &r, 3 * r.batched_ips, o->duration, NULL, &saturated, &error))
    goto failed;
  flooded = saturated.committed / (o->duration + saturated.drain_s);
  printf ("  flooded: %.2f frames/s committed with full batches\n", flooded);
  /* memory over a soak at 90% of the sustained rate */
  if (o->soak > 0)
    {
      double first = NAN, last = NAN, peak = 0;

      printf ("soak: %.0f s at %.2f frames/s ...\n", o->soak, 0.9 * sustained.rate);
      fflush (stdout);
      if (!trial (station, template, &r, 0.9 * sustained.rate, o->soak, rss, &t, &error))
        goto failed;
      /* from the first sample after a minute (queues and caches filled) */
      for (guint i = 0; i + 1 < rss->len; i += 2)
        {
          double at = g_array_index (rss, double, i), mb = g_array_index (rss, double, i + 1);

          if (at >= 60 && isnan (first))
            first = mb;
          last = mb;
          peak = MAX (peak, mb);
        }
      rss_first = first;
      rss_last = last;
      printf ("  resident memory: %.1f MB after 1 min, %.1f MB at the end (peak %.1f): "
              "growth %+.2f%%\n",
              first, last, peak, (last / first - 1) * 100);
    }
  load_after = load_average ();
  printf ("\n%s %.2f frames/s = %.0f%% of the bare batched throughput %.2f images/s "
          "(target >= 90%%)\n"
          "flooded, the station commits %.2f frames/s = %.0f%% of it\n"
          "p99 latency at half rate %.0f ms = %.2f x batch-1 inference %.0f ms (target <= 1.5)\n",
          o->rate > 0 ? "asked" : "sustained", sustained.rate, sustained.rate / r.batched_ips * 100,
          r.batched_ips, flooded, flooded / r.batched_ips * 100, half.p99_ms,
          half.p99_ms / (r.batch1_s * 1e3), r.batch1_s * 1e3);
  if (isfinite (rss_first))
    printf ("memory growth over the soak %+.2f%% (target < 2%%)\n",
            (rss_last / rss_first - 1) * 100);
  printf (
    "bare inference over the session (%u samples, the load changing): batch 1 best %.0f ms, "
    "median %.0f ms; batch %d best %.2f, median %.2f images/s; against the medians: "
    "sustained %.0f%%, flooded %.0f%%, p99 %.2f x\n",
    r.batch1_samples->len, r.batch1_s * 1e3, median (r.batch1_samples) * 1e3, o->batch,
    r.batched_ips, median (r.batched_samples), sustained.rate / median (r.batched_samples) * 100,
    flooded / median (r.batched_samples) * 100, half.p99_ms / (median (r.batch1_samples) * 1e3));
  printf ("load average before %s, after %s\n", load_before, load_after);
  if (o->json != NULL)
    {
      json_row (json, o, &r, &sustained, flooded, &half, rss_first, rss_last, load_before,
                load_after);
      g_string_append_c (json, '\n');
      if (!dm_file_set_contents_atomic (o->json, json->str, json->len, &error))
        goto failed;
    }
  g_clear_pointer (&station, dm_station_free);
  reference_clear (&r);
  dm_file_remove_tree (folder, NULL);
  return DM_CLI_OK;

failed:
  g_clear_pointer (&station, dm_station_free);
  reference_clear (&r);
  if (folder != NULL)
    dm_file_remove_tree (folder, NULL);
  dm_cli_print_error ("bench station", error);
  return DM_CLI_FAILED;
}

int
dm_cli_bench_station (int argc, char **argv)
{
  Options o = { .crop = 224, .batch = 8, .max_wait_ms = 20, .duration = 30 };
  g_autofree char *size = NULL;
  const GOptionEntry entries[] = {
    { "arch", 0, 0, G_OPTION_ARG_STRING, &o.arch, "small (ViT-S/14) or base (ViT-B/14)",
      "small|base" },
    { "crop", 0, 0, G_OPTION_ARG_INT, &o.crop, "the model's crop (224)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &o.batch, "the station's largest micro-batch (8)", "N" },
    { "max-wait", 0, 0, G_OPTION_ARG_INT, &o.max_wait_ms,
      "the longest a part waits for its batch, ms (20)", "MS" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &o.threads, "inference threads (default: all cores)",
      "T" },
    { "size", 0, 0, G_OPTION_ARG_STRING, &size,
      "the generated frames' size (default: the model's resize)", "WxH" },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &o.duration, "seconds per trial (30)", "S" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &o.rate,
      "measure this rate only instead of searching the sustained one", "FPS" },
    { "soak", 0, 0, G_OPTION_ARG_DOUBLE, &o.soak,
      "then this many seconds at 90% of the sustained rate, sampling resident memory (the "
      "target is for 600)",
      "S" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &o.json, "write the figures there too", "FILE" },
    { NULL },
  };
  int rc;

  if (!dm_cli_parse ("bench station", "",
                     "The station's speed on a generated source: the highest rate it sustains\n"
                     "without dropping a frame, its latency (acquisition to committed decision)\n"
                     "at half that rate, its memory over a soak, each against the bare inference\n"
                     "of the same run. Random weights of the real shapes; every part passes, so\n"
                     "no image is kept.",
                     entries, &argc, &argv))
    return DM_CLI_USAGE;
  if (o.arch == NULL)
    o.arch = g_strdup ("small");
  if ((strcmp (o.arch, "small") != 0 && strcmp (o.arch, "base") != 0) || o.crop < 14
      || o.crop % 14 != 0 || o.batch < 1 || o.batch > 64 || o.max_wait_ms < 0 || o.threads < 0
      || !(o.duration >= 2) || o.soak < 0 || o.rate < 0
      || (size != NULL
          && (sscanf (size, "%dx%d", &o.width, &o.height) != 2 || o.width < 1 || o.height < 1)))
    {
      g_free (o.arch);
      g_free (o.json);
      return dm_cli_usage_error ("bench station", "an option is out of range (see --help)");
    }
  rc = bench (&o);
  g_free (o.arch);
  g_free (o.json);
  return rc;
}
