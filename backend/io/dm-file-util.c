/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Atomic file writes and streamed SHA-256 checksums. */
#include "dm-file-util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dm-error.h"

static gboolean
set_errno_error (GError **error, int saved_errno, const char *what, const char *path)
{
  g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: %s: %s", path, what, g_strerror (saved_errno));
  return FALSE;
}

gboolean
dm_atomic_file_begin (DmAtomicFile *file, const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *name = g_strdup_printf (".%s.XXXXXX", base);

  memset (file, 0, sizeof *file);
  file->fd = -1;
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: is a folder; give a file name", path);
      return FALSE;
    }
  file->path = g_strdup (path);
  file->tmp_path = g_build_filename (dir, name, NULL);
  /* 0666 minus the umask: the permissions a plain new file would get. */
  file->fd = g_mkstemp_full (file->tmp_path, O_RDWR | O_CLOEXEC, 0666);
  if (file->fd < 0)
    {
      int saved_errno = errno;
      set_errno_error (error, saved_errno, "cannot create a file in its folder", path);
      g_clear_pointer (&file->tmp_path, g_free);
      g_clear_pointer (&file->path, g_free);
      return FALSE;
    }
  /* held while the file is written: a cleaner of stale temporary files
   * (dm_atomic_file_remove_stale) leaves a file whose writer is alive */
  flock (file->fd, LOCK_EX | LOCK_NB);
  return TRUE;
}

gboolean
dm_atomic_file_write (DmAtomicFile *file, const void *data, gsize n, GError **error)
{
  const guint8 *p = data;

  while (n > 0)
    {
      gssize done = write (file->fd, p, MIN (n, (gsize)1 << 30));
      if (done < 0)
        {
          int saved_errno = errno;
          if (saved_errno == EINTR)
            continue;
          return set_errno_error (error, saved_errno, "write failed", file->path);
        }
      p += done;
      n -= (gsize)done;
    }
  return TRUE;
}

gboolean
dm_atomic_file_sink (gpointer file, const void *data, gsize n, GError **error)
{
  return dm_atomic_file_write (file, data, n, error);
}

gboolean
dm_atomic_file_commit (DmAtomicFile *file, GError **error)
{
  g_autofree char *dir = NULL;
  int saved_errno, dir_fd;

  /* the error is set before the abort, which forgets the path */
  if (fsync (file->fd) != 0)
    {
      saved_errno = errno;
      set_errno_error (error, saved_errno, "fsync failed", file->path);
      dm_atomic_file_abort (file);
      return FALSE;
    }
  if (close (file->fd) != 0)
    {
      saved_errno = errno;
      file->fd = -1;
      set_errno_error (error, saved_errno, "close failed", file->path);
      dm_atomic_file_abort (file);
      return FALSE;
    }
  file->fd = -1;
  if (g_rename (file->tmp_path, file->path) != 0)
    {
      saved_errno = errno;
      set_errno_error (error, saved_errno, "cannot replace the file", file->path);
      dm_atomic_file_abort (file);
      return FALSE;
    }
  /* Make the rename itself durable; a failure here loses nothing. */
  dir = g_path_get_dirname (file->path);
  dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      close (dir_fd);
    }
  g_clear_pointer (&file->tmp_path, g_free);
  g_clear_pointer (&file->path, g_free);
  return TRUE;
}

void
dm_atomic_file_abort (DmAtomicFile *file)
{
  if (file->fd >= 0)
    {
      close (file->fd);
      file->fd = -1;
    }
  if (file->tmp_path != NULL)
    g_unlink (file->tmp_path);
  g_clear_pointer (&file->tmp_path, g_free);
  g_clear_pointer (&file->path, g_free);
}

gboolean
dm_file_check_writable (const char *path, GError **error)
{
  DmAtomicFile file;

  /* the very way the file will be written: a temporary file in its folder */
  if (strlen (path) >= PATH_MAX)
    {
      g_autofree char *start = g_strndup (path, 60);
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s…: the path is longer than %d bytes", start,
                   PATH_MAX - 1);
      return FALSE;
    }
  if (!dm_atomic_file_begin (&file, path, error))
    return FALSE;
  dm_atomic_file_abort (&file);
  return TRUE;
}

