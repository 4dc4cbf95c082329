/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The feedback store's events as JSON lines (dm-project-feedback.h). */
#include "dm-project-feedback.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-json-util.h"
#include "dm-json-writer.h"

static const char *const kinds[] = { "arrived", "added", "removed" };

DmFeedbackEvent *
dm_feedback_event_new (DmFeedbackEventKind kind, const char *id)
{
  DmFeedbackEvent *e = g_new0 (DmFeedbackEvent, 1);

  e->kind = kind;
  e->id = g_strdup (id);
  e->time_us = g_get_real_time ();
  e->score = NAN;
  dm_thresholds_init (&e->thresholds);
  return e;
}

void
dm_feedback_event_free (DmFeedbackEvent *e)
{
  if (e == NULL)
    return;
  g_free (e->id);
  g_free (e->class_name);
  g_free (e->image);
  g_free (e->map);
  g_free (e->model_sha256);
  g_free (e->source);
  g_free (e->user);
  g_free (e);
}

char *
dm_feedback_event_to_json (const DmFeedbackEvent *e)
{
  g_autoptr (DmJsonWriter) w = dm_json_writer_new (FALSE);
  g_autofree char *time = dm_json_format_time_us (e->time_us);

  dm_json_writer_begin_object (w);
  dm_json_writer_member_string (w, "event", kinds[e->kind]);
  dm_json_writer_member_string (w, "id", e->id);
  dm_json_writer_member_string (w, "time", time);
  if (e->kind == DM_FEEDBACK_ARRIVED)
    {
      dm_json_writer_member_string (w, "class", e->class_name);
      dm_json_writer_member_string (w, "image", e->image);
      dm_json_writer_member_string (w, "map", e->map);
      dm_json_writer_key (w, "score");
      dm_json_writer_float (w, e->score);
      dm_json_writer_member_string (w, "decision", dm_decision_name (e->decision));
      dm_json_writer_key (w, "thresholds");
      dm_json_writer_begin_object (w);
      dm_json_writer_member_number (w, "image", e->thresholds.image);
      dm_json_writer_member_number (w, "uncertain_low", e->thresholds.uncertain_low);
      dm_json_writer_member_number (w, "uncertain_high", e->thresholds.uncertain_high);
      dm_json_writer_end_object (w);
      dm_json_writer_member_string (w, "model_sha256", e->model_sha256);
      if (e->model_version > 0)
        dm_json_writer_member_int (w, "model_version", e->model_version);
      dm_json_writer_member_string (w, "source", e->source);
    }
  else
    {
      dm_json_writer_member_string (w, "user", e->user);
      if (e->kind == DM_FEEDBACK_ADDED)
        dm_json_writer_member_string (w, "label", e->defect ? "defect" : "good");
    }
  dm_json_writer_end_object (w);
  return dm_json_writer_free_to_text (g_steal_pointer (&w));
}

/* A path the store may open: relative, inside the project. */
static gboolean
inside (const char *path)
{
  g_auto (GStrv) parts = NULL;

  if (path == NULL || path[0] == '\0' || g_path_is_absolute (path))
    return FALSE;
  parts = g_strsplit (path, G_DIR_SEPARATOR_S, -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (strcmp (parts[i], "..") == 0)
      return FALSE;
  return TRUE;
}

static gboolean
decision_from_name (const char *name, DmDecision *d)
{
  for (DmDecision k = DM_DECISION_PASS; k <= DM_DECISION_FAIL; k++)
    if (g_strcmp0 (name, dm_decision_name (k)) == 0)
      {
        *d = k;
        return TRUE;
      }
  return FALSE;
}

static gboolean
read_arrived (DmFeedbackEvent *e, JsonObject *o)
{
  JsonObject *t = dm_json_object (o, "thresholds");
  g_autofree char *decision = dm_json_dup_string (o, "decision");
  double version = dm_json_number (o, "model_version", 0);
  double score = dm_json_number (o, "score", NAN);

  e->class_name = dm_json_dup_string (o, "class");
  e->image = dm_json_dup_string (o, "image");
  e->map = dm_json_dup_string (o, "map");
  /* a float, as written (a double beyond its range is none) */
  e->score = fabs (score) <= G_MAXFLOAT ? (float)score : NAN;
  e->thresholds.image = dm_json_number (t, "image", NAN);
  e->thresholds.uncertain_low = dm_json_number (t, "uncertain_low", NAN);
  e->thresholds.uncertain_high = dm_json_number (t, "uncertain_high", NAN);
  e->model_sha256 = dm_json_dup_string (o, "model_sha256");
  e->model_version = version >= 1 && version <= G_MAXINT ? (guint)version : 0;
  e->source = dm_json_dup_string (o, "source");
  return e->class_name != NULL && inside (e->image) && inside (e->map)
         && decision_from_name (decision, &e->decision);
}

DmFeedbackEvent *
dm_feedback_event_from_json (const char *line, gsize len, const char *what, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (DmFeedbackEvent) e = dm_feedback_event_new (DM_FEEDBACK_ARRIVED, NULL);
  g_autofree char *kind = NULL, *time = NULL, *label = NULL;
  JsonObject *o;
  gboolean ok;
  guint k;

  o = dm_json_parse_line_object (parser, line, len, DM_FEEDBACK_MAX_LINE, what, error);
  if (o == NULL)
    return NULL;
  kind = dm_json_dup_string (o, "event");
  for (k = 0; k < G_N_ELEMENTS (kinds) && g_strcmp0 (kind, kinds[k]) != 0; k++)
    ;
  e->kind = (DmFeedbackEventKind)k;
  e->id = dm_json_dup_string (o, "id");
  time = dm_json_dup_string (o, "time");
  ok = k < G_N_ELEMENTS (kinds) && e->id != NULL && e->id[0] != '\0'
       && dm_json_parse_time_us (time, &e->time_us);
  if (ok && e->kind == DM_FEEDBACK_ARRIVED)
    ok = read_arrived (e, o);
  else if (ok)
    {
      e->user = dm_json_dup_string (o, "user");
      label = dm_json_dup_string (o, "label");
      e->defect = g_strcmp0 (label, "defect") == 0;
      ok = e->user != NULL
           && (e->kind != DM_FEEDBACK_ADDED || e->defect || g_strcmp0 (label, "good") == 0);
    }
  if (!ok)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT,
                   "%s: not a feedback event (event, id, time and its members are required)", what);
      return NULL;
    }
  e->time_us = MAX (e->time_us, 0);
  return g_steal_pointer (&e);
}
