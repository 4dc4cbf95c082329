/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Element types of safetensors files, and the exact conversions between
 * float32 and the two 16-bit float formats (F16, BF16). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Every dtype the safetensors format defines. Only F32, F16 and BF16 can be
 * read as float32; the others are parsed, checked and reported. */
typedef enum
{
  DM_DTYPE_BOOL,
  DM_DTYPE_U8,
  DM_DTYPE_I8,
  DM_DTYPE_F8_E5M2,
  DM_DTYPE_F8_E4M3,
  DM_DTYPE_I16,
  DM_DTYPE_U16,
  DM_DTYPE_F16,
  DM_DTYPE_BF16,
  DM_DTYPE_I32,
  DM_DTYPE_U32,
  DM_DTYPE_F32,
  DM_DTYPE_F64,
  DM_DTYPE_I64,
  DM_DTYPE_U64,
  DM_N_DTYPES
} DmDtype;

/* "F32", "BF16", ... as written in safetensors headers. */
const char *dm_dtype_name (DmDtype dtype);
/* Parses a header dtype string; FALSE when unknown. */
gboolean dm_dtype_from_name (const char *name, DmDtype *dtype);
/* Bytes per element. */
gsize dm_dtype_size (DmDtype dtype);
/* TRUE for F32, F16 and BF16: the types that widen exactly to float32. */
gboolean dm_dtype_is_float (DmDtype dtype);
/* "F16+F32" for a bit mask of (1 << DmDtype): the dtypes a file uses. */
char *dm_dtype_mask_to_string (guint mask);

/* IEEE half <-> float. Widening is exact (subnormals, infinities, NaN
 * payloads kept); narrowing rounds to nearest even and overflows to inf. */
float dm_f16_to_f32 (guint16 h);
guint16 dm_f32_to_f16 (float f);
/* bfloat16 <-> float: the top 16 bits of a float32. Widening is exact;
 * narrowing rounds to nearest even, NaN stays a (quiet) NaN. */
float dm_bf16_to_f32 (guint16 b);
guint16 dm_f32_to_bf16 (float f);

/* Converts n little-endian elements of dtype (F32, F16 or BF16) at src
 * (any alignment) to float32. */
void dm_dtype_widen_f32 (DmDtype dtype, const guint8 *src, float *dst, gsize n);
/* Converts n floats to dtype (F32, F16 or BF16), little-endian, into dst. */
void dm_dtype_narrow_f32 (DmDtype dtype, const float *src, guint8 *dst, gsize n);

G_END_DECLS
