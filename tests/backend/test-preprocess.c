/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of dm-preprocess against the reference (testvectors/tiny/forward,
 * copied into tests/data/image/): the decoded JPEG, the input tensor x of
 * the three images, the two ground-truth masks; plus the crop geometry and
 * the mask variants (palette, 1-bit, 16-bit). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dm-error.h"
#include "dm-image.h"
#include "dm-preprocess.h"
#include "dm-resize.h"
#include "dm-test-util.h"
#include "image-patterns.h"

static char *
data_path (const char *sub, const char *name)
{
  return g_build_filename (dm_test_srcdir (), "data", "image", sub, name, NULL);
}

static guint8 *
read_expected (const char *name, gsize want_size)
{
  g_autofree char *path = data_path ("expected", name);
  char *data = NULL;
  gsize size = 0;

  g_assert_true (g_file_get_contents (path, &data, &size, NULL));
  g_assert_cmpuint (size, ==, want_size);
  return (guint8 *)data;
}

/* The gray JPEG decodes to exactly libjpeg-turbo's (PIL's) pixels. */
static void
test_decoded_jpeg (void)
{
  g_autofree char *path = data_path ("reference", "mt_crack_exp1_num_249594.jpg");
  g_autofree guint8 *want = read_expected ("decoded_mt.u8", 264 * 219);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) image = dm_image_load (path, 0, &error);

  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, 219);
  g_assert_cmpint (image->height, ==, 264);
  g_assert_cmpint (image->channels, ==, 1);
  g_assert_cmpuint (image->stride, ==, 219);
  g_assert_cmpmem (image->data, 264 * 219, want, 264 * 219);
}

/* x = the model input of each reference image, resize 256, crop 224. */
static void
test_reference_input (void)
{
  static const struct
  {
    const char *image, *expected, *what;
    double tol;
  } cases[] = {
    { "tire_hole_000.png", "x_tire.f32", "x tire (8-bit RGB PNG), abs", 1e-6 },
    { "mt_crack_exp1_num_249594.jpg", "x_mt.f32", "x mt (8-bit gray JPEG), abs", 1e-6 },
    { "tire16_rgb16.tif", "x_tire16.f32", "x tire16 (16-bit RGB TIFF), abs", 1e-6 },
  };
  const gsize n = 3 * 224 * 224;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = data_path ("reference", cases[i].image);
      g_autofree float *want = (float *)read_expected (cases[i].expected, n * sizeof (float));
      g_autofree float *x = g_new (float, n);
      g_autoptr (GError) error = NULL;
      gint64 t0 = g_get_monotonic_time ();
      double diff;
      gsize n_diff = 0;

      g_assert_true (dm_preprocess_file (path, 256, 224, 0, x, &error));
      g_assert_no_error (error);
      diff = dm_test_max_abs_diff (x, want, n);
      for (gsize k = 0; k < n; k++)
        n_diff += x[k] != want[k];
      printf ("# %s: max abs diff %.3g, %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
              " values not bit-identical, %.1f ms\n",
              cases[i].what, diff, n_diff, n, (g_get_monotonic_time () - t0) / 1e3);
      /* Recorded for the summary (rel to max of ~2.6: well inside 1e-6 abs). */
      dm_test_assert_close (x, want, n, cases[i].tol / 2.0, cases[i].what);
      g_assert_cmpfloat (diff, <=, cases[i].tol);
    }
}

