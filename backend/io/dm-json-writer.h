/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one JSON writer of the project: every JSON file and every JSON text
 * (project files, results, reports, eval/bench output, checkpoint and model
 * metadata, safetensors headers) is written through it.
 *
 * Why not json-glib's JsonBuilder + JsonGenerator: json-glib 1.6 prints every
 * double with 17 significant digits ("0.10000000000000001") and cannot write
 * the shortest text, and JSON has no NaN. Here numbers are written with the
 * fewest digits that read back to the same double (or float), a number that
 * is not finite is written as null, -0 as 0, and strings are made valid
 * UTF-8 and escaped. Reading stays with json-glib (dm-json-util.h).
 *
 * Values are written in order; begin/end nest objects and arrays, and a
 * member is dm_json_writer_key followed by one value (or the _member_
 * shortcuts). Compact ({"a":1,"b":[1,2]}) or pretty (two-space indent, one
 * member or element per line, a final newline). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _DmJsonWriter DmJsonWriter;

DmJsonWriter *dm_json_writer_new (gboolean pretty);
void dm_json_writer_free (DmJsonWriter *writer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmJsonWriter, dm_json_writer_free)

void dm_json_writer_begin_object (DmJsonWriter *writer);
void dm_json_writer_end_object (DmJsonWriter *writer);
void dm_json_writer_begin_array (DmJsonWriter *writer);
void dm_json_writer_end_array (DmJsonWriter *writer);
/* In pretty form, an object or array written on one line ({"a": 1, "b": 2},
 * and whatever it holds): short records and long number arrays. Ended by
 * the usual end_object / end_array. */
void dm_json_writer_begin_inline_object (DmJsonWriter *writer);
void dm_json_writer_begin_inline_array (DmJsonWriter *writer);
/* The name of the next value, inside an object. */
void dm_json_writer_key (DmJsonWriter *writer, const char *key);

void dm_json_writer_int (DmJsonWriter *writer, gint64 value);
/* The fewest digits that read back to value; null when not finite. */
void dm_json_writer_number (DmJsonWriter *writer, double value);
/* The fewest digits that read back to the same float (1e-06, not 9.99e-07). */
void dm_json_writer_float (DmJsonWriter *writer, float value);
/* null for NULL. */
void dm_json_writer_string (DmJsonWriter *writer, const char *value);
void dm_json_writer_bool (DmJsonWriter *writer, gboolean value);
void dm_json_writer_null (DmJsonWriter *writer);
/* A value already written as JSON text (e.g. by another writer). */
void dm_json_writer_raw (DmJsonWriter *writer, const char *json);
/* A value read with json-glib (e.g. settings kept as they were read),
 * written with this writer's numbers. NULL is null. */
void dm_json_writer_node (DmJsonWriter *writer, JsonNode *node);

/* key and value */
void dm_json_writer_member_int (DmJsonWriter *writer, const char *key, gint64 value);
void dm_json_writer_member_number (DmJsonWriter *writer, const char *key, double value);
void dm_json_writer_member_string (DmJsonWriter *writer, const char *key, const char *value);
void dm_json_writer_member_bool (DmJsonWriter *writer, const char *key, gboolean value);

/* The text written so far (valid once every begin has its end); owned by
 * the writer. */
const char *dm_json_writer_get_text (DmJsonWriter *writer);
/* The text, the writer freed. */
char *dm_json_writer_free_to_text (DmJsonWriter *writer);
/* Writes the text to path atomically. */
gboolean dm_json_writer_write_file (DmJsonWriter *writer, const char *path, GError **error);

/* The fewest digits that read back to value, into out (text as
 * dm_json_writer_number writes it; "null" when not finite). */
void dm_json_append_number (GString *out, double value);
/* text as a JSON string (made valid UTF-8, escaped), or null for NULL. */
void dm_json_append_quoted (GString *out, const char *text);

G_END_DECLS
