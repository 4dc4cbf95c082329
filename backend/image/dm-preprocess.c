/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Decoded image -> model input tensor, decoded mask -> ground truth, in the
 * reference's order of operations (see dm-preprocess.h). */
#include "dm-preprocess.h"

#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-mask.h"
#include "dm-resize.h"

const float dm_imagenet_mean[3] = { 0.485f, 0.456f, 0.406f };
const float dm_imagenet_std[3] = { 0.229f, 0.224f, 0.225f };

int
dm_center_crop_offset (int size, int crop)
{
  int d = size - crop;
  int half = d / 2;

  g_return_val_if_fail (d >= 0, 0);
  if (d % 2 == 0)
    return half;
  /* d / 2 = half + 0.5 exactly: Python rounds to the even neighbour. */
  return half % 2 == 0 ? half : half + 1;
}

static gboolean
check_sizes (int resize, int crop, GError **error)
{
  if (resize < 1 || resize > DM_PREPROCESS_MAX_SIZE || crop < 1 || crop > resize)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "invalid preprocessing sizes: resize %d, crop %d (need 1 <= crop <= resize "
                   "<= %d)",
                   resize, crop, DM_PREPROCESS_MAX_SIZE);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_image (const DmImage *image, GError **error)
{
  if (image == NULL || image->data == NULL || image->width <= 0 || image->height <= 0
      || (image->channels != 1 && image->channels != 3 && image->channels != 4))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "invalid image");
      return FALSE;
    }
  return TRUE;
}

/* (resize, resize, cc) -> (3, crop, crop), gray replicated. */
#define NORMALISE(resized, resize, cc, crop, offset, out)                                          \
  for (int c = 0; c < 3; c++)                                                                      \
    for (int y = 0; y < (crop); y++)                                                               \
      for (int x = 0; x < (crop); x++)                                                             \
        {                                                                                          \
          gsize i = ((gsize)((offset) + y) * (resize) + (gsize)((offset) + x)) * (cc)              \
                    + ((cc) == 1 ? 0 : c);                                                         \
          /* ToTensor's float32 division, then Normalize's sub and div. */                         \
          (out)[((gsize)c * (crop) + y) * (crop) + x]                                              \
            = ((float)(resized)[i] / 255.0f - dm_imagenet_mean[c]) / dm_imagenet_std[c];           \
        }

static gboolean
preprocess_u8 (const DmImage *image, int cc, int resize, int crop, float *out, GError **error)
{
  g_autofree guint8 *packed = NULL;
  g_autofree guint8 *resized = NULL;
  const guint8 *src = image->data;
  gsize stride = image->stride;
  int offset = dm_center_crop_offset (resize, crop);

  if (image->channels != cc)
    {
      /* Drop alpha. */
      packed = g_try_malloc ((gsize)image->width * image->height * cc);
      if (packed == NULL)
        goto oom;
      for (int y = 0; y < image->height; y++)
        for (int x = 0; x < image->width; x++)
          memcpy (packed + ((gsize)y * image->width + x) * cc,
                  image->data + (gsize)y * image->stride + (gsize)x * image->channels, cc);
      src = packed;
      stride = (gsize)image->width * cc;
    }
  resized = g_try_malloc ((gsize)resize * resize * cc);
  if (resized == NULL)
    goto oom;
  if (!dm_resize_u8 (src, image->width, image->height, stride, resized, resize, resize,
                     (gsize)resize * cc, cc, error))
    return FALSE;
  NORMALISE (resized, resize, cc, crop, offset, out);
  return TRUE;

oom:
  g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY, "out of memory preprocessing a %d x %d image",
               image->width, image->height);
  return FALSE;
}

/* Float images are read on the 8-bit scale, 0..255, as 16-bit images are
 * (v / 257): a float sample is the value an 8-bit pixel would have. A float
 * image outside that scale, or one whose samples all lie within 0..1 (the
 * other common convention, which here would be an almost black image), is
 * refused with the reason rather than scored wrong. */
static gboolean
check_float_range (const DmImage *image, int cc, GError **error)
{
  float lo = G_MAXFLOAT, hi = -G_MAXFLOAT;

  for (int y = 0; y < image->height; y++)
    {
      const float *row = (const float *)(image->data + (gsize)y * image->stride);

      for (int x = 0; x < image->width; x++)
        for (int c = 0; c < cc; c++)
          {
            float v = row[(gsize)x * image->channels + c];

            if (!isfinite (v))
              {
                g_set_error (error, DM_ERROR, DM_ERROR_NUMERIC,
                             "image has a NaN or infinite sample at (%d, %d)", x, y);
                return FALSE;
              }
            lo = MIN (lo, v);
            hi = MAX (hi, v);
          }
    }
  if (lo < 0.0f || hi > 255.0f)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "float samples from %g to %g: float images are read on the 0..255 scale of "
                   "8-bit images; scale it to 0..255 or save it as 8- or 16-bit",
                   lo, hi);
      return FALSE;
    }
  if (hi > 0.0f && hi <= 1.0f)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "float samples all within 0..1 (largest %g): float images are read on the "
                   "0..255 scale of 8-bit images, where this one would be almost black; multiply "
                   "it by 255 or save it as 8- or 16-bit",
                   hi);
      return FALSE;
    }
  return TRUE;
}

