/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The station's life and its threads: prepare, score (micro-batches, the
 * one decision), commit (group commit to the journal, then the sources
 * are told) (dm-station.h). Status and statistics live in
 * dm-station-status.c. */
#include "dm-station-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "dm-bounded-queue.h"
#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-inspector.h"
#include "dm-journal.h"
#include "dm-sink.h"
#include "dm-station-stats.h"

/* Records committed in one group at most. */
#define MAX_GROUP 256
/* How often a stalled journal is tried again. */
#define STALL_RETRY_US (500 * G_TIME_SPAN_MILLISECOND)

struct _DmStation
{
  DmStationSettings settings; /* a deep copy */
  DmInspector *inspector;
  DmModelInfo *info;
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

/* ---- settings ---------------------------------------------------------- */

void
dm_station_settings_init (DmStationSettings *s)
{
  memset (s, 0, sizeof *s);
  s->classes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
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
  to->keep_passes = from->keep_passes;
  to->model_version = from->model_version;
  to->drain_seconds = MAX (from->drain_seconds, 0);
  to->on_part = from->on_part;
  to->on_part_data = from->on_part_data;
}

/* ---- jobs -------------------------------------------------------------- */

DmStationJob *
dm_station_job_new (DmSource *source, const char *class_name)
{
  DmStationJob *job = g_new0 (DmStationJob, 1);

  job->part = dm_part_new ();
  job->source = source;
  job->part->class_name = g_strdup (class_name);
  job->part->source = g_strdup (source != NULL ? source->uri : NULL);
  job->part->acquired_us = g_get_real_time ();
  job->acquired_mono = g_get_monotonic_time ();
  return job;
}

void
dm_station_job_free (DmStationJob *job)
{
  if (job == NULL)
    return;
  dm_part_free (job->part);
  g_free (job->path);
  g_clear_pointer (&job->bytes, g_bytes_unref);
  g_clear_pointer (&job->image, dm_image_free);
  g_free (job->x);
  g_free (job->map);
  g_free (job);
}

static void
job_fail (DmStationJob *job, const GError *error)
{
  job->part->is_error = TRUE;
  g_free (job->part->reason);
  job->part->reason = g_strdup (error->message);
  job->part->decided_us = g_get_real_time ();
  job->error_code = error->domain == DM_ERROR ? error->code : DM_ERROR_FAILED;
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

static void
set_stalled (DmStation *self, const GError *error)
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
  job->thresholds = g_hash_table_lookup (self->settings.classes, job->part->class_name);
  g_return_val_if_fail (job->thresholds != NULL, FALSE);
  job->part->thresholds = *job->thresholds;
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

/* ---- prepare ----------------------------------------------------------- */

/* The whole file, refusing one larger than max bytes. */
static GBytes *
read_file (const char *path, guint64 max, GError **error)
{
  g_autofree char *display = g_filename_display_name (path);
  g_autofree guint8 *data = NULL;
  struct stat st;
  gsize done = 0;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);

  if (fd < 0 || fstat (fd, &st) != 0)
    {
      int saved = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot open: %s", display,
                   g_strerror (saved));
      return NULL;
    }
  if ((guint64)st.st_size > max)
    {
      close (fd);
      g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE,
                   "%s: %" G_GINT64_FORMAT " bytes, more than the limit of %" G_GUINT64_FORMAT,
                   display, (gint64)st.st_size, max);
      return NULL;
    }
  data = g_malloc ((gsize)st.st_size + 1);
  while (done < (gsize)st.st_size)
    {
      gssize n = read (fd, data + done, (gsize)st.st_size - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          close (fd);
          g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: read error: %s", display,
                       g_strerror (saved));
          return NULL;
        }
      if (n == 0)
        break;
      done += (gsize)n;
    }
  close (fd);
  return g_bytes_new_take (g_steal_pointer (&data), done);
}

static gboolean
prepare_job (DmStation *self, DmStationJob *job, GError **error)
{
  const char *name = job->path != NULL ? job->path : job->part->source;
  g_autoptr (DmImage) decoded = NULL;
  const DmImage *image = job->image;

  if (job->path != NULL && job->bytes == NULL)
    {
      job->bytes = read_file (job->path, self->settings.max_file_bytes, error);
      if (job->bytes == NULL)
        return FALSE;
    }
  if (image == NULL)
    {
      gsize size = 0;
      const guint8 *data = g_bytes_get_data (job->bytes, &size);

      if (size > self->settings.max_file_bytes)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE,
                       "%s: %" G_GSIZE_FORMAT " bytes, more than the limit", name, size);
          return FALSE;
        }
      decoded = dm_image_load_from_bytes (data, size, name, self->settings.max_pixels, error);
      if (decoded == NULL)
        return FALSE;
      image = decoded;
    }
  job->part->width = image->width;
  job->part->height = image->height;
  job->x = g_try_malloc (dm_inspector_input_size (self->inspector) * sizeof (float));
  if (job->x == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY, "%s: out of memory", name);
      return FALSE;
    }
  return dm_inspector_prepare (self->inspector, image, job->path, job->x, error);
}

