/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A Dinomaly model (frozen encoder + trained bottleneck and decoder + the
 * settings that change numbers) and batched inference: normalised images
 * in, anomaly maps and image scores out (spec/dinomaly.md §2-§4, §6). */
#pragma once

#include <glib.h>

#include "dm-decoder.h"
#include "dm-dinomaly-weights.h"
#include "dm-engine.h"
#include "dm-model-file.h"
#include "dm-vit-weights.h"
#include "dm-vit.h"

G_BEGIN_DECLS

typedef struct
{
  DmVitWeights *encoder;      /* owned; blocks up to the last target at least */
  DmDinomalyWeights *decoder; /* owned */
  DmVitTargets targets;
  int resize;    /* 448 */
  int crop;      /* 392, a multiple of the patch size */
  float mean[3]; /* ImageNet normalisation */
  float std[3];
  float dropout; /* training only */
} DmDinomalyModel;

/* Takes ownership of encoder and decoder; default targets, sizes 448/392,
 * ImageNet mean/std, dropout 0.2. Fails when the widths differ. */
DmDinomalyModel *
dm_dinomaly_model_new (DmVitWeights *encoder, DmDinomalyWeights *decoder, GError **error);
void dm_dinomaly_model_free (DmDinomalyModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmDinomalyModel, dm_dinomaly_model_free)

int dm_dinomaly_model_grid (const DmDinomalyModel *model);

/* x (3, crop, crop) came from dm_preprocess_file, normalised with
 * ImageNet's mean and std; a model trained with other ones gets them
 * instead (nothing changes for ImageNet's). */
void dm_dinomaly_model_renormalise (const DmDinomalyModel *model, float *x);

/* Runs batches of up to max_batch images; owns its activation memory,
 * allocated once. */
typedef struct _DmInference DmInference;

DmInference *
dm_inference_new (DmEngine *engine, const DmDinomalyModel *model, int max_batch, GError **error);
void dm_inference_free (DmInference *inference);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmInference, dm_inference_free)

/* Bytes of activation memory held. */
gsize dm_inference_get_memory_size (DmInference *inference);

/* Intermediate results of the last run, for tests and the CLI's debug
 * output: token-major (B, N, D) features and per-group grids. */
typedef struct
{
  const float *fused; /* (B, N, D) */
  const float *E1;    /* (B, N, D) */
  const float *E2;
  const float *R1;
  const float *R2;
  const float *a1; /* (B, g, g) 1 - cos per patch, group 1 */
  const float *a2;
  const float *map_crop; /* (B, crop, crop) */
  int B, N, D, g;
} DmInferenceFeatures;

/* img (B, 3, crop, crop) normalised -> map_256 (B, 256, 256) blurred maps
 * and scores (B); either output may be NULL. B <= max_batch. */
gboolean dm_inference_run (
  DmInference *inference, const float *img, int B, float *map_256, float *scores, GError **error);

void dm_inference_get_features (DmInference *inference, DmInferenceFeatures *features);

G_END_DECLS

G_BEGIN_DECLS

/* Opens a model file and builds the model it describes: its weights, its
 * backbone (embedded, or the file at backbone_path whose SHA-256 must be
 * the recorded one; blocks up to the last target only), input sizes,
 * normalisation and target blocks. info_out (may be NULL) receives the
 * file's metadata (free it with dm_model_info_free). */
DmDinomalyModel *dm_dinomaly_model_load (const char *path,
                                         const char *backbone_path,
                                         DmModelInfo **info_out,
                                         GError **error);

G_END_DECLS
