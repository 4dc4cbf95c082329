/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PIL's BILINEAR and NEAREST resize, reproduced operation for operation so
 * that preprocessing matches the reference bit for bit. */
#include "dm-resize.h"

#include <math.h>
#include <string.h>

#include "dm-error.h"

/* Pillow is built without fused multiply-add; a fused `ss += p * k` would
 * round differently (only possible with -march flags that enable FMA). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#define PRECISION_BITS (32 - 8 - 2)

/* Filter taps for one axis, as Pillow's precompute_coeffs. */
typedef struct
{
  int out_size;
  int ksize;   /* taps per output */
  int *bounds; /* (out_size, 2): first tap, number of taps */
  double *k;   /* (out_size, ksize): normalised weights */
  gint32 *k8;  /* (out_size, ksize): 8-bit fixed-point weights */
} Coeffs;

static void
coeffs_clear (Coeffs *c)
{
  g_free (c->bounds);
  g_free (c->k);
  g_free (c->k8);
  memset (c, 0, sizeof *c);
}

static double
bilinear_filter (double x)
{
  if (x < 0.0)
    x = -x;
  if (x < 1.0)
    return 1.0 - x;
  return 0.0;
}

static gboolean
coeffs_init (Coeffs *c, int in_size, int out_size, GError **error)
{
  /* (double)(float in1 - float in0) in Pillow: exact for image sizes. */
  double scale = (double)in_size / out_size;
  double filterscale = scale < 1.0 ? 1.0 : scale;
  double support = 1.0 * filterscale;

  memset (c, 0, sizeof *c);
  c->out_size = out_size;
  c->ksize = (int)ceil (support) * 2 + 1;
  c->bounds = g_try_new (int, (gsize)out_size * 2);
  c->k = g_try_new0 (double, (gsize)out_size * c->ksize);
  c->k8 = g_try_new0 (gint32, (gsize)out_size * c->ksize);
  if (c->bounds == NULL || c->k == NULL || c->k8 == NULL)
    {
      coeffs_clear (c);
      g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY, "out of memory for resize coefficients");
      return FALSE;
    }

  for (int xx = 0; xx < out_size; xx++)
    {
      double center = 0.0 + (xx + 0.5) * scale;
      double ww = 0.0, ss = 1.0 / filterscale;
      double *k = &c->k[(gsize)xx * c->ksize];
      int xmin = (int)(center - support + 0.5);
      int xmax = (int)(center + support + 0.5);

      if (xmin < 0)
        xmin = 0;
      if (xmax > in_size)
        xmax = in_size;
      xmax -= xmin;
      for (int x = 0; x < xmax; x++)
        {
          double w = bilinear_filter ((x + xmin - center + 0.5) * ss);

          k[x] = w;
          ww += w;
        }
      for (int x = 0; x < xmax; x++)
        if (ww != 0.0)
          k[x] /= ww;
      c->bounds[xx * 2 + 0] = xmin;
      c->bounds[xx * 2 + 1] = xmax;
    }
  for (gsize i = 0; i < (gsize)out_size * c->ksize; i++)
    c->k8[i] = c->k[i] < 0 ? (gint32)(-0.5 + c->k[i] * (1 << PRECISION_BITS))
                           : (gint32)(0.5 + c->k[i] * (1 << PRECISION_BITS));
  return TRUE;
}

