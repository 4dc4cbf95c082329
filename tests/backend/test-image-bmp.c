/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The BMP decoder and header probe on generated files of known pixels:
 * every header size, palette depths (gray and colour, PIL's gray identity
 * and indices for masks), 16/24/32 bits with and without bit fields,
 * bottom-up and top-down; and bad files, each refused with a DM_ERROR that
 * names the file and says what is wrong. */
#include <string.h>

#include "dm-error.h"
#include "dm-image-header.h"
#include "dm-image.h"
#include "dm-test-util.h"
#include "test-bmp-writer.h"

#define W 13 /* odd: rows need padding at every depth */
#define H 6

static guint8 colour_palette[16 * 3];
static guint8 gray17_palette[16 * 3];
static guint8 identity_palette[256 * 3];
static const guint8 bw_palette[2 * 3] = { 0, 0, 0, 255, 255, 255 };
static const guint8 rb_palette[2 * 3] = { 255, 0, 0, 0, 0, 255 };

static void
init_palettes (void)
{
  for (int i = 0; i < 16; i++)
    {
      colour_palette[i * 3] = (guint8)(i * 16);
      colour_palette[i * 3 + 1] = (guint8)(255 - i * 8);
      colour_palette[i * 3 + 2] = (guint8)(i * 5 + 3);
      gray17_palette[i * 3] = gray17_palette[i * 3 + 1] = gray17_palette[i * 3 + 2]
        = (guint8)(i * 17);
    }
  for (int i = 0; i < 256; i++)
    identity_palette[i * 3] = identity_palette[i * 3 + 1] = identity_palette[i * 3 + 2] = (guint8)i;
}

/* Pixel functions: the raw values the files hold. */
static guint32
index_pixel (int x, int y, gpointer data)
{
  guint n = GPOINTER_TO_UINT (data);

  return (guint32)(x + 3 * y) % n;
}

static guint32
rgb_pixel (int x, int y, gpointer data)
{
  return (guint32)((x * 19 + y * 7) & 255) << 16 | (guint32)((x * 3 + y * 41) & 255) << 8
         | (guint32)((255 - x * 11 - y) & 255);
}

static guint32
word_pixel (int x, int y, gpointer data)
{
  return (guint32)(x * 2654435761u + (guint32)y * 40503u + 12345u);
}

static DmImage *
decode (const TestBmp *spec, DmImageLoadFlags flags, DmImageInfo *info, GError **error)
{
  g_autoptr (GByteArray) bytes = test_bmp_build (spec);

  return dm_image_load_from_bytes_full (bytes->data, bytes->len, "test.bmp", 0, flags, info, error);
}

static DmImage *
decode_ok (const TestBmp *spec, DmImageLoadFlags flags, DmImageInfo *info)
{
  g_autoptr (GError) error = NULL;
  DmImage *image = decode (spec, flags, info, &error);

  g_assert_no_error (error);
  g_assert_nonnull (image);
  g_assert_cmpint (info->format, ==, DM_IMAGE_FORMAT_BMP);
  g_assert_cmpint (image->width, ==, spec->width);
  g_assert_cmpint (image->height, ==, ABS (spec->height));
  g_assert_cmpint (image->type, ==, DM_PIXEL_U8);
  return image;
}

static guint8
px (const DmImage *im, int x, int y, int c)
{
  return im->data[(gsize)y * im->stride + (gsize)x * im->channels + c];
}

