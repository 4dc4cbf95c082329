/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Anomaly maps and image scores, equal to the official PyTorch pipeline. */
#include "dm-anomaly-map.h"

#include <math.h>
#include <string.h>

void
dm_resize_bilinear_align_corners (
  float *out, int out_h, int out_w, const float *in, int in_h, int in_w)
{
  /* PyTorch computes the scales in float (opmath of float) */
  float sh = out_h > 1 ? (float)(in_h - 1) / (float)(out_h - 1) : 0.0f;
  float sw = out_w > 1 ? (float)(in_w - 1) / (float)(out_w - 1) : 0.0f;

  for (int y = 0; y < out_h; y++)
    {
      float fy = sh * (float)y;
      int y0 = (int)fy;
      int y1 = y0 + (y0 < in_h - 1 ? 1 : 0);
      float ly1 = fy - (float)y0, ly0 = 1.0f - ly1;

      for (int x = 0; x < out_w; x++)
        {
          float fx = sw * (float)x;
          int x0 = (int)fx;
          int x1 = x0 + (x0 < in_w - 1 ? 1 : 0);
          float lx1 = fx - (float)x0, lx0 = 1.0f - lx1;

          out[(gsize)y * out_w + x]
            = ly0 * (lx0 * in[(gsize)y0 * in_w + x0] + lx1 * in[(gsize)y0 * in_w + x1])
              + ly1 * (lx0 * in[(gsize)y1 * in_w + x0] + lx1 * in[(gsize)y1 * in_w + x1]);
        }
    }
}

static void
half_pixel_index (int dst, float scale, int in_size, int *i0, int *i1, float *l0, float *l1)
{
  float src = scale * ((float)dst + 0.5f) - 0.5f;

  if (src < 0.0f)
    src = 0.0f;
  *i0 = (int)src;
  *i1 = *i0 + (*i0 < in_size - 1 ? 1 : 0);
  *l1 = src - (float)*i0;
  *l0 = 1.0f - *l1;
}

void
dm_resize_bilinear_half_pixel (
  float *out, int out_h, int out_w, const float *in, int in_h, int in_w)
{
  float sh = (float)in_h / (float)out_h;
  float sw = (float)in_w / (float)out_w;

  for (int y = 0; y < out_h; y++)
    {
      int y0, y1;
      float ly0, ly1;

      half_pixel_index (y, sh, in_h, &y0, &y1, &ly0, &ly1);
      for (int x = 0; x < out_w; x++)
        {
          int x0, x1;
          float lx0, lx1;

          half_pixel_index (x, sw, in_w, &x0, &x1, &lx0, &lx1);
          out[(gsize)y * out_w + x]
            = ly0 * (lx0 * in[(gsize)y0 * in_w + x0] + lx1 * in[(gsize)y0 * in_w + x1])
              + ly1 * (lx0 * in[(gsize)y1 * in_w + x0] + lx1 * in[(gsize)y1 * in_w + x1]);
        }
    }
}

void
dm_gaussian_kernel (float *kernel, int size, double sigma)
{
  /* The official get_gaussian_kernel: exp(-|xy - mean|^2 / (2 var)), the
   * 1 / (2 pi var) factor cancels in the normalisation. */
  float mean = (float)(size - 1) / 2.0f;
  float var = (float)(sigma * sigma);
  double sum = 0;

  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++)
      {
        float d2 = ((float)x - mean) * ((float)x - mean) + ((float)y - mean) * ((float)y - mean);
        float v = (1.0f / (2.0f * (float)G_PI * var)) * expf (-d2 / (2.0f * var));

        kernel[y * size + x] = v;
        sum += v;
      }
  for (int i = 0; i < size * size; i++)
    kernel[i] = (float)(kernel[i] / sum);
}

/* One output pixel with the bounds checks: image borders. */
static float
blur_pixel (const float *in, int h, int w, const float *kernel, int size, int y, int x)
{
  int r = size / 2;
  float acc = 0.0f;

  for (int ky = 0; ky < size; ky++)
    {
      int sy = y + ky - r;

      if (sy < 0 || sy >= h)
        continue;
      for (int kx = 0; kx < size; kx++)
        {
          int sx = x + kx - r;

          if (sx < 0 || sx >= w)
            continue;
          acc += kernel[ky * size + kx] * in[(gsize)sy * w + sx];
        }
    }
  return acc;
}

/* Zero padding adds nothing, so skipping the outside taps is the padded
 * convolution exactly. Away from the borders the taps are summed in the
 * same order (ky, then kx) for a tile of pixels at once: the same
 * arithmetic per pixel, but vectorised across the tile. */
#define BLUR_TILE 64

