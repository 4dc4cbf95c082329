/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A project's training job: dataset, backbone, trainer, model file, scores. */
#include "dm-project-train.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dm-checkpoint.h"
#include "dm-error.h"
#include "dm-evaluation.h"
#include "dm-file-util.h"
#include "dm-model-set.h"
#include "dm-project-dataset.h"
#include "dm-project-versions.h"
#include "dm-training.h"

struct _DmProjectTrain
{
  char *folder;
  char *backbone_kind, *backbone_path, *backbone_arch;
  DmTrainSettings settings;
  gboolean resume;
  int n_threads;
  double quantile;  /* of the held-out normals' scores: the proposed threshold */
  guint version_id; /* the model version this run makes (models/vN) */

  /* filled by run */
  GPtrArray *problems; /* char * */
  GArray *losses;      /* float */
  gint64 first_iter;
  gboolean has_model;
  DmProjectResults *results;
  DmProjectVersion *version; /* its record, once the model is written */
};

gboolean
dm_project_train_settings (const DmProject *project, DmTrainSettings *s, GError **error)
{
  DmTrainPreset preset = DM_TRAIN_PRESET_QUICK;

  dm_train_settings_init (s);
  if (project->preset != NULL && !dm_train_preset_from_name (project->preset, &preset))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: unknown preset \"%s\"", project->folder,
                   project->preset);
      return FALSE;
    }
  dm_train_settings_apply_preset (s, preset);
  if (project->settings != NULL && !dm_train_settings_from_object (s, project->settings, error))
    return FALSE;
  s->opt.total_iters = s->total_iters;
  /* a checkpoint every 50 iterations of the quick preset at most (fewer
   * for larger models: checkpoint_interval once the backbone is known) */
  s->checkpoint_every = MIN (50, MAX (s->total_iters / 4, 1));
  g_free (s->checkpoint_dir);
  s->checkpoint_dir = dm_project_subfolder (project, "checkpoints");
  g_free (s->cache_dir);
  s->cache_dir = dm_project_subfolder (project, "cache");
  return dm_train_settings_validate (s, error);
}

double
dm_project_threshold_quantile (const DmProject *project)
{
  JsonNode *n = project->settings != NULL
                  ? json_object_get_member (project->settings, "threshold_quantile")
                  : NULL;

  return n != NULL && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_double (n)
                                                : DM_PROJECT_DEFAULT_QUANTILE;
}

/* Iterations between checkpoints for a backbone of width dim: 50 for the
 * quick preset (ViT-S, 224 px, batch 8: about a minute and a half on two
 * cores), as many fewer as an iteration costs more (width squared, tokens,
 * batch), so that a crash costs about the same time whatever the preset:
 * ViT-B at 392 px and batch 16 writes one every 2 iterations. */
static gint64
checkpoint_interval (const DmTrainSettings *s, int dim)
{
  double tokens = (double)(s->crop / 14) * (s->crop / 14) + 5;
  double cost = (double)dim * dim * tokens * s->batch;
  double quick = 384.0 * 384.0 * (16.0 * 16.0 + 5) * 8;
  gint64 every = (gint64)(50 * quick / cost + 0.5);

  return CLAMP (every, 1, s->checkpoint_every);
}

static char *
checkpoint_path (const char *folder)
{
  return g_build_filename (folder, "checkpoints", DM_CHECKPOINT_FILE, NULL);
}

/* TRUE when path holds a checkpoint stopped before its end. */
static gboolean
stopped_at (const char *path, gint64 *next_iter, gint64 *total_iters)
{
  DmCheckpointState st;
  gboolean ok;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return FALSE;
  dm_checkpoint_state_init (&st);
  ok = dm_checkpoint_read_state (path, &st, NULL);
  ok = ok && st.next_iter < st.settings.total_iters;
  if (ok && next_iter != NULL)
    *next_iter = st.next_iter;
  if (ok && total_iters != NULL)
    *total_iters = st.settings.total_iters;
  dm_checkpoint_state_clear (&st);
  return ok;
}

