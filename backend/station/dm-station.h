/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The inspection station: a trained model at work on the line, unattended.
 * Sources (hot folders, GStreamer pipelines, GenICam cameras, uploads
 * through `dinomaly serve`) hand parts to bounded queues; threads decode
 * and preprocess them, score them in micro-batches (DmInspector), decide
 * (dm_decider_run: score, regions and rules, in one place), and group-commit one record per part to
 * the journal (dm-journal.h), which is the truth; each output (dm-sink.h) delivers from the journal
 * with its own persisted cursor. No GTK, no GObject: the command line and the window's Line page
 * embed it; a second process attaches by reading the journal and FOLDER/status.json.
 *
 * Threads, each with one owner (the station) and one way to stop:
 *   source threads   -> intake queue (bounded: hot folders wait, cameras
 *                       drop the frame and count it)
 *   prepare threads  -> ready queue (decode, preprocess; failures go
 *                       straight to the commit queue as error records)
 *   scorer           -> commit queue (micro-batches: a batch closes when
 *                       full or max_wait after its first part)
 *   committer        (ids, kept images, one write + fdatasync per group,
 *                       then sources are told: hot folders move files)
 *   sink threads, a status thread (status.json every second). */
#pragma once

#include <glib.h>

#include "dm-image.h"
#include "dm-part.h"
#include "dm-rules.h"
#include "dm-thresholds.h"

G_BEGIN_DECLS

typedef struct _DmStation DmStation;

/* Every committed part, for an embedder's live view: called on the
 * committer thread (keep it short) with the record, its 256x256 map (NULL
 * for an error) and its picture, as the encoded bytes of a file or upload
 * or a camera's frame (either may be NULL). Everything is borrowed. */
typedef void (*DmStationPartFunc) (
  const DmPart *part, const float *map, GBytes *bytes, const DmImage *frame, gpointer user_data);

typedef struct
{
  /* the model */
  char *model_path;
  char *backbone_path; /* for a model that refers to its backbone, or NULL */
  /* the rules: class name -> DmThresholds* (dm_station_settings_set_class);
   * a class without an image threshold is refused */
  GHashTable *classes;
  /* class name -> DmRules* (dm_station_settings_set_rules): the inspection
   * rules (ROI, calibration, limits on regions) of the classes that have
   * them */
  GHashTable *rules;
  char *default_class; /* for sources and uploads that name none */

  /* where the parts come from and where the results go: URIs
   * (dm-source.h, dm-sink.h); sources may start with "CLASS=" */
  GPtrArray *sources;
  GPtrArray *sinks;

  char *journal;             /* the journal folder */
  char *name;                /* the station's name in part ids ("station") */
  int batch;                 /* the largest micro-batch (8) */
  int max_wait_ms;           /* the longest a part waits for its batch (20) */
  int queue;                 /* parts between the sources and the scorer (32) */
  int prepare_threads;       /* decoding threads (1) */
  int n_threads;             /* inference threads (0: all cores) */
  guint64 max_pixels;        /* the decoders' ceiling (0: default) */
  guint64 max_file_bytes;    /* files and uploads larger are error records (256 MiB) */
  guint64 segment_bytes;     /* journal segment size (0: default) */
  gboolean keep_images;      /* fails and uncertain parts keep image and map (TRUE) */
  gboolean accept_damaged;   /* score a damaged but decodable image, with a note (FALSE) */
  guint keep_passes;         /* and one pass in keep_passes too (0: none), for
                              * the feedback loop (dm-station-feedback.h) */
  guint model_version;       /* the project's model version, in every record (0: none) */
  double drain_seconds;      /* how long stop waits for outputs to catch up (10) */
  DmStationPartFunc on_part; /* or NULL */
  gpointer on_part_data;
} DmStationSettings;

void dm_station_settings_init (DmStationSettings *settings);
void dm_station_settings_clear (DmStationSettings *settings);
/* The thresholds of a class (copied; a second call replaces). */
void dm_station_settings_set_class (DmStationSettings *settings,
                                    const char *name,
                                    const DmThresholds *thresholds);
/* The inspection rules of a class (copied; NULL or empty rules remove). */
void
dm_station_settings_set_rules (DmStationSettings *settings, const char *name, const DmRules *rules);

typedef enum
{
  DM_STATION_IDLE,     /* made, not started */
  DM_STATION_RUNNING,  /* taking parts */
  DM_STATION_PAUSED,   /* not taking parts; outputs still deliver */
  DM_STATION_STALLED,  /* the journal cannot be written (a full disk):
                        * not taking parts until it can */
  DM_STATION_STOPPING, /* draining */
  DM_STATION_STOPPED,
} DmStationState;

const char *dm_station_state_name (DmStationState state);

/* ---- status: a snapshot, readable from any thread ---- */

typedef struct
{
  char *uri;
  char *state;      /* "running", "reconnecting in 2 s: ...", "ended", ... */
  guint64 taken;    /* parts handed to the station */
  guint64 dropped;  /* frames dropped: the intake queue was full */
  guint64 skipped;  /* frames not taken while paused or stalled */
  guint64 failures; /* connection losses / pipeline errors */
} DmSourceStatus;

typedef struct
{
  char *uri;
  char *state;        /* "delivering", "idle", "down: ...", "paused" */
  guint64 delivered;  /* records since start */
  guint64 backlog;    /* committed records not yet delivered */
  guint64 skipped;    /* unreadable journal lines passed over */
  guint64 cursor_seq; /* the last record delivered */
} DmSinkStatus;

