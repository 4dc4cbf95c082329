/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The scored images of a trained project, in folder/results/:
 *
 *   results.json          (format "org.dinomaly.Studio.results", version 1)
 *     model_sha256, created, map_size (256), quantile,
 *     classes: [{name, resize, crop, map_low, map_high,
 *                proposed: {image, pixel, f1_image, f1},
 *                maps (file name), images: [{path, split ("test" | "holdout"),
 *                label ("good" | "defect"), defect_type, mask (path or null),
 *                score, width, height}]}]
 *   maps-<stamp>-<class index>.safetensors   "maps": F32 (n_images, 256, 256),
 *                                     the blurred anomaly maps of the class's
 *                                     images in the order of `images` (float32:
 *                                     the metrics computed from them are those
 *                                     of `dinomaly eval`, bit for bit)
 *
 * Written after training by dm_project_score (each file atomically; the
 * JSON last, so a half-written set is never read), then read by the
 * Review, Metrics and Report parts. The user's own labels live in
 * project.json (they overrule `label`); thresholds chosen by the user live
 * in the project's classes, the proposals here. */
#pragma once

#include <glib.h>

#include "dm-dataset.h"
#include "dm-dinomaly.h"
#include "dm-thresholds.h"

G_BEGIN_DECLS

#define DM_RESULTS_VERSION 1
#define DM_RESULTS_FILE "results.json"

typedef struct
{
  char *path;        /* the image file */
  DmSplit split;     /* DM_SPLIT_TEST or DM_SPLIT_HOLDOUT */
  DmLabel label;     /* from the dataset (hold-out images are good) */
  char *defect_type; /* "good" or the defect folder's name */
  char *mask_path;   /* ground-truth mask or NULL */
  float score;       /* mean of the top 1% of the map */
  int width, height; /* the image's size (to place the map on it) */
} DmResultImage;

typedef struct
{
  char *name;
  int resize, crop; /* the model's preprocessing: the map covers the center
                     * crop of the image resized to resize x resize */
  guint n_images;
  DmResultImage *images; /* test images (dataset order), then hold-out normals */
  /* heatmap colours: map_low (the median pixel of the normal images' maps)
   * is calm, map_high (low + 2 x (99.9th percentile - low)) is full red;
   * the same for every image of the class, never per image */
  double map_low, map_high;
  /* proposals: image = quantile of the hold-out normals' scores (the test
   * normals' when nothing is held out), pixel = the same quantile of the
   * normals' largest map values (so that about the same share of good parts
   * shows any region), f1_image = the F1-optimal image threshold on the
   * labelled test images (NAN without defects) and the F1 it reaches */
  double proposed_image, proposed_pixel, f1_image, f1;
  char *maps_file; /* file name in the results folder */
} DmResultClass;

typedef struct
{
  char *folder; /* the results folder */
  char *model_sha256;
  char *created; /* ISO 8601 UTC */
  double quantile;
  int map_size; /* 256 */
  guint n_classes;
  DmResultClass *classes;
  /* private: the opened maps files, by class (NULL until first read) */
  gpointer *maps;
} DmProjectResults;

void dm_project_results_free (DmProjectResults *results);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmProjectResults, dm_project_results_free)

/* Reads folder/results.json; NULL with G_IO_ERROR_NOT_FOUND when there is
 * none yet (the project was not scored), other errors name the file. */
DmProjectResults *dm_project_results_load (const char *folder, GError **error);

/* Writes folder/results.json atomically (the maps are written by scoring). */
gboolean dm_project_results_save (const DmProjectResults *results, GError **error);

/* The map of image i of class c: map_size * map_size floats into out. Thread
 * safe for different out buffers once the class's maps file is open (the
 * first read of a class opens it: do that on one thread). */
gboolean dm_project_results_read_map (
  DmProjectResults *results, guint c, guint i, float *out, GError **error);

/* The index of the class called name, or -1. */
int dm_project_results_find_class (const DmProjectResults *results, const char *name);

/* Progress of scoring: images done of all classes. */
typedef void (*DmScoreProgressFunc) (guint done, guint total, gpointer user_data);

/* Scores the test and hold-out images of every class of dataset with
 * model (through inference, max_batch >= batch) and writes the results
 * folder: maps files, then results.json with the proposals at quantile
 * (e.g. 0.99: about 1% false rejects on the hold-out normals).
 * model_sha256 is recorded. cancel (may be NULL): non-zero stops with
 * DM_ERROR_CANCELLED and leaves the previous results as they were.
 * Classes without test or hold-out images are left out; images that fail
 * to decode are skipped and their messages added to failures (may be
 * NULL). */
DmProjectResults *dm_project_score (DmInference *inference,
                                    const DmDinomalyModel *model,
                                    const DmDataset *dataset,
                                    const char *folder,
                                    const char *model_sha256,
                                    double quantile,
                                    int batch,
                                    DmScoreProgressFunc progress,
                                    gpointer user_data,
                                    const gint *cancel,
                                    GPtrArray *failures,
                                    GError **error);

/* The model that scores a class and its inference (max_batch >= the
 * batch): a unified model for every class, or the class's own. *model
 * NULL: the class has none and is left out. FALSE with error stops. */
typedef gboolean (*DmScoreModelFunc) (const char *class_name,
                                      DmInference **inference,
                                      const DmDinomalyModel **model,
                                      gpointer user_data,
                                      GError **error);

/* dm_project_score with a model per class (one model per class: each
 * class scored by its own). */
DmProjectResults *dm_project_score_with (DmScoreModelFunc model_for,
                                         gpointer model_data,
                                         const DmDataset *dataset,
                                         const char *folder,
                                         const char *model_sha256,
                                         double quantile,
                                         int batch,
                                         DmScoreProgressFunc progress,
                                         gpointer user_data,
                                         const gint *cancel,
                                         GPtrArray *failures,
                                         GError **error);

G_END_DECLS
