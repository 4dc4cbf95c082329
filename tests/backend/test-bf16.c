/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bf16 where the CPU computes it (AVX512_BF16 or AMX; skipped with the
 * reason elsewhere), against f32 on the same weights: the anomaly maps of
 * the test vectors' tiny model within 1e-2, its image AUROC on real images
 * (../shared/data/magnetic_tile, when present) unchanged within 1e-2, and a
 * training step's loss within 1e-2 and gradient direction within 1%. */
#include <math.h>
#include <string.h>

#include "dm-anomaly-map.h"
#include "dm-dataset.h"
#include "dm-dinomaly.h"
#include "dm-metrics.h"
#include "dm-preprocess.h"
#include "dm-safetensors.h"
#include "dm-test-data.h"
#include "dm-test-util.h"
#include "dm-train-step.h"

#define MAP (DM_ANOMALY_MAP_SIZE * DM_ANOMALY_MAP_SIZE)
#define PER_KIND 12 /* good and defective test images of the real class */

static gboolean
have_bf16 (void)
{
  g_autofree char *reason = NULL;

  if (dm_engine_cpu_has_bf16 (&reason))
    return TRUE;
  g_test_skip (reason);
  return FALSE;
}

/* Scores and maps of n preprocessed images, in batches of 4, at precision. */
static void
infer (
  DmDinomalyModel *model, DmPrecision precision, const float *x, int n, float *scores, float *maps)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (0, &error);
  g_autoptr (DmInference) inference = NULL;
  gsize img = (gsize)3 * 224 * 224;

  g_assert_no_error (error);
  g_assert_cmpint (dm_engine_set_precision (engine, precision), ==, precision);
  inference = dm_inference_new (engine, model, 4, &error);
  g_assert_no_error (error);
  for (int i = 0; i < n; i += 4)
    {
      int B = MIN (4, n - i);

      g_assert_true (
        dm_inference_run (inference, x + i * img, B, maps + (gsize)i * MAP, scores + i, &error));
      g_assert_no_error (error);
    }
}

static void
test_maps (void)
{
  g_autoptr (DmDinomalyModel) model = NULL;
  gsize img = (gsize)3 * 224 * 224;
  int n = 4;
  g_autofree float *x = g_new (float, n *img);
  g_autofree float *maps32 = g_new (float, (gsize)n *MAP), *maps16 = g_new (float, (gsize)n *MAP);
  float s32[4], s16[4];

  if (!have_bf16 ())
    return;
  model = dm_test_tiny_model ();
  dm_test_fill_uniform (x, n * img, -2, 2, 3);
  infer (model, DM_PRECISION_F32, x, n, s32, maps32);
  infer (model, DM_PRECISION_BF16, x, n, s16, maps16);
  dm_test_assert_close (maps16, maps32, (gsize)n * MAP, 1e-2, "bf16 maps vs f32");
  dm_test_assert_close (s16, s32, n, 1e-2, "bf16 scores vs f32");
}

static void
test_auroc (void)
{
  const char *shared = dm_test_shared_dir ();
  g_autofree char *root = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmDataset) ds = NULL;
  g_autoptr (DmDinomalyModel) model = NULL;
  gsize img = (gsize)3 * 224 * 224;
  g_autofree float *x = g_new (float, 2 * PER_KIND * img);
  g_autofree float *maps32 = g_new (float, (gsize)2 * PER_KIND * MAP);
  g_autofree float *maps16 = g_new (float, (gsize)2 * PER_KIND * MAP);
  float s32[2 * PER_KIND], s16[2 * PER_KIND];
  guint8 labels[2 * PER_KIND];
  int n = 0, per_label[2] = { 0, 0 };
  DmMetrics m32, m16;

  if (!have_bf16 ())
    return;
  if (shared == NULL)
    {
      g_test_skip ("../shared is absent: no real images");
      return;
    }
  root = g_build_filename (shared, "data", "magnetic_tile", "magnetic_tile", NULL);
  ds = dm_dataset_load (root, DM_DATASET_CHECK_NONE, &error);
  g_assert_no_error (error);
  model = dm_test_tiny_model ();
  /* every 8th test image until PER_KIND of each kind */
  for (guint i = 0, k = 0; i < ds->n_samples && n < 2 * PER_KIND; i++)
    {
      const DmSample *s = &ds->samples[i];
      int defect = s->label == DM_LABEL_DEFECT;

      if (s->split != DM_SPLIT_TEST || per_label[defect] >= PER_KIND || k++ % 8 != 0)
        continue;
      g_assert_true (dm_preprocess_file (s->path, 256, 224, 0, x + n * img, &error));
      g_assert_no_error (error);
      labels[n++] = (guint8)defect;
      per_label[defect]++;
    }
  g_assert_cmpint (n, ==, 2 * PER_KIND);
  infer (model, DM_PRECISION_F32, x, n, s32, maps32);
  infer (model, DM_PRECISION_BF16, x, n, s16, maps16);
  g_assert_true (dm_metrics_compute (s32, labels, n, NULL, NULL, 0, 0, &m32, &error));
  g_assert_true (dm_metrics_compute (s16, labels, n, NULL, NULL, 0, 0, &m16, &error));
  g_assert_no_error (error);
  g_test_message ("image AUROC on %d magnetic_tile test images: f32 %.4f, bf16 %.4f", n,
                  m32.image_auroc, m16.image_auroc);
  g_assert_cmpfloat (fabs (m16.image_auroc - m32.image_auroc), <=, 1e-2);
  dm_test_assert_close (maps16, maps32, (gsize)n * MAP, 1e-2, "bf16 real-image maps vs f32");
}

