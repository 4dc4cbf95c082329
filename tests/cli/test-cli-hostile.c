/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The hostile matrix: every command of `dinomaly` against every kind of bad
 * file a user or an attacker hands it (missing, a folder, a named pipe,
 * empty, truncated, random bytes, the wrong kind of file, a name that is
 * not UTF-8) in each place it takes a file. Each run must end by itself
 * (a named pipe never waits), with status 1 or 2 (never a signal), and say
 * on standard error what is wrong naming the file. The counts go to the
 * test log. */
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "dm-test-data.h"
#include "dm-test-util.h"

static const char *cli_path;
static char *tmp, *good_model, *encoder, *images, *dataset;

typedef struct
{
  const char *kind;
  char *path;
} Bad;

static GPtrArray *bads; /* Bad* */

static void
add_bad (const char *kind, const char *name, const void *data, gssize size)
{
  Bad *b = g_new0 (Bad, 1);

  b->kind = kind;
  b->path = g_build_filename (tmp, "bad", name, NULL);
  if (data != NULL)
    g_assert_true (g_file_set_contents (b->path, data, size, NULL));
  g_ptr_array_add (bads, b);
}

static void
make_bad_files (void)
{
  g_autofree char *bad = g_build_filename (tmp, "bad", NULL);
  g_autofree char *folder = g_build_filename (bad, "folder.dinomaly", NULL);
  g_autofree char *fifo = g_build_filename (bad, "pipe.dinomaly", NULL);
  g_autofree char *model_bytes = NULL;
  guint8 noise[4096];
  gsize size;

  g_mkdir_with_parents (bad, 0755);
  g_mkdir_with_parents (folder, 0755);
  g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);
  for (guint i = 0; i < sizeof noise; i++)
    noise[i] = (guint8)g_test_rand_int_range (0, 256);
  g_assert_true (g_file_get_contents (good_model, &model_bytes, &size, NULL));

  add_bad ("missing", "missing.dinomaly", NULL, 0);
  g_ptr_array_add (bads, g_new0 (Bad, 1));
  ((Bad *)bads->pdata[bads->len - 1])->kind = "folder";
  ((Bad *)bads->pdata[bads->len - 1])->path = g_strdup (folder);
  g_ptr_array_add (bads, g_new0 (Bad, 1));
  ((Bad *)bads->pdata[bads->len - 1])->kind = "named pipe";
  ((Bad *)bads->pdata[bads->len - 1])->path = g_strdup (fifo);
  add_bad ("empty", "empty.dinomaly", "", 0);
  add_bad ("truncated", "truncated.dinomaly", model_bytes, (gssize)(size / 3));
  add_bad ("random bytes", "noise.dinomaly", noise, sizeof noise);
  add_bad ("a text file", "notes.dinomaly", "not a model\n", -1);
  add_bad ("not UTF-8", "caf\xe9.dinomaly", noise, 64);
}

/* Runs the CLI with a deadline: a run that does not end within 60 s (a read
 * waiting on a pipe) is killed and counts as a hang. */
static int
run_bounded (const char *const *args, char **err, gboolean *hung)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_autoptr (GBytes) err_bytes = NULL;
  guint timer;
  gboolean ok;

  g_ptr_array_add (argv, (gpointer)cli_path);
  for (int i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const char *const *)argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            &error);
  g_assert_no_error (error);
  timer = g_timeout_add_seconds (60, (GSourceFunc)(void (*) (void))g_cancellable_cancel, cancel);
  /* bytes: a message may hold a file name that is not UTF-8 */
  ok = g_subprocess_communicate (proc, NULL, cancel, NULL, &err_bytes, &error);
  *hung = !ok;
  if (*hung)
    {
      g_subprocess_force_exit (proc);
      g_subprocess_wait (proc, NULL, NULL);
      return -1;
    }
  g_source_remove (timer);
  *err = g_strndup (g_bytes_get_data (err_bytes, NULL), g_bytes_get_size (err_bytes));
  g_subprocess_wait (proc, NULL, NULL);
  if (g_subprocess_get_if_signaled (proc))
    return 128 + g_subprocess_get_term_sig (proc);
  return g_subprocess_get_exit_status (proc);
}

typedef struct
{
  const char *label;
  const char *args[16]; /* "@BAD" is replaced by the bad file */
} Place;

