/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The station's life (settings, new, start, pause, stop), its state and
 * status, and how parts are handed to it (dm-station.h). The threads a
 * part goes through live in dm-station-work.c, statistics and the status
 * snapshot's forms in dm-station-status.c. */
#include "dm-station-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-sink.h"

/* ---- settings ---------------------------------------------------------- */

void
dm_station_settings_init (DmStationSettings *s)
{
  memset (s, 0, sizeof *s);
  s->classes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  s->rules = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)dm_rules_free);
  s->sources = g_ptr_array_new_with_free_func (g_free);
  s->sinks = g_ptr_array_new_with_free_func (g_free);
  s->batch = 8;
  s->max_wait_ms = 20;
  s->queue = 32;
  s->prepare_threads = 1;
  s->max_file_bytes = (guint64)256 << 20;
  s->keep_images = TRUE;
  s->drain_seconds = 10;
}

void
dm_station_settings_clear (DmStationSettings *s)
{
  g_clear_pointer (&s->model_path, g_free);
  g_clear_pointer (&s->backbone_path, g_free);
  g_clear_pointer (&s->classes, g_hash_table_unref);
  g_clear_pointer (&s->rules, g_hash_table_unref);
  g_clear_pointer (&s->default_class, g_free);
  g_clear_pointer (&s->sources, g_ptr_array_unref);
  g_clear_pointer (&s->sinks, g_ptr_array_unref);
  g_clear_pointer (&s->journal, g_free);
  g_clear_pointer (&s->name, g_free);
}

void
dm_station_settings_set_class (DmStationSettings *s, const char *name, const DmThresholds *t)
{
  g_hash_table_replace (s->classes, g_strdup (name), g_memdup2 (t, sizeof *t));
}

void
dm_station_settings_set_rules (DmStationSettings *s, const char *name, const DmRules *rules)
{
  if (dm_rules_is_empty (rules))
    g_hash_table_remove (s->rules, name);
  else
    g_hash_table_replace (s->rules, g_strdup (name), dm_rules_copy (rules));
}

