/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reads DmModelInfo back from its JSON form or from a model file's
 * metadata, checking every field's type (dm-model-file.h has the format). */
#include "dm-model-file.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-json-util.h"

typedef struct
{
  const char *where; /* "FILE: model metadata" */
  GError **error;
} Parse;

static gboolean G_GNUC_PRINTF (2, 3) bad (const Parse *p, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (p->error, DM_ERROR, DM_ERROR_CORRUPT, "%s: %s", p->where, message);
  return FALSE;
}

static JsonNode *
member (const Parse *p, JsonObject *o, const char *section, const char *name, gboolean required)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, name) : NULL;

  if (node == NULL && required)
    bad (p, "'%s%s%s' is missing", section, section[0] ? "." : "", name);
  return node;
}

static gboolean
get_int (const Parse *p, JsonNode *node, const char *what, gint64 *out)
{
  /* Written on every path: callers read it only after success, but the
   * compiler cannot see through bad() at every optimisation level. */
  *out = 0;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return bad (p, "'%s' is not an integer", what);
  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
get_small_int (const Parse *p, JsonObject *o, const char *section, const char *name, int *out)
{
  JsonNode *node = member (p, o, section, name, TRUE);
  gint64 v;

  if (node == NULL || !get_int (p, node, name, &v))
    return FALSE;
  if (v < G_MININT || v > G_MAXINT)
    return bad (p, "'%s' is out of range", name);
  *out = (int)v;
  return TRUE;
}

static gboolean
get_double (const Parse *p, JsonNode *node, const char *what, double *out)
{
  *out = NAN;
  if (node != NULL && JSON_NODE_HOLDS_NULL (node))
    {
      *out = NAN;
      return TRUE;
    }
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || (json_node_get_value_type (node) != G_TYPE_DOUBLE
          && json_node_get_value_type (node) != G_TYPE_INT64))
    return bad (p, "'%s' is not a number", what);
  *out = json_node_get_double (node);
  return TRUE;
}

static gboolean
get_int_array (const Parse *p, JsonNode *node, const char *what, int *out, int max, int *n)
{
  JsonArray *a;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return bad (p, "'%s' is not an array", what);
  a = json_node_get_array (node);
  if ((int)json_array_get_length (a) > max)
    return bad (p, "'%s' has more than %d entries", what, max);
  *n = (int)json_array_get_length (a);
  for (int i = 0; i < *n; i++)
    {
      gint64 v;
      if (!get_int (p, json_array_get_element (a, i), what, &v) || v < 0 || v > 4096)
        return bad (p, "'%s' holds something other than block numbers", what);
      out[i] = (int)v;
    }
  return TRUE;
}

static gboolean
get_double_array (const Parse *p, JsonNode *node, const char *what, double **out, gsize *n)
{
  JsonArray *a;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return bad (p, "'%s' is not an array", what);
  a = json_node_get_array (node);
  *n = json_array_get_length (a);
  *out = g_new0 (double, MAX (*n, 1));
  for (gsize i = 0; i < *n; i++)
    if (!get_double (p, json_array_get_element (a, i), what, &(*out)[i]))
      return FALSE;
  return TRUE;
}

static const char *
get_string (const Parse *p, JsonNode *node, const char *what, gboolean nullable)
{
  if (nullable && node != NULL && JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      bad (p, "'%s' is not a string", what);
      return NULL;
    }
  return json_node_get_string (node);
}

static JsonObject *
get_object (const Parse *p, JsonObject *o, const char *name, gboolean required)
{
  JsonNode *node = member (p, o, "", name, required);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      bad (p, "'%s' is not an object", name);
      return NULL;
    }
  return json_node_get_object (node);
}

/* Checks the version before anything else, so a newer file is refused with
 * that reason rather than with whatever it changed. */
static gboolean
check_version (const Parse *p, JsonNode *node, int *version)
{
  gint64 v;

  if (node == NULL)
    return bad (p, "'format_version' is missing: not a Dinomaly model file");
  if (!get_int (p, node, "format_version", &v))
    return FALSE;
  if (v > DM_MODEL_FORMAT_VERSION)
    {
      g_set_error (p->error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                   "%s: model file format version %" G_GINT64_FORMAT
                   " is newer than this program understands (%d): update Dinomaly Studio",
                   p->where, v, DM_MODEL_FORMAT_VERSION);
      return FALSE;
    }
  if (v < 1)
    return bad (p, "format version %" G_GINT64_FORMAT " is not valid", v);
  *version = (int)v;
  return TRUE;
}

