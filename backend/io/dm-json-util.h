/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Small json-glib helpers shared by the project's JSON files: members that
 * may be null, tolerant readers, and writing a document atomically. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* "2026-11-30T08:00:00Z": now, UTC. */
char *dm_json_now_iso8601 (void);

/* Writes member = value, or null for NULL / a number that is not finite. */
void dm_json_add_string_or_null (JsonBuilder *builder, const char *member, const char *value);
void dm_json_add_number_or_null (JsonBuilder *builder, const char *member, double value);

/* A copy of a string member, or NULL when missing or not a string. */
char *dm_json_dup_string (JsonObject *object, const char *member);
/* A number member (integer or double), or fallback (object may be NULL). */
double dm_json_number (JsonObject *object, const char *member, double fallback);
/* An object member, or NULL (object may be NULL). */
JsonObject *dm_json_object (JsonObject *object, const char *member);

/* The builder's document, pretty-printed (indent 2) with a final newline. */
char *dm_json_builder_to_text (JsonBuilder *builder);
/* Writes the builder's document, pretty-printed with a final newline, to
 * path atomically. */
gboolean dm_json_write_atomic (JsonBuilder *builder, const char *path, GError **error);

/* Parses path; NULL with a DM_ERROR naming the file when it is not JSON or
 * its top level is not an object (G_IO_ERROR_NOT_FOUND when it is missing). */
JsonParser *dm_json_load_object (const char *path, JsonObject **root, GError **error);

/* ---- JSON written by hand: json-glib 1.6 writes some doubles as text
 * that is not JSON ("1e-05.0") and JSON has no NaN ---- */

/* text as a JSON string (made valid UTF-8, escaped), or null for NULL. */
void dm_json_append_quoted (GString *out, const char *text);
/* v with the fewest digits that read back exactly (dot decimal); null when
 * not finite; -0 as 0. */
void dm_json_append_number (GString *out, double v);

/* Members of a one-line object being written into out from its "{": a ","
 * before every member but the first. */
void dm_json_append_double (GString *out, const char *name, double value);
void dm_json_append_int (GString *out, const char *name, gint64 value);
void dm_json_append_string (GString *out, const char *name, const char *value);

G_END_DECLS
