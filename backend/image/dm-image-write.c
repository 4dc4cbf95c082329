/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Image writers (PNG for masks and heatmaps, float TIFF for anomaly maps),
 * each written to a temporary file beside the target and renamed over it,
 * so that a reader never sees half a file. */
#include "dm-image.h"

#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <tiffio.h>

#include "dm-error.h"
#include "dm-file-util.h"

/* The encoders close the descriptor they are given: each gets a duplicate,
 * and the DmAtomicFile keeps its own to sync, close and rename. */
static int
dup_fd (DmAtomicFile *file, const char *display, GError **error)
{
  int fd = dup (file->fd);

  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot write: %s", display,
                   g_strerror (saved));
      dm_atomic_file_abort (file);
    }
  return fd;
}

/* ---- PNG ---------------------------------------------------------------- */

typedef struct
{
  char message[256];
  const DmImage *image;
  FILE *fp;
  gboolean done;
} PngWriteContext;

static void
png_write_error_cb (png_structp png, png_const_charp msg)
{
  PngWriteContext *ctx = png_get_error_ptr (png);

  if (ctx->message[0] == '\0')
    g_strlcpy (ctx->message, msg != NULL ? msg : "unknown libpng error", sizeof ctx->message);
  png_longjmp (png, 1);
}

static void
png_write_warning_cb (png_structp png, png_const_charp msg)
{
}

static void
write_png (png_structp png, png_infop info, PngWriteContext *ctx)
{
  const DmImage *image = ctx->image;
  static const int types[5]
    = { 0, PNG_COLOR_TYPE_GRAY, 0, PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA };

  png_init_io (png, ctx->fp);
  png_set_IHDR (png, info, (png_uint_32)image->width, (png_uint_32)image->height,
                image->type == DM_PIXEL_U16 ? 16 : 8, types[image->channels], PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info (png, info);
  if (image->type == DM_PIXEL_U16 && G_BYTE_ORDER == G_LITTLE_ENDIAN)
    png_set_swap (png);
  for (int y = 0; y < image->height; y++)
    png_write_row (png, image->data + (gsize)y * image->stride);
  png_write_end (png, info);
  ctx->done = TRUE;
}

gboolean
dm_image_save_png (const DmImage *image, const char *path, GError **error)
{
  /* NULL-safe: the check below reports a NULL path */
  g_autofree char *display = path != NULL ? g_filename_display_name (path) : NULL;
  DmAtomicFile file;
  PngWriteContext *ctx;
  png_structp png;
  png_infop info = NULL;
  gboolean ok;
  int fd;

  g_return_val_if_fail (image != NULL && path != NULL, FALSE);
  if ((image->type != DM_PIXEL_U8 && image->type != DM_PIXEL_U16)
      || (image->channels != 1 && image->channels != 3 && image->channels != 4))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: PNG takes 8- or 16-bit gray, RGB or RGBA images", display);
      return FALSE;
    }
  if (!dm_atomic_file_begin (&file, path, error))
    return FALSE;
  fd = dup_fd (&file, display, error);
  if (fd < 0)
    return FALSE;
  ctx = g_new0 (PngWriteContext, 1);
  ctx->image = image;
  ctx->fp = fdopen (fd, "wb");
  if (ctx->fp == NULL)
    {
      int saved = errno;

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot write: %s", display,
                   g_strerror (saved));
      close (fd);
      g_free (ctx);
      dm_atomic_file_abort (&file);
      return FALSE;
    }
  png = png_create_write_struct (PNG_LIBPNG_VER_STRING, ctx, png_write_error_cb,
                                 png_write_warning_cb);
  if (png != NULL)
    info = png_create_info_struct (png);
  if (png != NULL && info != NULL)
    {
      if (setjmp (png_jmpbuf (png)) == 0)
        write_png (png, info, ctx);
    }
  png_destroy_write_struct (&png, &info);

  ok = ctx->done;
  if (!ok)
    g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot write PNG: %s", display,
                 ctx->message[0] != '\0' ? ctx->message : "out of memory");
  if (fclose (ctx->fp) != 0 && ok)
    {
      int saved = errno;

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot write: %s", display,
                   g_strerror (saved));
      ok = FALSE;
    }
  g_free (ctx);
  if (!ok)
    {
      dm_atomic_file_abort (&file);
      return FALSE;
    }
  return dm_atomic_file_commit (&file, error);
}

