/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ONNX models as Protocol Buffers messages (dm-onnx-builder.h). Field
 * numbers: onnx.proto of ONNX 1.12, message by message below. */
#include "dm-onnx-builder.h"

#include <stdarg.h>
#include <string.h>

#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-protobuf-writer.h"

/* raw_data is little-endian (onnx.proto, TensorProto.raw_data): the
 * engine's floats are written as they lie in memory. */
G_STATIC_ASSERT (G_BYTE_ORDER == G_LITTLE_ENDIAN);

/* ModelProto */
#define MODEL_IR_VERSION 1       /* int64 */
#define MODEL_PRODUCER_NAME 2    /* string */
#define MODEL_PRODUCER_VERSION 3 /* string */
#define MODEL_DOC_STRING 6       /* string */
#define MODEL_GRAPH 7            /* GraphProto */
#define MODEL_OPSET_IMPORT 8     /* repeated OperatorSetIdProto */
#define MODEL_METADATA_PROPS 14  /* repeated StringStringEntryProto */
/* OperatorSetIdProto */
#define OPSET_DOMAIN 1  /* string, "" for the default ai.onnx */
#define OPSET_VERSION 2 /* int64 */
/* StringStringEntryProto */
#define ENTRY_KEY 1   /* string */
#define ENTRY_VALUE 2 /* string */
/* GraphProto */
#define GRAPH_NODE 1        /* repeated NodeProto */
#define GRAPH_NAME 2        /* string */
#define GRAPH_INITIALIZER 5 /* repeated TensorProto */
#define GRAPH_INPUT 11      /* repeated ValueInfoProto */
#define GRAPH_OUTPUT 12     /* repeated ValueInfoProto */
/* NodeProto */
#define NODE_INPUT 1     /* repeated string */
#define NODE_OUTPUT 2    /* repeated string */
#define NODE_NAME 3      /* string */
#define NODE_OP_TYPE 4   /* string */
#define NODE_ATTRIBUTE 5 /* repeated AttributeProto */
/* AttributeProto */
#define ATTR_NAME 1  /* string */
#define ATTR_F 2     /* float */
#define ATTR_I 3     /* int64 */
#define ATTR_S 4     /* bytes */
#define ATTR_INTS 8  /* repeated int64 */
#define ATTR_TYPE 20 /* AttributeType: FLOAT 1, INT 2, STRING 3, INTS 7 */
#define ATTR_TYPE_FLOAT 1
#define ATTR_TYPE_INT 2
#define ATTR_TYPE_STRING 3
#define ATTR_TYPE_INTS 7
/* TensorProto */
#define TENSOR_DIMS 1      /* repeated int64 */
#define TENSOR_DATA_TYPE 2 /* int32, DataType: FLOAT 1, INT64 7 */
#define TENSOR_NAME 8      /* string */
#define TENSOR_RAW_DATA 9  /* bytes, little-endian */
#define DATA_TYPE_FLOAT 1
#define DATA_TYPE_INT64 7
/* ValueInfoProto */
#define VALUE_NAME 1 /* string */
#define VALUE_TYPE 2 /* TypeProto */
/* TypeProto */
#define TYPE_TENSOR_TYPE 1 /* TypeProto.Tensor */
/* TypeProto.Tensor */
#define TYPE_ELEM_TYPE 1 /* int32, a DataType */
#define TYPE_SHAPE 2     /* TensorShapeProto */
/* TensorShapeProto */
#define SHAPE_DIM 1 /* repeated Dimension */
/* TensorShapeProto.Dimension */
#define DIM_VALUE 1 /* int64 */
#define DIM_PARAM 2 /* string */

struct _DmOnnxBuilder
{
  DmProtoMessage *model;
  DmProtoMessage *graph; /* inside model */
  DmProtoMessage *last_node;
  GStringChunk *names; /* every name handed out */
  char *scope;
  guint counter; /* makes generated names unique */
};

DmOnnxBuilder *
dm_onnx_builder_new (const char *graph_name)
{
  DmOnnxBuilder *b = g_new0 (DmOnnxBuilder, 1);
  DmProtoMessage *opset;

  b->model = dm_proto_message_new ();
  b->names = g_string_chunk_new (4096);
  b->scope = g_strdup ("graph");
  dm_proto_add_int (b->model, MODEL_IR_VERSION, DM_ONNX_IR_VERSION);
  opset = dm_proto_add_message (b->model, MODEL_OPSET_IMPORT);
  dm_proto_add_string (opset, OPSET_DOMAIN, "");
  dm_proto_add_int (opset, OPSET_VERSION, DM_ONNX_OPSET);
  b->graph = dm_proto_add_message (b->model, MODEL_GRAPH);
  dm_proto_add_string (b->graph, GRAPH_NAME, graph_name);
  return b;
}

