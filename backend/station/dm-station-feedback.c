/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A station's uncertain parts and kept passes into a project's feedback
 * store (dm-station-feedback.h). */
#include "dm-station-feedback.h"

#include <string.h>

#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-journal.h"
#include "dm-part.h"
#include "dm-project-feedback.h"
#include "dm-project.h"

/* the largest kept picture copied into the project */
#define MAX_COPY ((gsize)256 << 20)

static char *
journal_key (const char *journal)
{
  g_autofree char *canonical = g_canonicalize_filename (journal, NULL);
  g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canonical, -1);

  return g_strndup (sum, 12);
}

char *
dm_station_feedback_id (const char *journal, const char *part_id)
{
  g_autofree char *key = journal_key (journal);

  return g_strdup_printf ("%s@%s", part_id, key);
}

/* journal/<rel> into project/feedback/parts/<name><suffix of rel>;
 * returns the copy's path relative to the project. */
static char *
copy_in (const char *project_folder,
         const char *journal,
         const char *rel,
         const char *name,
         GError **error)
{
  g_autofree char *from = NULL, *to_rel = NULL, *to = NULL, *data = NULL;
  const char *dot;
  gsize len;

  if (g_path_is_absolute (rel) || strstr (rel, "..") != NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: a kept file outside the journal: %s",
                   journal, rel);
      return NULL;
    }
  from = g_build_filename (journal, rel, NULL);
  dot = strrchr (rel, '.');
  to_rel = g_strconcat (DM_FEEDBACK_FOLDER G_DIR_SEPARATOR_S "parts" G_DIR_SEPARATOR_S, name,
                        dot != NULL && strchr (dot, G_DIR_SEPARATOR) == NULL ? dot : "", NULL);
  to = g_build_filename (project_folder, to_rel, NULL);
  if (!dm_file_read_regular (from, MAX_COPY, &data, &len, error) || !dm_file_make_parent (to, error)
      || !dm_file_set_contents_atomic (to, data, len, error))
    return NULL;
  return g_steal_pointer (&to_rel);
}

/* A file name from an id: letters, digits, '-', '_', '.' kept. */
static char *
file_name (const char *id)
{
  char *name = g_strdup (id);

  for (char *c = name; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '_' && *c != '.')
      *c = '_';
  return name;
}

static DmFeedbackEvent *
arrived (const char *project_folder, const char *journal, const DmPart *p, GError **error)
{
  g_autoptr (DmFeedbackEvent) e = NULL;
  g_autofree char *id = dm_station_feedback_id (journal, p->id);
  g_autofree char *name = file_name (id);
  g_autofree char *map_name = g_strconcat (name, "_map", NULL);

  e = dm_feedback_event_new (DM_FEEDBACK_ARRIVED, id);
  e->time_us = p->acquired_us;
  e->class_name = g_strdup (p->class_name);
  e->image = copy_in (project_folder, journal, p->image, name, error);
  if (e->image == NULL)
    return NULL;
  e->map = copy_in (project_folder, journal, p->map, map_name, error);
  if (e->map == NULL)
    return NULL;
  e->score = p->score;
  e->decision = p->decision;
  e->thresholds = p->thresholds;
  e->model_sha256 = g_strdup (p->model_sha256);
  e->model_version = p->model_version;
  e->source = g_strdup (p->source);
  return g_steal_pointer (&e);
}

gboolean
dm_station_feedback_import (const char *project_folder,
                            const char *journal,
                            guint *n_new,
                            GError **error)
{
  g_autoptr (DmProject) project = dm_project_open (project_folder, error);
  g_autofree char *key = journal_key (journal);
  g_autofree char *cursor_name = g_strconcat (key, ".json", NULL);
  g_autofree char *cursor = NULL;
  g_autoptr (DmJournalReader) reader = NULL;
  g_autoptr (GString) line = g_string_new (NULL);
  g_autoptr (GPtrArray) events
    = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_feedback_event_free);
  g_autoptr (GError) failed = NULL;
  DmJournalPosition position, after;

  if (n_new != NULL)
    *n_new = 0;
  if (project == NULL)
    return FALSE;
  cursor = g_build_filename (project_folder, DM_FEEDBACK_FOLDER, "cursors", cursor_name, NULL);
  if (!dm_journal_cursor_load (cursor, &position, error))
    return FALSE;
  reader = dm_journal_reader_new (journal, &position);
  while (dm_journal_reader_next (reader, NULL, line, &after, NULL) == DM_JOURNAL_READ_LINE)
    {
      g_autoptr (DmPart) p = dm_part_from_json (line->str, line->len, journal, NULL);

      if (p != NULL && !p->is_error && p->decision != DM_DECISION_FAIL && p->image != NULL
          && p->map != NULL && dm_project_find_class (project, p->class_name) != NULL)
        {
          DmFeedbackEvent *e = arrived (project_folder, journal, p, &failed);

          if (e == NULL)
            break;
          g_ptr_array_add (events, e);
        }
      position = after;
    }
  /* what arrived counts before the cursor moves past it */
  if (events->len > 0
      && !dm_feedback_append (project_folder, (DmFeedbackEvent *const *)events->pdata, events->len,
                              error))
    return FALSE;
  if (n_new != NULL)
    *n_new = events->len;
  if (!dm_file_make_parent (cursor, error)
      || !dm_journal_cursor_save (cursor, journal, &position, error))
    return FALSE;
  /* the parts before the one that could not be copied are in */
  if (failed != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&failed));
      return FALSE;
    }
  return TRUE;
}
