/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Camera frames to images, Bayer demosaicing (dm-frame.h). */
#include "dm-frame.h"

#include <string.h>

#include "dm-error.h"

static const struct
{
  const char *name;
  DmFrameFormat format;
  int bytes_per_pixel;
} formats[] = {
  { "Mono8", DM_FRAME_MONO8, 1 },        { "Mono16", DM_FRAME_MONO16, 2 },
  { "RGB8", DM_FRAME_RGB8, 3 },          { "BayerRG8", DM_FRAME_BAYER_RG8, 1 },
  { "BayerGR8", DM_FRAME_BAYER_GR8, 1 }, { "BayerBG8", DM_FRAME_BAYER_BG8, 1 },
  { "BayerGB8", DM_FRAME_BAYER_GB8, 1 },
};

gboolean
dm_frame_format_from_name (const char *name, DmFrameFormat *format)
{
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    if (g_strcmp0 (name, formats[i].name) == 0)
      {
        *format = formats[i].format;
        return TRUE;
      }
  return FALSE;
}

const char *
dm_frame_format_name (DmFrameFormat format)
{
  return formats[format].name;
}

/* Colours 0 R, 1 G, 2 B of the 2 x 2 cell, row by row. */
static void
bayer_pattern (DmFrameFormat format, int cell[4])
{
  static const int patterns[4][4] = {
    { 0, 1, 1, 2 }, /* RG */
    { 1, 0, 2, 1 }, /* GR */
    { 2, 1, 1, 0 }, /* BG */
    { 1, 2, 0, 1 }, /* GB */
  };

  memcpy (cell, patterns[format - DM_FRAME_BAYER_RG8], sizeof patterns[0]);
}

static void
demosaic (const guint8 *data, int w, int h, gsize stride, DmFrameFormat format, DmImage *out)
{
  int cell[4];

  bayer_pattern (format, cell);
  for (int y = 0; y < h; y++)
    {
      guint8 *row = out->data + (gsize)y * out->stride;

      for (int x = 0; x < w; x++)
        {
          int sum[3] = { 0 }, n[3] = { 0 };
          int own = cell[(y & 1) * 2 + (x & 1)];

          for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++)
              {
                int yy = y + dy, xx = x + dx, c;

                if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                  continue;
                c = cell[(yy & 1) * 2 + (xx & 1)];
                sum[c] += data[(gsize)yy * stride + (gsize)xx];
                n[c]++;
              }
          for (int c = 0; c < 3; c++)
            row[x * 3 + c] = c == own ? data[(gsize)y * stride + (gsize)x]
                                      : (guint8)((sum[c] + n[c] / 2) / MAX (n[c], 1));
        }
    }
}

DmImage *
dm_frame_to_image (const guint8 *data,
                   gsize size,
                   int width,
                   int height,
                   gsize stride,
                   DmFrameFormat format,
                   GError **error)
{
  int bpp = formats[format].bytes_per_pixel;
  gboolean bayer = format >= DM_FRAME_BAYER_RG8;
  DmImage *image;

  if (width < 1 || height < 1 || stride < (gsize)width * bpp
      || size < stride * (gsize)(height - 1) + (gsize)width * bpp)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT,
                   "a %s frame of %d x %d needs more than the %" G_GSIZE_FORMAT
                   " bytes it came with",
                   formats[format].name, width, height, size);
      return NULL;
    }
  image
    = dm_image_new (width, height, format == DM_FRAME_MONO8 || format == DM_FRAME_MONO16 ? 1 : 3,
                    format == DM_FRAME_MONO16 ? DM_PIXEL_U16 : DM_PIXEL_U8, error);
  if (image == NULL)
    return NULL;
  if (bayer)
    demosaic (data, width, height, stride, format, image);
  else if (format == DM_FRAME_MONO16)
    for (int y = 0; y < height; y++)
      {
        const guint8 *src = data + (gsize)y * stride;
        guint16 *dst = (guint16 *)(image->data + (gsize)y * image->stride);

        for (int x = 0; x < width; x++)
          dst[x] = (guint16)(src[2 * x] | (src[2 * x + 1] << 8));
      }
  else
    for (int y = 0; y < height; y++)
      memcpy (image->data + (gsize)y * image->stride, data + (gsize)y * stride, (gsize)width * bpp);
  return image;
}
