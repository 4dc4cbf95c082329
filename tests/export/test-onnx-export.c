/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ONNX export, proven in ONNX Runtime: each model is exported, decoded
 * and checked by the onnx package (check-onnx.py: onnx.checker with full
 * shape inference, a decode/encode/decode round trip), then run in ONNX
 * Runtime (npm's onnxruntime-node) and its anomaly maps and scores are
 * compared with our engine's (dm_inference_run) on the same images —
 * maps within 1e-4 absolute, scores within 1e-4 relative:
 *
 *   tiny-reference  the tiny model of the reference vectors (D 128, 4
 *                   registers, crop 224) on their two preprocessed images,
 *                   also against the PyTorch reference maps and scores
 *   vit-small-224   a random ViT-S/14 with a seeded decoder, crop 224,
 *                   three images run two at a time (batches of 2 and 1)
 *   no-registers    a random encoder without registers (D 64), crop 126
 *                   (a 9 x 9 grid): the graph follows the model's shape
 *
 * The ONNX Runtime steps skip, saying why, when node or the npm package is
 * absent (build-aux/install-deps.sh installs both); the export and the
 * checker always run. */
#include <math.h>
#include <string.h>

#include "dm-dinomaly.h"
#include "dm-error.h"
#include "dm-onnx-export.h"
#include "dm-safetensors-writer.h"
#include "dm-safetensors.h"
#include "dm-test-data.h"
#include "dm-test-onnx.h"
#include "dm-test-util.h"
#include "dm-vit-random.h"

#define MAP_TOLERANCE 1e-4   /* absolute, on the 256 x 256 maps */
#define SCORE_TOLERANCE 1e-4 /* relative, on the image scores */
#define MAP_PIXELS (256 * 256)

/* The largest differences seen, printed at the end for the notes. */
typedef struct
{
  char what[96];
  double map_abs;
  double score_rel;
} Figure;

static Figure figures[16];
static int n_figures;

static void
record (const char *what, double map_abs, double score_rel)
{
  Figure *f;

  g_assert_cmpint (n_figures, <, (int)G_N_ELEMENTS (figures));
  f = &figures[n_figures++];
  g_strlcpy (f->what, what, sizeof f->what);
  f->map_abs = map_abs;
  f->score_rel = score_rel;
}

static double
max_rel_diff (const float *a, const float *b, gsize n)
{
  double worst = 0;

  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabs ((double)a[i] - b[i]) / MAX (fabs ((double)b[i]), 1e-30));
  return worst;
}

/* Compares maps (B, 256, 256) and scores (B) with the tolerances. */
static void
compare (const char *what,
         const float *maps,
         const float *scores,
         const float *want_maps,
         const float *want_scores,
         int B)
{
  double map_abs = dm_test_max_abs_diff (maps, want_maps, (gsize)B * MAP_PIXELS);
  double score_rel = max_rel_diff (scores, want_scores, B);

  g_test_message ("%s: maps max abs diff %.3g, scores max rel diff %.3g", what, map_abs, score_rel);
  record (what, map_abs, score_rel);
  if (!(map_abs <= MAP_TOLERANCE))
    g_error ("%s: maps differ by %.3g > %g", what, map_abs, MAP_TOLERANCE);
  if (!(score_rel <= SCORE_TOLERANCE))
    g_error ("%s: scores differ by %.3g (relative) > %g", what, score_rel, SCORE_TOLERANCE);
}

static float *
read_tensor (const char *path, const char *name, gsize n)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) st = dm_safetensors_open (path, &error);
  float *data = g_new (float, n);

  g_assert_no_error (error);
  g_assert_true (dm_safetensors_read_f32 (st, name, data, n, &error));
  g_assert_no_error (error);
  return data;
}

static void
write_images (const char *path, const float *x, int B, int crop)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
  const gint64 shape[] = { B, 3, crop, crop };

  g_assert_true (dm_safetensors_writer_add_f32 (w, "x", DM_DTYPE_F32, x, 4, shape, &error));
  g_assert_true (dm_safetensors_writer_write (w, path, &error));
  g_assert_no_error (error);
}