static void
settings_copy (DmStationSettings *to, const DmStationSettings *from)
{
  GHashTableIter iter;
  gpointer key, value;

  dm_station_settings_init (to);
  to->model_path = g_strdup (from->model_path);
  to->backbone_path = g_strdup (from->backbone_path);
  g_hash_table_iter_init (&iter, from->classes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    dm_station_settings_set_class (to, key, value);
  g_hash_table_iter_init (&iter, from->rules);
  while (g_hash_table_iter_next (&iter, &key, &value))
    dm_station_settings_set_rules (to, key, value);
  to->default_class = g_strdup (from->default_class);
  for (guint i = 0; i < from->sources->len; i++)
    g_ptr_array_add (to->sources, g_strdup (from->sources->pdata[i]));
  for (guint i = 0; i < from->sinks->len; i++)
    g_ptr_array_add (to->sinks, g_strdup (from->sinks->pdata[i]));
  to->journal = g_strdup (from->journal);
  to->name = g_strdup (from->name != NULL ? from->name : "station");
  to->batch = CLAMP (from->batch, 1, 256);
  to->max_wait_ms = CLAMP (from->max_wait_ms, 0, 10000);
  to->queue = CLAMP (from->queue, 1, 4096);
  to->prepare_threads = CLAMP (from->prepare_threads, 1, 64);
  to->n_threads = from->n_threads;
  to->max_pixels = from->max_pixels;
  to->max_file_bytes = from->max_file_bytes > 0 ? from->max_file_bytes : ((guint64)256 << 20);
  to->segment_bytes = from->segment_bytes;
  to->keep_images = from->keep_images;
  to->accept_damaged = from->accept_damaged;
  to->keep_passes = from->keep_passes;
  to->model_version = from->model_version;
  to->drain_seconds = MAX (from->drain_seconds, 0);
  to->on_part = from->on_part;
  to->on_part_data = from->on_part_data;
}

/* ---- state ------------------------------------------------------------- */

static void
update_state_locked (DmStation *self)
{
  DmStationState state;

  if (!self->started)
    state = DM_STATION_IDLE;
  else if (g_atomic_int_get (&self->stopping))
    state = self->state == DM_STATION_STOPPED ? DM_STATION_STOPPED : DM_STATION_STOPPING;
  else if (self->stalled)
    state = DM_STATION_STALLED;
  else if (self->paused)
    state = DM_STATION_PAUSED;
  else
    state = DM_STATION_RUNNING;
  g_atomic_int_set (&self->accepting, state == DM_STATION_RUNNING);
  if (state != self->state)
    {
      self->state = state;
      for (guint i = 0; i < self->sinks->len; i++)
        dm_sink_station_state (self->sinks->pdata[i], state);
    }
  g_cond_broadcast (&self->cond);
}

void
dm_station_set_stalled (DmStation *self, const GError *error)
{
  g_mutex_lock (&self->lock);
  if (error != NULL)
    {
      g_autofree char *message = g_strdup_printf ("not taking parts: %s", error->message);

      /* once per reason, not once per retry */
      if (!self->stalled || g_strcmp0 (self->message, message) != 0)
        g_warning ("station stalled, %s", message);
      g_free (self->message);
      self->message = g_steal_pointer (&message);
      self->stalled = TRUE;
    }
  else if (self->stalled)
    {
      g_message ("the journal is written again: taking parts");
      g_clear_pointer (&self->message, g_free);
      self->stalled = FALSE;
    }
  update_state_locked (self);
  g_mutex_unlock (&self->lock);
}

gboolean
dm_station_accepting (DmStation *self)
{
  return g_atomic_int_get (&self->accepting);
}

gboolean
dm_station_stopping (DmStation *self)
{
  return g_atomic_int_get (&self->stopping);
}

gboolean
dm_station_sleep (DmStation *self, gint64 us)
{
  gint64 end = g_get_monotonic_time () + us;

  g_mutex_lock (&self->lock);
  while (!g_atomic_int_get (&self->stopping))
    if (!g_cond_wait_until (&self->cond, &self->lock, end))
      break;
  g_mutex_unlock (&self->lock);
  return !g_atomic_int_get (&self->stopping);
}

void
dm_station_wake (DmStation *self)
{
  g_mutex_lock (&self->lock);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

const DmStationSettings *
dm_station_get_settings (DmStation *self)
{
  return &self->settings;
}

const char *
dm_station_get_model_sha256 (DmStation *self)
{
  return self->model_sha256;
}

const char *
dm_station_get_journal_folder (DmStation *self)
{
  return self->settings.journal;
}

gboolean
dm_station_has_class (DmStation *self, const char *name)
{
  return name != NULL && g_hash_table_contains (self->settings.classes, name);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

char **
dm_station_get_classes (DmStation *self)
{
  guint n = 0;
  char **names = (char **)g_hash_table_get_keys_as_array (self->settings.classes, &n);
  char **out = g_new0 (char *, n + 1);

  qsort (names, n, sizeof (char *), compare_strings);
  for (guint i = 0; i < n; i++)
    out[i] = g_strdup (names[i]);
  g_free (names);
  return out;
}

gboolean
dm_station_submit (DmStation *self, DmStationJob *job, gboolean wait)
{
  job->decider = g_hash_table_lookup (self->deciders, job->part->class_name);
  g_return_val_if_fail (job->decider != NULL, FALSE);
  job->part->thresholds = *dm_decider_get_thresholds (job->decider);
  if (!dm_station_accepting (self))
    return FALSE;
  if (!wait)
    return dm_bounded_queue_try_push (self->intake, job);
  /* a waiting source gives up when the station stops or stops accepting,
   * and tries again (its file stays where it is meanwhile) */
  while (dm_station_accepting (self))
    if (dm_bounded_queue_push (self->intake, job,
                               g_get_monotonic_time () + 200 * G_TIME_SPAN_MILLISECOND))
      return TRUE;
  return FALSE;
}

/* An upload or an embedder's frame as a job, submitted without waiting. */
static gboolean
submit_job (DmStation *self,
            const char *source,
            const char *class_name,
            GBytes *bytes,
            DmImage *image,
            gint64 frame,
            gboolean want_map,
            DmStationResultFunc func,
            gpointer user_data)
{
  DmStationJob *job;

  if (class_name == NULL)
    class_name = self->settings.default_class;
  if (!dm_station_has_class (self, class_name))
    {
      g_clear_pointer (&image, dm_image_free);
      return FALSE;
    }
  job = dm_station_job_new (NULL, class_name);
  job->part->source = g_strdup (source);
  job->part->frame = frame;
  job->bytes = bytes != NULL ? g_bytes_ref (bytes) : NULL;
  job->image = image;
  job->want_map = want_map;
  job->func = func;
  job->user_data = user_data;
  if (!dm_station_submit (self, job, FALSE))
    {
      dm_station_job_free (job);
      return FALSE;
    }
  return TRUE;
}

gboolean
dm_station_submit_bytes (DmStation *self,
                         const char *source,
                         const char *class_name,
                         GBytes *bytes,
                         gboolean want_map,
                         DmStationResultFunc func,
                         gpointer user_data)
{
  return submit_job (self, source, class_name, bytes, NULL, -1, want_map, func, user_data);
}

gboolean
dm_station_submit_image (DmStation *self,
                         const char *source,
                         const char *class_name,
                         DmImage *image,
                         gint64 frame,
                         DmStationResultFunc func,
                         gpointer user_data)
{
  return submit_job (self, source, class_name, NULL, image, frame, FALSE, func, user_data);
}

/* ---- status ------------------------------------------------------------ */

void
dm_station_get_status (DmStation *self, DmStationStatus *status)
{
  memset (status, 0, sizeof *status);
  g_mutex_lock (&self->lock);
  status->state = self->state;
  status->message = g_strdup (self->message);
  g_mutex_unlock (&self->lock);
  dm_station_stats_read (&self->stats, status);
  {
    DmJournalPosition committed;

    dm_journal_get_committed (self->journal, &committed);
    status->last_seq = committed.seq;
  }
  status->intake = dm_bounded_queue_length (self->intake);
  status->intake_capacity = dm_bounded_queue_capacity (self->intake);
  status->ready = dm_bounded_queue_length (self->ready);
  status->committing = dm_bounded_queue_length (self->commit);
  status->n_sources = self->sources->len;
  status->sources = g_new0 (DmSourceStatus, MAX (self->sources->len, 1));
  for (guint i = 0; i < self->sources->len; i++)
    dm_source_get_status (self->sources->pdata[i], &status->sources[i]);
  status->n_sinks = self->sinks->len;
  status->sinks = g_new0 (DmSinkStatus, MAX (self->sinks->len, 1));
  for (guint i = 0; i < self->sinks->len; i++)
    {
      dm_sink_get_status (self->sinks->pdata[i], &status->sinks[i]);
      status->sinks[i].backlog = status->last_seq > status->sinks[i].cursor_seq
                                   ? status->last_seq - status->sinks[i].cursor_seq
                                   : 0;
    }
}

static void
write_status_file (DmStation *self)
{
  DmStationStatus status;
  g_autofree char *json = NULL;
  g_autofree char *path = g_build_filename (self->settings.journal, "status.json", NULL);

  dm_station_get_status (self, &status);
  json = dm_station_status_to_json (&status);
  dm_station_status_clear (&status);
  /* best effort: a full disk is already reported by the journal */
  dm_file_set_contents_atomic (path, json, strlen (json), NULL);
}

static gpointer
status_thread (gpointer data)
{
  DmStation *self = data;

  do
    {
      dm_station_stats_tick (&self->stats);
      write_status_file (self);
    }
  while (dm_station_sleep (self, G_USEC_PER_SEC));
  return NULL;
}

/* ---- life -------------------------------------------------------------- */

/* oneDNN makes its primitives for a batch size the first time it sees
 * it: every size a micro-batch can have is run once now, so that no part
 * on the line waits for that. */
static gboolean
warm_up (DmStation *self, GError **error)
{
  int max_batch = dm_inspector_get_max_batch (self->inspector);
  g_autofree float *x = g_new0 (float, dm_inspector_input_size (self->inspector) * max_batch);
  g_autofree float *scores = g_new (float, max_batch);
  gint64 t0 = g_get_monotonic_time ();

  for (int b = max_batch; b >= 1; b = b > 1 ? dm_station_allowed_batch (b - 1, max_batch) : 0)
    if (!dm_inspector_score (self->inspector, x, b, NULL, scores, error))
      return FALSE;
  g_message ("model ready: every batch size run once in %.1f s",
             (double)(g_get_monotonic_time () - t0) * 1e-6);
  return TRUE;
}

static gboolean
check_rules (DmStationSettings *s, GError **error)
{
  GHashTableIter iter;
  gpointer key, value;

  if (g_hash_table_size (s->classes) == 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "no class to inspect: give the class and its thresholds");
      return FALSE;
    }
  g_hash_table_iter_init (&iter, s->classes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const DmThresholds *t = value;
      gboolean band = isfinite (t->uncertain_low) && isfinite (t->uncertain_high);

      if (!isfinite (t->image) && !band)
        {
          g_autofree char *display = g_filename_display_name (s->model_path);

          g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                       "%s: class '%s' has no thresholds: give --threshold (and --band) or "
                       "--calibrate with a folder of good parts",
                       display, (const char *)key);
          return FALSE;
        }
      if (band && !(t->uncertain_low < t->uncertain_high))
        {
          g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                       "class '%s': the uncertain band [%g, %g) is empty", (const char *)key,
                       t->uncertain_low, t->uncertain_high);
          return FALSE;
        }
    }
  if (s->default_class == NULL && g_hash_table_size (s->classes) == 1)
    {
      g_hash_table_iter_init (&iter, s->classes);
      g_hash_table_iter_next (&iter, &key, NULL);
      s->default_class = g_strdup (key);
    }
  for (const char *c = s->name; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_' && *c != '.')
      {
        g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                     "station name '%s': use letters, digits, '-', '_' and '.' only", s->name);
        return FALSE;
      }
  return TRUE;
}