gboolean
dm_project_train_can_resume (const DmProject *project, gint64 *next_iter, gint64 *total_iters)
{
  g_autofree char *path = checkpoint_path (project->folder);
  g_autofree char *dir = g_build_filename (project->folder, "checkpoints", NULL);

  if (stopped_at (path, next_iter, total_iters))
    return TRUE;
  /* one model per class: a class's run stopped */
  for (guint i = 0; i < project->classes->len; i++)
    {
      const DmProjectClass *c = project->classes->pdata[i];
      g_autofree char *class_dir = dm_training_class_checkpoint_dir (dir, c->name);
      g_autofree char *class_path = g_build_filename (class_dir, DM_CHECKPOINT_FILE, NULL);

      if (stopped_at (class_path, next_iter, total_iters))
        return TRUE;
    }
  return FALSE;
}

DmProjectTrain *
dm_project_train_new (const DmProject *project, gboolean resume, int n_threads, GError **error)
{
  g_autoptr (DmProjectTrain) job = g_new0 (DmProjectTrain, 1);

  dm_train_settings_init (&job->settings);
  job->folder = g_strdup (project->folder);
  job->resume = resume;
  job->n_threads = n_threads;
  job->problems = g_ptr_array_new_with_free_func (g_free);
  job->losses = g_array_new (FALSE, FALSE, sizeof (float));
  if (g_strcmp0 (project->backbone_kind, "file") != 0
      && g_strcmp0 (project->backbone_kind, "random") != 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: no backbone chosen: choose a DINOv2 weight file (or random weights for "
                   "trying only) first",
                   project->folder);
      return NULL;
    }
  if (g_strcmp0 (project->backbone_kind, "file") == 0 && project->backbone_path == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: the backbone file is not set",
                   project->folder);
      return NULL;
    }
  job->backbone_kind = g_strdup (project->backbone_kind);
  job->backbone_path = g_strdup (project->backbone_path);
  job->backbone_arch = g_strdup (project->backbone_arch != NULL ? project->backbone_arch : "small");
  dm_train_settings_clear (&job->settings);
  if (!dm_project_train_settings (project, &job->settings, error))
    return NULL;
  job->quantile = dm_project_threshold_quantile (project);
  if (!(job->quantile > 0 && job->quantile <= 1))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: threshold_quantile must lie in (0, 1], not %g", project->folder,
                   job->quantile);
      return NULL;
    }
  job->settings.n_threads = n_threads;
  job->version_id = project->next_version;
  return g_steal_pointer (&job);
}

void
dm_project_train_free (DmProjectTrain *job)
{
  if (job == NULL)
    return;
  g_free (job->folder);
  g_free (job->backbone_kind);
  g_free (job->backbone_path);
  g_free (job->backbone_arch);
  dm_train_settings_clear (&job->settings);
  g_ptr_array_unref (job->problems);
  g_array_unref (job->losses);
  dm_project_results_free (job->results);
  dm_project_version_free (job->version);
  g_free (job);
}

/* ---- the run ---- */

typedef struct
{
  DmProjectTrain *job;
  DmProjectTrainProgressFunc progress;
  gpointer user_data;
  guint class_index, n_classes; /* one model per class: the class trained */
  char *class_name;
  DmProject *project; /* the run's own copy, read from disk */
} Run;

static void
report (Run *run, DmProjectTrainPhase phase)
{
  DmProjectTrainProgress p = { phase, NULL, 0, 0 };

  p.class_index = run->class_index;
  p.n_classes = run->n_classes;
  p.class_name = run->class_name;
  if (run->progress != NULL)
    run->progress (&p, run->user_data);
}

static void
on_class_started (guint index, guint n, const char *name, gpointer user_data)
{
  Run *run = user_data;

  run->class_index = index;
  run->n_classes = n;
  g_free (run->class_name);
  run->class_name = g_strdup (name);
}

static void
on_train_progress (const DmTrainProgress *tp, gpointer user_data)
{
  Run *run = user_data;
  DmProjectTrainProgress p = { 0 };

  p.phase
    = tp->phase == DM_TRAIN_PHASE_CACHING ? DM_PROJECT_TRAIN_CACHING : DM_PROJECT_TRAIN_TRAINING;
  p.train = tp;
  p.class_index = run->class_index;
  p.n_classes = run->n_classes;
  p.class_name = run->class_name;
  for (int i = 0; i < tp->n_new_skipped; i++)
    g_ptr_array_add (run->job->problems, g_strdup (tp->skipped[i]));
  if (run->progress != NULL)
    run->progress (&p, run->user_data);
}

