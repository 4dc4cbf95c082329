/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Training learns for real: a small random backbone (D 64, depth 10, crop
 * 112), generated good textures, a few hundred iterations; the loss falls
 * and defective textures (blobs, scratches) score higher than good ones
 * (image AUROC over held-out images). DM_TEST_QUICK (sanitizer runs)
 * trains fewer iterations and only checks that the loss falls. */
#include <math.h>
#include <string.h>

#include "dm-dinomaly.h"
#include "dm-error.h"
#include "dm-test-textures.h"
#include "dm-test-util.h"
#include "dm-trainer.h"
#include "dm-vit-random.h"

#define CROP 112
#define N_TRAIN 24
#define N_TEST 12 /* good and as many defective */

static gboolean
load_good (int index, float *out, gpointer user_data, GError **error)
{
  (void)user_data;
  (void)error;
  dm_test_texture (out, CROP, (guint64)index, 0);
  return TRUE;
}

static DmVitWeights *
backbone (void)
{
  g_autoptr (GError) error = NULL;
  DmVitConfig config;
  DmVitWeights *w;

  g_assert_true (dm_vit_config_for_arch ("small", &config));
  config.dim = 64;
  config.heads = 1;
  config.mlp_hidden = 256;
  config.depth = 10;
  w = dm_vit_weights_new_random (&config, -1, 5, &error);
  g_assert_no_error (error);
  return w;
}

static void
targets_2_to_9 (DmVitTargets *t, const DmVitConfig *config)
{
  dm_vit_targets_default (t, config);
  for (int i = 0; i < 8; i++)
    t->targets[i] = 2 + i;
}

static void
test_learns (void)
{
  g_autoptr (GError) error = NULL;
  /* one thread: these shapes are too small to share, and OpenMP barriers
   * of many tiny parallel regions stall on a loaded machine */
  g_autoptr (DmEngine) engine = dm_engine_new (1, &error);
  g_autoptr (DmVitWeights) enc = backbone ();
  g_autoptr (DmTrainer) trainer = NULL;
  g_autoptr (DmDinomalyModel) model = NULL;
  g_autoptr (DmInference) inference = NULL;
  g_autofree float *img = g_new (float, (gsize)2 * N_TEST * 3 * CROP * CROP);
  g_autofree float *scores = g_new (float, 2 * N_TEST);
  gboolean quick = g_getenv ("DM_TEST_QUICK") != NULL;
  DmTrainSettings s;
  DmVitTargets targets;
  DmDinomalyWeights *decoder;
  const float *losses;
  gsize n;
  double first = 0, last = 0, auroc = 0, good_mean = 0, bad_mean = 0;
  int window = 20;
  gint64 t0 = g_get_monotonic_time ();

  g_assert_no_error (error);
  targets_2_to_9 (&targets, &enc->config);
  dm_train_settings_init (&s);
  s.resize = s.crop = CROP;
  s.batch = 8;
  s.total_iters = quick ? 60 : 300;
  s.opt.warmup_iters = 20;
  s.loss.ramp_iters = s.total_iters / 3;
  s.seed = 3;
  trainer = dm_trainer_new (engine, &s, enc, &targets, &error);
  dm_train_settings_clear (&s);
  g_assert_no_error (error);
  dm_trainer_set_images (trainer, N_TRAIN, load_good, NULL, "textures");
  g_assert_true (dm_trainer_run (trainer, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  losses = dm_trainer_get_losses (trainer, &n, NULL);
  for (int i = 0; i < window; i++)
    {
      first += losses[i] / window;
      last += losses[n - 1 - i] / window;
    }
  g_test_message ("loss: first %d iterations %.4f, last %d %.4f (%" G_GSIZE_FORMAT
                  " iterations, %.1f s)",
                  window, first, window, last, n, dm_trainer_get_train_seconds (trainer));
  g_assert_cmpfloat (last, <, 0.5 * first);
  if (quick)
    return;

  /* score held-out good and defective textures with the trained model */
  decoder = dm_dinomaly_weights_new (enc->config.dim, &error);
  g_assert_no_error (error);
  memcpy (decoder->arena, dm_trainer_get_weights (trainer)->arena,
          decoder->layout.n_floats * sizeof (float));
  model = dm_dinomaly_model_new (backbone (), decoder, &error);
  g_assert_no_error (error);
  model->resize = model->crop = CROP;
  model->targets = targets;
  inference = dm_inference_new (engine, model, 2 * N_TEST, &error);
  g_assert_no_error (error);
  for (int i = 0; i < N_TEST; i++)
    {
      dm_test_texture (img + (gsize)i * 3 * CROP * CROP, CROP, 1000 + (guint64)i, 0);
      dm_test_texture (img + (gsize)(N_TEST + i) * 3 * CROP * CROP, CROP, 2000 + (guint64)i, -1);
    }
  g_assert_true (dm_inference_run (inference, img, 2 * N_TEST, NULL, scores, &error));
  g_assert_no_error (error);
  for (int a = 0; a < N_TEST; a++)
    {
      good_mean += scores[a] / N_TEST;
      bad_mean += scores[N_TEST + a] / N_TEST;
      for (int b = 0; b < N_TEST; b++)
        auroc += (scores[N_TEST + b] > scores[a]    ? 1.0
                  : scores[N_TEST + b] == scores[a] ? 0.5
                                                    : 0)
                 / (N_TEST * N_TEST);
    }
  g_test_message ("scores: good %.4f, defective %.4f; image AUROC %.3f (%.1f s in all)", good_mean,
                  bad_mean, auroc, (g_get_monotonic_time () - t0) / 1e6);
  g_print ("# end-to-end: loss %.4f -> %.4f, image AUROC %.3f\n", first, last, auroc);
  g_assert_cmpfloat (auroc, >, 0.7);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train-e2e/learns", test_learns);
  return g_test_run ();
}
