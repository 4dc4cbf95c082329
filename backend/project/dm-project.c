/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Projects: project.json read, upgraded, written atomically. */
#include "dm-project.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-json-util.h"
#include "dm-json-writer.h"
#include "dm-project-line.h"
#include "dm-project-versions.h"

#define FORMAT_NAME "org.dinomaly.Studio.project"

static const char *const subfolders[] = { "labels", "masks", "checkpoints", "results", "reports" };

DmProjectClass *
dm_project_class_new (const char *name, const char *layout, const char *source)
{
  DmProjectClass *c = g_new0 (DmProjectClass, 1);

  c->name = g_strdup (name);
  c->layout = g_strdup (layout);
  c->source = g_strdup (source);
  c->holdout_fraction = 0.1;
  c->image_threshold = c->pixel_threshold = NAN;
  c->uncertain_low = c->uncertain_high = NAN;
  return c;
}

void
dm_project_class_thresholds (const DmProjectClass *c, DmThresholds *t)
{
  dm_thresholds_init (t);
  t->image = c->image_threshold;
  t->pixel = c->pixel_threshold;
  t->uncertain_low = c->uncertain_low;
  t->uncertain_high = c->uncertain_high;
}

void
dm_project_class_free (DmProjectClass *c)
{
  if (c == NULL)
    return;
  g_free (c->name);
  g_free (c->layout);
  g_free (c->source);
  g_free (c->test_source);
  g_free (c->mask_source);
  g_free (c->object);
  dm_rules_free (c->rules);
  g_free (c);
}

static DmProject *
project_new (const char *folder)
{
  DmProject *p = g_new0 (DmProject, 1);

  p->folder = g_canonicalize_filename (folder, NULL);
  p->classes = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_project_class_free);
  p->labels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  p->settings = json_object_new ();
  p->preset = g_strdup ("quick");
  p->versions = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_project_version_free);
  p->roll_back = g_array_new (FALSE, FALSE, sizeof (guint));
  p->next_version = 1;
  p->line = dm_project_line_new ();
  return p;
}

void
dm_project_free (DmProject *p)
{
  if (p == NULL)
    return;
  g_free (p->folder);
  g_free (p->name);
  g_free (p->created);
  g_free (p->modified);
  g_ptr_array_unref (p->classes);
  g_free (p->backbone_kind);
  g_free (p->backbone_path);
  g_free (p->backbone_sha256);
  g_free (p->backbone_arch);
  g_free (p->preset);
  json_object_unref (p->settings);
  g_free (p->model);
  g_hash_table_unref (p->labels);
  g_ptr_array_unref (p->versions);
  g_array_unref (p->roll_back);
  dm_project_line_free (p->line);
  g_free (p);
}

static char *
project_file (const char *folder)
{
  return g_build_filename (folder, DM_PROJECT_FILE, NULL);
}

char *
dm_project_subfolder (const DmProject *p, const char *sub)
{
  return g_build_filename (p->folder, sub, NULL);
}

