/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Inspecting new parts (dm-inspect.h) with a tiny model trained in
 * seconds: a folder with a broken image and a text file in it gives the
 * scores evaluation gives for the same files, the broken file reported by
 * name and the text file skipped; cancel stops; the CSV parses back to the
 * scores and decisions; the overlay PNGs decode at the images' sizes. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dm-demo.h"
#include "dm-error.h"
#include "dm-image.h"
#include "dm-inspect.h"
#include "dm-project-train.h"
#include "dm-project-versions.h"
#include "dm-test-util.h"

static char *tmp;
static char *model_path;
static DmProjectResults *trained; /* the training job's scores (dm_evaluate_class) */
static DmProject *project;

static void
train_tiny_model (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *folder = g_build_filename (tmp, "project", NULL);
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *washer = g_build_filename (data, "washer", NULL);
  g_autoptr (DmProjectTrain) job = NULL;
  DmDemoSettings demo;

  dm_demo_settings_default (&demo);
  demo.size = 64;
  demo.n_train = 6;
  demo.n_test_good = 2;
  demo.n_defect = 1;
  g_assert_true (dm_demo_write_dataset (data, &demo, &error));
  g_assert_no_error (error);
  project = dm_project_create (folder, "tiny", &error);
  g_assert_no_error (error);
  g_assert_true (
    dm_project_add_class (project, dm_project_class_new ("washer", "mvtec", washer), &error));
  project->backbone_kind = g_strdup ("random");
  project->backbone_arch = g_strdup ("tiny");
  json_object_set_int_member (project->settings, "resize", 32);
  json_object_set_int_member (project->settings, "crop", 28);
  json_object_set_int_member (project->settings, "total_iters", 6);
  json_object_set_int_member (project->settings, "batch", 4);
  json_object_set_int_member (project->settings, "warmup_iters", 2);
  g_assert_true (dm_project_save (project, &error));
  job = dm_project_train_new (project, FALSE, 0, &error);
  g_assert_no_error (error);
  g_assert_true (dm_project_train_run (job, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (dm_project_train_apply (job, project, &error));
  model_path = g_build_filename (folder, project->model, NULL);
  {
    g_autofree char *dir = dm_project_results_folder (project);
    trained = dm_project_results_load (dir, &error);
    g_assert_no_error (error);
  }
}

/* The class's test images copied into a folder of new parts (their names
 * prefixed so they sort in the same order), plus broken.png (a PNG
 * signature, then garbage) and notes.txt. */
static char *
make_parts_folder (GPtrArray *expected_paths, GArray *expected_scores)
{
  char *parts = g_build_filename (tmp, "parts", NULL);
  const DmResultClass *k = &trained->classes[0];
  static const guint8 broken[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3, 4, 5 };
  guint n = 0;

  g_assert_cmpint (g_mkdir_with_parents (parts, 0755), ==, 0);
  for (guint i = 0; i < k->n_images; i++)
    {
      g_autofree char *data = NULL;
      g_autofree char *base = g_path_get_basename (k->images[i].path);
      g_autofree char *name = NULL;
      g_autofree char *dst = NULL;
      gsize size;

      if (k->images[i].split != DM_SPLIT_TEST)
        continue;
      name = g_strdup_printf ("p%02u-%s", n++, base);
      dst = g_build_filename (parts, name, NULL);
      g_assert_true (g_file_get_contents (k->images[i].path, &data, &size, NULL));
      g_assert_true (g_file_set_contents (dst, data, (gssize)size, NULL));
      g_ptr_array_add (expected_paths, g_steal_pointer (&dst));
      g_array_append_val (expected_scores, k->images[i].score);
    }
  {
    /* "broken" sorts after "p..": the last file of the folder */
    g_autofree char *bad = g_build_filename (parts, "q-broken.png", NULL);
    g_autofree char *txt = g_build_filename (parts, "notes.txt", NULL);

    g_assert_true (g_file_set_contents (bad, (const char *)broken, sizeof broken, NULL));
    g_assert_true (g_file_set_contents (txt, "not an image\n", -1, NULL));
  }
  return parts;
}

typedef struct
{
  GPtrArray *paths;  /* char* of scored images */
  GArray *scores;    /* float */
  GPtrArray *maps;   /* float[256*256] */
  GPtrArray *errors; /* char*: messages of failed images */
  guint n_calls;
  guint last_index;
  gint *cancel_after; /* set to 1 after this many calls */
  guint cancel_at;
  int width, resize, crop;
} Seen;

static void
seen_init (Seen *seen)
{
  memset (seen, 0, sizeof *seen);
  seen->paths = g_ptr_array_new_with_free_func (g_free);
  seen->scores = g_array_new (FALSE, FALSE, sizeof (float));
  seen->maps = g_ptr_array_new_with_free_func (g_free);
  seen->errors = g_ptr_array_new_with_free_func (g_free);
}

static void
seen_clear (Seen *seen)
{
  g_ptr_array_unref (seen->paths);
  g_array_unref (seen->scores);
  g_ptr_array_unref (seen->maps);
  g_ptr_array_unref (seen->errors);
}

static void
on_item (const DmInspectItem *item, gpointer user_data)
{
  Seen *seen = user_data;

  /* in order, every file once */
  g_assert_cmpuint (item->index, ==, seen->n_calls);
  seen->n_calls++;
  if (item->error != NULL)
    {
      g_assert_null (item->map);
      g_assert_true (isnan (item->score));
      g_ptr_array_add (seen->errors, g_strdup (item->error->message));
    }
  else
    {
      g_assert_nonnull (item->map);
      g_ptr_array_add (seen->paths, g_strdup (item->path));
      g_array_append_val (seen->scores, item->score);
      g_ptr_array_add (seen->maps, g_memdup2 (item->map, sizeof (float) * 256 * 256));
      seen->width = item->width;
      seen->resize = item->resize;
      seen->crop = item->crop;
    }
  if (seen->cancel_after != NULL && seen->n_calls == seen->cancel_at)
    g_atomic_int_set (seen->cancel_after, 1);
}

static void
test_collect_and_stems (void)
{
  g_autofree char *dir = g_build_filename (tmp, "collect", NULL);
  g_autofree char *empty = g_build_filename (tmp, "collect-empty", NULL);
  g_autofree char *a = g_build_filename (dir, "b.png", NULL);
  g_autofree char *b = g_build_filename (dir, "a.png", NULL);
  g_autofree char *t = g_build_filename (dir, "readme.txt", NULL);
  g_autofree char *h = g_build_filename (dir, ".hidden.png", NULL);
  g_autofree char *e = g_build_filename (empty, "x.txt", NULL);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) notes = g_ptr_array_new_with_free_func ((GDestroyNotify)g_error_free);
  g_autoptr (DmImage) img = dm_image_new (4, 4, 1, DM_PIXEL_U8, NULL);
  const char *args[] = { dir, empty, "/nonexistent/file.png", NULL };
  const char *names[] = { "x/a.png", "y/A.tif", "z/a.jpeg", ".png", NULL };
  g_auto (GStrv) stems = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);
  memset (img->data, 128, img->stride * 4);
  g_assert_true (dm_image_save_png (img, a, NULL));
  g_assert_true (dm_image_save_png (img, b, NULL));
  g_assert_true (dm_image_save_png (img, h, NULL));
  g_assert_true (g_file_set_contents (t, "text", -1, NULL));
  g_assert_true (g_file_set_contents (e, "text", -1, NULL));

  /* the empty folder fails the listing; the others are still listed */
  g_assert_false (dm_inspect_collect (args, files, notes));
  g_assert_cmpuint (files->len, ==, 2);
  g_assert_true (g_str_has_suffix (files->pdata[0], "a.png"));
  g_assert_true (g_str_has_suffix (files->pdata[1], "b.png"));
  g_assert_cmpuint (notes->len, ==, 3);
  g_assert_error ((GError *)notes->pdata[0], DM_ERROR, DM_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (((GError *)notes->pdata[0])->message, "readme.txt"));
  g_assert_error ((GError *)notes->pdata[1], DM_ERROR, DM_ERROR_INVALID);
  g_assert_nonnull (strstr (((GError *)notes->pdata[1])->message, "(1 other file)"));
  g_assert_error ((GError *)notes->pdata[2], DM_ERROR, DM_ERROR_IO);
  g_assert_nonnull (strstr (((GError *)notes->pdata[2])->message, "/nonexistent/file.png"));

  stems = dm_inspect_unique_stems (names, 4);
  g_assert_cmpstr (stems[0], ==, "a");
  g_assert_cmpstr (stems[1], ==, "A-2");
  g_assert_cmpstr (stems[2], ==, "a-3");
  g_assert_cmpstr (stems[3], ==, ".png");
  g_assert_null (stems[4]);
}