static inline guint8
clip8 (gint32 in)
{
  gint32 v = in >> PRECISION_BITS;

  return (guint8)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static inline gint32
round_up (double f)
{
  /* Pillow's ROUND_UP: half away from zero, through a float 0.5. */
  return (gint32)(f >= 0.0 ? f + 0.5F : f - 0.5F);
}

typedef enum
{
  KIND_U8,
  KIND_F32,
  KIND_I32,
} Kind;

static gsize
kind_size (Kind kind)
{
  return kind == KIND_U8 ? 1 : 4;
}

/* One pass along x (horizontal) of `rows` rows. */
static void
pass_horizontal (Kind kind,
                 const Coeffs *c,
                 const guint8 *in,
                 gsize in_stride,
                 guint8 *out,
                 gsize out_stride,
                 int rows,
                 int channels)
{
  for (int y = 0; y < rows; y++)
    {
      const guint8 *irow = in + (gsize)y * in_stride;
      guint8 *orow = out + (gsize)y * out_stride;

      for (int xx = 0; xx < c->out_size; xx++)
        {
          int xmin = c->bounds[xx * 2], n = c->bounds[xx * 2 + 1];

          for (int ch = 0; ch < channels; ch++)
            {
              if (kind == KIND_U8)
                {
                  const gint32 *k = &c->k8[(gsize)xx * c->ksize];
                  gint32 ss = 1 << (PRECISION_BITS - 1);

                  for (int x = 0; x < n; x++)
                    ss += irow[(gsize)(x + xmin) * channels + ch] * k[x];
                  orow[(gsize)xx * channels + ch] = clip8 (ss);
                }
              else if (kind == KIND_F32)
                {
                  const float *ip = (const float *)irow;
                  const double *k = &c->k[(gsize)xx * c->ksize];
                  double ss = 0.0;

                  for (int x = 0; x < n; x++)
                    ss += ip[(gsize)(x + xmin) * channels + ch] * k[x];
                  ((float *)orow)[(gsize)xx * channels + ch] = (float)ss;
                }
              else
                {
                  const gint32 *ip = (const gint32 *)irow;
                  const double *k = &c->k[(gsize)xx * c->ksize];
                  double ss = 0.0;

                  for (int x = 0; x < n; x++)
                    ss += ip[(gsize)(x + xmin) * channels + ch] * k[x];
                  ((gint32 *)orow)[(gsize)xx * channels + ch] = round_up (ss);
                }
            }
        }
    }
}

/* One pass along y (vertical) over rows of `samples` samples. The taps
 * are summed in the same order as Pillow's (tap by tap, from 0.0 or
 * 2^21), so the doubles and ints come out identical. */
static void
pass_vertical (Kind kind,
               const Coeffs *c,
               const guint8 *in,
               gsize in_stride,
               guint8 *out,
               gsize out_stride,
               int samples)
{
  for (int yy = 0; yy < c->out_size; yy++)
    {
      int ymin = c->bounds[yy * 2], n = c->bounds[yy * 2 + 1];
      guint8 *orow = out + (gsize)yy * out_stride;

      for (int i = 0; i < samples; i++)
        {
          if (kind == KIND_U8)
            {
              const gint32 *k = &c->k8[(gsize)yy * c->ksize];
              gint32 ss = 1 << (PRECISION_BITS - 1);

              for (int y = 0; y < n; y++)
                ss += in[(gsize)(y + ymin) * in_stride + i] * k[y];
              orow[i] = clip8 (ss);
            }
          else if (kind == KIND_F32)
            {
              const double *k = &c->k[(gsize)yy * c->ksize];
              double ss = 0.0;

              for (int y = 0; y < n; y++)
                ss += ((const float *)(in + (gsize)(y + ymin) * in_stride))[i] * k[y];
              ((float *)orow)[i] = (float)ss;
            }
          else
            {
              const double *k = &c->k[(gsize)yy * c->ksize];
              double ss = 0.0;

              for (int y = 0; y < n; y++)
                ss += ((const gint32 *)(in + (gsize)(y + ymin) * in_stride))[i] * k[y];
              ((gint32 *)orow)[i] = round_up (ss);
            }
        }
    }
}

static gboolean
check_args (const void *src,
            int src_w,
            int src_h,
            gsize src_stride,
            const void *dst,
            int dst_w,
            int dst_h,
            gsize dst_stride,
            int channels,
            gsize size,
            GError **error)
{
  if (src == NULL || dst == NULL || src_w <= 0 || src_h <= 0 || dst_w <= 0 || dst_h <= 0
      || channels < 1 || channels > 4 || src_stride < (gsize)src_w * channels * size
      || dst_stride < (gsize)dst_w * channels * size)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "invalid resize from %d x %d to %d x %d (%d channels)", src_w, src_h, dst_w,
                   dst_h, channels);
      return FALSE;
    }
  return TRUE;
}

