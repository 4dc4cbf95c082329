/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A full disk, for real: the journal lives on a 2 MB tmpfs mounted in a
 * private mount namespace of this test (unshare(2); as root, or through a
 * user namespace where unprivileged ones are allowed). Failed parts keep
 * their image and 256 KB map, so the disk fills within a few parts: the
 * station stops taking parts and says why ("No space left on device"),
 * the files wait in the hot folder, the journal stays readable (every line
 * a whole record). Once space is freed, it goes on: every file is scored
 * exactly once and the output catches up. The test skips, saying why, only
 * where no mount namespace can be made. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "dm-station.h"
#include "dm-test-data.h"
#include "dm-test-station.h"
#include "dm-test-util.h"

#define N_FILES 16

static char *tmp, *small;
static char *why_not; /* why no small file system could be made */

static gboolean
write_text (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = write (fd, text, strlen (text)) == (ssize_t)strlen (text);
  close (fd);
  return ok;
}

/* A private mount namespace with a 2 MB tmpfs at `small`. Before any
 * thread exists (unshare of a user namespace needs that). */
static void
mount_small (void)
{
  uid_t uid = getuid ();
  gid_t gid = getgid ();

  if (unshare (CLONE_NEWNS) != 0)
    {
      g_autofree char *map = g_strdup_printf ("0 %u 1", (unsigned)uid);
      g_autofree char *gmap = g_strdup_printf ("0 %u 1", (unsigned)gid);

      if (unshare (CLONE_NEWUSER | CLONE_NEWNS) != 0)
        {
          why_not = g_strdup_printf ("no mount namespace: unshare: %s", g_strerror (errno));
          return;
        }
      write_text ("/proc/self/setgroups", "deny");
      if (!write_text ("/proc/self/uid_map", map) || !write_text ("/proc/self/gid_map", gmap))
        {
          why_not = g_strdup ("cannot map the user into a user namespace");
          return;
        }
    }
  /* nothing mounted here is seen outside */
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0
      || mount ("tmpfs", small, "tmpfs", 0, "size=8m") != 0)
    why_not = g_strdup_printf ("cannot mount a tmpfs: %s", g_strerror (errno));
}

static DmStationState
state_of (DmStation *station, char **message, guint64 *last_seq)
{
  DmStationStatus status;
  DmStationState state;

  dm_station_get_status (station, &status);
  state = status.state;
  if (message != NULL)
    *message = g_strdup (status.message);
  if (last_seq != NULL)
    *last_seq = status.last_seq;
  dm_station_status_clear (&status);
  return state;
}