static void
test_rgb24 (void)
{
  for (int top_down = 0; top_down < 2; top_down++)
    for (int k = 0; k < 3; k++)
      {
        static const int sizes[] = { 12, 40, 124 };
        TestBmp spec = { .header_size = sizes[k],
                         .width = W,
                         .height = top_down ? -H : H,
                         .bits = 24,
                         .pixel = rgb_pixel };
        DmImageInfo info;
        g_autoptr (DmImage) im = NULL;

        if (sizes[k] == 12 && top_down)
          continue; /* the CORE header's height is unsigned */
        im = decode_ok (&spec, DM_IMAGE_LOAD_DEFAULT, &info);
        g_assert_cmpint (im->channels, ==, 3);
        g_assert_cmpint (info.bits_per_sample, ==, 8);
        g_assert_cmpint (info.samples_per_pixel, ==, 3);
        g_assert_false (info.palette);
        for (int y = 0; y < H; y++)
          for (int x = 0; x < W; x++)
            {
              guint32 v = rgb_pixel (x, y, NULL);

              g_assert_cmpuint (px (im, x, y, 0), ==, (v >> 16) & 255);
              g_assert_cmpuint (px (im, x, y, 1), ==, (v >> 8) & 255);
              g_assert_cmpuint (px (im, x, y, 2), ==, v & 255);
            }
      }
}

static void
check_palette_image (const DmImage *im, const guint8 *palette, guint n, gboolean gray)
{
  g_assert_cmpint (im->channels, ==, gray ? 1 : 3);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        guint i = index_pixel (x, y, GUINT_TO_POINTER (n));

        for (int c = 0; c < im->channels; c++)
          g_assert_cmpuint (px (im, x, y, c), ==, palette[i * 3 + c]);
      }
}

static void
check_indices (const DmImage *im, guint n)
{
  g_assert_cmpint (im->channels, ==, 1);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      g_assert_cmpuint (px (im, x, y, 0), ==, index_pixel (x, y, GUINT_TO_POINTER (n)));
}

static void
test_palettes (void)
{
  static const int bits[] = { 1, 4, 8 };

  for (int b = 0; b < 3; b++)
    for (int header = 0; header < 2; header++)
      {
        guint n = bits[b] == 1 ? 2 : 16;
        TestBmp spec = { .header_size = header ? 12 : 40,
                         .width = W,
                         .height = H,
                         .bits = bits[b],
                         .n_colors = n,
                         .palette = colour_palette,
                         .pixel = index_pixel,
                         .data = GUINT_TO_POINTER (n) };
        DmImageInfo info;
        g_autoptr (DmImage) rgb = NULL, indices = NULL;

        if (header && bits[b] == 8)
          continue; /* CORE has no "colours used": 256 entries would be needed */
        if (header && bits[b] == 1)
          spec.n_colors = 2;
        if (header && bits[b] == 4)
          spec.n_colors = 16;
        /* a colour palette: RGB, or the indices as PIL's mode "P" */
        rgb = decode_ok (&spec, DM_IMAGE_LOAD_DEFAULT, &info);
        g_assert_true (info.palette);
        g_assert_cmpint (info.bits_per_sample, ==, bits[b]);
        check_palette_image (rgb, colour_palette, n, FALSE);
        indices = decode_ok (&spec, DM_IMAGE_LOAD_PALETTE_INDICES, &info);
        check_indices (indices, n);
      }
}