/* ---- float TIFF ----------------------------------------------------------- */

/* fmt and ap come from libtiff, which checks its own formats. */
static int
tiff_write_error_cb (TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap)
  G_GNUC_PRINTF (4, 0);

static int
tiff_write_error_cb (TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap)
{
  char *message = user_data;

  if (message[0] == '\0')
    g_vsnprintf (message, 256, fmt, ap);
  return 1;
}

static int
tiff_write_warning_cb (TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap)
{
  return 1;
}

gboolean
dm_image_save_tiff_f32 (const float *data, int width, int height, const char *path, GError **error)
{
  g_autofree char *display = NULL;
  DmAtomicFile file;
  char message[256] = "";
  int fd;
  TIFFOpenOptions *opts;
  g_autofree float *row = NULL;
  TIFF *tif;
  gboolean ok = TRUE;

  g_return_val_if_fail (data != NULL && path != NULL, FALSE);
  display = g_filename_display_name (path);
  if (width <= 0 || height <= 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: invalid image size %d x %d", display,
                   width, height);
      return FALSE;
    }
  if (!dm_atomic_file_begin (&file, path, error))
    return FALSE;
  fd = dup_fd (&file, display, error);
  if (fd < 0)
    return FALSE;
  opts = TIFFOpenOptionsAlloc ();
  TIFFOpenOptionsSetErrorHandlerExtR (opts, tiff_write_error_cb, message);
  TIFFOpenOptionsSetWarningHandlerExtR (opts, tiff_write_warning_cb, NULL);
  tif = TIFFFdOpenExt (fd, file.tmp_path, "w", opts);
  TIFFOpenOptionsFree (opts);
  if (tif == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot write TIFF: %s", display,
                   message[0] != '\0' ? message : "cannot open");
      close (fd);
      dm_atomic_file_abort (&file);
      return FALSE;
    }
  TIFFSetField (tif, TIFFTAG_IMAGEWIDTH, (uint32_t)width);
  TIFFSetField (tif, TIFFTAG_IMAGELENGTH, (uint32_t)height);
  TIFFSetField (tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)1);
  TIFFSetField (tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)32);
  TIFFSetField (tif, TIFFTAG_SAMPLEFORMAT, (uint16_t)SAMPLEFORMAT_IEEEFP);
  TIFFSetField (tif, TIFFTAG_PHOTOMETRIC, (uint16_t)PHOTOMETRIC_MINISBLACK);
  TIFFSetField (tif, TIFFTAG_PLANARCONFIG, (uint16_t)PLANARCONFIG_CONTIG);
  TIFFSetField (tif, TIFFTAG_COMPRESSION, (uint16_t)COMPRESSION_NONE);
  TIFFSetField (tif, TIFFTAG_ROWSPERSTRIP, TIFFDefaultStripSize (tif, 0));

  /* TIFFWriteScanline takes a non-const buffer (codecs may scribble on it). */
  row = g_new (float, width);
  for (int y = 0; y < height && ok; y++)
    {
      memcpy (row, data + (gsize)y * (gsize)width, (gsize)width * sizeof (float));
      ok = TIFFWriteScanline (tif, row, (uint32_t)y, 0) == 1;
    }
  if (ok)
    ok = TIFFFlush (tif) == 1;
  if (!ok)
    g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot write TIFF: %s", display,
                 message[0] != '\0' ? message : g_strerror (errno));
  TIFFClose (tif); /* closes fd; the commit syncs the file through its own */
  if (!ok)
    {
      dm_atomic_file_abort (&file);
      return FALSE;
    }
  return dm_atomic_file_commit (&file, error);
}
