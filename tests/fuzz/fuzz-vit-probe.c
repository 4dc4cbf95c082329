/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the DINOv2 encoder probe and loader on arbitrary
 * safetensors bytes: naming scheme, prefix, registers (or none), the
 * position table with or without its cls row, SwiGLU (giant) blocks
 * refused, every shape checked; an accepted encoder of modest size is then
 * loaded into its arena and written back under the original names.
 * Seeds: tests/data/fuzz/vit (make-vit-seeds.py writes them). */
#include <stdint.h>

#include "dm-safetensors-writer.h"
#include "dm-safetensors.h"
#include "dm-vit-weights.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) st = dm_safetensors_new_from_bytes (bytes, "fuzz.safetensors", &error);
  g_autoptr (DmVitWeights) w = NULL;
  g_autoptr (DmSafetensorsWriter) writer = NULL;
  DmVitProbe probe;

  if (st == NULL)
    return 0;
  if (!dm_vit_probe (st, NULL, &probe, &error))
    {
      g_assert (error != NULL && error->message[0] != '\0');
      return 0;
    }
  g_assert (probe.config.n_registers >= 0 && probe.config.pos_grid >= 1);
  /* the arena is about the tensors' size: keep the run's memory bounded */
  if (dm_vit_config_n_params (&probe.config) < (1u << 22))
    {
      w = dm_vit_weights_load_from (st, NULL, -1, &error);
      g_assert (w != NULL || error != NULL);
      if (w != NULL)
        {
          writer = dm_safetensors_writer_new ();
          g_assert (dm_vit_weights_add_to_writer (w, writer, "encoder.", DM_DTYPE_F32, NULL));
        }
    }
  dm_vit_probe_clear (&probe);
  return 0;
}
