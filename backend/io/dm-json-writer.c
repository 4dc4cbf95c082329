/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The project's JSON writer: shortest round-trip numbers, no NaN. */
#include "dm-json-writer.h"

#include <math.h>
#include <string.h>

#include "dm-file-util.h"

#define MAX_DEPTH 64

struct _DmJsonWriter
{
  GString *text;
  gboolean pretty;
  int depth;
  guint count[MAX_DEPTH + 1]; /* values written in each open container */
  gboolean after_key;         /* the next value is a member's */
  int inline_from;            /* containers from this depth on are on one line (0: none) */
};

static gboolean
is_inline (const DmJsonWriter *w)
{
  return w->inline_from > 0 && w->depth >= w->inline_from;
}

DmJsonWriter *
dm_json_writer_new (gboolean pretty)
{
  DmJsonWriter *w = g_new0 (DmJsonWriter, 1);

  w->text = g_string_new (NULL);
  w->pretty = pretty;
  return w;
}

void
dm_json_writer_free (DmJsonWriter *w)
{
  if (w == NULL)
    return;
  g_string_free (w->text, TRUE);
  g_free (w);
}

static void
newline (DmJsonWriter *w)
{
  g_string_append_c (w->text, '\n');
  for (int i = 0; i < w->depth; i++)
    g_string_append (w->text, "  ");
}

/* The separator before a value or a member: a comma after the first, and
 * in pretty form a new line at the container's indent. */
static void
before_value (DmJsonWriter *w)
{
  if (w->after_key)
    {
      w->after_key = FALSE;
      return;
    }
  if (w->depth == 0)
    return;
  if (w->count[w->depth]++ > 0)
    g_string_append (w->text, w->pretty && is_inline (w) ? ", " : ",");
  if (w->pretty && !is_inline (w))
    newline (w);
}

static void
begin (DmJsonWriter *w, char c)
{
  before_value (w);
  g_string_append_c (w->text, c);
  g_return_if_fail (w->depth < MAX_DEPTH);
  w->count[++w->depth] = 0;
}

static void
end (DmJsonWriter *w, char c)
{
  gboolean empty, inl;

  g_return_if_fail (w->depth > 0);
  empty = w->count[w->depth] == 0;
  inl = is_inline (w);
  w->depth--;
  if (w->pretty && !empty && !inl)
    newline (w);
  g_string_append_c (w->text, c);
  if (w->depth < w->inline_from)
    w->inline_from = 0;
}

void
dm_json_writer_begin_object (DmJsonWriter *w)
{
  begin (w, '{');
}

void
dm_json_writer_end_object (DmJsonWriter *w)
{
  end (w, '}');
}

void
dm_json_writer_begin_array (DmJsonWriter *w)
{
  begin (w, '[');
}

void
dm_json_writer_begin_inline_object (DmJsonWriter *w)
{
  begin (w, '{');
  if (w->inline_from == 0)
    w->inline_from = w->depth;
}

void
dm_json_writer_begin_inline_array (DmJsonWriter *w)
{
  begin (w, '[');
  if (w->inline_from == 0)
    w->inline_from = w->depth;
}

void
dm_json_writer_end_array (DmJsonWriter *w)
{
  end (w, ']');
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
dm_json_writer_key (DmJsonWriter *w, const char *key)
{
  before_value (w);
  dm_json_append_quoted (w->text, key);
  g_string_append (w->text, w->pretty ? ": " : ":");
  w->after_key = TRUE;
}

void
dm_json_writer_int (DmJsonWriter *w, gint64 value)
{
  before_value (w);
  g_string_append_printf (w->text, "%" G_GINT64_FORMAT, value);
}

/* The shortest of %.{lo..17}g that reads back to v (as a double, or as a
 * float when as_float). */
static void
append_shortest (GString *out, double v, int lo, gboolean as_float)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (v))
    {
      g_string_append (out, "null");
      return;
    }
  if (v == 0.0)
    v = 0.0; /* -0 (AUPRO's trapezoid can give it) reads better as 0 */
  for (int digits = lo; digits <= 17; digits++)
    {
      char format[8];
      double back;

      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buf, sizeof buf, format, v);
      back = g_ascii_strtod (buf, NULL);
      if (as_float ? (float)back == (float)v : back == v)
        break;
    }
  g_string_append (out, buf);
}