/* Each class's thresholds and rules for the model's maps. */
static gboolean
make_deciders (DmStation *self, GError **error)
{
  const DmDinomalyModel *m = dm_inspector_get_model (self->inspector);
  GHashTableIter iter;
  gpointer key, value;

  self->deciders
    = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)dm_decider_free);
  g_hash_table_iter_init (&iter, self->settings.classes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      DmDecider *d = dm_decider_new (value, g_hash_table_lookup (self->settings.rules, key),
                                     m->resize, m->crop, error);

      if (d == NULL)
        {
          g_prefix_error (error, "class '%s': ", (const char *)key);
          return FALSE;
        }
      g_hash_table_insert (self->deciders, g_strdup (key), d);
    }
  return TRUE;
}

DmStation *
dm_station_new (const DmStationSettings *settings, GError **error)
{
  g_autoptr (DmStation) self = g_new0 (DmStation, 1);
  DmJournalPosition committed;

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->sources = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_source_free);
  self->sinks = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_sink_free);
  self->preparers = g_ptr_array_new ();
  settings_copy (&self->settings, settings);
  dm_station_stats_init (&self->stats);
  if (self->settings.model_path == NULL || self->settings.journal == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "a station needs a model and a journal");
      return NULL;
    }
  if (!check_rules (&self->settings, error))
    return NULL;
  self->journal = dm_journal_open (self->settings.journal, self->settings.segment_bytes, error);
  if (self->journal == NULL)
    return NULL;
  dm_journal_get_committed (self->journal, &committed);
  self->next_seq = committed.seq + 1;
  self->model_sha256 = dm_file_sha256 (self->settings.model_path, error);
  if (self->model_sha256 == NULL)
    return NULL;
  self->inspector
    = dm_inspector_new (self->settings.model_path, self->settings.backbone_path,
                        self->settings.batch, self->settings.n_threads, &self->info, error);
  if (self->inspector == NULL || !make_deciders (self, error) || !warm_up (self, error))
    return NULL;
  self->intake
    = dm_bounded_queue_new ((guint)self->settings.queue, (GDestroyNotify)dm_station_job_free);
  self->ready
    = dm_bounded_queue_new ((guint)self->settings.batch * 2, (GDestroyNotify)dm_station_job_free);
  self->commit = dm_bounded_queue_new ((guint)self->settings.batch * 4 + DM_STATION_MAX_GROUP,
                                       (GDestroyNotify)dm_station_job_free);
  for (guint i = 0; i < self->settings.sources->len; i++)
    {
      DmSource *source = dm_source_new (self, self->settings.sources->pdata[i], error);

      if (source == NULL)
        return NULL;
      g_ptr_array_add (self->sources, source);
    }
  for (guint i = 0; i < self->settings.sinks->len; i++)
    {
      DmSink *sink = dm_sink_new (self->journal, self->settings.sinks->pdata[i], error);

      if (sink == NULL)
        return NULL;
      g_ptr_array_add (self->sinks, sink);
    }
  return g_steal_pointer (&self);
}

