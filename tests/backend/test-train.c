/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Training steps against the PyTorch reference (testvectors README §3 and
 * §5): three steps from it = 0 and from it = 1000 on images 0 and 1 of the
 * tiny model (lr, p, k, thresholds, easy masks, losses, gradient norms,
 * the step-1 gradients and the digests of all 100, the parameters after
 * step 3), and the optimizer-only case. Runs from the repository copy in
 * tests/data/train + tests/data/forward; with ../shared present, also from
 * the original DINOv2 F32 encoder. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-safetensors.h"
#include "dm-test-util.h"
#include "dm-train-step.h"
#include "dm-vit.h"

#define N_STEPS 3

static JsonNode *
load_json (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  JsonNode *node;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  node = json_from_string (text, &error);
  g_assert_no_error (error);
  return node;
}

static float *
read_tensor (DmSafetensors *st, const char *name, gsize *n_out)
{
  g_autoptr (GError) error = NULL;
  const DmTensorInfo *t = dm_safetensors_find (st, name);
  float *data;

  if (t == NULL)
    g_error ("%s: no tensor %s", dm_safetensors_path (st), name);
  data = g_new (float, t->n_elements);
  g_assert_true (dm_safetensors_read_f32 (st, name, data, t->n_elements, &error));
  g_assert_no_error (error);
  if (n_out != NULL)
    *n_out = t->n_elements;
  return data;
}

/* Largest |a - b| / tol ratio of a check, kept per label for the report. */
static double worst_ratio[8];
static const char *ratio_label[8];

static void
note_ratio (int slot, const char *label, double ratio)
{
  ratio_label[slot] = label;
  worst_ratio[slot] = MAX (worst_ratio[slot], ratio);
}

static void
check_rel (double got, double want, double tol, const char *what)
{
  double err = fabs (got - want) / MAX (fabs (want), 1e-30);

  g_test_message ("%s: %.10g (reference %.10g, rel %.2g)", what, got, want, err);
  if (!(err <= tol))
    g_error ("%s: %.10g vs reference %.10g: relative error %.3g > %.3g", what, got, want, err, tol);
  note_ratio (4, "scalars: loss, norm, clip, thresh (rel)", err);
}

typedef struct
{
  const char *encoder;
  const char *decoder;
  const char *inputs; /* a safetensors file with x (>= 2 images) */
  const char *train_dir;
  const char *label;
} TrainCase;

/* Encoder features of images 0 and 1: fused, E1, E2 (2, N, D). */
static void
encode_batch (DmEngine *engine, const TrainCase *tc, DmTrainStep *step, const DmVitWeights *enc)
{
  /* the encoder is frozen: both runs of a case reuse its features */
  static char *cached_encoder = NULL;
  static float *cached = NULL;
  gsize n = (gsize)step->B * step->N * step->D;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) in = NULL;
  g_autofree float *x = NULL;
  g_autofree float *workspace = NULL;
  DmVitTargets targets;

  if (g_strcmp0 (cached_encoder, tc->encoder) != 0)
    {
      g_clear_pointer (&cached_encoder, g_free);
      g_clear_pointer (&cached, g_free);
    }
  if (cached != NULL)
    {
      memcpy (step->E1, cached, n * sizeof (float));
      memcpy (step->E2, cached + n, n * sizeof (float));
      memcpy (step->fused, cached + 2 * n, n * sizeof (float));
      return;
    }
  in = dm_safetensors_open (tc->inputs, &error);
  g_assert_no_error (error);
  x = read_tensor (in, "x", NULL);
  dm_vit_targets_default (&targets, &enc->config);
  /* the tiny model is 10 deep: targets 2..9 as the vectors' config says */
  for (int i = 0; i < 8; i++)
    targets.targets[i] = 2 + i;
  workspace = g_new (float, dm_vit_workspace_size (&enc->config, 2, 224));
  g_assert_true (dm_vit_forward (engine, enc, &targets, x, 2, 224, step->E1, step->E2, step->fused,
                                 workspace, &error));
  g_assert_no_error (error);
  cached_encoder = g_strdup (tc->encoder);
  cached = g_new (float, 3 * n);
  memcpy (cached, step->E1, n * sizeof (float));
  memcpy (cached + n, step->E2, n * sizeof (float));
  memcpy (cached + 2 * n, step->fused, n * sizeof (float));
}

