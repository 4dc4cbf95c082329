/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmTrainJob: dm_project_train_run in a DmJob thread. The worker never
 * touches what the properties show: each report lands in a mutex-guarded
 * slot (the latest report, the losses since the last one shown) and the
 * job's coalesced "progress" moves it into the properties, so a burst of
 * reports costs the main loop one update. */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <math.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dm-checkpoint.h"
#include "dm-train-job.h"

/* The run takes every core; at a lower priority (Linux keeps a nice value
 * per thread, and the OpenMP threads this thread starts inherit it) the
 * window still gets the CPU at once when it has a frame to draw. */
#define TRAIN_NICE 10

struct _DmTrainJob
{
  DmJob parent_instance;

  DmProjectTrain *train;
  char *checkpoint; /* resuming: the checkpoint whose losses come first */

  /* what the properties show (main thread) */
  DmProjectTrainPhase phase;
  gint64 iteration, start_iteration, total;
  double loss, images_per_second, time_left, seconds_per_iteration, fraction;
  int images_done, n_images;
  GArray *losses;   /* DmTrainJobLoss (one model per class: the class's) */
  char *class_name; /* one model per class: the class trained, else NULL */
  guint class_index, n_classes;
  gboolean ended; /* the run returned: the outcome is readable */
  gboolean has_model;
  char **problems;

  GMutex lock; /* guards what follows: worker -> main */
  DmProjectTrainProgress latest;
  DmTrainProgress latest_train;
  gboolean has_latest;
  GArray *pending;    /* DmTrainJobLoss since the last "progress" */
  char *latest_class; /* a copy: the run's own goes with its class */
  guint latest_index, latest_n;
  gboolean class_changed; /* pending's losses are the new class's */
};

G_DEFINE_FINAL_TYPE (DmTrainJob, dm_train_job, DM_TYPE_JOB)
G_DEFINE_ENUM_TYPE (DmProjectTrainPhase,
                    dm_project_train_phase,
                    G_DEFINE_ENUM_VALUE (DM_PROJECT_TRAIN_LOADING, "loading"),
                    G_DEFINE_ENUM_VALUE (DM_PROJECT_TRAIN_CACHING, "caching"),
                    G_DEFINE_ENUM_VALUE (DM_PROJECT_TRAIN_TRAINING, "training"),
                    G_DEFINE_ENUM_VALUE (DM_PROJECT_TRAIN_SAVING, "saving"),
                    G_DEFINE_ENUM_VALUE (DM_PROJECT_TRAIN_SCORING, "scoring"))

