/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The model description and file around a training job. */
#include "dm-train-model.h"

#include <string.h>

char *
dm_train_fingerprint (const char *const *paths, guint n, const char *root)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize skip = root != NULL ? strlen (root) : 0;

  for (guint i = 0; i < n; i++)
    {
      const char *p = paths[i];
      const char *rel = skip > 0 && strncmp (p, root, skip) == 0 ? p + skip : p;

      g_checksum_update (sum, (const guchar *)rel, (gssize)strlen (rel));
      g_checksum_update (sum, (const guchar *)"\n", 1);
    }
  return g_strdup (g_checksum_get_string (sum));
}

DmModelInfo *
dm_train_model_info_new (const DmVitWeights *backbone, DmVitTargets *targets, GError **error)
{
  g_autoptr (DmModelInfo) info = dm_model_info_new ();

  if (!dm_model_info_set_backbone (info, &backbone->config, error))
    return NULL;
  memset (targets, 0, sizeof *targets);
  targets->n_targets = info->n_targets;
  for (int i = 0; i < info->n_targets; i++)
    targets->targets[i] = info->target_blocks[i];
  targets->group_split = info->group_size[0];
  return g_steal_pointer (&info);
}

gboolean
dm_train_fit_batch (DmTrainer *trainer, gboolean resumed, char **note, GError **error)
{
  int valid = dm_trainer_get_n_valid (trainer), want = dm_trainer_get_settings (trainer)->batch;

  if (note != NULL)
    *note = NULL;
  if (want <= valid || resumed)
    return TRUE;
  if (note != NULL)
    *note = g_strdup_printf ("the batch size %d is larger than the %d training images: using a "
                             "batch of %d",
                             want, valid, valid);
  return dm_trainer_set_batch (trainer, valid, error);
}

gboolean
dm_train_write_model (DmTrainer *trainer,
                      DmModelInfo *info,
                      const DmVitWeights *backbone,
                      const char *backbone_name,
                      const char *backbone_sha256,
                      const char *const *class_names,
                      const char *path,
                      GError **error)
{
  const DmTrainSettings *s = dm_trainer_get_settings (trainer);

  info->resize = s->resize;
  info->crop = s->crop;
  info->dropout = s->dropout;
  g_strfreev (info->class_names);
  info->class_names = g_strdupv ((char **)class_names);
  g_free (info->backbone_name);
  info->backbone_name = g_strdup (backbone_name);
  g_free (info->backbone_sha256);
  info->backbone_sha256 = g_strdup (backbone_sha256);
  info->backbone_embedded = TRUE;
  info->backbone_scheme = backbone->scheme;
  info->has_training = TRUE;
  dm_trainer_get_training_record (trainer, &info->training, 1000);
  return dm_model_file_write (path, info, dm_trainer_get_weights (trainer), backbone,
                              backbone->source_dtype, error);
}
