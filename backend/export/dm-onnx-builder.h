/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Builds an ONNX model (one graph, the default operator set) as Protocol
 * Buffers messages (dm-protobuf-writer.h) while nodes are added, and
 * writes it atomically. Large float initializers are borrowed, so a model
 * of hundreds of megabytes is never copied in memory: the file is
 * streamed from the weights themselves.
 *
 * The messages and field numbers are those of onnx.proto (ONNX 1.12,
 * /usr/lib/python3/dist-packages/onnx/onnx.proto on Debian 12); each is
 * cited where it is written (dm-onnx-builder.c). Value names are unique:
 * "SCOPE/OpType_K" for node outputs, the caller's names for inputs,
 * outputs and weights. Nodes are added in a topological order (each after
 * the nodes that produce its inputs), as ONNX requires. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DM_ONNX_OPSET 17     /* LayerNormalization is in it; ONNX 1.12 */
#define DM_ONNX_IR_VERSION 8 /* the IR version of opset 17 */

typedef struct _DmOnnxBuilder DmOnnxBuilder;

DmOnnxBuilder *dm_onnx_builder_new (const char *graph_name);
void dm_onnx_builder_free (DmOnnxBuilder *builder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmOnnxBuilder, dm_onnx_builder_free)

/* ModelProto fields: the producer, a description, and string metadata
 * (metadata_props). */
void dm_onnx_builder_set_producer (DmOnnxBuilder *builder, const char *name, const char *version);
void dm_onnx_builder_set_doc (DmOnnxBuilder *builder, const char *doc);
void dm_onnx_builder_add_metadata (DmOnnxBuilder *builder, const char *key, const char *value);

/* The prefix of the names of the node outputs that follow
 * ("encoder.block3", ...), for people reading the graph. */
void dm_onnx_builder_set_scope (DmOnnxBuilder *builder, const char *scope);

/* A float32 graph input or output of this shape; a dimension < 0 is
 * dynamic, named dim_param (e.g. "N" for the batch). An output is
 * declared as an Identity of value. */
void dm_onnx_input (
  DmOnnxBuilder *builder, const char *name, int rank, const gint64 *dims, const char *dim_param);
void dm_onnx_output (DmOnnxBuilder *builder,
                     const char *name,
                     const char *value,
                     int rank,
                     const gint64 *dims,
                     const char *dim_param);

/* Float32 initializers: dm_onnx_weight borrows data (it must stay valid
 * until the model is written), dm_onnx_floats copies it (computed
 * constants). The name is returned. */
const char *dm_onnx_weight (
  DmOnnxBuilder *builder, const char *name, const float *data, int rank, const gint64 *dims);
const char *dm_onnx_floats (
  DmOnnxBuilder *builder, const char *name, const float *data, int rank, const gint64 *dims);
/* A float32 scalar (rank 0) and a 1-D int64 constant, named after the
 * scope. */
const char *dm_onnx_scalar (DmOnnxBuilder *builder, float value);
const char *dm_onnx_ints (DmOnnxBuilder *builder, int n, const gint64 *values);

/* A node of the default domain with the given inputs (NULL-terminated;
 * "" for an optional input left out) and one output, whose name is
 * returned. */
const char *dm_onnx_op (DmOnnxBuilder *builder, const char *op_type, ...) G_GNUC_NULL_TERMINATED;
/* Another output of the last node (TopK's indices...). */
const char *dm_onnx_extra_output (DmOnnxBuilder *builder);

/* Attributes of the last node. */
void dm_onnx_attr_int (DmOnnxBuilder *builder, const char *name, gint64 value);
void dm_onnx_attr_float (DmOnnxBuilder *builder, const char *name, float value);
void dm_onnx_attr_ints (DmOnnxBuilder *builder, const char *name, int n, const gint64 *values);
void dm_onnx_attr_string (DmOnnxBuilder *builder, const char *name, const char *value);

/* Bytes the file will have. */
guint64 dm_onnx_builder_size (DmOnnxBuilder *builder);
/* Writes the model to path atomically (DmAtomicFile): path is replaced
 * only when the whole file is written. */
gboolean dm_onnx_builder_write (DmOnnxBuilder *builder, const char *path, GError **error);

G_END_DECLS
