/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Which layout a path holds, the dispatch to its reader, and what to say
 * about a folder that nearly fits one. */
#include "dm-dataset-private.h"

#include <string.h>

#include "dm-error.h"

static gboolean
is_dir (const char *parent, const char *child)
{
  g_autofree char *path = g_build_filename (parent, child, NULL);

  return g_file_test (path, G_FILE_TEST_IS_DIR);
}

/* LOCO keeps a folder of masks per image: ground_truth/TYPE/NNN/. */
static gboolean
has_mask_folders (const char *dir)
{
  g_autofree char *gt = g_build_filename (dir, "ground_truth", NULL);
  g_autoptr (GPtrArray) types = dm_dataset_list_subdirs (gt);

  for (guint t = 0; types != NULL && t < types->len; t++)
    {
      g_autofree char *type_dir = g_build_filename (gt, types->pdata[t], NULL);
      g_autoptr (GPtrArray) inner = dm_dataset_list_subdirs (type_dir);

      if (inner != NULL && inner->len > 0)
        return TRUE;
    }
  return FALSE;
}

/* The layout of a class folder; FALSE when it is none. */
static gboolean
classify_class (const char *dir, DmDatasetLayout *layout)
{
  if (is_dir (dir, "test_public"))
    *layout = DM_DATASET_LAYOUT_MVTEC_AD2;
  else if (!is_dir (dir, "train") && !is_dir (dir, "test"))
    return FALSE;
  else if (is_dir (dir, "test/logical_anomalies") || is_dir (dir, "test/structural_anomalies")
           || has_mask_folders (dir))
    *layout = DM_DATASET_LAYOUT_MVTEC_LOCO;
  else if (is_dir (dir, "train/ok") || is_dir (dir, "test/ok") || is_dir (dir, "test/ko"))
    *layout = DM_DATASET_LAYOUT_BTAD;
  else
    *layout = DM_DATASET_LAYOUT_MVTEC_AD;
  return TRUE;
}

gboolean
dm_dataset_add_class (DmDataset *ds,
                      DmDatasetLayout layout,
                      const char *source,
                      const char *name,
                      DmDatasetChecks checks,
                      GError **error)
{
  switch (layout)
    {
    case DM_DATASET_LAYOUT_MVTEC_AD:
      return dm_dataset_add_mvtec_class (ds, source, name, checks, error);
    case DM_DATASET_LAYOUT_BTAD: return dm_dataset_add_btad_class (ds, source, name, checks, error);
    case DM_DATASET_LAYOUT_MVTEC_AD2:
      return dm_dataset_add_mvtec_ad2_class (ds, source, name, checks, error);
    case DM_DATASET_LAYOUT_MVTEC_LOCO:
      return dm_dataset_add_loco_class (ds, source, name, checks, error);
    case DM_DATASET_LAYOUT_VISA:
      return dm_dataset_add_visa_object (ds, source, name, name, checks, error);
    case DM_DATASET_LAYOUT_REALIAD:
      return dm_dataset_add_realiad_class (ds, source, NULL, name, checks, error);
    case DM_DATASET_LAYOUT_FOLDERS:
      {
        DmFolderClass spec = { name, source, NULL, NULL, NULL };

        return dm_dataset_add_folders (ds, &spec, checks, error);
      }
    default: break;
    }
  g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "unknown dataset layout %d", (int)layout);
  return FALSE;
}

/* ---- Real-IAD ----------------------------------------------------------------------- */