static void
check_digest (JsonObject *digest, const DmDinomalyLayout *layout, const float *grads)
{
  double worst_l2 = 0, worst_probe = 0;

  g_assert_cmpuint (json_object_get_size (digest), ==, DM_DINOMALY_N_PARAMS);
  for (int t = 0; t < DM_DINOMALY_N_PARAMS; t++)
    {
      const DmParamInfo *p = &layout->params[t];
      JsonObject *d = json_object_get_object_member (digest, p->name);
      const float *g = grads + p->offset;
      double sum = 0, sq = 0, maxabs = 0, alt = 0, mod13 = 0, l2, l2_ref, e;

      g_assert_nonnull (d);
      g_assert_cmpint (json_object_get_int_member (d, "n"), ==, (gint64)p->n_elements);
      for (gsize i = 0; i < p->n_elements; i++)
        {
          double x = g[i];
          sum += x;
          sq += x * x;
          maxabs = MAX (maxabs, fabs (x));
          alt += (i % 2 == 0) ? x : -x;
          mod13 += (double)((int)(i % 13) - 6) * x;
        }
      l2 = sqrt (sq);
      l2_ref = json_object_get_double_member (d, "l2");
      e = fabs (l2 - l2_ref) / MAX (l2_ref, 1e-30);
      worst_l2 = MAX (worst_l2, e);
      if (!(e <= 1e-5))
        g_error ("digest %s: l2 %.9g vs %.9g (rel %.3g)", p->name, l2, l2_ref, e);
      e = fabs (maxabs - json_object_get_double_member (d, "maxabs"))
          / MAX (json_object_get_double_member (d, "maxabs"), 1e-30);
      if (!(e <= 1e-5))
        g_error ("digest %s: maxabs %.9g vs %.9g (rel %.3g)", p->name, maxabs,
                 json_object_get_double_member (d, "maxabs"), e);
      {
        const char *probe[3] = { "sum", "alt", "mod13" };
        double got[3] = { sum, alt, mod13 };

        for (int k = 0; k < 3; k++)
          {
            double ref = json_object_get_double_member (d, probe[k]);
            double ratio = fabs (got[k] - ref) / (1e-4 * MAX (l2_ref, 1e-30));

            worst_probe = MAX (worst_probe, ratio);
            if (!(ratio <= 1.0))
              g_error ("digest %s: %s %.9g vs %.9g (%.3g of the tolerance)", p->name, probe[k],
                       got[k], ref, ratio);
          }
      }
    }
  g_test_message ("digests of all 100 gradients: l2 worst rel %.3g; sum/alt/mod13 worst %.3g of "
                  "the tolerance",
                  worst_l2, worst_probe);
  note_ratio (0, "digest l2 (rel)", worst_l2);
  note_ratio (1, "digest sum/alt/mod13 (fraction of tol)", worst_probe);
}

