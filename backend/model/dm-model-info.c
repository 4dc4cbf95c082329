/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmModelInfo: defaults, checks, and writing its JSON form (the sections of a model
 * file's metadata, described in dm-model-file.h). */
#include "dm-model-file.h"

#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-json-writer.h"

static const double imagenet_mean[3] = { 0.485, 0.456, 0.406 };
static const double imagenet_std[3] = { 0.229, 0.224, 0.225 };

DmModelInfo *
dm_model_info_new (void)
{
  DmModelInfo *info = g_new0 (DmModelInfo, 1);

  info->format_version = DM_MODEL_FORMAT_VERSION;
  info->decoder_depth = DM_DECODER_DEPTH;
  info->resize = 448;
  info->crop = 392;
  memcpy (info->mean, imagenet_mean, sizeof info->mean);
  memcpy (info->std, imagenet_std, sizeof info->std);
  info->dropout = 0.2;
  info->class_names = g_new0 (char *, 1);
  info->backbone_embedded = TRUE;
  return info;
}

void
dm_model_info_free (DmModelInfo *info)
{
  if (info == NULL)
    return;
  g_strfreev (info->class_names);
  for (guint i = 0; i < info->n_thresholds; i++)
    g_free (info->thresholds[i].class_name);
  g_free (info->thresholds);
  for (guint i = 0; i < info->n_rules; i++)
    {
      g_free (info->rules[i].class_name);
      dm_rules_free (info->rules[i].rules);
    }
  g_free (info->rules);
  g_free (info->backbone_name);
  g_free (info->backbone_sha256);
  g_free (info->training.started);
  g_free (info->training.losses);
  g_free (info);
}

gboolean
dm_model_info_set_backbone (DmModelInfo *info, const DmVitConfig *config, GError **error)
{
  info->arch = *config;
  if (config->depth == 24)
    {
      info->n_targets = 8;
      for (int i = 0; i < 8; i++)
        info->target_blocks[i] = 4 + 2 * i;
    }
  else if (config->depth >= 10)
    {
      info->n_targets = 8;
      for (int i = 0; i < 8; i++)
        info->target_blocks[i] = 2 + i;
    }
  else
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "no default target blocks for an encoder of depth %d", config->depth);
      return FALSE;
    }
  info->n_groups = 2;
  for (int g = 0; g < 2; g++)
    {
      info->group_size[g] = 4;
      for (int i = 0; i < 4; i++)
        info->groups[g][i] = info->target_blocks[4 * g + i];
    }
  return TRUE;
}

int
dm_model_info_last_target (const DmModelInfo *info)
{
  return info->n_targets > 0 ? info->target_blocks[info->n_targets - 1] : -1;
}

static gboolean G_GNUC_PRINTF (2, 3) invalid (GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "model settings: %s", message);
  return FALSE;
}

static gboolean
is_sha256 (const char *s)
{
  if (s == NULL || strlen (s) != 64)
    return FALSE;
  for (int i = 0; i < 64; i++)
    if (!g_ascii_isxdigit (s[i]))
      return FALSE;
  return TRUE;
}

