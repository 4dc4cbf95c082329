/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A part's journal record, written and read back (dm-part.h). */
#include "dm-part.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-json-util.h"
#include "dm-json-writer.h"

DmPart *
dm_part_new (void)
{
  DmPart *part = g_new0 (DmPart, 1);

  part->file_size = -1;
  part->frame = -1;
  part->score = NAN;
  dm_thresholds_init (&part->thresholds);
  return part;
}

void
dm_part_free (DmPart *part)
{
  if (part == NULL)
    return;
  g_free (part->id);
  g_free (part->source);
  g_free (part->class_name);
  g_free (part->file);
  g_free (part->reason);
  g_free (part->note);
  g_free (part->model_sha256);
  g_free (part->image);
  g_free (part->map);
  g_free (part->moved_to);
  g_free (part);
}

const char *
dm_part_decision_name (const DmPart *part)
{
  return part->is_error ? "error" : dm_decision_name (part->decision);
}

char *
dm_part_format_time (gint64 us)
{
  return dm_json_format_time_us (us);
}

/* ---- writing ----------------------------------------------------------- */

/* A member only when there is a value: records stay short. */
static void
add_string (DmJsonWriter *w, const char *name, const char *value)
{
  if (value != NULL)
    dm_json_writer_member_string (w, name, value);
}

static void
add_time (DmJsonWriter *w, const char *name, gint64 us)
{
  g_autofree char *text = dm_part_format_time (us);

  dm_json_writer_member_string (w, name, text);
}

char *
dm_part_to_json (const DmPart *p)
{
  DmJsonWriter *w = dm_json_writer_new (FALSE);

  dm_json_writer_begin_object (w);
  add_string (w, "id", p->id);
  dm_json_writer_member_int (w, "seq", (gint64)p->seq);
  add_string (w, "source", p->source);
  add_string (w, "class", p->class_name);
  if (p->file != NULL)
    {
      add_string (w, "file", p->file);
      dm_json_writer_member_int (w, "file_size", p->file_size);
      dm_json_writer_member_int (w, "file_mtime_us", p->file_mtime_us);
    }
  if (p->frame >= 0)
    dm_json_writer_member_int (w, "frame", p->frame);
  add_time (w, "acquired", p->acquired_us);
  add_time (w, "decided", p->decided_us);
  dm_json_writer_member_number (w, "score", p->is_error ? NAN : p->score);
  add_string (w, "decision", dm_part_decision_name (p));
  if (p->is_error)
    {
      g_autofree char *reason
        = g_strndup (p->reason != NULL ? p->reason : "unknown error", DM_PART_MAX_REASON);

      add_string (w, "reason", reason);
    }
  else
    dm_verdict_write_members (w, &p->verdict);
  add_string (w, "note", p->note);
  dm_json_writer_key (w, "thresholds");
  dm_json_writer_begin_object (w);
  dm_json_writer_member_number (w, "image", p->thresholds.image);
  dm_json_writer_member_number (w, "uncertain_low", p->thresholds.uncertain_low);
  dm_json_writer_member_number (w, "uncertain_high", p->thresholds.uncertain_high);
  dm_json_writer_end_object (w);
  add_string (w, "model_sha256", p->model_sha256);
  if (p->model_version > 0)
    dm_json_writer_member_int (w, "model_version", p->model_version);
  if (p->width > 0 && p->height > 0)
    {
      dm_json_writer_member_int (w, "width", p->width);
      dm_json_writer_member_int (w, "height", p->height);
    }
  add_string (w, "image", p->image);
  add_string (w, "map", p->map);
  add_string (w, "moved_to", p->moved_to);
  dm_json_writer_end_object (w);
  return dm_json_writer_free_to_text (w);
}

/* ---- reading ----------------------------------------------------------- */

static gint64
int_member (JsonObject *o, const char *name, gint64 fallback)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (n);
}

/* A string member, or NULL when it is missing or of another type. */
static const char *
string_member (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gint64
time_member (JsonObject *o, const char *name)
{
  gint64 us = 0;

  return dm_json_parse_time_us (string_member (o, name), &us) ? us : 0;
}

static gboolean
decision_from_name (const char *name, DmPart *p)
{
  static const DmDecision decisions[]
    = { DM_DECISION_PASS, DM_DECISION_UNCERTAIN, DM_DECISION_FAIL };

  if (g_strcmp0 (name, "error") == 0)
    {
      p->is_error = TRUE;
      return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (decisions); i++)
    if (g_strcmp0 (name, dm_decision_name (decisions[i])) == 0)
      {
        p->decision = decisions[i];
        return TRUE;
      }
  return FALSE;
}

DmPart *
dm_part_from_json (const char *line, gsize len, const char *what, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (DmPart) p = dm_part_new ();
  JsonObject *o, *t;
  gint64 seq;

  if (what == NULL)
    what = "journal record";
  o = dm_json_parse_line_object (parser, line, len, DM_PART_MAX_LINE, what, error);
  if (o == NULL)
    return NULL;
  seq = int_member (o, "seq", -1);
  p->id = dm_json_dup_string (o, "id");
  if (seq < 1 || p->id == NULL || !decision_from_name (string_member (o, "decision"), p))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT,
                   "%s: not a part record (id, seq >= 1 and decision are required)", what);
      return NULL;
    }
  p->seq = (guint64)seq;
  p->source = dm_json_dup_string (o, "source");
  p->class_name = dm_json_dup_string (o, "class");
  p->file = dm_json_dup_string (o, "file");
  p->file_size = int_member (o, "file_size", -1);
  p->file_mtime_us = int_member (o, "file_mtime_us", 0);
  p->frame = int_member (o, "frame", -1);
  p->acquired_us = time_member (o, "acquired");
  p->decided_us = time_member (o, "decided");
  p->score = (float)dm_json_number (o, "score", NAN);
  p->reason = dm_json_dup_string (o, "reason");
  p->note = dm_json_dup_string (o, "note");
  dm_verdict_read_members (o, &p->verdict);
  p->verdict.score = p->score;
  p->verdict.decision = p->decision;
  t = dm_json_object (o, "thresholds");
  p->thresholds.image = dm_json_number (t, "image", NAN);
  p->thresholds.uncertain_low = dm_json_number (t, "uncertain_low", NAN);
  p->thresholds.uncertain_high = dm_json_number (t, "uncertain_high", NAN);
  p->model_sha256 = dm_json_dup_string (o, "model_sha256");
  p->model_version = (guint)CLAMP (int_member (o, "model_version", 0), 0, G_MAXINT);
  p->width = (int)CLAMP (int_member (o, "width", 0), 0, G_MAXINT);
  p->height = (int)CLAMP (int_member (o, "height", 0), 0, G_MAXINT);
  p->image = dm_json_dup_string (o, "image");
  p->map = dm_json_dup_string (o, "map");
  p->moved_to = dm_json_dup_string (o, "moved_to");
  return g_steal_pointer (&p);
}
