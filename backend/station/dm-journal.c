/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The journal's writer (group commit, rotation, recovery, the lock) and
 * its reader and cursors (dm-journal.h). */
#include "dm-journal.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-json-util.h"
#include "dm-json-writer.h"
#include "dm-part.h"

#define SEGMENT_PREFIX "journal-"
#define SEGMENT_SUFFIX ".jsonl"
#define READ_CHUNK 65536
/* Lines looked at, newest first, to find the last record when opening. */
#define RECOVER_LINES 16

struct _DmJournal
{
  char *folder;
  int lock_fd;
  guint64 max_bytes;
  int fd;          /* the segment being written, -1: none yet */
  guint32 segment; /* its number (0: none) */
  char day[9];     /* its UTC day, YYYYMMDD */
  guint64 size;    /* its committed bytes */

  GMutex lock; /* guards committed and wakes */
  GCond cond;
  DmJournalPosition committed;
  guint wakes;
};

static gboolean
io_error (GError **error, int saved, const char *path, const char *what)
{
  g_autofree char *display = g_filename_display_name (path);

  g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: %s: %s", display, what, g_strerror (saved));
  return FALSE;
}

/* "journal-00000012-20261207.jsonl" -> 12 and the day; FALSE for other names. */
static gboolean
parse_segment_name (const char *name, guint32 *index, char day[9])
{
  const char *p = name;
  guint64 n = 0;

  if (!g_str_has_prefix (p, SEGMENT_PREFIX))
    return FALSE;
  p += strlen (SEGMENT_PREFIX);
  for (int i = 0; i < 8; i++, p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
    else
      n = n * 10 + (guint64)(*p - '0');
  if (*p++ != '-')
    return FALSE;
  for (int i = 0; i < 8; i++)
    if (!g_ascii_isdigit (p[i]))
      return FALSE;
  if (strcmp (p + 8, SEGMENT_SUFFIX) != 0 || n == 0)
    return FALSE;
  *index = (guint32)n;
  if (day != NULL)
    {
      memcpy (day, p, 8);
      day[8] = '\0';
    }
  return TRUE;
}

static int
compare_u32 (gconstpointer a, gconstpointer b)
{
  guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

  return x < y ? -1 : x > y;
}

GArray *
dm_journal_list_segments (const char *folder, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (GDir) dir = g_dir_open (folder, 0, &local);
  GArray *out;
  const char *name;

  if (dir == NULL)
    {
      g_autofree char *display = g_filename_display_name (folder);

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot read the journal folder: %s", display,
                   local->message);
      return NULL;
    }
  out = g_array_new (FALSE, FALSE, sizeof (guint32));
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      guint32 index;

      if (parse_segment_name (name, &index, NULL))
        g_array_append_val (out, index);
    }
  g_array_sort (out, compare_u32);
  return out;
}

char *
dm_journal_segment_path (const char *folder, guint32 index)
{
  g_autoptr (GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      guint32 i;

      if (parse_segment_name (name, &i, NULL) && i == index)
        return g_build_filename (folder, name, NULL);
    }
  return NULL;
}

/* ---- reading ----------------------------------------------------------- */

struct _DmJournalReader
{
  char *folder;
  DmJournalPosition pos;
  int fd;       /* segment pos.segment, -1: not open */
  GString *buf; /* bytes of it from buf_offset on */
  guint64 buf_offset;
  gboolean skipping; /* inside a line too long to be a record */
};

DmJournalReader *
dm_journal_reader_new (const char *folder, const DmJournalPosition *from)
{
  DmJournalReader *r = g_new0 (DmJournalReader, 1);

  r->folder = g_strdup (folder);
  if (from != NULL)
    r->pos = *from;
  r->fd = -1;
  r->buf = g_string_new (NULL);
  return r;
}

void
dm_journal_reader_free (DmJournalReader *r)
{
  if (r == NULL)
    return;
  if (r->fd >= 0)
    close (r->fd);
  g_string_free (r->buf, TRUE);
  g_free (r->folder);
  g_free (r);
}

/* The first segment after index on disk, or 0. */
static guint32
next_segment_on_disk (const char *folder, guint32 index)
{
  g_autoptr (GArray) list = dm_journal_list_segments (folder, NULL);

  for (guint i = 0; list != NULL && i < list->len; i++)
    if (g_array_index (list, guint32, i) > index)
      return g_array_index (list, guint32, i);
  return 0;
}

