/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The inspection report's input from a scored project. */
#include "config.h"

#include "dm-project-report.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "dm-error.h"
#include "dm-model-file.h"
#include "dm-model-set.h"
#include "dm-project-audit.h"
#include "dm-project-dataset.h"
#include "dm-project-metrics.h"
#include "dm-project-versions.h"

#define MAP_PIXELS (DM_REPORT_MAP_SIZE * DM_REPORT_MAP_SIZE)

/* The class's thresholds: the project's; the report says whether they are
 * still the proposal (a quantile of the held-out normals; of the test
 * normals when the class held none out, as the proposal then was) or the
 * user's. */
static void
fill_thresholds (DmReportClass *k,
                 const DmProjectClass *pc,
                 const DmResultClass *rc,
                 const DmProjectResults *r)
{
  double image = pc != NULL ? pc->image_threshold : NAN;

  k->pixel_threshold = pc != NULL ? pc->pixel_threshold : rc->proposed_pixel;
  if (isnan (image))
    image = rc->proposed_image;
  k->image_threshold = image;
  if (isnan (image))
    k->threshold_source = DM_REPORT_THRESHOLD_NONE;
  else if (image == rc->proposed_image)
    {
      gboolean held_out = FALSE;

      for (guint i = 0; i < rc->n_images && !held_out; i++)
        held_out = rc->images[i].split == DM_SPLIT_HOLDOUT;
      k->threshold_source
        = held_out ? DM_REPORT_THRESHOLD_HOLDOUT_QUANTILE : DM_REPORT_THRESHOLD_QUANTILE;
      k->threshold_quantile = r->quantile;
    }
  else
    k->threshold_source = DM_REPORT_THRESHOLD_USER;
  if (pc != NULL && !isnan (pc->uncertain_low) && !isnan (pc->uncertain_high))
    {
      k->has_uncertain = TRUE;
      k->uncertain_low = pc->uncertain_low;
      k->uncertain_high = pc->uncertain_high;
    }
}

/* Every image judged as predict and the station judge it (regions, the
 * class's rules), when there is a pixel threshold or rules. */
static gboolean
judge_class (DmReportClass *k,
             const DmProjectClass *pc,
             const DmResultClass *rc,
             const DmProjectClassEval *e,
             GError **error)
{
  const DmRules *rules = pc != NULL ? pc->rules : NULL;
  g_autoptr (DmDecider) decider = NULL;

  if (!isfinite (k->pixel_threshold) && dm_rules_is_empty (rules))
    return TRUE;
  decider = dm_report_class_decider (k, rules, rc->resize, rc->crop, error);
  if (decider == NULL)
    {
      g_prefix_error (error, "class '%s': ", k->name);
      return FALSE;
    }
  for (guint i = 0; i < e->n; i++)
    {
      const DmResultImage *im = &rc->images[e->image[i]];

      dm_report_class_judge (k, decider, i, e->maps + (gsize)i * MAP_PIXELS, im->width, im->height);
    }
  return TRUE;
}

/* What an audit record is about, short: an image by its name and folder
 * (test/hole/000.png is "hole/000.png"), a version by its number. */
static char *
audit_target (const DmAuditEntry *e)
{
  g_autofree char *dir = NULL, *folder = NULL, *name = NULL;

  if (g_str_equal (e->action, DM_AUDIT_TRAIN) || g_str_equal (e->action, DM_AUDIT_PROMOTE)
      || g_str_equal (e->action, DM_AUDIT_ROLL_BACK)
      || g_str_equal (e->action, DM_AUDIT_DELETE_VERSION)
      || g_str_equal (e->action, DM_AUDIT_RESTORE_VERSION))
    return g_strdup_printf (_ ("version %s"), e->target);
  if (!g_path_is_absolute (e->target))
    return g_strdup (e->target);
  dir = g_path_get_dirname (e->target);
  folder = g_filename_display_basename (dir);
  name = g_filename_display_basename (e->target);
  return g_build_filename (folder, name, NULL);
}

static void
add_audit (DmReportInput *in, const DmProject *project)
{
  g_autoptr (GPtrArray) entries = dm_audit_read (project->folder, NULL, NULL);

  for (guint i = 0; entries != NULL && i < entries->len; i++)
    {
      const DmAuditEntry *e = entries->pdata[i];
      g_autofree char *time = dm_audit_entry_format_time (e);
      g_autofree char *target = audit_target (e);
      g_autofree char *change = dm_audit_entry_describe_change (e);

      dm_report_input_add_audit (in, time, e->user, dm_audit_action_title (e->action), target,
                                 change);
    }
}

