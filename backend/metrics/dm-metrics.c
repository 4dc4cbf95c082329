/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The seven metrics of one class from scores, maps and masks, and their
 * mean over classes. */
#include "dm-metrics.h"


#include <math.h>
#include <string.h>

#include "dm-error.h"

static const char *const metric_names[DM_METRIC_COUNT] = {
  "image_auroc", "image_ap", "image_f1max", "pixel_auroc", "pixel_ap", "pixel_f1max", "aupro",
};

const char *
dm_metric_name (DmMetricId id)
{
  g_return_val_if_fail (id < DM_METRIC_COUNT, NULL);
  return metric_names[id];
}

static double *
metric_slot (DmMetrics *m, DmMetricId id)
{
  switch (id)
    {
    case DM_METRIC_IMAGE_AUROC: return &m->image_auroc;
    case DM_METRIC_IMAGE_AP: return &m->image_ap;
    case DM_METRIC_IMAGE_F1MAX: return &m->image_f1max;
    case DM_METRIC_PIXEL_AUROC: return &m->pixel_auroc;
    case DM_METRIC_PIXEL_AP: return &m->pixel_ap;
    case DM_METRIC_PIXEL_F1MAX: return &m->pixel_f1max;
    case DM_METRIC_AUPRO: return &m->aupro;
    case DM_METRIC_COUNT:
    default: g_return_val_if_reached (NULL);
    }
}

double
dm_metrics_get (const DmMetrics *metrics, DmMetricId id)
{
  double *slot = metric_slot ((DmMetrics *)metrics, id);

  return slot != NULL ? *slot : NAN;
}

static void
metrics_init_nan (DmMetrics *out)
{
  memset (out, 0, sizeof *out);
  for (int id = 0; id < DM_METRIC_COUNT; id++)
    {
      *metric_slot (out, id) = NAN;
      out->status[id] = DM_METRIC_EMPTY;
    }
}

gboolean
dm_metrics_compute (const float *image_scores,
                    const guint8 *image_labels,
                    gsize n_images,
                    const float *maps,
                    const guint8 *masks,
                    int height,
                    int width,
                    DmMetrics *out,
                    GError **error)
{
  return dm_metrics_compute_inspected (image_scores, image_labels, n_images, maps, masks, height,
                                       width, NULL, out, error);
}

