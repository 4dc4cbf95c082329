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

void
dm_json_add_string_or_null (JsonBuilder *b, const char *member, const char *value)
{
  json_builder_set_member_name (b, member);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

void
dm_json_add_number_or_null (JsonBuilder *b, const char *member, double value)
{
  json_builder_set_member_name (b, member);
  if (isfinite (value))
    json_builder_add_double_value (b, value);
  else
    json_builder_add_null_value (b);
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

char *
dm_json_builder_to_text (JsonBuilder *builder)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  text = json_generator_to_data (gen, NULL);
  return g_strconcat (text, "\n", NULL);
}

gboolean
dm_json_write_atomic (JsonBuilder *builder, const char *path, GError **error)
{
  g_autofree char *text = dm_json_builder_to_text (builder);

  return dm_file_set_contents_atomic (path, text, strlen (text), error);
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

void
dm_json_append_quoted (GString *out, const char *text)
{
  g_autofree char *valid = NULL;

  if (text == NULL)
    {
      g_string_append (out, "null");
      return;
    }
  valid = g_utf8_make_valid (text, -1);
  g_string_append_c (out, '"');
  for (const char *p = valid; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (out, "\\%c", *p);
      else if ((guchar)*p < 0x20)
        g_string_append_printf (out, "\\u%04x", (guchar)*p);
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

void
dm_json_append_number (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (v))
    {
      g_string_append (out, "null");
      return;
    }
  if (v == 0.0)
    v = 0.0; /* -0 (AUPRO's trapezoid can give it) reads better as 0 */
  for (int digits = 15; digits <= 17; digits++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buf, sizeof buf, format, v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (out, buf);
}

void
dm_json_append_double (GString *out, const char *name, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (out, "%s\"%s\":%s", out->len > 1 ? "," : "", name,
                          g_ascii_formatd (buf, sizeof buf, "%.17g", value));
}

void
dm_json_append_int (GString *out, const char *name, gint64 value)
{
  g_string_append_printf (out, "%s\"%s\":%" G_GINT64_FORMAT, out->len > 1 ? "," : "", name, value);
}

void
dm_json_append_string (GString *out, const char *name, const char *value)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_VALUE);
  g_autofree char *text = NULL;

  json_node_set_string (node, value != NULL ? value : "");
  text = json_to_string (node, FALSE);
  g_string_append_printf (out, "%s\"%s\":%s", out->len > 1 ? "," : "", name, text);
}
