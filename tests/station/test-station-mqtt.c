/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The MQTT output against a real broker (Debian's mosquitto on 127.0.0.1,
 * a free port) that is killed for 10 s in the middle of a run and started
 * again: every record of the journal reaches a subscriber (a persistent
 * session), in order, none missing, repeats only with the same id; the
 * retained status says online, and offline after the station stops. */
#include <glib/gstdio.h>
#include <string.h>

#include "dm-test-data.h"
#include "dm-test-station.h"
#include "dm-test-util.h"

#define N_FILES 30

static const char *cli;
static char *tmp;

typedef struct
{
  char **parts;
  char *folder;
  guint interval_ms;
} Feeder;

/* Drops the parts into the hot folder one by one, each written under a
 * temporary name and renamed in. */
static gpointer
feed (gpointer data)
{
  Feeder *f = data;

  for (guint i = 0; f->parts[i] != NULL; i++)
    {
      g_autofree char *name = g_strdup_printf ("p%03u.png", i);
      g_autofree char *to = g_build_filename (f->folder, name, NULL);
      dm_test_copy_file (f->parts[i % 9], to);
      g_usleep (f->interval_ms * 1000);
    }
  return NULL;
}

static void
test_broker_killed (void)
{
  g_autofree char *model = dm_test_station_model (tmp);
  g_autofree char *parts_dir = g_build_filename (tmp, "parts", NULL);
  g_autofree char *hot = g_build_filename (tmp, "hot", NULL);
  g_autofree char *journal = g_build_filename (tmp, "journal", NULL);
  g_autofree char *broker_dir = g_build_filename (tmp, "broker", NULL);
  g_autofree char *log = g_build_filename (tmp, "station.log", NULL);
  g_autofree char *sink = NULL, *source = NULL, *log_text = NULL;
  g_auto (GStrv) parts = dm_test_station_parts (parts_dir, 9, 7);
  g_auto (GStrv) argv = NULL;
  g_autoptr (GPtrArray) records = NULL;
  g_auto (GStrv) lines = NULL, statuses = NULL;
  g_autoptr (GSubprocess) station = NULL;
  g_autofree char **feed_list = g_new0 (char *, N_FILES + 1);
  int port = dm_test_station_free_port ();
  DmTestBroker *broker = dm_test_broker_start (broker_dir, port);
  DmTestSubscriber *sub;
  DmTestDelivery d;
  Feeder feeder;
  GThread *t;
  gint64 end;

  if (broker == NULL)
    {
      g_test_skip ("mosquitto (the broker) is not installed: apt-get install mosquitto");
      return;
    }
  sub = dm_test_subscriber_new (port, "line7/#", "dm-test-subscriber");
  g_mkdir_with_parents (hot, 0755);
  for (guint i = 0; i < N_FILES; i++)
    feed_list[i] = parts[i % 9];
  sink = g_strdup_printf ("mqtt://127.0.0.1:%d/line7", port);
  source = g_strdup_printf ("folder:%s?settle=300", hot);
  argv = dm_test_station_argv (cli, "station", "--model", model, "--threshold", "1.1", "--source",
                               source, "--sink", sink, "--journal", journal, "--name", "line7",
                               "--status-every", "1", "--batch", "4", NULL);
  station = dm_test_station_spawn ((const char *const *)argv, log);
  feeder = (Feeder){ feed_list, hot, 400 };
  t = g_thread_new ("feeder", feed, &feeder);

  /* some records through, then the broker goes for 10 s */
  end = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  while (dm_test_subscriber_count (sub, "/parts") < 6 && g_get_monotonic_time () < end)
    g_usleep (100000);
  g_assert_cmpuint (dm_test_subscriber_count (sub, "/parts"), >=, 6);
  g_test_message ("broker killed after %u records", dm_test_subscriber_count (sub, "/parts"));
  dm_test_broker_stop (broker);
  g_usleep (10 * G_USEC_PER_SEC);
  dm_test_broker_restart (broker);
  g_thread_join (t);

  /* everything the journal holds arrives */
  end = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr (GPtrArray) now = dm_test_station_read_journal (journal);
      g_auto (GStrv) got = dm_test_subscriber_messages (sub, "/parts");

      dm_test_station_delivery (now, got, &d);
      if ((now->len == N_FILES && d.lost == 0) || g_get_monotonic_time () > end)
        break;
      g_usleep (200000);
    }
  g_assert_cmpint (dm_test_station_stop (station, 30), ==, 0);
  g_usleep (500000);

  records = dm_test_station_read_journal (journal);
  lines = dm_test_subscriber_messages (sub, "/parts");
  dm_test_station_delivery (records, lines, &d);
  dm_test_station_print_delivery ("mqtt, broker killed for 10 s", &d);
  g_assert_cmpuint (d.produced, ==, N_FILES);
  g_assert_cmpuint (d.lost, ==, 0);
  g_assert_true (d.in_order);

  /* the station saw the broker go and come back */
  g_assert_true (g_file_get_contents (log, &log_text, NULL, NULL));
  dm_test_assert_has (log_text, "lost the broker");
  statuses = dm_test_subscriber_messages (sub, "/status");
  g_assert_cmpuint (g_strv_length (statuses), >=, 2);
  g_assert_true (g_strv_contains ((const char *const *)statuses, "online"));
  g_assert_cmpstr (statuses[g_strv_length (statuses) - 1], ==, "offline");

  dm_test_subscriber_free (sub);
  dm_test_broker_free (broker);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* the station logs what goes wrong on the line as warnings */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_FATAL_MASK);
  cli = argv[1];
  tmp = dm_test_make_tmpdir ();
  g_test_add_func ("/station/mqtt/broker-killed", test_broker_killed);
  return g_test_run ();
}