DmReportInput *
dm_project_report_input (const DmProject *project, DmProjectResults *r, GError **error)
{
  g_autoptr (DmReportInput) in = dm_report_input_new ();
  g_autoptr (DmModelSet) set = NULL;
  g_autoptr (DmModelFile) model = NULL;
  g_autoptr (DmDataset) ds = NULL;
  g_autofree char *model_path = NULL;

  if (project->model == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: the project has no trained model yet: train it first", project->folder);
      return NULL;
    }
  model_path = g_build_filename (project->folder, project->model, NULL);
  set = dm_model_set_open (model_path, error);
  if (set == NULL)
    return NULL;
  /* one model per class: their settings and backbone are shared (trained
   * together); the first describes them */
  model = dm_model_file_open (((const DmModelSetEntry *)set->entries->pdata[0])->path, error);
  if (model == NULL)
    return NULL;
  /* counts only: no file is opened */
  ds = dm_project_load_dataset (project, DM_DATASET_CHECK_NONE, NULL, NULL);

  in->title = g_strdup_printf (_ ("Inspection report: %s"), project->name);
  in->project_name = g_strdup (project->name);
  in->data_path = g_filename_display_name (project->folder);
  in->date = g_date_time_new_now_local ();
  /* a model that cannot be hashed still reports: the title page says so */
  if (set->per_class)
    {
      dm_report_input_set_model (in, ((const DmModelSetEntry *)set->entries->pdata[0])->path,
                                 model->info, NULL);
      g_clear_pointer (&in->model_sha256, g_free);
      g_free (in->model_name);
      in->model_name = g_strdup_printf (_ ("%s (one model per class)"), project->model);
    }
  else
    dm_report_input_set_model (in, model_path, model->info, NULL);
  if (project->active_version > 0)
    in->model_version = g_strdup_printf ("%u", project->active_version);
  add_audit (in, project);
  for (guint c = 0; c < r->n_classes; c++)
    {
      const DmResultClass *rc = &r->classes[c];
      g_autoptr (DmProjectClassEval) e = dm_project_class_eval (r, c, project, error);
      int dc = ds != NULL ? dm_dataset_find_class (ds, rc->name) : -1;
      DmReportClass *k;
      g_autoptr (GArray) gallery = NULL;

      if (e == NULL)
        return NULL;
      if (e->n == 0)
        continue;
      k = dm_report_input_add_class (in, rc->name, e->n);
      if (dc >= 0)
        {
          const DmDatasetClass *d = &ds->classes[dc];

          k->n_train = d->n_train;
          k->n_holdout = d->n_holdout;
          k->n_test_good = d->n_test_good;
          k->n_test_defect = d->n_test_defect;
          k->n_masks = d->n_masks;
        }
      k->metrics = e->metrics;
      for (guint i = 0; i < e->n; i++)
        {
          const DmResultImage *im = &rc->images[e->image[i]];

          k->images[i].path = g_strdup (im->path);
          k->images[i].defect_type
            = g_strdup (e->labels[i] && im->label != DM_LABEL_DEFECT ? "defect" : im->defect_type);
          k->images[i].label = e->labels[i];
          k->images[i].score = e->scores[i];
        }
      fill_thresholds (k, dm_project_find_class ((DmProject *)project, rc->name), rc, r);
      if (!judge_class (k, dm_project_find_class ((DmProject *)project, rc->name), rc, e, error))
        return NULL;
      gallery = dm_report_gallery_select (k, DM_REPORT_GALLERY_TOP, DM_REPORT_GALLERY_MISCLASSIFIED,
                                          NULL, NULL);
      for (guint g = 0; g < gallery->len; g++)
        {
          guint i = g_array_index (gallery, guint, g);
          k->images[i].map
            = g_memdup2 (e->maps + (gsize)i * MAP_PIXELS, MAP_PIXELS * sizeof (float));
        }
    }
  if (in->n_classes == 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: no class of the project has scored test images", project->folder);
      return NULL;
    }
  dm_report_input_update_mean (in);
  return g_steal_pointer (&in);
}