static gboolean
parse_training (const Parse *p, JsonObject *t, DmTrainingRecord *r)
{
  JsonNode *node;
  gint64 v;

  if ((node = member (p, t, "training", "iterations", FALSE)) != NULL
      && !get_int (p, node, "training.iterations", &r->iterations))
    return FALSE;
  if ((node = member (p, t, "training", "seed", FALSE)) != NULL
      && !get_int (p, node, "training.seed", &r->seed))
    return FALSE;
  if ((node = member (p, t, "training", "seconds", FALSE)) != NULL
      && !get_double (p, node, "training.seconds", &r->seconds))
    return FALSE;
  if ((node = member (p, t, "training", "started", FALSE)) != NULL)
    {
      const char *s = get_string (p, node, "training.started", TRUE);
      if (s == NULL && !JSON_NODE_HOLDS_NULL (node))
        return FALSE;
      r->started = g_strdup (s);
    }
  if ((node = member (p, t, "training", "batch_size", FALSE)) != NULL)
    {
      if (!get_int (p, node, "training.batch_size", &v) || v < 0 || v > G_MAXINT)
        return bad (p, "'training.batch_size' is out of range");
      r->batch_size = (int)v;
    }
  if ((node = member (p, t, "training", "lr", FALSE)) != NULL
      && !get_double (p, node, "training.lr", &r->lr))
    return FALSE;
  r->final_loss = NAN;
  if ((node = member (p, t, "training", "final_loss", FALSE)) != NULL
      && !get_double (p, node, "training.final_loss", &r->final_loss))
    return FALSE;
  if ((node = member (p, t, "training", "loss_every", FALSE)) != NULL)
    {
      if (!get_int (p, node, "training.loss_every", &v) || v < 0 || v > G_MAXINT)
        return bad (p, "'training.loss_every' is out of range");
      r->loss_every = (int)v;
    }
  if ((node = member (p, t, "training", "losses", FALSE)) != NULL
      && !get_double_array (p, node, "training.losses", &r->losses, &r->n_losses))
    return FALSE;
  return TRUE;
}

static gboolean
parse_thresholds (const Parse *p, JsonNode *node, DmModelInfo *info)
{
  JsonArray *a;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return bad (p, "'thresholds' is not an array");
  a = json_node_get_array (node);
  info->thresholds = g_new0 (DmClassThreshold, MAX (json_array_get_length (a), 1));
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      DmClassThreshold *t = &info->thresholds[i];
      JsonObject *o;
      JsonNode *band;
      const char *name;

      if (!JSON_NODE_HOLDS_OBJECT (e))
        return bad (p, "threshold %u is not an object", i);
      o = json_node_get_object (e);
      info->n_thresholds = i + 1;
      if ((name
           = get_string (p, member (p, o, "thresholds", "class", TRUE), "thresholds.class", FALSE))
            == NULL
          || !get_double (p, member (p, o, "thresholds", "image", TRUE), "thresholds.image",
                          &t->image)
          || !get_double (p, member (p, o, "thresholds", "pixel", TRUE), "thresholds.pixel",
                          &t->pixel))
        return FALSE;
      t->class_name = g_strdup (name);
      if ((band = json_object_get_member (o, "uncertain")) != NULL && !JSON_NODE_HOLDS_NULL (band))
        {
          JsonArray *b;
          if (!JSON_NODE_HOLDS_ARRAY (band)
              || json_array_get_length (b = json_node_get_array (band)) != 2
              || !get_double (p, json_array_get_element (b, 0), "thresholds.uncertain",
                              &t->uncertain_low)
              || !get_double (p, json_array_get_element (b, 1), "thresholds.uncertain",
                              &t->uncertain_high))
            return bad (p, "'thresholds.uncertain' of class '%s' is not [low, high]", name);
          t->has_uncertain = TRUE;
        }
    }
  return TRUE;
}

