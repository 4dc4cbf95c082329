/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Gallery thumbnails for the PDF: the heatmap over the original picture,
 * shrunk and encoded as JPEG, so that a PDF surface embeds the compressed
 * bytes instead of raw pixels. */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "dm-error.h"
#include "dm-overlay.h"
#include "dm-report-private.h"
#include "dm-resize.h"

typedef struct
{
  struct jpeg_error_mgr pub; /* first: libjpeg casts cinfo->err to this */
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
} JpegError;

static void
jpeg_error_exit_cb (j_common_ptr cinfo)
{
  JpegError *err = (JpegError *)cinfo->err;

  err->pub.format_message (cinfo, err->message);
  longjmp (err->jump, 1);
}

static void
jpeg_output_message_cb (j_common_ptr cinfo)
{
  /* a library never prints */
}

/* rgb: (h, w, 3) rows `stride` bytes apart -> JPEG bytes (g_free). */
static guint8 *
encode_jpeg (
  const guint8 *rgb, int w, int h, gsize stride, int quality, gsize *size, GError **error)
{
  struct jpeg_compress_struct cinfo;
  JpegError err;
  unsigned char *volatile buffer = NULL;
  unsigned long volatile length = 0;
  guint8 *copy;

  memset (&cinfo, 0, sizeof cinfo);
  memset (&err, 0, sizeof err);
  cinfo.err = jpeg_std_error (&err.pub);
  err.pub.error_exit = jpeg_error_exit_cb;
  err.pub.output_message = jpeg_output_message_cb;
  if (setjmp (err.jump))
    {
      jpeg_destroy_compress (&cinfo);
      free (buffer);
      g_set_error (error, DM_ERROR, DM_ERROR_FAILED, "report thumbnail: JPEG encoding failed: %s",
                   err.message);
      return NULL;
    }
  jpeg_create_compress (&cinfo);
  jpeg_mem_dest (&cinfo, (unsigned char **)&buffer, (unsigned long *)&length);
  cinfo.image_width = (JDIMENSION)w;
  cinfo.image_height = (JDIMENSION)h;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults (&cinfo);
  jpeg_set_quality (&cinfo, quality, TRUE);
  jpeg_start_compress (&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height)
    {
      JSAMPROW row = (JSAMPROW)(rgb + (gsize)cinfo.next_scanline * stride);

      jpeg_write_scanlines (&cinfo, &row, 1);
    }
  jpeg_finish_compress (&cinfo);
  jpeg_destroy_compress (&cinfo);
  copy = g_memdup2 (buffer, length);
  *size = length;
  free (buffer);
  return copy;
}

/* The map alone in the overlay's colours (a stand-in when the picture is
 * gone): (256, 256) RGB. */
static DmImage *
map_picture (const float *map, double pixel_threshold, GError **error)
{
  DmOverlayStyle style;
  DmImage *img = dm_image_new (DM_REPORT_MAP_SIZE, DM_REPORT_MAP_SIZE, 3, DM_PIXEL_U8, error);

  if (img == NULL)
    return NULL;
  dm_overlay_style_init (&style, pixel_threshold);
  for (int y = 0; y < DM_REPORT_MAP_SIZE; y++)
    for (int x = 0; x < DM_REPORT_MAP_SIZE; x++)
      {
        float t = dm_overlay_scale_position (&style, map[y * DM_REPORT_MAP_SIZE + x]);

        dm_colormap_lookup (style.colormap, t, img->data + (gsize)y * img->stride + 3 * x);
      }
  return img;
}

/* An 8-bit RGB copy of any decoded image (gray replicated, 16-bit / 257,
 * alpha dropped): what dm_overlay_compose gives inside the crop. */
static DmImage *
as_rgb8 (const DmImage *src, GError **error)
{
  DmImage *img = dm_image_new (src->width, src->height, 3, DM_PIXEL_U8, error);

  if (img == NULL)
    return NULL;
  for (int y = 0; y < src->height; y++)
    for (int x = 0; x < src->width; x++)
      for (int c = 0; c < 3; c++)
        {
          float v = dm_image_get (src, x, y, src->channels >= 3 ? c : 0);

          if (src->type == DM_PIXEL_U16)
            v /= 257.0f;
          img->data[(gsize)y * img->stride + 3 * x + c] = (guint8)CLAMP (v + 0.5f, 0.0f, 255.0f);
        }
  return img;
}

/* The defect regions' outlines drawn into an overlay (8-bit RGB of the
 * original's size): every region pixel with a 4-neighbour outside it, in
 * cyan, which no colour of the heatmap's scale comes near. */