gboolean
dm_metrics_compute_inspected (const float *image_scores,
                              const guint8 *image_labels,
                              gsize n_images,
                              const float *maps,
                              const guint8 *masks,
                              int height,
                              int width,
                              const guint8 *inspected,
                              DmMetrics *out,
                              GError **error)
{
  DmRocResult image, pixel;
  g_autofree DmAuproResult *pro = NULL;
  g_autofree float *kept_maps = NULL;
  g_autofree guint8 *kept_masks = NULL;
  gsize n_pixels;

  g_return_val_if_fail (out != NULL, FALSE);
  metrics_init_nan (out);
  if (height < 0 || width < 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "metrics: maps of %d x %d pixels", width,
                   height);
      return FALSE;
    }
  n_pixels = n_images * (gsize)height * (gsize)width;

  if (!dm_roc_compute (image_scores, image_labels, n_images, &image, error))
    return FALSE;
  out->image_auroc = image.auroc;
  out->image_ap = image.ap;
  out->image_f1max = image.f1max;
  out->status[DM_METRIC_IMAGE_AUROC] = image.status;
  out->status[DM_METRIC_IMAGE_AP] = image.status;
  out->status[DM_METRIC_IMAGE_F1MAX] = image.status;
  out->n_images = n_images;
  out->n_anomalous = image.n_positive;
  out->n_pixels = n_pixels;
  if (n_pixels == 0)
    return TRUE;

  if (inspected != NULL)
    {
      /* the inspected pixels of every image, gathered: the others take no
       * part */
      gsize hw = (gsize)height * width, n_kept = 0, k = 0;

      for (gsize i = 0; i < hw; i++)
        n_kept += inspected[i] != 0;
      kept_maps = g_try_malloc (MAX (n_kept * n_images, 1) * sizeof (float));
      kept_masks = g_try_malloc (MAX (n_kept * n_images, 1));
      if (kept_maps == NULL || kept_masks == NULL)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY,
                       "metrics: out of memory for the inspected pixels of %" G_GSIZE_FORMAT
                       " maps",
                       n_images);
          return FALSE;
        }
      for (gsize img = 0; img < n_images; img++)
        for (gsize i = 0; i < hw; i++)
          if (inspected[i])
            {
              kept_maps[k] = maps[img * hw + i];
              kept_masks[k++] = masks[img * hw + i];
            }
      n_pixels = k;
      out->n_pixels = n_pixels;
    }
  if (!dm_roc_compute (inspected != NULL ? kept_maps : maps,
                       inspected != NULL ? kept_masks : masks, n_pixels, &pixel, error))
    return FALSE;
  out->pixel_auroc = pixel.auroc;
  out->pixel_ap = pixel.ap;
  out->pixel_f1max = pixel.f1max;
  out->status[DM_METRIC_PIXEL_AUROC] = pixel.status;
  out->status[DM_METRIC_PIXEL_AP] = pixel.status;
  out->status[DM_METRIC_PIXEL_F1MAX] = pixel.status;
  out->n_defect_pixels = pixel.n_positive;

  pro = g_new0 (DmAuproResult, 1); /* ~4 KiB of curves: not on the stack */
  if (!dm_aupro_compute_inspected (maps, masks, n_images, height, width, 8, inspected, pro, error))
    return FALSE;
  out->aupro = pro->aupro;
  out->status[DM_METRIC_AUPRO] = pro->status;
  out->aupro_regions = pro->n_regions;
  out->aupro_thresholds = pro->n_thresholds;
  return TRUE;
}

void
dm_metrics_mean (const DmMetrics *classes, gsize n_classes, DmMetrics *out)
{
  g_return_if_fail (out != NULL);
  metrics_init_nan (out);
  if (n_classes == 0)
    return;
  g_return_if_fail (classes != NULL);
  for (int id = 0; id < DM_METRIC_COUNT; id++)
    {
      double sum = 0;
      gboolean defined = TRUE;

      for (gsize c = 0; c < n_classes; c++)
        {
          double v = dm_metrics_get (&classes[c], id);
          if (isnan (v))
            defined = FALSE;
          sum += v;
        }
      *metric_slot (out, id) = defined ? sum / (double)n_classes : NAN;
      out->status[id] = defined ? DM_METRIC_OK : DM_METRIC_UNDEFINED_CLASS;
    }
  for (gsize c = 0; c < n_classes; c++)
    {
      out->n_images += classes[c].n_images;
      out->n_anomalous += classes[c].n_anomalous;
      out->n_defect_pixels += classes[c].n_defect_pixels;
      out->n_pixels += classes[c].n_pixels;
      out->aupro_regions += classes[c].aupro_regions;
    }
}

void
dm_metrics_write_json (DmJsonWriter *w, const DmMetrics *m)
{
  gboolean any_nan = FALSE;

  for (int id = 0; id < DM_METRIC_COUNT; id++)
    {
      double v = dm_metrics_get (m, id);

      dm_json_writer_member_number (w, dm_metric_name (id), v);
      any_nan |= isnan (v);
    }
  if (!any_nan)
    return;
  dm_json_writer_key (w, "notes");
  dm_json_writer_begin_object (w);
  for (int id = 0; id < DM_METRIC_COUNT; id++)
    if (isnan (dm_metrics_get (m, id)))
      dm_json_writer_member_string (w, dm_metric_name (id),
                                    dm_metric_status_message (m->status[id]));
  dm_json_writer_end_object (w);
}
