/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of `dinomaly metrics` as a user runs it: the six reference folders
 * give their expected.json, bad folders exit 1 naming the file and the
 * problem. The binary's path is argv[1]. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "dm-image.h"
#include "dm-test-data.h"
#include "dm-test-util.h"

static const char *cli_path;
static double worst_dev[7];
static const char *const metric_keys[7] = {
  "image_auroc", "image_ap", "image_f1max", "pixel_auroc", "pixel_ap", "pixel_f1max", "aupro",
};

static int
run_cli (const char *const *args, char **out, char **err)
{
  return dm_test_run_cli (cli_path, args, out, err);
}

static void
test_reference_case (gconstpointer data)
{
  const char *name = data;
  g_autofree char *dir = g_build_filename (dm_test_srcdir (), "data", "metrics", name, NULL);
  g_autofree char *want_path = g_build_filename (dir, "expected.json", NULL);
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *out_path = g_build_filename (tmp, "out.json", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (JsonParser) want_parser = json_parser_new ();
  g_autoptr (JsonParser) got_parser = json_parser_new ();
  JsonObject *want, *got;

  g_assert_cmpint (
    run_cli ((const char *[]){ "metrics", dir, "--json", out_path, NULL }, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "aupro"));
  want = dm_test_load_json (want_parser, want_path);
  got = dm_test_load_json (got_parser, out_path);
  for (int id = 0; id < 7; id++)
    {
      const char *wkey = id == 6 ? "pixel_aupro" : metric_keys[id];
      double w = json_object_get_double_member (want, wkey);
      double g = json_object_get_double_member (got, metric_keys[id]);

      worst_dev[id] = MAX (worst_dev[id], fabs (g - w));
      if (!(fabs (g - w) <= 1e-6))
        g_error ("%s %s: got %.17g, want %.17g", name, metric_keys[id], g, w);
    }
  g_assert_false (json_object_has_member (got, "notes"));
}

/* ---- bad folders ------------------------------------------------------- */

/* A copy of case1 in a fresh temporary folder. */
static char *
copy_case1 (void)
{
  g_autofree char *src = g_build_filename (dm_test_srcdir (), "data", "metrics", "case1", NULL);
  char *dst = dm_test_make_tmpdir ();
  const char *const subdirs[] = { "", "maps", "masks" };

  for (guint s = 0; s < G_N_ELEMENTS (subdirs); s++)
    {
      g_autofree char *from_dir = g_build_filename (src, subdirs[s], NULL);
      g_autofree char *to_dir = g_build_filename (dst, subdirs[s], NULL);
      g_autoptr (GDir) d = g_dir_open (from_dir, 0, NULL);
      const char *entry;

      g_assert_nonnull (d);
      g_mkdir_with_parents (to_dir, 0755);
      while ((entry = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *from = g_build_filename (from_dir, entry, NULL);
          g_autofree char *to = g_build_filename (to_dir, entry, NULL);
          if (g_file_test (from, G_FILE_TEST_IS_REGULAR))
            dm_test_copy_file (from, to);
        }
    }
  return dst;
}

static void
write_float_tiff (const char *path, int w, int h)
{
  g_autofree float *px = g_new0 (float, (gsize)w *h); /* (h, w) */
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < w * h; i++)
    px[i] = (float)i / (float)(w * h);
  g_assert_true (dm_image_save_tiff_f32 (px, w, h, path, &error));
  g_assert_no_error (error);
}

static void
write_gray_png (const char *path, int w, int h)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) img = dm_image_new (w, h, 1, DM_PIXEL_U8, &error);

  g_assert_no_error (error);
  memset (img->data, 0, img->stride * h);
  img->data[0] = 255;
  g_assert_true (dm_image_save_png (img, path, &error));
  g_assert_no_error (error);
}

/* Runs `dinomaly metrics dir`, expects exit 1 and every needle in stderr. */
static void
expect_failure (const char *dir, const char *const *needles)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_cli ((const char *[]){ "metrics", dir, NULL }, &out, &err), ==, 1);
  for (int i = 0; needles[i] != NULL; i++)
    if (strstr (err, needles[i]) == NULL)
      g_error ("stderr lacks \"%s\": %s", needles[i], err);
}

static void
test_missing_dir (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *dir = g_build_filename (tmp, "nowhere", NULL);

  expect_failure (dir, (const char *[]){ dir, "no such folder", NULL });
}

