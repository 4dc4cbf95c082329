/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Thresholds for a model that has none, from a folder of good parts: the
 * rule the window applies to a project's held-out normals (an image
 * threshold at the q-quantile of their scores, a pixel threshold at the
 * same quantile of each map's largest value, so that about the same share
 * of good parts shows any region), and storing them into a model file. For
 * `dinomaly calibrate`, `station --calibrate`, `train` and `import`. */
#pragma once

#include <glib.h>

#include "dm-rules.h"
#include "dm-thresholds.h"

G_BEGIN_DECLS

/* The window's default: about 1% of good parts fail. */
#define DM_CALIBRATE_DEFAULT_QUANTILE 0.99
/* Fewer good parts than this give thresholds too rough to trust. */
#define DM_CALIBRATE_MIN_IMAGES 10

/* image = dm_quantile (scores, q), pixel = dm_quantile (map_maxima, q); the
 * band is left unset. */
void dm_calibrate_thresholds (
  const float *scores, const float *map_maxima, gsize n, double quantile, DmThresholds *thresholds);

/* Scores the images of folder (as dm_inspect_collect lists them) with the
 * model and fills thresholds by dm_calibrate_thresholds. n_scored (may be
 * NULL) receives how many images were scored; notes (may be NULL) the
 * files left out or failed (GError*). FALSE with an error when the model
 * cannot be loaded, when the folder holds fewer than
 * DM_CALIBRATE_MIN_IMAGES scorable images, or quantile is not in (0, 1]. */
gboolean dm_calibrate_folder (const char *model_path,
                              const char *backbone_path,
                              const char *folder,
                              double quantile,
                              int batch,
                              int n_threads,
                              DmThresholds *thresholds,
                              guint *n_scored,
                              GPtrArray *notes,
                              const gint *cancel,
                              GError **error);

/* Rewrites the model file at path (atomically: the old file stays whole
 * until the new one is complete) with the thresholds of class_name stored
 * (replacing the class's; the class is added to the model's classes when
 * missing). The image threshold is required; a pixel threshold or band
 * that is NAN keeps what the file has. Tensors are copied byte for byte. */
gboolean dm_calibrate_store (const char *path,
                             const char *class_name,
                             const DmThresholds *thresholds,
                             GError **error);

/* The same for a class's inspection rules (dm-rules.h): stored in place of
 * the class's (NULL or empty rules remove them). The class must be one of
 * the model's. */
gboolean dm_calibrate_store_rules (const char *path,
                                   const char *class_name,
                                   const DmRules *rules,
                                   GError **error);

G_END_DECLS
