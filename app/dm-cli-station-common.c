/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The options, the log and the run loop that `dinomaly station` and
 * `dinomaly serve` share (dm-cli-station-private.h). */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dm-calibrate.h"
#include "dm-cli-station-private.h"
#include "dm-cli.h"
#include "dm-error.h"
#include "dm-image.h"
#include "dm-station-rules.h"

void
dm_cli_station_options_init (DmCliStationOptions *o)
{
  memset (o, 0, sizeof *o);
  o->quantile = DM_CALIBRATE_DEFAULT_QUANTILE;
  o->batch = 8;
  o->max_wait_ms = 20;
  o->queue = 32;
  o->prepare_threads = 1;
  o->max_pixels = DM_IMAGE_DEFAULT_MAX_PIXELS;
  o->segment_mb = 64;
  o->drain_seconds = 10;
  o->status_every = 10;
}

void
dm_cli_station_options_clear (DmCliStationOptions *o)
{
  g_free (o->model);
  g_free (o->backbone);
  g_free (o->project);
  g_free (o->class_name);
  g_free (o->threshold);
  g_free (o->band);
  g_free (o->calibrate);
  g_free (o->rules);
  g_free (o->journal);
  g_free (o->name);
  g_strfreev (o->sources);
  g_strfreev (o->sinks);
  g_free (o->log_path);
}

GOptionEntry *
dm_cli_station_entries (DmCliStationOptions *o, gboolean with_sources)
{
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &o->model, "the model file", "M.dinomaly" },
    { "backbone", 0, 0, G_OPTION_ARG_FILENAME, &o->backbone,
      "the backbone file, for a model that refers to it by SHA-256", "ENCODER.safetensors" },
    { "project", 0, 0, G_OPTION_ARG_FILENAME, &o->project,
      "a Studio project: its trained model and the thresholds set in it", "DIR" },
    { "class", 0, 0, G_OPTION_ARG_STRING, &o->class_name,
      "the class whose thresholds decide (needed when the model has several)", "NAME" },
    { "threshold", 0, 0, G_OPTION_ARG_STRING, &o->threshold,
      "image threshold: a score at or above it fails (overrides the model's)", "SCORE" },
    { "band", 0, 0, G_OPTION_ARG_STRING, &o->band,
      "uncertain band: scores in [LOW, HIGH) are uncertain", "LOW,HIGH" },
    { "rules", 0, 0, G_OPTION_ARG_FILENAME, &o->rules,
      "inspection rules (region of interest, mm per pixel, limits on defect regions) from a "
      "JSON file, instead of the model's or project's",
      "FILE.json" },
    { "calibrate", 0, 0, G_OPTION_ARG_FILENAME, &o->calibrate,
      "thresholds from a folder of good parts (at least 10 images)", "DIR" },
    { "quantile", 0, 0, G_OPTION_ARG_DOUBLE, &o->quantile,
      "with --calibrate: the share of good parts that pass (0.99)", "Q" },
    { "source", 's', 0, G_OPTION_ARG_STRING_ARRAY, &o->sources,
      "where parts come from (several allowed): folder:PATH, gst:PIPELINE, genicam:ID, "
      "generate:RATE; CLASS= in front for another class",
      "URI" },
    { "sink", 'o', 0, G_OPTION_ARG_STRING_ARRAY, &o->sinks,
      "where results go (several allowed): jsonl:PATH, csv:PATH, mqtt://HOST:PORT/PREFIX, "
      "http://HOST:PORT/PATH, modbus://HOST:PORT/UNIT",
      "URI" },
    { "journal", 'j', 0, G_OPTION_ARG_FILENAME, &o->journal,
      "the journal folder: records, kept images, cursors, status.json", "DIR" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &o->name, "the station's name in part ids (station)",
      "NAME" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &o->batch, "the largest micro-batch (8)", "N" },
    { "max-wait", 0, 0, G_OPTION_ARG_INT, &o->max_wait_ms,
      "the longest a part waits for its batch to fill, ms (20)", "MS" },
    { "queue", 0, 0, G_OPTION_ARG_INT, &o->queue,
      "parts between the sources and the model (32); a full queue makes hot folders wait and "
      "drops camera frames (counted)",
      "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &o->threads, "inference threads (default: all cores)",
      "T" },
    { "prepare-threads", 0, 0, G_OPTION_ARG_INT, &o->prepare_threads, "decoding threads (1)", "N" },
    { "max-pixels", 0, 0, G_OPTION_ARG_INT64, &o->max_pixels,
      "refuse images larger than this (100000000)", "N" },
    { "segment-mb", 0, 0, G_OPTION_ARG_INT, &o->segment_mb,
      "journal segment size, MiB (64); segments also change with the UTC day", "N" },
    { "no-keep-images", 0, 0, G_OPTION_ARG_NONE, &o->no_keep_images,
      "do not keep the image and map of failed and uncertain parts", NULL },
    { "accept-damaged", 0, 0, G_OPTION_ARG_NONE, &o->accept_damaged,
      "score a damaged but decodable image (a JPEG with corrupt scan data) with a note in its "
      "record, instead of an error record",
      NULL },
    { "keep-passes", 0, 0, G_OPTION_ARG_INT, &o->keep_passes,
      "keep the image and map of one pass in N too, for a person to verify in the window "
      "(0: none)",
      "N" },
    { "drain", 0, 0, G_OPTION_ARG_DOUBLE, &o->drain_seconds,
      "on stop, seconds the outputs get to catch up (10)", "S" },
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &o->log_path,
      "append messages to FILE instead of standard error (SIGHUP reopens it)", "FILE" },
    { "status-every", 0, 0, G_OPTION_ARG_INT, &o->status_every,
      "seconds between two status lines (10; 0: none)", "S" },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &o->duration,
      "stop after this many seconds (default: until SIGINT or SIGTERM)", "S" },
    { NULL },
  };
  GOptionEntry *out = g_new0 (GOptionEntry, G_N_ELEMENTS (entries));
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    if (with_sources || entries[i].long_name == NULL
        || strcmp (entries[i].long_name, "source") != 0)
      out[n++] = entries[i];
  return out;
}

