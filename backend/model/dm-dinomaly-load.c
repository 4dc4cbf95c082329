/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Builds a DmDinomalyModel from a model file. */
#include "dm-dinomaly.h"

#include "dm-error.h"

/* The engine computes two groups that split the ordered target blocks in
 * two runs (the paper's layout); other groupings are refused. */
static gboolean
targets_from_info (const DmModelInfo *info, DmVitTargets *t, const char *path, GError **error)
{
  int k = 0;

  if (info->n_targets < 2 || info->n_targets > DM_VIT_MAX_TARGETS || info->n_groups != 2)
    goto unsupported;
  t->n_targets = info->n_targets;
  for (int i = 0; i < info->n_targets; i++)
    t->targets[i] = info->target_blocks[i];
  t->group_split = info->group_size[0];
  for (int g = 0; g < 2; g++)
    for (int i = 0; i < info->group_size[g]; i++, k++)
      if (k >= info->n_targets || info->groups[g][i] != info->target_blocks[k])
        goto unsupported;
  if (k != info->n_targets)
    goto unsupported;
  return TRUE;

unsupported:
  g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
               "%s: the model groups its target blocks in a way this version cannot run "
               "(two consecutive groups of target blocks are supported)",
               path);
  return FALSE;
}

DmDinomalyModel *
dm_dinomaly_model_load (const char *path,
                        const char *backbone_path,
                        DmModelInfo **info_out,
                        GError **error)
{
  g_autoptr (DmModelFile) file = dm_model_file_open (path, error);
  DmVitWeights *encoder;
  DmDinomalyWeights *decoder;
  DmDinomalyModel *model;
  DmVitTargets targets;

  if (file == NULL)
    return NULL;
  if (!targets_from_info (file->info, &targets, path, error))
    return NULL;
  decoder = dm_model_file_load_weights (file, error);
  if (decoder == NULL)
    return NULL;
  encoder = dm_model_file_load_backbone (file, backbone_path, 0, error);
  if (encoder == NULL)
    {
      dm_dinomaly_weights_free (decoder);
      return NULL;
    }
  model = dm_dinomaly_model_new (encoder, decoder, error);
  if (model == NULL)
    return NULL;
  model->targets = targets;
  model->resize = file->info->resize;
  model->crop = file->info->crop;
  for (int c = 0; c < 3; c++)
    {
      model->mean[c] = (float)file->info->mean[c];
      model->std[c] = (float)file->info->std[c];
    }
  model->dropout = (float)file->info->dropout;
  if (info_out != NULL)
    *info_out = g_steal_pointer (&file->info);
  return model;
}