static gboolean
resize_bilinear (Kind kind,
                 const guint8 *src,
                 int src_w,
                 int src_h,
                 gsize src_stride,
                 guint8 *dst,
                 int dst_w,
                 int dst_h,
                 gsize dst_stride,
                 int channels,
                 GError **error)
{
  gsize size = kind_size (kind);
  gboolean need_h = dst_w != src_w, need_v = dst_h != src_h;
  Coeffs ch = { 0 }, cv = { 0 };
  guint8 *tmp = NULL;
  gsize tmp_stride = (gsize)dst_w * channels * size;

  if (!check_args (src, src_w, src_h, src_stride, dst, dst_w, dst_h, dst_stride, channels, size,
                   error))
    return FALSE;

  if (!need_h && !need_v)
    {
      for (int y = 0; y < src_h; y++)
        memcpy (dst + (gsize)y * dst_stride, src + (gsize)y * src_stride,
                (gsize)src_w * channels * size);
      return TRUE;
    }
  if ((need_h && !coeffs_init (&ch, src_w, dst_w, error))
      || (need_v && !coeffs_init (&cv, src_h, dst_h, error)))
    {
      coeffs_clear (&ch);
      return FALSE;
    }

  if (need_h && need_v)
    {
      /* (src_h, dst_w, channels): the 8-bit path keeps it 8-bit. */
      tmp = g_try_malloc (tmp_stride * (gsize)src_h);
      if (tmp == NULL)
        {
          coeffs_clear (&ch);
          coeffs_clear (&cv);
          g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY, "out of memory resizing %d x %d", src_w,
                       src_h);
          return FALSE;
        }
      pass_horizontal (kind, &ch, src, src_stride, tmp, tmp_stride, src_h, channels);
      pass_vertical (kind, &cv, tmp, tmp_stride, dst, dst_stride, dst_w * channels);
    }
  else if (need_h)
    pass_horizontal (kind, &ch, src, src_stride, dst, dst_stride, src_h, channels);
  else
    pass_vertical (kind, &cv, src, src_stride, dst, dst_stride, dst_w * channels);

  g_free (tmp);
  coeffs_clear (&ch);
  coeffs_clear (&cv);
  return TRUE;
}

gboolean
dm_resize_u8 (const guint8 *src,
              int src_w,
              int src_h,
              gsize src_stride,
              guint8 *dst,
              int dst_w,
              int dst_h,
              gsize dst_stride,
              int channels,
              GError **error)
{
  return resize_bilinear (KIND_U8, src, src_w, src_h, src_stride, dst, dst_w, dst_h, dst_stride,
                          channels, error);
}

gboolean
dm_resize_f32 (const float *src,
               int src_w,
               int src_h,
               gsize src_stride,
               float *dst,
               int dst_w,
               int dst_h,
               gsize dst_stride,
               int channels,
               GError **error)
{
  return resize_bilinear (KIND_F32, (const guint8 *)src, src_w, src_h, src_stride, (guint8 *)dst,
                          dst_w, dst_h, dst_stride, channels, error);
}

gboolean
dm_resize_i32 (const gint32 *src,
               int src_w,
               int src_h,
               gsize src_stride,
               gint32 *dst,
               int dst_w,
               int dst_h,
               gsize dst_stride,
               int channels,
               GError **error)
{
  return resize_bilinear (KIND_I32, (const guint8 *)src, src_w, src_h, src_stride, (guint8 *)dst,
                          dst_w, dst_h, dst_stride, channels, error);
}

gboolean
dm_resize_nearest_u8 (const guint8 *src,
                      int src_w,
                      int src_h,
                      gsize src_stride,
                      guint8 *dst,
                      int dst_w,
                      int dst_h,
                      gsize dst_stride,
                      int channels,
                      GError **error)
{
  g_autofree int *xin = NULL;
  double a0, a4, xo, yo;

  if (!check_args (src, src_w, src_h, src_stride, dst, dst_w, dst_h, dst_stride, channels, 1,
                   error))
    return FALSE;
  if (src_w == dst_w && src_h == dst_h)
    {
      for (int y = 0; y < src_h; y++)
        memcpy (dst + (gsize)y * dst_stride, src + (gsize)y * src_stride, (gsize)src_w * channels);
      return TRUE;
    }

  /* Pillow's _resize builds the affine a[] = {in_w / out_w, 0, 0, 0,
   * in_h / out_h, 0}; ImagingScaleAffine starts half a step in and adds
   * the step, in double, pixel after pixel. */
  a0 = (double)src_w / dst_w;
  a4 = (double)src_h / dst_h;
  xin = g_new (int, dst_w);
  xo = a0 * 0.5;
  for (int x = 0; x < dst_w; x++, xo += a0)
    {
      int v = xo < 0.0 ? -1 : (int)xo;

      xin[x] = v < src_w ? v : -1;
    }
  yo = a4 * 0.5;
  for (int y = 0; y < dst_h; y++, yo += a4)
    {
      int yi = yo < 0.0 ? -1 : (int)yo;
      guint8 *orow = dst + (gsize)y * dst_stride;

      if (yi < 0 || yi >= src_h)
        {
          memset (orow, 0, (gsize)dst_w * channels);
          continue;
        }
      for (int x = 0; x < dst_w; x++)
        for (int c = 0; c < channels; c++)
          orow[(gsize)x * channels + c]
            = xin[x] >= 0 ? src[(gsize)yi * src_stride + (gsize)xin[x] * channels + c] : 0;
    }
  return TRUE;
}
