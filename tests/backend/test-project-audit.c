/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audit trail: records written and read back with every member; the
 * file only grows (the bytes of earlier records never change); a torn
 * last line (a write cut short) is skipped by readers and cut by the next
 * append; a process appending in a loop killed with SIGKILL leaves only
 * whole records, and appending goes on; lines that are no record are
 * skipped and counted, never fatal. */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dm-error.h"
#include "dm-jsonl.h"
#include "dm-project-audit.h"
#include "dm-test-util.h"

static char *
audit_path (const char *folder)
{
  return g_build_filename (folder, DM_AUDIT_FILE, NULL);
}

static void
append (const char *folder, const char *action, const char *target, const char *value)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmAuditEntry) e = dm_audit_entry_new (action, target, value, "before", 3);

  g_assert_true (dm_audit_append (folder, e, &error));
  g_assert_no_error (error);
}

static GPtrArray *
read_all (const char *folder, guint *skipped)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *entries = dm_audit_read (folder, skipped, &error);

  g_assert_no_error (error);
  return entries;
}

static void
test_round_trip_append_only (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *path = audit_path (tmp);
  g_autofree char *before = NULL, *after = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  const DmAuditEntry *e;
  gsize before_len, after_len;
  guint skipped = 99;

  /* no trail yet: empty */
  entries = read_all (tmp, &skipped);
  g_assert_cmpuint (entries->len, ==, 0);
  g_assert_cmpuint (skipped, ==, 0);
  g_clear_pointer (&entries, g_ptr_array_unref);

  append (tmp, DM_AUDIT_LABEL, "/data/test/hole/000.png", "defect");
  append (tmp, DM_AUDIT_PROMOTE, "2", "\"quoted\"\nand a newline");
  g_assert_true (g_file_get_contents (path, &before, &before_len, NULL));
  append (tmp, DM_AUDIT_THRESHOLD, "tire", "image 0.52");
  g_assert_true (g_file_get_contents (path, &after, &after_len, NULL));
  /* append-only: what was there is still there, byte for byte */
  g_assert_cmpuint (after_len, >, before_len);
  g_assert_cmpint (memcmp (before, after, before_len), ==, 0);

  entries = read_all (tmp, &skipped);
  g_assert_cmpuint (entries->len, ==, 3);
  g_assert_cmpuint (skipped, ==, 0);
  e = entries->pdata[0];
  g_assert_cmpstr (e->action, ==, "label");
  g_assert_cmpstr (e->target, ==, "/data/test/hole/000.png");
  g_assert_cmpstr (e->value, ==, "defect");
  g_assert_cmpstr (e->previous, ==, "before");
  g_assert_cmpstr (e->user, ==, g_get_user_name ());
  g_assert_cmpuint (e->version, ==, 3);
  g_assert_cmpint (ABS (g_get_real_time () - e->time_us), <, 60 * G_USEC_PER_SEC);
  e = entries->pdata[1];
  g_assert_cmpstr (e->value, ==, "\"quoted\"\nand a newline");
  g_assert_cmpint (((DmAuditEntry *)entries->pdata[2])->time_us, >=, e->time_us);
  {
    /* the exact time comes back, microseconds too */
    g_autofree char *json = dm_audit_entry_to_json (e);
    g_autoptr (DmAuditEntry) again = dm_audit_entry_from_json (json, strlen (json), "x", NULL);

    g_assert_nonnull (again);
    g_assert_cmpint (again->time_us, ==, e->time_us);
  }
}

