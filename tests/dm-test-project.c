/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Test projects that train in seconds. */
#include "dm-test-project.h"

#include "dm-demo.h"
#include "dm-project-dataset.h"

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
  p->backbone_kind = g_strdup ("random");
  p->backbone_arch = g_strdup ("tiny");
  json_object_set_int_member (p->settings, "resize", 32);
  json_object_set_int_member (p->settings, "crop", 28);
  json_object_set_int_member (p->settings, "total_iters", total_iters);
  json_object_set_int_member (p->settings, "batch", 4);
  json_object_set_int_member (p->settings, "warmup_iters", 2);
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
  g_autoptr (DmInference) inference = dm_inference_new (engine, model, 4, &error);
  g_autoptr (DmDataset) ds = dm_project_load_dataset (p, DM_DATASET_CHECK_NONE, NULL, &error);
  DmEvalClass *e;

  g_assert_no_error (error);
  e = dm_evaluate_class (inference, model, ds, (guint)dm_dataset_find_class (ds, class_name), 4, 0,
                         NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  return e;
}
