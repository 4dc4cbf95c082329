/* SPDX-License-Identifier: GPL-3.0-or-later */
/* http://HOST[:PORT]/PATH and https:// — a webhook: one POST per part,
 * the record as the JSON body, headers Idempotency-Key (the part's id, so
 * a receiver can recognise a record delivered twice) and X-Dinomaly-Seq.
 * A 2xx answer acknowledges; anything else (a refused connection, a time
 * out after 10 s, 5xx, 4xx) stops the delivery at that record, which the
 * outbox loop retries with back-off: a receiver that rejects a record
 * holds the ones after it back and says so in the status, it never
 * silently skips one. libsoup 3's blocking API, in the output's thread. */
#include "dm-sink.h"

#include <libsoup/soup.h>

#include "config.h"
#include "dm-error.h"

#define TIMEOUT_S 10

typedef struct
{
  char *url;
  SoupSession *session;
} Http;

static gboolean
http_open (DmSink *sink, GError **error)
{
  Http *h = sink->impl;

  h->session
    = soup_session_new_with_options ("timeout", TIMEOUT_S, "idle-timeout", 60, "user-agent",
                                     "dinomaly-station/" PACKAGE_VERSION, NULL);
  return TRUE;
}

static gboolean
post (DmSink *sink, const DmPart *part, const GString *line, GError **error)
{
  Http *h = sink->impl;
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", h->url);
  g_autoptr (GBytes) body = g_bytes_new (line->str, line->len);
  g_autoptr (GBytes) reply = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *seq = g_strdup_printf ("%" G_GUINT64_FORMAT, part->seq);
  SoupMessageHeaders *headers;
  guint status;

  if (msg == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: not a URL", sink->uri);
      return FALSE;
    }
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Idempotency-Key", part->id);
  soup_message_headers_replace (headers, "X-Dinomaly-Seq", seq);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  reply = soup_session_send_and_read (h->session, msg, NULL, &local);
  if (reply == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: %s", sink->uri, local->message);
      return FALSE;
    }
  status = soup_message_get_status (msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: the receiver answered %u %s to record %s",
                   sink->uri, status, soup_message_get_reason_phrase (msg), part->id);
      return FALSE;
    }
  return TRUE;
}

static gboolean
http_deliver (DmSink *sink,
              DmPart *const *parts,
              const GString *const *lines,
              guint n,
              guint *n_done,
              GError **error)
{
  return dm_sink_deliver_each (sink, parts, lines, n, n_done, post, error);
}

static void
http_close (DmSink *sink)
{
  Http *h = sink->impl;

  g_clear_object (&h->session);
}

static void
http_free (DmSink *sink)
{
  Http *h = sink->impl;

  http_close (sink);
  g_free (h->url);
  g_free (h);
}

static const DmSinkOps http_ops = {
  .kind = "http",
  .open = http_open,
  .deliver = http_deliver,
  .close = http_close,
  .free = http_free,
};

gboolean
dm_sink_http_init (DmSink *sink, GError **error)
{
  g_autoptr (GUri) uri = g_uri_parse (sink->uri, SOUP_HTTP_URI_FLAGS, NULL);
  Http *h;

  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "output '%s': not an http:// or https:// URL",
                   sink->uri);
      return FALSE;
    }
  h = g_new0 (Http, 1);
  h->url = g_strdup (sink->uri);
  sink->impl = h;
  sink->ops = &http_ops;
  return TRUE;
}
