/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `kill -9` of `dinomaly station` in the middle of a hot folder, twice,
 * and a restart each time: every file is scored exactly once (one journal
 * record each, ids without gaps), every file is moved where its record
 * says, and every output catches up: the JSONL and CSV files hold each
 * record once (they read their own last line back), an MQTT subscriber
 * gets every record (repeats only with the same id). */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "dm-test-data.h"
#include "dm-test-station.h"
#include "dm-test-util.h"

#define N_FILES 40

static const char *cli;
static char *tmp;

static guint
wait_journal (const char *journal, guint n, double timeout_s)
{
  gint64 end = g_get_monotonic_time () + (gint64)(timeout_s * G_USEC_PER_SEC);

  for (;;)
    {
      g_autoptr (GPtrArray) records = dm_test_station_read_journal (journal);

      if (records->len >= n || g_get_monotonic_time () > end)
        return records->len;
      g_usleep (50000);
    }
}

static void
test_kill_and_restart (void)
{
  g_autofree char *model = dm_test_station_model (tmp);
  g_autofree char *parts_dir = g_build_filename (tmp, "parts", NULL);
  g_autofree char *hot = g_build_filename (tmp, "hot", NULL);
  g_autofree char *journal = g_build_filename (tmp, "journal", NULL);
  g_autofree char *jsonl = g_build_filename (tmp, "out", "results.jsonl", NULL);
  g_autofree char *csv = g_build_filename (tmp, "out", "results.csv", NULL);
  g_autofree char *source = g_strdup_printf ("folder:%s?move=1&settle=200", hot);
  g_autofree char *jsonl_sink = g_strconcat ("jsonl:", jsonl, NULL);
  g_autofree char *csv_sink = g_strconcat ("csv:", csv, NULL);
  g_autofree char *broker_dir = g_build_filename (tmp, "broker", NULL);
  g_autofree char *mqtt_sink = NULL;
  g_auto (GStrv) parts = dm_test_station_parts (parts_dir, 9, 11);
  g_autoptr (GPtrArray) records = NULL;
  int port = dm_test_station_free_port ();
  DmTestBroker *broker = dm_test_broker_start (broker_dir, port);
  DmTestSubscriber *sub = NULL;
  const guint kill_at[] = { 8, 22 };
  guint moved = 0;

  g_mkdir_with_parents (hot, 0755);
  for (guint i = 0; i < N_FILES; i++)
    {
      g_autofree char *name = g_strdup_printf ("k%03u.png", i);
      g_autofree char *to = g_build_filename (hot, name, NULL);
      dm_test_copy_file (parts[i % 9], to);
    }
  if (broker != NULL)
    {
      sub = dm_test_subscriber_new (port, "kill/#", "dm-test-kill");
      mqtt_sink = g_strdup_printf ("mqtt://127.0.0.1:%d/kill", port);
    }
  else
    g_test_message ("mosquitto is not installed: the MQTT output is left out");

  for (guint run = 0; run <= G_N_ELEMENTS (kill_at); run++)
    {
      g_autofree char *log = g_strdup_printf ("%s/station-%u.log", tmp, run);
      g_auto (GStrv) argv = dm_test_station_argv (
        cli, "station", "--model", model, "--threshold", "1.1", "--source", source, "--sink",
        jsonl_sink, "--sink", csv_sink, "--journal", journal, "--batch", "2", "--status-every", "1",
        mqtt_sink != NULL ? "--sink" : NULL, mqtt_sink, NULL);
      g_autoptr (GSubprocess) station = dm_test_station_spawn ((const char *const *)argv, log);

      if (run < G_N_ELEMENTS (kill_at))
        {
          guint n = wait_journal (journal, kill_at[run], 120);

          g_assert_cmpuint (n, >=, kill_at[run]);
          dm_test_station_kill (station);
          g_test_message ("killed (-9) with %u records in the journal",
                          wait_journal (journal, 0, 0));
          /* the journal stays readable after a kill */
          g_assert_cmpuint (wait_journal (journal, 0, 0), <, N_FILES);
          continue;
        }
      g_assert_cmpuint (wait_journal (journal, N_FILES, 180), ==, N_FILES);
      g_assert_true (dm_test_station_wait_lines (jsonl, N_FILES, 60));
      g_assert_true (dm_test_station_wait_lines (csv, N_FILES + 1, 60));
      if (sub != NULL)
        {
          gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

          while (dm_test_subscriber_count (sub, "/parts") < N_FILES
                 && g_get_monotonic_time () < end)
            g_usleep (100000);
        }
      g_assert_cmpint (dm_test_station_stop (station, 30), ==, 0);
    }

  /* the journal: each file exactly once, seqs 1..N */
  records = dm_test_station_read_journal (journal);
  dm_test_station_assert_exactly_once (records, N_FILES);
  for (guint i = 0; i < records->len; i++)
    {
      DmPart *p = records->pdata[i];

      g_assert_false (g_file_test (p->file, G_FILE_TEST_EXISTS));
      g_assert_nonnull (p->moved_to);
      moved += g_file_test (p->moved_to, G_FILE_TEST_IS_REGULAR);
    }
  g_assert_cmpuint (moved, ==, N_FILES);
  g_test_message ("journal: %u records, each file scored once, %u moved", records->len, moved);

  /* the file outputs: every record once, in order */
  {
    g_auto (GStrv) lines = NULL;
    g_autofree char *text = NULL;
    DmTestDelivery d;

    g_assert_true (g_file_get_contents (jsonl, &text, NULL, NULL));
    lines = g_strsplit (g_strchomp (text), "\n", -1);
    dm_test_station_delivery (records, lines, &d);
    dm_test_station_print_delivery ("jsonl after two kill -9", &d);
    g_assert_cmpuint (d.lost, ==, 0);
    g_assert_cmpuint (d.duplicates, ==, 0);
    g_assert_true (d.in_order);
  }
  {
    g_autofree char *text = NULL;
    g_auto (GStrv) rows = NULL;

    g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
    rows = g_strsplit (g_strchomp (text), "\n", -1);
    g_assert_cmpuint (g_strv_length (rows), ==, N_FILES + 1);
    g_assert_true (g_str_has_prefix (rows[0], "seq,id,"));
    for (guint i = 1; rows[i] != NULL; i++)
      g_assert_cmpuint (g_ascii_strtoull (rows[i], NULL, 10), ==, i);
    g_test_message ("csv after two kill -9: %u rows, seq 1..%u, none twice", N_FILES, N_FILES);
  }
  if (sub != NULL)
    {
      g_auto (GStrv) lines = dm_test_subscriber_messages (sub, "/parts");
      DmTestDelivery d;

      dm_test_station_delivery (records, lines, &d);
      dm_test_station_print_delivery ("mqtt after two kill -9", &d);
      g_assert_cmpuint (d.lost, ==, 0);
      g_assert_true (d.in_order);
      dm_test_subscriber_free (sub);
      dm_test_broker_free (broker);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* the station logs what goes wrong on the line as warnings */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_FATAL_MASK);
  cli = argv[1];
  tmp = dm_test_make_tmpdir ();
  g_test_add_func ("/station/kill/kill-9-and-restart", test_kill_and_restart);
  return g_test_run ();
}
