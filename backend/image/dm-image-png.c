/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PNG decoder on libpng: every bit depth and colour type, interlaced or not,
 * errors caught through libpng's longjmp and turned into a GError. */
#include "dm-image-private.h"

#include <png.h>
#include <setjmp.h>
#include <string.h>

#include "dm-error.h"

/* Everything that changes after setjmp lives here, behind a pointer that
 * does not change, so nothing is indeterminate after a longjmp. */
typedef struct
{
  const DmImageSource *src;
  gsize offset;      /* next byte to hand to libpng */
  char message[256]; /* first error message */
  int code;          /* DmError code for message */
  GError *error;     /* set directly by our own checks */
  DmImage *image;
  png_bytep *rows;
  gboolean done; /* every row read */
} PngContext;

static void
png_error_cb (png_structp png, png_const_charp msg)
{
  PngContext *ctx = png_get_error_ptr (png);

  if (ctx->message[0] == '\0')
    g_strlcpy (ctx->message, msg != NULL ? msg : "unknown libpng error", sizeof ctx->message);
  png_longjmp (png, 1);
}

static void
png_warning_cb (png_structp png, png_const_charp msg)
{
  /* Warnings are about ancillary chunks that libpng drops (bad CRC, bad
   * profile): the pixels are fine, as for PIL. Never printed. */
}

static void
png_read_cb (png_structp png, png_bytep out, png_size_t length)
{
  PngContext *ctx = png_get_io_ptr (png);
  gsize left = ctx->src->size - ctx->offset;

  if (length > left)
    {
      g_snprintf (ctx->message, sizeof ctx->message,
                  "truncated file (%" G_GSIZE_FORMAT " bytes; %" G_GSIZE_FORMAT
                  " more needed at offset %" G_GSIZE_FORMAT ")",
                  ctx->src->size, (gsize)length, ctx->offset);
      ctx->code = DM_ERROR_CORRUPT;
      png_error (png, ctx->message);
    }
  memcpy (out, ctx->src->data + ctx->offset, length);
  ctx->offset += length;
}

/* Sets up libpng's transforms so that the output is 1 (gray or palette
 * index), 3 (RGB) or 4 (RGBA) channels of 8 or 16 bits. */
static void
set_transforms (png_structp png, png_infop info, const DmImageSource *src)
{
  int bit_depth = png_get_bit_depth (png, info);
  int color_type = png_get_color_type (png, info);
  gboolean trns = png_get_valid (png, info, PNG_INFO_tRNS) != 0;

  switch (color_type)
    {
    case PNG_COLOR_TYPE_PALETTE:
      if (src->flags & DM_IMAGE_LOAD_PALETTE_INDICES)
        {
          /* Indices, unscaled: 1/2/4-bit indices unpacked to bytes. */
          if (bit_depth < 8)
            png_set_packing (png);
        }
      else
        {
          png_set_palette_to_rgb (png);
          if (trns)
            png_set_tRNS_to_alpha (png);
        }
      break;
    case PNG_COLOR_TYPE_GRAY:
      if (bit_depth < 8)
        png_set_expand_gray_1_2_4_to_8 (png);
      if (trns)
        {
          png_set_tRNS_to_alpha (png);
          png_set_gray_to_rgb (png);
        }
      break;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
      /* DmImage has no two-channel layout: gray+alpha becomes RGBA. */
      png_set_gray_to_rgb (png);
      break;
    case PNG_COLOR_TYPE_RGB:
      if (trns)
        png_set_tRNS_to_alpha (png);
      break;
    case PNG_COLOR_TYPE_RGB_ALPHA:
    default: break;
    }
  if (bit_depth == 16 && G_BYTE_ORDER == G_LITTLE_ENDIAN)
    png_set_swap (png);
  png_set_interlace_handling (png);
  png_read_update_info (png, info);
}

/* The work between setjmp and the end; a libpng error longjmps out of it,
 * so its locals need no care. Returns with ctx->image complete, or with
 * ctx->error set. */
