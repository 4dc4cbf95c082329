/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Append-only JSON Lines files that several processes may append to (a
 * project's audit trail and its feedback store): one record per line,
 * appended under an exclusive flock() in one write() followed by fsync(),
 * so a record is either wholly there or not at all. Lines once written are
 * never rewritten. A torn last line (a crash or kill -9 in the middle of a
 * write: no newline at the end of the file) is no record: readers skip it
 * and the next append cuts it off first. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Appends n lines (without their newlines; a line holding a newline is
 * refused) to path, creating it (and syncing its folder) when absent.
 * FALSE with a DM_ERROR naming the file when anything failed: then none of
 * the lines counts (a partial write is cut back). */
gboolean dm_jsonl_append (const char *path, const char *const *lines, guint n, GError **error);

/* Called for each complete line (without its newline), line_no from 1.
 * Returning FALSE with an error stops the read with that error. */
typedef gboolean (*DmJsonlLineFunc) (
  const char *line, gsize len, guint64 line_no, gpointer user_data, GError **error);

typedef struct
{
  guint64 lines;    /* complete lines handed to the function */
  guint64 too_long; /* lines longer than max_line, skipped */
  gboolean torn;    /* the file ends with a line without its newline */
} DmJsonlReadStats;

/* Reads path line by line (a missing file reads as empty: TRUE). Lines
 * longer than max_line bytes are skipped and counted; a torn last line is
 * skipped. stats may be NULL. */
gboolean dm_jsonl_read (const char *path,
                        gsize max_line,
                        DmJsonlLineFunc func,
                        gpointer user_data,
                        DmJsonlReadStats *stats,
                        GError **error);

G_END_DECLS
