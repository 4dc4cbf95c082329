/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The way README's "When one PC is not enough" sends images to Triton,
 * run here as far as this machine allows (there is no Triton server):
 * `dinomaly export --triton` writes the model folder; mock-triton.mjs
 * serves it with ONNX Runtime over the KServe v2 HTTP protocol on
 * 127.0.0.1; docs/triton-client.py preprocesses image files with PIL and
 * sends them (binary tensors, batches of 3). Compared with `dinomaly
 * predict` on the same files:
 *
 *   the client's preprocessing (--save) and dm_preprocess_file, per
 *   image, exactly; the scores within 1e-4 relative and the decisions
 *   equal; the anomaly maps (STEM_map.tiff of both) within 1e-4.
 *
 * Images of every kind a camera or a folder gives: 8-bit RGB, gray, CMYK
 * JPEG, RGBA and palette PNG with transparency, 1-bit, 16-bit gray PNG and
 * TIFF. A 16-bit colour image is refused by the client (PIL reads it as
 * 8-bit). Skips when node or ONNX Runtime is absent. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dm-image.h"
#include "dm-preprocess.h"
#include "dm-safetensors.h"
#include "dm-test-data.h"
#include "dm-test-onnx.h"
#include "dm-test-util.h"

static const char *cli_path;

static const char *const images[] = {
  "jpeg-rgb.jpg",  "jpeg-gray.jpg",         "jpeg-cmyk.jpg",  "png-rgba8.png",   "png-rgb8.png",
  "png-gray1.png", "png-palette8-trns.png", "png-gray16.png", "tiff-gray16.tif",
};
#define N_IMAGES ((int)G_N_ELEMENTS (images))

static void
with_threshold (DmModelInfo *info)
{
  info->n_thresholds = 1;
  info->thresholds = g_new0 (DmClassThreshold, 1);
  /* between the tiny model's scores on these images: both decisions */
  info->thresholds[0] = (DmClassThreshold){ g_strdup ("tire"), 1.13, 0.9, FALSE, 0, 0 };
}

/* results.csv rows (path,score,decision) by path. */
static GHashTable *
read_results (const char *csv)
{
  GHashTable *rows
    = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_strfreev);
  g_auto (GStrv) lines = g_strsplit (csv, "\n", -1);

  /* the columns compared come first (predict's rule and regions follow;
   * the client prints these three only) */
  g_assert_true (g_str_has_prefix (lines[0], "path,score,decision"));
  for (int i = 1; lines[i] != NULL; i++)
    {
      char **fields;

      if (lines[i][0] == '\0')
        continue;
      fields = g_strsplit (lines[i], ",", -1);
      g_assert_cmpuint (g_strv_length (fields), >=, 3);
      g_hash_table_insert (rows, g_strdup (fields[0]), fields);
    }
  return rows;
}

/* mock-triton.mjs on a free port of 127.0.0.1. */
static GPid
start_server (const char *repo, const char *name, int *port)
{
  g_autofree char *script = g_build_filename (dm_test_srcdir (), "export", "mock-triton.mjs", NULL);
  const char *argv[]
    = { g_getenv ("DM_NODE"), script, g_getenv ("DM_ONNXRUNTIME_DIR"), repo, name, NULL };
  g_autoptr (GError) error = NULL;
  GPid pid;
  int out_fd;
  char line[64];
  gsize n = 0;

  g_assert_true (g_spawn_async_with_pipes (NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                           NULL, NULL, &pid, NULL, &out_fd, NULL, &error));
  g_assert_no_error (error);
  /* "port N\n" once the model is loaded; end of file if it died */
  while (n < sizeof line - 1)
    {
      ssize_t r = read (out_fd, line + n, 1);

      if (r <= 0 || line[n] == '\n')
        break;
      n++;
    }
  line[n] = '\0';
  close (out_fd);
  if (sscanf (line, "port %d", port) != 1)
    g_error ("mock-triton.mjs did not start: '%s'", line);
  return pid;
}

static void
stop_server (GPid pid)
{
  int status;

  kill (pid, SIGTERM);
  waitpid (pid, &status, 0);
  g_spawn_close_pid (pid);
}

