/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Inspecting new parts with a trained model: files and folders in, one
 * score and one 256 x 256 anomaly map per image out as they are computed
 * (or the reason an image failed), and the results exported as a CSV and
 * heatmap overlays. Blocking, with a per-image callback and a cancel flag,
 * for the window's background job and `dinomaly predict`. */
#pragma once

#include <glib.h>

#include "dm-decider.h"
#include "dm-dinomaly.h"
#include "dm-overlay.h"
#include "dm-thresholds.h"

G_BEGIN_DECLS

#define DM_INSPECT_MAP_SIZE 256

/* ---- inputs ---- */

/* Expands files and folders into the images to inspect, in argument order:
 * a folder gives its files (not its subfolders; hidden files ignored)
 * sorted by name (byte order). Images are recognised by content (PNG, TIFF,
 * JPEG, BMP), not by name. files receives the paths (char *, owned by the
 * array). notes (may be NULL) receives, in the order met, a GError* for
 * everything left out, messages naming the file:
 *   DM_ERROR_IO           a file or folder that cannot be read
 *   DM_ERROR_UNSUPPORTED  a file that is not an image ("not a PNG, TIFF,
 *                         JPEG or BMP image, skipped"; for a folder, listed after
 *                         its other notes)
 *   DM_ERROR_INVALID      a folder without any image (one note for the
 *                         folder instead of one per file in it)
 * FALSE when some folder holds no image (its files are not listed as
 * skipped then); the images found elsewhere are still in files. */
gboolean dm_inspect_collect (const char *const *paths, GPtrArray *files, GPtrArray *notes);

/* Output names for paths: the file name without its extension, unique
 * among paths without regard to case (output folders may be on
 * case-insensitive file systems): the first keeps it, the next get -2,
 * -3, ... in order. A NULL-terminated array (g_strfreev). */
char **dm_inspect_unique_stems (const char *const *paths, guint n);

/* ---- the job ---- */

typedef struct
{
  const char *model_path;    /* the model file */
  const char *backbone_path; /* for a model that refers to its backbone, else NULL */
  int batch;                 /* images per inference batch (8) */
  int n_threads;             /* 0: all cores */
  guint64 max_pixels;        /* the decoders' ceiling (0: default) */
} DmInspectSettings;

void dm_inspect_settings_init (DmInspectSettings *settings);

typedef struct
{
  guint index;         /* into the files, in order */
  guint n_files;       /* all files of the run */
  const char *path;    /* the file */
  const GError *error; /* why the image was not scored (names the file), or NULL */
  float score;         /* mean of the top 1% of the map; NAN on error */
  const float *map;    /* (256, 256) the blurred anomaly map, NULL on error;
                        * borrowed for the call */
  int width, height;   /* the original's size (0 on error) */
  int resize, crop;    /* the model's preprocessing: the map covers the center
                        * crop of the image resized to resize x resize */
} DmInspectItem;

/* Called on the calling thread for every file, in order, right after its
 * batch is computed. */
typedef void (*DmInspectFunc) (const DmInspectItem *item, gpointer user_data);

/* Loads the model (dm_dinomaly_model_load), then scores files (n paths) in
 * batches: each image decoded and preprocessed as dm_evaluate_class does
 * (dm_preprocess_image at the model's resize and crop, the model's
 * normalisation), and func called for it, failed images included (an image
 * that does not decode, or a score that is not finite). cancel (may be
 * NULL) is read between images: non-zero stops with DM_ERROR_CANCELLED.
 * info_out (may be NULL) receives the model file's metadata. FALSE with an
 * error when the model cannot be loaded or inference fails; a failed image
 * is not an error of the run. */
gboolean dm_inspect_run (const DmInspectSettings *settings,
                         const char *const *files,
                         guint n,
                         DmInspectFunc func,
                         gpointer user_data,
                         const gint *cancel,
                         DmModelInfo **info_out,
                         GError **error);

/* ---- export ---- */

/* One inspected image as the exporter reads it (borrowed pointers). */
typedef struct
{
  const char *path;
  float score;              /* the model's score */
  const float *map;         /* (256, 256) */
  int width, height;        /* the original picture's size */
  const DmVerdict *verdict; /* its verdict by the decider given, or NULL:
                             * made when written */
} DmInspectRecord;

/* Writes csv_path atomically: a header "class,path,score,decision,
 * threshold," DM_VERDICT_CSV_COLUMNS then one row per record: class_name
 * (may be NULL: empty), the path, the verdict's score (%.9g, dot decimals;
 * over the region of interest when there is one), its decision ("pass",
 * "uncertain", "fail"; empty when the decider decides nothing), the
 * threshold a score fails at (the image threshold, or the top of the
 * uncertain band; shortest text that reads back to the same double; empty
 * when not set), then the rule and regions (dm_verdict_append_csv). */
gboolean dm_inspect_write_csv (const char *csv_path,
                               const char *class_name,
                               const DmDecider *decider,
                               const DmInspectRecord *records,
                               guint n,
                               GError **error);

/* The overlay style of a class: dm_overlay_style_init at the pixel
 * threshold, then the class's colour range (map_low, map_high) where it is
 * a finite non-empty range (a new part is coloured as the test images
 * were). */
void dm_inspect_overlay_style (DmOverlayStyle *style,
                               double pixel_threshold,
                               double map_low,
                               double map_high);

/* Writes folder/<stem>_overlay.png for every record (stems from
 * dm_inspect_unique_stems): the original decoded again and its map drawn
 * over it (dm_overlay_compose; the map covers the center crop of the image
 * resized to resize x resize; what rules' region of interest leaves out is
 * hatched too; rules may be NULL). The folder is created. cancel (may be
 * NULL) is read between images. done (may be NULL) receives the number of
 * PNGs written. FALSE at the first failure, naming the file. */
gboolean dm_inspect_write_overlays (const char *folder,
                                    const DmInspectRecord *records,
                                    guint n,
                                    int resize,
                                    int crop,
                                    const DmOverlayStyle *style,
                                    const DmRules *rules,
                                    guint64 max_pixels,
                                    const gint *cancel,
                                    guint *done,
                                    GError **error);

G_END_DECLS
