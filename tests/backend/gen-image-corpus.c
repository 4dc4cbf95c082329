/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writes the small image corpus of tests/data/image/corpus/ (run once, output
 * committed): every PNG, TIFF and JPEG variant the decoders handle, filled
 * with the patterns of image-patterns.h so the tests know every value.
 * Usage: gen-image-corpus OUTDIR */
#include <png.h>
#include <stdio.h>
#include <jpeglib.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include <glib.h>

#include "image-patterns.h"

#define W PAT_W
#define H PAT_H

static const char *outdir;

static char *
out_path (const char *name)
{
  return g_build_filename (outdir, name, NULL);
}

/* ---- PNG ------------------------------------------------------------------ */

typedef enum
{
  P_GRAY,
  P_GRAY_ALPHA,
  P_RGB,
  P_RGBA,
  P_PALETTE,
} PngKind;

/* Sample (x, y, c) of the PNG variant as written (before libpng packs). */
static int
png_sample (PngKind kind, int bits, int x, int y, int c)
{
  switch (kind)
    {
    case P_GRAY:
      return bits == 16 ? pat16 (x, y, 0) : bits == 8 ? pat8 (x, y, 0) : pat_low (x, y, bits);
    case P_GRAY_ALPHA:
      return c == 0 ? (bits == 16 ? pat16 (x, y, 0) : pat8 (x, y, 0))
                    : (bits == 16 ? pat_alpha16 (x, y) : pat_alpha8 (x, y));
    case P_RGB: return bits == 16 ? pat16 (x, y, c) : pat8 (x, y, c);
    case P_RGBA:
      return c == 3 ? (bits == 16 ? pat_alpha16 (x, y) : pat_alpha8 (x, y))
                    : (bits == 16 ? pat16 (x, y, c) : pat8 (x, y, c));
    case P_PALETTE: return pat_index (x, y, bits);
    default: return 0;
    }
}

static void
write_png (const char *name, PngKind kind, int bits, gboolean interlaced, int trns)
{
  static const int types[] = { PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                               PNG_COLOR_TYPE_RGB_ALPHA, PNG_COLOR_TYPE_PALETTE };
  static const int channels[] = { 1, 2, 3, 4, 1 };
  g_autofree char *path = out_path (name);
  FILE *fp = fopen (path, "wb");
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct (png);
  int ch = channels[kind];
  gsize row_bytes = ((gsize)W * ch * bits + 7) / 8;
  g_autofree guint8 *row = g_malloc0 (row_bytes);

  g_assert (fp != NULL && png != NULL && info != NULL);
  if (setjmp (png_jmpbuf (png)))
    g_error ("libpng failed on %s", name);
  png_init_io (png, fp);
  png_set_IHDR (png, info, W, H, bits, types[kind],
                interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                PNG_FILTER_TYPE_DEFAULT);
  if (kind == P_PALETTE)
    {
      png_color pal[256];
      png_byte alpha[256];
      int n = 1 << bits;

      for (int i = 0; i < n; i++)
        {
          pal[i].red = pat_pal (i, 0);
          pal[i].green = pat_pal (i, 1);
          pal[i].blue = pat_pal (i, 2);
          alpha[i] = pat_pal_alpha (i);
        }
      png_set_PLTE (png, info, pal, n);
      if (trns)
        png_set_tRNS (png, info, alpha, n, NULL);
    }
  else if (trns)
    {
      png_color_16 key = { 0 };

      key.gray = (png_uint_16)pat_key (0, bits);
      key.red = (png_uint_16)pat_key (0, bits);
      key.green = (png_uint_16)pat_key (1, bits);
      key.blue = (png_uint_16)pat_key (2, bits);
      png_set_tRNS (png, info, NULL, 0, &key);
    }
  png_write_info (png, info);

  {
    int passes = png_set_interlace_handling (png);

    for (int pass = 0; pass < passes; pass++)
      for (int y = 0; y < H; y++)
        {
          memset (row, 0, row_bytes);
          for (int x = 0; x < W; x++)
            for (int c = 0; c < ch; c++)
              {
                int v = png_sample (kind, bits, x, y, c);
                gsize s = (gsize)x * ch + c;

                if (bits == 16)
                  {
                    row[s * 2] = (guint8)(v >> 8);
                    row[s * 2 + 1] = (guint8)v;
                  }
                else if (bits == 8)
                  row[s] = (guint8)v;
                else
                  row[s * bits / 8] |= (guint8)(v << (8 - bits - (int)(s * bits % 8)));
              }
          png_write_row (png, row);
        }
  }
  png_write_end (png, info);
  png_destroy_write_struct (&png, &info);
  fclose (fp);
}

