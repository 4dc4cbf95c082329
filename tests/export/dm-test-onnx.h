/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the ONNX export tests share: the checker script (Debian's
 * python3-onnx) and ONNX Runtime (npm's onnxruntime-node, through
 * build-aux/onnxruntime/run-model.mjs), found through the environment
 * meson sets (DM_ONNX_PYTHON, DM_NODE, DM_ONNXRUNTIME_DIR). */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Runs tests/export/check-onnx.py MODE ARGS... (NULL-terminated), fails
 * the test when it fails, and returns its JSON summary (parser keeps it). */
JsonObject *dm_test_onnx_check (JsonParser *parser, const char *mode, ...) G_GNUC_NULL_TERMINATED;

/* TRUE when node and the onnxruntime-node package are there; else
 * *reason says what is missing and how to install it. */
gboolean dm_test_onnxruntime_available (char **reason);

/* Runs model in ONNX Runtime on the float32 (N, 3, crop, crop) tensor
 * `tensor` of input, `batch` images at a time, and writes anomaly_map
 * and score to output. */
void dm_test_onnxruntime_run (
  const char *model, const char *input, const char *tensor, int batch, const char *output);

G_END_DECLS