gboolean
dm_model_info_validate (const DmModelInfo *info, GError **error)
{
  const DmVitConfig *a = &info->arch;

  if (info->format_version != DM_MODEL_FORMAT_VERSION)
    return invalid (error, "format version %d (this program writes %d)", info->format_version,
                    DM_MODEL_FORMAT_VERSION);
  /* bounds far beyond any ViT (ViT-g: D 1536, depth 40) and far below
   * overflow in every size computed from them */
  if (a->dim <= 0 || a->dim > 8192 || a->heads <= 0 || a->heads > 256 || a->dim % a->heads != 0
      || a->head_dim != a->dim / a->heads || a->depth <= 0 || a->depth > 128 || a->n_registers < 0
      || a->n_registers > 64 || a->patch_size <= 0 || a->patch_size > 64 || a->pos_grid <= 0
      || a->pos_grid > 1024 || a->mlp_hidden <= 0 || a->mlp_hidden > 65536 || !(a->ln_eps > 0))
    return invalid (error,
                    "architecture D %d, %d heads of %d, depth %d, %d registers, patch %d, "
                    "grid %d, MLP %d is not a valid ViT",
                    a->dim, a->heads, a->head_dim, a->depth, a->n_registers, a->patch_size,
                    a->pos_grid, a->mlp_hidden);
  if (info->decoder_depth != DM_DECODER_DEPTH)
    return invalid (error, "%d decoder blocks (only %d are supported)", info->decoder_depth,
                    DM_DECODER_DEPTH);
  if (info->crop < a->patch_size || info->crop % a->patch_size != 0 || info->resize < info->crop
      || info->resize > 8192)
    return invalid (error,
                    "resize %d / crop %d: the crop must be a multiple of %d and at most the "
                    "resize (at most 8192)",
                    info->resize, info->crop, a->patch_size);
  for (int c = 0; c < 3; c++)
    if (!isfinite (info->mean[c]) || !isfinite (info->std[c]) || !(info->std[c] > 0))
      return invalid (error, "normalisation of channel %d: mean %g, std %g", c, info->mean[c],
                      info->std[c]);
  if (info->n_targets < 1 || info->n_targets > DM_MODEL_MAX_TARGETS)
    return invalid (error, "%d target blocks", info->n_targets);
  for (int i = 0; i < info->n_targets; i++)
    if (info->target_blocks[i] < 0 || info->target_blocks[i] >= a->depth
        || (i > 0 && info->target_blocks[i] <= info->target_blocks[i - 1]))
      return invalid (error, "target block %d: blocks must increase and lie in 0..%d",
                      info->target_blocks[i], a->depth - 1);
  if (info->n_groups < 1 || info->n_groups > DM_MODEL_MAX_GROUPS)
    return invalid (error, "%d groups", info->n_groups);
  for (int g = 0; g < info->n_groups; g++)
    {
      if (info->group_size[g] < 1 || info->group_size[g] > info->n_targets)
        return invalid (error, "group %d has %d blocks", g, info->group_size[g]);
      for (int i = 0; i < info->group_size[g]; i++)
        {
          gboolean found = FALSE;
          for (int t = 0; t < info->n_targets; t++)
            found |= info->groups[g][i] == info->target_blocks[t];
          if (!found)
            return invalid (error, "group %d holds block %d, which is not a target block", g,
                            info->groups[g][i]);
        }
    }
  if (!(info->dropout >= 0 && info->dropout < 1))
    return invalid (error, "dropout %g is not in [0, 1)", info->dropout);
  for (guint i = 0; i < info->n_thresholds; i++)
    {
      const DmClassThreshold *t = &info->thresholds[i];

      if (t->class_name == NULL)
        return invalid (error, "threshold %u has no class", i);
      if (!g_strv_contains ((const char *const *)info->class_names, t->class_name))
        return invalid (error, "threshold for class '%s', which is not one of the classes",
                        t->class_name);
      for (guint j = 0; j < i; j++)
        if (strcmp (info->thresholds[j].class_name, t->class_name) == 0)
          return invalid (error, "two thresholds for class '%s'", t->class_name);
      if (!isfinite (t->image) || !isfinite (t->pixel)
          || (t->has_uncertain
              && !(isfinite (t->uncertain_low) && isfinite (t->uncertain_high)
                   && t->uncertain_low <= t->uncertain_high)))
        return invalid (error, "thresholds of class '%s' are not finite or in order",
                        t->class_name);
    }
  for (guint i = 0; i < info->n_rules; i++)
    {
      const DmClassRules *r = &info->rules[i];
      g_autoptr (GError) local = NULL;

      if (r->class_name == NULL || r->rules == NULL)
        return invalid (error, "rules %u have no class", i);
      if (!g_strv_contains ((const char *const *)info->class_names, r->class_name))
        return invalid (error, "rules for class '%s', which is not one of the classes",
                        r->class_name);
      for (guint j = 0; j < i; j++)
        if (strcmp (info->rules[j].class_name, r->class_name) == 0)
          return invalid (error, "two sets of rules for class '%s'", r->class_name);
      if (!dm_rules_validate (r->rules, &local))
        return invalid (error, "class '%s': %s", r->class_name, local->message);
    }
  if (info->backbone_sha256 != NULL && !is_sha256 (info->backbone_sha256))
    return invalid (error, "backbone SHA-256 '%s' is not 64 hex digits", info->backbone_sha256);
  if (!info->backbone_embedded && info->backbone_sha256 == NULL)
    return invalid (error, "a model that refers to its backbone needs the backbone's SHA-256");
  return TRUE;
}

/* The metadata sections are written with the project's JSON writer
 * (dm-json-writer.h: shortest numbers that read back exactly, null for a
 * number that is not finite). */

