/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The model's input (spec §1) and ground-truth masks (spec §7) from decoded
 * images, exactly as the reference computes them, plus the geometry that
 * maps crop coordinates back onto the original image. */
#pragma once

#include <glib.h>

#include "dm-image.h"

G_BEGIN_DECLS

/* ImageNet statistics, in float32 as torchvision's Normalize holds them. */
extern const float dm_imagenet_mean[3];
extern const float dm_imagenet_std[3];

/* Largest `resize` accepted (the presets go up to 448). */
#define DM_PREPROCESS_MAX_SIZE 4096

/* torchvision's CenterCrop offset int(round((size - crop) / 2.0)), with
 * Python's rounding of halves to even (31 / 2 -> 16, 33 / 2 -> 16). */
int dm_center_crop_offset (int size, int crop);

/* Spec §1: RGB (gray replicated, alpha dropped) -> resize x resize with
 * PIL's BILINEAR (8-bit images on PIL's 8-bit path; 16-bit samples as
 * float32 v / 257.0 and float TIFF samples as they are, on the float path:
 * float images are on the 0..255 scale of 8-bit ones, and one outside it,
 * or with every sample within 0..1, is refused with the reason)
 * -> center crop x crop -> (v / 255 - mean[c]) / std[c] in float32.
 * `out` is (3, crop, crop), channels R, G, B (CHW). 1 <= crop <= resize. */
gboolean dm_preprocess_image (
  const DmImage *image, int resize, int crop, float *out /* (3, crop, crop) */, GError **error);

/* dm_image_load + dm_preprocess_image; errors name the file. */
gboolean dm_preprocess_file (const char *path,
                             int resize,
                             int crop,
                             guint64 max_pixels,
                             float *out /* (3, crop, crop) */,
                             GError **error);

/* Spec §7 ground truth: resize x resize as PIL would resize the mask ->
 * center crop -> nearest to out_size x out_size with PyTorch's rule
 * src = min(floor(dst * (float) (crop / out_size)), crop - 1) -> value > 0.
 * `out` gets 1 for defect, 0 elsewhere.
 *
 * How the mask is resized depends on what the file held (`info`, from
 * dm_image_load_full; NULL means "an ordinary 8-bit image"):
 * - 8-bit gray (the usual 0/255 masks, also 2/4-bit gray scaled to 8 bits):
 *   PIL's 8-bit BILINEAR, so the crop holds 0..255 with soft edges;
 * - palette images (load them with DM_IMAGE_LOAD_PALETTE_INDICES) and
 *   1-bit images: NEAREST, as PIL does for modes "P" and "1"; for a palette
 *   the *indices* are thresholded, as torchvision's ToTensor sees them;
 * - 16-bit: PIL's mode "I" BILINEAR (double weights, rounded per pass), as
 *   PIL opens 16-bit PNG masks;
 * - float: PIL's mode "F" BILINEAR;
 * - colour masks: the largest of R, G, B at each pixel (alpha ignored).
 * `crop_out` (may be NULL) receives the crop before the nearest step:
 * the 0..255 values for 8-bit masks (what testvectors' *_mask_crop hold),
 * 0/255 (value > 0) for 16-bit and float masks. */
gboolean dm_preprocess_mask (const DmImage *mask,
                             const DmImageInfo *info,
                             int resize,
                             int crop,
                             int out_size,
                             guint8 *out /* (out_size, out_size) */,
                             guint8 *crop_out /* (crop, crop) or NULL */,
                             GError **error);

/* The same from a mask file, or from a folder of masks of one image (their
 * union, dm-mask.h). */
gboolean dm_preprocess_mask_file (const char *path,
                                  int resize,
                                  int crop,
                                  int out_size,
                                  guint64 max_pixels,
                                  guint8 *out /* (out_size, out_size) */,
                                  guint8 *crop_out /* (crop, crop) or NULL */,
                                  GError **error);

/* Where the crop the model saw lies on the original image, to draw a
 * heatmap over it. Coordinates are continuous with pixel edges on integers
 * (pixel i covers [i, i + 1), its centre is i + 0.5), the convention of
 * PIL's resize, so the mapping is exact and affine:
 *   x_image = (x_crop + offset) * width / resize,
 *   y_image = (y_crop + offset) * height / resize. */
typedef struct
{
  double scale_x, scale_y; /* width / resize, height / resize */
  int offset;              /* dm_center_crop_offset (resize, crop) */
  int crop;
} DmCropGeometry;

void dm_crop_geometry_init (DmCropGeometry *geom, int width, int height, int resize, int crop);
void dm_crop_geometry_to_image (
  const DmCropGeometry *geom, double x_crop, double y_crop, double *x_image, double *y_image);
/* The rectangle of the original image that the crop covers (the whole crop
 * from (0, 0) to (crop, crop)). */
void dm_crop_geometry_rect (
  const DmCropGeometry *geom, double *x, double *y, double *width, double *height);

G_END_DECLS