gboolean
dm_folder_lock (const char *folder, const char *what, int *fd_out, GError **error)
{
  g_autofree char *display = g_filename_display_name (folder);
  int fd, saved_errno;

  if (g_mkdir_with_parents (folder, 0755) != 0)
    {
      saved_errno = errno;
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot create the folder: %s", display,
                   g_strerror (saved_errno));
      return FALSE;
    }
  /* the folder itself is locked: nothing is left in it */
  fd = open (folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot open the folder: %s", display,
                   g_strerror (saved_errno));
      return FALSE;
    }
  /* an advisory lock the kernel drops when the holder dies (kill -9 too) */
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      saved_errno = errno;
      close (fd);
      if (saved_errno == EWOULDBLOCK)
        g_set_error (error, DM_ERROR, DM_ERROR_IO,
                     "%s: in use by another %s: wait for it to end, or use another folder", display,
                     what);
      else
        g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot lock the folder: %s", display,
                     g_strerror (saved_errno));
      return FALSE;
    }
  *fd_out = fd;
  return TRUE;
}

void
dm_folder_unlock (int fd)
{
  if (fd >= 0)
    close (fd); /* closing drops the lock */
}

int
dm_open_regular (const char *path, gsize *size, GError **error)
{
  g_autofree char *display = g_filename_display_name (path);
  struct stat st;
  int fd, saved_errno;

  /* O_NONBLOCK: opening a named pipe for reading would otherwise wait for
   * a writer forever (a FIFO named like an image in a folder of parts). */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0);
  if (fd < 0)
    {
      saved_errno = errno;
      if (saved_errno == ENOENT)
        g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: no such file", display);
      else
        g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot open: %s", display,
                     g_strerror (saved_errno));
      return -1;
    }
  if (fstat (fd, &st) != 0)
    {
      saved_errno = errno;
      close (fd);
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot read: %s", display,
                   g_strerror (saved_errno));
      return -1;
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot read: %s", display,
                   S_ISDIR (st.st_mode)    ? "is a folder"
                   : S_ISFIFO (st.st_mode) ? "a named pipe, not a regular file"
                   : S_ISSOCK (st.st_mode) ? "a socket, not a regular file"
                                           : "not a regular file");
      return -1;
    }
  /* back to blocking reads: a regular file never waits, but keep the
   * descriptor ordinary for whoever reads it */
  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
  if (size != NULL)
    *size = (gsize)st.st_size;
  return fd;
}

gboolean
dm_file_read_regular (
  const char *path, gsize max_size, char **contents, gsize *length, GError **error)
{
  g_autofree char *display = NULL;
  g_autofree char *buf = NULL;
  gsize size = 0, done = 0;
  int fd = dm_open_regular (path, &size, error);

  if (fd < 0)
    return FALSE;
  if (size > max_size)
    {
      close (fd);
      display = g_filename_display_name (path);
      g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE,
                   "%s: %" G_GSIZE_FORMAT " bytes, more than the %" G_GSIZE_FORMAT " expected of "
                   "such a file",
                   display, size, max_size);
      return FALSE;
    }
  buf = g_malloc (size + 1);
  while (done < size)
    {
      gssize n = read (fd, buf + done, size - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          close (fd);
          display = g_filename_display_name (path);
          return set_errno_error (error, saved_errno, "read failed", display);
        }
      if (n == 0)
        break;
      done += (gsize)n;
    }
  close (fd);
  buf[done] = '\0';
  *contents = g_steal_pointer (&buf);
  if (length != NULL)
    *length = done;
  return TRUE;
}

char *
dm_file_sha256 (const char *path, GError **error)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buffer = NULL;
  int fd = dm_open_regular (path, NULL, error);

  if (fd < 0)
    return NULL;
  buffer = g_malloc (1 << 20);
  for (;;)
    {
      gssize n = read (fd, buffer, 1 << 20);
      if (n < 0)
        {
          int saved_errno = errno;
          if (saved_errno == EINTR)
            continue;
          close (fd);
          set_errno_error (error, saved_errno, "read failed", path);
          return NULL;
        }
      if (n == 0)
        break;
      g_checksum_update (checksum, buffer, n);
    }
  close (fd);
  return g_strdup (g_checksum_get_string (checksum));
}

