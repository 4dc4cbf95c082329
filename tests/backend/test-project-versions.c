/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Model versions: two training runs of a tiny project are two versions in
 * their own folders, the first untouched by the second (same bytes); each
 * record holds a fingerprint of the training images by content (the same
 * for the same images under other names), thresholds and metrics; promote
 * keeps the active version's thresholds in its record and takes the new
 * one's, roll back returns to them; the active version cannot be deleted,
 * a deletion is undone by putting the record back, its files go for good
 * only when asked, and its id is never given again; a version 1 project
 * (one model.dinomaly beside results/) opens as version 1 with its
 * results where they are, saved as project version 2. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-project-audit.h"
#include "dm-project-report.h"
#include "dm-project-train.h"
#include "dm-project-versions.h"
#include "dm-test-data.h"
#include "dm-test-project.h"
#include "dm-test-util.h"

static char *
sha (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *digest = dm_file_sha256 (path, &error);

  g_assert_no_error (error);
  return digest;
}

static void
test_two_runs_promote_roll_back_delete (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *folder = g_build_filename (tmp, "project", NULL);
  g_autoptr (DmProject) p = dm_test_tiny_project (folder, 6);
  g_autoptr (DmProjectTrain) first = NULL, second = NULL;
  g_autoptr (DmProject) reopened = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *v1_model = NULL, *v1_sha = NULL, *v1_results = NULL;
  DmProjectVersion *v1, *v2, *removed;
  DmProjectClass *washer;
  double v2_image;
  guint index;

  g_assert_cmpuint (p->next_version, ==, 1);
  first = dm_test_train_project (p);
  g_assert_cmpuint (dm_project_train_get_version_id (first), ==, 1);
  g_assert_cmpuint (p->versions->len, ==, 1);
  g_assert_cmpuint (p->active_version, ==, 1);
  g_assert_cmpstr (p->model, ==, "models/v1/model.dinomaly");
  v1 = dm_project_find_version (p, 1);
  v1_model = dm_project_version_model_path (p, v1);
  v1_sha = sha (v1_model);
  g_assert_cmpstr (v1->model_sha256, ==, v1_sha);
  g_assert_nonnull (v1->data_fingerprint);
  g_assert_cmpuint (v1->n_train, >, 0);
  g_assert_cmpuint (v1->n_line_parts, ==, 0);
  g_assert_cmpstr (v1->user, ==, g_get_user_name ());
  g_assert_cmpstr (v1->preset, ==, p->preset);
  g_assert_cmpint (json_object_get_int_member (v1->settings, "total_iters"), ==, 6);
  v1_results = dm_project_results_folder (p);
  g_assert_true (g_str_has_suffix (v1_results, "models/v1/results"));
  {
    g_autofree char *json = g_build_filename (v1_results, DM_RESULTS_FILE, NULL);
    g_assert_true (g_file_test (json, G_FILE_TEST_IS_REGULAR));
  }
  for (guint i = 0; i < p->classes->len; i++)
    {
      DmProjectClass *c = p->classes->pdata[i];
      DmVersionClass *vc = dm_project_version_find_class (v1, c->name);

      g_assert_nonnull (vc);
      g_assert_true (vc->has_metrics);
      g_assert_true (isfinite (vc->metrics[DM_METRIC_IMAGE_AUROC]));
      g_assert_cmpuint (vc->n_test_defect, >, 0);
      /* the first version is active: its proposals are the classes' thresholds */
      g_assert_cmpfloat (c->image_threshold, ==, vc->image_threshold);
    }

  /* the user moves a threshold of the active version */
  washer = dm_project_find_class (p, "washer");
  washer->image_threshold = 0.123;

  /* a second run: version 2, beside the first, which stays as it was */
  json_object_set_int_member (p->settings, "seed", 7);
  g_assert_true (dm_project_save (p, &error));
  second = dm_test_train_project (p);
  g_assert_cmpuint (dm_project_train_get_version_id (second), ==, 2);
  g_assert_cmpuint (p->versions->len, ==, 2);
  g_assert_cmpuint (p->active_version, ==, 1);
  g_assert_cmpstr (p->model, ==, "models/v1/model.dinomaly");
  g_assert_cmpfloat (washer->image_threshold, ==, 0.123);
  {
    g_autofree char *again = sha (v1_model);
    g_assert_cmpstr (again, ==, v1_sha);
  }
  v1 = dm_project_find_version (p, 1);
  v2 = dm_project_find_version (p, 2);
  g_assert_cmpstr (v2->model, ==, "models/v2/model.dinomaly");
  g_assert_cmpstr (v2->model_sha256, !=, v1->model_sha256);
  /* the same images: the same fingerprint */
  g_assert_cmpstr (v2->data_fingerprint, ==, v1->data_fingerprint);
  v2_image = dm_project_version_find_class (v2, "washer")->image_threshold;
  g_assert_true (isfinite (v2_image));

  /* promote 2: the classes take its thresholds, 1 keeps the user's */
  g_assert_true (dm_project_promote (p, 2, &error));
  g_assert_cmpuint (p->active_version, ==, 2);
  g_assert_cmpstr (p->model, ==, "models/v2/model.dinomaly");
  g_assert_cmpfloat (washer->image_threshold, ==, v2_image);
  g_assert_cmpfloat (dm_project_version_find_class (v1, "washer")->image_threshold, ==, 0.123);
  g_assert_cmpuint (dm_project_roll_back_target (p), ==, 1);
  washer->image_threshold = 0.456;
  g_assert_true (dm_project_save (p, &error));

  /* everything survives a reopen */
  reopened = dm_project_open (folder, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (reopened->active_version, ==, 2);
  g_assert_cmpuint (reopened->versions->len, ==, 2);
  g_assert_cmpuint (dm_project_roll_back_target (reopened), ==, 1);
  g_assert_cmpfloat (dm_project_find_class (reopened, "washer")->image_threshold, ==, 0.456);
  {
    g_autofree char *a = dm_project_to_json (p);
    g_autofree char *b = NULL;

    g_free (reopened->modified);
    reopened->modified = g_strdup (p->modified);
    b = dm_project_to_json (reopened);
    g_assert_cmpstr (a, ==, b);
  }

  /* roll back: version 1 with the user's threshold; 2 keeps its own */
  g_assert_true (dm_project_roll_back (p, &error));
  g_assert_cmpuint (p->active_version, ==, 1);
  g_assert_cmpfloat (washer->image_threshold, ==, 0.123);
  g_assert_cmpfloat (dm_project_version_find_class (v2, "washer")->image_threshold, ==, 0.456);
  g_assert_cmpuint (dm_project_roll_back_target (p), ==, 0);
  g_assert_false (dm_project_roll_back (p, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);

  /* the active one cannot go; another can, and come back */
  g_assert_null (dm_project_remove_version (p, 1, &index, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);
  removed = dm_project_remove_version (p, 2, &index, &error);
  g_assert_nonnull (removed);
  g_assert_null (dm_project_find_version (p, 2));
  dm_project_insert_version (p, removed, index);
  g_assert_true (dm_project_find_version (p, 2) == removed);
  /* for good: the files go, the id is never given again */
  removed = dm_project_remove_version (p, 2, &index, &error);
  g_assert_true (dm_project_version_delete_files (p, removed, &error));
  g_assert_no_error (error);
  {
    g_autofree char *dir = g_build_filename (folder, "models", "v2", NULL);
    g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_test (v1_model, G_FILE_TEST_IS_REGULAR));
  }
  dm_project_version_free (removed);
  g_assert_cmpuint (p->next_version, ==, 3);
}

/* A version 1 project: one model.dinomaly and results/ at its top. */
static void
test_upgrade_from_one_model (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *file = g_build_filename (tmp, "project.json", NULL);
  g_autofree char *model = g_build_filename (tmp, "model.dinomaly", NULL);
  g_autofree char *saved = NULL, *results = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmProject) p = NULL;
  DmProjectVersion *v;

  g_assert_true (g_file_set_contents (
    file,
    "{\"format\": \"org.dinomaly.Studio.project\", \"version\": 1, \"name\": \"old\", "
    "\"classes\": [{\"name\": \"tire\", \"layout\": \"mvtec\", \"source\": \"/data/tire\", "
    "\"thresholds\": {\"image\": 0.25, \"pixel\": 0.5}}], "
    "\"backbone\": {\"kind\": \"random\", \"arch\": \"small\"}, "
    "\"training\": {\"preset\": \"balanced\", \"settings\": {\"total_iters\": 20}}, "
    "\"model\": \"model.dinomaly\", \"labels\": {}}",
    -1, &error));
  g_assert_true (g_file_set_contents (model, "not really a model", -1, &error));
  p = dm_project_open (tmp, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (p->versions->len, ==, 1);
  g_assert_cmpuint (p->active_version, ==, 1);
  g_assert_cmpuint (p->next_version, ==, 2);
  v = dm_project_get_active_version (p);
  g_assert_cmpstr (v->model, ==, "model.dinomaly");
  g_assert_cmpstr (p->model, ==, "model.dinomaly");
  g_assert_cmpstr (v->preset, ==, "balanced");
  g_assert_cmpfloat (dm_project_version_find_class (v, "tire")->image_threshold, ==, 0.25);
  g_assert_cmpfloat (dm_project_find_class (p, "tire")->image_threshold, ==, 0.25);
  results = dm_project_results_folder (p);
  {
    g_autofree char *expected = g_build_filename (tmp, "results", NULL);
    g_assert_cmpstr (results, ==, expected);
  }
  /* saved as version 2 at once */
  g_assert_true (g_file_get_contents (file, &saved, NULL, NULL));
  g_assert_nonnull (strstr (saved, "\"version\": 2"));
  g_assert_nonnull (strstr (saved, "\"active_version\": 1"));
  /* its files are never removed from under the project's top */
  g_assert_true (dm_project_version_delete_files (p, v, &error));
  g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (tmp, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
}

static void
test_bad_versions (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *file = g_build_filename (tmp, "project.json", NULL);
  /* two versions of one id */
  static const char two_ids[]
    = "{\"version\": 2, \"versions\": [{\"id\": 1, \"model\": \"a\"}, {\"id\": 1, \"model\": "
      "\"b\"}]}";
  const char *cases[] = {
    "{\"version\": 2, \"versions\": [3]}",
    "{\"version\": 2, \"versions\": [{\"id\": 1}]}",
    "{\"version\": 2, \"versions\": [{\"id\": 1, \"model\": \"/etc/passwd\"}]}",
    "{\"version\": 2, \"versions\": [{\"id\": 1, \"model\": \"../x.dinomaly\"}]}",
    two_ids,
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_true (g_file_set_contents (file, cases[i], -1, NULL));
      g_assert_null (dm_project_open (tmp, &error));
      g_assert_error (error, DM_ERROR, DM_ERROR_CORRUPT);
      g_assert_nonnull (strstr (error->message, "project.json"));
    }
  /* an active version that does not exist is no active version */
  g_assert_true (g_file_set_contents (
    file, "{\"version\": 2, \"active_version\": 4, \"versions\": [], \"roll_back\": [9]}", -1,
    NULL));
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (DmProject) p = dm_project_open (tmp, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (p->active_version, ==, 0);
    g_assert_cmpuint (p->roll_back->len, ==, 0);
  }
}

static void
test_fingerprint_by_content (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *a = g_build_filename (tmp, "a.png", NULL);
  g_autofree char *b = g_build_filename (tmp, "b.png", NULL);
  g_autofree char *c = g_build_filename (tmp, "elsewhere-c.png", NULL);
  g_autofree char *d = g_build_filename (tmp, "d.png", NULL);
  g_autofree char *f1 = NULL, *f2 = NULL, *f3 = NULL, *f4 = NULL;

  g_assert_true (g_file_set_contents (a, "first image", -1, NULL));
  g_assert_true (g_file_set_contents (b, "second image", -1, NULL));
  /* b's bytes under another name */
  g_assert_true (g_file_set_contents (c, "second image", -1, NULL));
  g_assert_true (g_file_set_contents (d, "second imagE", -1, NULL));
  f1 = dm_project_data_fingerprint ((const char *const[]){ a, b }, 2);
  f2 = dm_project_data_fingerprint ((const char *const[]){ c, a }, 2);
  f3 = dm_project_data_fingerprint ((const char *const[]){ a, d }, 2);
  f4 = dm_project_data_fingerprint ((const char *const[]){ a }, 1);
  g_assert_cmpuint (strlen (f1), ==, 64);
  g_assert_cmpstr (f1, ==, f2);
  g_assert_cmpstr (f1, !=, f3);
  g_assert_cmpstr (f1, !=, f4);
}

/* The report names the active version and lists the audit trail. */
static void
test_report_version_and_audit (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *folder = g_build_filename (tmp, "project", NULL);
  g_autofree char *pdf = g_build_filename (tmp, "r.pdf", NULL);
  g_autofree char *json_path = g_build_filename (tmp, "r.json", NULL);
  g_autofree char *json = NULL, *results_dir = NULL;
  g_autoptr (DmProject) p = dm_test_tiny_project (folder, 4);
  g_autoptr (DmProjectTrain) job = dm_test_train_project (p);
  g_autoptr (DmProjectResults) r = NULL;
  g_autoptr (DmReportInput) in = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmAuditEntry) a = dm_audit_entry_new (DM_AUDIT_TRAIN, "1", NULL, NULL, 0);
  g_autoptr (DmAuditEntry) b
    = dm_audit_entry_new (DM_AUDIT_LABEL, "/data/washer/test/dent/003.png", "defect", "none", 1);

  /* trained: version 1 is the active one */
  g_assert_true (dm_project_train_get_results (job) != NULL);
  g_assert_true (dm_audit_append (folder, a, &error));
  g_assert_true (dm_audit_append (folder, b, &error));
  results_dir = dm_project_results_folder (p);
  r = dm_project_results_load (results_dir, &error);
  g_assert_no_error (error);
  in = dm_project_report_input (p, r, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (in->model_version, ==, "1");
  g_assert_cmpuint (in->n_audit, ==, 2);
  g_assert_cmpstr (in->audit[1].target, ==, "dent/003.png");
  g_assert_cmpstr (in->audit[1].user, ==, g_get_user_name ());
  g_assert_nonnull (strstr (in->audit[1].change, "→"));
  g_assert_true (dm_report_write_json (in, json_path, &error));
  g_assert_true (dm_report_write_pdf (in, DM_REPORT_PAPER_A4, pdf, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (json_path, &json, NULL, NULL));
  g_assert_nonnull (strstr (json, "\"version\": \"1\""));
  g_assert_nonnull (strstr (json, "\"audit\": ["));
  g_assert_nonnull (strstr (json, "dent/003.png"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/project-versions/two-runs-promote-roll-back-delete",
                   test_two_runs_promote_roll_back_delete);
  g_test_add_func ("/project-versions/upgrade-from-one-model", test_upgrade_from_one_model);
  g_test_add_func ("/project-versions/bad-versions", test_bad_versions);
  g_test_add_func ("/project-versions/fingerprint-by-content", test_fingerprint_by_content);
  g_test_add_func ("/project-versions/report-version-and-audit", test_report_version_and_audit);
  return g_test_run ();
}
