/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared helpers of the station's tests (dm-test-station.h). */
#include "dm-test-station.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libsoup/soup.h>
#include <modbus.h>
#include <mosquitto.h>
#include <poll.h>

#include "dm-inspect.h"
#include "dm-journal.h"
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

void
dm_test_station_assert_exactly_once (GPtrArray *records, guint n)
{
  g_autoptr (GHashTable) files = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_cmpuint (records->len, ==, n);
  for (guint i = 0; i < records->len; i++)
    {
      const DmPart *p = records->pdata[i];

      g_assert_cmpuint (p->seq, ==, i + 1);
      g_assert_nonnull (p->file);
      g_assert_false (g_hash_table_contains (files, p->file));
      g_hash_table_add (files, p->file);
    }
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

/* A server a test starts dies with the test: one left behind by a test
 * killed on its timeout would hold its port (a GigE Vision camera's is
 * fixed) and answer the next run. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
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
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
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

/* ---- the journal, programs ---- */

GPtrArray *
dm_test_station_read_journal (const char *folder)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_part_free);
  g_autoptr (DmJournalReader) reader = dm_journal_reader_new (folder, NULL);
  g_autoptr (GString) line = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  DmJournalPosition after;

  while (dm_journal_reader_next (reader, NULL, line, &after, &error) == DM_JOURNAL_READ_LINE)
    {
      DmPart *p = dm_part_from_json (line->str, line->len, folder, &error);

      g_assert_no_error (error);
      g_ptr_array_add (records, p);
    }
  g_assert_no_error (error);
  return records;
}

char *
dm_test_station_find_program (const char *name)
{
  char *path = g_find_program_in_path (name);
  g_autofree char *sbin = g_build_filename ("/usr/sbin", name, NULL);

  if (path == NULL && g_file_test (sbin, G_FILE_TEST_IS_EXECUTABLE))
    path = g_steal_pointer (&sbin);
  return path;
}

/* ---- the broker ---- */

struct _DmTestBroker
{
  char *program, *config, *log;
  int port;
  GSubprocess *process;
};

DmTestBroker *
dm_test_broker_start (const char *dir, int port)
{
  g_autofree char *program = dm_test_station_find_program ("mosquitto");
  g_autofree char *conf = NULL;
  DmTestBroker *b;

  if (program == NULL)
    return NULL;
  b = g_new0 (DmTestBroker, 1);
  b->program = g_steal_pointer (&program);
  b->port = port;
  b->config = g_build_filename (dir, "mosquitto.conf", NULL);
  b->log = g_build_filename (dir, "mosquitto.log", NULL);
  g_mkdir_with_parents (dir, 0755);
  conf = g_strdup_printf ("listener %d 127.0.0.1\nallow_anonymous true\npersistence true\n"
                          "persistence_location %s/\nautosave_interval 1\n",
                          port, dir);
  g_assert_true (g_file_set_contents (b->config, conf, -1, NULL));
  dm_test_broker_restart (b);
  return b;
}

void
dm_test_broker_restart (DmTestBroker *b)
{
  const char *argv[] = { b->program, "-c", b->config, NULL };
  g_autofree char *log = g_strdup_printf ("%s.%ld", b->log, (long)g_get_monotonic_time ());

  g_assert_null (b->process);
  b->process = dm_test_station_spawn (argv, log);
  g_assert_true (dm_test_station_wait_port (b->port, 20));
}

void
dm_test_broker_stop (DmTestBroker *b)
{
  if (b->process == NULL)
    return;
  dm_test_station_stop (b->process, 10);
  g_clear_object (&b->process);
}

void
dm_test_broker_free (DmTestBroker *b)
{
  if (b == NULL)
    return;
  dm_test_broker_stop (b);
  g_free (b->program);
  g_free (b->config);
  g_free (b->log);
  g_free (b);
}

/* ---- the subscriber ---- */

struct _DmTestSubscriber
{
  struct mosquitto *mosq;
  char *topic;
  GMutex lock;
  GPtrArray *topics, *payloads; /* char*, in arrival order */
};

static void
sub_on_connect (struct mosquitto *mosq, void *data, int rc)
{
  DmTestSubscriber *s = data;

  if (rc == 0)
    mosquitto_subscribe (mosq, NULL, s->topic, 1);
}

static void
sub_on_message (struct mosquitto *mosq, void *data, const struct mosquitto_message *m)
{
  DmTestSubscriber *s = data;

  g_mutex_lock (&s->lock);
  g_ptr_array_add (s->topics, g_strdup (m->topic));
  g_ptr_array_add (s->payloads, g_strndup (m->payload, (gsize)m->payloadlen));
  g_mutex_unlock (&s->lock);
}

