/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the safetensors reader on arbitrary bytes; every tensor
 * of an accepted file is then read as float32 where its dtype allows. */
#include <stdint.h>

#include "dm-safetensors.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) st = dm_safetensors_new_from_bytes (bytes, "fuzz.safetensors", &error);

  if (st == NULL)
    {
      g_assert (error != NULL && error->message[0] != '\0');
      return 0;
    }
  for (guint i = 0; i < dm_safetensors_n_tensors (st); i++)
    {
      const DmTensorInfo *t = dm_safetensors_tensor (st, i);
      g_autoptr (GError) read_error = NULL;
      float *out;

      if (t->n_elements > (1u << 20))
        continue;
      out = g_new (float, t->n_elements + 1);
      dm_safetensors_read_f32 (st, t->name, out, t->n_elements, &read_error);
      g_free (out);
    }
  dm_safetensors_metadata_keys (st);
  return 0;
}
