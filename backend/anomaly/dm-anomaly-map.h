/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Anomaly maps and image scores (spec/dinomaly.md §6): per-group cosine
 * distances on the patch grid -> mean of their upsampled maps at crop size
 * -> 256x256 bilinear resize + 5x5 Gaussian blur -> mean of the top 1%. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DM_ANOMALY_MAP_SIZE 256
#define DM_ANOMALY_BLUR_SIZE 5
#define DM_ANOMALY_BLUR_SIGMA 4.0
/* (int)(256 * 256 * 0.01): the number of pixels averaged into the score */
#define DM_ANOMALY_TOP_K 655

/* Bilinear upsampling with align_corners = true, as PyTorch's
 * F.interpolate(mode="bilinear", align_corners=True):
 * in (in_h, in_w) -> out (out_h, out_w). */
void dm_resize_bilinear_align_corners (
  float *out, int out_h, int out_w, const float *in, int in_h, int in_w);

/* Bilinear resize with align_corners = false and no anti-aliasing, as
 * PyTorch's F.interpolate(mode="bilinear", align_corners=False). */
void dm_resize_bilinear_half_pixel (
  float *out, int out_h, int out_w, const float *in, int in_h, int in_w);

/* The normalised size x size Gaussian kernel with the given sigma, row-major,
 * computed as the official code does (float32). */
void dm_gaussian_kernel (float *kernel, int size, double sigma);

/* out (h, w) = in (h, w) convolved with kernel (size, size), zero padding
 * size / 2. out must not alias in. */
void dm_blur (float *out, const float *in, int h, int w, const float *kernel, int size);

/* map_crop (crop, crop) = mean over n_groups of the align_corners upsampled
 * group maps (each (g, g)). tmp holds crop * crop floats. */
void dm_anomaly_map_crop (
  float *map_crop, float *tmp, const float *const *group_maps, int n_groups, int g, int crop);

/* map_256 (256, 256) = blur (bilinear_half_pixel (map_crop -> 256)).
 * tmp holds 256 * 256 floats. */
void dm_anomaly_map_256 (float *map_256, float *tmp, const float *map_crop, int crop);

/* Mean of the k largest values of x (n values). scratch holds n floats
 * (x itself is left untouched). */
float dm_top_k_mean (const float *x, gsize n, gsize k, float *scratch);
/* The same on x itself (its order is changed). */
float dm_top_k_mean_in_place (float *x, gsize n, gsize k);

/* Image score: mean of the DM_ANOMALY_TOP_K largest pixels of a 256x256
 * blurred map. scratch holds 256 * 256 floats. */
float dm_anomaly_score (const float *map_256, float *scratch);

G_END_DECLS
