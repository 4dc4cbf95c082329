/* SPDX-License-Identifier: GPL-3.0-or-later */
/* dm_evaluate_class on the tiny random-weight model of tests/data/forward
 * and a generated class: scores and maps equal the inference run image by
 * image, masks follow the spec's pipeline, images without ground truth
 * count in the image metrics only, failures are listed, cancel stops. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-evaluation.h"
#include "dm-preprocess.h"
#include "dm-safetensors.h"
#include "dm-test-data.h"
#include "dm-test-util.h"

#define MAP (256 * 256)

static void
write_png (const char *path, int w, int h, int channels, guint64 seed, gboolean mask)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) img = dm_image_new (w, h, channels, DM_PIXEL_U8, &error);
  g_autofree float *noise = g_new (float, (gsize)w *h *channels);
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_no_error (error);
  dm_test_fill_uniform (noise, (gsize)w * h * channels, 0.0f, 255.0f, seed);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w * channels; x++)
      img->data[(gsize)y * img->stride + x]
        = mask ? (x > w / 2 && y > h / 2 ? 255 : 0) : (guint8)noise[(gsize)y * w * channels + x];
  g_mkdir_with_parents (dir, 0755);
  g_assert_true (dm_image_save_png (img, path, &error));
  g_assert_no_error (error);
}

/* ROOT/c: test/good 000..002, test/bad 000..002 with masks for 000 and 002;
 * test/good/cut.png reads as a PNG header but does not decode. */
static char *
build_class (void)
{
  char *root = dm_test_make_tmpdir ();

  for (int i = 0; i < 3; i++)
    {
      g_autofree char *train = g_strdup_printf ("%s/c/train/good/%03d.png", root, i);
      g_autofree char *good = g_strdup_printf ("%s/c/test/good/%03d.png", root, i);
      g_autofree char *bad = g_strdup_printf ("%s/c/test/bad/%03d.png", root, i);
      g_autofree char *mask = g_strdup_printf ("%s/c/ground_truth/bad/%03d_mask.png", root, i);

      write_png (train, 50, 40, 3, 1 + i, FALSE);
      write_png (good, 50, 40, 3, 11 + i, FALSE);
      write_png (bad, 50, 40, 1, 21 + i, FALSE);
      if (i != 1)
        write_png (mask, 50, 40, 1, 0, TRUE);
    }
  {
    g_autofree char *good0 = g_strdup_printf ("%s/c/test/good/000.png", root);
    g_autofree char *cut = g_strdup_printf ("%s/c/test/good/cut.png", root);
    g_autofree char *bytes = NULL;
    gsize len;

    g_assert_true (g_file_get_contents (good0, &bytes, &len, NULL));
    g_assert_true (g_file_set_contents (cut, bytes, 60, NULL));
  }
  return root;
}

static void
count_progress (guint done, guint total, gpointer user_data)
{
  guint *calls = user_data;

  g_assert_cmpuint (done, <=, total);
  g_assert_cmpuint (total, ==, 7);
  calls[0]++;
  calls[1] = done;
}

