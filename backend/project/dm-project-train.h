/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A project's training job, from start to scored results: what the window
 * runs in a worker thread when the user presses Train.
 *
 *   1. LOADING  the project's classes as a dataset, the backbone (the chosen
 *               file, or seeded random weights "for trying only");
 *   2. CACHING, TRAINING  the DmTrainer over every normal training image of
 *               every class, checkpoints in folder/checkpoints/ (resume
 *               continues the last one bit for bit);
 *   3. SAVING   the model file of a new model version,
 *               folder/models/vN/model.dinomaly (atomic; nothing is
 *               overwritten: dm-project-versions.h);
 *   4. SCORING  the test and hold-out images into folder/models/vN/results/
 *               (dm_project_score) with thresholds proposed, and the
 *               version's record: fingerprint, thresholds, metrics.
 *
 * With the setting per_class (the paper's class-separated setting), steps
 * 2 and 3 run once per class (dm_training_run): folder/models/ holds one
 * model file per class, folder/checkpoints/<class>/ their checkpoints,
 * and step 4 scores each class with its own model. The project's `model`
 * is then "models", a DmModelSet folder.
 *
 * The job reads its own copy of the project from disk: the caller's
 * DmProject is never touched from the worker. The caller applies the
 * outcome (the model's path, proposed thresholds) to its project on its
 * own thread, with dm_project_train_apply. */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "dm-project-results.h"
#include "dm-project.h"
#include "dm-train-memory.h"
#include "dm-train-settings.h"
#include "dm-trainer.h"

G_BEGIN_DECLS

/* the model file of a version, in its folder models/vN (a project of
 * version 1 has one at its top) */
#define DM_PROJECT_MODEL_FILE "model.dinomaly"
/* the share of normal images a proposed image threshold passes */
#define DM_PROJECT_DEFAULT_QUANTILE 0.99

typedef enum
{
  DM_PROJECT_TRAIN_LOADING,
  DM_PROJECT_TRAIN_CACHING,
  DM_PROJECT_TRAIN_TRAINING,
  DM_PROJECT_TRAIN_SAVING,
  DM_PROJECT_TRAIN_SCORING,
} DmProjectTrainPhase;

typedef struct
{
  DmProjectTrainPhase phase;
  const DmTrainProgress *train; /* CACHING and TRAINING, else NULL */
  guint scored, n_to_score;     /* SCORING */
  /* one model per class: the class being trained (0-based) of n_classes,
   * else n_classes 0 */
  guint class_index, n_classes;
  const char *class_name;
} DmProjectTrainProgress;

/* Called on the worker thread. */
typedef void (*DmProjectTrainProgressFunc) (const DmProjectTrainProgress *progress,
                                            gpointer user_data);

typedef struct _DmProjectTrain DmProjectTrain;

/* The settings a project trains with: its preset, then its own settings
 * (project->settings: names as in dm_train_settings_to_json) over it,
 * checkpoints every checkpoint_every iterations in folder/checkpoints and a
 * feature cache too large for memory in folder/cache. */
gboolean
dm_project_train_settings (const DmProject *project, DmTrainSettings *settings, GError **error);

/* The share of held-out good parts the proposed image threshold passes:
 * the project's setting "threshold_quantile", else the default. */
double dm_project_threshold_quantile (const DmProject *project);

/* TRUE when folder/checkpoints holds a checkpoint to resume (one model
 * per class: a class's, in folder/checkpoints/<class>/): *next_iter and
 * *total_iters (may be NULL) say where it stopped. */
gboolean
dm_project_train_can_resume (const DmProject *project, gint64 *next_iter, gint64 *total_iters);

/* A job for project (only its folder, backbone and settings are read
 * now). resume: continue the checkpoint. n_threads 0: all cores. Fails
 * when no backbone is chosen or the settings make no sense. */
DmProjectTrain *
dm_project_train_new (const DmProject *project, gboolean resume, int n_threads, GError **error);
void dm_project_train_free (DmProjectTrain *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmProjectTrain, dm_project_train_free)

/* Runs the whole job; blocking. Cancelling stops training with a
 * checkpoint (DM_ERROR_CANCELLED) or scoring (the model stays saved). */
gboolean dm_project_train_run (DmProjectTrain *job,
                               DmProjectTrainProgressFunc progress,
                               gpointer user_data,
                               GCancellable *cancellable,
                               GError **error);

/* After a run (or a failed one): */
/* the results, or NULL when scoring did not happen (no test images) */
DmProjectResults *dm_project_train_get_results (DmProjectTrain *job);
/* images and classes that could not be used, and why (borrowed) */
GPtrArray *dm_project_train_get_problems (DmProjectTrain *job);
/* the loss of every iteration run (also those of the resumed runs) */
const float *dm_project_train_get_losses (DmProjectTrain *job, gsize *n, gint64 *first_iter);
/* TRUE when the model file was written */
gboolean dm_project_train_has_model (DmProjectTrain *job);

/* The memory the project's next run needs (dm-train-memory.h): its
 * training images, backbone shape (the file's header, or the random
 * backbone's) and settings. Blocking (lists the images): off the main
 * thread. */
gboolean dm_project_train_memory (const DmProject *project, DmTrainMemory *memory, GError **error);

/* The model version the run makes (N of models/vN). */
guint dm_project_train_get_version_id (DmProjectTrain *job);

/* Applies a finished job to the caller's project: the new model version
 * with its proposed thresholds, made the active model when it is the
 * first. Saves the project. */
gboolean dm_project_train_apply (DmProjectTrain *job, DmProject *project, GError **error);

G_END_DECLS
