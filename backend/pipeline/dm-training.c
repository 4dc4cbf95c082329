/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The training sequence shared by `dinomaly train` and a project's job. */
#include "dm-training.h"

#include <string.h>

#include <errno.h>

#include "dm-checkpoint.h"
#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-model-set.h"
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
  set->class_start = g_array_new (FALSE, FALSE, sizeof (guint));
  set->root = g_strdup (root);
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
      g_array_append_val (set->class_start, set->paths->len);
      dm_dataset_class_range (ds, c, DM_SPLIT_TRAIN, &first, &n);
      for (guint i = first; i < first + n; i++)
        g_ptr_array_add (set->paths, g_strdup (ds->samples[i].path));
    }
  g_ptr_array_add (set->class_names, NULL);
  g_array_append_val (set->class_start, set->paths->len);
  set->fingerprint
    = dm_train_fingerprint ((const char *const *)set->paths->pdata, set->paths->len, root);
  return TRUE;
}

void
dm_training_set_clear (DmTrainingSet *set)
{
  g_clear_pointer (&set->paths, g_ptr_array_unref);
  g_clear_pointer (&set->class_names, g_ptr_array_unref);
  g_clear_pointer (&set->class_start, g_array_unref);
  g_clear_pointer (&set->root, g_free);
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

      if (!dm_training_backbone_config (kind, NULL, arch, &config, error))
        return NULL;
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

gboolean
dm_training_backbone_config (
  const char *kind, const char *path, const char *arch, DmVitConfig *config, GError **error)
{
  g_autoptr (DmSafetensors) st = NULL;
  g_autofree char *dir = NULL, *config_json = NULL;
  DmVitProbe probe;

  if (g_strcmp0 (kind, "random") == 0)
    {
      if (dm_vit_config_for_arch (arch, config))
        return TRUE;
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "unknown random backbone \"%s\"", arch);
      return FALSE;
    }
  st = dm_weight_file_open (path, NULL, error);
  if (st == NULL)
    return FALSE;
  dir = g_path_get_dirname (path);
  config_json = g_build_filename (dir, "config.json", NULL);
  if (!dm_vit_probe (st, config_json, &probe, error))
    return FALSE;
  *config = probe.config;
  dm_vit_probe_clear (&probe);
  return TRUE;
}

