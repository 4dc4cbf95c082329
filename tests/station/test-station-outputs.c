/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The webhook and Modbus outputs against receivers that fail: a webhook
 * receiver (a libsoup server in the test) that answers 503 for a while,
 * and a PLC (a libmodbus server in the test) that goes away for a while.
 * Every record of the journal arrives at both, in order, none missing,
 * repeats only with the same id, with the journal's decisions. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dm-test-data.h"
#include "dm-test-station.h"
#include "dm-test-util.h"

#define N_FILES 24

static const char *cli;
static char *tmp;

/* ---- the test ---- */

static void
feed (const char *hot, char **parts, guint from, guint to)
{
  for (guint i = from; i < to; i++)
    {
      g_autofree char *name = g_strdup_printf ("o%03u.png", i);
      g_autofree char *path = g_build_filename (hot, name, NULL);
      dm_test_copy_file (parts[i % 9], path);
      g_usleep (250000);
    }
}

static guint
distinct_seqs (GArray *writes)
{
  guint n = 0;
  guint32 last = 0;

  for (guint i = 0; i < writes->len; i++)
    {
      const DmTestPlcWrite *w = &g_array_index (writes, DmTestPlcWrite, i);
      guint32 seq = ((guint32)w->regs[3] << 16) | w->regs[4];

      if (seq > last)
        n++, last = seq;
    }
  return n;
}

static void
test_failing_receivers (void)
{
  g_autofree char *model = dm_test_station_model (tmp);
  g_autofree char *parts_dir = g_build_filename (tmp, "parts", NULL);
  g_autofree char *hot = g_build_filename (tmp, "hot", NULL);
  g_autofree char *journal = g_build_filename (tmp, "journal", NULL);
  g_autofree char *log = g_build_filename (tmp, "station.log", NULL);
  g_autofree char *source = g_strdup_printf ("folder:%s?settle=200", hot);
  g_auto (GStrv) parts = dm_test_station_parts (parts_dir, 9, 23);
  DmTestReceiver *receiver = dm_test_receiver_start ();
  int plc_port = dm_test_station_free_port ();
  DmTestPlc *plc = dm_test_plc_start (plc_port);
  g_autofree char *hook = g_strdup_printf ("http://127.0.0.1:%d/hook", receiver->port);
  g_autofree char *modbus = g_strdup_printf ("modbus://127.0.0.1:%d/1", plc_port);
  g_auto (GStrv) argv = dm_test_station_argv (
    cli, "station", "--model", model, "--threshold", "1.1", "--band", "1.05,1.15", "--source",
    source, "--sink", hook, "--sink", modbus, "--journal", journal, "--status-every", "1", NULL);
  g_autoptr (GSubprocess) station = NULL;
  g_autoptr (GArray) writes = g_array_new (FALSE, FALSE, sizeof (DmTestPlcWrite));
  g_autoptr (GPtrArray) records = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree char *log_text = NULL;
  DmTestDelivery d;
  gint64 end;

  g_mkdir_with_parents (hot, 0755);
  station = dm_test_station_spawn ((const char *const *)argv, log);
  feed (hot, parts, 0, 8);
  g_assert_true (dm_test_station_wait_port (receiver->port, 5));
  /* the receiver fails and the PLC goes away while parts keep coming */
  g_atomic_int_set (&receiver->failing, 1);
  {
    g_autoptr (GArray) first = dm_test_plc_writes (plc);

    g_array_append_vals (writes, first->data, first->len);
    dm_test_plc_stop (plc);
  }
  feed (hot, parts, 8, 16);
  g_usleep (2 * G_USEC_PER_SEC);
  g_atomic_int_set (&receiver->failing, 0);
  plc = dm_test_plc_start (plc_port);
  feed (hot, parts, 16, N_FILES);

  end = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr (GPtrArray) now = dm_test_station_read_journal (journal);
      g_auto (GStrv) got = dm_test_receiver_lines (receiver);
      g_autoptr (GArray) plc_now = dm_test_plc_writes (plc);

      dm_test_station_delivery (now, got, &d);
      if ((now->len == N_FILES && d.lost == 0
           && distinct_seqs (writes) + distinct_seqs (plc_now) >= N_FILES)
          || g_get_monotonic_time () > end)
        break;
      g_usleep (200000);
    }
  g_assert_cmpint (dm_test_station_stop (station, 30), ==, 0);
  {
    g_autoptr (GArray) last = dm_test_plc_writes (plc);

    g_array_append_vals (writes, last->data, last->len);
    dm_test_plc_stop (plc);
  }

  records = dm_test_station_read_journal (journal);
  g_assert_cmpuint (records->len, ==, N_FILES);
  lines = dm_test_receiver_lines (receiver);
  dm_test_station_delivery (records, lines, &d);
  dm_test_station_print_delivery ("webhook, 503 for a while", &d);
  g_test_message ("webhook: %u requests answered 503", receiver->refused);
  g_assert_cmpuint (receiver->refused, >, 0);
  g_assert_cmpuint (receiver->bad_keys, ==, 0);
  g_assert_cmpuint (d.lost, ==, 0);
  g_assert_true (d.in_order);

  /* the PLC: every seq written, in order, with the journal's decision */
  {
    guint32 last = 0;
    guint repeats = 0, distinct = 0;

    for (guint i = 0; i < writes->len; i++)
      {
        const DmTestPlcWrite *w = &g_array_index (writes, DmTestPlcWrite, i);
        guint32 seq = ((guint32)w->regs[3] << 16) | w->regs[4];
        const DmPart *p;
        guint code;

        g_assert_cmpuint (seq, >=, 1);
        g_assert_cmpuint (seq, <=, N_FILES);
        if (seq <= last)
          {
            g_assert_cmpuint (seq, ==, last); /* a repeat, never a step back */
            repeats++;
            continue;
          }
        g_assert_cmpuint (seq, ==, last + 1); /* none skipped */
        last = seq;
        distinct++;
        p = records->pdata[seq - 1];
        code = p->is_error                            ? 4
               : p->decision == DM_DECISION_PASS      ? 1
               : p->decision == DM_DECISION_UNCERTAIN ? 2
                                                      : 3;
        g_assert_cmpuint (w->regs[0], ==, code);
        for (guint c = 0; c < 4; c++)
          g_assert_cmpuint (w->coils[c], ==, c + 1 == code);
        {
          guint32 bits = ((guint32)w->regs[1] << 16) | w->regs[2];
          float score;

          memcpy (&score, &bits, sizeof score);
          g_assert_true (score == p->score); /* bit for bit */
        }
      }
    g_test_message ("modbus, PLC away for a while: records produced %u, written %u distinct, "
                    "repeats %u (same seq), lost %u, in order",
                    N_FILES, distinct, repeats, N_FILES - distinct);
    g_printerr ("# modbus, PLC away: produced %u, delivered %u, duplicates %u, lost %u, in order\n",
                N_FILES, distinct, repeats, N_FILES - distinct);
    g_assert_cmpuint (distinct, ==, N_FILES);
  }
  g_assert_true (g_file_get_contents (log, &log_text, NULL, NULL));
  dm_test_assert_has (log_text, "answered 503");
  dm_test_assert_has (log_text, "cannot connect");
  dm_test_receiver_free (receiver);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* the station logs what goes wrong on the line as warnings */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_FATAL_MASK);
  cli = argv[1];
  tmp = dm_test_make_tmpdir ();
  g_test_add_func ("/station/outputs/failing-receivers", test_failing_receivers);
  return g_test_run ();
}
