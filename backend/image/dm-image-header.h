/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The size an image file announces in its header, read without decoding
 * (a few small reads), for checks over whole datasets. */
#pragma once

#include <glib.h>

#include "dm-image.h"

G_BEGIN_DECLS

typedef struct
{
  DmImageFormat format;
  int width;
  int height;
} DmImageHeader;

/* Reads what the decoders would see first:
 *   PNG   the IHDR chunk (bytes 8..24);
 *   JPEG  the first SOFn frame header, walking the marker segments before it;
 *   TIFF  tags ImageWidth (256) and ImageLength (257) of the first directory
 *         (classic and BigTIFF, both byte orders);
 *   BMP   width and height of the DIB header (a negative height, rows
 *         stored top-down, counts as its absolute value).
 * Orientation tags are ignored, as the decoders ignore them. The format is
 * chosen by content, not by name. FALSE with DM_ERROR_IO (cannot open or
 * read), DM_ERROR_UNSUPPORTED (not a PNG, TIFF, JPEG or BMP file) or
 * DM_ERROR_CORRUPT (a header that is truncated or makes no sense); the
 * message names the file. A file whose header reads fine may still fail to
 * decode later: this is a cheap first check, not a validation. */
gboolean dm_image_read_header (const char *path, DmImageHeader *out, GError **error);

G_END_DECLS
