/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Element types of safetensors files and exact float conversions. */
#include "dm-dtype.h"

#include <string.h>

static const struct
{
  const char *name;
  gsize size;
} dtypes[DM_N_DTYPES] = {
  [DM_DTYPE_BOOL] = { "BOOL", 1 },       [DM_DTYPE_U8] = { "U8", 1 },
  [DM_DTYPE_I8] = { "I8", 1 },           [DM_DTYPE_F8_E5M2] = { "F8_E5M2", 1 },
  [DM_DTYPE_F8_E4M3] = { "F8_E4M3", 1 }, [DM_DTYPE_I16] = { "I16", 2 },
  [DM_DTYPE_U16] = { "U16", 2 },         [DM_DTYPE_F16] = { "F16", 2 },
  [DM_DTYPE_BF16] = { "BF16", 2 },       [DM_DTYPE_I32] = { "I32", 4 },
  [DM_DTYPE_U32] = { "U32", 4 },         [DM_DTYPE_F32] = { "F32", 4 },
  [DM_DTYPE_F64] = { "F64", 8 },         [DM_DTYPE_I64] = { "I64", 8 },
  [DM_DTYPE_U64] = { "U64", 8 },
};

const char *
dm_dtype_name (DmDtype dtype)
{
  return (guint)dtype < DM_N_DTYPES ? dtypes[dtype].name : "?";
}

gboolean
dm_dtype_from_name (const char *name, DmDtype *dtype)
{
  for (guint i = 0; i < DM_N_DTYPES; i++)
    if (strcmp (name, dtypes[i].name) == 0)
      {
        *dtype = (DmDtype)i;
        return TRUE;
      }
  return FALSE;
}

gsize
dm_dtype_size (DmDtype dtype)
{
  return (guint)dtype < DM_N_DTYPES ? dtypes[dtype].size : 0;
}

gboolean
dm_dtype_is_float (DmDtype dtype)
{
  return dtype == DM_DTYPE_F32 || dtype == DM_DTYPE_F16 || dtype == DM_DTYPE_BF16;
}

char *
dm_dtype_mask_to_string (guint mask)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < DM_N_DTYPES; i++)
    if (mask & (1u << i))
      {
        if (s->len > 0)
          g_string_append_c (s, '+');
        g_string_append (s, dtypes[i].name);
      }
  if (s->len == 0)
    g_string_append (s, "none");
  return g_string_free (s, FALSE);
}

static float
bits_to_f32 (guint32 bits)
{
  float f;

  memcpy (&f, &bits, sizeof f);
  return f;
}

static guint32
f32_to_bits (float f)
{
  guint32 bits;

  memcpy (&bits, &f, sizeof bits);
  return bits;
}

float
dm_f16_to_f32 (guint16 h)
{
  guint32 sign = (guint32)(h & 0x8000u) << 16;
  guint32 exp = (h >> 10) & 0x1fu;
  guint32 mant = h & 0x3ffu;

  if (exp == 0x1f) /* inf or NaN, payload kept */
    return bits_to_f32 (sign | 0x7f800000u | (mant << 13));
  if (exp != 0)
    return bits_to_f32 (sign | ((exp + 112) << 23) | (mant << 13));
  if (mant == 0)
    return bits_to_f32 (sign);
  /* Subnormal half (mant * 2^-24): normal in float32, so renormalise. */
  exp = 113;
  while ((mant & 0x400u) == 0)
    {
      mant <<= 1;
      exp--;
    }
  return bits_to_f32 (sign | (exp << 23) | ((mant & 0x3ffu) << 13));
}

guint16
dm_f32_to_f16 (float f)
{
  guint32 bits = f32_to_bits (f);
  guint32 sign = (bits >> 16) & 0x8000u;
  guint32 exp = (bits >> 23) & 0xffu;
  guint32 mant = bits & 0x7fffffu;
  int e = (int)exp - 127 + 15;
  guint32 half, rem;

  if (exp == 0xff)
    return (guint16)(sign | 0x7c00u | (mant != 0 ? 0x200u | (mant >> 13) : 0));
  if (e >= 0x1f)
    return (guint16)(sign | 0x7c00u);
  if (e <= 0)
    {
      /* Half subnormal: value / 2^-24 = (1.mant) * 2^(e - 14). */
      guint32 shift = (guint32)(14 - e);
      guint32 m = mant | 0x800000u;

      if (exp == 0 || shift > 24)
        return (guint16)sign; /* below half the smallest subnormal */
      half = m >> shift;
      rem = m & ((1u << shift) - 1);
      if (rem > (1u << (shift - 1)) || (rem == (1u << (shift - 1)) && (half & 1)))
        half++;
      return (guint16)(sign | half);
    }
  half = sign | ((guint32)e << 10) | (mant >> 13);
  rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1)))
    half++; /* a carry into the exponent is right, up to inf */
  return (guint16)half;
}

float
dm_bf16_to_f32 (guint16 b)
{
  return bits_to_f32 ((guint32)b << 16);
}

guint16
dm_f32_to_bf16 (float f)
{
  guint32 bits = f32_to_bits (f);

  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return (guint16)((bits >> 16) | 0x40u);
  return (guint16)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

static guint16
load_u16_le (const guint8 *p)
{
  return (guint16)(p[0] | (p[1] << 8));
}

void
dm_dtype_widen_f32 (DmDtype dtype, const guint8 *src, float *dst, gsize n)
{
  switch (dtype)
    {
    case DM_DTYPE_F32:
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      memcpy (dst, src, n * sizeof (float));
#else
      for (gsize i = 0; i < n; i++)
        {
          const guint8 *p = src + 4 * i;
          dst[i] = bits_to_f32 (p[0] | (p[1] << 8) | (p[2] << 16) | ((guint32)p[3] << 24));
        }
#endif
      break;
    case DM_DTYPE_F16:
      for (gsize i = 0; i < n; i++)
        dst[i] = dm_f16_to_f32 (load_u16_le (src + 2 * i));
      break;
    case DM_DTYPE_BF16:
      for (gsize i = 0; i < n; i++)
        dst[i] = dm_bf16_to_f32 (load_u16_le (src + 2 * i));
      break;
    default: g_return_if_reached ();
    }
}

void
dm_dtype_narrow_f32 (DmDtype dtype, const float *src, guint8 *dst, gsize n)
{
  switch (dtype)
    {
    case DM_DTYPE_F32:
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      memcpy (dst, src, n * sizeof (float));
#else
      for (gsize i = 0; i < n; i++)
        {
          guint32 b = f32_to_bits (src[i]);
          dst[4 * i] = b & 0xff;
          dst[4 * i + 1] = (b >> 8) & 0xff;
          dst[4 * i + 2] = (b >> 16) & 0xff;
          dst[4 * i + 3] = b >> 24;
        }
#endif
      break;
    case DM_DTYPE_F16:
    case DM_DTYPE_BF16:
      for (gsize i = 0; i < n; i++)
        {
          guint16 h = dtype == DM_DTYPE_F16 ? dm_f32_to_f16 (src[i]) : dm_f32_to_bf16 (src[i]);
          dst[2 * i] = h & 0xff;
          dst[2 * i + 1] = h >> 8;
        }
      break;
    default: g_return_if_reached ();
    }
}
