/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writes safetensors files (format: dm-safetensors.h): tensors in the order
 * they were added, the header padded with spaces to a multiple of 8 bytes,
 * the file written atomically. The same collection of tensors can be
 * written as a PyTorch file instead (dm-pth-writer.h). */
#pragma once

#include <glib.h>

#include "dm-dtype.h"
#include "dm-file-util.h"
#include "dm-safetensors.h"

G_BEGIN_DECLS

typedef struct _DmSafetensorsWriter DmSafetensorsWriter;

DmSafetensorsWriter *dm_safetensors_writer_new (void);
void dm_safetensors_writer_free (DmSafetensorsWriter *writer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmSafetensorsWriter, dm_safetensors_writer_free)

/* Adds a float32 tensor, stored as store_as (F32, or F16/BF16 rounded to
 * nearest even). The data is NOT copied: it must stay valid until the
 * writer is written or freed (weights are hundreds of MB). Fails on a
 * duplicate or empty name, a bad shape or a dtype that is not a float. */
gboolean dm_safetensors_writer_add_f32 (DmSafetensorsWriter *writer,
                                        const char *name,
                                        DmDtype store_as,
                                        const float *data,
                                        int rank,
                                        const gint64 *shape,
                                        GError **error);
/* Adds a tensor of any dtype from its little-endian bytes, written as they
 * are (not copied either). */
gboolean dm_safetensors_writer_add_raw (DmSafetensorsWriter *writer,
                                        const char *name,
                                        DmDtype dtype,
                                        const void *bytes,
                                        int rank,
                                        const gint64 *shape,
                                        GError **error);
/* Sets a __metadata__ entry (both strings copied; a second set replaces). */
void dm_safetensors_writer_set_metadata (DmSafetensorsWriter *writer,
                                         const char *key,
                                         const char *value);
guint dm_safetensors_writer_n_tensors (const DmSafetensorsWriter *writer);
/* Tensor i as it will be written: name (owned by the writer), dtype as
 * stored, rank, shape, elements; begin and end are its bytes in the data
 * section of the safetensors file. */
void dm_safetensors_writer_get (const DmSafetensorsWriter *writer, guint i, DmTensorInfo *info);
/* Gives tensor i's bytes as stored (float32 narrowed to F16 or BF16 on the
 * way, in pieces of 1 MiB) to sink, in order. */
gboolean dm_safetensors_writer_stream (
  const DmSafetensorsWriter *writer, guint i, DmByteSink sink, gpointer user_data, GError **error);

/* Writes the file atomically: into a temporary file in the same folder,
 * fsync, rename. On failure nothing is left behind and an existing file at
 * path is untouched. The writer can be written again. */
gboolean
dm_safetensors_writer_write (DmSafetensorsWriter *writer, const char *path, GError **error);

G_END_DECLS
