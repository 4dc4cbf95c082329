/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Train page: preset and every setting, Train / Resume / Cancel, and
 * while the job runs its progress, figures and live loss curve. Changes
 * go through window actions (win.set-preset, win.set-train-setting,
 * win.train, win.resume-training, win.cancel-training); the window feeds
 * the page what the job reports. */
#pragma once

#include <adwaita.h>

#include "dm-loss-curve.h"
#include "dm-project-train.h"
#include "dm-project.h"

G_BEGIN_DECLS

#define DM_TYPE_TRAIN_PAGE (dm_train_page_get_type ())
G_DECLARE_FINAL_TYPE (DmTrainPage, dm_train_page, DM, TRAIN_PAGE, AdwBin)

/* Shows the project's preset and settings (project borrowed; NULL clears). */
void dm_train_page_show_project (DmTrainPage *self, DmProject *project);

/* A run can be resumed from iteration next of total (next < 0: none). */
void dm_train_page_set_resumable (DmTrainPage *self, gint64 next, gint64 total);

/* Switches between the idle and the running layout; starting clears the
 * curve and sets its x axis to total_iters. */
void dm_train_page_set_running (DmTrainPage *self, gboolean running, gint64 total_iters);

/* What the job reports (p->train, when set, is a copy owned by the caller). */
void dm_train_page_show_progress (DmTrainPage *self, const DmProjectTrainProgress *progress);

/* After the run: a headline, details and the images skipped (may be NULL). */
void dm_train_page_show_outcome (
  DmTrainPage *self, gboolean success, const char *title, const char *details, GPtrArray *problems);

DmLossCurve *dm_train_page_get_loss_curve (DmTrainPage *self);

G_END_DECLS
