/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Training settings: defaults, presets, checks, JSON. */
#include "config.h"

#include "dm-train-settings.h"

#include "dm-json-util.h"
#include "dm-json-writer.h"

#include <glib/gi18n-lib.h>

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "dm-error.h"

void
dm_train_settings_init (DmTrainSettings *s)
{
  memset (s, 0, sizeof *s);
  s->resize = 448;
  s->crop = 392;
  s->total_iters = 10000;
  s->batch = 16;
  s->dropout = 0.2f;
  dm_loss_settings_default (&s->loss);
  dm_optimizer_settings_default (&s->opt, s->total_iters);
  s->seed = 1;
  s->shuffle = TRUE;
}

void
dm_train_settings_clear (DmTrainSettings *s)
{
  g_clear_pointer (&s->checkpoint_dir, g_free);
  g_clear_pointer (&s->cache_dir, g_free);
}

void
dm_train_settings_copy (DmTrainSettings *dst, const DmTrainSettings *src)
{
  *dst = *src;
  dst->checkpoint_dir = g_strdup (src->checkpoint_dir);
  dst->cache_dir = g_strdup (src->cache_dir);
}

/* The presets, each named after what it reproduces. The paper's settings
 * come from the official Dinomaly code: dinomaly_mvtec_uni.py and
 * dinomaly_visa_uni.py (448/392, 10,000 iterations, batch 16, bottleneck
 * dropout 0.2), dinomaly_realiad_uni.py (50,000 iterations, dropout 0.4);
 * the longer "Dinomaly↑" schedules are its README's released models, twice
 * the iterations (20,000; 100,000 on Real-IAD). The ViT-L row of the
 * paper's backbone study keeps the schedule (targets 4, 6, ..., 18); its
 * class-separated setting (Table 2) trains one model per class for 5,000
 * iterations (the appendix). */
static const struct
{
  const char *name;
  const char *title; /* translated by the window */
  const char *arch;
  int resize, crop, iters, batch;
  float dropout;
  gboolean per_class;
} presets[] = {
  [DM_TRAIN_PRESET_QUICK] = { "quick", N_ ("Quick"), "small", 256, 224, 1000, 8, 0.2f },
  [DM_TRAIN_PRESET_BALANCED] = { "balanced", N_ ("Balanced"), "base", 320, 280, 3000, 8, 0.2f },
  [DM_TRAIN_PRESET_PAPER]
  = { "paper", N_ ("Paper: MVTec AD, VisA"), "base", 448, 392, 10000, 16, 0.2f },
  [DM_TRAIN_PRESET_PAPER_LONG]
  = { "paper-long", N_ ("Paper, longer: MVTec AD, VisA"), "base", 448, 392, 20000, 16, 0.2f },
  [DM_TRAIN_PRESET_REALIAD]
  = { "realiad", N_ ("Paper: Real-IAD"), "base", 448, 392, 50000, 16, 0.4f },
  [DM_TRAIN_PRESET_REALIAD_LONG]
  = { "realiad-long", N_ ("Paper, longer: Real-IAD"), "base", 448, 392, 100000, 16, 0.4f },
  [DM_TRAIN_PRESET_PAPER_LARGE]
  = { "paper-large", N_ ("Paper, ViT-L: MVTec AD, VisA"), "large", 448, 392, 10000, 16, 0.2f },
  [DM_TRAIN_PRESET_PER_CLASS] = { "paper-per-class", N_ ("Paper, one model per class: MVTec AD"),
                                  "base", 448, 392, 5000, 16, 0.2f, TRUE },
};

/* What a preset sets (the names of the settings' JSON form). */
static const char *const preset_settings[]
  = { "resize", "crop", "total_iters", "batch", "dropout", "per_class", NULL };

void
dm_train_settings_apply_preset (DmTrainSettings *s, DmTrainPreset preset)
{
  g_return_if_fail ((guint)preset < G_N_ELEMENTS (presets));
  s->resize = presets[preset].resize;
  s->crop = presets[preset].crop;
  s->total_iters = presets[preset].iters;
  s->opt.total_iters = s->total_iters;
  s->batch = presets[preset].batch;
  s->dropout = presets[preset].dropout;
  s->per_class = presets[preset].per_class;
}

gboolean
dm_train_preset_from_name (const char *name, DmTrainPreset *preset)
{
  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    if (g_strcmp0 (name, presets[i].name) == 0)
      {
        *preset = (DmTrainPreset)i;
        return TRUE;
      }
  return FALSE;
}