DmTestSubscriber *
dm_test_subscriber_new (int port, const char *topic, const char *client_id)
{
  DmTestSubscriber *s = g_new0 (DmTestSubscriber, 1);

  mosquitto_lib_init ();
  g_mutex_init (&s->lock);
  s->topic = g_strdup (topic);
  s->topics = g_ptr_array_new_with_free_func (g_free);
  s->payloads = g_ptr_array_new_with_free_func (g_free);
  s->mosq = mosquitto_new (client_id, false, s);
  g_assert_nonnull (s->mosq);
  mosquitto_connect_callback_set (s->mosq, sub_on_connect);
  mosquitto_message_callback_set (s->mosq, sub_on_message);
  mosquitto_reconnect_delay_set (s->mosq, 1, 2, false);
  g_assert_cmpint (mosquitto_connect_async (s->mosq, "127.0.0.1", port, 10), ==, MOSQ_ERR_SUCCESS);
  g_assert_cmpint (mosquitto_loop_start (s->mosq), ==, MOSQ_ERR_SUCCESS);
  return s;
}

char **
dm_test_subscriber_messages (DmTestSubscriber *s, const char *suffix)
{
  GPtrArray *out = g_ptr_array_new ();

  g_mutex_lock (&s->lock);
  for (guint i = 0; i < s->topics->len; i++)
    if (g_str_has_suffix (s->topics->pdata[i], suffix))
      g_ptr_array_add (out, g_strdup (s->payloads->pdata[i]));
  g_mutex_unlock (&s->lock);
  g_ptr_array_add (out, NULL);
  return (char **)g_ptr_array_free (out, FALSE);
}

guint
dm_test_subscriber_count (DmTestSubscriber *s, const char *suffix)
{
  g_auto (GStrv) messages = dm_test_subscriber_messages (s, suffix);

  return g_strv_length (messages);
}

void
dm_test_subscriber_free (DmTestSubscriber *s)
{
  if (s == NULL)
    return;
  mosquitto_disconnect (s->mosq);
  mosquitto_loop_stop (s->mosq, FALSE);
  mosquitto_destroy (s->mosq);
  g_ptr_array_unref (s->topics);
  g_ptr_array_unref (s->payloads);
  g_free (s->topic);
  g_mutex_clear (&s->lock);
  g_free (s);
}

/* ---- delivery ---- */

void
dm_test_station_delivery (GPtrArray *journal, char **lines, DmTestDelivery *d)
{
  g_autoptr (GHashTable) first = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) in_journal = g_hash_table_new (g_str_hash, g_str_equal);
  guint64 last_seq = 0;

  memset (d, 0, sizeof *d);
  d->produced = journal->len;
  d->in_order = TRUE;
  for (guint i = 0; i < journal->len; i++)
    g_hash_table_add (in_journal, ((DmPart *)journal->pdata[i])->id);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (DmPart) p = dm_part_from_json (lines[i], strlen (lines[i]), "received", &error);
      const char *seen;

      g_assert_no_error (error);
      d->received++;
      g_assert_true (g_hash_table_contains (in_journal, p->id));
      seen = g_hash_table_lookup (first, p->id);
      if (seen != NULL)
        {
          /* a repeat: the same record */
          g_assert_cmpstr (seen, ==, lines[i]);
          d->duplicates++;
          continue;
        }
      g_hash_table_insert (first, g_strdup (p->id), g_strdup (lines[i]));
      d->delivered++;
      if (p->seq <= last_seq)
        d->in_order = FALSE;
      last_seq = p->seq;
    }
  d->lost = d->produced - d->delivered;
}

void
dm_test_station_print_delivery (const char *what, const DmTestDelivery *d)
{
  g_test_message ("%s: records produced %u, received %u, delivered %u distinct, duplicates %u "
                  "(same id), lost %u, %s",
                  what, d->produced, d->received, d->delivered, d->duplicates, d->lost,
                  d->in_order ? "in order" : "OUT OF ORDER");
  /* the counts the closing note quotes, also without --verbose */
  g_printerr ("# %s: produced %u, delivered %u, duplicates %u, lost %u, %s\n", what, d->produced,
              d->delivered, d->duplicates, d->lost, d->in_order ? "in order" : "OUT OF ORDER");
}

/* ---- the PLC ---- */

struct _DmTestPlc
{
  int port;
  GThread *thread;
  gint stop;
  GMutex lock;
  GArray *writes;
};

static gboolean
readable (int fd)
{
  struct pollfd p = { fd, POLLIN, 0 };

  return poll (&p, 1, 100) > 0;
}

