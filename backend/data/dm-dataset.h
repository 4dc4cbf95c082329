/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Datasets: which image files make up each class's training, hold-out and
 * test images, with labels and masks, read from the layouts of the
 * benchmarks (MVTec AD and MPDD, BTAD, MVTec AD 2, MVTec LOCO AD, VisA's
 * split CSV, Real-IAD's split JSON) or plain folders. Nothing is decoded;
 * every problem found (missing mask, wrong mask size, duplicates,
 * unreadable files, empty classes...) lands in one list and the rest still
 * loads. */
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

/* Where a class was read from; the names are what projects store. */
typedef enum
{
  DM_DATASET_LAYOUT_FOLDERS,    /* "folders": plain folders (dm_dataset_add_folders) */
  DM_DATASET_LAYOUT_MVTEC_AD,   /* "mvtec": MVTec AD, and MPDD (the same layout) */
  DM_DATASET_LAYOUT_BTAD,       /* "btad" */
  DM_DATASET_LAYOUT_MVTEC_AD2,  /* "mvtec-ad2": MVTec AD 2 */
  DM_DATASET_LAYOUT_MVTEC_LOCO, /* "mvtec-loco": MVTec LOCO AD */
  DM_DATASET_LAYOUT_VISA,       /* "visa": a VisA split CSV */
  DM_DATASET_LAYOUT_REALIAD,    /* "realiad": a Real-IAD class's split JSON */
} DmDatasetLayout;

typedef struct
{
  char *path; /* the image file */
  guint class_index;
  DmSplit split;
  gboolean validation; /* one of the dataset's own validation images (MVTec AD 2,
                        * MVTec LOCO): always held out (dm_dataset_set_holdout) */
  DmLabel label;
  char *defect_type; /* "good" for good images; for defects the test folder's
                      * name (MVTec AD, MPDD, LOCO, plain folders), "ko" (BTAD),
                      * "bad" (MVTec AD 2), "anomaly" (VisA) or the split file's
                      * anomaly class ("AK", "BX", ...: Real-IAD) */
  char *mask_path;   /* the ground-truth mask, or NULL (always NULL for good
                      * images); MVTec LOCO: a folder of masks whose union is
                      * the truth (dm-mask.h reads both kinds) */
  int width, height; /* from the image's header when it was read (checks), else 0 */
} DmSample;

typedef struct
{
  char *name;
  char *dir; /* the class folder (MVTec), or the folder of its normal images */
  DmDatasetLayout layout;
  char *source; /* what dm_dataset_add_class reads the class from again: the
                 * class folder, the normal images' folder (plain folders),
                 * the split CSV (VisA) or the class's JSON (Real-IAD) */
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
  DM_DATASET_PROBLEM_NOT_AN_IMAGE,       /* not PNG, TIFF, JPEG or BMP by name or content
                                          * (skipped) */
  DM_DATASET_PROBLEM_EMPTY_CLASS,        /* a class without images, or without normal ones */
  DM_DATASET_PROBLEM_BAD_ENTRY,          /* a VisA CSV line that cannot be used (skipped) */
  DM_DATASET_PROBLEM_MISSING_FILE,       /* a file that a CSV line or JSON entry names is
                                          * not there */
  DM_DATASET_PROBLEM_UNLABELED,          /* images without labels (MVTec AD 2's private
                                          * test sets): not used, one problem per folder */
} DmDatasetProblemKind;

typedef struct
{
  DmDatasetProblemKind kind;
  char *path;    /* the file or folder concerned (a CSV file: "FILE:LINE"; a JSON
                  * split file: "FILE:SPLIT[INDEX]") */
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

/* A new dataset from `path`, whose layout is detected (dm-dataset-detect.c):
 *   - a .json file: one Real-IAD class's split file;
 *   - another file: a VisA split CSV;
 *   - a folder holding split_csv/1cls.csv: VisA with that CSV;
 *   - a folder holding realiad_jsons/: a Real-IAD root (the split files of
 *     realiad_jsons/realiad_jsons/, every view; images from realiad_1024/);
 *   - a class folder: MVTec AD 2 (test_public/), MVTec LOCO AD
 *     (test/logical_anomalies/, test/structural_anomalies/, or a folder of
 *     masks per image), BTAD (train/ok/, test/ok/, test/ko/), else MVTec AD
 *     and MPDD (train/ or test/);
 *   - a folder of such class folders: one class each (other files and
 *     folders are ignored);
 *   - a folder of .json files: Real-IAD split files (realiad_jsons_sv/...).
 * NULL with a GError only when nothing can be loaded (no such path, no
 * layout recognised, no class with images): DM_ERROR_UNSUPPORTED when no
 * layout fits, naming the layouts expected and, for a folder that nearly
 * fits one, what it lacks ("looks like MVTec AD but has no 'train/good'");
 * everything else is a problem. */
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
 * the folder's name. MPDD has this layout and naming (000.png with
 * 000_mask.png), as the official Dinomaly code reads it. */
gboolean dm_dataset_add_mvtec_class (DmDataset *dataset,
                                     const char *class_dir,
                                     const char *name,
                                     DmDatasetChecks checks,
                                     GError **error);

/* BTAD (beanTech): class_dir/train/ok (normal training images),
 * class_dir/test/ok (normal) and test/ko (defects, type "ko"),
 * class_dir/ground_truth/ko/<stem>.png (product 03: .bmp) matched to its
 * image by stem, as the loaders that report BTAD results read them; images
 * are BMP (products 01, 03) or PNG (02). */
gboolean dm_dataset_add_btad_class (DmDataset *dataset,
                                    const char *class_dir,
                                    const char *name,
                                    DmDatasetChecks checks,
                                    GError **error);

/* MVTec AD 2: class_dir/train/good, class_dir/validation/good (the
 * dataset's validation split: held out, never trained on),
 * class_dir/test_public/good and test_public/bad (type "bad") with
 * test_public/ground_truth/bad/<stem>_mask.png. test_private/ and
 * test_private_mixed/ have no labels (the benchmark server scores them):
 * not read, one UNLABELED problem each with the number of images (`dinomaly
 * predict` scores them). */
gboolean dm_dataset_add_mvtec_ad2_class (DmDataset *dataset,
                                         const char *class_dir,
                                         const char *name,
                                         DmDatasetChecks checks,
                                         GError **error);

/* MVTec LOCO AD: class_dir/train/good, validation/good (held out as for
 * MVTec AD 2), test/good, test/logical_anomalies, test/structural_anomalies
 * (any other test folder is a defect type too), and for each defect image
 * test/TYPE/NNN.png a folder ground_truth/TYPE/NNN/ of masks (000.png,
 * 001.png, ...: one per defect) whose union is the mask; the sample's
 * mask_path is that folder. */
gboolean dm_dataset_add_loco_class (DmDataset *dataset,
                                    const char *class_dir,
                                    const char *name,
                                    DmDatasetChecks checks,
                                    GError **error);

/* Real-IAD: one class's split file (realiad_jsons/realiad_jsons/CLASS.json,
 * dm-realiad-json.h has its form): every entry one image; anomaly class
 * "OK" is good, any other a defect of that type ("AK", "BX", ...) with the
 * entry's mask. Paths are relative to image_dir; image_dir NULL: the first
 * of realiad_1024/CLASS (what the official Dinomaly code reads),
 * realiad_512/CLASS, realiad_256/CLASS, realiad_raw/CLASS or CLASS found
 * beside the JSON or up to two folders above it. name NULL: the JSON's
 * name without ".json". Every view of every sample is one image: the
 * paper's "including all views" protocol. */
gboolean dm_dataset_add_realiad_class (DmDataset *dataset,
                                       const char *json_path,
                                       const char *image_dir,
                                       const char *name,
                                       DmDatasetChecks checks,
                                       GError **error);

/* Which photographed part and which camera an image of a multi-view
 * dataset shows, from its path: Real-IAD's .../S0011/<class>_0011_NG_AK_C3_<time>.jpg
 * is sample "S0011", view "C3". FALSE (both NULL) for a path that follows
 * no such convention. sample or view may be NULL. */
gboolean dm_dataset_sample_view (const char *path, char **sample, char **view);

/* One class of any layout from what DmDatasetClass.source holds (VisA:
 * the CSV's lines of the object called name). */
gboolean dm_dataset_add_class (DmDataset *dataset,
                               DmDatasetLayout layout,
                               const char *source,
                               const char *name,
                               DmDatasetChecks checks,
                               GError **error);

/* "folders", "mvtec", "btad", "mvtec-ad2", "mvtec-loco", "visa", "realiad",
 * and back (FALSE for an unknown name). */
const char *dm_dataset_layout_name (DmDatasetLayout layout);
gboolean dm_dataset_layout_from_name (const char *name, DmDatasetLayout *layout);
/* For messages: "MVTec AD", "BTAD", "MVTec AD 2", ... */
const char *dm_dataset_layout_title (DmDatasetLayout layout);

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
 * outside [0, 1). Applied again to images added later by dm_dataset_add_*.
 * A class with validation images of its own (MVTec AD 2, MVTec LOCO) holds
 * out exactly those, whatever the fraction, and trains on all the others. */
gboolean dm_dataset_set_holdout (DmDataset *dataset, double fraction, guint64 seed, GError **error);

/* One more image for a class already in the dataset (split TRAIN: a
 * normal training image, subject to the hold-out; split TEST: a test
 * image of label with its defect type and mask, may be NULL), after the
 * checks asked for. FALSE with an error when there is no such class; a
 * file that fails the checks, or is there already, is a problem and
 * FALSE without an error. */
gboolean dm_dataset_add_image (DmDataset *dataset,
                               const char *class_name,
                               const char *path,
                               DmSplit split,
                               DmLabel label,
                               const char *defect_type,
                               const char *mask_path,
                               DmDatasetChecks checks,
                               GError **error);

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
