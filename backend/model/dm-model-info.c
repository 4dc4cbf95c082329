/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmModelInfo: defaults, checks, and writing its JSON form (the sections of a model
 * file's metadata, described in dm-model-file.h). */
#include "dm-model-file.h"

#include <math.h>
#include <string.h>

#include "dm-error.h"

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
  if (a->dim <= 0 || a->heads <= 0 || a->dim % a->heads != 0 || a->head_dim != a->dim / a->heads
      || a->depth <= 0 || a->n_registers < 0 || a->patch_size <= 0 || a->pos_grid <= 0
      || a->mlp_hidden <= 0 || !(a->ln_eps > 0))
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
  if (info->backbone_sha256 != NULL && !is_sha256 (info->backbone_sha256))
    return invalid (error, "backbone SHA-256 '%s' is not 64 hex digits", info->backbone_sha256);
  if (!info->backbone_embedded && info->backbone_sha256 == NULL)
    return invalid (error, "a model that refers to its backbone needs the backbone's SHA-256");
  return TRUE;
}

/* ---- to JSON ----
 * Written by hand: json-glib 1.6's generator turns 1e-300 into "1e-300.0"
 * (it appends ".0" to any double printed without a point), which is not
 * JSON. Doubles are written in the shortest form that reads back exactly. */

typedef struct
{
  GString *s;
  int depth;
  int count[8];       /* values written at each depth */
  gboolean after_key; /* the next value follows "key": */
} Json;

static void
sep (Json *j)
{
  if (j->after_key)
    j->after_key = FALSE;
  else if (j->count[j->depth]++ > 0)
    g_string_append_c (j->s, ',');
}

static void
put_escaped (GString *s, const char *text)
{
  g_string_append_c (s, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (s, "\\%c", *p);
      else if ((guchar)*p < 0x20)
        g_string_append_printf (s, "\\u%04x", (guchar)*p);
      else
        g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
}

static void
j_begin (Json *j, char c)
{
  sep (j);
  g_string_append_c (j->s, c);
  j->count[++j->depth] = 0;
}

static void
j_end (Json *j, char c)
{
  j->depth--;
  g_string_append_c (j->s, c);
}

static void
j_key (Json *j, const char *key)
{
  sep (j);
  put_escaped (j->s, key);
  g_string_append_c (j->s, ':');
  j->after_key = TRUE;
}

static void
j_int (Json *j, gint64 v)
{
  sep (j);
  g_string_append_printf (j->s, "%" G_GINT64_FORMAT, v);
}

static void
j_double (Json *j, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  sep (j);
  if (!isfinite (v)) /* JSON has no NaN: a diverged loss reads back as NaN */
    {
      g_string_append (j->s, "null");
      return;
    }
  for (int digits = 15; digits <= 17; digits++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buf, sizeof buf, format, v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (j->s, buf);
}

static void
j_string (Json *j, const char *v)
{
  sep (j);
  if (v == NULL)
    g_string_append (j->s, "null");
  else
    put_escaped (j->s, v);
}

static void
j_bool (Json *j, gboolean v)
{
  sep (j);
  g_string_append (j->s, v ? "true" : "false");
}

static void
j_ints (Json *j, const int *v, int n)
{
  j_begin (j, '[');
  for (int i = 0; i < n; i++)
    j_int (j, v[i]);
  j_end (j, ']');
}

static void
j_doubles (Json *j, const double *v, gsize n)
{
  j_begin (j, '[');
  for (gsize i = 0; i < n; i++)
    j_double (j, v[i]);
  j_end (j, ']');
}

/* A float as the double of its shortest decimal form (1e-6f -> 1e-06), so
 * the JSON is readable and reads back to the same float. */
static double
float_for_json (float f)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (int digits = 1; digits <= 9; digits++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buf, sizeof buf, format, f);
      if ((float)g_ascii_strtod (buf, NULL) == f)
        break;
    }
  return g_ascii_strtod (buf, NULL);
}

static const char *const sections[] = {
  "format_version", "architecture", "input",      "target_blocks", "groups",
  "dropout",        "classes",      "thresholds", "backbone",      "training",
};

