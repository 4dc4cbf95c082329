/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Real-IAD split files (realiad_jsons/realiad_jsons/CLASS.json): the form
 * comes from the official Dinomaly code's RealIADDataset (dataset.py) and
 * the Real-IAD release; see dm-realiad-json.h. */
#include "dm-realiad-json.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "dm-error.h"

void
dm_realiad_entry_free (DmRealiadEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->anomaly_class);
  g_free (entry->image_path);
  g_free (entry->mask_path);
  g_free (entry->problem);
  g_free (entry);
}

/* A path a split file may name: relative, every component a real name. */
static gboolean
safe_relative (const char *path)
{
  g_auto (GStrv) parts = NULL;

  if (path[0] == '\0' || path[0] == '/' || strchr (path, '\\') != NULL)
    return FALSE;
  parts = g_strsplit (path, "/", -1);
  for (char **p = parts; *p != NULL; p++)
    if (strcmp (*p, "..") == 0)
      return FALSE;
  return TRUE;
}

/* A string member, "" when it is JSON null, NULL when absent or of another type. */
static const char *
string_member (JsonObject *o, const char *member, gboolean *is_null)
{
  JsonNode *n = json_object_get_member (o, member);

  *is_null = n != NULL && JSON_NODE_HOLDS_NULL (n);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static DmRealiadEntry *
read_entry (JsonNode *node, DmSplit split, guint index)
{
  DmRealiadEntry *e = g_new0 (DmRealiadEntry, 1);
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  const char *cls, *image, *mask;
  gboolean cls_null, image_null, mask_null;

  e->split = split;
  e->index = index;
  if (o == NULL)
    {
      e->problem = g_strdup ("not an object: skipped");
      return e;
    }
  cls = string_member (o, "anomaly_class", &cls_null);
  image = string_member (o, "image_path", &image_null);
  mask = string_member (o, "mask_path", &mask_null);
  if (cls == NULL || cls[0] == '\0')
    e->problem = g_strdup ("no \"anomaly_class\" string: skipped");
  else if (image == NULL || !safe_relative (image))
    e->problem = g_strdup ("\"image_path\" is not a relative path inside the class's folder: "
                           "skipped");
  else if (mask == NULL && !mask_null && json_object_has_member (o, "mask_path"))
    e->problem = g_strdup ("\"mask_path\" is neither a string nor null: skipped");
  else if (mask != NULL && mask[0] != '\0' && !safe_relative (mask))
    e->problem = g_strdup ("\"mask_path\" is not a relative path inside the class's folder: "
                           "skipped");
  else if (split == DM_SPLIT_TRAIN && strcmp (cls, "OK") != 0)
    e->problem
      = g_strdup_printf ("an anomalous image (\"%s\") in the training split: skipped", cls);
  if (e->problem != NULL)
    return e;
  e->anomaly_class = g_strdup (cls);
  e->image_path = g_strdup (image);
  e->mask_path = mask != NULL && mask[0] != '\0' ? g_strdup (mask) : NULL;
  return e;
}

GPtrArray *
dm_realiad_parse (const char *text, gsize length, const char *name, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GPtrArray) entries
    = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_realiad_entry_free);
  g_autoptr (GError) local = NULL;
  static const char *const splits[] = { "train", "test" };
  JsonNode *root;
  JsonObject *o;
  gboolean any = FALSE;

  if (length > DM_REALIAD_MAX_JSON_BYTES)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE,
                   "%s: %" G_GSIZE_FORMAT " bytes, more than a Real-IAD split file has", name,
                   length);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, text, (gssize)length, &local))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: not JSON: %s", name, local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  o = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  for (guint s = 0; o != NULL && s < G_N_ELEMENTS (splits); s++)
    {
      JsonNode *n = json_object_get_member (o, splits[s]);
      JsonArray *a;

      if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n))
        continue;
      any = TRUE;
      a = json_node_get_array (n);
      for (guint i = 0; i < json_array_get_length (a); i++)
        g_ptr_array_add (entries, read_entry (json_array_get_element (a, i),
                                              s == 0 ? DM_SPLIT_TRAIN : DM_SPLIT_TEST, i));
    }
  if (!any)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT,
                   "%s: not a Real-IAD split file: expected an object with \"train\" and "
                   "\"test\" arrays",
                   name);
      return NULL;
    }
  return g_steal_pointer (&entries);
}
