/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Test data the tests build for themselves: copies of files, JSON read
 * back, seeded images with a defect patch and their masks, a small MVTec
 * class of them, and the tiny model file of the reference vectors. */
#pragma once

#include <json-glib/json-glib.h>

#include "dm-dinomaly.h"
#include "dm-model-file.h"

G_BEGIN_DECLS

/* Copies from to to, creating to's folder. */
void dm_test_copy_file (const char *from, const char *to);

/* The top-level object of the JSON file at path (parser keeps it). */
JsonObject *dm_test_load_json (JsonParser *parser, const char *path);

/* TRUE when program is on the PATH (poppler-utils and the like). */
gboolean dm_test_have_program (const char *program);

/* A seeded w x h RGB PNG of noise, with a brighter patch where a defect is
 * asked for (x in (w/3, w/2), y in (h/3, h/2)); its folder is created. */
void dm_test_write_noise_image (const char *path, int w, int h, guint64 seed, gboolean defect);
/* The mask of that patch: 255 inside, 0 outside. */
void dm_test_write_patch_mask (const char *path, int w, int h);

/* root/name in MVTec AD layout: 2 training images, 3 good and 3 defect test
 * images (type "bad", with masks), 80 x 60, seeded from seed. */
void dm_test_write_mvtec_class (const char *root, const char *name, guint64 seed);

/* The tiny model of tests/data/forward (timm encoder, 10 blocks, D 128) at
 * resize 256 / crop 224 with these classes (comma-separated); adjust (may be
 * NULL) sets thresholds, a training record... before it is written. */
void dm_test_write_tiny_model (const char *path,
                               const char *class_names,
                               void (*adjust) (DmModelInfo *info));

/* The tiny model of tests/data/forward (timm encoder, 10 blocks, D 128;
 * its decoder) in memory, at resize 256 / crop 224. */
DmDinomalyModel *dm_test_tiny_model (void);

G_END_DECLS
