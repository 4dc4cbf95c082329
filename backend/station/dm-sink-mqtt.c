/* SPDX-License-Identifier: GPL-3.0-or-later */
/* mqtt://[USER:PASSWORD@]HOST[:PORT]/PREFIX — one QoS 1 message per part
 * on PREFIX/parts (the record, as journaled), and PREFIX/status retained:
 * "online", "paused", "error" (the station cannot write its journal) or
 * "offline" (a clean stop, and the last will when the station dies).
 *
 * libmosquitto runs its own network thread (mosquitto_loop_start) that
 * reconnects with back-off (1 s doubling to 30 s) and keeps every QoS 1
 * message that the broker has not acknowledged, sending it again after a
 * reconnect, in order. So a delivery publishes a batch and waits for the
 * broker's PUBACKs for as long as it takes: a broker that is down delays,
 * nothing is published twice by this process. After a restart of the
 * station, records published but not acknowledged before it went down are
 * published again (the same id). */
#include "dm-sink.h"

#include <mosquitto.h>
#include <string.h>

#include "dm-error.h"

#define KEEPALIVE_S 10
#define WAIT_SLICE_US (200 * G_TIME_SPAN_MILLISECOND)

typedef struct
{
  char *host, *user, *password, *topic_parts, *topic_status, *client_id;
  int port;

  /* keeps mosq alive while another thread publishes a status; never taken
   * by libmosquitto's callbacks */
  GMutex mosq_lock;
  struct mosquitto *mosq;

  GMutex lock; /* guards what follows; taken by the callbacks, so never held
                * across a libmosquitto call */
  GCond cond;
  GHashTable *acked; /* mids acknowledged, not yet collected */
  gboolean connected;
  char *disconnect_reason;
  const char *status; /* the retained status to publish */
} Mqtt;

static const char *
status_of (DmStationState state)
{
  switch (state)
    {
    case DM_STATION_PAUSED: return "paused";
    case DM_STATION_STALLED: return "error";
    case DM_STATION_STOPPED: return "offline";
    case DM_STATION_IDLE:
    case DM_STATION_RUNNING:
    case DM_STATION_STOPPING:
    default: return "online";
    }
}

static void
publish_status (struct mosquitto *mosq, const char *topic, const char *status)
{
  mosquitto_publish (mosq, NULL, topic, (int)strlen (status), status, 1, true);
}

static void
on_connect (struct mosquitto *mosq, void *data, int rc)
{
  DmSink *sink = data;
  Mqtt *m = sink->impl;
  const char *status;

  g_mutex_lock (&m->lock);
  m->connected = rc == 0;
  status = m->status;
  g_clear_pointer (&m->disconnect_reason, g_free);
  if (rc != 0)
    m->disconnect_reason = g_strdup (mosquitto_connack_string (rc));
  g_cond_broadcast (&m->cond);
  g_mutex_unlock (&m->lock);
  if (rc == 0)
    {
      publish_status (mosq, m->topic_status, status);
      dm_sink_set_state (sink, "connected");
    }
  else
    dm_sink_set_state (sink, "down: the broker refused: %s", mosquitto_connack_string (rc));
}

static void
on_disconnect (struct mosquitto *mosq, void *data, int rc)
{
  DmSink *sink = data;
  Mqtt *m = sink->impl;

  g_mutex_lock (&m->lock);
  m->connected = FALSE;
  g_cond_broadcast (&m->cond);
  g_mutex_unlock (&m->lock);
  if (rc != 0)
    dm_sink_set_state (sink, "down: lost the broker (%s); reconnecting", mosquitto_strerror (rc));
}

static void
on_publish (struct mosquitto *mosq, void *data, int mid)
{
  DmSink *sink = data;
  Mqtt *m = sink->impl;

  g_mutex_lock (&m->lock);
  g_hash_table_add (m->acked, GINT_TO_POINTER (mid));
  g_cond_broadcast (&m->cond);
  g_mutex_unlock (&m->lock);
}

