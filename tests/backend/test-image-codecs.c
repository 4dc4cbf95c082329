/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the PNG, TIFF and JPEG decoders and the writers: every variant of
 * the generated corpus value by value, JPEG against PIL's decode, the real
 * datasets, and crafted bad files that must fail with a named, silent
 * error. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dm-error.h"
#include "dm-image.h"
#include "dm-test-util.h"
#include "image-patterns.h"
#include "test-image-bad-files.h"

char *
corpus_path (const char *name)
{
  return g_build_filename (dm_test_srcdir (), "data", "image", "corpus", name, NULL);
}

guint8 *
read_all (const char *path, gsize *size)
{
  g_autoptr (GError) error = NULL;
  char *data = NULL;

  g_file_get_contents (path, &data, size, &error);
  g_assert_no_error (error);
  return (guint8 *)data;
}

/* ---- the corpus, value by value ------------------------------------------ */

typedef double (*ExpectFunc) (int x, int y, int c);

typedef struct
{
  const char *file;
  int channels;
  DmPixelType type;
  ExpectFunc expect;
  int bits; /* DmImageInfo.bits_per_sample */
  gboolean palette;
  gboolean has_alpha;
} CorpusCase;

static double
e_gray1 (int x, int y, int c)
{
  return pat_low (x, y, 1) * 255;
}

static double
e_gray2 (int x, int y, int c)
{
  return pat_low (x, y, 2) * 85;
}

static double
e_gray4 (int x, int y, int c)
{
  return pat_low (x, y, 4) * 17;
}

static double
e_gray4_white (int x, int y, int c)
{
  return (15 - pat_low (x, y, 4)) * 17;
}

static double
e_gray8 (int x, int y, int c)
{
  return pat8 (x, y, 0);
}

static double
e_gray8_white (int x, int y, int c)
{
  return 255 - pat8 (x, y, 0);
}

static double
e_gray16 (int x, int y, int c)
{
  return pat16 (x, y, 0);
}

static double
e_rgb8 (int x, int y, int c)
{
  return pat8 (x, y, c);
}

static double
e_rgb16 (int x, int y, int c)
{
  return pat16 (x, y, c);
}

static double
e_rgba8 (int x, int y, int c)
{
  return c == 3 ? pat_alpha8 (x, y) : pat8 (x, y, c);
}

static double
e_rgba16 (int x, int y, int c)
{
  return c == 3 ? pat_alpha16 (x, y) : pat16 (x, y, c);
}

static double
e_graya8 (int x, int y, int c)
{
  return c == 3 ? pat_alpha8 (x, y) : pat8 (x, y, 0);
}

static double
e_graya16 (int x, int y, int c)
{
  return c == 3 ? pat_alpha16 (x, y) : pat16 (x, y, 0);
}

static double
e_gray8_trns (int x, int y, int c)
{
  return c == 3 ? (pat8 (x, y, 0) == pat_key (0, 8) ? 0 : 255) : pat8 (x, y, 0);
}

static double
e_rgb8_trns (int x, int y, int c)
{
  gboolean key = pat8 (x, y, 0) == pat_key (0, 8) && pat8 (x, y, 1) == pat_key (1, 8)
                 && pat8 (x, y, 2) == pat_key (2, 8);

  return c == 3 ? (key ? 0 : 255) : pat8 (x, y, c);
}

static double
e_pal1 (int x, int y, int c)
{
  return pat_pal (pat_index (x, y, 1), c);
}

static double
e_pal4 (int x, int y, int c)
{
  return pat_pal (pat_index (x, y, 4), c);
}

static double
e_pal8 (int x, int y, int c)
{
  return pat_pal (pat_index (x, y, 8), c);
}

static double
e_pal8_trns (int x, int y, int c)
{
  int i = pat_index (x, y, 8);

  return c == 3 ? pat_pal_alpha (i) : pat_pal (i, c);
}

static double
e_float (int x, int y, int c)
{
  return patf (x, y, c);
}