void
dm_onnx_builder_free (DmOnnxBuilder *b)
{
  if (b == NULL)
    return;
  dm_proto_message_free (b->model);
  g_string_chunk_free (b->names);
  g_free (b->scope);
  g_free (b);
}

void
dm_onnx_builder_set_producer (DmOnnxBuilder *b, const char *name, const char *version)
{
  dm_proto_add_string (b->model, MODEL_PRODUCER_NAME, name);
  dm_proto_add_string (b->model, MODEL_PRODUCER_VERSION, version);
}

void
dm_onnx_builder_set_doc (DmOnnxBuilder *b, const char *doc)
{
  dm_proto_add_string (b->model, MODEL_DOC_STRING, doc);
}

void
dm_onnx_builder_add_metadata (DmOnnxBuilder *b, const char *key, const char *value)
{
  DmProtoMessage *entry = dm_proto_add_message (b->model, MODEL_METADATA_PROPS);

  dm_proto_add_string (entry, ENTRY_KEY, key);
  dm_proto_add_string (entry, ENTRY_VALUE, value);
}

void
dm_onnx_builder_set_scope (DmOnnxBuilder *b, const char *scope)
{
  g_free (b->scope);
  b->scope = g_strdup (scope);
}

static const char *
fresh_name (DmOnnxBuilder *b, const char *what)
{
  g_autofree char *name = g_strdup_printf ("%s/%s_%u", b->scope, what, b->counter++);

  return g_string_chunk_insert (b->names, name);
}

/* ValueInfoProto of a float32 tensor. */
static void
add_value_info (
  DmProtoMessage *value, const char *name, int rank, const gint64 *dims, const char *dim_param)
{
  DmProtoMessage *tensor, *shape;

  dm_proto_add_string (value, VALUE_NAME, name);
  tensor = dm_proto_add_message (dm_proto_add_message (value, VALUE_TYPE), TYPE_TENSOR_TYPE);
  dm_proto_add_int (tensor, TYPE_ELEM_TYPE, DATA_TYPE_FLOAT);
  shape = dm_proto_add_message (tensor, TYPE_SHAPE);
  for (int i = 0; i < rank; i++)
    {
      DmProtoMessage *dim = dm_proto_add_message (shape, SHAPE_DIM);

      if (dims[i] < 0)
        dm_proto_add_string (dim, DIM_PARAM, dim_param);
      else
        dm_proto_add_int (dim, DIM_VALUE, dims[i]);
    }
}

void
dm_onnx_input (
  DmOnnxBuilder *b, const char *name, int rank, const gint64 *dims, const char *dim_param)
{
  add_value_info (dm_proto_add_message (b->graph, GRAPH_INPUT), name, rank, dims, dim_param);
}

void
dm_onnx_output (DmOnnxBuilder *b,
                const char *name,
                const char *value,
                int rank,
                const gint64 *dims,
                const char *dim_param)
{
  DmProtoMessage *node = dm_proto_add_message (b->graph, GRAPH_NODE);

  dm_proto_add_string (node, NODE_INPUT, value);
  dm_proto_add_string (node, NODE_OUTPUT, name);
  dm_proto_add_string (node, NODE_NAME, name);
  dm_proto_add_string (node, NODE_OP_TYPE, "Identity");
  b->last_node = node;
  add_value_info (dm_proto_add_message (b->graph, GRAPH_OUTPUT), name, rank, dims, dim_param);
}

/* A TensorProto initializer without its data. */
static DmProtoMessage *
add_initializer (DmOnnxBuilder *b, const char *name, int data_type, int rank, const gint64 *dims)
{
  DmProtoMessage *t = dm_proto_add_message (b->graph, GRAPH_INITIALIZER);

  for (int i = 0; i < rank; i++)
    dm_proto_add_int (t, TENSOR_DIMS, dims[i]);
  dm_proto_add_int (t, TENSOR_DATA_TYPE, data_type);
  dm_proto_add_string (t, TENSOR_NAME, name);
  return t;
}

static gsize
n_elements (int rank, const gint64 *dims)
{
  gsize n = 1;

  for (int i = 0; i < rank; i++)
    n *= (gsize)dims[i];
  return n;
}

const char *
dm_onnx_weight (DmOnnxBuilder *b, const char *name, const float *data, int rank, const gint64 *dims)
{
  DmProtoMessage *t = add_initializer (b, name, DATA_TYPE_FLOAT, rank, dims);

  dm_proto_add_bytes_borrowed (t, TENSOR_RAW_DATA, data, n_elements (rank, dims) * sizeof (float));
  return g_string_chunk_insert (b->names, name);
}

