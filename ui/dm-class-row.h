/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One class on the Data page: its name (renamed in place), where its
 * images come from, what they count, a strip of its first training images,
 * and buttons to rename and remove it (win.rename-class, win.remove-class). */
#pragma once

#include <adwaita.h>

#include "dm-project.h"
#include "dm-thumbnail-loader.h"

G_BEGIN_DECLS

#define DM_TYPE_CLASS_ROW (dm_class_row_get_type ())
G_DECLARE_FINAL_TYPE (DmClassRow, dm_class_row, DM, CLASS_ROW, AdwPreferencesRow)

/* The row of a project class (copied: the row does not keep c). */
GtkWidget *dm_class_row_new (const DmProjectClass *c);

const char *dm_class_row_get_name (DmClassRow *self);
/* "Layout · source", the first line under the name. */
const char *dm_class_row_get_source_line (DmClassRow *self);
/* The second line: counts, "Counting images…", or what went wrong. */
void dm_class_row_set_counts (DmClassRow *self, const char *text);

/* Shows thumbnails of these images (the first few training images),
 * loaded by loader in the background; replaces (and cancels) the previous
 * ones. n 0: hides the strip. */
void dm_class_row_set_images (DmClassRow *self,
                              DmThumbnailLoader *loader,
                              const char *const *paths,
                              guint n);
/* Thumbnails shown so far (for tests). */
guint dm_class_row_get_n_thumbnails_shown (DmClassRow *self);

/* Starts editing the name in place (Enter renames through
 * win.rename-class, Escape or leaving the field cancels). */
void dm_class_row_start_rename (DmClassRow *self);
gboolean dm_class_row_is_renaming (DmClassRow *self);

G_END_DECLS
