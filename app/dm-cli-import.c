/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly import`: builds a model file from an encoder (any naming
 * scheme) and bottleneck/decoder weights under the official names, e.g. a
 * model trained with the official PyTorch code. */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm-calibrate.h"
#include "dm-cli.h"
#include "dm-dinomaly-weights.h"
#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-model-file.h"
#include "dm-safetensors.h"
#include "dm-vit-weights.h"
#include "dm-weight-file.h"

/* "2,3,4" -> blocks; FALSE on anything else. */
static gboolean
parse_blocks (const char *text, int *blocks, int *n)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);

  *n = 0;
  for (char **p = parts; *p != NULL; p++)
    {
      guint64 v;

      if (*n >= DM_MODEL_MAX_TARGETS
          || !g_ascii_string_to_unsigned (g_strstrip (*p), 10, 0, 4095, &v, NULL))
        return FALSE;
      blocks[(*n)++] = (int)v;
    }
  return *n > 0;
}

int
dm_cli_import (int argc, char **argv)
{
  g_autofree char *backbone_path = NULL, *weights_path = NULL, *out_path = NULL;
  g_autofree char *targets = NULL, *classes = NULL;
  g_auto (GStrv) calibrate = NULL;
  double quantile = DM_CALIBRATE_DEFAULT_QUANTILE;
  int resize = 448, crop = 392;
  double dropout = 0.2;
  gboolean no_embed = FALSE;
  const GOptionEntry entries[] = {
    { "backbone", 0, 0, G_OPTION_ARG_FILENAME, &backbone_path,
      "DINOv2 encoder, with or without registers (original, HuggingFace or timm names); "
      "optional when WEIGHTS holds encoder.*; safetensors or PyTorch .pth",
      "ENCODER.safetensors|.pth" },
    { "weights", 0, 0, G_OPTION_ARG_FILENAME, &weights_path,
      "bottleneck.0.* and decoder.N.* under the official Dinomaly names (a state dict or a "
      "checkpoint holding one; safetensors or PyTorch .pth)",
      "STATE.safetensors|.pth" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_path, "the model file to write", "M.dinomaly" },
    { "resize", 0, 0, G_OPTION_ARG_INT, &resize, "resize side the model was trained with (448)",
      "N" },
    { "crop", 0, 0, G_OPTION_ARG_INT, &crop, "center crop side, a multiple of the patch (392)",
      "N" },
    { "target-blocks", 0, 0, G_OPTION_ARG_STRING, &targets,
      "encoder blocks fused, 0-based (default 2..9, ViT-L 4,6,...,18); two groups of halves",
      "2,3,...,9" },
    { "dropout", 0, 0, G_OPTION_ARG_DOUBLE, &dropout, "bottleneck dropout used in training (0.2)",
      "P" },
    { "classes", 0, 0, G_OPTION_ARG_STRING, &classes, "class names, comma-separated", "A,B" },
    { "calibrate", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &calibrate,
      "then store thresholds from a folder of good parts, as dinomaly calibrate does (CLASS= "
      "in front when there are several classes; several allowed)",
      "[CLASS=]DIR" },
    { "quantile", 0, 0, G_OPTION_ARG_DOUBLE, &quantile,
      "with --calibrate: the share of good parts that pass (0.99)", "Q" },
    { "no-embed-backbone", 0, 0, G_OPTION_ARG_NONE, &no_embed,
      "refer to the backbone file by its SHA-256 instead of embedding it", NULL },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (DmSafetensors) state = NULL;
  g_autoptr (DmVitWeights) backbone = NULL;
  g_autoptr (DmDinomalyWeights) weights = NULL;
  g_autoptr (DmModelInfo) info = NULL;
  g_autofree char *sha = NULL, *size = NULL;
  const char *backbone_file;
  GStatBuf out_stat;

  if (!dm_cli_parse (
        "import", "",
        "Builds a model file (.dinomaly) from an encoder and bottleneck/decoder weights.", entries,
        &argc, &argv))
    return DM_CLI_USAGE;
  if (argc > 1)
    return dm_cli_usage_error ("import", "unexpected argument (options only)");
  if (weights_path == NULL || out_path == NULL)
    return dm_cli_usage_error ("import", "--weights and --out are required");
  if (!(quantile > 0 && quantile <= 1))
    return dm_cli_usage_error ("import", "--quantile: give a number in (0, 1]");
  if (no_embed && backbone_path == NULL)
    return dm_cli_usage_error (
      "import", "--no-embed-backbone needs --backbone: the model refers to that file");
  if (!dm_cli_check_int ("import", "--resize", resize, 14, 8192)
      || !dm_cli_check_int ("import", "--crop", crop, 14, 8190)
      || !dm_cli_check_double ("import", "--dropout", dropout, 0, 0.99))
    return DM_CLI_USAGE;
  if (crop % 14 != 0 || crop > resize)
    {
      g_autofree char *message = g_strdup_printf (
        "--crop %d: must be a multiple of the 14-pixel patch, at most --resize (%d)", crop, resize);
      return dm_cli_usage_error ("import", message);
    }

  state = dm_weight_file_open (weights_path, NULL, &error);
  if (state == NULL)
    goto failed;
  /* The backbone: its own file, or the encoder.* inside the state dict. */
  if (backbone_path != NULL)
    backbone = dm_vit_weights_load (backbone_path, -1, &error);
  else
    backbone = dm_vit_weights_load_from (state, NULL, -1, &error);
  if (backbone == NULL)
    {
      if (backbone_path == NULL)
        g_prefix_error (&error, "no --backbone, and the weights hold no usable encoder: ");
      goto failed;
    }
  weights = dm_dinomaly_weights_load (state, backbone->config.dim, &error);
  if (weights == NULL)
    goto failed;

  backbone_file = backbone_path != NULL ? backbone_path : weights_path;
  sha = dm_file_sha256 (backbone_file, &error);
  if (sha == NULL)
    goto failed;
  info = dm_model_info_new ();
  if (targets == NULL)
    {
      if (!dm_model_info_set_backbone (info, &backbone->config, &error))
        {
          g_printerr ("dinomaly import: %s: %s; give them with --target-blocks\n", backbone_file,
                      error->message);
          return DM_CLI_FAILED;
        }
    }
  else
    {
      int n;

      info->arch = backbone->config;
      if (!parse_blocks (targets, info->target_blocks, &n) || n % 2 != 0)
        return dm_cli_usage_error (
          "import", "--target-blocks: give an even number of blocks, e.g. 2,3,4,5,6,7,8,9");
      info->n_targets = n;
      info->n_groups = 2;
      for (int g = 0; g < 2; g++)
        {
          info->group_size[g] = n / 2;
          for (int i = 0; i < n / 2; i++)
            info->groups[g][i] = info->target_blocks[g * n / 2 + i];
        }
    }
  info->resize = resize;
  info->crop = crop;
  info->dropout = dropout;
  if (classes != NULL)
    {
      g_strfreev (info->class_names);
      info->class_names = g_strsplit (classes, ",", -1);
    }
  info->backbone_name = g_path_get_basename (backbone_file);
  info->backbone_sha256 = g_steal_pointer (&sha);
  info->backbone_embedded = !no_embed;
  info->backbone_scheme = backbone->scheme;

  if (!dm_model_file_write (out_path, info, weights, no_embed ? NULL : backbone,
                            backbone->source_dtype, &error))
    goto failed;

  if (g_stat (out_path, &out_stat) == 0)
    size = g_format_size (out_stat.st_size);
  printf ("%s: model for D %d, depth %d (%s naming%s%s), crop %d, %s; backbone %s\n", out_path,
          backbone->config.dim, backbone->config.depth, dm_vit_scheme_name (backbone->scheme),
          backbone->prefix[0] ? ", prefix " : "", backbone->prefix, info->crop,
          size != NULL ? size : "?", no_embed ? "referred to by SHA-256" : "embedded");
  if (!dm_cli_calibrate_model ("import", out_path, backbone_file, calibrate, quantile, 0))
    return DM_CLI_FAILED;
  return DM_CLI_OK;

failed:
  dm_cli_print_error ("import", error);
  return DM_CLI_FAILED;
}
