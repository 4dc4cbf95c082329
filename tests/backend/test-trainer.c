/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The training job: resuming from a checkpoint gives bit for bit the
 * uninterrupted run (also after a cancel), NaN stops the run and keeps the
 * last good checkpoint, the sampler, the feature cache (memory, file,
 * bf16), the settings (presets, checks, JSON) and bad input. A small random
 * backbone (D 64, depth 10, crop 42) keeps it fast. */
#include <math.h>
#include <string.h>

#include "dm-checkpoint.h"
#include "dm-error.h"
#include "dm-safetensors.h"
#include "dm-test-util.h"
#include "dm-trainer.h"
#include "dm-vit-random.h"

#define CROP 42
#define N_IMAGES 6

typedef struct
{
  int nan_image;        /* -1: none */
  int unreadable_image; /* -1: none */
} Images;

static gboolean
load_image (int index, float *out, gpointer user_data, GError **error)
{
  Images *images = user_data;

  if (index == images->unreadable_image)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "image %d: not a PNG", index);
      return FALSE;
    }
  dm_test_fill_uniform (out, (gsize)3 * CROP * CROP, -2.0f, 2.0f, 1000 + (guint64)index);
  if (index == images->nan_image)
    out[7] = NAN;
  return TRUE;
}

/* A small DINOv2-shaped config (4 registers, patch 14, 37x37 positions). */
static void
config_custom (DmVitConfig *config, int dim, int depth)
{
  g_assert_true (dm_vit_config_for_arch ("small", config));
  config->dim = dim;
  config->heads = dim / 64;
  config->head_dim = 64;
  config->mlp_hidden = 4 * dim;
  config->depth = depth;
}

static DmVitWeights *
small_encoder (DmVitTargets *targets)
{
  g_autoptr (GError) error = NULL;
  DmVitConfig config;
  DmVitWeights *w;

  config_custom (&config, 64, 10);
  w = dm_vit_weights_new_random (&config, -1, 3, &error);
  g_assert_no_error (error);
  dm_vit_targets_default (targets, &config);
  for (int i = 0; i < 8; i++)
    targets->targets[i] = 2 + i;
  return w;
}

static void
small_settings (DmTrainSettings *s)
{
  dm_train_settings_init (s);
  s->resize = CROP;
  s->crop = CROP;
  s->batch = 2;
  s->total_iters = 40;
  s->opt.warmup_iters = 3;
  s->loss.ramp_iters = 4; /* hard mining on after a few steps */
  s->seed = 11;
}

typedef struct
{
  GCancellable *cancel_at_iter;
  gint64 cancel_iter;
  int calls;
} Progress;

static void
on_progress (const DmTrainProgress *p, gpointer user_data)
{
  Progress *pr = user_data;

  pr->calls++;
  if (p->phase == DM_TRAIN_PHASE_TRAINING && pr->cancel_at_iter != NULL
      && p->iteration == pr->cancel_iter)
    g_cancellable_cancel (pr->cancel_at_iter);
}

/* Trains [start, start + iters) (resuming from `resume` when non-NULL) and
 * returns the trainer. */
static DmTrainer *
train (DmEngine *engine,
       const DmVitWeights *enc,
       const DmVitTargets *targets,
       Images *images,
       gint64 iters,
       const char *ckpt_dir,
       const char *resume,
       Progress *progress,
       GError **error)
{
  DmTrainSettings s;
  DmTrainer *t;

  small_settings (&s);
  s.iters = iters;
  s.checkpoint_dir = g_strdup (ckpt_dir);
  t = dm_trainer_new (engine, &s, enc, targets, error);
  dm_train_settings_clear (&s);
  g_assert_nonnull (t);
  dm_trainer_set_images (t, N_IMAGES, load_image, images, "six random images");
  if (resume != NULL && !dm_trainer_resume (t, resume, "six random images", error))
    return t;
  dm_trainer_run (t, progress != NULL ? on_progress : NULL, progress,
                  progress != NULL ? progress->cancel_at_iter : NULL, error);
  return t;
}

