/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Atomic file writes and streamed SHA-256 checksums. */
#include "dm-file-util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
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

  if (fsync (file->fd) != 0)
    {
      saved_errno = errno;
      dm_atomic_file_abort (file);
      return set_errno_error (error, saved_errno, "fsync failed", file->path);
    }
  if (close (file->fd) != 0)
    {
      saved_errno = errno;
      file->fd = -1;
      dm_atomic_file_abort (file);
      return set_errno_error (error, saved_errno, "close failed", file->path);
    }
  file->fd = -1;
  if (g_rename (file->tmp_path, file->path) != 0)
    {
      saved_errno = errno;
      dm_atomic_file_abort (file);
      return set_errno_error (error, saved_errno, "cannot replace the file", file->path);
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

char *
dm_file_sha256 (const char *path, GError **error)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *buffer = NULL;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);

  if (fd < 0)
    {
      int saved_errno = errno;
      set_errno_error (error, saved_errno, "cannot open", path);
      return NULL;
    }
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

void
dm_atomic_file_remove_stale (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *prefix = g_strdup_printf (".%s.", base);
  g_autoptr (GDir) folder = g_dir_open (dir, 0, NULL);
  const char *name;

  while (folder != NULL && (name = g_dir_read_name (folder)) != NULL)
    /* the temporary name is the prefix and six characters of mkstemp */
    if (g_str_has_prefix (name, prefix) && strlen (name) == strlen (prefix) + 6)
      {
        g_autofree char *stale = g_build_filename (dir, name, NULL);
        g_unlink (stale);
      }
}
