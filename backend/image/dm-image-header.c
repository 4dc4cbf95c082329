/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Image sizes from PNG, JPEG, TIFF and BMP headers without decoding: the
 * cheap check a dataset loader runs over thousands of files. */
#include "dm-image-header.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-image-private.h"

typedef struct
{
  FILE *f;
  const char *display;
} Reader;

static gboolean
truncated (const Reader *r, const char *what, GError **error)
{
  if (ferror (r->f))
    {
      int saved = errno;

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: read error: %s", r->display,
                   g_strerror (saved));
    }
  else
    g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: truncated %s", r->display, what);
  return FALSE;
}

static gboolean
read_exact (const Reader *r, void *buf, gsize n, const char *what, GError **error)
{
  if (fread (buf, 1, n, r->f) != n)
    return truncated (r, what, error);
  return TRUE;
}

static gboolean
seek_to (const Reader *r, guint64 offset, const char *what, GError **error)
{
  if (offset > G_MAXINT64 || fseeko (r->f, (off_t)offset, SEEK_SET) != 0)
    return truncated (r, what, error);
  return TRUE;
}

static gboolean
corrupt (const Reader *r, const char *message, GError **error)
{
  g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: %s", r->display, message);
  return FALSE;
}

static guint32
be32 (const guint8 *p)
{
  return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

/* PNG: signature, then the IHDR chunk first, as the format requires. */
static gboolean
png_size (const Reader *r, const guint8 *head, gsize n, DmImageHeader *out, GError **error)
{
  if (n < 24)
    return corrupt (r, "truncated PNG header", error);
  if (memcmp (head + 12, "IHDR", 4) != 0)
    return corrupt (r, "PNG file does not start with an IHDR chunk", error);
  out->width = (int)MIN (be32 (head + 16), (guint32)G_MAXINT);
  out->height = (int)MIN (be32 (head + 20), (guint32)G_MAXINT);
  return TRUE;
}

/* JPEG: marker segments up to the first frame header (SOF0..SOF15 except
 * DHT C4, JPG C8 and DAC CC); scan data never comes before it. */
static gboolean
jpeg_size (const Reader *r, DmImageHeader *out, GError **error)
{
  if (!seek_to (r, 2, "JPEG header", error))
    return FALSE;
  for (int segment = 0; segment < 65536; segment++)
    {
      guint8 len_bytes[2], sof[5];
      int c = getc (r->f), marker;
      guint len;

      if (c != 0xff)
        return c == EOF ? truncated (r, "JPEG header", error)
                        : corrupt (r, "JPEG marker expected", error);
      while ((c = getc (r->f)) == 0xff)
        ; /* fill bytes */
      if (c == EOF)
        return truncated (r, "JPEG header", error);
      marker = c;
      if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8))
        continue; /* no length */
      if (marker == 0xd9 || marker == 0xda)
        return corrupt (r, "JPEG has no frame header before its image data", error);
      if (!read_exact (r, len_bytes, 2, "JPEG header", error))
        return FALSE;
      len = (guint)len_bytes[0] << 8 | len_bytes[1];
      if (len < 2)
        return corrupt (r, "JPEG segment of bad length", error);
      if (marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc)
        {
          if (len < 7 || !read_exact (r, sof, 5, "JPEG frame header", error))
            return len < 7 ? corrupt (r, "JPEG frame header too short", error) : FALSE;
          out->height = sof[1] << 8 | sof[2];
          out->width = sof[3] << 8 | sof[4];
          return TRUE;
        }
      if (fseeko (r->f, (off_t)len - 2, SEEK_CUR) != 0)
        return truncated (r, "JPEG header", error);
    }
  return corrupt (r, "JPEG has too many segments before its frame header", error);
}

/* BMP: the DIB header after the 14-byte file header; the CORE header
 * (12 bytes) has 16-bit sizes, the others signed 32-bit ones, a negative
 * height meaning rows stored top-down (dm-image-bmp.c has the layout). */
static gboolean
bmp_size (const Reader *r, const guint8 *head, gsize n, DmImageHeader *out, GError **error)
{
  guint32 header_size = (guint32)head[14] | (guint32)head[15] << 8 | (guint32)head[16] << 16
                        | (guint32)head[17] << 24;
  gint64 width, height;

  if (header_size == 12)
    {
      if (n < 22)
        return corrupt (r, "truncated BMP header", error);
      width = head[18] | head[19] << 8;
      height = head[20] | head[21] << 8;
    }
  else
    {
      if (n < 26)
        return corrupt (r, "truncated BMP header", error);
      width = (gint32)((guint32)head[18] | (guint32)head[19] << 8 | (guint32)head[20] << 16
                       | (guint32)head[21] << 24);
      height = (gint32)((guint32)head[22] | (guint32)head[23] << 8 | (guint32)head[24] << 16
                        | (guint32)head[25] << 24);
    }
  height = height < 0 ? -height : height;
  /* zero, negative or huge: reported as a bad size by the caller */
  out->width = (int)CLAMP (width, -1, (gint64)G_MAXINT);
  out->height = (int)MIN (height, (gint64)G_MAXINT);
  return TRUE;
}

