/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Data page of a project: its classes, where their images come from,
 * what they count, thumbnails; adding, importing (also by drag and drop),
 * renaming and removing classes. Buttons go through window actions
 * (win.add-class, win.import-dataset, win.import-dataset-path,
 * win.rename-class, win.remove-class), so the keyboard and tests reach them;
 * the imports and the counting run as jobs of the page. */
#pragma once

#include <adwaita.h>

#include "dm-open-project.h"
#include "dm-thumbnail-loader.h"

G_BEGIN_DECLS

#define DM_TYPE_DATA_PAGE (dm_data_page_get_type ())
G_DECLARE_FINAL_TYPE (DmDataPage, dm_data_page, DM, DATA_PAGE, AdwBin)

/* "project": the open project, or NULL. The page follows its classes and
 * counts what they hold in the background (counts per class, thumbnails
 * of the first training images, files skipped and why). */
void dm_data_page_set_project (DmDataPage *self, DmOpenProject *project);
DmOpenProject *dm_data_page_get_project (DmDataPage *self);

/* Imports a dataset (MVTec AD folder, VisA split file or a folder holding
 * one) into the project: one class per class of the dataset, read in the
 * background with its progress in the busy bar. Imports wait in turn. */
void dm_data_page_import (DmDataPage *self, const char *path);

/* The bar at the top of the page while something runs in the background:
 * a spinner, text ("Reading 1,736 files…") and a progress bar (fraction
 * in [0, 1], or < 0 to pulse). text NULL hides it. */
void dm_data_page_set_busy (DmDataPage *self, const char *text, double fraction);
gboolean dm_data_page_is_busy (DmDataPage *self);

/* The page's thumbnail loader (2 threads, an LRU cache), for other pages
 * that show the same images. */
DmThumbnailLoader *dm_data_page_get_thumbnail_loader (DmDataPage *self);

/* Thumbnails shown on the page so far (loaded or failed), for tests. */
guint dm_data_page_get_n_thumbnails_shown (DmDataPage *self);

G_END_DECLS
