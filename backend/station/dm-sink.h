/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The station's outputs. Each delivers the journal's records in order from
 * its own cursor (FOLDER/cursors/<name>.json, written by atomic rename
 * after every delivered batch), in its own thread: an output that is down
 * delays its records, it never loses or reorders one; a record delivered
 * again after a crash carries the same id. Kinds:
 *
 *   jsonl:PATH                 the record lines appended to a file
 *   csv:PATH                   one CSV row per record (header on a new file)
 *   mqtt://HOST:PORT/PREFIX    QoS 1, one message per record on PREFIX/parts;
 *                              PREFIX/status retained: online, paused,
 *                              stalled, offline (also the last will)
 *   http://HOST:PORT/PATH      one POST per record (JSON body, header
 *                              Idempotency-Key: the id), 2xx acknowledges;
 *                              https:// alike
 *   modbus://HOST:PORT/UNIT    the decision on coils and holding registers
 *                              of a PLC (dm-sink-modbus.c has the map)
 *
 * Failures are retried with back-off (0.5 s doubling to 30 s). */
#pragma once

#include "dm-journal.h"
#include "dm-station.h"

G_BEGIN_DECLS

typedef struct _DmSink DmSink;

typedef struct
{
  const char *kind;
  /* connects; FALSE: retried after the back-off */
  gboolean (*open) (DmSink *sink, GError **error);
  /* delivers n records in order (parts parsed, lines as journaled);
   * *n_done: how many, from the first, the receiver acknowledged. FALSE
   * with the reason when it stopped short (then close, back-off, open). */
  gboolean (*deliver) (DmSink *sink,
                       DmPart *const *parts,
                       const GString *const *lines,
                       guint n,
                       guint *n_done,
                       GError **error);
  void (*close) (DmSink *sink);
  /* the station changed state (may be NULL) */
  void (*station_state) (DmSink *sink, DmStationState state);
  void (*free) (DmSink *sink);
} DmSinkOps;

struct _DmSink
{
  const DmSinkOps *ops;
  gpointer impl;
  DmJournal *journal;
  char *uri;
  char *cursor_path;
  DmJournalPosition cursor; /* after the last delivered record */
  /* set by open: records up to this seq are already at the receiver
   * (a file output read its own last line) */
  guint64 resume_seq;

  GThread *thread;
  GMutex lock; /* guards what follows */
  GCond cond;
  gboolean stopping;
  gint64 drain_until; /* monotonic: stop delivering then */
  char *state;
  guint64 delivered, skipped;
  gboolean opened;
};

/* Makes the output of uri (its cursor read from the journal folder);
 * errors name the URI. */
DmSink *dm_sink_new (DmJournal *journal, const char *uri, GError **error);
void dm_sink_free (DmSink *sink);
void dm_sink_start (DmSink *sink);
/* Delivers what is committed until drain_until (monotonic), then ends;
 * joins the thread. */
void dm_sink_stop (DmSink *sink, gint64 drain_until);
void dm_sink_station_state (DmSink *sink, DmStationState state);
void dm_sink_get_status (DmSink *sink, DmSinkStatus *status);

/* For the kinds: */
void dm_sink_set_state (DmSink *sink, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* TRUE once the sink should stop waiting (stopping and past its drain
 * deadline, or caught up). Used by kinds that wait for acknowledgements. */
gboolean dm_sink_should_give_up (DmSink *sink);
/* Sleeps until end_time (monotonic) or until the sink stops (FALSE). */
gboolean dm_sink_sleep_until (DmSink *sink, gint64 end_time);

/* For kinds that acknowledge record by record: delivers each with one
 * (in order), stopping at the first failure; *n_done the ones done. */
typedef gboolean (*DmSinkDeliverOne) (DmSink *sink,
                                      const DmPart *part,
                                      const GString *line,
                                      GError **error);
gboolean dm_sink_deliver_each (DmSink *sink,
                               DmPart *const *parts,
                               const GString *const *lines,
                               guint n,
                               guint *n_done,
                               DmSinkDeliverOne one,
                               GError **error);

gboolean dm_sink_file_init (DmSink *sink, const char *kind, const char *path, GError **error);
gboolean dm_sink_mqtt_init (DmSink *sink, GError **error);
gboolean dm_sink_http_init (DmSink *sink, GError **error);
gboolean dm_sink_modbus_init (DmSink *sink, GError **error);

G_END_DECLS
