/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The training job (spec/dinomaly.md §5): one unified model over every
 * training image of every class. dm_trainer_run blocks; it reports
 * progress through a callback and stops when a GCancellable is cancelled.
 *
 *   1. the encoder features of every image are computed once into a
 *      DmFeatureCache (images preprocessed by the caller's loader);
 *   2. iterations [start, end) each gather a batch (a seeded permutation
 *      per epoch of all images, drop last), run the decoder with dropout,
 *      the loose loss, the backward, clipping and StableAdamW;
 *   3. checkpoints are written every N iterations, at the end and on
 *      cancel; a run resumed from one continues bit for bit as the
 *      uninterrupted run (data order and dropout masks are functions of
 *      (seed, iteration), the optimizer state is saved whole).
 *
 * A NaN or Inf loss or gradient stops the run before the update; the last
 * checkpoint written stays as it was, and the error says where it is. */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "dm-dinomaly-weights.h"
#include "dm-engine.h"
#include "dm-feature-cache.h"
#include "dm-model-file.h"
#include "dm-train-settings.h"
#include "dm-vit.h"

G_BEGIN_DECLS

/* Fills out (3, crop, crop) with normalised image `index` (spec §1).
 * FALSE with a DM_ERROR of code IO, CORRUPT, UNSUPPORTED or TOO_LARGE
 * skips that image (its message is kept: dm_trainer_get_skipped); any
 * other error stops the job. Each image is loaded once. */
typedef gboolean (*DmTrainImageFunc) (int index, float *out, gpointer user_data, GError **error);

typedef enum
{
  DM_TRAIN_PHASE_CACHING,  /* computing the encoder features */
  DM_TRAIN_PHASE_TRAINING, /* one report per iteration */
} DmTrainPhase;

typedef struct
{
  DmTrainPhase phase;
  int images_done; /* caching: images read (or skipped) so far */
  int n_images;
  int n_skipped;              /* images that could not be read so far */
  int n_new_skipped;          /* caching: those of this report ... */
  const char *const *skipped; /* ... and why (borrowed, for this call) */
  gint64 iteration;           /* training: the iteration just done */
  gint64 start_iter, end_iter;
  double loss;
  double lr;
  double grad_norm; /* before clipping */
  double images_per_s;
  double eta_s; /* seconds left for this phase */
  double elapsed_s;
} DmTrainProgress;

typedef void (*DmTrainProgressFunc) (const DmTrainProgress *progress, gpointer user_data);

typedef struct _DmTrainer DmTrainer;

/* A job on engine (borrowed) with a frozen encoder (borrowed: blocks up to
 * the last target at least) and its target blocks. settings are copied;
 * opt.total_iters follows total_iters. The decoder starts from the
 * seeded training init (dm_dinomaly_weights_init with settings->seed). */
DmTrainer *dm_trainer_new (DmEngine *engine,
                           const DmTrainSettings *settings,
                           const DmVitWeights *encoder,
                           const DmVitTargets *targets,
                           GError **error);
void dm_trainer_free (DmTrainer *trainer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmTrainer, dm_trainer_free)

/* Starts from these weights instead (copied; same width). */
gboolean dm_trainer_set_init (DmTrainer *trainer, const DmDinomalyWeights *init, GError **error);

/* Continues from a checkpoint: its settings replace the trainer's (all
 * but iters, checkpoint and cache places, threads), its weights and
 * optimizer state are loaded, the run starts at its next iteration and
 * runs `iters` more (0: up to total). data_fingerprint must be the one it
 * was written with (the same images): a different one is an error. */
gboolean dm_trainer_resume (DmTrainer *trainer,
                            const char *checkpoint_path,
                            const char *data_fingerprint,
                            GError **error);

/* Changes the batch size of a run that has not started (e.g. to fit the
 * images that could be read); FALSE once optimizer state exists. */
gboolean dm_trainer_set_batch (DmTrainer *trainer, int batch, GError **error);

/* The training images: n_images, each produced by load. fingerprint
 * identifies the set (stored in checkpoints). Nothing is read yet. */
void dm_trainer_set_images (DmTrainer *trainer,
                            int n_images,
                            DmTrainImageFunc load,
                            gpointer user_data,
                            const char *fingerprint);

/* Builds the feature cache (if not yet built) and trains. FALSE with
 * DM_ERROR_CANCELLED when cancelled (after writing a checkpoint if a
 * folder is set), DM_ERROR_NUMERIC on a NaN/Inf. */
gboolean dm_trainer_run (DmTrainer *trainer,
                         DmTrainProgressFunc progress,
                         gpointer user_data,
                         GCancellable *cancellable,
                         GError **error);

/* Only step 1 of dm_trainer_run (for benchmarks: the cache time alone). */
/* Forgets the encoder (the caller may free it): once the feature cache is
 * built, training needs only the cache. A later rebuild of the cache (a
 * resume with another crop, new images) then fails with an error. */
void dm_trainer_release_encoder (DmTrainer *trainer);

gboolean dm_trainer_build_cache (DmTrainer *trainer,
                                 DmTrainProgressFunc progress,
                                 gpointer user_data,
                                 GCancellable *cancellable,
                                 GError **error);

/* Results (valid after a run; the weights at any time). */
const DmDinomalyWeights *dm_trainer_get_weights (DmTrainer *trainer);
const DmTrainSettings *dm_trainer_get_settings (DmTrainer *trainer);
/* The loss of every iteration run by this job and the runs it resumed. */
const float *dm_trainer_get_losses (DmTrainer *trainer, gsize *n, gint64 *first_iter);
gint64 dm_trainer_get_next_iter (DmTrainer *trainer);
double dm_trainer_get_train_seconds (DmTrainer *trainer); /* all runs resumed, cache excluded */
double dm_trainer_get_cache_seconds (DmTrainer *trainer);
/* ISO 8601 start of the first run. */
const char *dm_trainer_get_started (DmTrainer *trainer);
/* The last checkpoint written or loaded, or NULL. */
const char *dm_trainer_get_checkpoint_path (DmTrainer *trainer);
/* After the cache is built: the images that could be read, and the
 * messages of those that could not (borrowed). */
int dm_trainer_get_n_valid (DmTrainer *trainer);
const char *const *dm_trainer_get_skipped (DmTrainer *trainer, int *n);
/* Bytes held by the cache and by the training buffers. */
guint64 dm_trainer_get_cache_bytes (DmTrainer *trainer);
guint64 dm_trainer_get_step_bytes (DmTrainer *trainer);
gboolean dm_trainer_cache_is_file (DmTrainer *trainer);
/* Drops a file-backed cache's pages from memory (benchmarks: iterations
 * that read their batch from disk, as with data larger than memory). */
void dm_trainer_evict_cache (DmTrainer *trainer);

/* The training record of a model file (dm-model-file.h): iterations run,
 * seed, seconds, start, batch, peak lr, final loss and the loss curve,
 * averaged over windows of loss_every iterations so that at most
 * max_points remain. Replaces record's contents (free its strings and
 * losses first if it held any). */
void dm_trainer_get_training_record (DmTrainer *trainer, DmTrainingRecord *record, int max_points);

/* The images of iteration `it` (B indices into 0..n_images), as the
 * trainer draws them: epoch e = it / (n / B) takes its permutation of all
 * images (seeded by (seed, e), or file order without shuffle) and batch
 * it mod (n / B) of it. */
void dm_train_batch_indices (
  guint64 seed, gboolean shuffle, int n_images, int B, gint64 it, int *indices, int *perm);
/* The dropout seed of iteration it. */
guint64 dm_train_dropout_seed (guint64 seed, gint64 it);

G_END_DECLS
