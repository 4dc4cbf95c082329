/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Line page at work: the window's own station, started and stopped in
 * DmJob threads (loading a model and draining the queues take seconds),
 * paused and resumed at once; or a station of another process followed
 * through its status.json and journal, read in a DmJob. Twice a second the
 * page looks: the status (counts, rate, latency, queue, every source and
 * output), the parts the committer handed over (dm_line_live_*), pictures
 * made in a DmJob, and new uncertain parts brought back to the project.
 * Nothing here waits on the station: the main thread only copies. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dm-feedback.h"
#include "dm-file-util.h"
#include "dm-journal.h"
#include "dm-line-page-private.h"
#include "dm-model-file.h"
#include "dm-project-line.h"
#include "dm-station-feedback.h"
#include "dm-station-rules.h"

#define POLL_MS 500
#define IMPORT_EVERY_US (2 * G_USEC_PER_SEC)
/* a followed station whose status is older than this is not running */
#define STALE_US (5 * G_USEC_PER_SEC)
#define MAX_KEPT_FILE ((gsize)64 << 20)
/* the niceness of the window's station: its threads yield to the window's */
#define STATION_NICE 10

/* ---- parts brought back to the project ---- */

typedef struct
{
  char *project_folder, *journal;
  guint n_new;
} Import;

static void
import_free (Import *im)
{
  g_free (im->project_folder);
  g_free (im->journal);
  g_free (im);
}

static gboolean
import_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  Import *im = data;

  return dm_station_feedback_import (im->project_folder, im->journal, &im->n_new, error);
}

static void
on_imported (DmLinePage *self, DmJob *job)
{
  Import *im = dm_job_get_data (job);
  const GError *error = dm_job_get_error (job);

  g_clear_pointer (&self->error, g_free);
  if (error != NULL)
    self->error = g_strdup_printf (_ ("Parts from the line could not be brought to Review: %s"),
                                   error->message);
  self->n_imported += im->n_new;
  if (im->n_new > 0 && self->project != NULL)
    dm_open_project_changed (self->project, "feedback");
  dm_job_clear (&self->import_job);
  dm_line_page_show_errors (self);
}

static void
maybe_import (DmLinePage *self, gboolean now)
{
  DmProject *project = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;
  Import *im;

  if (project == NULL || self->import_job != NULL || !self->has_status
      || self->status.last_seq <= self->imported_seq)
    return;
  if (!now && g_get_monotonic_time () - self->last_import_us < IMPORT_EVERY_US)
    return;
  im = g_new0 (Import, 1);
  im->project_folder = g_strdup (project->folder);
  im->journal = dm_line_page_get_journal (self);
  self->imported_seq = self->status.last_seq;
  self->last_import_us = g_get_monotonic_time ();
  self->import_job = dm_job_new (import_run, im, (GDestroyNotify)import_free);
  g_signal_connect_swapped (self->import_job, "finished", G_CALLBACK (on_imported), self);
  dm_job_start (self->import_job);
}

/* ---- a station in another process, followed ---- */

typedef struct
{
  char *journal;
  char *model_path; /* the project's active model: resize and crop */
  DmJournalPosition position;
  gboolean started;
  gboolean has_status;
  DmStationStatus status;
  gint64 updated_us;
  int resize, crop;
  GPtrArray *items; /* DmLineItem*: what the live view shows, oldest first */
} Follow;

static void
follow_free (Follow *f)
{
  g_free (f->journal);
  g_free (f->model_path);
  dm_station_status_clear (&f->status);
  g_clear_pointer (&f->items, g_ptr_array_unref);
  g_free (f);
}

/* A kept picture and map of a record, read from the journal folder. */
static DmLineItem *
read_item (const char *journal, const DmPart *p)
{
  g_autofree char *image_path = NULL, *map_path = NULL, *data = NULL;
  g_autoptr (DmImage) map = NULL;
  g_autoptr (GBytes) bytes = NULL;
  gsize len = 0;

  if (p->image != NULL && strstr (p->image, "..") == NULL && strstr (p->map, "..") == NULL)
    {
      image_path = g_build_filename (journal, p->image, NULL);
      map_path = g_build_filename (journal, p->map, NULL);
      if (dm_file_read_regular (image_path, MAX_KEPT_FILE, &data, &len, NULL))
        bytes = g_bytes_new_take (g_steal_pointer (&data), len);
      map = dm_image_load (map_path, 256 * 256, NULL);
      if (map != NULL
          && (map->type != DM_PIXEL_F32 || map->width != 256 || map->height != 256
              || map->channels != 1))
        g_clear_pointer (&map, dm_image_free);
    }
  return dm_line_item_new (p, map != NULL ? (const float *)(void *)map->data : NULL, bytes, NULL);
}

