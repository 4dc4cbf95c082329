/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writes PyTorch state dicts (dm-pth-writer.h). */
#include "dm-pth-writer.h"

#include <string.h>

#include "dm-crc32.h"
#include "dm-error.h"
#include "dm-pickle.h"
#include "dm-zip-writer.h"

#define FOLDER "archive"

/* The pickle as Python's pickler writes it at protocol 2 (opcodes: see
 * dm-pickle.c), remembering only the objects it names again. */
typedef struct
{
  GByteArray *b;
  guint n_memo;
} Pickler;

static void
op (Pickler *p, guint8 code)
{
  g_byte_array_append (p->b, &code, 1);
}

static void
put_le (Pickler *p, guint64 v, int n)
{
  for (int i = 0; i < n; i++)
    op (p, (guint8)(v >> (8 * i)));
}

static void
put_int (Pickler *p, guint64 v)
{
  if (v < 0x100)
    {
      op (p, 'K'); /* BININT1 */
      put_le (p, v, 1);
    }
  else if (v < 0x10000)
    {
      op (p, 'M'); /* BININT2 */
      put_le (p, v, 2);
    }
  else if (v < 0x80000000u)
    {
      op (p, 'J'); /* BININT */
      put_le (p, v, 4);
    }
  else
    {
      /* LONG1: the shortest little-endian two's complement */
      int n = 4;

      while (n < 8 && (v >> (8 * n - 1)) != 0)
        n++;
      op (p, 0x8a);
      if (n == 8 && (v >> 63) != 0)
        {
          op (p, 9);
          put_le (p, v, 8);
          op (p, 0);
          return;
        }
      op (p, (guint8)n);
      put_le (p, v, n);
    }
}

static void
put_str (Pickler *p, const char *s)
{
  gsize len = strlen (s);

  op (p, 'X'); /* BINUNICODE */
  put_le (p, len, 4);
  g_byte_array_append (p->b, (const guint8 *)s, (guint)len);
}

static void
put_global (Pickler *p, const char *module, const char *name)
{
  op (p, 'c');
  g_byte_array_append (p->b, (const guint8 *)module, (guint)strlen (module));
  op (p, '\n');
  g_byte_array_append (p->b, (const guint8 *)name, (guint)strlen (name));
  op (p, '\n');
}

/* Memoizes the top of the stack; its index. */
static guint
memo (Pickler *p)
{
  guint index = p->n_memo++;

  if (index < 0x100)
    {
      op (p, 'q'); /* BINPUT */
      put_le (p, index, 1);
    }
  else
    {
      op (p, 'r'); /* LONG_BINPUT */
      put_le (p, index, 4);
    }
  return index;
}

static void
get (Pickler *p, guint index)
{
  if (index < 0x100)
    {
      op (p, 'h'); /* BINGET */
      put_le (p, index, 1);
    }
  else
    {
      op (p, 'j'); /* LONG_BINGET */
      put_le (p, index, 4);
    }
}

static void
put_tuple (Pickler *p, const gint64 *v, int n)
{
  if (n == 0)
    {
      op (p, ')');
      return;
    }
  if (n > 3)
    op (p, '(');
  for (int i = 0; i < n; i++)
    put_int (p, (guint64)v[i]);
  op (p, n > 3 ? 't' : (guint8)(0x85 + n - 1)); /* TUPLE or TUPLE1..3 */
}

/* The same string pushed again: from the memo after its first time. */
static void
put_str_memo (Pickler *p, const char *s, int *index)
{
  if (*index >= 0)
    get (p, (guint)*index);
  else
    {
      put_str (p, s);
      *index = (int)memo (p);
    }
}

