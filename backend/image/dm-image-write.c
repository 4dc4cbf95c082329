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

typedef struct
{
  char *path;     /* target */
  char *display;  /* target, for messages */
  char *tmp_path; /* temporary file beside it */
  int fd;
} AtomicFile;

static gboolean
atomic_open (AtomicFile *file, const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  int saved;

  file->path = g_strdup (path);
  file->display = g_filename_display_name (path);
  file->tmp_path = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  file->fd = g_mkstemp_full (file->tmp_path, O_RDWR | O_CLOEXEC, 0666);
  if (file->fd < 0)
    {
      saved = errno;
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot create a file in %s: %s",
                   file->display, dir, g_strerror (saved));
      g_clear_pointer (&file->tmp_path, g_free);
      return FALSE;
    }
  return TRUE;
}

/* Renames the finished temporary file over the target (the data was
 * flushed and synced by the caller), or removes it when !ok. */
static gboolean
atomic_finish (AtomicFile *file, gboolean ok, GError **error)
{
  if (ok && g_rename (file->tmp_path, file->path) != 0)
    {
      int saved = errno;

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot replace the file: %s", file->display,
                   g_strerror (saved));
      ok = FALSE;
    }
  if (!ok && file->tmp_path != NULL)
    g_unlink (file->tmp_path);
  g_free (file->path);
  g_free (file->display);
  g_free (file->tmp_path);
  return ok;
}

static void
set_io_error (GError **error, const AtomicFile *file, const char *what, int err)
{
  g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: %s: %s", file->display, what, g_strerror (err));
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
  AtomicFile file = { 0 };
  PngWriteContext *ctx;
  png_structp png;
  png_infop info = NULL;
  gboolean ok;

  g_return_val_if_fail (image != NULL && path != NULL, FALSE);
  if ((image->type != DM_PIXEL_U8 && image->type != DM_PIXEL_U16)
      || (image->channels != 1 && image->channels != 3 && image->channels != 4))
    {
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: PNG takes 8- or 16-bit gray, RGB or RGBA images", display);
      return FALSE;
    }
  if (!atomic_open (&file, path, error))
    return atomic_finish (&file, FALSE, NULL);

  ctx = g_new0 (PngWriteContext, 1);
  ctx->image = image;
  ctx->fp = fdopen (file.fd, "wb");
  if (ctx->fp == NULL)
    {
      set_io_error (error, &file, "cannot write", errno);
      close (file.fd);
      g_free (ctx);
      return atomic_finish (&file, FALSE, NULL);
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
    g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot write PNG: %s", file.display,
                 ctx->message[0] != '\0' ? ctx->message : "out of memory");
  if (ok && (fflush (ctx->fp) != 0 || fsync (fileno (ctx->fp)) != 0))
    {
      set_io_error (error, &file, "cannot write", errno);
      ok = FALSE;
    }
  if (fclose (ctx->fp) != 0 && ok)
    {
      set_io_error (error, &file, "cannot write", errno);
      ok = FALSE;
    }
  g_free (ctx);
  return atomic_finish (&file, ok, error);
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
  AtomicFile file = { 0 };
  char message[256] = "";
  TIFFOpenOptions *opts;
  g_autofree float *row = NULL;
  TIFF *tif;
  gboolean ok = TRUE;

  g_return_val_if_fail (data != NULL && path != NULL, FALSE);
  if (width <= 0 || height <= 0)
    {
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: invalid image size %d x %d", display,
                   width, height);
      return FALSE;
    }
  if (!atomic_open (&file, path, error))
    return atomic_finish (&file, FALSE, NULL);

  opts = TIFFOpenOptionsAlloc ();
  TIFFOpenOptionsSetErrorHandlerExtR (opts, tiff_write_error_cb, message);
  TIFFOpenOptionsSetWarningHandlerExtR (opts, tiff_write_warning_cb, NULL);
  tif = TIFFFdOpenExt (file.fd, file.tmp_path, "w", opts);
  TIFFOpenOptionsFree (opts);
  if (tif == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot write TIFF: %s", file.display,
                   message[0] != '\0' ? message : "cannot open");
      close (file.fd);
      return atomic_finish (&file, FALSE, NULL);
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
    ok = TIFFFlush (tif) == 1 && fsync (TIFFFileno (tif)) == 0;
  if (!ok)
    g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot write TIFF: %s", file.display,
                 message[0] != '\0' ? message : g_strerror (errno));
  TIFFClose (tif); /* closes file.fd */
  return atomic_finish (&file, ok, error);
}
