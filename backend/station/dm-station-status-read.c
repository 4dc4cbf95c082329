/* SPDX-License-Identifier: GPL-3.0-or-later */
/* status.json read back, for a window that follows a station running in
 * another process (dm_station_status_from_json in dm-station.h), and the
 * states' names. */
#include "dm-station.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-json-util.h"

static const char *const decision_names[4] = { "pass", "uncertain", "fail", "error" };

const char *
dm_station_state_name (DmStationState state)
{
  switch (state)
    {
    case DM_STATION_IDLE: return "idle";
    case DM_STATION_RUNNING: return "running";
    case DM_STATION_PAUSED: return "paused";
    case DM_STATION_STALLED: return "stalled";
    case DM_STATION_STOPPING: return "stopping";
    case DM_STATION_STOPPED:
    default: return "stopped";
    }
}

void
dm_station_status_clear (DmStationStatus *status)
{
  for (guint i = 0; i < status->n_sources; i++)
    {
      g_free (status->sources[i].uri);
      g_free (status->sources[i].state);
    }
  for (guint i = 0; i < status->n_sinks; i++)
    {
      g_free (status->sinks[i].uri);
      g_free (status->sinks[i].state);
    }
  g_clear_pointer (&status->sources, g_free);
  g_clear_pointer (&status->sinks, g_free);
  g_clear_pointer (&status->message, g_free);
  status->n_sources = status->n_sinks = 0;
}

static guint64
uint_member (JsonObject *o, const char *name)
{
  double v = dm_json_number (o, name, 0);

  return v > 0 && v < 1e19 ? (guint64)v : 0;
}

static JsonArray *
array_member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n != NULL && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static gboolean
state_from_name (const char *name, DmStationState *state)
{
  for (DmStationState s = DM_STATION_IDLE; s <= DM_STATION_STOPPED; s++)
    if (g_strcmp0 (name, dm_station_state_name (s)) == 0)
      {
        *state = s;
        return TRUE;
      }
  return FALSE;
}

gboolean
dm_station_status_from_json (const char *text,
                             gsize len,
                             const char *what,
                             DmStationStatus *s,
                             gint64 *updated_us,
                             GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autofree char *state = NULL, *started = NULL, *updated = NULL;
  JsonObject *o, *counts, *queues;
  JsonArray *sources, *sinks;

  memset (s, 0, sizeof *s);
  o = dm_json_parse_line_object (parser, text, len, DM_STATION_STATUS_MAX_BYTES, what, error);
  if (o == NULL)
    return FALSE;
  state = dm_json_dup_string (o, "state");
  if (!state_from_name (state, &s->state))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: not a station's status", what);
      return FALSE;
    }
  s->message = dm_json_dup_string (o, "message");
  started = dm_json_dup_string (o, "started");
  if (!dm_json_parse_time_us (started, &s->started_us))
    s->started_us = 0;
  updated = dm_json_dup_string (o, "updated");
  if (updated_us != NULL && !dm_json_parse_time_us (updated, updated_us))
    *updated_us = 0;
  counts = dm_json_object (o, "counts");
  for (guint i = 0; i < 4; i++)
    s->counts[i] = counts != NULL ? uint_member (counts, decision_names[i]) : 0;
  s->last_seq = uint_member (o, "last_seq");
  s->rate = dm_json_number (o, "rate", NAN);
  s->latency_p50_ms = dm_json_number (o, "latency_p50_ms", NAN);
  s->latency_p99_ms = dm_json_number (o, "latency_p99_ms", NAN);
  queues = dm_json_object (o, "queues");
  if (queues != NULL)
    {
      s->intake = (guint)MIN (uint_member (queues, "intake"), G_MAXUINT);
      s->intake_capacity = (guint)MIN (uint_member (queues, "intake_capacity"), G_MAXUINT);
      s->ready = (guint)MIN (uint_member (queues, "ready"), G_MAXUINT);
      s->committing = (guint)MIN (uint_member (queues, "committing"), G_MAXUINT);
    }
  sources = array_member (o, "sources");
  sinks = array_member (o, "sinks");
  s->sources = g_new0 (
    DmSourceStatus,
    1 + (sources != NULL ? MIN (json_array_get_length (sources), DM_STATION_STATUS_MAX_ITEMS) : 0));
  s->sinks = g_new0 (
    DmSinkStatus,
    1 + (sinks != NULL ? MIN (json_array_get_length (sinks), DM_STATION_STATUS_MAX_ITEMS) : 0));
  for (guint i = 0; sources != NULL && i < json_array_get_length (sources)
                    && s->n_sources < DM_STATION_STATUS_MAX_ITEMS;
       i++)
    {
      JsonNode *n = json_array_get_element (sources, i);
      JsonObject *so = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
      DmSourceStatus *src;

      if (so == NULL)
        continue;
      src = &s->sources[s->n_sources++];
      src->uri = dm_json_dup_string (so, "uri");
      src->state = dm_json_dup_string (so, "state");
      src->taken = uint_member (so, "taken");
      src->dropped = uint_member (so, "dropped");
      src->skipped = uint_member (so, "skipped");
      src->failures = uint_member (so, "failures");
    }
  for (guint i = 0; sinks != NULL && i < json_array_get_length (sinks)
                    && s->n_sinks < DM_STATION_STATUS_MAX_ITEMS;
       i++)
    {
      JsonNode *n = json_array_get_element (sinks, i);
      JsonObject *ko = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
      DmSinkStatus *k;

      if (ko == NULL)
        continue;
      k = &s->sinks[s->n_sinks++];
      k->uri = dm_json_dup_string (ko, "uri");
      k->state = dm_json_dup_string (ko, "state");
      k->delivered = uint_member (ko, "delivered");
      k->backlog = uint_member (ko, "backlog");
      k->skipped = uint_member (ko, "skipped");
      k->cursor_seq = uint_member (ko, "cursor_seq");
    }
  return TRUE;
}