/* ---- TIFF ----------------------------------------------------------------- */

typedef struct
{
  int spp;
  int bps;
  int format; /* SAMPLEFORMAT_* */
  int photometric;
  int compression;
  int predictor; /* 0 = none */
  gboolean planar;
  gboolean tiled;
  gboolean alpha; /* last sample is unassociated alpha */
  gboolean big_endian;
  int rows_per_strip;
} TiffSpec;

/* Sample (x, y, c) as written, for every TIFF variant. */
static double
tiff_sample (const TiffSpec *s, int x, int y, int c)
{
  gboolean is_alpha = s->alpha && c == s->spp - 1;

  if (s->format == SAMPLEFORMAT_IEEEFP)
    return patf (x, y, c);
  if (s->compression == COMPRESSION_JPEG)
    return pat_smooth (x, y, c); /* lossy: smooth content */
  if (s->photometric == PHOTOMETRIC_PALETTE)
    return pat_index (x, y, s->bps);
  if (s->bps < 8)
    return pat_low (x, y, s->bps);
  if (s->bps == 16)
    return is_alpha ? pat_alpha16 (x, y) : pat16 (x, y, c);
  return is_alpha ? pat_alpha8 (x, y) : pat8 (x, y, c);
}

static void
put_tiff_sample (const TiffSpec *s, guint8 *buf, gsize index, double v)
{
  if (s->format == SAMPLEFORMAT_IEEEFP)
    {
      float f = (float)v;

      memcpy (buf + index * 4, &f, 4);
    }
  else if (s->bps == 16)
    {
      guint16 u = (guint16)v;

      memcpy (buf + index * 2, &u, 2);
    }
  else if (s->bps == 8)
    buf[index] = (guint8)v;
  else
    buf[index * s->bps / 8] |= (guint8)((int)v << (8 - s->bps - (int)(index * s->bps % 8)));
}