static void
test_inspect_folder (void)
{
  g_autoptr (GPtrArray) expected_paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) expected = g_array_new (FALSE, FALSE, sizeof (float));
  g_autofree char *parts = make_parts_folder (expected_paths, expected);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) notes = g_ptr_array_new_with_free_func ((GDestroyNotify)g_error_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmModelInfo) info = NULL;
  const char *args[] = { parts, NULL };
  DmInspectSettings settings;
  Seen seen;
  gint64 t0;

  g_assert_true (dm_inspect_collect (args, files, notes));
  g_assert_cmpuint (notes->len, ==, 1); /* notes.txt */
  g_assert_error ((GError *)notes->pdata[0], DM_ERROR, DM_ERROR_UNSUPPORTED);
  g_assert_cmpuint (files->len, ==, expected_paths->len + 1);

  dm_inspect_settings_init (&settings);
  settings.model_path = model_path;
  settings.batch = 3; /* not the training job's batch: batches must not matter */
  seen_init (&seen);
  t0 = g_get_monotonic_time ();
  g_assert_true (dm_inspect_run (&settings, (const char *const *)files->pdata, files->len, on_item,
                                 &seen, NULL, &info, &error));
  g_assert_no_error (error);
  g_test_message ("%u images inspected in %.2f s", files->len,
                  (double)(g_get_monotonic_time () - t0) / 1e6);
  g_assert_nonnull (info);
  g_assert_cmpuint (seen.n_calls, ==, files->len);
  g_assert_cmpuint (seen.errors->len, ==, 1);
  g_assert_nonnull (strstr (seen.errors->pdata[0], "q-broken.png"));
  g_test_message ("broken file: %s", (char *)seen.errors->pdata[0]);
  g_assert_cmpuint (seen.paths->len, ==, expected_paths->len);
  for (guint i = 0; i < seen.paths->len; i++)
    g_assert_cmpstr (seen.paths->pdata[i], ==, expected_paths->pdata[i]);
  /* the same numbers as the evaluation of the same files */
  dm_test_assert_close ((float *)seen.scores->data, (float *)expected->data, expected->len, 1e-5,
                        "inspect scores vs dm_evaluate_class");
  g_assert_cmpint (seen.width, ==, 64);
  g_assert_cmpint (seen.resize, ==, 32);
  g_assert_cmpint (seen.crop, ==, 28);

  /* export: CSV + overlays */
  {
    g_autofree DmInspectRecord *records = g_new0 (DmInspectRecord, seen.paths->len);
    g_autofree char *out = g_build_filename (tmp, "export", NULL);
    g_autofree char *csv_path = g_build_filename (out, "inspection.csv", NULL);
    g_autofree char *text = NULL;
    g_auto (GStrv) lines = NULL;
    DmProjectClass *pc = project->classes->pdata[0];
    const DmResultClass *rc = &trained->classes[0];
    DmThresholds th;
    g_autoptr (DmDecider) decider = NULL;
    DmOverlayStyle style;
    guint done = 0;
    guint n_fail = 0;

    dm_thresholds_init (&th);
    th.image = pc->image_threshold;
    th.pixel = pc->pixel_threshold;
    g_assert_true (isfinite (th.image));
    for (guint i = 0; i < seen.paths->len; i++)
      {
        records[i].path = seen.paths->pdata[i];
        records[i].score = g_array_index (seen.scores, float, i);
        records[i].map = seen.maps->pdata[i];
        records[i].width = 64; /* the washers are 64 x 64 (checked below) */
        records[i].height = 64;
      }
    decider = dm_decider_new (&th, NULL, seen.resize, seen.crop, &error);
    g_assert_no_error (error);
    dm_inspect_overlay_style (&style, th.pixel, rc->map_low, rc->map_high);
    g_assert_cmpfloat (style.low, ==, (float)rc->map_low);
    g_assert_cmpfloat (style.high, ==, (float)rc->map_high);
    g_assert_true (dm_inspect_write_overlays (out, records, seen.paths->len, seen.resize, seen.crop,
                                              &style, NULL, 0, NULL, &done, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (done, ==, seen.paths->len);
    g_assert_true (
      dm_inspect_write_csv (csv_path, "washer", decider, records, seen.paths->len, &error));
    g_assert_no_error (error);

    g_assert_true (g_file_get_contents (csv_path, &text, NULL, NULL));
    lines = g_strsplit (text, "\n", -1);
    g_assert_cmpstr (lines[0], ==, "class,path,score,decision,threshold," DM_VERDICT_CSV_COLUMNS);
    g_assert_cmpuint (g_strv_length (lines), ==, seen.paths->len + 2); /* + header, + "" */
    for (guint i = 0; i < seen.paths->len; i++)
      {
        g_auto (GStrv) f = g_strsplit (lines[i + 1], ",", -1);
        float score = g_array_index (seen.scores, float, i);
        g_autofree char *base = g_path_get_basename (seen.paths->pdata[i]);
        g_autofree char *stem = g_strndup (base, strrchr (base, '.') - base);
        g_autofree char *png_name = g_strconcat (stem, "_overlay.png", NULL);
        g_autofree char *png = g_build_filename (out, png_name, NULL);
        g_autoptr (DmImage) img = NULL;

        g_assert_cmpuint (g_strv_length (f), ==, 11);
        g_assert_cmpstr (f[0], ==, "washer");
        g_assert_cmpstr (f[1], ==, seen.paths->pdata[i]);
        g_assert_cmpfloat ((float)g_ascii_strtod (f[2], NULL), ==, score);
        g_assert_cmpstr (f[3], ==, dm_decision_name (dm_decide (&th, score)));
        g_assert_cmpfloat (g_ascii_strtod (f[4], NULL), ==, th.image);
        n_fail += dm_decide (&th, score) == DM_DECISION_FAIL;

        img = dm_image_load (png, 0, &error);
        g_assert_no_error (error);
        g_assert_cmpint (img->width, ==, 64);
        g_assert_cmpint (img->height, ==, 64);
        g_assert_cmpint (img->channels, ==, 3);
      }
    g_test_message ("%u of %u new parts fail at threshold %g", n_fail, seen.paths->len, th.image);

    /* a band: decisions and the threshold column follow it */
    th.uncertain_low = th.image * 0.5;
    th.uncertain_high = th.image * 2;
    g_clear_pointer (&decider, dm_decider_free);
    decider = dm_decider_new (&th, NULL, seen.resize, seen.crop, &error);
    g_assert_no_error (error);
    g_assert_true (dm_inspect_write_csv (csv_path, NULL, decider, records, 1, &error));
    g_clear_pointer (&text, g_free);
    g_assert_true (g_file_get_contents (csv_path, &text, NULL, NULL));
    {
      g_auto (GStrv) l = g_strsplit (text, "\n", -1);
      g_auto (GStrv) f = g_strsplit (l[1], ",", -1);

      g_assert_cmpstr (f[0], ==, "");
      g_assert_cmpstr (f[3], ==, dm_decision_name (dm_decide (&th, records[0].score)));
      g_assert_cmpfloat (g_ascii_strtod (f[4], NULL), ==, th.uncertain_high);
    }
  }

  /* cancelled after the first image: the rest of its batch comes, no more */
  {
    gint cancel = 0;
    Seen again;

    seen_init (&again);
    again.cancel_after = &cancel;
    again.cancel_at = 1;
    settings.batch = 2;
    g_assert_false (dm_inspect_run (&settings, (const char *const *)files->pdata, files->len,
                                    on_item, &again, &cancel, NULL, &error));
    g_assert_error (error, DM_ERROR, DM_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_cmpuint (again.n_calls, ==, 2);
    g_assert_cmpfloat (g_array_index (again.scores, float, 0), ==,
                       g_array_index (seen.scores, float, 0));
    seen_clear (&again);
    /* cancelled before it starts: nothing loads */
    seen_init (&again);
    g_assert_false (dm_inspect_run (&settings, (const char *const *)files->pdata, files->len,
                                    on_item, &again, &cancel, NULL, &error));
    g_assert_error (error, DM_ERROR, DM_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_cmpuint (again.n_calls, ==, 0);
    seen_clear (&again);
  }
  seen_clear (&seen);
}

static void
test_bad_model (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *bad = g_build_filename (tmp, "bad.dinomaly", NULL);
  const char *files[] = { bad };
  DmInspectSettings settings;

  g_assert_true (g_file_set_contents (bad, "not a model", -1, NULL));
  dm_inspect_settings_init (&settings);
  settings.model_path = bad;
  g_assert_false (dm_inspect_run (&settings, files, 1, NULL, NULL, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "bad.dinomaly"));
  g_test_message ("bad model: %s", error->message);
}

int
main (int argc, char *argv[])
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmp = dm_test_make_tmpdir ();
  train_tiny_model ();
  g_test_add_func ("/inspect/collect-and-stems", test_collect_and_stems);
  g_test_add_func ("/inspect/folder-export-cancel", test_inspect_folder);
  g_test_add_func ("/inspect/bad-model", test_bad_model);
  rc = g_test_run ();
  dm_test_print_error_summary ();
  g_clear_pointer (&trained, dm_project_results_free);
  g_clear_pointer (&project, dm_project_free);
  g_free (model_path);
  g_free (tmp);
  return rc;
}