static gboolean
preprocess_float (const DmImage *image, int cc, int resize, int crop, float *out, GError **error)
{
  g_autofree float *plane = NULL;
  g_autofree float *resized = NULL;
  int offset = dm_center_crop_offset (resize, crop);

  if (image->type == DM_PIXEL_F32 && !check_float_range (image, cc, error))
    return FALSE;
  /* (height, width, cc) floats in the 8-bit range. */
  plane = g_try_new (float, (gsize)image->width * image->height * cc);
  resized = g_try_new (float, (gsize)resize *resize *cc);
  if (plane == NULL || resized == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY,
                   "out of memory preprocessing a %d x %d image", image->width, image->height);
      return FALSE;
    }
  for (int y = 0; y < image->height; y++)
    {
      const guint8 *row = image->data + (gsize)y * image->stride;
      float *dst = plane + (gsize)y * image->width * cc;

      for (int x = 0; x < image->width; x++)
        for (int c = 0; c < cc; c++)
          {
            gsize i = (gsize)x * image->channels + c;

            if (image->type == DM_PIXEL_U16)
              /* Spec §1: v / 257.0 in double, stored as float, not rounded. */
              dst[(gsize)x * cc + c] = (float)(((const guint16 *)row)[i] / 257.0);
            else
              dst[(gsize)x * cc + c] = ((const float *)row)[i];
          }
    }
  if (!dm_resize_f32 (plane, image->width, image->height, (gsize)image->width * cc * sizeof (float),
                      resized, resize, resize, (gsize)resize * cc * sizeof (float), cc, error))
    return FALSE;
  NORMALISE (resized, resize, cc, crop, offset, out);
  return TRUE;
}

gboolean
dm_preprocess_image (const DmImage *image, int resize, int crop, float *out, GError **error)
{
  int cc;

  g_return_val_if_fail (out != NULL, FALSE);
  if (!check_image (image, error) || !check_sizes (resize, crop, error))
    return FALSE;
  /* Each channel is resized on its own, so a gray image is resized once
   * and replicated at the end: the same numbers as resizing RGB. */
  cc = image->channels >= 3 ? 3 : 1;
  if (image->type == DM_PIXEL_U8)
    return preprocess_u8 (image, cc, resize, crop, out, error);
  return preprocess_float (image, cc, resize, crop, out, error);
}

gboolean
dm_preprocess_file (
  const char *path, int resize, int crop, guint64 max_pixels, float *out, GError **error)
{
  g_autoptr (DmImage) image = NULL;
  GError *local = NULL;

  if (!check_sizes (resize, crop, error))
    return FALSE;
  image = dm_image_load (path, max_pixels, error);
  if (image == NULL)
    return FALSE;
  if (!dm_preprocess_image (image, resize, crop, out, &local))
    {
      g_autofree char *display = g_filename_display_name (path);

      g_propagate_prefixed_error (error, local, "%s: ", display);
      return FALSE;
    }
  return TRUE;
}

/* ---- masks ----------------------------------------------------------------- */

/* The mask as one plane of its own type: colour masks reduced to the
 * largest colour sample, alpha ignored. Returns (height, width) samples of
 * `size` bytes. */
static void *
mask_plane (const DmImage *mask, gsize size)
{
  int colours = mask->channels >= 3 ? 3 : 1;
  guint8 *plane = g_try_malloc ((gsize)mask->width * mask->height * size);

  if (plane == NULL)
    return NULL;
  for (int y = 0; y < mask->height; y++)
    {
      const guint8 *row = mask->data + (gsize)y * mask->stride;

      for (int x = 0; x < mask->width; x++)
        {
          gsize o = (gsize)y * mask->width + x, i = (gsize)x * mask->channels;

          switch (mask->type)
            {
            case DM_PIXEL_U8:
              {
                guint8 v = row[i];

                for (int c = 1; c < colours; c++)
                  v = MAX (v, row[i + c]);
                plane[o] = v;
              }
              break;
            case DM_PIXEL_U16:
              {
                const guint16 *r16 = (const guint16 *)row;
                gint32 v = r16[i];

                for (int c = 1; c < colours; c++)
                  v = MAX (v, (gint32)r16[i + c]);
                ((gint32 *)plane)[o] = v;
              }
              break;
            case DM_PIXEL_F32:
            default:
              {
                const float *rf = (const float *)row;
                float v = rf[i];

                for (int c = 1; c < colours; c++)
                  v = MAX (v, rf[i + c]);
                ((float *)plane)[o] = v;
              }
              break;
            }
        }
    }
  return plane;
}