static void
assert_same_state (DmTrainer *a, DmTrainer *b)
{
  const DmDinomalyWeights *wa = dm_trainer_get_weights (a), *wb = dm_trainer_get_weights (b);
  gsize na, nb;
  gint64 fa, fb;
  const float *la = dm_trainer_get_losses (a, &na, &fa), *lb = dm_trainer_get_losses (b, &nb, &fb);

  g_assert_cmpint (dm_trainer_get_next_iter (a), ==, dm_trainer_get_next_iter (b));
  g_assert_cmpmem (wa->arena, wa->layout.n_floats * sizeof (float), wb->arena,
                   wb->layout.n_floats * sizeof (float));
  g_assert_cmpint (fa, ==, fb);
  g_assert_cmpmem (la, na * sizeof (float), lb, nb * sizeof (float));
}

/* The Adam moments too: compare the two checkpoints' arenas. */
static void
assert_same_checkpoints (const char *pa, const char *pb)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) a = dm_safetensors_open (pa, &error);
  g_autoptr (DmSafetensors) b = dm_safetensors_open (pb, &error);
  const char *names[] = { "params", "adam_m", "adam_v", "adam_vmax", "losses" };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const DmTensorInfo *ta = dm_safetensors_find (a, names[i]);
      const DmTensorInfo *tb = dm_safetensors_find (b, names[i]);

      g_assert_nonnull (ta);
      g_assert_nonnull (tb);
      g_assert_cmpmem (dm_safetensors_tensor_bytes (a, ta), ta->end - ta->begin,
                       dm_safetensors_tensor_bytes (b, tb), tb->end - tb->begin);
    }
}

static void
test_resume_bit_exact (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (1, &error);
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *dir_a = g_build_filename (tmp, "a", NULL);
  g_autofree char *dir_b = g_build_filename (tmp, "b", NULL);
  g_autofree char *ckpt_a = g_build_filename (dir_a, DM_CHECKPOINT_FILE, NULL);
  g_autofree char *ckpt_b = g_build_filename (dir_b, DM_CHECKPOINT_FILE, NULL);
  DmVitTargets targets;
  g_autoptr (DmVitWeights) enc = small_encoder (&targets);
  Images images = { -1, -1 };
  g_autoptr (DmTrainer) full = NULL;
  g_autoptr (DmTrainer) first = NULL;
  g_autoptr (DmTrainer) second = NULL;
  const int half = 5; /* 2N = 10 iterations: three epochs of 3 batches, crossed */
  gsize n;
  const float *losses;

  g_assert_no_error (error);
  full = train (engine, enc, &targets, &images, 2 * half, dir_a, NULL, NULL, &error);
  g_assert_no_error (error);
  first = train (engine, enc, &targets, &images, half, dir_b, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dm_trainer_get_next_iter (first), ==, half);
  second = train (engine, enc, &targets, &images, half, dir_b, ckpt_b, NULL, &error);
  g_assert_no_error (error);
  assert_same_state (full, second);
  assert_same_checkpoints (ckpt_a, ckpt_b);
  losses = dm_trainer_get_losses (full, &n, NULL);
  g_assert_cmpuint (n, ==, 2 * half);
  g_test_message ("losses: first %.6f, last %.6f", losses[0], losses[n - 1]);
  for (gsize i = 0; i < n; i++)
    g_assert_true (isfinite (losses[i]));
}

