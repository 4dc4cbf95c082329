/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The colour map and the heatmap overlay: an ordered lightness ramp, a
 * scale anchored on the pixel threshold, and the map placed exactly where
 * the crop lies on the original image. */
#include <math.h>
#include <string.h>

#include "dm-colormap.h"
#include "dm-overlay.h"
#include "dm-test-util.h"

static double
linear (double c)
{
  c /= 255.0;
  return c <= 0.04045 ? c / 12.92 : pow ((c + 0.055) / 1.055, 2.4);
}

static double
luminance (const guint8 rgb[3])
{
  return 0.2126 * linear (rgb[0]) + 0.7152 * linear (rgb[1]) + 0.0722 * linear (rgb[2]);
}

/* Relative luminance must rise along the whole map: the order of values
 * survives grey-scale printing and colour-vision deficiencies. Ember was
 * designed on 8-bit steps and rises at every entry; viridis's published
 * table rises at every entry too, but rounding it to 8 bits leaves four
 * neighbours equal or a hair darker (less than one 8-bit step of green),
 * so it must rise over every 4 entries and never fall by more than that. */
static void
test_colormap (void)
{
  for (DmColormap map = DM_COLORMAP_EMBER; map <= DM_COLORMAP_VIRIDIS; map++)
    {
      const guint8 (*table)[3] = dm_colormap_table (map);
      DmColormap back = DM_COLORMAP_EMBER;
      guint8 rgb[3];

      for (int i = 0; i + 1 < 256; i++)
        {
          if (map == DM_COLORMAP_EMBER)
            g_assert_cmpfloat (luminance (table[i + 1]), >, luminance (table[i]));
          else
            g_assert_cmpfloat (luminance (table[i + 1]), >, luminance (table[i]) - 5e-4);
          if (i + 4 < 256)
            g_assert_cmpfloat (luminance (table[i + 4]), >, luminance (table[i]));
        }
      g_assert_cmpfloat (luminance (table[0]), <, 0.06);
      g_assert_cmpfloat (luminance (table[255]), >, 0.75);
      dm_colormap_lookup (map, -1.0f, rgb);
      g_assert_cmpmem (rgb, 3, table[0], 3);
      dm_colormap_lookup (map, NAN, rgb);
      g_assert_cmpmem (rgb, 3, table[0], 3);
      dm_colormap_lookup (map, 0.5f, rgb);
      g_assert_cmpmem (rgb, 3, table[128], 3);
      dm_colormap_lookup (map, 7.0f, rgb);
      g_assert_cmpmem (rgb, 3, table[255], 3);
      g_assert_true (dm_colormap_from_name (dm_colormap_name (map), &back));
      g_assert_cmpint (back, ==, map);
    }
  /* viridis's published ends: #440154 and #FDE725 */
  g_assert_cmpmem (dm_colormap_table (DM_COLORMAP_VIRIDIS)[0], 3, ((guint8[]){ 0x44, 0x01, 0x54 }),
                   3);
  g_assert_cmpmem (dm_colormap_table (DM_COLORMAP_VIRIDIS)[255], 3,
                   ((guint8[]){ 0xfd, 0xe7, 0x25 }), 3);
  {
    DmColormap map = DM_COLORMAP_VIRIDIS;

    g_assert_false (dm_colormap_from_name ("jet", &map));
    g_assert_cmpint (map, ==, DM_COLORMAP_VIRIDIS);
  }
}

