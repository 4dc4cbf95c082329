/* SPDX-License-Identifier: GPL-3.0-or-later */
/* genicam:ID[?trigger=software&rate=HZ&pixel-format=NAME&packet-socket=0|1]
 * — a GigE Vision or USB3 Vision camera through Aravis 0.8, as its own
 * arv-camera-test does it: ID is what arv_camera_new takes (a name from
 * the camera list, a serial, or an IP address). Free-run at the camera's
 * rate (rate= sets it), or software-triggered at rate= (default 10 Hz).
 * Mono8, Mono16, RGB8 and the 8-bit Bayer formats are taken (dm-frame.h);
 * pixel-format= asks the camera for one of them.
 *
 * A lost camera (Aravis's control-lost, or no frame for 5 s while one is
 * due) is closed and opened again with back-off, 0.5 s doubling to 10 s;
 * the state and the count of losses are in the status. Frames the station
 * has no room for are dropped and counted (dm_source_submit_frame).
 * GigE Vision over loopback (the simulated camera the tests use) does not
 * work with Aravis's packet socket, so it is off for 127.x addresses
 * unless packet-socket=1. */
#include "dm-station-private.h"

#include <arv.h>
#include <string.h>

#include "dm-error.h"
#include "dm-frame.h"

#define N_BUFFERS 8
#define LOST_AFTER_US (5 * G_TIME_SPAN_SECOND)
#define BACKOFF_FIRST_US (500 * G_TIME_SPAN_MILLISECOND)
#define BACKOFF_MAX_US (10 * G_TIME_SPAN_SECOND)

typedef struct
{
  char *id;
  gboolean software_trigger;
  double rate;        /* Hz; 0: the camera's own */
  char *pixel_format; /* or NULL: the camera's */
  gboolean packet_socket;
  GThread *thread;
  gint lost; /* atomic: control-lost seen */
  gint64 frame;
} Genicam;

static void
on_control_lost (ArvDevice *device, gpointer data)
{
  Genicam *g = data;

  g_atomic_int_set (&g->lost, 1);
}

static DmImage *
buffer_to_image (ArvBuffer *buffer, GError **error)
{
  ArvPixelFormat pixel = arv_buffer_get_image_pixel_format (buffer);
  int w = arv_buffer_get_image_width (buffer), h = arv_buffer_get_image_height (buffer);
  size_t size = 0;
  const guint8 *data = arv_buffer_get_image_data (buffer, &size);
  DmFrameFormat format;
  int bpp;

  switch (pixel)
    {
    case ARV_PIXEL_FORMAT_MONO_8: format = DM_FRAME_MONO8, bpp = 1; break;
    case ARV_PIXEL_FORMAT_MONO_16: format = DM_FRAME_MONO16, bpp = 2; break;
    case ARV_PIXEL_FORMAT_RGB_8_PACKED: format = DM_FRAME_RGB8, bpp = 3; break;
    case ARV_PIXEL_FORMAT_BAYER_RG_8: format = DM_FRAME_BAYER_RG8, bpp = 1; break;
    case ARV_PIXEL_FORMAT_BAYER_GR_8: format = DM_FRAME_BAYER_GR8, bpp = 1; break;
    case ARV_PIXEL_FORMAT_BAYER_BG_8: format = DM_FRAME_BAYER_BG8, bpp = 1; break;
    case ARV_PIXEL_FORMAT_BAYER_GB_8: format = DM_FRAME_BAYER_GB8, bpp = 1; break;
    default:
      g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                   "pixel format 0x%08x is not taken (Mono8, Mono16, RGB8, Bayer*8)", pixel);
      return NULL;
    }
  return dm_frame_to_image (data, size, w, h, (gsize)w * bpp, format, error);
}

