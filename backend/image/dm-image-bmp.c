/* SPDX-License-Identifier: GPL-3.0-or-later */
/* BMP decoder, written here (no codec library): Windows bitmaps with the
 * CORE, INFO, V2, V3, V4 and V5 headers, 1/4/8-bit palettes, 16/24/32-bit
 * pixels (BI_RGB, BI_BITFIELDS), bottom-up and top-down rows. Every offset
 * and size comes from the file, so each is checked before it is used.
 * BTAD ships its images (and product 03 its masks) as uncompressed BMP. */
#include "dm-image-private.h"

#include <stdarg.h>
#include <string.h>

#include "dm-error.h"

/* The layout, field by field (all little-endian):
 *
 *   file header, 14 bytes
 *     0  "BM"
 *     2  u32 file size (not trusted: the real size is what we were given)
 *     6  u16, u16 reserved
 *    10  u32 offset of the pixel data from the start of the file
 *   DIB header at 14, its first u32 its own size:
 *     12  BITMAPCOREHEADER (OS/2 1.x): u16 width, u16 height, u16 planes,
 *         u16 bits per pixel; palette entries of 3 bytes (B, G, R)
 *     40  BITMAPINFOHEADER: i32 width, i32 height (negative: rows top-down),
 *         u16 planes, u16 bits, u32 compression, u32 image size, i32 x/y
 *         pixels per metre, u32 colours used (0: 2^bits), u32 colours
 *         important; palette entries of 4 bytes (B, G, R, 0)
 *     52  V2: + u32 red, green, blue masks
 *     56  V3: + u32 alpha mask
 *    108  V4: + colour space, endpoints, gamma (ignored, as PIL does)
 *    124  V5: + intent, profile data, size, reserved (ignored)
 *   With BI_BITFIELDS and a 40-byte header, the three masks (four with
 *   BI_ALPHABITFIELDS) follow the header. The palette comes after the
 *   header and masks; the pixel rows at the offset, each padded to a
 *   multiple of 4 bytes, the bottom row first unless the height is
 *   negative. */

enum
{
  BI_RGB = 0,
  BI_RLE8 = 1,
  BI_RLE4 = 2,
  BI_BITFIELDS = 3,
  BI_JPEG = 4,
  BI_PNG = 5,
  BI_ALPHABITFIELDS = 6,
};

#define FILE_HEADER_SIZE 14

typedef struct
{
  const DmImageSource *src;
  int width, height;
  gboolean top_down;
  int bits;
  guint32 compression;
  guint32 mask[4];        /* R, G, B, A for 16 and 32 bits; mask[3] 0: no alpha */
  guint8 palette[256][3]; /* R, G, B */
  guint n_colors;
  gsize offset;    /* of the pixel data */
  gsize row_bytes; /* padded */
} BmpHeader;

static guint32
le16 (const guint8 *p)
{
  return (guint32)p[0] | (guint32)p[1] << 8;
}

static guint32
le32 (const guint8 *p)
{
  return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

static gboolean
known_header_size (guint32 size)
{
  return size == 12 || size == 40 || size == 52 || size == 56 || size == 64 || size == 108
         || size == 124;
}

gboolean
dm_image_is_bmp (const guint8 *data, gsize size)
{
  /* "BM" alone is two letters a text file may start with: the DIB header
   * size must be one of the known ones too. */
  return size >= 18 && data[0] == 'B' && data[1] == 'M' && known_header_size (le32 (data + 14));
}

static gboolean G_GNUC_PRINTF (4, 5)
  fail (GError **error, const DmImageSource *src, int code, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, DM_ERROR, code, "%s: %s", src->name, message);
  return FALSE;
}

/* A mask's shift and width in bits; FALSE unless it is one run of ones. */
static gboolean
mask_shape (guint32 mask, int *shift, int *width)
{
  int s = 0, w = 0;

  if (mask == 0)
    return FALSE;
  while (!(mask & 1))
    {
      mask >>= 1;
      s++;
    }
  while (mask & 1)
    {
      mask >>= 1;
      w++;
    }
  *shift = s;
  *width = w;
  return mask == 0;
}