/* The checker's view of the file: the interface, the operator set, the
 * cls + registers constant of the model's shape, and only the encoder
 * blocks up to the last target. */
static void
check_summary (JsonObject *s, const DmDinomalyModel *model, const DmModelInfo *info)
{
  const DmVitConfig *c = &model->encoder->config;
  JsonObject *opset = json_object_get_object_member (s, "opset");
  JsonObject *inits = json_object_get_object_member (s, "initializers");
  JsonObject *meta = json_object_get_object_member (s, "metadata");
  JsonObject *ops = json_object_get_object_member (s, "ops");
  JsonArray *inputs = json_object_get_array_member (s, "inputs");
  JsonArray *outputs = json_object_get_array_member (s, "outputs");
  JsonArray *dims;
  int last = model->targets.targets[model->targets.n_targets - 1];
  char name[96];

  g_assert_cmpint (json_object_get_int_member (s, "ir_version"), ==, DM_ONNX_IR_VERSION);
  g_assert_cmpint (json_object_get_int_member (opset, ""), ==, DM_ONNX_OPSET);
  g_assert_cmpuint (json_array_get_length (inputs), ==, 1);
  g_assert_cmpuint (json_array_get_length (outputs), ==, 2);
  g_assert_cmpstr (
    json_object_get_string_member (json_array_get_object_element (inputs, 0), "name"), ==,
    DM_ONNX_INPUT);
  dims = json_object_get_array_member (json_array_get_object_element (inputs, 0), "dims");
  g_assert_cmpstr (json_array_get_string_element (dims, 0), ==, DM_ONNX_BATCH_PARAM);
  g_assert_cmpint (json_array_get_int_element (dims, 2), ==, model->crop);
  g_assert_cmpstr (
    json_object_get_string_member (json_array_get_object_element (outputs, 0), "name"), ==,
    DM_ONNX_OUTPUT_MAP);
  g_assert_cmpstr (
    json_object_get_string_member (json_array_get_object_element (outputs, 1), "name"), ==,
    DM_ONNX_OUTPUT_SCORE);
  for (const char *const *op = (const char *const[]){ "Conv", "LayerNormalization", "Gemm",
                                                      "Softmax", "Elu", "Resize", "TopK", NULL };
       *op != NULL; op++)
    g_assert_true (json_object_has_member (ops, *op));
  /* eval: nothing random in the graph */
  g_assert_false (json_object_has_member (ops, "Dropout"));

  dims = json_object_get_array_member (inits, "encoder.cls_and_registers");
  g_assert_cmpint (json_array_get_int_element (dims, 1), ==, 1 + c->n_registers);
  g_assert_cmpint (json_array_get_int_element (dims, 2), ==, c->dim);
  g_snprintf (name, sizeof name, "encoder.blocks.%d.mlp.fc2.weight", last);
  g_assert_true (json_object_has_member (inits, name));
  g_snprintf (name, sizeof name, "encoder.blocks.%d.norm1.weight", last + 1);
  g_assert_false (json_object_has_member (inits, name));
  g_assert_true (json_object_has_member (inits, "decoder.7.mlp.fc2.bias"));

  for (const char *const *key
       = (const char *const[]){ "dinomaly.classes", "dinomaly.thresholds", "dinomaly.input",
                                "dinomaly.preprocessing", "dinomaly.outputs", NULL };
       *key != NULL; key++)
    g_assert_true (json_object_has_member (meta, *key));
  {
    g_autofree char *classes = dm_model_info_section_to_json (info, "classes");
    g_autofree char *thresholds = dm_model_info_section_to_json (info, "thresholds");

    g_assert_cmpstr (json_object_get_string_member (meta, "dinomaly.classes"), ==, classes);
    g_assert_cmpstr (json_object_get_string_member (meta, "dinomaly.thresholds"), ==, thresholds);
  }
  dm_test_assert_has (json_object_get_string_member (meta, "dinomaly.preprocessing"),
                      "PIL bilinear, 8-bit path");
}

