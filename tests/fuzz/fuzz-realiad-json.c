/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the Real-IAD split-file parser on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "dm-realiad-json.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  GPtrArray *entries = dm_realiad_parse ((const char *)data, size, "fuzz-input", &error);

  if (entries == NULL)
    {
      /* every failure must say something */
      if (error == NULL || error->message == NULL || error->message[0] == '\0')
        __builtin_trap ();
      g_error_free (error);
      return 0;
    }
  for (guint i = 0; i < entries->len; i++)
    {
      const DmRealiadEntry *e = entries->pdata[i];

      /* a usable entry has its class and a relative image path */
      if (e->problem == NULL
          && (e->anomaly_class == NULL || e->image_path == NULL || e->image_path[0] == '/'))
        __builtin_trap ();
    }
  g_ptr_array_unref (entries);
  return 0;
}