#define DM_STATION_N_LATENCY_BUCKETS 12

typedef struct
{
  DmStationState state;
  char *message;         /* why stalled or stopped, or NULL */
  gint64 started_us;     /* wall clock */
  guint64 counts[4];     /* since start: pass, uncertain, fail, error */
  guint64 last_seq;      /* the journal's last committed record */
  double rate;           /* parts per second over the last 10 s */
  double latency_p50_ms; /* acquisition -> committed, last 1024 parts */
  double latency_p99_ms;
  /* cumulative histogram of every latency since start, seconds:
   * bounds[i] (last +inf) and counts at or below */
  double latency_bounds[DM_STATION_N_LATENCY_BUCKETS];
  guint64 latency_counts[DM_STATION_N_LATENCY_BUCKETS];
  double latency_sum_s;
  guint intake, intake_capacity; /* queue depths */
  guint ready, committing;
  guint n_sources;
  DmSourceStatus *sources;
  guint n_sinks;
  DmSinkStatus *sinks;
} DmStationStatus;

void dm_station_status_clear (DmStationStatus *status);
/* The snapshot as JSON (what FOLDER/status.json holds, one object). */
char *dm_station_status_to_json (const DmStationStatus *status);
/* status.json read back (a station in another process): at most
 * DM_STATION_STATUS_MAX_BYTES, sources and outputs past the first
 * DM_STATION_STATUS_MAX_ITEMS left out; *updated_us (may be NULL) gets
 * when the station wrote it (0: unknown). The status is filled (clear it)
 * only on TRUE. what names the file in messages. */
#define DM_STATION_STATUS_MAX_BYTES (1 << 20)
#define DM_STATION_STATUS_MAX_ITEMS 256
gboolean dm_station_status_from_json (const char *text,
                                      gsize len,
                                      const char *what,
                                      DmStationStatus *status,
                                      gint64 *updated_us,
                                      GError **error);
/* The snapshot as Prometheus text (GET /metrics). */
char *dm_station_status_to_prometheus (const DmStationStatus *status);

/* ---- life ---- */

/* Loads the model, opens the journal (taking its lock), makes the sources
 * and outputs from their URIs. Nothing runs yet. Errors name the model
 * file, the journal folder or the URI and the problem. */
DmStation *dm_station_new (const DmStationSettings *settings, GError **error);
/* Starts every thread. FALSE when a source cannot start (a hot folder that
 * does not exist...): nothing runs then. */
gboolean dm_station_start (DmStation *station, GError **error);
void dm_station_pause (DmStation *station);
void dm_station_resume (DmStation *station);
/* Stops the sources, lets every part in the queues be decided and
 * committed, gives the outputs drain_seconds to catch up, joins every
 * thread. Safe to call twice. */
void dm_station_stop (DmStation *station);
/* Stops when running, then frees. */
void dm_station_free (DmStation *station);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmStation, dm_station_free)

void dm_station_get_status (DmStation *station, DmStationStatus *status);
const char *dm_station_get_model_sha256 (DmStation *station);
const char *dm_station_get_journal_folder (DmStation *station);
/* TRUE when the station has rules for that class. */
gboolean dm_station_has_class (DmStation *station, const char *name);
/* The classes it has rules for, sorted (g_strfreev). */
char **dm_station_get_classes (DmStation *station);
/* Asks every thread to notice a stop or a status change now (signals). */
void dm_station_wake (DmStation *station);

/* The GigE Vision and USB3 Vision cameras Aravis finds now (blocking: a
 * discovery takes about a second): their IDs for a "genicam:ID" source,
 * and for each a line for people ("Aravis-Fake-GV01, GigEVision at
 * 127.0.0.1"). Both NULL-terminated, g_strfreev. */
void dm_station_list_cameras (char ***ids, char ***descriptions);

/* ---- uploads (dinomaly serve) ---- */

/* Called on the committer thread once the upload's record is committed:
 * the record, when asked for the 256x256 map (NULL for an error), and for
 * an error record the DM_ERROR code of the reason (DM_ERROR_TOO_LARGE for
 * an image over the pixel limit...), else 0. */
typedef void (*DmStationResultFunc) (const DmPart *part,
                                     const float *map,
                                     int error_code,
                                     gpointer user_data);

/* Hands encoded image bytes to the station as a part of class (NULL: the
 * default class) from source (its name in records). FALSE without
 * waiting when the station is not taking parts or its queue is full (the
 * caller answers 503); func is not called then. */
gboolean dm_station_submit_bytes (DmStation *station,
                                  const char *source,
                                  const char *class_name,
                                  GBytes *bytes,
                                  gboolean want_map,
                                  DmStationResultFunc func,
                                  gpointer user_data);

/* The same for a decoded frame (taken; freed when refused) with its frame
 * number: for embedders with frames of their own (a camera view of the
 * window, `dinomaly bench station`'s clock). FALSE, without waiting, when
 * the station is not taking parts or its queue is full: the frame is
 * dropped then and the caller counts it. */
gboolean dm_station_submit_image (DmStation *station,
                                  const char *source,
                                  const char *class_name,
                                  DmImage *image,
                                  gint64 frame,
                                  DmStationResultFunc func,
                                  gpointer user_data);

G_END_DECLS