static gboolean
usage (const char *command, const char *message)
{
  dm_cli_usage_error (command, message);
  return FALSE;
}

gboolean
dm_cli_station_settings (const char *command, DmCliStationOptions *o, DmStationSettings *s, int *rc)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) notes = g_ptr_array_new_with_free_func ((GDestroyNotify)g_error_free);
  double image = NAN, low = NAN, high = NAN;

  *rc = DM_CLI_USAGE;
  if ((o->model == NULL) == (o->project == NULL))
    return usage (command, "give --model or --project (one of them)");
  if (o->journal == NULL)
    return usage (command, "--journal is required");
  if (o->threshold != NULL && !dm_cli_parse_number (o->threshold, &image))
    return usage (command, "--threshold: give a number");
  if (o->band != NULL && !dm_cli_parse_band (o->band, &low, &high))
    return usage (command, "--band: give LOW,HIGH with LOW < HIGH");
  if (!(o->quantile > 0 && o->quantile <= 1))
    return usage (command, "--quantile: give a number in (0, 1]");
  if (o->batch < 1 || o->batch > 256 || o->queue < 1 || o->queue > 4096 || o->max_wait_ms < 0
      || o->threads < 0 || o->prepare_threads < 1 || o->prepare_threads > 64 || o->max_pixels < 1
      || o->segment_mb < 1 || o->drain_seconds < 0 || o->status_every < 0 || o->duration < 0)
    return usage (command, "a number is out of range (see --help)");

  s->journal = g_strdup (o->journal);
  s->name = g_strdup (o->name);
  s->batch = o->batch;
  s->max_wait_ms = o->max_wait_ms;
  s->queue = o->queue;
  s->n_threads = o->threads;
  s->prepare_threads = o->prepare_threads;
  s->max_pixels = (guint64)o->max_pixels;
  s->segment_bytes = (guint64)o->segment_mb << 20;
  s->keep_images = !o->no_keep_images;
  s->accept_damaged = o->accept_damaged;
  s->keep_passes = (guint)MAX (o->keep_passes, 0);
  s->drain_seconds = o->drain_seconds;
  for (char **u = o->sources; u != NULL && *u != NULL; u++)
    g_ptr_array_add (s->sources, g_strdup (*u));
  for (char **u = o->sinks; u != NULL && *u != NULL; u++)
    g_ptr_array_add (s->sinks, g_strdup (*u));

  *rc = DM_CLI_FAILED;
  if (o->project != NULL
        ? !dm_station_rules_from_project (s, o->project, o->class_name, &error)
        : !dm_station_rules_from_model (s, o->model, o->backbone, o->class_name, &error))
    {
      dm_cli_print_error (command, error);
      return FALSE;
    }
  if (o->calibrate != NULL)
    g_message ("calibrating on the good parts in %s ...", o->calibrate);
  if (!dm_station_rules_override (s, image, low, high, o->calibrate, o->quantile, notes, &error))
    {
      dm_cli_print_error (command, error);
      return FALSE;
    }
  for (guint i = 0; i < notes->len; i++)
    dm_cli_print_error (command, notes->pdata[i]);
  if (o->rules != NULL)
    {
      g_autoptr (DmRules) rules = dm_rules_load (o->rules, &error);

      if (rules == NULL)
        {
          dm_cli_print_error (command, error);
          return FALSE;
        }
      dm_station_settings_set_rules (s, s->default_class, rules);
    }
  if (o->calibrate != NULL)
    {
      const DmThresholds *t = dm_station_rules_get (s);

      g_message ("class %s: image threshold %.9g, pixel threshold %.9g (quantile %g of %s)",
                 s->default_class, t->image, t->pixel, o->quantile, o->calibrate);
    }
  return TRUE;
}

