/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Test projects that train in seconds. */
#include "dm-test-project.h"

#include <string.h>

#include "dm-demo.h"
#include "dm-test-data.h"
#include "dm-test-util.h"
#include "dm-project-dataset.h"

static void
tiny_settings (DmProject *p, int total_iters)
{
  p->backbone_kind = g_strdup ("random");
  p->backbone_arch = g_strdup ("tiny");
  json_object_set_int_member (p->settings, "resize", 32);
  json_object_set_int_member (p->settings, "crop", 28);
  json_object_set_int_member (p->settings, "total_iters", total_iters);
  json_object_set_int_member (p->settings, "batch", 4);
  json_object_set_int_member (p->settings, "warmup_iters", 2);
}

/* The first n files of from_dir (sorted by name) into to_dir. */
static void
copy_some (const char *from_dir, const char *to_dir, guint n)
{
  g_autoptr (GDir) dir = g_dir_open (from_dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc)g_strcmp0);
  g_assert_cmpint (g_mkdir_with_parents (to_dir, 0755), ==, 0);
  for (guint i = 0; i < MIN (n, names->len); i++)
    {
      g_autofree char *a = g_build_filename (from_dir, names->pdata[i], NULL);
      g_autofree char *b = g_build_filename (to_dir, names->pdata[i], NULL);
      dm_test_copy_file (a, b);
    }
}

/* The masks of the defect images copied, matched by name (the sorted
 * orders of images and masks differ). */
static void
copy_masks (const char *src, const char *dst, const char *kind)
{
  g_autofree char *images = g_build_filename (dst, "test", kind, NULL);
  g_autofree char *to = g_build_filename (dst, "ground_truth", kind, NULL);
  g_autoptr (GDir) dir = g_dir_open (images, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  g_assert_cmpint (g_mkdir_with_parents (to, 0755), ==, 0);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *stem = g_strndup (name, strrchr (name, '.') - name);
      g_autofree char *mask = g_strconcat (stem, "_mask.png", NULL);
      g_autofree char *a = g_build_filename (src, "ground_truth", kind, mask, NULL);
      g_autofree char *b = g_build_filename (to, mask, NULL);
      dm_test_copy_file (a, b);
    }
}

gboolean
dm_test_copy_magnetic_tile (
  const char *dst, guint n_train, guint n_good, const char *const *defects, guint n_defect)
{
  const char *shared = dm_test_shared_dir ();
  g_autofree char *src = NULL;

  if (shared == NULL)
    return FALSE;
  src = g_build_filename (shared, "data", "magnetic_tile", "magnetic_tile", NULL);
  if (!g_file_test (src, G_FILE_TEST_IS_DIR))
    return FALSE;
#define COPY(sub, n)                                                                               \
  {                                                                                                \
    g_autofree char *a = g_build_filename (src, sub, NULL);                                        \
    g_autofree char *b = g_build_filename (dst, sub, NULL);                                        \
    copy_some (a, b, n);                                                                           \
  }
  COPY ("train/good", n_train);
  COPY ("test/good", n_good);
  for (guint k = 0; defects != NULL && defects[k] != NULL; k++)
    {
      g_autofree char *sub = g_build_filename ("test", defects[k], NULL);
      COPY (sub, n_defect);
      copy_masks (src, dst, defects[k]);
    }
#undef COPY
  return TRUE;
}

DmProject *
dm_test_real_project (const char *folder,
                      const char *name,
                      guint n_train,
                      guint n_good,
                      const char *const *defects,
                      guint n_defect,
                      int total_iters)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *data = g_strconcat (folder, "-data", NULL);
  g_autofree char *real = g_build_filename (data, "magnetic_tile", NULL);
  DmProject *p = dm_project_create (folder, name, &error);

  g_assert_no_error (error);
  if (dm_test_copy_magnetic_tile (real, n_train, n_good, defects, n_defect))
    g_assert_true (
      dm_project_add_class (p, dm_project_class_new ("magnetic_tile", "mvtec", real), &error));
  else
    {
      g_autofree char *washer = g_build_filename (data, "washer", NULL);
      DmDemoSettings demo;

      g_test_message ("../shared/data absent: generated parts instead of magnetic tiles");
      dm_demo_settings_default (&demo);
      demo.size = 64;
      demo.n_train = 8;
      demo.n_test_good = 4;
      demo.n_defect = 2;
      g_assert_true (dm_demo_write_dataset (data, &demo, &error));
      g_assert_true (
        dm_project_add_class (p, dm_project_class_new ("washer", "mvtec", washer), &error));
    }
  g_assert_no_error (error);
  tiny_settings (p, total_iters);
  g_assert_true (dm_project_save (p, &error));
  return p;
}

DmProject *
dm_test_tiny_project (const char *folder, int total_iters)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *data = g_strconcat (folder, "-data", NULL);
  const char *classes[] = { "washer", "fabric" };
  DmDemoSettings demo;
  DmProject *p;

  dm_demo_settings_default (&demo);
  demo.size = 64;
  demo.n_train = 6;
  demo.n_test_good = 2;
  demo.n_defect = 1;
  g_assert_true (dm_demo_write_dataset (data, &demo, &error));
  g_assert_no_error (error);
  p = dm_project_create (folder, "tiny", &error);
  g_assert_no_error (error);
  for (guint k = 0; k < G_N_ELEMENTS (classes); k++)
    {
      g_autofree char *src = g_build_filename (data, classes[k], NULL);
      g_assert_true (
        dm_project_add_class (p, dm_project_class_new (classes[k], "mvtec", src), &error));
    }
  tiny_settings (p, total_iters);
  g_assert_true (dm_project_save (p, &error));
  return p;
}

DmProjectTrain *
dm_test_train_project (DmProject *project)
{
  g_autoptr (GError) error = NULL;
  DmProjectTrain *job = dm_project_train_new (project, FALSE, 0, &error);

  g_assert_no_error (error);
  g_assert_true (dm_project_train_run (job, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (dm_project_train_apply (job, project, &error));
  return job;
}

DmEvalClass *
dm_test_evaluate_project_class (DmProject *p, const char *class_name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *model_path = g_build_filename (p->folder, p->model, NULL);
  g_autoptr (DmDinomalyModel) model = dm_dinomaly_model_load (model_path, NULL, NULL, &error);
  g_autoptr (DmEngine) engine = dm_engine_new (0, &error);
  g_autoptr (DmInference) inference = dm_inference_new (engine, model, DM_EVAL_BATCH, &error);
  g_autoptr (DmDataset) ds = dm_project_load_dataset (p, DM_DATASET_CHECK_NONE, NULL, &error);
  DmEvalClass *e;

  g_assert_no_error (error);
  e = dm_evaluate_class (inference, model, ds, (guint)dm_dataset_find_class (ds, class_name),
                         DM_EVAL_BATCH, 0, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  return e;
}