static void
on_score_progress (guint done, guint total, gpointer user_data)
{
  Run *run = user_data;
  DmProjectTrainProgress p = { DM_PROJECT_TRAIN_SCORING, NULL, done, total };

  if (run->progress != NULL)
    run->progress (&p, run->user_data);
}

static void
on_saving (gpointer user_data)
{
  report (user_data, DM_PROJECT_TRAIN_SAVING);
}

static void
on_note (const char *text, gpointer user_data)
{
  Run *run = user_data;

  g_ptr_array_add (run->job->problems, g_strdup (text));
}

/* After a per-class run: each class's checkpoint goes (its model holds
 * the weights), and so do the models of classes the project no longer
 * has (a model set must not score a class with a stale model). */
static void
tidy_per_class (const char *folder, const char *models, const DmTrainingSet *set)
{
  g_autofree char *ckpt_dir = g_build_filename (folder, "checkpoints", NULL);
  g_autoptr (GHashTable) keep = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GDir) dir = NULL;
  const char *name;

  for (guint c = 0; c + 1 < set->class_names->len; c++)
    {
      const char *class_name = set->class_names->pdata[c];
      g_autofree char *class_dir = dm_training_class_checkpoint_dir (ckpt_dir, class_name);
      g_autofree char *path = g_build_filename (class_dir, DM_CHECKPOINT_FILE, NULL);

      g_unlink (path);
      g_rmdir (class_dir);
      g_hash_table_add (keep, dm_model_set_file_name (class_name));
    }
  dir = g_dir_open (models, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, DM_MODEL_FILE_SUFFIX) && !g_hash_table_contains (keep, name))
      {
        g_autofree char *path = g_build_filename (models, name, NULL);
        g_unlink (path);
      }
}

/* The identity of a folder of models: SHA-256 over the names and
 * checksums of its model files, in name order. */
static char *
models_sha256 (const char *folder, GError **error)
{
  g_autoptr (DmModelSet) set = dm_model_set_open (folder, error);
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  if (set == NULL)
    return NULL;
  for (guint i = 0; i < set->entries->len; i++)
    {
      const DmModelSetEntry *e = set->entries->pdata[i];
      g_autofree char *base = g_path_get_basename (e->path);
      g_autofree char *sha = dm_file_sha256 (e->path, error);

      if (sha == NULL)
        return NULL;
      g_checksum_update (sum, (const guchar *)base, -1);
      g_checksum_update (sum, (const guchar *)sha, -1);
    }
  return g_strdup (g_checksum_get_string (sum));
}