static guint64
tiff_uint (const guint8 *p, int n, gboolean big_endian)
{
  guint64 v = 0;

  for (int i = 0; i < n; i++)
    v |= (guint64)p[big_endian ? n - 1 - i : i] << (8 * i);
  return v;
}

/* TIFF: ImageWidth (256) and ImageLength (257) of the first directory, as
 * SHORT, LONG or (BigTIFF) LONG8 values stored in the entry itself. */
static gboolean
tiff_size (const Reader *r, const guint8 *head, gsize n, DmImageHeader *out, GError **error)
{
  gboolean be = head[0] == 'M';
  gboolean big = tiff_uint (head + 2, 2, be) == 43;
  int entry_size = big ? 20 : 12, count_size = big ? 8 : 2, value_at = big ? 12 : 8;
  guint64 ifd, count, width = 0, height = 0;
  guint8 count_bytes[8], entry[20];

  if (n < (big ? 16u : 8u))
    return corrupt (r, "truncated TIFF header", error);
  if (big && (tiff_uint (head + 4, 2, be) != 8 || tiff_uint (head + 6, 2, be) != 0))
    return corrupt (r, "BigTIFF header with an offset size other than 8", error);
  ifd = big ? tiff_uint (head + 8, 8, be) : tiff_uint (head + 4, 4, be);
  if (ifd < 8 || !seek_to (r, ifd, "TIFF directory", error)
      || !read_exact (r, count_bytes, (gsize)count_size, "TIFF directory", error))
    return ifd < 8 ? corrupt (r, "TIFF directory offset inside the header", error) : FALSE;
  count = tiff_uint (count_bytes, count_size, be);
  for (guint64 i = 0; i < count && (width == 0 || height == 0); i++)
    {
      guint tag, type;
      guint64 value;

      if (!read_exact (r, entry, (gsize)entry_size, "TIFF directory", error))
        return FALSE;
      tag = (guint)tiff_uint (entry, 2, be);
      type = (guint)tiff_uint (entry + 2, 2, be);
      if (tag != 256 && tag != 257)
        continue;
      if (type == 3)
        value = tiff_uint (entry + value_at, 2, be);
      else if (type == 4)
        value = tiff_uint (entry + value_at, 4, be);
      else if (type == 16 && big)
        value = tiff_uint (entry + value_at, 8, be);
      else
        return corrupt (r, "TIFF image size of an unexpected type", error);
      if (value == 0)
        value = G_MAXUINT64; /* reported as a bad size below */
      if (tag == 256)
        width = value;
      else
        height = value;
    }
  if (width == 0 || height == 0)
    return corrupt (r, "TIFF directory has no image width or height", error);
  out->width = (int)MIN (width, (guint64)G_MAXINT);
  out->height = (int)MIN (height, (guint64)G_MAXINT);
  return TRUE;
}

gboolean
dm_image_read_header (const char *path, DmImageHeader *out, GError **error)
{
  g_autofree char *display = g_filename_display_name (path);
  guint8 head[32];
  gsize n;
  gboolean ok = FALSE;
  Reader r = { NULL, display };
  int fd;

  g_return_val_if_fail (path != NULL && out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  fd = dm_open_regular (path, NULL, error);
  if (fd < 0)
    return FALSE;
  r.f = fdopen (fd, "rb");
  if (r.f == NULL)
    {
      int saved = errno;

      close (fd);
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot open: %s", display,
                   g_strerror (saved));
      return FALSE;
    }
  n = fread (head, 1, sizeof head, r.f);
  if (ferror (r.f))
    ok = truncated (&r, "header", error);
  else
    {
      out->format = dm_image_sniff (head, n);
      switch (out->format)
        {
        case DM_IMAGE_FORMAT_PNG: ok = png_size (&r, head, n, out, error); break;
        case DM_IMAGE_FORMAT_JPEG: ok = jpeg_size (&r, out, error); break;
        case DM_IMAGE_FORMAT_TIFF: ok = tiff_size (&r, head, n, out, error); break;
        case DM_IMAGE_FORMAT_BMP: ok = bmp_size (&r, head, n, out, error); break;
        case DM_IMAGE_FORMAT_UNKNOWN:
        default:
          g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                       n == 0 ? "%s: empty file" : "%s: not a PNG, TIFF, JPEG or BMP file",
                       display);
          break;
        }
    }
  fclose (r.f);
  if (ok
      && (out->width <= 0 || out->height <= 0 || out->width > DM_IMAGE_MAX_SIDE
          || out->height > DM_IMAGE_MAX_SIDE))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: bad image size %d x %d", display,
                   out->width, out->height);
      ok = FALSE;
    }
  if (!ok)
    memset (out, 0, sizeof *out);
  return ok;
}