static gboolean
parse_rules (const Parse *p, JsonNode *node, DmModelInfo *info)
{
  JsonArray *a;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return bad (p, "'rules' is not an array");
  a = json_node_get_array (node);
  info->rules = g_new0 (DmClassRules, MAX (json_array_get_length (a), 1));
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      g_autofree char *where = NULL;
      const char *name;
      DmRules *rules;

      if (!JSON_NODE_HOLDS_OBJECT (e))
        return bad (p, "rules %u are not an object", i);
      name = get_string (p, member (p, json_node_get_object (e), "rules", "class", TRUE),
                         "rules.class", FALSE);
      if (name == NULL)
        return FALSE;
      where = g_strdup_printf ("%s: rules of class '%s'", p->where, name);
      rules = dm_rules_from_json_object (json_node_get_object (e), where, p->error);
      if (rules == NULL)
        return FALSE;
      info->rules[i].class_name = g_strdup (name);
      info->rules[i].rules = rules;
      info->n_rules = i + 1;
    }
  return TRUE;
}

static DmModelInfo *
from_object (JsonObject *root, const char *where, GError **error)
{
  g_autoptr (DmModelInfo) info = dm_model_info_new ();
  g_autoptr (GError) invalid_error = NULL;
  Parse p = { where, error };
  JsonObject *arch, *input, *backbone, *training;
  JsonNode *node;
  JsonArray *a;
  const char *scheme;
  double eps;

  if (!check_version (&p, json_object_get_member (root, "format_version"), &info->format_version))
    return NULL;

  if ((arch = get_object (&p, root, "architecture", TRUE)) == NULL
      || !get_small_int (&p, arch, "architecture", "dim", &info->arch.dim)
      || !get_small_int (&p, arch, "architecture", "heads", &info->arch.heads)
      || !get_small_int (&p, arch, "architecture", "depth", &info->arch.depth)
      || !get_small_int (&p, arch, "architecture", "registers", &info->arch.n_registers)
      || !get_small_int (&p, arch, "architecture", "patch", &info->arch.patch_size)
      || !get_small_int (&p, arch, "architecture", "mlp_hidden", &info->arch.mlp_hidden)
      || !get_small_int (&p, arch, "architecture", "pos_grid", &info->arch.pos_grid)
      || !get_small_int (&p, arch, "architecture", "decoder_depth", &info->decoder_depth)
      || !get_double (&p, member (&p, arch, "architecture", "ln_eps", TRUE), "architecture.ln_eps",
                      &eps))
    return NULL;
  info->arch.ln_eps = (float)eps;
  info->arch.head_dim = info->arch.heads > 0 ? info->arch.dim / info->arch.heads : 0;

  if ((input = get_object (&p, root, "input", TRUE)) == NULL
      || !get_small_int (&p, input, "input", "resize", &info->resize)
      || !get_small_int (&p, input, "input", "crop", &info->crop))
    return NULL;
  for (int k = 0; k < 2; k++)
    {
      const char *name = k == 0 ? "mean" : "std";
      g_autofree double *v = NULL;
      gsize n = 0;

      if (!get_double_array (&p, member (&p, input, "input", name, TRUE), name, &v, &n))
        return NULL;
      if (n != 3)
        {
          bad (&p, "'input.%s' does not have 3 entries", name);
          return NULL;
        }
      memcpy (k == 0 ? info->mean : info->std, v, sizeof info->mean);
    }

  if (!get_int_array (&p, member (&p, root, "", "target_blocks", TRUE), "target_blocks",
                      info->target_blocks, DM_MODEL_MAX_TARGETS, &info->n_targets))
    return NULL;
  node = member (&p, root, "", "groups", TRUE);
  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length (a = json_node_get_array (node)) > DM_MODEL_MAX_GROUPS)
    {
      bad (&p, "'groups' is not an array of at most %d groups", DM_MODEL_MAX_GROUPS);
      return NULL;
    }
  info->n_groups = (int)json_array_get_length (a);
  for (int g = 0; g < info->n_groups; g++)
    if (!get_int_array (&p, json_array_get_element (a, g), "groups", info->groups[g],
                        DM_MODEL_MAX_TARGETS, &info->group_size[g]))
      return NULL;
  if (!get_double (&p, member (&p, root, "", "dropout", TRUE), "dropout", &info->dropout))
    return NULL;

  node = member (&p, root, "", "classes", TRUE);
  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      bad (&p, "'classes' is not an array");
      return NULL;
    }
  a = json_node_get_array (node);
  g_strfreev (info->class_names);
  info->class_names = g_new0 (char *, json_array_get_length (a) + 1);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      const char *s = get_string (&p, json_array_get_element (a, i), "classes", FALSE);
      if (s == NULL)
        return NULL;
      info->class_names[i] = g_strdup (s);
    }
  if ((node = member (&p, root, "", "thresholds", TRUE)) == NULL
      || !parse_thresholds (&p, node, info))
    return NULL;

  if ((node = json_object_get_member (root, "rules")) != NULL && !parse_rules (&p, node, info))
    return NULL;

  if ((backbone = get_object (&p, root, "backbone", TRUE)) == NULL)
    return NULL;
  node = member (&p, backbone, "backbone", "embedded", TRUE);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      bad (&p, "'backbone.embedded' is not true or false");
      return NULL;
    }
  info->backbone_embedded = json_node_get_boolean (node);
  for (int k = 0; k < 2; k++)
    {
      const char *name = k == 0 ? "name" : "sha256";
      JsonNode *m = json_object_get_member (backbone, name);
      const char *s = NULL;

      if (m != NULL && (s = get_string (&p, m, name, TRUE)) == NULL && !JSON_NODE_HOLDS_NULL (m))
        return NULL;
      if (k == 0)
        info->backbone_name = g_strdup (s);
      else
        info->backbone_sha256 = g_strdup (s);
    }
  node = json_object_get_member (backbone, "scheme");
  scheme = node != NULL && JSON_NODE_HOLDS_VALUE (node)
               && json_node_get_value_type (node) == G_TYPE_STRING
             ? json_node_get_string (node)
             : NULL;
  info->backbone_scheme = g_strcmp0 (scheme, "hf") == 0     ? DM_VIT_SCHEME_HF
                          : g_strcmp0 (scheme, "timm") == 0 ? DM_VIT_SCHEME_TIMM
                                                            : DM_VIT_SCHEME_DINOV2;

  training = get_object (&p, root, "training", FALSE);
  if (training != NULL)
    {
      info->has_training = TRUE;
      if (!parse_training (&p, training, &info->training))
        return NULL;
    }
  else if (json_object_has_member (root, "training"))
    return NULL; /* there, but not an object */

  if (!dm_model_info_validate (info, &invalid_error))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: %s", where, invalid_error->message);
      return NULL;
    }
  return g_steal_pointer (&info);
}