void
dm_blur (float *out, const float *in, int h, int w, const float *kernel, int size)
{
  int r = size / 2;

  for (int y = 0; y < h; y++)
    {
      gboolean rows_inside = y - r >= 0 && y + r < h;
      int x = 0;

      for (; x < MIN (r, w); x++)
        out[(gsize)y * w + x] = blur_pixel (in, h, w, kernel, size, y, x);
      if (rows_inside)
        while (x + r < w)
          {
            int n = MIN (BLUR_TILE, w - r - x);
            float acc[BLUR_TILE];

            for (int i = 0; i < n; i++)
              acc[i] = 0.0f;
            for (int ky = 0; ky < size; ky++)
              for (int kx = 0; kx < size; kx++)
                {
                  const float *src = in + (gsize)(y + ky - r) * w + (x + kx - r);
                  float k = kernel[ky * size + kx];

                  for (int i = 0; i < n; i++)
                    acc[i] += k * src[i];
                }
            for (int i = 0; i < n; i++)
              out[(gsize)y * w + x + i] = acc[i];
            x += n;
          }
      for (; x < w; x++)
        out[(gsize)y * w + x] = blur_pixel (in, h, w, kernel, size, y, x);
    }
}

void
dm_anomaly_map_crop (
  float *map_crop, float *tmp, const float *const *group_maps, int n_groups, int g, int crop)
{
  gsize n = (gsize)crop * crop;

  memset (map_crop, 0, n * sizeof (float));
  for (int i = 0; i < n_groups; i++)
    {
      dm_resize_bilinear_align_corners (tmp, crop, crop, group_maps[i], g, g);
      for (gsize j = 0; j < n; j++)
        map_crop[j] += tmp[j];
    }
  for (gsize j = 0; j < n; j++)
    map_crop[j] /= (float)n_groups;
}

void
dm_anomaly_map_256 (float *map_256, float *tmp, const float *map_crop, int crop)
{
  float kernel[DM_ANOMALY_BLUR_SIZE * DM_ANOMALY_BLUR_SIZE];

  dm_gaussian_kernel (kernel, DM_ANOMALY_BLUR_SIZE, DM_ANOMALY_BLUR_SIGMA);
  dm_resize_bilinear_half_pixel (tmp, DM_ANOMALY_MAP_SIZE, DM_ANOMALY_MAP_SIZE, map_crop, crop,
                                 crop);
  dm_blur (map_256, tmp, DM_ANOMALY_MAP_SIZE, DM_ANOMALY_MAP_SIZE, kernel, DM_ANOMALY_BLUR_SIZE);
}

static void
swap_f (float *a, float *b)
{
  float t = *a;
  *a = *b;
  *b = t;
}

/* Moves the k largest values of x[0..n) to x[0..k): quickselect with a
 * three-way partition, so runs of equal values (flat maps) stay linear.
 * Invariant: everything in [0, lo) >= everything in [lo, n), and the
 * boundary k lies in (lo, hi]. */
static void
select_largest (float *x, gsize n, gsize k)
{
  gsize lo = 0, hi = n;

  while (hi - lo > 1)
    {
      float a = x[lo], b = x[lo + (hi - lo) / 2], c = x[hi - 1];
      float pivot = MAX (MIN (a, b), MIN (MAX (a, b), c)); /* median of three */
      gsize lt = lo, i = lo, gt = hi;

      while (i < gt)
        {
          if (x[i] > pivot)
            swap_f (&x[lt++], &x[i++]);
          else if (x[i] < pivot)
            swap_f (&x[i], &x[--gt]);
          else
            i++;
        }
      /* [lo, lt) > pivot, [lt, gt) == pivot, [gt, hi) < pivot */
      if (k <= lt)
        hi = lt;
      else if (k <= gt)
        return;
      else
        lo = gt;
    }
}

float
dm_top_k_mean_in_place (float *x, gsize n, gsize k)
{
  double sum = 0;

  if (n == 0 || k == 0)
    return NAN;
  k = MIN (k, n);
  select_largest (x, n, k);
  for (gsize i = 0; i < k; i++)
    sum += x[i];
  return (float)(sum / (double)k);
}

float
dm_top_k_mean (const float *x, gsize n, gsize k, float *scratch)
{
  if (n == 0 || k == 0)
    return NAN;
  memcpy (scratch, x, n * sizeof (float));
  return dm_top_k_mean_in_place (scratch, n, k);
}

float
dm_anomaly_score (const float *map_256, float *scratch)
{
  return dm_top_k_mean (map_256, (gsize)DM_ANOMALY_MAP_SIZE * DM_ANOMALY_MAP_SIZE, DM_ANOMALY_TOP_K,
                        scratch);
}
