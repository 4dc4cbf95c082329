/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The two MVTec layouts with a validation split of their own: MVTec AD 2
 * (test_public/ with its ground truth, private test sets without labels)
 * and MVTec LOCO AD (a folder of masks per defect image, their union the
 * truth). The folder and file names are the releases', as the official
 * Dinomaly code (dataset.py's LOCODataset) and anomalib's readers
 * (mvtecad2.py, mvtec_loco.py) read them; Dinomaly's LOCODataset takes only
 * each image's first mask (NNN/000.png), where we take the union of all. */
#include "dm-dataset-private.h"

#include <string.h>

#include "dm-error.h"

/* The class and the normal images both layouts share: train/good,
 * validation/good (the dataset's own hold-out) and TEST/good. FALSE when
 * class_dir is no folder. */
static gboolean
begin_class (DmDataset *ds,
             const char *class_dir,
             const char *name,
             DmDatasetLayout layout,
             const char *test,
             DmDatasetChecks checks,
             guint *class_index,
             GError **error)
{
  static const char *const splits[] = { "train", "validation", NULL };
  g_autofree char *base = g_path_get_basename (class_dir);

  if (!g_file_test (class_dir, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *display = g_filename_display_name (class_dir);

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: no such folder", display);
      return FALSE;
    }
  *class_index = dm_dataset_get_class (ds, name != NULL ? name : base, class_dir);
  dm_dataset_set_class_source (ds, *class_index, layout, class_dir);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *good = g_build_filename (class_dir, i < 2 ? splits[i] : test, "good", NULL);

      if (g_file_test (good, G_FILE_TEST_IS_DIR))
        dm_dataset_add_folder_images (ds, *class_index, good,
                                      i == 0   ? DM_SPLIT_TRAIN
                                      : i == 1 ? DM_SPLIT_HOLDOUT
                                               : DM_SPLIT_TEST,
                                      DM_LABEL_GOOD, "good", NULL, FALSE, checks);
    }
  return TRUE;
}

/* ---- MVTec AD 2 ------------------------------------------------------------------ */

/* test_private/ and test_private_mixed/ hold images only, their labels
 * kept by the benchmark server: said once, not read. */
static void
report_unlabeled (DmDataset *ds, const char *class_dir, const char *folder)
{
  g_autofree char *dir = g_build_filename (class_dir, folder, NULL);
  guint n = dm_dataset_count_images (dir);

  if (n > 0)
    dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_UNLABELED, dir,
                            "%u image%s without labels (MVTec AD 2's private test set, scored by "
                            "its benchmark server): not used; 'dinomaly predict' scores them",
                            n, n == 1 ? "" : "s");
}

gboolean
dm_dataset_add_mvtec_ad2_class (
  DmDataset *ds, const char *class_dir, const char *name, DmDatasetChecks checks, GError **error)
{
  g_autofree char *test = g_build_filename (class_dir, "test_public", NULL);
  g_autofree char *gt = g_build_filename (test, "ground_truth", NULL);
  g_autoptr (GPtrArray) types = NULL;
  guint c;

  if (!begin_class (ds, class_dir, name, DM_DATASET_LAYOUT_MVTEC_AD2, "test_public", checks, &c,
                    error))
    return FALSE;
  types = dm_dataset_list_subdirs (test);
  for (guint t = 0; types != NULL && t < types->len; t++)
    {
      const char *type = types->pdata[t]; /* "bad" in the release */
      g_autofree char *dir = g_build_filename (test, type, NULL);
      g_autofree char *mask_dir = g_build_filename (gt, type, NULL);
      g_autoptr (DmMaskFolder) masks = NULL;

      if (strcmp (type, "good") == 0 || strcmp (type, "ground_truth") == 0)
        continue;
      masks = dm_mask_folder_open (ds, mask_dir);
      if (masks == NULL && dm_dataset_count_images (dir) > 0)
        dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_MISSING_MASK, mask_dir,
                                "no such folder: the images of test_public/%s have no mask", type);
      dm_dataset_add_folder_images (ds, c, dir, DM_SPLIT_TEST, DM_LABEL_DEFECT, type, masks,
                                    masks != NULL, checks);
      if (masks != NULL)
        dm_mask_folder_report_unused (ds, masks);
    }
  report_unlabeled (ds, class_dir, "test_private");
  report_unlabeled (ds, class_dir, "test_private_mixed");
  dm_dataset_check_class (ds, c, "train/good");
  dm_dataset_finish (ds);
  return TRUE;
}

