/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The checker script and ONNX Runtime, for the ONNX export tests. */
#include "dm-test-onnx.h"

#include <stdarg.h>

#include "dm-test-util.h"

static const char *
env_or_fail (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL || value[0] == '\0')
    g_error ("%s is not set: run the test through meson test", name);
  return value;
}

JsonObject *
dm_test_onnx_check (JsonParser *parser, const char *mode, ...)
{
  g_autofree char *script = g_build_filename (dm_test_srcdir (), "export", "check-onnx.py", NULL);
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  const char *arg;
  va_list ap;
  int status;

  g_ptr_array_add (args, script);
  g_ptr_array_add (args, (gpointer)mode);
  va_start (ap, mode);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (gpointer)arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  status = dm_test_run_cli (env_or_fail ("DM_ONNX_PYTHON"), (const char *const *)args->pdata, &out,
                            &err);
  if (status != 0)
    g_error ("check-onnx.py %s failed (status %d):\n%s", mode, status, err);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static char *
package_json (void)
{
  return g_build_filename (env_or_fail ("DM_ONNXRUNTIME_DIR"), "node_modules", "onnxruntime-node",
                           "package.json", NULL);
}

gboolean
dm_test_onnxruntime_available (char **reason)
{
  const char *node = g_getenv ("DM_NODE");
  g_autofree char *package = package_json ();

  if (node == NULL || !g_file_test (node, G_FILE_TEST_IS_EXECUTABLE))
    {
      *reason = g_strdup ("node is not installed: build-aux/install-deps.sh installs it (Debian's "
                          "nodejs and npm), then meson setup --reconfigure finds it");
      return FALSE;
    }
  if (!g_file_test (package, G_FILE_TEST_EXISTS))
    {
      *reason = g_strdup_printf ("ONNX Runtime is not installed (%s is missing): run "
                                 "build-aux/install-deps.sh (npm ci --ignore-scripts in "
                                 "build-aux/onnxruntime)",
                                 package);
      return FALSE;
    }
  return TRUE;
}

void
dm_test_onnxruntime_run (
  const char *model, const char *input, const char *tensor, int batch, const char *output)
{
  g_autofree char *script
    = g_build_filename (env_or_fail ("DM_ONNXRUNTIME_DIR"), "run-model.mjs", NULL);
  g_autofree char *batch_text = g_strdup_printf ("%d", batch);
  g_autofree char *out = NULL, *err = NULL;
  /* threads that sleep while they wait: other tests run beside this one */
  const char *args[] = { script,    model,      "--input",  input,  "--tensor",  tensor,
                         "--batch", batch_text, "--output", output, "--no-spin", NULL };
  int status = dm_test_run_cli (env_or_fail ("DM_NODE"), args, &out, &err);

  if (status != 0)
    g_error ("ONNX Runtime failed on %s (status %d):\n%s%s", model, status, out, err);
}
