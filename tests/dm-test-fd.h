/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Central finite differences in double, for the gradient checks of the
 * tensor op tests. */
#pragma once

#include <glib.h>

/* A scalar loss of the double-precision parameters the caller perturbs. */
typedef double (*DmTestLossFunc) (gpointer user_data);

/* grad[i] = (L(x + h e_i) - L(x - h e_i)) / 2h for i < n; x is restored.
 * x is one of the arrays that loss reads through user_data. */
static inline void
dm_test_fd_gradient (
  double *x, gsize n, double h, DmTestLossFunc loss, gpointer user_data, float *grad)
{
  for (gsize i = 0; i < n; i++)
    {
      double saved = x[i], plus, minus;

      x[i] = saved + h;
      plus = loss (user_data);
      x[i] = saved - h;
      minus = loss (user_data);
      x[i] = saved;
      grad[i] = (float)((plus - minus) / (2.0 * h));
    }
}

/* A double copy of n floats, freed with g_free. */
static inline double *
dm_test_to_f64 (const float *x, gsize n)
{
  double *y = g_new (double, n);

  for (gsize i = 0; i < n; i++)
    y[i] = x[i];
  return y;
}
