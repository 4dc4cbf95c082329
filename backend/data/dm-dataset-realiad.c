/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Real-IAD: one class per split file, its images found beside the JSON
 * folder as the release unpacks (Real-IAD/realiad_1024/CLASS/...,
 * Real-IAD/realiad_jsons/realiad_jsons/CLASS.json: the layout the official
 * Dinomaly README and dataset.py's RealIADDataset use), and the sample and
 * view of a multi-view image from its name. */
#include "dm-dataset-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "dm-error.h"
#include "dm-realiad-json.h"

/* The image folders of a Real-IAD release, the one Dinomaly reads first. */
static const char *const resolutions[]
  = { "realiad_1024", "realiad_512", "realiad_256", "realiad_raw" };

/* The class's image folder for a split file, or NULL. */
static char *
find_image_dir (const char *json_path, const char *class_name)
{
  g_autofree char *base = g_path_get_dirname (json_path);

  for (int up = 0; up < 3; up++)
    {
      g_autofree char *parent = NULL;

      for (guint r = 0; r < G_N_ELEMENTS (resolutions); r++)
        {
          g_autofree char *dir = g_build_filename (base, resolutions[r], class_name, NULL);

          if (g_file_test (dir, G_FILE_TEST_IS_DIR))
            return g_steal_pointer (&dir);
        }
      {
        g_autofree char *dir = g_build_filename (base, class_name, NULL);

        if (g_file_test (dir, G_FILE_TEST_IS_DIR))
          return g_steal_pointer (&dir);
      }
      parent = g_path_get_dirname (base);
      if (strcmp (parent, base) == 0)
        break;
      g_free (base);
      base = g_steal_pointer (&parent);
    }
  return NULL;
}

static char *
read_json (const char *json_path, gsize *length, GError **error)
{
  g_autofree char *display = g_filename_display_name (json_path);
  g_autoptr (GError) local = NULL;
  GStatBuf st;
  char *text = NULL;

  if (g_stat (json_path, &st) != 0)
    {
      int saved = errno;

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot read: %s", display,
                   g_strerror (saved));
      return NULL;
    }
  if ((guint64)st.st_size > DM_REALIAD_MAX_JSON_BYTES)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE,
                   "%s: %" G_GUINT64_FORMAT " bytes, more than a Real-IAD split file has", display,
                   (guint64)st.st_size);
      return NULL;
    }
  if (!g_file_get_contents (json_path, &text, length, &local))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot read: %s", display, local->message);
      return NULL;
    }
  return text;
}

/* The file an entry names, or NULL (with a problem) when it is not there or
 * not an image by name. */
static char *
entry_file (DmDataset *ds, const char *image_dir, const char *rel, const char *where, gboolean mask)
{
  g_autofree char *path = g_build_filename (image_dir, rel, NULL);

  if (!dm_dataset_is_image_name (path))
    {
      dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_NOT_AN_IMAGE, path,
                              "not a PNG, TIFF, JPEG or BMP file (by its name; %s): %s", where,
                              mask ? "the image is kept without a mask" : "skipped");
      return NULL;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_MISSING_FILE, path, "%s %s but not found: %s",
                              mask ? "mask listed in" : "listed in", where,
                              mask ? "the image is kept without a mask" : "skipped");
      return NULL;
    }
  return g_steal_pointer (&path);
}

gboolean
dm_dataset_add_realiad_class (DmDataset *ds,
                              const char *json_path,
                              const char *image_dir,
                              const char *name,
                              DmDatasetChecks checks,
                              GError **error)
{
  g_autofree char *display = g_filename_display_name (json_path);
  g_autofree char *base = g_path_get_basename (json_path);
  g_autofree char *class_name = NULL, *found_dir = NULL, *text = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  gsize length = 0;
  guint c;

  text = read_json (json_path, &length, error);
  if (text == NULL)
    return FALSE;
  entries = dm_realiad_parse (text, length, display, error);
  if (entries == NULL)
    return FALSE;
  class_name
    = g_str_has_suffix (base, ".json") ? g_strndup (base, strlen (base) - 5) : g_strdup (base);
  if (image_dir == NULL)
    {
      found_dir = find_image_dir (json_path, class_name);
      if (found_dir == NULL)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                       "%s: looks like a Real-IAD split file but its images are not there: "
                       "expected realiad_1024/%s (or realiad_512, realiad_256, realiad_raw) "
                       "beside its realiad_jsons folder",
                       display, class_name);
          return FALSE;
        }
      image_dir = found_dir;
    }
  c = dm_dataset_get_class (ds, name != NULL ? name : class_name, image_dir);
  dm_dataset_set_class_source (ds, c, DM_DATASET_LAYOUT_REALIAD, json_path);
  for (guint i = 0; i < entries->len; i++)
    {
      const DmRealiadEntry *e = entries->pdata[i];
      g_autofree char *where = g_strdup_printf (
        "%s:%s[%u]", display, e->split == DM_SPLIT_TRAIN ? "train" : "test", e->index);
      g_autofree char *image = NULL, *mask = NULL;
      gboolean defect;

      if (e->problem != NULL)
        {
          dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_BAD_ENTRY, where, "%s", e->problem);
          continue;
        }
      image = entry_file (ds, image_dir, e->image_path, where, FALSE);
      if (image == NULL)
        continue;
      defect = strcmp (e->anomaly_class, "OK") != 0;
      if (defect && e->mask_path == NULL)
        dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_MISSING_MASK, image,
                                "no mask in %s: the image is kept without a mask", where);
      else if (defect)
        mask = entry_file (ds, image_dir, e->mask_path, where, TRUE);
      dm_dataset_commit_sample (ds, c, e->split, defect ? DM_LABEL_DEFECT : DM_LABEL_GOOD,
                                e->anomaly_class, image, mask, checks);
    }
  dm_dataset_check_class (ds, c, "the train split of the JSON");
  dm_dataset_finish (ds);
  return TRUE;
}

/* "S" or "C" followed by digits only. */
static gboolean
is_tag (const char *s, char letter)
{
  if (s[0] != letter || s[1] == '\0')
    return FALSE;
  for (const char *p = s + 1; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

gboolean
dm_dataset_sample_view (const char *path, char **sample, char **view)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *folder = g_path_get_basename (dir);
  g_autofree char *base = g_path_get_basename (path);
  g_auto (GStrv) tokens = NULL;
  char *dot = strrchr (base, '.');
  const char *camera = NULL;

  if (sample != NULL)
    *sample = NULL;
  if (view != NULL)
    *view = NULL;
  if (dot != NULL)
    *dot = '\0';
  /* Real-IAD: .../S0011/<class>_0011_NG_AK_C3_<time>: the folder names the
   * sample, whose number the file repeats; C1..C5 is the camera */
  if (!is_tag (folder, 'S'))
    return FALSE;
  tokens = g_strsplit (base, "_", -1);
  for (guint i = 1; tokens[i] != NULL; i++)
    if (is_tag (tokens[i], 'C'))
      camera = tokens[i];
  if (camera == NULL || !g_strv_contains ((const char *const *)tokens, folder + 1))
    return FALSE;
  if (sample != NULL)
    *sample = g_strdup (folder);
  if (view != NULL)
    *view = g_strdup (camera);
  return TRUE;
}
