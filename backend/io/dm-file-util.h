/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Files written atomically (temporary file in the same folder, fsync,
 * rename), user files opened safely for reading, and streamed SHA-256
 * checksums of files. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A file being written: the data goes to a temporary file beside `path`
 * that only becomes `path` on commit. Until then (and after a failure or
 * an abort) `path` is untouched and no temporary file remains. */
typedef struct
{
  char *path;     /* the destination */
  char *tmp_path; /* "<folder>/.<name>.XXXXXX" */
  int fd;         /* -1 when closed */
} DmAtomicFile;

gboolean dm_atomic_file_begin (DmAtomicFile *file, const char *path, GError **error);
/* Writes all n bytes (retrying short writes); on failure the caller aborts. */
gboolean dm_atomic_file_write (DmAtomicFile *file, const void *data, gsize n, GError **error);

/* Where a writer's bytes go (a file being written, memory, a checksum):
 * FALSE with an error stops the writer. */
typedef gboolean (*DmByteSink) (gpointer user_data, const void *data, gsize n, GError **error);
/* The DmByteSink of a DmAtomicFile (user_data): dm_atomic_file_write. */
gboolean dm_atomic_file_sink (gpointer file, const void *data, gsize n, GError **error);

/* fsync, close, rename onto path, fsync the folder. On failure the
 * temporary file is removed (no abort needed). */
gboolean dm_atomic_file_commit (DmAtomicFile *file, GError **error);
/* Closes and removes the temporary file; safe to call twice or after commit. */
void dm_atomic_file_abort (DmAtomicFile *file);

/* Removes what atomic writes of path left behind when their process was
 * killed (the temporary ".<name>.XXXXXX" files beside it). A temporary file
 * whose writer is alive (it holds a lock on it while writing) is left. */
void dm_atomic_file_remove_stale (const char *path);
/* The same for every file of ours in folder (models, weights, images, maps,
 * CSV, JSON, reports): what a killed run left before the next run writes
 * into that folder. */
void dm_atomic_file_remove_stale_in (const char *folder);

/* All of data written to path atomically (begin, write, commit). */
gboolean dm_file_set_contents_atomic (const char *path, const void *data, gsize n, GError **error);

/* TRUE when a file can be written at path the way DmAtomicFile writes it
 * (its folder exists and takes a new file, the path is not too long): a
 * job that ends by writing there checks first, before hours of work. */
gboolean dm_file_check_writable (const char *path, GError **error);

/* Takes folder (created if needed) for this process alone, through an
 * exclusive lock on the folder that the kernel drops when the process
 * ends, killed or not. A folder held by another process is an error
 * "FOLDER: in use by another WHAT". *fd receives what dm_folder_unlock
 * takes. */
gboolean dm_folder_lock (const char *folder, const char *what, int *fd, GError **error);
void dm_folder_unlock (int fd);

/* Opens path for reading when it is a regular file: never waits on a named
 * pipe (or a device), and refuses folders, pipes and sockets with an error
 * naming the file. *size (may be NULL) receives its size. -1 on failure. */
int dm_open_regular (const char *path, gsize *size, GError **error);

/* The whole of a regular file (dm_open_regular), NUL-terminated, for text
 * files a user points at (CSV split files, score lists): refused when it is
 * larger than max_size. */
gboolean dm_file_read_regular (
  const char *path, gsize max_size, char **contents, gsize *length, GError **error);

/* Creates the folder a file is to be written in (and its parents). */
gboolean dm_file_make_parent (const char *path, GError **error);

/* Removes path and, for a folder, everything in it (symbolic links are
 * removed, never followed). FALSE with an error naming the first file
 * that could not be removed; a missing path is no error. */
gboolean dm_file_remove_tree (const char *path, GError **error);

/* SHA-256 of a file's content, 64 lowercase hex digits (read in 1 MiB
 * pieces: never the whole file in memory). */
char *dm_file_sha256 (const char *path, GError **error);

/* "10.5 KiB", "2.1 GiB", "12 bytes": binary units with a plain space
 * (GLib's g_format_size uses a no-break space and decimal units, awkward
 * in terminals and logs). */
char *dm_format_bytes (guint64 bytes);

G_END_DECLS