static void
test_evaluate_class (void)
{
  g_autofree char *root = build_class ();
  g_autoptr (GError) error = NULL;
  g_autoptr (DmDataset) ds = dm_dataset_load (root, DM_DATASET_CHECK_ALL, &error);
  g_autoptr (DmDinomalyModel) model = dm_test_tiny_model ();
  g_autoptr (DmEngine) engine = dm_engine_new (1, &error);
  g_autoptr (DmInference) inference = NULL;
  g_autoptr (DmInference) single = NULL;
  g_autoptr (DmEvalClass) r = NULL;
  g_autofree float *x = g_new (float, 3 * 224 * 224);
  g_autofree float *map = g_new (float, MAP);
  g_autofree guint8 *mask = g_new (guint8, MAP);
  guint calls[2] = { 0, 0 };
  DmMetrics want;
  float score;

  g_assert_no_error (error);
  g_assert_cmpuint (ds->classes[0].n_test_good, ==, 4);
  g_assert_cmpuint (ds->classes[0].n_test_defect, ==, 3);
  inference = dm_inference_new (engine, model, 3, &error);
  g_assert_no_error (error);
  r = dm_evaluate_class (inference, model, ds, 0, 3, 0, count_progress, calls, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (r);
  g_assert_cmpuint (calls[0], ==, 2); /* 3 images, then cut.png skipped and 3 more */
  g_assert_cmpuint (calls[1], ==, 7);
  g_assert_cmpuint (r->n_images, ==, 6);
  g_assert_cmpuint (r->n_truth, ==, 5);
  g_assert_cmpuint (r->failures->len, ==, 1);
  g_assert_nonnull (strstr (r->failures->pdata[0], "cut.png"));

  /* every image against the inference run alone; masks against the pipeline */
  single = dm_inference_new (engine, model, 1, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < r->n_images; i++)
    {
      const DmSample *s = &ds->samples[r->sample_index[i]];

      g_assert_true (dm_preprocess_file (s->path, 256, 224, 0, x, &error));
      g_assert_true (dm_inference_run (single, x, 1, map, &score, &error));
      g_assert_no_error (error);
      g_assert_cmpfloat (fabs (score - r->scores[i]), <=, 1e-5);
      dm_test_assert_close (r->maps + (gsize)i * MAP, map, MAP, 1e-5, "batched vs single map");
      g_assert_cmpint (r->labels[i], ==, s->label == DM_LABEL_DEFECT);
      g_assert_cmpint (r->has_truth[i], ==, s->label == DM_LABEL_GOOD || s->mask_path != NULL);
      if (s->mask_path != NULL)
        {
          g_assert_true (
            dm_preprocess_mask_file (s->mask_path, 256, 224, 256, 0, mask, NULL, &error));
          g_assert_cmpmem (mask, MAP, r->masks + (gsize)i * MAP, MAP);
        }
      else
        for (int p = 0; p < MAP; p++)
          g_assert_cmpint (r->masks[(gsize)i * MAP + p], ==, 0);
    }

  /* image metrics over all six, pixel metrics over the five with masks */
  g_assert_true (
    dm_metrics_compute (r->scores, r->labels, r->n_images, NULL, NULL, 0, 0, &want, &error));
  g_assert_cmpfloat (r->metrics.image_auroc, ==, want.image_auroc);
  g_assert_cmpfloat (r->metrics.image_ap, ==, want.image_ap);
  g_assert_cmpuint (r->metrics.n_images, ==, 6);
  {
    float s5[6];
    guint8 l5[6];
    g_autofree float *m5 = g_new (float, 6 * MAP);
    g_autofree guint8 *k5 = g_new (guint8, 6 * MAP);
    guint k = 0;

    for (guint i = 0; i < r->n_images; i++)
      if (r->has_truth[i])
        {
          s5[k] = r->scores[i];
          l5[k] = r->labels[i];
          memcpy (m5 + (gsize)k * MAP, r->maps + (gsize)i * MAP, MAP * sizeof (float));
          memcpy (k5 + (gsize)k * MAP, r->masks + (gsize)i * MAP, MAP);
          k++;
        }
    g_assert_true (dm_metrics_compute (s5, l5, k, m5, k5, 256, 256, &want, &error));
    g_assert_cmpfloat (r->metrics.pixel_auroc, ==, want.pixel_auroc);
    g_assert_cmpfloat (r->metrics.pixel_ap, ==, want.pixel_ap);
    g_assert_cmpfloat (r->metrics.pixel_f1max, ==, want.pixel_f1max);
    g_assert_true (r->metrics.aupro == want.aupro
                   || (isnan (r->metrics.aupro) && isnan (want.aupro)));
  }

  /* all with ground truth: one call, the same as dm_metrics_compute */
  {
    g_autofree guint8 *all = g_new (guint8, r->n_images);

    memset (all, 1, r->n_images);
    g_assert_true (dm_eval_compute_metrics (r->scores, r->labels, all, r->n_images, r->maps,
                                            r->masks, 256, 256, &want, &error));
    g_assert_cmpfloat (want.image_auroc, ==, r->metrics.image_auroc);
    g_assert_cmpuint (want.n_pixels, ==, (guint64)6 * MAP);
  }
}

static void
test_cancel_and_errors (void)
{
  g_autofree char *root = build_class ();
  g_autoptr (GError) error = NULL;
  g_autoptr (DmDataset) ds = dm_dataset_load (root, DM_DATASET_CHECK_ALL, &error);
  g_autoptr (DmDinomalyModel) model = dm_test_tiny_model ();
  g_autoptr (DmEngine) engine = dm_engine_new (1, &error);
  g_autoptr (DmInference) inference = dm_inference_new (engine, model, 2, &error);
  gint cancel = 1;
  DmEvalClass *r;

  g_assert_no_error (error);
  r = dm_evaluate_class (inference, model, ds, 0, 2, 0, NULL, NULL, &cancel, &error);
  g_assert_null (r);
  g_assert_error (error, DM_ERROR, DM_ERROR_CANCELLED);
  g_clear_error (&error);

  /* every test image gone after loading: a clear error */
  for (guint i = 0; i < ds->n_samples; i++)
    if (ds->samples[i].split == DM_SPLIT_TEST)
      g_assert_cmpint (g_unlink (ds->samples[i].path), ==, 0);
  r = dm_evaluate_class (inference, model, ds, 0, 2, 0, NULL, NULL, NULL, &error);
  g_assert_null (r);
  g_assert_error (error, DM_ERROR, DM_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "none of its 7 test images"));
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/evaluation/class", test_evaluate_class);
  g_test_add_func ("/evaluation/cancel-and-errors", test_cancel_and_errors);
  status = g_test_run ();
  dm_test_print_error_summary ();
  return status;
}