static gboolean
follow_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  Follow *f = data;
  g_autofree char *status_path = g_build_filename (f->journal, "status.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr (DmJournalReader) reader = NULL;
  g_autoptr (GString) line = g_string_new (NULL);
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_part_free);
  DmJournalPosition after;
  gsize len = 0;

  if (!g_file_test (f->journal, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _ ("%s: no such folder"), f->journal);
      return FALSE;
    }
  if (dm_file_read_regular (status_path, DM_STATION_STATUS_MAX_BYTES, &text, &len, NULL))
    f->has_status
      = dm_station_status_from_json (text, len, status_path, &f->status, &f->updated_us, NULL);
  if (f->model_path != NULL)
    {
      g_autoptr (DmModelFile) model = dm_model_file_open (f->model_path, NULL);

      if (model != NULL)
        {
          f->resize = model->info->resize;
          f->crop = model->info->crop;
        }
    }
  /* the first look starts at the newest segment: the past is history */
  if (!f->started)
    {
      g_autoptr (GArray) segments = dm_journal_list_segments (f->journal, NULL);

      memset (&f->position, 0, sizeof f->position);
      if (segments != NULL && segments->len > 0)
        f->position.segment = g_array_index (segments, guint32, segments->len - 1);
      f->started = TRUE;
    }
  reader = dm_journal_reader_new (f->journal, &f->position);
  while (dm_journal_reader_next (reader, NULL, line, &after, NULL) == DM_JOURNAL_READ_LINE)
    {
      DmPart *p = dm_part_from_json (line->str, line->len, f->journal, NULL);

      f->position = after;
      if (p == NULL)
        continue;
      /* the latest part, and the fails and uncertain parts of the last look */
      if (p->is_error || p->decision != DM_DECISION_PASS)
        g_ptr_array_add (parts, p);
      else
        {
          if (parts->len > 0)
            {
              DmPart *last = parts->pdata[parts->len - 1];

              if (!last->is_error && last->decision == DM_DECISION_PASS)
                g_ptr_array_remove_index (parts, parts->len - 1);
            }
          g_ptr_array_add (parts, p);
        }
      while (parts->len > DM_LINE_STRIP_MAX + 1)
        g_ptr_array_remove_index (parts, 0);
    }
  for (guint i = 0; i < parts->len; i++)
    g_ptr_array_add (f->items, read_item (f->journal, parts->pdata[i]));
  return TRUE;
}

static void
on_followed (DmLinePage *self, DmJob *job)
{
  Follow *f = dm_job_get_data (job);
  const GError *error = dm_job_get_error (job);

  if (self->mode == DM_LINE_FOLLOW)
    {
      self->followed_position = f->position;
      self->followed_started = f->started;
      if (f->resize > 0)
        {
          self->resize = f->resize;
          self->crop = f->crop;
        }
      g_clear_pointer (&self->error, g_free);
      if (error != NULL)
        self->error = g_strdup (error->message);
      if (f->has_status)
        {
          dm_station_status_clear (&self->status);
          self->status = f->status;
          memset (&f->status, 0, sizeof f->status);
          self->has_status = TRUE;
          if (g_get_real_time () - f->updated_us > STALE_US)
            {
              g_autoptr (GDateTime) t
                = g_date_time_new_from_unix_local (f->updated_us / G_USEC_PER_SEC);
              g_autofree char *when = t != NULL ? g_date_time_format (t, "%X") : g_strdup ("");

              self->status.state = DM_STATION_STOPPED;
              if (self->error == NULL)
                self->error = g_strdup_printf (
                  _ ("The station is not running: its last status is from %s"), when);
            }
        }
      for (guint i = 0; i < f->items->len; i++)
        dm_line_live_push (self->live, g_steal_pointer (&f->items->pdata[i]));
      dm_line_page_show_status (self);
      dm_line_page_show_state (self);
    }
  dm_job_clear (&self->poll_job);
}

static void
follow_poll (DmLinePage *self)
{
  DmProject *project = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;
  Follow *f;

  if (self->poll_job != NULL || project == NULL)
    return;
  f = g_new0 (Follow, 1);
  f->journal = g_strdup (self->followed);
  f->model_path
    = project->model != NULL ? g_build_filename (project->folder, project->model, NULL) : NULL;
  f->position = self->followed_position;
  f->started = self->followed_started;
  f->items = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_line_item_free);
  self->poll_job = dm_job_new (follow_run, f, (GDestroyNotify)follow_free);
  g_signal_connect_swapped (self->poll_job, "finished", G_CALLBACK (on_followed), self);
  dm_job_start (self->poll_job);
}

