/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Work off the main thread as an object (as Sysprof's document loader): a
 * blocking function runs in a GTask thread; its state and error are
 * properties the pages bind to; progress reaches the main loop through one
 * coalesced idle; cancel stops the run and lets it say how far it got,
 * discard stops it and drops whatever it returns. One run per job: the
 * owner makes a new job for the next run. DmTrainJob and DmInspectJob add
 * their own properties; simple loads use a DmJob with a function. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  DM_JOB_READY, /* not started */
  DM_JOB_RUNNING,
  DM_JOB_SUCCEEDED,
  DM_JOB_FAILED,
  DM_JOB_CANCELLED, /* stopped by cancel (or discarded) */
} DmJobState;

#define DM_TYPE_JOB_STATE (dm_job_state_get_type ())
GType dm_job_state_get_type (void);

#define DM_TYPE_JOB (dm_job_get_type ())
G_DECLARE_DERIVABLE_TYPE (DmJob, dm_job, DM, JOB, GObject)

/* The work, on the worker thread: results go into data (the main thread
 * reads them once the job has finished). A stopped run fails with
 * DM_ERROR_CANCELLED or G_IO_ERROR_CANCELLED. */
typedef gboolean (*DmJobFunc) (DmJob *job,
                               gpointer data,
                               GCancellable *cancellable,
                               GError **error);

struct _DmJobClass
{
  GObjectClass parent_class;

  /* Worker thread: the work (the default calls the job's DmJobFunc). */
  gboolean (*run) (DmJob *self, GCancellable *cancellable, GError **error);
  /* Main thread, signal "progress": after one or more
   * dm_job_report_progress of the run; once more before "finished". */
  void (*progress) (DmJob *self);
  /* Main thread: the run has ended (never for a discarded job) and the
   * state is about to change: the subclass takes in the outcome. */
  void (*complete) (DmJob *self);
  /* Main thread, signal "finished": the run ended (never for a discarded
   * job); state and error are set. */
  void (*finished) (DmJob *self);
};

/* A job that runs func (data is the job's, freed with it). */
DmJob *dm_job_new (DmJobFunc func, gpointer data, GDestroyNotify data_free);
gpointer dm_job_get_data (DmJob *self);

void dm_job_start (DmJob *self);
/* Asks the run to stop: it ends as it sees fit (usually CANCELLED) and
 * "finished" tells. */
void dm_job_cancel (DmJob *self);
/* Stops the run and forgets it: CANCELLED at once, no more "progress"
 * nor "finished"; what the thread returns is freed unseen. */
void dm_job_discard (DmJob *self);
/* Discards *job and drops the reference (as g_clear_object). */
void dm_job_clear (DmJob **job);

DmJobState dm_job_get_state (DmJob *self);
/* TRUE from start to the end of the run (the "running" property). */
gboolean dm_job_is_running (DmJob *self);
/* Why the run failed (FAILED; CANCELLED: the stop's own message), else NULL. */
const GError *dm_job_get_error (DmJob *self);

/* Any thread: "progress" is emitted on the main loop soon; reports that
 * come faster than the main loop takes them cost one emission. */
void dm_job_report_progress (DmJob *self);

G_END_DECLS
