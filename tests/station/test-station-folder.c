/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The station over a hot folder, as a library (DmStation): every file one
 * record with the score of dm_inspect_run bit for bit and the decision of
 * dm_decide; corrupt, truncated, empty and still-being-written files; the
 * moves to pass/ uncertain/ fail/ error/; kept images and maps; exactly
 * once across a restart; pause and resume; the status snapshot and
 * status.json. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "dm-error.h"
#include "dm-image.h"
#include "dm-station.h"
#include "dm-test-data.h"
#include "dm-test-station.h"
#include "dm-test-util.h"

#define N_PARTS 9

static char *tmp, *model;
static char **parts;
static float scores[N_PARTS];
static float *maps;
static DmThresholds thresholds;

static DmStation *
start_station_full (const char *journal,
                    const char *hot,
                    const char *query,
                    const char *jsonl,
                    gboolean accept_damaged)
{
  g_autoptr (GError) error = NULL;
  DmStationSettings s;
  DmStation *station;

  dm_station_settings_init (&s);
  s.accept_damaged = accept_damaged;
  s.model_path = g_strdup (model);
  s.journal = g_strdup (journal);
  s.name = g_strdup ("t");
  s.batch = 3;
  s.drain_seconds = 5;
  dm_station_settings_set_class (&s, "part", &thresholds);
  g_ptr_array_add (s.sources, g_strdup_printf ("folder:%s%s", hot, query));
  g_ptr_array_add (s.sinks, g_strdup_printf ("jsonl:%s", jsonl));
  station = dm_station_new (&s, &error);
  g_assert_no_error (error);
  g_assert_true (dm_station_start (station, &error));
  g_assert_no_error (error);
  dm_station_settings_clear (&s);
  return station;
}

static DmStation *
start_station (const char *journal, const char *hot, const char *query, const char *jsonl)
{
  return start_station_full (journal, hot, query, jsonl, FALSE);
}

static int
index_of (const char *base)
{
  for (int i = 0; i < N_PARTS; i++)
    {
      g_autofree char *b = g_path_get_basename (parts[i]);

      if (strcmp (b, base) == 0)
        return i;
    }
  return -1;
}

static void
copy_into (const char *from, const char *folder)
{
  g_autofree char *base = g_path_get_basename (from);
  g_autofree char *to = g_build_filename (folder, base, NULL);
  dm_test_copy_file (from, to);
}

/* Files present at start and bad ones dropped in later: one record each,
 * the reference's numbers, moved where their decision says. */