static gpointer
prepare_thread (gpointer data)
{
  DmStation *self = data;
  DmStationJob *job;

  while ((job = dm_bounded_queue_pop (self->intake, -1)) != NULL)
    {
      g_autoptr (GError) error = NULL;

      g_atomic_int_inc (&self->preparing);
      if (prepare_job (self, job, &error))
        dm_bounded_queue_push (self->ready, job, -1);
      else
        {
          g_clear_pointer (&job->x, g_free);
          job_fail (job, error);
          dm_bounded_queue_push (self->commit, job, -1);
        }
      g_atomic_int_dec_and_test (&self->preparing);
    }
  return NULL;
}

/* ---- score and decide -------------------------------------------------- */

/* The station's one decision: the rule of the whole application. When
 * inspection rules (ROI masks, regions) arrive, they replace this call. */
static void
decide (DmStationJob *job, float score)
{
  job->part->score = score;
  job->part->decision = dm_decide (job->thresholds, score);
  job->part->decided_us = g_get_real_time ();
}

/* TRUE when another part is on its way to the ready queue. */
static gboolean
more_coming (DmStation *self)
{
  return g_atomic_int_get (&self->preparing) > 0 || dm_bounded_queue_length (self->intake) > 0;
}

/* Fails and uncertain parts keep their picture and map, and one pass in
 * keep_passes (the first of each run of that many). Scorer thread. */
static void
choose_kept (DmStation *self, DmStationJob *job)
{
  const DmStationSettings *s = &self->settings;

  if (!s->keep_images || job->part->is_error)
    return;
  if (job->part->decision != DM_DECISION_PASS)
    job->keep = TRUE;
  else if (s->keep_passes > 0)
    job->keep = self->passes++ % s->keep_passes == 0;
}

/* The batch sizes the scorer runs: powers of two below the largest, and
 * the largest. oneDNN makes primitives per batch size, so fewer sizes
 * mean less warm-up and no first-time delay on the line. */
static int
allowed_batch (int n, int max_batch)
{
  int size = 1;

  if (n >= max_batch)
    return max_batch;
  while (size * 2 <= n)
    size *= 2;
  return size;
}

/* Fills batch (carried parts first) until full, until nothing else is on
 * its way, or max_wait after its first part. Returns the parts in it; 0
 * when the ready queue is closed and empty. */
static int
fill_batch (DmStation *self, DmStationJob **batch, int n, int max_batch)
{
  gint64 deadline;

  if (n == 0)
    {
      batch[0] = dm_bounded_queue_pop (self->ready, -1);
      if (batch[0] == NULL)
        return 0;
      n = 1;
    }
  deadline = g_get_monotonic_time () + (gint64)self->settings.max_wait_ms * G_TIME_SPAN_MILLISECOND;
  while (n < max_batch)
    {
      DmStationJob *next = dm_bounded_queue_pop (self->ready, 0);

      if (next == NULL)
        {
          gint64 now = g_get_monotonic_time ();

          if (!more_coming (self) || now >= deadline)
            break;
          next = dm_bounded_queue_pop (self->ready, MIN (deadline, now + G_TIME_SPAN_MILLISECOND));
          if (next == NULL)
            continue;
        }
      batch[n++] = next;
    }
  return n;
}

static void
score_batch (DmStation *self, DmStationJob **batch, int n, float *input, float *maps, float *scores)
{
  gsize per_image = dm_inspector_input_size (self->inspector);
  g_autoptr (GError) error = NULL;

  for (int b = 0; b < n; b++)
    memcpy (input + (gsize)b * per_image, batch[b]->x, per_image * sizeof (float));
  if (!dm_inspector_score (self->inspector, input, n, maps, scores, &error))
    for (int b = 0; b < n; b++)
      job_fail (batch[b], error);
  else
    for (int b = 0; b < n; b++)
      {
        DmStationJob *job = batch[b];
        g_autoptr (GError) numeric
          = dm_inspector_check_score (job->path != NULL ? job->path : "part", scores[b]);

        if (numeric != NULL)
          job_fail (job, numeric);
        else
          decide (job, scores[b]);
        choose_kept (self, job);
        if (job->keep || job->want_map || self->settings.on_part != NULL)
          job->map = g_memdup2 (maps + (gsize)b * DM_INSPECTOR_MAP_PIXELS,
                                DM_INSPECTOR_MAP_PIXELS * sizeof (float));
      }
  for (int b = 0; b < n; b++)
    {
      g_clear_pointer (&batch[b]->x, g_free);
      dm_bounded_queue_push (self->commit, batch[b], -1);
    }
}