static void
test_cancel_and_resume (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (1, &error);
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *dir_a = g_build_filename (tmp, "a", NULL);
  g_autofree char *dir_b = g_build_filename (tmp, "b", NULL);
  g_autofree char *ckpt_b = g_build_filename (dir_b, DM_CHECKPOINT_FILE, NULL);
  DmVitTargets targets;
  g_autoptr (DmVitWeights) enc = small_encoder (&targets);
  Images images = { -1, -1 };
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  Progress progress = { cancel, 2, 0 };
  g_autoptr (DmTrainer) full = NULL;
  g_autoptr (DmTrainer) cut = NULL;
  g_autoptr (DmTrainer) rest = NULL;
  DmCheckpointState state;

  g_assert_no_error (error);
  full = train (engine, enc, &targets, &images, 7, dir_a, NULL, NULL, &error);
  g_assert_no_error (error);
  cut = train (engine, enc, &targets, &images, 7, dir_b, NULL, &progress, &error);
  g_assert_error (error, DM_ERROR, DM_ERROR_CANCELLED);
  g_test_message ("cancel: %s", error->message);
  g_assert_nonnull (strstr (error->message, "checkpoint written"));
  g_clear_error (&error);
  dm_checkpoint_state_init (&state);
  g_assert_true (dm_checkpoint_read_state (ckpt_b, &state, &error));
  g_assert_no_error (error);
  g_assert_cmpint (state.next_iter, ==, 3);
  g_assert_cmpint (state.adam_steps, ==, 3);
  g_assert_cmpuint (state.losses->len, ==, 3);
  dm_checkpoint_state_clear (&state);
  /* resume: 4 more iterations make the same 7 */
  rest = train (engine, enc, &targets, &images, 4, dir_b, ckpt_b, NULL, &error);
  g_assert_no_error (error);
  assert_same_state (full, rest);
}