guint
dm_train_preset_count (void)
{
  return G_N_ELEMENTS (presets);
}

const char *
dm_train_preset_name (DmTrainPreset preset)
{
  return (guint)preset < G_N_ELEMENTS (presets) ? presets[preset].name : NULL;
}

const char *
dm_train_preset_title (DmTrainPreset preset)
{
  return (guint)preset < G_N_ELEMENTS (presets) ? presets[preset].title : NULL;
}

const char *
dm_train_preset_arch (DmTrainPreset preset)
{
  return (guint)preset < G_N_ELEMENTS (presets) ? presets[preset].arch : NULL;
}

const char *const *
dm_train_preset_settings (void)
{
  return preset_settings;
}

char *
dm_train_preset_list (void)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    g_string_append_printf (s, "%s%s",
                            i == 0                            ? ""
                            : i + 1 == G_N_ELEMENTS (presets) ? " or "
                                                              : ", ",
                            presets[i].name);
  return g_string_free (s, FALSE);
}

static gboolean G_GNUC_PRINTF (2, 3) invalid (GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "training settings: %s", message);
  return FALSE;
}

gboolean
dm_train_settings_validate (const DmTrainSettings *s, GError **error)
{
  const DmOptimizerSettings *o = &s->opt;

  if (s->resize < 1 || s->resize > 4096)
    return invalid (error, "resize %d is not in 1..4096", s->resize);
  if (s->crop < 1 || s->crop > s->resize)
    return invalid (error, "crop %d is not in 1..resize (%d)", s->crop, s->resize);
  if (s->total_iters < 1)
    return invalid (error, "total iterations %" G_GINT64_FORMAT " is not positive", s->total_iters);
  if (s->start_iter < 0 || s->start_iter >= s->total_iters)
    return invalid (error, "start iteration %" G_GINT64_FORMAT " is not in 0..%" G_GINT64_FORMAT,
                    s->start_iter, s->total_iters - 1);
  if (s->iters < 0)
    return invalid (error, "iterations %" G_GINT64_FORMAT " is negative", s->iters);
  if (s->batch < 1 || s->batch > 4096)
    return invalid (error, "batch size %d is not in 1..4096", s->batch);
  if (!(s->dropout >= 0.0f && s->dropout < 1.0f))
    return invalid (error, "dropout %g is not in [0, 1)", s->dropout);
  if (!(s->loss.p_final >= 0.0 && s->loss.p_final < 1.0))
    return invalid (error, "hard-mining share %g is not in [0, 1)", s->loss.p_final);
  if (s->loss.ramp_iters < 1)
    return invalid (error, "hard-mining ramp %d is not positive", s->loss.ramp_iters);
  if (!(s->loss.factor >= 0.0f && s->loss.factor <= 1.0f))
    return invalid (error, "hard-mining factor %g is not in [0, 1]", s->loss.factor);
  if (!(o->lr >= 0.0 && o->lr < 10.0) || !(o->lr_final >= 0.0 && o->lr_final < 10.0))
    return invalid (error, "learning rates %g -> %g are not in [0, 10)", o->lr, o->lr_final);
  if (o->warmup_iters < 0)
    return invalid (error, "warm-up %d is negative", o->warmup_iters);
  if (!(o->beta1 >= 0.0 && o->beta1 < 1.0) || !(o->beta2 >= 0.0 && o->beta2 < 1.0))
    return invalid (error, "betas %g, %g are not in [0, 1)", o->beta1, o->beta2);
  if (!(o->weight_decay >= 0.0 && o->weight_decay < 1.0))
    return invalid (error, "weight decay %g is not in [0, 1)", o->weight_decay);
  if (!(o->eps > 0.0 && o->eps < 1.0))
    return invalid (error, "epsilon %g is not in (0, 1)", o->eps);
  if (!(o->clip_norm > 0.0) || !isfinite (o->clip_norm))
    return invalid (error, "clipping norm %g is not positive", o->clip_norm);
  if (s->checkpoint_every < 0)
    return invalid (error, "checkpoint interval %" G_GINT64_FORMAT " is negative",
                    s->checkpoint_every);
  if (s->n_threads < 0)
    return invalid (error, "thread count %d is negative", s->n_threads);
  return TRUE;
}

gint64
dm_train_settings_end_iter (const DmTrainSettings *s)
{
  if (s->iters <= 0)
    return s->total_iters;
  return MIN (s->start_iter + s->iters, s->total_iters);
}