enum
{
  PROP_0,
  PROP_PHASE,
  PROP_ITERATION,
  PROP_TOTAL,
  PROP_LOSS,
  PROP_IMAGES_PER_SECOND,
  PROP_TIME_LEFT,
  PROP_SECONDS_PER_ITERATION,
  PROP_IMAGES_DONE,
  PROP_N_IMAGES,
  PROP_FRACTION,
  PROP_N_LOSSES,
  PROP_HAS_MODEL,
  PROP_PROBLEMS,
  PROP_CLASS_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

DmTrainJob *
dm_train_job_new (const DmProject *project, gboolean resume, int n_threads, GError **error)
{
  DmProjectTrain *train = dm_project_train_new (project, resume, n_threads, error);
  DmTrainJob *self;
  DmTrainSettings s;
  gint64 total = 0;

  if (train == NULL)
    return NULL;
  self = g_object_new (DM_TYPE_TRAIN_JOB, NULL);
  self->train = train;
  if (resume && dm_project_train_can_resume (project, NULL, &total))
    self->checkpoint = g_build_filename (project->folder, "checkpoints", DM_CHECKPOINT_FILE, NULL);
  else
    {
      dm_project_train_settings (project, &s, NULL);
      total = s.total_iters;
      dm_train_settings_clear (&s);
    }
  self->total = total;
  return self;
}

/* ---- worker -> main loop ---- */

static void
push_loss (DmTrainJob *self, gint64 iteration, float loss)
{
  DmTrainJobLoss point = { iteration, loss };

  g_array_append_val (self->pending, point);
}

/* Worker thread. */
static void
on_train_progress (const DmProjectTrainProgress *p, gpointer user_data)
{
  DmTrainJob *self = user_data;

  g_mutex_lock (&self->lock);
  self->latest = *p;
  self->latest.class_name = NULL;
  if (p->n_classes > 0
      && (g_strcmp0 (p->class_name, self->latest_class) != 0
          || p->class_index != self->latest_index))
    {
      /* another class: its curve starts anew */
      g_free (self->latest_class);
      self->latest_class = g_strdup (p->class_name);
      self->latest_index = p->class_index;
      self->latest_n = p->n_classes;
      self->class_changed = TRUE;
      g_array_set_size (self->pending, 0);
    }
  if (p->train != NULL)
    {
      self->latest_train = *p->train;
      /* borrowed for the call only: the run keeps the messages itself */
      self->latest_train.skipped = NULL;
      self->latest_train.n_new_skipped = 0;
      /* the page draws every iteration, also those no "progress" showed */
      if (p->phase == DM_PROJECT_TRAIN_TRAINING)
        push_loss (self, p->train->iteration, (float)p->train->loss);
    }
  self->has_latest = TRUE;
  g_mutex_unlock (&self->lock);
  dm_job_report_progress (DM_JOB (self));
}

/* Worker thread: a resumed run's curve starts with the iterations the
 * checkpoint ran. */
static void
read_checkpoint_losses (DmTrainJob *self)
{
  DmCheckpointState st;

  dm_checkpoint_state_init (&st);
  if (dm_checkpoint_read_state (self->checkpoint, &st, NULL) && st.losses != NULL)
    {
      g_mutex_lock (&self->lock);
      for (guint i = 0; i < st.losses->len; i++)
        push_loss (self, st.first_iter + i, g_array_index (st.losses, float, i));
      g_mutex_unlock (&self->lock);
      dm_job_report_progress (DM_JOB (self));
    }
  dm_checkpoint_state_clear (&st);
}

static gboolean
dm_train_job_run (DmJob *job, GCancellable *cancellable, GError **error)
{
  DmTrainJob *self = DM_TRAIN_JOB (job);

  if (setpriority (PRIO_PROCESS, (id_t)syscall (SYS_gettid), TRAIN_NICE) != 0)
    g_debug ("could not lower the training thread's priority: %s", g_strerror (errno));
  if (self->checkpoint != NULL)
    read_checkpoint_losses (self);
  return dm_project_train_run (self->train, on_train_progress, self, cancellable, error);
}

static void
set_double (DmTrainJob *self, double *field, double value, int prop)
{
  if (*field == value || (isnan (*field) && isnan (value)))
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_int64 (DmTrainJob *self, gint64 *field, gint64 value, int prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_int (DmTrainJob *self, int *field, int value, int prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
show_training (DmTrainJob *self, const DmTrainProgress *t)
{
  gint64 done = t->iteration + 1 - t->start_iter, span = MAX (t->end_iter - t->start_iter, 1);

  self->start_iteration = t->start_iter;
  set_int64 (self, &self->iteration, t->iteration + 1, PROP_ITERATION);
  set_int64 (self, &self->total, t->end_iter, PROP_TOTAL);
  set_double (self, &self->loss, t->loss, PROP_LOSS);
  set_double (self, &self->images_per_second, t->images_per_s, PROP_IMAGES_PER_SECOND);
  set_double (self, &self->time_left, t->eta_s, PROP_TIME_LEFT);
  set_double (self, &self->fraction, CLAMP ((double)done / span, 0, 1), PROP_FRACTION);
  /* measured on the iterations run so far (the first ones settle in) */
  if (done >= 1 && t->images_per_s > 0)
    set_double (self, &self->seconds_per_iteration, t->elapsed_s / (double)done,
                PROP_SECONDS_PER_ITERATION);
}

static void
show_report (DmTrainJob *self, const DmProjectTrainProgress *p)
{
  if (self->phase != p->phase)
    {
      self->phase = p->phase;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PHASE]);
    }
  switch (p->phase)
    {
    case DM_PROJECT_TRAIN_LOADING: set_double (self, &self->fraction, -1, PROP_FRACTION); break;
    case DM_PROJECT_TRAIN_CACHING:
      set_int (self, &self->images_done, p->train->images_done, PROP_IMAGES_DONE);
      set_int (self, &self->n_images, p->train->n_images, PROP_N_IMAGES);
      set_double (self, &self->fraction,
                  (double)p->train->images_done / MAX (p->train->n_images, 1), PROP_FRACTION);
      break;
    case DM_PROJECT_TRAIN_TRAINING: show_training (self, p->train); break;
    case DM_PROJECT_TRAIN_SAVING: break;
    case DM_PROJECT_TRAIN_SCORING:
      set_int (self, &self->images_done, (int)p->scored, PROP_IMAGES_DONE);
      set_int (self, &self->n_images, (int)p->n_to_score, PROP_N_IMAGES);
      set_double (self, &self->fraction, (double)p->scored / MAX (p->n_to_score, 1), PROP_FRACTION);
      break;
    }
}

static void
dm_train_job_progress (DmJob *job)
{
  DmTrainJob *self = DM_TRAIN_JOB (job);
  DmProjectTrainProgress latest;
  DmTrainProgress latest_train;
  gboolean has_latest, class_changed;
  guint n_before = self->losses->len;

  g_mutex_lock (&self->lock);
  latest = self->latest;
  latest_train = self->latest_train;
  has_latest = self->has_latest;
  self->has_latest = FALSE;
  class_changed = self->class_changed;
  self->class_changed = FALSE;
  if (class_changed)
    {
      g_free (self->class_name);
      self->class_name = g_strdup (self->latest_class);
      self->class_index = self->latest_index;
      self->n_classes = self->latest_n;
      g_array_set_size (self->losses, 0);
      n_before = G_MAXUINT;
    }
  g_array_append_vals (self->losses, self->pending->data, self->pending->len);
  g_array_set_size (self->pending, 0);
  g_mutex_unlock (&self->lock);

  g_object_freeze_notify (G_OBJECT (self));
  if (class_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLASS_NAME]);
  if (has_latest)
    {
      if (latest.train != NULL)
        latest.train = &latest_train;
      show_report (self, &latest);
    }
  if (self->losses->len != n_before)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_LOSSES]);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