static void
write_section (const DmModelInfo *info, const char *name, Json *j)
{
  const DmVitConfig *a = &info->arch;

  if (strcmp (name, "format_version") == 0)
    j_int (j, info->format_version);
  else if (strcmp (name, "architecture") == 0)
    {
      j_begin (j, '{');
      j_key (j, "dim"), j_int (j, a->dim);
      j_key (j, "heads"), j_int (j, a->heads);
      j_key (j, "depth"), j_int (j, a->depth);
      j_key (j, "registers"), j_int (j, a->n_registers);
      j_key (j, "patch"), j_int (j, a->patch_size);
      j_key (j, "mlp_hidden"), j_int (j, a->mlp_hidden);
      j_key (j, "pos_grid"), j_int (j, a->pos_grid);
      j_key (j, "ln_eps"), j_double (j, float_for_json (a->ln_eps));
      j_key (j, "decoder_depth"), j_int (j, info->decoder_depth);
      j_end (j, '}');
    }
  else if (strcmp (name, "input") == 0)
    {
      j_begin (j, '{');
      j_key (j, "resize"), j_int (j, info->resize);
      j_key (j, "crop"), j_int (j, info->crop);
      j_key (j, "mean"), j_doubles (j, info->mean, 3);
      j_key (j, "std"), j_doubles (j, info->std, 3);
      j_end (j, '}');
    }
  else if (strcmp (name, "target_blocks") == 0)
    j_ints (j, info->target_blocks, info->n_targets);
  else if (strcmp (name, "groups") == 0)
    {
      j_begin (j, '[');
      for (int g = 0; g < info->n_groups; g++)
        j_ints (j, info->groups[g], info->group_size[g]);
      j_end (j, ']');
    }
  else if (strcmp (name, "dropout") == 0)
    j_double (j, info->dropout);
  else if (strcmp (name, "classes") == 0)
    {
      j_begin (j, '[');
      for (char **c = info->class_names; c != NULL && *c != NULL; c++)
        j_string (j, *c);
      j_end (j, ']');
    }
  else if (strcmp (name, "thresholds") == 0)
    {
      j_begin (j, '[');
      for (guint i = 0; i < info->n_thresholds; i++)
        {
          const DmClassThreshold *t = &info->thresholds[i];

          j_begin (j, '{');
          j_key (j, "class"), j_string (j, t->class_name);
          j_key (j, "image"), j_double (j, t->image);
          j_key (j, "pixel"), j_double (j, t->pixel);
          if (t->has_uncertain)
            {
              double band[2] = { t->uncertain_low, t->uncertain_high };
              j_key (j, "uncertain"), j_doubles (j, band, 2);
            }
          j_end (j, '}');
        }
      j_end (j, ']');
    }
  else if (strcmp (name, "backbone") == 0)
    {
      j_begin (j, '{');
      j_key (j, "name"), j_string (j, info->backbone_name);
      j_key (j, "sha256"), j_string (j, info->backbone_sha256);
      j_key (j, "embedded"), j_bool (j, info->backbone_embedded);
      j_key (j, "scheme"), j_string (j, dm_vit_scheme_name (info->backbone_scheme));
      j_end (j, '}');
    }
  else if (strcmp (name, "training") == 0)
    {
      const DmTrainingRecord *t = &info->training;

      j_begin (j, '{');
      j_key (j, "iterations"), j_int (j, t->iterations);
      j_key (j, "seed"), j_int (j, t->seed);
      j_key (j, "seconds"), j_double (j, t->seconds);
      j_key (j, "started"), j_string (j, t->started);
      j_key (j, "batch_size"), j_int (j, t->batch_size);
      j_key (j, "lr"), j_double (j, t->lr);
      j_key (j, "final_loss"), j_double (j, t->final_loss);
      j_key (j, "loss_every"), j_int (j, t->loss_every);
      j_key (j, "losses"), j_doubles (j, t->losses, t->n_losses);
      j_end (j, '}');
    }
}

static char *
section_to_json (const DmModelInfo *info, const char *name)
{
  Json j = { .s = g_string_new (NULL) };

  write_section (info, name, &j);
  return g_string_free (j.s, FALSE);
}

char *
dm_model_info_to_json (const DmModelInfo *info, gboolean pretty)
{
  GString *s = g_string_new ("{");
  gboolean first = TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    {
      g_autofree char *value = NULL;

      if (strcmp (sections[i], "training") == 0 && !info->has_training)
        continue;
      value = section_to_json (info, sections[i]);
      g_string_append_printf (s, "%s%s\"%s\":%s%s", first ? "" : ",", pretty ? "\n  " : "",
                              sections[i], pretty ? " " : "", value);
      first = FALSE;
    }
  g_string_append (s, pretty ? "\n}\n" : "}");
  return g_string_free (s, FALSE);
}

void
dm_model_info_to_metadata (const DmModelInfo *info, DmSafetensorsWriter *writer)
{
  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    {
      g_autofree char *key = NULL, *value = NULL;

      if (strcmp (sections[i], "training") == 0 && !info->has_training)
        continue;
      key = g_strconcat ("dinomaly.", sections[i], NULL);
      value = section_to_json (info, sections[i]);
      dm_safetensors_writer_set_metadata (writer, key, value);
    }
}
