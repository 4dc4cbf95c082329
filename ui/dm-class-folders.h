/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The folders of a class made from plain folders, set by the user: the
 * test images (a folder with good/ and defect/), their masks, and the
 * share of the normal images held out to set the thresholds. Saving
 * activates win.set-class-folders on the window it belongs to. */
#pragma once

#include <adwaita.h>

#include "dm-project.h"

G_BEGIN_DECLS

#define DM_TYPE_CLASS_FOLDERS (dm_class_folders_get_type ())
G_DECLARE_FINAL_TYPE (DmClassFolders, dm_class_folders, DM, CLASS_FOLDERS, AdwWindow)

DmClassFolders *dm_class_folders_new (GtkWindow *parent, const DmProjectClass *klass);
/* What Save would send (for tests): sets the fields as a user would. */
void dm_class_folders_set (DmClassFolders *self,
                           const char *test_folder,
                           const char *mask_folder,
                           double holdout_fraction);

G_END_DECLS