/* ---- twice a second ---- */

static gboolean
poll_tick (gpointer data)
{
  DmLinePage *self = data;

  if (self->mode == DM_LINE_OWN && self->station != NULL)
    {
      dm_station_status_clear (&self->status);
      dm_station_get_status (self->station, &self->status);
      self->has_status = TRUE;
      dm_line_page_show_status (self);
      dm_line_page_show_state (self);
    }
  else if (self->mode == DM_LINE_FOLLOW)
    follow_poll (self);
  dm_line_page_maybe_render (self);
  maybe_import (self, FALSE);
  return G_SOURCE_CONTINUE;
}

/* ---- the window's own station ---- */

typedef struct
{
  char *project_folder;
  DmLineLive *live;
  DmStation *station;
  int resize, crop;
  guint version;
} Start;

static void
start_free (Start *s)
{
  g_free (s->project_folder);
  /* a start that nobody took (the page went): stopped here, in the thread
   * that frees the job (the main thread, after the run) */
  g_clear_pointer (&s->station, dm_station_free);
  dm_line_live_unref (s->live);
  g_free (s);
}

/* Made in a thread of its own whose niceness every thread of the station
 * inherits (Linux: the niceness is a thread's): on a busy machine the
 * window's frames come first. A thread of the jobs' pool cannot be given
 * back its niceness, so it is not the one lowered. */
typedef struct
{
  DmStationSettings *settings;
  DmStation *station;
  GError *error;
} NiceStart;

static gpointer
nice_start_thread (gpointer data)
{
  NiceStart *n = data;

#ifdef __linux__
  if (setpriority (PRIO_PROCESS, (id_t)syscall (SYS_gettid), STATION_NICE) != 0)
    g_debug ("the station keeps the window's priority: %s", g_strerror (errno));
#endif
  n->station = dm_station_new (n->settings, &n->error);
  if (n->station != NULL && !dm_station_start (n->station, &n->error))
    g_clear_pointer (&n->station, dm_station_free);
  return NULL;
}

static DmStation *
start_nicely (DmStationSettings *settings, GError **error)
{
  NiceStart n = { settings, NULL, NULL };

  g_thread_join (g_thread_new ("station-start", nice_start_thread, &n));
  if (n.error != NULL)
    g_propagate_error (error, n.error);
  return n.station;
}

static gboolean
start_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  Start *s = data;
  DmStationSettings settings;
  g_autoptr (DmModelFile) model = NULL;
  gboolean ok = FALSE;

  dm_station_settings_init (&settings);
  settings.drain_seconds = 2;
  settings.on_part = dm_line_live_on_part;
  settings.on_part_data = s->live;
  if (!dm_station_settings_from_project_line (&settings, s->project_folder, error))
    goto out;
  /* the window keeps a core for itself: a frame is never late because the
   * inference threads took every core */
  if (settings.n_threads == 0)
    settings.n_threads = MAX (1, (int)g_get_num_processors () - 1);
  model = dm_model_file_open (settings.model_path, error);
  if (model == NULL)
    goto out;
  s->resize = model->info->resize;
  s->crop = model->info->crop;
  s->version = settings.model_version;
  s->station = start_nicely (&settings, error);
  ok = s->station != NULL;
out:
  dm_station_settings_clear (&settings);
  return ok;
}

static void
on_started (DmLinePage *self, DmJob *job)
{
  Start *s = dm_job_get_data (job);
  const GError *error = dm_job_get_error (job);

  g_clear_pointer (&self->error, g_free);
  if (s->station != NULL)
    {
      self->station = g_steal_pointer (&s->station);
      self->mode = DM_LINE_OWN;
      self->resize = s->resize;
      self->crop = s->crop;
      self->model_version = s->version;
    }
  else if (error != NULL)
    self->error = g_strdup_printf (_ ("The station could not start: %s"), error->message);
  dm_job_clear (&self->station_job);
  dm_line_page_sync_actions (self);
}

void
dm_line_page_start (DmLinePage *self)
{
  DmProject *project = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;
  Start *s;

  if (project == NULL || self->mode != DM_LINE_NONE || self->station_job != NULL)
    return;
  s = g_new0 (Start, 1);
  s->project_folder = g_strdup (project->folder);
  s->live = dm_line_live_ref (self->live);
  self->restart = FALSE;
  self->station_job = dm_job_new (start_run, s, (GDestroyNotify)start_free);
  g_signal_connect_swapped (self->station_job, "finished", G_CALLBACK (on_started), self);
  dm_job_start (self->station_job);
  dm_line_page_sync_actions (self);
}