static void
test_matrix (void)
{
  g_autofree char *out = g_build_filename (tmp, "out", NULL);
  g_autofree char *out_model = g_build_filename (tmp, "out.dinomaly", NULL);
  g_autofree char *out_onnx = g_build_filename (tmp, "out.onnx", NULL);
  g_autofree char *journal = g_build_filename (tmp, "journal", NULL);
  const Place places[] = {
    { "info FILE", { "info", "@BAD" } },
    { "import --weights",
      { "import", "--weights", "@BAD", "--backbone", encoder, "--out", out_model } },
    { "import --backbone",
      { "import", "--weights", good_model, "--backbone", "@BAD", "--out", out_model } },
    { "export --model", { "export", "--model", "@BAD", "--onnx", out_onnx } },
    { "predict --model", { "predict", "--model", "@BAD", images, "--out", out } },
    { "predict IMAGE", { "predict", "--model", good_model, "@BAD", "--out", out } },
    { "eval --model", { "eval", "--model", "@BAD", "--data", dataset } },
    { "eval --data", { "eval", "--model", good_model, "--data", "@BAD" } },
    { "report --model", { "report", "--model", "@BAD", "--data", dataset, "--out", out_model } },
    { "metrics DIR", { "metrics", "@BAD" } },
    { "train --backbone", { "train", "--data", dataset, "--backbone", "@BAD", "--out", out_model } },
    { "train --data", { "train", "--data", "@BAD", "--backbone", encoder, "--out", out_model } },
    { "train --init",
      { "train", "--data", dataset, "--backbone", encoder, "--init", "@BAD", "--out", out_model,
        "--iters", "1" } },
    { "calibrate --model", { "calibrate", "--model", "@BAD", "--threshold", "1" } },
    { "station --model",
      { "station", "--model", "@BAD", "--class", "c", "--threshold", "1", "--source", images,
        "--journal", journal, "--duration", "1" } },
  };
  guint n_runs = 0, n_ok = 0, hangs = 0, signals = 0, unnamed = 0;
  GString *problems = g_string_new (NULL);

  for (guint p = 0; p < G_N_ELEMENTS (places); p++)
    for (guint b = 0; b < bads->len; b++)
      {
        const Bad *bad = bads->pdata[b];
        g_autofree char *base = g_path_get_basename (bad->path);
        g_autofree char *display = g_filename_display_name (base);
        const char *args[17];
        g_autofree char *err = NULL;
        gboolean hung = FALSE;
        int status, n;

        for (n = 0; places[p].args[n] != NULL; n++)
          args[n] = g_strcmp0 (places[p].args[n], "@BAD") == 0 ? bad->path : places[p].args[n];
        args[n] = NULL;
        status = run_bounded (args, &err, &hung);
        n_runs++;
        if (hung)
          {
            hangs++;
            g_string_append_printf (problems, "%s with %s: did not end\n", places[p].label,
                                    bad->kind);
            continue;
          }
        if (status > 128)
          {
            signals++;
            g_string_append_printf (problems, "%s with %s: killed by signal %d\n%s\n",
                                    places[p].label, bad->kind, status - 128, err);
            continue;
          }
        if (status != 1 && status != 2)
          {
            g_string_append_printf (problems, "%s with %s: exit status %d\n%s\n", places[p].label,
                                    bad->kind, status, err);
            continue;
          }
        /* the message names the file (its display name for a name that
         * is not UTF-8; "pipe" for a pipe given where a folder is wanted) */
        if (err == NULL || (strstr (err, base) == NULL && strstr (err, display) == NULL))
          {
            unnamed++;
            g_string_append_printf (problems, "%s with %s: the message does not name %s:\n%s\n",
                                    places[p].label, bad->kind, display, err);
            continue;
          }
        n_ok++;
      }
  g_test_message ("hostile matrix: %u runs over %u places and %u kinds of bad file: %u answered "
                  "right, %u hung, %u killed by a signal, %u without the file's name",
                  n_runs, (guint)G_N_ELEMENTS (places), bads->len, n_ok, hangs, signals, unnamed);
  if (problems->len > 0)
    g_error ("hostile matrix:\n%s", problems->str);
  g_string_free (problems, TRUE);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  cli_path = argv[1];
  tmp = dm_test_make_tmpdir ();
  good_model = g_build_filename (tmp, "tiny.dinomaly", NULL);
  encoder = g_build_filename (dm_test_srcdir (), "data", "forward", "encoder_timm_bf16.safetensors",
                              NULL);
  dataset = g_build_filename (tmp, "dataset", NULL);
  images = g_build_filename (dataset, "c", "test", "good", NULL);
  dm_test_write_tiny_model (good_model, "c", NULL);
  dm_test_write_mvtec_class (dataset, "c", 1);
  bads = g_ptr_array_new ();
  make_bad_files ();
  g_test_add_func ("/cli-hostile/matrix", test_matrix);
  status = g_test_run ();
  return status;
}
