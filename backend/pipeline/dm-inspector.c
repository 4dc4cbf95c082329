/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The model loaded once, decode + preprocess, batched scoring
 * (dm-inspector.h). */
#include "dm-inspector.h"

#include <math.h>

#include "dm-error.h"
#include "dm-preprocess.h"

struct _DmInspector
{
  DmDinomalyModel *model;
  DmEngine *engine;
  DmInference *inference;
  int max_batch;
};

DmInspector *
dm_inspector_new_for_model (DmDinomalyModel *model, int max_batch, int n_threads, GError **error)
{
  g_autoptr (DmInspector) self = g_new0 (DmInspector, 1);

  self->model = model;
  self->max_batch = CLAMP (max_batch, 1, 256);
  self->engine = dm_engine_new (n_threads, error);
  if (self->engine == NULL)
    return NULL;
  self->inference = dm_inference_new (self->engine, model, self->max_batch, error);
  if (self->inference == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

DmInspector *
dm_inspector_new (const char *model_path,
                  const char *backbone_path,
                  int max_batch,
                  int n_threads,
                  DmModelInfo **info_out,
                  GError **error)
{
  DmDinomalyModel *model = dm_dinomaly_model_load (model_path, backbone_path, info_out, error);

  if (model == NULL)
    return NULL;
  return dm_inspector_new_for_model (model, max_batch, n_threads, error);
}

void
dm_inspector_free (DmInspector *self)
{
  if (self == NULL)
    return;
  /* the inference uses the engine and the model: it goes first */
  g_clear_pointer (&self->inference, dm_inference_free);
  g_clear_pointer (&self->engine, dm_engine_free);
  g_clear_pointer (&self->model, dm_dinomaly_model_free);
  g_free (self);
}

const DmDinomalyModel *
dm_inspector_get_model (const DmInspector *self)
{
  return self->model;
}

int
dm_inspector_get_max_batch (const DmInspector *self)
{
  return self->max_batch;
}

gsize
dm_inspector_input_size (const DmInspector *self)
{
  return (gsize)3 * self->model->crop * self->model->crop;
}

gsize
dm_inspector_get_memory_size (const DmInspector *self)
{
  return dm_inference_get_memory_size (self->inference);
}

gboolean
dm_inspector_prepare (
  const DmInspector *self, const DmImage *image, const char *name, float *x, GError **error)
{
  if (!dm_preprocess_image (image, self->model->resize, self->model->crop, x, error))
    {
      if (name != NULL)
        {
          g_autofree char *display = g_filename_display_name (name);

          g_prefix_error (error, "%s: ", display);
        }
      return FALSE;
    }
  dm_dinomaly_model_renormalise (self->model, x);
  return TRUE;
}

gboolean
dm_inspector_prepare_file (const DmInspector *self,
                           const char *path,
                           guint64 max_pixels,
                           float *x,
                           int *width,
                           int *height,
                           GError **error)
{
  g_autoptr (DmImage) image = dm_image_load (path, max_pixels, error);

  if (image == NULL)
    return FALSE;
  if (width != NULL)
    *width = image->width;
  if (height != NULL)
    *height = image->height;
  return dm_inspector_prepare (self, image, path, x, error);
}

gboolean
dm_inspector_score (
  DmInspector *self, const float *x, int B, float *maps, float *scores, GError **error)
{
  g_return_val_if_fail (B >= 1 && B <= self->max_batch, FALSE);
  return dm_inference_run (self->inference, x, B, maps, scores, error);
}

GError *
dm_inspector_check_score (const char *name, float score)
{
  g_autofree char *display = NULL;

  if (isfinite (score))
    return NULL;
  display = g_filename_display_name (name);
  return g_error_new (DM_ERROR, DM_ERROR_NUMERIC,
                      "%s: the model gave no finite score (NaN or infinity)", display);
}
