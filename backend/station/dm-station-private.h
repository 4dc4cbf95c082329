/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the station's parts share: a part on its way through the threads
 * (DmStationJob), the sources' side of the station, and the source object
 * every kind of source fills in (dm-source-*.c). */
#pragma once

#include "dm-bounded-queue.h"
#include "dm-decider.h"
#include "dm-image.h"
#include "dm-inspector.h"
#include "dm-journal.h"
#include "dm-station-stats.h"
#include "dm-station.h"

G_BEGIN_DECLS

typedef struct _DmSource DmSource;

/* One part on its way: made by a source, freed by the committer. */
typedef struct
{
  DmPart *part;         /* the record: the source fills source, class, file
                         * or frame and acquired; the rest on the way */
  DmSource *source;     /* NULL for uploads */
  gint64 acquired_mono; /* monotonic time of acquisition (latency) */
  /* what to score: one of these three */
  char *path;     /* a file to read (hot folders) */
  GBytes *bytes;  /* encoded bytes (uploads; files once read) */
  DmImage *image; /* a decoded frame (cameras) */
  /* on the way */
  const DmDecider *decider; /* the class's rules, set on submit */
  float *x;                 /* (3, crop, crop) the model's input */
  float *map;               /* (256, 256) once scored */
  int error_code;           /* DM_ERROR code of an error record's reason */
  gboolean keep;            /* its image and map are kept (decided when scored) */
  /* uploads */
  gboolean want_map;
  DmStationResultFunc func;
  gpointer user_data;
} DmStationJob;

DmStationJob *dm_station_job_new (DmSource *source, const char *class_name);
void dm_station_job_free (DmStationJob *job);

/* ---- the station itself (dm-station.c, dm-station-work.c) ---- */

/* Records committed in one group at most. */
#define DM_STATION_MAX_GROUP 256

struct _DmStation
{
  DmStationSettings settings; /* a deep copy */
  DmInspector *inspector;
  DmModelInfo *info;
  GHashTable *deciders; /* class name -> DmDecider*: thresholds and rules */
  char *model_sha256;
  DmJournal *journal;
  GPtrArray *sources; /* DmSource* */
  GPtrArray *sinks;   /* DmSink* */

  DmBoundedQueue *intake, *ready, *commit;
  GPtrArray *preparers; /* GThread* */
  GThread *scorer, *committer, *status_thread;
  gint preparing; /* atomic: jobs between the intake and the ready queue */

  GMutex lock; /* guards state, message, paused, stalled, the wake-ups */
  GCond cond;
  DmStationState state;
  char *message;
  gboolean paused, stalled, started;
  gint stopping;  /* atomic */
  gint accepting; /* atomic: running, not paused, not stalled */

  guint64 next_seq; /* committer only */
  guint64 passes;   /* scorer only: passes so far, for the sample kept */
  DmStationStats stats;
};

void dm_station_job_fail (DmStationJob *job, const GError *error);
/* error NULL: the journal is written again. */
void dm_station_set_stalled (DmStation *station, const GError *error);
/* The largest batch size the scorer runs for n parts: powers of two
 * below max_batch, and max_batch. */
int dm_station_allowed_batch (int n, int max_batch);
gpointer dm_station_prepare_thread (gpointer data);
gpointer dm_station_scorer_thread (gpointer data);
gpointer dm_station_committer_thread (gpointer data);

/* ---- for sources ---- */

/* Running, not paused and the journal writable. */
gboolean dm_station_accepting (DmStation *station);
/* The station is stopping: sources end their loops. */
gboolean dm_station_stopping (DmStation *station);
/* Hands a job to the intake queue (the station owns it then: TRUE). wait:
 * block while the queue is full (until the station stops); else FALSE at
 * once when full. FALSE also while not accepting. The job stays the
 * caller's on FALSE. */
gboolean dm_station_submit (DmStation *station, DmStationJob *job, gboolean wait);
/* Sleeps up to us microseconds; returns early (FALSE) when stopping. */
gboolean dm_station_sleep (DmStation *station, gint64 us);
const DmStationSettings *dm_station_get_settings (DmStation *station);

/* ---- sources ---- */

typedef struct
{
  const char *kind;
  /* starts the source's thread */
  gboolean (*start) (DmSource *source, GError **error);
  /* ends it (the station is stopping) and joins it */
  void (*stop) (DmSource *source);
  /* on the committer thread, before the record is written: last members
   * (a hot folder's moved_to); may be NULL */
  void (*record) (DmSource *source, DmStationJob *job);
  /* on the committer thread, once the record is committed (a hot folder
   * moves the file); may be NULL */
  void (*done) (DmSource *source, DmStationJob *job);
  void (*free) (DmSource *source);
} DmSourceOps;

struct _DmSource
{
  const DmSourceOps *ops;
  gpointer impl;
  DmStation *station;
  char *uri;        /* as given, without "CLASS=" */
  char *class_name; /* the class of its parts */

  GMutex lock; /* guards the status below */
  char *state;
  guint64 taken, dropped, skipped, failures;
};

/* Parses "[CLASS=]KIND:ARGUMENT" and makes the source of that kind
 * (folder:, gst:, genicam:, generate:). */
DmSource *dm_source_new (DmStation *station, const char *spec, GError **error);
void dm_source_free (DmSource *source);
void dm_source_set_state (DmSource *source, const char *format, ...) G_GNUC_PRINTF (2, 3);
void dm_source_get_status (DmSource *source, DmSourceStatus *status);
/* A camera frame (taken) as a part: submitted without waiting; a full
 * queue drops it (counted), a station not accepting skips it (counted). */
void dm_source_submit_frame (DmSource *source, DmImage *image, gint64 frame);

/* The kinds: each fills source->ops and source->impl from its argument. */
gboolean dm_source_folder_init (DmSource *source, const char *argument, GError **error);
gboolean dm_source_gst_init (DmSource *source, const char *argument, GError **error);
gboolean dm_source_genicam_init (DmSource *source, const char *argument, GError **error);
gboolean dm_source_generate_init (DmSource *source, const char *argument, GError **error);

/* Splits "a=1&b=2" into a table (keys and values owned); FALSE naming the
 * bad key when a key is not in allowed (NULL-terminated). */
GHashTable *dm_station_parse_options (const char *uri,
                                      const char *query,
                                      const char *const *allowed,
                                      GError **error);
/* An option as a number in [low, high], or fallback when absent. */
gboolean dm_station_option_double (GHashTable *options,
                                   const char *uri,
                                   const char *key,
                                   double low,
                                   double high,
                                   double *value,
                                   GError **error);

G_END_DECLS
