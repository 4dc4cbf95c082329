/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the station's tests share: the tiny model, parts to score, the
 * reference scores (dm_inspect_run, the code `dinomaly predict` and the
 * window use), records read back, free ports, programs run and stopped. */
#pragma once

#include <gio/gio.h>

#include "dm-part.h"
#include "dm-thresholds.h"

G_BEGIN_DECLS

/* dir/tiny.dinomaly: the tiny model, one class "part", no thresholds. */
char *dm_test_station_model (const char *dir);

/* n noise PNGs dir/part-NN.png (64 x 48; every third with a bright
 * patch), seeded; their paths (g_strfreev). */
char **dm_test_station_parts (const char *dir, guint n, guint64 seed);

/* Scores and maps (may be NULL: (n, 256, 256)) of files through
 * dm_inspect_run. */
void dm_test_station_reference (const char *model, char **files, float *scores, float *maps);

/* Thresholds that split the scores: image at the median, a band around it
 * from the 30th to the 70th percentile. */
void dm_test_station_thresholds (const float *scores, guint n, DmThresholds *t);

/* The records of a JSON Lines file (DmPart*), in order. */
GPtrArray *dm_test_station_read_records (const char *path);
/* Waits until path holds at least n lines (FALSE after timeout_s). */
gboolean dm_test_station_wait_lines (const char *path, guint n, double timeout_s);
/* Lines in a file (0 when missing). */
guint dm_test_station_count_lines (const char *path);

/* Asserts that records are seqs 1..n and name every file once. */
void dm_test_station_assert_exactly_once (GPtrArray *records, guint n);

/* A TCP port nobody listens on at 127.0.0.1 now. */
int dm_test_station_free_port (void);
/* TRUE once something accepts connections on 127.0.0.1:port. */
gboolean dm_test_station_wait_port (int port, double timeout_s);

/* Starts argv (NULL-terminated) with stdout and stderr to log_path. */
GSubprocess *dm_test_station_spawn (const char *const *argv, const char *log_path);
/* SIGTERM, then waits (SIGKILL after timeout_s); the exit status. */
int dm_test_station_stop (GSubprocess *process, double timeout_s);
/* SIGKILL, then waits. */
void dm_test_station_kill (GSubprocess *process);

/* The argv of `dinomaly station` with the given options after it
 * (NULL-terminated list of const char *); g_strfreev. */
char **dm_test_station_argv (const char *cli, const char *command, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS

G_BEGIN_DECLS

/* Every record of a journal folder, in order (DmPart*). */
GPtrArray *dm_test_station_read_journal (const char *folder);

/* A program on the PATH or in /usr/sbin (the broker), or NULL. */
char *dm_test_station_find_program (const char *name);

/* ---- an MQTT broker (Debian's mosquitto) on 127.0.0.1 ---- */

typedef struct _DmTestBroker DmTestBroker;

/* Starts `mosquitto -c dir/mosquitto.conf` (a listener on 127.0.0.1:port,
 * anonymous, persistence in dir); NULL when mosquitto is not installed. */
DmTestBroker *dm_test_broker_start (const char *dir, int port);
/* SIGTERM (the broker saves its sessions) and wait. */
void dm_test_broker_stop (DmTestBroker *broker);
/* Starts it again after a stop. */
void dm_test_broker_restart (DmTestBroker *broker);
void dm_test_broker_free (DmTestBroker *broker);

/* ---- a subscriber (libmosquitto) with a persistent session ---- */

typedef struct _DmTestSubscriber DmTestSubscriber;

/* Subscribes to topic (QoS 1) as client_id, clean_session false, and
 * reconnects by itself. */
DmTestSubscriber *dm_test_subscriber_new (int port, const char *topic, const char *client_id);
/* The payloads received so far on topics ending with suffix (g_strfreev). */
char **dm_test_subscriber_messages (DmTestSubscriber *sub, const char *suffix);
guint dm_test_subscriber_count (DmTestSubscriber *sub, const char *suffix);
void dm_test_subscriber_free (DmTestSubscriber *sub);

/* ---- what arrived against what the journal holds ---- */

typedef struct
{
  guint produced;    /* records in the journal */
  guint received;    /* records that arrived, repeats included */
  guint delivered;   /* distinct ids among them */
  guint duplicates;  /* repeats (same id and the same record) */
  guint lost;        /* journal records that never arrived */
  gboolean in_order; /* first arrivals in journal order */
} DmTestDelivery;

/* Compares the record lines that arrived with the journal's records;
 * asserts that a repeat carries the same record as its first arrival. */
void dm_test_station_delivery (GPtrArray *journal, char **lines, DmTestDelivery *d);
void dm_test_station_print_delivery (const char *what, const DmTestDelivery *d);

G_END_DECLS

G_BEGIN_DECLS

/* ---- a PLC: a libmodbus TCP server in a thread of the test ---- */

typedef struct
{
  guint16 regs[5]; /* holding registers 0..4 after a write of them */
  guint8 coils[4]; /* coils 0..3 at that moment */
} DmTestPlcWrite;

typedef struct _DmTestPlc DmTestPlc;

DmTestPlc *dm_test_plc_start (int port);
/* Closes the connection and stops listening (the PLC goes away). */
void dm_test_plc_stop (DmTestPlc *plc);
/* The register writes seen so far (DmTestPlcWrite), a copy. */
GArray *dm_test_plc_writes (DmTestPlc *plc);

G_END_DECLS

G_BEGIN_DECLS

/* ---- a webhook receiver: a libsoup server in a thread of the test ---- */

typedef struct
{
  GMainContext *context;
  GMainLoop *loop;
  struct _SoupServer *server;
  GThread *thread;
  int port;     /* on 127.0.0.1; POST to /hook */
  gint failing; /* atomic: set to answer 503 */
  GMutex lock;
  GPtrArray *bodies; /* accepted records, in arrival order */
  guint refused;     /* requests answered 503 */
  guint bad_keys;    /* Idempotency-Key not the record's id */
} DmTestReceiver;

DmTestReceiver *dm_test_receiver_start (void);
/* The accepted records so far (g_strfreev). */
char **dm_test_receiver_lines (DmTestReceiver *receiver);
void dm_test_receiver_free (DmTestReceiver *receiver);

G_END_DECLS
