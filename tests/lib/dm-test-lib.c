/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Frames, model and predict's results for the libdinomaly tests
 * (dm-test-lib.h). */
#include "dm-test-lib.h"

#include <math.h>
#include <string.h>

#include "dm-image.h"
#include "dm-test-data.h"
#include "dm-test-util.h"

static const struct
{
  const char *name;
  dinomaly_pixel_format format;
  int channels;
  int bytes;
} formats[DM_TEST_LIB_N_FORMATS] = {
  { "gray8", DINOMALY_GRAY8, 1, 1 },
  { "rgb8", DINOMALY_RGB8, 3, 1 },
  { "gray16", DINOMALY_GRAY16, 1, 2 },
  { "rgb16", DINOMALY_RGB16, 3, 2 },
};

static guint16
to_gray (const guint16 *rgb)
{
  return (guint16)((299u * rgb[0] + 587u * rgb[1] + 114u * rgb[2] + 500u) / 1000u);
}

static guint8
to_8bit (guint16 v)
{
  return (guint8)((v + 128u) / 257u);
}

void
dm_test_lib_make_frames (
  guint32 width, guint32 height, guint64 seed, gboolean defect, DmTestFrame *frames)
{
  g_autofree guint16 *rgb = g_new (guint16, (gsize)width * height * 3);
  g_autoptr (GRand) rand = g_rand_new_with_seed ((guint32)seed);

  /* a smooth gradient with noise, and a bright patch as a defect */
  for (guint32 y = 0; y < height; y++)
    for (guint32 x = 0; x < width; x++)
      for (int c = 0; c < 3; c++)
        {
          double v = 20000.0 + 15000.0 * sin (0.05 * x + 0.7 * c) * cos (0.04 * y)
                     + g_rand_double_range (rand, -4000.0, 4000.0);

          if (defect && x > width / 3 && x < width / 2 && y > height / 3 && y < height / 2)
            v = 62000.0 + g_rand_double_range (rand, 0.0, 3000.0);
          rgb[((gsize)y * width + x) * 3 + c] = (guint16)CLAMP (v, 0.0, 65535.0);
        }
  for (int f = 0; f < DM_TEST_LIB_N_FORMATS; f++)
    {
      DmTestFrame *frame = &frames[f];

      frame->name = formats[f].name;
      frame->format = formats[f].format;
      frame->width = width;
      frame->height = height;
      frame->pixel_bytes = (gsize)formats[f].channels * formats[f].bytes;
      frame->stride = frame->pixel_bytes * width;
      frame->size = frame->stride * height;
      frame->pixels = g_malloc (frame->size);
      for (gsize i = 0; i < (gsize)width * height; i++)
        for (int c = 0; c < formats[f].channels; c++)
          {
            guint16 v = formats[f].channels == 1 ? to_gray (rgb + i * 3) : rgb[i * 3 + c];

            if (formats[f].bytes == 1)
              frame->pixels[i * formats[f].channels + c] = to_8bit (v);
            else
              ((guint16 *)frame->pixels)[i * formats[f].channels + c] = v;
          }
    }
}

void
dm_test_lib_frame_clear (DmTestFrame *frame)
{
  g_clear_pointer (&frame->pixels, g_free);
}

void
dm_test_lib_pad_frame (const DmTestFrame *frame, gsize pad, DmTestFrame *padded)
{
  *padded = *frame;
  padded->stride = frame->stride + pad;
  padded->size = padded->stride * frame->height;
  padded->pixels = g_malloc (padded->size);
  memset (padded->pixels, 0xa5, padded->size);
  for (guint32 y = 0; y < frame->height; y++)
    memcpy (padded->pixels + y * padded->stride, frame->pixels + y * frame->stride, frame->stride);
}

void
dm_test_lib_save_png (const DmTestFrame *frame, const char *path)
{
  g_autoptr (GError) error = NULL;
  int f = (int)frame->format - 1;
  g_autoptr (DmImage) image
    = dm_image_new ((int)frame->width, (int)frame->height, formats[f].channels,
                    formats[f].bytes == 1 ? DM_PIXEL_U8 : DM_PIXEL_U16, &error);

  g_assert_no_error (error);
  for (guint32 y = 0; y < frame->height; y++)
    memcpy (image->data + y * image->stride, frame->pixels + y * frame->stride, frame->stride);
  g_assert_true (dm_image_save_png (image, path, &error));
  g_assert_no_error (error);
}