static gboolean
is_json_name (const char *name)
{
  return g_str_has_suffix (name, ".json") || g_str_has_suffix (name, ".JSON");
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* The .json files of dir, sorted; NULL when there is none. */
static GPtrArray *
list_json (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (d == NULL)
    return NULL;
  while ((name = g_dir_read_name (d)) != NULL)
    if (name[0] != '.' && is_json_name (name))
      g_ptr_array_add (files, g_build_filename (dir, name, NULL));
  if (files->len == 0)
    return NULL;
  g_ptr_array_sort (files, compare_paths);
  return g_steal_pointer (&files);
}

/* Every split file of a folder, one class each. A file that cannot be
 * used (not a split file, its images not there) is a problem and the
 * other classes load; a folder of one file fails as that file does. */
static gboolean
add_realiad_folder (DmDataset *ds, const char *dir, DmDatasetChecks checks, GError **error)
{
  g_autoptr (GPtrArray) files = list_json (dir);

  for (guint i = 0; files != NULL && i < files->len; i++)
    {
      g_autoptr (GError) local = NULL;
      g_autofree char *display = NULL;

      if (dm_dataset_add_realiad_class (ds, files->pdata[i], NULL, NULL, checks, &local))
        continue;
      if (files->len == 1)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      display = g_filename_display_name (files->pdata[i]);
      dm_dataset_add_problem (
        ds,
        g_error_matches (local, DM_ERROR, DM_ERROR_UNSUPPORTED) ? DM_DATASET_PROBLEM_MISSING_FILE
                                                                : DM_DATASET_PROBLEM_UNREADABLE,
        files->pdata[i], "%s: class left out",
        g_str_has_prefix (local->message, display) ? local->message + strlen (display) + 2
                                                   : local->message);
    }
  return TRUE;
}

/* A Real-IAD root: realiad_jsons/realiad_jsons/ (every view: the paper's
 * protocol; realiad_jsons_sv/ is single-view, the realiad_jsons_fuiad_
 * folders the fully unsupervised variants: open those to use them). */
static gboolean
add_realiad_root (DmDataset *ds, const char *root, DmDatasetChecks checks, GError **error)
{
  g_autofree char *jsons = g_build_filename (root, "realiad_jsons", NULL);
  g_autofree char *multi_view = g_build_filename (jsons, "realiad_jsons", NULL);
  g_autoptr (GPtrArray) multi = list_json (multi_view);
  g_autoptr (GPtrArray) flat = NULL;

  if (multi != NULL)
    return add_realiad_folder (ds, multi_view, checks, error);
  flat = list_json (jsons);
  if (flat != NULL)
    return add_realiad_folder (ds, jsons, checks, error);
  {
    g_autofree char *display = g_filename_display_name (root);
    g_autoptr (GPtrArray) subdirs = dm_dataset_list_subdirs (jsons);
    g_autoptr (GString) seen = g_string_new (NULL);

    for (guint i = 0; subdirs != NULL && i < subdirs->len; i++)
      g_string_append_printf (seen, "%s%s", i > 0 ? ", " : "", (char *)subdirs->pdata[i]);
    g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT,
                 "%s: looks like Real-IAD but has no split files in "
                 "realiad_jsons/realiad_jsons/ (every view, the paper's protocol)%s%s%s",
                 display, seen->len > 0 ? "; realiad_jsons/ holds " : "", seen->str,
                 seen->len > 0 ? ": open one of those folders to use its split" : "");
    return FALSE;
  }
}

/* ---- what a folder nearly is ---------------------------------------------------------- */

static char *
list_of (const char *dir)
{
  g_autoptr (GPtrArray) subdirs = dm_dataset_list_subdirs (dir);
  GString *s = g_string_new (NULL);

  for (guint i = 0; subdirs != NULL && i < subdirs->len && i < 6; i++)
    g_string_append_printf (s, "%s%s/", i > 0 ? ", " : "", (char *)subdirs->pdata[i]);
  if (subdirs != NULL && subdirs->len > 6)
    g_string_append (s, ", ...");
  if (s->len == 0)
    g_string_append (s, "no folder");
  return g_string_free (s, FALSE);
}

/* What a folder lacks to be a dataset it resembles, or NULL. */
static char *
near_miss (const char *dir)
{
  g_autofree char *train = g_build_filename (dir, "train", NULL);
  g_autofree char *base = g_path_get_basename (dir);

  if (is_dir (dir, "train") && !is_dir (dir, "train/good") && !is_dir (dir, "train/ok"))
    {
      g_autofree char *held = list_of (train);

      return g_strdup_printf ("looks like MVTec AD but has no 'train/good' (its train/ holds %s)",
                              held);
    }
  if (is_dir (dir, "ground_truth") && !is_dir (dir, "test"))
    return g_strdup ("looks like MVTec AD but has no 'test' folder beside 'ground_truth'");
  if (is_dir (dir, "OK") && is_dir (dir, "NG"))
    return g_strdup_printf (
      "looks like a Real-IAD class folder (OK/, NG/), whose split comes from "
      "realiad_jsons/realiad_jsons/%s.json: open the Real-IAD folder (the one holding "
      "realiad_1024/ and realiad_jsons/) or that file",
      base);
  if (is_dir (dir, "Data/Images"))
    return g_strdup ("looks like a VisA class but has no split: open VisA's split_csv/1cls.csv, "
                     "or the folder holding split_csv/");
  if (is_dir (dir, "test_private") || is_dir (dir, "validation"))
    return g_strdup ("looks like MVTec AD 2 or MVTec LOCO AD but has neither 'test_public' nor "
                     "'test'");
  return NULL;
}

