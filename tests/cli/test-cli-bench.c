/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of `dinomaly bench` that time nothing (speed is for the benchmark
 * itself, never for tests): modes and options, and the JSON rows of the
 * bf16 rows, which are skipped with their reason without measuring, with
 * GFLOP per image counted by hand here. The binary's path is argv[1]. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "dm-engine.h"
#include "dm-test-util.h"

static const char *cli_path;

static int
run_cli (const char *const *args, char **out, char **err)
{
  return dm_test_run_cli (cli_path, args, out, err);
}

/* Inference GFLOP of one image, counted independently of dm-bench.c:
 * patch embedding, the encoder blocks up to the last target (10 for
 * ViT-S/B, 19 for ViT-L: linear layers 12 D^2 per token, then q k^T and
 * p v), bottleneck (8 D^2 per token), 8 decoder blocks (linear layers,
 * k'^T v and q' KV per head, the normaliser). */
static double
hand_gflop (int D, int crop)
{
  double g = crop / 14, N = 5 + g * g, d = D;
  int blocks = D == 1024 ? 19 : 10;
  double patch = 2 * g * g * 588 * d;
  double encoder = 2 * N * 12 * d * d + 4 * N * N * d;
  double bottleneck = 2 * N * 8 * d * d;
  double decoder = 2 * N * 12 * d * d + 4 * N * d * 64 + 2 * N * d;

  return (patch + blocks * encoder + bottleneck + 8 * decoder) * 1e-9;
}

static void
check_keys (JsonObject *row)
{
  const char *keys[] = { "mode",         "arch",
                         "crop",         "batch",
                         "dtype",        "threads",
                         "images_per_s", "gflop_per_image",
                         "peak_gflops",  "fraction_of_limit",
                         "peak_rss_mb",  "pytorch_images_per_s" };

  for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
    g_assert_true (json_object_has_member (row, keys[k]));
}

/* Without native bf16 every bf16 row is skipped with its reason, without
 * measuring; with it, a bf16 row is measured against the bf16 limit. The
 * GFLOP per image are counted by hand either way. */
static void
test_bf16_rows (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *json = g_build_filename (tmp, "rows.json", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gboolean bf16 = dm_engine_cpu_has_bf16 (NULL);
  const char *all[] = { "bench", "infer", "--dtype", "bf16", "--json", json, NULL };
  const char *one[] = { "bench",     "infer", "--dtype",      "bf16",   "--arch", "small",
                        "--crop",    "28",    "--batch",      "1",      "--runs", "1",
                        "--threads", "1",     "--no-pytorch", "--json", json,     NULL };
  JsonArray *rows;

  g_assert_cmpint (run_cli (bf16 ? one : all, &out, &err), ==, 0);
  g_test_message ("%s", out);
  g_assert_cmpstr (err, ==, "");
  g_assert_true (json_parser_load_from_file (parser, json, &error));
  g_assert_no_error (error);
  rows = json_node_get_array (json_parser_get_root (parser));
  /* 3 archs x 3 crops x 2 batches, or the one asked for */
  g_assert_cmpuint (json_array_get_length (rows), ==, bf16 ? 1 : 18);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      const char *arch = json_object_get_string_member (row, "arch");
      int crop = (int)json_object_get_int_member (row, "crop");
      double gflop = json_object_get_double_member (row, "gflop_per_image");
      double want = hand_gflop (strcmp (arch, "small") == 0  ? 384
                                : strcmp (arch, "base") == 0 ? 768
                                                             : 1024,
                                crop);

      check_keys (row);
      g_assert_cmpstr (json_object_get_string_member (row, "dtype"), ==, "bf16");
      g_assert_cmpstr (json_object_get_string_member (row, "mode"), ==, "infer");
      g_assert_cmpfloat (fabs (gflop - want), <=, 1e-4 * want);
      if (bf16)
        {
          g_assert_cmpfloat (json_object_get_double_member (row, "images_per_s"), >, 0);
          g_assert_cmpfloat (json_object_get_double_member (row, "fraction_of_limit"), >, 0);
          g_assert_false (json_object_has_member (row, "skipped"));
        }
      else
        {
          dm_test_assert_has (out, "skipped");
          g_assert_true (json_object_get_null_member (row, "images_per_s"));
          g_assert_true (json_object_get_null_member (row, "fraction_of_limit"));
          dm_test_assert_has (json_object_get_string_member (row, "skipped"), "bf16");
        }
    }
  /* the figures quoted in the documentation */
  g_assert_cmpfloat (fabs (hand_gflop (384, 224) - 18.6105), <, 1e-4);
  g_assert_cmpfloat (fabs (hand_gflop (768, 392) - 229.5689), <, 1e-4);
}

static void
test_usage (void)
{
  const struct
  {
    const char *args[6];
    int status;
    const char *part;
  } cases[] = {
    { { "bench" }, 2, "give a mode, infer, train or station" },
    { { "bench", "eval" }, 2, "give a mode, infer, train or station" },
    { { "bench", "train", "--preset", "fast" }, 2, "--preset: quick, balanced, paper, paper-long" },
    { { "bench", "infer", "--arch", "huge" }, 2, "--arch huge: give small, base or large" },
    { { "bench", "infer", "--crop", "300" }, 2, "multiple of the patch size" },
    { { "bench", "infer", "--dtype", "f16" }, 2, "give f32 or bf16" },
    { { "bench", "infer", "--batch", "-1" }, 2, "--batch -1" },
    { { "bench", "infer", "extra" }, 2, "unexpected argument" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL, *err = NULL;

      g_assert_cmpint (run_cli (cases[i].args, &out, &err), ==, cases[i].status);
      dm_test_assert_has (err, cases[i].part);
    }
  {
    g_autofree char *out = NULL, *err = NULL;

    g_assert_cmpint (run_cli ((const char *[]){ "bench", "--help", NULL }, &out, &err), ==, 0);
    dm_test_assert_has (out, "infer|train");
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    g_error ("usage: test-cli-bench PATH-TO-DINOMALY");
  cli_path = argv[1];
  g_test_add_func ("/cli-bench/bf16-rows", test_bf16_rows);
  g_test_add_func ("/cli-bench/usage", test_usage);
  return g_test_run ();
}