static gboolean
ensure_subfolders (const DmProject *p, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (subfolders); i++)
    {
      g_autofree char *dir = dm_project_subfolder (p, subfolders[i]);

      if (g_mkdir_with_parents (dir, 0755) != 0)
        {
          int saved = errno;
          g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot create the folder: %s", dir,
                       g_strerror (saved));
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- writing ---- */

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

char *
dm_project_to_json (const DmProject *p)
{
  g_autoptr (DmJsonWriter) b = dm_json_writer_new (TRUE);
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;

  dm_json_writer_begin_object (b);
  dm_json_writer_key (b, "format");
  dm_json_writer_string (b, FORMAT_NAME);
  dm_json_writer_key (b, "version");
  dm_json_writer_int (b, DM_PROJECT_VERSION);
  dm_json_writer_member_string (b, "name", p->name);
  dm_json_writer_member_string (b, "created", p->created);
  dm_json_writer_member_string (b, "modified", p->modified);

  dm_json_writer_key (b, "classes");
  dm_json_writer_begin_array (b);
  for (guint i = 0; i < p->classes->len; i++)
    {
      const DmProjectClass *c = g_ptr_array_index (p->classes, i);

      dm_json_writer_begin_object (b);
      dm_json_writer_member_string (b, "name", c->name);
      dm_json_writer_member_string (b, "layout", c->layout);
      dm_json_writer_member_string (b, "source", c->source);
      dm_json_writer_member_string (b, "test_source", c->test_source);
      dm_json_writer_member_string (b, "mask_source", c->mask_source);
      if (c->object != NULL)
        dm_json_writer_member_string (b, "object", c->object);
      dm_json_writer_key (b, "holdout_fraction");
      dm_json_writer_number (b, c->holdout_fraction);
      dm_json_writer_key (b, "thresholds");
      dm_json_writer_begin_object (b);
      dm_json_writer_member_number (b, "image", c->image_threshold);
      dm_json_writer_member_number (b, "pixel", c->pixel_threshold);
      dm_json_writer_member_number (b, "uncertain_low", c->uncertain_low);
      dm_json_writer_member_number (b, "uncertain_high", c->uncertain_high);
      dm_json_writer_end_object (b);
      if (!dm_rules_is_empty (c->rules))
        {
          dm_json_writer_key (b, "rules");
          dm_json_writer_begin_object (b);
          dm_rules_write_members (c->rules, b);
          dm_json_writer_end_object (b);
        }
      dm_json_writer_end_object (b);
    }
  dm_json_writer_end_array (b);

  dm_json_writer_key (b, "backbone");
  dm_json_writer_begin_object (b);
  dm_json_writer_member_string (b, "kind", p->backbone_kind);
  dm_json_writer_member_string (b, "path", p->backbone_path);
  dm_json_writer_member_string (b, "sha256", p->backbone_sha256);
  dm_json_writer_member_string (b, "arch", p->backbone_arch);
  dm_json_writer_end_object (b);

  dm_json_writer_key (b, "training");
  dm_json_writer_begin_object (b);
  dm_json_writer_member_string (b, "preset", p->preset);
  dm_json_writer_key (b, "settings");
  {
    g_autoptr (JsonNode) settings = json_node_new (JSON_NODE_OBJECT);
    json_node_set_object (settings, p->settings);
    dm_json_writer_node (b, settings);
  }
  dm_json_writer_end_object (b);

  dm_json_writer_member_string (b, "model", p->model);

  /* labels sorted by path: stable files, readable diffs */
  dm_json_writer_key (b, "labels");
  dm_json_writer_begin_object (b);
  g_hash_table_iter_init (&iter, p->labels);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_ptr_array_add (paths, key);
  g_ptr_array_sort (paths, compare_strings);
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);
      DmUserLabel label = GPOINTER_TO_INT (g_hash_table_lookup (p->labels, path));

      dm_json_writer_key (b, path);
      dm_json_writer_string (b, label == DM_USER_LABEL_DEFECT ? "defect" : "good");
    }
  dm_json_writer_end_object (b);
  dm_project_versions_write (b, p);
  dm_json_writer_key (b, "line");
  dm_project_line_write (b, p->line);
  dm_json_writer_end_object (b);

  return g_strdup (dm_json_writer_get_text (b));
}

gboolean
dm_project_save (DmProject *p, GError **error)
{
  g_autofree char *path = project_file (p->folder);
  g_autofree char *json = NULL;

  g_free (p->modified);
  p->modified = dm_json_now_iso8601 ();
  json = dm_project_to_json (p);
  return dm_file_set_contents_atomic (path, json, strlen (json), error);
}

DmProject *
dm_project_create (const char *folder, const char *name, GError **error)
{
  g_autoptr (DmProject) p = project_new (folder);
  g_autofree char *path = project_file (p->folder);

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s already holds a project: open it instead",
                   p->folder);
      return NULL;
    }
  if (g_mkdir_with_parents (p->folder, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot create the folder: %s", p->folder,
                   g_strerror (saved));
      return NULL;
    }
  p->name = g_strdup (name != NULL ? name : "");
  p->created = dm_json_now_iso8601 ();
  if (!ensure_subfolders (p, error) || !dm_project_save (p, error))
    return NULL;
  return g_steal_pointer (&p);
}

/* ---- reading ---- */