static float *
map_of (const char *path)
{
  g_autoptr (GError) error = NULL;
  DmImage *image = dm_image_load (path, 0, &error);
  float *map = g_new (float, 256 * 256);

  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, 256);
  g_assert_cmpint (image->height, ==, 256);
  for (int y = 0; y < 256; y++)
    for (int x = 0; x < 256; x++)
      map[y * 256 + x] = dm_image_get (image, x, y, 0);
  dm_image_free (image);
  return map;
}

static void
test_client (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *model = g_build_filename (dir, "tire.dinomaly", NULL);
  g_autofree char *repo = g_build_filename (dir, "models", NULL);
  g_autofree char *pred = g_build_filename (dir, "predict", NULL);
  g_autofree char *maps = g_build_filename (dir, "maps", NULL);
  g_autofree char *saved = g_build_filename (dir, "x.safetensors", NULL);
  g_autofree char *csv_path = g_build_filename (pred, "results.csv", NULL);
  g_autofree char *client
    = g_build_filename (dm_test_srcdir (), "..", "docs", "triton-client.py", NULL);
  g_autofree char *reason = NULL, *out = NULL, *err = NULL, *csv = NULL, *url = NULL;
  g_autofree float *x = NULL, *want = g_new (float, 3 * 224 * 224);
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) predicted = NULL, sent = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) st = NULL;
  double worst_x = 0, worst_score = 0, worst_map = 0;
  GPid server;
  int port, n_fail = 0;

  if (!dm_test_onnxruntime_available (&reason))
    {
      g_test_skip (reason);
      return;
    }
  dm_test_write_tiny_model (model, "tire", with_threshold);
  g_assert_cmpint (dm_test_run_cli (cli_path,
                                    (const char *[]){ "export", "--triton", repo, "--model", model,
                                                      "--name", "tire", NULL },
                                    &out, &err),
                   ==, 0);

  /* dinomaly predict on the files */
  g_ptr_array_add (args, g_strdup ("predict"));
  g_ptr_array_add (args, g_strdup ("--model"));
  g_ptr_array_add (args, g_strdup (model));
  g_ptr_array_add (args, g_strdup ("--out"));
  g_ptr_array_add (args, g_strdup (pred));
  for (int i = 0; i < N_IMAGES; i++)
    g_ptr_array_add (
      args, g_build_filename (dm_test_srcdir (), "data", "image", "corpus", images[i], NULL));
  g_ptr_array_add (args, NULL);
  if (dm_test_run_cli (cli_path, (const char *const *)args->pdata, &out, &err) != 0)
    g_error ("dinomaly predict failed:\n%s", err);
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, &error));
  predicted = read_results (csv);

  /* the client's preprocessing against the engine's, image by image */
  g_ptr_array_remove_index (args, args->len - 1); /* the NULL */
  g_ptr_array_remove_range (args, 0, 5);
  g_ptr_array_insert (args, 0, g_strdup (client));
  g_ptr_array_insert (args, 1, g_strdup ("--save"));
  g_ptr_array_insert (args, 2, g_strdup (saved));
  g_ptr_array_insert (args, 3, g_strdup ("--resize=256"));
  g_ptr_array_insert (args, 4, g_strdup ("--crop=224"));
  g_ptr_array_add (args, NULL);
  if (dm_test_run_cli (g_getenv ("DM_ONNX_PYTHON"), (const char *const *)args->pdata, &out, &err)
      != 0)
    g_error ("triton-client.py --save failed:\n%s", err);
  st = dm_safetensors_open (saved, &error);
  g_assert_no_error (error);
  x = g_new (float, (gsize)N_IMAGES * 3 * 224 * 224);
  g_assert_true (dm_safetensors_read_f32 (st, "x", x, (gsize)N_IMAGES * 3 * 224 * 224, &error));
  g_assert_no_error (error);
  for (int i = 0; i < N_IMAGES; i++)
    {
      const char *path = g_ptr_array_index (args, 5 + i);
      double d;

      g_assert_true (dm_preprocess_file (path, 256, 224, 0, want, &error));
      g_assert_no_error (error);
      d = dm_test_max_abs_diff (x + (gsize)i * 3 * 224 * 224, want, 3 * 224 * 224);
      g_test_message ("%s: preprocessing max abs diff %.3g", images[i], d);
      if (d > 1e-6)
        g_error ("%s: the client's preprocessing differs from the engine's by %.3g", images[i], d);
      worst_x = MAX (worst_x, d);
    }

  /* through the server, three images a request */
  server = start_server (repo, "tire", &port);
  url = g_strdup_printf ("http://127.0.0.1:%d", port);
  g_ptr_array_remove_range (args, 1, 4);
  g_ptr_array_insert (args, 1, g_strdup ("--url"));
  g_ptr_array_insert (args, 2, g_strdup (url));
  g_ptr_array_insert (args, 3, g_strdup ("--model=tire"));
  g_ptr_array_insert (args, 4, g_strdup ("--batch=3"));
  g_ptr_array_insert (args, 5, g_strdup_printf ("--maps=%s", maps));
  if (dm_test_run_cli (g_getenv ("DM_ONNX_PYTHON"), (const char *const *)args->pdata, &out, &err)
      != 0)
    {
      stop_server (server);
      g_error ("triton-client.py failed:\n%s", err);
    }
  stop_server (server);
  sent = read_results (out);
  g_assert_cmpuint (g_hash_table_size (sent), ==, N_IMAGES);
  for (int i = 0; i < N_IMAGES; i++)
    {
      const char *path = g_ptr_array_index (args, 6 + i);
      char **a = g_hash_table_lookup (sent, path), **b = g_hash_table_lookup (predicted, path);
      g_autofree char *stem = g_strndup (images[i], strrchr (images[i], '.') - images[i]);
      g_autofree char *name = g_strdup_printf ("%s_map.tiff", stem);
      g_autofree char *map_a = g_build_filename (maps, name, NULL);
      g_autofree char *map_b = g_build_filename (pred, name, NULL);
      g_autofree float *ma = map_of (map_a), *mb = map_of (map_b);
      double sa, sb, rel, dmap;

      g_assert_nonnull (a);
      g_assert_nonnull (b);
      sa = g_ascii_strtod (a[1], NULL);
      sb = g_ascii_strtod (b[1], NULL);
      rel = fabs (sa - sb) / fabs (sb);
      dmap = dm_test_max_abs_diff (ma, mb, 256 * 256);
      g_test_message ("%s: score %s (Triton path) vs %s (predict), rel %.3g, map %.3g", images[i],
                      a[1], b[1], rel, dmap);
      if (rel > 1e-4 || dmap > 1e-4)
        g_error ("%s: score %s vs %s, map max abs diff %.3g", images[i], a[1], b[1], dmap);
      g_assert_cmpstr (a[2], ==, b[2]);
      n_fail += g_str_equal (a[2], "fail");
      worst_score = MAX (worst_score, rel);
      worst_map = MAX (worst_map, dmap);
    }
  /* both decisions were exercised */
  g_assert_cmpint (n_fail, >, 0);
  g_assert_cmpint (n_fail, <, N_IMAGES);
  g_print ("# Triton path vs dinomaly predict on %d files: preprocessing max abs %.3g, "
           "scores max rel %.3g, maps max abs %.3g\n",
           N_IMAGES, worst_x, worst_score, worst_map);
}

static void
test_refuses_16_bit_colour (void)
{
  g_autofree char *client
    = g_build_filename (dm_test_srcdir (), "..", "docs", "triton-client.py", NULL);
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *saved = g_build_filename (dir, "x.safetensors", NULL);
  g_autofree char *image
    = g_build_filename (dm_test_srcdir (), "data", "image", "corpus", "png-rgb16.png", NULL);
  g_autofree char *out = NULL, *err = NULL;
  const char *args[] = { client, "--save", saved, "--resize=256", "--crop=224", image, NULL };

  g_assert_cmpint (dm_test_run_cli (g_getenv ("DM_ONNX_PYTHON"), args, &out, &err), ==, 1);
  dm_test_assert_has (err, "png-rgb16.png: 16-bit colour");
  g_assert_false (g_file_test (saved, G_FILE_TEST_EXISTS));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    g_error ("usage: %s PATH-TO-dinomaly", argv[0]);
  cli_path = argv[1];
  g_test_add_func ("/triton-client/same-as-predict", test_client);
  g_test_add_func ("/triton-client/refuses-16-bit-colour", test_refuses_16_bit_colour);
  return g_test_run ();
}