dm_train_job_complete (DmJob *job)
{
  DmTrainJob *self = DM_TRAIN_JOB (job);
  GPtrArray *problems = dm_project_train_get_problems (self->train);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; problems != NULL && i < problems->len; i++)
    g_strv_builder_add (builder, problems->pdata[i]);
  g_strfreev (self->problems);
  self->problems = g_strv_builder_end (builder);
  self->ended = TRUE;
  self->has_model = dm_project_train_has_model (self->train);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROBLEMS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_MODEL]);
}

/* ---- getters ---- */

char *
dm_train_job_describe_phase (DmTrainJob *self)
{
  g_autofree char *text = NULL;

  switch (self->phase)
    {
    case DM_PROJECT_TRAIN_LOADING:
      text = g_strdup (_ ("Reading the images and the backbone…"));
      break;
    case DM_PROJECT_TRAIN_CACHING:
      text = g_strdup_printf (_ ("Computing the encoder's features of the training images: %d "
                                 "of %d (done once per run)"),
                              self->images_done, self->n_images);
      break;
    case DM_PROJECT_TRAIN_TRAINING:
      text = g_strdup_printf (_ ("Training: iteration %lld of %lld"), (long long)self->iteration,
                              (long long)self->total);
      break;
    case DM_PROJECT_TRAIN_SAVING: text = g_strdup (_ ("Saving the model…")); break;
    case DM_PROJECT_TRAIN_SCORING:
    default:
      return g_strdup_printf (_ ("Scoring the test and held-out images: %u of %u"),
                              (guint)self->images_done, (guint)self->n_images);
    }
  if (self->class_name == NULL)
    return g_steal_pointer (&text);
  /* one model per class: which one */
  return g_strdup_printf (_ ("Class %u of %u, %s. %s"), self->class_index + 1, self->n_classes,
                          self->class_name, text);
}

const char *
dm_train_job_get_class (DmTrainJob *self, guint *index, guint *n_classes)
{
  if (index != NULL)
    *index = self->class_index;
  if (n_classes != NULL)
    *n_classes = self->n_classes;
  return self->class_name;
}

DmProjectTrainPhase
dm_train_job_get_phase (DmTrainJob *self)
{
  return self->phase;
}

gint64
dm_train_job_get_iteration (DmTrainJob *self)
{
  return self->iteration;
}

gint64
dm_train_job_get_total (DmTrainJob *self)
{
  return self->total;
}

double
dm_train_job_get_loss (DmTrainJob *self)
{
  return self->loss;
}

double
dm_train_job_get_images_per_second (DmTrainJob *self)
{
  return self->images_per_second;
}

double
dm_train_job_get_time_left (DmTrainJob *self)
{
  return self->time_left;
}

double
dm_train_job_get_seconds_per_iteration (DmTrainJob *self)
{
  return self->seconds_per_iteration;
}

double
dm_train_job_get_fraction (DmTrainJob *self)
{
  return self->fraction;
}

const DmTrainJobLoss *
dm_train_job_get_losses (DmTrainJob *self, guint *n)
{
  *n = self->losses->len;
  return (const DmTrainJobLoss *)self->losses->data;
}

gboolean
dm_train_job_has_model (DmTrainJob *self)
{
  return self->has_model;
}

const char *const *
dm_train_job_get_problems (DmTrainJob *self)
{
  return (const char *const *)self->problems;
}

DmProjectResults *
dm_train_job_get_results (DmTrainJob *self)
{
  return self->ended ? dm_project_train_get_results (self->train) : NULL;
}

gboolean
dm_train_job_apply (DmTrainJob *self, DmProject *project, GError **error)
{
  g_return_val_if_fail (self->ended, FALSE);
  if (!self->has_model)
    return TRUE;
  return dm_project_train_apply (self->train, project, error);
}

/* ---- GObject ---- */

