/* SPDX-License-Identifier: GPL-3.0-or-later */
/* exp and erf for our own vectorised loops: branch-free, no float-to-int
 * conversion (it could trap, which stops the compiler from if-converting
 * and vectorising a loop), accurate to about 1e-7. */
#pragma once

#include <glib.h>
#include <string.h>

G_BEGIN_DECLS

/* e^x for x <= 0 (1 for x > 0): x = n ln 2 + r with n rounded by adding 1.5 * 2^23 (n
 * then sits in the low mantissa bits), Cody and Waite's two-part ln 2,
 * Cephes' minimax polynomial for e^r, and 2^n put into the exponent field.
 * Within 1e-7 relative of exp down to -87.3, 0 below (a float denormal
 * there at most). */
static inline float
dm_exp_neg (float x)
{
  /* clamped to [-87.3, 0] (callers compute it for positive x too, then
   * take the other branch): n stays in [-126, 0] */
  float c = x < -87.3f ? -87.3f : x > 0.0f ? 0.0f : x;
  float t = c * 1.44269504088896341f + 12582912.0f;
  float n = t - 12582912.0f;
  float r = c - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f, two_n;
  guint32 bits;

  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  memcpy (&bits, &t, sizeof bits);
  bits = (bits - 0x4B400000u + 127u) << 23;
  memcpy (&two_n, &bits, sizeof two_n);
  return x < -87.3f ? 0.0f : p * two_n;
}

/* The exact GELU's derivative, Phi (x) + x phi (x) = (1 + erf (x / sqrt 2))
 * / 2 + x e^(-x^2 / 2) / sqrt (2 pi), with erf from Abramowitz and Stegun
 * 7.1.26 (absolute error under 1.5e-7; oneDNN's GELU uses the same), whose
 * e^(-z^2) is the e^(-x^2 / 2) of phi: one exp for both. */
static inline float
dm_gelu_grad (float x)
{
  float z = (x < 0.0f ? -x : x) * 0.70710678118654752f;
  float t = 1.0f / (1.0f + 0.3275911f * z);
  float e = dm_exp_neg (-z * z);
  float poly
    = t
      * (0.254829592f
         + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  float erf_abs = 1.0f - poly * e;
  float erf = x < 0.0f ? -erf_abs : erf_abs;

  return 0.5f * (1.0f + erf) + x * e * 0.39894228040143268f;
}

G_END_DECLS