static void
run_train_case (const TrainCase *tc, const char *run)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (1, &error);
  g_autoptr (DmVitWeights) enc = NULL;
  g_autoptr (DmSafetensors) dec_file = NULL;
  g_autoptr (DmDinomalyWeights) dec = NULL;
  g_autoptr (DmTrainStep) step = NULL;
  g_autoptr (DmSafetensors) grads_file = NULL;
  g_autoptr (DmSafetensors) params_file = NULL;
  g_autoptr (DmSafetensors) easy_file = NULL;
  g_autofree char *dir = g_build_filename (tc->train_dir, run, NULL);
  g_autofree char *json_path = g_build_filename (dir, "train.json", NULL);
  g_autofree char *path = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree guint8 *easy_all = NULL;
  JsonObject *obj;
  JsonArray *steps;
  DmLossSettings loss;
  DmOptimizerSettings opt;
  double clip1 = 0, lr_sum = 0;
  gint64 it0;
  int N, P, first_patch;
  char what[160];

  g_assert_no_error (error);
  enc = dm_vit_weights_load (tc->encoder, -1, &error);
  g_assert_no_error (error);
  dec_file = dm_safetensors_open (tc->decoder, &error);
  g_assert_no_error (error);
  dec = dm_dinomaly_weights_load (dec_file, enc->config.dim, &error);
  g_assert_no_error (error);
  N = dm_vit_n_tokens (&enc->config, 224);
  first_patch = 1 + enc->config.n_registers;
  P = N - first_patch;
  step = dm_train_step_new (engine, dec, 2, N, first_patch, &error);
  g_assert_no_error (error);
  encode_batch (engine, tc, step, enc);

  root = load_json (json_path);
  obj = json_node_get_object (root);
  it0 = json_object_get_int_member (obj, "it0");
  steps = json_object_get_array_member (obj, "steps");
  g_assert_cmpuint (json_array_get_length (steps), ==, N_STEPS);
  path = g_build_filename (dir, "easy_masks.safetensors", NULL);
  easy_file = dm_safetensors_open (path, &error);
  g_assert_no_error (error);
  {
    const DmTensorInfo *t = dm_safetensors_find (easy_file, "easy");
    g_assert_nonnull (t);
    g_assert_cmpint (t->dtype, ==, DM_DTYPE_U8);
    g_assert_cmpuint (t->n_elements, ==, (guint64)N_STEPS * 2 * 2 * P);
    easy_all = g_memdup2 (dm_safetensors_tensor_bytes (easy_file, t), t->n_elements);
  }

  dm_loss_settings_default (&loss);
  dm_optimizer_settings_default (&opt, 10000);
  for (int s = 0; s < N_STEPS; s++)
    {
      JsonObject *js = json_array_get_object_element (steps, s);
      JsonArray *ja;
      DmTrainStepResult r;
      DmDropout dropout = { 0.0f, 7 };
      gint64 it = it0 + s;
      double lr_ref;

      g_assert_cmpint (json_object_get_int_member (js, "it"), ==, it);
      g_assert_true (dm_train_step_gradients (step, it, &dropout, &loss, &r, &error));
      g_assert_no_error (error);

      /* hard mining: p, k, thresholds, which points were scaled */
      g_assert_cmpfloat (fabs (r.loss.p - json_object_get_double_member (js, "p")), <=, 1e-15);
      g_assert_cmpint (r.loss.count, ==, json_object_get_int_member (js, "count"));
      ja = json_object_get_array_member (js, "k");
      for (int i = 0; i < 2; i++)
        g_assert_cmpint (r.loss.k, ==, json_array_get_int_element (ja, i));
      ja = json_object_get_array_member (js, "thresh");
      for (int i = 0; i < 2; i++)
        {
          g_snprintf (what, sizeof what, "%s %s thresh", tc->label, run);
          check_rel (r.loss.thresh[i], json_array_get_double_element (ja, i), 1e-5, what);
        }
      ja = json_object_get_array_member (js, "n_easy");
      for (int i = 0; i < 2; i++)
        g_assert_cmpint (r.loss.n_easy[i], ==, json_array_get_int_element (ja, i));
      g_assert_cmpmem (step->easy, 2 * 2 * P, easy_all + (gsize)s * 2 * 2 * P, 2 * 2 * P);

      g_snprintf (what, sizeof what, "%s %s loss", tc->label, run);
      check_rel (r.loss.loss, json_object_get_double_member (js, "loss"), 1e-5, what);
      ja = json_object_get_array_member (js, "loss_groups");
      for (int i = 0; i < 2; i++)
        {
          g_snprintf (what, sizeof what, "%s %s loss_groups", tc->label, run);
          check_rel (r.loss.loss_groups[i], json_array_get_double_element (ja, i), 1e-5, what);
        }

      if (s == 0)
        {
          /* the unclipped step-1 gradients: files and digests */
          JsonArray *names = json_object_get_array_member (obj, "tensors_in_files");

          g_clear_pointer (&path, g_free);
          path = g_build_filename (dir, "grads_step1.safetensors", NULL);
          grads_file = dm_safetensors_open (path, &error);
          g_assert_no_error (error);
          for (guint i = 0; i < json_array_get_length (names); i++)
            {
              const char *name = json_array_get_string_element (names, i);
              const DmParamInfo *p = dm_dinomaly_layout_find (&dec->layout, name);
              gsize n = 0;
              g_autofree float *want = read_tensor (grads_file, name, &n);

              g_assert_nonnull (p);
              g_assert_cmpuint (n, ==, p->n_elements);
              g_snprintf (what, sizeof what, "%s %s grad step 1", tc->label, run);
              dm_test_assert_close (step->grads + p->offset, want, n, 1e-5, what);
            }
          check_digest (json_object_get_object_member (obj, "grads_step1_digest"), &dec->layout,
                        step->grads);
        }

      lr_ref = json_object_get_double_member (js, "lr");
      {
        /* lr 0 (it = 0) must leave every parameter bit-identical */
        g_autofree float *before = g_memdup2 (dec->arena, dec->layout.n_floats * sizeof (float));

        g_assert_true (dm_train_step_update (step, &opt, &r));
        if (lr_ref == 0.0)
          g_assert_cmpmem (before, dec->layout.n_floats * sizeof (float), dec->arena,
                           dec->layout.n_floats * sizeof (float));
      }
      g_test_message ("%s %s step %d: it %" G_GINT64_FORMAT " lr %.10g loss %.8f norm %.6g",
                      tc->label, run, s + 1, it, r.lr, r.loss.loss, r.grad_norm);
      g_assert_cmpfloat (fabs (r.lr - lr_ref), <=, 1e-18 + 1e-15 * fabs (lr_ref));
      g_snprintf (what, sizeof what, "%s %s grad_norm_preclip", tc->label, run);
      check_rel (r.grad_norm, json_object_get_double_member (js, "grad_norm_preclip"), 1e-5, what);
      g_snprintf (what, sizeof what, "%s %s clip_coef", tc->label, run);
      check_rel (r.clip_coef, json_object_get_double_member (js, "clip_coef"), 1e-5, what);
      if (s == 0)
        clip1 = json_object_get_double_member (js, "clip_coef");
      lr_sum += lr_ref;
    }

  /* the parameters after step 3, where the step-1 gradient is not noise */
  g_clear_pointer (&path, g_free);
  path = g_build_filename (dir, "params_step3.safetensors", NULL);
  params_file = dm_safetensors_open (path, &error);
  g_assert_no_error (error);
  {
    JsonArray *names = json_object_get_array_member (obj, "tensors_in_files");
    double worst = 0, abs_worst = 0;
    gsize compared = 0, total = 0;

    for (guint i = 0; i < json_array_get_length (names); i++)
      {
        const char *name = json_array_get_string_element (names, i);
        const DmParamInfo *p = dm_dinomaly_layout_find (&dec->layout, name);
        g_autofree float *want = read_tensor (params_file, name, NULL);
        g_autofree float *g1 = read_tensor (grads_file, name, NULL);
        const float *got = dec->arena + p->offset;

        for (gsize e = 0; e < p->n_elements; e++)
          {
            double tol, d;

            total++;
            if (!(fabs (g1[e]) * clip1 > 1e-6))
              continue;
            compared++;
            tol = 5e-7 * MAX (1.0, fabs (want[e])) + 2e-3 * lr_sum;
            d = fabs ((double)got[e] - want[e]);
            abs_worst = MAX (abs_worst, d);
            worst = MAX (worst, d / tol);
            if (!(d <= tol))
              g_error ("%s %s: %s[%" G_GSIZE_FORMAT "] = %.9g after step 3, reference %.9g "
                       "(diff %.3g > tol %.3g)",
                       tc->label, run, name, e, got[e], want[e], d, tol);
          }
      }
    g_test_message ("%s %s params after step 3: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
                    " elements compared, worst %.3g of the tolerance (max abs diff %.3g)",
                    tc->label, run, compared, total, worst, abs_worst);
    note_ratio (2, "params step 3 (fraction of tol)", worst);
  }
}

