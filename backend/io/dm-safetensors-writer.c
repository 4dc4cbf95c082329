/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writes safetensors files atomically. */
#include "dm-safetensors-writer.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "dm-error.h"
#include "dm-json-writer.h"
#include "dm-file-util.h"
#include "dm-safetensors.h"

typedef struct
{
  char *name;
  DmDtype dtype;     /* as stored in the file */
  gboolean from_f32; /* data is float32, converted to dtype on write */
  const void *data;  /* borrowed */
  int rank;
  gint64 shape[DM_SAFETENSORS_MAX_RANK];
  guint64 n_elements;
  guint64 offset; /* in the data section: the sum of the bytes before */
} Entry;

struct _DmSafetensorsWriter
{
  GArray *entries;      /* Entry, in file order */
  GHashTable *names;    /* names in entries, for duplicates */
  GPtrArray *meta_keys; /* insertion order */
  GHashTable *metadata; /* key -> value, owned */
};

static void
entry_clear (gpointer p)
{
  g_free (((Entry *)p)->name);
}

DmSafetensorsWriter *
dm_safetensors_writer_new (void)
{
  DmSafetensorsWriter *writer = g_new0 (DmSafetensorsWriter, 1);

  writer->entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  g_array_set_clear_func (writer->entries, entry_clear);
  writer->names = g_hash_table_new (g_str_hash, g_str_equal);
  writer->meta_keys = g_ptr_array_new ();
  writer->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return writer;
}

void
dm_safetensors_writer_free (DmSafetensorsWriter *writer)
{
  if (writer == NULL)
    return;
  g_hash_table_unref (writer->names);
  g_array_unref (writer->entries);
  g_ptr_array_unref (writer->meta_keys);
  g_hash_table_unref (writer->metadata);
  g_free (writer);
}

static gboolean
add (DmSafetensorsWriter *writer,
     const char *name,
     DmDtype dtype,
     gboolean from_f32,
     const void *data,
     int rank,
     const gint64 *shape,
     GError **error)
{
  Entry e = { 0 };
  guint64 n = 1;

  if (name == NULL || name[0] == '\0' || strcmp (name, "__metadata__") == 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "invalid tensor name '%s'",
                   name != NULL ? name : "(null)");
      return FALSE;
    }
  if (g_hash_table_contains (writer->names, name))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "tensor '%s' added twice", name);
      return FALSE;
    }
  if ((guint)dtype >= DM_N_DTYPES || (from_f32 && !dm_dtype_is_float (dtype)))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "tensor '%s': float32 data cannot be stored as %s", name, dm_dtype_name (dtype));
      return FALSE;
    }
  if (rank < 0 || rank > DM_SAFETENSORS_MAX_RANK)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "tensor '%s': rank %d", name, rank);
      return FALSE;
    }
  for (int i = 0; i < rank; i++)
    {
      if (shape[i] < 0 || !g_uint64_checked_mul (&n, n, (guint64)shape[i])
          || n > DM_SAFETENSORS_MAX_ELEMENTS)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "tensor '%s': bad shape", name);
          return FALSE;
        }
      e.shape[i] = shape[i];
    }
  if (data == NULL && n > 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "tensor '%s': no data", name);
      return FALSE;
    }
  if (writer->entries->len > 0)
    {
      const Entry *last = &g_array_index (writer->entries, Entry, writer->entries->len - 1);
      e.offset = last->offset + last->n_elements * dm_dtype_size (last->dtype);
    }
  e.name = g_strdup (name);
  e.dtype = dtype;
  e.from_f32 = from_f32;
  e.data = data;
  e.rank = rank;
  e.n_elements = n;
  g_array_append_val (writer->entries, e);
  g_hash_table_add (writer->names, e.name);
  return TRUE;
}

gboolean
dm_safetensors_writer_add_f32 (DmSafetensorsWriter *writer,
                               const char *name,
                               DmDtype store_as,
                               const float *data,
                               int rank,
                               const gint64 *shape,
                               GError **error)
{
  return add (writer, name, store_as, TRUE, data, rank, shape, error);
}

gboolean
dm_safetensors_writer_add_raw (DmSafetensorsWriter *writer,
                               const char *name,
                               DmDtype dtype,
                               const void *bytes,
                               int rank,
                               const gint64 *shape,
                               GError **error)
{
  return add (writer, name, dtype, FALSE, bytes, rank, shape, error);
}

void
dm_safetensors_writer_set_metadata (DmSafetensorsWriter *writer, const char *key, const char *value)
{
  if (!g_hash_table_contains (writer->metadata, key))
    {
      char *k = g_strdup (key);
      g_ptr_array_add (writer->meta_keys, k);
      g_hash_table_insert (writer->metadata, k, g_strdup (value));
    }
  else
    g_hash_table_insert (writer->metadata, g_strdup (key), g_strdup (value));
}