static gboolean
read_masks (BmpHeader *h, gsize header_size, gsize *table_end, GError **error)
{
  const DmImageSource *src = h->src;
  const guint8 *d = src->data;
  guint n = h->compression == BI_ALPHABITFIELDS ? 4 : 3;

  if (h->bits != 16 && h->bits != 32)
    return fail (error, src, DM_ERROR_CORRUPT, "BMP bit fields with %d bits per pixel", h->bits);
  memset (h->mask, 0, sizeof h->mask);
  if (header_size == 40)
    {
      /* the masks follow a plain INFO header */
      if (*table_end + 4 * n > src->size)
        return fail (error, src, DM_ERROR_CORRUPT, "truncated BMP colour masks");
      for (guint i = 0; i < n; i++)
        h->mask[i] = le32 (d + *table_end + 4 * i);
      *table_end += 4 * n;
    }
  else
    {
      for (guint i = 0; i < 3; i++)
        h->mask[i] = le32 (d + FILE_HEADER_SIZE + 40 + 4 * i);
      if (header_size >= 56)
        h->mask[3] = le32 (d + FILE_HEADER_SIZE + 52);
    }
  for (guint i = 0; i < 4; i++)
    {
      int shift, width;

      if (i == 3 && h->mask[3] == 0)
        continue;
      if (!mask_shape (h->mask[i], &shift, &width) || shift + width > h->bits)
        return fail (error, src, DM_ERROR_CORRUPT, "BMP colour mask 0x%08x is not usable",
                     h->mask[i]);
      for (guint j = 0; j < i; j++)
        if (h->mask[i] & h->mask[j])
          return fail (error, src, DM_ERROR_CORRUPT, "BMP colour masks overlap");
    }
  return TRUE;
}

static gboolean
read_palette (BmpHeader *h, gsize header_size, guint32 colors_used, gsize start, GError **error)
{
  const DmImageSource *src = h->src;
  gsize entry = header_size == 12 ? 3 : 4;
  guint n = header_size == 12 || colors_used == 0 ? 1u << h->bits : colors_used;

  if (colors_used > 256)
    return fail (error, src, DM_ERROR_CORRUPT, "BMP palette of %u colours", colors_used);
  /* Some writers say 256 colours and store fewer before the pixels: read
   * what lies before them; a pixel beyond it is refused when met. */
  if (start + (gsize)n * entry > h->offset)
    n = (guint)((h->offset - start) / entry);
  n = MIN (n, 1u << h->bits);
  if (n == 0)
    return fail (error, src, DM_ERROR_CORRUPT, "%d-bit BMP without a palette", h->bits);
  for (guint i = 0; i < n; i++)
    {
      const guint8 *p = src->data + start + i * entry;

      h->palette[i][0] = p[2];
      h->palette[i][1] = p[1];
      h->palette[i][2] = p[0];
    }
  h->n_colors = n;
  return TRUE;
}

