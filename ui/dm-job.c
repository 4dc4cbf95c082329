/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmJob: a blocking function in a GTask thread as an object with state,
 * error, progress (one coalesced idle) and cancellation. */
#include "config.h"

#include "dm-error.h"
#include "dm-job.h"

typedef struct
{
  DmJobFunc func;
  gpointer data;
  GDestroyNotify data_free;

  DmJobState state;
  GError *error;
  GCancellable *cancellable;
  gboolean discarded;

  GMutex lock;       /* guards progress_id, set from any thread */
  guint progress_id; /* the pending "progress" idle, or 0 */
} DmJobPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (DmJob, dm_job, G_TYPE_OBJECT)
G_DEFINE_ENUM_TYPE (DmJobState,
                    dm_job_state,
                    G_DEFINE_ENUM_VALUE (DM_JOB_READY, "ready"),
                    G_DEFINE_ENUM_VALUE (DM_JOB_RUNNING, "running"),
                    G_DEFINE_ENUM_VALUE (DM_JOB_SUCCEEDED, "succeeded"),
                    G_DEFINE_ENUM_VALUE (DM_JOB_FAILED, "failed"),
                    G_DEFINE_ENUM_VALUE (DM_JOB_CANCELLED, "cancelled"))

enum
{
  PROP_0,
  PROP_STATE,
  PROP_RUNNING,
  PROP_ERROR,
  N_PROPS
};

enum
{
  PROGRESS,
  FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

DmJob *
dm_job_new (DmJobFunc func, gpointer data, GDestroyNotify data_free)
{
  DmJob *self = g_object_new (DM_TYPE_JOB, NULL);
  DmJobPrivate *priv = dm_job_get_instance_private (self);

  priv->func = func;
  priv->data = data;
  priv->data_free = data_free;
  return self;
}

gpointer
dm_job_get_data (DmJob *self)
{
  DmJobPrivate *priv = dm_job_get_instance_private (self);

  g_return_val_if_fail (DM_IS_JOB (self), NULL);
  return priv->data;
}

static void
set_state (DmJob *self, DmJobState state, GError *error)
{
  DmJobPrivate *priv = dm_job_get_instance_private (self);
  gboolean was_running = priv->state == DM_JOB_RUNNING;

  g_clear_error (&priv->error);
  priv->error = error;
  priv->state = state;
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
  if (was_running != (state == DM_JOB_RUNNING))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_object_thaw_notify (G_OBJECT (self));
}

/* ---- progress: any thread -> main loop ---- */

static gboolean
emit_progress (gpointer data)
{
  DmJob *self = data;
  DmJobPrivate *priv = dm_job_get_instance_private (self);

  g_mutex_lock (&priv->lock);
  priv->progress_id = 0;
  g_mutex_unlock (&priv->lock);
  if (!priv->discarded)
    g_signal_emit (self, signals[PROGRESS], 0);
  return G_SOURCE_REMOVE;
}

void
dm_job_report_progress (DmJob *self)
{
  DmJobPrivate *priv = dm_job_get_instance_private (self);

  g_mutex_lock (&priv->lock);
  if (priv->progress_id == 0)
    priv->progress_id
      = g_idle_add_full (G_PRIORITY_DEFAULT, emit_progress, g_object_ref (self), g_object_unref);
  g_mutex_unlock (&priv->lock);
}

/* ---- the run ---- */

static gboolean
dm_job_real_run (DmJob *self, GCancellable *cancellable, GError **error)
{
  DmJobPrivate *priv = dm_job_get_instance_private (self);

  g_return_val_if_fail (priv->func != NULL, FALSE);
  return priv->func (self, priv->data, cancellable, error);
}

static void
run_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DmJob *self = task_data;
  GError *error = NULL;

  if (DM_JOB_GET_CLASS (self)->run (self, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_run_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DmJob) self = user_data;
  DmJobPrivate *priv = dm_job_get_instance_private (self);
  GError *error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);
  gboolean pending;