void
dm_line_page_toggle_pause (DmLinePage *self)
{
  if (self->mode != DM_LINE_OWN || self->station == NULL)
    return;
  if (dm_line_page_get_state (self) == DM_STATION_PAUSED)
    dm_station_resume (self->station);
  else
    dm_station_pause (self->station);
  poll_tick (self);
}

typedef struct
{
  DmStation *station;
  DmLineLive *live; /* outlives the station's last call */
} Stop;

static void
stop_free (Stop *s)
{
  g_clear_pointer (&s->station, dm_station_free);
  dm_line_live_unref (s->live);
  g_free (s);
}

static gboolean
stop_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  Stop *s = data;

  /* sources stop, every part in the queues is decided and committed,
   * outputs get their moment to catch up, every thread joins */
  g_clear_pointer (&s->station, dm_station_free);
  return TRUE;
}

static void
on_stopped (DmLinePage *self, DmJob *job)
{
  dm_job_clear (&self->station_job);
  self->station = NULL;
  if (self->mode == DM_LINE_OWN)
    self->mode = DM_LINE_NONE;
  self->status.state = DM_STATION_STOPPED;
  /* the last parts come back too */
  maybe_import (self, TRUE);
  dm_line_page_sync_actions (self);
  if (self->restart)
    {
      DmProject *project
        = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;

      if (project != NULL)
        {
          g_autofree char *text
            = g_strdup_printf (_ ("The line takes up model version %u"), project->active_version);

          dm_feedback_toast (GTK_WIDGET (self), text);
        }
      dm_line_page_start (self);
    }
}

void
dm_line_page_stop (DmLinePage *self)
{
  Stop *s;

  if (self->mode != DM_LINE_OWN || self->station == NULL || self->station_job != NULL)
    return;
  /* the last status before it goes */
  poll_tick (self);
  s = g_new0 (Stop, 1);
  s->station = self->station;
  s->live = dm_line_live_ref (self->live);
  self->station_job = dm_job_new (stop_run, s, (GDestroyNotify)stop_free);
  g_signal_connect_swapped (self->station_job, "finished", G_CALLBACK (on_stopped), self);
  dm_job_start (self->station_job);
  dm_line_page_sync_actions (self);
}

void
dm_line_page_run_model_changed (DmLinePage *self)
{
  DmProject *project = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;

  /* a version promoted (or rolled back to): the running station takes it up */
  if (project == NULL || self->mode != DM_LINE_OWN || self->station == NULL
      || project->active_version == self->model_version)
    return;
  self->restart = TRUE;
  dm_line_page_stop (self);
}

/* ---- following ---- */

void
dm_line_page_follow (DmLinePage *self, const char *journal)
{
  DmProject *project = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;

  if (project == NULL || self->mode != DM_LINE_NONE || self->station_job != NULL)
    return;
  g_free (self->followed);
  self->followed = g_strdup (journal);
  memset (&self->followed_position, 0, sizeof self->followed_position);
  self->followed_started = FALSE;
  self->mode = DM_LINE_FOLLOW;
  self->has_status = FALSE;
  self->imported_seq = 0;
  if (g_strcmp0 (project->line->attached, journal) != 0)
    {
      g_free (project->line->attached);
      project->line->attached = g_strdup (journal);
      dm_feedback_save (GTK_WIDGET (self), self->project, "line");
    }
  dm_line_page_sync_actions (self);
  follow_poll (self);
}

void
dm_line_page_let_go (DmLinePage *self)
{
  DmProject *project = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;

  if (self->mode != DM_LINE_FOLLOW)
    return;
  self->mode = DM_LINE_NONE;
  dm_job_clear (&self->poll_job);
  g_clear_pointer (&self->followed, g_free);
  g_clear_pointer (&self->error, g_free);
  if (project != NULL && project->line->attached != NULL)
    {
      g_clear_pointer (&project->line->attached, g_free);
      dm_feedback_save (GTK_WIDGET (self), self->project, "line");
    }
  dm_line_page_sync_actions (self);
}

/* ---- the page's life ---- */

