/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared by the layout readers of dm-dataset-*.c: folder listings, mask
 * matching by name, and the one place where a sample is checked and added. */
#pragma once

#include "dm-dataset.h"

G_BEGIN_DECLS

/* A file found in a folder. */
typedef struct
{
  char *path;
  char *name; /* base name */
  char *stem; /* base name without its last extension */
} DmListedFile;

/* TRUE for names ending in .png, .jpg, .jpeg, .tif, .tiff or .bmp (any case). */
gboolean dm_dataset_is_image_name (const char *name);

/* The image files of dir (DmListedFile, sorted by name in byte order).
 * Other files give NOT_AN_IMAGE problems; a second file with the same stem
 * (000.png beside 000.jpg) a DUPLICATE problem, the first in name order
 * being kept. Hidden entries and subfolders are skipped without a word.
 * NULL with a GError when dir cannot be listed. */
GPtrArray *dm_dataset_list_images (DmDataset *dataset, const char *dir, GError **error);

/* Subfolders of dir (names, sorted); NULL when dir cannot be listed. */
GPtrArray *dm_dataset_list_subdirs (const char *dir);

/* The masks of one folder, matched to images by name. */
typedef struct
{
  char *dir;
  GPtrArray *files;    /* DmListedFile */
  GHashTable *by_stem; /* stem -> DmListedFile (not owned) */
  GHashTable *used;    /* DmListedFile set */
} DmMaskFolder;

/* NULL (no problem reported) when dir does not exist or cannot be listed. */
DmMaskFolder *dm_mask_folder_open (DmDataset *dataset, const char *dir);
/* The mask of the image with this stem: "<stem>_mask.*", else "<stem>.*";
 * NULL when none. */
const char *dm_mask_folder_match (DmMaskFolder *folder, const char *image_stem);
/* MASK_WITHOUT_IMAGE for every mask that was never matched. */
void dm_mask_folder_report_unused (DmDataset *dataset, DmMaskFolder *folder);
void dm_mask_folder_free (DmMaskFolder *folder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmMaskFolder, dm_mask_folder_free)

void dm_dataset_add_problem (DmDataset *dataset,
                             DmDatasetProblemKind kind,
                             const char *path,
                             const char *format,
                             ...) G_GNUC_PRINTF (4, 5);

/* The class called name, created (with dir) when absent. */
guint dm_dataset_get_class (DmDataset *dataset, const char *name, const char *dir);
/* Records where the class came from (kept when already set: a class fed
 * from two sources keeps the first). */
void dm_dataset_set_class_source (DmDataset *dataset,
                                  guint class_index,
                                  DmDatasetLayout layout,
                                  const char *source);

/* Adds the images of dir (one split, label and defect type); defects get
 * their masks from `masks` (may be NULL). report_missing_masks (only with
 * masks): MISSING_MASK for each defect image without one. */
void dm_dataset_add_folder_images (DmDataset *dataset,
                                   guint class_index,
                                   const char *dir,
                                   DmSplit split,
                                   DmLabel label,
                                   const char *defect_type,
                                   DmMaskFolder *masks,
                                   gboolean report_missing_masks,
                                   DmDatasetChecks checks);

/* How many files of dir have an image's name (0 when it cannot be listed). */
guint dm_dataset_count_images (const char *dir);

/* Adds one sample after the checks: a file already in the dataset is a
 * DUPLICATE; with the header checks, an unreadable image is skipped and an
 * unreadable or mis-sized mask (a file, or a folder of them) dropped. split
 * DM_SPLIT_HOLDOUT: one of the dataset's own validation images. TRUE when
 * the sample was added. */
gboolean dm_dataset_commit_sample (DmDataset *dataset,
                                   guint class_index,
                                   DmSplit split,
                                   DmLabel label,
                                   const char *defect_type,
                                   const char *path,
                                   const char *mask_path,
                                   DmDatasetChecks checks);

/* Reports EMPTY_CLASS when the class has no sample (it is then dropped by
 * dm_dataset_finish) or no normal training image. `where` says where the
 * normal images were looked for. */
void dm_dataset_check_class (DmDataset *dataset, guint class_index, const char *where);

/* After each dm_dataset_add_*: drops empty classes, sorts classes by name
 * and samples by class, split, label, type and path, applies the hold-out,
 * recounts and updates the public pointers. */
void dm_dataset_finish (DmDataset *dataset);

void dm_listed_file_free (DmListedFile *file);

G_END_DECLS
