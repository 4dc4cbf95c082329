/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the station's journal (group commits read back in order across
 * segments, a torn last line cut on open, rotation, the lock, readers that
 * stop at a limit and pass over lines that are no records), its records
 * (written and read back exactly) and cursors, and the bounded queue. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dm-bounded-queue.h"
#include "dm-error.h"
#include "dm-journal.h"
#include "dm-part.h"
#include "dm-test-util.h"

static char *tmp;

static char *
record_line (guint64 seq)
{
  g_autoptr (DmPart) p = dm_part_new ();

  p->seq = seq;
  p->id = g_strdup_printf ("t-%010" G_GUINT64_FORMAT, seq);
  p->source = g_strdup ("folder:/in");
  p->class_name = g_strdup ("part");
  p->score = 1.0f + (float)seq / 7.0f;
  p->decision = seq % 3 == 0 ? DM_DECISION_FAIL : DM_DECISION_PASS;
  p->thresholds.image = 1.5;
  p->acquired_us = 1800000000000000 + (gint64)seq;
  p->decided_us = p->acquired_us + 1000;
  return dm_part_to_json (p);
}

/* Appends groups of sizes[] records, seqs from first. */
static guint64
append_groups (DmJournal *j, guint64 first, const guint *sizes, guint n_groups)
{
  guint64 seq = first;

  for (guint g = 0; g < n_groups; g++)
    {
      g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (GError) error = NULL;

      for (guint i = 0; i < sizes[g]; i++)
        g_ptr_array_add (lines, record_line (seq + i));
      g_assert_true (dm_journal_append (j, (char *const *)lines->pdata, sizes[g],
                                        seq + sizes[g] - 1, g_get_real_time (), &error));
      g_assert_no_error (error);
      seq += sizes[g];
    }
  return seq - 1;
}

/* Reads every record up to limit (NULL: the disk's end) and checks the seqs
 * follow on from first; returns the count. */