static void
test_gray_palettes (void)
{
  DmImageInfo info;

  /* 8 bits with the identity palette: PIL's mode "L", gray values, no palette */
  {
    TestBmp spec = { .header_size = 40,
                     .width = W,
                     .height = H,
                     .bits = 8,
                     .n_colors = 256,
                     .palette = identity_palette,
                     .pixel = index_pixel,
                     .data = GUINT_TO_POINTER (256) };
    g_autoptr (DmImage) a = decode_ok (&spec, DM_IMAGE_LOAD_DEFAULT, &info);
    g_autoptr (DmImage) b = NULL;

    g_assert_false (info.palette);
    g_assert_cmpint (info.bits_per_sample, ==, 8);
    check_palette_image (a, identity_palette, 256, TRUE);
    b = decode_ok (&spec, DM_IMAGE_LOAD_PALETTE_INDICES, &info);
    g_assert_false (info.palette);
    check_palette_image (b, identity_palette, 256, TRUE);
  }
  /* a gray palette that is not the identity: gray, but a palette for masks */
  {
    TestBmp spec = { .header_size = 40,
                     .width = W,
                     .height = -H,
                     .bits = 4,
                     .n_colors = 16,
                     .palette = gray17_palette,
                     .pixel = index_pixel,
                     .data = GUINT_TO_POINTER (16) };
    g_autoptr (DmImage) a = decode_ok (&spec, DM_IMAGE_LOAD_DEFAULT, &info);
    g_autoptr (DmImage) b = NULL;

    g_assert_true (info.palette);
    check_palette_image (a, gray17_palette, 16, TRUE);
    b = decode_ok (&spec, DM_IMAGE_LOAD_PALETTE_INDICES, &info);
    check_indices (b, 16);
  }
  /* 1 bit, black and white: PIL's mode "1" (masks resized by nearest) */
  {
    TestBmp spec = { .header_size = 40,
                     .width = W,
                     .height = H,
                     .bits = 1,
                     .n_colors = 2,
                     .palette = bw_palette,
                     .pixel = index_pixel,
                     .data = GUINT_TO_POINTER (2) };
    g_autoptr (DmImage) a = decode_ok (&spec, DM_IMAGE_LOAD_PALETTE_INDICES, &info);

    g_assert_false (info.palette);
    g_assert_cmpint (info.bits_per_sample, ==, 1);
    check_palette_image (a, bw_palette, 2, TRUE);
  }
  /* 1 bit, red and blue: colour */
  {
    TestBmp spec = { .header_size = 40,
                     .width = W,
                     .height = H,
                     .bits = 1,
                     .n_colors = 2,
                     .palette = rb_palette,
                     .pixel = index_pixel,
                     .data = GUINT_TO_POINTER (2) };
    g_autoptr (DmImage) a = decode_ok (&spec, DM_IMAGE_LOAD_DEFAULT, &info);

    g_assert_true (info.palette);
    check_palette_image (a, rb_palette, 2, FALSE);
  }
}

/* What a field of `width` bits becomes in 8 bits: PIL's v * 255 / max. */
static guint
expand (guint32 v, int width)
{
  switch (width)
    {
    case 5: return v * 255 / 31;
    case 6: return v * 255 / 63;
    case 8: return v;
    case 10: return v * 255 / 1023;
    case 2: return v * 85;
    default: g_assert_not_reached (); return 0;
    }
}

typedef struct
{
  int header_size, bits;
  guint32 compression;
  guint32 masks[4];
  int widths[4]; /* 0: no such channel */
} DirectCase;

static void
test_direct (void)
{
  static const DirectCase cases[] = {
    /* 16 bits BI_RGB: 5-5-5 */
    { 40, 16, 0, { 0x7c00, 0x03e0, 0x001f, 0 }, { 5, 5, 5, 0 } },
    /* 5-6-5 after an INFO header, and inside a V3 header */
    { 40, 16, 3, { 0xf800, 0x07e0, 0x001f, 0 }, { 5, 6, 5, 0 } },
    { 56, 16, 3, { 0xf800, 0x07e0, 0x001f, 0 }, { 5, 6, 5, 0 } },
    /* 32 bits BI_RGB: BGRX, the fourth byte ignored even with an alpha mask in V5 */
    { 124, 32, 0, { 0xff0000, 0xff00, 0xff, 0xff000000 }, { 8, 8, 8, 0 } },
    /* 32 bits with bit fields and alpha (V4), and 10-10-10-2 */
    { 108, 32, 3, { 0xff0000, 0xff00, 0xff, 0xff000000 }, { 8, 8, 8, 8 } },
    { 124, 32, 3, { 0x3ff00000, 0x000ffc00, 0x000003ff, 0xc0000000 }, { 10, 10, 10, 2 } },
    /* BI_ALPHABITFIELDS after an INFO header; R and B swapped */
    { 40, 32, 6, { 0xff, 0xff00, 0xff0000, 0xff000000 }, { 8, 8, 8, 8 } },
  };

  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      const DirectCase *c = &cases[k];
      TestBmp spec = { .header_size = c->header_size,
                       .width = W,
                       .height = k % 2 ? -H : H,
                       .bits = c->bits,
                       .compression = c->compression,
                       .pixel = word_pixel };
      int channels = c->widths[3] ? 4 : 3;
      DmImageInfo info;
      g_autoptr (DmImage) im = NULL;

      memcpy (spec.masks, c->masks, sizeof spec.masks);
      im = decode_ok (&spec, DM_IMAGE_LOAD_DEFAULT, &info);
      g_assert_cmpint (im->channels, ==, channels);
      g_assert_cmpint (info.has_alpha, ==, channels == 4);
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          {
            guint32 v = word_pixel (x, y, NULL) & (c->bits == 16 ? 0xffff : 0xffffffff);

            for (int ch = 0; ch < channels; ch++)
              {
                guint32 m = c->masks[ch];
                guint32 field = (v & m) >> __builtin_ctz (m);

                g_assert_cmpuint (px (im, x, y, ch), ==, expand (field, c->widths[ch]));
              }
          }
    }
}

