/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The embedding stage of the DINOv2 encoder. */
#include "dm-vit-embed.h"

#include <math.h>
#include <string.h>

#define CUBIC_A (-0.75f)

/* PyTorch's cubic_convolution1 / cubic_convolution2 (upsample bicubic) */
static float
cubic1 (float x)
{
  return ((CUBIC_A + 2) * x - (CUBIC_A + 3)) * x * x + 1;
}

static float
cubic2 (float x)
{
  return ((CUBIC_A * x - 5 * CUBIC_A) * x + 8 * CUBIC_A) * x - 4 * CUBIC_A;
}

static void
cubic_coefficients (float w[4], float t)
{
  w[0] = cubic2 (t + 1.0f);
  w[1] = cubic1 (t);
  w[2] = cubic1 (1.0f - t);
  w[3] = cubic2 (2.0f - t);
}

static int
clamp_index (int i, int n)
{
  return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

void
dm_pos_embed_interpolate (float *out, const float *grid, int G, int g, int D)
{
  /* PyTorch, given scale_factor s, maps with scale = (float) (1 / s):
   * src = scale * (dst + 0.5) - 0.5, not clamped for cubic. */
  double s = ((double)g + 0.1) / (double)G;
  float scale = (float)(1.0 / s);

  if (g == G)
    {
      memcpy (out, grid, sizeof (float) * (gsize)G * G * D);
      return;
    }
  for (int oy = 0; oy < g; oy++)
    {
      float ry = scale * ((float)oy + 0.5f) - 0.5f;
      int iy = (int)floorf (ry);
      float wy[4];

      cubic_coefficients (wy, ry - (float)iy);
      for (int ox = 0; ox < g; ox++)
        {
          float rx = scale * ((float)ox + 0.5f) - 0.5f;
          int ix = (int)floorf (rx);
          float wx[4];
          float *dst = out + ((gsize)oy * g + ox) * D;
          const float *taps[4][4]; /* [row][column] of the 4 x 4 neighbours, channel 0 */

          cubic_coefficients (wx, rx - (float)ix);
          for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
              taps[i][j]
                = grid + ((gsize)clamp_index (iy - 1 + i, G) * G + clamp_index (ix - 1 + j, G)) * D;
          /* the channels in the inner loop, the addresses hoisted: it
           * vectorises, and each value is computed as before */
          for (int d = 0; d < D; d++)
            {
              float rows[4];

              /* along x for each of the 4 rows, then along y */
              for (int i = 0; i < 4; i++)
                rows[i] = taps[i][0][d] * wx[0] + taps[i][1][d] * wx[1] + taps[i][2][d] * wx[2]
                          + taps[i][3][d] * wx[3];
              dst[d] = rows[0] * wy[0] + rows[1] * wy[1] + rows[2] * wy[2] + rows[3] * wy[3];
            }
        }
    }
}

void
dm_patch_unfold (float *out, const float *img, int B, int g, int P)
{
  int H = g * P;
  gsize row_len = (gsize)3 * P * P;

  for (int b = 0; b < B; b++)
    for (int py = 0; py < g; py++)
      for (int px = 0; px < g; px++)
        {
          float *row = out + (((gsize)b * g + py) * g + px) * row_len;

          for (int c = 0; c < 3; c++)
            for (int ky = 0; ky < P; ky++)
              memcpy (row + ((gsize)c * P + ky) * P,
                      img + (((gsize)b * 3 + c) * H + (gsize)py * P + ky) * H + (gsize)px * P,
                      sizeof (float) * P);
        }
}

void
dm_vit_assemble_tokens (float *x,
                        const float *patches,
                        const float *cls_token,
                        const float *cls_pos,
                        const float *registers,
                        int R,
                        const float *pos,
                        int B,
                        int g,
                        int D)
{
  gsize P = (gsize)g * g;
  gsize N = 1 + R + P;

  for (int b = 0; b < B; b++)
    {
      float *xb = x + (gsize)b * N * D;

      for (int d = 0; d < D; d++)
        xb[d] = cls_token[d] + (cls_pos != NULL ? cls_pos[d] : 0.0f);
      if (R > 0) /* DINOv2 without registers: cls, then the patches */
        memcpy (xb + D, registers, sizeof (float) * R * D);
      for (gsize p = 0; p < P; p++)
        {
          const float *src = patches + ((gsize)b * P + p) * D;
          const float *pe = pos + p * D;
          float *dst = xb + (1 + R + p) * D;

          for (int d = 0; d < D; d++)
            dst[d] = src[d] + pe[d];
        }
    }
}
