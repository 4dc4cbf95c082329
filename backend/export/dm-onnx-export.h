/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A Dinomaly model's whole inference as one ONNX model (opset 17,
 * float32), computing what dm_inference_run computes:
 *
 *   input   "image"        (N, 3, crop, crop) float32: the preprocessed
 *                          image, normalised with the model's mean and std
 *                          (the "dinomaly.preprocessing" metadata says how)
 *   outputs "anomaly_map"  (N, 256, 256) the blurred anomaly map
 *           "score"        (N) the image score, mean of the 655 largest
 *                          pixels of that map
 *
 * N is dynamic. The graph (spec/dinomaly.md §2-§6): patch embedding (a
 * Conv), cls + registers (as many as the model has: none is fine) + the
 * patch tokens with the position grid interpolated for the crop (a
 * constant, from the engine's own dm_vit_pos_prepare), the encoder blocks
 * up to the last target block, the fused input and the two encoder
 * groups, the bottleneck (no dropout: inference), the 8 linear-attention
 * decoder blocks and their two groups, per-group 1 - cos on the patch
 * grid, bilinear align_corners upsampling to the crop, the mean, bilinear
 * half-pixel (not anti-aliased) resize to 256, the 5x5 Gaussian (sigma 4,
 * zero padding) as a Conv, and TopK + ReduceMean for the score.
 *
 * Weights keep their official names (encoder.blocks.3.attn.qkv.weight,
 * decoder.0.mlp.fc1.weight, ...); linear layers are Gemm with transB, so
 * the file holds them as the model file does, [out, in]. The metadata
 * (metadata_props) holds the model file's sections as JSON texts under
 * the same keys (dinomaly.classes, dinomaly.thresholds, dinomaly.input,
 * ...) and the preprocessing spelled out (dinomaly.preprocessing). */
#pragma once

#include <glib.h>

#include "dm-dinomaly.h"
#include "dm-model-file.h"
#include "dm-onnx-builder.h"

G_BEGIN_DECLS

#define DM_ONNX_INPUT "image"
#define DM_ONNX_OUTPUT_MAP "anomaly_map"
#define DM_ONNX_OUTPUT_SCORE "score"
#define DM_ONNX_BATCH_PARAM "N"

/* Adds the inference graph of model to builder: its input, its nodes and
 * its two outputs. The weights are borrowed: model must outlive the
 * builder's write. */
void dm_onnx_add_dinomaly (DmOnnxBuilder *builder, const DmDinomalyModel *model);

/* The whole ONNX model of model (with info's metadata) built in memory,
 * weights borrowed. */
DmOnnxBuilder *dm_onnx_export_build (const DmDinomalyModel *model, const DmModelInfo *info);

/* Builds it and writes it to path atomically. size_out (may be NULL):
 * the file's size in bytes. */
gboolean dm_onnx_export_write (const DmDinomalyModel *model,
                               const DmModelInfo *info,
                               const char *path,
                               guint64 *size_out,
                               GError **error);

/* The preprocessing a client must do before sending an image, in words
 * (the "dinomaly.preprocessing" metadata). */
char *dm_onnx_preprocessing_text (const DmModelInfo *info);

G_END_DECLS
