/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the anomaly-map pipeline: resizes, blur, top-k score. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dm-anomaly-map.h"
#include "dm-test-util.h"

static int
compare_desc (const void *a, const void *b)
{
  float x = *(const float *)a, y = *(const float *)b;
  return (x < y) - (x > y);
}

static void
test_top_k_mean_matches_sort (void)
{
  for (int round = 0; round < 20; round++)
    {
      gsize n = 1 + (gsize)(round * 997) % 70000;
      gsize k = 1 + (gsize)(round * 131) % n;
      g_autofree float *x = g_new (float, n);
      g_autofree float *sorted = g_new (float, n);
      g_autofree float *scratch = g_new (float, n);
      double want = 0;
      float got;

      dm_test_fill_uniform (x, n, 0, 1, round);
      /* quantise every other round: many ties, as in flat maps */
      if (round % 2 == 1)
        for (gsize i = 0; i < n; i++)
          x[i] = floorf (x[i] * 8) / 8;
      memcpy (sorted, x, n * sizeof (float));
      qsort (sorted, n, sizeof (float), compare_desc);
      for (gsize i = 0; i < k; i++)
        want += sorted[i];
      want /= (double)k;
      got = dm_top_k_mean (x, n, k, scratch);
      g_assert_cmpfloat_with_epsilon (got, want, 1e-6);
    }
}

static void
test_top_k_constant (void)
{
  g_autofree float *x = g_new (float, 65536);
  g_autofree float *scratch = g_new (float, 65536);

  for (int i = 0; i < 65536; i++)
    x[i] = 0.25f;
  g_assert_cmpfloat (dm_anomaly_score (x, scratch), ==, 0.25f);
}

static void
test_align_corners_upsample (void)
{
  const float in[4] = { 0, 1, 2, 3 };
  float out[9];
  const float want[9] = { 0, 0.5f, 1, 1, 1.5f, 2, 2, 2.5f, 3 };

  dm_resize_bilinear_align_corners (out, 3, 3, in, 2, 2);
  for (int i = 0; i < 9; i++)
    g_assert_cmpfloat_with_epsilon (out[i], want[i], 1e-7);
}

static void
test_half_pixel_resize (void)
{
  /* 2 -> 4 along a row: PyTorch gives 0, 0.25, 0.75, 1 (edges clamped) */
  const float in[2] = { 0, 1 };
  float out[4];

  dm_resize_bilinear_half_pixel (out, 1, 4, in, 1, 2);
  g_assert_cmpfloat_with_epsilon (out[0], 0.0f, 1e-7);
  g_assert_cmpfloat_with_epsilon (out[1], 0.25f, 1e-7);
  g_assert_cmpfloat_with_epsilon (out[2], 0.75f, 1e-7);
  g_assert_cmpfloat_with_epsilon (out[3], 1.0f, 1e-7);
}

static void
test_gaussian_kernel (void)
{
  float k[25];
  double sum = 0;

  dm_gaussian_kernel (k, 5, 4.0);
  for (int i = 0; i < 25; i++)
    sum += k[i];
  g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-6);
  /* symmetric, peak in the centre */
  g_assert_cmpfloat (k[12], >, k[11]);
  g_assert_cmpfloat (k[0], ==, k[24]);
  g_assert_cmpfloat (k[4], ==, k[20]);
  /* exp(-8/32) / exp(0): corner vs centre */
  g_assert_cmpfloat_with_epsilon (k[0] / k[12], expf (-0.25f), 1e-6);
}

static void
test_blur_zero_padding (void)
{
  float k[25], in[49] = { 0 }, out[49];
  double total = 0;

  dm_gaussian_kernel (k, 5, 4.0);
  in[24] = 1; /* impulse in the middle of 7x7: the kernel comes out */
  dm_blur (out, in, 7, 7, k, 5);
  for (int y = 0; y < 5; y++)
    for (int x = 0; x < 5; x++)
      g_assert_cmpfloat_with_epsilon (out[(y + 1) * 7 + x + 1], k[y * 5 + x], 1e-7);
  /* a constant image loses mass at the border (zero padding) */
  for (int i = 0; i < 49; i++)
    in[i] = 1;
  dm_blur (out, in, 7, 7, k, 5);
  g_assert_cmpfloat_with_epsilon (out[24], 1.0f, 1e-6);
  g_assert_cmpfloat (out[0], <, 0.6f);
  for (int i = 0; i < 49; i++)
    total += out[i];
  g_assert_cmpfloat (total, <, 49);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/anomaly/top-k-mean", test_top_k_mean_matches_sort);
  g_test_add_func ("/anomaly/top-k-constant", test_top_k_constant);
  g_test_add_func ("/anomaly/align-corners-upsample", test_align_corners_upsample);
  g_test_add_func ("/anomaly/half-pixel-resize", test_half_pixel_resize);
  g_test_add_func ("/anomaly/gaussian-kernel", test_gaussian_kernel);
  g_test_add_func ("/anomaly/blur-zero-padding", test_blur_zero_padding);
  return g_test_run ();
}