gboolean
dm_preprocess_mask (const DmImage *mask,
                    const DmImageInfo *info,
                    int resize,
                    int crop,
                    int out_size,
                    guint8 *out,
                    guint8 *crop_out,
                    GError **error)
{
  gsize size = mask != NULL && mask->type == DM_PIXEL_U8 ? 1 : 4;
  g_autofree guint8 *plane = NULL;
  g_autofree guint8 *resized = NULL;
  g_autofree guint8 *positive = NULL;
  gboolean nearest, ok;
  int offset;
  float scale;

  g_return_val_if_fail (out != NULL, FALSE);
  if (!check_image (mask, error) || !check_sizes (resize, crop, error))
    return FALSE;
  if (out_size < 1 || out_size > DM_PREPROCESS_MAX_SIZE)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "invalid mask output size %d", out_size);
      return FALSE;
    }
  nearest
    = info != NULL && mask->type == DM_PIXEL_U8 && (info->palette || info->bits_per_sample == 1);
  offset = dm_center_crop_offset (resize, crop);

  plane = mask_plane (mask, size);
  resized = g_try_malloc ((gsize)resize * resize * size);
  positive = g_try_malloc ((gsize)crop * crop);
  if (plane == NULL || resized == NULL || positive == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY, "out of memory for a %d x %d mask",
                   mask->width, mask->height);
      return FALSE;
    }

  if (mask->type == DM_PIXEL_U8 && nearest)
    ok = dm_resize_nearest_u8 (plane, mask->width, mask->height, mask->width, resized, resize,
                               resize, resize, 1, error);
  else if (mask->type == DM_PIXEL_U8)
    ok = dm_resize_u8 (plane, mask->width, mask->height, mask->width, resized, resize, resize,
                       resize, 1, error);
  else if (mask->type == DM_PIXEL_U16)
    ok = dm_resize_i32 ((const gint32 *)plane, mask->width, mask->height, mask->width * size,
                        (gint32 *)resized, resize, resize, resize * size, 1, error);
  else
    ok = dm_resize_f32 ((const float *)plane, mask->width, mask->height, mask->width * size,
                        (float *)resized, resize, resize, resize * size, 1, error);
  if (!ok)
    return FALSE;

  for (int y = 0; y < crop; y++)
    for (int x = 0; x < crop; x++)
      {
        gsize i = (gsize)(offset + y) * resize + (gsize)(offset + x);
        gsize o = (gsize)y * crop + x;
        gboolean pos;

        if (mask->type == DM_PIXEL_U8)
          {
            pos = resized[i] > 0;
            if (crop_out != NULL)
              crop_out[o] = resized[i];
          }
        else
          {
            pos = mask->type == DM_PIXEL_U16 ? ((gint32 *)resized)[i] > 0
                                             : ((float *)resized)[i] > 0.0f;
            if (crop_out != NULL)
              crop_out[o] = pos ? 255 : 0;
          }
        positive[o] = pos;
      }

  /* PyTorch's nearest (upsample_nearest2d): the scale in float32. */
  scale = (float)crop / (float)out_size;
  for (int y = 0; y < out_size; y++)
    {
      int sy = MIN ((int)floorf ((float)y * scale), crop - 1);

      for (int x = 0; x < out_size; x++)
        {
          int sx = MIN ((int)floorf ((float)x * scale), crop - 1);

          out[(gsize)y * out_size + x] = positive[(gsize)sy * crop + sx];
        }
    }
  return TRUE;
}

gboolean
dm_preprocess_mask_file (const char *path,
                         int resize,
                         int crop,
                         int out_size,
                         guint64 max_pixels,
                         guint8 *out,
                         guint8 *crop_out,
                         GError **error)
{
  g_autoptr (DmImage) mask = NULL;
  DmImageInfo info;
  GError *local = NULL;

  mask = dm_mask_load (path, max_pixels, DM_IMAGE_LOAD_PALETTE_INDICES, &info, error);
  if (mask == NULL)
    return FALSE;
  if (!dm_preprocess_mask (mask, &info, resize, crop, out_size, out, crop_out, &local))
    {
      g_autofree char *display = g_filename_display_name (path);

      g_propagate_prefixed_error (error, local, "%s: ", display);
      return FALSE;
    }
  return TRUE;
}

/* ---- geometry --------------------------------------------------------------- */

void
dm_crop_geometry_init (DmCropGeometry *geom, int width, int height, int resize, int crop)
{
  g_return_if_fail (geom != NULL && resize > 0 && crop <= resize);
  geom->scale_x = (double)width / resize;
  geom->scale_y = (double)height / resize;
  geom->offset = dm_center_crop_offset (resize, crop);
  geom->crop = crop;
}

void
dm_crop_geometry_to_image (
  const DmCropGeometry *geom, double x_crop, double y_crop, double *x_image, double *y_image)
{
  /* PIL's resize puts output pixel i's centre (i + 0.5) at input position
   * (i + 0.5) * in / out: edge coordinates scale as they are. */
  *x_image = (x_crop + geom->offset) * geom->scale_x;
  *y_image = (y_crop + geom->offset) * geom->scale_y;
}

void
dm_crop_geometry_rect (
  const DmCropGeometry *geom, double *x, double *y, double *width, double *height)
{
  *x = geom->offset * geom->scale_x;
  *y = geom->offset * geom->scale_y;
  *width = geom->crop * geom->scale_x;
  *height = geom->crop * geom->scale_y;
}
