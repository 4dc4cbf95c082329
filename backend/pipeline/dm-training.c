/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The training sequence shared by `dinomaly train` and a project's job. */
#include "dm-training.h"

#include <string.h>

#include "dm-checkpoint.h"
#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-preprocess.h"
#include "dm-weight-file.h"
#include "dm-train-model.h"
#include "dm-vit-random.h"

gboolean
dm_training_set_from_dataset (const DmDataset *ds,
                              const char *const *only,
                              const char *root,
                              DmTrainingSet *set,
                              GError **error)
{
  set->paths = g_ptr_array_new_with_free_func (g_free);
  set->class_names = g_ptr_array_new_with_free_func (g_free);
  set->fingerprint = NULL;
  for (guint k = 0; only != NULL && only[k] != NULL; k++)
    if (dm_dataset_find_class (ds, only[k]) < 0)
      {
        g_autofree char *display = g_filename_display_name (root != NULL ? root : "");

        g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: no class '%s'", display, only[k]);
        return FALSE;
      }
  for (guint c = 0; c < ds->n_classes; c++)
    {
      guint first, n;

      if (only != NULL && !g_strv_contains (only, ds->classes[c].name))
        continue;
      g_ptr_array_add (set->class_names, g_strdup (ds->classes[c].name));
      dm_dataset_class_range (ds, c, DM_SPLIT_TRAIN, &first, &n);
      for (guint i = first; i < first + n; i++)
        g_ptr_array_add (set->paths, g_strdup (ds->samples[i].path));
    }
  g_ptr_array_add (set->class_names, NULL);
  set->fingerprint
    = dm_train_fingerprint ((const char *const *)set->paths->pdata, set->paths->len, root);
  return TRUE;
}

void
dm_training_set_clear (DmTrainingSet *set)
{
  g_clear_pointer (&set->paths, g_ptr_array_unref);
  g_clear_pointer (&set->class_names, g_ptr_array_unref);
  g_clear_pointer (&set->fingerprint, g_free);
}

DmVitWeights *
dm_training_backbone_load (
  const char *kind, const char *path, const char *arch, char **name, char **sha256, GError **error)
{
  *name = NULL;
  *sha256 = NULL;
  if (g_strcmp0 (kind, "random") == 0)
    {
      DmVitConfig config;
      g_autofree char *id = NULL;

      if (!dm_vit_config_for_arch (arch, &config))
        {
          g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "unknown random backbone \"%s\"", arch);
          return NULL;
        }
      id = g_strdup_printf ("random:%s:%d", arch, DM_TRAINING_RANDOM_BACKBONE_SEED);
      *name = g_strdup_printf ("random %s weights (for trying only)", arch);
      *sha256 = g_compute_checksum_for_string (G_CHECKSUM_SHA256, id, -1);
      return dm_vit_weights_new_random (&config, -1, DM_TRAINING_RANDOM_BACKBONE_SEED, error);
    }
  *sha256 = dm_file_sha256 (path, error);
  if (*sha256 == NULL)
    return NULL;
  *name = g_path_get_basename (path);
  return dm_vit_weights_load (path, -1, error);
}

void
dm_training_outcome_init (DmTrainingOutcome *outcome)
{
  memset (outcome, 0, sizeof *outcome);
  outcome->losses = g_array_new (FALSE, FALSE, sizeof (float));
}

void
dm_training_outcome_clear (DmTrainingOutcome *outcome)
{
  g_clear_pointer (&outcome->losses, g_array_unref);
}

typedef struct
{
  GPtrArray *paths;
  int resize, crop;
} Loader;

static gboolean
load_image (int index, float *out, gpointer user_data, GError **error)
{
  Loader *l = user_data;

  return dm_preprocess_file (l->paths->pdata[index], l->resize, l->crop, 0, out, error);
}

/* The images of a resumed run are read at the sizes they were cached at,
 * which the checkpoint records (its settings win over the caller's). */
static gboolean
checkpoint_sizes (const char *path, int *resize, int *crop, GError **error)
{
  DmCheckpointState st;
  gboolean ok;

  dm_checkpoint_state_init (&st);
  ok = dm_checkpoint_read_state (path, &st, error);
  if (ok)
    {
      *resize = st.settings.resize;
      *crop = st.settings.crop;
    }
  dm_checkpoint_state_clear (&st);
  return ok;
}