static GByteArray *
pickle_state_dict (const DmSafetensorsWriter *tensors, GError **error)
{
  Pickler p = { g_byte_array_new (), 0 };
  int types[DM_N_DTYPES];
  int rebuild = -1, storage = -1, cpu = -1;
  guint ordered_dict;
  guint n = dm_safetensors_writer_n_tensors (tensors);

  for (int i = 0; i < DM_N_DTYPES; i++)
    types[i] = -1;
  op (&p, 0x80); /* PROTO 2 */
  op (&p, 2);
  put_global (&p, "collections", "OrderedDict");
  ordered_dict = memo (&p);
  op (&p, ')');
  op (&p, 'R');
  memo (&p);
  if (n > 0)
    op (&p, '(');
  for (guint i = 0; i < n; i++)
    {
      DmTensorInfo t;
      gint64 strides[DM_SAFETENSORS_MAX_RANK];
      const char *type;
      char key[16];

      dm_safetensors_writer_get (tensors, i, &t);
      type = dm_pickle_storage_type (t.dtype);
      if (type == NULL)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                       "tensor '%s' is %s: PyTorch has no storage type for it", t.name,
                       dm_dtype_name (t.dtype));
          g_byte_array_unref (p.b);
          return NULL;
        }
      for (gint64 d = t.rank - 1, s = 1; d >= 0; d--)
        {
          strides[d] = s;
          s *= t.shape[d];
        }
      g_snprintf (key, sizeof key, "%u", i);

      put_str (&p, t.name);
      memo (&p);
      if (rebuild >= 0)
        get (&p, (guint)rebuild);
      else
        {
          put_global (&p, "torch._utils", "_rebuild_tensor_v2");
          rebuild = (int)memo (&p);
        }
      op (&p, '('); /* the arguments */
      op (&p, '('); /* the persistent id */
      put_str_memo (&p, "storage", &storage);
      if (types[t.dtype] >= 0)
        get (&p, (guint)types[t.dtype]);
      else
        {
          put_global (&p, "torch", type);
          types[t.dtype] = (int)memo (&p);
        }
      put_str (&p, key);
      put_str_memo (&p, "cpu", &cpu);
      put_int (&p, t.n_elements);
      op (&p, 't');
      op (&p, 'Q'); /* BINPERSID */
      put_int (&p, 0);
      put_tuple (&p, t.shape, t.rank);
      put_tuple (&p, strides, t.rank);
      op (&p, 0x89); /* requires_grad False */
      get (&p, ordered_dict);
      op (&p, ')');
      op (&p, 'R'); /* backward_hooks: OrderedDict() */
      op (&p, 't');
      op (&p, 'R');
    }
  if (n > 0)
    op (&p, 'u'); /* SETITEMS */
  op (&p, '.');
  return p.b;
}

static gboolean
crc_sink (gpointer crc, const void *data, gsize n, GError **error)
{
  *(guint32 *)crc = dm_crc32_update (*(guint32 *)crc, data, n);
  return TRUE;
}

static gboolean
zip_sink (gpointer zip, const void *data, gsize n, GError **error)
{
  return dm_zip_writer_write (zip, data, n, error);
}

static gboolean
write_archive (const DmSafetensorsWriter *tensors,
               DmByteSink sink,
               gpointer user_data,
               GError **error)
{
  g_autoptr (GByteArray) pkl = pickle_state_dict (tensors, error);
  g_autoptr (DmZipWriter) zip = dm_zip_writer_new (sink, user_data);

  if (pkl == NULL || !dm_zip_writer_add (zip, FOLDER "/data.pkl", pkl->data, pkl->len, error)
      || !dm_zip_writer_add (zip, FOLDER "/byteorder", "little", 6, error))
    return FALSE;
  for (guint i = 0; i < dm_safetensors_writer_n_tensors (tensors); i++)
    {
      g_autofree char *name = g_strdup_printf (FOLDER "/data/%u", i);
      guint32 crc = 0;
      DmTensorInfo t;

      /* The local header holds the crc: one pass to compute it (the bytes
       * are in memory; F16/BF16 are narrowed twice), one to write. */
      dm_safetensors_writer_get (tensors, i, &t);
      if (!dm_safetensors_writer_stream (tensors, i, crc_sink, &crc, error)
          || !dm_zip_writer_begin_entry (zip, name, t.end - t.begin, crc, error)
          || !dm_safetensors_writer_stream (tensors, i, zip_sink, zip, error))
        return FALSE;
    }
  return dm_zip_writer_add (zip, FOLDER "/version", "3\n", 2, error)
         && dm_zip_writer_finish (zip, error);
}

gboolean
dm_pth_write (const DmSafetensorsWriter *tensors, const char *path, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  DmAtomicFile file;

  if (!dm_atomic_file_begin (&file, path, error))
    return FALSE;
  if (!write_archive (tensors, dm_atomic_file_sink, &file, &local_error))
    {
      dm_atomic_file_abort (&file);
      /* the I/O errors name the file already; the others do not */
      if (g_str_has_prefix (local_error->message, path))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, DM_ERROR, local_error->code, "%s: %s", path, local_error->message);
      return FALSE;
    }
  return dm_atomic_file_commit (&file, error);
}

GBytes *
dm_pth_write_bytes (const DmSafetensorsWriter *tensors, GError **error)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();

  if (!write_archive (tensors, dm_byte_array_sink, bytes, error))
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
}
