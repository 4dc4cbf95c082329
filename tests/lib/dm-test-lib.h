/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the libdinomaly tests share: one picture in every pixel format the
 * API takes (converted by a plain reference), the tiny model with
 * thresholds, and `dinomaly predict`'s results read back for comparison. */
#pragma once

#include <glib.h>

#include "dinomaly.h"

G_BEGIN_DECLS

#define DM_TEST_LIB_N_FORMATS 4

/* One picture in one format: packed rows (stride = width * pixel size). */
typedef struct
{
  const char *name; /* "gray8", "rgb8", "gray16", "rgb16" */
  dinomaly_pixel_format format;
  guint32 width, height;
  gsize pixel_bytes; /* bytes of a pixel */
  gsize stride;
  gsize size;
  guint8 *pixels; /* owned */
} DmTestFrame;

/* The seeded picture number seed (width x height, RGB 16-bit, a bright
 * patch when defect) in all four formats: RGB16 as made; GRAY16 =
 * (299 R + 587 G + 114 B + 500) / 1000; the 8-bit ones (v + 128) / 257 of
 * those. frames receives DM_TEST_LIB_N_FORMATS frames. */
void dm_test_lib_make_frames (
  guint32 width, guint32 height, guint64 seed, gboolean defect, DmTestFrame *frames);
void dm_test_lib_frame_clear (DmTestFrame *frame);

/* A copy of frame with each row padded by pad bytes of garbage (pad even
 * for 16-bit formats). */
void dm_test_lib_pad_frame (const DmTestFrame *frame, gsize pad, DmTestFrame *padded);

/* The frame as a PNG of the same format (8 or 16 bits, gray or RGB), what
 * predict reads the same pixels from. */
void dm_test_lib_save_png (const DmTestFrame *frame, const char *path);

/* The tiny model of tests/data/forward with class "part"; with_band: an
 * image threshold at high and an uncertain band [low, high), a pixel
 * threshold pixel (above 2, the largest map value: no region); else no
 * thresholds at all. */
void dm_test_lib_write_model (
  const char *path, gboolean with_band, double low, double high, double pixel);

/* One row of predict's results.csv. */
typedef struct
{
  char *path;
  char *score; /* as written */
  char *decision;
  char *rule; /* NULL when the CSV has no rule column */
} DmTestPredictRow;

/* Runs `cli predict --model model [--rules rules] --out out paths...`
 * (exit status 0 asserted) and reads results.csv: rows in input order
 * (free with g_ptr_array_unref). */
GPtrArray *dm_test_lib_run_predict (
  const char *cli, const char *model, const char *rules, const char *out, const char *const *paths);

/* predict's STEM_map.tiff in out for the picture at path: 256 x 256
 * floats (g_free). */
float *dm_test_lib_read_predict_map (const char *out, const char *path);

/* For qsort: floats in increasing order. */
int dm_test_lib_compare_floats (const void *a, const void *b);

G_END_DECLS
