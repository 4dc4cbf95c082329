/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Datasets: which image files make up each class's training, hold-out and
 * test images, with labels and masks, read from the MVTec AD layout, a VisA
 * split CSV or plain folders. Nothing is decoded; every problem found
 * (missing mask, wrong mask size, duplicates, unreadable files, empty
 * classes...) lands in one list and the rest still loads. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  DM_SPLIT_TRAIN,   /* normal training images */
  DM_SPLIT_HOLDOUT, /* normal training images kept back for threshold calibration */
  DM_SPLIT_TEST,
} DmSplit;

typedef enum
{
  DM_LABEL_GOOD,
  DM_LABEL_DEFECT,
} DmLabel;

typedef struct
{
  char *path; /* the image file */
  guint class_index;
  DmSplit split;
  DmLabel label;
  char *defect_type; /* "good" for good images; the test folder's name (MVTec,
                      * plain folders) or "anomaly" (VisA) for defects */
  char *mask_path;   /* the ground-truth mask, or NULL (always NULL for good images) */
  int width, height; /* from the image's header when it was read (checks), else 0 */
} DmSample;

typedef struct
{
  char *name;
  char *dir; /* the class folder (MVTec), or the folder of its normal images */
  /* counts, kept up to date by every call that changes the dataset */
  guint n_train;
  guint n_holdout;
  guint n_test_good;
  guint n_test_defect;
  guint n_masks; /* test defect images with a mask */
} DmDatasetClass;

typedef enum
{
  DM_DATASET_PROBLEM_MISSING_MASK,       /* a defect image has no mask (kept, mask NULL) */
  DM_DATASET_PROBLEM_MASK_SIZE,          /* mask and image sizes differ (kept, mask dropped) */
  DM_DATASET_PROBLEM_MASK_WITHOUT_IMAGE, /* a mask that matches no image (ignored) */
  DM_DATASET_PROBLEM_DUPLICATE,          /* a name or file met twice (the second skipped) */
  DM_DATASET_PROBLEM_UNREADABLE,         /* cannot be opened, or its header is bad (skipped) */
  DM_DATASET_PROBLEM_NOT_AN_IMAGE,       /* not PNG, TIFF or JPEG by name or content (skipped) */
  DM_DATASET_PROBLEM_EMPTY_CLASS,        /* a class without images, or without normal ones */
  DM_DATASET_PROBLEM_BAD_ENTRY,          /* a VisA CSV line that cannot be used (skipped) */
  DM_DATASET_PROBLEM_MISSING_FILE,       /* a file that a CSV line names does not exist */
} DmDatasetProblemKind;

typedef struct
{
  DmDatasetProblemKind kind;
  char *path;    /* the file or folder concerned (a CSV file: "FILE:LINE") */
  char *message; /* what is wrong and what was done about it, UTF-8 */
} DmDatasetProblem;

/* Checks made while loading. Listing folders and matching names is always
 * done; these open files. */
typedef enum
{
  DM_DATASET_CHECK_NONE = 0,
  /* Open every image and mask and read its header (dm_image_read_header):
   * finds unreadable files and files that are no image by content, and
   * fills DmSample.width/height. About 30 us per file on a warm cache (1,736 files of
   * magnetic_tile: 0.04-0.06 s). */
  DM_DATASET_CHECK_HEADERS = 1 << 0,
  /* Compare each mask's size with its image's (reads both headers; the
   * other images are not opened unless CHECK_HEADERS is set too). */
  DM_DATASET_CHECK_MASK_SIZES = 1 << 1,
  DM_DATASET_CHECK_ALL = DM_DATASET_CHECK_HEADERS | DM_DATASET_CHECK_MASK_SIZES,
} DmDatasetChecks;

typedef struct
{
  /* Public, read-only; the arrays move when the dataset changes. Samples
   * are sorted by class, split (train, hold-out, test), label (good first),
   * defect type, then path (byte order). */
  DmDatasetClass *classes;
  guint n_classes;
  DmSample *samples;
  guint n_samples;
  DmDatasetProblem *problems; /* in the order found */
  guint n_problems;

  double holdout_fraction; /* of each class's normal training images */
  guint64 holdout_seed;

  /* private */
  GArray *class_array;
  GArray *sample_array;
  GArray *problem_array;
  GHashTable *paths; /* every sample's path, for duplicates */
} DmDataset;

DmDataset *dm_dataset_new (void);
void dm_dataset_free (DmDataset *dataset);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmDataset, dm_dataset_free)

