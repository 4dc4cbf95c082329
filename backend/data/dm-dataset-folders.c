/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Folder-based layouts: the MVTec AD class folder (MVTec AD, MPDD), the
 * BTAD class folder and plain folders of one class, over shared folder
 * listings and mask matching by name. */
#include "dm-dataset-private.h"

#include <string.h>

#include "dm-error.h"

void
dm_listed_file_free (DmListedFile *file)
{
  if (file == NULL)
    return;
  g_free (file->path);
  g_free (file->name);
  g_free (file->stem);
  g_free (file);
}

gboolean
dm_dataset_is_image_name (const char *name)
{
  static const char *const extensions[] = { ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp" };
  const char *dot = strrchr (name, '.');

  if (dot == NULL || dot == name)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (extensions); i++)
    if (g_ascii_strcasecmp (dot, extensions[i]) == 0)
      return TRUE;
  return FALSE;
}

static int
compare_names (gconstpointer pa, gconstpointer pb)
{
  return strcmp (*(char *const *)pa, *(char *const *)pb);
}

/* The names in dir, sorted; NULL when it cannot be listed. */
static GPtrArray *
list_names (const char *dir, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  GPtrArray *names;
  const char *entry;

  if (d == NULL)
    return NULL;
  names = g_ptr_array_new_with_free_func (g_free);
  while ((entry = g_dir_read_name (d)) != NULL)
    if (entry[0] != '.')
      g_ptr_array_add (names, g_strdup (entry));
  g_ptr_array_sort (names, compare_names);
  return names;
}

GPtrArray *
dm_dataset_list_subdirs (const char *dir)
{
  g_autoptr (GPtrArray) names = list_names (dir, NULL);
  GPtrArray *out;

  if (names == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (out, g_strdup (names->pdata[i]));
    }
  return out;
}

GPtrArray *
dm_dataset_list_images (DmDataset *ds, const char *dir, GError **error)
{
  g_autoptr (GPtrArray) names = NULL;
  g_autoptr (GHashTable) stems = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *files;
  GError *local = NULL;

  names = list_names (dir, &local);
  if (names == NULL)
    {
      g_autofree char *display = g_filename_display_name (dir);

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot list the folder: %s", display,
                   local->message);
      g_error_free (local);
      return NULL;
    }
  files = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_listed_file_free);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      g_autofree char *path = g_build_filename (dir, name, NULL);
      DmListedFile *file, *first;

      if (!dm_dataset_is_image_name (name))
        {
          /* subfolders are not ours to judge; a stat only for odd names */
          if (!g_file_test (path, G_FILE_TEST_IS_DIR))
            dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_NOT_AN_IMAGE, path,
                                    "not a PNG, TIFF, JPEG or BMP file (by its name): skipped");
          continue;
        }
      file = g_new0 (DmListedFile, 1);
      file->path = g_steal_pointer (&path);
      file->name = g_strdup (name);
      file->stem = g_strndup (name, (gsize)(strrchr (name, '.') - name));
      if ((first = g_hash_table_lookup (stems, file->stem)) != NULL)
        {
          g_autofree char *first_display = g_filename_display_name (first->name);

          dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_DUPLICATE, file->path,
                                  "has the same name as %s (masks are matched by name): "
                                  "skipped",
                                  first_display);
          dm_listed_file_free (file);
          continue;
        }
      g_hash_table_insert (stems, file->stem, file);
      g_ptr_array_add (files, file);
    }
  return files;
}

/* ---- masks --------------------------------------------------------------------- */

void
dm_mask_folder_free (DmMaskFolder *folder)
{
  if (folder == NULL)
    return;
  g_free (folder->dir);
  g_hash_table_unref (folder->by_stem);
  g_hash_table_unref (folder->used);
  g_ptr_array_unref (folder->files);
  g_free (folder);
}

DmMaskFolder *
dm_mask_folder_open (DmDataset *ds, const char *dir)
{
  DmMaskFolder *folder;
  GPtrArray *files;

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    return NULL;
  files = dm_dataset_list_images (ds, dir, NULL);
  if (files == NULL)
    return NULL;
  folder = g_new0 (DmMaskFolder, 1);
  folder->dir = g_strdup (dir);
  folder->files = files;
  folder->by_stem = g_hash_table_new (g_str_hash, g_str_equal);
  folder->used = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < files->len; i++)
    {
      DmListedFile *f = files->pdata[i];

      g_hash_table_insert (folder->by_stem, f->stem, f);
    }
  return folder;
}

