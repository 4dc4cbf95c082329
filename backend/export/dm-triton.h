/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A model for NVIDIA Triton Inference Server: one model folder of a model
 * repository, for Triton's ONNX Runtime backend,
 *
 *   REPOSITORY/NAME/config.pbtxt      the model configuration (protobuf
 *                                     text format of Triton's ModelConfig)
 *   REPOSITORY/NAME/VERSION/model.onnx  the ONNX model (dm-onnx-export.h)
 *
 * The configuration batches on the first dimension (max_batch_size, so
 * every dims below leaves the batch out, and dynamic batching, so images
 * of several stations sent one by one are run together), names the
 * input "image" (3, crop, crop) and the outputs "anomaly_map" (256, 256)
 * and "score" (the model's (N) output, declared as dims [1] reshaped to
 * [], as Triton's documentation asks for a batch-only tensor), and
 * carries the model's metadata (classes, thresholds, preprocessing) as
 * string parameters that GET /v2/models/NAME/config returns to clients. */
#pragma once

#include <glib.h>

#include "dm-dinomaly.h"
#include "dm-model-file.h"

G_BEGIN_DECLS

#define DM_TRITON_DEFAULT_MAX_BATCH 8
#define DM_TRITON_QUEUE_DELAY_US 2000 /* how long a request waits for others to batch with */

/* A Triton model name from a model file's path: its base name without the
 * extension, every character but [A-Za-z0-9_.-] replaced by '_'. */
char *dm_triton_name_from_path (const char *model_path);
/* FALSE, with an error naming it, for a name Triton cannot take as a
 * folder (empty, ".", "..", a '/' or another character outside
 * [A-Za-z0-9_.-]). */
gboolean dm_triton_check_name (const char *name, GError **error);

/* config.pbtxt's text. */
char *dm_triton_config_text (const DmDinomalyModel *model,
                             const DmModelInfo *info,
                             const char *name,
                             int max_batch);

/* Writes NAME/VERSION/model.onnx, then NAME/config.pbtxt, under
 * repository (created when missing), each atomically. onnx_path_out
 * (may be NULL) receives the ONNX file's path, size_out its size. */
gboolean dm_triton_write_model (const DmDinomalyModel *model,
                                const DmModelInfo *info,
                                const char *repository,
                                const char *name,
                                int version,
                                int max_batch,
                                char **onnx_path_out,
                                guint64 *size_out,
                                GError **error);

G_END_DECLS