static gboolean
read_header (BmpHeader *h, GError **error)
{
  const DmImageSource *src = h->src;
  const guint8 *d = src->data;
  guint32 header_size, colors_used = 0;
  gint64 width, height;
  gsize table_end;

  if (src->size < FILE_HEADER_SIZE + 4 || d[0] != 'B' || d[1] != 'M')
    return fail (error, src, DM_ERROR_CORRUPT, "not a BMP file");
  header_size = le32 (d + FILE_HEADER_SIZE);
  if (header_size == 64)
    return fail (error, src, DM_ERROR_UNSUPPORTED, "OS/2 2.x BMP files are not supported");
  if (!known_header_size (header_size))
    return fail (error, src, DM_ERROR_CORRUPT, "BMP header of unknown size %u", header_size);
  if (FILE_HEADER_SIZE + (gsize)header_size > src->size)
    return fail (error, src, DM_ERROR_CORRUPT, "truncated BMP header (%" G_GSIZE_FORMAT " bytes)",
                 src->size);
  if (header_size == 12)
    {
      width = le16 (d + 18);
      height = le16 (d + 20);
      h->bits = (int)le16 (d + 24);
      h->compression = BI_RGB;
    }
  else
    {
      width = (gint32)le32 (d + 18);
      height = (gint32)le32 (d + 22);
      h->bits = (int)le16 (d + 28);
      h->compression = le32 (d + 30);
      colors_used = le32 (d + 46);
    }
  h->top_down = height < 0;
  height = height < 0 ? -height : height;
  if (!dm_image_check_size (src, width, height, error))
    return FALSE;
  h->width = (int)width;
  h->height = (int)height;

  switch (h->compression)
    {
    case BI_RGB:
    case BI_BITFIELDS:
    case BI_ALPHABITFIELDS: break;
    case BI_RLE8:
    case BI_RLE4:
      return fail (error, src, DM_ERROR_UNSUPPORTED,
                   "run-length encoded BMP (%s) is not supported: save it uncompressed or as PNG",
                   h->compression == BI_RLE8 ? "RLE8" : "RLE4");
    case BI_JPEG:
    case BI_PNG:
      return fail (error, src, DM_ERROR_UNSUPPORTED, "BMP holding a %s image is not supported",
                   h->compression == BI_JPEG ? "JPEG" : "PNG");
    default:
      return fail (error, src, DM_ERROR_CORRUPT, "unknown BMP compression %u", h->compression);
    }
  if (h->bits != 1 && h->bits != 4 && h->bits != 8 && h->bits != 16 && h->bits != 24
      && h->bits != 32)
    return fail (error, src, DM_ERROR_UNSUPPORTED, "%d-bit BMP files are not supported", h->bits);
  if (h->bits == 24 && h->compression != BI_RGB)
    return fail (error, src, DM_ERROR_CORRUPT, "24-bit BMP with bit fields");

  table_end = FILE_HEADER_SIZE + header_size;
  if (h->compression == BI_RGB && h->bits == 16)
    {
      /* 5-5-5, the top bit unused */
      h->mask[0] = 0x7c00, h->mask[1] = 0x03e0, h->mask[2] = 0x001f, h->mask[3] = 0;
    }
  else if (h->compression == BI_RGB && h->bits == 32)
    {
      /* B, G, R, unused: PIL reads the fourth byte as padding ("BGRX") */
      h->mask[0] = 0xff0000, h->mask[1] = 0xff00, h->mask[2] = 0xff, h->mask[3] = 0;
    }
  else if (h->compression != BI_RGB && !read_masks (h, header_size, &table_end, error))
    return FALSE;

  h->offset = le32 (d + 10);
  if (h->offset < table_end || h->offset >= src->size)
    return fail (error, src, DM_ERROR_CORRUPT,
                 "BMP pixel data offset %" G_GSIZE_FORMAT " is outside the file (%" G_GSIZE_FORMAT
                 " bytes, header %" G_GSIZE_FORMAT ")",
                 h->offset, src->size, table_end);
  if (h->bits <= 8 && !read_palette (h, header_size, colors_used, table_end, error))
    return FALSE;

  /* at most 2^24 * 32 bits per row and 2^24 rows: no overflow in 64 bits */
  h->row_bytes = (gsize)(((guint64)h->width * (guint64)h->bits + 31) / 32 * 4);
  if ((guint64)h->row_bytes * (guint64)h->height > (guint64)(src->size - h->offset))
    return fail (error, src, DM_ERROR_CORRUPT,
                 "truncated BMP pixel data (%" G_GSIZE_FORMAT " bytes after offset %" G_GSIZE_FORMAT
                 ", %" G_GUINT64_FORMAT " needed)",
                 src->size - h->offset, h->offset, (guint64)h->row_bytes * (guint64)h->height);
  return TRUE;
}

/* A field of `width` bits scaled to 0..255 as PIL's unpackers scale 5 and
 * 6-bit fields (v * 255 / 31, integer division; Unpack.c "BGR;15",
 * "BGR;16"), for every width. */
static guint8
scale_to_8 (guint32 v, int width)
{
  guint64 max = (1ull << width) - 1;

  return (guint8)((guint64)v * 255 / max);
}

/* PIL opens a palette BMP as gray ("L", or "1" for two colours) when its
 * palette is the identity (entry i = (i, i, i); black and white for two),
 * and as a palette image ("P") otherwise; masks read as "P" are thresholded
 * on their indices (dm-preprocess.h), so the difference matters. */
/* The file's bytes of image row y (y = 0 the top row). */
static const guint8 *
source_row (const BmpHeader *h, int y)
{
  return h->src->data + h->offset + (gsize)(h->top_down ? y : h->height - 1 - y) * h->row_bytes;
}

