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

G_END_DECLS
