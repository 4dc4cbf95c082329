/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The whole inference forward (encoder, bottleneck, decoder, groups, maps,
 * scores) against the PyTorch reference on the tiny random-weight model of
 * the test vectors: every intermediate the vectors hold, within the
 * tolerances of their README §5. Runs from the repository copy in
 * tests/data/forward (images 0 and 1); with ../shared present, also on all
 * three images and from each of the three encoder files. */
#include <math.h>
#include <string.h>

#include "dm-anomaly-map.h"
#include "dm-dinomaly.h"
#include "dm-error.h"
#include "dm-safetensors-writer.h"
#include "dm-safetensors.h"
#include "dm-test-util.h"
#include "dm-weight-file.h"

/* A named tensor read from the first file of `files` that holds it. */
static float *
expected (DmSafetensors **files, const char *name, gsize *n_out)
{
  for (int i = 0; files[i] != NULL; i++)
    {
      const DmTensorInfo *t = dm_safetensors_find (files[i], name);
      g_autoptr (GError) error = NULL;
      float *data;

      if (t == NULL)
        continue;
      data = g_new (float, t->n_elements);
      g_assert_true (dm_safetensors_read_f32 (files[i], name, data, t->n_elements, &error));
      g_assert_no_error (error);
      if (n_out != NULL)
        *n_out = t->n_elements;
      return data;
    }
  g_error ("no expected tensor %s", name);
  return NULL;
}

/* (B, N, D) token-major patch rows -> (B, D, g, g) channel-first, as the
 * vectors store the groups. */
static float *
to_channel_first (const float *tokens, int B, int N, int D, int first_patch)
{
  int P = N - first_patch;
  float *out = g_new (float, (gsize)B *D *P);

  for (int b = 0; b < B; b++)
    for (int p = 0; p < P; p++)
      for (int d = 0; d < D; d++)
        out[((gsize)b * D + d) * P + p] = tokens[((gsize)b * N + first_patch + p) * D + d];
  return out;
}

static void
check_tensor (DmSafetensors **files,
              const char *name,
              const float *got,
              int n_images,
              double tol,
              gboolean absolute,
              const char *what)
{
  gsize n = 0;
  g_autofree float *want = expected (files, name, &n);
  const DmTensorInfo *t = NULL;
  gsize per_image;

  for (int i = 0; files[i] != NULL && t == NULL; i++)
    t = dm_safetensors_find (files[i], name);
  g_assert_nonnull (t);
  if (t == NULL)
    return;
  per_image = n / (gsize)t->shape[0];
  n = MIN (n, per_image * (gsize)n_images);
  if (absolute)
    {
      double err = dm_test_max_abs_diff (got, want, n);
      g_test_message ("%s: max abs diff %.3g", what, err);
      if (!(err <= tol))
        g_error ("%s: max abs diff %.3g > %.3g", what, err, tol);
      /* record it in the summary through the relative helper's table */
      dm_test_assert_close (got, want, n, INFINITY, what);
    }
  else
    dm_test_assert_close (got, want, n, tol, what);
}

typedef struct
{
  const char *encoder;
  const char *decoder;
  DmSafetensors *files[8];
  int n_images;
  const char *label;
  /* DINOv2 without registers (README §5c): its vectors hold the maps and
   * scores only, and the scores are held to 1e-6 relative */
  gboolean maps_only;
} ForwardCase;