const char *
dm_mask_folder_match (DmMaskFolder *folder, const char *image_stem)
{
  g_autofree char *key = g_strconcat (image_stem, "_mask", NULL);
  DmListedFile *f = g_hash_table_lookup (folder->by_stem, key);

  if (f == NULL)
    f = g_hash_table_lookup (folder->by_stem, image_stem);
  if (f == NULL)
    return NULL;
  g_hash_table_add (folder->used, f);
  return f->path;
}

void
dm_mask_folder_report_unused (DmDataset *ds, DmMaskFolder *folder)
{
  for (guint i = 0; i < folder->files->len; i++)
    {
      DmListedFile *f = folder->files->pdata[i];

      if (!g_hash_table_contains (folder->used, f))
        dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_MASK_WITHOUT_IMAGE, f->path,
                                "no image of this name: the mask is not used");
    }
}

/* ---- one folder of samples ------------------------------------------------------ */

void
dm_dataset_add_folder_images (DmDataset *ds,
                              guint class_index,
                              const char *dir,
                              DmSplit split,
                              DmLabel label,
                              const char *defect_type,
                              DmMaskFolder *masks,
                              gboolean report_missing_masks,
                              DmDatasetChecks checks)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) files = dm_dataset_list_images (ds, dir, &error);

  if (files == NULL)
    {
      dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_UNREADABLE, dir, "%s", error->message);
      return;
    }
  for (guint i = 0; i < files->len; i++)
    {
      DmListedFile *f = files->pdata[i];
      const char *mask = NULL;

      if (label == DM_LABEL_DEFECT && masks != NULL)
        mask = dm_mask_folder_match (masks, f->stem);
      if (label == DM_LABEL_DEFECT && mask == NULL && report_missing_masks)
        {
          g_autofree char *mask_dir = g_filename_display_name (masks->dir);

          dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_MISSING_MASK, f->path,
                                  "no mask of this name (NAME_mask.png or NAME.png) in %s: the "
                                  "image is kept without a mask",
                                  mask_dir);
        }
      dm_dataset_commit_sample (ds, class_index, split, label, defect_type, f->path, mask, checks);
    }
}

guint
dm_dataset_count_images (const char *dir)
{
  g_autoptr (GPtrArray) names = list_names (dir, NULL);
  guint n = 0;

  for (guint i = 0; names != NULL && i < names->len; i++)
    n += dm_dataset_is_image_name (names->pdata[i]);
  return n;
}

/* The MVTec AD class folder and its relatives: normal images in
 * train/GOOD and test/GOOD, each other test folder a defect type whose
 * masks are matched by name in ground_truth/TYPE. GOOD is "good" (MVTec
 * AD, MPDD: the official Dinomaly code reads MPDD with its MVTecDataset)
 * or "ok" (BTAD: train/ok, test/ok, test/ko, ground_truth/ko/<stem>.png or
 * .bmp, as the loaders reporting BTAD read it). */
static gboolean
add_mvtec_like (DmDataset *ds,
                const char *class_dir,
                const char *name,
                const char *good,
                DmDatasetLayout layout,
                DmDatasetChecks checks,
                GError **error)
{
  g_autofree char *base = g_path_get_basename (class_dir);
  g_autofree char *train_good = g_build_filename (class_dir, "train", good, NULL);
  g_autofree char *test_dir = g_build_filename (class_dir, "test", NULL);
  g_autofree char *gt_dir = g_build_filename (class_dir, "ground_truth", NULL);
  g_autofree char *where = g_strconcat ("train/", good, NULL);
  g_autoptr (GPtrArray) types = NULL;
  g_autoptr (GPtrArray) gt_types = NULL;
  guint c;

  if (!g_file_test (class_dir, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *display = g_filename_display_name (class_dir);

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: no such folder", display);
      return FALSE;
    }
  c = dm_dataset_get_class (ds, name != NULL ? name : base, class_dir);
  dm_dataset_set_class_source (ds, c, layout, class_dir);
  if (g_file_test (train_good, G_FILE_TEST_IS_DIR))
    dm_dataset_add_folder_images (ds, c, train_good, DM_SPLIT_TRAIN, DM_LABEL_GOOD, "good", NULL,
                                  FALSE, checks);

  types = dm_dataset_list_subdirs (test_dir);
  for (guint t = 0; types != NULL && t < types->len; t++)
    {
      const char *type = types->pdata[t];
      g_autofree char *dir = g_build_filename (test_dir, type, NULL);
      g_autofree char *mask_dir = g_build_filename (gt_dir, type, NULL);
      g_autoptr (DmMaskFolder) masks = NULL;

      if (strcmp (type, good) == 0)
        {
          dm_dataset_add_folder_images (ds, c, dir, DM_SPLIT_TEST, DM_LABEL_GOOD, "good", NULL,
                                        FALSE, checks);
          continue;
        }
      masks = dm_mask_folder_open (ds, mask_dir);
      if (masks == NULL)
        {
          guint n = dm_dataset_count_images (dir);

          if (n > 0)
            dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_MISSING_MASK, mask_dir,
                                    "no such folder: the %u image%s of test/%s %s no mask", n,
                                    n == 1 ? "" : "s", type, n == 1 ? "has" : "have");
        }
      dm_dataset_add_folder_images (ds, c, dir, DM_SPLIT_TEST, DM_LABEL_DEFECT, type, masks,
                                    masks != NULL, checks);
      if (masks != NULL)
        dm_mask_folder_report_unused (ds, masks);
    }

  /* masks of defect types that have no test folder at all: one line each */
  gt_types = dm_dataset_list_subdirs (gt_dir);
  for (guint t = 0; gt_types != NULL && t < gt_types->len; t++)
    {
      const char *type = gt_types->pdata[t];
      g_autofree char *dir = g_build_filename (test_dir, type, NULL);
      g_autofree char *mask_dir = g_build_filename (gt_dir, type, NULL);
      guint n;

      if (strcmp (type, good) == 0 || g_file_test (dir, G_FILE_TEST_IS_DIR))
        continue;
      if ((n = dm_dataset_count_images (mask_dir)) > 0)
        dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_MASK_WITHOUT_IMAGE, mask_dir,
                                "no test/%s folder: its %u mask%s not used", type, n,
                                n == 1 ? " is" : "s are");
    }
  dm_dataset_check_class (ds, c, where);
  dm_dataset_finish (ds);
  return TRUE;
}