void
dm_training_estimate_memory (const DmTrainingSet *set,
                             const DmVitConfig *config,
                             const DmTrainSettings *settings,
                             DmTrainMemory *memory)
{
  guint n = set->paths->len;

  if (settings->per_class)
    {
      n = 0;
      for (guint c = 0; c + 1 < set->class_start->len; c++)
        n = MAX (n, g_array_index (set->class_start, guint, c + 1)
                      - g_array_index (set->class_start, guint, c));
    }
  dm_train_memory_estimate (config, settings, (int)MIN (n, (guint)G_MAXINT), memory);
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
static gboolean run_per_class (const DmTrainingRequest *req,
                               const DmTrainingCallbacks *cb,
                               GCancellable *cancellable,
                               DmTrainingOutcome *outcome,
                               GError **error);

/* One model: the model file and the checkpoint folder taken, then the run. */
static gboolean
run_one (const DmTrainingRequest *req,
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
  if (ok)
    outcome->n_models++;
  return ok;
}

gboolean
dm_training_run (const DmTrainingRequest *req,
                 const DmTrainingCallbacks *cb,
                 GCancellable *cancellable,
                 DmTrainingOutcome *outcome,
                 GError **error)
{
  if (req->settings->per_class)
    return run_per_class (req, cb, cancellable, outcome, error);
  return run_one (req, cb, cancellable, outcome, error);
}

char *
dm_training_class_checkpoint_dir (const char *checkpoint_dir, const char *class_name)
{
  g_autofree char *file = dm_model_set_file_name (class_name);

  file[strlen (file) - strlen (DM_MODEL_FILE_SUFFIX)] = '\0';
  return g_build_filename (checkpoint_dir, file, NULL);
}

/* Class c's images alone, as a training set of one class. */
static void
class_subset (const DmTrainingSet *set, guint c, DmTrainingSet *sub)
{
  guint first = g_array_index (set->class_start, guint, c);
  guint end = g_array_index (set->class_start, guint, c + 1);

  sub->paths = g_ptr_array_new_with_free_func (g_free);
  for (guint i = first; i < end; i++)
    g_ptr_array_add (sub->paths, g_strdup (set->paths->pdata[i]));
  sub->class_names = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (sub->class_names, g_strdup (set->class_names->pdata[c]));
  g_ptr_array_add (sub->class_names, NULL);
  sub->class_start = g_array_new (FALSE, FALSE, sizeof (guint));
  g_array_append_val (sub->class_start, (guint){ 0 });
  g_array_append_val (sub->class_start, sub->paths->len);
  sub->root = g_strdup (set->root);
  sub->fingerprint
    = dm_train_fingerprint ((const char *const *)sub->paths->pdata, sub->paths->len, set->root);
}

/* Resuming a per-class run: what to do with a class. */
typedef enum
{
  CLASS_FRESH,
  CLASS_RESUME,
  CLASS_DONE,
} ClassState;

static ClassState
class_state (const char *checkpoint_dir, const char *model_path)
{
  g_autofree char *ckpt
    = checkpoint_dir != NULL ? g_build_filename (checkpoint_dir, DM_CHECKPOINT_FILE, NULL) : NULL;
  gboolean has_model = g_file_test (model_path, G_FILE_TEST_IS_REGULAR);
  DmCheckpointState st;
  ClassState state;

  if (ckpt == NULL || !g_file_test (ckpt, G_FILE_TEST_IS_REGULAR))
    return has_model ? CLASS_DONE : CLASS_FRESH;
  dm_checkpoint_state_init (&st);
  if (!dm_checkpoint_read_state (ckpt, &st, NULL))
    state = CLASS_RESUME; /* let the resume say what is wrong with it */
  else if (st.next_iter >= st.settings.total_iters && has_model)
    state = CLASS_DONE;
  else
    state = CLASS_RESUME;
  dm_checkpoint_state_clear (&st);
  return state;
}

static gboolean
run_per_class (const DmTrainingRequest *req,
               const DmTrainingCallbacks *cb,
               GCancellable *cancellable,
               DmTrainingOutcome *outcome,
               GError **error)
{
  const DmTrainingSet *set = req->set;
  guint n = set->class_names->len - 1;
  g_autofree char *display = g_filename_display_name (req->model_path);

  if (g_mkdir_with_parents (req->model_path, 0755) != 0
      || !g_file_test (req->model_path, G_FILE_TEST_IS_DIR))
    {
      int saved = errno;

      g_set_error (error, DM_ERROR, DM_ERROR_IO,
                   "%s: cannot make the folder of the class models: %s", display,
                   g_strerror (saved != 0 ? saved : ENOTDIR));
      return FALSE;
    }
  for (guint c = 0; c < n; c++)
    {
      const char *name = set->class_names->pdata[c];
      g_autofree char *file = dm_model_set_file_name (name);
      g_autofree char *model = g_build_filename (req->model_path, file, NULL);
      DmTrainingRequest one = *req;
      DmTrainingSet sub = { 0 };
      DmTrainSettings settings;
      DmTrainingOutcome class_outcome;
      ClassState state = CLASS_FRESH;
      gboolean ok;

      class_subset (set, c, &sub);
      dm_train_settings_copy (&settings, req->settings);
      settings.per_class = FALSE;
      if (req->settings->checkpoint_dir != NULL)
        {
          g_free (settings.checkpoint_dir);
          settings.checkpoint_dir
            = dm_training_class_checkpoint_dir (req->settings->checkpoint_dir, name);
        }
      if (req->resume)
        state = class_state (settings.checkpoint_dir, model);
      if (sub.paths->len == 0 || state == CLASS_DONE)
        {
          g_autofree char *note
            = sub.paths->len == 0
                ? g_strdup_printf ("class '%s' has no training images: no model for it", name)
                : g_strdup_printf ("class '%s' is trained already (%s)", name, file);

          if (cb->note != NULL)
            cb->note (note, cb->user_data);
          outcome->n_done_before += state == CLASS_DONE;
          dm_training_set_clear (&sub);
          dm_train_settings_clear (&settings);
          continue;
        }
      if (cb->class_started != NULL)
        cb->class_started (c, n, name, cb->user_data);
      if (settings.checkpoint_dir != NULL && g_mkdir_with_parents (settings.checkpoint_dir, 0755))
        {
          int saved = errno;
          g_autofree char *dir = g_filename_display_name (settings.checkpoint_dir);

          g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: %s", dir, g_strerror (saved));
          dm_training_set_clear (&sub);
          dm_train_settings_clear (&settings);
          return FALSE;
        }
      one.set = &sub;
      one.settings = &settings;
      one.resume = state == CLASS_RESUME;
      one.model_path = model;
      dm_training_outcome_init (&class_outcome);
      ok = run_one (&one, cb, cancellable, &class_outcome, error);
      g_array_set_size (outcome->losses, 0);
      g_array_append_vals (outcome->losses, class_outcome.losses->data, class_outcome.losses->len);
      outcome->first_iter = class_outcome.first_iter;
      outcome->next_iter = class_outcome.next_iter;
      outcome->train_seconds += class_outcome.train_seconds;
      outcome->cache_seconds += class_outcome.cache_seconds;
      outcome->final_loss = class_outcome.final_loss;
      outcome->n_models += class_outcome.n_models;
      dm_training_outcome_clear (&class_outcome);
      dm_training_set_clear (&sub);
      dm_train_settings_clear (&settings);
      if (!ok)
        return FALSE;
    }
  outcome->model_written = outcome->n_models + outcome->n_done_before > 0;
  if (!outcome->model_written)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: no class has training images", display);
      return FALSE;
    }
  return TRUE;
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
