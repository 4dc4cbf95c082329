/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The outbox loop every output runs in its own thread: read the journal
 * from the cursor up to the committed end, deliver, move the cursor (an
 * atomic rename), back off on failure (dm-sink.h). */
#include "dm-sink.h"

#include <string.h>

#include "dm-error.h"
#include "dm-part.h"

#define MAX_BATCH 64
#define BACKOFF_FIRST_US (500 * G_TIME_SPAN_MILLISECOND)
#define BACKOFF_MAX_US (30 * G_TIME_SPAN_SECOND)

/* "mqtt://127.0.0.1:1883/line1" -> "mqtt-127.0.0.1-1883-line1-<8 hex>":
 * readable, a file name, and unique per URI. */
static char *
cursor_name (const char *uri)
{
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, uri, -1);
  GString *name = g_string_new (NULL);

  for (const char *c = uri; *c != '\0' && name->len < 60; c++)
    if (g_ascii_isalnum (*c) || *c == '.' || *c == '_')
      g_string_append_c (name, *c);
    else if (name->len > 0 && name->str[name->len - 1] != '-')
      g_string_append_c (name, '-');
  g_string_append_printf (name, "-%.8s", hash);
  return g_string_free (name, FALSE);
}

DmSink *
dm_sink_new (DmJournal *journal, const char *uri, GError **error)
{
  g_autofree char *name = cursor_name (uri);
  g_autofree char *file = g_strconcat (name, ".json", NULL);
  const char *folder = dm_journal_get_folder (journal);
  DmSink *sink = g_new0 (DmSink, 1);
  gboolean ok;

  g_mutex_init (&sink->lock);
  g_cond_init (&sink->cond);
  sink->journal = journal;
  sink->uri = g_strdup (uri);
  sink->state = g_strdup ("idle");
  sink->cursor_path = g_build_filename (folder, "cursors", file, NULL);
  if (g_str_has_prefix (uri, "jsonl:"))
    ok = dm_sink_file_init (sink, "jsonl", uri + 6, error);
  else if (g_str_has_prefix (uri, "csv:"))
    ok = dm_sink_file_init (sink, "csv", uri + 4, error);
  else if (g_str_has_prefix (uri, "mqtt://"))
    ok = dm_sink_mqtt_init (sink, error);
  else if (g_str_has_prefix (uri, "http://") || g_str_has_prefix (uri, "https://"))
    ok = dm_sink_http_init (sink, error);
  else if (g_str_has_prefix (uri, "modbus://"))
    ok = dm_sink_modbus_init (sink, error);
  else
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "output '%s': unknown kind (jsonl:, csv:, mqtt://, http://, https:// or "
                   "modbus://)",
                   uri);
      ok = FALSE;
    }
  if (ok)
    {
      g_autofree char *cursors = g_build_filename (folder, "cursors", NULL);

      if (g_mkdir_with_parents (cursors, 0777) != 0)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot create the folder", cursors);
          ok = FALSE;
        }
      else
        ok = dm_journal_cursor_load (sink->cursor_path, &sink->cursor, error);
    }
  if (!ok)
    {
      dm_sink_free (sink);
      return NULL;
    }
  return sink;
}

void
dm_sink_free (DmSink *sink)
{
  if (sink == NULL)
    return;
  if (sink->thread != NULL)
    dm_sink_stop (sink, g_get_monotonic_time ());
  if (sink->opened && sink->ops->close != NULL)
    sink->ops->close (sink);
  if (sink->ops != NULL && sink->ops->free != NULL)
    sink->ops->free (sink);
  g_free (sink->uri);
  g_free (sink->cursor_path);
  g_free (sink->state);
  g_mutex_clear (&sink->lock);
  g_cond_clear (&sink->cond);
  g_free (sink);
}

void
dm_sink_set_state (DmSink *sink, const char *format, ...)
{
  va_list args;
  char *state;

  va_start (args, format);
  state = g_strdup_vprintf (format, args);
  va_end (args);
  g_mutex_lock (&sink->lock);
  if (g_strcmp0 (sink->state, state) != 0 && !g_str_has_prefix (state, "delivering")
      && !g_str_has_prefix (state, "idle"))
    g_message ("%s: %s", sink->uri, state);
  g_free (sink->state);
  sink->state = state;
  g_mutex_unlock (&sink->lock);
}

