/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly serve`: the station behind an HTTP API for systems that push
 * images (dm-serve.h has the API). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dm-cli-station-private.h"
#include "dm-cli.h"
#include "dm-serve.h"

#define SUMMARY                                                                                    \
  "Serves a trained model over HTTP. Every upload is a part of a station: one\n"                   \
  "journal record, the same outputs (--sink) as `dinomaly station`.\n\n"                           \
  "  POST /v1/inspect[?class=NAME&map=1]  image bytes in, the record as JSON out\n"                \
  "       (map=1 adds the 256x256 float32 map, base64); 413 over the body or\n"                    \
  "       pixel limit, 415 not an image, 422 does not decode, 503 too busy\n"                      \
  "  GET  /v1/health                      state, model, classes\n"                                 \
  "  GET  /metrics                        Prometheus text\n\n"                                     \
  "Listens on 127.0.0.1 unless --listen says otherwise; any other address needs\n"                 \
  "a bearer token (--token-file, or DINOMALY_SERVE_TOKEN), sent as\n"                              \
  "'Authorization: Bearer TOKEN'. Prints 'listening on http://ADDRESS:PORT'\n"                     \
  "(--listen 127.0.0.1:0 picks a free port)."

/* "ADDRESS:PORT" or "PORT". */
static gboolean
parse_listen (const char *text, char **address, int *port)
{
  const char *colon = strrchr (text, ':');
  guint64 p;

  if (!g_ascii_string_to_unsigned (colon != NULL ? colon + 1 : text, 10, 0, 65535, &p, NULL))
    return FALSE;
  *port = (int)p;
  *address = colon != NULL ? g_strndup (text, (gsize)(colon - text)) : g_strdup ("127.0.0.1");
  /* [::1]:8080 */
  if (**address == '[' && g_str_has_suffix (*address, "]"))
    {
      char *inner = g_strndup (*address + 1, strlen (*address) - 2);

      g_free (*address);
      *address = inner;
    }
  return TRUE;
}

static char *
read_token (const char *path, GError **error)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  return g_strdup (g_strstrip (text));
}

int
dm_cli_serve (int argc, char **argv)
{
  DmCliStationOptions options;
  g_autofree char *listen = NULL, *token_file = NULL, *token = NULL, *address = NULL;
  double max_body_mb = 32;
  int max_concurrent = 16, port = 0;
  g_autofree GOptionEntry *common = NULL;
  const GOptionEntry own[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
      "where to listen (127.0.0.1:8080); other addresses need a token", "ADDRESS:PORT" },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &token_file,
      "the bearer token clients must send (or DINOMALY_SERVE_TOKEN)", "FILE" },
    { "max-body-mb", 0, 0, G_OPTION_ARG_DOUBLE, &max_body_mb, "refuse larger uploads with 413 (32)",
      "MB" },
    { "max-concurrent", 0, 0, G_OPTION_ARG_INT, &max_concurrent,
      "uploads scored at once; more get 503 (16)", "N" },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (DmStation) station = NULL;
  g_autoptr (DmServer) server = NULL;
  g_autoptr (GOptionContext) context = NULL;
  DmStationSettings settings;
  DmServeSettings serve;
  int rc;

  dm_cli_station_options_init (&options);
  dm_station_settings_init (&settings);
  common = dm_cli_station_entries (&options, FALSE);
  g_set_prgname ("dinomaly serve");
  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, SUMMARY);
  g_option_context_add_main_entries (context, own, NULL);
  g_option_context_add_main_entries (context, common, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      rc = dm_cli_usage_error ("serve", error->message);
      goto out;
    }
  if (argc > 1)
    {
      rc = dm_cli_usage_error ("serve", "unexpected argument");
      goto out;
    }
  if (!parse_listen (listen != NULL ? listen : "127.0.0.1:8080", &address, &port))
    {
      rc = dm_cli_usage_error ("serve", "--listen: give ADDRESS:PORT");
      goto out;
    }
  if (!(max_body_mb > 0 && max_body_mb <= 4096) || max_concurrent < 1 || max_concurrent > 4096)
    {
      rc = dm_cli_usage_error ("serve", "--max-body-mb or --max-concurrent is out of range");
      goto out;
    }
  if (token_file != NULL && (token = read_token (token_file, &error)) == NULL)
    {
      dm_cli_print_error ("serve", error);
      rc = DM_CLI_FAILED;
      goto out;
    }
  if (token == NULL && g_getenv ("DINOMALY_SERVE_TOKEN") != NULL)
    token = g_strdup (g_getenv ("DINOMALY_SERVE_TOKEN"));
  if (!dm_cli_station_open_log ("serve", options.log_path))
    {
      rc = DM_CLI_FAILED;
      goto out;
    }
  if (!dm_cli_station_settings ("serve", &options, &settings, &rc))
    goto out;
  dm_serve_settings_init (&serve);
  serve.address = address;
  serve.port = port;
  serve.token = token;
  serve.max_body = (guint64)(max_body_mb * 1024 * 1024);
  serve.max_in_flight = (guint)max_concurrent;
  station = dm_station_new (&settings, &error);
  if (station == NULL || (server = dm_server_new (station, &serve, &error)) == NULL
      || !dm_station_start (station, &error))
    {
      dm_cli_print_error ("serve", error);
      rc = DM_CLI_FAILED;
      goto out;
    }
  g_message ("listening on http://%s%s%s:%d", strchr (address, ':') != NULL ? "[" : "", address,
             strchr (address, ':') != NULL ? "]" : "", dm_server_get_port (server));
  rc = dm_cli_station_run ("serve", station, &options);
  /* the answers of the last uploads */
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);

out:
  g_clear_pointer (&server, dm_server_free);
  g_clear_pointer (&station, dm_station_free);
  dm_cli_station_close_log ();
  dm_station_settings_clear (&settings);
  dm_cli_station_options_clear (&options);
  return rc;
}
