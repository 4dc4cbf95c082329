/* SPDX-License-Identifier: GPL-3.0-or-later */
/* PIL's Image.resize, bit for bit: BILINEAR (what torchvision's Resize
 * calls) for 8-bit, float and 32-bit integer images, and NEAREST (what PIL
 * uses for palette and 1-bit images). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* All functions take interleaved images of `channels` (1..4) samples per
 * pixel, rows `stride` bytes apart, and write into a caller buffer of
 * dst_h rows of dst_w pixels. Source and destination must not overlap.
 *
 * BILINEAR, as Pillow 9's Resample.c (testvectors/README.md §2.2): per axis
 * scale = in / out, a triangle filter widened by max(scale, 1) (so it
 * anti-aliases when shrinking), taps normalised to sum 1; horizontal pass
 * first (skipped when the width does not change), then vertical (skipped
 * when the height does not change), each on the previous pass's output.
 *
 * dm_resize_u8: PIL's 8-bit path. Weights as 22-bit fixed point
 * (int)(0.5 + w * 2^22); acc = 2^21 + sum(pixel * k); out = clamp(acc >> 22,
 * 0, 255) after each pass, so the intermediate image is 8-bit too. */
gboolean dm_resize_u8 (const guint8 *src,
                       int src_w,
                       int src_h,
                       gsize src_stride,
                       guint8 *dst,
                       int dst_w,
                       int dst_h,
                       gsize dst_stride,
                       int channels,
                       GError **error);

/* PIL's mode "F" path: acc = sum(pixel * w) in double, stored as float32
 * after each pass. Strides in bytes. */
gboolean dm_resize_f32 (const float *src,
                        int src_w,
                        int src_h,
                        gsize src_stride,
                        float *dst,
                        int dst_w,
                        int dst_h,
                        gsize dst_stride,
                        int channels,
                        GError **error);

/* PIL's mode "I" path (16-bit masks open as "I"): as dm_resize_f32, but
 * each pass rounds half away from zero to int32. */
gboolean dm_resize_i32 (const gint32 *src,
                        int src_w,
                        int src_h,
                        gsize src_stride,
                        gint32 *dst,
                        int dst_w,
                        int dst_h,
                        gsize dst_stride,
                        int channels,
                        GError **error);

/* PIL's NEAREST resize of 8-bit data (ImagingScaleAffine): source column
 * (int)(scale * (i + 0.5)), the position accumulated in double as PIL
 * does; a position past the edge gives 0. */
gboolean dm_resize_nearest_u8 (const guint8 *src,
                               int src_w,
                               int src_h,
                               gsize src_stride,
                               guint8 *dst,
                               int dst_w,
                               int dst_h,
                               gsize dst_stride,
                               int channels,
                               GError **error);

G_END_DECLS