/* The optimizer-only case: every element, every step. */
static void
test_optimizer (void)
{
  g_autofree char *dir = g_build_filename (dm_test_srcdir (), "data", "train", NULL);
  g_autofree char *st_path = g_build_filename (dir, "optimizer.safetensors", NULL);
  g_autofree char *json_path = g_build_filename (dir, "optimizer.json", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) st = dm_safetensors_open (st_path, &error);
  g_autoptr (JsonNode) root = load_json (json_path);
  JsonObject *obj = json_node_get_object (root);
  JsonArray *steps = json_object_get_array_member (obj, "steps");
  const char *names[3] = { "a", "b", "c" };
  DmTensorSpan spans[3];
  g_autoptr (DmOptimizerPlan) plan = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (0, NULL);
  DmOptimizerSettings opt;
  gsize total = 0;
  float *params, *grads, *m, *v, *vmax;
  double lr_sum = 0, worst = 0;

  g_assert_no_error (error);
  for (int t = 0; t < 3; t++)
    {
      char name[32];
      const DmTensorInfo *info;

      g_snprintf (name, sizeof name, "init.%s", names[t]);
      info = dm_safetensors_find (st, name);
      g_assert_nonnull (info);
      spans[t].offset = total;
      spans[t].n = info->n_elements;
      total += info->n_elements;
    }
  plan = dm_optimizer_plan_new (spans, 3);
  params = g_new0 (float, total);
  grads = g_new0 (float, total);
  m = g_new0 (float, total);
  v = g_new0 (float, total);
  vmax = g_new0 (float, total);
  for (int t = 0; t < 3; t++)
    {
      char name[32];
      g_snprintf (name, sizeof name, "init.%s", names[t]);
      g_assert_true (
        dm_safetensors_read_f32 (st, name, params + spans[t].offset, spans[t].n, &error));
      g_assert_no_error (error);
    }
  dm_optimizer_settings_default (&opt, 10000);
  g_assert_cmpfloat (opt.weight_decay, ==, json_object_get_double_member (obj, "weight_decay"));
  g_assert_cmpfloat (opt.eps, ==, json_object_get_double_member (obj, "eps"));
  g_assert_cmpfloat (opt.clip_norm, ==, json_object_get_double_member (obj, "max_grad_norm"));
  for (guint s = 0; s < json_array_get_length (steps); s++)
    {
      JsonObject *js = json_array_get_object_element (steps, s);
      JsonObject *jr = json_object_get_object_member (js, "r");
      double lr = json_object_get_double_member (js, "lr"), coef, norm, r[3];

      lr_sum += lr;
      for (int t = 0; t < 3; t++)
        {
          char name[32];
          g_snprintf (name, sizeof name, "grad%u.%s", s + 1, names[t]);
          g_assert_true (
            dm_safetensors_read_f32 (st, name, grads + spans[t].offset, spans[t].n, &error));
          g_assert_no_error (error);
        }
      norm = dm_grad_norm (engine, plan, grads);
      coef = dm_clip_coef (norm, opt.clip_norm);
      check_rel (norm, json_object_get_double_member (js, "grad_norm"), 1e-6, "optimizer norm");
      check_rel (coef, json_object_get_double_member (js, "clip_coef"), 1e-6, "optimizer clip");
      dm_stable_adamw_step (engine, plan, &opt, params, grads, coef, m, v, vmax, s + 1, lr, r);
      for (int t = 0; t < 3; t++)
        {
          char name[32];
          g_autofree float *want = g_new (float, spans[t].n);

          check_rel (r[t], json_object_get_double_member (jr, names[t]), 1e-5, "optimizer rms");
          g_snprintf (name, sizeof name, "param%u.%s", s + 1, names[t]);
          g_assert_true (dm_safetensors_read_f32 (st, name, want, spans[t].n, &error));
          g_assert_no_error (error);
          for (gsize e = 0; e < spans[t].n; e++)
            {
              double got = params[spans[t].offset + e];
              double tol = 5e-7 * MAX (1.0, fabs (want[e])) + 1e-5 * lr_sum;
              double d = fabs (got - want[e]);

              worst = MAX (worst, d / tol);
              if (!(d <= tol))
                g_error ("optimizer step %u: %s[%" G_GSIZE_FORMAT "] = %.9g, reference %.9g "
                         "(diff %.3g > %.3g)",
                         s + 1, names[t], e, got, want[e], d, tol);
            }
        }
    }
  g_test_message ("optimizer case: worst %.3g of the tolerance", worst);
  note_ratio (3, "optimizer params (fraction of tol)", worst);
  g_free (params);
  g_free (grads);
  g_free (m);
  g_free (v);
  g_free (vmax);
}

