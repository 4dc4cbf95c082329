/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Data page of a project: its classes, where their images come from,
 * adding and removing classes. Buttons go through window actions
 * (win.add-class, win.remove-class), so the keyboard and tests reach them. */
#pragma once

#include <adwaita.h>

#include "dm-dataset.h"
#include "dm-project.h"

G_BEGIN_DECLS

#define DM_TYPE_DATA_PAGE (dm_data_page_get_type ())
G_DECLARE_FINAL_TYPE (DmDataPage, dm_data_page, DM, DATA_PAGE, AdwBin)

/* Shows the project's classes; project is borrowed (NULL clears). Call
 * again after the project changed. */
void dm_data_page_show_project (DmDataPage *self, DmProject *project);

/* Fills in what the classes hold once the project's dataset is loaded
 * (counts per class, files skipped and why). dataset NULL: still loading. */
void
dm_data_page_show_dataset (DmDataPage *self, const DmDataset *dataset, GPtrArray *class_errors);

G_END_DECLS