static const CorpusCase corpus_cases[] = {
  { "png-gray1.png", 1, DM_PIXEL_U8, e_gray1, 1 },
  { "png-gray2.png", 1, DM_PIXEL_U8, e_gray2, 2 },
  { "png-gray4.png", 1, DM_PIXEL_U8, e_gray4, 4 },
  { "png-gray8.png", 1, DM_PIXEL_U8, e_gray8, 8 },
  { "png-gray16.png", 1, DM_PIXEL_U16, e_gray16, 16 },
  { "png-gray16-interlaced.png", 1, DM_PIXEL_U16, e_gray16, 16 },
  { "png-gray8-trns.png", 4, DM_PIXEL_U8, e_gray8_trns, 8, FALSE, TRUE },
  { "png-graya8.png", 4, DM_PIXEL_U8, e_graya8, 8, FALSE, TRUE },
  { "png-graya16.png", 4, DM_PIXEL_U16, e_graya16, 16, FALSE, TRUE },
  { "png-rgb8.png", 3, DM_PIXEL_U8, e_rgb8, 8 },
  { "png-rgb8-interlaced.png", 3, DM_PIXEL_U8, e_rgb8, 8 },
  { "png-rgb16.png", 3, DM_PIXEL_U16, e_rgb16, 16 },
  { "png-rgb8-trns.png", 4, DM_PIXEL_U8, e_rgb8_trns, 8, FALSE, TRUE },
  { "png-rgba8.png", 4, DM_PIXEL_U8, e_rgba8, 8, FALSE, TRUE },
  { "png-rgba16.png", 4, DM_PIXEL_U16, e_rgba16, 16, FALSE, TRUE },
  { "png-palette1.png", 3, DM_PIXEL_U8, e_pal1, 1, TRUE },
  { "png-palette4.png", 3, DM_PIXEL_U8, e_pal4, 4, TRUE },
  { "png-palette4-interlaced.png", 3, DM_PIXEL_U8, e_pal4, 4, TRUE },
  { "png-palette8.png", 3, DM_PIXEL_U8, e_pal8, 8, TRUE },
  { "png-palette8-trns.png", 4, DM_PIXEL_U8, e_pal8_trns, 8, TRUE, TRUE },
  { "tiff-gray1.tif", 1, DM_PIXEL_U8, e_gray1, 1 },
  { "tiff-gray4-miniswhite.tif", 1, DM_PIXEL_U8, e_gray4_white, 4 },
  { "tiff-gray8.tif", 1, DM_PIXEL_U8, e_gray8, 8 },
  { "tiff-gray8-miniswhite.tif", 1, DM_PIXEL_U8, e_gray8_white, 8 },
  { "tiff-gray16.tif", 1, DM_PIXEL_U16, e_gray16, 16 },
  { "tiff-gray16-be.tif", 1, DM_PIXEL_U16, e_gray16, 16 },
  { "tiff-gray16-deflate.tif", 1, DM_PIXEL_U16, e_gray16, 16 },
  { "tiff-graya8.tif", 4, DM_PIXEL_U8, e_graya8, 8, FALSE, TRUE },
  { "tiff-gray16-tiled-planar-lzw.tif", 4, DM_PIXEL_U16, e_graya16, 16, FALSE, TRUE },
  { "tiff-rgb8.tif", 3, DM_PIXEL_U8, e_rgb8, 8 },
  { "tiff-rgb8-planar.tif", 3, DM_PIXEL_U8, e_rgb8, 8 },
  { "tiff-rgb8-tiled.tif", 3, DM_PIXEL_U8, e_rgb8, 8 },
  { "tiff-rgb8-lzw.tif", 3, DM_PIXEL_U8, e_rgb8, 8 },
  { "tiff-rgb8-packbits.tif", 3, DM_PIXEL_U8, e_rgb8, 8 },
  { "tiff-rgb16.tif", 3, DM_PIXEL_U16, e_rgb16, 16 },
  { "tiff-rgb16-be.tif", 3, DM_PIXEL_U16, e_rgb16, 16 },
  { "tiff-rgba8.tif", 4, DM_PIXEL_U8, e_rgba8, 8, FALSE, TRUE },
  { "tiff-rgba16-planar.tif", 4, DM_PIXEL_U16, e_rgba16, 16, FALSE, TRUE },
  { "tiff-float32.tif", 1, DM_PIXEL_F32, e_float, 32 },
  { "tiff-float32-rgb-deflate-pred3.tif", 3, DM_PIXEL_F32, e_float, 32 },
  { "tiff-palette8.tif", 3, DM_PIXEL_U8, e_pal8, 8, TRUE },
  { "tiff-multipage.tif", 1, DM_PIXEL_U8, e_gray8, 8 },
};