static void
test_train_repository_copy (void)
{
  g_autofree char *fwd = g_build_filename (dm_test_srcdir (), "data", "forward", NULL);
  g_autofree char *encoder = g_build_filename (fwd, "encoder_timm_bf16.safetensors", NULL);
  g_autofree char *decoder = g_build_filename (fwd, "decoder_f32.safetensors", NULL);
  g_autofree char *inputs = g_build_filename (fwd, "expected.safetensors", NULL);
  g_autofree char *train = g_build_filename (dm_test_srcdir (), "data", "train", NULL);
  TrainCase tc = { encoder, decoder, inputs, train, "repo" };

  run_train_case (&tc, "it0");
  run_train_case (&tc, "it1000");
}

static void
test_train_shared (void)
{
  const char *shared = dm_test_shared_dir ();
  g_autofree char *tiny = NULL, *encoder = NULL, *decoder = NULL, *inputs = NULL, *train = NULL;

  if (shared == NULL)
    {
      g_test_skip ("../shared is absent: the repository copy is tested instead");
      return;
    }
  if (g_getenv ("DM_TEST_QUICK") != NULL)
    {
      g_test_skip ("DM_TEST_QUICK: the repository copy (same numbers) is enough");
      return;
    }
  tiny = g_build_filename (shared, "testvectors", "tiny", NULL);
  encoder = g_build_filename (tiny, "encoder_dinov2_f32.safetensors", NULL);
  decoder = g_build_filename (tiny, "decoder_f32.safetensors", NULL);
  inputs = g_build_filename (tiny, "forward", "input.safetensors", NULL);
  train = g_build_filename (tiny, "train", NULL);
  {
    TrainCase tc = { encoder, decoder, inputs, train, "dinov2" };
    run_train_case (&tc, "it1000");
  }
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train/optimizer", test_optimizer);
  g_test_add_func ("/train/repository-copy", test_train_repository_copy);
  g_test_add_func ("/train/shared-dinov2-f32", test_train_shared);
  status = g_test_run ();
  dm_test_print_error_summary ();
  for (int i = 0; i < 8; i++)
    if (ratio_label[i] != NULL)
      g_print ("# %-44s worst %.3g\n", ratio_label[i], worst_ratio[i]);
  return status;
}
