/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Cameras: a simulated GigE Vision camera (Aravis's arv-fake-gv-camera-0.8
 * on 127.0.0.1: the real protocol, no hardware) inspected live, that
 * disconnects (killed) and returns: the source reconnects with back-off
 * and says so; software trigger and a Bayer format; a GStreamer
 * videotestsrc pipeline inspected live and a broken pipeline retried;
 * frames faster than the station dropped and counted, every frame
 * accounted for; the frame conversions (Mono8, Mono16, RGB8, Bayer). */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "dm-error.h"
#include "dm-frame.h"
#include "dm-station.h"
#include "dm-test-station.h"
#include "dm-test-util.h"

static char *tmp, *model;

static DmStation *
start (const char *name, const char *source, int queue, int batch)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *journal = g_build_filename (tmp, name, NULL);
  DmStationSettings s;
  DmThresholds t;
  DmStation *station;

  dm_thresholds_init (&t);
  t.image = 1.1;
  dm_station_settings_init (&s);
  s.model_path = g_strdup (model);
  s.journal = g_strdup (journal);
  s.queue = queue;
  s.batch = batch;
  s.drain_seconds = 2;
  dm_station_settings_set_class (&s, "part", &t);
  g_ptr_array_add (s.sources, g_strdup (source));
  station = dm_station_new (&s, &error);
  g_assert_no_error (error);
  g_assert_true (dm_station_start (station, &error));
  g_assert_no_error (error);
  dm_station_settings_clear (&s);
  return station;
}

static void
source_status (DmStation *station, guint64 *last_seq, DmSourceStatus *out)
{
  DmStationStatus status;

  dm_station_get_status (station, &status);
  *last_seq = status.last_seq;
  out->taken = status.sources[0].taken;
  out->dropped = status.sources[0].dropped;
  out->skipped = status.sources[0].skipped;
  out->failures = status.sources[0].failures;
  out->state = g_strdup (status.sources[0].state);
  out->uri = NULL;
  dm_station_status_clear (&status);
}

/* Waits until the journal holds n records, or the source's state starts
 * with state_prefix (when given). */
static gboolean
wait_for (DmStation *station, guint64 n, const char *state_prefix, double timeout_s)
{
  gint64 end = g_get_monotonic_time () + (gint64)(timeout_s * G_USEC_PER_SEC);

  while (g_get_monotonic_time () < end)
    {
      DmSourceStatus src;
      guint64 seq;
      gboolean done;

      source_status (station, &seq, &src);
      done = state_prefix != NULL ? g_str_has_prefix (src.state, state_prefix) : seq >= n;
      g_free (src.state);
      if (done)
        return TRUE;
      g_usleep (100000);
    }
  return FALSE;
}

static GSubprocess *
start_camera (const char *program, const char *log)
{
  const char *argv[] = { program, "-i", "127.0.0.1", NULL };

  return dm_test_station_spawn (argv, log);
}

