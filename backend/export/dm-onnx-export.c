/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A Dinomaly model as an ONNX file: the graph (dm-onnx-dinomaly.c), the
 * model's sections and the preprocessing as metadata, written atomically. */
#include "config.h"

#include "dm-onnx-export.h"

#include "dm-anomaly-map.h"
#include "dm-json-writer.h"

/* The model file's sections a consumer of the ONNX file can use, under
 * the model file's own keys (dinomaly.<section>); the dropout (training
 * only) and the format version of the model file are left out. */
static const char *const metadata_sections[] = {
  "classes",       "thresholds", "input",    "architecture",
  "target_blocks", "groups",     "backbone", "training",
};

char *
dm_onnx_preprocessing_text (const DmModelInfo *info)
{
  DmJsonWriter *j = dm_json_writer_new (FALSE);
  g_autofree char *steps = g_strdup_printf (
    "decode to RGB (gray replicated, alpha dropped; 16-bit samples as v / 257 floats, never "
    "rounded to 8 bits); resize to %d x %d as PIL's Image.resize(BILINEAR) does (torchvision "
    "Resize): 8-bit images on PIL's 8-bit path (fixed-point weights, each pass rounded and "
    "clamped to 0..255, horizontal pass first), 16-bit ones in float; center-crop %d x %d at "
    "offset round((%d - %d) / 2); (v / 255 - mean[c]) / std[c] per channel in float32; "
    "channels first: (N, 3, %d, %d) RGB",
    info->resize, info->resize, info->crop, info->crop, info->resize, info->crop, info->crop,
    info->crop);

  dm_json_writer_begin_object (j);
  dm_json_writer_member_int (j, "resize", info->resize);
  dm_json_writer_member_string (j, "resize_filter", "PIL bilinear, 8-bit path");
  dm_json_writer_member_int (j, "crop", info->crop);
  dm_json_writer_member_string (j, "crop_offset", "round((resize - crop) / 2)");
  dm_json_writer_key (j, "mean");
  dm_json_writer_begin_inline_array (j);
  for (int c = 0; c < 3; c++)
    dm_json_writer_number (j, info->mean[c]);
  dm_json_writer_end_array (j);
  dm_json_writer_key (j, "std");
  dm_json_writer_begin_inline_array (j);
  for (int c = 0; c < 3; c++)
    dm_json_writer_number (j, info->std[c]);
  dm_json_writer_end_array (j);
  dm_json_writer_member_string (j, "layout", "NCHW, RGB, float32");
  dm_json_writer_member_string (j, "steps", steps);
  dm_json_writer_end_object (j);
  return dm_json_writer_free_to_text (j);
}

/* What the outputs mean and the decision rule of the thresholds. */
static char *
outputs_text (void)
{
  return g_strdup_printf (
    "%s (N, %d, %d): the anomaly map of the center crop, resized to %d x %d and blurred "
    "(Gaussian %dx%d, sigma %g); %s (N): the mean of its %d largest pixels. Decisions "
    "(dinomaly.thresholds, per class): with an uncertain band [low, high), a score below low "
    "passes, at or above high fails, in between is uncertain; without one, a score at or above "
    "the image threshold fails. Map pixels at or above the pixel threshold are defect regions.",
    DM_ONNX_OUTPUT_MAP, DM_ANOMALY_MAP_SIZE, DM_ANOMALY_MAP_SIZE, DM_ANOMALY_MAP_SIZE,
    DM_ANOMALY_MAP_SIZE, DM_ANOMALY_BLUR_SIZE, DM_ANOMALY_BLUR_SIZE, DM_ANOMALY_BLUR_SIGMA,
    DM_ONNX_OUTPUT_SCORE, DM_ANOMALY_TOP_K);
}

DmOnnxBuilder *
dm_onnx_export_build (const DmDinomalyModel *model, const DmModelInfo *info)
{
  DmOnnxBuilder *b = dm_onnx_builder_new ("dinomaly");
  g_autofree char *preprocessing = dm_onnx_preprocessing_text (info);
  g_autofree char *outputs = outputs_text ();

  dm_onnx_builder_set_producer (b, "Dinomaly Studio", PACKAGE_VERSION);
  dm_onnx_builder_set_doc (b, "Dinomaly anomaly detector (CVPR 2025): a preprocessed image in, "
                              "its 256 x 256 anomaly map and image score out.");
  for (guint i = 0; i < G_N_ELEMENTS (metadata_sections); i++)
    {
      g_autofree char *key = NULL, *value = NULL;

      if (g_str_equal (metadata_sections[i], "training") && !info->has_training)
        continue;
      key = g_strconcat ("dinomaly.", metadata_sections[i], NULL);
      value = dm_model_info_section_to_json (info, metadata_sections[i]);
      dm_onnx_builder_add_metadata (b, key, value);
    }
  dm_onnx_builder_add_metadata (b, "dinomaly.preprocessing", preprocessing);
  dm_onnx_builder_add_metadata (b, "dinomaly.outputs", outputs);
  dm_onnx_add_dinomaly (b, model);
  return b;
}

gboolean
dm_onnx_export_write (const DmDinomalyModel *model,
                      const DmModelInfo *info,
                      const char *path,
                      guint64 *size_out,
                      GError **error)
{
  g_autoptr (DmOnnxBuilder) b = dm_onnx_export_build (model, info);

  if (!dm_onnx_builder_write (b, path, error))
    return FALSE;
  if (size_out != NULL)
    *size_out = dm_onnx_builder_size (b);
  return TRUE;
}
