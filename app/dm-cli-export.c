/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly export --state-dict OUT --model M.dinomaly`: a model's tensors
 * under the official Dinomaly names (bottleneck.0.*, decoder.N.*, and
 * encoder.* with the original DINOv2 names), as safetensors or as a PyTorch
 * .pth written like torch.save, so the official PyTorch code loads them
 * with load_state_dict. The bytes are the model file's own: a round trip
 * through `dinomaly import` gives the same model bit for bit. */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "dm-cli.h"
#include "dm-dinomaly-weights.h"
#include "dm-model-file.h"
#include "dm-pth-writer.h"
#include "dm-safetensors-writer.h"

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

int
dm_cli_export (int argc, char **argv)
{
  g_autofree char *state_path = NULL, *model_path = NULL, *backbone_path = NULL;
  gboolean no_backbone = FALSE;
  const GOptionEntry entries[] = {
    { "state-dict", 0, 0, G_OPTION_ARG_FILENAME, &state_path,
      "write the model's tensors under the official Dinomaly names: OUT.safetensors, or "
      "OUT.pth (also .pt, .bin) in torch.save's format",
      "OUT" },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, "the model file to export",
      "M.dinomaly" },
    { "no-backbone", 0, 0, G_OPTION_ARG_NONE, &no_backbone,
      "leave the encoder.* tensors out (only the trained bottleneck and decoder)", NULL },
    { "backbone", 0, 0, G_OPTION_ARG_FILENAME, &backbone_path,
      "for a model that refers to its backbone by SHA-256: that file, to include it as encoder.*",
      "ENCODER" },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (DmModelFile) model = NULL;
  g_autoptr (DmSafetensorsWriter) writer = NULL;
  g_autoptr (DmVitWeights) backbone = NULL;
  g_autofree char *size = NULL;
  DmDinomalyProbe probe;
  gboolean with_encoder;
  GStatBuf out_stat;
  Format format;

  if (!dm_cli_parse ("export", "",
                     "Writes a model's tensors for other software: a state dict the official "
                     "PyTorch code loads (safetensors or .pth).",
                     entries, &argc, &argv))
    return DM_CLI_USAGE;
  if (argc > 1)
    return dm_cli_usage_error ("export", "unexpected argument (options only)");
  if (state_path == NULL || model_path == NULL)
    return dm_cli_usage_error ("export", "--state-dict OUT and --model are required");
  format = format_of (state_path);
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