static void
test_torn_tail (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *path = audit_path (tmp);
  g_autoptr (GPtrArray) entries = NULL;
  g_autofree char *text = NULL;
  guint skipped = 0;
  FILE *f;

  append (tmp, DM_AUDIT_LABEL, "a.png", "good");
  /* a write cut short: half a record, no newline */
  f = fopen (path, "a");
  fputs ("{\"time\": \"2026-01-01T00:00:00.000000Z\", \"user\": \"x\", \"act", f);
  fclose (f);
  entries = read_all (tmp, &skipped);
  g_assert_cmpuint (entries->len, ==, 1);
  g_assert_cmpuint (skipped, ==, 1);
  g_clear_pointer (&entries, g_ptr_array_unref);
  /* the next append cuts it off first */
  append (tmp, DM_AUDIT_LABEL, "b.png", "defect");
  entries = read_all (tmp, &skipped);
  g_assert_cmpuint (entries->len, ==, 2);
  g_assert_cmpuint (skipped, ==, 0);
  g_assert_cmpstr (((DmAuditEntry *)entries->pdata[1])->target, ==, "b.png");
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_null (strstr (text, "\"act\n"));
  g_assert_null (strstr (text, "\"act{"));
}

static void
test_bad_lines (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *path = audit_path (tmp);
  g_autofree char *long_line = g_strnfill (DM_AUDIT_MAX_LINE + 10, 'x');
  g_autofree char *text = g_strconcat (
    "not json\n", "[1]\n",
    "{\"time\": \"yesterday\", \"user\": \"u\", \"action\": \"label\", \"target\": \"t\"}\n",
    "{\"time\": \"2026-01-01T00:00:00Z\", \"action\": \"label\", \"target\": \"t\"}\n", long_line,
    "\n",
    "{\"time\": \"2026-01-01T00:00:00Z\", \"user\": \"u\", \"action\": \"label\", \"target\": "
    "\"t\", \"version\": -4, \"extra\": [1]}\n",
    NULL);
  g_autoptr (GPtrArray) entries = NULL;
  guint skipped = 0;

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  entries = read_all (tmp, &skipped);
  g_assert_cmpuint (entries->len, ==, 1);
  g_assert_cmpuint (skipped, ==, 5);
  g_assert_cmpuint (((DmAuditEntry *)entries->pdata[0])->version, ==, 0);
  {
    g_autoptr (GError) error = NULL;
    const char *lines[] = { "two\nlines" };

    g_assert_false (dm_jsonl_append (path, lines, 1, &error));
    g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  }
}

/* A child appends records as fast as it can and is killed with SIGKILL:
 * the trail holds whole records only, and takes more. */
static void
test_kill_9 (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autoptr (GPtrArray) entries = NULL;
  guint skipped = 0, n_before;
  pid_t pid = fork ();

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      for (guint i = 0;; i++)
        {
          g_autofree char *target = g_strdup_printf ("image-%06u.png", i);
          g_autoptr (DmAuditEntry) e = dm_audit_entry_new ("label", target, "good", NULL, 1);

          dm_audit_append (tmp, e, NULL);
        }
    }
  g_usleep (300 * 1000);
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  entries = read_all (tmp, &skipped);
  n_before = entries->len;
  g_test_message ("killed after %u records (%u torn lines)", n_before, skipped);
  g_assert_cmpuint (n_before, >, 0);
  g_assert_cmpuint (skipped, <=, 1);
  for (guint i = 0; i < entries->len; i++)
    {
      g_autofree char *target = g_strdup_printf ("image-%06u.png", i);
      g_assert_cmpstr (((DmAuditEntry *)entries->pdata[i])->target, ==, target);
    }
  g_clear_pointer (&entries, g_ptr_array_unref);
  append (tmp, DM_AUDIT_LABEL, "after.png", "good");
  entries = read_all (tmp, &skipped);
  g_assert_cmpuint (skipped, ==, 0);
  g_assert_cmpuint (entries->len, ==, n_before + 1);
  g_assert_cmpstr (((DmAuditEntry *)entries->pdata[n_before])->target, ==, "after.png");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/project-audit/round-trip-append-only", test_round_trip_append_only);
  g_test_add_func ("/project-audit/torn-tail", test_torn_tail);
  g_test_add_func ("/project-audit/bad-lines", test_bad_lines);
  g_test_add_func ("/project-audit/kill-9", test_kill_9);
  return g_test_run ();
}