void
dm_sink_get_status (DmSink *sink, DmSinkStatus *status)
{
  g_mutex_lock (&sink->lock);
  status->uri = g_strdup (sink->uri);
  status->state = g_strdup (sink->state);
  status->delivered = sink->delivered;
  status->skipped = sink->skipped;
  status->cursor_seq = sink->cursor.seq;
  g_mutex_unlock (&sink->lock);
}

void
dm_sink_station_state (DmSink *sink, DmStationState state)
{
  if (sink->ops->station_state != NULL)
    sink->ops->station_state (sink, state);
}

static gboolean
stop_now_locked (DmSink *sink)
{
  return sink->stopping && g_get_monotonic_time () >= sink->drain_until;
}

gboolean
dm_sink_should_give_up (DmSink *sink)
{
  gboolean give_up;

  g_mutex_lock (&sink->lock);
  give_up = stop_now_locked (sink);
  g_mutex_unlock (&sink->lock);
  return give_up;
}

gboolean
dm_sink_sleep_until (DmSink *sink, gint64 end_time)
{
  gboolean go_on;

  g_mutex_lock (&sink->lock);
  while (!sink->stopping)
    if (!g_cond_wait_until (&sink->cond, &sink->lock, end_time))
      break;
  go_on = !sink->stopping;
  g_mutex_unlock (&sink->lock);
  return go_on;
}

gboolean
dm_sink_deliver_each (DmSink *sink,
                      DmPart *const *parts,
                      const GString *const *lines,
                      guint n,
                      guint *n_done,
                      DmSinkDeliverOne one,
                      GError **error)
{
  for (*n_done = 0; *n_done < n; (*n_done)++)
    if (!one (sink, parts[*n_done], lines[*n_done], error))
      return FALSE;
  return TRUE;
}

/* Up to MAX_BATCH records from the reader, parsed. An unreadable line is
 * passed over and counted: the next record's position lies beyond it. */
static guint
read_batch (DmSink *sink,
            DmJournalReader *reader,
            const DmJournalPosition *limit,
            DmPart **parts,
            GString **lines,
            DmJournalPosition *after,
            GError **error)
{
  guint n = 0;

  while (n < MAX_BATCH)
    {
      g_autoptr (GError) bad = NULL;
      DmJournalRead got = dm_journal_reader_next (reader, limit, lines[n], &after[n], error);
      DmPart *part;

      if (got != DM_JOURNAL_READ_LINE)
        break;
      part = dm_part_from_json (lines[n]->str, lines[n]->len, sink->cursor_path, &bad);
      if (part == NULL)
        {
          g_warning ("%s: journal record after seq %" G_GUINT64_FORMAT " skipped: %s", sink->uri,
                     after[n].seq, bad->message);
          g_mutex_lock (&sink->lock);
          sink->skipped++;
          g_mutex_unlock (&sink->lock);
          continue;
        }
      if (part->seq <= sink->resume_seq && n == 0)
        {
          /* the receiver has it already (an output that reads back) */
          sink->cursor = after[0];
          dm_part_free (part);
          continue;
        }
      parts[n++] = part;
    }
  return n;
}

static void
advance (DmSink *sink, const DmJournalPosition *to, guint n_done)
{
  g_autoptr (GError) error = NULL;

  g_mutex_lock (&sink->lock);
  sink->cursor = *to;
  sink->delivered += n_done;
  g_mutex_unlock (&sink->lock);
  if (!dm_journal_cursor_save (sink->cursor_path, sink->uri, to, &error))
    /* the records are delivered; a lost cursor only means redelivery */
    g_warning ("%s: %s", sink->uri, error->message);
}

