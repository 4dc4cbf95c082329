/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Lists the training images of an MVTec-layout dataset or a plain folder. */
#include "dm-train-images.h"

#include <string.h>

#include "dm-error.h"

static gboolean
is_image_name (const char *name)
{
  static const char *const ext[] = { ".png", ".jpg", ".jpeg", ".tif", ".tiff" };
  g_autofree char *lower = g_ascii_strdown (name, -1);

  if (name[0] == '.')
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (ext); i++)
    if (g_str_has_suffix (lower, ext[i]))
      return TRUE;
  return FALSE;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Sorted entries of a folder (files or folders per want_dirs). */
static GPtrArray *
sorted_entries (const char *dir, gboolean want_dirs, GError **error)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (d == NULL)
    return NULL;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      gboolean is_dir = g_file_test (path, G_FILE_TEST_IS_DIR);

      if (name[0] == '.' || is_dir != want_dirs)
        continue;
      if (!want_dirs && !is_image_name (name))
        continue;
      g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_sort (names, compare_names);
  return g_steal_pointer (&names);
}

static void
add_folder (DmTrainImages *self, const char *folder, const char *label, GError **error)
{
  g_autoptr (GPtrArray) files = sorted_entries (folder, FALSE, error);

  if (files == NULL)
    return;
  for (guint i = 0; i < files->len; i++)
    {
      g_ptr_array_add (self->paths, g_build_filename (folder, files->pdata[i], NULL));
      g_ptr_array_add (self->labels, (gpointer)label);
    }
}

DmTrainImages *
dm_train_images_list (const char *dir, const char *const *only, GError **error)
{
  g_autoptr (DmTrainImages) self = g_new0 (DmTrainImages, 1);
  g_autoptr (GPtrArray) subdirs = NULL;
  g_autoptr (GPtrArray) classes = g_ptr_array_new ();

  self->root = g_strdup (dir);
  self->paths = g_ptr_array_new_with_free_func (g_free);
  self->labels = g_ptr_array_new ();
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: not a folder", dir);
      return NULL;
    }
  subdirs = sorted_entries (dir, TRUE, error);
  if (subdirs == NULL)
    return NULL;
  for (guint i = 0; i < subdirs->len; i++)
    {
      g_autofree char *good = g_build_filename (dir, subdirs->pdata[i], "train", "good", NULL);
      if (g_file_test (good, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (classes, g_strdup (subdirs->pdata[i]));
    }
  self->mvtec = classes->len > 0;
  if (!self->mvtec)
    g_ptr_array_add (classes, g_path_get_basename (dir));
  if (only != NULL)
    {
      g_autoptr (GPtrArray) kept = g_ptr_array_new ();
      for (int k = 0; only[k] != NULL; k++)
        {
          gboolean found = FALSE;
          for (guint i = 0; i < classes->len && !found; i++)
            found = strcmp (classes->pdata[i], only[k]) == 0;
          if (!found || !self->mvtec)
            {
              g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: no class '%s' (%s)", dir,
                           only[k],
                           self->mvtec ? "no <class>/train/good folder of that name"
                                       : "not an MVTec-layout dataset");
              g_ptr_array_set_free_func (classes, g_free);
              return NULL;
            }
          g_ptr_array_add (kept, g_strdup (only[k]));
        }
      g_ptr_array_set_free_func (classes, g_free);
      g_clear_pointer (&classes, g_ptr_array_unref);
      classes = g_steal_pointer (&kept);
    }
  g_ptr_array_add (classes, NULL);
  self->classes = (char **)g_ptr_array_free (g_steal_pointer (&classes), FALSE);
  for (int c = 0; self->classes[c] != NULL; c++)
    {
      g_autofree char *folder = self->mvtec
                                  ? g_build_filename (dir, self->classes[c], "train", "good", NULL)
                                  : g_strdup (dir);
      add_folder (self, folder, self->classes[c], error);
      if (error != NULL && *error != NULL)
        return NULL;
    }
  return g_steal_pointer (&self);
}

void
dm_train_images_free (DmTrainImages *self)
{
  if (self == NULL)
    return;
  g_free (self->root);
  g_strfreev (self->classes);
  if (self->paths != NULL)
    g_ptr_array_unref (self->paths);
  if (self->labels != NULL)
    g_ptr_array_unref (self->labels);
  g_free (self);
}

void
dm_train_images_remove (DmTrainImages *self, guint i)
{
  g_ptr_array_remove_index (self->paths, i);
  g_ptr_array_remove_index (self->labels, i);
}

char *
dm_train_images_fingerprint (const DmTrainImages *self)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize skip = strlen (self->root);

  for (guint i = 0; i < self->paths->len; i++)
    {
      const char *p = self->paths->pdata[i];
      const char *rel = strncmp (p, self->root, skip) == 0 ? p + skip : p;

      g_checksum_update (sum, (const guchar *)rel, (gssize)strlen (rel));
      g_checksum_update (sum, (const guchar *)"\n", 1);
    }
  return g_strdup (g_checksum_get_string (sum));
}