static void
run_forward_case (ForwardCase *fc)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (0, &error);
  g_autoptr (DmSafetensors) dec_file = NULL;
  g_autoptr (DmDinomalyModel) model = NULL;
  g_autoptr (DmInference) inference = NULL;
  DmVitWeights *encoder;
  DmDinomalyWeights *decoder;
  DmInferenceFeatures f;
  g_autofree float *x = NULL;
  g_autofree float *maps = NULL;
  g_autofree float *scores = NULL;
  g_autofree float *want_scores = NULL;
  int B = fc->n_images, first_patch;
  char what[128];

  g_assert_no_error (error);
  encoder = dm_vit_weights_load (fc->encoder, -1, &error);
  g_assert_no_error (error);
  dec_file = dm_safetensors_open (fc->decoder, &error);
  g_assert_no_error (error);
  decoder = dm_dinomaly_weights_load (dec_file, encoder->config.dim, &error);
  g_assert_no_error (error);
  model = dm_dinomaly_model_new (encoder, decoder, &error);
  g_assert_no_error (error);
  model->resize = 256;
  model->crop = 224;
  /* the tiny model is 10 deep: targets 2..9 as the vectors' config says */
  for (int i = 0; i < 8; i++)
    model->targets.targets[i] = 2 + i;
  first_patch = 1 + encoder->config.n_registers;
  g_assert_cmpint (encoder->config.n_registers, ==, fc->maps_only ? 0 : 4);

  inference = dm_inference_new (engine, model, B, &error);
  g_assert_no_error (error);
  x = expected (fc->files, "x", NULL);
  maps = g_new (float, (gsize)B * 256 * 256);
  scores = g_new (float, B);
  g_assert_true (dm_inference_run (inference, x, B, maps, scores, &error));
  g_assert_no_error (error);
  dm_inference_get_features (inference, &f);

  /* §5 tolerances: features relative to the tensor's max, maps absolute */
  if (!fc->maps_only)
    {
      const char *names[] = { "E1", "E2", "R1", "R2" };
      const float *tokens[] = { f.E1, f.E2, f.R1, f.R2 };

      for (int i = 0; i < 4; i++)
        {
          g_autofree float *cf = to_channel_first (tokens[i], B, f.N, f.D, first_patch);
          g_snprintf (what, sizeof what, "%s %s", fc->label, names[i]);
          check_tensor (fc->files, names[i], cf, B, 1e-5, FALSE, what);
        }
      g_snprintf (what, sizeof what, "%s fused", fc->label);
      check_tensor (fc->files, "fused", f.fused, B, 1e-5, FALSE, what);
    }
  g_snprintf (what, sizeof what, "%s a1", fc->label);
  check_tensor (fc->files, "a1", f.a1, B, 1e-5, TRUE, what);
  g_snprintf (what, sizeof what, "%s a2", fc->label);
  check_tensor (fc->files, "a2", f.a2, B, 1e-5, TRUE, what);
  g_snprintf (what, sizeof what, "%s map_crop", fc->label);
  check_tensor (fc->files, "map_crop", f.map_crop, B, 1e-5, TRUE, what);
  g_snprintf (what, sizeof what, "%s map_256", fc->label);
  check_tensor (fc->files, "map_256", maps, B, 1e-5, TRUE, what);
  want_scores = expected (fc->files, "score", NULL);
  for (int b = 0; b < B; b++)
    {
      g_test_message ("%s score %d: %.8f (reference %.8f)", fc->label, b, scores[b],
                      want_scores[b]);
      g_assert_cmpfloat (fabs (scores[b] - want_scores[b]), <=, 1e-5);
      if (fc->maps_only)
        g_assert_cmpfloat (fabs (scores[b] - want_scores[b]), <=, 1e-6 * fabs (want_scores[b]));
    }
  g_snprintf (what, sizeof what, "%s score", fc->label);
  check_tensor (fc->files, "score", scores, B, 1e-5, TRUE, what);
}