static void
write_ints (DmJsonWriter *j, const int *v, int n)
{
  dm_json_writer_begin_array (j);
  for (int i = 0; i < n; i++)
    dm_json_writer_int (j, v[i]);
  dm_json_writer_end_array (j);
}

static void
write_doubles (DmJsonWriter *j, const double *v, gsize n)
{
  dm_json_writer_begin_array (j);
  for (gsize i = 0; i < n; i++)
    dm_json_writer_number (j, v[i]);
  dm_json_writer_end_array (j);
}

static const char *const sections[] = {
  "format_version", "architecture", "input", "target_blocks", "groups",   "dropout",
  "classes",        "thresholds",   "rules", "backbone",      "training",
};

/* Optional sections are left out when empty, so a file without rules or a
 * training record reads as it always did. */
static gboolean
section_present (const DmModelInfo *info, const char *name)
{
  if (strcmp (name, "training") == 0)
    return info->has_training;
  if (strcmp (name, "rules") == 0)
    return info->n_rules > 0;
  return TRUE;
}

static void
write_section (const DmModelInfo *info, const char *name, DmJsonWriter *j)
{
  const DmVitConfig *a = &info->arch;

  if (strcmp (name, "format_version") == 0)
    dm_json_writer_int (j, info->format_version);
  else if (strcmp (name, "architecture") == 0)
    {
      dm_json_writer_begin_object (j);
      dm_json_writer_member_int (j, "dim", a->dim);
      dm_json_writer_member_int (j, "heads", a->heads);
      dm_json_writer_member_int (j, "depth", a->depth);
      dm_json_writer_member_int (j, "registers", a->n_registers);
      dm_json_writer_member_int (j, "patch", a->patch_size);
      dm_json_writer_member_int (j, "mlp_hidden", a->mlp_hidden);
      dm_json_writer_member_int (j, "pos_grid", a->pos_grid);
      dm_json_writer_key (j, "ln_eps");
      dm_json_writer_float (j, a->ln_eps);
      dm_json_writer_member_int (j, "decoder_depth", info->decoder_depth);
      dm_json_writer_end_object (j);
    }
  else if (strcmp (name, "input") == 0)
    {
      dm_json_writer_begin_object (j);
      dm_json_writer_member_int (j, "resize", info->resize);
      dm_json_writer_member_int (j, "crop", info->crop);
      dm_json_writer_key (j, "mean");
      write_doubles (j, info->mean, 3);
      dm_json_writer_key (j, "std");
      write_doubles (j, info->std, 3);
      dm_json_writer_end_object (j);
    }
  else if (strcmp (name, "target_blocks") == 0)
    write_ints (j, info->target_blocks, info->n_targets);
  else if (strcmp (name, "groups") == 0)
    {
      dm_json_writer_begin_array (j);
      for (int g = 0; g < info->n_groups; g++)
        write_ints (j, info->groups[g], info->group_size[g]);
      dm_json_writer_end_array (j);
    }
  else if (strcmp (name, "dropout") == 0)
    dm_json_writer_number (j, info->dropout);
  else if (strcmp (name, "classes") == 0)
    {
      dm_json_writer_begin_array (j);
      for (char **c = info->class_names; c != NULL && *c != NULL; c++)
        dm_json_writer_string (j, *c);
      dm_json_writer_end_array (j);
    }
  else if (strcmp (name, "thresholds") == 0)
    {
      dm_json_writer_begin_array (j);
      for (guint i = 0; i < info->n_thresholds; i++)
        {
          const DmClassThreshold *t = &info->thresholds[i];

          dm_json_writer_begin_object (j);
          dm_json_writer_member_string (j, "class", t->class_name);
          dm_json_writer_member_number (j, "image", t->image);
          dm_json_writer_member_number (j, "pixel", t->pixel);
          if (t->has_uncertain)
            {
              double band[2] = { t->uncertain_low, t->uncertain_high };
              dm_json_writer_key (j, "uncertain");
              write_doubles (j, band, 2);
            }
          dm_json_writer_end_object (j);
        }
      dm_json_writer_end_array (j);
    }
  else if (strcmp (name, "rules") == 0)
    {
      dm_json_writer_begin_array (j);
      for (guint i = 0; i < info->n_rules; i++)
        {
          dm_json_writer_begin_object (j);
          dm_json_writer_member_string (j, "class", info->rules[i].class_name);
          dm_rules_write_members (info->rules[i].rules, j);
          dm_json_writer_end_object (j);
        }
      dm_json_writer_end_array (j);
    }
  else if (strcmp (name, "backbone") == 0)
    {
      dm_json_writer_begin_object (j);
      dm_json_writer_member_string (j, "name", info->backbone_name);
      dm_json_writer_member_string (j, "sha256", info->backbone_sha256);
      dm_json_writer_member_bool (j, "embedded", info->backbone_embedded);
      dm_json_writer_member_string (j, "scheme", dm_vit_scheme_name (info->backbone_scheme));
      dm_json_writer_end_object (j);
    }
  else if (strcmp (name, "training") == 0)
    {
      const DmTrainingRecord *t = &info->training;

      dm_json_writer_begin_object (j);
      dm_json_writer_member_int (j, "iterations", t->iterations);
      dm_json_writer_member_int (j, "seed", t->seed);
      dm_json_writer_member_number (j, "seconds", t->seconds);
      dm_json_writer_member_string (j, "started", t->started);
      dm_json_writer_member_int (j, "batch_size", t->batch_size);
      dm_json_writer_member_number (j, "lr", t->lr);
      dm_json_writer_member_number (j, "final_loss", t->final_loss);
      dm_json_writer_member_int (j, "loss_every", t->loss_every);
      dm_json_writer_key (j, "losses");
      write_doubles (j, t->losses, t->n_losses);
      dm_json_writer_end_object (j);
    }
}

