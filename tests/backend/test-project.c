/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Projects: create, reopen exactly, atomic saves, versions, undo of class
 * removal, labels. */
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dm-demo.h"
#include "dm-error.h"
#include "dm-image.h"
#include "dm-project-metrics.h"
#include "dm-project.h"
#include "dm-test-util.h"

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
test_project_create_and_reopen (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *folder = g_build_filename (tmp, "parts", "tires", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmProject) p = dm_project_create (folder, "Tires", &error);
  g_autoptr (DmProject) q = NULL;
  g_autofree char *json1 = NULL, *json2 = NULL;
  DmProjectClass *c;

  g_assert_no_error (error);
  for (const char *const *sub
       = (const char *const[]){ "labels", "masks", "checkpoints", "results", "reports", NULL };
       *sub != NULL; sub++)
    {
      g_autofree char *dir = g_build_filename (folder, *sub, NULL);
      g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
    }
  c = dm_project_class_new ("tire", "mvtec", "/data/tire");
  c->image_threshold = 0.125;
  c->uncertain_low = 0.1;
  c->uncertain_high = 0.15;
  c->rules = dm_rules_new ();
  c->rules->ref_width = 640;
  c->rules->ref_height = 480;
  c->rules->mm_per_pixel = 0.08;
  dm_roi_add (c->rules->roi, DM_ROI_POLYGON, DM_ROI_INSPECT, FALSE, 0,
              (const double[]){ 10, 10, 600, 20, 300, 470 }, 3);
  c->rules->max_regions = 2;
  g_assert_true (dm_project_add_class (p, c, &error));
  g_assert_true (
    dm_project_add_class (p, dm_project_class_new ("tile", "folders", "/x/ok"), &error));
  c = dm_project_class_new ("tile", "folders", "/y");
  /* refused: the caller keeps the class */
  g_assert_false (dm_project_add_class (p, c, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);
  dm_project_class_free (c);
  p->backbone_kind = g_strdup ("random");
  p->backbone_arch = g_strdup ("small");
  json_object_set_int_member (p->settings, "iterations", 250);
  p->model = g_strdup ("model.dinomaly");
  dm_project_set_label (p, "/data/tire/test/hole/000.png", DM_USER_LABEL_DEFECT);
  dm_project_set_label (p, "/data/tire/test/good/001.png", DM_USER_LABEL_GOOD);
  g_assert_true (dm_project_save (p, &error));
  g_assert_no_error (error);
  /* only project.json and the subfolders: no temporary file left */
  g_assert_cmpuint (count_entries (folder), ==, 6);

  q = dm_project_open (folder, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (q->name, ==, "Tires");
  g_assert_cmpuint (q->classes->len, ==, 2);
  c = dm_project_find_class (q, "tire");
  g_assert_nonnull (c);
  g_assert_cmpfloat (c->image_threshold, ==, 0.125);
  g_assert_true (isnan (c->pixel_threshold));
  g_assert_cmpfloat (c->uncertain_high, ==, 0.15);
  g_assert_true (dm_rules_equal (c->rules, dm_project_find_class (p, "tire")->rules));
  g_assert_null (dm_project_find_class (q, "tile")->rules);
  g_assert_cmpstr (q->backbone_arch, ==, "small");
  g_assert_cmpint (json_object_get_int_member (q->settings, "iterations"), ==, 250);
  g_assert_cmpint (dm_project_get_label (q, "/data/tire/test/hole/000.png"), ==,
                   DM_USER_LABEL_DEFECT);
  g_assert_cmpint (dm_project_get_label (q, "/data/tire/test/good/001.png"), ==,
                   DM_USER_LABEL_GOOD);
  g_assert_cmpint (dm_project_get_label (q, "/elsewhere.png"), ==, DM_USER_LABEL_NONE);
  /* what was there is exactly what comes back */
  g_free (q->modified);
  q->modified = g_strdup (p->modified);
  json1 = dm_project_to_json (p);
  json2 = dm_project_to_json (q);
  g_assert_cmpstr (json1, ==, json2);

  /* a second project in the same folder is refused */
  g_assert_null (dm_project_create (folder, "again", &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
}

static void
test_project_remove_class_undo (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (DmProject) p = dm_project_create (tmp, "p", &error);
  DmProjectClass *removed;

  dm_project_add_class (p, dm_project_class_new ("a", "folders", "/a"), &error);
  dm_project_add_class (p, dm_project_class_new ("b", "folders", "/b"), &error);
  dm_project_add_class (p, dm_project_class_new ("c", "folders", "/c"), &error);
  removed = dm_project_remove_class (p, "b");
  g_assert_nonnull (removed);
  g_assert_null (dm_project_find_class (p, "b"));
  dm_project_insert_class (p, removed, 1);
  g_assert_cmpstr (((DmProjectClass *)g_ptr_array_index (p->classes, 1))->name, ==, "b");
  g_assert_null (dm_project_remove_class (p, "zzz"));
}

static void
write_file (const char *path, const char *text)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_set_contents (path, text, -1, &error));
}

static void
test_project_versions (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *file = g_build_filename (tmp, "project.json", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmProject) p = NULL;
  g_autofree char *saved = NULL;

  /* newer: refused with a clear message, and the file is not touched */
  write_file (file,
              "{\"format\": \"org.dinomaly.Studio.project\", \"version\": 7, \"name\": \"n\"}");
  g_assert_null (dm_project_open (tmp, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "newer"));
  g_assert_nonnull (strstr (error->message, "project.json"));
  g_clear_error (&error);
  g_assert_true (g_file_get_contents (file, &saved, NULL, NULL));
  g_assert_nonnull (strstr (saved, "\"version\": 7"));
  g_clear_pointer (&saved, g_free);

  /* version 0 (no format, preset at the top): upgraded and saved */
  write_file (file, "{\"name\": \"old\", \"preset\": \"paper\", \"classes\": []}");
  p = dm_project_open (tmp, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (p->preset, ==, "paper");
  g_assert_true (g_file_get_contents (file, &saved, NULL, NULL));
  g_assert_nonnull (strstr (saved, "\"version\": 2"));
}

static void
test_project_bad_files (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *file = g_build_filename (tmp, "project.json", NULL);
  g_autofree char *missing = g_build_filename (tmp, "nope", NULL);
  const char *cases[] = {
    "{ not json",
    "[1, 2]",
    "{\"format\": \"something.else\", \"version\": 1}",
    "{\"version\": 1, \"classes\": 3}",
    "{\"version\": 1, \"classes\": [{\"name\": \"a\"}]}",
    /* two classes of the same name */
    ("{\"version\": 1, \"classes\": [{\"name\": \"a\", \"layout\": \"mvtec\"}, "
     "{\"name\": \"a\", \"layout\": \"mvtec\"}]}"),
  };
  g_autoptr (GError) error = NULL;

  g_assert_null (dm_project_open (missing, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_IO);
  g_clear_error (&error);
  g_assert_null (dm_project_open (tmp, &error));
  g_assert_nonnull (strstr (error->message, "holds no project"));
  g_clear_error (&error);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      write_file (file, cases[i]);
      g_assert_null (dm_project_open (tmp, &error));
      g_assert_error (error, DM_ERROR, DM_ERROR_CORRUPT);
      g_assert_nonnull (strstr (error->message, "project.json"));
      g_clear_error (&error);
    }
}

static void
test_project_mask_path (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (DmProject) p = dm_project_create (tmp, "p", &error);
  g_autofree char *mask = dm_project_mask_path (p, "tire", "/data/test/hole/004.png");
  g_autofree char *want
    = g_build_filename (p->folder, "masks", "tire", "hole", "004_mask.png", NULL);

  g_assert_cmpstr (mask, ==, want);
}

static guint
count_files (const char *root, const char *a, const char *b, const char *c)
{
  g_autofree char *dir = g_build_filename (root, a, b, c, NULL);
  return count_entries (dir);
}

static void
test_demo_dataset_and_project (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *folder = g_build_filename (tmp, "demo", NULL);
  g_autofree char *dataset = g_build_filename (folder, "dataset", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmProject) p = dm_demo_project_ensure (folder, &error);
  g_autoptr (DmProject) again = NULL;
  g_autofree char *mask_path = NULL, *image_path = NULL;
  g_autoptr (DmImage) mask = NULL;
  g_autoptr (DmImage) image = NULL;
  gsize defect_pixels = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (p->classes->len, ==, 2);
  g_assert_cmpstr (p->backbone_kind, ==, "random");
  g_assert_cmpuint (count_files (dataset, "washer", "train", "good"), ==, 40);
  g_assert_cmpuint (count_files (dataset, "washer", "test", "good"), ==, 10);
  g_assert_cmpuint (count_files (dataset, "fabric", "test", "hole"), ==, 6);
  g_assert_cmpuint (count_files (dataset, "fabric", "ground_truth", "thread"), ==, 6);

  /* a defect image has a matching, non-empty mask of its size */
  image_path = g_build_filename (dataset, "washer", "test", "scratch", "002.png", NULL);
  mask_path = g_build_filename (dataset, "washer", "ground_truth", "scratch", "002_mask.png", NULL);
  image = dm_image_load (image_path, 0, &error);
  g_assert_no_error (error);
  mask = dm_image_load (mask_path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->channels, ==, 3);
  g_assert_cmpint (mask->width, ==, image->width);
  g_assert_cmpint (mask->height, ==, image->height);
  for (int y = 0; y < mask->height; y++)
    for (int x = 0; x < mask->width; x++)
      defect_pixels += mask->data[(gsize)y * mask->stride + x] > 0;
  g_assert_cmpuint (defect_pixels, >, 20);
  g_assert_cmpuint (defect_pixels, <, (gsize)mask->width * mask->height / 10);

  /* a second call opens the existing project */
  again = dm_demo_project_ensure (folder, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->classes->len, ==, 2);
}

/* The F1-optimal pixel threshold of a class's evaluation against a brute
 * force: maps of 16 levels, every level tried as the cut by counting the
 * pixels at or above it; only images with ground truth count, and with a
 * region of interest only its pixels. */
static double
brute_pixel_f1 (const DmProjectClassEval *e, double *best_f1)
{
  double best = 0, threshold = NAN;

  /* from the highest level down: the first of the best F1 wins, as the
   * sorted walk does */
  for (int level = 15; level >= 0; level--)
    {
      double cut = level / 16.0, f1;
      gsize tp = 0, fp = 0, fn = 0;

      for (guint j = 0; j < e->n; j++)
        for (gsize p = 0; p < 256 * 256; p++)
          {
            gboolean called = e->maps[(gsize)j * 256 * 256 + p] >= cut;
            gboolean defect = e->masks[(gsize)j * 256 * 256 + p] != 0;

            if (!e->has_truth[j] || (e->inspected != NULL && !e->inspected[p]))
              continue;
            tp += called && defect;
            fp += called && !defect;
            fn += !called && defect;
          }
      f1 = tp + fp + fn > 0 ? 2.0 * tp / (double)(2 * tp + fp + fn) : 0;
      if (f1 > best)
        {
          best = f1;
          threshold = cut;
        }
    }
  *best_f1 = best;
  return threshold;
}

static void
test_pixel_f1_optimal (void)
{
  g_autoptr (DmProjectClassEval) e = g_new0 (DmProjectClassEval, 1);
  GRand *rand = g_rand_new_with_seed (18);
  double want, want_f1, got, got_f1;

  e->n = 4;
  e->maps = g_new (float, 4 * 256 * 256);
  e->masks = g_new0 (guint8, 4 * 256 * 256);
  e->has_truth = g_new (guint8, 4);
  for (guint j = 0; j < e->n; j++)
    {
      /* image 3 is a defect without a mask: its pixels must not count */
      e->has_truth[j] = j != 3;
      for (int y = 0; y < 256; y++)
        for (int x = 0; x < 256; x++)
          {
            gsize p = (gsize)j * 256 * 256 + (gsize)y * 256 + x;
            gboolean defect
              = (j == 1 || j == 2) && abs (x - 60 * (int)j) < 20 && abs (y - 128) < 20;

            e->masks[p] = defect && j != 3;
            /* defects mostly high, the rest mostly low, with overlap */
            e->maps[p] = (float)(g_rand_int_range (rand, defect ? 6 : 0, defect ? 16 : 11) / 16.0);
          }
    }
  want = brute_pixel_f1 (e, &want_f1);
  got = dm_project_class_eval_pixel_f1_optimal (e, &got_f1);
  g_test_message ("all pixels: cut %g (F1 %.6f)", got, got_f1);
  g_assert_cmpfloat (got, ==, want);
  g_assert_cmpfloat_with_epsilon (got_f1, want_f1, 1e-12);

  /* a region of interest: the left half only */
  e->inspected = g_new0 (guint8, 256 * 256);
  for (int y = 0; y < 256; y++)
    memset (e->inspected + (gsize)y * 256, 1, 128);
  want = brute_pixel_f1 (e, &want_f1);
  got = dm_project_class_eval_pixel_f1_optimal (e, &got_f1);
  g_test_message ("left half: cut %g (F1 %.6f)", got, got_f1);
  g_assert_cmpfloat (got, ==, want);
  g_assert_cmpfloat_with_epsilon (got_f1, want_f1, 1e-12);

  /* no defect pixel at all: no threshold */
  memset (e->masks, 0, 4 * 256 * 256);
  g_assert_true (isnan (dm_project_class_eval_pixel_f1_optimal (e, &got_f1)));
  g_assert_cmpfloat (got_f1, ==, 0);
  g_rand_free (rand);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/project/create-and-reopen", test_project_create_and_reopen);
  g_test_add_func ("/project/remove-class-undo", test_project_remove_class_undo);
  g_test_add_func ("/project/versions", test_project_versions);
  g_test_add_func ("/project/bad-files", test_project_bad_files);
  g_test_add_func ("/project/mask-path", test_project_mask_path);
  g_test_add_func ("/project/demo", test_demo_dataset_and_project);
  g_test_add_func ("/project/pixel-f1-optimal", test_pixel_f1_optimal);
  return g_test_run ();
}
