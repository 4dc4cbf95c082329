/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writes zip archives of stored entries (dm-zip-writer.h). */
#include "dm-zip-writer.h"

#include <string.h>

#include "dm-crc32.h"
#include "dm-error.h"

#define ALIGN 64
#define SATURATED 0xFFFFFFFFu

typedef struct
{
  char *name;
  guint64 offset; /* of the local header */
  guint64 size;
  guint32 crc32;
} Written;

struct _DmZipWriter
{
  DmByteSink sink;
  gpointer user_data;
  guint64 at;       /* bytes written so far */
  GArray *entries;  /* Written */
  guint64 expected; /* bytes the open entry still needs */
  gboolean open;
};

static void
written_clear (gpointer p)
{
  g_free (((Written *)p)->name);
}

DmZipWriter *
dm_zip_writer_new (DmByteSink sink, gpointer user_data)
{
  DmZipWriter *zip = g_new0 (DmZipWriter, 1);

  zip->sink = sink;
  zip->user_data = user_data;
  zip->entries = g_array_new (FALSE, TRUE, sizeof (Written));
  g_array_set_clear_func (zip->entries, written_clear);
  return zip;
}

void
dm_zip_writer_free (DmZipWriter *zip)
{
  if (zip == NULL)
    return;
  g_array_unref (zip->entries);
  g_free (zip);
}

static void
put16 (GByteArray *b, guint v)
{
  guint8 p[2] = { v & 0xff, (v >> 8) & 0xff };
  g_byte_array_append (b, p, 2);
}

static void
put32 (GByteArray *b, guint32 v)
{
  put16 (b, v & 0xffff);
  put16 (b, v >> 16);
}

static void
put64 (GByteArray *b, guint64 v)
{
  put32 (b, (guint32)v);
  put32 (b, (guint32)(v >> 32));
}

static gboolean
emit (DmZipWriter *zip, GByteArray *b, GError **error)
{
  if (!zip->sink (zip->user_data, b->data, b->len, error))
    return FALSE;
  zip->at += b->len;
  return TRUE;
}

static gboolean
check_closed (DmZipWriter *zip, GError **error)
{
  if (zip->open && zip->expected != 0)
    {
      g_set_error (
        error, DM_ERROR, DM_ERROR_INVALID, "zip entry '%s' is %" G_GUINT64_FORMAT " bytes short",
        g_array_index (zip->entries, Written, zip->entries->len - 1).name, zip->expected);
      return FALSE;
    }
  zip->open = FALSE;
  return TRUE;
}

gboolean
dm_zip_writer_begin_entry (
  DmZipWriter *zip, const char *name, guint64 size, guint32 crc32, GError **error)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  gsize name_len = strlen (name);
  gboolean big = size >= SATURATED;
  guint pad;
  Written w = { 0 };

  if (!check_closed (zip, error))
    return FALSE;
  if (name_len == 0 || name_len > 0xFFFF)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "zip entry name of %" G_GSIZE_FORMAT " bytes",
                   name_len);
      return FALSE;
    }
  put32 (b, 0x04034b50);
  put16 (b, big ? 45 : 20); /* version needed: 4.5 for zip64 */
  put16 (b, 0x0800);        /* names are UTF-8 */
  put16 (b, 0);             /* stored */
  put16 (b, 0);             /* 00:00 */
  put16 (b, 0x21);          /* 1980-01-01: the same bytes every time */
  put32 (b, crc32);
  put32 (b, big ? SATURATED : (guint32)size);
  put32 (b, big ? SATURATED : (guint32)size);
  put16 (b, (guint)name_len);
  /* the extra field: zip64 sizes, then padding to the boundary */
  pad = (guint)((ALIGN - (zip->at + 30 + name_len + (big ? 20 : 0) + 4) % ALIGN) % ALIGN);
  put16 (b, (big ? 20 : 0) + 4 + pad);
  g_byte_array_append (b, (const guint8 *)name, (guint)name_len);
  if (big)
    {
      put16 (b, 1);
      put16 (b, 16);
      put64 (b, size);
      put64 (b, size);
    }
  put16 (b, 0x4246); /* "FB", as torch names it */
  put16 (b, pad);
  for (guint i = 0; i < pad; i++)
    g_byte_array_append (b, (const guint8 *)"Z", 1);

  w.name = g_strdup (name);
  w.offset = zip->at;
  w.size = size;
  w.crc32 = crc32;
  g_array_append_val (zip->entries, w);
  zip->open = TRUE;
  zip->expected = size;
  return emit (zip, b, error);
}

