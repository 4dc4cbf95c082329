/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ViT-L/14 end to end on random weights of the real shape (D 1024, 16
 * heads, 24 blocks, 4 registers): the targets the paper uses for it (4, 6,
 * ..., 18, groups of four), a few training iterations at a small crop, the
 * memory estimate against what the trainer holds, and scoring with the
 * trained decoder. The encoder is generated up to its last target block
 * (19 blocks, 1 GB; generating it takes most of the test's time). Two
 * images, two iterations at 56 pixels. Under DM_TEST_QUICK (sanitizer
 * runs, where ViT-L's 1.5 GB of encoder, decoder and optimiser take
 * minutes to fill) only the shapes are checked: the same code runs there
 * on the smaller shapes of train, trainer and train-e2e. */
#include <math.h>
#include <string.h>

#include "dm-dinomaly.h"
#include "dm-test-textures.h"
#include "dm-test-util.h"
#include "dm-file-util.h"
#include "dm-train-memory.h"
#include "dm-train-model.h"
#include "dm-trainer.h"
#include "dm-vit-random.h"

#define N_IMAGES 2

#define CROP 56

static gboolean
load_texture (int index, float *out, gpointer user_data, GError **error)
{
  dm_test_texture (out, CROP, 100 + (guint64)index, 0);
  return TRUE;
}

static void
test_large (void)
{
  gboolean quick = g_getenv ("DM_TEST_QUICK") != NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (0, &error);
  g_autoptr (DmModelInfo) info = NULL;
  g_autoptr (DmTrainer) trainer = NULL;
  g_autoptr (DmDinomalyModel) model = NULL;
  g_autoptr (DmInference) inference = NULL;
  g_autofree float *img = NULL, *maps = NULL;
  DmVitConfig config;
  DmVitTargets targets, from_info;
  DmVitWeights *encoder;
  DmDinomalyWeights *decoder;
  DmTrainSettings s;
  DmTrainMemory memory;
  float scores[2];
  gsize n_losses;
  const float *losses;
  gint64 t0 = g_get_monotonic_time ();

  g_assert_no_error (error);
  g_assert_true (dm_vit_config_for_arch ("large", &config));
  g_assert_cmpint (config.dim, ==, 1024);
  g_assert_cmpint (config.heads, ==, 16);
  g_assert_cmpint (config.depth, ==, 24);

  /* the paper's targets for a 24-deep encoder, both ways they are chosen */
  dm_vit_targets_default (&targets, &config);
  for (int i = 0; i < 8; i++)
    g_assert_cmpint (targets.targets[i], ==, 4 + 2 * i);
  g_assert_cmpint (targets.group_split, ==, 4);
  if (quick)
    {
      g_test_skip ("DM_TEST_QUICK: ViT-L's weights take minutes to fill under the sanitizers");
      return;
    }
  encoder = dm_vit_weights_new_random (&config, targets.targets[7] + 1, 7, &error);
  g_assert_no_error (error);
  g_assert_cmpint (encoder->n_blocks, ==, 19);
  info = dm_train_model_info_new (encoder, &from_info, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (&from_info, sizeof from_info, &targets, sizeof targets);
  g_assert_cmpint (info->groups[0][0], ==, 4);
  g_assert_cmpint (info->groups[1][3], ==, 18);
  g_test_message ("random ViT-L, 19 blocks: %.1f s", (g_get_monotonic_time () - t0) / 1e6);

  dm_train_settings_init (&s);
  s.resize = CROP;
  s.crop = CROP;
  s.batch = 2;
  s.total_iters = 2;
  s.opt.total_iters = s.total_iters;
  s.opt.warmup_iters = 1;
  trainer = dm_trainer_new (engine, &s, encoder, &targets, &error);
  g_assert_no_error (error);
  dm_trainer_set_images (trainer, N_IMAGES, load_texture, NULL, "textures");
  g_assert_true (dm_trainer_run (trainer, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  losses = dm_trainer_get_losses (trainer, &n_losses, NULL);
  g_assert_cmpuint (n_losses, ==, (gsize)s.total_iters);
  for (gsize i = 0; i < n_losses; i++)
    {
      g_test_message ("iteration %" G_GSIZE_FORMAT ": loss %.6f", i, losses[i]);
      g_assert_true (isfinite (losses[i]) && losses[i] > 0);
    }
  g_test_message ("trained %d iterations at %d px: %.1f s", (int)s.total_iters, CROP,
                  (g_get_monotonic_time () - t0) / 1e6);

  /* The estimate is what the trainer holds: the cache to the byte, the
   * iteration's buffers and the optimiser within the estimate; the
   * encoder a full ViT-L (about 304 M parameters). */
  dm_train_memory_estimate (&config, &s, N_IMAGES, &memory);
  g_assert_cmpuint (memory.cache, ==, dm_trainer_get_cache_bytes (trainer));
  g_assert_cmpuint (memory.decoder + memory.activations, >=, dm_trainer_get_step_bytes (trainer));
  g_assert_cmpuint (memory.decoder + memory.activations, <=,
                    dm_trainer_get_step_bytes (trainer) * 2);
  g_assert_cmpuint (memory.encoder, >, 300000000ull * 4);
  g_assert_cmpuint (memory.encoder, <, 310000000ull * 4);
  g_assert_cmpuint (memory.total, ==,
                    memory.encoder + memory.cache + memory.decoder + memory.activations);

  /* scoring with the trained decoder: a good and a defective texture */
  decoder = dm_dinomaly_weights_new (config.dim, &error);
  g_assert_no_error (error);
  memcpy (decoder->arena, dm_trainer_get_weights (trainer)->arena,
          decoder->layout.n_floats * sizeof (float));
  g_clear_pointer (&trainer, dm_trainer_free);
  model = dm_dinomaly_model_new (encoder, decoder, &error);
  g_assert_no_error (error);
  model->crop = CROP;
  model->resize = CROP;
  g_assert_cmpmem (&model->targets, sizeof targets, &targets, sizeof targets);
  inference = dm_inference_new (engine, model, 2, &error);
  g_assert_no_error (error);
  img = g_new (float, (gsize)2 * 3 * CROP * CROP);
  maps = g_new (float, (gsize)2 * 256 * 256);
  dm_test_texture (img, CROP, 100, 0);
  dm_test_texture (img + (gsize)3 * CROP * CROP, CROP, 200, 1);
  g_assert_true (dm_inference_run (inference, img, 2, maps, scores, &error));
  g_assert_no_error (error);
  for (int b = 0; b < 2; b++)
    {
      g_test_message ("score %d: %.6f", b, scores[b]);
      g_assert_true (isfinite (scores[b]) && scores[b] >= 0);
    }
  for (gsize i = 0; i < (gsize)2 * 256 * 256; i++)
    g_assert_true (isfinite (maps[i]));
  g_test_message ("ViT-L test: %.1f s in all", (g_get_monotonic_time () - t0) / 1e6);
  dm_train_settings_clear (&s);
}

/* The estimate for every backbone the window offers, and what the
 * registers change: a few tokens, nothing else. */
static void
test_memory_estimates (void)
{
  const char *archs[] = { "small", "base", "large" };
  guint64 last = 0;
  DmTrainSettings s;

  dm_train_settings_init (&s);
  s.cache_max_bytes = G_MAXUINT64;
  for (guint i = 0; i < G_N_ELEMENTS (archs); i++)
    {
      DmVitConfig c;
      DmTrainMemory with, without;
      g_autofree char *total = NULL;

      g_assert_true (dm_vit_config_for_arch (archs[i], &c));
      dm_train_memory_estimate (&c, &s, 1000, &with);
      c.n_registers = 0;
      dm_train_memory_estimate (&c, &s, 1000, &without);
      total = dm_format_bytes (with.total);
      g_test_message ("%s, 1000 images, paper settings: %s", archs[i], total);
      g_assert_cmpuint (with.total, >, last);
      last = with.total;
      /* 1 + 4 + 28 * 28 tokens against 1 + 28 * 28 */
      g_assert_cmpuint (with.cache * 785, ==, without.cache * 789);
      g_assert_cmpuint (with.decoder, ==, without.decoder);
      g_assert_cmpuint (with.encoder - without.encoder, ==, 4 * 4 * (guint64)c.dim);
      g_assert_false (with.cache_in_file);
      g_assert_true (dm_train_memory_exceeds (&with, with.total - 1));
      g_assert_false (dm_train_memory_exceeds (&with, with.total));
    }
  /* bf16 halves the cache; a cap below it puts the cache in a file, which
   * does not count against the machine's memory */
  {
    DmVitConfig c;
    DmTrainMemory f32, bf16;

    g_assert_true (dm_vit_config_for_arch ("base", &c));
    dm_train_memory_estimate (&c, &s, 1000, &f32);
    s.cache_bf16 = TRUE;
    s.cache_max_bytes = 1024;
    dm_train_memory_estimate (&c, &s, 1000, &bf16);
    g_assert_cmpuint (bf16.cache * 2, ==, f32.cache);
    g_assert_true (bf16.cache_in_file);
    g_assert_false (dm_train_memory_exceeds (&bf16, bf16.total - bf16.cache));
  }
  dm_train_settings_clear (&s);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train-large/memory-estimates", test_memory_estimates);
  g_test_add_func ("/train-large/vit-l", test_large);
  return g_test_run ();
}