static void
keep_losses (DmTrainer *trainer, DmTrainingOutcome *outcome)
{
  gsize n;
  const float *losses = dm_trainer_get_losses (trainer, &n, &outcome->first_iter);

  g_array_set_size (outcome->losses, 0);
  g_array_append_vals (outcome->losses, losses, n);
  outcome->next_iter = dm_trainer_get_next_iter (trainer);
  outcome->train_seconds = dm_trainer_get_train_seconds (trainer);
  outcome->cache_seconds = dm_trainer_get_cache_seconds (trainer);
}

static gboolean run_locked (const DmTrainingRequest *req,
                            const DmTrainingCallbacks *cb,
                            GCancellable *cancellable,
                            DmTrainingOutcome *outcome,
                            GError **error);

gboolean
dm_training_run (const DmTrainingRequest *req,
                 const DmTrainingCallbacks *cb,
                 GCancellable *cancellable,
                 DmTrainingOutcome *outcome,
                 GError **error)
{
  int lock = -1;
  gboolean ok;

  /* Where the work ends must be known to take it before the work starts
   * (a read-only folder, a regular file in the way, a path too long), and
   * two runs must not share a checkpoint folder: each would overwrite the
   * other's checkpoint. */
  {
    g_autofree char *folder = g_path_get_dirname (req->model_path);

    dm_atomic_file_remove_stale_in (folder);
  }
  if (!dm_file_check_writable (req->model_path, error))
    return FALSE;
  if (req->settings->checkpoint_dir != NULL
      && !dm_folder_lock (req->settings->checkpoint_dir, "training run", &lock, error))
    return FALSE;
  ok = run_locked (req, cb, cancellable, outcome, error);
  dm_folder_unlock (lock);
  return ok;
}

static gboolean
run_locked (const DmTrainingRequest *req,
            const DmTrainingCallbacks *cb,
            GCancellable *cancellable,
            DmTrainingOutcome *outcome,
            GError **error)
{
  const DmTrainSettings *s = req->settings;
  g_autoptr (DmModelInfo) info = NULL;
  g_autoptr (DmEngine) engine = NULL;
  g_autoptr (DmTrainer) trainer = NULL;
  g_autofree char *ckpt = NULL, *note = NULL;
  DmVitTargets targets;
  Loader loader = { req->set->paths, s->resize, s->crop };
  int n = (int)req->set->paths->len;

  if (req->resume)
    {
      if (s->checkpoint_dir == NULL)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                       "resuming needs the folder of the checkpoint");
          return FALSE;
        }
      ckpt = g_build_filename (s->checkpoint_dir, DM_CHECKPOINT_FILE, NULL);
      if (!checkpoint_sizes (ckpt, &loader.resize, &loader.crop, error))
        return FALSE;
    }

  info = dm_train_model_info_new (req->backbone, &targets, error);
  if (info == NULL)
    return FALSE;
  engine = dm_engine_new (s->n_threads, error);
  if (engine == NULL)
    return FALSE;
  trainer = dm_trainer_new (engine, s, req->backbone, &targets, error);
  if (trainer == NULL)
    return FALSE;
  if (req->init_path != NULL)
    {
      g_autoptr (DmSafetensors) st = dm_weight_file_open (req->init_path, NULL, error);
      g_autoptr (DmDinomalyWeights) init = NULL;

      if (st == NULL)
        return FALSE;
      init = dm_dinomaly_weights_load (st, req->backbone->config.dim, error);
      if (init == NULL || !dm_trainer_set_init (trainer, init, error))
        return FALSE;
    }
  dm_trainer_set_images (trainer, n, load_image, &loader, req->set->fingerprint);
  if (req->resume && !dm_trainer_resume (trainer, ckpt, req->set->fingerprint, error))
    return FALSE;

  if (!dm_trainer_build_cache (trainer, cb->progress, cb->user_data, cancellable, error))
    return FALSE;
  if (!dm_train_fit_batch (trainer, req->resume, &note, error))
    return FALSE;
  if (note != NULL && cb->note != NULL)
    cb->note (note, cb->user_data);
  if (cb->ready != NULL)
    cb->ready (dm_trainer_get_n_valid (trainer), n, dm_trainer_get_settings (trainer)->batch,
               cb->user_data);

  if (!dm_trainer_run (trainer, cb->progress, cb->user_data, cancellable, error))
    {
      keep_losses (trainer, outcome);
      return FALSE;
    }
  keep_losses (trainer, outcome);
  if (cb->saving != NULL)
    cb->saving (cb->user_data);
  if (!dm_train_write_model (trainer, info, req->backbone, req->backbone_name, req->backbone_sha256,
                             (const char *const *)req->set->class_names->pdata, req->model_path,
                             error))
    return FALSE;
  outcome->final_loss = info->training.final_loss;
  outcome->model_written = TRUE;
  return TRUE;
}
