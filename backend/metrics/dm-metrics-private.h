/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by the metric sources: compensated summation. */
#pragma once

#include <math.h>

/* Neumaier summation: the running sum plus the rounding error it lost, so a
 * sum of millions of terms stays within an ulp or two of the exact sum
 * (numpy's pairwise sum is within a few ulps of it too). */
typedef struct
{
  double sum;
  double lost;
} DmSum;

static inline void
dm_sum_add (DmSum *s, double x)
{
  double t = s->sum + x;

  if (fabs (s->sum) >= fabs (x))
    s->lost += (s->sum - t) + x;
  else
    s->lost += (x - t) + s->sum;
  s->sum = t;
}

static inline double
dm_sum_value (const DmSum *s)
{
  return s->sum + s->lost;
}