guint
dm_safetensors_writer_n_tensors (const DmSafetensorsWriter *writer)
{
  return writer->entries->len;
}

/* The header JSON, padded with spaces to a multiple of 8 bytes. */
static GString *
build_header (DmSafetensorsWriter *writer)
{
  /* compact, as the safetensors library writes it */
  g_autoptr (DmJsonWriter) b = dm_json_writer_new (FALSE);
  GString *header;

  dm_json_writer_begin_object (b);
  if (writer->meta_keys->len > 0)
    {
      dm_json_writer_key (b, "__metadata__");
      dm_json_writer_begin_object (b);
      for (guint i = 0; i < writer->meta_keys->len; i++)
        {
          const char *key = g_ptr_array_index (writer->meta_keys, i);
          dm_json_writer_key (b, key);
          dm_json_writer_string (b, g_hash_table_lookup (writer->metadata, key));
        }
      dm_json_writer_end_object (b);
    }
  for (guint i = 0; i < writer->entries->len; i++)
    {
      const Entry *e = &g_array_index (writer->entries, Entry, i);
      guint64 bytes = e->n_elements * dm_dtype_size (e->dtype);

      dm_json_writer_key (b, e->name);
      dm_json_writer_begin_object (b);
      dm_json_writer_key (b, "dtype");
      dm_json_writer_string (b, dm_dtype_name (e->dtype));
      dm_json_writer_key (b, "shape");
      dm_json_writer_begin_array (b);
      for (int d = 0; d < e->rank; d++)
        dm_json_writer_int (b, e->shape[d]);
      dm_json_writer_end_array (b);
      dm_json_writer_key (b, "data_offsets");
      dm_json_writer_begin_array (b);
      dm_json_writer_int (b, (gint64)e->offset);
      dm_json_writer_int (b, (gint64)(e->offset + bytes));
      dm_json_writer_end_array (b);
      dm_json_writer_end_object (b);
    }
  dm_json_writer_end_object (b);

  header = g_string_new (dm_json_writer_get_text (b));
  while (header->len % 8 != 0)
    g_string_append_c (header, ' ');
  return header;
}

void
dm_safetensors_writer_get (const DmSafetensorsWriter *writer, guint i, DmTensorInfo *info)
{
  const Entry *e;

  g_return_if_fail (i < writer->entries->len);
  e = &g_array_index (writer->entries, Entry, i);
  memset (info, 0, sizeof *info);
  info->name = e->name;
  info->dtype = e->dtype;
  info->rank = e->rank;
  memcpy (info->shape, e->shape, sizeof e->shape);
  info->n_elements = e->n_elements;
  info->begin = e->offset;
  info->end = e->offset + e->n_elements * dm_dtype_size (e->dtype);
}

gboolean
dm_safetensors_writer_stream (
  const DmSafetensorsWriter *writer, guint i, DmByteSink sink, gpointer user_data, GError **error)
{
  const gsize buffer_size = 1 << 20;
  g_autofree guint8 *buffer = NULL;
  const Entry *e;
  gsize elem, chunk;

  g_return_val_if_fail (i < writer->entries->len, FALSE);
  e = &g_array_index (writer->entries, Entry, i);
  elem = dm_dtype_size (e->dtype);
  chunk = buffer_size / elem;
  if (!e->from_f32 || e->dtype == DM_DTYPE_F32)
    return sink (user_data, e->data, e->n_elements * elem, error);
  buffer = g_malloc (buffer_size);
  for (guint64 k = 0; k < e->n_elements; k += chunk)
    {
      gsize n = (gsize)MIN ((guint64)chunk, e->n_elements - k);

      dm_dtype_narrow_f32 (e->dtype, (const float *)e->data + k, buffer, n);
      if (!sink (user_data, buffer, n * elem, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
dm_safetensors_writer_write (DmSafetensorsWriter *writer, const char *path, GError **error)
{
  g_autoptr (GString) header = build_header (writer);
  DmAtomicFile file;
  guint8 length[8];

  if (header->len > DM_SAFETENSORS_MAX_HEADER)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE,
                   "%s: header of %" G_GSIZE_FORMAT " bytes is above the 100 MB limit", path,
                   header->len);
      return FALSE;
    }
  for (int i = 0; i < 8; i++)
    length[i] = (guint8)(((guint64)header->len >> (8 * i)) & 0xff);
  if (!dm_atomic_file_begin (&file, path, error))
    return FALSE;
  if (!dm_atomic_file_write (&file, length, sizeof length, error)
      || !dm_atomic_file_write (&file, header->str, header->len, error))
    goto failed;
  for (guint i = 0; i < writer->entries->len; i++)
    if (!dm_safetensors_writer_stream (writer, i, dm_atomic_file_sink, &file, error))
      goto failed;
  return dm_atomic_file_commit (&file, error);

failed:
  dm_atomic_file_abort (&file);
  return FALSE;
}
