/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Small json-glib helpers for reading the project's JSON files: tolerant
 * readers of members that may be missing or null. Writing goes through
 * dm-json-writer.h. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* "2026-11-30T08:00:00Z": now, UTC. */
char *dm_json_now_iso8601 (void);

/* Microseconds since 1970 UTC as "2026-12-07T21:14:30.123456Z" (times
 * before 1970 as 1970): the time stamps of records (journal, audit). */
char *dm_json_format_time_us (gint64 us);
/* An ISO 8601 time (any zone) as microseconds since 1970 UTC; FALSE when
 * text is no such time. */
gboolean dm_json_parse_time_us (const char *text, gint64 *us);

/* A copy of a string member, or NULL when missing or not a string. */
char *dm_json_dup_string (JsonObject *object, const char *member);
/* A number member (integer or double), or fallback (object may be NULL). */
double dm_json_number (JsonObject *object, const char *member, double fallback);
/* An object member, or NULL (object may be NULL). */
JsonObject *dm_json_object (JsonObject *object, const char *member);

/* TRUE when no array or object in text (len bytes) nests deeper than
 * max_depth. json-glib's parser recurses once per level, so untrusted text
 * is checked with this first (a few MB of "[" would end the stack). */
gboolean dm_json_depth_within (const char *text, gsize len, int max_depth);

/* One line of a JSON Lines file, or a one-object file such as a status or
 * cursor (len bytes), as an object, parsed with limits: at most max_len bytes and 16 levels of
 * nesting. what names the line in errors (DM_ERROR_TOO_LARGE, DM_ERROR_CORRUPT). The object belongs
 * to parser. */
JsonObject *dm_json_parse_line_object (
  JsonParser *parser, const char *line, gsize len, gsize max_len, const char *what, GError **error);

/* Parses path; NULL with a DM_ERROR naming the file when it is not JSON or
 * its top level is not an object (G_IO_ERROR_NOT_FOUND when it is missing). */
JsonParser *dm_json_load_object (const char *path, JsonObject **root, GError **error);

G_END_DECLS