static gboolean
palette_is_identity (const BmpHeader *h)
{
  for (guint i = 0; i < h->n_colors; i++)
    {
      guint v = h->n_colors == 2 ? i * 255 : i;

      if (h->palette[i][0] != v || h->palette[i][1] != v || h->palette[i][2] != v)
        return FALSE;
    }
  return TRUE;
}

static gboolean
palette_is_gray (const BmpHeader *h)
{
  for (guint i = 0; i < h->n_colors; i++)
    if (h->palette[i][0] != h->palette[i][1] || h->palette[i][1] != h->palette[i][2])
      return FALSE;
  return TRUE;
}

static DmImage *
decode_palette (const BmpHeader *h, GError **error)
{
  const DmImageSource *src = h->src;
  gboolean indices, gray;
  int channels, per_byte = 8 / h->bits;
  guint8 bitmask = (guint8)((1u << h->bits) - 1);
  g_autoptr (DmImage) image = NULL;

  src->info->palette = !palette_is_identity (h);
  indices = src->info->palette && (src->flags & DM_IMAGE_LOAD_PALETTE_INDICES);
  gray = palette_is_gray (h);
  channels = indices || gray ? 1 : 3;
  src->info->samples_per_pixel = 1;
  image = dm_image_new (h->width, h->height, channels, DM_PIXEL_U8, error);
  if (image == NULL)
    return NULL;
  for (int y = 0; y < h->height; y++)
    {
      const guint8 *row = source_row (h, y);
      guint8 *out = image->data + (gsize)y * image->stride;

      for (int x = 0; x < h->width; x++)
        {
          int shift = 8 - h->bits * (x % per_byte + 1);
          guint index = (row[x / per_byte] >> shift) & bitmask;

          if (index >= h->n_colors)
            {
              fail (error, src, DM_ERROR_CORRUPT,
                    "pixel (%d, %d) uses palette entry %u of a palette of %u colours", x, y, index,
                    h->n_colors);
              return NULL;
            }
          if (indices)
            out[x] = (guint8)index;
          else if (gray)
            out[x] = h->palette[index][0];
          else
            memcpy (out + (gsize)x * 3, h->palette[index], 3);
        }
    }
  return g_steal_pointer (&image);
}

static DmImage *
decode_direct (const BmpHeader *h, GError **error)
{
  const DmImageSource *src = h->src;
  int channels = h->mask[3] != 0 ? 4 : 3, bytes = h->bits / 8;
  int shift[4] = { 0 }, width[4] = { 0 };
  g_autoptr (DmImage) image = NULL;

  for (int c = 0; c < channels && h->bits != 24; c++)
    mask_shape (h->mask[c], &shift[c], &width[c]);
  src->info->samples_per_pixel = channels;
  src->info->bits_per_sample = h->bits == 24 ? 8 : MAX (MAX (width[0], width[1]), width[2]);
  src->info->has_alpha = channels == 4;
  image = dm_image_new (h->width, h->height, channels, DM_PIXEL_U8, error);
  if (image == NULL)
    return NULL;
  for (int y = 0; y < h->height; y++)
    {
      const guint8 *row = source_row (h, y);
      guint8 *out = image->data + (gsize)y * image->stride;

      for (int x = 0; x < h->width; x++)
        {
          const guint8 *p = row + (gsize)x * bytes;
          guint32 v;

          if (h->bits == 24)
            {
              out[(gsize)x * 3] = p[2];
              out[(gsize)x * 3 + 1] = p[1];
              out[(gsize)x * 3 + 2] = p[0];
              continue;
            }
          v = h->bits == 16 ? le16 (p) : le32 (p);
          for (int c = 0; c < channels; c++)
            out[(gsize)x * channels + c] = scale_to_8 ((v & h->mask[c]) >> shift[c], width[c]);
        }
    }
  return g_steal_pointer (&image);
}

DmImage *
dm_image_decode_bmp (const DmImageSource *src, GError **error)
{
  BmpHeader h = { .src = src };

  src->info->format = DM_IMAGE_FORMAT_BMP;
  if (!read_header (&h, error))
    return NULL;
  src->info->bits_per_sample = h.bits <= 8 ? h.bits : 8;
  if (h.bits <= 8)
    return decode_palette (&h, error);
  return decode_direct (&h, error);
}