/* ---- the log ----------------------------------------------------------- */

static GMutex log_lock;
static FILE *log_file; /* NULL: stderr */
static char *log_path;

static gboolean
reopen_log (GError **error)
{
  FILE *f = fopen (log_path, "ae");

  if (f == NULL)
    {
      int saved = errno;

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot open the log: %s", log_path,
                   g_strerror (saved));
      return FALSE;
    }
  setvbuf (f, NULL, _IOLBF, 0);
  g_mutex_lock (&log_lock);
  if (log_file != NULL)
    fclose (log_file);
  log_file = f;
  g_mutex_unlock (&log_lock);
  return TRUE;
}

static GLogWriterOutput
write_log (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  const char *message = NULL;
  const char *kind = "info";
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S");

  if (level & G_LOG_LEVEL_DEBUG)
    return G_LOG_WRITER_HANDLED;
  for (gsize i = 0; i < n_fields; i++)
    if (strcmp (fields[i].key, "MESSAGE") == 0)
      message = fields[i].value;
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    kind = "error";
  else if (level & G_LOG_LEVEL_WARNING)
    kind = "warning";
  g_mutex_lock (&log_lock);
  fprintf (log_file != NULL ? log_file : stderr, "%s.%03dZ %s: %s\n", stamp,
           g_date_time_get_microsecond (now) / 1000, kind, message != NULL ? message : "");
  g_mutex_unlock (&log_lock);
  return G_LOG_WRITER_HANDLED;
}

gboolean
dm_cli_station_open_log (const char *command, const char *path)
{
  if (path != NULL)
    {
      g_autoptr (GError) error = NULL;

      log_path = g_strdup (path);
      if (!reopen_log (&error))
        {
          dm_cli_print_error (command, error);
          return FALSE;
        }
    }
  g_log_set_writer_func (write_log, NULL, NULL);
  return TRUE;
}