static gboolean band;
static double band_low, band_high, band_pixel;

static void
set_thresholds (DmModelInfo *info)
{
  if (!band)
    return;
  info->n_thresholds = 1;
  info->thresholds = g_new0 (DmClassThreshold, 1);
  info->thresholds[0].class_name = g_strdup ("part");
  info->thresholds[0].image = band_high;
  info->thresholds[0].pixel = band_pixel;
  info->thresholds[0].has_uncertain = TRUE;
  info->thresholds[0].uncertain_low = band_low;
  info->thresholds[0].uncertain_high = band_high;
}

void
dm_test_lib_write_model (
  const char *path, gboolean with_band, double low, double high, double pixel)
{
  band = with_band;
  band_low = low;
  band_high = high;
  band_pixel = pixel;
  dm_test_write_tiny_model (path, "part", set_thresholds);
}

static void
row_free (gpointer data)
{
  DmTestPredictRow *row = data;

  g_free (row->path);
  g_free (row->score);
  g_free (row->decision);
  g_free (row->rule);
  g_free (row);
}

GPtrArray *
dm_test_lib_run_predict (
  const char *cli, const char *model, const char *rules, const char *out, const char *const *paths)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (row_free);
  g_autofree char *stdout_text = NULL, *stderr_text = NULL, *csv = NULL;
  g_autofree char *csv_path = g_build_filename (out, "results.csv", NULL);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  int rule_column = -1;
  int status;

  g_ptr_array_add (args, "predict");
  g_ptr_array_add (args, "--model");
  g_ptr_array_add (args, (gpointer)model);
  if (rules != NULL)
    {
      g_ptr_array_add (args, "--rules");
      g_ptr_array_add (args, (gpointer)rules);
    }
  g_ptr_array_add (args, "--out");
  g_ptr_array_add (args, (gpointer)out);
  for (int i = 0; paths[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer)paths[i]);
  g_ptr_array_add (args, NULL);
  status = dm_test_run_cli (cli, (const char *const *)args->pdata, &stdout_text, &stderr_text);
  if (status != 0)
    g_printerr ("%s", stderr_text);
  g_assert_cmpint (status, ==, 0);

  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (csv, "\n", -1);
  {
    g_auto (GStrv) header = g_strsplit (lines[0], ",", -1);

    g_assert_cmpstr (header[0], ==, "path");
    g_assert_cmpstr (header[1], ==, "score");
    g_assert_cmpstr (header[2], ==, "decision");
    for (int i = 0; header[i] != NULL; i++)
      if (strcmp (header[i], "rule") == 0)
        rule_column = i;
  }
  for (int i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      /* the test's paths have no comma or quote: fields split plainly */
      g_auto (GStrv) fields = g_strsplit (lines[i], ",", -1);
      DmTestPredictRow *row = g_new0 (DmTestPredictRow, 1);

      g_assert_cmpuint (g_strv_length (fields), >=, 3);
      row->path = g_strdup (fields[0]);
      row->score = g_strdup (fields[1]);
      row->decision = g_strdup (fields[2]);
      if (rule_column >= 0)
        row->rule = g_strdup (fields[rule_column]);
      g_ptr_array_add (rows, row);
    }
  return g_steal_pointer (&rows);
}

float *
dm_test_lib_read_predict_map (const char *out, const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *name = NULL;
  g_autofree char *map_path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) map = NULL;
  float *values;

  *strrchr (base, '.') = '\0';
  name = g_strconcat (base, "_map.tiff", NULL);
  map_path = g_build_filename (out, name, NULL);
  map = dm_image_load (map_path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (map->type, ==, DM_PIXEL_F32);
  g_assert_cmpint (map->width, ==, 256);
  g_assert_cmpint (map->height, ==, 256);
  g_assert_cmpint (map->channels, ==, 1);
  values = g_new (float, 256 * 256);
  for (int y = 0; y < 256; y++)
    memcpy (values + y * 256, map->data + y * map->stride, 256 * sizeof (float));
  return values;
}

int
dm_test_lib_compare_floats (const void *a, const void *b)
{
  float x = *(const float *)a, y = *(const float *)b;

  return (x > y) - (x < y);
}
