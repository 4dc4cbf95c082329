/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A Dinomaly model and batched inference. */
#include "dm-dinomaly.h"
#include "dm-preprocess.h"

#include <string.h>

#include "dm-anomaly-map.h"
#include "dm-arena.h"
#include "dm-cosine.h"
#include "dm-error.h"
#include "dm-packed.h"

struct _DmInference
{
  DmEngine *engine;             /* borrowed */
  const DmDinomalyModel *model; /* borrowed */
  int max_batch;
  int N, D, g;
  int last_B;
  float *memory; /* owned, one block for everything below */
  gsize n_floats;
  float *vit_workspace;
  float *pos;             /* (g * g, D) the position grid of this crop, computed once */
  float *E1, *E2, *fused; /* (B, N, D) */
  DmDecoderActs acts;
  float *a1, *a2;  /* (B, g, g) */
  float *map_crop; /* (B, crop, crop) */
  float *tmp;      /* max (crop^2, 256^2) */
  float *map_256;  /* (256, 256) when the caller wants only scores */
  DmPackedWeights *packed; /* owned: the encoder's and decoder's weights packed for the matmuls */
};

DmDinomalyModel *
dm_dinomaly_model_new (DmVitWeights *encoder, DmDinomalyWeights *decoder, GError **error)
{
  DmDinomalyModel *model;

  if (encoder->config.dim != decoder->layout.dim)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "The decoder is %d wide but the backbone is %d wide: they do not belong "
                   "together",
                   decoder->layout.dim, encoder->config.dim);
      dm_vit_weights_free (encoder);
      dm_dinomaly_weights_free (decoder);
      return NULL;
    }
  model = g_new0 (DmDinomalyModel, 1);
  model->encoder = encoder;
  model->decoder = decoder;
  dm_vit_targets_default (&model->targets, &encoder->config);
  model->resize = 448;
  model->crop = 392;
  model->mean[0] = 0.485f;
  model->mean[1] = 0.456f;
  model->mean[2] = 0.406f;
  model->std[0] = 0.229f;
  model->std[1] = 0.224f;
  model->std[2] = 0.225f;
  model->dropout = 0.2f;
  return model;
}

void
dm_dinomaly_model_free (DmDinomalyModel *model)
{
  if (model == NULL)
    return;
  dm_vit_weights_free (model->encoder);
  dm_dinomaly_weights_free (model->decoder);
  g_free (model);
}

int
dm_dinomaly_model_grid (const DmDinomalyModel *model)
{
  return model->crop / model->encoder->config.patch_size;
}

DmInference *
dm_inference_new (DmEngine *engine, const DmDinomalyModel *model, int max_batch, GError **error)
{
  const DmVitConfig *c = &model->encoder->config;
  g_autoptr (DmInference) self = g_new0 (DmInference, 1);
  int B = max_batch, crop = model->crop;
  gsize tokens, vit, pos, dec, grid, crop2, tmp, off = 0;

  if (max_batch < 1)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "Batch size %d is not positive", max_batch);
      return NULL;
    }
  if (crop <= 0 || crop % c->patch_size != 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "Crop size %d is not a positive multiple of the patch size %d", crop,
                   c->patch_size);
      return NULL;
    }
  self->engine = engine;
  self->model = model;
  self->max_batch = B;
  self->N = dm_vit_n_tokens (c, crop);
  self->D = c->dim;
  self->g = crop / c->patch_size;

  tokens = dm_pad_floats ((gsize)B * self->N * self->D);
  vit = dm_pad_floats (dm_vit_workspace_size (c, B, crop));
  pos = dm_pad_floats (dm_vit_pos_size (c, crop));
  dec = dm_pad_floats (dm_decoder_acts_size (B, self->N, self->D, FALSE, FALSE));
  grid = dm_pad_floats ((gsize)B * self->g * self->g);
  crop2 = dm_pad_floats ((gsize)B * crop * crop);
  tmp = dm_pad_floats (MAX ((gsize)crop * crop, (gsize)DM_ANOMALY_MAP_SIZE * DM_ANOMALY_MAP_SIZE));
  self->n_floats = vit + pos + 3 * tokens + dec + 2 * grid + crop2 + 2 * tmp;
  self->memory = dm_aligned_alloc (self->n_floats * sizeof (float), error);
  if (self->memory == NULL)
    return NULL;

  self->vit_workspace = self->memory + off, off += vit;
  self->pos = self->memory + off, off += pos;
  self->E1 = self->memory + off, off += tokens;
  self->E2 = self->memory + off, off += tokens;
  self->fused = self->memory + off, off += tokens;
  dm_decoder_acts_point (&self->acts, self->memory + off, B, self->N, self->D, FALSE, FALSE);
  off += dec;
  self->a1 = self->memory + off, off += grid;
  self->a2 = self->memory + off, off += grid;
  self->map_crop = self->memory + off, off += crop2;
  self->tmp = self->memory + off, off += tmp;
  self->map_256 = self->memory + off, off += tmp;
  g_assert (off == self->n_floats);
  dm_vit_pos_prepare (model->encoder, crop, self->pos);
  /* the model's weights do not change while it is used: packed on the
   * first run (a copy of the weights; 6-10% faster matmuls, more at
   * batch 1). DINOMALY_NO_PACKED_WEIGHTS turns it off, for benchmarks. */
  if (g_getenv ("DINOMALY_NO_PACKED_WEIGHTS") == NULL)
    self->packed = dm_packed_weights_new ();
  return g_steal_pointer (&self);
}