static void
test_corpus_values (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (corpus_cases); i++)
    {
      const CorpusCase *k = &corpus_cases[i];
      g_autofree char *path = corpus_path (k->file);
      g_autoptr (GError) error = NULL;
      g_autoptr (DmImage) image = NULL;
      DmImageInfo info;

      g_test_message ("%s", k->file);
      image = dm_image_load_full (path, 0, DM_IMAGE_LOAD_DEFAULT, &info, &error);
      g_assert_no_error (error);
      g_assert_nonnull (image);
      g_assert_cmpint (image->width, ==, PAT_W);
      g_assert_cmpint (image->height, ==, PAT_H);
      g_assert_cmpint (image->channels, ==, k->channels);
      g_assert_cmpint (image->type, ==, k->type);
      g_assert_cmpint (info.bits_per_sample, ==, k->bits);
      g_assert_cmpint (info.palette, ==, k->palette);
      g_assert_cmpint (info.has_alpha, ==, k->has_alpha);
      g_assert_cmpint (info.format, ==,
                       k->file[0] == 'p' ? DM_IMAGE_FORMAT_PNG : DM_IMAGE_FORMAT_TIFF);
      /* the first page is read; the count says there is more */
      g_assert_cmpint (info.n_pages, ==, strstr (k->file, "multipage") != NULL ? 2 : 1);
      g_assert_cmpint (info.n_warnings, ==, 0);
      for (int y = 0; y < PAT_H; y++)
        for (int x = 0; x < PAT_W; x++)
          for (int c = 0; c < k->channels; c++)
            {
              double want = k->expect (x, y, c);
              float got = dm_image_get (image, x, y, c);

              if (k->type == DM_PIXEL_F32)
                want = (float)want;
              if (got != want)
                g_error ("%s: (%d, %d, %d) = %g, expected %g", k->file, x, y, c, got, want);
            }
    }
}

/* Palette files can keep their indices (PIL's mode "P", for masks). */
static void
test_palette_indices (void)
{
  static const struct
  {
    const char *file;
    int bits;
  } cases[] = { { "png-palette1.png", 1 },
                { "png-palette4.png", 4 },
                { "png-palette4-interlaced.png", 4 },
                { "png-palette8-trns.png", 8 },
                { "tiff-palette8.tif", 8 } };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = corpus_path (cases[i].file);
      g_autoptr (GError) error = NULL;
      g_autoptr (DmImage) image = NULL;
      DmImageInfo info;

      image = dm_image_load_full (path, 0, DM_IMAGE_LOAD_PALETTE_INDICES, &info, &error);
      g_assert_no_error (error);
      g_assert_cmpint (image->channels, ==, 1);
      g_assert_true (info.palette);
      for (int y = 0; y < PAT_H; y++)
        for (int x = 0; x < PAT_W; x++)
          g_assert_cmpfloat (dm_image_get (image, x, y, 0), ==, pat_index (x, y, cases[i].bits));
    }
}

