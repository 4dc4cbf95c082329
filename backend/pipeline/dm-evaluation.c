/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One class of a dataset through a model: scores, maps, ground truth and
 * the seven metrics (spec/dinomaly.md §6, §7). */
#include "dm-evaluation.h"

#include <string.h>

#include "dm-error.h"
#include "dm-preprocess.h"

#define MAP_PIXELS ((gsize)DM_EVAL_MAP_SIZE * DM_EVAL_MAP_SIZE)

void
dm_eval_class_free (DmEvalClass *r)
{
  if (r == NULL)
    return;
  g_free (r->sample_index);
  g_free (r->scores);
  g_free (r->labels);
  g_free (r->has_truth);
  g_free (r->maps);
  g_free (r->masks);
  if (r->failures != NULL)
    g_ptr_array_unref (r->failures);
  g_free (r);
}

gboolean
dm_eval_compute_metrics (const float *scores,
                         const guint8 *labels,
                         const guint8 *has_truth,
                         gsize n,
                         const float *maps,
                         const guint8 *masks,
                         int height,
                         int width,
                         DmMetrics *out,
                         GError **error)
{
  return dm_eval_compute_metrics_inspected (scores, labels, has_truth, n, maps, masks, height,
                                            width, NULL, out, error);
}

gboolean
dm_eval_compute_metrics_inspected (const float *scores,
                                   const guint8 *labels,
                                   const guint8 *has_truth,
                                   gsize n,
                                   const float *maps,
                                   const guint8 *masks,
                                   int height,
                                   int width,
                                   const guint8 *inspected,
                                   DmMetrics *out,
                                   GError **error)
{
  gsize per = (gsize)height * width, n_truth = 0, k = 0;
  g_autofree float *t_scores = NULL, *t_maps = NULL;
  g_autofree guint8 *t_labels = NULL, *t_masks = NULL;
  DmMetrics image;

  for (gsize i = 0; i < n; i++)
    n_truth += has_truth[i] != 0;
  if (n_truth == n)
    return dm_metrics_compute_inspected (scores, labels, n, maps, masks, height, width, inspected,
                                         out, error);

  /* the images with ground truth, gathered for the pixel metrics */
  if (!dm_metrics_compute (scores, labels, n, NULL, NULL, 0, 0, &image, error))
    return FALSE;
  t_scores = g_new (float, MAX (n_truth, 1));
  t_labels = g_new (guint8, MAX (n_truth, 1));
  t_maps = g_try_malloc (MAX (n_truth * per, 1) * sizeof (float));
  t_masks = g_try_malloc (MAX (n_truth * per, 1));
  if (t_maps == NULL || t_masks == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY,
                   "out of memory for the maps of %" G_GSIZE_FORMAT " images", n_truth);
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    if (has_truth[i])
      {
        t_scores[k] = scores[i];
        t_labels[k] = labels[i];
        memcpy (t_maps + k * per, maps + i * per, per * sizeof (float));
        memcpy (t_masks + k * per, masks + i * per, per);
        k++;
      }
  if (!dm_metrics_compute_inspected (t_scores, t_labels, n_truth, n_truth > 0 ? t_maps : NULL,
                                     n_truth > 0 ? t_masks : NULL, height, width, inspected, out,
                                     error))
    return FALSE;
  out->image_auroc = image.image_auroc;
  out->image_ap = image.image_ap;
  out->image_f1max = image.image_f1max;
  for (int id = DM_METRIC_IMAGE_AUROC; id <= DM_METRIC_IMAGE_F1MAX; id++)
    out->status[id] = image.status[id];
  out->n_images = image.n_images;
  out->n_anomalous = image.n_anomalous;
  return TRUE;
}

static const char *
split_name (DmSplit split)
{
  return split == DM_SPLIT_TEST ? "test" : split == DM_SPLIT_HOLDOUT ? "hold-out" : "training";
}

