/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Training checkpoints: atomic write, checked read. */
#include "dm-checkpoint.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "dm-error.h"
#include "dm-json-writer.h"
#include "dm-safetensors-writer.h"
#include "dm-safetensors.h"

#define META_KEY "dinomaly.checkpoint"

static const char *const arena_names[4] = { "params", "adam_m", "adam_v", "adam_vmax" };

void
dm_checkpoint_state_init (DmCheckpointState *state)
{
  memset (state, 0, sizeof *state);
  dm_train_settings_init (&state->settings);
  state->losses = g_array_new (FALSE, FALSE, sizeof (float));
}

void
dm_checkpoint_state_clear (DmCheckpointState *state)
{
  g_clear_pointer (&state->data, g_free);
  g_clear_pointer (&state->started, g_free);
  g_clear_pointer (&state->losses, g_array_unref);
  dm_train_settings_clear (&state->settings);
}

static char *
state_to_json (const DmCheckpointState *s)
{
  DmJsonWriter *w = dm_json_writer_new (FALSE);
  g_autofree char *settings = dm_train_settings_to_json (&s->settings);

  dm_json_writer_begin_object (w);
  dm_json_writer_member_int (w, "version", DM_CHECKPOINT_VERSION);
  dm_json_writer_member_int (w, "dim", s->dim);
  dm_json_writer_member_int (w, "next_iter", s->next_iter);
  dm_json_writer_member_int (w, "adam_steps", s->adam_steps);
  dm_json_writer_member_int (w, "first_iter", s->first_iter);
  dm_json_writer_member_int (w, "n_images", s->n_images);
  dm_json_writer_member_string (w, "data", s->data != NULL ? s->data : "");
  dm_json_writer_member_string (w, "started", s->started != NULL ? s->started : "");
  dm_json_writer_member_number (w, "seconds", s->seconds);
  dm_json_writer_key (w, "settings");
  dm_json_writer_raw (w, settings);
  dm_json_writer_end_object (w);
  return dm_json_writer_free_to_text (w);
}

gboolean
dm_checkpoint_write (const char *path,
                     const DmCheckpointState *state,
                     const DmTrainStep *step,
                     GError **error)
{
  g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
  g_autofree char *meta = state_to_json (state);
  const float *arenas[4] = { step->weights->arena, step->m, step->v, step->vmax };
  gint64 n = (gint64)step->weights->layout.n_floats;

  for (int i = 0; i < 4; i++)
    if (!dm_safetensors_writer_add_f32 (w, arena_names[i], DM_DTYPE_F32, arenas[i], 1, &n, error))
      return FALSE;
  if (state->losses->len > 0)
    {
      gint64 n_losses = state->losses->len;
      if (!dm_safetensors_writer_add_f32 (w, "losses", DM_DTYPE_F32,
                                          (const float *)(void *)state->losses->data, 1, &n_losses,
                                          error))
        return FALSE;
    }
  dm_safetensors_writer_set_metadata (w, META_KEY, meta);
  return dm_safetensors_writer_write (w, path, error);
}

static gboolean
corrupt (GError **error, const char *path, const char *what)
{
  return dm_error_corrupt (error, path, "not a training checkpoint (%s)", what);
}

gboolean
dm_checkpoint_read_state (const char *path, DmCheckpointState *state, GError **error)
{
  g_autoptr (DmSafetensors) st = dm_safetensors_open (path, error);
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) local = NULL;
  const DmTensorInfo *losses;
  const char *meta;
  JsonObject *o;
  JsonNode *settings;

  if (st == NULL)
    return FALSE;
  meta = dm_safetensors_metadata (st, META_KEY);
  if (meta == NULL)
    return corrupt (error, path, "no " META_KEY " metadata");
  root = json_from_string (meta, &local);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return corrupt (error, path, "its metadata is not a JSON object");
  o = json_node_get_object (root);
  if (json_object_get_int_member_with_default (o, "version", 0) > DM_CHECKPOINT_VERSION)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                   "%s: checkpoint version %" G_GINT64_FORMAT " is newer than this program's (%d)",
                   path, json_object_get_int_member (o, "version"), DM_CHECKPOINT_VERSION);
      return FALSE;
    }
  settings = json_object_get_member (o, "settings");
  if (!json_object_has_member (o, "dim") || !json_object_has_member (o, "next_iter")
      || !json_object_has_member (o, "adam_steps") || settings == NULL
      || !JSON_NODE_HOLDS_OBJECT (settings))
    return corrupt (error, path, "its metadata lacks dim, next_iter, adam_steps or settings");
  state->dim = (int)json_object_get_int_member (o, "dim");
  state->next_iter = json_object_get_int_member (o, "next_iter");
  state->adam_steps = json_object_get_int_member (o, "adam_steps");
  state->first_iter = json_object_get_int_member_with_default (o, "first_iter", 0);
  state->n_images = (int)json_object_get_int_member_with_default (o, "n_images", 0);
  g_free (state->data);
  state->data = g_strdup (json_object_get_string_member_with_default (o, "data", ""));
  g_free (state->started);
  state->started = g_strdup (json_object_get_string_member_with_default (o, "started", ""));
  state->seconds = json_object_get_double_member_with_default (o, "seconds", 0.0);
  if (!dm_train_settings_from_object (&state->settings, json_node_get_object (settings), error))
    return FALSE;
  if (state->dim < 1 || state->next_iter < 0 || state->adam_steps < 0)
    return corrupt (error, path, "negative dim, next_iter or adam_steps");

  g_array_set_size (state->losses, 0);
  losses = dm_safetensors_find (st, "losses");
  if (losses != NULL)
    {
      g_array_set_size (state->losses, (guint)losses->n_elements);
      if (!dm_safetensors_read_f32 (st, "losses", (float *)(void *)state->losses->data,
                                    losses->n_elements, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
dm_checkpoint_read_arenas (const char *path, DmTrainStep *step, GError **error)
{
  g_autoptr (DmSafetensors) st = dm_safetensors_open (path, error);
  float *arenas[4] = { step->weights->arena, step->m, step->v, step->vmax };
  gsize n = step->weights->layout.n_floats;
  DmCheckpointState s;

  if (st == NULL)
    return FALSE;
  dm_checkpoint_state_init (&s);
  if (!dm_checkpoint_read_state (path, &s, error))
    {
      dm_checkpoint_state_clear (&s);
      return FALSE;
    }
  if (s.dim != step->D)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "%s: the checkpoint's decoder is %d wide, the backbone %d", path, s.dim,
                   step->D);
      dm_checkpoint_state_clear (&s);
      return FALSE;
    }
  step->adam_steps = s.adam_steps;
  dm_checkpoint_state_clear (&s);
  for (int i = 0; i < 4; i++)
    if (!dm_safetensors_read_f32 (st, arena_names[i], arenas[i], n, error))
      return FALSE;
  return TRUE;
}