static void
test_scale (void)
{
  DmOverlayStyle s;

  dm_overlay_style_init (&s, 0.2);
  g_assert_cmpfloat (dm_overlay_scale_position (&s, 0.0f), ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (dm_overlay_scale_position (&s, 0.2f), 0.5f, 1e-6);
  g_assert_cmpfloat (dm_overlay_scale_position (&s, 0.4f), ==, 1.0f);
  g_assert_cmpfloat (dm_overlay_scale_position (&s, 3.0f), ==, 1.0f);
  g_assert_cmpfloat (dm_overlay_scale_position (&s, -1.0f), ==, 0.0f);
  g_assert_cmpfloat (dm_overlay_scale_position (&s, NAN), ==, 0.0f);
  g_assert_cmpfloat (dm_overlay_alpha (&s, 0.0f), ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (dm_overlay_alpha (&s, 0.5f), s.max_alpha, 1e-6);
  g_assert_cmpfloat_with_epsilon (dm_overlay_alpha (&s, 1.0f), s.max_alpha, 1e-6);
  /* a tenth of the threshold barely tints: a good part looks calm */
  g_assert_cmpfloat (dm_overlay_alpha (&s, dm_overlay_scale_position (&s, 0.02f)), <, 0.01f);

  /* no threshold: the fixed, documented scale */
  dm_overlay_style_init (&s, NAN);
  g_assert_cmpfloat (s.high, ==, DM_OVERLAY_DEFAULT_TOP);
  dm_overlay_style_init (&s, 0.0);
  g_assert_cmpfloat (s.high, ==, DM_OVERLAY_DEFAULT_TOP);
  dm_overlay_style_init (&s, -3.0);
  g_assert_cmpfloat (s.high, ==, DM_OVERLAY_DEFAULT_TOP);
}

/* Bilinear with pixel centres at (i + 0.5) * crop / size: a linear ramp
 * comes back exactly between the outer centres, clamped outside them. */
static void
test_sample (void)
{
  const int size = 8, crop = 32;
  float map[64];

  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++)
      map[y * size + x] = (float)(x + 10 * y);
  for (double y = 0; y <= crop; y += 0.75)
    for (double x = 0; x <= crop; x += 0.75)
      {
        double u = CLAMP (x * size / crop - 0.5, 0, size - 1);
        double v = CLAMP (y * size / crop - 0.5, 0, size - 1);

        g_assert_cmpfloat_with_epsilon (dm_overlay_sample_map (map, size, crop, x, y), u + 10 * v,
                                        1e-4);
      }
}

static DmImage *
gray_image (int w, int h, DmPixelType type, float value)
{
  DmImage *image = dm_image_new (w, h, 1, type, NULL);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint8 *row = image->data + (gsize)y * image->stride;

        if (type == DM_PIXEL_U8)
          row[x] = (guint8)value;
        else if (type == DM_PIXEL_U16)
          ((guint16 *)row)[x] = (guint16)value;
        else
          ((float *)row)[x] = value;
      }
  return image;
}

static const guint8 *
pixel (const DmImage *image, int x, int y)
{
  return image->data + (gsize)y * image->stride + 3 * x;
}

/* Inside the crop's rectangle the heatmap, outside the dimmed hatching;
 * a map of zeros leaves the inside untouched. */