static void
test_nan_keeps_checkpoint (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (1, &error);
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *ckpt = g_build_filename (tmp, DM_CHECKPOINT_FILE, NULL);
  DmVitTargets targets;
  g_autoptr (DmVitWeights) enc = small_encoder (&targets);
  Images images = { 4, -1 }; /* a NaN in image 4: without shuffle, in the batch of iteration 2 */
  g_autoptr (DmTrainer) t = NULL;
  DmTrainSettings s;
  DmCheckpointState state;
  g_autofree float *before = NULL;

  g_assert_no_error (error);
  small_settings (&s);
  s.shuffle = FALSE;
  s.iters = 6;
  s.checkpoint_every = 2;
  s.checkpoint_dir = g_strdup (tmp);
  t = dm_trainer_new (engine, &s, enc, &targets, &error);
  dm_train_settings_clear (&s);
  g_assert_no_error (error);
  dm_trainer_set_images (t, N_IMAGES, load_image, &images, "nan");
  g_assert_false (dm_trainer_run (t, NULL, NULL, NULL, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_NUMERIC);
  g_test_message ("NaN: %s", error->message);
  g_assert_nonnull (strstr (error->message, "iteration 2"));
  g_assert_nonnull (strstr (error->message, ckpt));
  g_assert_cmpint (dm_trainer_get_next_iter (t), ==, 2);
  dm_checkpoint_state_init (&state);
  g_assert_true (dm_checkpoint_read_state (ckpt, &state, NULL));
  g_assert_cmpint (state.next_iter, ==, 2);
  dm_checkpoint_state_clear (&state);
  /* the weights were not touched by the bad step */
  before = g_memdup2 (dm_trainer_get_weights (t)->arena,
                      dm_trainer_get_weights (t)->layout.n_floats * sizeof (float));
  for (gsize i = 0; i < dm_trainer_get_weights (t)->layout.n_floats; i++)
    g_assert_true (isfinite (before[i]));
}

static void
test_sampler (void)
{
  int perm[10], idx[3], seen[10];

  /* 10 images, batch 3: 3 batches per epoch, image 9 of each epoch's
   * permutation is dropped; every epoch draws distinct images */
  for (gint64 e = 0; e < 4; e++)
    {
      memset (seen, 0, sizeof seen);
      for (int b = 0; b < 3; b++)
        {
          dm_train_batch_indices (5, TRUE, 10, 3, e * 3 + b, idx, perm);
          for (int i = 0; i < 3; i++)
            {
              g_assert_cmpint (idx[i], >=, 0);
              g_assert_cmpint (idx[i], <, 10);
              g_assert_cmpint (seen[idx[i]]++, ==, 0);
            }
        }
    }
  /* file order without shuffle */
  dm_train_batch_indices (5, FALSE, 10, 3, 4, idx, perm);
  g_assert_cmpint (idx[0], ==, 3);
  g_assert_cmpint (idx[2], ==, 5);
  /* seeds and epochs give other orders */
  {
    int a[10], b[10], c[10];
    dm_train_batch_indices (5, TRUE, 10, 3, 0, idx, a);
    dm_train_batch_indices (6, TRUE, 10, 3, 0, idx, b);
    dm_train_batch_indices (5, TRUE, 10, 3, 3, idx, c);
    g_assert_true (memcmp (a, b, sizeof a) != 0);
    g_assert_true (memcmp (a, c, sizeof a) != 0);
  }
  g_assert_cmpuint (dm_train_dropout_seed (1, 0), !=, dm_train_dropout_seed (1, 1));
  g_assert_cmpuint (dm_train_dropout_seed (1, 0), !=, dm_train_dropout_seed (2, 0));
}

static void
test_feature_cache (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = dm_test_make_tmpdir ();
  int N = 7, D = 64, n = 3;
  gsize tok = (gsize)N * D;
  g_autofree float *E = g_new (float, 2 * n * tok);
  g_autofree float *f = g_new (float, 2 * tok), *e1 = g_new (float, 2 * tok);
  g_autofree float *e2 = g_new (float, 2 * tok);
  int idx[2] = { 2, 0 };

  dm_test_fill_uniform (E, 2 * n * tok, -3.0f, 3.0f, 4);
  for (int mode = 0; mode < 3; mode++)
    {
      /* memory f32, file f32 (max 1 byte), memory bf16 */
      gboolean bf16 = mode == 2;
      g_autoptr (DmFeatureCache) c
        = dm_feature_cache_new (n, N, D, bf16, mode == 1 ? 1 : 0, tmp, &error);

      g_assert_no_error (error);
      g_assert_cmpint (c->file_backed, ==, mode == 1);
      for (int i = 0; i < n; i++)
        dm_feature_cache_store (c, i, E + (gsize)(2 * i) * tok, E + (gsize)(2 * i + 1) * tok);
      /* out of memory and read back (from the file when there is one): the
       * same features */
      dm_feature_cache_evict (c);
      dm_feature_cache_prefetch (c, idx, 2);
      dm_feature_cache_gather (c, idx, 2, f, e1, e2);
      for (int b = 0; b < 2; b++)
        for (gsize j = 0; j < tok; j++)
          {
            float a = E[(gsize)(2 * idx[b]) * tok + j], z = E[(gsize)(2 * idx[b] + 1) * tok + j];
            double tol = bf16 ? 3.0 / 256 : 0.0;

            g_assert_cmpfloat (fabs (e1[b * tok + j] - a), <=, tol);
            g_assert_cmpfloat (fabs (e2[b * tok + j] - z), <=, tol);
            g_assert_cmpfloat (f[b * tok + j], ==, (e1[b * tok + j] + e2[b * tok + j]) * 0.5f);
          }
    }
  /* too large without a folder: the message gives the size needed */
  {
    DmFeatureCache *c = dm_feature_cache_new (n, N, D, FALSE, 1, NULL, &error);
    g_assert_null (c);
    g_assert_error (error, DM_ERROR, DM_ERROR_TOO_LARGE);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, "needs 10.5 KiB"));
  }
}