static void
test_genicam (void)
{
  g_autofree char *program = dm_test_station_find_program ("arv-fake-gv-camera-0.8");
  g_autofree char *log1 = g_build_filename (tmp, "camera-1.log", NULL);
  g_autofree char *log2 = g_build_filename (tmp, "camera-2.log", NULL);
  g_autoptr (GSubprocess) camera = NULL;
  DmStation *station;
  DmSourceStatus src;
  guint64 before, after;

  if (program == NULL)
    {
      g_test_skip ("arv-fake-gv-camera-0.8 is not installed: apt-get install aravis-tools");
      return;
    }
  /* GigE Vision's control port is fixed (3956): the camera takes it on
   * 127.0.0.1 */
  camera = start_camera (program, log1);
  g_usleep (500000);
  /* found on the network, as the Line page lists cameras */
  {
    g_auto (GStrv) ids = NULL, descriptions = NULL;
    gboolean found = FALSE;

    dm_station_list_cameras (&ids, &descriptions);
    g_assert_cmpuint (g_strv_length (ids), ==, g_strv_length (descriptions));
    for (guint i = 0; ids[i] != NULL; i++)
      found |= strstr (descriptions[i], "127.0.0.1") != NULL;
    g_test_message ("%u cameras found", g_strv_length (ids));
    g_assert_true (found);
  }
  station = start ("genicam", "genicam:127.0.0.1?rate=10", 8, 4);
  g_assert_true (wait_for (station, 10, NULL, 60));
  source_status (station, &before, &src);
  g_test_message ("camera: %" G_GUINT64_FORMAT " frames inspected, state '%s'", before, src.state);
  g_assert_true (g_str_has_prefix (src.state, "running"));
  g_free (src.state);

  /* unplugged */
  dm_test_station_kill (camera);
  g_clear_object (&camera);
  g_assert_true (wait_for (station, 0, "reconnecting", 30));
  source_status (station, &before, &src);
  g_test_message ("camera gone: '%s', %" G_GUINT64_FORMAT " losses", src.state, src.failures);
  g_assert_cmpuint (src.failures, >=, 1);
  g_free (src.state);
  g_usleep (2 * G_USEC_PER_SEC);

  /* back */
  camera = start_camera (program, log2);
  g_assert_true (wait_for (station, before + 10, NULL, 60));
  source_status (station, &after, &src);
  g_test_message ("camera back: '%s', %" G_GUINT64_FORMAT " frames after it returned", src.state,
                  after - before);
  g_assert_true (g_str_has_prefix (src.state, "running"));
  g_free (src.state);
  dm_station_free (station);

  /* software trigger, Bayer */
  station = start ("genicam-trigger",
                   "genicam:127.0.0.1?trigger=software&rate=5&pixel-format=BayerRG8", 8, 4);
  g_assert_true (wait_for (station, 5, NULL, 60));
  dm_station_free (station);
  {
    g_autofree char *journal = g_build_filename (tmp, "genicam-trigger", NULL);
    g_autoptr (GPtrArray) records = dm_test_station_read_journal (journal);
    const DmPart *p = records->pdata[0];

    g_assert_false (p->is_error);
    g_assert_cmpint (p->frame, ==, 0);
    g_assert_cmpint (p->width, ==, 512);
    g_test_message ("software trigger, BayerRG8: %u frames", records->len);
  }
  dm_test_station_stop (camera, 10);
}

static void
test_gstreamer (void)
{
  g_autofree char *journal = g_build_filename (tmp, "gst", NULL);
  g_autoptr (GPtrArray) records = NULL;
  DmStation *station = start ("gst",
                              "gst:videotestsrc is-live=true num-buffers=15 pattern=ball ! "
                              "video/x-raw,width=160,height=120,framerate=10/1",
                              8, 4);
  DmSourceStatus src;
  guint64 seq;

  g_assert_true (wait_for (station, 0, "ended", 60));
  g_assert_true (wait_for (station, 15, NULL, 30));
  source_status (station, &seq, &src);
  g_assert_cmpuint (src.taken + src.dropped + src.skipped, ==, 15);
  g_free (src.state);
  dm_station_free (station);
  records = dm_test_station_read_journal (journal);
  for (guint i = 0; i < records->len; i++)
    {
      const DmPart *p = records->pdata[i];

      g_assert_false (p->is_error);
      g_assert_cmpint (p->width, ==, 160);
    }
  g_test_message ("videotestsrc: %u frames inspected, %" G_GUINT64_FORMAT " dropped", records->len,
                  src.dropped);

  /* a pipeline that cannot run: retried with back-off, no crash */
  station = start ("gst-broken", "gst:nosuchelement ! fakesink", 8, 4);
  g_assert_true (wait_for (station, 0, "restarting", 30));
  source_status (station, &seq, &src);
  g_test_message ("broken pipeline: '%s'", src.state);
  g_assert_cmpuint (src.failures, >=, 1);
  g_free (src.state);
  dm_station_free (station);
}

/* Frames at 200 a second into a queue of 1: most are dropped, every one is
 * counted. */