static gpointer
scorer_thread (gpointer data)
{
  DmStation *self = data;
  int max_batch = dm_inspector_get_max_batch (self->inspector);
  gsize per_image = dm_inspector_input_size (self->inspector);
  g_autofree DmStationJob **batch = g_new0 (DmStationJob *, max_batch);
  g_autofree float *input = g_new (float, per_image *max_batch);
  g_autofree float *maps = g_new (float, DM_INSPECTOR_MAP_PIXELS *max_batch);
  g_autofree float *scores = g_new (float, max_batch);
  int carried = 0;

  for (;;)
    {
      int n = fill_batch (self, batch, carried, max_batch);
      int size = allowed_batch (n, max_batch);

      if (n == 0)
        break;
      score_batch (self, batch, size, input, maps, scores);
      /* the rest is ready already: it starts the next batch at once */
      carried = n - size;
      memmove (batch, batch + size, (gsize)carried * sizeof (DmStationJob *));
    }
  return NULL;
}

/* ---- commit ------------------------------------------------------------ */

static const char *
image_extension (GBytes *bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  switch (dm_image_sniff (data, size))
    {
    case DM_IMAGE_FORMAT_PNG: return ".png";
    case DM_IMAGE_FORMAT_TIFF: return ".tiff";
    case DM_IMAGE_FORMAT_JPEG: return ".jpg";
    case DM_IMAGE_FORMAT_UNKNOWN:
    default: return ".bin";
    }
}

/* A failed or uncertain part's picture and map under
 * parts/YYYY-MM-DD/<id>.*, both written atomically before the record. */
static gboolean
keep_images (DmStation *self, DmStationJob *job, GError **error)
{
  DmPart *p = job->part;
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (p->decided_us / G_USEC_PER_SEC);
  g_autofree char *day = g_date_time_format (t, "%Y-%m-%d");
  g_autofree char *rel_dir = g_build_filename ("parts", day, NULL);
  g_autofree char *dir = g_build_filename (self->settings.journal, rel_dir, NULL);
  g_autofree char *image_name = NULL, *map_name = NULL, *path = NULL;

  if (!job->keep || job->map == NULL)
    return TRUE;
  if (g_mkdir_with_parents (dir, 0777) != 0)
    {
      int saved = errno;

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot create the folder: %s", dir,
                   g_strerror (saved));
      return FALSE;
    }
  if (job->bytes != NULL)
    {
      gsize size;
      const guint8 *data = g_bytes_get_data (job->bytes, &size);

      image_name = g_strconcat (p->id, image_extension (job->bytes), NULL);
      path = g_build_filename (dir, image_name, NULL);
      if (!dm_file_set_contents_atomic (path, data, size, error))
        return FALSE;
    }
  else if (job->image != NULL)
    {
      image_name = g_strconcat (p->id, ".png", NULL);
      path = g_build_filename (dir, image_name, NULL);
      if (!dm_image_save_png (job->image, path, error))
        return FALSE;
    }
  g_clear_pointer (&path, g_free);
  map_name = g_strconcat (p->id, "_map.tiff", NULL);
  path = g_build_filename (dir, map_name, NULL);
  if (!dm_image_save_tiff_f32 (job->map, DM_INSPECTOR_MAP_SIZE, DM_INSPECTOR_MAP_SIZE, path, error))
    return FALSE;
  g_free (p->image);
  g_free (p->map);
  p->image = image_name != NULL ? g_build_filename (rel_dir, image_name, NULL) : NULL;
  p->map = g_build_filename (rel_dir, map_name, NULL);
  return TRUE;
}

/* Ids, kept images and the records of a group; one append. */
static gboolean
write_group (DmStation *self, DmStationJob **jobs, guint n, GError **error)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n; i++)
    {
      DmPart *p = jobs[i]->part;

      p->seq = self->next_seq + i;
      g_free (p->id);
      p->id = g_strdup_printf ("%s-%010" G_GUINT64_FORMAT, self->settings.name, p->seq);
      g_free (p->model_sha256);
      p->model_sha256 = g_strdup (self->model_sha256);
      p->model_version = self->settings.model_version;
      if (!keep_images (self, jobs[i], error))
        return FALSE;
      if (jobs[i]->source != NULL && jobs[i]->source->ops->record != NULL)
        jobs[i]->source->ops->record (jobs[i]->source, jobs[i]);
      g_ptr_array_add (lines, dm_part_to_json (p));
    }
  return dm_journal_append (self->journal, (char *const *)lines->pdata, n, self->next_seq + n - 1,
                            g_get_real_time (), error);
}

