/* SPDX-License-Identifier: GPL-3.0-or-later */
/* jsonl:PATH and csv:PATH — result files for MES import. Each delivery is
 * appended and fdatasync()ed; on (re)open the file's last line tells which
 * record it holds last, so a crash between the write and the cursor gives
 * no duplicate, and a torn last line is cut. CSV columns: seq, id, source,
 * class, file, frame, acquired, decided, score, decision, reason,
 * image_threshold, uncertain_low, uncertain_high, image, map,
 * model_sha256. */
#include "dm-sink.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dm-csv.h"
#include "dm-error.h"
#include "dm-part.h"

#define CSV_HEADER                                                                                 \
  "seq,id,source,class,file,frame,acquired,decided,score,decision,reason,image_threshold,"         \
  "uncertain_low,uncertain_high,image,map,model_sha256\n"

typedef struct
{
  gboolean csv;
  char *path;
  int fd;
} FileSink;

static gboolean
fail_io (GError **error, const char *path, const char *what)
{
  int saved = errno;
  g_autofree char *display = g_filename_display_name (path);

  g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: %s: %s", display, what, g_strerror (saved));
  return FALSE;
}

/* The seq of the file's last complete line; cuts a torn line after it. */
static gboolean
read_back (FileSink *f, guint64 *last_seq, GError **error)
{
  struct stat st;
  gsize tail, start;
  g_autofree char *buf = NULL;
  char *nl;

  *last_seq = 0;
  if (fstat (f->fd, &st) != 0)
    return fail_io (error, f->path, "cannot read");
  if (st.st_size == 0)
    return TRUE;
  tail = (gsize)MIN (st.st_size, (off_t)(2 * DM_PART_MAX_LINE));
  buf = g_malloc (tail + 1);
  if (pread (f->fd, buf, tail, st.st_size - (off_t)tail) != (gssize)tail)
    return fail_io (error, f->path, "cannot read");
  buf[tail] = '\0';
  nl = g_strrstr_len (buf, (gssize)tail, "\n");
  if (nl == NULL || nl != buf + tail - 1)
    {
      /* a torn last line: the record it began is delivered again */
      off_t keep = nl != NULL ? st.st_size - (off_t)tail + (nl - buf) + 1 : 0;

      g_warning ("%s: cutting a torn last line", f->path);
      if (ftruncate (f->fd, keep) != 0)
        return fail_io (error, f->path, "cannot cut a torn last line");
      if (nl == NULL)
        return TRUE;
    }
  *nl = '\0';
  nl = strrchr (buf, '\n');
  start = nl != NULL ? (gsize)(nl - buf) + 1 : 0;
  if (f->csv)
    *last_seq = g_ascii_strtoull (buf + start, NULL, 10);
  else
    {
      g_autoptr (DmPart) part = dm_part_from_json (buf + start, strlen (buf + start), NULL, NULL);

      *last_seq = part != NULL ? part->seq : 0;
    }
  return TRUE;
}

static gboolean
file_open (DmSink *sink, GError **error)
{
  FileSink *f = sink->impl;
  g_autofree char *dir = g_path_get_dirname (f->path);
  guint64 last_seq;

  if (g_mkdir_with_parents (dir, 0777) != 0)
    return fail_io (error, dir, "cannot create the folder");
  f->fd = g_open (f->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (f->fd < 0)
    return fail_io (error, f->path, "cannot open");
  if (!read_back (f, &last_seq, error))
    return FALSE;
  sink->resume_seq = MAX (last_seq, sink->cursor.seq);
  return TRUE;
}

static void
append_number (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isfinite (v))
    g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.9g", v));
}

static void
append_row (GString *out, const DmPart *p)
{
  g_autofree char *acquired = dm_part_format_time (p->acquired_us);
  g_autofree char *decided = dm_part_format_time (p->decided_us);
  const char *fields[] = { p->id, p->source, p->class_name, p->file };

  g_string_append_printf (out, "%" G_GUINT64_FORMAT, p->seq);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_string_append_c (out, ',');
      dm_csv_append_field (out, fields[i]);
    }
  g_string_append_c (out, ',');
  if (p->frame >= 0)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, p->frame);
  g_string_append_printf (out, ",%s,%s,", acquired, decided);
  if (!p->is_error)
    append_number (out, p->score);
  g_string_append_printf (out, ",%s,", dm_part_decision_name (p));
  dm_csv_append_field (out, p->reason);
  g_string_append_c (out, ',');
  append_number (out, p->thresholds.image);
  g_string_append_c (out, ',');
  append_number (out, p->thresholds.uncertain_low);
  g_string_append_c (out, ',');
  append_number (out, p->thresholds.uncertain_high);
  g_string_append_c (out, ',');
  dm_csv_append_field (out, p->image);
  g_string_append_c (out, ',');
  dm_csv_append_field (out, p->map);
  g_string_append_c (out, ',');
  dm_csv_append_field (out, p->model_sha256);
  g_string_append_c (out, '\n');
}

static gboolean
file_deliver (DmSink *sink,
              DmPart *const *parts,
              const GString *const *lines,
              guint n,
              guint *n_done,
              GError **error)
{
  FileSink *f = sink->impl;
  g_autoptr (GString) out = g_string_new (NULL);
  gsize done = 0;
  struct stat st;

  *n_done = 0;
  if (f->csv && fstat (f->fd, &st) == 0 && st.st_size == 0)
    g_string_append (out, CSV_HEADER);
  for (guint i = 0; i < n; i++)
    if (f->csv)
      append_row (out, parts[i]);
    else
      {
        g_string_append_len (out, lines[i]->str, (gssize)lines[i]->len);
        g_string_append_c (out, '\n');
      }
  while (done < out->len)
    {
      gssize w = write (f->fd, out->str + done, out->len - done);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        {
          if (w == 0)
            errno = EIO;
          return fail_io (error, f->path, "cannot write");
        }
      done += (gsize)w;
    }
  if (fdatasync (f->fd) != 0)
    return fail_io (error, f->path, "cannot sync");
  *n_done = n;
  return TRUE;
}

static void
file_close (DmSink *sink)
{
  FileSink *f = sink->impl;

  if (f->fd >= 0)
    close (f->fd);
  f->fd = -1;
}

static void
file_free (DmSink *sink)
{
  FileSink *f = sink->impl;

  file_close (sink);
  g_free (f->path);
  g_free (f);
}

static const DmSinkOps file_ops = {
  .kind = "file",
  .open = file_open,
  .deliver = file_deliver,
  .close = file_close,
  .free = file_free,
};

gboolean
dm_sink_file_init (DmSink *sink, const char *kind, const char *path, GError **error)
{
  FileSink *f;

  if (*path == '\0')
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "output '%s': give a file path", sink->uri);
      return FALSE;
    }
  f = g_new0 (FileSink, 1);
  f->csv = strcmp (kind, "csv") == 0;
  f->path = g_canonicalize_filename (path, NULL);
  f->fd = -1;
  sink->impl = f;
  sink->ops = &file_ops;
  return TRUE;
}
