/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The training sequence every front end runs, written once: `dinomaly
 * train` on a dataset folder and a Dinomaly Studio project's job (the window
 * and `dinomaly train --project`) differ only in where the images, the
 * backbone and the settings come from and in what happens after.
 *
 *   1. the training set: the normal training images of a dataset's classes
 *      (dm_training_set_from_dataset) and its fingerprint;
 *   2. the backbone: a weight file, or seeded random weights "for trying
 *      only" (dm_training_backbone_load), with its name and checksum;
 *   3. dm_training_run: model description, engine, trainer, optional
 *      decoder init, resume from the checkpoint, encoder-feature cache,
 *      batch fitted to the images that could be read, the iterations
 *      (checkpoints, Ctrl-C / cancel), the model file written atomically.
 *      With settings->per_class (the paper's class-separated setting),
 *      step 3 runs once per class on that class's images: one model file
 *      per class in a folder (dm-model-set.h reads it back), a checkpoint
 *      folder per class, and a resumed run skips the classes already done.
 */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "dm-dataset.h"
#include "dm-train-memory.h"
#include "dm-train-settings.h"
#include "dm-trainer.h"
#include "dm-vit-weights.h"

G_BEGIN_DECLS

/* The seed of the random backbone: fixed, so that a project trained "for
 * trying only" can be scored again with the same encoder. */
#define DM_TRAINING_RANDOM_BACKBONE_SEED 20250101

/* Step 1. The normal training images (split TRAIN) of the classes named in
 * only (NULL: every class), in dataset order, with the names of those
 * classes (a NULL-terminated array) and the training set's fingerprint
 * (paths relative to root when they lie under it; root may be NULL). An
 * unknown class in only is an error naming the dataset folder root. */
typedef struct
{
  GPtrArray *paths;       /* char *, owned */
  GPtrArray *class_names; /* char *, owned, NULL-terminated */
  GArray *class_start;    /* guint: class c's images are paths[start[c] .. start[c + 1]) */
  char *root;             /* what the fingerprint's paths are relative to, or NULL */
  char *fingerprint;
} DmTrainingSet;

gboolean dm_training_set_from_dataset (const DmDataset *dataset,
                                       const char *const *only,
                                       const char *root,
                                       DmTrainingSet *set,
                                       GError **error);
void dm_training_set_clear (DmTrainingSet *set);

/* Step 2. kind "file": the DINOv2 weight file at path; kind "random": seeded
 * random weights of arch ("small", "base", "large"). *name receives what the model
 * file records as the backbone's name, *sha256 its checksum (of the file;
 * of the random weights' identity). */
DmVitWeights *dm_training_backbone_load (
  const char *kind, const char *path, const char *arch, char **name, char **sha256, GError **error);

/* The shape of that backbone without loading its weights (a file's header
 * or pickle only): what the memory estimate needs before a run. */
gboolean dm_training_backbone_config (
  const char *kind, const char *path, const char *arch, DmVitConfig *config, GError **error);

/* The memory a run of these settings needs on this set (one model per
 * class: the largest class's run), dm-train-memory.h. */
void dm_training_estimate_memory (const DmTrainingSet *set,
                                  const DmVitConfig *config,
                                  const DmTrainSettings *settings,
                                  DmTrainMemory *memory);

/* Step 3. */
typedef struct
{
  const DmTrainingSet *set;        /* the images and classes */
  const DmVitWeights *backbone;    /* the frozen encoder */
  const char *backbone_name;       /* recorded in the model file */
  const char *backbone_sha256;     /* recorded in the model file */
  const DmTrainSettings *settings; /* copied by the trainer */
  const char *init_path;           /* start from these decoder weights, or NULL */
  gboolean resume;                 /* continue settings->checkpoint_dir's checkpoint */
  const char *model_path;          /* the model file to write; with settings->per_class the
                                    * folder of the class models (created), each named
                                    * dm_model_set_file_name (class) */
} DmTrainingRequest;

/* Called on the running thread: the trainer's reports, and notes to show
 * (a batch fitted to the images that could be read) as they arise. */
typedef struct
{
  DmTrainProgressFunc progress;
  /* "training on N images, batch B" and the like; may be NULL */
  void (*note) (const char *text, gpointer user_data);
  /* once the cache is built: images that could be read, the batch */
  void (*ready) (int n_valid, int n_images, int batch, gpointer user_data);
  /* the iterations are done, the model file is being written */
  void (*saving) (gpointer user_data);
  gpointer user_data;
  /* one model per class: class `index` of n_classes starts (the calls
   * above then concern it); may be NULL */
  void (*class_started) (guint index, guint n_classes, const char *name, gpointer user_data);
} DmTrainingCallbacks;

/* What a run leaves, also when it fails or is cancelled (losses run). One
 * model per class: the figures of the last class run, the seconds of all,
 * and how many models were written and how many classes a resumed run
 * found done. */
typedef struct
{
  GArray *losses; /* float, every iteration run (resumed runs' included) */
  gint64 first_iter;
  gint64 next_iter;
  double train_seconds, cache_seconds;
  double final_loss;
  gboolean model_written; /* every model asked for is written */
  guint n_models;         /* model files written by this run */
  guint n_done_before;    /* per class, resumed: classes whose model was there */
} DmTrainingOutcome;

void dm_training_outcome_init (DmTrainingOutcome *outcome);
void dm_training_outcome_clear (DmTrainingOutcome *outcome);

/* Runs step 3; blocking. A half-written model file left by a killed
 * earlier run at model_path is removed first; that the model file can be
 * written there is checked before anything else, and the checkpoint
 * folder is locked for the run (another run using it is refused).
 * Cancelling stops with a checkpoint (when a checkpoint folder is set) and
 * DM_ERROR_CANCELLED.
 *
 * One model per class: class c trains on its images alone, with the
 * checkpoints in settings->checkpoint_dir/<its file name without
 * .dinomaly>; a class without training images gets no model (a note says
 * so). Resuming, a class with a checkpoint before its end continues it, a
 * class whose model file is there and whose checkpoint (if any) is at its
 * end is skipped, the others train from the start. */
gboolean dm_training_run (const DmTrainingRequest *request,
                          const DmTrainingCallbacks *callbacks,
                          GCancellable *cancellable,
                          DmTrainingOutcome *outcome,
                          GError **error);

/* The checkpoint folder of a class's model in a per-class run. */
char *dm_training_class_checkpoint_dir (const char *checkpoint_dir, const char *class_name);

G_END_DECLS