void
dm_line_page_run_project_changed (DmLinePage *self, gboolean closed)
{
  DmProject *project = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;

  if (closed)
    {
      /* a station still starting for the project that goes is stopped by
       * its job's data once the start is done */
      if (self->station == NULL && self->station_job != NULL)
        dm_job_clear (&self->station_job);
      /* the station of the project that goes stops (off the main thread) */
      if (self->mode == DM_LINE_OWN)
        {
          self->restart = FALSE;
          dm_line_page_stop (self);
        }
      if (self->mode == DM_LINE_FOLLOW)
        dm_line_page_let_go (self);
      dm_job_clear (&self->import_job);
      g_clear_pointer (&self->error, g_free);
      self->has_status = FALSE;
      self->imported_seq = 0;
      self->n_imported = 0;
      return;
    }
  /* a project that followed a station follows it again */
  if (project != NULL && project->line->attached != NULL)
    dm_line_page_follow (self, project->line->attached);
  dm_line_page_sync_actions (self);
}

static const char *const figure_titles[DM_LINE_FIGURES] = {
  N_ ("Pass"), N_ ("Uncertain"), N_ ("Fail"),  N_ ("Errors"),
  N_ ("Rate"), N_ ("Latency"),   N_ ("Queue"), N_ ("Last part"),
};

void
dm_line_page_run_init (DmLinePage *self)
{
  self->live = dm_line_live_new ();
  for (int i = 0; i < DM_LINE_FIGURES; i++)
    {
      GtkWidget *title = gtk_label_new (_ (figure_titles[i]));
      GtkWidget *value = gtk_label_new ("—");

      gtk_label_set_xalign (GTK_LABEL (title), 0);
      gtk_widget_add_css_class (title, "dim-label");
      gtk_label_set_xalign (GTK_LABEL (value), 0);
      gtk_widget_add_css_class (value, i < 4 ? "title-3" : "heading");
      gtk_widget_add_css_class (value, "numeric");
      gtk_grid_attach (self->figures, title, 0, i, 1, 1);
      gtk_grid_attach (self->figures, value, 1, i, 1, 1);
      self->figure_values[i] = GTK_LABEL (value);
    }
  self->poll_id = g_timeout_add (POLL_MS, poll_tick, self);
  dm_line_page_sync_actions (self);
}

void
dm_line_page_shutdown (DmLinePage *self)
{
  g_return_if_fail (DM_IS_LINE_PAGE (self));
  /* the window goes: the station drains here and now */
  if (self->mode == DM_LINE_OWN && self->station != NULL && self->station_job == NULL)
    {
      g_clear_pointer (&self->station, dm_station_free);
      self->mode = DM_LINE_NONE;
    }
}

void
dm_line_page_run_dispose (DmLinePage *self)
{
  dm_line_page_shutdown (self);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  /* a station still starting or stopping is finished by its job's data */
  dm_job_clear (&self->station_job);
  dm_job_clear (&self->poll_job);
  dm_job_clear (&self->render_job);
  dm_job_clear (&self->import_job);
  dm_station_status_clear (&self->status);
  g_clear_pointer (&self->followed, g_free);
  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->health_shape, g_free);
  g_clear_pointer (&self->live, dm_line_live_unref);
}

/* ---- for the window and the tests ---- */

DmStationState
dm_line_page_get_state (DmLinePage *self)
{
  g_return_val_if_fail (DM_IS_LINE_PAGE (self), DM_STATION_IDLE);
  if (self->mode == DM_LINE_NONE)
    return self->has_status ? DM_STATION_STOPPED : DM_STATION_IDLE;
  if (self->mode == DM_LINE_OWN && self->station != NULL && !self->has_status)
    return DM_STATION_RUNNING;
  return self->has_status ? self->status.state : DM_STATION_IDLE;
}

gboolean
dm_line_page_is_busy (DmLinePage *self)
{
  return self->station_job != NULL;
}

const DmStationStatus *
dm_line_page_get_status (DmLinePage *self)
{
  return self->has_status ? &self->status : NULL;
}

const char *
dm_line_page_get_error (DmLinePage *self)
{
  const char *text = gtk_label_get_label (self->error_label);

  return gtk_revealer_get_reveal_child (self->error_revealer) && text[0] != '\0' ? text : NULL;
}

guint
dm_line_page_get_n_shown (DmLinePage *self)
{
  return self->n_shown;
}

guint
dm_line_page_get_n_imported (DmLinePage *self)
{
  return self->n_imported;
}

gboolean
dm_line_page_is_importing (DmLinePage *self)
{
  return self->import_job != NULL;
}

char *
dm_line_page_get_journal (DmLinePage *self)
{
  DmProject *project = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;

  if (self->followed != NULL)
    return g_strdup (self->followed);
  return project != NULL ? dm_project_line_journal (project) : NULL;
}

guint
dm_line_page_get_model_version (DmLinePage *self)
{
  return self->mode == DM_LINE_OWN ? self->model_version : 0;
}