static void
test_compose_regions (void)
{
  const int w = 100, h = 50, resize = 64, crop = 56, size = 16;
  g_autoptr (DmImage) image = gray_image (w, h, DM_PIXEL_U8, 200);
  g_autoptr (DmImage) image16 = gray_image (w, h, DM_PIXEL_U16, 200 * 257);
  g_autoptr (DmImage) zero_out = NULL, hot_out = NULL, out16 = NULL;
  g_autoptr (GError) error = NULL;
  float zeros[16 * 16] = { 0 }, hot[16 * 16];
  DmCropGeometry geom;
  DmOverlayStyle style;
  double rx, ry, rw, rh;
  int n_inside = 0;

  for (int i = 0; i < size * size; i++)
    hot[i] = 1.0f;
  dm_crop_geometry_init (&geom, w, h, resize, crop);
  dm_crop_geometry_rect (&geom, &rx, &ry, &rw, &rh);
  dm_overlay_style_init (&style, 0.25);
  zero_out = dm_overlay_compose (image, zeros, size, &geom, &style, &error);
  g_assert_no_error (error);
  hot_out = dm_overlay_compose (image, hot, size, &geom, &style, &error);
  g_assert_no_error (error);
  out16 = dm_overlay_compose (image16, hot, size, &geom, &style, &error);
  g_assert_no_error (error);
  g_assert_cmpint (zero_out->width, ==, w);
  g_assert_cmpint (zero_out->height, ==, h);
  g_assert_cmpint (zero_out->channels, ==, 3);
  g_assert_cmpmem (out16->data, out16->stride * h, hot_out->data, hot_out->stride * h);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        gboolean inside = x + 0.5 >= rx && x + 0.5 < rx + rw && y + 0.5 >= ry && y + 0.5 < ry + rh;
        const guint8 *z = pixel (zero_out, x, y), *t = pixel (hot_out, x, y);

        if (inside)
          {
            guint8 top[3];

            /* 0 is transparent; 2 x threshold and more: the top colour at
             * max_alpha */
            dm_colormap_lookup (style.colormap, 1.0f, top);
            n_inside++;
            for (int c = 0; c < 3; c++)
              {
                g_assert_cmpint (z[c], ==, 200);
                g_assert_cmpint (
                  t[c], ==, (int)lrintf (200 * (1 - style.max_alpha) + top[c] * style.max_alpha));
              }
          }
        else
          {
            /* dimmed (80) or on a stripe (120), whatever the map says */
            g_assert_true (z[0] == 80 || z[0] == 120);
            g_assert_cmpmem (z, 3, t, 3);
          }
      }
  /* the crop is 56 / 64 of each side */
  g_assert_cmpint (abs (n_inside - (int)lrint (w * h * (56.0 / 64) * (56.0 / 64))), <, w + h);
}

/* A single hot cell of the map shows where that cell lies on the original,
 * for a picture that the resize squeezes one way and stretches the other. */
static void
test_compose_placement (void)
{
  const int w = 90, h = 300, resize = 64, crop = 56, size = 16;
  g_autoptr (DmImage) image = gray_image (w, h, DM_PIXEL_F32, 0.0f);
  g_autoptr (DmImage) out = NULL;
  g_autoptr (GError) error = NULL;
  DmCropGeometry geom;
  DmOverlayStyle style;
  /* inside cells: at the edges the clamped map makes a plateau */
  const int cells[][2] = { { 3, 11 }, { 1, 1 }, { 14, 14 }, { 9, 2 } };

  dm_crop_geometry_init (&geom, w, h, resize, crop);
  dm_overlay_style_init (&style, 0.5);
  for (guint k = 0; k < G_N_ELEMENTS (cells); k++)
    {
      float map[16 * 16] = { 0 };
      int cx = cells[k][0], cy = cells[k][1], best_x = -1, best_y = -1, best = -1;
      double ex, ey;

      map[cy * size + cx] = 1.0f;
      g_clear_pointer (&out, dm_image_free);
      out = dm_overlay_compose (image, map, size, &geom, &style, &error);
      g_assert_no_error (error);
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          {
            const guint8 *p = pixel (out, x, y);
            int v = 2126 * p[0] + 7152 * p[1] + 722 * p[2];

            if (v > best)
              best = v, best_x = x, best_y = y;
          }
      /* the cell's centre in crop coordinates, then on the image */
      dm_crop_geometry_to_image (&geom, (cx + 0.5) * crop / size, (cy + 0.5) * crop / size, &ex,
                                 &ey);
      g_test_message ("cell (%d, %d): brightest pixel (%d, %d), centre expected at (%.2f, %.2f)",
                      cx, cy, best_x, best_y, ex, ey);
      /* the nearest pixel, or its neighbour where 8-bit colours tie */
      g_assert_cmpfloat (fabs (best_x + 0.5 - ex), <=, 1.0);
      g_assert_cmpfloat (fabs (best_y + 0.5 - ey), <=, 1.0);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/overlay/colormap", test_colormap);
  g_test_add_func ("/overlay/scale", test_scale);
  g_test_add_func ("/overlay/sample", test_sample);
  g_test_add_func ("/overlay/compose-regions", test_compose_regions);
  g_test_add_func ("/overlay/compose-placement", test_compose_placement);
  return g_test_run ();
}
