/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared helpers of the station's tests (dm-test-station.h). */
#include "dm-test-station.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dm-inspect.h"
#include "dm-test-data.h"

char *
dm_test_station_model (const char *dir)
{
  char *path = g_build_filename (dir, "tiny.dinomaly", NULL);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    dm_test_write_tiny_model (path, "part", NULL);
  return path;
}

char **
dm_test_station_parts (const char *dir, guint n, guint64 seed)
{
  char **paths = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("part-%02u.png", i);

      paths[i] = g_build_filename (dir, name, NULL);
      dm_test_write_noise_image (paths[i], 64, 48, seed + i, i % 3 == 2);
    }
  return paths;
}

typedef struct
{
  float *scores, *maps;
} Reference;

static void
on_item (const DmInspectItem *item, gpointer user_data)
{
  Reference *r = user_data;

  g_assert_null (item->error);
  r->scores[item->index] = item->score;
  if (r->maps != NULL)
    memcpy (r->maps + (gsize)item->index * 256 * 256, item->map, 256 * 256 * sizeof (float));
}

void
dm_test_station_reference (const char *model, char **files, float *scores, float *maps)
{
  g_autoptr (GError) error = NULL;
  DmInspectSettings settings;
  Reference r = { scores, maps };

  dm_inspect_settings_init (&settings);
  settings.model_path = model;
  g_assert_true (dm_inspect_run (&settings, (const char *const *)files, g_strv_length (files),
                                 on_item, &r, NULL, NULL, &error));
  g_assert_no_error (error);
}

void
dm_test_station_thresholds (const float *scores, guint n, DmThresholds *t)
{
  dm_thresholds_init (t);
  t->image = dm_quantile (scores, n, 0.5);
  t->uncertain_low = dm_quantile (scores, n, 0.3);
  t->uncertain_high = dm_quantile (scores, n, 0.7);
  t->pixel = 0.5;
}

guint
dm_test_station_count_lines (const char *path)
{
  g_autofree char *text = NULL;
  guint n = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  for (const char *c = text; *c != '\0'; c++)
    n += *c == '\n';
  return n;
}

gboolean
dm_test_station_wait_lines (const char *path, guint n, double timeout_s)
{
  gint64 end = g_get_monotonic_time () + (gint64)(timeout_s * G_USEC_PER_SEC);

  while (dm_test_station_count_lines (path) < n)
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_usleep (50000);
    }
  return TRUE;
}

GPtrArray *
dm_test_station_read_records (const char *path)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_part_free);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return records;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;
      DmPart *p;

      if (*lines[i] == '\0')
        continue;
      p = dm_part_from_json (lines[i], strlen (lines[i]), path, &error);
      g_assert_no_error (error);
      g_ptr_array_add (records, p);
    }
  return records;
}

int
dm_test_station_free_port (void)
{
  struct sockaddr_in addr = { 0 };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  int port;

  g_assert_cmpint (fd, >=, 0);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *)&addr, sizeof addr), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *)&addr, &len), ==, 0);
  port = ntohs (addr.sin_port);
  close (fd);
  return port;
}

gboolean
dm_test_station_wait_port (int port, double timeout_s)
{
  gint64 end = g_get_monotonic_time () + (gint64)(timeout_s * G_USEC_PER_SEC);

  for (;;)
    {
      struct sockaddr_in addr = { 0 };
      int fd = socket (AF_INET, SOCK_STREAM, 0);
      int rc;

      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
      addr.sin_port = htons ((guint16)port);
      rc = connect (fd, (struct sockaddr *)&addr, sizeof addr);
      close (fd);
      if (rc == 0)
        return TRUE;
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_usleep (50000);
    }
}

GSubprocess *
dm_test_station_spawn (const char *const *argv, const char *log_path)
{
  g_autoptr (GSubprocessLauncher) launcher
    = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  g_autoptr (GError) error = NULL;
  GSubprocess *p;

  g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  g_subprocess_launcher_set_flags (launcher, G_SUBPROCESS_FLAGS_STDERR_MERGE);
  p = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  return p;
}

static void
on_waited (GObject *source, GAsyncResult *result, gpointer data)
{
  *(gboolean *)data = TRUE;
}

int
dm_test_station_stop (GSubprocess *process, double timeout_s)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  gint64 end = g_get_monotonic_time () + (gint64)(timeout_s * G_USEC_PER_SEC);
  gboolean done = FALSE;

  g_main_context_push_thread_default (context);
  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait_async (process, NULL, on_waited, &done);
  while (!done && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (context, FALSE))
      g_usleep (10000);
  if (!done)
    {
      g_test_message ("did not stop within %.0f s: killed", timeout_s);
      g_subprocess_force_exit (process);
      while (!done)
        g_main_context_iteration (context, TRUE);
    }
  g_main_context_pop_thread_default (context);
  return g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
}

void
dm_test_station_kill (GSubprocess *process)
{
  g_subprocess_force_exit (process);
  g_subprocess_wait (process, NULL, NULL);
}

char **
dm_test_station_argv (const char *cli, const char *command, ...)
{
  GPtrArray *argv = g_ptr_array_new ();
  va_list args;
  const char *arg;

  g_ptr_array_add (argv, g_strdup (cli));
  g_ptr_array_add (argv, g_strdup (command));
  va_start (args, command);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);
  return (char **)g_ptr_array_free (argv, FALSE);
}
