/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly serve` as a client sees it (libsoup 3 on 127.0.0.1, a free
 * port): an upload gives the record with the score of dm_inspect_run bit
 * for bit and, on request, the very map; health and metrics; every limit
 * and bad input gives its status and the server goes on (413 for a large
 * body and for an image over the pixel limit, 415, 422, 400, 411, 405,
 * 503 when too many at once); no non-loopback address without a bearer
 * token, and a token required on every path once given;
 * the uploads are journal records like any part. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "dm-image.h"
#include "dm-test-station.h"
#include "dm-test-util.h"

static const char *cli;
static char *tmp, *model;
static char **parts;
static float scores[3];
static float *maps;

typedef struct
{
  GSubprocess *process;
  char *base, *journal, *log;
} Server;

static Server *
serve (const char *listen, const char *extra1, const char *extra2)
{
  Server *s = g_new0 (Server, 1);
  g_autofree char *name = g_strdup_printf ("serve-%ld", (long)g_get_monotonic_time ());
  g_auto (GStrv) argv = NULL;
  gint64 end = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  s->journal = g_build_filename (tmp, name, NULL);
  s->log = g_strconcat (s->journal, ".log", NULL);
  argv
    = dm_test_station_argv (cli, "serve", "--model", model, "--threshold", "1.1", "--journal",
                            s->journal, "--listen", listen, "--status-every", "0", "--max-body-mb",
                            "1", "--max-pixels", "1000000", extra1, extra2, NULL);
  s->process = dm_test_station_spawn ((const char *const *)argv, s->log);
  /* the port it took */
  while (g_get_monotonic_time () < end)
    {
      g_autofree char *text = NULL;
      const char *at;

      if (g_file_get_contents (s->log, &text, NULL, NULL)
          && (at = strstr (text, "listening on ")) != NULL)
        {
          s->base = g_strndup (at + 13, strcspn (at + 13, "\n"));
          return s;
        }
      if (g_subprocess_get_identifier (s->process) == NULL)
        break;
      g_usleep (100000);
    }
  return s;
}

static void
server_free (Server *s)
{
  if (s->process != NULL)
    g_assert_cmpint (dm_test_station_stop (s->process, 30), ==, 0);
  g_clear_object (&s->process);
  g_free (s->base);
  g_free (s->journal);
  g_free (s->log);
  g_free (s);
}

static GBytes *
request (SoupSession *session,
         const char *method,
         const char *url,
         GBytes *body,
         const char *token,
         guint *status)
{
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GError) error = NULL;
  GBytes *reply;

  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, "application/octet-stream", body);
  if (token != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
    }
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  return reply;
}

static GBytes *
file_bytes (const char *path)
{
  g_autofree char *data = NULL;
  gsize size;

  g_assert_true (g_file_get_contents (path, &data, &size, NULL));
  return g_bytes_new_take (g_steal_pointer (&data), size);
}

static char *
text_of (GBytes *bytes)
{
  gsize n;
  const char *data = g_bytes_get_data (bytes, &n);

  return g_strndup (data, n);
}

static void
test_api (void)
{
  Server *s = serve ("127.0.0.1:0", NULL, NULL);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *inspect = NULL, *with_map = NULL;
  guint status;

  g_assert_nonnull (s->base);
  g_test_message ("serving at %s", s->base);
  inspect = g_strconcat (s->base, "/v1/inspect", NULL);
  with_map = g_strconcat (inspect, "?map=1&class=part", NULL);

  /* an image: the record, the score of dm_inspect_run, the map */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (GBytes) body = file_bytes (parts[i]);
      g_autoptr (GBytes) reply
        = request (session, "POST", i == 0 ? with_map : inspect, body, NULL, &status);
      g_autofree char *text = text_of (reply);
      g_autoptr (DmPart) p = NULL;
      g_autoptr (GError) error = NULL;

      g_assert_cmpuint (status, ==, 200);
      {
        /* the record without its map (records are short, maps are not) */
        char *map_member = strstr (text, ",\"map\":");
        g_autofree char *head
          = g_strndup (text, map_member != NULL ? (gsize)(map_member - text) : strlen (text) - 2);
        g_autofree char *record = g_strconcat (head, "}", NULL);

        p = dm_part_from_json (record, strlen (record), "reply", &error);
      }
      g_assert_no_error (error);
      g_assert_true (p->score == scores[i]);
      g_assert_cmpint (p->decision, ==, p->score >= 1.1 ? DM_DECISION_FAIL : DM_DECISION_PASS);
      if (i == 0)
        {
          g_autoptr (JsonParser) parser = json_parser_new ();
          JsonObject *map;
          g_autofree guchar *floats = NULL;
          gsize n;

          g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
          map = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                               "map");
          g_assert_cmpint (json_object_get_int_member (map, "size"), ==, 256);
          floats = g_base64_decode (json_object_get_string_member (map, "data"), &n);
          g_assert_cmpuint (n, ==, 256 * 256 * 4);
          g_assert_cmpint (memcmp (floats, maps, n), ==, 0); /* bit for bit */
        }
      else
        g_assert_null (strstr (text, "\"map\""));
    }

  /* health and metrics */
  {
    g_autofree char *url = g_strconcat (s->base, "/v1/health", NULL);
    g_autoptr (GBytes) reply = request (session, "GET", url, NULL, NULL, &status);
    g_autofree char *text = text_of (reply);

    g_assert_cmpuint (status, ==, 200);
    dm_test_assert_has (text, "\"status\":\"running\"");
    dm_test_assert_has (text, "\"classes\":[\"part\"]");
  }
  {
    g_autofree char *url = g_strconcat (s->base, "/metrics", NULL);
    g_autoptr (GBytes) reply = request (session, "GET", url, NULL, NULL, &status);
    g_autofree char *text = text_of (reply);

    g_assert_cmpuint (status, ==, 200);
    dm_test_assert_has (text, "dinomaly_latency_seconds_bucket{le=\"+Inf\"} 3");
    dm_test_assert_has (text, "dinomaly_queue_depth{queue=\"intake\"}");
  }

  /* what is refused, and how */
  {
    struct
    {
      const char *what, *method, *query;
      GBytes *body;
      guint want;
    } cases[] = {
      { "not an image", "POST", "", g_bytes_new_static ("hello", 5), 415 },
      { "an unknown class", "POST", "?class=nope", file_bytes (parts[0]), 400 },
      { "a GET", "GET", "", NULL, 405 },
      { "a body over 1 MB", "POST", "", g_bytes_new_take (g_malloc0 (2 << 20), 2 << 20), 413 },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autofree char *url = g_strconcat (inspect, cases[i].query, NULL);
        g_autoptr (GBytes) reply
          = request (session, cases[i].method, url, cases[i].body, NULL, &status);
        g_autofree char *text = text_of (reply);

        g_test_message ("%s: %u %s", cases[i].what, status, text);
        g_assert_cmpuint (status, ==, cases[i].want);
        g_clear_pointer (&cases[i].body, g_bytes_unref);
      }
  }
  /* an image that does not decode: 422 and an error record; one over the
   * pixel limit (2000 x 2000 > 1,000,000): 413 */
  {
    g_autoptr (GBytes) good = file_bytes (parts[0]);
    gsize n;
    const guint8 *data = g_bytes_get_data (good, &n);
    g_autoptr (GBytes) cut = g_bytes_new (data, n / 2);
    g_autoptr (GBytes) reply = request (session, "POST", inspect, cut, NULL, &status);
    g_autofree char *text = text_of (reply);
    g_autofree char *big_path = g_build_filename (tmp, "big.png", NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (DmImage) big = dm_image_new (2000, 2000, 1, DM_PIXEL_U8, &error);

    g_test_message ("truncated: %u %s", status, text);
    g_assert_cmpuint (status, ==, 422);
    dm_test_assert_has (text, "\"decision\":\"error\"");
    g_assert_true (dm_image_save_png (big, big_path, &error));
    {
      g_autoptr (GBytes) body = file_bytes (big_path);
      g_autoptr (GBytes) reply2 = request (session, "POST", inspect, body, NULL, &status);
      g_autofree char *text2 = text_of (reply2);

      g_test_message ("2000 x 2000: %u %s", status, text2);
      g_assert_cmpuint (status, ==, 413);
    }
  }
  /* still serving; six records in the journal (three images, two errors
   * and... the three refused before scoring left none) */
  {
    g_autoptr (GBytes) body = file_bytes (parts[1]);

    g_bytes_unref (request (session, "POST", inspect, body, NULL, &status));
    g_assert_cmpuint (status, ==, 200);
  }
  server_free (s);
}

/* Many uploads at once over a limit of two: some 503, none lost. */
static void
on_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  guint *counts = data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  GBytes *reply = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  g_clear_pointer (&reply, g_bytes_unref);
  if (soup_message_get_status (msg) == 200)
    counts[0]++;
  else if (soup_message_get_status (msg) == 503)
    counts[1]++;
  else
    counts[2]++;
}

static void
test_concurrency (void)
{
  Server *s = serve ("127.0.0.1:0", "--max-concurrent", "2");
  g_autoptr (SoupSession) session
    = soup_session_new_with_options ("max-conns", 32, "max-conns-per-host", 32, NULL);
  g_autofree char *inspect = g_strconcat (s->base, "/v1/inspect", NULL);
  g_autoptr (GBytes) body = file_bytes (parts[2]);
  guint counts[3] = { 0 };
  const guint n = 16;

  for (guint i = 0; i < n; i++)
    {
      SoupMessage *msg = soup_message_new ("POST", inspect);

      soup_message_set_request_body_from_bytes (msg, "image/png", body);
      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, counts);
      g_object_unref (msg);
    }
  while (counts[0] + counts[1] + counts[2] < n)
    g_main_context_iteration (NULL, TRUE);
  g_test_message ("%u uploads at once, limit 2: %u answered, %u told 503", n, counts[0], counts[1]);
  g_assert_cmpuint (counts[2], ==, 0);
  g_assert_cmpuint (counts[1], >, 0);
  {
    g_autofree char *journal = g_strdup (s->journal);

    server_free (s);
    {
      g_autoptr (GPtrArray) records = dm_test_station_read_journal (journal);

      /* every answered upload is a record, the refused ones are not */
      g_assert_cmpuint (records->len, ==, counts[0]);
    }
  }
}

static void
test_token (void)
{
  g_autofree char *token_file = g_build_filename (tmp, "token", NULL);
  g_autofree char *out = NULL, *err = NULL;
  const char *args[] = { "serve",     "--model", model,      "--threshold", "1",
                         "--journal", tmp,       "--listen", "0.0.0.0:0",   NULL };
  Server *s;
  g_autoptr (SoupSession) session = soup_session_new ();
  guint status;

  /* not loopback, no token: refused before it listens */
  g_assert_cmpint (dm_test_run_cli (cli, args, &out, &err), ==, 1);
  g_test_message ("%s", err);
  dm_test_assert_has (err, "needs a bearer token");

  /* with a token it is required on every path (here on loopback: tests
   * listen nowhere else) */
  g_assert_true (g_file_set_contents (token_file, "s3cret\n", -1, NULL));
  s = serve ("127.0.0.1:0", "--token-file", token_file);
  g_assert_nonnull (s->base);
  {
    g_autofree char *health = g_strconcat (s->base, "/v1/health", NULL);
    g_autofree char *inspect = g_strconcat (s->base, "/v1/inspect", NULL);
    g_autoptr (GBytes) body = file_bytes (parts[0]);
    g_bytes_unref (request (session, "GET", health, NULL, NULL, &status));

    g_assert_cmpuint (status, ==, 401);
    {
      g_bytes_unref (request (session, "POST", inspect, body, "wrong", &status));

      g_assert_cmpuint (status, ==, 401);
    }
    {
      g_bytes_unref (request (session, "GET", health, NULL, "s3cret", &status));

      g_assert_cmpuint (status, ==, 200);
    }
    {
      g_bytes_unref (request (session, "POST", inspect, body, "s3cret", &status));

      g_assert_cmpuint (status, ==, 200);
    }
  }
  server_free (s);
}

int
main (int argc, char *argv[])
{
  g_autofree char *dir = NULL;

  g_test_init (&argc, &argv, NULL);
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_FATAL_MASK);
  cli = argv[1];
  tmp = dm_test_make_tmpdir ();
  model = dm_test_station_model (tmp);
  dir = g_build_filename (tmp, "parts", NULL);
  parts = dm_test_station_parts (dir, 3, 5);
  maps = g_new (float, 3 * 256 * 256);
  dm_test_station_reference (model, parts, scores, maps);
  g_test_add_func ("/serve/api", test_api);
  g_test_add_func ("/serve/concurrency", test_concurrency);
  g_test_add_func ("/serve/token", test_token);
  return g_test_run ();
}
