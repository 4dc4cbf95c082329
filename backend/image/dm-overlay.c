/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Heatmap overlays over the original image. */
#include "dm-overlay.h"

#include <math.h>

#include "dm-error.h"

void
dm_overlay_style_init (DmOverlayStyle *style, double pixel_threshold)
{
  style->colormap = DM_COLORMAP_EMBER;
  style->low = 0.0f;
  if (isfinite (pixel_threshold) && pixel_threshold > 0.0)
    style->high = (float)(2.0 * pixel_threshold);
  else
    style->high = DM_OVERLAY_DEFAULT_TOP;
  style->max_alpha = 0.65f;
  style->outside_dim = 0.4f;
}

float
dm_overlay_scale_position (const DmOverlayStyle *style, float value)
{
  float t = (value - style->low) / (style->high - style->low);

  if (!(t > 0.0f))
    return 0.0f;
  return t < 1.0f ? t : 1.0f;
}

float
dm_overlay_alpha (const DmOverlayStyle *style, float t)
{
  float u = MIN (t / 0.5f, 1.0f);

  return style->max_alpha * u * u;
}

float
dm_overlay_sample_map (const float *map, int size, int crop, double x, double y)
{
  /* crop coordinates -> map pixel coordinates with centres on integers */
  double u = x * size / crop - 0.5, v = y * size / crop - 0.5;
  int x0, y0, x1, y1;
  float fx, fy, top, bottom;

  u = CLAMP (u, 0.0, (double)(size - 1));
  v = CLAMP (v, 0.0, (double)(size - 1));
  x0 = (int)u;
  y0 = (int)v;
  x1 = MIN (x0 + 1, size - 1);
  y1 = MIN (y0 + 1, size - 1);
  fx = (float)(u - x0);
  fy = (float)(v - y0);
  top = map[(gsize)y0 * size + x0] * (1.0f - fx) + map[(gsize)y0 * size + x1] * fx;
  bottom = map[(gsize)y1 * size + x0] * (1.0f - fx) + map[(gsize)y1 * size + x1] * fx;
  return top * (1.0f - fy) + bottom * fy;
}

gboolean
dm_overlay_map_at_pixel (
  const float *map, int map_size, const DmCropGeometry *geom, int x, int y, float *value)
{
  /* pixel centre -> crop coordinates: the inverse of
   * dm_crop_geometry_to_image */
  double xc = (x + 0.5) / geom->scale_x - geom->offset;
  double yc = (y + 0.5) / geom->scale_y - geom->offset;

  if (!(xc >= 0.0 && xc < geom->crop && yc >= 0.0 && yc < geom->crop))
    return FALSE;
  *value = dm_overlay_sample_map (map, map_size, geom->crop, xc, yc);
  return TRUE;
}

/* The original's pixel as 8-bit RGB. */
static void
base_rgb (const DmImage *image, int x, int y, float rgb[3])
{
  for (int c = 0; c < 3; c++)
    {
      float v = dm_image_get (image, x, y, image->channels >= 3 ? c : 0);

      if (image->type == DM_PIXEL_U16)
        v /= 257.0f;
      rgb[c] = isfinite (v) ? CLAMP (v, 0.0f, 255.0f) : 0.0f;
    }
}

static guint8
to_byte (float v)
{
  return (guint8)CLAMP (lrintf (v), 0, 255);
}

DmImage *
dm_overlay_compose (const DmImage *image,
                    const float *map,
                    int map_size,
                    const DmCropGeometry *geom,
                    const DmOverlayStyle *style,
                    GError **error)
{
  return dm_overlay_compose_masked (image, map, map_size, geom, style, NULL, error);
}

DmImage *
dm_overlay_compose_masked (const DmImage *image,
                           const float *map,
                           int map_size,
                           const DmCropGeometry *geom,
                           const DmOverlayStyle *style,
                           const guint8 *inspected,
                           GError **error)
{
  int w = image->width, h = image->height;
  /* hatching in proportion to the image: about 48 stripes across the
   * shorter side, so it reads the same on a thumbnail and a full view */
  int period = MAX (8, MIN (w, h) / 48), stripe = MAX (2, period / 4);
  const guint8 (*table)[3] = dm_colormap_table (style->colormap);
  DmImage *out;

  if (map_size < 1 || geom->crop < 1)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "Overlay: map of %d pixels over a crop of %d",
                   map_size, geom->crop);
      return NULL;
    }
  out = dm_image_new (w, h, 3, DM_PIXEL_U8, error);
  if (out == NULL)
    return NULL;
  for (int y = 0; y < h; y++)
    {
      guint8 *row = out->data + (gsize)y * out->stride;

      for (int x = 0; x < w; x++)
        {
          float rgb[3], value;

          base_rgb (image, x, y, rgb);
          if ((inspected == NULL || inspected[(gsize)y * w + x])
              && dm_overlay_map_at_pixel (map, map_size, geom, x, y, &value))
            {
              float t = dm_overlay_scale_position (style, value);
              float a = dm_overlay_alpha (style, t);
              const guint8 *colour = table[(int)lrintf (t * 255.0f)];

              for (int c = 0; c < 3; c++)
                row[3 * x + c] = to_byte (rgb[c] * (1.0f - a) + colour[c] * a);
            }
          else
            {
              /* not inspected: dimmed, with light diagonal stripes */
              gboolean on_stripe = (x + y) % period < stripe;

              for (int c = 0; c < 3; c++)
                {
                  float v = rgb[c] * style->outside_dim;

                  row[3 * x + c] = to_byte (on_stripe ? 0.5f * v + 0.5f * 160.0f : v);
                }
            }
        }
    }
  return out;
}
