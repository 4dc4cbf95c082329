/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Real images end to end: pictures of magnetic tiles (good ones and
 * defects, from ../shared/data, copied here) dropped into a hot folder
 * arrive as results in a JSONL file, on an MQTT subscriber (mosquitto on
 * 127.0.0.1), on a webhook receiver (a libsoup server in the test) and in
 * the registers of a PLC (a libmodbus server in the test), with the same
 * decisions and scores as `dinomaly predict` on the same files. The model
 * is calibrated on good tiles with `dinomaly calibrate` (with an uncertain
 * band). Skips when ../shared is absent, or when mosquitto is not
 * installed. */
#include <glib/gstdio.h>
#include <string.h>

#include "dm-test-data.h"
#include "dm-test-station.h"
#include "dm-test-util.h"

static const char *cli;
static char *tmp;

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* n files of a folder, sorted by name, copied into to (with a prefix). */
static void
copy_some (const char *from, const char *to, const char *prefix, guint n)
{
  g_autoptr (GDir) dir = g_dir_open (from, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_mkdir_with_parents (to, 0755);
  for (guint i = 0; i < MIN (n, names->len); i++)
    {
      g_autofree char *src = g_build_filename (from, names->pdata[i], NULL);
      g_autofree char *base = g_strconcat (prefix, names->pdata[i], NULL);
      g_autofree char *dst = g_build_filename (to, base, NULL);
      dm_test_copy_file (src, dst);
    }
}

/* predict's results.csv: file name -> "decision score". */
static GHashTable *
read_predict (const char *csv)
{
  GHashTable *out = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *text = NULL;
  g_auto (GStrv) rows = NULL;

  g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
  rows = g_strsplit (g_strchomp (text), "\n", -1);
  /* the columns these tests compare come first (the rule and regions follow) */
  g_assert_true (g_str_has_prefix (rows[0], "path,score,decision,"));
  for (guint i = 1; rows[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (rows[i], ",", -1);
      float score = (float)g_ascii_strtod (f[1], NULL);

      g_hash_table_insert (out, g_path_get_basename (f[0]),
                           g_strdup_printf ("%s %.9g", f[2], score));
    }
  return out;
}

static void
check_decisions (const char *what, GHashTable *predicted, char **lines, guint n)
{
  guint same = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (DmPart) p = dm_part_from_json (lines[i], strlen (lines[i]), what, &error);
      g_autofree char *base = NULL, *mine = NULL;

      g_assert_no_error (error);
      base = g_path_get_basename (p->file);
      mine = g_strdup_printf ("%s %.9g", dm_part_decision_name (p), p->score);
      g_assert_cmpstr (mine, ==, g_hash_table_lookup (predicted, base));
      same++;
    }
  g_assert_cmpuint (same, >=, n);
  g_test_message ("%s: %u records, every decision and score that of dinomaly predict", what, same);
}

static void
test_real_images (void)
{
  const char *shared = dm_test_shared_dir ();
  g_autofree char *mt = NULL, *good = g_build_filename (tmp, "good", NULL);
  g_autofree char *parts = g_build_filename (tmp, "parts", NULL);
  g_autofree char *hot = g_build_filename (tmp, "hot", NULL);
  g_autofree char *journal = g_build_filename (tmp, "journal", NULL);
  g_autofree char *predicted_dir = g_build_filename (tmp, "predict", NULL);
  g_autofree char *csv = g_build_filename (predicted_dir, "results.csv", NULL);
  g_autofree char *jsonl = g_build_filename (tmp, "out", "results.jsonl", NULL);
  g_autofree char *model = NULL, *out = NULL, *err = NULL, *log = NULL, *broker_dir = NULL;
  g_autoptr (GHashTable) predicted = NULL;
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (GSubprocess) station = NULL;
  g_auto (GStrv) argv = NULL;
  const char *defects[] = { "crack", "blowhole", "break" };
  DmTestBroker *broker;
  DmTestSubscriber *sub;
  DmTestReceiver *receiver;
  DmTestPlc *plc;
  int mqtt_port, plc_port;
  guint n = 0;
  gint64 end;

  if (shared == NULL)
    {
      g_test_skip ("../shared/data is absent (DM_SHARED_DIR): no real images");
      return;
    }
  mt = g_build_filename (shared, "data", "magnetic_tile", "magnetic_tile", NULL);
  if (!g_file_test (mt, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("../shared/data/magnetic_tile is absent");
      return;
    }
  mqtt_port = dm_test_station_free_port ();
  broker_dir = g_build_filename (tmp, "broker", NULL);
  broker = dm_test_broker_start (broker_dir, mqtt_port);
  if (broker == NULL)
    {
      g_test_skip ("mosquitto (the broker) is not installed: apt-get install mosquitto");
      return;
    }

  /* the parts */
  {
    g_autofree char *test_good = g_build_filename (mt, "test", "good", NULL);

    copy_some (test_good, parts, "good-", 4);
    for (guint i = 0; i < G_N_ELEMENTS (defects); i++)
      {
        g_autofree char *dir = g_build_filename (mt, "test", defects[i], NULL);
        g_autofree char *prefix = g_strconcat (defects[i], "-", NULL);

        copy_some (dir, parts, prefix, 2);
      }
  }
  /* the model, calibrated on good tiles; then (the random tiny model does
   * not tell tiles apart) an image threshold and a band that split these
   * parts into pass, uncertain and fail, stored the same way */
  model = dm_test_station_model (tmp);
  {
    g_autofree char *train = g_build_filename (mt, "train", "good", NULL);
    const char *args[] = { "calibrate", "--model", model, "--good", good, NULL };
    g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (GDir) dir = g_dir_open (parts, 0, NULL);
    const char *name;
    float scores[16];
    DmThresholds t;

    copy_some (train, good, "", 12);
    g_assert_cmpint (dm_test_run_cli (cli, args, &out, &err), ==, 0);
    g_test_message ("%s", out);
    while ((name = g_dir_read_name (dir)) != NULL)
      g_ptr_array_add (files, g_build_filename (parts, name, NULL));
    g_ptr_array_add (files, NULL);
    dm_test_station_reference (model, (char **)files->pdata, scores, NULL);
    dm_test_station_thresholds (scores, files->len - 1, &t);
    {
      char image[G_ASCII_DTOSTR_BUF_SIZE], low[G_ASCII_DTOSTR_BUF_SIZE],
        high[G_ASCII_DTOSTR_BUF_SIZE];
      g_autofree char *band = NULL;
      const char *args2[]
        = { "calibrate", "--model", model, "--threshold", image, "--band", NULL, NULL };

      g_ascii_dtostr (image, sizeof image, t.image);
      g_ascii_dtostr (low, sizeof low, t.uncertain_low);
      g_ascii_dtostr (high, sizeof high, t.uncertain_high);
      band = g_strconcat (low, ",", high, NULL);
      args2[6] = band;
      g_assert_cmpint (dm_test_run_cli (cli, args2, &out, &err), ==, 0);
      g_test_message ("%s", out);
    }
  }
  /* what dinomaly predict says of them */
  {
    const char *args[] = { "predict", "--model", model, "--out", predicted_dir, parts, NULL };

    g_assert_cmpint (dm_test_run_cli (cli, args, &out, &err), ==, 0);
    predicted = read_predict (csv);
    n = g_hash_table_size (predicted);
    g_assert_cmpuint (n, ==, 10);
  }

  /* the receivers, and the station */
  sub = dm_test_subscriber_new (mqtt_port, "tiles/#", "dm-test-e2e");
  receiver = dm_test_receiver_start ();
  plc_port = dm_test_station_free_port ();
  plc = dm_test_plc_start (plc_port);
  g_mkdir_with_parents (hot, 0755);
  {
    g_autofree char *source = g_strdup_printf ("folder:%s?move=1&settle=300", hot);
    g_autofree char *mqtt = g_strdup_printf ("mqtt://127.0.0.1:%d/tiles", mqtt_port);
    g_autofree char *hook = g_strdup_printf ("http://127.0.0.1:%d/hook", receiver->port);
    g_autofree char *modbus = g_strdup_printf ("modbus://127.0.0.1:%d/1", plc_port);
    g_autofree char *sink = g_strconcat ("jsonl:", jsonl, NULL);

    log = g_build_filename (tmp, "station.log", NULL);
    argv = dm_test_station_argv (cli, "station", "--model", model, "--source", source, "--sink",
                                 sink, "--sink", mqtt, "--sink", hook, "--sink", modbus,
                                 "--journal", journal, "--status-every", "2", NULL);
    station = dm_test_station_spawn ((const char *const *)argv, log);
  }
  /* dropped in, one by one, renamed in as a writer would */
  {
    g_autoptr (GDir) dir = g_dir_open (parts, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *src = g_build_filename (parts, name, NULL);
        g_autofree char *dst = g_build_filename (hot, name, NULL);
        dm_test_copy_file (src, dst);
      }
  }
  end = g_get_monotonic_time () + 180 * G_USEC_PER_SEC;
  for (;;)
    {
      g_auto (GStrv) hooked = dm_test_receiver_lines (receiver);
      g_autoptr (GArray) writes = dm_test_plc_writes (plc);

      if ((dm_test_station_count_lines (jsonl) >= n && dm_test_subscriber_count (sub, "/parts") >= n
           && g_strv_length (hooked) >= n && writes->len >= n)
          || g_get_monotonic_time () > end)
        break;
      g_usleep (200000);
    }
  g_assert_cmpint (dm_test_station_stop (station, 30), ==, 0);

  records = dm_test_station_read_journal (journal);
  g_assert_cmpuint (records->len, ==, n);
  {
    g_autofree char *text = NULL;
    g_auto (GStrv) lines = NULL;

    g_assert_true (g_file_get_contents (jsonl, &text, NULL, NULL));
    lines = g_strsplit (g_strchomp (text), "\n", -1);
    check_decisions ("JSONL file", predicted, lines, n);
  }
  {
    g_auto (GStrv) lines = dm_test_subscriber_messages (sub, "/parts");

    check_decisions ("MQTT subscriber", predicted, lines, n);
  }
  {
    g_auto (GStrv) lines = dm_test_receiver_lines (receiver);

    check_decisions ("webhook receiver", predicted, lines, n);
  }
  {
    g_autoptr (GArray) writes = dm_test_plc_writes (plc);
    guint counts[5] = { 0 };

    for (guint i = 0; i < writes->len; i++)
      {
        const DmTestPlcWrite *w = &g_array_index (writes, DmTestPlcWrite, i);
        guint32 seq = ((guint32)w->regs[3] << 16) | w->regs[4];
        const DmPart *p = records->pdata[seq - 1];
        g_autofree char *base = g_path_get_basename (p->file);
        const char *want = g_hash_table_lookup (predicted, base);
        static const char *const names[] = { "", "pass", "uncertain", "fail", "error" };

        g_assert_true (g_str_has_prefix (want, names[w->regs[0]]));
        g_assert_cmpint (want[strlen (names[w->regs[0]])], ==, ' ');
        counts[w->regs[0]]++;
      }
    g_test_message ("Modbus registers: %u writes, every decision that of dinomaly predict "
                    "(pass %u, uncertain %u, fail %u)",
                    writes->len, counts[1], counts[2], counts[3]);
    g_assert_cmpuint (writes->len, ==, n);
  }
  dm_test_plc_stop (plc);
  dm_test_receiver_free (receiver);
  dm_test_subscriber_free (sub);
  dm_test_broker_free (broker);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_FATAL_MASK);
  cli = argv[1];
  tmp = dm_test_make_tmpdir ();
  g_test_add_func ("/station/e2e/real-images", test_real_images);
  return g_test_run ();
}
