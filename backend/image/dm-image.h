/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Decoded images: PNG, TIFF, JPEG and BMP in, at their own precision
 * (8-bit, 16-bit or float), with a pixel-count ceiling against
 * decompression bombs.
 * Every failure names the file and the reason. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  DM_PIXEL_U8,  /* 0..255 */
  DM_PIXEL_U16, /* 0..65535 */
  DM_PIXEL_F32, /* as stored (float TIFF) */
} DmPixelType;

typedef struct
{
  int width;
  int height;
  int channels; /* 1 (gray), 3 (RGB) or 4 (RGBA) */
  DmPixelType type;
  gsize stride; /* bytes per row */
  guint8 *data; /* owned; row-major, channels interleaved */
} DmImage;

/* Default ceiling: 100 megapixels. */
#define DM_IMAGE_DEFAULT_MAX_PIXELS (100u * 1000u * 1000u)

/* Reads a PNG, TIFF (first page), JPEG or BMP, chosen by content, not by
 * name.
 * max_pixels == 0 means DM_IMAGE_DEFAULT_MAX_PIXELS. */
DmImage *dm_image_load (const char *path, guint64 max_pixels, GError **error);

DmImage *dm_image_new (int width, int height, int channels, DmPixelType type, GError **error);
void dm_image_free (DmImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmImage, dm_image_free)

/* Sample (x, y, c) as a float in its own range (0..255, 0..65535, or as is). */
float dm_image_get (const DmImage *image, int x, int y, int c);

/* What the file held before conversion to DmImage (for callers that must
 * treat some kinds differently, e.g. masks: see dm-preprocess.h). */
typedef enum
{
  DM_IMAGE_FORMAT_UNKNOWN = 0,
  DM_IMAGE_FORMAT_PNG,
  DM_IMAGE_FORMAT_TIFF,
  DM_IMAGE_FORMAT_JPEG,
  DM_IMAGE_FORMAT_BMP,
} DmImageFormat;

typedef struct
{
  DmImageFormat format;
  int bits_per_sample;   /* as stored: 1, 2, 4, 8, 16 or 32 (BMP bit
                          * fields: the widest colour field) */
  int samples_per_pixel; /* as stored, alpha and extra samples included */
  gboolean palette;      /* colour-mapped (PNG palette, TIFF palette, BMP
                          * palette other than PIL's gray identity) */
  gboolean has_alpha;    /* an alpha channel or a PNG tRNS chunk */
  int n_pages;           /* TIFF: pages (directories) in the file; 1 elsewhere */
  /* What was wrong with a damaged file that was decoded anyway
   * (DM_IMAGE_LOAD_ACCEPT_DAMAGED): n_warnings > 0 and the first warning
   * in words, e.g. "damaged JPEG data (Corrupt JPEG data: ...)". */
  int n_warnings;
  char warning[256];
} DmImageInfo;

typedef enum
{
  DM_IMAGE_LOAD_DEFAULT = 0,
  /* Colour-mapped images come back as one U8 channel of palette indices
   * instead of being expanded to RGB/RGBA (PIL's mode "P", for masks). */
  DM_IMAGE_LOAD_PALETTE_INDICES = 1 << 0,
  /* A file whose data is damaged but decodable (a JPEG whose scans libjpeg
   * had to resynchronise, painting what it lost flat gray) is decoded, with
   * the damage in DmImageInfo.warning, instead of refused. Off by default:
   * a damaged part must not be scored as if it were whole. */
  DM_IMAGE_LOAD_ACCEPT_DAMAGED = 1 << 1,
} DmImageLoadFlags;

/* What every loader converts to: gray+alpha becomes RGBA (gray replicated),
 * palettes are expanded (RGBA when they have transparency), 1/2/4-bit gray
 * is scaled to 0..255 (x255, x85, x17 as libpng and PIL do), 16-bit stays
 * U16 in host order, 32-bit float TIFF stays F32. No gamma or colour
 * management is applied and JPEG/TIFF orientation tags are ignored, as PIL's
 * Image.open does. `info` may be NULL. */
DmImage *dm_image_load_full (
  const char *path, guint64 max_pixels, DmImageLoadFlags flags, DmImageInfo *info, GError **error);

/* The same from bytes in memory; `name` is only used in error messages. */
DmImage *dm_image_load_from_bytes (
  const guint8 *data, gsize size, const char *name, guint64 max_pixels, GError **error);
DmImage *dm_image_load_from_bytes_full (const guint8 *data,
                                        gsize size,
                                        const char *name,
                                        guint64 max_pixels,
                                        DmImageLoadFlags flags,
                                        DmImageInfo *info,
                                        GError **error);

/* The format that the first bytes announce, or DM_IMAGE_FORMAT_UNKNOWN.
 * DM_IMAGE_SNIFF_BYTES bytes (or the whole file when shorter) are enough
 * to tell every format apart (a BMP's header size is at bytes 14..17). */
#define DM_IMAGE_SNIFF_BYTES 32
DmImageFormat dm_image_sniff (const guint8 *data, gsize size);

/* Writers (dm-image-write.c). Both write to a temporary file in the same
 * folder and rename it over `path`, so readers never see half a file.
 * PNG: U8 or U16, 1, 3 or 4 channels, no compression tricks. */
gboolean dm_image_save_png (const DmImage *image, const char *path, GError **error);
/* One-channel 32-bit float TIFF, uncompressed, values written bit for bit. */
gboolean dm_image_save_tiff_f32 (
  const float *data /* (height, width) */, int width, int height, const char *path, GError **error);

G_END_DECLS