/* A new dataset from `path`, whose layout is detected:
 *   - a file: a VisA split CSV;
 *   - a folder holding split_csv/1cls.csv: VisA with that CSV;
 *   - a folder holding train/ or test/: one MVTec AD class, named after the folder;
 *   - a folder whose subfolders hold train/ or test/: an MVTec AD root, one
 *     class per such subfolder (other files and folders are ignored).
 * NULL with a GError only when nothing can be loaded (no such path, no
 * layout recognised, no class with images); everything else is a problem. */
DmDataset *dm_dataset_load (const char *path, DmDatasetChecks checks, GError **error);

/* The same, adding to an existing dataset. A class whose name is already
 * present gets the new samples; a file already present is a duplicate. */
gboolean
dm_dataset_add_path (DmDataset *dataset, const char *path, DmDatasetChecks checks, GError **error);

/* MVTec AD: class_dir/train/good (normal training images),
 * class_dir/test/<type> ("good" = normal, every other folder a defect type),
 * class_dir/ground_truth/<type>/<stem>_mask.<ext> (a mask is matched to its
 * image by name: the image's file name without extension plus "_mask"; a
 * mask named exactly like the image's stem is accepted too). name NULL:
 * the folder's name. */
gboolean dm_dataset_add_mvtec_class (DmDataset *dataset,
                                     const char *class_dir,
                                     const char *name,
                                     DmDatasetChecks checks,
                                     GError **error);

/* VisA: a CSV file whose first line is `object,split,label,image,mask`
 * (split train/test, label normal/anomaly, mask empty for normal images).
 * Paths are relative to the CSV's folder; when the first image does not
 * exist there but does relative to the folder above (the official VisA
 * keeps its CSVs in split_csv/ beside the class folders), that folder is
 * used for every line. Classes end up sorted by name, as always. */
gboolean dm_dataset_add_visa (DmDataset *dataset,
                              const char *csv_path,
                              DmDatasetChecks checks,
                              GError **error);

/* The same, for the lines of one object only (only_object NULL: all), in
 * a class called name (NULL: the object's name). A project keeps one class
 * per object of a CSV that lists several, and the user may rename it. */
gboolean dm_dataset_add_visa_object (DmDataset *dataset,
                                     const char *csv_path,
                                     const char *only_object,
                                     const char *name,
                                     DmDatasetChecks checks,
                                     GError **error);

/* Plain folders for one class. Masks are matched in mask_dir by name as in
 * MVTec (stem + "_mask", or the stem itself); the defect type is the
 * defect folder's name. */
typedef struct
{
  const char *name;            /* the class name (required) */
  const char *normal_dir;      /* normal training images (required) */
  const char *test_good_dir;   /* normal test images, or NULL */
  const char *test_defect_dir; /* defect test images, or NULL */
  const char *mask_dir;        /* masks of the defect test images, or NULL */
} DmFolderClass;

gboolean dm_dataset_add_folders (DmDataset *dataset,
                                 const DmFolderClass *spec,
                                 DmDatasetChecks checks,
                                 GError **error);

/* Hold-out for threshold calibration. In every class, each normal training
 * image gets a key: a 64-bit hash (FNV-1a, then a SplitMix64 finaliser) of
 * the seed and the image's file name (its base name: not the folder, so
 * moving the dataset changes nothing). The k images with the smallest keys
 * (ties by name) are held out, k = round(fraction * n) clamped so that at
 * least one image trains while n >= 1 (and at least one is held out when
 * fraction > 0 and n >= 2). Deterministic for a seed; adding or removing
 * files moves at most one other image between the splits (the boundary
 * shifts by one place in the order of keys), and the images of other
 * classes never. fraction 0 holds nothing out. FALSE for a fraction
 * outside [0, 1). Applied again to images added later by dm_dataset_add_*. */
gboolean dm_dataset_set_holdout (DmDataset *dataset, double fraction, guint64 seed, GError **error);

/* The index of the class called name, or -1. */
int dm_dataset_find_class (const DmDataset *dataset, const char *name);

/* Samples [*first, *first + *n) of one class and split (contiguous, as
 * the samples are sorted). */
void dm_dataset_class_range (
  const DmDataset *dataset, guint class_index, DmSplit split, guint *first, guint *n);

const char *dm_dataset_problem_kind_name (DmDatasetProblemKind kind);
/* How many problems of one kind. */
guint dm_dataset_count_problems (const DmDataset *dataset, DmDatasetProblemKind kind);

G_END_DECLS
