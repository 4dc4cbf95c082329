/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A project's training run (dm_project_train_run) as a DmJob: what it
 * reports as properties the Train page binds to (phase, iteration, loss,
 * speed, time left, ...), the loss of every iteration, and once finished
 * the outcome (a model or not, the images left out, the scored results).
 * The run reads its own copy of the project from disk; the window applies
 * the outcome to the open project (dm_train_job_apply). */
#pragma once

#include "dm-job.h"
#include "dm-project-train.h"

G_BEGIN_DECLS

#define DM_TYPE_PROJECT_TRAIN_PHASE (dm_project_train_phase_get_type ())
GType dm_project_train_phase_get_type (void);

#define DM_TYPE_TRAIN_JOB (dm_train_job_get_type ())
G_DECLARE_FINAL_TYPE (DmTrainJob, dm_train_job, DM, TRAIN_JOB, DmJob)

typedef struct
{
  gint64 iteration;
  float loss;
} DmTrainJobLoss;

/* A run for project (its folder, backbone and settings are read now);
 * resume: continue the checkpoint. n_threads 0: all cores. NULL with an
 * error when it cannot start (no backbone, settings that make no sense). */
DmTrainJob *
dm_train_job_new (const DmProject *project, gboolean resume, int n_threads, GError **error);

/* Properties, updated as the run reports (main thread). */
DmProjectTrainPhase dm_train_job_get_phase (DmTrainJob *self);
/* Iterations done ("iteration"), of the schedule's "total". */
gint64 dm_train_job_get_iteration (DmTrainJob *self);
gint64 dm_train_job_get_total (DmTrainJob *self);
/* Of the last iteration. */
double dm_train_job_get_loss (DmTrainJob *self);
double dm_train_job_get_images_per_second (DmTrainJob *self);
/* Seconds left of the phase ("time-left"); measured seconds per iteration
 * of this run ("seconds-per-iteration", 0 until known). */
double dm_train_job_get_time_left (DmTrainJob *self);
double dm_train_job_get_seconds_per_iteration (DmTrainJob *self);
/* CACHING: images read of n ("images-done", "n-images"); SCORING: images
 * scored of n ("scored", "n-to-score"). */
/* How far the phase is, in [0, 1], or -1 when unknown ("fraction"). */
double dm_train_job_get_fraction (DmTrainJob *self);

/* Every iteration's loss so far, in order (a resumed run starts with the
 * checkpoint's); "n-losses" tells when more came. */
const DmTrainJobLoss *dm_train_job_get_losses (DmTrainJob *self, guint *n);
/* One model per class: the class being trained ("class-name"), its
 * 0-based index and the number of classes; NULL when the project trains
 * one model. The losses are that class's. */
const char *dm_train_job_get_class (DmTrainJob *self, guint *index, guint *n_classes);
/* The phase in words for people ("Training: iteration 12 of 1000",
 * preceded by the class when one model per class is trained). */
char *dm_train_job_describe_phase (DmTrainJob *self);

/* Once finished. */
/* TRUE when the model file was written ("has-model"; a run stopped while
 * scoring has one). */
gboolean dm_train_job_has_model (DmTrainJob *self);
/* Images and classes that could not be used, and why ("problems"). */
const char *const *dm_train_job_get_problems (DmTrainJob *self);
/* The scored results, or NULL (no test images, or not scored). */
DmProjectResults *dm_train_job_get_results (DmTrainJob *self);
/* Writes the outcome into project (the model, proposed thresholds) and
 * saves it; nothing to do without a model. */
gboolean dm_train_job_apply (DmTrainJob *self, DmProject *project, GError **error);

G_END_DECLS
