/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Camera frames as images: the pixel layouts cameras deliver (GenICam's
 * Mono8, Mono16, RGB8 and the four 8-bit Bayer mosaics; GStreamer's GRAY8,
 * GRAY16_LE and RGB are the same layouts) copied into a DmImage the
 * model's preprocessing takes: gray stays gray (16-bit kept), Bayer is
 * demosaiced to RGB by averaging, at every pixel and for every colour, the
 * samples of that colour in its 3 x 3 neighbourhood (bilinear
 * interpolation; the sample itself where the pixel has that colour). */
#pragma once

#include <glib.h>

#include "dm-image.h"

G_BEGIN_DECLS

typedef enum
{
  DM_FRAME_MONO8,
  DM_FRAME_MONO16, /* little-endian */
  DM_FRAME_RGB8,
  DM_FRAME_BAYER_RG8, /* the colour of the top-left 2 x 2: R G / G B */
  DM_FRAME_BAYER_GR8, /* G R / B G */
  DM_FRAME_BAYER_BG8, /* B G / G R */
  DM_FRAME_BAYER_GB8, /* G B / R G */
} DmFrameFormat;

/* "Mono8", "BayerRG8", ... (GenICam's PixelFormat names); FALSE for
 * others. */
gboolean dm_frame_format_from_name (const char *name, DmFrameFormat *format);
const char *dm_frame_format_name (DmFrameFormat format);

/* width x height pixels of format, rows stride bytes apart, from data
 * (size bytes) into a new image. FALSE (NULL) naming the problem when
 * size is too small for them. */
DmImage *dm_frame_to_image (const guint8 *data,
                            gsize size,
                            int width,
                            int height,
                            gsize stride,
                            DmFrameFormat format,
                            GError **error);

G_END_DECLS