gboolean
dm_station_start (DmStation *self, GError **error)
{
  g_return_val_if_fail (!self->started, FALSE);
  g_mutex_lock (&self->lock);
  self->started = TRUE;
  update_state_locked (self);
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < self->sources->len; i++)
    {
      DmSource *source = self->sources->pdata[i];

      if (!source->ops->start (source, error))
        {
          for (guint k = 0; k < i; k++)
            {
              DmSource *started = self->sources->pdata[k];

              g_atomic_int_set (&self->stopping, 1);
              started->ops->stop (started);
            }
          g_mutex_lock (&self->lock);
          self->state = DM_STATION_STOPPED;
          g_atomic_int_set (&self->accepting, FALSE);
          g_mutex_unlock (&self->lock);
          return FALSE;
        }
    }
  for (guint i = 0; i < self->sinks->len; i++)
    {
      dm_sink_station_state (self->sinks->pdata[i], self->state);
      dm_sink_start (self->sinks->pdata[i]);
    }
  for (int i = 0; i < self->settings.prepare_threads; i++)
    g_ptr_array_add (self->preparers,
                     g_thread_new ("station-prepare", dm_station_prepare_thread, self));
  self->scorer = g_thread_new ("station-score", dm_station_scorer_thread, self);
  self->committer = g_thread_new ("station-commit", dm_station_committer_thread, self);
  self->status_thread = g_thread_new ("station-status", status_thread, self);
  return TRUE;
}

