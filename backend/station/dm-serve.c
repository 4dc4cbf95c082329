/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The HTTP API over a station (dm-serve.h): limits in an early handler,
 * uploads handed to the station, the answer sent from the main context
 * once the record is committed. */
#include "dm-serve.h"

#include <libsoup/soup.h>
#include <string.h>

#include "dm-error.h"
#include "dm-image.h"
#include "dm-inspector.h"
#include "dm-json-util.h"
#include "dm-json-writer.h"

struct _DmServer
{
  DmStation *station;
  SoupServer *server;
  GMainContext *context;
  char *token;
  guint64 max_body;
  guint max_in_flight;
  guint in_flight; /* main context only */
  int port;
};

/* An upload waiting for its record. */
typedef struct
{
  DmServer *server;
  SoupServerMessage *msg; /* a reference */
  gboolean gone;          /* the client went away */
  guint status;
  char *body;
} Pending;

void
dm_serve_settings_init (DmServeSettings *s)
{
  memset (s, 0, sizeof *s);
  s->address = "127.0.0.1";
  s->max_body = (guint64)32 << 20;
  s->max_in_flight = 16;
}

static void
respond (SoupServerMessage *msg, guint status, const char *type, const char *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, body, strlen (body));
}

static void
respond_error (SoupServerMessage *msg, guint status, const char *message)
{
  g_autoptr (GString) body = g_string_new ("{\"error\":");

  dm_json_append_quoted (body, message);
  g_string_append (body, "}\n");
  respond (msg, status, "application/json", body->str);
}

static gboolean
authorised (DmServer *self, SoupServerMessage *msg)
{
  const char *header;
  g_autofree char *expected = NULL;

  if (self->token == NULL)
    return TRUE;
  header
    = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Authorization");
  expected = g_strconcat ("Bearer ", self->token, NULL);
  /* the same time whatever the mismatch */
  if (header == NULL || strlen (header) != strlen (expected))
    return FALSE;
  {
    guint8 diff = 0;

    for (gsize i = 0; expected[i] != '\0'; i++)
      diff |= (guint8)(header[i] ^ expected[i]);
    return diff == 0;
  }
}

/* A request refused before its body: the body is read and dropped. */
static void
refuse (SoupServerMessage *msg, guint status, const char *message)
{
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                "close");
  if (status == SOUP_STATUS_SERVICE_UNAVAILABLE)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                  "1");
  respond_error (msg, status, message);
}

static void
on_finished (SoupServerMessage *msg, gpointer data)
{
  DmServer *self = data;

  self->in_flight--;
}

static void
early_handler (
  SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  DmServer *self = data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  goffset length;

  if (!authorised (self, msg))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer");
      refuse (msg, SOUP_STATUS_UNAUTHORIZED, "a bearer token is required");
      return;
    }
  if (strcmp (path, "/v1/inspect") != 0)
    return;
  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      refuse (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "POST an image to /v1/inspect");
      return;
    }
  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CONTENT_LENGTH)
    {
      refuse (msg, SOUP_STATUS_LENGTH_REQUIRED, "send the image with a Content-Length");
      return;
    }
  length = soup_message_headers_get_content_length (headers);
  if (length < 0 || (guint64)length > self->max_body)
    {
      g_autofree char *text = g_strdup_printf (
        "the body is larger than the limit of %" G_GUINT64_FORMAT " bytes", self->max_body);

      refuse (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, text);
      return;
    }
  if (self->in_flight >= self->max_in_flight)
    {
      refuse (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "too many images at once: try again");
      return;
    }
  self->in_flight++;
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), self);
}

/* ---- /v1/inspect ---- */

static void
on_disconnected (SoupServerMessage *msg, gpointer data)
{
  Pending *p = data;

  p->gone = TRUE;
}

static void
pending_free (gpointer data)
{
  Pending *p = data;

  g_signal_handlers_disconnect_by_data (p->msg, p);
  g_object_unref (p->msg);
  g_free (p->body);
  g_free (p);
}

/* Main context: the answer of a committed upload. */
static gboolean
answer (gpointer data)
{
  Pending *p = data;

  if (!p->gone)
    {
      respond (p->msg, p->status, "application/json", p->body);
      soup_server_message_unpause (p->msg);
    }
  return G_SOURCE_REMOVE;
}

/* The committer's thread: the answer is made here, sent from the main
 * context. */
static void
on_result (const DmPart *part, const float *map, int error_code, gpointer data)
{
  Pending *p = data;
  g_autofree char *json = dm_part_to_json (part);
  GString *body = g_string_new (json);

  if (map != NULL)
    {
      g_autofree char *b64
        = g_base64_encode ((const guchar *)map, DM_INSPECTOR_MAP_PIXELS * sizeof (float));

      /* the record's object, one member more */
      g_string_truncate (body, body->len - 1);
      g_string_append_printf (body, ",\"map\":{\"size\":%d,\"dtype\":\"float32\",\"data\":\"%s\"}}",
                              DM_INSPECTOR_MAP_SIZE, b64);
    }
  g_string_append_c (body, '\n');
  p->body = g_string_free (body, FALSE);
  if (!part->is_error)
    p->status = SOUP_STATUS_OK;
  else if (error_code == DM_ERROR_TOO_LARGE)
    p->status = SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
  else if (error_code == DM_ERROR_IO)
    p->status = SOUP_STATUS_SERVICE_UNAVAILABLE; /* not recorded: the journal */
  else
    p->status = SOUP_STATUS_UNPROCESSABLE_ENTITY;
  g_main_context_invoke_full (p->server->context, G_PRIORITY_DEFAULT, answer, p, pending_free);
}

