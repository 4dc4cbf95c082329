/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The shared text writers: JSON numbers that read back exactly (NaN as
 * null, -0 as 0), JSON strings escaped and made valid UTF-8, members of
 * one-line objects, and RFC 4180 CSV fields. */
#include <math.h>
#include <string.h>

#include "dm-csv.h"
#include "dm-json-util.h"
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
  g_autoptr (GString) s = g_string_new ("{");
  g_autoptr (JsonNode) node = NULL;
  JsonObject *o;

  dm_json_append_int (s, "n", 42);
  dm_json_append_double (s, "x", 0.25);
  dm_json_append_string (s, "name", "tile \"A\"");
  g_string_append_c (s, '}');
  node = json_from_string (s->str, NULL);
  g_assert_nonnull (node);
  o = json_node_get_object (node);
  g_assert_cmpint (json_object_get_int_member (o, "n"), ==, 42);
  g_assert_cmpfloat (json_object_get_double_member (o, "x"), ==, 0.25);
  g_assert_cmpstr (json_object_get_string_member (o, "name"), ==, "tile \"A\"");
}

static void
test_csv (void)
{
  const char *in[] = { "plain", "a,b", "say \"hi\"", "two\nlines", "", NULL };
  const char *out[] = { "plain", "\"a,b\"", "\"say \"\"hi\"\"\"", "\"two\nlines\"", "", "" };

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
  g_test_add_func ("/text-writers/csv", test_csv);
  return g_test_run ();
}
