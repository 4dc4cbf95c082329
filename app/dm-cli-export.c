/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly export`: a model for other software.
 *
 * --state-dict OUT: the model's tensors under the official Dinomaly names
 * (bottleneck.0.*, decoder.N.*, and encoder.* with the original DINOv2
 * names), as safetensors or as a PyTorch .pth written like torch.save, so
 * the official PyTorch code loads them with load_state_dict. The bytes are
 * the model file's own: a round trip through `dinomaly import` gives the
 * same model bit for bit.
 *
 * --onnx OUT.onnx: the whole inference as an ONNX model
 * (dm-onnx-export.h); --triton DIR: the same in a Triton model repository
 * (dm-triton.h). */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "dm-anomaly-map.h"
#include "dm-cli.h"
#include "dm-dinomaly-weights.h"
#include "dm-dinomaly.h"
#include "dm-error.h"
#include "dm-model-file.h"
#include "dm-onnx-export.h"
#include "dm-pth-writer.h"
#include "dm-safetensors-writer.h"
#include "dm-triton.h"

typedef enum
{
  FORMAT_NONE,
  FORMAT_SAFETENSORS,
  FORMAT_PTH,
} Format;

/* By the name's ending: what torch.save's users call their files. */
static Format
format_of (const char *path)
{
  if (g_str_has_suffix (path, ".safetensors"))
    return FORMAT_SAFETENSORS;
  if (g_str_has_suffix (path, ".pth") || g_str_has_suffix (path, ".pt")
      || g_str_has_suffix (path, ".bin"))
    return FORMAT_PTH;
  return FORMAT_NONE;
}

/* The model file's tensors as they are (raw bytes, their dtype); the
 * embedded encoder unless left out. */
static gboolean
add_model_tensors (const DmSafetensors *st,
                   DmSafetensorsWriter *writer,
                   gboolean with_encoder,
                   GError **error)
{
  for (guint i = 0; i < dm_safetensors_n_tensors (st); i++)
    {
      const DmTensorInfo *t = dm_safetensors_tensor (st, i);

      if (!with_encoder && g_str_has_prefix (t->name, "encoder."))
        continue;
      if (!dm_safetensors_writer_add_raw (writer, t->name, t->dtype,
                                          dm_safetensors_tensor_bytes (st, t), t->rank, t->shape,
                                          error))
        return FALSE;
    }
  return TRUE;
}

static int
export_state_dict (const char *state_path,
                   const char *model_path,
                   const char *backbone_path,
                   gboolean no_backbone)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmModelFile) model = NULL;
  g_autoptr (DmSafetensorsWriter) writer = NULL;
  g_autoptr (DmVitWeights) backbone = NULL;
  g_autofree char *size = NULL;
  DmDinomalyProbe probe;
  gboolean with_encoder;
  GStatBuf out_stat;
  Format format = format_of (state_path);

  if (format == FORMAT_NONE)
    return dm_cli_usage_error ("export",
                               "--state-dict: name the file .safetensors or .pth (or .pt, .bin)");
  if (no_backbone && backbone_path != NULL)
    return dm_cli_usage_error ("export", "--no-backbone and --backbone contradict each other");

  model = dm_model_file_open (model_path, &error);
  if (model == NULL)
    goto failed;
  /* the trained tensors must all be there before anything is written */
  if (!dm_dinomaly_probe (model->st, &probe, &error))
    goto failed;
  dm_dinomaly_probe_clear (&probe);
  if (model->info->backbone_embedded && backbone_path != NULL)
    return dm_cli_usage_error ("export", "--backbone: this model embeds its backbone already");

  writer = dm_safetensors_writer_new ();
  with_encoder = model->info->backbone_embedded && !no_backbone;
  if (!add_model_tensors (model->st, writer, with_encoder, &error))
    goto failed;
  if (backbone_path != NULL)
    {
      /* checked against the SHA-256 the model recorded */
      backbone = dm_model_file_load_backbone (model, backbone_path, -1, &error);
      if (backbone == NULL
          || !dm_vit_weights_add_to_writer (backbone, writer, "encoder.", backbone->source_dtype,
                                            &error))
        goto failed;
      with_encoder = TRUE;
    }
  else if (!model->info->backbone_embedded && !no_backbone)
    g_printerr ("dinomaly export: note: %s refers to its backbone (%s) by SHA-256: encoder.* is "
                "not written; give --backbone FILE to include it\n",
                model_path,
                model->info->backbone_name != NULL ? model->info->backbone_name : "unnamed");

  if (format == FORMAT_PTH)
    {
      if (!dm_pth_write (writer, state_path, &error))
        goto failed;
    }
  else
    {
      /* what the Python safetensors loaders look for */
      dm_safetensors_writer_set_metadata (writer, "format", "pt");
      if (!dm_safetensors_writer_write (writer, state_path, &error))
        goto failed;
    }

  if (g_stat (state_path, &out_stat) == 0)
    size = g_format_size (out_stat.st_size);
  printf ("%s: %u tensors (bottleneck + %d decoder blocks%s), %s, %s\n", state_path,
          dm_safetensors_writer_n_tensors (writer), DM_DECODER_DEPTH,
          with_encoder ? ", encoder.*" : "", size != NULL ? size : "?",
          format == FORMAT_PTH ? "PyTorch state dict (torch.load)" : "safetensors");
  return DM_CLI_OK;

failed:
  dm_cli_print_error ("export", error);
  return DM_CLI_FAILED;
}

/* The model for inference, with its backbone (embedded, or the file the
 * model names by SHA-256). */
static DmDinomalyModel *
load_model (const char *model_path, const char *backbone_path, DmModelInfo **info, GError **error)
{
  g_autoptr (DmModelInfo) loaded = NULL;
  g_autoptr (DmDinomalyModel) model
    = dm_dinomaly_model_load (model_path, backbone_path, &loaded, error);

  if (model == NULL)
    return NULL;
  if (loaded->backbone_embedded && backbone_path != NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s embeds its backbone already: leave --backbone out", model_path);
      return NULL;
    }
  *info = g_steal_pointer (&loaded);
  return g_steal_pointer (&model);
}

static void
print_onnx (const char *path, const DmDinomalyModel *model, guint64 size)
{
  g_autofree char *human = g_format_size (size);

  printf ("%s: ONNX (opset %d, float32), input %s (N, 3, %d, %d), outputs %s (N, %d, %d) and %s "
          "(N), %s\n",
          path, DM_ONNX_OPSET, DM_ONNX_INPUT, model->crop, model->crop, DM_ONNX_OUTPUT_MAP,
          DM_ANOMALY_MAP_SIZE, DM_ANOMALY_MAP_SIZE, DM_ONNX_OUTPUT_SCORE, human);
}

static int
export_onnx (const char *onnx_path, const char *model_path, const char *backbone_path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmModelInfo) info = NULL;
  g_autoptr (DmDinomalyModel) model = NULL;
  guint64 size = 0;

  if (!g_str_has_suffix (onnx_path, ".onnx"))
    return dm_cli_usage_error ("export", "--onnx: name the file .onnx");
  model = load_model (model_path, backbone_path, &info, &error);
  if (model == NULL || !dm_onnx_export_write (model, info, onnx_path, &size, &error))
    {
      dm_cli_print_error ("export", error);
      return DM_CLI_FAILED;
    }
  print_onnx (onnx_path, model, size);
  return DM_CLI_OK;
}

static int
export_triton (const char *repository,
               const char *model_path,
               const char *backbone_path,
               const char *name_option,
               int max_batch,
               int version)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmModelInfo) info = NULL;
  g_autoptr (DmDinomalyModel) model = NULL;
  g_autofree char *name = NULL, *onnx_path = NULL;
  guint64 size = 0;

  name = name_option != NULL ? g_strdup (name_option) : dm_triton_name_from_path (model_path);
  if (!dm_triton_check_name (name, &error))
    return dm_cli_usage_error ("export", error->message);
  model = load_model (model_path, backbone_path, &info, &error);
  if (model == NULL
      || !dm_triton_write_model (model, info, repository, name, version, max_batch, &onnx_path,
                                 &size, &error))
    {
      dm_cli_print_error ("export", error);
      return DM_CLI_FAILED;
    }
  print_onnx (onnx_path, model, size);
  printf ("%s/%s/config.pbtxt: Triton model \"%s\" (onnxruntime backend, batches of up to %d, "
          "dynamic batching)\n",
          repository, name, name, max_batch);
  return DM_CLI_OK;
}

int
dm_cli_export (int argc, char **argv)
{
  g_autofree char *state_path = NULL, *onnx_path = NULL, *triton_dir = NULL;
  g_autofree char *model_path = NULL, *backbone_path = NULL, *name = NULL;
  gboolean no_backbone = FALSE;
  int max_batch = DM_CLI_UNSET_INT, version = DM_CLI_UNSET_INT;
  const GOptionEntry entries[] = {
    { "state-dict", 0, 0, G_OPTION_ARG_FILENAME, &state_path,
      "write the model's tensors under the official Dinomaly names: OUT.safetensors, or "
      "OUT.pth (also .pt, .bin) in torch.save's format",
      "OUT" },
    { "onnx", 0, 0, G_OPTION_ARG_FILENAME, &onnx_path,
      "write the whole inference as ONNX (opset 17): preprocessed images (N, 3, crop, crop) in, "
      "anomaly maps (N, 256, 256) and scores (N) out",
      "OUT.onnx" },
    { "triton", 0, 0, G_OPTION_ARG_FILENAME, &triton_dir,
      "write the ONNX model into the Triton model repository DIR: DIR/NAME/config.pbtxt and "
      "DIR/NAME/VERSION/model.onnx",
      "DIR" },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "the model file to export",
      "M.dinomaly" },
    { "backbone", 0, 0, G_OPTION_ARG_FILENAME, &backbone_path,
      "for a model that refers to its backbone by SHA-256: that file (--state-dict: to include "
      "it as encoder.*)",
      "ENCODER" },
    { "no-backbone", 0, 0, G_OPTION_ARG_NONE, &no_backbone,
      "--state-dict: leave the encoder.* tensors out (only the trained bottleneck and decoder)",
      NULL },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name,
      "--triton: the model's name (default: the model file's name without .dinomaly)", "NAME" },
    { "max-batch", 0, 0, G_OPTION_ARG_INT, &max_batch,
      "--triton: the largest batch Triton forms (default 8)", "N" },
    { "model-version", 0, 0, G_OPTION_ARG_INT, &version,
      "--triton: the version folder (default 1; Triton serves the highest)", "V" },
    { NULL },
  };
  int n_outputs;

  if (!dm_cli_parse ("export", "",
                     "Writes a model for other software: a state dict the official PyTorch code "
                     "loads (safetensors or .pth), the whole inference as ONNX, or a model of a "
                     "Triton Inference Server repository.",
                     entries, &argc, &argv))
    return DM_CLI_USAGE;
  if (argc > 1)
    return dm_cli_usage_error ("export", "unexpected argument (options only)");
  n_outputs = (state_path != NULL) + (onnx_path != NULL) + (triton_dir != NULL);
  if (n_outputs != 1 || model_path == NULL)
    return dm_cli_usage_error ("export",
                               "give --model and one of --state-dict OUT, --onnx OUT.onnx, "
                               "--triton DIR");
  if (!dm_cli_check_int ("export", "--max-batch", max_batch, 1, 4096)
      || !dm_cli_check_int ("export", "--model-version", version, 1, G_MAXINT32))
    return DM_CLI_USAGE;
  if (triton_dir == NULL
      && (name != NULL || max_batch != DM_CLI_UNSET_INT || version != DM_CLI_UNSET_INT))
    return dm_cli_usage_error ("export",
                               "--name, --max-batch and --model-version go with --triton");
  if (state_path == NULL && no_backbone)
    return dm_cli_usage_error ("export", "--no-backbone goes with --state-dict");

  if (state_path != NULL)
    return export_state_dict (state_path, model_path, backbone_path, no_backbone);
  if (onnx_path != NULL)
    return export_onnx (onnx_path, model_path, backbone_path);
  return export_triton (triton_dir, model_path, backbone_path, name,
                        max_batch != DM_CLI_UNSET_INT ? max_batch : DM_TRITON_DEFAULT_MAX_BATCH,
                        version != DM_CLI_UNSET_INT ? version : 1);
}
