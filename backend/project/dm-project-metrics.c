/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Metrics of a scored project's class, with the user's labels and masks. */
#include "dm-project-metrics.h"

#include <string.h>

#include "dm-error.h"
#include "dm-evaluation.h"
#include "dm-preprocess.h"

#define MAP_PIXELS (DM_EVAL_MAP_SIZE * DM_EVAL_MAP_SIZE)

void
dm_project_class_eval_free (DmProjectClassEval *e)
{
  if (e == NULL)
    return;
  g_free (e->image);
  g_free (e->scores);
  g_free (e->labels);
  g_free (e->has_truth);
  g_free (e->maps);
  g_free (e->masks);
  g_free (e->inspected);
  if (e->failures != NULL)
    g_ptr_array_unref (e->failures);
  g_free (e);
}

/* The mask of a defect image: the user's painted one, else the dataset's.
 * FALSE (no ground truth) when there is none or it cannot be read. */
static gboolean
read_mask (DmProjectClassEval *e,
           const DmResultClass *k,
           const DmResultImage *im,
           const DmProject *project,
           guint8 *out)
{
  g_autofree char *painted
    = project != NULL ? dm_project_mask_path (project, k->name, im->path) : NULL;
  const char *path = im->mask_path;
  g_autoptr (GError) error = NULL;

  if (painted != NULL && g_file_test (painted, G_FILE_TEST_IS_REGULAR))
    {
      path = painted;
      e->n_user_masks++;
    }
  if (path == NULL)
    return FALSE;
  if (dm_preprocess_mask_file (path, k->resize, k->crop, DM_EVAL_MAP_SIZE, 0, out, NULL, &error))
    return TRUE;
  memset (out, 0, MAP_PIXELS);
  g_ptr_array_add (e->failures, g_strdup (error->message));
  return FALSE;
}

DmProjectClassEval *
dm_project_class_eval (DmProjectResults *r, guint c, const DmProject *project, GError **error)
{
  g_autoptr (DmProjectClassEval) e = g_new0 (DmProjectClassEval, 1);
  const DmResultClass *k;
  guint n = 0;

  g_return_val_if_fail (c < r->n_classes, NULL);
  k = &r->classes[c];
  e->failures = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < k->n_images; i++)
    n += k->images[i].split == DM_SPLIT_TEST;
  e->image = g_new (guint, MAX (n, 1));
  e->scores = g_new (float, MAX (n, 1));
  e->labels = g_new (guint8, MAX (n, 1));
  e->has_truth = g_new (guint8, MAX (n, 1));
  e->maps = g_try_malloc ((gsize)MAX (n, 1) * MAP_PIXELS * sizeof (float));
  e->masks = g_try_malloc0 ((gsize)MAX (n, 1) * MAP_PIXELS);
  if (e->maps == NULL || e->masks == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY,
                   "out of memory for the maps of the %u test images of class '%s'", n, k->name);
      return NULL;
    }
  for (guint i = 0; i < k->n_images; i++)
    {
      const DmResultImage *im = &k->images[i];
      DmUserLabel user = project != NULL ? dm_project_get_label ((DmProject *)project, im->path)
                                         : DM_USER_LABEL_NONE;
      guint j = e->n;

      if (im->split != DM_SPLIT_TEST)
        continue;
      if (!dm_project_results_read_map (r, c, i, e->maps + (gsize)j * MAP_PIXELS, error))
        return NULL;
      e->image[j] = i;
      e->scores[j] = im->score;
      e->labels[j]
        = user == DM_USER_LABEL_NONE ? im->label == DM_LABEL_DEFECT : user == DM_USER_LABEL_DEFECT;
      e->n_user_labels += user != DM_USER_LABEL_NONE;
      /* a good image has an empty mask; a defect one needs its mask */
      e->has_truth[j]
        = !e->labels[j] || read_mask (e, k, im, project, e->masks + (gsize)j * MAP_PIXELS);
      e->n++;
    }
  {
    /* the class's region of interest: scores over the inspected map
     * pixels, pixel metrics over them alone */
    const DmProjectClass *pc
      = project != NULL ? dm_project_find_class ((DmProject *)project, k->name) : NULL;
    guint8 *inspected = NULL;

    if (pc != NULL && pc->rules != NULL && !dm_roi_is_empty (pc->rules->roi))
      {
        g_autofree float *scratch = g_new (float, MAP_PIXELS);

        inspected = e->inspected = g_malloc (MAP_PIXELS);
        dm_roi_map_mask (pc->rules->roi, pc->rules->ref_width, pc->rules->ref_height, k->resize,
                         k->crop, inspected);
        for (guint j = 0; j < e->n; j++)
          e->scores[j] = dm_roi_score (e->maps + (gsize)j * MAP_PIXELS, inspected, scratch);
      }
    if (!dm_eval_compute_metrics_inspected (e->scores, e->labels, e->has_truth, e->n, e->maps,
                                            e->masks, DM_EVAL_MAP_SIZE, DM_EVAL_MAP_SIZE, inspected,
                                            &e->metrics, error))
      return NULL;
  }
  return g_steal_pointer (&e);
}

double
dm_project_class_eval_pixel_f1_optimal (const DmProjectClassEval *e, double *f1)
{
  g_autofree float *values = NULL;
  g_autofree guint8 *labels = NULL;
  gsize n = 0;

  for (guint j = 0; j < e->n; j++)
    n += e->has_truth[j] ? MAP_PIXELS : 0;
  values = g_new (float, MAX (n, 1));
  labels = g_new (guint8, MAX (n, 1));
  n = 0;
  for (guint j = 0; j < e->n; j++)
    {
      const float *map = e->maps + (gsize)j * MAP_PIXELS;
      const guint8 *mask = e->masks + (gsize)j * MAP_PIXELS;

      if (!e->has_truth[j])
        continue;
      for (gsize p = 0; p < MAP_PIXELS; p++)
        if (e->inspected == NULL || e->inspected[p])
          {
            values[n] = map[p];
            labels[n] = mask[p] != 0;
            n++;
          }
    }
  return dm_threshold_f1_optimal (values, labels, n, f1);
}