/* Exports model, checks the file, runs B images x through the engine and
 * ONNX Runtime (ort_batch at a time) and compares; also with the
 * reference when given. */
static void
run_case (const char *label,
          const DmDinomalyModel *model,
          const DmModelInfo *info,
          const float *x,
          int B,
          int ort_batch,
          const float *ref_maps,
          const float *ref_scores)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *onnx = g_strdup_printf ("%s/%s.onnx", dir, label);
  g_autofree char *input = g_build_filename (dir, "input.safetensors", NULL);
  g_autofree char *output = g_build_filename (dir, "output.safetensors", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (DmEngine) engine = NULL;
  g_autoptr (DmInference) inference = NULL;
  g_autofree float *maps = g_new (float, (gsize)B *MAP_PIXELS);
  g_autofree float *scores = g_new (float, B);
  g_autofree float *ort_maps = NULL, *ort_scores = NULL;
  g_autofree char *reason = NULL, *what = NULL;
  guint64 size = 0;
  JsonObject *summary;

  g_assert_true (dm_onnx_export_write (model, info, onnx, &size, &error));
  g_assert_no_error (error);
  summary = dm_test_onnx_check (parser, "model", onnx, NULL);
  g_assert_cmpint (json_object_get_int_member (summary, "bytes"), ==, size);
  check_summary (summary, model, info);
  g_test_message ("%s: %s, %" G_GUINT64_FORMAT " bytes, %" G_GINT64_FORMAT " nodes", label, onnx,
                  size, json_object_get_int_member (summary, "n_nodes"));
  g_print ("# %s: ONNX file %" G_GUINT64_FORMAT " bytes, %" G_GINT64_FORMAT " nodes\n", label, size,
           json_object_get_int_member (summary, "n_nodes"));

  engine = dm_engine_new (0, &error);
  g_assert_no_error (error);
  inference = dm_inference_new (engine, model, B, &error);
  g_assert_no_error (error);
  g_assert_true (dm_inference_run (inference, x, B, maps, scores, &error));
  g_assert_no_error (error);
  if (ref_maps != NULL)
    {
      what = g_strdup_printf ("%s: engine vs reference", label);
      compare (what, maps, scores, ref_maps, ref_scores, B);
      g_clear_pointer (&what, g_free);
    }

  if (!dm_test_onnxruntime_available (&reason))
    {
      g_test_skip (reason);
      return;
    }
  write_images (input, x, B, model->crop);
  dm_test_onnxruntime_run (onnx, input, "x", ort_batch, output);
  ort_maps = read_tensor (output, DM_ONNX_OUTPUT_MAP, (gsize)B * MAP_PIXELS);
  ort_scores = read_tensor (output, DM_ONNX_OUTPUT_SCORE, B);
  what = g_strdup_printf ("%s: ONNX Runtime vs engine", label);
  compare (what, ort_maps, ort_scores, maps, scores, B);
  if (ref_maps != NULL)
    {
      g_clear_pointer (&what, g_free);
      what = g_strdup_printf ("%s: ONNX Runtime vs reference", label);
      compare (what, ort_maps, ort_scores, ref_maps, ref_scores, B);
    }
}

static void
tiny_thresholds (DmModelInfo *info)
{
  info->n_thresholds = 2;
  info->thresholds = g_new0 (DmClassThreshold, 2);
  info->thresholds[0] = (DmClassThreshold){ g_strdup ("tire"), 1.05, 0.9, TRUE, 1.0, 1.1 };
  info->thresholds[1] = (DmClassThreshold){ g_strdup ("mt"), 0.8, 0.7, FALSE, 0, 0 };
}