static gboolean
mqtt_error (GError **error, DmSink *sink, const char *what, int rc)
{
  g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: %s: %s", sink->uri, what,
               rc == MOSQ_ERR_ERRNO ? g_strerror (errno) : mosquitto_strerror (rc));
  return FALSE;
}

static gpointer
init_library (gpointer data)
{
  mosquitto_lib_init ();
  return NULL;
}

static gboolean
mqtt_open (DmSink *sink, GError **error)
{
  static GOnce once = G_ONCE_INIT;
  Mqtt *m = sink->impl;
  struct mosquitto *mosq;
  int rc;

  g_once (&once, init_library, NULL);
  mosq = mosquitto_new (m->client_id, true, sink);
  if (mosq == NULL)
    return mqtt_error (error, sink, "cannot make a client", MOSQ_ERR_NOMEM);
  mosquitto_connect_callback_set (mosq, on_connect);
  mosquitto_disconnect_callback_set (mosq, on_disconnect);
  mosquitto_publish_callback_set (mosq, on_publish);
  mosquitto_reconnect_delay_set (mosq, 1, 30, true);
  mosquitto_will_set (mosq, m->topic_status, 7, "offline", 1, true);
  if (m->user != NULL)
    mosquitto_username_pw_set (mosq, m->user, m->password);
  rc = mosquitto_connect_async (mosq, m->host, m->port, KEEPALIVE_S);
  if (rc != MOSQ_ERR_SUCCESS)
    {
      mosquitto_destroy (mosq);
      return mqtt_error (error, sink, "cannot connect", rc);
    }
  rc = mosquitto_loop_start (mosq);
  if (rc != MOSQ_ERR_SUCCESS)
    {
      mosquitto_destroy (mosq);
      return mqtt_error (error, sink, "cannot start the network thread", rc);
    }
  g_mutex_lock (&m->lock);
  g_hash_table_remove_all (m->acked);
  g_mutex_unlock (&m->lock);
  g_mutex_lock (&m->mosq_lock);
  m->mosq = mosq;
  g_mutex_unlock (&m->mosq_lock);
  return TRUE;
}

static gboolean
mqtt_deliver (DmSink *sink,
              DmPart *const *parts,
              const GString *const *lines,
              guint n,
              guint *n_done,
              GError **error)
{
  Mqtt *m = sink->impl;
  g_autofree int *mids = g_new (int, n);
  guint done = 0;

  *n_done = 0;
  for (guint i = 0; i < n; i++)
    {
      int rc = mosquitto_publish (m->mosq, &mids[i], m->topic_parts, (int)lines[i]->len,
                                  lines[i]->str, 1, false);

      if (rc != MOSQ_ERR_SUCCESS)
        {
          /* what was published is kept by the library: wait for those */
          n = i;
          if (n == 0)
            return mqtt_error (error, sink, "cannot publish", rc);
          break;
        }
    }
  /* every acknowledgement, however long the broker is away */
  g_mutex_lock (&m->lock);
  while (done < n)
    {
      if (g_hash_table_remove (m->acked, GINT_TO_POINTER (mids[done])))
        {
          done++;
          continue;
        }
      g_mutex_unlock (&m->lock);
      if (dm_sink_should_give_up (sink))
        {
          *n_done = done;
          g_set_error (error, DM_ERROR, DM_ERROR_IO,
                       "%s: stopped with %u records not acknowledged by the broker (they are "
                       "published again at the next start)",
                       sink->uri, n - done);
          return FALSE;
        }
      g_mutex_lock (&m->lock);
      g_cond_wait_until (&m->cond, &m->lock, g_get_monotonic_time () + WAIT_SLICE_US);
    }
  g_mutex_unlock (&m->lock);
  *n_done = n;
  return TRUE;
}