/* Steps 1-3: the model file; *ds receives the dataset for scoring. */
static gboolean
train (Run *run, DmDataset **ds_out, char **sha_out, GCancellable *cancellable, GError **error)
{
  DmProjectTrain *job = run->job;
  g_autoptr (DmProject) project = NULL;
  g_autoptr (DmDataset) ds = NULL;
  g_autoptr (GPtrArray) class_errors = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (DmVitWeights) backbone = NULL;
  g_autofree char *name = NULL, *sha = NULL, *model_path = NULL, *model_rel = NULL;
  g_autofree char *ckpt = checkpoint_path (job->folder);
  DmTrainingSet set = { 0 };
  DmTrainingOutcome outcome;
  DmTrainingRequest request = { 0 };
  const DmTrainingCallbacks callbacks
    = { on_train_progress, on_note, NULL, on_saving, run, on_class_started };
  gboolean per_class = job->settings.per_class;
  gboolean ok = FALSE;

  report (run, DM_PROJECT_TRAIN_LOADING);
  project = dm_project_open (job->folder, error);
  if (project == NULL)
    return FALSE;
  ds = dm_project_load_dataset (project, DM_DATASET_CHECK_MASK_SIZES, class_errors, error);
  if (ds == NULL)
    return FALSE;
  g_ptr_array_extend_and_steal (job->problems, g_steal_pointer (&class_errors));
  dm_training_outcome_init (&outcome);
  if (!dm_training_set_from_dataset (ds, NULL, NULL, &set, error))
    goto out;
  if (set.paths->len == 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: no normal training images in any class: add a class with images of good "
                   "parts first",
                   job->folder);
      goto out;
    }

  backbone = dm_training_backbone_load (job->backbone_kind, job->backbone_path, job->backbone_arch,
                                        &name, &sha, error);
  if (backbone == NULL)
    goto out;
  job->settings.checkpoint_every = checkpoint_interval (&job->settings, backbone->config.dim);
  /* every run is a new version: models/vN/model.dinomaly (or models/vN/classes/
   * with one model per class), never overwritten */
  model_rel = dm_project_version_model_rel (job->version_id, per_class);
  model_path = g_build_filename (job->folder, model_rel, NULL);
  if (!dm_file_make_parent (model_path, error))
    goto out;
  request.set = &set;
  request.backbone = backbone;
  request.backbone_name = name;
  request.backbone_sha256 = sha;
  request.settings = &job->settings;
  request.resume = job->resume;
  request.model_path = model_path;
  ok = dm_training_run (&request, &callbacks, cancellable, &outcome, error);
  g_array_append_vals (job->losses, outcome.losses->data, outcome.losses->len);
  job->first_iter = outcome.first_iter;
  if (!ok)
    goto out;
  job->has_model = TRUE;
  /* the finished run's checkpoints have nothing left to give (the model
   * files hold their weights) and take hundreds of MB each */
  g_unlink (ckpt);
  if (per_class)
    tidy_per_class (job->folder, model_path, &set);
  *sha_out = per_class ? models_sha256 (model_path, error) : dm_file_sha256 (model_path, error);
  ok = *sha_out != NULL;
  if (ok)
    {
      job->version
        = dm_project_version_begin (project, job->version_id, model_rel, *sha_out, name, sha,
                                    (const char *const *)set.paths->pdata, set.paths->len);
      *ds_out = g_steal_pointer (&ds);
      run->project = g_steal_pointer (&project);
    }
out:
  dm_training_set_clear (&set);
  dm_training_outcome_clear (&outcome);
  return ok;
}

static void
on_cancelled (GCancellable *cancellable, gpointer flag)
{
  g_atomic_int_set ((gint *)flag, 1);
}

/* The model of each class while scoring: the unified one, loaded once, or
 * the class's own from the model set. */
typedef struct
{
  DmEngine *engine;
  DmModelSet *set;
  const char *loaded; /* the file of model, or NULL */
  DmDinomalyModel *model;
  DmInference *inference;
} ClassModels;

static void
class_models_clear (ClassModels *m)
{
  g_clear_pointer (&m->inference, dm_inference_free);
  g_clear_pointer (&m->model, dm_dinomaly_model_free);
  g_clear_pointer (&m->set, dm_model_set_free);
  m->loaded = NULL;
}

static gboolean
class_model (const char *class_name,
             DmInference **inference,
             const DmDinomalyModel **model,
             gpointer user_data,
             GError **error)
{
  ClassModels *m = user_data;
  const char *path = dm_model_set_find (m->set, class_name);

  *inference = NULL;
  *model = NULL;
  if (path == NULL)
    return TRUE;
  if (g_strcmp0 (path, m->loaded) != 0)
    {
      g_clear_pointer (&m->inference, dm_inference_free);
      g_clear_pointer (&m->model, dm_dinomaly_model_free);
      m->loaded = NULL;
      m->model = dm_dinomaly_model_load (path, NULL, NULL, error);
      if (m->model == NULL)
        return FALSE;
      m->inference = dm_inference_new (m->engine, m->model, DM_EVAL_BATCH, error);
      if (m->inference == NULL)
        return FALSE;
      m->loaded = path;
    }
  *inference = m->inference;
  *model = m->model;
  return TRUE;
}

