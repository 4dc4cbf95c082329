/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The shared text writers: the JSON writer (numbers that read back exactly,
 * NaN as null, -0 as 0; strings escaped and made valid UTF-8; compact,
 * pretty and inline forms; json-glib nodes written back) and RFC 4180 CSV
 * fields. */
#include <math.h>
#include <string.h>

#include "dm-csv.h"
#include "dm-json-writer.h"
#include "dm-test-util.h"

static char *
number (double v)
{
  GString *s = g_string_new (NULL);

  dm_json_append_number (s, v);
  return g_string_free (s, FALSE);
}

static void
test_numbers (void)
{
  const double values[]
    = { 0.1, 1.0 / 3.0, 1e-5, 1e20, -2.5, 123456789.123456789, 0.9500000000000001 };
  g_autofree char *nan_text = number (NAN), *inf_text = number (INFINITY), *zero = number (-0.0);

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *text = number (values[i]);
      g_autoptr (JsonNode) node = json_from_string (text, NULL);

      /* valid JSON (json-glib 1.6 itself writes "1e-05.0") that reads back exactly */
      g_assert_nonnull (node);
      g_assert_cmpfloat (g_ascii_strtod (text, NULL), ==, values[i]);
    }
  g_assert_cmpstr (nan_text, ==, "null");
  g_assert_cmpstr (inf_text, ==, "null");
  g_assert_cmpstr (zero, ==, "0");
}

static void
test_strings (void)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_autoptr (JsonNode) node = NULL;

  dm_json_append_quoted (s, "a \"quoted\" \\ path\nwith\ta tab and \xff bad byte");
  node = json_from_string (s->str, NULL);
  g_assert_nonnull (node);
  g_assert_true (g_utf8_validate (json_node_get_string (node), -1, NULL));
  dm_test_assert_has (json_node_get_string (node), "a \"quoted\" \\ path\nwith\ta tab");
  g_string_truncate (s, 0);
  dm_json_append_quoted (s, NULL);
  g_assert_cmpstr (s->str, ==, "null");
}

static void
test_members (void)
{
  g_autoptr (DmJsonWriter) w = dm_json_writer_new (FALSE);
  g_autoptr (JsonNode) node = NULL;
  JsonObject *o;

  dm_json_writer_begin_object (w);
  dm_json_writer_member_int (w, "n", 42);
  dm_json_writer_member_number (w, "x", 0.25);
  dm_json_writer_member_string (w, "name", "tile \"A\"");
  dm_json_writer_member_bool (w, "ok", TRUE);
  dm_json_writer_member_number (w, "none", NAN);
  dm_json_writer_end_object (w);
  g_assert_cmpstr (dm_json_writer_get_text (w), ==,
                   "{\"n\":42,\"x\":0.25,\"name\":\"tile \\\"A\\\"\",\"ok\":true,\"none\":null}");
  node = json_from_string (dm_json_writer_get_text (w), NULL);
  g_assert_nonnull (node);
  o = json_node_get_object (node);
  g_assert_cmpint (json_object_get_int_member (o, "n"), ==, 42);
  g_assert_cmpfloat (json_object_get_double_member (o, "x"), ==, 0.25);
  g_assert_cmpstr (json_object_get_string_member (o, "name"), ==, "tile \"A\"");
  g_assert_true (json_object_get_null_member (o, "none"));
}

/* Pretty form: two-space indent, one member per line, empty containers
 * closed on their line, inline containers on one line, a final newline. */
static void
test_pretty (void)
{
  g_autoptr (DmJsonWriter) w = dm_json_writer_new (TRUE);

  dm_json_writer_begin_object (w);
  dm_json_writer_member_string (w, "a", "x");
  dm_json_writer_key (w, "list");
  dm_json_writer_begin_array (w);
  dm_json_writer_int (w, 1);
  dm_json_writer_begin_inline_object (w);
  dm_json_writer_member_int (w, "p", 2);
  dm_json_writer_key (w, "q");
  dm_json_writer_begin_inline_array (w);
  dm_json_writer_float (w, 1e-6f);
  dm_json_writer_float (w, 0.1f);
  dm_json_writer_end_array (w);
  dm_json_writer_end_object (w);
  dm_json_writer_end_array (w);
  dm_json_writer_key (w, "empty");
  dm_json_writer_begin_object (w);
  dm_json_writer_end_object (w);
  dm_json_writer_end_object (w);
  g_assert_cmpstr (dm_json_writer_get_text (w), ==,
                   "{\n"
                   "  \"a\": \"x\",\n"
                   "  \"list\": [\n"
                   "    1,\n"
                   "    {\"p\": 2, \"q\": [1e-06, 0.1]}\n"
                   "  ],\n"
                   "  \"empty\": {}\n"
                   "}\n");
}

/* A value read with json-glib is written back with this writer's numbers
 * (json-glib's own generator writes 0.1 as 0.10000000000000001). */
static void
test_node (void)
{
  const char *in = "{\"b\":0.1,\"a\":[1,true,null,\"s\"],\"c\":{}}";
  g_autoptr (JsonNode) node = json_from_string (in, NULL);
  g_autoptr (DmJsonWriter) w = dm_json_writer_new (FALSE);

  dm_json_writer_node (w, node);
  g_assert_cmpstr (dm_json_writer_get_text (w), ==, in);
}

static void
test_csv (void)
{
  /* "caf\xe9" is a Latin-1 file name: its bytes stay, so the row names it */
  const char *in[] = { "plain", "a,b", "say \"hi\"", "two\nlines", "", NULL, "caf\xe9.png" };
  const char *out[]
    = { "plain", "\"a,b\"", "\"say \"\"hi\"\"\"", "\"two\nlines\"", "", "", "caf\xe9.png" };

  for (guint i = 0; i < G_N_ELEMENTS (out); i++)
    {
      g_autoptr (GString) s = g_string_new (NULL);

      dm_csv_append_field (s, in[i]);
      g_assert_cmpstr (s->str, ==, out[i]);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/text-writers/json-numbers", test_numbers);
  g_test_add_func ("/text-writers/json-strings", test_strings);
  g_test_add_func ("/text-writers/json-members", test_members);
  g_test_add_func ("/text-writers/json-pretty", test_pretty);
  g_test_add_func ("/text-writers/json-node", test_node);
  g_test_add_func ("/text-writers/csv", test_csv);
  return g_test_run ();
}