static void
mqtt_close (DmSink *sink)
{
  Mqtt *m = sink->impl;
  struct mosquitto *mosq;
  gboolean connected;
  const char *status;

  g_mutex_lock (&m->mosq_lock);
  mosq = g_steal_pointer (&m->mosq);
  g_mutex_unlock (&m->mosq_lock);
  g_mutex_lock (&m->lock);
  connected = m->connected;
  status = m->status;
  g_mutex_unlock (&m->lock);
  if (mosq == NULL)
    return;
  if (connected)
    {
      /* the last status, then a clean disconnect (no last will) */
      int mid = -1;
      gint64 end = g_get_monotonic_time () + G_TIME_SPAN_SECOND;

      mosquitto_publish (mosq, &mid, m->topic_status, (int)strlen (status), status, 1, true);
      g_mutex_lock (&m->lock);
      while (!g_hash_table_remove (m->acked, GINT_TO_POINTER (mid)) && m->connected)
        if (!g_cond_wait_until (&m->cond, &m->lock, end))
          break;
      g_mutex_unlock (&m->lock);
      mosquitto_disconnect (mosq);
    }
  mosquitto_loop_stop (mosq, !connected);
  mosquitto_destroy (mosq);
  g_mutex_lock (&m->lock);
  m->connected = FALSE;
  g_mutex_unlock (&m->lock);
}

static void
mqtt_station_state (DmSink *sink, DmStationState state)
{
  Mqtt *m = sink->impl;

  gboolean connected, changed;

  g_mutex_lock (&m->lock);
  changed = m->status != status_of (state);
  m->status = status_of (state);
  connected = m->connected;
  g_mutex_unlock (&m->lock);
  if (!changed)
    return;
  /* when disconnected, the next connection publishes it */
  g_mutex_lock (&m->mosq_lock);
  if (m->mosq != NULL && connected)
    publish_status (m->mosq, m->topic_status, status_of (state));
  g_mutex_unlock (&m->mosq_lock);
}

static void
mqtt_free (DmSink *sink)
{
  Mqtt *m = sink->impl;

  g_free (m->host);
  g_free (m->user);
  g_free (m->password);
  g_free (m->topic_parts);
  g_free (m->topic_status);
  g_free (m->client_id);
  g_free (m->disconnect_reason);
  g_hash_table_unref (m->acked);
  g_mutex_clear (&m->lock);
  g_mutex_clear (&m->mosq_lock);
  g_cond_clear (&m->cond);
  g_free (m);
}

static const DmSinkOps mqtt_ops = {
  .kind = "mqtt",
  .open = mqtt_open,
  .deliver = mqtt_deliver,
  .close = mqtt_close,
  .station_state = mqtt_station_state,
  .free = mqtt_free,
};

gboolean
dm_sink_mqtt_init (DmSink *sink, GError **error)
{
  g_autoptr (GUri) uri = g_uri_parse (sink->uri, G_URI_FLAGS_HAS_PASSWORD, NULL);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, sink->cursor_path, -1);
  const char *path = uri != NULL ? g_uri_get_path (uri) : NULL;
  g_autofree char *prefix = NULL;
  Mqtt *m;

  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "output '%s': give mqtt://HOST:PORT/PREFIX",
                   sink->uri);
      return FALSE;
    }
  while (*path == '/')
    path++;
  prefix = g_strdup (*path != '\0' ? path : "dinomaly");
  if (g_str_has_suffix (prefix, "/"))
    prefix[strlen (prefix) - 1] = '\0';
  if (strpbrk (prefix, "+#") != NULL || *prefix == '\0')
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "output '%s': the topic prefix may not hold + or #", sink->uri);
      return FALSE;
    }
  m = g_new0 (Mqtt, 1);
  m->host = g_strdup (g_uri_get_host (uri));
  m->port = g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : 1883;
  m->user = g_strdup (g_uri_get_user (uri));
  m->password = g_strdup (g_uri_get_password (uri));
  m->topic_parts = g_strconcat (prefix, "/parts", NULL);
  m->topic_status = g_strconcat (prefix, "/status", NULL);
  /* stable per journal and output, and at most 23 bytes (MQTT 3.1) */
  m->client_id = g_strdup_printf ("dinomaly-%.12s", hash);
  m->acked = g_hash_table_new (g_direct_hash, g_direct_equal);
  m->status = "online";
  g_mutex_init (&m->lock);
  g_mutex_init (&m->mosq_lock);
  g_cond_init (&m->cond);
  sink->impl = m;
  sink->ops = &mqtt_ops;
  return TRUE;
}
