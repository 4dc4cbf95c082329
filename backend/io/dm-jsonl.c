/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Append-only JSON Lines files: flock, one write, fsync; torn tails cut
 * (dm-jsonl.h). */
#include "dm-jsonl.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dm-error.h"
#include "dm-file-util.h"

#define CHUNK 65536

static gboolean
io_error (GError **error, const char *path, const char *what, int saved_errno)
{
  g_autofree char *display = g_filename_display_name (path);

  g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: %s: %s", display, what, g_strerror (saved_errno));
  return FALSE;
}

/* The length of the file without a torn last line: the byte after the
 * last newline (0 when there is none). */
static gboolean
complete_length (int fd, off_t size, off_t *length)
{
  char buf[4096];
  off_t end = size;

  while (end > 0)
    {
      off_t start = end > (off_t)sizeof buf ? end - (off_t)sizeof buf : 0;
      ssize_t n = pread (fd, buf, (size_t)(end - start), start);

      if (n < 0 && errno == EINTR)
        continue;
      if (n != end - start)
        return FALSE;
      for (ssize_t i = n - 1; i >= 0; i--)
        if (buf[i] == '\n')
          {
            *length = start + i + 1;
            return TRUE;
          }
      end = start;
    }
  *length = 0;
  return TRUE;
}

static gboolean
sync_folder (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = fsync (fd) == 0;
  close (fd);
  return ok;
}

gboolean
dm_jsonl_append (const char *path, const char *const *lines, guint n, GError **error)
{
  g_autoptr (GString) text = g_string_new (NULL);
  struct stat st;
  gboolean created = stat (path, &st) != 0;
  off_t size, length;
  gsize done = 0;
  int fd;

  for (guint i = 0; i < n; i++)
    {
      if (strchr (lines[i], '\n') != NULL)
        {
          g_autofree char *display = g_filename_display_name (path);

          g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: a record holds a newline", display);
          return FALSE;
        }
      g_string_append (text, lines[i]);
      g_string_append_c (text, '\n');
    }
  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return io_error (error, path, "cannot open for appending", errno);
  /* appenders in other processes (the window, the command line) wait */
  while (flock (fd, LOCK_EX) != 0)
    if (errno != EINTR)
      {
        int saved = errno;

        close (fd);
        return io_error (error, path, "cannot lock", saved);
      }
  size = lseek (fd, 0, SEEK_END);
  if (size < 0 || !complete_length (fd, size, &length))
    {
      int saved = errno;

      close (fd);
      return io_error (error, path, "cannot read", saved);
    }
  /* a record torn by a crash is no record: it goes before the next one */
  if (length < size && ftruncate (fd, length) != 0)
    {
      int saved = errno;

      close (fd);
      return io_error (error, path, "cannot cut the torn last line", saved);
    }
  while (done < text->len)
    {
      ssize_t w = pwrite (fd, text->str + done, text->len - done, length + (off_t)done);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        break;
      done += (gsize)w;
    }
  if (done < text->len || fsync (fd) != 0)
    {
      int saved = errno != 0 ? errno : EIO;

      /* nothing of this append counts */
      if (ftruncate (fd, length) == 0)
        fsync (fd);
      close (fd);
      return io_error (error, path, "cannot write", saved);
    }
  close (fd);
  if (created && !sync_folder (path))
    return io_error (error, path, "cannot sync its folder", errno);
  return TRUE;
}

gboolean
dm_jsonl_read (const char *path,
               gsize max_line,
               DmJsonlLineFunc func,
               gpointer user_data,
               DmJsonlReadStats *stats,
               GError **error)
{
  g_autoptr (GString) line = g_string_new (NULL);
  g_autofree char *buf = NULL;
  DmJsonlReadStats local = { 0 };
  gboolean too_long = FALSE;
  guint64 line_no = 0;
  int fd;

  if (stats == NULL)
    stats = &local;
  memset (stats, 0, sizeof *stats);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  fd = dm_open_regular (path, NULL, error);
  if (fd < 0)
    return FALSE;
  buf = g_malloc (CHUNK);
  for (;;)
    {
      ssize_t n = read (fd, buf, CHUNK);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          close (fd);
          return io_error (error, path, "read error", saved);
        }
      if (n == 0)
        break;
      for (ssize_t i = 0; i < n;)
        {
          const char *nl = memchr (buf + i, '\n', (size_t)(n - i));
          gsize piece = nl != NULL ? (gsize)(nl - (buf + i)) : (gsize)(n - i);

          if (!too_long)
            {
              if (line->len + piece > max_line)
                too_long = TRUE;
              else
                g_string_append_len (line, buf + i, (gssize)piece);
            }
          i += (ssize_t)piece;
          if (nl == NULL)
            break;
          i++;
          line_no++;
          if (too_long)
            stats->too_long++;
          else
            {
              stats->lines++;
              if (!func (line->str, line->len, line_no, user_data, error))
                {
                  close (fd);
                  return FALSE;
                }
            }
          g_string_truncate (line, 0);
          too_long = FALSE;
        }
    }
  close (fd);
  stats->torn = line->len > 0 || too_long;
  return TRUE;
}