static guint
read_all (const char *folder,
          const DmJournalPosition *from,
          const DmJournalPosition *limit,
          guint64 first,
          DmJournalPosition *end)
{
  g_autoptr (DmJournalReader) r = dm_journal_reader_new (folder, from);
  g_autoptr (GString) line = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  DmJournalPosition after = { 0 };
  guint n = 0;

  while (dm_journal_reader_next (r, limit, line, &after, &error) == DM_JOURNAL_READ_LINE)
    {
      g_autoptr (DmPart) p = dm_part_from_json (line->str, line->len, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (p->seq, ==, first + n);
      g_assert_cmpuint (after.seq, ==, p->seq);
      n++;
    }
  g_assert_no_error (error);
  if (end != NULL)
    *end = after;
  return n;
}

static void
test_group_commit_and_reopen (void)
{
  g_autofree char *folder = g_build_filename (tmp, "j1", NULL);
  const guint sizes[] = { 1, 5, 3 };
  g_autoptr (GError) error = NULL;
  DmJournalPosition committed, end;
  DmJournal *j = dm_journal_open (folder, 0, &error);

  g_assert_no_error (error);
  dm_journal_get_committed (j, &committed);
  g_assert_cmpuint (committed.seq, ==, 0);
  g_assert_cmpuint (append_groups (j, 1, sizes, 3), ==, 9);
  dm_journal_get_committed (j, &committed);
  g_assert_cmpuint (committed.seq, ==, 9);
  g_assert_cmpuint (committed.segment, ==, 1);
  /* a reader with the committed end as its limit reads all nine */
  g_assert_cmpuint (read_all (folder, NULL, &committed, 1, &end), ==, 9);
  g_assert_cmpuint (end.offset, ==, committed.offset);
  /* and from the middle, the rest */
  {
    DmJournalPosition mid = { 0 };
    g_autoptr (DmJournalReader) r = dm_journal_reader_new (folder, NULL);
    g_autoptr (GString) line = g_string_new (NULL);

    for (int i = 0; i < 4; i++)
      g_assert_cmpint (dm_journal_reader_next (r, &committed, line, &mid, NULL), ==,
                       DM_JOURNAL_READ_LINE);
    g_assert_cmpuint (read_all (folder, &mid, &committed, 5, NULL), ==, 5);
  }
  /* one station per journal */
  {
    g_autoptr (GError) locked = NULL;
    DmJournal *second = dm_journal_open (folder, 0, &locked);

    g_assert_null (second);
    g_assert_error (locked, DM_ERROR, DM_ERROR_IO);
    g_assert_nonnull (strstr (locked->message, "another station"));
    g_test_message ("second station: %s", locked->message);
  }
  dm_journal_free (j);

  /* reopened: the last record is found, seqs go on */
  j = dm_journal_open (folder, 0, &error);
  g_assert_no_error (error);
  dm_journal_get_committed (j, &committed);
  g_assert_cmpuint (committed.seq, ==, 9);
  g_assert_cmpuint (append_groups (j, 10, sizes, 1), ==, 10);
  dm_journal_free (j);
  g_assert_cmpuint (read_all (folder, NULL, NULL, 1, NULL), ==, 10);
}

static void
test_torn_tail (void)
{
  g_autofree char *folder = g_build_filename (tmp, "j2", NULL);
  const guint sizes[] = { 4 };
  g_autoptr (GError) error = NULL;
  g_autofree char *segment = NULL, *half = record_line (5);
  g_autofree char *text = NULL;
  DmJournalPosition committed;
  DmJournal *j = dm_journal_open (folder, 0, &error);
  FILE *f;

  g_assert_no_error (error);
  append_groups (j, 1, sizes, 1);
  dm_journal_free (j);
  /* a crash mid-write: half a line, no newline */
  segment = dm_journal_segment_path (folder, 1);
  f = fopen (segment, "a");
  fwrite (half, 1, strlen (half) / 2, f);
  fclose (f);
  /* a reader outside the station never returns the half line */
  g_assert_cmpuint (read_all (folder, NULL, NULL, 1, NULL), ==, 4);

  j = dm_journal_open (folder, 0, &error);
  g_assert_no_error (error);
  dm_journal_get_committed (j, &committed);
  g_assert_cmpuint (committed.seq, ==, 4);
  g_assert_true (g_file_get_contents (segment, &text, NULL, NULL));
  g_assert_true (g_str_has_suffix (text, "}\n"));
  g_assert_cmpuint (committed.offset, ==, strlen (text));
  append_groups (j, 5, sizes, 1);
  dm_journal_free (j);
  g_assert_cmpuint (read_all (folder, NULL, NULL, 1, NULL), ==, 8);
}

static void
test_rotation (void)
{
  g_autofree char *folder = g_build_filename (tmp, "j3", NULL);
  const guint sizes[] = { 3, 3, 3, 3, 3, 3, 3, 3 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) segments = NULL;
  DmJournalPosition committed, half;
  /* about two groups per segment */
  DmJournal *j = dm_journal_open (folder, 2000, &error);

  g_assert_no_error (error);
  append_groups (j, 1, sizes, 8);
  dm_journal_get_committed (j, &committed);
  segments = dm_journal_list_segments (folder, &error);
  g_assert_no_error (error);
  g_test_message ("%u segments for 24 records", segments->len);
  g_assert_cmpuint (segments->len, >=, 3);
  g_assert_cmpuint (committed.segment, ==, g_array_index (segments, guint32, segments->len - 1));
  g_assert_cmpuint (read_all (folder, NULL, &committed, 1, NULL), ==, 24);
  /* a limit inside an earlier segment stops there */
  {
    g_autoptr (DmJournalReader) r = dm_journal_reader_new (folder, NULL);
    g_autoptr (GString) line = g_string_new (NULL);

    for (int i = 0; i < 4; i++)
      g_assert_cmpint (dm_journal_reader_next (r, &committed, line, &half, NULL), ==,
                       DM_JOURNAL_READ_LINE);
  }
  g_assert_cmpuint (read_all (folder, NULL, &half, 1, NULL), ==, 4);
  dm_journal_free (j);
  /* reopened with a new segment holding nothing yet: the last record is in
   * the one before */
  {
    g_autofree char *name = g_strdup_printf ("journal-%08u-20261207.jsonl", committed.segment + 1);
    g_autofree char *empty = g_build_filename (folder, name, NULL);

    g_assert_true (g_file_set_contents (empty, "", 0, NULL));
    j = dm_journal_open (folder, 2000, &error);
    g_assert_no_error (error);
    dm_journal_get_committed (j, &committed);
    g_assert_cmpuint (committed.seq, ==, 24);
    dm_journal_free (j);
  }
}

static void
test_bad_lines (void)
{
  g_autofree char *folder = g_build_filename (tmp, "j4", NULL);
  g_autofree char *segment = NULL, *one = record_line (1), *two = record_line (2);
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (DmJournalReader) r = NULL;
  g_autoptr (GString) line = g_string_new (NULL);
  DmJournalPosition after;
  g_autoptr (GError) error = NULL;

  g_mkdir_with_parents (folder, 0755);
  segment = g_build_filename (folder, "journal-00000001-20261207.jsonl", NULL);
  g_string_append_printf (text, "%s\nnot json\n", one);
  for (int i = 0; i < DM_PART_MAX_LINE + 100; i++)
    g_string_append_c (text, 'x');
  g_string_append_printf (text, "\n%s\n", two);
  g_assert_true (g_file_set_contents (segment, text->str, (gssize)text->len, NULL));
  r = dm_journal_reader_new (folder, NULL);
  g_assert_cmpint (dm_journal_reader_next (r, NULL, line, &after, NULL), ==, DM_JOURNAL_READ_LINE);
  g_assert_cmpuint (after.seq, ==, 1);
  g_assert_cmpint (dm_journal_reader_next (r, NULL, line, &after, NULL), ==, DM_JOURNAL_READ_LINE);
  g_assert_cmpstr (line->str, ==, "not json");
  g_assert_null (dm_part_from_json (line->str, line->len, "line 2", &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_CORRUPT);
  g_clear_error (&error);
  /* the over-long line comes back empty: no record, no memory blow-up */
  g_assert_cmpint (dm_journal_reader_next (r, NULL, line, &after, NULL), ==, DM_JOURNAL_READ_LINE);
  g_assert_cmpuint (line->len, ==, 0);
  g_assert_cmpint (dm_journal_reader_next (r, NULL, line, &after, NULL), ==, DM_JOURNAL_READ_LINE);
  g_assert_cmpstr (line->str, ==, two);
  g_assert_cmpuint (after.seq, ==, 2);
  g_assert_cmpuint (after.offset, ==, text->len);
  g_assert_cmpint (dm_journal_reader_next (r, NULL, line, &after, NULL), ==, DM_JOURNAL_READ_END);
}

static void
test_part_round_trip (void)
{
  g_autoptr (DmPart) p = dm_part_new ();
  g_autoptr (DmPart) q = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *json = NULL;

  p->seq = 42;
  p->id = g_strdup ("line-1-0000000042");
  p->source = g_strdup ("folder:/srv/in?move=1");
  p->class_name = g_strdup ("tile \"A\"");
  p->file = g_strdup ("/srv/in/ä b.png");
  p->file_size = 12345;
  p->file_mtime_us = 1765140000123456;
  p->acquired_us = 1765140001000001;
  p->decided_us = 1765140001100002;
  p->score = 1.0312345f;
  p->decision = DM_DECISION_UNCERTAIN;
  p->thresholds.image = 1.1;
  p->thresholds.uncertain_low = 1.0;
  p->thresholds.uncertain_high = 1.2;
  p->model_sha256 = g_strnfill (64, 'c');
  p->width = 640;
  p->height = 480;
  p->image = g_strdup ("parts/2025-12-07/line-1-0000000042.png");
  p->map = g_strdup ("parts/2025-12-07/line-1-0000000042_map.tiff");
  p->moved_to = g_strdup ("/srv/in/uncertain/ä b.png");
  json = dm_part_to_json (p);
  g_test_message ("%s", json);
  g_assert_null (strchr (json, '\n'));
  q = dm_part_from_json (json, strlen (json), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (q->seq, ==, 42);
  g_assert_cmpstr (q->id, ==, p->id);
  g_assert_cmpstr (q->source, ==, p->source);
  g_assert_cmpstr (q->class_name, ==, p->class_name);
  g_assert_cmpstr (q->file, ==, p->file);
  g_assert_cmpint (q->file_size, ==, p->file_size);
  g_assert_cmpint (q->file_mtime_us, ==, p->file_mtime_us);
  g_assert_cmpint (q->frame, ==, -1);
  g_assert_cmpint (q->acquired_us, ==, p->acquired_us);
  g_assert_cmpint (q->decided_us, ==, p->decided_us);
  g_assert_true (q->score == p->score); /* bit for bit */
  g_assert_false (q->is_error);
  g_assert_cmpint (q->decision, ==, DM_DECISION_UNCERTAIN);
  g_assert_cmpfloat (q->thresholds.image, ==, 1.1);
  g_assert_cmpfloat (q->thresholds.uncertain_high, ==, 1.2);
  g_assert_cmpstr (q->model_sha256, ==, p->model_sha256);
  g_assert_cmpint (q->width, ==, 640);
  g_assert_cmpstr (q->image, ==, p->image);
  g_assert_cmpstr (q->map, ==, p->map);
  g_assert_cmpstr (q->moved_to, ==, p->moved_to);

  /* an error record: no score, a reason */
  g_clear_pointer (&json, g_free);
  g_clear_pointer (&q, dm_part_free);
  p->is_error = TRUE;
  p->reason = g_strdup ("x.png: truncated file");
  json = dm_part_to_json (p);
  g_assert_nonnull (strstr (json, "\"score\":null"));
  q = dm_part_from_json (json, strlen (json), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (q->is_error);
  g_assert_true (isnan (q->score));
  g_assert_cmpstr (q->reason, ==, p->reason);
  g_assert_cmpstr (dm_part_decision_name (q), ==, "error");

  /* what is not a record */
  {
    const char *bad[] = { "",
                          "[]",
                          "{\"seq\":1,\"id\":\"a\"}",
                          "{\"seq\":0,\"id\":\"a\",\"decision\":\"pass\"}",
                          "{\"seq\":1,\"id\":2,\"decision\":\"pass\"}",
                          "{\"seq\":1,\"id\":\"a\",\"decision\":\"maybe\"}",
                          "{\"seq\":\"1\",\"id\":\"a\",\"decision\":\"pass\"}" };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr (GError) e = NULL;

        g_assert_null (dm_part_from_json (bad[i], strlen (bad[i]), NULL, &e));
        g_assert_error (e, DM_ERROR, DM_ERROR_CORRUPT);
      }
  }
}

static void
test_cursor (void)
{
  g_autofree char *path = g_build_filename (tmp, "cursor.json", NULL);
  DmJournalPosition p = { 3, 12345, 99 }, q;
  g_autoptr (GError) error = NULL;

  /* missing: the beginning */
  g_assert_true (dm_journal_cursor_load (path, &q, &error));
  g_assert_cmpuint (q.segment, ==, 0);
  g_assert_cmpuint (q.seq, ==, 0);
  g_assert_true (dm_journal_cursor_save (path, "mqtt://127.0.0.1:1883/x", &p, &error));
  g_assert_no_error (error);
  g_assert_true (dm_journal_cursor_load (path, &q, &error));
  g_assert_cmpuint (q.segment, ==, 3);
  g_assert_cmpuint (q.offset, ==, 12345);
  g_assert_cmpuint (q.seq, ==, 99);
  {
    const char *bad[] = { "x", "{}", "{\"segment\":-1,\"offset\":0,\"seq\":0}",
                          "{\"segment\":4294967296,\"offset\":0,\"seq\":0}",
                          "{\"segment\":1,\"offset\":1.5,\"seq\":0}" };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr (GError) e = NULL;

        g_assert_false (dm_journal_cursor_parse (bad[i], strlen (bad[i]), "c", &q, &e));
        g_assert_error (e, DM_ERROR, DM_ERROR_CORRUPT);
      }
  }
}

typedef struct
{
  DmBoundedQueue *q;
  guint n;
} Producer;

static gpointer
produce (gpointer data)
{
  Producer *p = data;

  for (guint i = 1; i <= p->n; i++)
    g_assert_true (dm_bounded_queue_push (p->q, GUINT_TO_POINTER (i), -1));
  return NULL;
}

static void
test_bounded_queue (void)
{
  g_autoptr (DmBoundedQueue) q = dm_bounded_queue_new (3, NULL);
  Producer p = { q, 1000 };
  GThread *t;

  /* full: try_push refuses, a timed push times out */
  for (guint i = 1; i <= 3; i++)
    g_assert_true (dm_bounded_queue_try_push (q, GUINT_TO_POINTER (i)));
  g_assert_false (dm_bounded_queue_try_push (q, GUINT_TO_POINTER (4)));
  g_assert_false (dm_bounded_queue_push (q, GUINT_TO_POINTER (4), g_get_monotonic_time () + 1000));
  g_assert_cmpuint (dm_bounded_queue_length (q), ==, 3);
  for (guint i = 1; i <= 3; i++)
    g_assert_cmpuint (GPOINTER_TO_UINT (dm_bounded_queue_pop (q, 0)), ==, i);
  g_assert_null (dm_bounded_queue_pop (q, g_get_monotonic_time () + 1000));
  /* a waiting producer: everything arrives, in order */
  t = g_thread_new ("producer", produce, &p);
  for (guint i = 1; i <= p.n; i++)
    g_assert_cmpuint (GPOINTER_TO_UINT (dm_bounded_queue_pop (q, -1)), ==, i);
  g_thread_join (t);
  /* closed: pushes fail, pops drain and then end */
  g_assert_true (dm_bounded_queue_try_push (q, GUINT_TO_POINTER (7)));
  dm_bounded_queue_close (q);
  g_assert_false (dm_bounded_queue_push (q, GUINT_TO_POINTER (8), -1));
  g_assert_cmpuint (GPOINTER_TO_UINT (dm_bounded_queue_pop (q, -1)), ==, 7);
  g_assert_null (dm_bounded_queue_pop (q, -1));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  tmp = dm_test_make_tmpdir ();
  g_test_add_func ("/journal/group-commit-and-reopen", test_group_commit_and_reopen);
  g_test_add_func ("/journal/torn-tail", test_torn_tail);
  g_test_add_func ("/journal/rotation", test_rotation);
  g_test_add_func ("/journal/bad-lines", test_bad_lines);
  g_test_add_func ("/journal/part-round-trip", test_part_round_trip);
  g_test_add_func ("/journal/cursor", test_cursor);
  g_test_add_func ("/journal/bounded-queue", test_bounded_queue);
  return g_test_run ();
}