/* JPEG-compressed TIFF is lossy: the content must be close to the pattern. */
static void
test_tiff_jpeg (void)
{
  static const char *files[] = { "tiff-gray8-jpeg.tif", "tiff-rgb8-jpeg.tif" };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = corpus_path (files[i]);
      g_autoptr (GError) error = NULL;
      g_autoptr (DmImage) image = dm_image_load (path, 0, &error);
      double sum = 0;
      int n = 0;

      g_assert_no_error (error);
      g_assert_cmpint (image->width, ==, PAT_W);
      g_assert_cmpint (image->height, ==, PAT_H);
      g_assert_cmpint (image->channels, ==, i == 0 ? 1 : 3);
      for (int y = 0; y < PAT_H; y++)
        for (int x = 0; x < PAT_W; x++)
          for (int c = 0; c < image->channels; c++, n++)
            sum += fabs (dm_image_get (image, x, y, c) - pat_smooth (x, y, c));
      g_test_message ("%s: mean abs error %.2f", files[i], sum / n);
      g_assert_cmpfloat (sum / n, <, 3.0);
    }
}

/* JPEG pixels must be PIL's, bit for bit (libjpeg-turbo defaults; CMYK and
 * YCCK through PIL's conversion). */
static void
test_jpeg_matches_pil (void)
{
  static const struct
  {
    const char *file;
    int channels;
  } cases[] = { { "jpeg-gray.jpg", 1 }, { "jpeg-gray-progressive.jpg", 1 },
                { "jpeg-rgb.jpg", 3 },  { "jpeg-rgb-progressive.jpg", 3 },
                { "jpeg-cmyk.jpg", 3 }, { "jpeg-ycck.jpg", 3 } };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = corpus_path (cases[i].file);
      g_autofree char *raw_name = g_strconcat (cases[i].file, ".raw", NULL);
      g_autofree char *raw_path
        = g_build_filename (dm_test_srcdir (), "data", "image", "expected", "pil", raw_name, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (DmImage) image = NULL;
      g_autofree guint8 *want = NULL;
      DmImageInfo info;
      gsize size;

      image = dm_image_load_full (path, 0, DM_IMAGE_LOAD_DEFAULT, &info, &error);
      g_assert_no_error (error);
      g_assert_cmpint (info.format, ==, DM_IMAGE_FORMAT_JPEG);
      g_assert_cmpint (image->channels, ==, cases[i].channels);
      g_assert_cmpint (image->type, ==, DM_PIXEL_U8);
      want = read_all (raw_path, &size);
      g_assert_cmpuint (size, ==, (gsize)PAT_W * PAT_H * cases[i].channels);
      g_assert_cmpuint (image->stride, ==, (gsize)PAT_W * cases[i].channels);
      if (memcmp (image->data, want, size) != 0)
        g_error ("%s differs from PIL's decode", cases[i].file);
    }
}

/* ---- the real datasets ------------------------------------------------------ */

static void
decode_tree (const char *dir, guint *n_files, guint64 *n_pixels)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        decode_tree (path, n_files, n_pixels);
      else if (g_str_has_suffix (name, ".png") || g_str_has_suffix (name, ".jpg"))
        {
          g_autoptr (GError) error = NULL;
          g_autoptr (DmImage) image = dm_image_load (path, 0, &error);

          g_assert_no_error (error);
          g_assert_true (image->width > 0 && image->height > 0);
          g_assert_true (image->channels == 1 || image->channels == 3);
          g_assert_cmpint (image->type, ==, DM_PIXEL_U8);
          (*n_files)++;
          *n_pixels += (guint64)image->width * image->height;
        }
    }
}

