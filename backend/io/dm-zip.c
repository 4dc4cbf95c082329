/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reads zip directories; the format is described in dm-zip.h. */
#include "dm-zip.h"

#include <string.h>

#include "dm-crc32.h"
#include "dm-error.h"

#define EOCD_SIZE 22
#define LOCATOR_SIZE 20
#define ZIP64_EOCD_SIZE 56
#define CENTRAL_SIZE 46
#define LOCAL_SIZE 30
#define MAX_COMMENT 65535
/* A directory entry takes 46 bytes at least, so the file size bounds the
 * count; this bound keeps the table small even for a hostile 4 GB file. */
#define MAX_ENTRIES (1u << 22)

struct _DmZip
{
  char *name;
  const guint8 *data;
  guint64 size;
  DmZipEntry *entries;
  guint n_entries;
  GHashTable *by_name; /* name -> DmZipEntry* */
};

static gboolean G_GNUC_PRINTF (4, 5)
  fail (GError **error, const DmZip *zip, int code, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, DM_ERROR, code, "%s: %s", zip->name, message);
  return FALSE;
}

static guint16
get16 (const guint8 *p)
{
  return (guint16)(p[0] | p[1] << 8);
}

static guint32
get32 (const guint8 *p)
{
  return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

static guint64
get64 (const guint8 *p)
{
  return (guint64)get32 (p) | (guint64)get32 (p + 4) << 32;
}

/* The end record: the last "PK\5\6" whose comment ends the file. */
static gboolean
find_eocd (const DmZip *zip, guint64 *eocd)
{
  guint64 lowest;

  if (zip->size < EOCD_SIZE)
    return FALSE;
  lowest = zip->size >= EOCD_SIZE + MAX_COMMENT ? zip->size - EOCD_SIZE - MAX_COMMENT : 0;
  for (guint64 at = zip->size - EOCD_SIZE + 1; at-- > lowest;)
    {
      const guint8 *p = zip->data + at;

      if (memcmp (p, "PK\5\6", 4) == 0 && at + EOCD_SIZE + get16 (p + 20) == zip->size)
        {
          *eocd = at;
          return TRUE;
        }
    }
  return FALSE;
}

typedef struct
{
  guint64 n_entries;
  guint64 cd_size;
  guint64 cd_offset;
  guint64 end; /* where the directory must end: the first end record */
} Directory;

static gboolean
read_end_records (DmZip *zip, Directory *dir, GError **error)
{
  guint64 eocd;
  const guint8 *e;

  if (!find_eocd (zip, &eocd))
    return fail (error, zip, DM_ERROR_CORRUPT,
                 "no zip directory at the end of the file: truncated, or not a zip archive");
  e = zip->data + eocd;
  if (get16 (e + 4) != 0 || get16 (e + 6) != 0 || get16 (e + 8) != get16 (e + 10))
    return fail (error, zip, DM_ERROR_UNSUPPORTED, "a zip archive split over several disks");
  dir->n_entries = get16 (e + 10);
  dir->cd_size = get32 (e + 12);
  dir->cd_offset = get32 (e + 16);
  dir->end = eocd;

  /* torch writes the zip64 records always; others only when a field is
   * saturated. Their values win over the 16/32-bit ones. */
  if (eocd >= LOCATOR_SIZE && memcmp (zip->data + eocd - LOCATOR_SIZE, "PK\6\7", 4) == 0)
    {
      const guint8 *loc = zip->data + eocd - LOCATOR_SIZE;
      guint64 at = get64 (loc + 8);
      const guint8 *z;

      if (get32 (loc + 4) != 0 || get32 (loc + 16) > 1)
        return fail (error, zip, DM_ERROR_UNSUPPORTED, "a zip archive split over several disks");
      if (at > eocd - LOCATOR_SIZE || eocd - LOCATOR_SIZE - at < ZIP64_EOCD_SIZE)
        return fail (
          error, zip, DM_ERROR_CORRUPT,
          "the zip64 end record at offset %" G_GUINT64_FORMAT " is not inside the file's end", at);
      z = zip->data + at;
      if (memcmp (z, "PK\6\6", 4) != 0)
        return fail (error, zip, DM_ERROR_CORRUPT,
                     "no zip64 end record at offset %" G_GUINT64_FORMAT, at);
      if (get32 (z + 16) != 0 || get32 (z + 20) != 0 || get64 (z + 24) != get64 (z + 32))
        return fail (error, zip, DM_ERROR_UNSUPPORTED, "a zip archive split over several disks");
      dir->n_entries = get64 (z + 32);
      dir->cd_size = get64 (z + 40);
      dir->cd_offset = get64 (z + 48);
      dir->end = at;
    }
  if (dir->cd_offset > dir->end || dir->cd_size > dir->end - dir->cd_offset)
    return fail (error, zip, DM_ERROR_CORRUPT,
                 "the zip directory (%" G_GUINT64_FORMAT " bytes at offset %" G_GUINT64_FORMAT
                 ") is not inside the file (%" G_GUINT64_FORMAT " bytes): truncated?",
                 dir->cd_size, dir->cd_offset, zip->size);
  if (dir->n_entries > dir->cd_size / CENTRAL_SIZE || dir->n_entries > MAX_ENTRIES)
    return fail (error, zip, DM_ERROR_CORRUPT,
                 "the zip directory claims %" G_GUINT64_FORMAT " entries in %" G_GUINT64_FORMAT
                 " bytes",
                 dir->n_entries, dir->cd_size);
  return TRUE;
}

/* Replaces the saturated fields by those of the zip64 extra field. */
static gboolean
read_zip64_extra (DmZip *zip,
                  const char *name,
                  const guint8 *extra,
                  guint extra_len,
                  guint64 *size,
                  guint64 *csize,
                  guint64 *offset,
                  GError **error)
{
  guint64 *fields[3] = { size, csize, offset };

  for (guint at = 0; at + 4 <= extra_len;)
    {
      guint id = get16 (extra + at), len = get16 (extra + at + 2);
      guint used = 0;

      if (len > extra_len - at - 4)
        break; /* a malformed extra field: the saturated test below decides */
      if (id == 1)
        {
          for (int f = 0; f < 3; f++)
            if (*fields[f] == 0xFFFFFFFFu)
              {
                if (used + 8 > len)
                  return fail (error, zip, DM_ERROR_CORRUPT,
                               "entry '%s': zip64 extra field too short", name);
                *fields[f] = get64 (extra + at + 4 + used);
                used += 8;
              }
          return TRUE;
        }
      at += 4 + len;
    }
  for (int f = 0; f < 3; f++)
    if (*fields[f] == 0xFFFFFFFFu)
      return fail (error, zip, DM_ERROR_CORRUPT,
                   "entry '%s': a size or offset of 0xFFFFFFFF without its zip64 field", name);
  return TRUE;
}

/* One directory entry at p (inside the directory, `left` bytes to its
 * end); *used: its length. */
static gboolean
read_entry (DmZip *zip,
            const Directory *dir,
            const guint8 *p,
            guint64 left,
            DmZipEntry *entry,
            guint64 *used,
            GError **error)
{
  guint flags, method, name_len, extra_len, comment_len, local_name, local_extra;
  guint64 size, csize, offset, data_at;
  char *name;
  const guint8 *local;

  if (left < CENTRAL_SIZE || memcmp (p, "PK\1\2", 4) != 0)
    return fail (error, zip, DM_ERROR_CORRUPT, "zip directory entry %u is malformed",
                 zip->n_entries);
  flags = get16 (p + 8);
  method = get16 (p + 10);
  csize = get32 (p + 20);
  size = get32 (p + 24);
  name_len = get16 (p + 28);
  extra_len = get16 (p + 30);
  comment_len = get16 (p + 32);
  offset = get32 (p + 42);
  if ((guint64)CENTRAL_SIZE + name_len + extra_len + comment_len > left)
    return fail (error, zip, DM_ERROR_CORRUPT, "zip directory entry %u runs past the directory",
                 zip->n_entries);
  *used = (guint64)CENTRAL_SIZE + name_len + extra_len + comment_len;
  if (name_len == 0 || memchr (p + CENTRAL_SIZE, '\0', name_len) != NULL)
    return fail (error, zip, DM_ERROR_CORRUPT, "zip directory entry %u has no usable name",
                 zip->n_entries);
  name = g_strndup ((const char *)p + CENTRAL_SIZE, name_len);
  entry->name = name; /* owned from here on, freed with the table */
  if (!read_zip64_extra (zip, name, p + CENTRAL_SIZE + name_len, extra_len, &size, &csize, &offset,
                         error))
    return FALSE;
  if (flags & 0x41)
    return fail (error, zip, DM_ERROR_UNSUPPORTED, "entry '%s' is encrypted", name);
  if (method != 0)
    return fail (error, zip, DM_ERROR_UNSUPPORTED,
                 "entry '%s' is compressed (method %u): only stored entries are read, as "
                 "torch.save writes them",
                 name, method);
  if (csize != size)
    return fail (error, zip, DM_ERROR_CORRUPT,
                 "stored entry '%s' has a compressed size (%" G_GUINT64_FORMAT
                 ") unlike its size (%" G_GUINT64_FORMAT ")",
                 name, csize, size);

  /* The local header, then the data: both before the directory. */
  if (offset > dir->cd_offset || dir->cd_offset - offset < LOCAL_SIZE)
    return fail (error, zip, DM_ERROR_CORRUPT,
                 "entry '%s': local header offset %" G_GUINT64_FORMAT
                 " is not before the directory",
                 name, offset);
  local = zip->data + offset;
  if (memcmp (local, "PK\3\4", 4) != 0)
    return fail (error, zip, DM_ERROR_CORRUPT,
                 "entry '%s': no local header at offset %" G_GUINT64_FORMAT, name, offset);
  local_name = get16 (local + 26);
  local_extra = get16 (local + 28);
  data_at = offset + LOCAL_SIZE + local_name + local_extra;
  if (data_at > dir->cd_offset || size > dir->cd_offset - data_at)
    return fail (error, zip, DM_ERROR_CORRUPT,
                 "entry '%s': %" G_GUINT64_FORMAT " bytes at offset %" G_GUINT64_FORMAT
                 " run past the start of the directory (%" G_GUINT64_FORMAT "): truncated?",
                 name, size, data_at, dir->cd_offset);
  if (local_name != name_len || memcmp (local + LOCAL_SIZE, name, name_len) != 0)
    return fail (error, zip, DM_ERROR_CORRUPT, "entry '%s': its local header names another file",
                 name);
  entry->offset = data_at;
  entry->size = size;
  entry->crc32 = get32 (p + 16);
  return TRUE;
}

DmZip *
dm_zip_open (const guint8 *data, guint64 size, const char *name, GError **error)
{
  g_autoptr (DmZip) zip = g_new0 (DmZip, 1);
  Directory dir = { 0 };
  guint64 at;

  zip->name = g_strdup (name);
  zip->data = data;
  zip->size = size;
  zip->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  if (!read_end_records (zip, &dir, error))
    return NULL;
  zip->entries = g_new0 (DmZipEntry, MAX (dir.n_entries, 1));
  at = dir.cd_offset;
  for (guint64 i = 0; i < dir.n_entries; i++)
    {
      DmZipEntry *e = &zip->entries[zip->n_entries];
      guint64 used = 0;
      gboolean ok
        = read_entry (zip, &dir, data + at, dir.cd_offset + dir.cd_size - at, e, &used, error);

      if (e->name != NULL)
        zip->n_entries++; /* from here on its name is freed with the table */
      if (!ok)
        return NULL;
      if (g_hash_table_contains (zip->by_name, e->name))
        {
          fail (error, zip, DM_ERROR_CORRUPT, "entry '%s' is in the archive twice", e->name);
          return NULL;
        }
      g_hash_table_insert (zip->by_name, (gpointer)e->name, e);
      at += used;
    }
  return g_steal_pointer (&zip);
}

void
dm_zip_free (DmZip *zip)
{
  if (zip == NULL)
    return;
  for (guint i = 0; i < zip->n_entries; i++)
    g_free ((char *)zip->entries[i].name);
  g_free (zip->entries);
  g_clear_pointer (&zip->by_name, g_hash_table_unref);
  g_free (zip->name);
  g_free (zip);
}

guint
dm_zip_n_entries (const DmZip *zip)
{
  return zip->n_entries;
}

const DmZipEntry *
dm_zip_entry (const DmZip *zip, guint i)
{
  g_return_val_if_fail (i < zip->n_entries, NULL);
  return &zip->entries[i];
}

const DmZipEntry *
dm_zip_find (const DmZip *zip, const char *name)
{
  return g_hash_table_lookup (zip->by_name, name);
}

const guint8 *
dm_zip_entry_data (const DmZip *zip, const DmZipEntry *entry)
{
  return zip->data + entry->offset;
}

gboolean
dm_zip_check_crc (const DmZip *zip, const DmZipEntry *entry, GError **error)
{
  guint32 crc = 0;

  /* dm_crc32_update takes a gsize: go in pieces for 32-bit builds. */
  for (guint64 done = 0; done < entry->size;)
    {
      gsize n = (gsize)MIN (entry->size - done, (guint64)1 << 30);

      crc = dm_crc32_update (crc, zip->data + entry->offset + done, n);
      done += n;
    }
  if (crc != entry->crc32)
    return fail (error, zip, DM_ERROR_CORRUPT,
                 "entry '%s' is damaged: its crc-32 is %08x, the directory says %08x", entry->name,
                 crc, entry->crc32);
  return TRUE;
}
