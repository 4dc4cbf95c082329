/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reads safetensors files: memory-mapped, every header field checked, and
 * tensors widened exactly to float32.
 *
 * The format, field by field (https://github.com/huggingface/safetensors):
 *
 *   bytes 0..7      n, unsigned 64-bit little-endian: the header length
 *   bytes 8..8+n-1  the header: UTF-8 JSON, one object (writers pad it with
 *                   spaces so the data starts on an 8-byte boundary)
 *   bytes 8+n..     the data section: raw little-endian tensor bytes, C order
 *
 * The header maps each tensor name to
 *   { "dtype": "F32" | "F16" | "BF16" | "U8" | ... (see DmDtype),
 *     "shape": [d0, d1, ...]           (non-negative integers; [] = scalar),
 *     "data_offsets": [begin, end] }   (bytes, relative to the data section)
 * and may hold "__metadata__": { string: string } (free text; the model file
 * keeps its JSON settings there). Key order carries no meaning.
 *
 * What the reader checks (each failure is a GError naming the file and the
 * tensor): n <= 100 MB and inside the file; the header is UTF-8 and one JSON
 * object; every entry has a known dtype, a shape of at most
 * DM_SAFETENSORS_MAX_RANK integers and two integer offsets; begin <= end <=
 * data size; end - begin == product(shape) * dtype size, computed without
 * overflow; no two tensors share a byte; __metadata__ maps strings to
 * strings. Gaps between tensors are allowed (the format does not use them,
 * but they harm nobody). */
#pragma once

#include <glib.h>

#include "dm-dtype.h"

G_BEGIN_DECLS

#define DM_SAFETENSORS_MAX_HEADER (100u * 1000u * 1000u) /* bytes */
#define DM_SAFETENSORS_MAX_RANK 8
/* 2^40 elements: far beyond any weight file, far below overflow. */
#define DM_SAFETENSORS_MAX_ELEMENTS (G_GUINT64_CONSTANT (1) << 40)

typedef struct _DmSafetensors DmSafetensors;

/* One tensor of the header. */
typedef struct
{
  const char *name; /* owned by the DmSafetensors */
  DmDtype dtype;
  int rank;                              /* 0..DM_SAFETENSORS_MAX_RANK */
  gint64 shape[DM_SAFETENSORS_MAX_RANK]; /* shape[0..rank-1], C order */
  guint64 n_elements;                    /* product of shape (1 for a scalar) */
  guint64 begin;                         /* byte offsets in the data section */
  guint64 end;
} DmTensorInfo;

/* Maps the file and checks its header. NULL with an error otherwise. */
DmSafetensors *dm_safetensors_open (const char *path, GError **error);
/* Same checks on bytes in memory (tests, fuzzers); `name` names them in
 * messages. The DmSafetensors keeps a reference to bytes. */
DmSafetensors *dm_safetensors_new_from_bytes (GBytes *bytes, const char *name, GError **error);
/* A DmSafetensors over tensors another format's reader (dm-pth.h) has
 * already laid out in data, which becomes the data section (begin and end
 * are offsets into it; the names are copied). The same checks as for a
 * file's header: known dtype, shape, sizes that match, inside data, no
 * overlap, no name twice. There is no header and no metadata: header size
 * 0, file size = the size of data. */
DmSafetensors *dm_safetensors_new_from_tensors (
  GBytes *data, const char *name, const DmTensorInfo *tensors, guint n_tensors, GError **error);
void dm_safetensors_free (DmSafetensors *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmSafetensors, dm_safetensors_free)

/* The path given to open (or the name given to new_from_bytes). */
const char *dm_safetensors_path (const DmSafetensors *st);
/* Bytes of the header JSON (without the 8-byte length) and of the file. */
guint64 dm_safetensors_header_size (const DmSafetensors *st);
guint64 dm_safetensors_file_size (const DmSafetensors *st);

/* Tensors, in the order of their data in the file (not the header's key
 * order, which writers do not agree on). */
guint dm_safetensors_n_tensors (const DmSafetensors *st);
const DmTensorInfo *dm_safetensors_tensor (const DmSafetensors *st, guint i);
/* NULL when there is no tensor of that name. */
const DmTensorInfo *dm_safetensors_find (const DmSafetensors *st, const char *name);

/* __metadata__ lookup: NULL when absent. Keys are sorted, NULL-terminated,
 * owned by st. */
const char *dm_safetensors_metadata (const DmSafetensors *st, const char *key);
const char *const *dm_safetensors_metadata_keys (const DmSafetensors *st);

/* Reads tensor `name` (F32, F16 or BF16) into out as float32, widened
 * exactly. Fails when the tensor is missing, of another dtype, or does not
 * hold exactly n_expected elements. */
gboolean dm_safetensors_read_f32 (
  const DmSafetensors *st, const char *name, float *out, gsize n_expected, GError **error);
/* dm_safetensors_read_f32 for weights: a NaN or infinite value is an error
 * naming the tensor and the element (weights never hold one; a model whose
 * weights do would blame every image it scores instead). */
gboolean dm_safetensors_read_weights (
  const DmSafetensors *st, const char *name, float *out, gsize n_expected, GError **error);
/* Every floating-point tensor of the file, checked for NaN and infinite
 * values (the first one found is the error). */
gboolean dm_safetensors_check_finite (const DmSafetensors *st, GError **error);
/* Reads elements [first, first + n) of a tensor (flat C order) as float32. */
gboolean dm_safetensors_read_f32_range (const DmSafetensors *st,
                                        const DmTensorInfo *tensor,
                                        guint64 first,
                                        gsize n,
                                        float *out,
                                        GError **error);
/* The raw little-endian bytes of a tensor (end - begin of them), in the
 * mapping: valid while st lives, not necessarily aligned. */
const guint8 *dm_safetensors_tensor_bytes (const DmSafetensors *st, const DmTensorInfo *tensor);

/* "(1, 1370, 128)" */
char *dm_tensor_info_shape_string (const DmTensorInfo *tensor);
/* TRUE when the tensor has exactly this rank and shape. */
gboolean dm_tensor_info_has_shape (const DmTensorInfo *tensor, int rank, const gint64 *shape);

G_END_DECLS
