/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmImage itself and the loader front end: read the file, sniff the format
 * from its first bytes, hand it to the PNG, TIFF, JPEG or BMP decoder. */
#include "dm-image-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "dm-error.h"
#include "dm-file-util.h"

static gsize
bytes_per_sample (DmPixelType type)
{
  switch (type)
    {
    case DM_PIXEL_U8: return 1;
    case DM_PIXEL_U16: return 2;
    case DM_PIXEL_F32: return 4;
    default: return 0;
    }
}

DmImage *
dm_image_new (int width, int height, int channels, DmPixelType type, GError **error)
{
  gsize bps = bytes_per_sample (type);
  gsize stride, total;
  DmImage *image;

  if (width <= 0 || height <= 0 || width > DM_IMAGE_MAX_SIDE || height > DM_IMAGE_MAX_SIDE)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "invalid image size %d x %d", width, height);
      return NULL;
    }
  if ((channels != 1 && channels != 3 && channels != 4) || bps == 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "invalid image layout: %d channels, pixel type %d", channels, (int)type);
      return NULL;
    }
  /* width, height <= 2^24 and 16 bytes per pixel at most: no overflow in
   * 64 bits, but the product may still not fit a 32-bit gsize. */
  stride = (gsize)width * (gsize)channels * bps;
  if ((guint64)stride * (guint64)height > G_MAXSIZE)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE, "image of %d x %d is too large", width,
                   height);
      return NULL;
    }
  total = stride * (gsize)height;

  image = g_new0 (DmImage, 1);
  image->width = width;
  image->height = height;
  image->channels = channels;
  image->type = type;
  image->stride = stride;
  image->data = g_try_malloc0 (total);
  if (image->data == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY,
                   "out of memory for an image of %d x %d (%" G_GSIZE_FORMAT " bytes)", width,
                   height, total);
      g_free (image);
      return NULL;
    }
  return image;
}

void
dm_image_free (DmImage *image)
{
  if (image == NULL)
    return;
  g_free (image->data);
  g_free (image);
}

float
dm_image_get (const DmImage *image, int x, int y, int c)
{
  const guint8 *row;

  g_return_val_if_fail (image != NULL, 0.0f);
  g_return_val_if_fail (x >= 0 && x < image->width && y >= 0 && y < image->height, 0.0f);
  g_return_val_if_fail (c >= 0 && c < image->channels, 0.0f);

  row = image->data + (gsize)y * image->stride;
  switch (image->type)
    {
    case DM_PIXEL_U8: return row[(gsize)x * image->channels + c];
    case DM_PIXEL_U16: return ((const guint16 *)row)[(gsize)x * image->channels + c];
    case DM_PIXEL_F32: return ((const float *)row)[(gsize)x * image->channels + c];
    default: return 0.0f;
    }
}

DmImageFormat
dm_image_sniff (const guint8 *data, gsize size)
{
  static const guint8 png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

  if (data == NULL)
    return DM_IMAGE_FORMAT_UNKNOWN;
  if (size >= 8 && memcmp (data, png_magic, 8) == 0)
    return DM_IMAGE_FORMAT_PNG;
  /* Classic TIFF (42) and BigTIFF (43), both byte orders. */
  if (size >= 4
      && ((data[0] == 'I' && data[1] == 'I' && (data[2] == 42 || data[2] == 43) && data[3] == 0)
          || (data[0] == 'M' && data[1] == 'M' && data[2] == 0
              && (data[3] == 42 || data[3] == 43))))
    return DM_IMAGE_FORMAT_TIFF;
  if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
    return DM_IMAGE_FORMAT_JPEG;
  if (dm_image_is_bmp (data, size))
    return DM_IMAGE_FORMAT_BMP;
  return DM_IMAGE_FORMAT_UNKNOWN;
}

gboolean
dm_image_check_size (const DmImageSource *src, gint64 width, gint64 height, GError **error)
{
  guint64 max_pixels = src->max_pixels != 0 ? src->max_pixels : DM_IMAGE_DEFAULT_MAX_PIXELS;

  if (width <= 0 || height <= 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT,
                   "%s: invalid image size %" G_GINT64_FORMAT " x %" G_GINT64_FORMAT, src->name,
                   width, height);
      return FALSE;
    }
  if (width > DM_IMAGE_MAX_SIDE || height > DM_IMAGE_MAX_SIDE
      || (guint64)width * (guint64)height > max_pixels)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE,
                   "%s: image of %" G_GINT64_FORMAT " x %" G_GINT64_FORMAT
                   " pixels is over the limit of %" G_GUINT64_FORMAT " pixels",
                   src->name, width, height, max_pixels);
      return FALSE;
    }
  return TRUE;
}