/* The header probe reads the same size as the decoder, without decoding. */
static void
test_header (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  static const int sizes[] = { 12, 40, 56, 108, 124 };

  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
    {
      TestBmp spec = { .header_size = sizes[k],
                       .width = 300 + (int)k,
                       .height = sizes[k] == 12 ? 7 : -7,
                       .bits = 24,
                       .pixel = rgb_pixel };
      g_autoptr (GByteArray) bytes = test_bmp_build (&spec);
      g_autofree char *name = g_strdup_printf ("h%d.bmp", sizes[k]);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr (GError) error = NULL;
      DmImageHeader header;

      g_assert_true (g_file_set_contents (path, (const char *)bytes->data, bytes->len, NULL));
      g_assert_true (dm_image_read_header (path, &header, &error));
      g_assert_no_error (error);
      g_assert_cmpint (header.format, ==, DM_IMAGE_FORMAT_BMP);
      g_assert_cmpint (header.width, ==, 300 + (int)k);
      g_assert_cmpint (header.height, ==, 7);
    }
}

static void
test_sniff (void)
{
  TestBmp spec = { .header_size = 40, .width = 2, .height = 2, .bits = 24, .pixel = rgb_pixel };
  g_autoptr (GByteArray) bytes = test_bmp_build (&spec);
  guint8 odd[32];

  g_assert_cmpint (dm_image_sniff (bytes->data, bytes->len), ==, DM_IMAGE_FORMAT_BMP);
  g_assert_cmpint (dm_image_sniff (bytes->data, DM_IMAGE_SNIFF_BYTES), ==, DM_IMAGE_FORMAT_BMP);
  g_assert_cmpint (dm_image_sniff (bytes->data, 17), ==, DM_IMAGE_FORMAT_UNKNOWN);
  /* "BM" followed by text is no bitmap */
  g_assert_cmpint (dm_image_sniff ((const guint8 *)"BMW 320i, 1987, red, 160,000 km", 31), ==,
                   DM_IMAGE_FORMAT_UNKNOWN);
  memcpy (odd, bytes->data, sizeof odd);
  odd[14] = 41;
  g_assert_cmpint (dm_image_sniff (odd, sizeof odd), ==, DM_IMAGE_FORMAT_UNKNOWN);
}

/* ---- bad files ------------------------------------------------------------ */

static guint32
le32_at (const GByteArray *b, gsize at)
{
  return (guint32)b->data[at] | (guint32)b->data[at + 1] << 8 | (guint32)b->data[at + 2] << 16
         | (guint32)b->data[at + 3] << 24;
}

static void
set_le32 (GByteArray *b, gsize at, guint32 v)
{
  for (int k = 0; k < 4; k++)
    b->data[at + k] = (guint8)(v >> (8 * k));
}