static void
dm_train_job_finalize (GObject *object)
{
  DmTrainJob *self = DM_TRAIN_JOB (object);

  g_clear_pointer (&self->train, dm_project_train_free);
  g_free (self->checkpoint);
  g_array_unref (self->losses);
  g_array_unref (self->pending);
  g_strfreev (self->problems);
  g_free (self->class_name);
  g_free (self->latest_class);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (dm_train_job_parent_class)->finalize (object);
}

static void
dm_train_job_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DmTrainJob *self = DM_TRAIN_JOB (object);

  switch (prop_id)
    {
    case PROP_PHASE: g_value_set_enum (value, self->phase); break;
    case PROP_ITERATION: g_value_set_int64 (value, self->iteration); break;
    case PROP_TOTAL: g_value_set_int64 (value, self->total); break;
    case PROP_LOSS: g_value_set_double (value, self->loss); break;
    case PROP_IMAGES_PER_SECOND: g_value_set_double (value, self->images_per_second); break;
    case PROP_TIME_LEFT: g_value_set_double (value, self->time_left); break;
    case PROP_SECONDS_PER_ITERATION: g_value_set_double (value, self->seconds_per_iteration); break;
    case PROP_IMAGES_DONE: g_value_set_int (value, self->images_done); break;
    case PROP_N_IMAGES: g_value_set_int (value, self->n_images); break;
    case PROP_FRACTION: g_value_set_double (value, self->fraction); break;
    case PROP_N_LOSSES: g_value_set_uint (value, self->losses->len); break;
    case PROP_HAS_MODEL: g_value_set_boolean (value, dm_train_job_has_model (self)); break;
    case PROP_PROBLEMS: g_value_set_boxed (value, self->problems); break;
    case PROP_CLASS_NAME: g_value_set_string (value, self->class_name); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#define READABLE (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY)

static void
dm_train_job_class_init (DmTrainJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  DmJobClass *job_class = DM_JOB_CLASS (klass);

  object_class->finalize = dm_train_job_finalize;
  object_class->get_property = dm_train_job_get_property;
  job_class->run = dm_train_job_run;
  job_class->progress = dm_train_job_progress;
  job_class->complete = dm_train_job_complete;

  properties[PROP_PHASE] = g_param_spec_enum ("phase", NULL, NULL, DM_TYPE_PROJECT_TRAIN_PHASE,
                                              DM_PROJECT_TRAIN_LOADING, READABLE);
  properties[PROP_ITERATION]
    = g_param_spec_int64 ("iteration", NULL, NULL, 0, G_MAXINT64, 0, READABLE);
  properties[PROP_TOTAL] = g_param_spec_int64 ("total", NULL, NULL, 0, G_MAXINT64, 0, READABLE);
  properties[PROP_LOSS]
    = g_param_spec_double ("loss", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, READABLE);
  properties[PROP_IMAGES_PER_SECOND]
    = g_param_spec_double ("images-per-second", NULL, NULL, 0, G_MAXDOUBLE, 0, READABLE);
  properties[PROP_TIME_LEFT]
    = g_param_spec_double ("time-left", NULL, NULL, 0, G_MAXDOUBLE, 0, READABLE);
  properties[PROP_SECONDS_PER_ITERATION]
    = g_param_spec_double ("seconds-per-iteration", NULL, NULL, 0, G_MAXDOUBLE, 0, READABLE);
  properties[PROP_IMAGES_DONE]
    = g_param_spec_int ("images-done", NULL, NULL, 0, G_MAXINT, 0, READABLE);
  properties[PROP_N_IMAGES] = g_param_spec_int ("n-images", NULL, NULL, 0, G_MAXINT, 0, READABLE);
  properties[PROP_FRACTION] = g_param_spec_double ("fraction", NULL, NULL, -1, 1, 0, READABLE);
  properties[PROP_N_LOSSES] = g_param_spec_uint ("n-losses", NULL, NULL, 0, G_MAXUINT, 0, READABLE);
  properties[PROP_HAS_MODEL] = g_param_spec_boolean ("has-model", NULL, NULL, FALSE, READABLE);
  properties[PROP_PROBLEMS] = g_param_spec_boxed ("problems", NULL, NULL, G_TYPE_STRV, READABLE);
  /* one model per class: the class trained now (NULL otherwise) */
  properties[PROP_CLASS_NAME] = g_param_spec_string ("class-name", NULL, NULL, NULL, READABLE);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dm_train_job_init (DmTrainJob *self)
{
  g_mutex_init (&self->lock);
  self->losses = g_array_new (FALSE, FALSE, sizeof (DmTrainJobLoss));
  self->pending = g_array_new (FALSE, FALSE, sizeof (DmTrainJobLoss));
  self->problems = g_new0 (char *, 1);
}