static void
test_tiny_reference (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "tiny.dinomaly", NULL);
  g_autofree char *vectors
    = g_build_filename (dm_test_srcdir (), "data", "forward", "expected.safetensors", NULL);
  g_autoptr (DmModelInfo) info = NULL;
  g_autoptr (DmDinomalyModel) model = NULL;
  g_autofree float *x = NULL, *ref_maps = NULL, *ref_scores = NULL;
  int B = 2;

  dm_test_write_tiny_model (path, "tire,mt", tiny_thresholds);
  model = dm_dinomaly_model_load (path, NULL, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpint (model->encoder->config.n_registers, ==, 4);
  x = read_tensor (vectors, "x", (gsize)B * 3 * 224 * 224);
  ref_maps = read_tensor (vectors, "map_256", (gsize)B * MAP_PIXELS);
  ref_scores = read_tensor (vectors, "score", B);
  run_case ("tiny-reference", model, info, x, B, B, ref_maps, ref_scores);
}

/* A model of random weights: the encoder of a config (blocks up to the
 * last target), a decoder with the training init. */
static void
random_model (const DmVitConfig *config,
              int resize,
              int crop,
              DmDinomalyModel **model_out,
              DmModelInfo **info_out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmModelInfo) info = dm_model_info_new ();
  DmVitWeights *encoder;
  DmDinomalyWeights *decoder;
  DmDinomalyModel *model;

  g_assert_true (dm_model_info_set_backbone (info, config, &error));
  info->resize = resize;
  info->crop = crop;
  g_strfreev (info->class_names);
  info->class_names = g_strsplit ("part", ",", -1);
  encoder = dm_vit_weights_new_random (config, dm_model_info_last_target (info) + 1, 11, &error);
  g_assert_no_error (error);
  decoder = dm_dinomaly_weights_new (config->dim, &error);
  g_assert_no_error (error);
  dm_dinomaly_weights_init (decoder, 7);
  model = dm_dinomaly_model_new (encoder, decoder, &error);
  g_assert_no_error (error);
  model->resize = resize;
  model->crop = crop;
  *model_out = model;
  *info_out = g_steal_pointer (&info);
}

/* B random images in [-2, 2] through a random model of config. */
static void
random_case (const char *label,
             const DmVitConfig *config,
             int resize,
             int crop,
             int B,
             int ort_batch,
             guint64 seed)
{
  g_autoptr (DmModelInfo) info = NULL;
  g_autoptr (DmDinomalyModel) model = NULL;
  gsize n = (gsize)B * 3 * crop * crop;
  g_autofree float *x = g_new (float, n);

  random_model (config, resize, crop, &model, &info);
  dm_test_fill_uniform (x, n, -2.0f, 2.0f, seed);
  run_case (label, model, info, x, B, ort_batch, NULL, NULL);
}

static void
test_vit_small (void)
{
  DmVitConfig config;

  if (g_getenv ("DM_TEST_QUICK") != NULL)
    {
      g_test_skip ("DM_TEST_QUICK: ViT-S at 224 is too slow under the sanitizers");
      return;
    }
  g_assert_true (dm_vit_config_for_arch ("small", &config));
  random_case ("vit-small-224", &config, 256, 224, 3, 2, 5);
}

static void
test_no_registers (void)
{
  DmVitConfig config;

  g_assert_true (dm_vit_config_for_arch ("tiny", &config));
  config.n_registers = 0;
  random_case ("no-registers", &config, 144, 126, 2, 1, 9);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/onnx/tiny-reference", test_tiny_reference);
  g_test_add_func ("/onnx/vit-small-224", test_vit_small);
  g_test_add_func ("/onnx/no-registers", test_no_registers);
  status = g_test_run ();
  g_print ("# largest differences (maps: max abs, scores: max relative)\n");
  for (int i = 0; i < n_figures; i++)
    g_print ("#   %-44s maps %.3g  scores %.3g\n", figures[i].what, figures[i].map_abs,
             figures[i].score_rel);
  return status;
}