char *
dm_train_settings_to_json (const DmTrainSettings *s)
{
  DmJsonWriter *w = dm_json_writer_new (FALSE);
  const DmOptimizerSettings *o = &s->opt;
  char seed[32];

  dm_json_writer_begin_object (w);
  dm_json_writer_member_int (w, "resize", s->resize);
  dm_json_writer_member_int (w, "crop", s->crop);
  dm_json_writer_member_int (w, "total_iters", s->total_iters);
  dm_json_writer_member_int (w, "batch", s->batch);
  dm_json_writer_member_number (w, "dropout", s->dropout);
  dm_json_writer_member_bool (w, "per_class", s->per_class);
  dm_json_writer_member_number (w, "hm_p_final", s->loss.p_final);
  dm_json_writer_member_int (w, "hm_ramp_iters", s->loss.ramp_iters);
  dm_json_writer_member_number (w, "hm_factor", s->loss.factor);
  dm_json_writer_member_number (w, "lr", o->lr);
  dm_json_writer_member_number (w, "lr_final", o->lr_final);
  dm_json_writer_member_int (w, "warmup_iters", o->warmup_iters);
  dm_json_writer_member_number (w, "beta1", o->beta1);
  dm_json_writer_member_number (w, "beta2", o->beta2);
  dm_json_writer_member_number (w, "weight_decay", o->weight_decay);
  dm_json_writer_member_number (w, "eps", o->eps);
  dm_json_writer_member_number (w, "clip_norm", o->clip_norm);
  /* a string: JSON numbers lose 64-bit integers in many readers */
  g_snprintf (seed, sizeof seed, "%" G_GUINT64_FORMAT, s->seed);
  dm_json_writer_member_string (w, "seed", seed);
  dm_json_writer_member_bool (w, "shuffle", s->shuffle);
  dm_json_writer_member_bool (w, "cache_bf16", s->cache_bf16);
  dm_json_writer_end_object (w);
  return dm_json_writer_free_to_text (w);
}

gboolean
dm_train_settings_from_json (DmTrainSettings *s, const char *json, GError **error)
{
  g_autoptr (JsonNode) root = json_from_string (json, error);

  if (root == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return invalid (error, "the JSON form is not an object");
  return dm_train_settings_from_object (s, json_node_get_object (root), error);
}

gboolean
dm_train_settings_from_object (DmTrainSettings *s, JsonObject *o, GError **error)
{
  (void)error;
#define INT(name, field)                                                                           \
  if (json_object_has_member (o, name))                                                            \
  field = json_object_get_int_member (o, name)
#define DBL(name, field)                                                                           \
  if (json_object_has_member (o, name))                                                            \
  field = json_object_get_double_member (o, name)
  INT ("resize", s->resize);
  INT ("crop", s->crop);
  INT ("total_iters", s->total_iters);
  INT ("batch", s->batch);
  DBL ("dropout", s->dropout);
  DBL ("hm_p_final", s->loss.p_final);
  INT ("hm_ramp_iters", s->loss.ramp_iters);
  DBL ("hm_factor", s->loss.factor);
  DBL ("lr", s->opt.lr);
  DBL ("lr_final", s->opt.lr_final);
  INT ("warmup_iters", s->opt.warmup_iters);
  DBL ("beta1", s->opt.beta1);
  DBL ("beta2", s->opt.beta2);
  DBL ("weight_decay", s->opt.weight_decay);
  DBL ("eps", s->opt.eps);
  DBL ("clip_norm", s->opt.clip_norm);
#undef INT
#undef DBL
  if (json_object_has_member (o, "seed"))
    {
      /* written as a string (64 bits do not survive a double); a number
       * typed by hand is accepted too */
      JsonNode *seed = json_object_get_member (o, "seed");

      if (JSON_NODE_HOLDS_VALUE (seed) && json_node_get_value_type (seed) == G_TYPE_STRING)
        s->seed = g_ascii_strtoull (json_node_get_string (seed), NULL, 10);
      else if (JSON_NODE_HOLDS_VALUE (seed))
        s->seed = (guint64)json_node_get_int (seed);
    }
  if (json_object_has_member (o, "shuffle"))
    s->shuffle = json_object_get_boolean_member (o, "shuffle");
  if (json_object_has_member (o, "cache_bf16"))
    s->cache_bf16 = json_object_get_boolean_member (o, "cache_bf16");
  if (json_object_has_member (o, "per_class"))
    s->per_class = json_object_get_boolean_member (o, "per_class");
  s->opt.total_iters = s->total_iters;
  return TRUE;
}