static gpointer
plc_thread (gpointer data)
{
  DmTestPlc *plc = data;
  modbus_t *ctx = modbus_new_tcp ("127.0.0.1", plc->port);
  modbus_mapping_t *map = modbus_mapping_new (16, 0, 16, 0);
  int header = modbus_get_header_length (ctx);
  int listener = modbus_tcp_listen (ctx, 1);

  g_assert_cmpint (listener, >=, 0);
  while (!g_atomic_int_get (&plc->stop))
    {
      int s = listener;

      if (!readable (listener) || modbus_tcp_accept (ctx, &s) < 0)
        continue;
      while (!g_atomic_int_get (&plc->stop))
        {
          guint8 query[MODBUS_TCP_MAX_ADU_LENGTH];
          int rc;

          if (!readable (modbus_get_socket (ctx)))
            continue;
          rc = modbus_receive (ctx, query);
          if (rc < 0)
            break;
          if (rc == 0)
            continue;
          modbus_reply (ctx, query, rc, map);
          if (query[header] == 0x10) /* write multiple registers */
            {
              DmTestPlcWrite w;

              memcpy (w.regs, map->tab_registers, sizeof w.regs);
              memcpy (w.coils, map->tab_bits, sizeof w.coils);
              g_mutex_lock (&plc->lock);
              g_array_append_val (plc->writes, w);
              g_mutex_unlock (&plc->lock);
            }
        }
      close (modbus_get_socket (ctx));
    }
  close (listener);
  modbus_mapping_free (map);
  modbus_free (ctx);
  return NULL;
}

DmTestPlc *
dm_test_plc_start (int port)
{
  DmTestPlc *plc = g_new0 (DmTestPlc, 1);

  plc->port = port;
  g_mutex_init (&plc->lock);
  plc->writes = g_array_new (FALSE, FALSE, sizeof (DmTestPlcWrite));
  plc->thread = g_thread_new ("plc", plc_thread, plc);
  g_assert_true (dm_test_station_wait_port (port, 10));
  return plc;
}

void
dm_test_plc_stop (DmTestPlc *plc)
{
  g_atomic_int_set (&plc->stop, 1);
  g_thread_join (plc->thread);
  g_array_unref (plc->writes);
  g_mutex_clear (&plc->lock);
  g_free (plc);
}

GArray *
dm_test_plc_writes (DmTestPlc *plc)
{
  GArray *copy;

  g_mutex_lock (&plc->lock);
  copy = g_array_copy (plc->writes);
  g_mutex_unlock (&plc->lock);
  return copy;
}

/* ---- the webhook receiver ---- */

static void
on_post (
  SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  DmTestReceiver *r = data;
  g_autoptr (GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  const char *key = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                  "Idempotency-Key");
  gsize size;
  const char *text = g_bytes_get_data (body, &size);
  g_autofree char *line = g_strndup (text, size);
  g_autofree char *want = key != NULL ? g_strdup_printf ("{\"id\":\"%s\",", key) : NULL;

  g_mutex_lock (&r->lock);
  if (g_atomic_int_get (&r->failing))
    {
      r->refused++;
      soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
    }
  else
    {
      /* the key is the record's id */
      if (want == NULL || !g_str_has_prefix (line, want))
        r->bad_keys++;
      g_ptr_array_add (r->bodies, g_steal_pointer (&line));
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    }
  g_mutex_unlock (&r->lock);
}

static gpointer
receiver_thread (gpointer data)
{
  DmTestReceiver *r = data;

  g_main_context_push_thread_default (r->context);
  g_main_loop_run (r->loop);
  g_main_context_pop_thread_default (r->context);
  return NULL;
}

DmTestReceiver *
dm_test_receiver_start (void)
{
  DmTestReceiver *r = g_new0 (DmTestReceiver, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = NULL;

  g_mutex_init (&r->lock);
  r->bodies = g_ptr_array_new_with_free_func (g_free);
  r->context = g_main_context_new ();
  r->loop = g_main_loop_new (r->context, FALSE);
  g_main_context_push_thread_default (r->context);
  r->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (r->server, "/hook", on_post, r, NULL);
  r->port = dm_test_station_free_port ();
  address = g_inet_socket_address_new (lo, (guint16)r->port);
  g_assert_true (soup_server_listen (r->server, address, 0, &error));
  g_assert_no_error (error);
  g_main_context_pop_thread_default (r->context);
  r->thread = g_thread_new ("receiver", receiver_thread, r);
  return r;
}

char **
dm_test_receiver_lines (DmTestReceiver *r)
{
  GPtrArray *copy = g_ptr_array_new ();

  g_mutex_lock (&r->lock);
  for (guint i = 0; i < r->bodies->len; i++)
    g_ptr_array_add (copy, g_strdup (r->bodies->pdata[i]));
  g_mutex_unlock (&r->lock);
  g_ptr_array_add (copy, NULL);
  return (char **)g_ptr_array_free (copy, FALSE);
}

void
dm_test_receiver_free (DmTestReceiver *r)
{
  g_main_loop_quit (r->loop);
  g_thread_join (r->thread);
  soup_server_disconnect (r->server);
  g_object_unref (r->server);
  g_main_loop_unref (r->loop);
  g_main_context_unref (r->context);
  g_ptr_array_unref (r->bodies);
  g_mutex_clear (&r->lock);
  g_free (r);
}