const char *
dm_onnx_floats (DmOnnxBuilder *b, const char *name, const float *data, int rank, const gint64 *dims)
{
  DmProtoMessage *t = add_initializer (b, name, DATA_TYPE_FLOAT, rank, dims);

  dm_proto_add_bytes (t, TENSOR_RAW_DATA, data, n_elements (rank, dims) * sizeof (float));
  return g_string_chunk_insert (b->names, name);
}

const char *
dm_onnx_scalar (DmOnnxBuilder *b, float value)
{
  const char *name = fresh_name (b, "const");

  return dm_onnx_floats (b, name, &value, 0, NULL);
}

const char *
dm_onnx_ints (DmOnnxBuilder *b, int n, const gint64 *values)
{
  const char *name = fresh_name (b, "ints");
  gint64 dims[1] = { n };
  DmProtoMessage *t = add_initializer (b, name, DATA_TYPE_INT64, 1, dims);

  dm_proto_add_bytes (t, TENSOR_RAW_DATA, values, (gsize)n * sizeof (gint64));
  return name;
}

const char *
dm_onnx_op (DmOnnxBuilder *b, const char *op_type, ...)
{
  DmProtoMessage *node = dm_proto_add_message (b->graph, GRAPH_NODE);
  const char *output = fresh_name (b, op_type);
  const char *input;
  va_list args;

  va_start (args, op_type);
  while ((input = va_arg (args, const char *)) != NULL)
    dm_proto_add_string (node, NODE_INPUT, input);
  va_end (args);
  dm_proto_add_string (node, NODE_OUTPUT, output);
  dm_proto_add_string (node, NODE_NAME, output);
  dm_proto_add_string (node, NODE_OP_TYPE, op_type);
  b->last_node = node;
  return output;
}

const char *
dm_onnx_extra_output (DmOnnxBuilder *b)
{
  const char *output = fresh_name (b, "out");

  g_return_val_if_fail (b->last_node != NULL, NULL);
  dm_proto_add_string (b->last_node, NODE_OUTPUT, output);
  return output;
}

static DmProtoMessage *
add_attribute (DmOnnxBuilder *b, const char *name, int type)
{
  DmProtoMessage *attr;

  g_return_val_if_fail (b->last_node != NULL, NULL);
  attr = dm_proto_add_message (b->last_node, NODE_ATTRIBUTE);
  dm_proto_add_string (attr, ATTR_NAME, name);
  dm_proto_add_int (attr, ATTR_TYPE, type);
  return attr;
}

void
dm_onnx_attr_int (DmOnnxBuilder *b, const char *name, gint64 value)
{
  dm_proto_add_int (add_attribute (b, name, ATTR_TYPE_INT), ATTR_I, value);
}

void
dm_onnx_attr_float (DmOnnxBuilder *b, const char *name, float value)
{
  dm_proto_add_float (add_attribute (b, name, ATTR_TYPE_FLOAT), ATTR_F, value);
}

void
dm_onnx_attr_ints (DmOnnxBuilder *b, const char *name, int n, const gint64 *values)
{
  DmProtoMessage *attr = add_attribute (b, name, ATTR_TYPE_INTS);

  for (int i = 0; i < n; i++)
    dm_proto_add_int (attr, ATTR_INTS, values[i]);
}

void
dm_onnx_attr_string (DmOnnxBuilder *b, const char *name, const char *value)
{
  DmProtoMessage *attr = add_attribute (b, name, ATTR_TYPE_STRING);

  dm_proto_add_string (attr, ATTR_S, value);
}

guint64
dm_onnx_builder_size (DmOnnxBuilder *b)
{
  return dm_proto_message_size (b->model);
}

gboolean
dm_onnx_builder_write (DmOnnxBuilder *b, const char *path, GError **error)
{
  guint64 size = dm_proto_message_size (b->model);
  DmAtomicFile file;

  if (size > DM_PROTOBUF_MAX_SIZE)
    {
      g_autofree char *human = g_format_size (size);

      /* external data files would lift the limit; no model of the
       * supported sizes comes near it (ViT-L: about 1.4 GB) */
      g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE,
                   "%s: the model would be %s, more than one ONNX file holds (2 GiB)", path, human);
      return FALSE;
    }
  if (!dm_atomic_file_begin (&file, path, error))
    return FALSE;
  if (!dm_proto_message_write (b->model, dm_atomic_file_sink, &file, error))
    {
      dm_atomic_file_abort (&file);
      return FALSE;
    }
  return dm_atomic_file_commit (&file, error);
}