/* Writers do not all keep errno (libtiff says "Write error"): a failure
 * while the journal's file system has little room left is a full disk. */
static void
explain_write_failure (DmStation *self, GError *error)
{
  struct statvfs fs;

  if (statvfs (self->settings.journal, &fs) == 0
      && (guint64)fs.f_bavail * fs.f_frsize < (guint64)4 << 20)
    g_prefix_error (&error, "the journal's disk is full (%" G_GUINT64_FORMAT " KB free): ",
                    (guint64)fs.f_bavail * fs.f_frsize / 1024);
}

static void
commit_group (DmStation *self, DmStationJob **jobs, guint n)
{
  g_autoptr (GError) error = NULL;
  gint64 give_up = 0;

  while (!write_group (self, jobs, n, &error))
    {
      /* a full disk: stop taking parts, keep these, try again */
      explain_write_failure (self, error);
      set_stalled (self, error);
      g_clear_error (&error);
      if (dm_station_stopping (self))
        {
          if (give_up == 0)
            give_up
              = g_get_monotonic_time () + (gint64)(self->settings.drain_seconds * G_USEC_PER_SEC);
          if (g_get_monotonic_time () >= give_up)
            {
              g_warning ("%u parts not recorded: the journal could not be written before the "
                         "station stopped (hot-folder files stay where they are)",
                         n);
              for (guint i = 0; i < n; i++)
                {
                  g_autoptr (GError) lost = g_error_new (DM_ERROR, DM_ERROR_IO,
                                                         "not recorded: the journal could "
                                                         "not be written");

                  job_fail (jobs[i], lost);
                  if (jobs[i]->func != NULL)
                    jobs[i]->func (jobs[i]->part, NULL, jobs[i]->error_code, jobs[i]->user_data);
                  dm_station_job_free (jobs[i]);
                }
              return;
            }
        }
      g_usleep (STALL_RETRY_US);
    }
  set_stalled (self, NULL);
  self->next_seq += n;
  {
    gint64 now = g_get_monotonic_time ();

    for (guint i = 0; i < n; i++)
      {
        DmStationJob *job = jobs[i];

        /* counted before anyone is told: a client that asks for the
         * metrics after its answer finds its part in them */
        dm_station_stats_add (&self->stats, job->part, now - job->acquired_mono);
        if (self->settings.on_part != NULL)
          self->settings.on_part (job->part, job->part->is_error ? NULL : job->map, job->bytes,
                                  job->image, self->settings.on_part_data);
        if (job->source != NULL && job->source->ops->done != NULL)
          job->source->ops->done (job->source, job);
        if (job->func != NULL)
          job->func (job->part, job->want_map ? job->map : NULL, job->error_code, job->user_data);
        dm_station_job_free (job);
      }
  }
}

static gpointer
committer_thread (gpointer data)
{
  DmStation *self = data;
  DmStationJob *jobs[MAX_GROUP];

  for (;;)
    {
      guint n = 0;

      jobs[n] = dm_bounded_queue_pop (self->commit, -1);
      if (jobs[n] == NULL)
        break;
      n++;
      /* every part decided meanwhile goes into the same write and fsync */
      while (n < MAX_GROUP && (jobs[n] = dm_bounded_queue_pop (self->commit, 0)) != NULL)
        n++;
      commit_group (self, jobs, n);
    }
  return NULL;
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

  for (int b = max_batch; b >= 1; b = b > 1 ? allowed_batch (b - 1, max_batch) : 0)
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
  if (self->inspector == NULL || !warm_up (self, error))
    return NULL;
  self->intake
    = dm_bounded_queue_new ((guint)self->settings.queue, (GDestroyNotify)dm_station_job_free);
  self->ready
    = dm_bounded_queue_new ((guint)self->settings.batch * 2, (GDestroyNotify)dm_station_job_free);
  self->commit = dm_bounded_queue_new ((guint)self->settings.batch * 4 + MAX_GROUP,
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
    g_ptr_array_add (self->preparers, g_thread_new ("station-prepare", prepare_thread, self));
  self->scorer = g_thread_new ("station-score", scorer_thread, self);
  self->committer = g_thread_new ("station-commit", committer_thread, self);
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
  g_clear_pointer (&self->journal, dm_journal_free);
  g_free (self->model_sha256);
  g_free (self->message);
  dm_station_stats_clear (&self->stats);
  dm_station_settings_clear (&self->settings);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}
