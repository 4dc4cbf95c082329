/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A part's way through the station's threads: the jobs, the prepare
 * threads (decode, preprocess), the scorer (micro-batches and the one
 * decision) and the committer (ids, kept images, the group commit, then
 * the sources are told). */
#include "dm-station-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "dm-error.h"
#include "dm-file-util.h"

/* How often a stalled journal is tried again. */
#define STALL_RETRY_US (500 * G_TIME_SPAN_MILLISECOND)

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

void
dm_station_job_fail (DmStationJob *job, const GError *error)
{
  job->part->is_error = TRUE;
  g_free (job->part->reason);
  job->part->reason = g_strdup (error->message);
  job->part->decided_us = g_get_real_time ();
  job->error_code = error->domain == DM_ERROR ? error->code : DM_ERROR_FAILED;
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
      DmImageInfo info;

      if (size > self->settings.max_file_bytes)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE,
                       "%s: %" G_GSIZE_FORMAT " bytes, more than the limit", name, size);
          return FALSE;
        }
      decoded = dm_image_load_from_bytes_full (
        data, size, name, self->settings.max_pixels,
        self->settings.accept_damaged ? DM_IMAGE_LOAD_ACCEPT_DAMAGED : DM_IMAGE_LOAD_DEFAULT, &info,
        error);
      if (decoded == NULL)
        return FALSE;
      image = decoded;
      /* said in the record: the part was not scored whole */
      if (info.n_warnings > 0)
        job->part->note = g_strdup_printf ("scored despite %s", info.warning);
      else if (info.n_pages > 1)
        job->part->note
          = g_strdup_printf ("a TIFF of %d pages: only the first was scored", info.n_pages);
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

gpointer
dm_station_prepare_thread (gpointer data)
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
          dm_station_job_fail (job, error);
          dm_bounded_queue_push (self->commit, job, -1);
        }
      g_atomic_int_dec_and_test (&self->preparing);
    }
  return NULL;
}

/* ---- score and decide -------------------------------------------------- */

/* The station's one decision: the rule of the whole application (the
 * class's thresholds and inspection rules, dm-decider.h). */
static void
decide (DmStationJob *job, float score, const float *map)
{
  DmVerdict *v = &job->part->verdict;

  dm_decider_run (job->decider, map, score, job->part->width, job->part->height, v, NULL);
  job->part->score = v->score;
  job->part->decision = v->decision;
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
int
dm_station_allowed_batch (int n, int max_batch)
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
      dm_station_job_fail (batch[b], error);
  else
    for (int b = 0; b < n; b++)
      {
        DmStationJob *job = batch[b];
        g_autoptr (GError) numeric
          = dm_inspector_check_score (job->path != NULL ? job->path : "part", scores[b]);

        if (numeric != NULL)
          dm_station_job_fail (job, numeric);
        else
          decide (job, scores[b], maps + (gsize)b * DM_INSPECTOR_MAP_PIXELS);
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

gpointer
dm_station_scorer_thread (gpointer data)
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
      int size = dm_station_allowed_batch (n, max_batch);

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
      dm_station_set_stalled (self, error);
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

                  dm_station_job_fail (jobs[i], lost);
                  if (jobs[i]->func != NULL)
                    jobs[i]->func (jobs[i]->part, NULL, jobs[i]->error_code, jobs[i]->user_data);
                  dm_station_job_free (jobs[i]);
                }
              return;
            }
        }
      g_usleep (STALL_RETRY_US);
    }
  dm_station_set_stalled (self, NULL);
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

gpointer
dm_station_committer_thread (gpointer data)
{
  DmStation *self = data;
  DmStationJob *jobs[DM_STATION_MAX_GROUP];

  for (;;)
    {
      guint n = 0;

      jobs[n] = dm_bounded_queue_pop (self->commit, -1);
      if (jobs[n] == NULL)
        break;
      n++;
      /* every part decided meanwhile goes into the same write and fsync */
      while (n < DM_STATION_MAX_GROUP && (jobs[n] = dm_bounded_queue_pop (self->commit, 0)) != NULL)
        n++;
      commit_group (self, jobs, n);
    }
  return NULL;
}