/* ---- MVTec LOCO AD ----------------------------------------------------------------- */

/* The defect images of test/TYPE, each with its folder of masks
 * ground_truth/TYPE/STEM/ (the sample's mask_path). */
static void
add_loco_defects (DmDataset *ds,
                  guint c,
                  const char *dir,
                  const char *type,
                  const char *mask_root,
                  DmDatasetChecks checks)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) files = dm_dataset_list_images (ds, dir, &error);
  g_autoptr (GPtrArray) folders = dm_dataset_list_subdirs (mask_root);
  g_autoptr (GHashTable) used = g_hash_table_new (g_str_hash, g_str_equal);

  if (files == NULL)
    {
      dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_UNREADABLE, dir, "%s", error->message);
      return;
    }
  if (folders == NULL && files->len > 0)
    dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_MISSING_MASK, mask_root,
                            "no such folder: the %u images of test/%s have no mask", files->len,
                            type);
  for (guint i = 0; i < files->len; i++)
    {
      DmListedFile *f = files->pdata[i];
      g_autofree char *mask = g_build_filename (mask_root, f->stem, NULL);

      if (g_file_test (mask, G_FILE_TEST_IS_DIR))
        g_hash_table_add (used, f->stem);
      else
        {
          if (folders != NULL)
            {
              g_autofree char *display = g_filename_display_name (mask);

              dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_MISSING_MASK, f->path,
                                      "no mask folder %s: the image is kept without a mask",
                                      display);
            }
          g_clear_pointer (&mask, g_free);
        }
      dm_dataset_commit_sample (ds, c, DM_SPLIT_TEST, DM_LABEL_DEFECT, type, f->path, mask, checks);
    }
  for (guint i = 0; folders != NULL && i < folders->len; i++)
    if (!g_hash_table_contains (used, folders->pdata[i]))
      {
        g_autofree char *path = g_build_filename (mask_root, folders->pdata[i], NULL);

        dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_MASK_WITHOUT_IMAGE, path,
                                "no image of this name in test/%s: the masks are not used", type);
      }
}

gboolean
dm_dataset_add_loco_class (
  DmDataset *ds, const char *class_dir, const char *name, DmDatasetChecks checks, GError **error)
{
  g_autofree char *test = g_build_filename (class_dir, "test", NULL);
  g_autofree char *gt = g_build_filename (class_dir, "ground_truth", NULL);
  g_autoptr (GPtrArray) types = NULL;
  g_autoptr (GPtrArray) gt_types = NULL;
  guint c;

  if (!begin_class (ds, class_dir, name, DM_DATASET_LAYOUT_MVTEC_LOCO, "test", checks, &c, error))
    return FALSE;
  types = dm_dataset_list_subdirs (test);
  for (guint t = 0; types != NULL && t < types->len; t++)
    {
      const char *type = types->pdata[t]; /* logical_anomalies, structural_anomalies */
      g_autofree char *dir = g_build_filename (test, type, NULL);
      g_autofree char *mask_root = g_build_filename (gt, type, NULL);

      if (strcmp (type, "good") != 0)
        add_loco_defects (ds, c, dir, type, mask_root, checks);
    }
  gt_types = dm_dataset_list_subdirs (gt);
  for (guint t = 0; gt_types != NULL && t < gt_types->len; t++)
    {
      g_autofree char *dir = g_build_filename (test, gt_types->pdata[t], NULL);
      g_autofree char *mask_root = g_build_filename (gt, gt_types->pdata[t], NULL);

      if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
        dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_MASK_WITHOUT_IMAGE, mask_root,
                                "no test/%s folder: its masks are not used",
                                (const char *)gt_types->pdata[t]);
    }
  dm_dataset_check_class (ds, c, "train/good");
  dm_dataset_finish (ds);
  return TRUE;
}