gboolean
dm_zip_writer_write (DmZipWriter *zip, const void *data, gsize n, GError **error)
{
  if (!zip->open || n > zip->expected)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "zip: more bytes than the entry announced");
      return FALSE;
    }
  if (!zip->sink (zip->user_data, data, n, error))
    return FALSE;
  zip->at += n;
  zip->expected -= n;
  return TRUE;
}

gboolean
dm_zip_writer_add (DmZipWriter *zip, const char *name, const void *data, gsize n, GError **error)
{
  return dm_zip_writer_begin_entry (zip, name, n, dm_crc32_update (0, data, n), error)
         && dm_zip_writer_write (zip, data, n, error);
}

gboolean
dm_zip_writer_finish (DmZipWriter *zip, GError **error)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  guint64 cd_offset = zip->at, cd_size, zip64_at;
  guint64 n = zip->entries->len;

  if (!check_closed (zip, error))
    return FALSE;
  for (guint i = 0; i < zip->entries->len; i++)
    {
      const Written *w = &g_array_index (zip->entries, Written, i);
      gboolean big_size = w->size >= SATURATED, big_offset = w->offset >= SATURATED;
      guint extra = (big_size ? 16 : 0) + (big_offset ? 8 : 0);

      put32 (b, 0x02014b50);
      put16 (b, extra > 0 ? 45 : 20); /* made by */
      put16 (b, extra > 0 ? 45 : 20); /* needed */
      put16 (b, 0x0800);
      put16 (b, 0);
      put16 (b, 0);
      put16 (b, 0x21);
      put32 (b, w->crc32);
      put32 (b, big_size ? SATURATED : (guint32)w->size);
      put32 (b, big_size ? SATURATED : (guint32)w->size);
      put16 (b, (guint)strlen (w->name));
      put16 (b, extra > 0 ? extra + 4 : 0);
      put16 (b, 0); /* comment */
      put16 (b, 0); /* disk */
      put16 (b, 0); /* internal attributes */
      put32 (b, 0); /* external attributes */
      put32 (b, big_offset ? SATURATED : (guint32)w->offset);
      g_byte_array_append (b, (const guint8 *)w->name, (guint)strlen (w->name));
      if (extra > 0)
        {
          put16 (b, 1);
          put16 (b, extra);
          if (big_size)
            {
              put64 (b, w->size);
              put64 (b, w->size);
            }
          if (big_offset)
            put64 (b, w->offset);
        }
    }
  cd_size = b->len;
  zip64_at = cd_offset + cd_size;

  /* zip64 end record */
  put32 (b, 0x06064b50);
  put64 (b, 44); /* size of the rest of the record */
  put16 (b, 45);
  put16 (b, 45);
  put32 (b, 0);
  put32 (b, 0);
  put64 (b, n);
  put64 (b, n);
  put64 (b, cd_size);
  put64 (b, cd_offset);
  /* zip64 locator */
  put32 (b, 0x07064b50);
  put32 (b, 0);
  put64 (b, zip64_at);
  put32 (b, 1);
  /* end of central directory */
  put32 (b, 0x06054b50);
  put16 (b, 0);
  put16 (b, 0);
  put16 (b, (guint)MIN (n, 0xFFFF));
  put16 (b, (guint)MIN (n, 0xFFFF));
  put32 (b, (guint32)MIN (cd_size, SATURATED));
  put32 (b, (guint32)MIN (cd_offset, SATURATED));
  put16 (b, 0);
  return emit (zip, b, error);
}

gboolean
dm_byte_array_sink (gpointer array, const void *data, gsize n, GError **error)
{
  const guint8 *p = data;

  /* g_byte_array_append takes a guint: go in pieces */
  for (gsize done = 0; done < n;)
    {
      guint piece = (guint)MIN (n - done, (gsize)1 << 30);

      g_byte_array_append (array, p + done, piece);
      done += piece;
    }
  return TRUE;
}