static void
test_settings (void)
{
  g_autoptr (GError) error = NULL;
  DmTrainSettings s, t;
  DmTrainPreset p;
  g_autofree char *json = NULL, *json2 = NULL;

  dm_train_settings_init (&s);
  g_assert_true (dm_train_settings_validate (&s, &error));
  g_assert_cmpint (s.crop, ==, 392);
  g_assert_cmpint (s.batch, ==, 16);
  g_assert_cmpfloat (s.opt.lr, ==, 2e-3);
  g_assert_cmpfloat (s.dropout, ==, 0.2f);
  g_assert_true (dm_train_preset_from_name ("quick", &p));
  dm_train_settings_apply_preset (&s, p);
  g_assert_cmpint (s.crop, ==, 224);
  g_assert_cmpint (s.resize, ==, 256);
  g_assert_cmpint (s.total_iters, ==, 1000);
  g_assert_cmpint (s.opt.total_iters, ==, 1000);
  g_assert_cmpint (s.batch, ==, 8);
  g_assert_cmpstr (dm_train_preset_arch (p), ==, "small");
  g_assert_true (dm_train_preset_from_name ("balanced", &p));
  g_assert_false (dm_train_preset_from_name ("fast", &p));
  s.seed = G_MAXUINT64 - 3;
  s.dropout = 0.3f;
  s.opt.lr = 1.234567890123e-3;
  json = dm_train_settings_to_json (&s);
  dm_train_settings_init (&t);
  g_assert_true (dm_train_settings_from_json (&t, json, &error));
  g_assert_no_error (error);
  json2 = dm_train_settings_to_json (&t);
  g_assert_cmpstr (json, ==, json2);
  g_assert_cmpuint (t.seed, ==, s.seed);
  g_assert_cmpfloat (t.opt.lr, ==, s.opt.lr);
  g_assert_cmpfloat (t.dropout, ==, s.dropout);

  s.dropout = 1.0f;
  g_assert_false (dm_train_settings_validate (&s, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "dropout"));
  g_clear_error (&error);
  s.dropout = 0.2f;
  s.start_iter = s.total_iters;
  g_assert_false (dm_train_settings_validate (&s, &error));
  g_assert_nonnull (strstr (error->message, "start iteration"));
  g_clear_error (&error);
  s.start_iter = 10;
  s.iters = 5;
  g_assert_cmpint (dm_train_settings_end_iter (&s), ==, 15);
  dm_train_settings_clear (&s);
  dm_train_settings_clear (&t);
}