static ArvCamera *
open_camera (Genicam *g, GError **error)
{
  g_autoptr (ArvCamera) camera = arv_camera_new (g->id, error);

  if (camera == NULL)
    return NULL;
  if (arv_camera_is_gv_device (camera))
    arv_camera_gv_set_stream_options (camera, g->packet_socket
                                                ? ARV_GV_STREAM_OPTION_NONE
                                                : ARV_GV_STREAM_OPTION_PACKET_SOCKET_DISABLED);
  if (g->pixel_format != NULL)
    {
      arv_camera_set_pixel_format_from_string (camera, g->pixel_format, error);
      if (*error != NULL)
        return NULL;
    }
  arv_camera_set_acquisition_mode (camera, ARV_ACQUISITION_MODE_CONTINUOUS, error);
  if (*error == NULL && g->software_trigger)
    arv_camera_set_trigger (camera, "Software", error);
  else if (*error == NULL)
    {
      arv_camera_clear_triggers (camera, NULL);
      if (g->rate > 0)
        arv_camera_set_frame_rate (camera, g->rate, error);
    }
  if (*error != NULL)
    return NULL;
  return g_steal_pointer (&camera);
}

/* One session with the camera: until it is lost or the station stops.
 * FALSE with the reason when it could not start or was lost. */
static gboolean
run_camera (DmSource *source, Genicam *g, gint64 *backoff, GError **error)
{
  g_autoptr (ArvCamera) camera = open_camera (g, error);
  g_autoptr (ArvStream) stream = NULL;
  gint64 last_frame, next_trigger;
  guint payload;
  gulong handler;

  if (camera == NULL)
    return FALSE;
  payload = arv_camera_get_payload (camera, error);
  if (*error != NULL)
    return FALSE;
  stream = arv_camera_create_stream (camera, NULL, NULL, error);
  if (stream == NULL)
    return FALSE;
  if (ARV_IS_GV_STREAM (stream))
    g_object_set (stream, "socket-buffer", ARV_GV_STREAM_SOCKET_BUFFER_AUTO, "socket-buffer-size",
                  0, NULL);
  for (int i = 0; i < N_BUFFERS; i++)
    arv_stream_push_buffer (stream, arv_buffer_new (payload, NULL));
  g_atomic_int_set (&g->lost, 0);
  handler = g_signal_connect (arv_camera_get_device (camera), "control-lost",
                              G_CALLBACK (on_control_lost), g);
  arv_camera_start_acquisition (camera, error);
  if (*error != NULL)
    {
      g_signal_handler_disconnect (arv_camera_get_device (camera), handler);
      return FALSE;
    }
  dm_source_set_state (source, "running%s", g->software_trigger ? " (software trigger)" : "");
  *backoff = BACKOFF_FIRST_US;
  last_frame = next_trigger = g_get_monotonic_time ();
  while (!dm_station_stopping (source->station))
    {
      gint64 now = g_get_monotonic_time ();
      ArvBuffer *buffer;

      if (g_atomic_int_get (&g->lost) || now - last_frame > LOST_AFTER_US)
        {
          g_set_error_literal (error, DM_ERROR, DM_ERROR_IO,
                               g_atomic_int_get (&g->lost) ? "the camera stopped answering"
                                                           : "no frame for 5 s");
          break;
        }
      if (g->software_trigger && now >= next_trigger)
        {
          g_autoptr (GError) trigger_error = NULL;

          arv_camera_software_trigger (camera, &trigger_error);
          next_trigger += (gint64)(G_USEC_PER_SEC / g->rate);
          if (next_trigger < now)
            next_trigger = now + (gint64)(G_USEC_PER_SEC / g->rate);
        }
      buffer = arv_stream_timeout_pop_buffer (stream, 50000);
      if (buffer == NULL)
        continue;
      if (arv_buffer_get_status (buffer) == ARV_BUFFER_STATUS_SUCCESS)
        {
          g_autoptr (GError) frame_error = NULL;
          DmImage *image = buffer_to_image (buffer, &frame_error);

          last_frame = g_get_monotonic_time ();
          if (image != NULL)
            dm_source_submit_frame (source, image, g->frame++);
          else
            dm_source_set_state (source, "running; frame not taken: %s", frame_error->message);
        }
      arv_stream_push_buffer (stream, buffer);
    }
  g_signal_handler_disconnect (arv_camera_get_device (camera), handler);
  arv_camera_stop_acquisition (camera, NULL);
  return *error == NULL;
}

