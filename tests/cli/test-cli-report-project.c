/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A trained project's metrics and report: without the user's labels and
 * masks the project's metrics are those of `dinomaly eval` (dm_evaluate_class
 * on the same model and data) bit for bit; a label and a painted mask of the
 * user change them; `dinomaly report --project` writes a PDF, JSON and CSV
 * whose figures are the project's; an untrained project is refused. */
#include <math.h>
#include <string.h>

#include "dm-image.h"
#include "dm-project-metrics.h"
#include "dm-project-versions.h"
#include "dm-test-data.h"
#include "dm-test-project.h"
#include "dm-test-util.h"

static const char *cli_path;

static void
assert_same_metrics (const DmMetrics *a, const DmMetrics *b)
{
  for (int id = 0; id < DM_METRIC_COUNT; id++)
    {
      double x = dm_metrics_get (a, id), y = dm_metrics_get (b, id);
      g_assert_true ((isnan (x) && isnan (y)) || x == y);
    }
}

/* A mask of the image's size with a square of defect in the middle. */
static void
paint_mask (const char *path, int w, int h)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  DmImage *mask = dm_image_new (w, h, 1, DM_PIXEL_U8, &error);

  g_assert_no_error (error);
  for (int y = h / 3; y < 2 * h / 3; y++)
    memset (mask->data + (gsize)y * mask->stride + w / 3, 255, (gsize)(w / 3));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (dm_image_save_png (mask, path, &error));
  g_assert_no_error (error);
  dm_image_free (mask);
}

static void
test_project_metrics_and_report (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *folder = g_build_filename (tmp, "project", NULL);
  g_autoptr (DmProject) p = dm_test_tiny_project (folder, 12);
  g_autoptr (DmProjectTrain) job = dm_test_train_project (p);
  g_autoptr (GError) error = NULL;
  g_autofree char *results_dir = dm_project_results_folder (p);
  g_autoptr (DmProjectResults) r = dm_project_results_load (results_dir, &error);
  g_autofree char *pdf = g_build_filename (tmp, "r.pdf", NULL);
  g_autofree char *json = g_build_filename (tmp, "r.json", NULL);
  g_autofree char *csv = g_build_filename (tmp, "r.csv", NULL);
  g_autofree char *out = NULL, *err = NULL, *csv_text = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  DmMetrics with_user[8];
  int c = 0;

  g_assert_nonnull (job);
  g_assert_no_error (error);
  g_assert_cmpuint (r->n_classes, ==, 2);
  for (guint k = 0; k < r->n_classes; k++)
    {
      g_autoptr (DmProjectClassEval) mine = dm_project_class_eval (r, k, p, &error);
      g_autoptr (DmEvalClass) eval = dm_test_evaluate_project_class (p, r->classes[k].name);

      g_assert_no_error (error);
      g_assert_cmpuint (mine->n, ==, eval->n_images);
      g_assert_cmpuint (mine->n_user_labels, ==, 0);
      assert_same_metrics (&mine->metrics, &eval->metrics);
    }

  /* the user calls the first good test image of class 0 a defect and
   * paints its region: it now counts as a defect with that mask */
  for (guint i = 0; i < r->classes[0].n_images; i++)
    {
      DmResultImage *im = &r->classes[0].images[i];
      g_autofree char *mask = NULL;

      if (im->split != DM_SPLIT_TEST || im->label != DM_LABEL_GOOD)
        continue;
      dm_project_set_label (p, im->path, DM_USER_LABEL_DEFECT);
      mask = dm_project_mask_path (p, r->classes[0].name, im->path);
      paint_mask (mask, im->width, im->height);
      break;
    }
  g_assert_true (dm_project_save (p, &error));
  for (guint k = 0; k < r->n_classes; k++)
    {
      g_autoptr (DmProjectClassEval) mine = dm_project_class_eval (r, k, p, &error);
      g_autoptr (DmEvalClass) eval = dm_test_evaluate_project_class (p, r->classes[k].name);

      g_assert_no_error (error);
      g_assert_cmpuint (mine->n_user_labels, ==, k == 0);
      g_assert_cmpuint (mine->n_user_masks, ==, k == 0);
      if (k == 0)
        g_assert_cmpfloat (mine->metrics.n_anomalous, ==, eval->metrics.n_anomalous + 1);
      with_user[k] = mine->metrics;
    }

  /* the report of the project */
  g_assert_cmpint (dm_test_run_cli (cli_path,
                                    (const char *[]){ "report", "--project", folder, "--out", pdf,
                                                      "--json", json, "--csv", csv, NULL },
                                    &out, &err),
                   ==, 0);
  g_assert_true (json_parser_load_from_file (parser, json, &error));
  {
    JsonObject *classes = json_object_get_object_member (
      json_node_get_object (json_parser_get_root (parser)), "classes");

    for (guint k = 0; k < r->n_classes; k++, c++)
      {
        JsonObject *o = json_object_get_object_member (classes, r->classes[k].name);

        for (int id = 0; id < DM_METRIC_COUNT; id++)
          {
            JsonNode *n = json_object_get_member (o, dm_metric_name (id));
            double want = dm_metrics_get (&with_user[k], id);

            if (isnan (want))
              g_assert_true (JSON_NODE_HOLDS_NULL (n));
            else
              g_assert_cmpfloat_with_epsilon (json_node_get_double (n), want, 1e-12);
          }
      }
  }
  g_assert_true (g_file_get_contents (csv, &csv_text, NULL, NULL));
  dm_test_assert_has (csv_text, "class,path,label,score,decision,threshold");
  if (dm_test_have_program ("pdftotext"))
    {
      g_autofree char *text = NULL;
      const char *argv[] = { "pdftotext", pdf, "-", NULL };

      g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                   &text, NULL, NULL, &error));
      dm_test_assert_has (text, "Inspection report: tiny");
      dm_test_assert_has (text, "washer");
      dm_test_assert_has (text, "fabric");
    }
}