static void
read_png (png_structp png, png_infop info, PngContext *ctx)
{
  const DmImageSource *src = ctx->src;
  png_uint_32 width, height;
  int bit_depth, channels;

  png_set_read_fn (png, ctx, png_read_cb);
  /* libpng's own limit is 10^6 per side: let dm_image_check_size decide,
   * so that a large image gets the ceiling's message. */
  png_set_user_limits (png, 0x7fffffff, 0x7fffffff);
  png_read_info (png, info);

  width = png_get_image_width (png, info);
  height = png_get_image_height (png, info);
  src->info->bits_per_sample = png_get_bit_depth (png, info);
  src->info->samples_per_pixel = png_get_channels (png, info);
  src->info->palette = png_get_color_type (png, info) == PNG_COLOR_TYPE_PALETTE;
  src->info->has_alpha = (png_get_color_type (png, info) & PNG_COLOR_MASK_ALPHA) != 0
                         || png_get_valid (png, info, PNG_INFO_tRNS) != 0;
  if (!dm_image_check_size (src, width, height, &ctx->error))
    return;

  set_transforms (png, info, src);
  channels = png_get_channels (png, info);
  bit_depth = png_get_bit_depth (png, info);
  if ((channels != 1 && channels != 3 && channels != 4) || (bit_depth != 8 && bit_depth != 16))
    {
      g_set_error (&ctx->error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                   "%s: unsupported PNG layout (%d channels of %d bits)", src->name, channels,
                   bit_depth);
      return;
    }
  ctx->image = dm_image_new ((int)width, (int)height, channels,
                             bit_depth == 16 ? DM_PIXEL_U16 : DM_PIXEL_U8, &ctx->error);
  if (ctx->image == NULL)
    return;
  if (png_get_rowbytes (png, info) != ctx->image->stride)
    {
      g_set_error (&ctx->error, DM_ERROR, DM_ERROR_FAILED,
                   "%s: unexpected PNG row size %" G_GSIZE_FORMAT, src->name,
                   (gsize)png_get_rowbytes (png, info));
      return;
    }
  ctx->rows = g_try_new (png_bytep, height);
  if (ctx->rows == NULL)
    {
      g_set_error (&ctx->error, DM_ERROR, DM_ERROR_NO_MEMORY, "%s: out of memory", src->name);
      return;
    }
  for (png_uint_32 y = 0; y < height; y++)
    ctx->rows[y] = ctx->image->data + (gsize)y * ctx->image->stride;
  /* Reads every pass of an interlaced image. The chunks after the image
   * data are not read: a missing IEND does not spoil complete pixels. */
  png_read_image (png, ctx->rows);
  ctx->done = TRUE;
}

DmImage *
dm_image_decode_png (const DmImageSource *src, GError **error)
{
  png_structp png = NULL;
  png_infop info = NULL;
  PngContext *ctx = g_new0 (PngContext, 1);
  DmImage *result = NULL;

  ctx->src = src;
  ctx->code = DM_ERROR_CORRUPT;
  png = png_create_read_struct (PNG_LIBPNG_VER_STRING, ctx, png_error_cb, png_warning_cb);
  if (png != NULL)
    info = png_create_info_struct (png);
  if (png == NULL || info == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY, "%s: cannot create a PNG reader",
                   src->name);
      png_destroy_read_struct (&png, NULL, NULL);
      g_free (ctx);
      return NULL;
    }

  if (setjmp (png_jmpbuf (png)) == 0)
    read_png (png, info, ctx);

  /* No g_steal_pointer here: its inline temporaries would live across the
   * setjmp above (-Wclobbered). */
  if (ctx->done)
    {
      result = ctx->image;
      ctx->image = NULL;
    }
  else if (ctx->error != NULL)
    {
      g_propagate_error (error, ctx->error);
      ctx->error = NULL;
    }
  else
    dm_image_set_error (error, src, ctx->code, ctx->message);

  png_destroy_read_struct (&png, &info, NULL);
  dm_image_free (ctx->image);
  g_free (ctx->rows);
  g_free (ctx);
  return result;
}