static void
test_training_step (void)
{
  int B = 2, N = 21, D = 128; /* 4 x 4 patches, cls and 4 registers */
  DmTrainStep *steps[2];
  DmEngine *engines[2];
  g_autoptr (DmDinomalyWeights) weights = NULL;
  g_autoptr (GError) error = NULL;
  DmLossSettings loss;
  DmTrainStepResult r[2];
  DmDropout dropout = { 0.2f, 9 };
  double dot = 0, n0 = 0, n1 = 0;

  if (!have_bf16 ())
    return;
  weights = dm_dinomaly_weights_new (D, &error);
  g_assert_no_error (error);
  dm_dinomaly_weights_init (weights, 4);
  dm_loss_settings_default (&loss);
  for (int i = 0; i < 2; i++)
    {
      engines[i] = dm_engine_new (0, &error);
      g_assert_no_error (error);
      dm_engine_set_precision (engines[i], i == 0 ? DM_PRECISION_F32 : DM_PRECISION_BF16);
      steps[i] = dm_train_step_new (engines[i], weights, B, N, 5, &error);
      g_assert_no_error (error);
      dm_test_fill_uniform (steps[i]->E1, (gsize)B * N * D, -1, 1, 7);
      dm_test_fill_uniform (steps[i]->E2, (gsize)B * N * D, -1, 1, 8);
      for (gsize e = 0; e < (gsize)B * N * D; e++)
        steps[i]->fused[e] = (steps[i]->E1[e] + steps[i]->E2[e]) * 0.5f;
      g_assert_true (dm_train_step_gradients (steps[i], 500, &dropout, &loss, &r[i], &error));
      g_assert_no_error (error);
    }
  for (gsize e = 0; e < weights->layout.n_floats; e++)
    {
      dot += (double)steps[0]->grads[e] * steps[1]->grads[e];
      n0 += (double)steps[0]->grads[e] * steps[0]->grads[e];
      n1 += (double)steps[1]->grads[e] * steps[1]->grads[e];
    }
  g_test_message ("training step: loss f32 %.6f, bf16 %.6f; gradient cosine %.6f", r[0].loss.loss,
                  r[1].loss.loss, dot / sqrt (n0 * n1));
  g_assert_cmpfloat (fabs (r[1].loss.loss - r[0].loss.loss), <=, 1e-2 * fabs (r[0].loss.loss));
  g_assert_cmpfloat (dot / sqrt (n0 * n1), >=, 0.99);
  g_assert_cmpfloat (fabs (sqrt (n1) / sqrt (n0) - 1), <=, 1e-2);
  for (int i = 0; i < 2; i++)
    {
      dm_train_step_free (steps[i]);
      dm_engine_free (engines[i]);
    }
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bf16/maps", test_maps);
  g_test_add_func ("/bf16/auroc", test_auroc);
  g_test_add_func ("/bf16/training-step", test_training_step);
  status = g_test_run ();
  dm_test_print_error_summary ();
  return status;
}
