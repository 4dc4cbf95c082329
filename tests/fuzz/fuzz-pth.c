/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the PyTorch file reader. The first byte picks what the
 * rest is:
 *   even  a whole file (zip archive or legacy format), read as it is;
 *   odd   a data.pkl, put into an archive with eight storage records
 *         "archive/data/0".."7" of 4096 bytes each (crc-32s correct), so
 *         that the pickle reader and the views behind it are reached
 *         without the archive's checksum stopping every mutation first.
 * Every tensor of an accepted file is then read (as float32 where its
 * dtype allows). Seeds: tests/data/fuzz/pth (make-pth.py writes them). */
#include <stdint.h>
#include <string.h>

#include "dm-pth.h"
#include "dm-zip-writer.h"

#define N_STORAGES 8
#define STORAGE_BYTES 4096

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static GBytes *
wrap_pickle (const uint8_t *pickle, size_t size)
{
  static guint8 storage[STORAGE_BYTES];
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (DmZipWriter) zip = dm_zip_writer_new (dm_byte_array_sink, out);

  for (guint i = 0; i < STORAGE_BYTES; i++)
    storage[i] = (guint8)(i * 37 + 11); /* any bits: NaNs and subnormals too */
  dm_zip_writer_add (zip, "archive/data.pkl", pickle, size, NULL);
  for (int i = 0; i < N_STORAGES; i++)
    {
      char name[32];

      g_snprintf (name, sizeof name, "archive/data/%d", i);
      dm_zip_writer_add (zip, name, storage, STORAGE_BYTES, NULL);
    }
  dm_zip_writer_add (zip, "archive/version", "3\n", 2, NULL);
  dm_zip_writer_finish (zip, NULL);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) st = NULL;
  DmPthInfo info;

  if (size < 1)
    return 0;
  bytes = (data[0] & 1) ? wrap_pickle (data + 1, size - 1) : g_bytes_new (data + 1, size - 1);
  st = dm_pth_read (bytes, "fuzz.pth", &info, &error);
  if (st == NULL)
    {
      g_assert (error != NULL && g_str_has_prefix (error->message, "fuzz.pth: "));
      return 0;
    }
  for (guint i = 0; i < dm_safetensors_n_tensors (st); i++)
    {
      const DmTensorInfo *t = dm_safetensors_tensor (st, i);
      const guint8 *p = dm_safetensors_tensor_bytes (st, t);
      g_autoptr (GError) read_error = NULL;
      volatile guint8 sink = 0;

      /* every byte of the tensor is read (ASan checks the bounds) */
      for (guint64 k = 0; k < t->end - t->begin; k++)
        sink ^= p[k];
      (void)sink;
      if (dm_dtype_is_float (t->dtype) && t->n_elements <= (1u << 20))
        {
          float *out = g_new (float, t->n_elements + 1);

          dm_safetensors_read_f32_range (st, t, 0, t->n_elements, out, &read_error);
          g_free (out);
        }
    }
  dm_pth_info_clear (&info);
  return 0;
}