void
dm_station_pause (DmStation *self)
{
  g_mutex_lock (&self->lock);
  self->paused = TRUE;
  update_state_locked (self);
  g_mutex_unlock (&self->lock);
}

void
dm_station_resume (DmStation *self)
{
  g_mutex_lock (&self->lock);
  self->paused = FALSE;
  update_state_locked (self);
  g_mutex_unlock (&self->lock);
}

void
dm_station_stop (DmStation *self)
{
  gint64 drain_until;

  g_mutex_lock (&self->lock);
  if (!self->started || self->state == DM_STATION_STOPPED || self->committer == NULL)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  g_atomic_int_set (&self->stopping, 1);
  update_state_locked (self);
  g_mutex_unlock (&self->lock);

  /* no new parts; every part in the queues is decided and committed */
  for (guint i = 0; i < self->sources->len; i++)
    {
      DmSource *source = self->sources->pdata[i];

      source->ops->stop (source);
    }
  dm_bounded_queue_close (self->intake);
  for (guint i = 0; i < self->preparers->len; i++)
    g_thread_join (self->preparers->pdata[i]);
  g_ptr_array_set_size (self->preparers, 0);
  dm_bounded_queue_close (self->ready);
  g_clear_pointer (&self->scorer, g_thread_join);
  dm_bounded_queue_close (self->commit);
  g_clear_pointer (&self->committer, g_thread_join);
  g_clear_pointer (&self->status_thread, g_thread_join);

  /* the outputs get their time to catch up; they say "offline" already */
  g_mutex_lock (&self->lock);
  self->state = DM_STATION_STOPPED;
  for (guint i = 0; i < self->sinks->len; i++)
    dm_sink_station_state (self->sinks->pdata[i], DM_STATION_STOPPED);
  g_mutex_unlock (&self->lock);
  drain_until = g_get_monotonic_time () + (gint64)(self->settings.drain_seconds * G_USEC_PER_SEC);
  for (guint i = 0; i < self->sinks->len; i++)
    dm_sink_stop (self->sinks->pdata[i], drain_until);

  write_status_file (self);
}

void
dm_station_free (DmStation *self)
{
  if (self == NULL)
    return;
  dm_station_stop (self);
  g_clear_pointer (&self->sources, g_ptr_array_unref);
  g_clear_pointer (&self->sinks, g_ptr_array_unref);
  g_clear_pointer (&self->preparers, g_ptr_array_unref);
  g_clear_pointer (&self->intake, dm_bounded_queue_free);
  g_clear_pointer (&self->ready, dm_bounded_queue_free);
  g_clear_pointer (&self->commit, dm_bounded_queue_free);
  g_clear_pointer (&self->inspector, dm_inspector_free);
  g_clear_pointer (&self->info, dm_model_info_free);
  g_clear_pointer (&self->deciders, g_hash_table_unref);
  g_clear_pointer (&self->journal, dm_journal_free);
  g_free (self->model_sha256);
  g_free (self->message);
  dm_station_stats_clear (&self->stats);
  dm_station_settings_clear (&self->settings);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}