static void
test_bad_input (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (1, &error);
  DmVitTargets targets;
  g_autoptr (DmVitWeights) enc = small_encoder (&targets);
  Images images = { -1, -1 };
  DmTrainSettings s;
  g_autoptr (DmTrainer) t = NULL;

  small_settings (&s);
  s.iters = 1;
  s.batch = 4;
  t = dm_trainer_new (engine, &s, enc, &targets, &error);
  g_assert_no_error (error);
  /* no images */
  g_assert_false (dm_trainer_run (t, NULL, NULL, NULL, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);
  /* a batch larger than the images */
  dm_trainer_set_images (t, 3, load_image, &images, "three");
  g_assert_false (dm_trainer_run (t, NULL, NULL, NULL, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "at most 3"));
  g_clear_error (&error);
  /* an unreadable image is skipped, once, and the others train */
  {
    Images some_bad = { -1, 1 };
    const char *const *why;
    int n_why;

    g_assert_true (dm_trainer_set_batch (t, 2, &error));
    dm_trainer_set_images (t, 4, load_image, &some_bad, "four");
    g_assert_true (dm_trainer_run (t, NULL, NULL, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpint (dm_trainer_get_n_valid (t), ==, 3);
    why = dm_trainer_get_skipped (t, &n_why);
    g_assert_cmpint (n_why, ==, 1);
    g_assert_cmpstr (why[0], ==, "image 1: not a PNG");
    g_assert_false (dm_trainer_set_batch (t, 3, &error));
    g_clear_error (&error);
  }
  /* a crop that is not a multiple of the patch */
  s.crop = 40;
  g_assert_null (dm_trainer_new (engine, &s, enc, &targets, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  dm_train_settings_clear (&s);
}

/* The presets, each named after what it reproduces: the paper's settings
 * as the official scripts have them; the old names keep working. */
static void
test_presets (void)
{
  static const struct
  {
    const char *name;
    int iters;
    float dropout;
  } paper[] = {
    { "paper", 10000, 0.2f },          /* dinomaly_mvtec_uni.py, dinomaly_visa_uni.py */
    { "paper-long", 20000, 0.2f },     /* Dinomaly↑: the README's released models */
    { "realiad", 50000, 0.4f },        /* dinomaly_realiad_uni.py */
    { "realiad-long", 100000, 0.4f },  /* Dinomaly↑ on Real-IAD */
    { "paper-large", 10000, 0.2f },    /* the ViT-L/14 row of the backbone study */
    { "paper-per-class", 5000, 0.2f }, /* class-separated (Table 2), 5,000 per class */
  };
  g_autofree char *list = dm_train_preset_list ();
  const char *const *members = dm_train_preset_settings ();
  DmTrainSettings s;
  DmTrainPreset p;

  g_assert_cmpuint (dm_train_preset_count (), ==, 8);
  for (guint i = 0; i < dm_train_preset_count (); i++)
    {
      g_assert_true (dm_train_preset_from_name (dm_train_preset_name ((DmTrainPreset)i), &p));
      g_assert_cmpint (p, ==, (DmTrainPreset)i);
      g_assert_nonnull (dm_train_preset_title (p));
      g_assert_nonnull (strstr (list, dm_train_preset_name (p)));
    }
  g_assert_cmpstr (list, ==,
                   "quick, balanced, paper, paper-long, realiad, realiad-long, paper-large or "
                   "paper-per-class");
  for (guint k = 0; k < G_N_ELEMENTS (paper); k++)
    {
      g_autoptr (GError) error = NULL;

      dm_train_settings_init (&s);
      /* a value set before the preset gives way to it */
      s.dropout = 0.3f;
      g_assert_true (dm_train_preset_from_name (paper[k].name, &p));
      dm_train_settings_apply_preset (&s, p);
      g_assert_cmpint (s.resize, ==, 448);
      g_assert_cmpint (s.crop, ==, 392);
      g_assert_cmpint (s.batch, ==, 16);
      g_assert_cmpint (s.total_iters, ==, paper[k].iters);
      g_assert_cmpint (s.opt.total_iters, ==, paper[k].iters);
      g_assert_cmpfloat (s.dropout, ==, paper[k].dropout);
      g_assert_cmpstr (dm_train_preset_arch (p), ==,
                       g_str_equal (paper[k].name, "paper-large") ? "large" : "base");
      g_assert_cmpint (s.per_class, ==, g_str_equal (paper[k].name, "paper-per-class"));
      g_assert_true (dm_train_settings_validate (&s, &error));
      dm_train_settings_clear (&s);
    }
  /* the window drops the user's values of exactly what a preset sets */
  g_assert_true (g_strv_contains (members, "dropout"));
  g_assert_true (g_strv_contains (members, "total_iters"));
  g_assert_true (g_strv_contains (members, "per_class"));
  g_assert_false (g_strv_contains (members, "seed"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/trainer/settings", test_settings);
  g_test_add_func ("/trainer/presets", test_presets);
  g_test_add_func ("/trainer/sampler", test_sampler);
  g_test_add_func ("/trainer/feature-cache", test_feature_cache);
  g_test_add_func ("/trainer/bad-input", test_bad_input);
  g_test_add_func ("/trainer/resume-bit-exact", test_resume_bit_exact);
  g_test_add_func ("/trainer/cancel-and-resume", test_cancel_and_resume);
  g_test_add_func ("/trainer/nan-keeps-checkpoint", test_nan_keeps_checkpoint);
  return g_test_run ();
}
