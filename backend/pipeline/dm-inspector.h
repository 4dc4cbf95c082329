/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A trained model put to work: the model, the oneDNN engine and the
 * inference memory made once, then images decoded and preprocessed the
 * model's way (any thread) and scored in batches (one thread at a time)
 * into one score and one 256 x 256 anomaly map each. dm_inspect_run (the
 * window's Inspect page), the station and `dinomaly serve` all score
 * through it, so every front end gives the same numbers. */
#pragma once

#include <glib.h>

#include "dm-dinomaly.h"
#include "dm-image.h"

G_BEGIN_DECLS

#define DM_INSPECTOR_MAP_SIZE 256
#define DM_INSPECTOR_MAP_PIXELS ((gsize)DM_INSPECTOR_MAP_SIZE * DM_INSPECTOR_MAP_SIZE)

typedef struct _DmInspector DmInspector;

/* Takes ownership of model; builds the engine (n_threads, 0: all cores)
 * and inference for batches of up to max_batch (1..256) images. */
DmInspector *
dm_inspector_new_for_model (DmDinomalyModel *model, int max_batch, int n_threads, GError **error);

/* dm_dinomaly_model_load (model_path, backbone_path, info_out) then
 * dm_inspector_new_for_model. */
DmInspector *dm_inspector_new (const char *model_path,
                               const char *backbone_path,
                               int max_batch,
                               int n_threads,
                               DmModelInfo **info_out,
                               GError **error);
void dm_inspector_free (DmInspector *inspector);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmInspector, dm_inspector_free)

const DmDinomalyModel *dm_inspector_get_model (const DmInspector *inspector);
int dm_inspector_get_max_batch (const DmInspector *inspector);
/* Floats of one preprocessed image: 3 * crop * crop. */
gsize dm_inspector_input_size (const DmInspector *inspector);
/* Bytes of activation memory the inference holds. */
gsize dm_inspector_get_memory_size (const DmInspector *inspector);

/* The model's input from a decoded image: dm_preprocess_image at the
 * model's resize and crop, then the model's normalisation. x is (3, crop,
 * crop). Reads the model only: safe on any thread, also while another
 * scores. name (may be NULL) prefixes a failure's message. */
gboolean dm_inspector_prepare (
  const DmInspector *inspector, const DmImage *image, const char *name, float *x, GError **error);

/* The decode-and-preprocess step of a file: dm_image_load (max_pixels, 0:
 * the default ceiling) then dm_inspector_prepare; width and height (may be
 * NULL) receive the original's size. Errors name the file. */
gboolean dm_inspector_prepare_file (const DmInspector *inspector,
                                    const char *path,
                                    guint64 max_pixels,
                                    float *x,
                                    int *width,
                                    int *height,
                                    GError **error);

/* x (B, 3, crop, crop) from dm_inspector_prepare -> maps (B, 256, 256) the
 * blurred anomaly maps (may be NULL) and scores (B) the mean of each map's
 * top 1%. 1 <= B <= max_batch. One caller at a time. A score may come out
 * NaN or infinite: see dm_inspector_check_score. */
gboolean dm_inspector_score (
  DmInspector *inspector, const float *x, int B, float *maps, float *scores, GError **error);

/* NULL for a finite score, else the error of the part called name
 * (DM_ERROR_NUMERIC: "NAME: the model gave no finite score"). */
GError *dm_inspector_check_score (const char *name, float score);

G_END_DECLS