static void
test_reference_masks (void)
{
  static const struct
  {
    const char *mask, *crop, *full;
  } cases[] = {
    { "tire_hole_000_mask.png", "tire_mask_crop.u8", "tire_mask_256.u8" },
    { "mt_crack_exp1_num_249594_mask.png", "mt_mask_crop.u8", "mt_mask_256.u8" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = data_path ("reference", cases[i].mask);
      g_autofree guint8 *want_crop = read_expected (cases[i].crop, 224 * 224);
      g_autofree guint8 *want_full = read_expected (cases[i].full, 256 * 256);
      guint8 crop[224 * 224], full[256 * 256];
      g_autoptr (GError) error = NULL;
      guint n_soft = 0, n_defect = 0;

      g_assert_true (dm_preprocess_mask_file (path, 256, 224, 256, 0, full, crop, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (crop, sizeof crop, want_crop, sizeof crop);
      g_assert_cmpmem (full, sizeof full, want_full, sizeof full);
      for (guint k = 0; k < sizeof crop; k++)
        n_soft += crop[k] > 0 && crop[k] < 255;
      for (guint k = 0; k < sizeof full; k++)
        n_defect += full[k];
      printf ("# %s: crop and 256 mask identical (%u soft edge values, %u defect pixels)\n",
              cases[i].mask, n_soft, n_defect);
      g_assert_cmpuint (n_soft, >, 0);
      g_assert_cmpuint (n_defect, >, 0);
    }
}

static void
test_center_crop_offset (void)
{
  g_assert_cmpint (dm_center_crop_offset (256, 224), ==, 16);
  g_assert_cmpint (dm_center_crop_offset (448, 392), ==, 28);
  g_assert_cmpint (dm_center_crop_offset (320, 280), ==, 20);
  g_assert_cmpint (dm_center_crop_offset (224, 224), ==, 0);
  /* Halves round to even, as Python's round(). */
  g_assert_cmpint (dm_center_crop_offset (9, 8), ==, 0);      /* 0.5 */
  g_assert_cmpint (dm_center_crop_offset (11, 8), ==, 2);     /* 1.5 */
  g_assert_cmpint (dm_center_crop_offset (13, 8), ==, 2);     /* 2.5 */
  g_assert_cmpint (dm_center_crop_offset (256, 225), ==, 16); /* 15.5 */
  g_assert_cmpint (dm_center_crop_offset (257, 224), ==, 16); /* 16.5 */
}

/* Crop coordinates back on the original image: the tire image is 600 x 800,
 * resize 256, crop 224 (offset 16). */
static void
test_geometry (void)
{
  DmCropGeometry g;
  double x, y, w, h;

  dm_crop_geometry_init (&g, 600, 800, 256, 224);
  g_assert_cmpint (g.offset, ==, 16);
  dm_crop_geometry_to_image (&g, 0, 0, &x, &y);
  g_assert_cmpfloat (x, ==, 16 * 600.0 / 256); /* 37.5 */
  g_assert_cmpfloat (y, ==, 50.0);
  dm_crop_geometry_to_image (&g, 224, 224, &x, &y);
  g_assert_cmpfloat (x, ==, 562.5);
  g_assert_cmpfloat (y, ==, 750.0);
  /* Centre of crop pixel (10, 20) = centre of resized pixel (26, 36),
   * which PIL's resize puts at (26.5 * 600 / 256, 36.5 * 800 / 256). */
  dm_crop_geometry_to_image (&g, 10.5, 20.5, &x, &y);
  g_assert_cmpfloat (fabs (x - 26.5 * 600 / 256), <, 1e-12);
  g_assert_cmpfloat (fabs (y - 36.5 * 800 / 256), <, 1e-12);
  dm_crop_geometry_rect (&g, &x, &y, &w, &h);
  g_assert_cmpfloat (x, ==, 37.5);
  g_assert_cmpfloat (y, ==, 50.0);
  g_assert_cmpfloat (w, ==, 525.0);
  g_assert_cmpfloat (h, ==, 700.0);
}

static DmImage *
load_corpus (const char *name, DmImageLoadFlags flags, DmImageInfo *info)
{
  g_autofree char *path = data_path ("corpus", name);
  g_autoptr (GError) error = NULL;
  DmImage *image = dm_image_load_full (path, 0, flags, info, &error);

  g_assert_no_error (error);
  return image;
}

/* A copy of `src` with `channels` channels: gray replicated, or the
 * first channels kept. */
static DmImage *
convert_channels (const DmImage *src, int channels)
{
  g_autoptr (GError) error = NULL;
  DmImage *dst = dm_image_new (src->width, src->height, channels, src->type, &error);
  gsize bps = src->stride / ((gsize)src->width * src->channels);

  g_assert_no_error (error);
  for (int y = 0; y < src->height; y++)
    for (int x = 0; x < src->width; x++)
      for (int c = 0; c < channels; c++)
        memcpy (dst->data + (gsize)y * dst->stride + ((gsize)x * channels + c) * bps,
                src->data + (gsize)y * src->stride
                  + ((gsize)x * src->channels + (src->channels == 1 ? 0 : c)) * bps,
                bps);
  return dst;
}

static void
preprocess_ok (const DmImage *image, int resize, int crop, float *out)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (dm_preprocess_image (image, resize, crop, out, &error));
  g_assert_no_error (error);
}

/* Gray is the same as gray replicated to RGB; alpha is dropped. */
static void
test_channels (void)
{
  static const char *files[]
    = { "png-gray8.png", "png-gray16.png", "png-rgba8.png", "png-rgba16.png", "tiff-float32.tif" };
  const int resize = 50, crop = 42;
  const gsize n = 3 * crop * crop;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr (DmImage) image = load_corpus (files[i], DM_IMAGE_LOAD_DEFAULT, NULL);
      g_autoptr (DmImage) rgb = NULL;
      g_autofree float *a = g_new (float, n);
      g_autofree float *b = g_new (float, n);

      /* the float pattern spans negative values: moved onto the 0..255
       * scale float images are read on (test_float_scale) */
      if (image->type == DM_PIXEL_F32)
        for (int y = 0; y < image->height; y++)
          for (int k = 0; k < image->width * image->channels; k++)
            {
              float *v = (float *)(image->data + (gsize)y * image->stride) + k;
              *v = CLAMP (*v + 128.f, 0.f, 255.f);
            }
      rgb = convert_channels (image, 3);
      preprocess_ok (image, resize, crop, a);
      preprocess_ok (rgb, resize, crop, b);
      g_assert_cmpmem (a, n * sizeof (float), b, n * sizeof (float));
    }
}

/* 16-bit samples are v / 257 on the float path: an 8-bit image scaled by
 * 257 gives exactly what the float path makes of the 8-bit values. */
static void
test_16bit_path (void)
{
  g_autoptr (DmImage) image = load_corpus ("png-rgb8.png", DM_IMAGE_LOAD_DEFAULT, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) wide = dm_image_new (PAT_W, PAT_H, 3, DM_PIXEL_U16, &error);
  g_autoptr (DmImage) flt = dm_image_new (PAT_W, PAT_H, 3, DM_PIXEL_F32, &error);
  const int resize = 64, crop = 56;
  const gsize n = 3 * crop * crop;
  g_autofree float *a = g_new (float, n);
  g_autofree float *b = g_new (float, n);
  g_autofree float *c8 = g_new (float, n);

  for (int y = 0; y < PAT_H; y++)
    for (int i = 0; i < PAT_W * 3; i++)
      {
        guint8 v = image->data[(gsize)y * image->stride + i];

        ((guint16 *)(wide->data + (gsize)y * wide->stride))[i] = (guint16)(v * 257);
        ((float *)(flt->data + (gsize)y * flt->stride))[i] = v;
      }
  preprocess_ok (wide, resize, crop, a);
  preprocess_ok (flt, resize, crop, b);
  preprocess_ok (image, resize, crop, c8);
  g_assert_cmpmem (a, n * sizeof (float), b, n * sizeof (float));
  /* The 8-bit path rounds after each pass, the float path does not: close,
   * not equal (the reason the spec keeps 8-bit images on the 8-bit path). */
  g_assert_cmpfloat (dm_test_max_abs_diff (a, c8, n), <, 1.0 / 255 / 0.224 + 1e-6);
  g_assert_cmpfloat (dm_test_max_abs_diff (a, c8, n), >, 0.0);

  /* Not a number in a float image: an error, not a silent NaN tensor. */
  ((float *)flt->data)[5] = NAN;
  g_assert_false (dm_preprocess_image (flt, resize, crop, b, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_NUMERIC);
}

static void
test_invalid (void)
{
  g_autoptr (DmImage) image = load_corpus ("png-gray8.png", DM_IMAGE_LOAD_DEFAULT, NULL);
  g_autofree char *missing = data_path ("corpus", "missing.png");
  g_autoptr (GError) error = NULL;
  float out[3 * 8 * 8];
  guint8 mask[8 * 8];

  g_assert_false (dm_preprocess_image (image, 8, 9, out, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (dm_preprocess_image (image, 0, 0, out, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (dm_preprocess_mask (image, NULL, 8, 8, 0, mask, NULL, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (dm_preprocess_file (missing, 8, 8, 0, out, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "missing.png"));
}

/* Palette and 1-bit masks are resized with NEAREST (PIL's rule for modes
 * "P" and "1"): every output is a source sample, no soft edges. */
static void
test_mask_nearest (void)
{
  static const char *files[] = { "png-palette4.png", "png-gray1.png", "tiff-gray1.tif" };
  const int resize = 50, crop = 40, out_size = 64;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      DmImageInfo info;
      g_autoptr (DmImage) mask = load_corpus (files[i], DM_IMAGE_LOAD_PALETTE_INDICES, &info);
      g_autoptr (GError) error = NULL;
      g_autofree guint8 *out = g_new (guint8, out_size * out_size);
      g_autofree guint8 *crop_out = g_new (guint8, crop * crop);
      int offset = dm_center_crop_offset (resize, crop);

      g_assert_true (info.palette || info.bits_per_sample == 1);
      g_assert_true (
        dm_preprocess_mask (mask, &info, resize, crop, out_size, out, crop_out, &error));
      g_assert_no_error (error);
      for (int y = 0; y < out_size; y++)
        for (int x = 0; x < out_size; x++)
          {
            int cy = MIN ((int)floor (y * (double)crop / out_size), crop - 1);
            int cx = MIN ((int)floor (x * (double)crop / out_size), crop - 1);
            int sy = (int)((cy + offset + 0.5) * PAT_H / resize);
            int sx = (int)((cx + offset + 0.5) * PAT_W / resize);
            float v = dm_image_get (mask, sx, sy, 0);

            g_assert_cmpfloat (crop_out[cy * crop + cx], ==, v);
            g_assert_cmpuint (out[y * out_size + x], ==, v > 0);
          }
    }
}

/* 16-bit and float masks: thresholded crops; all-zero masks stay zero. */
static void
test_mask_wide (void)
{
  static const char *files[] = { "png-gray16.png", "tiff-float32.tif", "png-rgb8.png" };
  const int resize = 50, crop = 40, out_size = 40;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      DmImageInfo info;
      g_autoptr (DmImage) mask = load_corpus (files[i], DM_IMAGE_LOAD_DEFAULT, &info);
      g_autoptr (GError) error = NULL;
      guint8 out[40 * 40], crop_out[40 * 40];
      guint n_pos = 0;

      /* The top half empty: the crop must have both kinds of pixels. */
      memset (mask->data, 0, mask->stride * (PAT_H / 2));
      g_assert_true (
        dm_preprocess_mask (mask, &info, resize, crop, out_size, out, crop_out, &error));
      g_assert_no_error (error);
      for (int k = 0; k < crop * crop; k++)
        {
          /* out_size == crop: the nearest step is the identity. */
          g_assert_cmpuint (out[k], ==, crop_out[k] > 0);
          if (mask->type != DM_PIXEL_U8)
            g_assert_true (crop_out[k] == 0 || crop_out[k] == 255);
          n_pos += out[k];
        }
      g_assert_cmpuint (n_pos, >, 0);
      g_assert_cmpuint (n_pos, <, 40 * 40);

      memset (mask->data, 0, mask->stride * mask->height);
      g_assert_true (dm_preprocess_mask (mask, &info, resize, crop, out_size, out, NULL, &error));
      for (int k = 0; k < crop * crop; k++)
        g_assert_cmpuint (out[k], ==, 0);
    }
}

/* Float images are on the 0..255 scale: 0..1 images, negative samples and
 * samples over 255 are refused with the reason; 0..255 ones pass. */
static void
test_float_scale (void)
{
  static const struct
  {
    float lo, hi;
    gboolean ok;
    const char *says;
  } cases[] = {
    { 0.f, 255.f, TRUE, NULL },         { 0.f, 0.f, TRUE, NULL },
    { 0.f, 1.f, FALSE, "within 0..1" }, { 0.f, 0.5f, FALSE, "within 0..1" },
    { 0.f, 1000.f, FALSE, "0..255" },   { -3.f, 200.f, FALSE, "0..255" },
  };
  float *out = g_new (float, 3 * 14 * 14);

  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      g_autoptr (DmImage) image = dm_image_new (20, 16, 1, DM_PIXEL_F32, NULL);
      g_autoptr (GError) error = NULL;
      gboolean ok;

      for (int y = 0; y < image->height; y++)
        for (int x = 0; x < image->width; x++)
          ((float *)(image->data + (gsize)y * image->stride))[x]
            = cases[k].lo + (cases[k].hi - cases[k].lo) * (float)(x + y) / (19 + 15);
      ok = dm_preprocess_image (image, 16, 14, out, &error);
      g_test_message ("float %g..%g: %s", cases[k].lo, cases[k].hi,
                      ok ? "accepted" : error->message);
      g_assert_cmpint (ok, ==, cases[k].ok);
      if (!ok)
        {
          g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
          g_assert_nonnull (strstr (error->message, cases[k].says));
        }
    }
  g_free (out);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/preprocess/decoded-jpeg", test_decoded_jpeg);
  g_test_add_func ("/preprocess/reference-input", test_reference_input);
  g_test_add_func ("/preprocess/reference-masks", test_reference_masks);
  g_test_add_func ("/preprocess/center-crop-offset", test_center_crop_offset);
  g_test_add_func ("/preprocess/geometry", test_geometry);
  g_test_add_func ("/preprocess/channels", test_channels);
  g_test_add_func ("/preprocess/16bit-path", test_16bit_path);
  g_test_add_func ("/preprocess/invalid", test_invalid);
  g_test_add_func ("/preprocess/float-scale", test_float_scale);
  g_test_add_func ("/preprocess/mask-nearest", test_mask_nearest);
  g_test_add_func ("/preprocess/mask-wide", test_mask_wide);
  status = g_test_run ();
  dm_test_print_error_summary ();
  return status;
}