static gboolean
read_classes (DmProject *p, JsonObject *root, const char *path, GError **error)
{
  JsonNode *n = json_object_get_member (root, "classes");
  JsonArray *classes;

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (n))
    return dm_error_corrupt (error, path, "\"classes\" is not a list");
  classes = json_node_get_array (n);
  for (guint i = 0; i < json_array_get_length (classes); i++)
    {
      JsonNode *cn = json_array_get_element (classes, i);
      JsonObject *co, *th;
      DmProjectClass *c;

      if (!JSON_NODE_HOLDS_OBJECT (cn))
        return dm_error_corrupt (error, path, "an entry of \"classes\" is not an object");
      co = json_node_get_object (cn);
      c = g_new0 (DmProjectClass, 1);
      c->name = dm_json_dup_string (co, "name");
      c->layout = dm_json_dup_string (co, "layout");
      c->source = dm_json_dup_string (co, "source");
      c->test_source = dm_json_dup_string (co, "test_source");
      c->mask_source = dm_json_dup_string (co, "mask_source");
      c->object = dm_json_dup_string (co, "object");
      c->holdout_fraction = dm_json_number (co, "holdout_fraction", 0.1);
      th = dm_json_object (co, "thresholds");
      c->image_threshold = dm_json_number (th, "image", NAN);
      c->pixel_threshold = dm_json_number (th, "pixel", NAN);
      c->uncertain_low = dm_json_number (th, "uncertain_low", NAN);
      c->uncertain_high = dm_json_number (th, "uncertain_high", NAN);
      if (c->name == NULL || c->name[0] == '\0' || c->layout == NULL)
        {
          dm_project_class_free (c);
          return dm_error_corrupt (error, path, "a class has no name or no layout");
        }
      if (dm_json_object (co, "rules") != NULL)
        {
          g_autofree char *where = g_strdup_printf ("%s: rules of class \"%s\"", path, c->name);

          c->rules = dm_rules_from_json_object (dm_json_object (co, "rules"), where, error);
          if (c->rules == NULL)
            {
              dm_project_class_free (c);
              return FALSE;
            }
        }
      if (dm_project_find_class (p, c->name) != NULL)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: two classes are named \"%s\"", path,
                       c->name);
          dm_project_class_free (c);
          return FALSE;
        }
      g_ptr_array_add (p->classes, c);
    }
  return TRUE;
}

static void
read_labels (DmProject *p, JsonObject *root)
{
  JsonObject *labels = dm_json_object (root, "labels");
  g_autoptr (GList) members = labels != NULL ? json_object_get_members (labels) : NULL;

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *value = json_object_get_string_member_with_default (labels, l->data, "");

      if (strcmp (value, "good") == 0)
        dm_project_set_label (p, l->data, DM_USER_LABEL_GOOD);
      else if (strcmp (value, "defect") == 0)
        dm_project_set_label (p, l->data, DM_USER_LABEL_DEFECT);
    }
}

/* Version 0 was the pre-release layout: no "format"/"version" members and
 * the preset at the top level. Upgrading moves it into "training". */
static void
upgrade_from_0 (JsonObject *root)
{
  if (json_object_has_member (root, "preset") && !json_object_has_member (root, "training"))
    {
      JsonObject *training = json_object_new ();

      json_object_set_string_member (
        training, "preset", json_object_get_string_member_with_default (root, "preset", "quick"));
      json_object_set_object_member (root, "training", training);
      json_object_remove_member (root, "preset");
    }
}

