/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly info FILE`: says what a weight or model file is, or exactly why
 * it cannot be used (exit code 1). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "dm-backbone-check.h"
#include "dm-cli.h"
#include "dm-dinomaly-weights.h"
#include "dm-error.h"
#include "dm-model-file.h"
#include "dm-safetensors.h"
#include "dm-vit-weights.h"
#include "dm-weight-file.h"

/* 1234567 -> "1,234,567" */
static char *
thousands (guint64 n)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, n);
  GString *s = g_string_new (NULL);
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (s, ',');
      g_string_append_c (s, digits[i]);
    }
  return g_string_free (s, FALSE);
}

static gboolean
has_suffix_key (const DmSafetensors *st, const char *suffix)
{
  gsize slen = strlen (suffix);

  for (guint i = 0; i < dm_safetensors_n_tensors (st); i++)
    {
      const char *name = dm_safetensors_tensor (st, i)->name;
      gsize len = strlen (name);

      if (len >= slen && strcmp (name + len - slen, suffix) == 0)
        return TRUE;
    }
  return FALSE;
}

/* The family and, for a shape Meta released, where its files come from. */
static void
print_family (const DmVitConfig *c)
{
  g_autofree char *family = dm_backbone_family_name (c);
  DmBackboneOfficial o;

  printf ("  family         %s\n", family);
  if (dm_backbone_official (c, &o))
    printf ("  official files %s (%s), HuggingFace %s, timm %s\n", o.pth, DM_BACKBONE_META_REPO,
            o.hf, o.timm);
}

static void
print_arch (const DmVitConfig *c)
{
  print_family (c);
  printf ("  architecture   ViT/%d: D %d, %d heads of %d, depth %d, %d registers, MLP %d, "
          "position grid %dx%d, LayerNorm eps %g\n",
          c->patch_size, c->dim, c->heads, c->head_dim, c->depth, c->n_registers, c->mlp_hidden,
          c->pos_grid, c->pos_grid, c->ln_eps);
}

static void
print_encoder (const DmVitProbe *p)
{
  g_autofree char *params = thousands (p->n_params);
  g_autofree char *dtypes = dm_dtype_mask_to_string (p->dtype_mask);

  printf ("  naming scheme  %s (key prefix: %s%s%s)\n",
          dm_vit_scheme_description (p->scheme, p->config.n_registers), p->prefix[0] ? "'" : "",
          p->prefix[0] ? p->prefix : "none", p->prefix[0] ? "'" : "");
  if (p->scheme == DM_VIT_SCHEME_HF)
    printf ("  config.json    %s\n", p->config_json != NULL
                                       ? p->config_json
                                       : "none beside the file (shapes used; heads = D/64)");
  print_arch (&p->config);
  printf ("  parameters     %s in %u tensors, %s\n", params, p->n_tensors, dtypes);
}

static void
print_decoder (const DmDinomalyProbe *p)
{
  g_autofree char *params = thousands (p->n_params);
  g_autofree char *dtypes = dm_dtype_mask_to_string (p->dtype_mask);

  printf ("  decoder        bottleneck + %d decoder blocks, D %d, MLP %d (key prefix: %s%s%s)\n",
          DM_DECODER_DEPTH, p->dim, DM_DINOMALY_MLP_RATIO * p->dim, p->prefix[0] ? "'" : "",
          p->prefix[0] ? p->prefix : "none", p->prefix[0] ? "'" : "");
  printf ("  parameters     %s in %d tensors, %s\n", params, DM_DINOMALY_N_PARAMS, dtypes);
}

static void
print_ints (const int *v, int n)
{
  for (int i = 0; i < n; i++)
    printf ("%s%d", i > 0 ? " " : "", v[i]);
}

static void
print_model (const DmModelInfo *info)
{
  printf ("  input          resize %d, crop %d (grid %dx%d), mean (%g, %g, %g), std (%g, %g, %g)\n",
          info->resize, info->crop, info->crop / info->arch.patch_size,
          info->crop / info->arch.patch_size, info->mean[0], info->mean[1], info->mean[2],
          info->std[0], info->std[1], info->std[2]);
  printf ("  target blocks  ");
  print_ints (info->target_blocks, info->n_targets);
  printf ("; groups");
  for (int g = 0; g < info->n_groups; g++)
    {
      printf (" [");
      print_ints (info->groups[g], info->group_size[g]);
      printf ("]");
    }
  printf ("\n  dropout        %g\n", info->dropout);
  if (info->class_names[0] == NULL)
    printf ("  classes        none recorded\n");
  else
    {
      g_autofree char *joined = g_strjoinv (", ", info->class_names);
      printf ("  classes        %u: %s\n", g_strv_length (info->class_names), joined);
    }
  for (guint i = 0; i < info->n_thresholds; i++)
    {
      const DmClassThreshold *t = &info->thresholds[i];

      printf ("  threshold      %s: image %.6g, pixel %.6g", t->class_name, t->image, t->pixel);
      if (t->has_uncertain)
        printf (", uncertain [%.6g, %.6g]", t->uncertain_low, t->uncertain_high);
      printf ("\n");
    }
  if (info->n_thresholds == 0)
    printf ("  thresholds     none (not calibrated)\n");
  if (info->has_training)
    {
      const DmTrainingRecord *t = &info->training;

      printf ("  training       %" G_GINT64_FORMAT
              " iterations, batch %d, lr %g, seed %" G_GINT64_FORMAT
              ", %.0f s%s%s, final loss %.6g\n",
              t->iterations, t->batch_size, t->lr, t->seed, t->seconds,
              t->started != NULL ? ", started " : "", t->started != NULL ? t->started : "",
              t->final_loss);
    }
  else
    printf ("  training       no record (imported)\n");
}

static int
info_model (const DmSafetensors *st, GError **error)
{
  g_autoptr (DmModelInfo) info = dm_model_info_from_file (st, error);
  DmDinomalyProbe dec;
  DmVitProbe enc;

  if (info == NULL || !dm_model_file_check_tensors (st, info, error))
    return DM_CLI_FAILED;
  if (!dm_dinomaly_probe (st, &dec, error))
    return DM_CLI_FAILED;
  printf ("%s: Dinomaly model file (format version %d)\n", dm_safetensors_path (st),
          info->format_version);
  print_arch (&info->arch);
  if (info->backbone_embedded)
    {
      g_autofree char *params = NULL, *dtypes = NULL;

      if (!dm_vit_probe (st, NULL, &enc, error))
        {
          dm_dinomaly_probe_clear (&dec);
          return DM_CLI_FAILED;
        }
      params = thousands (enc.n_params);
      dtypes = dm_dtype_mask_to_string (enc.dtype_mask);
      printf ("  backbone       embedded under '%s': %s parameters, %s\n", enc.prefix, params,
              dtypes);
      dm_vit_probe_clear (&enc);
    }
  else
    printf ("  backbone       not embedded: give the file with this SHA-256\n");
  printf ("  backbone from  %s (%s naming), SHA-256 %s\n",
          info->backbone_name != NULL ? info->backbone_name : "(unnamed)",
          dm_vit_scheme_name (info->backbone_scheme),
          info->backbone_sha256 != NULL ? info->backbone_sha256 : "not recorded");
  print_decoder (&dec);
  dm_dinomaly_probe_clear (&dec);
  print_model (info);
  return DM_CLI_OK;
}

static int
info_weights (const DmSafetensors *st, const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *config_json = g_build_filename (dir, "config.json", NULL);
  g_autoptr (GError) enc_error = NULL, dec_error = NULL;
  gboolean has_enc = has_suffix_key (st, "patch_embed.proj.weight")
                     || has_suffix_key (st, "embeddings.patch_embeddings.projection.weight");
  gboolean has_dec = has_suffix_key (st, "bottleneck.0.fc1.weight");
  DmVitProbe enc = { 0 };
  DmDinomalyProbe dec = { 0 };
  gboolean enc_ok = dm_vit_probe (st, config_json, &enc, &enc_error);
  gboolean dec_ok = dm_dinomaly_probe (st, &dec, &dec_error);

  /* A part that is there but broken makes the file unusable; with neither
   * part, the encoder's reason says best what the file is not. */
  if ((has_enc || !has_dec) && !enc_ok)
    {
      g_propagate_error (error, g_steal_pointer (&enc_error));
      dm_dinomaly_probe_clear (&dec);
      return DM_CLI_FAILED;
    }
  if (has_dec && !dec_ok)
    {
      g_propagate_error (error, g_steal_pointer (&dec_error));
      dm_vit_probe_clear (&enc);
      return DM_CLI_FAILED;
    }
  if (enc_ok && dec_ok)
    printf ("%s: Dinomaly state dict with its encoder\n", path);
  else if (enc_ok)
    printf ("%s: DINOv2 encoder\n", path);
  else
    printf ("%s: Dinomaly bottleneck + decoder state dict (no encoder)\n", path);
  if (enc_ok)
    print_encoder (&enc);
  if (dec_ok)
    {
      print_decoder (&dec);
      if (enc_ok && enc.config.dim != dec.dim)
        printf ("  warning        encoder (D %d) and decoder (D %d) do not fit together\n",
                enc.config.dim, dec.dim);
    }
  dm_vit_probe_clear (&enc);
  dm_dinomaly_probe_clear (&dec);
  return DM_CLI_OK;
}

/* Where the tensors came from: the container, and for a PyTorch file
 * where in its pickle the state dict was. */
static void
print_file (const DmSafetensors *st, const DmWeightFileInfo *wf)
{
  g_autofree char *size = g_format_size (wf->file_size);
  const DmPthInfo *p = &wf->pth;

  if (wf->format == DM_WEIGHT_FORMAT_SAFETENSORS)
    {
      printf ("  file           %s, %u tensors, header %" G_GUINT64_FORMAT " bytes\n", size,
              dm_safetensors_n_tensors (st), dm_safetensors_header_size (st));
      return;
    }
  printf ("  file           %s, %s, %u tensors\n", size, dm_weight_format_description (wf->format),
          dm_safetensors_n_tensors (st));
  if (p->found_under[0] != '\0')
    printf ("  state dict     under '%s' of a checkpoint", p->found_under);
  else
    printf ("  state dict     at the top level");
  if (p->other_keys[0] != NULL)
    {
      g_autofree char *others = g_strjoinv (", ", p->other_keys);
      printf (" (besides: %s)", others);
    }
  if (p->stripped_prefix[0] != '\0')
    printf ("; prefix '%s' dropped from every name", p->stripped_prefix);
  if (p->n_skipped > 0)
    printf ("; %u entries that are not tensors skipped", p->n_skipped);
  if (p->copied)
    printf ("; views of shared storages copied out");
  printf ("\n");
}

int
dm_cli_info (int argc, char **argv)
{
  const GOptionEntry entries[] = { { NULL } };
  g_autoptr (DmSafetensors) st = NULL;
  g_autoptr (GError) error = NULL;
  DmWeightFileInfo wf = { 0 };
  int rc;

  if (!dm_cli_parse ("info", "FILE",
                     "Says what a weight or model file (safetensors or PyTorch .pth) holds.",
                     entries, &argc, &argv))
    return DM_CLI_USAGE;
  if (argc != 2)
    return dm_cli_usage_error ("info", "give exactly one FILE");
  st = dm_weight_file_open (argv[1], &wf, &error);
  if (st == NULL)
    {
      dm_cli_print_error ("info", error);
      return DM_CLI_FAILED;
    }
  /* broken numbers first: nothing is described of a file that cannot be used */
  if (!dm_safetensors_check_finite (st, &error))
    rc = DM_CLI_FAILED;
  else
    rc = dm_model_file_is_model (st) ? info_model (st, &error) : info_weights (st, argv[1], &error);
  if (rc == DM_CLI_OK)
    print_file (st, &wf);
  else
    dm_cli_print_error ("info", error);
  dm_weight_file_info_clear (&wf);
  return rc;
}
