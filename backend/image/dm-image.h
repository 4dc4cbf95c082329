/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Decoded images: PNG, TIFF and JPEG in, at their own precision (8-bit,
 * 16-bit or float), with a pixel-count ceiling against decompression bombs.
 * Every failure names the file and the reason. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  DM_PIXEL_U8,   /* 0..255 */
  DM_PIXEL_U16,  /* 0..65535 */
  DM_PIXEL_F32,  /* as stored (float TIFF) */
} DmPixelType;

typedef struct
{
  int width;
  int height;
  int channels;        /* 1 (gray), 3 (RGB) or 4 (RGBA) */
  DmPixelType type;
  gsize stride;        /* bytes per row */
  guint8 *data;        /* owned; row-major, channels interleaved */
} DmImage;

/* Default ceiling: 100 megapixels. */
#define DM_IMAGE_DEFAULT_MAX_PIXELS (100u * 1000u * 1000u)

/* Reads a PNG, TIFF (first page) or JPEG, chosen by content, not by name.
 * max_pixels == 0 means DM_IMAGE_DEFAULT_MAX_PIXELS. */
DmImage *dm_image_load (const char *path, guint64 max_pixels, GError **error);

DmImage *dm_image_new (int width, int height, int channels, DmPixelType type, GError **error);
void dm_image_free (DmImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmImage, dm_image_free)

/* Sample (x, y, c) as a float in its own range (0..255, 0..65535, or as is). */
float dm_image_get (const DmImage *image, int x, int y, int c);

G_END_DECLS