void
dm_image_set_error (GError **error, const DmImageSource *src, int code, const char *message)
{
  g_autofree char *clean
    = g_strdup (message != NULL && *message != '\0' ? message : "unknown error");
  gsize len = strlen (clean);

  /* Codec messages come with their own line ends and full stops. */
  while (len > 0 && (clean[len - 1] == '\n' || clean[len - 1] == '.' || clean[len - 1] == ' '))
    clean[--len] = '\0';
  g_set_error (error, DM_ERROR, code, "%s: %s", src->name, clean);
}

static DmImage *
decode (const DmImageSource *src, GError **error)
{
  memset (src->info, 0, sizeof *src->info);
  src->info->n_pages = 1;
  if (src->size == 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: empty file", src->name);
      return NULL;
    }
  src->info->format = dm_image_sniff (src->data, src->size);
  switch (src->info->format)
    {
    case DM_IMAGE_FORMAT_PNG: return dm_image_decode_png (src, error);
    case DM_IMAGE_FORMAT_TIFF: return dm_image_decode_tiff (src, error);
    case DM_IMAGE_FORMAT_JPEG: return dm_image_decode_jpeg (src, error);
    case DM_IMAGE_FORMAT_BMP: return dm_image_decode_bmp (src, error);
    case DM_IMAGE_FORMAT_UNKNOWN:
    default:
      g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                   "%s: not a PNG, TIFF, JPEG or BMP file (unknown signature)", src->name);
      return NULL;
    }
}

DmImage *
dm_image_load_from_bytes_full (const guint8 *data,
                               gsize size,
                               const char *name,
                               guint64 max_pixels,
                               DmImageLoadFlags flags,
                               DmImageInfo *info,
                               GError **error)
{
  g_autofree char *display = g_filename_display_name (name != NULL ? name : "(memory)");
  DmImageInfo local_info;
  DmImageSource src = {
    .data = data,
    .size = data != NULL ? size : 0,
    .name = display,
    .max_pixels = max_pixels,
    .flags = flags,
    .info = info != NULL ? info : &local_info,
  };

  return decode (&src, error);
}

DmImage *
dm_image_load_from_bytes (
  const guint8 *data, gsize size, const char *name, guint64 max_pixels, GError **error)
{
  return dm_image_load_from_bytes_full (data, size, name, max_pixels, DM_IMAGE_LOAD_DEFAULT, NULL,
                                        error);
}

/* The whole file in memory: the decoders then share one source type, and
 * a short read shows up as a truncated image, never as a stale buffer. */
static guint8 *
read_file (const char *path, const char *display, gsize *size, GError **error)
{
  guint8 *buf;
  gsize done = 0, file_size = 0;
  int fd, saved;

  fd = dm_open_regular (path, &file_size, error);
  if (fd < 0)
    return NULL;
  if ((guint64)file_size > G_MAXSIZE - 1)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE, "%s: file too large", display);
      close (fd);
      return NULL;
    }
  /* One spare byte so that an empty file still gets a valid pointer. */
  buf = g_try_malloc (file_size + 1);
  if (buf == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY,
                   "%s: out of memory reading %" G_GUINT64_FORMAT " bytes", display,
                   (guint64)file_size);
      close (fd);
      return NULL;
    }
  while (done < file_size)
    {
      gssize n = read (fd, buf + done, file_size - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          saved = errno;
          g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: read error: %s", display,
                       g_strerror (saved));
          g_free (buf);
          close (fd);
          return NULL;
        }
      if (n == 0)
        break; /* shrank while we read: decode what is there */
      done += (gsize)n;
    }
  close (fd);
  *size = done;
  return buf;
}

DmImage *
dm_image_load_full (
  const char *path, guint64 max_pixels, DmImageLoadFlags flags, DmImageInfo *info, GError **error)
{
  g_autofree char *display = NULL;
  g_autofree guint8 *data = NULL;
  gsize size = 0;

  g_return_val_if_fail (path != NULL, NULL);
  display = g_filename_display_name (path);
  data = read_file (path, display, &size, error);
  if (data == NULL)
    return NULL;
  return dm_image_load_from_bytes_full (data, size, path, max_pixels, flags, info, error);
}

DmImage *
dm_image_load (const char *path, guint64 max_pixels, GError **error)
{
  return dm_image_load_full (path, max_pixels, DM_IMAGE_LOAD_DEFAULT, NULL, error);
}
