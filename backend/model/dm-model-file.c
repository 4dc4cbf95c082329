/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writes and opens model files (.dinomaly); the format is described in
 * dm-model-file.h. */
#include "dm-model-file.h"

#include <string.h>

#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-safetensors-writer.h"

gboolean
dm_model_file_write (const char *path,
                     const DmModelInfo *info,
                     const DmDinomalyWeights *weights,
                     const DmVitWeights *backbone,
                     DmDtype backbone_dtype,
                     GError **error)
{
  g_autoptr (DmSafetensorsWriter) writer = NULL;
  g_autoptr (GError) local_error = NULL;

  if (!dm_model_info_validate (info, &local_error))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: %s", path, local_error->message);
      return FALSE;
    }
  if (weights->layout.dim != info->arch.dim)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "%s: the decoder is %d wide but the architecture says %d", path,
                   weights->layout.dim, info->arch.dim);
      return FALSE;
    }
  if (info->backbone_embedded)
    {
      if (backbone == NULL)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                       "%s: the backbone is to be embedded but none was given", path);
          return FALSE;
        }
      if (!dm_vit_config_equal (&backbone->config, &info->arch))
        {
          g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                       "%s: the backbone (D %d, depth %d) does not match the architecture (D %d, "
                       "depth %d)",
                       path, backbone->config.dim, backbone->config.depth, info->arch.dim,
                       info->arch.depth);
          return FALSE;
        }
    }
  else if (backbone != NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: a backbone was given for a model that only refers to it", path);
      return FALSE;
    }

  writer = dm_safetensors_writer_new ();
  dm_safetensors_writer_set_metadata (writer, "format", "pt");
  dm_model_info_to_metadata (info, writer);
  if (backbone != NULL
      && !dm_vit_weights_add_to_writer (backbone, writer, "encoder.", backbone_dtype, &local_error))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: %s", path, local_error->message);
      return FALSE;
    }
  if (!dm_dinomaly_weights_add_to_writer (weights, writer, error))
    return FALSE;
  return dm_safetensors_writer_write (writer, path, error);
}

/* The metadata describes the tensors beside it: a file whose metadata says
 * otherwise (edited, or damaged) is refused here, naming what disagrees,
 * before anything believes it (`info` printing "depth 100000", a load
 * blaming the backbone for the metadata's error). The decoder's width comes
 * from its tensors; an embedded encoder's shape too. */
gboolean
dm_model_file_check_tensors (const DmSafetensors *st, const DmModelInfo *info, GError **error)
{
  const char *path = dm_safetensors_path (st);
  const DmVitConfig *a = &info->arch;
  DmDinomalyProbe dec;
  gboolean ok;

  if (!dm_dinomaly_probe (st, &dec, error))
    return FALSE;
  ok = dec.dim == a->dim;
  if (!ok)
    g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT,
                 "%s: the model metadata says D %d but the decoder's tensors are %d wide: the file "
                 "is damaged or was edited",
                 path, a->dim, dec.dim);
  dm_dinomaly_probe_clear (&dec);
  if (!ok || !info->backbone_embedded)
    return ok;
  {
    DmVitProbe enc;
    const DmVitConfig *c = &enc.config;

    if (!dm_vit_probe (st, NULL, &enc, error))
      return FALSE;
    ok = c->dim == a->dim && c->depth == a->depth && c->n_registers == a->n_registers
         && c->patch_size == a->patch_size && c->pos_grid == a->pos_grid
         && c->mlp_hidden == a->mlp_hidden;
    if (!ok)
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT,
                   "%s: the model metadata says D %d, depth %d, %d registers, patch %d, but the "
                   "embedded encoder's tensors are D %d, depth %d, %d registers, patch %d: the "
                   "file is damaged or was edited",
                   path, a->dim, a->depth, a->n_registers, a->patch_size, c->dim, c->depth,
                   c->n_registers, c->patch_size);
    dm_vit_probe_clear (&enc);
  }
  return ok;
}

DmModelFile *
dm_model_file_open (const char *path, GError **error)
{
  g_autoptr (DmModelFile) file = g_new0 (DmModelFile, 1);

  file->st = dm_safetensors_open (path, error);
  if (file->st == NULL)
    return NULL;
  file->info = dm_model_info_from_file (file->st, error);
  if (file->info == NULL || !dm_model_file_check_tensors (file->st, file->info, error))
    return NULL;
  return g_steal_pointer (&file);
}

void
dm_model_file_free (DmModelFile *file)
{
  if (file == NULL)
    return;
  g_clear_pointer (&file->st, dm_safetensors_free);
  g_clear_pointer (&file->info, dm_model_info_free);
  g_free (file);
}

DmDinomalyWeights *
dm_model_file_load_weights (const DmModelFile *file, GError **error)
{
  return dm_dinomaly_weights_load (file->st, file->info->arch.dim, error);
}

/* What the shapes cannot tell (heads, eps) comes from the metadata; the
 * rest must agree. */
static gboolean
adopt_arch (const DmModelInfo *info, DmVitWeights *w, const char *what, GError **error)
{
  const DmVitConfig *a = &info->arch;
  DmVitConfig *c = &w->config;

  if (c->dim != a->dim || c->depth != a->depth || c->n_registers != a->n_registers
      || c->patch_size != a->patch_size || c->pos_grid != a->pos_grid
      || c->mlp_hidden != a->mlp_hidden)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "%s: D %d, depth %d, %d registers, patch %d, but the model was trained on D %d, "
                   "depth %d, %d registers, patch %d",
                   what, c->dim, c->depth, c->n_registers, c->patch_size, a->dim, a->depth,
                   a->n_registers, a->patch_size);
      return FALSE;
    }
  c->heads = a->heads;
  c->head_dim = a->head_dim;
  c->ln_eps = a->ln_eps;
  return TRUE;
}

DmVitWeights *
dm_model_file_load_backbone (const DmModelFile *file,
                             const char *backbone_path,
                             int n_blocks,
                             GError **error)
{
  const DmModelInfo *info = file->info;
  const char *path = dm_safetensors_path (file->st);
  g_autoptr (DmVitWeights) w = NULL;

  if (n_blocks == 0)
    n_blocks = dm_model_info_last_target (info) + 1;
  if (info->backbone_embedded)
    {
      w = dm_vit_weights_load_from (file->st, NULL, n_blocks, error);
      if (w == NULL)
        return NULL;
      if (strcmp (w->prefix, "encoder.") != 0)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT,
                       "%s: the embedded backbone is under '%s', not 'encoder.'", path, w->prefix);
          return NULL;
        }
      if (!adopt_arch (info, w, path, error))
        return NULL;
      return g_steal_pointer (&w);
    }

  if (backbone_path == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: the model refers to the backbone %s (SHA-256 %s): give that file", path,
                   info->backbone_name != NULL ? info->backbone_name : "(unnamed)",
                   info->backbone_sha256);
      return NULL;
    }
  {
    g_autofree char *sha = dm_file_sha256 (backbone_path, error);

    if (sha == NULL)
      return NULL;
    if (g_ascii_strcasecmp (sha, info->backbone_sha256) != 0)
      {
        g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                     "%s: SHA-256 %s is not that of the backbone %s was trained with (%s, %s)",
                     backbone_path, sha, path,
                     info->backbone_name != NULL ? info->backbone_name : "unnamed",
                     info->backbone_sha256);
        return NULL;
      }
  }
  w = dm_vit_weights_load (backbone_path, n_blocks, error);
  if (w == NULL || !adopt_arch (info, w, backbone_path, error))
    return NULL;
  return g_steal_pointer (&w);
}