gboolean
dm_dataset_add_mvtec_class (
  DmDataset *ds, const char *class_dir, const char *name, DmDatasetChecks checks, GError **error)
{
  return add_mvtec_like (ds, class_dir, name, "good", DM_DATASET_LAYOUT_MVTEC_AD, checks, error);
}

gboolean
dm_dataset_add_btad_class (
  DmDataset *ds, const char *class_dir, const char *name, DmDatasetChecks checks, GError **error)
{
  return add_mvtec_like (ds, class_dir, name, "ok", DM_DATASET_LAYOUT_BTAD, checks, error);
}

static gboolean
require_dir (const char *dir, const char *what, GError **error)
{
  g_autofree char *display = NULL;

  if (g_file_test (dir, G_FILE_TEST_IS_DIR))
    return TRUE;
  display = g_filename_display_name (dir);
  g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s (%s): no such folder", display, what);
  return FALSE;
}

gboolean
dm_dataset_add_folders (DmDataset *ds,
                        const DmFolderClass *spec,
                        DmDatasetChecks checks,
                        GError **error)
{
  g_autoptr (DmMaskFolder) masks = NULL;
  g_autofree char *defect_type = NULL;
  guint c;

  if (spec->name == NULL || spec->name[0] == '\0' || spec->normal_dir == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "a class of plain folders needs a name and a folder of normal images");
      return FALSE;
    }
  if (!require_dir (spec->normal_dir, "normal images", error)
      || (spec->test_good_dir != NULL
          && !require_dir (spec->test_good_dir, "normal test images", error))
      || (spec->test_defect_dir != NULL
          && !require_dir (spec->test_defect_dir, "defect test images", error))
      || (spec->mask_dir != NULL && !require_dir (spec->mask_dir, "masks", error)))
    return FALSE;

  c = dm_dataset_get_class (ds, spec->name, spec->normal_dir);
  dm_dataset_set_class_source (ds, c, DM_DATASET_LAYOUT_FOLDERS, spec->normal_dir);
  dm_dataset_add_folder_images (ds, c, spec->normal_dir, DM_SPLIT_TRAIN, DM_LABEL_GOOD, "good",
                                NULL, FALSE, checks);
  if (spec->test_good_dir != NULL)
    dm_dataset_add_folder_images (ds, c, spec->test_good_dir, DM_SPLIT_TEST, DM_LABEL_GOOD, "good",
                                  NULL, FALSE, checks);
  if (spec->test_defect_dir != NULL)
    {
      defect_type = g_path_get_basename (spec->test_defect_dir);
      if (spec->mask_dir != NULL)
        masks = dm_mask_folder_open (ds, spec->mask_dir);
      dm_dataset_add_folder_images (ds, c, spec->test_defect_dir, DM_SPLIT_TEST, DM_LABEL_DEFECT,
                                    defect_type, masks, masks != NULL, checks);
      if (masks != NULL)
        dm_mask_folder_report_unused (ds, masks);
    }
  dm_dataset_check_class (ds, c, spec->normal_dir);
  dm_dataset_finish (ds);
  return TRUE;
}