DmEvalClass *
dm_evaluate_class_split (DmInference *inference,
                         const DmDinomalyModel *model,
                         const DmDataset *ds,
                         guint class_index,
                         DmSplit split,
                         int batch,
                         guint64 max_pixels,
                         DmEvalProgressFunc progress,
                         gpointer user_data,
                         const gint *cancel,
                         GError **error)
{
  g_autoptr (DmEvalClass) r = g_new0 (DmEvalClass, 1);
  gsize in_size = (gsize)3 * model->crop * model->crop;
  g_autofree float *input = NULL;
  g_autofree guint *slots = NULL;
  gint64 t0 = g_get_monotonic_time ();
  guint first, n_test, next;

  g_return_val_if_fail (class_index < ds->n_classes && batch >= 1, NULL);
  dm_dataset_class_range (ds, class_index, split, &first, &n_test);
  if (n_test == 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "class '%s' has no %s images",
                   ds->classes[class_index].name, split_name (split));
      return NULL;
    }
  r->class_index = class_index;
  r->failures = g_ptr_array_new_with_free_func (g_free);
  r->sample_index = g_new (guint, n_test);
  r->scores = g_new (float, n_test);
  r->labels = g_new (guint8, n_test);
  r->has_truth = g_new (guint8, n_test);
  r->maps = g_try_malloc (n_test * MAP_PIXELS * sizeof (float));
  r->masks = g_try_malloc0 (n_test * MAP_PIXELS);
  input = g_try_malloc ((gsize)batch * in_size * sizeof (float));
  slots = g_new (guint, batch);
  if (r->maps == NULL || r->masks == NULL || input == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY,
                   "out of memory for the maps of the %u test images of class '%s'", n_test,
                   ds->classes[class_index].name);
      return NULL;
    }

  next = first;
  while (next < first + n_test)
    {
      int B = 0;

      if (cancel != NULL && g_atomic_int_get (cancel))
        {
          g_set_error (error, DM_ERROR, DM_ERROR_CANCELLED, "evaluation cancelled");
          return NULL;
        }
      /* a batch of images that decode; the others are set aside */
      while (B < batch && next < first + n_test)
        {
          g_autoptr (GError) local = NULL;
          float *x = input + (gsize)B * in_size;

          if (!dm_preprocess_file (ds->samples[next].path, model->resize, model->crop, max_pixels,
                                   x, &local))
            {
              g_ptr_array_add (r->failures, g_strdup (local->message));
              next++;
              continue;
            }
          dm_dinomaly_model_renormalise (model, x);
          slots[B++] = next++;
        }
      if (B > 0
          && !dm_inference_run (inference, input, B, r->maps + r->n_images * MAP_PIXELS,
                                r->scores + r->n_images, error))
        return NULL;
      for (int b = 0; b < B; b++)
        {
          const DmSample *s = &ds->samples[slots[b]];
          guint i = r->n_images++;

          r->sample_index[i] = slots[b];
          r->labels[i] = s->label == DM_LABEL_DEFECT;
          r->has_truth[i] = s->label == DM_LABEL_GOOD;
          if (s->label == DM_LABEL_DEFECT && s->mask_path != NULL)
            {
              g_autoptr (GError) local = NULL;

              if (dm_preprocess_mask_file (s->mask_path, model->resize, model->crop,
                                           DM_EVAL_MAP_SIZE, max_pixels, r->masks + i * MAP_PIXELS,
                                           NULL, &local))
                r->has_truth[i] = 1;
              else
                {
                  memset (r->masks + i * MAP_PIXELS, 0, MAP_PIXELS);
                  g_ptr_array_add (r->failures, g_strdup (local->message));
                }
            }
          r->n_truth += r->has_truth[i];
        }
      if (progress != NULL)
        progress (next - first, n_test, user_data);
    }
  if (r->n_images == 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT,
                   "class '%s': none of its %u %s images could be read (%s)",
                   ds->classes[class_index].name, n_test, split_name (split),
                   (char *)r->failures->pdata[0]);
      return NULL;
    }
  if (!dm_eval_compute_metrics (r->scores, r->labels, r->has_truth, r->n_images, r->maps, r->masks,
                                DM_EVAL_MAP_SIZE, DM_EVAL_MAP_SIZE, &r->metrics, error))
    return NULL;
  r->seconds = (double)(g_get_monotonic_time () - t0) / 1e6;
  return g_steal_pointer (&r);
}

DmEvalClass *
dm_evaluate_class (DmInference *inference,
                   const DmDinomalyModel *model,
                   const DmDataset *ds,
                   guint class_index,
                   int batch,
                   guint64 max_pixels,
                   DmEvalProgressFunc progress,
                   gpointer user_data,
                   const gint *cancel,
                   GError **error)
{
  return dm_evaluate_class_split (inference, model, ds, class_index, DM_SPLIT_TEST, batch,
                                  max_pixels, progress, user_data, cancel, error);
}

gboolean
dm_eval_class_apply_rules (DmEvalClass *r, const DmDecider *decider, GError **error)
{
  const gsize per = (gsize)DM_EVAL_MAP_SIZE * DM_EVAL_MAP_SIZE;
  const guint8 *inspected = dm_decider_get_map_mask (decider, NULL);
  g_autofree float *scratch = NULL;

  if (inspected == NULL)
    return TRUE;
  scratch = g_new (float, per);
  for (guint i = 0; i < r->n_images; i++)
    r->scores[i] = dm_decider_score (decider, r->maps + i * per, r->scores[i], scratch);
  return dm_eval_compute_metrics_inspected (r->scores, r->labels, r->has_truth, r->n_images,
                                            r->maps, r->masks, DM_EVAL_MAP_SIZE, DM_EVAL_MAP_SIZE,
                                            inspected, &r->metrics, error);
}
