/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A project's inspection station settings in project.json
 * (dm-project-line.h). */
#include "dm-project-line.h"

#include "dm-json-util.h"

static void
line_source_free (DmLineSource *s)
{
  g_free (s->class_name);
  g_free (s->uri);
  g_free (s);
}

DmProjectLine *
dm_project_line_new (void)
{
  DmProjectLine *line = g_new0 (DmProjectLine, 1);

  line->sources = g_ptr_array_new_with_free_func ((GDestroyNotify)line_source_free);
  line->sinks = g_ptr_array_new_with_free_func (g_free);
  return line;
}

void
dm_project_line_free (DmProjectLine *line)
{
  if (line == NULL)
    return;
  g_ptr_array_unref (line->sources);
  g_ptr_array_unref (line->sinks);
  g_free (line->journal);
  g_free (line->attached);
  g_free (line);
}

void
dm_project_line_add_source (DmProjectLine *line, const char *class_name, const char *uri)
{
  DmLineSource *s = g_new0 (DmLineSource, 1);

  s->class_name = g_strdup (class_name);
  s->uri = g_strdup (uri);
  g_ptr_array_add (line->sources, s);
}

void
dm_project_line_write (DmJsonWriter *w, const DmProjectLine *line)
{
  dm_json_writer_begin_object (w);
  dm_json_writer_key (w, "sources");
  dm_json_writer_begin_array (w);
  for (guint i = 0; i < line->sources->len; i++)
    {
      const DmLineSource *s = line->sources->pdata[i];

      dm_json_writer_begin_inline_object (w);
      dm_json_writer_member_string (w, "class", s->class_name);
      dm_json_writer_member_string (w, "uri", s->uri);
      dm_json_writer_end_object (w);
    }
  dm_json_writer_end_array (w);
  dm_json_writer_key (w, "sinks");
  dm_json_writer_begin_array (w);
  for (guint i = 0; i < line->sinks->len; i++)
    dm_json_writer_string (w, line->sinks->pdata[i]);
  dm_json_writer_end_array (w);
  dm_json_writer_member_string (w, "journal", line->journal);
  dm_json_writer_member_int (w, "keep_passes", line->keep_passes);
  dm_json_writer_member_string (w, "station", line->attached);
  dm_json_writer_end_object (w);
}

static JsonArray *
array_member (JsonObject *o, const char *member)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, member) : NULL;

  return n != NULL && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

void
dm_project_line_read (DmProjectLine *line, JsonObject *o)
{
  JsonArray *sources = array_member (o, "sources");
  JsonArray *sinks = array_member (o, "sinks");
  double keep = dm_json_number (o, "keep_passes", 0);

  for (guint i = 0; sources != NULL && i < json_array_get_length (sources); i++)
    {
      JsonNode *n = json_array_get_element (sources, i);
      g_autofree char *klass = NULL, *uri = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (n))
        continue;
      klass = dm_json_dup_string (json_node_get_object (n), "class");
      uri = dm_json_dup_string (json_node_get_object (n), "uri");
      if (klass != NULL && uri != NULL && uri[0] != '\0')
        dm_project_line_add_source (line, klass, uri);
    }
  for (guint i = 0; sinks != NULL && i < json_array_get_length (sinks); i++)
    {
      JsonNode *n = json_array_get_element (sinks, i);

      if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
        g_ptr_array_add (line->sinks, g_strdup (json_node_get_string (n)));
    }
  g_free (line->journal);
  line->journal = dm_json_dup_string (o, "journal");
  line->keep_passes = keep >= 0 && keep <= G_MAXINT ? (guint)keep : 0;
  g_free (line->attached);
  line->attached = dm_json_dup_string (o, "station");
}

char *
dm_project_line_journal (const DmProject *p)
{
  const char *journal = p->line->journal != NULL ? p->line->journal : DM_PROJECT_LINE_JOURNAL;

  if (g_path_is_absolute (journal))
    return g_strdup (journal);
  return g_build_filename (p->folder, journal, NULL);
}

char *
dm_project_line_followed_journal (const DmProject *p)
{
  if (p->line->attached != NULL)
    return g_strdup (p->line->attached);
  return dm_project_line_journal (p);
}
