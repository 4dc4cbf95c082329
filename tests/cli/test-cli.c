/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the `dinomaly` command line as a user runs it: exit codes and
 * messages. The binary's path is argv[1]. */
#include <string.h>
#include <sys/wait.h>

#include "dm-test-util.h"

static const char *cli_path;

static int
run_cli (const char *const *args, char **out, char **err)
{
  return dm_test_run_cli (cli_path, args, out, err);
}

static void
test_cli_version (void)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_cli ((const char *[]){ "--version", NULL }, &out, &err), ==, 0);
  g_assert_true (g_str_has_prefix (out, "dinomaly "));
}

static void
test_cli_help (void)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_cli ((const char *[]){ "--help", NULL }, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "Usage: dinomaly COMMAND"));
}

static void
test_cli_unknown_command (void)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_cli ((const char *[]){ "frobnicate", NULL }, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "unknown command 'frobnicate'"));
}

static void
test_cli_no_arguments (void)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_cli ((const char *[]){ NULL }, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "Usage:"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, >=, 2);
  cli_path = argv[1];
  g_test_add_func ("/cli/version", test_cli_version);
  g_test_add_func ("/cli/help", test_cli_help);
  g_test_add_func ("/cli/unknown-command", test_cli_unknown_command);
  g_test_add_func ("/cli/no-arguments", test_cli_no_arguments);
  return g_test_run ();
}