static void
run_debug_case (ForwardCase *fc)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (0, &error);
  g_autoptr (DmVitWeights) encoder = dm_vit_weights_load (fc->encoder, -1, &error);
  g_autofree float *x = NULL, *workspace = NULL, *E1 = NULL, *E2 = NULL, *fused = NULL;
  g_autofree float *tokens = NULL, *pos = NULL;
  g_autofree float *kernel = g_new (float, 25);
  float *blocks[16] = { NULL };
  DmVitTargets targets;
  DmVitDebug debug = { 0 };
  int N, D, g = 16;
  char what[128];

  g_assert_no_error (error);
  D = encoder->config.dim;
  N = dm_vit_n_tokens (&encoder->config, 224);
  dm_vit_targets_default (&targets, &encoder->config);
  /* the tiny model is 10 deep: targets 2..9 as the vectors say */
  for (int i = 0; i < 8; i++)
    targets.targets[i] = 2 + i;
  x = expected (fc->files, "x", NULL);
  workspace = g_new (float, dm_vit_workspace_size (&encoder->config, 1, 224));
  E1 = g_new (float, (gsize)N *D);
  E2 = g_new (float, (gsize)N *D);
  fused = g_new (float, (gsize)N *D);
  tokens = g_new (float, (gsize)N *D);
  pos = g_new (float, (gsize)(1 + g * g) * D);
  for (int i = 0; i < 10; i++)
    blocks[i] = g_new (float, (gsize)N *D);
  debug.tokens = tokens;
  debug.block_out = blocks;
  debug.pos_interp = pos;
  g_assert_true (dm_vit_forward_debug (engine, encoder, &targets, x, 1, 224, E1, E2, fused,
                                       workspace, &debug, &error));
  g_assert_no_error (error);

  {
    /* timm folds cls's position into cls_token (its cls position is 0):
     * compare the interpolated grid rows, and row 0 for the other schemes */
    gsize n = 0;
    g_autofree float *want = expected (fc->files, "pos_embed_interp", &n);
    gsize skip = encoder->scheme == DM_VIT_SCHEME_TIMM ? (gsize)D : 0;

    g_snprintf (what, sizeof what, "%s pos_embed_interp", fc->label);
    dm_test_assert_close (pos + skip, want + skip, n - skip, 1e-5, what);
  }
  g_snprintf (what, sizeof what, "%s tokens", fc->label);
  check_tensor (fc->files, "tokens", tokens, 1, 1e-5, FALSE, what);
  for (int i = 0; i < 10; i++)
    {
      char name[32];

      g_snprintf (name, sizeof name, "enc_block%d", i);
      g_snprintf (what, sizeof what, "%s %s", fc->label, name);
      if (i == 0 || i == 9 || fc->n_images == 3)
        check_tensor (fc->files, name, blocks[i], 1, 1e-5, FALSE, what);
      g_free (blocks[i]);
    }
  dm_gaussian_kernel (kernel, 5, 4.0);
  g_snprintf (what, sizeof what, "%s gauss_kernel", fc->label);
  check_tensor (fc->files, "gauss_kernel", kernel, 1, 1e-6, FALSE, what);
}

