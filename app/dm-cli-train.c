/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly train`: trains one unified model over the normal images of a
 * dataset folder and writes a model file (backbone embedded, training
 * record in the metadata). Every setting is a flag; Ctrl-C writes a
 * checkpoint and stops, --resume continues from it. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dm-checkpoint.h"
#include "dm-calibrate.h"
#include "dm-cli.h"
#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-model-file.h"
#include "dm-preprocess.h"
#include "dm-project-train.h"
#include "dm-safetensors.h"
#include "dm-dataset.h"
#include "dm-train-model.h"
#include "dm-trainer.h"

static volatile sig_atomic_t interrupted = 0;

static void
on_sigint (int sig)
{
  (void)sig;
  interrupted = 1;
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

/* The dataset at dir (MVTec AD, VisA, or a plain folder of normal images:
 * one class named after it). */
static DmDataset *
load_dataset (const char *dir, gboolean *plain, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (DmDataset) ds = dm_dataset_load (dir, DM_DATASET_CHECK_NONE, &local);
  g_autofree char *name = NULL;
  DmFolderClass spec = { 0 };

  *plain = FALSE;
  if (ds != NULL)
    return g_steal_pointer (&ds);
  if (!g_error_matches (local, DM_ERROR, DM_ERROR_UNSUPPORTED)
      || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  name = g_path_get_basename (dir);
  spec.name = name;
  spec.normal_dir = dir;
  ds = dm_dataset_new ();
  *plain = TRUE;
  if (!dm_dataset_add_folders (ds, &spec, DM_DATASET_CHECK_NONE, error))
    return NULL;
  return g_steal_pointer (&ds);
}

/* The normal training images of the classes asked for (all when only is
 * NULL), in dataset order, and the names of those classes. */
static gboolean
training_images (const DmDataset *ds,
                 const char *dir,
                 const char *const *only,
                 GPtrArray *paths,
                 GPtrArray *classes,
                 GError **error)
{
  for (guint k = 0; only != NULL && only[k] != NULL; k++)
    if (dm_dataset_find_class (ds, only[k]) < 0)
      {
        g_autofree char *display = g_filename_display_name (dir);

        g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: no class '%s'", display, only[k]);
        return FALSE;
      }
  for (guint c = 0; c < ds->n_classes; c++)
    {
      guint first, n;

      if (only != NULL && !g_strv_contains (only, ds->classes[c].name))
        continue;
      g_ptr_array_add (classes, g_strdup (ds->classes[c].name));
      dm_dataset_class_range (ds, c, DM_SPLIT_TRAIN, &first, &n);
      for (guint i = first; i < first + n; i++)
        g_ptr_array_add (paths, g_strdup (ds->samples[i].path));
    }
  g_ptr_array_add (classes, NULL);
  return TRUE;
}

typedef struct
{
  GCancellable *cancel;
  FILE *log;
  gboolean tty;
  gint64 last_print; /* monotonic µs */
  gboolean caching_done;
} Reporter;

static void
format_eta (char *buf, gsize size, double s)
{
  gint64 t = (gint64)(s + 0.5);

  if (t >= 3600)
    g_snprintf (buf, size, "%" G_GINT64_FORMAT ":%02d:%02d", t / 3600, (int)(t / 60 % 60),
                (int)(t % 60));
  else
    g_snprintf (buf, size, "%d:%02d", (int)(t / 60), (int)(t % 60));
}

static void
on_progress (const DmTrainProgress *p, gpointer user_data)
{
  Reporter *r = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean last;
  char eta[32];

  if (interrupted)
    g_cancellable_cancel (r->cancel);
  format_eta (eta, sizeof eta, p->eta_s);
  if (p->phase == DM_TRAIN_PHASE_CACHING)
    {
      for (int i = 0; i < p->n_new_skipped; i++)
        {
          if (p->n_skipped - p->n_new_skipped + i == 0)
            fprintf (stderr, "%sdinomaly train: skipping images that cannot be read:\n",
                     r->tty ? "\n" : "");
          fprintf (stderr, "  %s\n", p->skipped[i]);
        }
      last = p->images_done == p->n_images;
      if (r->tty)
        fprintf (stderr, "\rencoder features: %d/%d images, %.2f images/s, ETA %s   ",
                 p->images_done, p->n_images, p->images_per_s, eta);
      else if (last || now - r->last_print > 10 * G_USEC_PER_SEC)
        fprintf (stderr, "encoder features: %d/%d images, %.2f images/s, ETA %s\n", p->images_done,
                 p->n_images, p->images_per_s, eta);
      else
        return;
      if (last && r->tty)
        fputc ('\n', stderr);
      r->last_print = now;
      return;
    }
  if (r->log != NULL)
    fprintf (r->log, "%" G_GINT64_FORMAT ",%.9g,%.9g,%.9g\n", p->iteration, p->lr, p->loss,
             p->grad_norm);
  last = p->iteration + 1 == p->end_iter;
  if (!last && now - r->last_print < (r->tty ? G_USEC_PER_SEC / 5 : 10 * G_USEC_PER_SEC)
      && p->iteration != p->start_iter)
    return;
  r->last_print = now;
  if (r->tty)
    {
      double done
        = (double)(p->iteration + 1 - p->start_iter) / (double)MAX (p->end_iter - p->start_iter, 1);
      char bar[31];
      int filled = (int)(done * 30);

      for (int i = 0; i < 30; i++)
        bar[i] = i < filled ? '#' : '-';
      bar[30] = '\0';
      fprintf (stderr,
               "\r[%s] %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
               " loss %.4f lr %.2e %.2f img/s ETA %s   ",
               bar, p->iteration + 1, p->end_iter, p->loss, p->lr, p->images_per_s, eta);
      if (last)
        fputc ('\n', stderr);
    }
  else
    fprintf (stderr,
             "iteration %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
             ": loss %.6f lr %.3e grad-norm %.4g, %.2f images/s, ETA %s\n",
             p->iteration + 1, p->end_iter, p->loss, p->lr, p->grad_norm, p->images_per_s, eta);
}

/* ---- --project: the window's training job, from the command line ---- */

typedef struct
{
  Reporter *reporter;
  gint64 last_print;
  DmProjectTrainPhase phase;
} ProjectReporter;

static void
on_project_progress (const DmProjectTrainProgress *p, gpointer user_data)
{
  ProjectReporter *pr = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean changed = p->phase != pr->phase;

  pr->phase = p->phase;
  if (p->train != NULL)
    {
      on_progress (p->train, pr->reporter);
      return;
    }
  if (interrupted)
    g_cancellable_cancel (pr->reporter->cancel);
  if (p->phase == DM_PROJECT_TRAIN_LOADING && changed)
    fprintf (stderr, "dinomaly train: reading the project's images and backbone\n");
  else if (p->phase == DM_PROJECT_TRAIN_SAVING && changed)
    fprintf (stderr, "dinomaly train: saving the model\n");
  else if (p->phase == DM_PROJECT_TRAIN_SCORING
           && (changed || p->scored == p->n_to_score || now - pr->last_print > 10 * G_USEC_PER_SEC))
    {
      fprintf (stderr, "scoring the test and held-out images: %u/%u\n", p->scored, p->n_to_score);
      pr->last_print = now;
    }
}

/* Trains, saves and scores a project exactly as the window's Train page
 * does; Ctrl-C keeps a checkpoint, --resume continues it. */
static int
train_project (const char *folder, gboolean resume, int threads)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmProject) project = dm_project_open (folder, &error);
  g_autoptr (DmProjectTrain) job = NULL;
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  Reporter reporter = { 0 };
  ProjectReporter pr = { &reporter, 0, -1 };
  struct sigaction sa = { 0 }, old_sa;
  DmProjectResults *results;
  gboolean ok;

  if (project == NULL)
    goto failed;
  if (resume && !dm_project_train_can_resume (project, NULL, NULL))
    {
      g_printerr ("dinomaly train: %s: no interrupted run to resume\n", folder);
      return DM_CLI_FAILED;
    }
  job = dm_project_train_new (project, resume, threads, &error);
  if (job == NULL)
    goto failed;
  reporter.cancel = cancel;
  reporter.tty = isatty (STDERR_FILENO);
  sa.sa_handler = on_sigint;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, &old_sa);
  ok = dm_project_train_run (job, on_project_progress, &pr, cancel, &error);
  sigaction (SIGINT, &old_sa, NULL);
  for (guint i = 0; i < dm_project_train_get_problems (job)->len; i++)
    g_printerr ("dinomaly train: note: %s\n",
                (char *)dm_project_train_get_problems (job)->pdata[i]);
  /* a model saved before a stop while scoring still belongs to the project */
  if (dm_project_train_has_model (job) && !dm_project_train_apply (job, project, &error))
    goto failed;
  if (!ok)
    goto failed;
  results = dm_project_train_get_results (job);
  printf ("%s: model trained and saved in the project", project->name);
  if (results != NULL)
    {
      guint n = 0;

      for (guint c = 0; c < results->n_classes; c++)
        n += results->classes[c].n_images;
      printf ("; %u test and held-out images of %u classes scored", n, results->n_classes);
    }
  printf ("\n");
  return DM_CLI_OK;

failed:
  dm_cli_print_error ("train", error);
  return DM_CLI_FAILED;
}

int
dm_cli_train (int argc, char **argv)
{
  g_auto (GStrv) calibrate = NULL;
  double quantile = DM_CALIBRATE_DEFAULT_QUANTILE;
  g_autofree char *data = NULL, *classes = NULL, *backbone_path = NULL, *preset_name = NULL;
  g_autofree char *out_path = NULL, *init_path = NULL, *log_path = NULL, *ckpt_dir = NULL;
  g_autofree char *cache_dir = NULL, *project_dir = NULL;
  gint64 iters = -1, start_iter = -1, total_iters = -1, checkpoint_every = -1;
  double dropout = -1, lr = -1, lr_final = -1, hm_p = -1, hm_factor = -1, clip = -1;
  double beta1 = -1, beta2 = -1, wd = -1, eps = -1;
  int warmup = -1, hm_ramp = -1, batch = -1, resize = -1, crop = -1, threads = 0;
  gint64 seed = -1;
  gboolean no_shuffle = FALSE, resume = FALSE, cache_bf16 = FALSE;
  const GOptionEntry entries[] = {
    { "project", 'p', 0, G_OPTION_ARG_FILENAME, &project_dir,
      "train a Dinomaly Studio project as its Train page does (its classes, backbone and "
      "settings; the model and the scored images are saved in the project)",
      "FOLDER" },
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &data,
      "dataset folder: MVTec layout (CLASS/train/good/*) or a folder of normal images", "DIR" },
    { "classes", 0, 0, G_OPTION_ARG_STRING, &classes, "only these classes (MVTec layout)", "A,B" },
    { "backbone", 0, 0, G_OPTION_ARG_FILENAME, &backbone_path,
      "DINOv2-with-registers encoder (original, HuggingFace or timm names)", "W.safetensors" },
    { "preset", 0, 0, G_OPTION_ARG_STRING, &preset_name,
      "quick (ViT-S, 224, 1000 it, batch 8), balanced (280, 3000, 8) or paper (392, 10000, 16; "
      "the default)",
      "NAME" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_path, "the model file to write", "M.dinomaly" },
    { "init", 0, 0, G_OPTION_ARG_FILENAME, &init_path,
      "start from these bottleneck/decoder weights (official names) instead of the random init",
      "STATE.safetensors" },
    { "iters", 0, 0, G_OPTION_ARG_INT64, &iters, "run only N iterations (default: up to the total)",
      "N" },
    { "start-iter", 0, 0, G_OPTION_ARG_INT64, &start_iter,
      "first iteration (schedule and hard mining continue from there; fresh optimizer)", "K" },
    { "total-iters", 0, 0, G_OPTION_ARG_INT64, &total_iters,
      "iterations of the schedule (the preset's by default)", "T" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "images per iteration", "B" },
    { "resize", 0, 0, G_OPTION_ARG_INT, &resize, "resize side", "R" },
    { "crop", 0, 0, G_OPTION_ARG_INT, &crop, "center crop side, a multiple of 14", "C" },
    { "dropout", 0, 0, G_OPTION_ARG_DOUBLE, &dropout, "bottleneck dropout (0.2)", "P" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "seed of the init, the order and the dropout (1)",
      "S" },
    { "no-shuffle", 0, 0, G_OPTION_ARG_NONE, &no_shuffle, "take the images in file order", NULL },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "peak learning rate (2e-3)", "LR" },
    { "lr-final", 0, 0, G_OPTION_ARG_DOUBLE, &lr_final, "final learning rate (2e-4)", "LR" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, "warm-up iterations (100)", "N" },
    { "hm-p", 0, 0, G_OPTION_ARG_DOUBLE, &hm_p, "final share of easy points (0.9)", "P" },
    { "hm-ramp", 0, 0, G_OPTION_ARG_INT, &hm_ramp, "iterations to reach it (1000)", "N" },
    { "hm-factor", 0, 0, G_OPTION_ARG_DOUBLE, &hm_factor, "gradient factor of easy points (0.1)",
      "F" },
    { "clip", 0, 0, G_OPTION_ARG_DOUBLE, &clip, "global gradient-norm clip (0.1)", "N" },
    { "beta1", 0, 0, G_OPTION_ARG_DOUBLE, &beta1, "Adam beta 1 (0.9)", "B" },
    { "beta2", 0, 0, G_OPTION_ARG_DOUBLE, &beta2, "Adam beta 2 (0.999)", "B" },
    { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &wd, "weight decay (1e-4)", "WD" },
    { "eps", 0, 0, G_OPTION_ARG_DOUBLE, &eps, "Adam epsilon (1e-10)", "E" },
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &log_path,
      "write iteration,lr,loss,grad_norm (norm before clipping) per iteration", "FILE.csv" },
    { "checkpoint-dir", 0, 0, G_OPTION_ARG_FILENAME, &ckpt_dir,
      "write checkpoints there (every --checkpoint-every iterations, at the end, on Ctrl-C)",
      "DIR" },
    { "checkpoint-every", 0, 0, G_OPTION_ARG_INT64, &checkpoint_every,
      "iterations between checkpoints (500)", "N" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &resume,
      "continue from the checkpoint in --checkpoint-dir (its settings are used)", NULL },
    { "cache-bf16", 0, 0, G_OPTION_ARG_NONE, &cache_bf16,
      "keep the encoder features as bfloat16 (half the memory; the maths stays float32)", NULL },
    { "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &cache_dir,
      "put a feature cache too large for memory in a file there", "DIR" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "threads (all cores)", "N" },
    { "calibrate", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &calibrate,
      "then store thresholds from a folder of good parts, as dinomaly calibrate does (CLASS= "
      "in front when the model has several classes; several allowed)",
      "[CLASS=]DIR" },
    { "quantile", 0, 0, G_OPTION_ARG_DOUBLE, &quantile,
      "with --calibrate: the share of good parts that pass (0.99)", "Q" },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (DmVitWeights) backbone = NULL;
  g_autoptr (DmDataset) dataset = NULL;
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) class_names = g_ptr_array_new_with_free_func (g_free);
  gboolean plain = FALSE;
  g_autoptr (DmModelInfo) info = NULL;
  g_autoptr (DmEngine) engine = NULL;
  g_autoptr (DmTrainer) trainer = NULL;
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_autofree char *fingerprint = NULL, *sha = NULL, *ckpt_path = NULL, *backbone_name = NULL;
  g_auto (GStrv) class_list = NULL;
  DmTrainSettings s;
  DmTrainPreset preset = DM_TRAIN_PRESET_PAPER;
  DmVitTargets targets;
  Loader loader;
  Reporter reporter = { 0 };
  struct sigaction sa = { 0 }, old_sa;
  int status = DM_CLI_FAILED, n;
  gboolean ok;

  if (!dm_cli_parse ("train", "",
                     "Trains one Dinomaly model over every class of a dataset and writes a model "
                     "file (.dinomaly), or trains a Dinomaly Studio project (--project).",
                     entries, &argc, &argv))
    return DM_CLI_USAGE;
  if (argc > 1)
    return dm_cli_usage_error ("train", "unexpected argument (options only)");
  if (project_dir != NULL)
    {
      if (data != NULL || backbone_path != NULL || out_path != NULL || preset_name != NULL
          || ckpt_dir != NULL || init_path != NULL || log_path != NULL || calibrate != NULL)
        return dm_cli_usage_error (
          "train", "--project takes the data, backbone, settings and places from the "
                   "project: only --resume and --threads apply");
      return train_project (project_dir, resume, threads);
    }
  if (data == NULL || backbone_path == NULL || out_path == NULL)
    return dm_cli_usage_error ("train", "--data, --backbone and --out are required (or --project)");
  if (!(quantile > 0 && quantile <= 1))
    return dm_cli_usage_error ("train", "--quantile: give a number in (0, 1]");
  if (preset_name != NULL && !dm_train_preset_from_name (preset_name, &preset))
    return dm_cli_usage_error ("train", "--preset: quick, balanced or paper");
  if (resume && ckpt_dir == NULL)
    return dm_cli_usage_error ("train", "--resume needs --checkpoint-dir");
  if (resume && (init_path != NULL || start_iter >= 0))
    return dm_cli_usage_error ("train",
                               "--resume continues a run: --init and --start-iter do not apply");

  dm_train_settings_init (&s);
  dm_train_settings_apply_preset (&s, preset);
  s.checkpoint_every = 500;
#define SET_IF(flag, field)                                                                        \
  if ((flag) >= 0)                                                                                 \
  (field) = (flag)
  SET_IF (total_iters, s.total_iters);
  SET_IF (start_iter, s.start_iter);
  SET_IF (iters, s.iters);
  SET_IF (batch, s.batch);
  SET_IF (resize, s.resize);
  SET_IF (crop, s.crop);
  SET_IF (dropout, s.dropout);
  SET_IF (seed, s.seed);
  SET_IF (lr, s.opt.lr);
  SET_IF (lr_final, s.opt.lr_final);
  SET_IF (warmup, s.opt.warmup_iters);
  SET_IF (hm_p, s.loss.p_final);
  SET_IF (hm_ramp, s.loss.ramp_iters);
  SET_IF (hm_factor, s.loss.factor);
  SET_IF (clip, s.opt.clip_norm);
  SET_IF (beta1, s.opt.beta1);
  SET_IF (beta2, s.opt.beta2);
  SET_IF (wd, s.opt.weight_decay);
  SET_IF (eps, s.opt.eps);
  SET_IF (checkpoint_every, s.checkpoint_every);
#undef SET_IF
  if (resize < 0 && crop > 0 && crop > s.resize)
    s.resize = crop;
  s.opt.total_iters = s.total_iters;
  s.shuffle = !no_shuffle;
  s.cache_bf16 = cache_bf16;
  s.checkpoint_dir = g_strdup (ckpt_dir);
  s.cache_dir = g_strdup (cache_dir);
  s.n_threads = threads;
  if (resume)
    {
      /* the image sizes and the batch come from the checkpoint */
      DmCheckpointState st;

      ckpt_path = g_build_filename (ckpt_dir, DM_CHECKPOINT_FILE, NULL);
      dm_checkpoint_state_init (&st);
      ok = dm_checkpoint_read_state (ckpt_path, &st, &error);
      if (ok)
        {
          s.resize = st.settings.resize;
          s.crop = st.settings.crop;
          s.batch = st.settings.batch;
          s.total_iters = st.settings.total_iters;
          s.opt.total_iters = s.total_iters;
          s.start_iter = MIN (st.next_iter, s.total_iters - 1);
        }
      dm_checkpoint_state_clear (&st);
      if (!ok)
        goto failed;
    }
  if (!dm_train_settings_validate (&s, &error))
    goto failed;

  /* the images */
  if (classes != NULL)
    class_list = g_strsplit (classes, ",", -1);
  dataset = load_dataset (data, &plain, &error);
  if (dataset == NULL
      || !training_images (dataset, data, (const char *const *)class_list, paths, class_names,
                           &error))
    goto failed;
  n = (int)paths->len;
  if (n == 0)
    {
      g_printerr ("dinomaly train: %s: no training images (expected CLASS/train/good/*.png|jpg|tif "
                  "or image files in the folder itself)\n",
                  data);
      goto out;
    }
  fingerprint = dm_train_fingerprint ((const char *const *)paths->pdata, paths->len, data);
  fprintf (stderr, "dinomaly train: %d images of %d class%s (%s), crop %d\n", n,
           class_names->len - 1, class_names->len == 2 ? "" : "es",
           plain ? "plain folder" : "MVTec layout", s.crop);

  /* the backbone and the model's description */
  backbone = dm_vit_weights_load (backbone_path, -1, &error);
  if (backbone == NULL)
    goto failed;
  if (preset_name != NULL && !resume)
    {
      const char *arch = dm_train_preset_arch (preset);
      int want = strcmp (arch, "small") == 0 ? 384 : 768;
      if (backbone->config.dim != want && preset != DM_TRAIN_PRESET_BALANCED)
        g_printerr ("dinomaly train: note: the %s preset is meant for ViT-%s (D %d); this "
                    "backbone is D %d\n",
                    preset_name, strcmp (arch, "small") == 0 ? "S" : "B", want,
                    backbone->config.dim);
    }
  info = dm_train_model_info_new (backbone, &targets, &error);
  if (info == NULL)
    goto failed;

  engine = dm_engine_new (threads, &error);
  if (engine == NULL)
    goto failed;
  trainer = dm_trainer_new (engine, &s, backbone, &targets, &error);
  if (trainer == NULL)
    goto failed;
  if (init_path != NULL)
    {
      g_autoptr (DmSafetensors) st = dm_safetensors_open (init_path, &error);
      g_autoptr (DmDinomalyWeights) init = NULL;

      if (st == NULL)
        goto failed;
      init = dm_dinomaly_weights_load (st, backbone->config.dim, &error);
      if (init == NULL || !dm_trainer_set_init (trainer, init, &error))
        goto failed;
    }
  loader = (Loader){ paths, s.resize, s.crop };
  dm_trainer_set_images (trainer, n, load_image, &loader, fingerprint);
  if (resume && !dm_trainer_resume (trainer, ckpt_path, fingerprint, &error))
    goto failed;

  if (log_path != NULL)
    {
      gboolean append = resume && g_file_test (log_path, G_FILE_TEST_EXISTS);

      reporter.log = fopen (log_path, append ? "a" : "w");
      if (reporter.log == NULL)
        {
          g_printerr ("dinomaly train: %s: %s\n", log_path, g_strerror (errno));
          goto out;
        }
      if (!append)
        fprintf (reporter.log, "iteration,lr,loss,grad_norm\n");
    }
  reporter.cancel = cancel;
  reporter.tty = isatty (STDERR_FILENO);
  sa.sa_handler = on_sigint;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, &old_sa);
  ok = dm_trainer_build_cache (trainer, on_progress, &reporter, cancel, &error);
  if (ok)
    {
      /* what could be read decides the batch */
      int valid = dm_trainer_get_n_valid (trainer);
      g_autofree char *note = NULL;

      if (valid < n)
        g_printerr ("dinomaly train: %d image%s skipped\n", n - valid, n - valid == 1 ? "" : "s");
      if (valid == 1)
        g_printerr ("dinomaly train: warning: only one training image: the model will know "
                    "little of what is normal\n");
      ok = dm_train_fit_batch (trainer, resume, &note, &error);
      if (note != NULL)
        g_printerr ("dinomaly train: %s\n", note);
      if (ok)
        fprintf (stderr, "dinomaly train: training on %d images, batch %d\n", valid,
                 dm_trainer_get_settings (trainer)->batch);
    }
  if (ok)
    ok = dm_trainer_run (trainer, on_progress, &reporter, cancel, &error);
  sigaction (SIGINT, &old_sa, NULL);
  if (reporter.tty)
    fputc ('\n', stderr);
  if (reporter.log != NULL && fclose (reporter.log) != 0)
    g_printerr ("dinomaly train: %s: %s\n", log_path, g_strerror (errno));
  if (!ok)
    goto failed;

  /* the model file */
  sha = dm_file_sha256 (backbone_path, &error);
  if (sha == NULL)
    goto failed;
  backbone_name = g_path_get_basename (backbone_path);
  if (!dm_train_write_model (trainer, info, backbone, backbone_name, sha,
                             (const char *const *)class_names->pdata, out_path, &error))
    goto failed;
  {
    gint64 first;
    dm_trainer_get_losses (trainer, NULL, &first);
    printf ("%s: trained %" G_GINT64_FORMAT " iterations (%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
            ") in %.1f s (+ %.1f s of encoder features), final loss %.6f\n",
            out_path, dm_trainer_get_next_iter (trainer) - first, first,
            dm_trainer_get_next_iter (trainer) - 1, dm_trainer_get_train_seconds (trainer),
            dm_trainer_get_cache_seconds (trainer), info->training.final_loss);
  }
  if (!dm_cli_calibrate_model ("train", out_path, backbone_path, calibrate, quantile, threads))
    goto out;
  status = DM_CLI_OK;
  goto out;

failed:
  dm_cli_print_error ("train", error);
out:
  dm_train_settings_clear (&s);
  return status;
}
