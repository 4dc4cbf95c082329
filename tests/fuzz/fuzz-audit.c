/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: a project's append-only record files read back. The
 * bytes as one audit record (an accepted record must write and read back
 * to the same text) and as one feedback-store event (the same), then as a
 * whole audit trail: read line by line, appended to (the torn tail cut)
 * and read again, which must give one more record. */
#include <glib/gstdio.h>
#include <stdint.h>
#include <string.h>

#include "dm-project-audit.h"
#include "dm-project-feedback.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char *folder, *trail;

static void
round_trip_audit (const uint8_t *data, size_t size)
{
  g_autoptr (DmAuditEntry) e = dm_audit_entry_from_json ((const char *)data, size, "fuzz", NULL);
  g_autofree char *json = NULL, *json2 = NULL;
  g_autoptr (DmAuditEntry) again = NULL;

  if (e == NULL)
    return;
  json = dm_audit_entry_to_json (e);
  again = dm_audit_entry_from_json (json, strlen (json), "again", NULL);
  g_assert (again != NULL);
  json2 = dm_audit_entry_to_json (again);
  g_assert (strcmp (json, json2) == 0);
}

static void
round_trip_feedback (const uint8_t *data, size_t size)
{
  g_autoptr (DmFeedbackEvent) e
    = dm_feedback_event_from_json ((const char *)data, size, "fuzz", NULL);
  g_autofree char *json = NULL, *json2 = NULL;
  g_autoptr (DmFeedbackEvent) again = NULL;

  if (e == NULL)
    return;
  json = dm_feedback_event_to_json (e);
  again = dm_feedback_event_from_json (json, strlen (json), "again", NULL);
  g_assert (again != NULL);
  json2 = dm_feedback_event_to_json (again);
  g_assert (strcmp (json, json2) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GPtrArray) before = NULL, after = NULL;
  g_autoptr (DmAuditEntry) e = NULL;

  round_trip_audit (data, size);
  round_trip_feedback (data, size);
  if (folder == NULL)
    {
      folder = g_dir_make_tmp ("fuzz-audit-XXXXXX", NULL);
      trail = g_build_filename (folder, DM_AUDIT_FILE, NULL);
    }
  if (!g_file_set_contents (trail, (const char *)data, (gssize)size, NULL))
    return 0;
  before = dm_audit_read (folder, NULL, NULL);
  if (before == NULL)
    return 0;
  e = dm_audit_entry_new (DM_AUDIT_LABEL, "fuzz.png", "good", NULL, 1);
  g_assert (dm_audit_append (folder, e, NULL));
  after = dm_audit_read (folder, NULL, NULL);
  g_assert (after != NULL && after->len == before->len + 1);
  return 0;
}