static void
expect_failure (GByteArray *bytes, int code, const char *part)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) im = NULL;
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "bad.bmp", NULL);
  DmImageInfo info;

  im = dm_image_load_from_bytes_full (bytes->data, bytes->len, "bad.bmp", 0, DM_IMAGE_LOAD_DEFAULT,
                                      &info, &error);
  g_assert_null (im);
  g_assert_error (error, DM_ERROR, code);
  g_assert_true (g_str_has_prefix (error->message, "bad.bmp: "));
  dm_test_assert_has (error->message, part);

  /* from a file too: the path is named */
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (path, (const char *)bytes->data, bytes->len, NULL));
  im = dm_image_load (path, 0, &error);
  g_assert_null (im);
  g_assert_error (error, DM_ERROR, code);
  dm_test_assert_has (error->message, path);
}

static GByteArray *
good_rgb (void)
{
  TestBmp spec = { .header_size = 40, .width = W, .height = H, .bits = 24, .pixel = rgb_pixel };

  return test_bmp_build (&spec);
}

static GByteArray *
good_palette (guint n_colors, guint index_modulus)
{
  TestBmp spec = { .header_size = 40,
                   .width = W,
                   .height = H,
                   .bits = 4,
                   .n_colors = n_colors,
                   .palette = colour_palette,
                   .pixel = index_pixel,
                   .data = GUINT_TO_POINTER (index_modulus) };

  return test_bmp_build (&spec);
}

static void
test_bad_files (void)
{
  GByteArray *b;

  /* truncated pixel data, header, file header */
  b = good_rgb ();
  g_byte_array_set_size (b, b->len - 5);
  expect_failure (b, DM_ERROR_CORRUPT, "truncated BMP pixel data");
  g_byte_array_set_size (b, 30);
  expect_failure (b, DM_ERROR_CORRUPT, "truncated BMP header");
  g_byte_array_unref (b);

  /* huge, zero and negative sizes */
  b = good_rgb ();
  set_le32 (b, 18, 1u << 30);
  expect_failure (b, DM_ERROR_TOO_LARGE, "over the limit");
  set_le32 (b, 18, 60000), set_le32 (b, 22, 60000);
  expect_failure (b, DM_ERROR_TOO_LARGE, "over the limit");
  set_le32 (b, 18, 0), set_le32 (b, 22, H);
  expect_failure (b, DM_ERROR_CORRUPT, "invalid image size 0 x 6");
  set_le32 (b, 18, (guint32)-5);
  expect_failure (b, DM_ERROR_CORRUPT, "invalid image size -5 x 6");
  set_le32 (b, 18, W), set_le32 (b, 22, 0x80000000u);
  expect_failure (b, DM_ERROR_TOO_LARGE, "over the limit");
  g_byte_array_unref (b);

  /* the pixel data offset inside the header, or past the end */
  b = good_rgb ();
  set_le32 (b, 10, 20);
  expect_failure (b, DM_ERROR_CORRUPT, "pixel data offset 20 is outside the file");
  set_le32 (b, 10, b->len + 100);
  expect_failure (b, DM_ERROR_CORRUPT, "is outside the file");
  set_le32 (b, 10, 54 + 8);
  expect_failure (b, DM_ERROR_CORRUPT, "truncated BMP pixel data");
  g_byte_array_unref (b);

  /* a pixel that uses a palette entry the palette does not have */
  b = good_palette (5, 8);
  expect_failure (b, DM_ERROR_CORRUPT, "uses palette entry 5 of a palette of 5 colours");
  g_byte_array_unref (b);
  /* more colours than a palette can hold */
  b = good_palette (16, 16);
  set_le32 (b, 46, 4000);
  expect_failure (b, DM_ERROR_CORRUPT, "BMP palette of 4000 colours");
  g_byte_array_unref (b);
  /* a palette that would run into the pixels is cut there: the pixels that
   * use the missing entries are refused */
  b = good_palette (16, 16);
  set_le32 (b, 46, 0); /* 0: 2^4 = 16, as written */
  set_le32 (b, 10, le32_at (b, 10) - 4 * 4);
  expect_failure (b, DM_ERROR_CORRUPT, "of a palette of 12 colours");
  g_byte_array_unref (b);

  /* compressions and depths that are refused, by name */
  b = good_palette (16, 16);
  set_le32 (b, 30, 2);
  expect_failure (b, DM_ERROR_UNSUPPORTED, "run-length encoded BMP (RLE4) is not supported");
  set_le32 (b, 30, 1);
  expect_failure (b, DM_ERROR_UNSUPPORTED, "(RLE8)");
  set_le32 (b, 30, 4);
  expect_failure (b, DM_ERROR_UNSUPPORTED, "BMP holding a JPEG image");
  set_le32 (b, 30, 9);
  expect_failure (b, DM_ERROR_CORRUPT, "unknown BMP compression 9");
  set_le32 (b, 30, 0);
  b->data[28] = 2;
  expect_failure (b, DM_ERROR_UNSUPPORTED, "2-bit BMP files are not supported");
  b->data[28] = 4;
  set_le32 (b, 14, 64);
  expect_failure (b, DM_ERROR_UNSUPPORTED, "OS/2 2.x");
  g_byte_array_unref (b);

  /* bit fields that make no sense */
  {
    static const guint32 bad_masks[][3] = {
      { 0xf800, 0x0fe0, 0x001f },   /* overlap */
      { 0xf0f0, 0x0600, 0x000f },   /* not contiguous */
      { 0x1f0000, 0x07e0, 0x001f }, /* beyond 16 bits */
      { 0, 0x07e0, 0x001f },        /* empty */
    };
    static const char *const messages[]
      = { "masks overlap", "0x0000f0f0 is not usable", "0x001f0000 is not usable",
          "0x00000000 is not usable" };

    for (guint k = 0; k < G_N_ELEMENTS (bad_masks); k++)
      {
        TestBmp spec = { .header_size = 52,
                         .width = W,
                         .height = H,
                         .bits = 16,
                         .compression = 3,
                         .pixel = word_pixel };

        memcpy (spec.masks, bad_masks[k], sizeof bad_masks[k]);
        b = test_bmp_build (&spec);
        expect_failure (b, DM_ERROR_CORRUPT, messages[k]);
        g_byte_array_unref (b);
      }
  }
  b = good_rgb ();
  set_le32 (b, 30, 3);
  expect_failure (b, DM_ERROR_CORRUPT, "24-bit BMP with bit fields");
  g_byte_array_unref (b);
}