static void
reader_close_segment (DmJournalReader *r)
{
  if (r->fd >= 0)
    close (r->fd);
  r->fd = -1;
  g_string_truncate (r->buf, 0);
  r->buf_offset = 0;
}

/* Opens the segment of r->pos; FALSE with no error when it does not exist. */
static gboolean
reader_open_segment (DmJournalReader *r, GError **error)
{
  g_autofree char *path = NULL;

  if (r->pos.segment == 0)
    {
      r->pos.segment = next_segment_on_disk (r->folder, 0);
      r->pos.offset = 0;
      if (r->pos.segment == 0)
        return FALSE;
    }
  path = dm_journal_segment_path (r->folder, r->pos.segment);
  if (path == NULL)
    {
      /* removed by the operator: go on with the next one */
      guint32 next = next_segment_on_disk (r->folder, r->pos.segment);

      if (next == 0)
        return FALSE;
      r->pos.segment = next;
      r->pos.offset = 0;
      path = dm_journal_segment_path (r->folder, next);
      if (path == NULL)
        return FALSE;
    }
  r->fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (r->fd < 0)
    return io_error (error, errno, path, "cannot open the journal segment");
  g_string_truncate (r->buf, 0);
  r->buf_offset = r->pos.offset;
  return TRUE;
}

/* The seq of a record line ("seq":N, the second member), or 0. */
static guint64
line_seq (const char *line, gsize len)
{
  const char *key = g_strstr_len (line, (gssize)MIN (len, 200), "\"seq\":");

  if (key == NULL)
    return 0;
  return g_ascii_strtoull (key + 6, NULL, 10);
}

DmJournalRead
dm_journal_reader_next (DmJournalReader *r,
                        const DmJournalPosition *limit,
                        GString *line,
                        DmJournalPosition *after,
                        GError **error)
{
  for (;;)
    {
      guint64 end = G_MAXUINT64;
      gsize start;
      const char *nl;
      char chunk[READ_CHUNK];
      gssize got;

      if (limit != NULL && (limit->segment == 0 || limit->segment < r->pos.segment))
        return DM_JOURNAL_READ_END;
      if (r->fd < 0)
        {
          g_autoptr (GError) local = NULL;

          if (!reader_open_segment (r, &local))
            {
              if (local == NULL)
                return DM_JOURNAL_READ_END;
              g_propagate_error (error, g_steal_pointer (&local));
              return DM_JOURNAL_READ_ERROR;
            }
          continue;
        }
      if (limit != NULL && limit->segment == r->pos.segment)
        end = limit->offset;
      if (r->pos.offset >= end)
        return DM_JOURNAL_READ_END;

      start = (gsize)(r->pos.offset - r->buf_offset);
      nl = memchr (r->buf->str + start, '\n', r->buf->len - start);
      if (nl != NULL && r->buf_offset + (guint64)(nl - r->buf->str) < end)
        {
          gsize n = (gsize)(nl - (r->buf->str + start));

          g_string_truncate (line, 0);
          if (!r->skipping && n <= DM_PART_MAX_LINE)
            g_string_append_len (line, r->buf->str + start, (gssize)n);
          r->skipping = FALSE;
          r->pos.offset += n + 1;
          r->pos.seq = MAX (r->pos.seq, line_seq (line->str, line->len));
          *after = r->pos;
          /* drop what was read once it piles up */
          if (r->pos.offset - r->buf_offset > READ_CHUNK)
            {
              g_string_erase (r->buf, 0, (gssize)(r->pos.offset - r->buf_offset));
              r->buf_offset = r->pos.offset;
            }
          return DM_JOURNAL_READ_LINE;
        }
      if (r->buf->len - start > DM_PART_MAX_LINE)
        {
          /* no record is that long: skip to the next newline */
          r->skipping = TRUE;
          r->pos.offset += r->buf->len - start;
          g_string_truncate (r->buf, 0);
          r->buf_offset = r->pos.offset;
          continue;
        }

      do
        got = pread (r->fd, chunk,
                     (size_t)MIN ((guint64)sizeof chunk, end - (r->buf_offset + r->buf->len)),
                     (off_t)(r->buf_offset + r->buf->len));
      while (got < 0 && errno == EINTR);
      if (got < 0)
        {
          g_autofree char *path = dm_journal_segment_path (r->folder, r->pos.segment);

          io_error (error, errno, path != NULL ? path : r->folder, "cannot read the journal");
          reader_close_segment (r);
          return DM_JOURNAL_READ_ERROR;
        }
      if (got > 0)
        {
          g_string_append_len (r->buf, chunk, got);
          continue;
        }
      /* the end of this segment's bytes: the next segment, if the writer
       * has moved on (then this one is complete) */
      {
        guint32 next = 0;

        if (limit != NULL && limit->segment > r->pos.segment)
          next = next_segment_on_disk (r->folder, r->pos.segment);
        else if (limit == NULL)
          next = next_segment_on_disk (r->folder, r->pos.segment);
        if (next == 0 || r->buf->len > start)
          return DM_JOURNAL_READ_END;
        reader_close_segment (r);
        r->pos.segment = next;
        r->pos.offset = 0;
        r->skipping = FALSE;
      }
    }
}

