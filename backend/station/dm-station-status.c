/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The station's statistics (dm-station-stats.h) and its status snapshot
 * as JSON (status.json) and as Prometheus text (GET /metrics). */
#include "dm-station-stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dm-json-util.h"
#include "dm-json-writer.h"

static const double latency_bounds[DM_STATION_N_LATENCY_BUCKETS] = {
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, INFINITY,
};

static const char *const decision_names[4] = { "pass", "uncertain", "fail", "error" };

void
dm_station_stats_init (DmStationStats *stats)
{
  memset (stats, 0, sizeof *stats);
  g_mutex_init (&stats->lock);
  stats->started_us = g_get_real_time ();
}

void
dm_station_stats_clear (DmStationStats *stats)
{
  g_mutex_clear (&stats->lock);
}

static guint
decision_index (const DmPart *part)
{
  if (part->is_error)
    return 3;
  switch (part->decision)
    {
    case DM_DECISION_PASS: return 0;
    case DM_DECISION_UNCERTAIN: return 1;
    case DM_DECISION_FAIL:
    default: return 2;
    }
}

void
dm_station_stats_add (DmStationStats *stats, const DmPart *part, gint64 latency_us)
{
  double s = (double)latency_us * 1e-6;

  g_mutex_lock (&stats->lock);
  stats->counts[decision_index (part)]++;
  stats->window[stats->window_next] = s;
  stats->window_next = (stats->window_next + 1) % DM_STATION_LATENCY_WINDOW;
  stats->window_n = MIN (stats->window_n + 1, DM_STATION_LATENCY_WINDOW);
  for (guint i = 0; i < DM_STATION_N_LATENCY_BUCKETS; i++)
    if (s <= latency_bounds[i])
      {
        stats->histogram[i]++;
        break;
      }
  stats->sum_s += s;
  g_mutex_unlock (&stats->lock);
}

static guint64
total_locked (const DmStationStats *stats)
{
  return stats->counts[0] + stats->counts[1] + stats->counts[2] + stats->counts[3];
}