DmProject *
dm_project_open (const char *folder, GError **error)
{
  g_autoptr (DmProject) p = project_new (folder);
  g_autofree char *path = project_file (p->folder);
  g_autoptr (JsonParser) parser = NULL;
  JsonObject *root, *backbone, *training;
  gint64 version;
  gboolean upgraded = FALSE;

  if (!g_file_test (p->folder, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: no such folder", p->folder);
      return NULL;
    }
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s holds no project (no %s)", p->folder,
                   DM_PROJECT_FILE);
      return NULL;
    }
  parser = dm_json_load_object (path, &root, error);
  if (parser == NULL)
    return NULL;
  if (json_object_has_member (root, "format")
      && g_strcmp0 (json_object_get_string_member_with_default (root, "format", ""), FORMAT_NAME)
           != 0)
    {
      dm_error_corrupt (error, path, "not a Dinomaly Studio project file");
      return NULL;
    }
  version = json_object_get_int_member_with_default (root, "version", 0);
  if (version > DM_PROJECT_VERSION)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                   "%s was written by a newer Dinomaly Studio (project version %" G_GINT64_FORMAT
                   ", this version reads up to %d): update Dinomaly Studio to open it",
                   path, version, DM_PROJECT_VERSION);
      return NULL;
    }
  if (version < 1)
    {
      upgrade_from_0 (root);
      upgraded = TRUE;
    }

  p->name = dm_json_dup_string (root, "name");
  p->created = dm_json_dup_string (root, "created");
  p->modified = dm_json_dup_string (root, "modified");
  if (!read_classes (p, root, path, error))
    return NULL;
  backbone = dm_json_object (root, "backbone");
  if (backbone != NULL)
    {
      p->backbone_kind = dm_json_dup_string (backbone, "kind");
      p->backbone_path = dm_json_dup_string (backbone, "path");
      p->backbone_sha256 = dm_json_dup_string (backbone, "sha256");
      p->backbone_arch = dm_json_dup_string (backbone, "arch");
    }
  training = dm_json_object (root, "training");
  if (training != NULL)
    {
      JsonObject *settings = dm_json_object (training, "settings");
      char *preset = dm_json_dup_string (training, "preset");

      if (preset != NULL)
        {
          g_free (p->preset);
          p->preset = preset;
        }
      if (settings != NULL)
        {
          json_object_unref (p->settings);
          p->settings = json_object_ref (settings);
        }
    }
  p->model = dm_json_dup_string (root, "model");
  read_labels (p, root);
  if (!dm_project_versions_read (p, root, path, error))
    return NULL;
  dm_project_line_read (p->line, dm_json_object (root, "line"));
  /* version 1 trained one model.dinomaly: it is version 1 now */
  if (version < 2)
    {
      dm_project_versions_upgrade (p);
      upgraded = TRUE;
    }
  if (p->name == NULL)
    p->name = g_path_get_basename (p->folder);

  if (!ensure_subfolders (p, error))
    return NULL;
  if (upgraded && !dm_project_save (p, error))
    return NULL;
  return g_steal_pointer (&p);
}

/* ---- classes and labels ---- */

DmProjectClass *
dm_project_find_class (DmProject *p, const char *name)
{
  for (guint i = 0; i < p->classes->len; i++)
    {
      DmProjectClass *c = g_ptr_array_index (p->classes, i);
      if (g_strcmp0 (c->name, name) == 0)
        return c;
    }
  return NULL;
}

gboolean
dm_project_add_class (DmProject *p, DmProjectClass *klass, GError **error)
{
  if (klass->name == NULL || klass->name[0] == '\0')
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "A class needs a name");
      return FALSE;
    }
  if (dm_project_find_class (p, klass->name) != NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "The project already has a class \"%s\"",
                   klass->name);
      return FALSE;
    }
  g_ptr_array_add (p->classes, klass);
  return TRUE;
}

DmProjectClass *
dm_project_remove_class (DmProject *p, const char *name)
{
  for (guint i = 0; i < p->classes->len; i++)
    {
      DmProjectClass *c = g_ptr_array_index (p->classes, i);
      if (g_strcmp0 (c->name, name) == 0)
        return g_ptr_array_steal_index (p->classes, i);
    }
  return NULL;
}

void
dm_project_insert_class (DmProject *p, DmProjectClass *klass, guint index)
{
  g_ptr_array_insert (p->classes, MIN (index, p->classes->len), klass);
}

void
dm_project_set_label (DmProject *p, const char *image_path, DmUserLabel label)
{
  if (label == DM_USER_LABEL_NONE)
    g_hash_table_remove (p->labels, image_path);
  else
    g_hash_table_insert (p->labels, g_strdup (image_path), GINT_TO_POINTER (label));
}

DmUserLabel
dm_project_get_label (DmProject *p, const char *image_path)
{
  return GPOINTER_TO_INT (g_hash_table_lookup (p->labels, image_path));
}

char *
dm_project_mask_path (const DmProject *p, const char *class_name, const char *image_path)
{
  g_autofree char *base = g_path_get_basename (image_path);
  g_autofree char *dir = g_path_get_dirname (image_path);
  g_autofree char *type = g_path_get_basename (dir);
  char *dot = strrchr (base, '.');
  g_autofree char *name = NULL;

  if (dot != NULL && dot != base)
    *dot = '\0';
  name = g_strdup_printf ("%s_mask.png", base);
  /* test images of different defect types share names (000.png...): the
   * image's folder keeps their masks apart, as MVTec's ground_truth/<type> */
  return g_build_filename (p->folder, "masks", class_name, type, name, NULL);
}
