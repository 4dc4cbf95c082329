/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A project's classes loaded as one dataset. */
#include "dm-project-dataset.h"

#include "dm-error.h"
#include "dm-project-feedback.h"

/* Line parts a person added to their classes: good ones train, defects
 * test (with the mask painted on them, if any). */
static void
add_line_parts (DmDataset *dataset, const DmProject *project, DmDatasetChecks checks)
{
  g_autoptr (DmFeedbackStore) store = dm_feedback_store_load (project->folder, NULL);

  for (guint i = 0; store != NULL && i < store->parts->len; i++)
    {
      const DmFeedbackPart *p = store->parts->pdata[i];
      gboolean defect = p->added == DM_FEEDBACK_ADDED_DEFECT;
      g_autofree char *mask = NULL;

      if (p->added == DM_FEEDBACK_NOT_ADDED || dm_dataset_find_class (dataset, p->class_name) < 0)
        continue;
      mask = dm_project_mask_path (project, p->class_name, p->image);
      dm_dataset_add_image (dataset, p->class_name, p->image,
                            defect ? DM_SPLIT_TEST : DM_SPLIT_TRAIN,
                            defect ? DM_LABEL_DEFECT : DM_LABEL_GOOD, defect ? "line" : "good",
                            g_file_test (mask, G_FILE_TEST_IS_REGULAR) ? mask : NULL, checks, NULL);
    }
}

static gboolean
add_class (DmDataset *dataset, const DmProjectClass *c, DmDatasetChecks checks, GError **error)
{
  DmDatasetLayout layout;

  if (g_strcmp0 (c->layout, "mvtec") == 0)
    return dm_dataset_add_mvtec_class (dataset, c->source, c->name, checks, error);
  if (g_strcmp0 (c->layout, "visa") == 0)
    return dm_dataset_add_visa_object (dataset, c->source, c->object != NULL ? c->object : c->name,
                                       c->name, checks, error);
  if (g_strcmp0 (c->layout, "folders") == 0)
    {
      DmFolderClass spec = { c->name, c->source, NULL, NULL, c->mask_source };
      g_autofree char *good = NULL, *defect = NULL;

      /* a test folder holds good/ and one folder of defects */
      if (c->test_source != NULL)
        {
          good = g_build_filename (c->test_source, "good", NULL);
          defect = g_build_filename (c->test_source, "defect", NULL);
          spec.test_good_dir = g_file_test (good, G_FILE_TEST_IS_DIR) ? good : NULL;
          spec.test_defect_dir = g_file_test (defect, G_FILE_TEST_IS_DIR) ? defect : NULL;
        }
      return dm_dataset_add_folders (dataset, &spec, checks, error);
    }
  /* BTAD, MVTec AD 2, MVTec LOCO AD, Real-IAD: the class's folder or JSON */
  if (dm_dataset_layout_from_name (c->layout, &layout))
    return dm_dataset_add_class (dataset, layout, c->source, c->name, checks, error);
  g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED, "Class “%s”: unknown layout “%s”", c->name,
               c->layout);
  return FALSE;
}

DmDataset *
dm_project_load_dataset (const DmProject *project,
                         DmDatasetChecks checks,
                         GPtrArray *class_errors,
                         GError **error)
{
  g_autoptr (DmDataset) dataset = dm_dataset_new ();
  double fraction = 0.1;

  if (project->classes->len > 0)
    fraction = ((DmProjectClass *)g_ptr_array_index (project->classes, 0))->holdout_fraction;
  if (!dm_dataset_set_holdout (dataset, fraction, 0, error))
    return NULL;
  for (guint i = 0; i < project->classes->len; i++)
    {
      const DmProjectClass *c = g_ptr_array_index (project->classes, i);
      g_autoptr (GError) local = NULL;

      if (!add_class (dataset, c, checks, &local) && class_errors != NULL)
        g_ptr_array_add (class_errors, g_strdup (local->message));
    }
  add_line_parts (dataset, project, checks);
  return g_steal_pointer (&dataset);
}