/* The first near miss of dir or of one of its subfolders. */
static char *
near_miss_below (const char *dir)
{
  g_autoptr (GPtrArray) subdirs = NULL;
  char *found = near_miss (dir);

  if (found != NULL)
    return found;
  subdirs = dm_dataset_list_subdirs (dir);
  for (guint i = 0; subdirs != NULL && i < subdirs->len; i++)
    {
      g_autofree char *sub = g_build_filename (dir, subdirs->pdata[i], NULL);
      g_autofree char *miss = near_miss (sub);

      if (miss != NULL)
        return g_strdup_printf ("%s/ %s", (char *)subdirs->pdata[i], miss);
    }
  return NULL;
}

#define EXPECTED                                                                                   \
  "expected MVTec AD or MPDD (CLASS/train/good, CLASS/test/TYPE, CLASS/ground_truth/TYPE), BTAD "  \
  "(CLASS/train/ok, CLASS/test/ko), MVTec AD 2 (CLASS/test_public), MVTec LOCO AD "                \
  "(CLASS/test/logical_anomalies), a class folder of one of them, a VisA split CSV (or the "       \
  "folder holding split_csv/1cls.csv) or Real-IAD (the folder holding realiad_jsons/, or a "       \
  "split JSON)"

/* ---- detection ------------------------------------------------------------------------ */

static gboolean
add_class_folder (
  DmDataset *ds, const char *dir, DmDatasetLayout layout, DmDatasetChecks checks, GError **error)
{
  return dm_dataset_add_class (ds, layout, dir, NULL, checks, error);
}

gboolean
dm_dataset_add_path (DmDataset *ds, const char *path, DmDatasetChecks checks, GError **error)
{
  g_autofree char *display = g_filename_display_name (path);
  g_autofree char *visa_csv = g_build_filename (path, "split_csv", "1cls.csv", NULL);
  g_autoptr (GPtrArray) subdirs = NULL;
  DmDatasetLayout layout;
  guint n_classes = 0;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: no such file or folder", display);
      return FALSE;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      if (is_json_name (path))
        return dm_dataset_add_realiad_class (ds, path, NULL, NULL, checks, error);
      return dm_dataset_add_visa (ds, path, checks, error);
    }
  if (g_file_test (visa_csv, G_FILE_TEST_IS_REGULAR))
    return dm_dataset_add_visa (ds, visa_csv, checks, error);
  if (is_dir (path, "realiad_jsons"))
    return add_realiad_root (ds, path, checks, error);
  if (classify_class (path, &layout))
    return add_class_folder (ds, path, layout, checks, error);

  subdirs = dm_dataset_list_subdirs (path);
  if (subdirs == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot list the folder", display);
      return FALSE;
    }
  for (guint i = 0; i < subdirs->len; i++)
    {
      g_autofree char *class_dir = g_build_filename (path, subdirs->pdata[i], NULL);

      if (!classify_class (class_dir, &layout))
        continue;
      if (!add_class_folder (ds, class_dir, layout, checks, error))
        return FALSE;
      n_classes++;
    }
  if (n_classes > 0)
    return TRUE;
  {
    g_autoptr (GPtrArray) json_files = list_json (path);

    if (json_files != NULL)
      return add_realiad_folder (ds, path, checks, error);
  }
  {
    g_autofree char *miss = near_miss_below (path);

    /* a near miss is a dataset with something missing; nothing at all is
     * "not a dataset" (the window then offers the folder as plain images) */
    if (miss != NULL)
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: %s; " EXPECTED, display, miss);
    else
      g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED, "%s: not a dataset: " EXPECTED, display);
  }
  return FALSE;
}

DmDataset *
dm_dataset_load (const char *path, DmDatasetChecks checks, GError **error)
{
  g_autoptr (DmDataset) ds = dm_dataset_new ();

  if (!dm_dataset_add_path (ds, path, checks, error))
    return NULL;
  if (ds->n_classes == 0)
    {
      g_autofree char *display = g_filename_display_name (path);
      g_autofree char *miss
        = g_file_test (path, G_FILE_TEST_IS_DIR) ? near_miss_below (path) : NULL;

      g_set_error (
        error, DM_ERROR, DM_ERROR_CORRUPT, "%s: no class with images%s%s%s%s%s", display,
        miss != NULL ? ": " : "", miss != NULL ? miss : "", ds->n_problems > 0 ? " (" : "",
        ds->n_problems > 0 ? ds->problems[0].message : "", ds->n_problems > 0 ? ")" : "");
      return NULL;
    }
  return g_steal_pointer (&ds);
}
