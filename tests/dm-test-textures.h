/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Generated "industrial" textures for end-to-end training tests: a good
 * image is a woven pattern (two crossing sine gratings, a tint, fine
 * noise) with a random shift; a defective one is the same with a blob or
 * a scratch of another brightness. Deterministic from the seed. Output is
 * normalised like the model's input: (3, crop, crop), ImageNet mean/std. */
#pragma once

#include <glib.h>
#include <math.h>
#include "dm-random.h"

static inline double
dm_test_texture_uniform (guint64 *state)
{
  return dm_random_uniform (state);
}

/* defect: 0 none, 1 a blob, 2 a scratch (chosen from the seed when -1). */
static inline void
dm_test_texture (float *out, int crop, guint64 seed, int defect)
{
  static const float mean[3] = { 0.485f, 0.456f, 0.406f }, std[3] = { 0.229f, 0.224f, 0.225f };
  static const double tint[3] = { 0.9, 0.75, 0.55 };
  guint64 st = seed * 7919 + 17;
  double sx = dm_test_texture_uniform (&st) * 40, sy = dm_test_texture_uniform (&st) * 40;
  double cx = crop * (0.25 + 0.5 * dm_test_texture_uniform (&st));
  double cy = crop * (0.25 + 0.5 * dm_test_texture_uniform (&st));
  double radius = crop * (0.07 + 0.05 * dm_test_texture_uniform (&st));
  double angle = dm_test_texture_uniform (&st) * G_PI;
  double level = dm_test_texture_uniform (&st) < 0.5 ? 0.08 : 0.95;

  if (defect < 0)
    defect = 1 + (int)(seed % 2);
  for (int y = 0; y < crop; y++)
    for (int x = 0; x < crop; x++)
      {
        double u = x + sx, w = y + sy;
        double v = 0.5 + 0.2 * sin (2 * G_PI * u / 9.0) * sin (2 * G_PI * w / 9.0)
                   + 0.12 * sin (2 * G_PI * (u + w) / 23.0);
        double noise = (dm_test_texture_uniform (&st) - 0.5) * 0.06;
        gboolean in_defect = FALSE;

        if (defect == 1)
          in_defect = (x - cx) * (x - cx) + (y - cy) * (y - cy) < radius * radius;
        else if (defect == 2)
          {
            /* a line through (cx, cy), 3 pixels wide, radius * 3 long */
            double dx = x - cx, dy = y - cy;
            double along = dx * cos (angle) + dy * sin (angle);
            double across = -dx * sin (angle) + dy * cos (angle);
            in_defect = fabs (across) < 1.5 && fabs (along) < radius * 3;
          }
        if (in_defect)
          v = level;
        for (int c = 0; c < 3; c++)
          {
            double p = CLAMP (v * tint[c] + noise, 0.0, 1.0);
            out[((gsize)c * crop + y) * crop + x] = ((float)p - mean[c]) / std[c];
          }
      }
}