static void
test_dropped_frames (void)
{
  DmStation *station = start ("generate", "generate:200?count=100&size=160x120", 1, 1);
  DmSourceStatus src;
  guint64 seq;

  g_assert_true (wait_for (station, 0, "ended", 60));
  dm_station_free (station);
  station = NULL;
  {
    g_autofree char *journal = g_build_filename (tmp, "generate", NULL);
    g_autoptr (GPtrArray) records = dm_test_station_read_journal (journal);
    g_autofree char *status_path = g_build_filename (journal, "status.json", NULL);
    g_autoptr (JsonParser) parser = json_parser_new ();
    JsonObject *o, *s;

    g_assert_true (json_parser_load_from_file (parser, status_path, NULL));
    o = json_node_get_object (json_parser_get_root (parser));
    s = json_array_get_object_element (json_object_get_array_member (o, "sources"), 0);
    src.taken = (guint64)json_object_get_int_member (s, "taken");
    src.dropped = (guint64)json_object_get_int_member (s, "dropped");
    src.skipped = (guint64)json_object_get_int_member (s, "skipped");
    seq = (guint64)json_object_get_int_member (o, "last_seq");
    g_test_message ("100 frames at 200/s into a queue of 1: %" G_GUINT64_FORMAT
                    " inspected, %" G_GUINT64_FORMAT " dropped (counted), %" G_GUINT64_FORMAT
                    " skipped",
                    src.taken, src.dropped, src.skipped);
    g_assert_cmpuint (src.taken + src.dropped + src.skipped, ==, 100);
    g_assert_cmpuint (src.dropped, >, 0);
    g_assert_cmpuint (seq, ==, src.taken);
    g_assert_cmpuint (records->len, ==, src.taken);
  }
}

static void
test_frames (void)
{
  g_autoptr (GError) error = NULL;
  guint8 mono[2 * 3] = { 1, 2, 3, 4, 5, 6 };
  guint8 mono16[2 * 2 * 2] = { 0x34, 0x12, 0xff, 0xff, 0, 0, 1, 0 };
  guint8 mosaic[4 * 4];
  DmImage *image;
  DmFrameFormat f;
  const DmFrameFormat bayers[]
    = { DM_FRAME_BAYER_RG8, DM_FRAME_BAYER_GR8, DM_FRAME_BAYER_BG8, DM_FRAME_BAYER_GB8 };

  image = dm_frame_to_image (mono, sizeof mono, 3, 2, 3, DM_FRAME_MONO8, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->channels, ==, 1);
  g_assert_cmpint (image->data[4], ==, 5);
  dm_image_free (image);
  image = dm_frame_to_image (mono16, sizeof mono16, 2, 2, 4, DM_FRAME_MONO16, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->type, ==, DM_PIXEL_U16);
  g_assert_cmpfloat (dm_image_get (image, 0, 0, 0), ==, 0x1234);
  g_assert_cmpfloat (dm_image_get (image, 1, 0, 0), ==, 0xffff);
  g_assert_cmpfloat (dm_image_get (image, 1, 1, 0), ==, 1);
  dm_image_free (image);
  /* a mosaic of one colour comes back as that colour, whatever the pattern */
  for (guint k = 0; k < G_N_ELEMENTS (bayers); k++)
    {
      const guint8 rgb[3] = { 200, 100, 30 };
      int cell[4][4] = { { 0, 1, 1, 2 }, { 1, 0, 2, 1 }, { 2, 1, 1, 0 }, { 1, 2, 0, 1 } };

      for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
          mosaic[y * 4 + x] = rgb[cell[k][(y & 1) * 2 + (x & 1)]];
      image = dm_frame_to_image (mosaic, sizeof mosaic, 4, 4, 4, bayers[k], &error);
      g_assert_no_error (error);
      for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
          for (int c = 0; c < 3; c++)
            g_assert_cmpfloat (dm_image_get (image, x, y, c), ==, rgb[c]);
      dm_image_free (image);
    }
  /* too few bytes for the size */
  g_assert_null (dm_frame_to_image (mono, sizeof mono, 3, 3, 3, DM_FRAME_MONO8, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_CORRUPT);
  g_test_message ("short frame: %s", error->message);
  g_assert_true (dm_frame_format_from_name ("BayerGB8", &f));
  g_assert_cmpint (f, ==, DM_FRAME_BAYER_GB8);
  g_assert_false (dm_frame_format_from_name ("YUV422", &f));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* the station logs what goes wrong on the line as warnings */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_FATAL_MASK);
  tmp = dm_test_make_tmpdir ();
  model = dm_test_station_model (tmp);
  g_test_add_func ("/station/camera/frames", test_frames);
  g_test_add_func ("/station/camera/dropped-frames", test_dropped_frames);
  g_test_add_func ("/station/camera/gstreamer", test_gstreamer);
  g_test_add_func ("/station/camera/genicam", test_genicam);
  return g_test_run ();
}
