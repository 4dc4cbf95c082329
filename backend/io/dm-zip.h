/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reads the directory of a zip archive held in memory (a mapped file) and
 * finds its stored entries: what torch.save writes since PyTorch 1.6.
 *
 * The parts read, field by field (PKWARE APPNOTE 6.3; all little-endian):
 *
 *   end of central directory (last 22 + comment bytes of the file)
 *     "PK\5\6", disk (2), disk of the directory (2), entries on this disk (2),
 *     entries (2), directory size (4), directory offset (4), comment length (2)
 *   zip64 locator, just before it (20 bytes, optional)
 *     "PK\6\7", disk (4), offset of the zip64 end record (8), disks (4)
 *   zip64 end record (56 bytes at that offset)
 *     "PK\6\6", record size (8), versions (2 + 2), disk (4), disk of the
 *     directory (4), entries on this disk (8), entries (8), directory size
 *     (8), directory offset (8)
 *   central directory entry (46 bytes + name + extra + comment)
 *     "PK\1\2", versions (2 + 2), flags (2), method (2), time, date (2 + 2),
 *     crc-32 (4), compressed size (4), size (4), name length (2), extra
 *     length (2), comment length (2), disk (2), attributes (2 + 4), offset of
 *     the local header (4), name, extra fields (id (2), length (2), data),
 *     comment. A 0xFFFFFFFF size or offset is in the zip64 extra field (id 1)
 *     in the order size, compressed size, offset.
 *   local header (30 bytes + name + extra), then the entry's bytes
 *     "PK\3\4", version (2), flags (2), method (2), time, date (2 + 2),
 *     crc-32 (4), sizes (4 + 4), name length (2), extra length (2). torch
 *     sets flag 3 (sizes and crc in a data descriptor after the data) and
 *     pads the extra field so the data starts on a 64-byte boundary.
 *
 * Sizes, crc and offsets come from the central directory (the local header
 * may hold zeros under flag 3); every one is checked against the file:
 * entries lie before the directory, local headers carry the same name.
 * Refused with a clear message: encrypted or compressed entries (torch
 * writes every record stored), archives split over several disks. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *name; /* owned by the DmZip; UTF-8 or not, never NUL inside */
  guint64 offset;   /* of the entry's first byte in the archive */
  guint64 size;
  guint32 crc32;
} DmZipEntry;

typedef struct _DmZip DmZip;

/* Reads the directory of the size bytes at data (kept: they must outlive
 * the DmZip). `name` names the archive in messages. */
DmZip *dm_zip_open (const guint8 *data, guint64 size, const char *name, GError **error);
void dm_zip_free (DmZip *zip);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmZip, dm_zip_free)

/* Entries in directory order. */
guint dm_zip_n_entries (const DmZip *zip);
const DmZipEntry *dm_zip_entry (const DmZip *zip, guint i);
/* NULL when absent. */
const DmZipEntry *dm_zip_find (const DmZip *zip, const char *name);
/* The entry's bytes (size of them), inside the archive's data. */
const guint8 *dm_zip_entry_data (const DmZip *zip, const DmZipEntry *entry);
/* Checks the entry's bytes against its crc-32: FALSE with an error naming
 * the archive and the entry when they differ. */
gboolean dm_zip_check_crc (const DmZip *zip, const DmZipEntry *entry, GError **error);

G_END_DECLS