static void
write_tiff_page (TIFF *tif, const TiffSpec *s, int w, int h)
{
  int planes = s->planar ? s->spp : 1, per = s->planar ? 1 : s->spp;

  TIFFSetField (tif, TIFFTAG_IMAGEWIDTH, w);
  TIFFSetField (tif, TIFFTAG_IMAGELENGTH, h);
  TIFFSetField (tif, TIFFTAG_SAMPLESPERPIXEL, s->spp);
  TIFFSetField (tif, TIFFTAG_BITSPERSAMPLE, s->bps);
  TIFFSetField (tif, TIFFTAG_SAMPLEFORMAT, s->format);
  TIFFSetField (tif, TIFFTAG_PHOTOMETRIC, s->photometric);
  TIFFSetField (tif, TIFFTAG_PLANARCONFIG, s->planar ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG);
  TIFFSetField (tif, TIFFTAG_COMPRESSION, s->compression);
  if (s->predictor)
    TIFFSetField (tif, TIFFTAG_PREDICTOR, s->predictor);
  if (s->alpha)
    {
      uint16_t extra = EXTRASAMPLE_UNASSALPHA;

      TIFFSetField (tif, TIFFTAG_EXTRASAMPLES, 1, &extra);
    }
  if (s->photometric == PHOTOMETRIC_PALETTE)
    {
      static uint16_t r[256], g[256], b[256];

      for (int i = 0; i < 256; i++)
        {
          r[i] = (uint16_t)(pat_pal (i, 0) * 257);
          g[i] = (uint16_t)(pat_pal (i, 1) * 257);
          b[i] = (uint16_t)(pat_pal (i, 2) * 257);
        }
      TIFFSetField (tif, TIFFTAG_COLORMAP, r, g, b);
    }
  if (s->compression == COMPRESSION_JPEG)
    {
      TIFFSetField (tif, TIFFTAG_JPEGQUALITY, 90);
      if (s->photometric == PHOTOMETRIC_YCBCR)
        TIFFSetField (tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    }

  if (s->tiled)
    {
      int tw = 16, th = 16;
      gsize row_bytes = ((gsize)tw * per * s->bps + 7) / 8;
      g_autofree guint8 *tile = NULL;

      TIFFSetField (tif, TIFFTAG_TILEWIDTH, tw);
      TIFFSetField (tif, TIFFTAG_TILELENGTH, th);
      tile = g_malloc0 (TIFFTileSize (tif));
      for (int p = 0; p < planes; p++)
        for (int ty = 0; ty < h; ty += th)
          for (int tx = 0; tx < w; tx += tw)
            {
              memset (tile, 0, TIFFTileSize (tif));
              for (int y = 0; y < th; y++)
                for (int x = 0; x < tw; x++)
                  for (int c = 0; c < per; c++)
                    {
                      int sc = s->planar ? p : c;
                      double v
                        = (tx + x < w && ty + y < h) ? tiff_sample (s, tx + x, ty + y, sc) : 0;

                      put_tiff_sample (s, tile + y * row_bytes, (gsize)x * per + c, v);
                    }
              if (TIFFWriteTile (tif, tile, tx, ty, 0, p) < 0)
                g_error ("TIFFWriteTile failed");
            }
    }
  else
    {
      gsize row_bytes = ((gsize)w * per * s->bps + 7) / 8;
      g_autofree guint8 *row = g_malloc0 (row_bytes);

      TIFFSetField (tif, TIFFTAG_ROWSPERSTRIP, s->rows_per_strip > 0 ? s->rows_per_strip : 8);
      for (int p = 0; p < planes; p++)
        for (int y = 0; y < h; y++)
          {
            memset (row, 0, row_bytes);
            for (int x = 0; x < w; x++)
              for (int c = 0; c < per; c++)
                put_tiff_sample (s, row, (gsize)x * per + c,
                                 tiff_sample (s, x, y, s->planar ? p : c));
            if (TIFFWriteScanline (tif, row, y, p) < 0)
              g_error ("TIFFWriteScanline failed");
          }
    }
}

static void
write_tiff (const char *name, TiffSpec s)
{
  g_autofree char *path = out_path (name);
  TIFF *tif = TIFFOpen (path, s.big_endian ? "wb" : "wl");

  g_assert (tif != NULL);
  if (s.format == 0)
    s.format = SAMPLEFORMAT_UINT;
  if (s.compression == 0)
    s.compression = COMPRESSION_NONE;
  write_tiff_page (tif, &s, W, H);
  TIFFClose (tif);
}

static void
write_multipage_tiff (const char *name)
{
  g_autofree char *path = out_path (name);
  TIFF *tif = TIFFOpen (path, "wl");
  TiffSpec first = { .spp = 1,
                     .bps = 8,
                     .format = SAMPLEFORMAT_UINT,
                     .photometric = PHOTOMETRIC_MINISBLACK,
                     .compression = COMPRESSION_LZW };
  TiffSpec second = { .spp = 3,
                      .bps = 16,
                      .format = SAMPLEFORMAT_UINT,
                      .photometric = PHOTOMETRIC_RGB,
                      .compression = COMPRESSION_NONE };

  write_tiff_page (tif, &first, W, H);
  TIFFWriteDirectory (tif);
  write_tiff_page (tif, &second, 11, 7);
  TIFFClose (tif);
}

/* ---- JPEG ----------------------------------------------------------------- */

static void
write_jpeg (const char *name,
            int components,
            J_COLOR_SPACE in_space,
            J_COLOR_SPACE file_space,
            gboolean progressive)
{
  g_autofree char *path = out_path (name);
  FILE *fp = fopen (path, "wb");
  struct jpeg_compress_struct cinfo;
  struct jpeg_error_mgr jerr;
  g_autofree guint8 *row = g_malloc ((gsize)W * components);

  g_assert (fp != NULL);
  cinfo.err = jpeg_std_error (&jerr);
  jpeg_create_compress (&cinfo);
  jpeg_stdio_dest (&cinfo, fp);
  cinfo.image_width = W;
  cinfo.image_height = H;
  cinfo.input_components = components;
  cinfo.in_color_space = in_space;
  jpeg_set_defaults (&cinfo);
  jpeg_set_colorspace (&cinfo, file_space);
  jpeg_set_quality (&cinfo, 90, TRUE);
  if (progressive)
    jpeg_simple_progression (&cinfo);
  jpeg_start_compress (&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height)
    {
      int y = (int)cinfo.next_scanline;
      JSAMPROW r = row;

      for (int x = 0; x < W; x++)
        for (int c = 0; c < components; c++)
          row[x * components + c] = (guint8)pat_smooth (x, y, c);
      jpeg_write_scanlines (&cinfo, &r, 1);
    }
  jpeg_finish_compress (&cinfo);
  jpeg_destroy_compress (&cinfo);
  fclose (fp);
}

int
main (int argc, char **argv)
{
  if (argc != 2)
    {
      fprintf (stderr, "usage: %s OUTDIR\n", argv[0]);
      return 2;
    }
  outdir = argv[1];
  g_mkdir_with_parents (outdir, 0755);

  write_png ("png-gray1.png", P_GRAY, 1, FALSE, 0);
  write_png ("png-gray2.png", P_GRAY, 2, FALSE, 0);
  write_png ("png-gray4.png", P_GRAY, 4, FALSE, 0);
  write_png ("png-gray8.png", P_GRAY, 8, FALSE, 0);
  write_png ("png-gray16.png", P_GRAY, 16, FALSE, 0);
  write_png ("png-gray8-trns.png", P_GRAY, 8, FALSE, 1);
  write_png ("png-graya8.png", P_GRAY_ALPHA, 8, FALSE, 0);
  write_png ("png-graya16.png", P_GRAY_ALPHA, 16, FALSE, 0);
  write_png ("png-rgb8.png", P_RGB, 8, FALSE, 0);
  write_png ("png-rgb16.png", P_RGB, 16, FALSE, 0);
  write_png ("png-rgb8-trns.png", P_RGB, 8, FALSE, 1);
  write_png ("png-rgba8.png", P_RGBA, 8, FALSE, 0);
  write_png ("png-rgba16.png", P_RGBA, 16, FALSE, 0);
  write_png ("png-palette1.png", P_PALETTE, 1, FALSE, 0);
  write_png ("png-palette4.png", P_PALETTE, 4, FALSE, 0);
  write_png ("png-palette8.png", P_PALETTE, 8, FALSE, 0);
  write_png ("png-palette8-trns.png", P_PALETTE, 8, FALSE, 1);
  write_png ("png-rgb8-interlaced.png", P_RGB, 8, TRUE, 0);
  write_png ("png-gray16-interlaced.png", P_GRAY, 16, TRUE, 0);
  write_png ("png-palette4-interlaced.png", P_PALETTE, 4, TRUE, 0);

  write_tiff ("tiff-gray8.tif",
              (TiffSpec){ .spp = 1, .bps = 8, .photometric = PHOTOMETRIC_MINISBLACK });
  write_tiff ("tiff-gray16.tif",
              (TiffSpec){ .spp = 1, .bps = 16, .photometric = PHOTOMETRIC_MINISBLACK });
  write_tiff (
    "tiff-gray16-be.tif",
    (TiffSpec){ .spp = 1, .bps = 16, .photometric = PHOTOMETRIC_MINISBLACK, .big_endian = TRUE });
  write_tiff ("tiff-gray1.tif",
              (TiffSpec){ .spp = 1, .bps = 1, .photometric = PHOTOMETRIC_MINISBLACK });
  write_tiff ("tiff-gray4-miniswhite.tif",
              (TiffSpec){ .spp = 1, .bps = 4, .photometric = PHOTOMETRIC_MINISWHITE });
  write_tiff ("tiff-gray8-miniswhite.tif",
              (TiffSpec){ .spp = 1, .bps = 8, .photometric = PHOTOMETRIC_MINISWHITE });
  write_tiff (
    "tiff-graya8.tif",
    (TiffSpec){ .spp = 2, .bps = 8, .photometric = PHOTOMETRIC_MINISBLACK, .alpha = TRUE });
  write_tiff (
    "tiff-rgb8.tif",
    (TiffSpec){ .spp = 3, .bps = 8, .photometric = PHOTOMETRIC_RGB, .rows_per_strip = 5 });
  write_tiff ("tiff-rgb16.tif", (TiffSpec){ .spp = 3, .bps = 16, .photometric = PHOTOMETRIC_RGB });
  write_tiff (
    "tiff-rgb16-be.tif",
    (TiffSpec){ .spp = 3, .bps = 16, .photometric = PHOTOMETRIC_RGB, .big_endian = TRUE });
  write_tiff ("tiff-rgba8.tif",
              (TiffSpec){ .spp = 4, .bps = 8, .photometric = PHOTOMETRIC_RGB, .alpha = TRUE });
  write_tiff (
    "tiff-rgba16-planar.tif",
    (TiffSpec){
      .spp = 4, .bps = 16, .photometric = PHOTOMETRIC_RGB, .alpha = TRUE, .planar = TRUE });
  write_tiff ("tiff-rgb8-planar.tif",
              (TiffSpec){ .spp = 3, .bps = 8, .photometric = PHOTOMETRIC_RGB, .planar = TRUE });
  write_tiff ("tiff-float32.tif", (TiffSpec){ .spp = 1,
                                              .bps = 32,
                                              .format = SAMPLEFORMAT_IEEEFP,
                                              .photometric = PHOTOMETRIC_MINISBLACK });
  write_tiff ("tiff-float32-rgb-deflate-pred3.tif",
              (TiffSpec){ .spp = 3,
                          .bps = 32,
                          .format = SAMPLEFORMAT_IEEEFP,
                          .photometric = PHOTOMETRIC_RGB,
                          .compression = COMPRESSION_ADOBE_DEFLATE,
                          .predictor = 3 });
  write_tiff ("tiff-rgb8-tiled.tif",
              (TiffSpec){ .spp = 3, .bps = 8, .photometric = PHOTOMETRIC_RGB, .tiled = TRUE });
  write_tiff ("tiff-gray16-tiled-planar-lzw.tif", (TiffSpec){ .spp = 2,
                                                              .bps = 16,
                                                              .photometric = PHOTOMETRIC_MINISBLACK,
                                                              .alpha = TRUE,
                                                              .tiled = TRUE,
                                                              .planar = TRUE,
                                                              .compression = COMPRESSION_LZW });
  write_tiff ("tiff-rgb8-lzw.tif", (TiffSpec){ .spp = 3,
                                               .bps = 8,
                                               .photometric = PHOTOMETRIC_RGB,
                                               .compression = COMPRESSION_LZW,
                                               .predictor = 2 });
  write_tiff ("tiff-gray16-deflate.tif", (TiffSpec){ .spp = 1,
                                                     .bps = 16,
                                                     .photometric = PHOTOMETRIC_MINISBLACK,
                                                     .compression = COMPRESSION_ADOBE_DEFLATE,
                                                     .predictor = 2 });
  write_tiff ("tiff-rgb8-packbits.tif", (TiffSpec){ .spp = 3,
                                                    .bps = 8,
                                                    .photometric = PHOTOMETRIC_RGB,
                                                    .compression = COMPRESSION_PACKBITS });
  write_tiff ("tiff-rgb8-jpeg.tif", (TiffSpec){ .spp = 3,
                                                .bps = 8,
                                                .photometric = PHOTOMETRIC_YCBCR,
                                                .compression = COMPRESSION_JPEG,
                                                .rows_per_strip = 16 });
  write_tiff ("tiff-gray8-jpeg.tif", (TiffSpec){ .spp = 1,
                                                 .bps = 8,
                                                 .photometric = PHOTOMETRIC_MINISBLACK,
                                                 .compression = COMPRESSION_JPEG,
                                                 .rows_per_strip = 16 });
  write_tiff ("tiff-palette8.tif",
              (TiffSpec){ .spp = 1, .bps = 8, .photometric = PHOTOMETRIC_PALETTE });
  write_multipage_tiff ("tiff-multipage.tif");

  write_jpeg ("jpeg-gray.jpg", 1, JCS_GRAYSCALE, JCS_GRAYSCALE, FALSE);
  write_jpeg ("jpeg-rgb.jpg", 3, JCS_RGB, JCS_YCbCr, FALSE);
  write_jpeg ("jpeg-rgb-progressive.jpg", 3, JCS_RGB, JCS_YCbCr, TRUE);
  write_jpeg ("jpeg-gray-progressive.jpg", 1, JCS_GRAYSCALE, JCS_GRAYSCALE, TRUE);
  write_jpeg ("jpeg-cmyk.jpg", 4, JCS_CMYK, JCS_CMYK, FALSE);
  write_jpeg ("jpeg-ycck.jpg", 4, JCS_CMYK, JCS_YCCK, FALSE);
  return 0;
}