static void
test_bad_csv (void)
{
  const struct
  {
    const char *text;
    const char *needle;
  } bad[] = {
    { "name,label,score\nimg000,2,0.5\n", "line 2: the label must be 0 or 1" },
    { "name,label,score\nimg000,0,0.5\nimg001,1,abc\n", "line 3: the score is not a number" },
    { "name,label,score\nimg000,0\n", "line 2: want 3 comma-separated fields" },
    { "name,score,label\nimg000,0,0.5\n", "line 1: the header must be" },
    { "name,label,score\nimg000,0,0.5\nimg000,1,0.5\n", "line 3: the name appears twice" },
    { "name,label,score\n../img000,0,0.5\n", "line 2: the name is empty or holds a path" },
    { "name,label,score\nimg000,0,1e60\n", "line 2: the score is not a number in float range" },
    { "name,label,score\n", "no image listed" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *dir = copy_case1 ();
      g_autofree char *csv = g_build_filename (dir, "scores.csv", NULL);

      g_assert_true (g_file_set_contents (csv, bad[i].text, -1, NULL));
      expect_failure (dir, (const char *[]){ csv, bad[i].needle, NULL });
    }
}

static void
test_bad_images (void)
{
  /* a map of another size */
  {
    g_autofree char *dir = copy_case1 ();
    g_autofree char *map = g_build_filename (dir, "maps", "img003_map.tiff", NULL);

    write_float_tiff (map, 32, 64);
    expect_failure (dir, (const char *[]){ map, "32 x 64", "img000", NULL });
  }
  /* a mask of another size than its map */
  {
    g_autofree char *dir = copy_case1 ();
    g_autofree char *mask = g_build_filename (dir, "masks", "img005_mask.png", NULL);

    write_gray_png (mask, 64, 63);
    expect_failure (dir, (const char *[]){ mask, "64 x 63", NULL });
  }
  /* an 8-bit map */
  {
    g_autofree char *dir = copy_case1 ();
    g_autofree char *map = g_build_filename (dir, "maps", "img000_map.tiff", NULL);

    write_gray_png (map, 64, 64); /* read by content: a PNG under a .tiff name */
    expect_failure (dir, (const char *[]){ map, "32-bit float", NULL });
  }
  /* a file that is no image */
  {
    g_autofree char *dir = copy_case1 ();
    g_autofree char *map = g_build_filename (dir, "maps", "img007_map.tiff", NULL);

    g_assert_true (g_file_set_contents (map, "not an image at all", -1, NULL));
    expect_failure (dir, (const char *[]){ map, NULL });
  }
  /* a missing map */
  {
    g_autofree char *dir = copy_case1 ();
    g_autofree char *map = g_build_filename (dir, "maps", "img002_map.tiff", NULL);

    g_assert_cmpint (g_unlink (map), ==, 0);
    expect_failure (dir, (const char *[]){ map, "no such file", NULL });
  }
}

static void
test_missing_masks_and_nan (void)
{
  /* masks removed: every pixel good, so pixel metrics and AUPRO are null
   * with notes; image metrics stay */
  g_autofree char *dir = copy_case1 ();
  g_autofree char *masks = g_build_filename (dir, "masks", NULL);
  g_autofree char *out_path = g_build_filename (dir, "out.json", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GDir) d = g_dir_open (masks, 0, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  const char *entry;
  JsonObject *got, *notes;

  while ((entry = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (masks, entry, NULL);
      g_unlink (path);
    }
  g_assert_cmpint (
    run_cli ((const char *[]){ "metrics", dir, "--json", out_path, NULL }, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "nan"));
  /* said, not silent: defect images whose masks are missing */
  dm_test_assert_has (err, "warning:");
  dm_test_assert_has (err, "defect images without a mask");
  dm_test_assert_has (err, "_mask.png");
  got = dm_test_load_json (parser, out_path);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (got, "pixel_auroc")));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (got, "aupro")));
  g_assert_cmpfloat (
    fabs (json_object_get_double_member (got, "image_auroc") - 0.77777777777777779), <=, 1e-12);
  notes = json_object_get_object_member (got, "notes");
  g_assert_nonnull (notes);
  g_assert_true (json_object_has_member (notes, "pixel_ap"));
  g_assert_nonnull (strstr (json_object_get_string_member (notes, "aupro"), "no defect region"));
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (got, "diagnostics"),
                                               "n_missing_masks"),
                   ==, 12);
}

static void
test_usage (void)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_cli ((const char *[]){ "metrics", NULL }, &out, &err), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli ((const char *[]){ "metrics", "--help", NULL }, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "scores.csv"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli ((const char *[]){ "--help", NULL }, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "metrics"));
}

int
main (int argc, char *argv[])
{
  static const char *const cases[] = { "case1", "case2", "case3", "case4", "case5", "case6" };
  int status;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, >=, 2);
  cli_path = argv[1];
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/cli-metrics/reference/%s", cases[i]);
      g_test_add_data_func (path, cases[i], test_reference_case);
    }
  g_test_add_func ("/cli-metrics/missing-dir", test_missing_dir);
  g_test_add_func ("/cli-metrics/bad-csv", test_bad_csv);
  g_test_add_func ("/cli-metrics/bad-images", test_bad_images);
  g_test_add_func ("/cli-metrics/missing-masks", test_missing_masks_and_nan);
  g_test_add_func ("/cli-metrics/usage", test_usage);
  status = g_test_run ();
  g_print ("# largest deviation of `dinomaly metrics --json` from expected.json:");
  for (int id = 0; id < 7; id++)
    g_print (" %s %.2g%s", metric_keys[id], worst_dev[id], id < 6 ? "," : "\n");
  return status;
}