void
dm_json_append_number (GString *out, double value)
{
  append_shortest (out, value, 15, FALSE);
}

void
dm_json_writer_number (DmJsonWriter *w, double value)
{
  before_value (w);
  dm_json_append_number (w->text, value);
}

void
dm_json_writer_float (DmJsonWriter *w, float value)
{
  before_value (w);
  append_shortest (w->text, value, 1, TRUE);
}

void
dm_json_writer_string (DmJsonWriter *w, const char *value)
{
  before_value (w);
  dm_json_append_quoted (w->text, value);
}

void
dm_json_writer_bool (DmJsonWriter *w, gboolean value)
{
  before_value (w);
  g_string_append (w->text, value ? "true" : "false");
}

void
dm_json_writer_null (DmJsonWriter *w)
{
  before_value (w);
  g_string_append (w->text, "null");
}

void
dm_json_writer_raw (DmJsonWriter *w, const char *json)
{
  before_value (w);
  g_string_append (w->text, json);
}

void
dm_json_writer_node (DmJsonWriter *w, JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      dm_json_writer_null (w);
      return;
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      dm_json_writer_begin_object (w);
      json_object_iter_init_ordered (&iter, json_node_get_object (node));
      while (json_object_iter_next_ordered (&iter, &name, &member))
        {
          dm_json_writer_key (w, name);
          dm_json_writer_node (w, member);
        }
      dm_json_writer_end_object (w);
      return;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);

      dm_json_writer_begin_array (w);
      for (guint i = 0; i < json_array_get_length (a); i++)
        dm_json_writer_node (w, json_array_get_element (a, i));
      dm_json_writer_end_array (w);
      return;
    }
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64: dm_json_writer_int (w, json_node_get_int (node)); break;
    case G_TYPE_DOUBLE: dm_json_writer_number (w, json_node_get_double (node)); break;
    case G_TYPE_BOOLEAN: dm_json_writer_bool (w, json_node_get_boolean (node)); break;
    case G_TYPE_STRING: dm_json_writer_string (w, json_node_get_string (node)); break;
    default: dm_json_writer_null (w); break;
    }
}

void
dm_json_writer_member_int (DmJsonWriter *w, const char *key, gint64 value)
{
  dm_json_writer_key (w, key);
  dm_json_writer_int (w, value);
}

void
dm_json_writer_member_number (DmJsonWriter *w, const char *key, double value)
{
  dm_json_writer_key (w, key);
  dm_json_writer_number (w, value);
}

void
dm_json_writer_member_string (DmJsonWriter *w, const char *key, const char *value)
{
  dm_json_writer_key (w, key);
  dm_json_writer_string (w, value);
}

void
dm_json_writer_member_bool (DmJsonWriter *w, const char *key, gboolean value)
{
  dm_json_writer_key (w, key);
  dm_json_writer_bool (w, value);
}

const char *
dm_json_writer_get_text (DmJsonWriter *w)
{
  if (w->pretty && w->depth == 0 && w->text->len > 0 && w->text->str[w->text->len - 1] != '\n')
    g_string_append_c (w->text, '\n');
  return w->text->str;
}

char *
dm_json_writer_free_to_text (DmJsonWriter *w)
{
  char *text;

  dm_json_writer_get_text (w);
  text = g_string_free (w->text, FALSE);
  g_free (w);
  return text;
}

gboolean
dm_json_writer_write_file (DmJsonWriter *w, const char *path, GError **error)
{
  const char *text = dm_json_writer_get_text (w);

  return dm_file_set_contents_atomic (path, text, strlen (text), error);
}