DmModelInfo *
dm_model_info_from_json (const char *json, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local_error = NULL;

  if (!json_parser_load_from_data (parser, json, -1, &local_error))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "model settings: not valid JSON: %s",
                   local_error->message);
      return NULL;
    }
  if (json_parser_get_root (parser) == NULL
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "model settings: not a JSON object");
      return NULL;
    }
  return from_object (json_node_get_object (json_parser_get_root (parser)), "model settings",
                      error);
}

gboolean
dm_model_file_is_model (const DmSafetensors *st)
{
  return dm_safetensors_metadata (st, "dinomaly.format_version") != NULL;
}

DmModelInfo *
dm_model_info_from_file (const DmSafetensors *st, GError **error)
{
  g_autoptr (JsonObject) root = json_object_new ();
  g_autofree char *where = g_strdup_printf ("%s: model metadata", dm_safetensors_path (st));

  if (!dm_model_file_is_model (st))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                   "%s: not a Dinomaly model file (no 'dinomaly.format_version' in its metadata); "
                   "'dinomaly import' makes one from a state dict",
                   dm_safetensors_path (st));
      return NULL;
    }
  for (const char *const *k = dm_safetensors_metadata_keys (st); *k != NULL; k++)
    {
      g_autoptr (JsonParser) parser = NULL;
      g_autoptr (GError) local_error = NULL;

      if (!g_str_has_prefix (*k, "dinomaly."))
        continue;
      parser = json_parser_new ();
      if (!dm_json_depth_within (dm_safetensors_metadata (st, *k),
                                 strlen (dm_safetensors_metadata (st, *k)), 32))
        {
          g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: '%s' is nested too deeply", where,
                       *k);
          return NULL;
        }
      if (!json_parser_load_from_data (parser, dm_safetensors_metadata (st, *k), -1, &local_error)
          || json_parser_get_root (parser) == NULL)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: '%s' is not valid JSON: %s", where,
                       *k, local_error != NULL ? local_error->message : "empty");
          return NULL;
        }
      json_object_set_member (root, *k + strlen ("dinomaly."),
                              json_node_copy (json_parser_get_root (parser)));
    }
  return from_object (root, where, error);
}