/* ---- writing ----------------------------------------------------------- */

static gboolean
take_lock (DmJournal *j, GError **error)
{
  g_autofree char *path = g_build_filename (j->folder, DM_JOURNAL_LOCK_FILE, NULL);

  j->lock_fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (j->lock_fd < 0)
    return io_error (error, errno, path, "cannot open the lock file");
  if (flock (j->lock_fd, LOCK_EX | LOCK_NB) != 0)
    {
      g_autofree char *display = g_filename_display_name (j->folder);

      if (errno == EWOULDBLOCK)
        g_set_error (error, DM_ERROR, DM_ERROR_IO,
                     "%s: another station is writing this journal (%s is locked)", display,
                     DM_JOURNAL_LOCK_FILE);
      else
        io_error (error, errno, path, "cannot lock");
      return FALSE;
    }
  return TRUE;
}

static gboolean
sync_folder (const char *folder, GError **error)
{
  int fd = g_open (folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (fd < 0)
    return io_error (error, errno, folder, "cannot open the folder");
  if (fsync (fd) != 0 && errno != EINVAL)
    {
      int saved = errno;

      close (fd);
      return io_error (error, saved, folder, "cannot sync the folder");
    }
  close (fd);
  return TRUE;
}

/* Reads segment index to its end: the offset after its last complete line
 * and the seq of its last record (0 when it holds none). */
static gboolean
scan_segment (const char *folder, guint32 index, guint64 *end, guint64 *last_seq, GError **error)
{
  DmJournalPosition from = { index, 0, 0 }, after = from;
  g_autoptr (DmJournalReader) r = dm_journal_reader_new (folder, &from);
  g_autoptr (GString) line = g_string_new (NULL);
  GString *recent[RECOVER_LINES] = { NULL };
  guint n = 0;
  DmJournalRead got;

  /* a limit in this segment keeps the reader from moving on */
  from.offset = G_MAXUINT64;
  *end = 0;
  *last_seq = 0;
  while ((got = dm_journal_reader_next (r, &from, line, &after, error)) == DM_JOURNAL_READ_LINE)
    {
      GString **slot = &recent[n++ % RECOVER_LINES];

      if (*slot == NULL)
        *slot = g_string_new (NULL);
      g_string_assign (*slot, line->str);
      *end = after.offset;
    }
  for (guint k = 0; k < MIN (n, RECOVER_LINES) && *last_seq == 0; k++)
    {
      GString *s = recent[(n - 1 - k) % RECOVER_LINES];
      g_autoptr (DmPart) part = dm_part_from_json (s->str, s->len, NULL, NULL);

      if (part != NULL)
        *last_seq = part->seq;
    }
  for (guint k = 0; k < RECOVER_LINES; k++)
    if (recent[k] != NULL)
      g_string_free (recent[k], TRUE);
  return got != DM_JOURNAL_READ_ERROR;
}

static gboolean
recover (DmJournal *j, GError **error)
{
  g_autoptr (GArray) segments = dm_journal_list_segments (j->folder, error);
  guint64 end = 0, seq = 0;

  if (segments == NULL)
    return FALSE;
  /* the last record: in the last segment, or an earlier one when the last
   * was opened and nothing committed in it */
  for (guint i = segments->len; i-- > 0 && seq == 0;)
    {
      guint32 index = g_array_index (segments, guint32, i);
      guint64 seg_end;

      if (!scan_segment (j->folder, index, &seg_end, &seq, error))
        return FALSE;
      if (i == segments->len - 1)
        end = seg_end;
    }
  if (segments->len > 0)
    {
      guint32 last = g_array_index (segments, guint32, segments->len - 1);
      g_autofree char *path = dm_journal_segment_path (j->folder, last);
      struct stat st;

      j->fd = g_open (path, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
      if (j->fd < 0 || fstat (j->fd, &st) != 0)
        return io_error (error, errno, path, "cannot open the journal segment");
      if ((guint64)st.st_size != end)
        {
          /* a torn last line (killed mid-write): never committed */
          if (ftruncate (j->fd, (off_t)end) != 0 || fdatasync (j->fd) != 0)
            return io_error (error, errno, path, "cannot cut the torn last line");
        }
      {
        g_autofree char *base = g_path_get_basename (path);

        parse_segment_name (base, &j->segment, j->day);
      }
      j->size = end;
    }
  j->committed.segment = j->segment;
  j->committed.offset = j->size;
  j->committed.seq = seq;
  return TRUE;
}

DmJournal *
dm_journal_open (const char *folder, guint64 max_segment_bytes, GError **error)
{
  g_autoptr (DmJournal) j = g_new0 (DmJournal, 1);

  j->folder = g_strdup (folder);
  j->lock_fd = -1;
  j->fd = -1;
  j->max_bytes = max_segment_bytes > 0 ? max_segment_bytes : DM_JOURNAL_DEFAULT_SEGMENT_BYTES;
  g_mutex_init (&j->lock);
  g_cond_init (&j->cond);
  if (g_mkdir_with_parents (folder, 0777) != 0)
    {
      io_error (error, errno, folder, "cannot create the journal folder");
      return NULL;
    }
  if (!take_lock (j, error) || !recover (j, error))
    return NULL;
  return g_steal_pointer (&j);
}

void
dm_journal_free (DmJournal *j)
{
  if (j == NULL)
    return;
  if (j->fd >= 0)
    close (j->fd);
  if (j->lock_fd >= 0)
    close (j->lock_fd); /* releases the flock */
  g_mutex_clear (&j->lock);
  g_cond_clear (&j->cond);
  g_free (j->folder);
  g_free (j);
}

const char *
dm_journal_get_folder (DmJournal *j)
{
  return j->folder;
}

static void
utc_day (gint64 now_us, char day[9])
{
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (now_us / G_USEC_PER_SEC);
  g_autofree char *text = t != NULL ? g_date_time_format (t, "%Y%m%d") : g_strdup ("19700101");

  g_strlcpy (day, text, 9);
}

static gboolean
open_next_segment (DmJournal *j, const char *day, GError **error)
{
  g_autofree char *name
    = g_strdup_printf (SEGMENT_PREFIX "%08u-%s" SEGMENT_SUFFIX, j->segment + 1, day);
  g_autofree char *path = g_build_filename (j->folder, name, NULL);
  int fd = g_open (path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

  if (fd < 0)
    return io_error (error, errno, path, "cannot create the journal segment");
  if (!sync_folder (j->folder, error))
    {
      close (fd);
      g_unlink (path);
      return FALSE;
    }
  if (j->fd >= 0)
    close (j->fd);
  j->fd = fd;
  j->segment++;
  g_strlcpy (j->day, day, sizeof j->day);
  j->size = 0;
  return TRUE;
}

gboolean
dm_journal_append (
  DmJournal *j, char *const *lines, guint n, guint64 last_seq, gint64 now_us, GError **error)
{
  g_autoptr (GString) group = g_string_new (NULL);
  char day[9];
  gsize done = 0;

  if (n == 0)
    return TRUE;
  for (guint i = 0; i < n; i++)
    {
      g_string_append (group, lines[i]);
      g_string_append_c (group, '\n');
    }
  utc_day (now_us, day);
  if ((j->fd < 0 || strcmp (day, j->day) != 0
       || (j->size > 0 && j->size + group->len > j->max_bytes))
      && !open_next_segment (j, day, error))
    return FALSE;

  while (done < group->len)
    {
      gssize w = write (j->fd, group->str + done, group->len - done);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        goto failed;
      done += (gsize)w;
    }
  if (fdatasync (j->fd) != 0)
    goto failed;
  j->size += group->len;
  g_mutex_lock (&j->lock);
  j->committed.segment = j->segment;
  j->committed.offset = j->size;
  j->committed.seq = last_seq;
  g_cond_broadcast (&j->cond);
  g_mutex_unlock (&j->lock);
  return TRUE;

failed:
  {
    int saved = errno != 0 ? errno : EIO;
    g_autofree char *path = dm_journal_segment_path (j->folder, j->segment);

    /* nothing of the group stays: the journal ends with a whole record */
    if (ftruncate (j->fd, (off_t)j->size) == 0)
      (void)fdatasync (j->fd);
    return io_error (error, saved, path != NULL ? path : j->folder, "cannot write the journal");
  }
}

void
dm_journal_get_committed (DmJournal *j, DmJournalPosition *position)
{
  g_mutex_lock (&j->lock);
  *position = j->committed;
  g_mutex_unlock (&j->lock);
}

gboolean
dm_journal_wait (DmJournal *j, guint64 seq, gint64 end_time)
{
  gboolean more;
  guint wakes;

  g_mutex_lock (&j->lock);
  wakes = j->wakes;
  while (j->committed.seq <= seq && j->wakes == wakes)
    if (!g_cond_wait_until (&j->cond, &j->lock, end_time))
      break;
  more = j->committed.seq > seq;
  g_mutex_unlock (&j->lock);
  return more;
}

void
dm_journal_wake (DmJournal *j)
{
  g_mutex_lock (&j->lock);
  j->wakes++;
  g_cond_broadcast (&j->cond);
  g_mutex_unlock (&j->lock);
}

/* ---- cursors ----------------------------------------------------------- */

gboolean
dm_journal_cursor_save (const char *path,
                        const char *name,
                        const DmJournalPosition *p,
                        GError **error)
{
  g_autoptr (DmJsonWriter) w = dm_json_writer_new (FALSE);
  g_autofree char *text = NULL;

  dm_json_writer_begin_object (w);
  dm_json_writer_member_string (w, "name", name);
  dm_json_writer_member_int (w, "segment", p->segment);
  dm_json_writer_member_int (w, "offset", (gint64)p->offset);
  dm_json_writer_member_int (w, "seq", (gint64)p->seq);
  dm_json_writer_end_object (w);
  text = g_strconcat (dm_json_writer_get_text (w), "\n", NULL);
  return dm_file_set_contents_atomic (path, text, strlen (text), error);
}

static gboolean
cursor_member (JsonObject *o, const char *name, guint64 max, guint64 *out)
{
  JsonNode *n = json_object_get_member (o, name);
  gint64 v;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (n);
  if (v < 0 || (guint64)v > max)
    return FALSE;
  *out = (guint64)v;
  return TRUE;
}

gboolean
dm_journal_cursor_parse (
  const char *text, gsize len, const char *what, DmJournalPosition *position, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  JsonObject *o = dm_json_parse_line_object (parser, text, len, 65536, what, NULL);
  guint64 segment, offset, seq;

  if (o == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: not a cursor (a JSON object)", what);
      return FALSE;
    }
  if (!cursor_member (o, "segment", G_MAXUINT32, &segment)
      || !cursor_member (o, "offset", G_MAXINT64, &offset)
      || !cursor_member (o, "seq", G_MAXINT64, &seq))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT,
                   "%s: a cursor needs non-negative integers segment, offset and seq", what);
      return FALSE;
    }
  position->segment = (guint32)segment;
  position->offset = offset;
  position->seq = seq;
  return TRUE;
}

gboolean
dm_journal_cursor_load (const char *path, DmJournalPosition *position, GError **error)
{
  g_autofree char *text = NULL;
  g_autofree char *display = g_filename_display_name (path);
  g_autoptr (GError) local = NULL;
  gsize len;

  memset (position, 0, sizeof *position);
  if (!g_file_get_contents (path, &text, &len, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot read the cursor: %s", display,
                   local->message);
      return FALSE;
    }
  return dm_journal_cursor_parse (text, len, display, position, error);
}
