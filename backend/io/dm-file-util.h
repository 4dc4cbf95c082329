/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Files written atomically (temporary file in the same folder, fsync,
 * rename) and streamed SHA-256 checksums of files. */
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
 * killed (the temporary ".<name>.XXXXXX" files beside it). Call it when
 * nothing else writes path: a training run for its checkpoint, say. */
void dm_atomic_file_remove_stale (const char *path);

/* All of data written to path atomically (begin, write, commit). */
gboolean dm_file_set_contents_atomic (const char *path, const void *data, gsize n, GError **error);

/* SHA-256 of a file's content, 64 lowercase hex digits (read in 1 MiB
 * pieces: never the whole file in memory). */
char *dm_file_sha256 (const char *path, GError **error);

G_END_DECLS