  if (priv->discarded)
    {
      g_clear_error (&error);
      return;
    }
  /* the last report is shown before the outcome */
  g_mutex_lock (&priv->lock);
  pending = priv->progress_id != 0;
  g_clear_handle_id (&priv->progress_id, g_source_remove);
  g_mutex_unlock (&priv->lock);
  if (pending)
    g_signal_emit (self, signals[PROGRESS], 0);
  if (DM_JOB_GET_CLASS (self)->complete != NULL)
    DM_JOB_GET_CLASS (self)->complete (self);
  if (ok)
    set_state (self, DM_JOB_SUCCEEDED, NULL);
  else if (g_error_matches (error, DM_ERROR, DM_ERROR_CANCELLED)
           || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    set_state (self, DM_JOB_CANCELLED, error);
  else
    set_state (self, DM_JOB_FAILED, error);
  g_signal_emit (self, signals[FINISHED], 0);
}

void
dm_job_start (DmJob *self)
{
  DmJobPrivate *priv = dm_job_get_instance_private (self);
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (DM_IS_JOB (self));
  g_return_if_fail (priv->state == DM_JOB_READY);
  priv->cancellable = g_cancellable_new ();
  set_state (self, DM_JOB_RUNNING, NULL);
  /* The job lives on until the run is done, held by the callback, which
   * runs on the main thread after the thread has returned: the last
   * reference (and the data with it) always goes on the main thread. The
   * task itself may be freed in the worker, so it holds nothing of ours. */
  task = g_task_new (NULL, priv->cancellable, on_run_done, g_object_ref (self));
  g_task_set_task_data (task, self, NULL);
  /* the run's own error tells a stop from a failure */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, run_thread);
}

void
dm_job_cancel (DmJob *self)
{
  DmJobPrivate *priv = dm_job_get_instance_private (self);

  g_return_if_fail (DM_IS_JOB (self));
  if (priv->cancellable != NULL)
    g_cancellable_cancel (priv->cancellable);
}

void
dm_job_discard (DmJob *self)
{
  DmJobPrivate *priv = dm_job_get_instance_private (self);

  g_return_if_fail (DM_IS_JOB (self));
  if (priv->discarded)
    return;
  priv->discarded = TRUE;
  dm_job_cancel (self);
  if (priv->state == DM_JOB_READY || priv->state == DM_JOB_RUNNING)
    set_state (self, DM_JOB_CANCELLED, NULL);
}

void
dm_job_clear (DmJob **job)
{
  g_return_if_fail (job != NULL);
  if (*job == NULL)
    return;
  dm_job_discard (*job);
  g_clear_object (job);
}

DmJobState
dm_job_get_state (DmJob *self)
{
  DmJobPrivate *priv = dm_job_get_instance_private (self);

  g_return_val_if_fail (DM_IS_JOB (self), DM_JOB_READY);
  return priv->state;
}

gboolean
dm_job_is_running (DmJob *self)
{
  return dm_job_get_state (self) == DM_JOB_RUNNING;
}

const GError *
dm_job_get_error (DmJob *self)
{
  DmJobPrivate *priv = dm_job_get_instance_private (self);

  g_return_val_if_fail (DM_IS_JOB (self), NULL);
  return priv->error;
}

/* ---- GObject ---- */

static void
dm_job_finalize (GObject *object)
{
  DmJob *self = DM_JOB (object);
  DmJobPrivate *priv = dm_job_get_instance_private (self);

  /* a pending idle holds a reference: none is left here */
  if (priv->data_free != NULL)
    g_clear_pointer (&priv->data, priv->data_free);
  g_clear_error (&priv->error);
  g_clear_object (&priv->cancellable);
  g_mutex_clear (&priv->lock);
  G_OBJECT_CLASS (dm_job_parent_class)->finalize (object);
}

static void
dm_job_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DmJob *self = DM_JOB (object);
  DmJobPrivate *priv = dm_job_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_STATE: g_value_set_enum (value, priv->state); break;
    case PROP_RUNNING: g_value_set_boolean (value, priv->state == DM_JOB_RUNNING); break;
    case PROP_ERROR: g_value_set_boxed (value, priv->error); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_job_class_init (DmJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dm_job_finalize;
  object_class->get_property = dm_job_get_property;
  klass->run = dm_job_real_run;

  properties[PROP_STATE]
    = g_param_spec_enum ("state", NULL, NULL, DM_TYPE_JOB_STATE, DM_JOB_READY,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_RUNNING]
    = g_param_spec_boolean ("running", NULL, NULL, FALSE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ERROR]
    = g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[PROGRESS]
    = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_FIRST,
                    G_STRUCT_OFFSET (DmJobClass, progress), NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[FINISHED]
    = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_FIRST,
                    G_STRUCT_OFFSET (DmJobClass, finished), NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
dm_job_init (DmJob *self)
{
  DmJobPrivate *priv = dm_job_get_instance_private (self);

  g_mutex_init (&priv->lock);
}