static void
test_full_disk (void)
{
  g_autofree char *model = dm_test_station_model (tmp);
  g_autofree char *parts_dir = g_build_filename (tmp, "parts", NULL);
  g_autofree char *hot = g_build_filename (tmp, "hot", NULL);
  g_autofree char *journal = g_build_filename (small, "journal", NULL);
  g_autofree char *filler = g_build_filename (small, "filler", NULL);
  g_autofree char *jsonl = g_build_filename (tmp, "out", "results.jsonl", NULL);
  g_auto (GStrv) parts = dm_test_station_parts (parts_dir, 9, 31);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) records = NULL;
  g_autofree char *message = NULL;
  DmStationSettings s;
  DmStation *station;
  DmThresholds t;
  guint64 stalled_seq, seq;
  guint waiting = 0;
  gint64 end;

  if (why_not != NULL)
    {
      g_autofree char *reason
        = g_strdup_printf ("a full disk needs a small file system: %s", why_not);

      g_test_skip (reason);
      return;
    }
  /* about 600 KB left: two or three failed parts */
  {
    g_autofree char *zeros = g_malloc0 (7600 * 1024);

    g_assert_true (g_file_set_contents (filler, zeros, 7600 * 1024, NULL));
  }
  g_mkdir_with_parents (hot, 0755);
  for (guint i = 0; i < N_FILES; i++)
    {
      g_autofree char *name = g_strdup_printf ("d%02u.png", i);
      g_autofree char *to = g_build_filename (hot, name, NULL);
      dm_test_copy_file (parts[i % 9], to);
    }

  dm_thresholds_init (&t);
  t.image = 0.5; /* every part fails: each keeps its image and map */
  dm_station_settings_init (&s);
  s.model_path = g_strdup (model);
  s.journal = g_strdup (journal);
  s.batch = 1;
  s.drain_seconds = 5;
  dm_station_settings_set_class (&s, "part", &t);
  g_ptr_array_add (s.sources, g_strdup_printf ("folder:%s?move=1&settle=200", hot));
  g_ptr_array_add (s.sinks, g_strdup_printf ("jsonl:%s", jsonl));
  station = dm_station_new (&s, &error);
  g_assert_no_error (error);
  g_assert_true (dm_station_start (station, &error));
  g_assert_no_error (error);

  /* the disk fills: the station stalls and says why */
  end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (state_of (station, NULL, NULL) != DM_STATION_STALLED && g_get_monotonic_time () < end)
    g_usleep (100000);
  g_assert_cmpint (state_of (station, &message, &stalled_seq), ==, DM_STATION_STALLED);
  g_test_message ("stalled after %" G_GUINT64_FORMAT " records: %s", stalled_seq, message);
  dm_test_assert_has (message, "disk is full");
  g_assert_cmpuint (stalled_seq, <, N_FILES);
  /* it takes nothing more; the files wait where they are */
  g_usleep (2 * G_USEC_PER_SEC);
  g_assert_cmpint (state_of (station, NULL, &seq), ==, DM_STATION_STALLED);
  g_assert_cmpuint (seq, ==, stalled_seq);
  {
    g_autoptr (GDir) dir = g_dir_open (hot, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (dir)) != NULL)
      waiting += g_str_has_suffix (name, ".png");
  }
  g_test_message ("%u files wait in the hot folder", waiting);
  g_assert_cmpuint (waiting, >=, N_FILES - stalled_seq - 2);
  /* the journal reads whole records while the disk is full */
  records = dm_test_station_read_journal (journal);
  g_assert_cmpuint (records->len, ==, stalled_seq);
  g_clear_pointer (&records, g_ptr_array_unref);

  /* space again: it goes on by itself */
  g_assert_cmpint (g_unlink (filler), ==, 0);
  end = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  while ((state_of (station, NULL, &seq) != DM_STATION_RUNNING || seq < N_FILES)
         && g_get_monotonic_time () < end)
    g_usleep (100000);
  g_assert_cmpuint (seq, ==, N_FILES);
  g_assert_true (dm_test_station_wait_lines (jsonl, N_FILES, 30));
  dm_station_free (station);
  dm_station_settings_clear (&s);

  records = dm_test_station_read_journal (journal);
  dm_test_station_assert_exactly_once (records, N_FILES);
  for (guint i = 0; i < records->len; i++)
    {
      DmPart *p = records->pdata[i];

      g_assert_cmpint (p->decision, ==, DM_DECISION_FAIL);
      g_assert_nonnull (p->map);
    }
  {
    g_autofree char *text = NULL;
    g_auto (GStrv) lines = NULL;
    DmTestDelivery d;

    g_assert_true (g_file_get_contents (jsonl, &text, NULL, NULL));
    lines = g_strsplit (g_strchomp (text), "\n", -1);
    dm_test_station_delivery (records, lines, &d);
    dm_test_station_print_delivery ("full disk, then space again", &d);
    g_assert_cmpuint (d.lost, ==, 0);
    g_assert_cmpuint (d.duplicates, ==, 0);
  }
}

int
main (int argc, char *argv[])
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_FATAL_MASK);
  tmp = dm_test_make_tmpdir ();
  small = g_build_filename (tmp, "small", NULL);
  g_mkdir_with_parents (small, 0755);
  mount_small ();
  g_test_add_func ("/station/disk/full", test_full_disk);
  rc = g_test_run ();
  if (why_not == NULL)
    umount2 (small, MNT_DETACH);
  return rc;
}