/* Step 4. */
static gboolean
score (Run *run, DmDataset *ds, const char *model_sha, GCancellable *cancellable, GError **error)
{
  DmProjectTrain *job = run->job;
  g_autofree char *model_path = g_build_filename (job->folder, job->version->model, NULL);
  g_autofree char *results_dir = dm_project_version_results_folder (run->project, job->version);
  g_autoptr (DmEngine) engine = NULL;
  ClassModels classes = { 0 };
  gint cancel = 0;
  gulong handler;
  guint n = 0;

  for (guint c = 0; c < ds->n_classes; c++)
    n += ds->classes[c].n_test_good + ds->classes[c].n_test_defect + ds->classes[c].n_holdout;
  if (n == 0)
    return TRUE;
  on_score_progress (0, n, run);
  engine = dm_engine_new (job->n_threads, error);
  if (engine == NULL)
    return FALSE;
  classes.engine = engine;
  classes.set = dm_model_set_open (model_path, error);
  if (classes.set == NULL)
    return FALSE;
  handler = cancellable != NULL
              ? g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), &cancel, NULL)
              : 0;
  job->results
    = dm_project_score_with (class_model, &classes, ds, results_dir, model_sha, job->quantile,
                             DM_EVAL_BATCH, on_score_progress, run, &cancel, job->problems, error);
  class_models_clear (&classes);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, handler);
  return job->results != NULL;
}

gboolean
dm_project_train_run (DmProjectTrain *job,
                      DmProjectTrainProgressFunc progress,
                      gpointer user_data,
                      GCancellable *cancellable,
                      GError **error)
{
  Run run = { job, progress, user_data, 0, 0, NULL, NULL };
  g_autoptr (DmDataset) ds = NULL;
  g_autofree char *sha = NULL;
  gboolean ok;

  ok = train (&run, &ds, &sha, cancellable, error);
  /* scoring is one phase for every class */
  run.n_classes = 0;
  ok = ok && score (&run, ds, sha, cancellable, error);
  g_free (run.class_name);
  /* the version's thresholds and metrics from its scored images */
  if (ok && job->results != NULL)
    ok = dm_project_version_finish (job->version, run.project, job->results, error);
  dm_project_free (run.project);
  return ok;
}

DmProjectResults *
dm_project_train_get_results (DmProjectTrain *job)
{
  return job->results;
}

GPtrArray *
dm_project_train_get_problems (DmProjectTrain *job)
{
  return job->problems;
}

const float *
dm_project_train_get_losses (DmProjectTrain *job, gsize *n, gint64 *first_iter)
{
  if (n != NULL)
    *n = job->losses->len;
  if (first_iter != NULL)
    *first_iter = job->first_iter;
  return (const float *)(void *)job->losses->data;
}

gboolean
dm_project_train_has_model (DmProjectTrain *job)
{
  return job->has_model;
}

guint
dm_project_train_get_version_id (DmProjectTrain *job)
{
  return job->version_id;
}

gboolean
dm_project_train_memory (const DmProject *project, DmTrainMemory *memory, GError **error)
{
  g_autoptr (DmDataset) ds = NULL;
  DmTrainingSet set = { 0 };
  DmTrainSettings s;
  DmVitConfig config;
  gboolean ok;

  if (project->backbone_kind == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: no backbone chosen", project->folder);
      return FALSE;
    }
  if (!dm_project_train_settings (project, &s, error)
      || !dm_training_backbone_config (
        project->backbone_kind, project->backbone_path,
        project->backbone_arch != NULL ? project->backbone_arch : "small", &config, error))
    {
      dm_train_settings_clear (&s);
      return FALSE;
    }
  ds = dm_project_load_dataset (project, DM_DATASET_CHECK_NONE, NULL, error);
  ok = ds != NULL && dm_training_set_from_dataset (ds, NULL, NULL, &set, error);
  if (ok)
    dm_training_estimate_memory (&set, &config, &s, memory);
  dm_training_set_clear (&set);
  dm_train_settings_clear (&s);
  return ok;
}

gboolean
dm_project_train_apply (DmProjectTrain *job, DmProject *project, GError **error)
{
  if (!job->has_model || job->version == NULL)
    return TRUE;
  /* the first version becomes the active model; a later one waits to be
   * compared and promoted */
  dm_project_add_version (project, g_steal_pointer (&job->version));
  return dm_project_save (project, error);
}