char *
dm_model_info_section_to_json (const DmModelInfo *info, const char *name)
{
  DmJsonWriter *j = dm_json_writer_new (FALSE);

  write_section (info, name, j);
  return dm_json_writer_free_to_text (j);
}

char *
dm_model_info_to_json (const DmModelInfo *info, gboolean pretty)
{
  DmJsonWriter *j = dm_json_writer_new (pretty);

  /* each section on one line, as the model file's metadata holds it */
  dm_json_writer_begin_object (j);
  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    {
      g_autofree char *value = NULL;

      if (!section_present (info, sections[i]))
        continue;
      value = dm_model_info_section_to_json (info, sections[i]);
      dm_json_writer_key (j, sections[i]);
      dm_json_writer_raw (j, value);
    }
  dm_json_writer_end_object (j);
  return dm_json_writer_free_to_text (j);
}

void
dm_model_info_to_metadata (const DmModelInfo *info, DmSafetensorsWriter *writer)
{
  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    {
      g_autofree char *key = NULL, *value = NULL;

      if (!section_present (info, sections[i]))
        continue;
      key = g_strconcat ("dinomaly.", sections[i], NULL);
      value = dm_model_info_section_to_json (info, sections[i]);
      dm_safetensors_writer_set_metadata (writer, key, value);
    }
}

gboolean
dm_model_info_get_thresholds (const DmModelInfo *info, const char *class_name, DmThresholds *t)
{
  dm_thresholds_init (t);
  for (guint i = 0; i < info->n_thresholds; i++)
    if (g_strcmp0 (info->thresholds[i].class_name, class_name) == 0)
      {
        const DmClassThreshold *c = &info->thresholds[i];

        t->image = c->image;
        t->pixel = c->pixel;
        if (c->has_uncertain)
          {
            t->uncertain_low = c->uncertain_low;
            t->uncertain_high = c->uncertain_high;
          }
        return TRUE;
      }
  return FALSE;
}

const DmRules *
dm_model_info_get_rules (const DmModelInfo *info, const char *class_name)
{
  for (guint i = 0; i < info->n_rules; i++)
    if (g_strcmp0 (info->rules[i].class_name, class_name) == 0)
      return info->rules[i].rules;
  return NULL;
}

void
dm_model_info_set_rules (DmModelInfo *info, const char *class_name, const DmRules *rules)
{
  guint i;

  for (i = 0; i < info->n_rules; i++)
    if (g_strcmp0 (info->rules[i].class_name, class_name) == 0)
      break;
  if (i < info->n_rules)
    {
      dm_rules_free (info->rules[i].rules);
      info->rules[i].rules = NULL;
      if (dm_rules_is_empty (rules))
        {
          g_free (info->rules[i].class_name);
          memmove (&info->rules[i], &info->rules[i + 1],
                   (info->n_rules - i - 1) * sizeof (DmClassRules));
          info->n_rules--;
          return;
        }
    }
  else
    {
      if (dm_rules_is_empty (rules))
        return;
      info->rules = g_renew (DmClassRules, info->rules, info->n_rules + 1);
      info->rules[i].class_name = g_strdup (class_name);
      info->n_rules++;
    }
  info->rules[i].rules = dm_rules_copy (rules);
}