static void
outline_regions (
  DmImage *rgb, const float *map, int resize, int crop, double threshold, const DmRules *rules)
{
  int w = rgb->width, h = rgb->height;
  g_autofree guint32 *labels = g_new (guint32, (gsize)w * h);
  g_autoptr (GArray) regions = NULL;
  DmRegionSettings settings;

  dm_rules_region_settings (rules, threshold, w, h, resize, crop, &settings);
  regions = dm_regions_find (map, &settings, labels);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint32 l = labels[(gsize)y * w + x];
        guint8 *px;

        if (l == 0
            || (x > 0 && labels[(gsize)y * w + x - 1] == l && x < w - 1
                && labels[(gsize)y * w + x + 1] == l && y > 0 && labels[(gsize)(y - 1) * w + x] == l
                && y < h - 1 && labels[(gsize)(y + 1) * w + x] == l))
          continue;
        px = rgb->data + (gsize)y * rgb->stride + 3 * x;
        px[0] = 0;
        px[1] = 230;
        px[2] = 255;
      }
}

cairo_surface_t *
dm_report_thumbnail (const DmReportImage *image,
                     int resize,
                     int crop,
                     double pixel_threshold,
                     const DmRules *rules,
                     int max_side,
                     int jpeg_quality,
                     GPtrArray *keep,
                     GError **error)
{
  g_autoptr (DmImage) original = NULL;
  g_autoptr (DmImage) full = NULL;
  g_autofree guint8 *small = NULL, *jpeg = NULL;
  cairo_surface_t *surface;
  int w, h, stride;
  gsize small_stride, jpeg_size = 0;
  guint8 *pixels;

  if (image->path != NULL)
    original = dm_image_load (image->path, 0, NULL);
  if (original != NULL && image->map != NULL && resize > 0 && crop > 0 && crop <= resize)
    {
      DmCropGeometry geom;
      DmOverlayStyle style;

      g_autofree guint8 *inspected = NULL;

      dm_crop_geometry_init (&geom, original->width, original->height, resize, crop);
      dm_overlay_style_init (&style, pixel_threshold);
      if (rules != NULL && !dm_roi_is_empty (rules->roi))
        {
          inspected = g_malloc ((gsize)original->width * original->height);
          dm_roi_rasterize (rules->roi, rules->ref_width, rules->ref_height, original->width,
                            original->height, inspected);
        }
      full = dm_overlay_compose_masked (original, image->map, DM_REPORT_MAP_SIZE, &geom, &style,
                                        inspected, error);
      if (full != NULL && isfinite (pixel_threshold))
        outline_regions (full, image->map, resize, crop, pixel_threshold, rules);
    }
  else if (original != NULL)
    full = as_rgb8 (original, error);
  else if (image->map != NULL)
    full = map_picture (image->map, pixel_threshold, error);
  else
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot be read, and no anomaly map",
                   image->path != NULL ? image->path : "(no path)");
      return NULL;
    }
  if (full == NULL)
    return NULL;

  /* shrink (PIL's antialiased bilinear) to max_side on the longer side */
  if (full->width >= full->height)
    {
      w = MIN (max_side, full->width);
      h = MAX (1, (int)lround ((double)full->height * w / full->width));
    }
  else
    {
      h = MIN (max_side, full->height);
      w = MAX (1, (int)lround ((double)full->width * h / full->height));
    }
  small_stride = (gsize)w * 3;
  small = g_malloc ((gsize)h * small_stride);
  if (!dm_resize_u8 (full->data, full->width, full->height, full->stride, small, w, h, small_stride,
                     3, error))
    return NULL;
  jpeg = encode_jpeg (small, w, h, small_stride, jpeg_quality, &jpeg_size, error);
  if (jpeg == NULL)
    return NULL;

  /* the pixels too, for surfaces that cannot take JPEG (and for cairo's own
   * fallback); a PDF surface writes the attached JPEG bytes instead */
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, w, h);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (surface);
      g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY, "report thumbnail: no %d x %d surface", w,
                   h);
      return NULL;
    }
  cairo_surface_flush (surface);
  pixels = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        const guint8 *p = small + (gsize)y * small_stride + 3 * x;

        *(guint32 *)(void *)(pixels + (gsize)y * stride + 4 * x)
          = (guint32)p[0] << 16 | (guint32)p[1] << 8 | p[2];
      }
  cairo_surface_mark_dirty (surface);
  /* cairo 1.16's PDF surface never releases the mime data of the
   * snapshots it takes (LeakSanitizer shows every JPEG lost): with keep,
   * the caller frees the bytes once the PDF is finished */
  if (keep != NULL)
    {
      cairo_surface_set_mime_data (surface, CAIRO_MIME_TYPE_JPEG, jpeg, jpeg_size, NULL, NULL);
      g_ptr_array_add (keep, g_steal_pointer (&jpeg));
    }
  else
    cairo_surface_set_mime_data (surface, CAIRO_MIME_TYPE_JPEG, g_steal_pointer (&jpeg), jpeg_size,
                                 g_free, NULL);
  return surface;
}
