/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly train`: trains one unified model over the normal images of a
 * dataset folder and writes a model file (backbone embedded, training
 * record in the metadata), or one model per class into a folder
 * (--per-class). It says first how much memory the run needs. Every
 * setting is a flag; Ctrl-C writes a checkpoint and stops, --resume
 * continues from it. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dm-backbone-check.h"
#include "dm-checkpoint.h"
#include "dm-calibrate.h"
#include "dm-cli.h"
#include "dm-dataset.h"
#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-project-train.h"
#include "dm-training.h"
#include "dm-vit-random.h"

#define LOG_HEADER "iteration,lr,loss,grad_norm\n"

static volatile sig_atomic_t interrupted = 0;

static void
on_sigint (int sig)
{
  (void)sig;
  interrupted = 1;
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
    {
      /* a row per iteration, flushed: a crash loses no finished row */
      fprintf (r->log, "%" G_GINT64_FORMAT ",%.9g,%.9g,%.9g\n", p->iteration, p->lr, p->loss,
               p->grad_norm);
      fflush (r->log);
    }
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

/* The log of a resumed run, cut back to the iterations before the
 * checkpoint: a run killed (kill -9, power) after its checkpoint left the
 * iterations it ran since, and maybe half a line, which the resumed run
 * writes again. Only complete rows (four fields and a newline) of
 * iterations before next_iter are kept, rewritten atomically. */
static gboolean
trim_log (const char *path, gint64 next_iter, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (GString) kept = g_string_new (LOG_HEADER);
  gsize length = 0;
  const char *line, *end;

  if (!dm_file_read_regular (path, G_MAXSIZE / 2, &text, &length, error))
    return FALSE;
  for (line = text; (end = memchr (line, '\n', length - (gsize)(line - text))) != NULL;
       line = end + 1)
    {
      g_autofree char *row = g_strndup (line, (gsize)(end - line));
      g_auto (GStrv) fields = g_strsplit (row, ",", -1);
      char *rest = NULL;
      gint64 iteration;

      if (g_strv_length (fields) != 4)
        continue; /* the header, or a row glued to a half-written one */
      iteration = g_ascii_strtoll (fields[0], &rest, 10);
      if (rest == fields[0] || *rest != '\0' || iteration < 0 || iteration >= next_iter)
        continue;
      g_string_append_len (kept, line, end - line + 1);
    }
  return dm_file_set_contents_atomic (path, kept->str, kept->len, error);
}

static void
on_note (const char *text, gpointer user_data)
{
  g_printerr ("dinomaly train: %s\n", text);
}

/* What could be read decides the batch. */
static void
on_ready (int n_valid, int n_images, int batch, gpointer user_data)
{
  if (n_valid < n_images)
    g_printerr ("dinomaly train: %d image%s skipped\n", n_images - n_valid,
                n_images - n_valid == 1 ? "" : "s");
  if (n_valid == 1)
    g_printerr ("dinomaly train: warning: only one training image: the model will know "
                "little of what is normal\n");
  fprintf (stderr, "dinomaly train: training on %d images, batch %d\n", n_valid, batch);
}

/* What the run needs, before anything big is loaded; a warning when it is
 * more than the machine has (the run still goes: the estimate errs high). */
static void
print_memory (const DmTrainMemory *mem, const DmTrainSettings *s)
{
  const DmTrainMemory m = *mem;
  guint64 physical = dm_train_memory_physical ();
  g_autofree char *total = NULL, *enc = NULL, *cache = NULL, *dec = NULL, *acts = NULL;
  g_autofree char *have = NULL;

  total = dm_format_bytes (m.total);
  enc = dm_format_bytes (m.encoder);
  cache = dm_format_bytes (m.cache);
  dec = dm_format_bytes (m.decoder);
  acts = dm_format_bytes (m.activations);
  have = dm_format_bytes (physical);
  fprintf (stderr,
           "dinomaly train: memory needed%s: about %s (encoder %s, feature cache %s%s, decoder "
           "and optimiser %s, activations %s); this machine has %s\n",
           s->per_class ? " (the largest class)" : "", total, enc, cache,
           m.cache_in_file ? (s->cache_dir != NULL ? " in a file" : ", more than memory allows")
                           : "",
           dec, acts, physical > 0 ? have : "an unknown amount");
  if (dm_train_memory_exceeds (&m, physical))
    g_printerr ("dinomaly train: warning: the run needs more memory than this machine has: use "
                "a smaller backbone, crop or batch, --cache-bf16, or --cache-dir\n");
}

static void
on_class_started (guint index, guint n, const char *name, gpointer user_data)
{
  fprintf (stderr, "dinomaly train: class %u of %u: %s\n", index + 1, n, name);
}

/* ---- --project: the window's training job, from the command line ---- */

typedef struct
{
  Reporter *reporter;
  gint64 last_print;
  DmProjectTrainPhase phase;
  guint class_index; /* one model per class: the class reported last */
} ProjectReporter;

static void
on_project_progress (const DmProjectTrainProgress *p, gpointer user_data)
{
  ProjectReporter *pr = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean changed = p->phase != pr->phase;

  pr->phase = p->phase;
  if (p->n_classes > 0 && p->class_index != pr->class_index)
    {
      on_class_started (p->class_index, p->n_classes, p->class_name, NULL);
      pr->class_index = p->class_index;
    }
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
  ProjectReporter pr = { &reporter, 0, -1, G_MAXUINT };
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
  {
    DmTrainMemory memory;
    DmTrainSettings s;

    if (dm_project_train_settings (project, &s, NULL)
        && dm_project_train_memory (project, &memory, NULL))
      print_memory (&memory, &s);
    dm_train_settings_clear (&s);
  }
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
  {
    guint version = dm_project_train_get_version_id (job);

    /* a later version waits to be compared and promoted (the Models page) */
    if (project->active_version == version)
      printf ("%s: version %u is the active model\n", project->name, version);
    else
      printf ("%s: version %u saved beside the active version %u: compare and promote it on "
              "the Models page\n",
              project->name, version, project->active_version);
  }
  return DM_CLI_OK;

failed:
  dm_cli_print_error ("train", error);
  return DM_CLI_FAILED;
}

/* The options as typed; numbers keep DM_CLI_UNSET_* when not given. */
typedef struct
{
  char *data, *classes, *backbone_path, *preset_name, *out_path, *init_path, *log_path;
  char *ckpt_dir, *cache_dir, *project_dir;
  gint64 iters, start_iter, total_iters, checkpoint_every, seed;
  double dropout, lr, lr_final, hm_p, hm_factor, clip, beta1, beta2, wd, eps;
  int warmup, hm_ramp, batch, resize, crop, threads;
  gboolean no_shuffle, resume, cache_bf16, per_class;
  DmTrainPreset preset;
  char **calibrate; /* [CLASS=]DIR of good parts, to store thresholds from */
  double quantile;
} TrainOptions;

static void
train_options_clear (TrainOptions *o)
{
  g_free (o->data);
  g_free (o->classes);
  g_free (o->backbone_path);
  g_free (o->preset_name);
  g_free (o->out_path);
  g_free (o->init_path);
  g_free (o->log_path);
  g_free (o->ckpt_dir);
  g_free (o->cache_dir);
  g_free (o->project_dir);
  g_strfreev (o->calibrate);
}

/* Parses and checks every option as typed: -1 when they are usable, else
 * the exit status (a usage error was printed). */
static int
parse_options (int argc, char **argv, TrainOptions *o)
{
  const GOptionEntry entries[] = {
    { "project", 'p', 0, G_OPTION_ARG_FILENAME, &o->project_dir,
      "train a Dinomaly Studio project as its Train page does (its classes, backbone and "
      "settings; the model and the scored images are saved in the project)",
      "FOLDER" },
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &o->data,
      "dataset folder: MVTec layout (CLASS/train/good/*) or a folder of normal images", "DIR" },
    { "classes", 0, 0, G_OPTION_ARG_STRING, &o->classes, "only these classes (MVTec layout)",
      "A,B" },
    { "backbone", 0, 0, G_OPTION_ARG_FILENAME, &o->backbone_path,
      "DINOv2 encoder, with or without registers (original, HuggingFace or timm names)",
      "W.safetensors" },
    { "preset", 0, 0, G_OPTION_ARG_STRING, &o->preset_name,
      "quick (ViT-S, 224, 1000 it, batch 8), balanced (280, 3000, 8), paper (392, 10000, 16; "
      "the default), paper-long (20000), realiad (50000, dropout 0.4), realiad-long (100000), "
      "paper-large (ViT-L, 10000) or paper-per-class (one model per class, 5000 each)",
      "NAME" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &o->out_path,
      "the model file to write (with --per-class: the folder of CLASS.dinomaly files)",
      "M.dinomaly|DIR" },
    { "per-class", 0, 0, G_OPTION_ARG_NONE, &o->per_class,
      "one model per class (the paper's class-separated setting) instead of one unified model; "
      "checkpoints in a folder per class",
      NULL },
    { "init", 0, 0, G_OPTION_ARG_FILENAME, &o->init_path,
      "start from these bottleneck/decoder weights (official names) instead of the random init",
      "STATE.safetensors" },
    { "iters", 0, 0, G_OPTION_ARG_INT64, &o->iters,
      "run only N iterations (default: up to the total)", "N" },
    { "start-iter", 0, 0, G_OPTION_ARG_INT64, &o->start_iter,
      "first iteration (schedule and hard mining continue from there; fresh optimizer)", "K" },
    { "total-iters", 0, 0, G_OPTION_ARG_INT64, &o->total_iters,
      "iterations of the schedule (the preset's by default)", "T" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &o->batch, "images per iteration", "B" },
    { "resize", 0, 0, G_OPTION_ARG_INT, &o->resize, "resize side", "R" },
    { "crop", 0, 0, G_OPTION_ARG_INT, &o->crop, "center crop side, a multiple of 14", "C" },
    { "dropout", 0, 0, G_OPTION_ARG_DOUBLE, &o->dropout, "bottleneck dropout (0.2)", "P" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &o->seed, "seed of the init, the order and the dropout (1)",
      "S" },
    { "no-shuffle", 0, 0, G_OPTION_ARG_NONE, &o->no_shuffle, "take the images in file order",
      NULL },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &o->lr, "peak learning rate (2e-3)", "LR" },
    { "lr-final", 0, 0, G_OPTION_ARG_DOUBLE, &o->lr_final, "final learning rate (2e-4)", "LR" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &o->warmup, "warm-up iterations (100)", "N" },
    { "hm-p", 0, 0, G_OPTION_ARG_DOUBLE, &o->hm_p, "final share of easy points (0.9)", "P" },
    { "hm-ramp", 0, 0, G_OPTION_ARG_INT, &o->hm_ramp, "iterations to reach it (1000)", "N" },
    { "hm-factor", 0, 0, G_OPTION_ARG_DOUBLE, &o->hm_factor, "gradient factor of easy points (0.1)",
      "F" },
    { "clip", 0, 0, G_OPTION_ARG_DOUBLE, &o->clip, "global gradient-norm clip (0.1)", "N" },
    { "beta1", 0, 0, G_OPTION_ARG_DOUBLE, &o->beta1, "Adam beta 1 (0.9)", "B" },
    { "beta2", 0, 0, G_OPTION_ARG_DOUBLE, &o->beta2, "Adam beta 2 (0.999)", "B" },
    { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &o->wd, "weight decay (1e-4)", "WD" },
    { "eps", 0, 0, G_OPTION_ARG_DOUBLE, &o->eps, "Adam epsilon (1e-10)", "E" },
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &o->log_path,
      "write iteration,lr,loss,grad_norm (norm before clipping) per iteration", "FILE.csv" },
    { "checkpoint-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->ckpt_dir,
      "write checkpoints there (every --checkpoint-every iterations, at the end, on Ctrl-C)",
      "DIR" },
    { "checkpoint-every", 0, 0, G_OPTION_ARG_INT64, &o->checkpoint_every,
      "iterations between checkpoints (500)", "N" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &o->resume,
      "continue from the checkpoint in --checkpoint-dir (its settings are used)", NULL },
    { "cache-bf16", 0, 0, G_OPTION_ARG_NONE, &o->cache_bf16,
      "keep the encoder features as bfloat16 (half the memory; the maths stays float32)", NULL },
    { "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &o->cache_dir,
      "put a feature cache too large for memory in a file there", "DIR" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &o->threads, "threads (all cores)", "N" },
    { "calibrate", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->calibrate,
      "then store thresholds from a folder of good parts, as dinomaly calibrate does (CLASS= "
      "in front when the model has several classes; several allowed)",
      "[CLASS=]DIR" },
    { "quantile", 0, 0, G_OPTION_ARG_DOUBLE, &o->quantile,
      "with --calibrate: the share of good parts that pass (0.99)", "Q" },
    { NULL },
  };

  *o = (TrainOptions){
    .iters = DM_CLI_UNSET_INT64,
    .start_iter = DM_CLI_UNSET_INT64,
    .total_iters = DM_CLI_UNSET_INT64,
    .checkpoint_every = DM_CLI_UNSET_INT64,
    .seed = DM_CLI_UNSET_INT64,
    .dropout = DM_CLI_UNSET_DOUBLE,
    .lr = DM_CLI_UNSET_DOUBLE,
    .lr_final = DM_CLI_UNSET_DOUBLE,
    .hm_p = DM_CLI_UNSET_DOUBLE,
    .hm_factor = DM_CLI_UNSET_DOUBLE,
    .clip = DM_CLI_UNSET_DOUBLE,
    .beta1 = DM_CLI_UNSET_DOUBLE,
    .beta2 = DM_CLI_UNSET_DOUBLE,
    .wd = DM_CLI_UNSET_DOUBLE,
    .eps = DM_CLI_UNSET_DOUBLE,
    .warmup = DM_CLI_UNSET_INT,
    .hm_ramp = DM_CLI_UNSET_INT,
    .batch = DM_CLI_UNSET_INT,
    .resize = DM_CLI_UNSET_INT,
    .crop = DM_CLI_UNSET_INT,
    .preset = DM_TRAIN_PRESET_PAPER,
    .quantile = DM_CALIBRATE_DEFAULT_QUANTILE,
  };
  if (!dm_cli_parse ("train", "",
                     "Trains one Dinomaly model over every class of a dataset and writes a model "
                     "file (.dinomaly), or one model per class into a folder (--per-class), or "
                     "trains a Dinomaly Studio project (--project). The memory the run needs is "
                     "said before it starts.",
                     entries, &argc, &argv))
    return DM_CLI_USAGE;
  if (argc > 1)
    return dm_cli_usage_error ("train", "unexpected argument (options only)");
  /* every number as typed, before anything is read */
  if (!dm_cli_check_int ("train", "--iters", o->iters, 1, G_MAXINT64)
      || !dm_cli_check_int ("train", "--start-iter", o->start_iter, 0, G_MAXINT64)
      || !dm_cli_check_int ("train", "--total-iters", o->total_iters, 1, G_MAXINT64)
      || !dm_cli_check_int ("train", "--checkpoint-every", o->checkpoint_every, 1, G_MAXINT64)
      || !dm_cli_check_int ("train", "--batch", o->batch, 1, 4096)
      || !dm_cli_check_int ("train", "--resize", o->resize, 14, 8192)
      || !dm_cli_check_int ("train", "--crop", o->crop, 14, 8190)
      || !dm_cli_check_int ("train", "--seed", o->seed, 0, G_MAXINT64)
      || !dm_cli_check_int ("train", "--warmup", o->warmup, 0, G_MAXINT)
      || !dm_cli_check_int ("train", "--hm-ramp", o->hm_ramp, 0, G_MAXINT)
      || !dm_cli_check_int ("train", "--threads", o->threads, 0, 4096)
      || !dm_cli_check_double ("train", "--dropout", o->dropout, 0, 0.99)
      || !dm_cli_check_double ("train", "--lr", o->lr, 0, 1)
      || !dm_cli_check_double ("train", "--lr-final", o->lr_final, 0, 1)
      || !dm_cli_check_double ("train", "--hm-p", o->hm_p, 0, 1)
      || !dm_cli_check_double ("train", "--hm-factor", o->hm_factor, 0, 1)
      || !dm_cli_check_double ("train", "--clip", o->clip, 0, 1e6)
      || !dm_cli_check_double ("train", "--beta1", o->beta1, 0, 0.999999)
      || !dm_cli_check_double ("train", "--beta2", o->beta2, 0, 0.999999)
      || !dm_cli_check_double ("train", "--weight-decay", o->wd, 0, 1)
      || !dm_cli_check_double ("train", "--eps", o->eps, 0, 1))
    return DM_CLI_USAGE;
  if (o->crop != DM_CLI_UNSET_INT && o->crop % 14 != 0)
    {
      g_autofree char *message = g_strdup_printf (
        "--crop %d: must be a multiple of the 14-pixel patch (224, 280, 392…)", o->crop);
      return dm_cli_usage_error ("train", message);
    }
  if (o->project_dir != NULL)
    {
      if (o->data != NULL || o->backbone_path != NULL || o->out_path != NULL
          || o->preset_name != NULL || o->ckpt_dir != NULL || o->init_path != NULL
          || o->log_path != NULL || o->calibrate != NULL)
        return dm_cli_usage_error (
          "train", "--project takes the data, backbone, settings and places from the "
                   "project: only --resume and --threads apply");
      return -1;
    }
  if (o->data == NULL || o->backbone_path == NULL || o->out_path == NULL)
    return dm_cli_usage_error ("train", "--data, --backbone and --out are required (or --project)");
  if (!(o->quantile > 0 && o->quantile <= 1))
    {
      g_autofree char *message
        = g_strdup_printf ("--quantile %g: must be a share in (0, 1]", o->quantile);
      return dm_cli_usage_error ("train", message);
    }
  if (o->preset_name != NULL && !dm_train_preset_from_name (o->preset_name, &o->preset))
    {
      g_autofree char *list = dm_train_preset_list ();
      g_autofree char *message = g_strdup_printf ("--preset: %s", list);

      return dm_cli_usage_error ("train", message);
    }
  if (o->resume && o->ckpt_dir == NULL)
    return dm_cli_usage_error ("train", "--resume needs --checkpoint-dir");
  if (o->resume && (o->init_path != NULL || o->start_iter != DM_CLI_UNSET_INT64))
    return dm_cli_usage_error ("train",
                               "--resume continues a run: --init and --start-iter do not apply");
  return -1;
}

/* The preset, the options over it, and for a resumed run the checkpoint's
 * sizes and schedule; *resume_from receives the checkpoint's next
 * iteration. */
static gboolean
make_settings (const TrainOptions *o, DmTrainSettings *s, gint64 *resume_from, GError **error)
{
  dm_train_settings_apply_preset (s, o->preset);
  s->checkpoint_every = 500;
  /* the options given override the preset */
  if (o->total_iters != DM_CLI_UNSET_INT64)
    s->total_iters = o->total_iters;
  if (o->start_iter != DM_CLI_UNSET_INT64)
    s->start_iter = o->start_iter;
  if (o->iters != DM_CLI_UNSET_INT64)
    s->iters = o->iters;
  if (o->batch != DM_CLI_UNSET_INT)
    s->batch = o->batch;
  if (o->resize != DM_CLI_UNSET_INT)
    s->resize = o->resize;
  if (o->crop != DM_CLI_UNSET_INT)
    s->crop = o->crop;
  if (o->dropout != DM_CLI_UNSET_DOUBLE)
    s->dropout = o->dropout;
  if (o->seed != DM_CLI_UNSET_INT64)
    s->seed = o->seed;
  if (o->lr != DM_CLI_UNSET_DOUBLE)
    s->opt.lr = o->lr;
  if (o->lr_final != DM_CLI_UNSET_DOUBLE)
    s->opt.lr_final = o->lr_final;
  if (o->warmup != DM_CLI_UNSET_INT)
    s->opt.warmup_iters = o->warmup;
  if (o->hm_p != DM_CLI_UNSET_DOUBLE)
    s->loss.p_final = o->hm_p;
  if (o->hm_ramp != DM_CLI_UNSET_INT)
    s->loss.ramp_iters = o->hm_ramp;
  if (o->hm_factor != DM_CLI_UNSET_DOUBLE)
    s->loss.factor = o->hm_factor;
  if (o->clip != DM_CLI_UNSET_DOUBLE)
    s->opt.clip_norm = o->clip;
  if (o->beta1 != DM_CLI_UNSET_DOUBLE)
    s->opt.beta1 = o->beta1;
  if (o->beta2 != DM_CLI_UNSET_DOUBLE)
    s->opt.beta2 = o->beta2;
  if (o->wd != DM_CLI_UNSET_DOUBLE)
    s->opt.weight_decay = o->wd;
  if (o->eps != DM_CLI_UNSET_DOUBLE)
    s->opt.eps = o->eps;
  if (o->checkpoint_every != DM_CLI_UNSET_INT64)
    s->checkpoint_every = o->checkpoint_every;
  if (o->resize == DM_CLI_UNSET_INT && o->crop != DM_CLI_UNSET_INT && o->crop > s->resize)
    s->resize = o->crop;
  s->opt.total_iters = s->total_iters;
  s->shuffle = !o->no_shuffle;
  s->cache_bf16 = o->cache_bf16;
  s->checkpoint_dir = g_strdup (o->ckpt_dir);
  s->cache_dir = g_strdup (o->cache_dir);
  s->n_threads = o->threads;
  s->per_class = s->per_class || o->per_class;
  /* per class, each class's checkpoint holds its own (dm-training.h) */
  if (o->resume && !s->per_class)
    {
      /* the image sizes and the batch come from the checkpoint */
      g_autofree char *ckpt_path = g_build_filename (o->ckpt_dir, DM_CHECKPOINT_FILE, NULL);
      DmCheckpointState st;
      gboolean ok;

      dm_checkpoint_state_init (&st);
      ok = dm_checkpoint_read_state (ckpt_path, &st, error);
      if (ok)
        {
          s->resize = st.settings.resize;
          s->crop = st.settings.crop;
          s->batch = st.settings.batch;
          s->total_iters = st.settings.total_iters;
          s->opt.total_iters = s->total_iters;
          s->start_iter = MIN (st.next_iter, s->total_iters - 1);
          *resume_from = st.next_iter;
        }
      dm_checkpoint_state_clear (&st);
      if (!ok)
        return FALSE;
    }
  return dm_train_settings_validate (s, error);
}

/* The preset names the backbone it is meant for: say so when this one is
 * another (the run goes on: a preset is only a starting point). */
static void
note_preset_backbone (const TrainOptions *o, const DmVitConfig *backbone)
{
  DmVitConfig want;
  g_autofree char *name = NULL;

  if (o->preset_name == NULL || o->resume || o->preset == DM_TRAIN_PRESET_BALANCED
      || !dm_vit_config_for_arch (dm_train_preset_arch (o->preset), &want)
      || backbone->dim == want.dim)
    return;
  name = dm_backbone_arch_name (&want);
  g_printerr ("dinomaly train: note: the %s preset is meant for %s (D %d); this backbone is "
              "D %d\n",
              o->preset_name, name, want.dim, backbone->dim);
}

/* The log: rows appended to a resumed run's (cut back to its checkpoint). */
static FILE *
open_log (const TrainOptions *o, gint64 resume_from, GError **error)
{
  gboolean append = o->resume && g_file_test (o->log_path, G_FILE_TEST_EXISTS);
  FILE *log;

  if (append && !trim_log (o->log_path, resume_from, error))
    return NULL;
  log = fopen (o->log_path, append ? "a" : "w");
  if (log == NULL)
    {
      int saved = errno;
      g_autofree char *display = g_filename_display_name (o->log_path);

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: %s", display, g_strerror (saved));
      return NULL;
    }
  if (!append)
    fputs (LOG_HEADER, log);
  return log;
}

/* Trains on a dataset folder and writes the model file. */
static int
train_dataset (const TrainOptions *o)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmVitWeights) backbone = NULL;
  g_autoptr (DmDataset) dataset = NULL;
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_autofree char *sha = NULL, *backbone_name = NULL;
  g_auto (GStrv) class_list = NULL;
  gboolean plain = FALSE, ok;
  DmTrainSettings s;
  DmTrainingSet set = { 0 };
  DmTrainingRequest request = { 0 };
  DmTrainingOutcome outcome;
  Reporter reporter = { 0 };
  const DmTrainingCallbacks callbacks
    = { on_progress, on_note, on_ready, NULL, &reporter, on_class_started };
  struct sigaction sa = { 0 }, old_sa;
  int status = DM_CLI_FAILED;
  gint64 resume_from = 0;
  DmVitConfig config;

  dm_train_settings_init (&s);
  dm_training_outcome_init (&outcome);
  if (!make_settings (o, &s, &resume_from, &error))
    goto failed;
  if (s.per_class && o->calibrate != NULL)
    {
      status = dm_cli_usage_error ("train", "--calibrate stores thresholds into one model file: "
                                            "with one model per class, calibrate each with "
                                            "'dinomaly calibrate'");
      goto out;
    }

  /* the images */
  if (o->classes != NULL)
    class_list = g_strsplit (o->classes, ",", -1);
  dataset = load_dataset (o->data, &plain, &error);
  if (dataset == NULL
      || !dm_training_set_from_dataset (dataset, (const char *const *)class_list, o->data, &set,
                                        &error))
    goto failed;
  if (set.paths->len == 0)
    {
      g_printerr ("dinomaly train: %s: no training images (expected CLASS/train/good/*.png|jpg|tif "
                  "or image files in the folder itself)\n",
                  o->data);
      goto out;
    }
  fprintf (stderr, "dinomaly train: %u images of %u class%s (%s), crop %d\n", set.paths->len,
           set.class_names->len - 1, set.class_names->len == 2 ? "" : "es",
           plain ? "plain folder" : "MVTec layout", s.crop);

  /* the backbone: its shape and the memory first */
  if (!dm_training_backbone_config ("file", o->backbone_path, NULL, &config, &error))
    goto failed;
  note_preset_backbone (o, &config);
  {
    DmTrainMemory memory;

    dm_training_estimate_memory (&set, &config, &s, &memory);
    print_memory (&memory, &s);
  }
  backbone
    = dm_training_backbone_load ("file", o->backbone_path, NULL, &backbone_name, &sha, &error);
  if (backbone == NULL)
    goto failed;

  if (o->log_path != NULL && (reporter.log = open_log (o, resume_from, &error)) == NULL)
    goto failed;
  reporter.cancel = cancel;
  reporter.tty = isatty (STDERR_FILENO);
  request.set = &set;
  request.backbone = backbone;
  request.backbone_name = backbone_name;
  request.backbone_sha256 = sha;
  request.settings = &s;
  request.init_path = o->init_path;
  request.resume = o->resume;
  request.model_path = o->out_path;
  sa.sa_handler = on_sigint;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, &old_sa);
  ok = dm_training_run (&request, &callbacks, cancel, &outcome, &error);
  sigaction (SIGINT, &old_sa, NULL);
  if (reporter.tty)
    fputc ('\n', stderr);
  if (reporter.log != NULL && fclose (reporter.log) != 0)
    g_printerr ("dinomaly train: %s: %s\n", o->log_path, g_strerror (errno));
  if (!ok)
    goto failed;
  if (s.per_class)
    printf ("%s: %u class models trained (%u done before) in %.1f s (+ %.1f s of encoder "
            "features)\n",
            o->out_path, outcome.n_models, outcome.n_done_before, outcome.train_seconds,
            outcome.cache_seconds);
  else
    printf ("%s: trained %" G_GINT64_FORMAT " iterations (%" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
            ") in %.1f s (+ %.1f s of encoder features), final loss %.6f\n",
            o->out_path, outcome.next_iter - outcome.first_iter, outcome.first_iter,
            outcome.next_iter - 1, outcome.train_seconds, outcome.cache_seconds,
            outcome.final_loss);
  if (!s.per_class
      && !dm_cli_calibrate_model ("train", o->out_path, o->backbone_path, o->calibrate,
                                  o->quantile, o->threads))
    goto out;
  status = DM_CLI_OK;
  goto out;

failed:
  dm_cli_print_error ("train", error);
out:
  dm_training_set_clear (&set);
  dm_training_outcome_clear (&outcome);
  dm_train_settings_clear (&s);
  return status;
}

int
dm_cli_train (int argc, char **argv)
{
  TrainOptions o;
  int status = parse_options (argc, argv, &o);

  if (status < 0)
    status = o.project_dir != NULL ? train_project (o.project_dir, o.resume, o.threads)
                                   : train_dataset (&o);
  train_options_clear (&o);
  return status;
}