static void
test_decisions_and_moves (void)
{
  g_autofree char *hot = g_build_filename (tmp, "hot1", NULL);
  g_autofree char *journal = g_build_filename (tmp, "journal1", NULL);
  g_autofree char *jsonl = g_build_filename (tmp, "out1", "results.jsonl", NULL);
  g_autoptr (GPtrArray) records = NULL;
  g_autofree char *corrupt = g_build_filename (hot, "corrupt.png", NULL);
  g_autofree char *truncated = g_build_filename (hot, "truncated.png", NULL);
  g_autofree char *empty = g_build_filename (hot, "empty.png", NULL);
  g_autofree char *hidden = g_build_filename (hot, ".hidden.png", NULL);
  g_autofree char *temporary = g_build_filename (hot, "writing.png.tmp", NULL);
  g_autofree char *data = NULL;
  guint counts[4] = { 0 };
  DmStationStatus status;
  DmStation *station;
  gsize size;

  g_mkdir_with_parents (hot, 0755);
  for (int i = 0; i < N_PARTS; i++)
    copy_into (parts[i], hot);
  g_assert_true (g_file_set_contents (hidden, "x", 1, NULL));
  g_assert_true (g_file_set_contents (temporary, "x", 1, NULL));
  station = start_station (journal, hot, "?move=1&settle=300", jsonl);
  g_assert_true (dm_test_station_wait_lines (jsonl, N_PARTS, 60));
  /* bad files while it runs */
  g_assert_true (g_file_get_contents (parts[0], &data, &size, NULL));
  g_assert_true (g_file_set_contents (truncated, data, (gssize)size / 2, NULL));
  memset (data + 8, 0x5a, size - 8);
  g_assert_true (g_file_set_contents (corrupt, data, (gssize)size, NULL));
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  g_assert_true (dm_test_station_wait_lines (jsonl, N_PARTS + 3, 30));

  dm_station_get_status (station, &status);
  g_assert_cmpint (status.state, ==, DM_STATION_RUNNING);
  g_assert_cmpuint (status.last_seq, ==, N_PARTS + 3);
  g_assert_cmpuint (status.counts[3], ==, 3);
  g_assert_cmpuint (status.n_sources, ==, 1);
  g_assert_cmpuint (status.sources[0].taken, ==, N_PARTS + 3);
  g_assert_true (isfinite (status.latency_p99_ms));
  dm_station_status_clear (&status);
  dm_station_free (station);

  records = dm_test_station_read_records (jsonl);
  g_assert_cmpuint (records->len, ==, N_PARTS + 3);
  for (guint r = 0; r < records->len; r++)
    {
      const DmPart *p = records->pdata[r];
      g_autofree char *base = g_path_get_basename (p->file);
      int i = index_of (base);

      g_assert_cmpuint (p->seq, ==, r + 1);
      g_assert_nonnull (p->moved_to);
      g_assert_false (g_file_test (p->file, G_FILE_TEST_EXISTS));
      g_assert_true (g_file_test (p->moved_to, G_FILE_TEST_IS_REGULAR));
      {
        g_autofree char *dir = g_path_get_dirname (p->moved_to);
        g_autofree char *decision = g_path_get_basename (dir);

        g_assert_cmpstr (decision, ==, dm_part_decision_name (p));
      }
      if (i < 0)
        {
          /* one of the bad files: an error record naming it */
          g_assert_true (p->is_error);
          g_assert_nonnull (strstr (p->reason, base));
          g_test_message ("%s: %s", base, p->reason);
          counts[3]++;
          continue;
        }
      g_assert_false (p->is_error);
      g_assert_true (p->score == scores[i]); /* bit for bit */
      g_assert_cmpint (p->decision, ==, dm_decide (&thresholds, scores[i]));
      counts[p->decision]++;
      if (p->decision == DM_DECISION_PASS)
        g_assert_null (p->map);
      else
        {
          g_autofree char *map_path = g_build_filename (journal, p->map, NULL);
          g_autofree char *image_path = g_build_filename (journal, p->image, NULL);
          g_autoptr (DmImage) map = dm_image_load (map_path, 0, NULL);
          g_autofree char *kept = NULL, *original = NULL;
          gsize n1, n2;

          g_assert_nonnull (map);
          g_assert_cmpint (map->type, ==, DM_PIXEL_F32);
          g_assert_cmpint (memcmp (map->data, maps + (gsize)i * 256 * 256, 256 * 256 * 4), ==, 0);
          g_assert_true (g_file_get_contents (image_path, &kept, &n1, NULL));
          g_assert_true (g_file_get_contents (parts[i], &original, &n2, NULL));
          g_assert_cmpuint (n1, ==, n2);
          g_assert_cmpint (memcmp (kept, original, n1), ==, 0);
        }
    }
  g_test_message ("pass %u, uncertain %u, fail %u, error %u", counts[0], counts[1], counts[2],
                  counts[3]);
  g_assert_cmpuint (counts[0] * counts[1] * counts[2], >, 0); /* the thresholds split them */
  g_assert_cmpuint (counts[3], ==, 3);
  /* never taken */
  g_assert_true (g_file_test (hidden, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (temporary, G_FILE_TEST_EXISTS));
  /* the status file another process reads */
  {
    g_autofree char *path = g_build_filename (journal, "status.json", NULL);
    g_autofree char *text = NULL;

    g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
    dm_test_assert_has (text, "\"state\":\"stopped\"");
    dm_test_assert_has (text, "\"last_seq\":12");
  }
}

/* A record says what was not scored whole: a damaged JPEG is an error
 * record naming the damage (scored with a note when the station accepts
 * damaged images); a multi-page TIFF is scored with a note that only its
 * first page was. */
static void
test_notes (void)
{
  for (int accept = 0; accept < 2; accept++)
    {
      g_autofree char *hot = g_strdup_printf ("%s/hot-notes%d", tmp, accept);
      g_autofree char *journal = g_strdup_printf ("%s/journal-notes%d", tmp, accept);
      g_autofree char *jsonl = g_strdup_printf ("%s/out-notes%d/results.jsonl", tmp, accept);
      g_autofree char *jpeg = g_build_filename (dm_test_srcdir (), "data", "fuzz", "jpeg-damaged",
                                                "jpeg-rgb-damaged0.jpg", NULL);
      g_autofree char *tiff = g_build_filename (dm_test_srcdir (), "data", "image", "corpus",
                                                "tiff-multipage.tif", NULL);
      g_autoptr (GPtrArray) records = NULL;
      DmStation *station;
      guint seen = 0;

      g_mkdir_with_parents (hot, 0755);
      copy_into (jpeg, hot);
      copy_into (tiff, hot);
      station = start_station_full (journal, hot, "", jsonl, accept);
      g_assert_true (dm_test_station_wait_lines (jsonl, 2, 60));
      dm_station_free (station);
      records = dm_test_station_read_records (jsonl);
      for (guint r = 0; r < records->len; r++)
        {
          const DmPart *p = records->pdata[r];

          g_test_message ("%s: %s %s", p->file, p->reason ? p->reason : "", p->note ? p->note : "");
          if (g_str_has_suffix (p->file, ".tif"))
            {
              g_assert_false (p->is_error);
              g_assert_nonnull (strstr (p->note, "a TIFF of 2 pages: only the first was scored"));
            }
          else if (accept)
            {
              g_assert_false (p->is_error);
              g_assert_nonnull (strstr (p->note, "scored despite damaged JPEG data"));
            }
          else
            {
              g_assert_true (p->is_error);
              g_assert_nonnull (strstr (p->reason, "damaged JPEG data"));
            }
          seen++;
        }
      g_assert_cmpuint (seen, ==, 2);
    }
}

typedef struct
{
  char *path;
  const char *data;
  gsize size;
} Writer;

static gpointer
slow_writer (gpointer p)
{
  Writer *w = p;
  FILE *f = fopen (w->path, "wb");

  fwrite (w->data, 1, w->size / 2, f);
  fflush (f);
  g_usleep (2500 * 1000); /* longer than the settle time */
  fwrite (w->data + w->size / 2, 1, w->size - w->size / 2, f);
  fclose (f);
  return NULL;
}

/* A file written slowly is taken once closed: one record, no error. */
static void
test_still_being_written (void)
{
  g_autofree char *hot = g_build_filename (tmp, "hot2", NULL);
  g_autofree char *journal = g_build_filename (tmp, "journal2", NULL);
  g_autofree char *jsonl = g_build_filename (tmp, "out2", "results.jsonl", NULL);
  g_autofree char *data = NULL;
  g_autoptr (GPtrArray) records = NULL;
  Writer w;
  DmStation *station;
  GThread *t;

  g_mkdir_with_parents (hot, 0755);
  g_assert_true (g_file_get_contents (parts[1], &data, &w.size, NULL));
  w.data = data;
  w.path = g_build_filename (hot, "slow.png", NULL);
  station = start_station (journal, hot, "?settle=1000", jsonl);
  t = g_thread_new ("writer", slow_writer, &w);
  g_usleep (2000 * 1000);
  g_assert_cmpuint (dm_test_station_count_lines (jsonl), ==, 0); /* not taken half-written */
  g_thread_join (t);
  g_assert_true (dm_test_station_wait_lines (jsonl, 1, 30));
  g_usleep (1500 * 1000); /* a second record would come within the settle time */
  dm_station_free (station);
  records = dm_test_station_read_records (jsonl);
  g_assert_cmpuint (records->len, ==, 1);
  g_assert_false (((DmPart *)records->pdata[0])->is_error);
  g_assert_true (((DmPart *)records->pdata[0])->score == scores[1]);
  g_free (w.path);
}

/* Without moves the files stay: a second station on the same journal
 * scores only the new ones, and ids go on. Pause holds new files back. */
static void
test_restart_and_pause (void)
{
  g_autofree char *hot = g_build_filename (tmp, "hot3", NULL);
  g_autofree char *journal = g_build_filename (tmp, "journal3", NULL);
  g_autofree char *jsonl = g_build_filename (tmp, "out3", "results.jsonl", NULL);
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  DmStationStatus status;
  DmStation *station;

  g_mkdir_with_parents (hot, 0755);
  for (int i = 0; i < 5; i++)
    copy_into (parts[i], hot);
  station = start_station (journal, hot, "?settle=300", jsonl);
  g_assert_true (dm_test_station_wait_lines (jsonl, 5, 60));
  dm_station_free (station);

  for (int i = 5; i < N_PARTS; i++)
    copy_into (parts[i], hot);
  station = start_station (journal, hot, "?settle=300", jsonl);
  g_assert_true (dm_test_station_wait_lines (jsonl, N_PARTS, 60));
  /* paused: a new file waits */
  dm_station_pause (station);
  dm_station_get_status (station, &status);
  g_assert_cmpint (status.state, ==, DM_STATION_PAUSED);
  dm_station_status_clear (&status);
  {
    g_autofree char *extra = g_build_filename (hot, "extra.png", NULL);
    dm_test_copy_file (parts[0], extra);
    g_usleep (1500 * 1000);
    g_assert_cmpuint (dm_test_station_count_lines (jsonl), ==, N_PARTS);
    dm_station_resume (station);
    g_assert_true (dm_test_station_wait_lines (jsonl, N_PARTS + 1, 30));
  }
  g_usleep (1000 * 1000);
  dm_station_free (station);

  records = dm_test_station_read_records (jsonl);
  g_assert_cmpuint (records->len, ==, N_PARTS + 1);
  for (guint r = 0; r < records->len; r++)
    {
      const DmPart *p = records->pdata[r];

      g_assert_cmpuint (p->seq, ==, r + 1);
      g_assert_false (g_hash_table_contains (seen, p->file)); /* exactly once */
      g_hash_table_add (seen, p->file);
      g_assert_true (g_file_test (p->file, G_FILE_TEST_EXISTS));
    }
}

static void
test_bad_settings (void)
{
  g_autofree char *journal = g_build_filename (tmp, "journal4", NULL);
  const struct
  {
    const char *source, *sink, *want;
  } cases[] = {
    { "folder:/nonexistent/hot", NULL, "no such folder" },
    { "webcam:0", NULL, "unknown kind" },
    { "folder:/tmp?move=2", NULL, "move=2" },
    { "folder:/tmp?speed=1", NULL, "unknown option 'speed'" },
    { "other=folder:/tmp", NULL, "no thresholds for class 'other'" },
    { "folder:/tmp", "ftp://x", "unknown kind" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      DmStationSettings s;
      DmStation *station;

      dm_station_settings_init (&s);
      s.model_path = g_strdup (model);
      s.journal = g_strdup (journal);
      dm_station_settings_set_class (&s, "part", &thresholds);
      g_ptr_array_add (s.sources, g_strdup (cases[i].source));
      if (cases[i].sink != NULL)
        g_ptr_array_add (s.sinks, g_strdup (cases[i].sink));
      station = dm_station_new (&s, &error);
      if (station != NULL)
        {
          g_assert_false (dm_station_start (station, &error));
          dm_station_free (station);
        }
      g_assert_nonnull (error);
      g_test_message ("%s: %s", cases[i].source, error->message);
      dm_test_assert_has (error->message, cases[i].want);
      dm_station_settings_clear (&s);
    }
  /* a class without thresholds */
  {
    g_autoptr (GError) error = NULL;
    DmStationSettings s;
    DmThresholds none;

    dm_thresholds_init (&none);
    dm_station_settings_init (&s);
    s.model_path = g_strdup (model);
    s.journal = g_strdup (journal);
    dm_station_settings_set_class (&s, "part", &none);
    g_assert_null (dm_station_new (&s, &error));
    dm_test_assert_has (error->message, "has no thresholds");
    dm_station_settings_clear (&s);
  }
}

int
main (int argc, char *argv[])
{
  g_autofree char *dir = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  /* the station logs what goes wrong on the line as warnings */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_FATAL_MASK);
  tmp = dm_test_make_tmpdir ();
  model = dm_test_station_model (tmp);
  dir = g_build_filename (tmp, "parts", NULL);
  parts = dm_test_station_parts (dir, N_PARTS, 100);
  maps = g_new (float, (gsize)N_PARTS * 256 * 256);
  dm_test_station_reference (model, parts, scores, maps);
  dm_test_station_thresholds (scores, N_PARTS, &thresholds);
  g_test_add_func ("/station/folder/decisions-and-moves", test_decisions_and_moves);
  g_test_add_func ("/station/folder/still-being-written", test_still_being_written);
  g_test_add_func ("/station/folder/restart-and-pause", test_restart_and_pause);
  g_test_add_func ("/station/folder/bad-settings", test_bad_settings);
  g_test_add_func ("/station/folder/notes", test_notes);
  rc = g_test_run ();
  g_strfreev (parts);
  g_free (maps);
  g_free (model);
  return rc;
}