static gpointer
genicam_thread (gpointer data)
{
  DmSource *source = data;
  Genicam *g = source->impl;
  gint64 backoff = BACKOFF_FIRST_US;

  while (!dm_station_stopping (source->station))
    {
      g_autoptr (GError) error = NULL;

      dm_source_set_state (source, "connecting to %s", g->id);
      if (run_camera (source, g, &backoff, &error) || dm_station_stopping (source->station))
        break;
      g_mutex_lock (&source->lock);
      source->failures++;
      g_mutex_unlock (&source->lock);
      dm_source_set_state (source, "reconnecting in %.1f s: %s", (double)backoff * 1e-6,
                           error->message);
      dm_station_sleep (source->station, backoff);
      backoff = MIN (backoff * 2, BACKOFF_MAX_US);
    }
  dm_source_set_state (source, "stopped");
  return NULL;
}

static gboolean
genicam_start (DmSource *source, GError **error)
{
  Genicam *g = source->impl;

  g->thread = g_thread_new ("station-genicam", genicam_thread, source);
  return TRUE;
}

static void
genicam_stop (DmSource *source)
{
  Genicam *g = source->impl;

  g_clear_pointer (&g->thread, g_thread_join);
}

static void
genicam_free (DmSource *source)
{
  Genicam *g = source->impl;

  g_free (g->id);
  g_free (g->pixel_format);
  g_free (g);
}

static const DmSourceOps genicam_ops = {
  .kind = "genicam",
  .start = genicam_start,
  .stop = genicam_stop,
  .free = genicam_free,
};

gboolean
dm_source_genicam_init (DmSource *source, const char *argument, GError **error)
{
  static const char *const allowed[] = { "trigger", "rate", "pixel-format", "packet-socket", NULL };
  const char *q = strchr (argument, '?');
  g_autofree char *id = g_strndup (argument, q != NULL ? (gsize)(q - argument) : strlen (argument));
  g_autoptr (GHashTable) options
    = dm_station_parse_options (source->uri, q != NULL ? q + 1 : NULL, allowed, error);
  const char *trigger, *pixel;
  double rate = 0, packet_socket = g_str_has_prefix (id, "127.") ? 0 : 1;
  DmFrameFormat format;
  Genicam *g;

  if (options == NULL
      || !dm_station_option_double (options, source->uri, "rate", 0, 10000, &rate, error)
      || !dm_station_option_double (options, source->uri, "packet-socket", 0, 1, &packet_socket,
                                    error))
    return FALSE;
  trigger = g_hash_table_lookup (options, "trigger");
  pixel = g_hash_table_lookup (options, "pixel-format");
  if (*id == '\0' || (trigger != NULL && strcmp (trigger, "software") != 0)
      || (pixel != NULL && !dm_frame_format_from_name (pixel, &format)))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: give genicam:ID with trigger=software, rate=HZ, pixel-format=Mono8, "
                   "Mono16, RGB8 or Bayer{RG,GR,BG,GB}8",
                   source->uri);
      return FALSE;
    }
  g = g_new0 (Genicam, 1);
  g->id = g_steal_pointer (&id);
  g->software_trigger = trigger != NULL;
  g->rate = g->software_trigger && rate == 0 ? 10 : rate;
  g->pixel_format = g_strdup (pixel);
  g->packet_socket = packet_socket != 0;
  source->impl = g;
  source->ops = &genicam_ops;
  return TRUE;
}

void
dm_station_list_cameras (char ***ids, char ***descriptions)
{
  g_autoptr (GStrvBuilder) id_list = g_strv_builder_new ();
  g_autoptr (GStrvBuilder) text_list = g_strv_builder_new ();
  guint n;

  arv_update_device_list ();
  n = arv_get_n_devices ();
  for (guint i = 0; i < n; i++)
    {
      const char *id = arv_get_device_id (i);
      g_autofree char *text = NULL;

      if (id == NULL)
        continue;
      text = g_strdup_printf ("%s, %s at %s", id, arv_get_device_protocol (i),
                              arv_get_device_address (i));
      g_strv_builder_add (id_list, id);
      g_strv_builder_add (text_list, text);
    }
  *ids = g_strv_builder_end (id_list);
  *descriptions = g_strv_builder_end (text_list);
}