static void
test_datasets (void)
{
  const char *shared = dm_test_shared_dir ();
  g_autofree char *data = NULL;
  guint n_files = 0;
  guint64 n_pixels = 0;
  gint64 t0;

  if (shared == NULL)
    {
      g_test_skip ("../shared is absent");
      return;
    }
  data = g_build_filename (shared, "data", NULL);
  if (!g_file_test (data, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("../shared/data is absent");
      return;
    }
  t0 = g_get_monotonic_time ();
  decode_tree (data, &n_files, &n_pixels);
  g_test_message ("decoded %u dataset images (%.1f megapixels) in %.2f s", n_files, n_pixels / 1e6,
                  (g_get_monotonic_time () - t0) / 1e6);
  printf ("# datasets: %u images, %.1f MP, %.2f s\n", n_files, n_pixels / 1e6,
          (g_get_monotonic_time () - t0) / 1e6);
  g_assert_cmpuint (n_files, >, 0);
}

/* The metrics test vectors' maps are float TIFFs as the writer makes them. */
static void
test_testvector_float_map (void)
{
  const char *shared = dm_test_shared_dir ();
  g_autofree char *dir = NULL;
  g_autoptr (GDir) d = NULL;
  const char *name;
  guint n = 0;

  if (shared == NULL)
    {
      g_test_skip ("../shared is absent");
      return;
    }
  dir = g_build_filename (shared, "testvectors", "metrics", "case1", "maps", NULL);
  d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    {
      g_test_skip ("no metrics maps");
      return;
    }
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (DmImage) image = dm_image_load (path, 0, &error);

      g_assert_no_error (error);
      g_assert_cmpint (image->type, ==, DM_PIXEL_F32);
      g_assert_cmpint (image->channels, ==, 1);
      g_assert_cmpint (image->width, ==, 64);
      n++;
    }
  g_assert_cmpuint (n, >, 0);
}

/* ---- writers ---------------------------------------------------------------- */

static void
assert_no_temp_files (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (d)) != NULL)
    g_assert_false (name[0] == '.');
}

static void
test_write_png_roundtrip (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "out.png", NULL);
  static const int channels[] = { 1, 3, 4 };

  for (int t = 0; t < 2; t++)
    for (guint k = 0; k < G_N_ELEMENTS (channels); k++)
      {
        DmPixelType type = t == 0 ? DM_PIXEL_U8 : DM_PIXEL_U16;
        g_autoptr (GError) error = NULL;
        g_autoptr (DmImage) image = dm_image_new (PAT_W, PAT_H, channels[k], type, &error);
        g_autoptr (DmImage) back = NULL;

        g_assert_no_error (error);
        for (int y = 0; y < PAT_H; y++)
          for (int x = 0; x < PAT_W; x++)
            for (int c = 0; c < channels[k]; c++)
              {
                gsize i = (gsize)x * channels[k] + c;

                if (type == DM_PIXEL_U8)
                  image->data[(gsize)y * image->stride + i] = (guint8)pat8 (x, y, c);
                else
                  ((guint16 *)(image->data + (gsize)y * image->stride))[i]
                    = (guint16)pat16 (x, y, c);
              }
        /* Written twice: the second replaces the first. */
        g_assert_true (dm_image_save_png (image, path, &error));
        g_assert_true (dm_image_save_png (image, path, &error));
        g_assert_no_error (error);
        back = dm_image_load (path, 0, &error);
        g_assert_no_error (error);
        g_assert_cmpint (back->channels, ==, channels[k]);
        g_assert_cmpint (back->type, ==, type);
        g_assert_cmpuint (back->stride, ==, image->stride);
        g_assert_cmpmem (back->data, back->stride * back->height, image->data,
                         image->stride * image->height);
      }
  assert_no_temp_files (dir);
}

static void
test_write_tiff_roundtrip (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "map.tiff", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) back = NULL;
  const int w = 19, h = 7;
  float data[19 * 7];

  dm_test_fill_uniform (data, G_N_ELEMENTS (data), -3.0f, 5.0f, 42);
  data[0] = -0.0f;
  data[1] = 1e-40f; /* subnormal */
  data[2] = 3.4e38f;
  data[3] = 1.0f / 3.0f;
  g_assert_true (dm_image_save_tiff_f32 (data, w, h, path, &error));
  g_assert_no_error (error);
  back = dm_image_load (path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->type, ==, DM_PIXEL_F32);
  g_assert_cmpint (back->channels, ==, 1);
  g_assert_cmpint (back->width, ==, w);
  g_assert_cmpint (back->height, ==, h);
  g_assert_cmpmem (back->data, (gsize)w * h * 4, data, sizeof data);
  assert_no_temp_files (dir);
}

