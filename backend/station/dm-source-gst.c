/* SPDX-License-Identifier: GPL-3.0-or-later */
/* gst:PIPELINE — frames of any GStreamer pipeline: v4l2src (USB cameras),
 * rtspsrc (IP cameras), filesrc ! decodebin (videos), videotestsrc. The
 * station appends "! videoconvert ! video/x-raw,format={RGB,GRAY8,
 * GRAY16_LE} ! appsink" and pulls samples from the appsink in its own
 * thread, as GStreamer's appsink examples do. An error of the pipeline
 * (a camera unplugged, a stream that breaks) tears it down and builds it
 * again with back-off, 0.5 s doubling to 10 s; the end of the stream (a
 * video file played through) ends the source. */
#include "dm-station-private.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <string.h>

#include "dm-error.h"
#include "dm-frame.h"

#define SINK_NAME "dm_station_sink"
#define BACKOFF_FIRST_US (500 * G_TIME_SPAN_MILLISECOND)
#define BACKOFF_MAX_US (10 * G_TIME_SPAN_SECOND)

typedef struct
{
  char *description; /* the whole pipeline, appsink included */
  GThread *thread;
  gint64 frame;
} Gst;

static gpointer
init_gstreamer (gpointer data)
{
  GError *error = NULL;

  if (!gst_init_check (NULL, NULL, &error))
    return error;
  return NULL;
}

static DmImage *
sample_to_image (GstSample *sample, GError **error)
{
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  GstStructure *s = gst_caps_get_structure (gst_sample_get_caps (sample), 0);
  const char *name = gst_structure_get_string (s, "format");
  int w = 0, h = 0, bpp;
  DmFrameFormat format;
  GstMapInfo map;
  DmImage *image;

  gst_structure_get_int (s, "width", &w);
  gst_structure_get_int (s, "height", &h);
  if (g_strcmp0 (name, "GRAY8") == 0)
    format = DM_FRAME_MONO8, bpp = 1;
  else if (g_strcmp0 (name, "GRAY16_LE") == 0)
    format = DM_FRAME_MONO16, bpp = 2;
  else
    format = DM_FRAME_RGB8, bpp = 3;
  if (buffer == NULL || !gst_buffer_map (buffer, &map, GST_MAP_READ))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "a frame without data");
      return NULL;
    }
  /* raw video rows are padded to 4 bytes */
  image
    = dm_frame_to_image (map.data, map.size, w, h, (gsize)GST_ROUND_UP_4 (w * bpp), format, error);
  gst_buffer_unmap (buffer, &map);
  return image;
}

/* The pipeline's error or end, if it has one now. */
static gboolean
check_bus (GstBus *bus, gboolean *ended, GError **error)
{
  g_autoptr (GstMessage) msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR | GST_MESSAGE_EOS);

  if (msg == NULL)
    return TRUE;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
    {
      *ended = TRUE;
      return TRUE;
    }
  gst_message_parse_error (msg, error, NULL);
  return FALSE;
}

/* One life of the pipeline: until it fails or ends or the station stops. */
static gboolean
run_pipeline (DmSource *source, Gst *g, gint64 *backoff, gboolean *ended, GError **error)
{
  g_autoptr (GstElement) pipeline
    = gst_parse_launch_full (g->description, NULL, GST_PARSE_FLAG_FATAL_ERRORS, error);
  g_autoptr (GstElement) appsink = NULL;
  g_autoptr (GstBus) bus = NULL;
  gboolean ok = TRUE;

  if (pipeline == NULL)
    return FALSE;
  appsink = gst_bin_get_by_name (GST_BIN (pipeline), SINK_NAME);
  bus = gst_element_get_bus (pipeline);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      if (check_bus (bus, ended, error))
        g_set_error (error, DM_ERROR, DM_ERROR_IO, "the pipeline does not start");
      gst_element_set_state (pipeline, GST_STATE_NULL);
      return FALSE;
    }
  dm_source_set_state (source, "running");
  while (ok && !*ended && !dm_station_stopping (source->station))
    {
      GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (appsink), 100 * GST_MSECOND);

      if (sample != NULL)
        {
          g_autoptr (GError) frame_error = NULL;
          DmImage *image = sample_to_image (sample, &frame_error);

          gst_sample_unref (sample);
          *backoff = BACKOFF_FIRST_US;
          if (image != NULL)
            dm_source_submit_frame (source, image, g->frame++);
          else
            dm_source_set_state (source, "running; frame not taken: %s", frame_error->message);
        }
      ok = check_bus (bus, ended, error);
    }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return ok;
}

static gpointer
gst_thread (gpointer data)
{
  DmSource *source = data;
  Gst *g = source->impl;
  gint64 backoff = BACKOFF_FIRST_US;
  gboolean ended = FALSE;

  while (!dm_station_stopping (source->station) && !ended)
    {
      g_autoptr (GError) error = NULL;

      if (run_pipeline (source, g, &backoff, &ended, &error)
          || dm_station_stopping (source->station))
        continue;
      g_mutex_lock (&source->lock);
      source->failures++;
      g_mutex_unlock (&source->lock);
      dm_source_set_state (source, "restarting in %.1f s: %s", (double)backoff * 1e-6,
                           error != NULL ? error->message : "the pipeline failed");
      dm_station_sleep (source->station, backoff);
      backoff = MIN (backoff * 2, BACKOFF_MAX_US);
    }
  dm_source_set_state (source, ended ? "ended (end of stream)" : "stopped");
  return NULL;
}

static gboolean
gst_start (DmSource *source, GError **error)
{
  static GOnce once = G_ONCE_INIT;
  Gst *g = source->impl;
  GError *init_error = g_once (&once, init_gstreamer, NULL);

  if (init_error != NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED, "%s: GStreamer: %s", source->uri,
                   init_error->message);
      return FALSE;
    }
  g->thread = g_thread_new ("station-gst", gst_thread, source);
  return TRUE;
}

static void
gst_stop (DmSource *source)
{
  Gst *g = source->impl;

  g_clear_pointer (&g->thread, g_thread_join);
}

static void
gst_free (DmSource *source)
{
  Gst *g = source->impl;

  g_free (g->description);
  g_free (g);
}

static const DmSourceOps gst_ops = {
  .kind = "gst",
  .start = gst_start,
  .stop = gst_stop,
  .free = gst_free,
};

gboolean
dm_source_gst_init (DmSource *source, const char *argument, GError **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (argument));
  Gst *g;

  if (*trimmed == '\0' || strstr (argument, SINK_NAME) != NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: give gst:PIPELINE (without a sink)",
                   source->uri);
      return FALSE;
    }
  g = g_new0 (Gst, 1);
  g->description = g_strdup_printf ("%s ! videoconvert ! video/x-raw,format={RGB,GRAY8,GRAY16_LE} "
                                    "! appsink name=" SINK_NAME " max-buffers=4",
                                    argument);
  source->impl = g;
  source->ops = &gst_ops;
  return TRUE;
}
