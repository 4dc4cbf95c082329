/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A unified model file or a folder of one model per class. */
#include "dm-model-set.h"

#include <string.h>

#include "dm-error.h"
#include "dm-model-file.h"

static void
entry_free (DmModelSetEntry *e)
{
  g_free (e->path);
  g_strfreev (e->classes);
  g_free (e);
}

void
dm_model_set_free (DmModelSet *set)
{
  if (set == NULL)
    return;
  g_free (set->path);
  g_clear_pointer (&set->entries, g_ptr_array_unref);
  g_free (set);
}

static DmModelSetEntry *
read_entry (const char *path, GError **error)
{
  g_autoptr (DmModelFile) file = dm_model_file_open (path, error);
  DmModelSetEntry *e;

  if (file == NULL)
    return NULL;
  e = g_new0 (DmModelSetEntry, 1);
  e->path = g_strdup (path);
  e->classes = g_steal_pointer (&file->info->class_names);
  if (e->classes == NULL)
    e->classes = g_new0 (char *, 1);
  return e;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* The .dinomaly files of a folder, sorted. */
static GPtrArray *
list_models (const char *folder, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (GDir) dir = g_dir_open (folder, 0, &local);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    {
      g_autofree char *display = g_filename_display_name (folder);

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: %s", display, local->message);
      return NULL;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;

      if (name[0] == '.' || !g_str_has_suffix (name, DM_MODEL_FILE_SUFFIX))
        continue;
      path = g_build_filename (folder, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (names, g_steal_pointer (&path));
    }
  g_ptr_array_sort (names, compare_names);
  return g_steal_pointer (&names);
}

DmModelSet *
dm_model_set_open (const char *path, GError **error)
{
  g_autoptr (DmModelSet) set = g_new0 (DmModelSet, 1);
  g_autofree char *display = g_filename_display_name (path);
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GHashTable) owner = g_hash_table_new (g_str_hash, g_str_equal);

  set->path = g_strdup (path);
  set->entries = g_ptr_array_new_with_free_func ((GDestroyNotify)entry_free);
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      DmModelSetEntry *e = read_entry (path, error);

      if (e == NULL)
        return NULL;
      g_ptr_array_add (set->entries, e);
      return g_steal_pointer (&set);
    }
  set->per_class = TRUE;
  files = list_models (path, error);
  if (files == NULL)
    return NULL;
  if (files->len == 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: a folder without model files (*.dinomaly): give a model file, or the "
                   "folder of one model per class that 'dinomaly train --per-class' writes",
                   display);
      return NULL;
    }
  for (guint i = 0; i < files->len; i++)
    {
      DmModelSetEntry *e = read_entry (files->pdata[i], error);
      g_autofree char *name = NULL;
      const char *other;

      if (e == NULL)
        return NULL;
      g_ptr_array_add (set->entries, e);
      name = g_filename_display_name (e->path);
      if (g_strv_length (e->classes) != 1)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                       "%s: a model of %u classes in a folder of one model per class: each "
                       "file there must be trained on exactly one class",
                       name, g_strv_length (e->classes));
          return NULL;
        }
      other = g_hash_table_lookup (owner, e->classes[0]);
      if (other != NULL)
        {
          g_autofree char *other_name = g_filename_display_name (other);

          g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                       "%s and %s are both models of class '%s': keep one", other_name, name,
                       e->classes[0]);
          return NULL;
        }
      g_hash_table_insert (owner, e->classes[0], e->path);
    }
  return g_steal_pointer (&set);
}

const char *
dm_model_set_find (const DmModelSet *set, const char *class_name)
{
  if (!set->per_class)
    return ((DmModelSetEntry *)set->entries->pdata[0])->path;
  for (guint i = 0; i < set->entries->len; i++)
    {
      const DmModelSetEntry *e = set->entries->pdata[i];

      if (g_strv_contains ((const char *const *)e->classes, class_name))
        return e->path;
    }
  return NULL;
}

const char *
dm_model_set_class_model (const DmModelSet *set, const char *class_name, GError **error)
{
  g_autofree char *display = g_filename_display_name (set->path);
  g_autofree const char **classes = dm_model_set_classes (set);
  g_autofree char *list = g_strjoinv (", ", (char **)classes);
  const char *path;

  if (!set->per_class || (class_name == NULL && set->entries->len == 1))
    return ((const DmModelSetEntry *)set->entries->pdata[0])->path;
  if (class_name == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s holds one model per class: give --class (%s)", display, list);
      return NULL;
    }
  path = dm_model_set_find (set, class_name);
  if (path == NULL)
    g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: no model of class '%s' (classes: %s)",
                 display, class_name, list);
  return path;
}

const char **
dm_model_set_classes (const DmModelSet *set)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new ();

  for (guint i = 0; i < set->entries->len; i++)
    {
      const DmModelSetEntry *e = set->entries->pdata[i];

      for (char **c = e->classes; *c != NULL; c++)
        g_ptr_array_add (all, *c);
    }
  g_ptr_array_add (all, NULL);
  return (const char **)g_ptr_array_free (g_steal_pointer (&all), FALSE);
}

char *
dm_model_set_file_name (const char *class_name)
{
  GString *s = g_string_new (NULL);

  for (const char *p = class_name; *p != '\0'; p++)
    {
      guchar c = (guchar)*p;

      if (g_ascii_isalnum (c) || c == '_' || c == '-' || (c == '.' && p != class_name))
        g_string_append_c (s, (char)c);
      else
        g_string_append_printf (s, "%%%02X", c);
    }
  g_string_append (s, DM_MODEL_FILE_SUFFIX);
  return g_string_free (s, FALSE);
}