static void
test_write_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) image = dm_image_new (4, 4, 1, DM_PIXEL_F32, &error);
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *missing = g_build_filename (dir, "no-such-folder", "out.png", NULL);
  g_autofree char *ok = g_build_filename (dir, "out.png", NULL);
  float data[4] = { 0 };

  g_assert_false (dm_image_save_png (image, ok, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "out.png"));
  g_clear_error (&error);

  image->type = DM_PIXEL_U8;
  g_assert_false (dm_image_save_png (image, missing, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "no-such-folder"));
  g_clear_error (&error);
  g_assert_false (dm_image_save_tiff_f32 (data, 2, 2, missing, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "out.png"));
  g_clear_error (&error);
  g_assert_false (g_file_test (ok, G_FILE_TEST_EXISTS));
}

/* ---- API basics ------------------------------------------------------------- */

static void
test_api (void)
{
  static const guint8 png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) image = NULL;
  g_autofree char *path = corpus_path ("png-rgb8.png");
  g_autofree guint8 *bytes = NULL;
  gsize size;

  g_assert_cmpint (dm_image_sniff (png_magic, 8), ==, DM_IMAGE_FORMAT_PNG);
  g_assert_cmpint (dm_image_sniff ((const guint8 *)"II*\0", 4), ==, DM_IMAGE_FORMAT_TIFF);
  g_assert_cmpint (dm_image_sniff ((const guint8 *)"MM\0*", 4), ==, DM_IMAGE_FORMAT_TIFF);
  g_assert_cmpint (dm_image_sniff ((const guint8 *)"\xff\xd8\xff", 3), ==, DM_IMAGE_FORMAT_JPEG);
  g_assert_cmpint (dm_image_sniff ((const guint8 *)"GIF89a", 6), ==, DM_IMAGE_FORMAT_UNKNOWN);
  g_assert_cmpint (dm_image_sniff (png_magic, 7), ==, DM_IMAGE_FORMAT_UNKNOWN);

  image = dm_image_new (0, 3, 1, DM_PIXEL_U8, &error);
  g_assert_null (image);
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);
  image = dm_image_new (3, 3, 2, DM_PIXEL_U8, &error);
  g_assert_null (image);
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);
  image = dm_image_new (5, 3, 3, DM_PIXEL_U16, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (image->stride, ==, 30);
  g_clear_pointer (&image, dm_image_free);

  bytes = read_all (path, &size);
  image = dm_image_load_from_bytes (bytes, size, "memory.png", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (dm_image_get (image, 3, 4, 2), ==, pat8 (3, 4, 2));
  g_clear_pointer (&image, dm_image_free);
  /* The ceiling applies from bytes too. */
  image = dm_image_load_from_bytes (bytes, size, "memory.png", 100, &error);
  g_assert_null (image);
  g_assert_error (error, DM_ERROR, DM_ERROR_TOO_LARGE);
  g_assert_true (g_str_has_prefix (error->message, "memory.png: "));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/api", test_api);
  g_test_add_func ("/image/corpus-values", test_corpus_values);
  g_test_add_func ("/image/palette-indices", test_palette_indices);
  g_test_add_func ("/image/tiff-jpeg", test_tiff_jpeg);
  g_test_add_func ("/image/jpeg-matches-pil", test_jpeg_matches_pil);
  g_test_add_func ("/image/bad-files", test_bad_files);
  g_test_add_func ("/image/write-png", test_write_png_roundtrip);
  g_test_add_func ("/image/write-tiff", test_write_tiff_roundtrip);
  g_test_add_func ("/image/write-errors", test_write_errors);
  g_test_add_func ("/image/testvector-float-map", test_testvector_float_map);
  g_test_add_func ("/image/datasets", test_datasets);
  return g_test_run ();
}
