/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The station's journal, the truth about every part: an append-only folder
 * of JSON Lines segments (one dm-part.h record per line), written by one
 * station at a time and read by its outputs and by any other process.
 *
 *   FOLDER/station.lock                     flock()ed by the writing station
 *   FOLDER/journal-NNNNNNNN-YYYYMMDD.jsonl  segments, NNNNNNNN from 1 up,
 *                                           the UTC day they were opened
 *
 * Records are group-committed: every record the station decided since the
 * last commit goes out in one write() followed by one fdatasync(), and
 * only then counts (outputs deliver up to the committed position, a part
 * is acknowledged to its source). A segment is closed and the next opened
 * when it would pass its size limit or the UTC day changes. A write that
 * fails (a full disk) is cut back, so the journal always ends with a
 * complete record; on open, a torn last line (a crash mid-write) is cut
 * the same way. A position is (segment, byte offset, seq of the record
 * before it): where the next read begins. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DM_JOURNAL_DEFAULT_SEGMENT_BYTES ((guint64)64 << 20)
#define DM_JOURNAL_LOCK_FILE "station.lock"

typedef struct
{
  guint32 segment; /* 0: before the first segment */
  guint64 offset;  /* bytes into the segment */
  guint64 seq;     /* of the last record before the position; 0: none */
} DmJournalPosition;

typedef struct _DmJournal DmJournal;

/* Creates folder when needed, takes its lock (a second station on the same
 * folder is refused, naming it), cuts a torn last line and finds the last
 * committed record. max_segment_bytes 0: the default. */
DmJournal *dm_journal_open (const char *folder, guint64 max_segment_bytes, GError **error);
void dm_journal_free (DmJournal *journal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmJournal, dm_journal_free)

const char *dm_journal_get_folder (DmJournal *journal);

/* One group commit of n lines (records without their newline) whose seqs
 * are last_seq - n + 1 ... last_seq. now_us (wall clock) picks the UTC day
 * of a new segment. FALSE with the error (DM_ERROR_IO; its message names
 * the segment and says "No space left on device" for a full disk) when
 * anything failed: the segment is cut back to its committed end. One
 * writer thread at a time. */
gboolean dm_journal_append (
  DmJournal *journal, char *const *lines, guint n, guint64 last_seq, gint64 now_us, GError **error);

/* The committed end (any thread). */
void dm_journal_get_committed (DmJournal *journal, DmJournalPosition *position);
/* Waits until a record after seq is committed (TRUE), or until end_time
 * (monotonic) or dm_journal_wake (FALSE). */
gboolean dm_journal_wait (DmJournal *journal, guint64 seq, gint64 end_time);
/* Wakes every dm_journal_wait (a station stopping). */
void dm_journal_wake (DmJournal *journal);

/* ---- segments and reading (any thread, any process) ---- */

/* The segment numbers in folder, in order (guint32). */
GArray *dm_journal_list_segments (const char *folder, GError **error);
/* The path of segment index, or NULL when there is none. */
char *dm_journal_segment_path (const char *folder, guint32 index);

typedef struct _DmJournalReader DmJournalReader;

typedef enum
{
  DM_JOURNAL_READ_LINE,  /* a record's line (maybe not a valid record) */
  DM_JOURNAL_READ_END,   /* nothing more up to the limit, for now */
  DM_JOURNAL_READ_ERROR, /* a segment cannot be read: try again later */
} DmJournalRead;

/* Reads from position from (NULL: the beginning). */
DmJournalReader *dm_journal_reader_new (const char *folder, const DmJournalPosition *from);
void dm_journal_reader_free (DmJournalReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmJournalReader, dm_journal_reader_free)

/* The next line (without its newline) into line and the position after
 * it into after. Never past limit (NULL: the last complete line on disk,
 * for readers outside the station). A line longer than DM_PART_MAX_LINE
 * is skipped and comes back empty (it is no record). */
DmJournalRead dm_journal_reader_next (DmJournalReader *reader,
                                      const DmJournalPosition *limit,
                                      GString *line,
                                      DmJournalPosition *after,
                                      GError **error);

/* ---- cursors: how far an output has delivered ---- */

/* {"segment", "offset", "seq", "name"} in path, written atomically (fsync,
 * rename). */
gboolean dm_journal_cursor_save (const char *path,
                                 const char *name,
                                 const DmJournalPosition *position,
                                 GError **error);
/* Reads a cursor; a missing file is the beginning (TRUE). A cursor that is
 * not JSON or has members out of range is an error naming the file. */
gboolean dm_journal_cursor_load (const char *path, DmJournalPosition *position, GError **error);
/* Parses a cursor's text (what load reads; the fuzzer's entry point). */
gboolean dm_journal_cursor_parse (
  const char *text, gsize len, const char *what, DmJournalPosition *position, GError **error);

G_END_DECLS
