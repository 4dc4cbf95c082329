/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A project's audit trail: who (the user account) did what to the project
 * and when, in folder/audit.jsonl, append-only (dm-jsonl.h: one fsync'd
 * write per record, never rewritten; a record torn by a crash is cut). An
 * undone label is a new record, so nothing of the history is lost.
 *
 * One JSON object per line, members in this order:
 *   time      ISO 8601 UTC with microseconds ("2026-12-07T21:14:30.123456Z")
 *   user      the account that did it (g_get_user_name)
 *   action    what, one of DM_AUDIT_* below
 *   target    what it was done to: an image path (label, paint, add-part),
 *             a class name (threshold, class-folders), "N" for model
 *             version N (train, promote, roll-back, delete-version,
 *             restore-version)
 *   value     the new state ("good", "defect", "none"; "image=0.52 ..."
 *             for thresholds; the version now active...), or absent
 *   previous  the state before, or absent
 *   version   the active model version at the time (absent: none)
 *
 * Readers ignore members they do not know. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DM_AUDIT_FILE "audit.jsonl"
/* the longest line read back: records are a few hundred bytes */
#define DM_AUDIT_MAX_LINE 16384

/* actions */
#define DM_AUDIT_LABEL "label"                     /* a verdict on an image */
#define DM_AUDIT_PAINT "paint"                     /* a defect region painted or erased */
#define DM_AUDIT_THRESHOLD "threshold"             /* a class's thresholds moved */
#define DM_AUDIT_TRAIN "train"                     /* a new model version trained */
#define DM_AUDIT_PROMOTE "promote"                 /* a version made the active model */
#define DM_AUDIT_ROLL_BACK "roll-back"             /* back to the version active before */
#define DM_AUDIT_DELETE_VERSION "delete-version"   /* a version deleted */
#define DM_AUDIT_RESTORE_VERSION "restore-version" /* its deletion undone */
#define DM_AUDIT_ADD_PART "add-part"               /* a line part added to its class */
#define DM_AUDIT_CLASS_FOLDERS "class-folders"     /* a class's test/mask folder, hold-out */

typedef struct
{
  gint64 time_us; /* microseconds since 1970 UTC */
  char *user;
  char *action;
  char *target;
  char *value;    /* or NULL */
  char *previous; /* or NULL */
  guint version;  /* 0: none */
} DmAuditEntry;

/* A new entry, now, by this process's user. */
DmAuditEntry *dm_audit_entry_new (
  const char *action, const char *target, const char *value, const char *previous, guint version);
void dm_audit_entry_free (DmAuditEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmAuditEntry, dm_audit_entry_free)

char *dm_audit_entry_to_json (const DmAuditEntry *entry);
/* One line (at most DM_AUDIT_MAX_LINE bytes); what names it in messages.
 * time, user, action and target are required. */
DmAuditEntry *
dm_audit_entry_from_json (const char *line, gsize len, const char *what, GError **error);

/* What an action is, in words for people ("Labelled", "Promoted"...;
 * translated); the action itself when unknown. */
const char *dm_audit_action_title (const char *action);
/* "before → after" (label values in words), "after" alone, or NULL. */
char *dm_audit_entry_describe_change (const DmAuditEntry *entry);
/* When, in local time, as people read it ("2026-12-07 21:14:30"). */
char *dm_audit_entry_format_time (const DmAuditEntry *entry);

/* Appends the entry to folder/audit.jsonl (fsync'd). */
gboolean dm_audit_append (const char *project_folder, const DmAuditEntry *entry, GError **error);

/* Every entry of folder/audit.jsonl, oldest first (DmAuditEntry*); lines
 * that are no record are skipped and counted in *n_skipped (may be NULL),
 * a torn last line too. A missing file is an empty trail. */
GPtrArray *dm_audit_read (const char *project_folder, guint *n_skipped, GError **error);

G_END_DECLS
