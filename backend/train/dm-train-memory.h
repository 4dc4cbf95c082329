/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How much memory a training run needs, said before it starts (the Train
 * page and `dinomaly train`): the frozen encoder's weights, the
 * encoder-feature cache, the decoder with its gradients and optimiser
 * moments, and the activations of one iteration and of the caching
 * forward. Computed from the shapes alone, with the sizes the trainer
 * allocates; nothing is allocated here. */
#pragma once

#include <glib.h>

#include "dm-train-settings.h"
#include "dm-vit-weights.h"

G_BEGIN_DECLS

typedef struct
{
  guint64 encoder;     /* every block of the encoder, float32 (the model file embeds it) */
  guint64 cache;       /* E1 and E2 of every training image (bf16 halves it) */
  guint64 decoder;     /* bottleneck + decoder: weights, gradients, three Adam moments */
  guint64 activations; /* one iteration's buffers, and the encoder's while caching */
  guint64 total;
  gboolean cache_in_file; /* the cache is larger than the trainer keeps in memory: it goes
                           * to the cache folder (or the run is refused without one) */
} DmTrainMemory;

/* The estimate for a backbone of this shape, these settings and n_images
 * training images (per model: the largest class when training one model
 * per class). The memory the cache may take (settings->cache_max_bytes, 0:
 * 80% of the available memory) decides cache_in_file; a cache in a file
 * counts in `cache` but is paged by the kernel, not held. */
void dm_train_memory_estimate (const DmVitConfig *config,
                               const DmTrainSettings *settings,
                               int n_images,
                               DmTrainMemory *memory);

/* The machine's physical memory (MemTotal), 0 when unknown. */
guint64 dm_train_memory_physical (void);

/* TRUE when the run needs more than the machine has (what the cache holds
 * in a file excluded): a warning for the user, not a refusal. */
gboolean dm_train_memory_exceeds (const DmTrainMemory *memory, guint64 physical);

G_END_DECLS
