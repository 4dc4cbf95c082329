/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writes zip archives of stored entries as torch.save lays them out: each
 * entry's bytes start on a 64-byte boundary (padding in an extra field
 * "FB", so PyTorch can map them), names are UTF-8, sizes and crc-32 are in
 * the local header (known before the bytes are written), and the archive
 * ends with the zip64 end records torch always writes, then the classic
 * one. Entries or offsets past 4 GiB get zip64 extra fields. Format:
 * dm-zip.h. */
#pragma once

#include <glib.h>

#include "dm-file-util.h"

G_BEGIN_DECLS

typedef struct _DmZipWriter DmZipWriter;

/* The archive's bytes go to sink, in order. */
DmZipWriter *dm_zip_writer_new (DmByteSink sink, gpointer user_data);
void dm_zip_writer_free (DmZipWriter *zip);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmZipWriter, dm_zip_writer_free)

/* Starts an entry of exactly size bytes with this crc-32; its bytes follow
 * through dm_zip_writer_write. */
gboolean dm_zip_writer_begin_entry (
  DmZipWriter *zip, const char *name, guint64 size, guint32 crc32, GError **error);
gboolean dm_zip_writer_write (DmZipWriter *zip, const void *data, gsize n, GError **error);
/* begin_entry + write of bytes in memory. */
gboolean
dm_zip_writer_add (DmZipWriter *zip, const char *name, const void *data, gsize n, GError **error);
/* Writes the directory and the end records; fails when an entry got fewer
 * or more bytes than it announced. */
gboolean dm_zip_writer_finish (DmZipWriter *zip, GError **error);

/* A DmByteSink that appends to a GByteArray (user_data). */
gboolean dm_byte_array_sink (gpointer array, const void *data, gsize n, GError **error);

G_END_DECLS