static void
test_forward_repository_copy (void)
{
  g_autofree char *dir = g_build_filename (dm_test_srcdir (), "data", "forward", NULL);
  g_autofree char *encoder = g_build_filename (dir, "encoder_timm_bf16.safetensors", NULL);
  g_autofree char *decoder = g_build_filename (dir, "decoder_f32.safetensors", NULL);
  g_autofree char *vectors = g_build_filename (dir, "expected.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  ForwardCase fc = { encoder, decoder, { NULL }, 2, "repo" };

  fc.files[0] = dm_safetensors_open (vectors, &error);
  g_assert_no_error (error);
  run_debug_case (&fc);
  run_forward_case (&fc);
  dm_safetensors_free (fc.files[0]);
}

static void
test_forward_shared_all_schemes (void)
{
  const char *shared = dm_test_shared_dir ();
  const char *encoders[]
    = { "encoder_dinov2_f32.safetensors", "hf/model.safetensors", "encoder_timm_bf16.safetensors" };
  const char *labels[] = { "dinov2", "hf", "timm" };
  const char *vector_files[] = { "input", "features", "maps", "debug_img0" };
  g_autofree char *tiny = NULL;
  g_autofree char *decoder = NULL;

  if (shared == NULL)
    {
      g_test_skip ("../shared is absent: the repository copy is tested instead");
      return;
    }
  tiny = g_build_filename (shared, "testvectors", "tiny", NULL);
  decoder = g_build_filename (tiny, "decoder_f32.safetensors", NULL);
  for (int e = 0; e < 3; e++)
    {
      g_autofree char *encoder = g_build_filename (tiny, encoders[e], NULL);
      ForwardCase fc = { encoder, decoder, { NULL }, 3, labels[e] };

      for (int i = 0; i < 4; i++)
        {
          g_autofree char *name = g_strdup_printf ("%s.safetensors", vector_files[i]);
          g_autofree char *path = g_build_filename (tiny, "forward", name, NULL);
          g_autoptr (GError) error = NULL;

          fc.files[i] = dm_safetensors_open (path, &error);
          g_assert_no_error (error);
        }
      run_debug_case (&fc);
      run_forward_case (&fc);
      for (int i = 0; i < 4; i++)
        dm_safetensors_free (fc.files[i]);
    }
}

/* The same forward through a model file (backbone embedded): what
 * `dinomaly import` writes and `predict` / `eval` load. */
static void
test_forward_through_model_file (void)
{
  g_autofree char *dir = g_build_filename (dm_test_srcdir (), "data", "forward", NULL);
  g_autofree char *encoder_path = g_build_filename (dir, "encoder_timm_bf16.safetensors", NULL);
  g_autofree char *decoder_path = g_build_filename (dir, "decoder_f32.safetensors", NULL);
  g_autofree char *vectors = g_build_filename (dir, "expected.safetensors", NULL);
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *model_path = g_build_filename (tmp, "tiny.dinomaly", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (0, &error);
  g_autoptr (DmVitWeights) encoder = dm_vit_weights_load (encoder_path, -1, &error);
  g_autoptr (DmSafetensors) dec_file = dm_safetensors_open (decoder_path, &error);
  g_autoptr (DmDinomalyWeights) decoder = NULL;
  g_autoptr (DmModelInfo) info = dm_model_info_new ();
  g_autoptr (DmModelInfo) info_back = NULL;
  g_autoptr (DmDinomalyModel) model = NULL;
  g_autoptr (DmInference) inference = NULL;
  g_autoptr (DmSafetensors) expect = dm_safetensors_open (vectors, &error);
  DmSafetensors *files[2] = { expect, NULL };
  g_autofree float *x = NULL, *maps = g_new (float, 2 * 256 * 256), *scores = g_new (float, 2);

  g_assert_no_error (error);
  decoder = dm_dinomaly_weights_load (dec_file, encoder->config.dim, &error);
  g_assert_no_error (error);
  g_assert_true (dm_model_info_set_backbone (info, &encoder->config, &error));
  info->resize = 256;
  info->crop = 224;
  g_assert_true (dm_model_file_write (model_path, info, decoder, encoder, DM_DTYPE_BF16, &error));
  g_assert_no_error (error);

  model = dm_dinomaly_model_load (model_path, NULL, &info_back, &error);
  g_assert_no_error (error);
  g_assert_cmpint (model->crop, ==, 224);
  g_assert_cmpint (model->targets.targets[0], ==, 2);
  g_assert_cmpint (model->encoder->n_blocks, ==, 10);
  inference = dm_inference_new (engine, model, 2, &error);
  g_assert_no_error (error);
  x = expected (files, "x", NULL);
  g_assert_true (dm_inference_run (inference, x, 2, maps, scores, &error));
  g_assert_no_error (error);
  check_tensor (files, "map_256", maps, 2, 1e-5, TRUE, "model-file map_256");
  check_tensor (files, "score", scores, 2, 1e-5, TRUE, "model-file score");
}

/* The .pth without its mask_token, as a safetensors file: timm's
 * vit_*_patch14_dinov2 layout (README §5c), made from the committed file. */
static char *
write_timm_noreg (const char *pth, const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) st = dm_weight_file_open (pth, NULL, &error);
  g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
  char *path = g_build_filename (dir, "vit_tiny_patch14_dinov2.safetensors", NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < dm_safetensors_n_tensors (st); i++)
    {
      const DmTensorInfo *t = dm_safetensors_tensor (st, i);

      if (strcmp (t->name, "mask_token") != 0)
        g_assert_true (dm_safetensors_writer_add_raw (
          w, t->name, t->dtype, dm_safetensors_tensor_bytes (st, t), t->rank, t->shape, &error));
    }
  g_assert_true (dm_safetensors_writer_write (w, path, &error));
  g_assert_no_error (error);
  return path;
}

static void
run_noreg_case (const char *encoder, const char *input, const char *maps, int n, const char *label)
{
  g_autofree char *decoder
    = g_build_filename (dm_test_srcdir (), "data", "forward", "decoder_f32.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  ForwardCase fc = { encoder, decoder, { NULL }, n, label, TRUE };
  g_autoptr (DmVitWeights) w = dm_vit_weights_load (encoder, -1, &error);

  g_assert_no_error (error);
  /* nothing inserted: cls and the 16 x 16 patches */
  g_assert_cmpint (dm_vit_n_tokens (&w->config, 224), ==, 1 + 16 * 16);
  fc.files[0] = dm_safetensors_open (maps, &error);
  g_assert_no_error (error);
  fc.files[1] = dm_safetensors_open (input, &error);
  g_assert_no_error (error);
  run_forward_case (&fc);
  dm_safetensors_free (fc.files[0]);
  dm_safetensors_free (fc.files[1]);
}

/* DINOv2 without registers from the repository copy: Meta's .pth layout
 * and the timm layout made from it, on images 0 and 1. */
static void
test_forward_noreg_repository_copy (void)
{
  g_autofree char *dir = g_build_filename (dm_test_srcdir (), "data", "noreg", NULL);
  g_autofree char *pth = g_build_filename (dir, "dinov2_tiny_pretrain_bf16.pth", NULL);
  g_autofree char *maps = g_build_filename (dir, "maps.safetensors", NULL);
  g_autofree char *input
    = g_build_filename (dm_test_srcdir (), "data", "forward", "expected.safetensors", NULL);
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *timm = write_timm_noreg (pth, tmp);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmVitWeights) w = dm_vit_weights_load (timm, -1, &error);

  g_assert_no_error (error);
  g_assert_cmpint (w->scheme, ==, DM_VIT_SCHEME_TIMM);
  run_noreg_case (pth, input, maps, 2, "noreg pth");
  run_noreg_case (timm, input, maps, 2, "noreg timm");
}

/* All three forms of §5c on all three images. */
static void
test_forward_noreg_shared (void)
{
  const char *shared = dm_test_shared_dir ();
  const char *encoders[] = { "encoder_dinov2_noreg_f32.safetensors", "hf/model.safetensors",
                             "dinov2_tiny_pretrain_bf16.pth" };
  const char *labels[] = { "noreg dinov2 f32", "noreg hf f16", "noreg pth bf16" };
  g_autofree char *dir = NULL, *maps = NULL, *input = NULL;

  if (shared == NULL)
    {
      g_test_skip ("../shared is absent: the repository copy is tested instead");
      return;
    }
  dir = g_build_filename (shared, "testvectors", "tiny_noreg", NULL);
  maps = g_build_filename (dir, "forward", "maps.safetensors", NULL);
  input = g_build_filename (shared, "testvectors", "tiny", "forward", "input.safetensors", NULL);
  for (int e = 0; e < 3; e++)
    {
      g_autofree char *encoder = g_build_filename (dir, encoders[e], NULL);

      run_noreg_case (encoder, input, maps, 3, labels[e]);
    }
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/forward/repository-copy", test_forward_repository_copy);
  g_test_add_func ("/forward/shared-all-schemes", test_forward_shared_all_schemes);
  g_test_add_func ("/forward/through-model-file", test_forward_through_model_file);
  g_test_add_func ("/forward/noreg-repository-copy", test_forward_noreg_repository_copy);
  g_test_add_func ("/forward/noreg-shared", test_forward_noreg_shared);
  status = g_test_run ();
  dm_test_print_error_summary ();
  return status;
}
