/* SPDX-License-Identifier: GPL-3.0-or-later */
/* folder:PATH[?move=1&settle=MS&pattern=GLOB] — a hot folder.
 *
 * A file is taken only once it is complete: inotify says it was closed
 * after writing (IN_CLOSE_WRITE) or renamed in (IN_MOVED_TO). Files found
 * otherwise (present at start, or after an event queue overflow) are taken
 * once their size and time stayed the same for `settle` ms (2000) and no
 * write was seen on them since; an empty file is taken (as an error
 * record) only after staying empty that long, since writers often create
 * first and fill later. Only names that match pattern= are taken (globs,
 * comma-separated, case-insensitive; by default *.png, *.jpg, *.jpeg,
 * *.tif, *.tiff), so the temporary names of writers that rename in
 * ("a.png.tmp", "a.png.Xa12Bc") are not; hidden files and subfolders
 * never are.
 *
 * Each file is scored exactly once across restarts: a file is known by its
 * name, size and modification time; at start the journal's records of
 * this folder are read (the segments written since the oldest file here
 * was last changed), and a file the journal already holds is not scored
 * again. With move=1 a file goes to pass/, uncertain/, fail/ or error/
 * beside it once its record is committed (the record says where); after a
 * crash between the two, the restart finishes the move. While the station
 * does not take parts (paused, a full disk) files wait where they are. */
#include "dm-station-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dm-error.h"
#include "dm-journal.h"

#define WATCH_MASK                                                                                 \
  (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MODIFY | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF)
#define POLL_MS 100
#define DEFAULT_PATTERNS "*.png,*.jpg,*.jpeg,*.tif,*.tiff"

typedef struct
{
  gint64 size, mtime_us;
  gint64 since; /* monotonic: unchanged since */
} Observation;

typedef struct
{
  gboolean modified; /* written to (else only created: a hard link...) */
  gint64 when;       /* monotonic */
} Writing;

typedef struct
{
  char *folder; /* absolute */
  gboolean move;
  gint64 settle_us;
  char **patterns; /* lower-case globs; a part's name matches one */
  GThread *thread;
  int inotify_fd, watch;

  GHashTable *writing; /* name -> Writing: created or modified, not closed since */
  GHashTable *seen;    /* name -> Observation */
  GQueue pending;      /* names (owned) to take, in order */
  GHashTable *queued;  /* name: in pending */

  GMutex lock;       /* guards taken and done: the committer updates them */
  GHashTable *taken; /* name: handed to the station, not yet committed */
  GHashTable *done;  /* key -> moved_to ("" when it stays): in the journal */
  guint64 n_done_at_start;
} Folder;

static char *
file_key (const char *name, gint64 size, gint64 mtime_us)
{
  return g_strdup_printf ("%s\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT, name, size, mtime_us);
}

static gint64
mtime_us_of (const struct stat *st)
{
  return (gint64)st->st_mtim.tv_sec * G_USEC_PER_SEC + st->st_mtim.tv_nsec / 1000;
}

/* Names that are no parts: hidden files, and names that match no pattern
 * (by default image names: the temporary names of writers that rename in,
 * "a.png.tmp", "a.png.Xa12Bc", never match). */
static gboolean
ignored (Folder *f, const char *name)
{
  g_autofree char *lower = NULL;

  if (name[0] == '.')
    return TRUE;
  lower = g_utf8_strdown (name, -1);
  for (char **p = f->patterns; *p != NULL; p++)
    if (g_pattern_match_simple (*p, lower))
      return FALSE;
  return TRUE;
}

/* ---- the journal's record of this folder ---- */

/* The names present now and the oldest modification time among them. */
static GHashTable *
present_names (Folder *f, gint64 *oldest_us)
{
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GDir) dir = g_dir_open (f->folder, 0, NULL);
  const char *name;

  *oldest_us = G_MAXINT64;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->folder, name, NULL);
      struct stat st;

      if (ignored (f, name) || lstat (path, &st) != 0 || !S_ISREG (st.st_mode))
        continue;
      g_hash_table_add (names, g_strdup (name));
      *oldest_us = MIN (*oldest_us, mtime_us_of (&st));
    }
  return names;
}

/* done <- the records of files of this folder that are still here. Only
 * segments written since the oldest file here was last changed can hold
 * them (with a day's margin for clocks). */
