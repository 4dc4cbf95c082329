/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A project's audit trail, folder/audit.jsonl (dm-project-audit.h). */
#include "config.h"

#include "dm-project-audit.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "dm-error.h"
#include "dm-json-util.h"
#include "dm-json-writer.h"
#include "dm-jsonl.h"

DmAuditEntry *
dm_audit_entry_new (
  const char *action, const char *target, const char *value, const char *previous, guint version)
{
  DmAuditEntry *e = g_new0 (DmAuditEntry, 1);

  e->time_us = g_get_real_time ();
  e->user = g_strdup (g_get_user_name ());
  e->action = g_strdup (action);
  e->target = g_strdup (target);
  e->value = g_strdup (value);
  e->previous = g_strdup (previous);
  e->version = version;
  return e;
}

void
dm_audit_entry_free (DmAuditEntry *e)
{
  if (e == NULL)
    return;
  g_free (e->user);
  g_free (e->action);
  g_free (e->target);
  g_free (e->value);
  g_free (e->previous);
  g_free (e);
}

char *
dm_audit_entry_to_json (const DmAuditEntry *e)
{
  g_autoptr (DmJsonWriter) w = dm_json_writer_new (FALSE);
  g_autofree char *time = dm_json_format_time_us (e->time_us);

  dm_json_writer_begin_object (w);
  dm_json_writer_member_string (w, "time", time);
  dm_json_writer_member_string (w, "user", e->user);
  dm_json_writer_member_string (w, "action", e->action);
  dm_json_writer_member_string (w, "target", e->target);
  if (e->value != NULL)
    dm_json_writer_member_string (w, "value", e->value);
  if (e->previous != NULL)
    dm_json_writer_member_string (w, "previous", e->previous);
  if (e->version > 0)
    dm_json_writer_member_int (w, "version", e->version);
  dm_json_writer_end_object (w);
  return dm_json_writer_free_to_text (g_steal_pointer (&w));
}

DmAuditEntry *
dm_audit_entry_from_json (const char *line, gsize len, const char *what, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (DmAuditEntry) e = g_new0 (DmAuditEntry, 1);
  g_autofree char *time_text = NULL;
  gboolean has_time;
  JsonObject *o;
  double version;

  o = dm_json_parse_line_object (parser, line, len, DM_AUDIT_MAX_LINE, what, error);
  if (o == NULL)
    return NULL;
  time_text = dm_json_dup_string (o, "time");
  has_time = dm_json_parse_time_us (time_text, &e->time_us);
  e->user = dm_json_dup_string (o, "user");
  e->action = dm_json_dup_string (o, "action");
  e->target = dm_json_dup_string (o, "target");
  if (!has_time || e->user == NULL || e->action == NULL || e->target == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT,
                   "%s: not an audit record (time, user, action and target are required)", what);
      return NULL;
    }
  e->time_us = MAX (e->time_us, 0);
  e->value = dm_json_dup_string (o, "value");
  e->previous = dm_json_dup_string (o, "previous");
  version = dm_json_number (o, "version", 0);
  e->version = version >= 1 && version <= G_MAXUINT ? (guint)version : 0;
  return g_steal_pointer (&e);
}

gboolean
dm_audit_append (const char *project_folder, const DmAuditEntry *entry, GError **error)
{
  g_autofree char *path = g_build_filename (project_folder, DM_AUDIT_FILE, NULL);
  g_autofree char *line = dm_audit_entry_to_json (entry);
  const char *lines[] = { line };

  return dm_jsonl_append (path, lines, 1, error);
}

typedef struct
{
  GPtrArray *entries;
  guint skipped;
  const char *path;
} Read;

static gboolean
read_line (const char *line, gsize len, guint64 line_no, gpointer data, GError **error)
{
  Read *r = data;
  g_autofree char *what = g_strdup_printf ("%s:%" G_GUINT64_FORMAT, r->path, line_no);
  DmAuditEntry *e = dm_audit_entry_from_json (line, len, what, NULL);

  if (e == NULL)
    r->skipped++;
  else
    g_ptr_array_add (r->entries, e);
  return TRUE;
}

GPtrArray *
dm_audit_read (const char *project_folder, guint *n_skipped, GError **error)
{
  g_autofree char *path = g_build_filename (project_folder, DM_AUDIT_FILE, NULL);
  g_autofree char *display = g_filename_display_name (path);
  g_autoptr (GPtrArray) entries
    = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_audit_entry_free);
  Read r = { entries, 0, display };
  DmJsonlReadStats stats;

  if (!dm_jsonl_read (path, DM_AUDIT_MAX_LINE, read_line, &r, &stats, error))
    return NULL;
  if (n_skipped != NULL)
    *n_skipped = r.skipped + (guint)stats.too_long + (stats.torn ? 1 : 0);
  return g_steal_pointer (&entries);
}

const char *
dm_audit_action_title (const char *action)
{
  static const struct
  {
    const char *action;
    const char *title;
  } titles[] = {
    { DM_AUDIT_LABEL, N_ ("Labelled") },
    { DM_AUDIT_PAINT, N_ ("Painted a defect region") },
    { DM_AUDIT_THRESHOLD, N_ ("Changed thresholds") },
    { DM_AUDIT_TRAIN, N_ ("Trained a model version") },
    { DM_AUDIT_PROMOTE, N_ ("Promoted a model version") },
    { DM_AUDIT_ROLL_BACK, N_ ("Rolled back the model") },
    { DM_AUDIT_DELETE_VERSION, N_ ("Deleted a model version") },
    { DM_AUDIT_RESTORE_VERSION, N_ ("Restored a model version") },
    { DM_AUDIT_ADD_PART, N_ ("Added a line part") },
    { DM_AUDIT_CLASS_FOLDERS, N_ ("Changed a class’s folders") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    if (g_strcmp0 (action, titles[i].action) == 0)
      return _ (titles[i].title);
  return action;
}

/* Label values and the places a part goes, in words. */
static const char *
value_words (const char *value)
{
  if (g_strcmp0 (value, "good") == 0)
    return C_ ("verdict", "good");
  if (g_strcmp0 (value, "defect") == 0)
    return C_ ("verdict", "defect");
  if (g_strcmp0 (value, "none") == 0)
    return C_ ("verdict", "not labelled");
  if (g_strcmp0 (value, "train") == 0)
    return _ ("training images");
  if (g_strcmp0 (value, "test") == 0)
    return _ ("test images");
  return value;
}

char *
dm_audit_entry_describe_change (const DmAuditEntry *e)
{
  if (e->value == NULL)
    return NULL;
  if (e->previous == NULL)
    return g_strdup (value_words (e->value));
  return g_strdup_printf ("%s → %s", value_words (e->previous), value_words (e->value));
}

char *
dm_audit_entry_format_time (const DmAuditEntry *e)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (e->time_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  return local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M:%S") : g_strdup ("");
}
