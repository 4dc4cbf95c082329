/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Train page: preset and every setting, Train / Resume / Cancel, and
 * the run shown: its progress, figures and live loss curve bound to the
 * properties of a DmTrainJob, then its outcome. It follows its "project"
 * (settings, backbone, a run to resume) as it changes; changes go through
 * window actions (win.set-preset, win.set-train-setting, win.train,
 * win.resume-training, win.cancel-training), and the window gives the page
 * the job it starts. */
#pragma once

#include <adwaita.h>

#include "dm-loss-curve.h"
#include "dm-open-project.h"
#include "dm-train-job.h"

G_BEGIN_DECLS

#define DM_TYPE_TRAIN_PAGE (dm_train_page_get_type ())
G_DECLARE_FINAL_TYPE (DmTrainPage, dm_train_page, DM, TRAIN_PAGE, AdwBin)

/* "project": the open project, or NULL. */
void dm_train_page_set_project (DmTrainPage *self, DmOpenProject *project);
DmOpenProject *dm_train_page_get_project (DmTrainPage *self);

/* "job": the run shown (ready or running: the page starts over with it),
 * or NULL. */
void dm_train_page_set_job (DmTrainPage *self, DmTrainJob *job);
DmTrainJob *dm_train_page_get_job (DmTrainPage *self);

DmLossCurve *dm_train_page_get_loss_curve (DmTrainPage *self);

G_END_DECLS
