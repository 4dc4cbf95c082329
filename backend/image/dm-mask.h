/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Ground-truth masks as datasets ship them: one image file, or a folder
 * of images whose union is the truth (MVTec LOCO AD keeps one mask per
 * defect: ground_truth/TYPE/NNN/000.png, 001.png, ... for test/TYPE/NNN.png). */
#pragma once

#include <glib.h>

#include "dm-image-header.h"
#include "dm-image.h"

G_BEGIN_DECLS

/* A mask file: dm_image_load_full (path, max_pixels, flags, info), as it is.
 * A folder: every image in it (recognised by content; hidden entries,
 * subfolders and other files are passed over), all of one size, combined
 * pixel by pixel into one 8-bit gray mask, the largest value wins: 8-bit
 * gray masks count with their values, colour ones with the largest of R,
 * G, B, and masks PIL reads as palette or 1-bit images, 16-bit and float
 * ones as 255 wherever they are > 0 (what the mask pipeline of
 * dm-preprocess.h calls defect). A folder with one image gives that image
 * as it is, so a single LOCO mask is read exactly like the file itself.
 * info (may be NULL) then describes an 8-bit gray image of the first
 * file's format. NULL with a GError naming the file or folder. */
DmImage *dm_mask_load (
  const char *path, guint64 max_pixels, DmImageLoadFlags flags, DmImageInfo *info, GError **error);

/* The mask's size from headers only: the file's, or for a folder the
 * size all of its images share (a difference is an error naming both). */
gboolean dm_mask_read_header (const char *path, DmImageHeader *out, GError **error);

G_END_DECLS