void
dm_cli_station_close_log (void)
{
  g_mutex_lock (&log_lock);
  if (log_file != NULL)
    fclose (log_file);
  log_file = NULL;
  g_mutex_unlock (&log_lock);
  g_clear_pointer (&log_path, g_free);
}

/* ---- the run ----------------------------------------------------------- */

char *
dm_cli_station_status_line (const DmStationStatus *s)
{
  GString *line = g_string_new (dm_station_state_name (s->state));
  guint64 total = s->counts[0] + s->counts[1] + s->counts[2] + s->counts[3];

  g_string_append_printf (line,
                          ": %" G_GUINT64_FORMAT " parts (pass %" G_GUINT64_FORMAT
                          ", uncertain %" G_GUINT64_FORMAT ", fail %" G_GUINT64_FORMAT
                          ", error %" G_GUINT64_FORMAT "), %.1f/s",
                          total, s->counts[0], s->counts[1], s->counts[2], s->counts[3], s->rate);
  if (isfinite (s->latency_p50_ms))
    g_string_append_printf (line, ", latency p50 %.0f ms p99 %.0f ms", s->latency_p50_ms,
                            s->latency_p99_ms);
  g_string_append_printf (line, ", queue %u/%u", s->intake, s->intake_capacity);
  for (guint i = 0; i < s->n_sources; i++)
    if (s->sources[i].dropped > 0 || s->sources[i].skipped > 0)
      g_string_append_printf (line, ", %s dropped %" G_GUINT64_FORMAT " skipped %" G_GUINT64_FORMAT,
                              s->sources[i].uri, s->sources[i].dropped, s->sources[i].skipped);
  for (guint i = 0; i < s->n_sinks; i++)
    g_string_append_printf (line, "; %s: %s, backlog %" G_GUINT64_FORMAT, s->sinks[i].uri,
                            s->sinks[i].state, s->sinks[i].backlog);
  if (s->message != NULL)
    g_string_append_printf (line, "; %s", s->message);
  return g_string_free (line, FALSE);
}

typedef struct
{
  GMainLoop *loop;
  DmStation *station;
  const char *command;
} Run;

static gboolean
on_stop_signal (gpointer data)
{
  Run *run = data;

  g_message ("stopping: draining the queues and the outputs");
  g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_hangup (gpointer data)
{
  g_autoptr (GError) error = NULL;

  if (log_path != NULL && !reopen_log (&error))
    g_printerr ("%s\n", error->message);
  else
    g_message ("log reopened");
  return G_SOURCE_CONTINUE;
}

static void
print_status (Run *run)
{
  DmStationStatus status;
  g_autofree char *line = NULL;

  dm_station_get_status (run->station, &status);
  line = dm_cli_station_status_line (&status);
  g_message ("%s", line);
  dm_station_status_clear (&status);
}

static gboolean
on_status (gpointer data)
{
  print_status (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_duration (gpointer data)
{
  Run *run = data;

  g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE;
}

int
dm_cli_station_run (const char *command, DmStation *station, const DmCliStationOptions *o)
{
  Run run = { g_main_loop_new (NULL, FALSE), station, command };
  guint ids[5] = { 0 };

  ids[0] = g_unix_signal_add (SIGINT, on_stop_signal, &run);
  ids[1] = g_unix_signal_add (SIGTERM, on_stop_signal, &run);
  ids[2] = g_unix_signal_add (SIGHUP, on_hangup, &run);
  if (o->status_every > 0)
    ids[3] = g_timeout_add_seconds ((guint)o->status_every, on_status, &run);
  if (o->duration > 0)
    ids[4] = g_timeout_add ((guint)(o->duration * 1000), on_duration, &run);
  g_main_loop_run (run.loop);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    if (ids[i] != 0)
      g_source_remove (ids[i]);
  dm_station_stop (station);
  print_status (&run);
  g_main_loop_unref (run.loop);
  return DM_CLI_OK;
}
