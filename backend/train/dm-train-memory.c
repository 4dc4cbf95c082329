/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The memory a training run needs, from the shapes alone. */
#include "dm-train-memory.h"

#include <string.h>

#include "dm-arena.h"
#include "dm-decoder.h"
#include "dm-dinomaly-weights.h"
#include "dm-feature-cache.h"
#include "dm-train-step.h"
#include "dm-vit.h"

/* Images per encoder forward while caching (dm-trainer.c's CACHE_CHUNK). */
#define CACHING_CHUNK 4

void
dm_train_memory_estimate (const DmVitConfig *c,
                          const DmTrainSettings *s,
                          int n_images,
                          DmTrainMemory *m)
{
  DmDinomalyLayout layout;
  int N = dm_vit_n_tokens (c, s->crop), D = c->dim, B = s->batch;
  int P = N - 1 - c->n_registers, chunk = CLAMP (n_images, 1, CACHING_CHUNK);
  guint64 step, caching, max_cache, available;

  memset (m, 0, sizeof *m);
  dm_dinomaly_layout_init (&layout, D);
  m->encoder = dm_vit_config_n_params (c) * sizeof (float);
  m->cache = dm_feature_cache_bytes (MAX (n_images, 0), N, D, s->cache_bf16);
  m->decoder = 5 * (guint64)layout.n_floats * sizeof (float);
  /* as dm_train_step_new lays them out */
  step = dm_train_step_memory_floats (B, N, D, P, dm_decoder_recompute_wanted (B, N, D))
         * sizeof (float);
  /* dm_trainer_build_cache: images, E1 and E2 of a chunk, the workspace */
  caching = ((guint64)chunk * 3 * s->crop * s->crop + 2 * (guint64)chunk * N * D
             + dm_vit_workspace_size (c, chunk, s->crop))
            * sizeof (float);
  m->activations = step + caching;
  available = dm_feature_cache_available_memory ();
  max_cache = s->cache_max_bytes > 0 ? s->cache_max_bytes
              : available > 0        ? available / 10 * 8
                                     : G_MAXUINT64;
  m->cache_in_file = m->cache > max_cache;
  m->total = m->encoder + m->cache + m->decoder + m->activations;
}

guint64
dm_train_memory_physical (void)
{
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/meminfo", &text, NULL, NULL))
    return 0;
  line = strstr (text, "MemTotal:");
  if (line == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen ("MemTotal:"), NULL, 10) * 1024;
}

gboolean
dm_train_memory_exceeds (const DmTrainMemory *m, guint64 physical)
{
  guint64 held = m->total - (m->cache_in_file ? m->cache : 0);

  return physical > 0 && held > physical;
}
