/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Crafted bad files (empty, wrong magic, truncated, bad CRC, zero or huge
 * sizes, unsupported samples): each must fail with a DM_ERROR that names
 * the file, and nothing may reach stderr. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <tiffio.h>

#include "dm-error.h"
#include "dm-image-header.h"
#include "dm-image.h"
#include "dm-test-util.h"
#include "test-image-bad-files.h"

#define ANY_CODE (-1)

typedef struct
{
  char *dir;
  GString *failures; /* reported after stderr is back */
  guint n_cases;
} BadFiles;

static guint32
crc32_png (const guint8 *data, gsize n)
{
  guint32 crc = 0xffffffffu;

  for (gsize i = 0; i < n; i++)
    {
      crc ^= data[i];
      for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
  return crc ^ 0xffffffffu;
}

static guint32
get_be32 (const guint8 *p)
{
  return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static void
put_be32 (guint8 *p, guint32 v)
{
  p[0] = (guint8)(v >> 24);
  p[1] = (guint8)(v >> 16);
  p[2] = (guint8)(v >> 8);
  p[3] = (guint8)v;
}

/* Offset of the first chunk of `type` (its length field). */
static gsize
png_find_chunk (const guint8 *data, gsize size, const char *type)
{
  gsize off = 8;

  while (off + 12 <= size)
    {
      if (memcmp (data + off + 4, type, 4) == 0)
        return off;
      off += 12 + get_be32 (data + off);
    }
  g_assert_not_reached ();
  return 0;
}

static void
png_fix_crc (guint8 *data, gsize chunk)
{
  guint32 len = get_be32 (data + chunk);

  put_be32 (data + chunk + 8 + len, crc32_png (data + chunk + 4, len + 4));
}

/* Sets an inline SHORT or LONG value of `tag` in the first IFD of a
 * little-endian classic TIFF. */
static void
tiff_patch_tag (guint8 *data, gsize size, guint16 tag, guint32 value)
{
  guint32 ifd = data[4] | data[5] << 8 | data[6] << 16 | (guint32)data[7] << 24;
  guint16 n;

  g_assert_true (data[0] == 'I' && ifd + 2 <= size);
  n = data[ifd] | data[ifd + 1] << 8;
  for (guint16 i = 0; i < n; i++)
    {
      guint8 *e = data + ifd + 2 + 12 * i;
      guint16 t = e[0] | e[1] << 8, type = e[2] | e[3] << 8;

      if (t != tag)
        continue;
      if (type == 3) /* SHORT */
        {
          g_assert_cmpuint (value, <=, 0xffff);
          e[8] = (guint8)value;
          e[9] = (guint8)(value >> 8);
        }
      else
        {
          g_assert_cmpuint (type, ==, 4); /* LONG */
          for (int b = 0; b < 4; b++)
            e[8 + b] = (guint8)(value >> (8 * b));
        }
      return;
    }
  g_error ("tag %u not in the TIFF", tag);
}

/* A small one-strip little-endian TIFF of w x h, zero samples. */
static guint8 *
make_tiff (const char *dir,
           int w,
           int h,
           int spp,
           int bps,
           int format,
           int photometric,
           gboolean tiled,
           gsize *size)
{
  g_autofree char *path = g_build_filename (dir, "made.tif", NULL);
  TIFF *tif = TIFFOpen (path, "wl");
  g_autofree guint8 *buf = NULL;
  guint8 *data;

  g_assert_nonnull (tif);
  TIFFSetField (tif, TIFFTAG_IMAGEWIDTH, w);
  TIFFSetField (tif, TIFFTAG_IMAGELENGTH, h);
  TIFFSetField (tif, TIFFTAG_SAMPLESPERPIXEL, spp);
  TIFFSetField (tif, TIFFTAG_BITSPERSAMPLE, bps);
  TIFFSetField (tif, TIFFTAG_SAMPLEFORMAT, format);
  TIFFSetField (tif, TIFFTAG_PHOTOMETRIC, photometric);
  TIFFSetField (tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  if (tiled)
    {
      TIFFSetField (tif, TIFFTAG_TILEWIDTH, 16);
      TIFFSetField (tif, TIFFTAG_TILELENGTH, 16);
      buf = g_malloc0 (TIFFTileSize (tif));
      for (int y = 0; y < h; y += 16)
        for (int x = 0; x < w; x += 16)
          g_assert_cmpint (TIFFWriteTile (tif, buf, x, y, 0, 0), >=, 0);
    }
  else
    {
      TIFFSetField (tif, TIFFTAG_ROWSPERSTRIP, h);
      buf = g_malloc0 ((gsize)w * h * spp * bps / 8 + 1);
      g_assert_cmpint (TIFFWriteEncodedStrip (tif, 0, buf, (tmsize_t)w * h * spp * bps / 8), >=, 0);
    }
  TIFFClose (tif);
  data = read_all (path, size);
  g_unlink (path);
  return data;
}

/* Writes `data` as dir/name and checks that loading it fails properly. */
static void
expect_failure (
  BadFiles *b, const char *name, const guint8 *data, gsize size, guint64 max_pixels, int code)
{
  g_autofree char *path = g_build_filename (b->dir, name, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) image = NULL;
  g_autoptr (DmImage) from_bytes = NULL;
  g_autoptr (GError) error2 = NULL;

  g_assert_true (g_file_set_contents (path, (const char *)data, (gssize)size, NULL));
  b->n_cases++;
  image = dm_image_load (path, max_pixels, &error);
  from_bytes = dm_image_load_from_bytes (data, size, name, max_pixels, &error2);
  if (image != NULL || from_bytes != NULL)
    g_string_append_printf (b->failures, "%s: loaded, should have failed\n", name);
  else if (error == NULL || error->domain != DM_ERROR || error2 == NULL)
    g_string_append_printf (b->failures, "%s: no DM_ERROR\n", name);
  else if (strstr (error->message, name) == NULL || strstr (error2->message, name) == NULL)
    g_string_append_printf (b->failures, "%s: message does not name the file: %s\n", name,
                            error->message);
  else if (code != ANY_CODE && (error->code != code || error2->code != code))
    g_string_append_printf (b->failures, "%s: error code %d, expected %d (%s)\n", name, error->code,
                            code, error->message);
  else
    g_test_message ("%s -> %s", name, error->message);
}

static void
truncations (BadFiles *b, const char *corpus_file, const gsize *cuts, guint n_cuts)
{
  g_autofree char *path = corpus_path (corpus_file);
  gsize size;
  g_autofree guint8 *data = read_all (path, &size);

  for (guint i = 0; i < n_cuts; i++)
    {
      gsize cut;
      g_autofree char *name = NULL;

      if (cuts[i] == 0)
        cut = size / 2;
      else if (cuts[i] >= G_MAXSIZE - 1000)
        cut = size - (G_MAXSIZE - cuts[i]);
      else
        cut = MIN (cuts[i], size - 1);
      name = g_strdup_printf ("cut%" G_GSIZE_FORMAT "-%s", cut, corpus_file);
      expect_failure (b, name, data, cut, 0, ANY_CODE);
    }
}

/* "size - n" in the cut lists. */
#define FROM_END(n) (G_MAXSIZE - (n))

static void
png_cases (BadFiles *b)
{
  static const gsize png_cuts[] = { 8, 16, 29, 45, 0, FROM_END (30) };
  g_autofree char *path = corpus_path ("png-rgb8.png");
  gsize size, ihdr, idat;
  g_autofree guint8 *orig = read_all (path, &size);
  g_autofree guint8 *data = g_memdup2 (orig, size);

  expect_failure (b, "empty.png", (const guint8 *)"", 0, 0, DM_ERROR_CORRUPT);
  expect_failure (b, "wrong-magic.png", (const guint8 *)"GIF89a, not a PNG", 17, 0,
                  DM_ERROR_UNSUPPORTED);
  truncations (b, "png-rgb8.png", png_cuts, G_N_ELEMENTS (png_cuts));
  truncations (b, "png-rgb8-interlaced.png", png_cuts, G_N_ELEMENTS (png_cuts));
  truncations (b, "png-gray16.png", png_cuts + 4, 1);

  ihdr = png_find_chunk (orig, size, "IHDR");
  idat = png_find_chunk (orig, size, "IDAT");

  data[ihdr + 8 + 13] ^= 0x55; /* IHDR CRC */
  expect_failure (b, "crc-ihdr.png", data, size, 0, DM_ERROR_CORRUPT);
  memcpy (data, orig, size);
  data[idat + 8 + 40] ^= 0x55; /* IDAT data, CRC left as it was */
  expect_failure (b, "crc-idat.png", data, size, 0, DM_ERROR_CORRUPT);
  memcpy (data, orig, size);
  data[idat + 8] = 0xff; /* zlib header, CRC fixed: zlib must say no */
  data[idat + 9] = 0xff;
  png_fix_crc (data, idat);
  expect_failure (b, "bad-zlib.png", data, size, 0, DM_ERROR_CORRUPT);
  memcpy (data, orig, size);
  for (int i = 0; i < 64; i++)
    data[idat + 8 + 10 + i] ^= (guint8)(37 * i + 1); /* deflate data, CRC fixed */
  png_fix_crc (data, idat);
  expect_failure (b, "bad-deflate.png", data, size, 0, ANY_CODE);

  memcpy (data, orig, size);
  put_be32 (data + ihdr + 8, 0);
  png_fix_crc (data, ihdr);
  expect_failure (b, "zero-width.png", data, size, 0, DM_ERROR_CORRUPT);
  memcpy (data, orig, size);
  put_be32 (data + ihdr + 12, 0);
  png_fix_crc (data, ihdr);
  expect_failure (b, "zero-height.png", data, size, 0, DM_ERROR_CORRUPT);
  /* A decompression bomb: 10^10 pixels declared, refused from the header
   * (ASan would report a failed 30 GB allocation otherwise). */
  memcpy (data, orig, size);
  put_be32 (data + ihdr + 8, 100000);
  put_be32 (data + ihdr + 12, 100000);
  png_fix_crc (data, ihdr);
  expect_failure (b, "bomb.png", data, size, 0, DM_ERROR_TOO_LARGE);
  put_be32 (data + ihdr + 8, 0x7fffffff);
  put_be32 (data + ihdr + 12, 1);
  png_fix_crc (data, ihdr);
  expect_failure (b, "absurd-width.png", data, size, 0, DM_ERROR_TOO_LARGE);
  expect_failure (b, "over-ceiling.png", orig, size, 500, DM_ERROR_TOO_LARGE);
}

/* Offset of the SOF0/SOF2 marker segment's precision byte. */
static gsize
jpeg_find_sof (const guint8 *data, gsize size)
{
  for (gsize i = 2; i + 9 < size; i++)
    if (data[i] == 0xff && (data[i + 1] == 0xc0 || data[i + 1] == 0xc2))
      return i + 4;
  g_assert_not_reached ();
  return 0;
}

static gsize
jpeg_find_sos (const guint8 *data, gsize size)
{
  for (gsize i = 2; i + 1 < size; i++)
    if (data[i] == 0xff && data[i + 1] == 0xda)
      return i;
  g_assert_not_reached ();
  return 0;
}

/* Damaged scan data that libjpeg resynchronises over ("Corrupt JPEG data:
 * premature end of data segment"), painting the rest flat gray: refused by
 * default, naming the file and the damage; decoded with the damage in
 * DmImageInfo only when the caller accepts damaged images. */
static void
damaged_jpeg_cases (BadFiles *b)
{
  const char *const names[] = { "jpeg-rgb.jpg", "jpeg-gray.jpg", "jpeg-cmyk.jpg" };

  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    {
      g_autofree char *path = corpus_path (names[k]);
      g_autofree char *name = g_strdup_printf ("damaged-%s", names[k]);
      gsize size, sos;
      g_autofree guint8 *data = read_all (path, &size);
      g_autoptr (DmImage) image = NULL;
      g_autoptr (GError) error = NULL;
      DmImageInfo info;

      sos = jpeg_find_sos (data, size);
      g_assert_cmpuint (sos + 42, <, size);
      data[sos + 40] = 0xff; /* an unknown marker in the entropy-coded data */
      data[sos + 41] = 0x01;
      expect_failure (b, name, data, size, 0, DM_ERROR_CORRUPT);
      image
        = dm_image_load_from_bytes_full (data, size, name, 0, DM_IMAGE_LOAD_DEFAULT, &info, &error);
      if (image != NULL || error == NULL || strstr (error->message, "damaged JPEG data") == NULL
          || info.n_warnings == 0)
        g_string_append_printf (b->failures, "%s: not refused as damaged: %s\n", name,
                                error != NULL ? error->message : "decoded");
      g_clear_error (&error);
      image = dm_image_load_from_bytes_full (data, size, name, 0, DM_IMAGE_LOAD_ACCEPT_DAMAGED,
                                             &info, &error);
      if (image == NULL || info.n_warnings == 0
          || strstr (info.warning, "Corrupt JPEG data") == NULL)
        g_string_append_printf (b->failures, "%s: not decoded with its damage when accepted: %s\n",
                                name, error != NULL ? error->message : info.warning);
      b->n_cases++;
    }
}

static void
jpeg_cases (BadFiles *b)
{
  static const gsize jpeg_cuts[] = { 2, 3, 20, 200, 0, FROM_END (100) };
  g_autofree char *path = corpus_path ("jpeg-rgb.jpg");
  gsize size, sof;
  g_autofree guint8 *orig = read_all (path, &size);
  g_autofree guint8 *data = g_memdup2 (orig, size);

  expect_failure (b, "magic-only.jpg", (const guint8 *)"\xff\xd8\xff", 3, 0, ANY_CODE);
  truncations (b, "jpeg-rgb.jpg", jpeg_cuts, G_N_ELEMENTS (jpeg_cuts));
  truncations (b, "jpeg-rgb-progressive.jpg", jpeg_cuts, G_N_ELEMENTS (jpeg_cuts));
  truncations (b, "jpeg-cmyk.jpg", jpeg_cuts + 4, 1);

  sof = jpeg_find_sof (orig, size);
  /* precision (1), height (2), width (2) */
  data[sof + 1] = 60000 >> 8;
  data[sof + 2] = 60000 & 255;
  data[sof + 3] = 60000 >> 8;
  data[sof + 4] = 60000 & 255;
  expect_failure (b, "bomb.jpg", data, size, 0, DM_ERROR_TOO_LARGE);
  memcpy (data, orig, size);
  data[sof + 3] = 0;
  data[sof + 4] = 0;
  expect_failure (b, "zero-width.jpg", data, size, 0, ANY_CODE);
  memcpy (data, orig, size);
  data[sof] = 12;
  expect_failure (b, "precision12.jpg", data, size, 0, ANY_CODE);
  memcpy (data, orig, size);
  data[sof + 5] = 2; /* two components: not a colour space we know */
  expect_failure (b, "two-components.jpg", data, size, 0, ANY_CODE);
  damaged_jpeg_cases (b);
}

static void
tiff_cases (BadFiles *b)
{
  static const gsize tiff_cuts[] = { 4, 7, 100, 0, FROM_END (10) };
  gsize size;
  guint8 *data;

  expect_failure (b, "header-only.tif", (const guint8 *)"II*\0\x08\0\0\0", 8, 0, ANY_CODE);
  expect_failure (b, "many-tags.tif", (const guint8 *)"II*\0\x08\0\0\0\x88\x13", 10, 0,
                  DM_ERROR_CORRUPT);
  expect_failure (b, "bad-ifd.tif", (const guint8 *)"MM\0*\x7f\xff\xff\xff", 8, 0, ANY_CODE);
  truncations (b, "tiff-rgb8.tif", tiff_cuts, G_N_ELEMENTS (tiff_cuts));
  truncations (b, "tiff-rgb8-lzw.tif", tiff_cuts, G_N_ELEMENTS (tiff_cuts));
  /* (cut at the end, the multi-page file loses its second page only) */
  truncations (b, "tiff-multipage.tif", tiff_cuts, G_N_ELEMENTS (tiff_cuts) - 1);

  data = make_tiff (b->dir, 20, 10, 1, 8, SAMPLEFORMAT_UINT, PHOTOMETRIC_MINISBLACK, FALSE, &size);
  tiff_patch_tag (data, size, TIFFTAG_STRIPOFFSETS, 0x7fff0000);
  expect_failure (b, "strip-offset.tif", data, size, 0, ANY_CODE);
  g_free (data);

  data = make_tiff (b->dir, 20, 10, 1, 8, SAMPLEFORMAT_UINT, PHOTOMETRIC_MINISBLACK, FALSE, &size);
  /* Strip data that runs past the end of the file, as in a file cut short
   * before its directory (libtiff writes the directory last). */
  tiff_patch_tag (data, size, TIFFTAG_STRIPOFFSETS, (guint32)size - 50);
  expect_failure (b, "strip-past-end.tif", data, size, 0, ANY_CODE);
  g_free (data);

  data = make_tiff (b->dir, 20, 10, 1, 8, SAMPLEFORMAT_UINT, PHOTOMETRIC_MINISBLACK, FALSE, &size);
  tiff_patch_tag (data, size, TIFFTAG_IMAGEWIDTH, 60000);
  tiff_patch_tag (data, size, TIFFTAG_IMAGELENGTH, 60000);
  tiff_patch_tag (data, size, TIFFTAG_ROWSPERSTRIP, 60000);
  expect_failure (b, "bomb.tif", data, size, 0, DM_ERROR_TOO_LARGE);
  g_free (data);

  data = make_tiff (b->dir, 20, 10, 1, 8, SAMPLEFORMAT_UINT, PHOTOMETRIC_MINISBLACK, FALSE, &size);
  tiff_patch_tag (data, size, TIFFTAG_IMAGEWIDTH, 0);
  expect_failure (b, "zero-width.tif", data, size, 0, ANY_CODE);
  g_free (data);

  data = make_tiff (b->dir, 40, 40, 1, 8, SAMPLEFORMAT_UINT, PHOTOMETRIC_MINISBLACK, TRUE, &size);
  tiff_patch_tag (data, size, TIFFTAG_TILEWIDTH, 0xfff0);
  tiff_patch_tag (data, size, TIFFTAG_TILELENGTH, 0xfff0);
  expect_failure (b, "huge-tiles.tif", data, size, 0, ANY_CODE);
  g_free (data);

  data = make_tiff (b->dir, 20, 10, 1, 16, SAMPLEFORMAT_INT, PHOTOMETRIC_MINISBLACK, FALSE, &size);
  expect_failure (b, "int16.tif", data, size, 0, DM_ERROR_UNSUPPORTED);
  g_free (data);

  data
    = make_tiff (b->dir, 20, 10, 1, 64, SAMPLEFORMAT_IEEEFP, PHOTOMETRIC_MINISBLACK, FALSE, &size);
  expect_failure (b, "float64.tif", data, size, 0, DM_ERROR_UNSUPPORTED);
  g_free (data);

  data
    = make_tiff (b->dir, 20, 10, 1, 16, SAMPLEFORMAT_IEEEFP, PHOTOMETRIC_MINISBLACK, FALSE, &size);
  expect_failure (b, "float16.tif", data, size, 0, DM_ERROR_UNSUPPORTED);
  g_free (data);

  data = make_tiff (b->dir, 20, 10, 4, 8, SAMPLEFORMAT_UINT, PHOTOMETRIC_SEPARATED, FALSE, &size);
  expect_failure (b, "cmyk.tif", data, size, 0, DM_ERROR_UNSUPPORTED);
  g_free (data);

  data = make_tiff (b->dir, 20, 10, 3, 8, SAMPLEFORMAT_UINT, PHOTOMETRIC_YCBCR, FALSE, &size);
  expect_failure (b, "ycbcr-raw.tif", data, size, 0, DM_ERROR_UNSUPPORTED);
  g_free (data);
}

static void
path_cases (BadFiles *b)
{
  g_autofree char *missing = g_build_filename (b->dir, "no-such-file.png", NULL);
  g_autofree char *folder = g_build_filename (b->dir, "folder.png", NULL);
  g_autofree char *fifo = g_build_filename (b->dir, "pipe.png", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) image = NULL;

  image = dm_image_load (missing, 0, &error);
  if (image != NULL || error == NULL || error->code != DM_ERROR_IO
      || strstr (error->message, "no-such-file.png") == NULL)
    g_string_append (b->failures, "missing file: wrong result\n");
  g_clear_error (&error);
  g_mkdir (folder, 0755);
  image = dm_image_load (folder, 0, &error);
  if (image != NULL || error == NULL || error->code != DM_ERROR_IO
      || strstr (error->message, "folder.png") == NULL)
    g_string_append (b->failures, "folder: wrong result\n");
  g_clear_error (&error);
  /* a named pipe with an image's name: opening it must not wait for a
   * writer (the test would hang here before the fix) */
  g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);
  image = dm_image_load (fifo, 0, &error);
  if (image != NULL || error == NULL || error->code != DM_ERROR_IO
      || strstr (error->message, "pipe.png") == NULL
      || strstr (error->message, "named pipe") == NULL)
    g_string_append_printf (b->failures, "named pipe: wrong result: %s\n",
                            error != NULL ? error->message : "loaded");
  g_clear_error (&error);
  {
    DmImageHeader header;

    if (dm_image_read_header (fifo, &header, &error) || error == NULL)
      g_string_append (b->failures, "named pipe: its header was read\n");
  }
  b->n_cases += 4;
}

void
test_bad_files (void)
{
  BadFiles b = { .dir = dm_test_make_tmpdir (), .failures = g_string_new (NULL) };
  g_autofree char *capture = g_build_filename (b.dir, "stderr.txt", NULL);
  g_autofree char *printed = NULL;
  int saved, fd;

  /* Everything the decoders might print goes to a file while they run. */
  fflush (stderr);
  saved = dup (STDERR_FILENO);
  fd = g_open (capture, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  g_assert_cmpint (saved, >=, 0);
  g_assert_cmpint (fd, >=, 0);
  dup2 (fd, STDERR_FILENO);
  close (fd);

  png_cases (&b);
  jpeg_cases (&b);
  tiff_cases (&b);
  path_cases (&b);

  fflush (stderr);
  dup2 (saved, STDERR_FILENO);
  close (saved);

  g_assert_true (g_file_get_contents (capture, &printed, NULL, NULL));
  printf ("# bad files: %u cases\n", b.n_cases);
  if (b.failures->len > 0)
    g_error ("bad files:\n%s", b.failures->str);
  if (printed[0] != '\0')
    g_error ("the decoders printed to stderr:\n%s", printed);
  g_string_free (b.failures, TRUE);
  g_free (b.dir);
}