static void
test_untrained_project (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *folder = g_build_filename (tmp, "p", NULL);
  g_autofree char *pdf = g_build_filename (tmp, "r.pdf", NULL);
  g_autofree char *out = NULL, *err = NULL;

  dm_project_free (dm_test_tiny_project (folder, 4));

  g_assert_cmpint (
    dm_test_run_cli (
      cli_path, (const char *[]){ "report", "--project", folder, "--out", pdf, NULL }, &out, &err),
    ==, 1);
  dm_test_assert_has (err, "no scored images");
  g_assert_false (g_file_test (pdf, G_FILE_TEST_EXISTS));
  g_assert_cmpint (dm_test_run_cli (cli_path,
                                    (const char *[]){ "report", "--project", folder, "--model", "m",
                                                      "--out", pdf, NULL },
                                    &out, &err),
                   ==, 2);
}

/* `dinomaly train --project` is the window's job: model and scores land in
 * the project, which `report --project` then reads. */
static void
test_train_project_cli (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *folder = g_build_filename (tmp, "p", NULL);
  g_autofree char *pdf = g_build_filename (tmp, "r.pdf", NULL);
  g_autoptr (DmProject) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL, *ckpt = NULL;

  dm_project_free (dm_test_tiny_project (folder, 6));
  g_assert_cmpint (
    dm_test_run_cli (cli_path, (const char *[]){ "train", "--project", folder, NULL }, &out, &err),
    ==, 0);
  dm_test_assert_has (out, "model trained and saved in the project");
  dm_test_assert_has (err, "scoring the test and held-out images");
  again = dm_project_open (folder, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->model, ==, "models/v1/model.dinomaly");
  /* nothing to resume after a finished run, and its checkpoint is gone */
  ckpt = g_build_filename (folder, "checkpoints", "checkpoint.safetensors", NULL);
  g_assert_false (g_file_test (ckpt, G_FILE_TEST_EXISTS));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (
    dm_test_run_cli (cli_path, (const char *[]){ "train", "--project", folder, "--resume", NULL },
                     &out, &err),
    ==, 1);
  dm_test_assert_has (err, "no interrupted run to resume");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (
    dm_test_run_cli (
      cli_path, (const char *[]){ "train", "--project", folder, "--data", tmp, NULL }, &out, &err),
    ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (
    dm_test_run_cli (
      cli_path, (const char *[]){ "report", "--project", folder, "--out", pdf, NULL }, &out, &err),
    ==, 0);
  g_assert_true (g_file_test (pdf, G_FILE_TEST_IS_REGULAR));
}

static char *
run_tool (const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  char *out = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return out;
}

/* A report of real images (a few of magnetic_tile, or generated parts
 * without ../shared): the PDF's text shows the JSON's metrics, which are
 * `dinomaly eval`'s; its pages render (written under the build folder to
 * look at). */
static void
test_real_report (void)
{
  const char *defects[] = { "blowhole", "break", "crack", NULL };
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *folder = g_build_filename (tmp, "tiles", NULL);
  g_autofree char *pdf = g_build_filename (tmp, "tiles.pdf", NULL);
  g_autofree char *json = g_build_filename (tmp, "tiles.json", NULL);
  g_autofree char *csv = g_build_filename (tmp, "tiles.csv", NULL);
  g_autoptr (DmProject) p = dm_test_real_project (folder, "Tiles", 12, 6, defects, 2, 40);
  g_autoptr (DmProject) trained = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL, *csv_text = NULL;
  const char *name = ((DmProjectClass *)p->classes->pdata[0])->name;
  JsonObject *klass;

  g_assert_cmpint (
    dm_test_run_cli (cli_path, (const char *[]){ "train", "--project", folder, NULL }, &out, &err),
    ==, 0);
  g_assert_cmpint (dm_test_run_cli (cli_path,
                                    (const char *[]){ "report", "--project", folder, "--out", pdf,
                                                      "--json", json, "--csv", csv, NULL },
                                    &out, &err),
                   ==, 0);
  trained = dm_project_open (folder, &error);
  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_file (parser, json, &error));
  klass = json_object_get_object_member (
    json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "classes"),
    name);
  {
    g_autoptr (DmEvalClass) eval = dm_test_evaluate_project_class (trained, name);
    g_autofree char *text = NULL;
    g_auto (GStrv) rows = NULL;

    for (int id = 0; id < DM_METRIC_COUNT; id++)
      {
        double want = dm_metrics_get (&eval->metrics, id);
        JsonNode *n = json_object_get_member (klass, dm_metric_name (id));

        g_test_message ("%s %s = %.6f", name, dm_metric_name (id), want);
        if (isnan (want))
          g_assert_true (JSON_NODE_HOLDS_NULL (n));
        else
          g_assert_cmpfloat (json_node_get_double (n), ==, want);
      }
    g_assert_true (g_file_get_contents (csv, &csv_text, NULL, NULL));
    rows = g_strsplit (csv_text, "\n", -1);
    /* header, one row per test image, "" */
    g_assert_cmpuint (g_strv_length (rows), ==, eval->n_images + 2);
    if (!dm_test_have_program ("pdftotext") || !dm_test_have_program ("pdftoppm"))
      {
        g_test_skip ("pdftotext/pdftoppm not installed (Debian: poppler-utils)");
        return;
      }
    text = run_tool ((const char *[]){ "pdftotext", pdf, "-", NULL });
    dm_test_assert_has (text, "Inspection report: Tiles");
    for (int id = 0; id < DM_METRIC_COUNT; id++)
      {
        double v = dm_metrics_get (&eval->metrics, id);
        g_autofree char *want = NULL;

        /* as dm_report_format_number prints it: an AUPRO of -0 is "0.0000" */
        if (v == 0.0)
          v = 0.0;
        want = g_strdup_printf ("%.4f", v);

        if (!isnan (v))
          dm_test_assert_has (text, want);
      }
  }
  {
    g_autofree char *pages = g_build_filename (
      g_getenv ("DM_TEST_BUILDDIR") != NULL ? g_getenv ("DM_TEST_BUILDDIR") : tmp, "report-pages",
      NULL);
    g_autofree char *prefix = g_build_filename (pages, "tiles", NULL);
    g_autofree char *first = g_build_filename (pages, "tiles-1.png", NULL);
    g_autofree char *ignored = NULL;

    g_assert_cmpint (g_mkdir_with_parents (pages, 0755), ==, 0);
    ignored = run_tool ((const char *[]){ "pdftoppm", "-png", "-r", "50", pdf, prefix, NULL });
    g_assert_true (g_file_test (first, G_FILE_TEST_IS_REGULAR));
    g_test_message ("pages rendered to %s-*.png", prefix);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, ==, 2);
  cli_path = argv[1];
  g_test_add_func ("/cli-report-project/metrics-and-report", test_project_metrics_and_report);
  g_test_add_func ("/cli-report-project/untrained", test_untrained_project);
  g_test_add_func ("/cli-report-project/train-project", test_train_project_cli);
  g_test_add_func ("/cli-report-project/real-report", test_real_report);
  return g_test_run ();
}