gboolean
dm_file_set_contents_atomic (const char *path, const void *data, gsize n, GError **error)
{
  DmAtomicFile file;

  if (!dm_atomic_file_begin (&file, path, error))
    return FALSE;
  if (!dm_atomic_file_write (&file, data, n, error))
    {
      dm_atomic_file_abort (&file);
      return FALSE;
    }
  return dm_atomic_file_commit (&file, error);
}

/* A temporary file ".<name>.XXXXXX" (mkstemp's six characters) whose
 * writer is gone: the writer's lock (taken in dm_atomic_file_begin, dropped
 * by the kernel when it dies) can be taken. It is removed holding it. */
static void
remove_if_stale (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);

  if (fd < 0)
    return;
  if (flock (fd, LOCK_EX | LOCK_NB) == 0)
    g_unlink (path);
  close (fd);
}

static gboolean
is_temporary_name (const char *name, const char *prefix)
{
  gsize len = strlen (name), plen = strlen (prefix);

  if (len != plen + 6 || !g_str_has_prefix (name, prefix))
    return FALSE;
  for (gsize i = plen; i < len; i++)
    if (!g_ascii_isalnum (name[i]))
      return FALSE;
  return TRUE;
}

void
dm_atomic_file_remove_stale (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *prefix = g_strdup_printf (".%s.", base);
  g_autoptr (GDir) folder = g_dir_open (dir, 0, NULL);
  const char *name;

  while (folder != NULL && (name = g_dir_read_name (folder)) != NULL)
    if (is_temporary_name (name, prefix))
      remove_if_stale (dir, name);
}

void
dm_atomic_file_remove_stale_in (const char *dir)
{
  static const char *const ours[] = { ".dinomaly", ".safetensors", ".pth", ".png",  ".tiff", ".csv",
                                      ".json",     ".jsonl",       ".pdf", ".onnx", ".txt",  NULL };
  g_autoptr (GDir) folder = g_dir_open (dir, 0, NULL);
  const char *name;

  while (folder != NULL && (name = g_dir_read_name (folder)) != NULL)
    {
      gsize len = strlen (name);
      g_autofree char *target = NULL;

      /* ".<target>.XXXXXX" where target ends in one of our extensions */
      if (name[0] != '.' || len < 9 || name[len - 7] != '.')
        continue;
      target = g_strndup (name + 1, len - 8);
      for (int k = 0; ours[k] != NULL; k++)
        if (g_str_has_suffix (target, ours[k]))
          {
            g_autofree char *prefix = g_strdup_printf (".%s.", target);

            if (is_temporary_name (name, prefix))
              remove_if_stale (dir, name);
            break;
          }
    }
}

char *
dm_format_bytes (guint64 bytes)
{
  const char *units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
  double v = (double)bytes;
  int u = 0;

  while (v >= 1024.0 && u < 4)
    {
      v /= 1024.0;
      u++;
    }
  return u == 0 ? g_strdup_printf ("%" G_GUINT64_FORMAT " byte%s", bytes, bytes == 1 ? "" : "s")
                : g_strdup_printf ("%.1f %s", v, units[u]);
}

gboolean
dm_file_remove_tree (const char *path, GError **error)
{
  gboolean ok = TRUE;

  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, error);
      const char *name;

      if (dir == NULL)
        return FALSE;
      while (ok && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          ok = dm_file_remove_tree (child, error);
        }
      if (ok && g_rmdir (path) != 0)
        {
          int saved = errno;
          g_autofree char *display = g_filename_display_name (path);

          g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot remove: %s", display,
                       g_strerror (saved));
          ok = FALSE;
        }
      return ok;
    }
  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved = errno;
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot remove: %s", display,
                   g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
dm_file_make_parent (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;
      g_autofree char *display = g_filename_display_name (dir);

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot create the folder: %s", display,
                   g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}
