/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Training checkpoints: everything a resumed run needs to continue exactly
 * as an uninterrupted one would. One safetensors file, written atomically
 * (temporary file, fsync, rename: a half-written checkpoint is never read):
 *
 *   params     (n_floats) F32   the parameter arena (DmDinomalyLayout order,
 *                               padding included)
 *   adam_m     (n_floats) F32   first moments
 *   adam_v     (n_floats) F32   second moments
 *   adam_vmax  (n_floats) F32   AMSGrad maxima
 *   losses     (n_iters)  F32   the loss of every iteration run so far
 *                               (absent when none)
 *   __metadata__ "dinomaly.checkpoint": {"version": 1, "dim", "next_iter",
 *       "adam_steps", "first_iter", "n_images", "data" (a fingerprint of the
 *       image list), "seconds" (training time so far), "started",
 *       "settings": dm_train_settings_to_json}
 *
 * The sampler and the dropout need no state of their own: both are
 * functions of (seed, iteration). */
#pragma once

#include <glib.h>

#include "dm-train-settings.h"
#include "dm-train-step.h"

G_BEGIN_DECLS

#define DM_CHECKPOINT_VERSION 1
#define DM_CHECKPOINT_FILE "checkpoint.safetensors"

typedef struct
{
  int dim;
  gint64 next_iter;  /* the first iteration still to run */
  gint64 adam_steps; /* optimizer updates done */
  gint64 first_iter; /* where the run began (losses[0] is its loss) */
  int n_images;
  char *data;    /* fingerprint of the training images */
  char *started; /* ISO 8601, or NULL */
  double seconds;
  DmTrainSettings settings;
  GArray *losses; /* float, one per iteration from first_iter */
} DmCheckpointState;

void dm_checkpoint_state_init (DmCheckpointState *state);
void dm_checkpoint_state_clear (DmCheckpointState *state);

/* Writes state + the step's arenas (parameters from step->weights). */
gboolean dm_checkpoint_write (const char *path,
                              const DmCheckpointState *state,
                              const DmTrainStep *step,
                              GError **error);

/* Reads the metadata (state initialised by the caller). */
gboolean dm_checkpoint_read_state (const char *path, DmCheckpointState *state, GError **error);

/* Reads the arenas into step (its weights and moments) and sets
 * step->adam_steps; the layout must match. */
gboolean dm_checkpoint_read_arenas (const char *path, DmTrainStep *step, GError **error);

G_END_DECLS