static gboolean
read_journal (DmSource *source, Folder *f, GError **error)
{
  const char *journal = dm_station_get_settings (source->station)->journal;
  gint64 oldest_us;
  g_autoptr (GHashTable) names = present_names (f, &oldest_us);
  g_autoptr (GArray) segments = NULL;
  g_autoptr (GString) line = g_string_new (NULL);
  DmJournalPosition from = { 0, 0, 0 }, after;
  g_autoptr (DmJournalReader) reader = NULL;
  DmJournalRead got;

  if (g_hash_table_size (names) == 0)
    return TRUE;
  segments = dm_journal_list_segments (journal, error);
  if (segments == NULL)
    return FALSE;
  for (guint i = 0; i < segments->len; i++)
    {
      guint32 index = g_array_index (segments, guint32, i);
      g_autofree char *path = dm_journal_segment_path (journal, index);
      struct stat st;

      from.segment = index;
      if (path != NULL && stat (path, &st) == 0
          && mtime_us_of (&st) >= oldest_us - (gint64)86400 * G_USEC_PER_SEC)
        break;
    }
  reader = dm_journal_reader_new (journal, &from);
  while ((got = dm_journal_reader_next (reader, NULL, line, &after, error)) == DM_JOURNAL_READ_LINE)
    {
      g_autoptr (DmPart) part = dm_part_from_json (line->str, line->len, NULL, NULL);
      g_autofree char *dir = NULL, *name = NULL;

      if (part == NULL || part->file == NULL)
        continue;
      dir = g_path_get_dirname (part->file);
      name = g_path_get_basename (part->file);
      if (strcmp (dir, f->folder) == 0 && g_hash_table_contains (names, name))
        g_hash_table_replace (f->done, file_key (name, part->file_size, part->file_mtime_us),
                              g_strdup (part->moved_to != NULL ? part->moved_to : ""));
    }
  f->n_done_at_start = g_hash_table_size (f->done);
  return got != DM_JOURNAL_READ_ERROR;
}

/* ---- moving ---- */

