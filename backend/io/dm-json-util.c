/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Small json-glib helpers shared by the project's JSON files. */
#include "dm-json-util.h"

#include <gio/gio.h>
#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-file-util.h"

char *
dm_json_now_iso8601 (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
}

char *
dm_json_format_time_us (gint64 us)
{
  g_autoptr (GDateTime) t = NULL;
  g_autofree char *seconds = NULL;

  /* before 1970 is no time a record was made */
  us = MAX (us, 0);
  t = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
  if (t == NULL)
    return g_strdup ("1970-01-01T00:00:00.000000Z");
  seconds = g_date_time_format (t, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%06dZ", seconds, (int)(us % G_USEC_PER_SEC));
}

gboolean
dm_json_parse_time_us (const char *text, gint64 *us)
{
  g_autoptr (GDateTime) t = text != NULL ? g_date_time_new_from_iso8601 (text, NULL) : NULL;

  if (t == NULL)
    return FALSE;
  *us = g_date_time_to_unix (t) * G_USEC_PER_SEC + g_date_time_get_microsecond (t);
  return TRUE;
}

char *
dm_json_dup_string (JsonObject *o, const char *member)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, member) : NULL;

  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE
      || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (n));
}

double
dm_json_number (JsonObject *o, const char *member, double fallback)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, member) : NULL;

  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE)
    return fallback;
  switch (json_node_get_value_type (n))
    {
    case G_TYPE_DOUBLE: return json_node_get_double (n);
    case G_TYPE_INT64: return (double)json_node_get_int (n);
    default: return fallback;
    }
}

JsonObject *
dm_json_object (JsonObject *o, const char *member)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, member) : NULL;
  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

JsonParser *
dm_json_load_object (const char *path, JsonObject **root, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: no such file", path);
      return NULL;
    }
  if (!json_parser_load_from_mapped_file (parser, path, &local))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: not valid JSON: %s", path,
                   local->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: the top level is not an object", path);
      return NULL;
    }
  *root = json_node_get_object (json_parser_get_root (parser));
  return g_steal_pointer (&parser);
}

gboolean
dm_json_depth_within (const char *text, gsize len, int max_depth)
{
  gboolean in_string = FALSE;
  int depth = 0;

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > max_depth)
            return FALSE;
        }
      else if (c == ']' || c == '}')
        depth--;
    }
  return TRUE;
}

JsonObject *
dm_json_parse_line_object (
  JsonParser *parser, const char *line, gsize len, gsize max_len, const char *what, GError **error)
{
  g_autoptr (GError) local = NULL;
  JsonNode *root;

  if (len > max_len)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE, "%s: longer than %" G_GSIZE_FORMAT " bytes",
                   what, max_len);
      return NULL;
    }
  /* json-glib recurses once per level: a line of brackets must not */
  if (!dm_json_depth_within (line, len, 16))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: nested too deeply", what);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, line, (gssize)len, &local))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: not JSON: %s", what, local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: not a JSON object", what);
      return NULL;
    }
  return json_node_get_object (root);
}