static gpointer
sink_thread (gpointer data)
{
  DmSink *sink = data;
  DmPart *parts[MAX_BATCH];
  GString *lines[MAX_BATCH];
  DmJournalPosition after[MAX_BATCH];
  g_autoptr (DmJournalReader) reader = NULL;
  gint64 backoff = BACKOFF_FIRST_US;

  for (guint i = 0; i < MAX_BATCH; i++)
    lines[i] = g_string_new (NULL);
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      DmJournalPosition committed;
      guint n, n_done = 0;
      gboolean stopping;

      g_mutex_lock (&sink->lock);
      stopping = sink->stopping;
      g_mutex_unlock (&sink->lock);
      if (dm_sink_should_give_up (sink))
        break;
      if (!sink->opened)
        {
          if (!sink->ops->open (sink, &error))
            {
              dm_sink_set_state (sink, "down: %s; retrying in %.1f s", error->message,
                                 (double)backoff * 1e-6);
              dm_sink_sleep_until (sink, MIN (g_get_monotonic_time () + backoff,
                                              stopping ? sink->drain_until : G_MAXINT64));
              backoff = MIN (backoff * 2, BACKOFF_MAX_US);
              continue;
            }
          sink->opened = TRUE;
          g_clear_pointer (&reader, dm_journal_reader_free);
        }
      if (reader == NULL)
        reader = dm_journal_reader_new (dm_journal_get_folder (sink->journal), &sink->cursor);
      dm_journal_get_committed (sink->journal, &committed);
      if (committed.seq <= sink->cursor.seq)
        {
          if (stopping)
            break; /* caught up */
          dm_sink_set_state (sink, "idle");
          dm_journal_wait (sink->journal, sink->cursor.seq,
                           g_get_monotonic_time () + 500 * G_TIME_SPAN_MILLISECOND);
          continue;
        }
      n = read_batch (sink, reader, &committed, parts, lines, after, &error);
      if (n == 0)
        {
          if (error != NULL)
            {
              dm_sink_set_state (sink, "cannot read the journal: %s", error->message);
              g_clear_pointer (&reader, dm_journal_reader_free);
              dm_sink_sleep_until (sink, g_get_monotonic_time () + backoff);
            }
          else
            /* read up to the committed end: only lines passed over */
            advance (sink, &committed, 0);
          continue;
        }
      dm_sink_set_state (sink, "delivering");
      if (!sink->ops->deliver (sink, parts, (const GString *const *)lines, n, &n_done, &error))
        {
          if (n_done > 0)
            advance (sink, &after[n_done - 1], n_done);
          /* from the cursor again once open */
          sink->ops->close (sink);
          sink->opened = FALSE;
          g_clear_pointer (&reader, dm_journal_reader_free);
          dm_sink_set_state (sink, "down: %s; retrying in %.1f s", error->message,
                             (double)backoff * 1e-6);
          dm_sink_sleep_until (sink, MIN (g_get_monotonic_time () + backoff,
                                          stopping ? sink->drain_until : G_MAXINT64));
          backoff = MIN (backoff * 2, BACKOFF_MAX_US);
        }
      else
        {
          advance (sink, &after[n - 1], n);
          backoff = BACKOFF_FIRST_US;
        }
      for (guint i = 0; i < n; i++)
        dm_part_free (parts[i]);
    }
  for (guint i = 0; i < MAX_BATCH; i++)
    g_string_free (lines[i], TRUE);
  return NULL;
}

void
dm_sink_start (DmSink *sink)
{
  sink->thread = g_thread_new ("station-sink", sink_thread, sink);
}

void
dm_sink_stop (DmSink *sink, gint64 drain_until)
{
  if (sink->thread == NULL)
    return;
  g_mutex_lock (&sink->lock);
  sink->stopping = TRUE;
  sink->drain_until = drain_until;
  g_cond_broadcast (&sink->cond);
  g_mutex_unlock (&sink->lock);
  dm_journal_wake (sink->journal);
  g_clear_pointer (&sink->thread, g_thread_join);
  if (sink->opened)
    {
      sink->ops->close (sink);
      sink->opened = FALSE;
    }
  {
    DmSinkStatus status;

    dm_sink_get_status (sink, &status);
    dm_sink_set_state (sink, "stopped (%s)", status.state);
    g_free (status.uri);
    g_free (status.state);
  }
}