static gboolean
move_file (DmSource *source, const char *from, const char *to)
{
  g_autofree char *dir = g_path_get_dirname (to);

  if (g_mkdir_with_parents (dir, 0777) != 0 || g_rename (from, to) != 0)
    {
      int saved = errno;

      dm_source_set_state (source, "cannot move %s to %s: %s", from, to, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static void
folder_record (DmSource *source, DmStationJob *job)
{
  Folder *f = source->impl;
  g_autofree char *name = NULL, *dir = NULL, *to = NULL;

  if (!f->move)
    return;
  name = g_path_get_basename (job->path);
  dir = g_build_filename (f->folder, dm_part_decision_name (job->part), NULL);
  to = g_build_filename (dir, name, NULL);
  if (g_file_test (to, G_FILE_TEST_EXISTS))
    {
      /* a name seen before: keep both, the part id makes it unique */
      const char *dot = strrchr (name, '.');
      g_autofree char *stem = g_strndup (name, dot != NULL ? (gsize)(dot - name) : strlen (name));
      g_autofree char *unique = g_strdup_printf ("%s-%" G_GUINT64_FORMAT "%s", stem, job->part->seq,
                                                 dot != NULL ? dot : "");

      g_free (to);
      to = g_build_filename (dir, unique, NULL);
    }
  g_free (job->part->moved_to);
  job->part->moved_to = g_steal_pointer (&to);
}

static void
folder_done (DmSource *source, DmStationJob *job)
{
  Folder *f = source->impl;
  g_autofree char *name = g_path_get_basename (job->path);
  gboolean stays = !f->move || !move_file (source, job->path, job->part->moved_to);

  g_mutex_lock (&f->lock);
  if (stays)
    g_hash_table_replace (f->done, file_key (name, job->part->file_size, job->part->file_mtime_us),
                          g_strdup (""));
  g_hash_table_remove (f->taken, name);
  g_mutex_unlock (&f->lock);
}

/* ---- taking files ---- */

static void
queue_name (Folder *f, const char *name)
{
  if (g_hash_table_contains (f->queued, name))
    return;
  g_hash_table_add (f->queued, g_strdup (name));
  g_queue_push_tail (&f->pending, g_strdup (name));
}

typedef enum
{
  TAKE_DONE,  /* taken, or nothing to take */
  TAKE_LATER, /* the station does not take parts now: keep it pending */
} Take;

static Take
take (DmSource *source, Folder *f, const char *name)
{
  g_autofree char *path = g_build_filename (f->folder, name, NULL);
  g_autofree char *key = NULL;
  g_autofree char *moved_to = NULL;
  DmStationJob *job;
  struct stat st;
  gboolean busy;

  if (lstat (path, &st) != 0 || !S_ISREG (st.st_mode))
    return TAKE_DONE;
  key = file_key (name, st.st_size, mtime_us_of (&st));
  g_mutex_lock (&f->lock);
  busy = g_hash_table_contains (f->taken, name);
  moved_to = g_strdup (g_hash_table_lookup (f->done, key));
  g_mutex_unlock (&f->lock);
  if (busy)
    return TAKE_DONE;
  if (moved_to != NULL)
    {
      /* scored before a restart: only the move may be missing */
      if (f->move && *moved_to != '\0')
        move_file (source, path, moved_to);
      return TAKE_DONE;
    }
  if (!dm_station_accepting (source->station))
    return TAKE_LATER;
  job = dm_station_job_new (source, source->class_name);
  job->path = g_strdup (path);
  job->part->file = g_strdup (path);
  job->part->file_size = st.st_size;
  job->part->file_mtime_us = mtime_us_of (&st);
  g_mutex_lock (&f->lock);
  g_hash_table_add (f->taken, g_strdup (name));
  g_mutex_unlock (&f->lock);
  if (!dm_station_submit (source->station, job, TRUE))
    {
      g_mutex_lock (&f->lock);
      g_hash_table_remove (f->taken, name);
      g_mutex_unlock (&f->lock);
      dm_station_job_free (job);
      return TAKE_LATER;
    }
  g_mutex_lock (&source->lock);
  source->taken++;
  g_mutex_unlock (&source->lock);
  return TAKE_DONE;
}

static void
take_pending (DmSource *source, Folder *f)
{
  char *name;

  while (!dm_station_stopping (source->station) && (name = g_queue_peek_head (&f->pending)) != NULL)
    {
      if (take (source, f, name) == TAKE_LATER)
        return;
      g_queue_pop_head (&f->pending);
      g_hash_table_remove (f->queued, name);
      g_free (name);
    }
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Files that no event announced: taken once they have settled. */
static void
scan (DmSource *source, Folder *f)
{
  g_autoptr (GDir) dir = g_dir_open (f->folder, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);
  gint64 now = g_get_monotonic_time (), wall = g_get_real_time ();
  GHashTableIter iter;
  gpointer key;
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (!ignored (f, name))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      const char *n = names->pdata[i];
      g_autofree char *path = g_build_filename (f->folder, n, NULL);
      Observation *o;
      struct stat st;
      gboolean busy;

      Writing *w = g_hash_table_lookup (f->writing, n);

      g_hash_table_add (present, (gpointer)n);
      /* a file written to and not closed is never taken by a scan; one only
       * created (a hard link has no close) waits for the settle time */
      if (w != NULL && !w->modified && now - w->when >= f->settle_us)
        g_hash_table_remove (f->writing, n);
      else if (w != NULL)
        continue;
      if (lstat (path, &st) != 0 || !S_ISREG (st.st_mode) || g_hash_table_contains (f->queued, n))
        continue;
      g_mutex_lock (&f->lock);
      busy = g_hash_table_contains (f->taken, n);
      g_mutex_unlock (&f->lock);
      if (busy)
        continue;
      o = g_hash_table_lookup (f->seen, n);
      if (o == NULL || o->size != st.st_size || o->mtime_us != mtime_us_of (&st))
        {
          if (o == NULL)
            {
              o = g_new0 (Observation, 1);
              g_hash_table_insert (f->seen, g_strdup (n), o);
            }
          o->size = st.st_size;
          o->mtime_us = mtime_us_of (&st);
          o->since = now;
          continue;
        }
      if (now - o->since >= f->settle_us && wall - o->mtime_us >= f->settle_us)
        queue_name (f, n);
    }
  g_hash_table_iter_init (&iter, f->seen);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (present, key))
      g_hash_table_iter_remove (&iter);
}

static gboolean
watch_folder (DmSource *source, Folder *f)
{
  f->watch = inotify_add_watch (f->inotify_fd, f->folder, WATCH_MASK);
  if (f->watch < 0)
    {
      int saved = errno;

      dm_source_set_state (source, "cannot watch the folder: %s; retrying", g_strerror (saved));
      return FALSE;
    }
  dm_source_set_state (source, "watching");
  return TRUE;
}

static void
read_events (DmSource *source, Folder *f)
{
  char buf[16384] __attribute__ ((aligned (__alignof__(struct inotify_event))));
  gssize n = read (f->inotify_fd, buf, sizeof buf);

  for (char *p = buf; n > 0 && p < buf + n;)
    {
      const struct inotify_event *ev = (const struct inotify_event *)p;
      const char *name = ev->len > 0 ? ev->name : NULL;

      p += sizeof (struct inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW)
        {
          /* events were lost: trust only what settles */
          g_hash_table_remove_all (f->writing);
          continue;
        }
      if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
        {
          dm_source_set_state (source, "the folder is gone; waiting for it");
          f->watch = -1;
          continue;
        }
      if (name == NULL || (ev->mask & IN_ISDIR) || ignored (f, name))
        continue;
      if (ev->mask & (IN_CREATE | IN_MODIFY))
        {
          Writing *w = g_hash_table_lookup (f->writing, name);

          if (w == NULL)
            {
              w = g_new0 (Writing, 1);
              g_hash_table_insert (f->writing, g_strdup (name), w);
            }
          w->modified |= (ev->mask & IN_MODIFY) != 0;
          w->when = g_get_monotonic_time ();
        }
      if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
        {
          g_autofree char *path = g_build_filename (f->folder, name, NULL);
          struct stat st;

          g_hash_table_remove (f->writing, name);
          /* closed while empty: maybe created now and filled later */
          if (lstat (path, &st) == 0 && st.st_size > 0)
            queue_name (f, name);
        }
    }
}

static gpointer
folder_thread (gpointer data)
{
  DmSource *source = data;
  Folder *f = source->impl;
  gint64 next_scan = 0;

  while (!dm_station_stopping (source->station))
    {
      struct pollfd pfd = { f->inotify_fd, POLLIN, 0 };
      gint64 now = g_get_monotonic_time ();

      if (f->watch < 0 && g_file_test (f->folder, G_FILE_TEST_IS_DIR))
        watch_folder (source, f);
      if (now >= next_scan)
        {
          scan (source, f);
          next_scan = now + MAX (f->settle_us / 4, 50 * G_TIME_SPAN_MILLISECOND);
        }
      take_pending (source, f);
      if (poll (&pfd, 1, POLL_MS) > 0)
        read_events (source, f);
    }
  return NULL;
}

static gboolean
folder_start (DmSource *source, GError **error)
{
  Folder *f = source->impl;

  if (!g_file_test (f->folder, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: no such folder", source->uri);
      return FALSE;
    }
  f->inotify_fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  if (f->inotify_fd < 0)
    {
      int saved = errno;

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot watch: %s", source->uri,
                   g_strerror (saved));
      return FALSE;
    }
  /* the watch first: a file closed while the journal is read is not missed */
  if (!watch_folder (source, f))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot watch the folder", source->uri);
      return FALSE;
    }
  if (!read_journal (source, f, error))
    return FALSE;
  if (f->n_done_at_start > 0)
    g_message ("%s: %" G_GUINT64_FORMAT " files here are in the journal already: not scored again",
               source->uri, f->n_done_at_start);
  f->thread = g_thread_new ("station-folder", folder_thread, source);
  return TRUE;
}

static void
folder_stop (DmSource *source)
{
  Folder *f = source->impl;

  g_clear_pointer (&f->thread, g_thread_join);
  dm_source_set_state (source, "stopped");
}

static void
folder_free (DmSource *source)
{
  Folder *f = source->impl;

  if (f == NULL)
    return;
  if (f->inotify_fd >= 0)
    close (f->inotify_fd);
  g_free (f->folder);
  g_strfreev (f->patterns);
  g_hash_table_unref (f->writing);
  g_hash_table_unref (f->seen);
  g_hash_table_unref (f->queued);
  g_queue_clear_full (&f->pending, g_free);
  g_hash_table_unref (f->taken);
  g_hash_table_unref (f->done);
  g_mutex_clear (&f->lock);
  g_free (f);
}

static const DmSourceOps folder_ops = {
  .kind = "folder",
  .start = folder_start,
  .stop = folder_stop,
  .record = folder_record,
  .done = folder_done,
  .free = folder_free,
};

gboolean
dm_source_folder_init (DmSource *source, const char *argument, GError **error)
{
  static const char *const allowed[] = { "move", "settle", "pattern", NULL };
  const char *q = strchr (argument, '?');
  g_autofree char *path
    = g_strndup (argument, q != NULL ? (gsize)(q - argument) : strlen (argument));
  g_autoptr (GHashTable) options
    = dm_station_parse_options (source->uri, q != NULL ? q + 1 : NULL, allowed, error);
  double move = 0, settle = 2000;
  Folder *f;

  if (options == NULL
      || !dm_station_option_double (options, source->uri, "move", 0, 1, &move, error)
      || !dm_station_option_double (options, source->uri, "settle", 0, 3600000, &settle, error))
    return FALSE;
  if (*path == '\0')
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: give the folder's path", source->uri);
      return FALSE;
    }
  f = g_new0 (Folder, 1);
  f->folder = g_canonicalize_filename (path, NULL);
  f->move = move != 0;
  f->settle_us = (gint64)(settle * G_TIME_SPAN_MILLISECOND);
  {
    const char *pattern = g_hash_table_lookup (options, "pattern");
    g_autofree char *lower = g_utf8_strdown (pattern != NULL ? pattern : DEFAULT_PATTERNS, -1);

    f->patterns = g_strsplit (lower, ",", -1);
  }
  f->inotify_fd = -1;
  f->watch = -1;
  f->writing = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  f->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  f->queued = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&f->pending);
  g_mutex_init (&f->lock);
  f->taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  f->done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  source->impl = f;
  source->ops = &folder_ops;
  return TRUE;
}