/* Header problems the probe reports without decoding. */
static void
test_bad_headers (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "probe.bmp", NULL);
  g_autoptr (GByteArray) b = good_rgb ();
  DmImageHeader header;

  set_le32 (b, 22, 0);
  g_assert_true (g_file_set_contents (path, (const char *)b->data, b->len, NULL));
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (dm_image_read_header (path, &header, &error));
    g_assert_error (error, DM_ERROR, DM_ERROR_CORRUPT);
    dm_test_assert_has (error->message, "bad image size 13 x 0");
  }
  g_byte_array_set_size (b, 24);
  g_assert_true (g_file_set_contents (path, (const char *)b->data, b->len, NULL));
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (dm_image_read_header (path, &header, &error));
    g_assert_error (error, DM_ERROR, DM_ERROR_CORRUPT);
    dm_test_assert_has (error->message, "truncated BMP header");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  init_palettes ();
  g_test_add_func ("/image-bmp/rgb24", test_rgb24);
  g_test_add_func ("/image-bmp/palettes", test_palettes);
  g_test_add_func ("/image-bmp/gray-palettes", test_gray_palettes);
  g_test_add_func ("/image-bmp/direct", test_direct);
  g_test_add_func ("/image-bmp/header", test_header);
  g_test_add_func ("/image-bmp/sniff", test_sniff);
  g_test_add_func ("/image-bmp/bad-files", test_bad_files);
  g_test_add_func ("/image-bmp/bad-headers", test_bad_headers);
  return g_test_run ();
}