void
dm_inference_free (DmInference *self)
{
  if (self == NULL)
    return;
  dm_aligned_free (self->memory);
  dm_packed_weights_free (self->packed);
  g_free (self);
}

gsize
dm_inference_get_memory_size (DmInference *self)
{
  return self->n_floats * sizeof (float);
}

gboolean
dm_inference_run (
  DmInference *self, const float *img, int B, float *map_256, float *scores, GError **error)
{
  const DmDinomalyModel *m = self->model;
  int N = self->N, D = self->D, g = self->g, crop = m->crop;
  gsize stride = (gsize)N * D;
  int first_patch = 1 + m->encoder->config.n_registers;
  gboolean ok;
  gint64 stamp;

  if (B < 1 || B > self->max_batch)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "Batch of %d images, expected 1 to %d", B,
                   self->max_batch);
      return FALSE;
    }
  self->last_B = B;
  /* The decoder's activation views were laid out for max_batch; the ops
   * read the first B images of each. */
  self->acts.B = B;
  dm_engine_set_packed_weights (self->engine, self->packed);
  ok = dm_vit_forward_with_pos (self->engine, m->encoder, &m->targets, img, B, crop, self->pos,
                                self->E1, self->E2, self->fused, self->vit_workspace, error)
       && dm_decoder_forward (self->engine, &m->decoder->v, &self->acts, self->fused, NULL, error);
  dm_engine_set_packed_weights (self->engine, NULL);
  if (!ok)
    return FALSE;
  stamp = dm_engine_profile_begin (self->engine);

  /* §6: per-group 1 - cos on the patch grid, then the maps and scores */
  dm_cosine_distance_forward (self->a1, self->E1 + (gsize)first_patch * D,
                              self->acts.R1 + (gsize)first_patch * D, B, g * g, D, stride);
  dm_cosine_distance_forward (self->a2, self->E2 + (gsize)first_patch * D,
                              self->acts.R2 + (gsize)first_patch * D, B, g * g, D, stride);
  for (int b = 0; b < B; b++)
    {
      const float *groups[2] = { self->a1 + (gsize)b * g * g, self->a2 + (gsize)b * g * g };
      float *crop_map = self->map_crop + (gsize)b * crop * crop;
      float *out = map_256 != NULL ? map_256 + (gsize)b * DM_ANOMALY_MAP_SIZE * DM_ANOMALY_MAP_SIZE
                                   : self->map_256;

      dm_anomaly_map_crop (crop_map, self->tmp, groups, 2, g, crop);
      dm_anomaly_map_256 (out, self->tmp, crop_map, crop);
      if (scores != NULL)
        scores[b] = dm_anomaly_score (out, self->tmp);
    }
  dm_engine_profile_end (self->engine, "anomaly maps and scores", stamp);
  return TRUE;
}

void
dm_inference_get_features (DmInference *self, DmInferenceFeatures *f)
{
  f->fused = self->fused;
  f->E1 = self->E1;
  f->E2 = self->E2;
  f->R1 = self->acts.R1;
  f->R2 = self->acts.R2;
  f->a1 = self->a1;
  f->a2 = self->a2;
  f->map_crop = self->map_crop;
  f->B = self->last_B;
  f->N = self->N;
  f->D = self->D;
  f->g = self->g;
}

void
dm_dinomaly_model_renormalise (const DmDinomalyModel *model, float *x /* (3, crop, crop) */)
{
  gsize plane = (gsize)model->crop * model->crop;

  for (int c = 0; c < 3; c++)
    {
      float *p = x + c * plane;

      if (model->mean[c] == dm_imagenet_mean[c] && model->std[c] == dm_imagenet_std[c])
        continue;
      for (gsize i = 0; i < plane; i++)
        p[i] = (p[i] * dm_imagenet_std[c] + dm_imagenet_mean[c] - model->mean[c]) / model->std[c];
    }
}