static void
inspect_handler (
  SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  DmServer *self = data;
  const char *class_name = query != NULL ? g_hash_table_lookup (query, "class") : NULL;
  const char *map = query != NULL ? g_hash_table_lookup (query, "map") : NULL;
  gboolean want_map = map != NULL && (strcmp (map, "1") == 0 || strcmp (map, "true") == 0);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autofree char *source = NULL;
  gsize size;
  const guint8 *head = g_bytes_get_data (bytes, &size);
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  Pending *p;

  if (class_name != NULL && !dm_station_has_class (self->station, class_name))
    {
      g_autofree char *text = g_strdup_printf ("no rules for class '%s'", class_name);

      respond_error (msg, SOUP_STATUS_BAD_REQUEST, text);
      return;
    }
  if (dm_image_sniff (head, size) == DM_IMAGE_FORMAT_UNKNOWN)
    {
      respond_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "not a PNG, TIFF or JPEG image");
      return;
    }
  if (G_IS_INET_SOCKET_ADDRESS (remote))
    {
      g_autofree char *host = g_inet_address_to_string (
        g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));

      source = g_strdup_printf ("http:%s", host);
    }
  else
    source = g_strdup ("http:");
  p = g_new0 (Pending, 1);
  p->server = self;
  p->msg = g_object_ref (msg);
  g_signal_connect (msg, "disconnected", G_CALLBACK (on_disconnected), p);
  soup_server_message_pause (msg);
  if (!dm_station_submit_bytes (self->station, source, class_name, bytes, want_map, on_result, p))
    {
      soup_server_message_unpause (msg);
      pending_free (p);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                    "1");
      respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                     "the station is not taking parts now (paused, full, or its journal "
                     "cannot be written)");
    }
}

/* ---- health and metrics ---- */

static void
health_handler (
  SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  DmServer *self = data;
  DmStationStatus status;
  g_autoptr (GString) body = g_string_new ("{\"status\":");
  gboolean accepting;

  dm_station_get_status (self->station, &status);
  accepting = status.state == DM_STATION_RUNNING;
  g_string_append_printf (
    body,
    "\"%s\",\"accepting\":%s,\"model_sha256\":\"%s\",\"last_seq\":%" G_GUINT64_FORMAT
    ",\"classes\":[",
    dm_station_state_name (status.state), accepting ? "true" : "false",
    dm_station_get_model_sha256 (self->station), status.last_seq);
  {
    g_auto (GStrv) names = dm_station_get_classes (self->station);

    for (guint i = 0; names[i] != NULL; i++)
      {
        if (i > 0)
          g_string_append_c (body, ',');
        dm_json_append_quoted (body, names[i]);
      }
  }
  g_string_append (body, "]}\n");
  dm_station_status_clear (&status);
  respond (msg, accepting ? SOUP_STATUS_OK : SOUP_STATUS_SERVICE_UNAVAILABLE, "application/json",
           body->str);
}

static void
metrics_handler (
  SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  DmServer *self = data;
  DmStationStatus status;
  g_autofree char *text = NULL;

  dm_station_get_status (self->station, &status);
  text = dm_station_status_to_prometheus (&status);
  dm_station_status_clear (&status);
  respond (msg, SOUP_STATUS_OK, "text/plain; version=0.0.4", text);
}

/* ---- life ---- */

DmServer *
dm_server_new (DmStation *station, const DmServeSettings *settings, GError **error)
{
  g_autoptr (DmServer) self = g_new0 (DmServer, 1);
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (settings->address);
  g_autoptr (GSocketAddress) socket_address = NULL;
  g_autoptr (GError) local = NULL;
  GSList *uris;

  if (address == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "'%s' is not an IP address to listen on",
                   settings->address);
      return NULL;
    }
  if (!g_inet_address_get_is_loopback (address)
      && (settings->token == NULL || *settings->token == '\0'))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "listening on %s (not loopback) needs a bearer token", settings->address);
      return NULL;
    }
  self->station = station;
  self->context = g_main_context_ref_thread_default ();
  self->token
    = settings->token != NULL && *settings->token != '\0' ? g_strdup (settings->token) : NULL;
  self->max_body = settings->max_body;
  self->max_in_flight = MAX (settings->max_in_flight, 1);
  self->server = soup_server_new ("server-header", "dinomaly-serve ", NULL);
  soup_server_add_early_handler (self->server, "/v1/inspect", early_handler, self, NULL);
  soup_server_add_handler (self->server, "/v1/inspect", inspect_handler, self, NULL);
  soup_server_add_early_handler (self->server, "/v1/health", early_handler, self, NULL);
  soup_server_add_handler (self->server, "/v1/health", health_handler, self, NULL);
  soup_server_add_early_handler (self->server, "/metrics", early_handler, self, NULL);
  soup_server_add_handler (self->server, "/metrics", metrics_handler, self, NULL);
  socket_address = g_inet_socket_address_new (address, (guint16)settings->port);
  if (!soup_server_listen (self->server, socket_address, 0, &local))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "cannot listen on %s:%d: %s", settings->address,
                   settings->port, local->message);
      return NULL;
    }
  uris = soup_server_get_uris (self->server);
  self->port = uris != NULL ? g_uri_get_port (uris->data) : settings->port;
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);
  return g_steal_pointer (&self);
}

int
dm_server_get_port (DmServer *self)
{
  return self->port;
}

void
dm_server_free (DmServer *self)
{
  if (self == NULL)
    return;
  if (self->server != NULL)
    {
      soup_server_disconnect (self->server);
      g_object_unref (self->server);
    }
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->token);
  g_free (self);
}