void
dm_station_stats_tick (DmStationStats *stats)
{
  g_mutex_lock (&stats->lock);
  stats->tick_total[stats->tick_next] = total_locked (stats);
  stats->tick_time[stats->tick_next] = g_get_monotonic_time ();
  stats->tick_next = (stats->tick_next + 1) % DM_STATION_RATE_TICKS;
  stats->n_ticks = MIN (stats->n_ticks + 1, DM_STATION_RATE_TICKS);
  g_mutex_unlock (&stats->lock);
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

void
dm_station_stats_read (DmStationStats *stats, DmStationStatus *status)
{
  double sorted[DM_STATION_LATENCY_WINDOW];
  guint n;

  g_mutex_lock (&stats->lock);
  status->started_us = stats->started_us;
  memcpy (status->counts, stats->counts, sizeof status->counts);
  n = stats->window_n;
  memcpy (sorted, stats->window, n * sizeof (double));
  for (guint i = 0, cum = 0; i < DM_STATION_N_LATENCY_BUCKETS; i++)
    {
      cum += (guint)stats->histogram[i];
      status->latency_bounds[i] = latency_bounds[i];
      status->latency_counts[i] = cum;
    }
  status->latency_sum_s = stats->sum_s;
  status->rate = 0;
  if (stats->n_ticks >= 2)
    {
      guint oldest
        = (stats->tick_next + DM_STATION_RATE_TICKS - stats->n_ticks) % DM_STATION_RATE_TICKS;
      guint newest = (stats->tick_next + DM_STATION_RATE_TICKS - 1) % DM_STATION_RATE_TICKS;
      double dt = (double)(stats->tick_time[newest] - stats->tick_time[oldest]) * 1e-6;

      if (dt > 0)
        status->rate = (double)(stats->tick_total[newest] - stats->tick_total[oldest]) / dt;
    }
  g_mutex_unlock (&stats->lock);
  status->latency_p50_ms = NAN;
  status->latency_p99_ms = NAN;
  if (n > 0)
    {
      qsort (sorted, n, sizeof (double), compare_doubles);
      status->latency_p50_ms = sorted[(n - 1) / 2] * 1e3;
      status->latency_p99_ms = sorted[(guint)ceil (0.99 * n) - 1] * 1e3;
    }
}

/* ---- the snapshot ------------------------------------------------------ */

/* A UTC time as status.json writes it. */
static void
member_time (DmJsonWriter *w, const char *key, GDateTime *t)
{
  g_autofree char *text = g_date_time_format (t, "%Y-%m-%dT%H:%M:%SZ");

  dm_json_writer_member_string (w, key, text);
}

char *
dm_station_status_to_json (const DmStationStatus *s)
{
  g_autoptr (DmJsonWriter) w = dm_json_writer_new (FALSE);
  g_autoptr (GDateTime) started = g_date_time_new_from_unix_utc (s->started_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

  dm_json_writer_begin_object (w);
  dm_json_writer_member_string (w, "state", dm_station_state_name (s->state));
  dm_json_writer_member_string (w, "message", s->message);
  member_time (w, "started", started);
  member_time (w, "updated", now);
  dm_json_writer_key (w, "counts");
  dm_json_writer_begin_object (w);
  for (guint i = 0; i < 4; i++)
    dm_json_writer_member_int (w, decision_names[i], (gint64)s->counts[i]);
  dm_json_writer_end_object (w);
  dm_json_writer_member_int (w, "last_seq", (gint64)s->last_seq);
  dm_json_writer_member_number (w, "rate", s->rate);
  dm_json_writer_member_number (w, "latency_p50_ms", s->latency_p50_ms);
  dm_json_writer_member_number (w, "latency_p99_ms", s->latency_p99_ms);
  dm_json_writer_key (w, "queues");
  dm_json_writer_begin_object (w);
  dm_json_writer_member_int (w, "intake", s->intake);
  dm_json_writer_member_int (w, "intake_capacity", s->intake_capacity);
  dm_json_writer_member_int (w, "ready", s->ready);
  dm_json_writer_member_int (w, "committing", s->committing);
  dm_json_writer_end_object (w);
  dm_json_writer_key (w, "sources");
  dm_json_writer_begin_array (w);
  for (guint i = 0; i < s->n_sources; i++)
    {
      const DmSourceStatus *src = &s->sources[i];

      dm_json_writer_begin_object (w);
      dm_json_writer_member_string (w, "uri", src->uri);
      dm_json_writer_member_string (w, "state", src->state);
      dm_json_writer_member_int (w, "taken", (gint64)src->taken);
      dm_json_writer_member_int (w, "dropped", (gint64)src->dropped);
      dm_json_writer_member_int (w, "skipped", (gint64)src->skipped);
      dm_json_writer_member_int (w, "failures", (gint64)src->failures);
      dm_json_writer_end_object (w);
    }
  dm_json_writer_end_array (w);
  dm_json_writer_key (w, "sinks");
  dm_json_writer_begin_array (w);
  for (guint i = 0; i < s->n_sinks; i++)
    {
      const DmSinkStatus *k = &s->sinks[i];

      dm_json_writer_begin_object (w);
      dm_json_writer_member_string (w, "uri", k->uri);
      dm_json_writer_member_string (w, "state", k->state);
      dm_json_writer_member_int (w, "delivered", (gint64)k->delivered);
      dm_json_writer_member_int (w, "backlog", (gint64)k->backlog);
      dm_json_writer_member_int (w, "skipped", (gint64)k->skipped);
      dm_json_writer_member_int (w, "cursor_seq", (gint64)k->cursor_seq);
      dm_json_writer_end_object (w);
    }
  dm_json_writer_end_array (w);
  dm_json_writer_end_object (w);
  /* one line with its newline, as before */
  return g_strconcat (dm_json_writer_get_text (w), "\n", NULL);
}

/* A label value as Prometheus quotes it. */
static void
append_label (GString *out, const char *value)
{
  g_string_append_c (out, '"');
  for (const char *c = value != NULL ? value : ""; *c != '\0'; c++)
    if (*c == '"' || *c == '\\')
      g_string_append_printf (out, "\\%c", *c);
    else if (*c == '\n')
      g_string_append (out, "\\n");
    else
      g_string_append_c (out, *c);
  g_string_append_c (out, '"');
}

char *
dm_station_status_to_prometheus (const DmStationStatus *s)
{
  GString *out = g_string_new (NULL);
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out, "# HELP dinomaly_parts_total Parts committed to the journal since start, "
                        "by decision.\n# TYPE dinomaly_parts_total counter\n");
  for (guint i = 0; i < 4; i++)
    g_string_append_printf (out, "dinomaly_parts_total{decision=\"%s\"} %" G_GUINT64_FORMAT "\n",
                            decision_names[i], s->counts[i]);
  g_string_append (out, "# HELP dinomaly_errors_total Parts that could not be scored.\n"
                        "# TYPE dinomaly_errors_total counter\n");
  g_string_append_printf (out, "dinomaly_errors_total %" G_GUINT64_FORMAT "\n", s->counts[3]);
  g_string_append (out, "# HELP dinomaly_latency_seconds Acquisition to committed decision.\n"
                        "# TYPE dinomaly_latency_seconds histogram\n");
  for (guint i = 0; i < DM_STATION_N_LATENCY_BUCKETS; i++)
    {
      if (isinf (s->latency_bounds[i]))
        g_string_append (out, "dinomaly_latency_seconds_bucket{le=\"+Inf\"}");
      else
        g_string_append_printf (
          out, "dinomaly_latency_seconds_bucket{le=\"%s\"}",
          g_ascii_formatd (number, sizeof number, "%g", s->latency_bounds[i]));
      g_string_append_printf (out, " %" G_GUINT64_FORMAT "\n", s->latency_counts[i]);
    }
  g_string_append_printf (out, "dinomaly_latency_seconds_sum %s\n",
                          g_ascii_formatd (number, sizeof number, "%.9g", s->latency_sum_s));
  g_string_append_printf (out, "dinomaly_latency_seconds_count %" G_GUINT64_FORMAT "\n",
                          s->latency_counts[DM_STATION_N_LATENCY_BUCKETS - 1]);
  g_string_append (out, "# HELP dinomaly_queue_depth Parts waiting in the station's queues.\n"
                        "# TYPE dinomaly_queue_depth gauge\n");
  g_string_append_printf (out,
                          "dinomaly_queue_depth{queue=\"intake\"} %u\n"
                          "dinomaly_queue_depth{queue=\"ready\"} %u\n"
                          "dinomaly_queue_depth{queue=\"commit\"} %u\n",
                          s->intake, s->ready, s->committing);
  g_string_append (out, "# HELP dinomaly_station_up 1 while the station takes parts.\n"
                        "# TYPE dinomaly_station_up gauge\n");
  g_string_append_printf (out, "dinomaly_station_up %d\n", s->state == DM_STATION_RUNNING);
  g_string_append (out, "# HELP dinomaly_sink_backlog Committed records an output has not "
                        "delivered.\n# TYPE dinomaly_sink_backlog gauge\n");
  for (guint i = 0; i < s->n_sinks; i++)
    {
      g_string_append (out, "dinomaly_sink_backlog{sink=");
      append_label (out, s->sinks[i].uri);
      g_string_append_printf (out, "} %" G_GUINT64_FORMAT "\n", s->sinks[i].backlog);
    }
  g_string_append (out, "# HELP dinomaly_source_dropped_total Frames dropped: the station's "
                        "queue was full.\n# TYPE dinomaly_source_dropped_total counter\n");
  for (guint i = 0; i < s->n_sources; i++)
    {
      g_string_append (out, "dinomaly_source_dropped_total{source=");
      append_label (out, s->sources[i].uri);
      g_string_append_printf (out, "} %" G_GUINT64_FORMAT "\n", s->sources[i].dropped);
    }
  return g_string_free (out, FALSE);
}
