/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Thresholds from good parts, stored into a model file (dm-calibrate.h). */
#include "dm-calibrate.h"

#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-inspect.h"
#include "dm-model-file.h"
#include "dm-safetensors-writer.h"

void
dm_calibrate_thresholds (
  const float *scores, const float *map_maxima, gsize n, double quantile, DmThresholds *thresholds)
{
  dm_thresholds_init (thresholds);
  thresholds->image = dm_quantile (scores, n, quantile);
  thresholds->pixel = dm_quantile (map_maxima, n, quantile);
}

typedef struct
{
  GArray *scores, *maxima;
  GPtrArray *notes;
} Scored;

static void
on_item (const DmInspectItem *item, gpointer user_data)
{
  Scored *s = user_data;
  float mx;

  if (item->error != NULL)
    {
      if (s->notes != NULL)
        g_ptr_array_add (s->notes, g_error_copy (item->error));
      return;
    }
  mx = item->map[0];
  for (gsize p = 1; p < (gsize)DM_INSPECT_MAP_SIZE * DM_INSPECT_MAP_SIZE; p++)
    mx = MAX (mx, item->map[p]);
  g_array_append_val (s->scores, item->score);
  g_array_append_val (s->maxima, mx);
}

gboolean
dm_calibrate_folder (const char *model_path,
                     const char *backbone_path,
                     const char *folder,
                     double quantile,
                     int batch,
                     int n_threads,
                     DmThresholds *thresholds,
                     guint *n_scored,
                     GPtrArray *notes,
                     const gint *cancel,
                     GError **error)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) scores = g_array_new (FALSE, FALSE, sizeof (float));
  g_autoptr (GArray) maxima = g_array_new (FALSE, FALSE, sizeof (float));
  g_autofree char *display = g_filename_display_name (folder);
  const char *paths[] = { folder, NULL };
  Scored scored = { scores, maxima, notes };
  DmInspectSettings settings;

  if (n_scored != NULL)
    *n_scored = 0;
  if (!(quantile > 0 && quantile <= 1))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "the quantile must lie in (0, 1], not %g",
                   quantile);
      return FALSE;
    }
  if (!g_file_test (folder, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: not a folder of good parts", display);
      return FALSE;
    }
  dm_inspect_collect (paths, files, notes);
  dm_inspect_settings_init (&settings);
  settings.model_path = model_path;
  settings.backbone_path = backbone_path;
  settings.batch = batch;
  settings.n_threads = n_threads;
  if (!dm_inspect_run (&settings, (const char *const *)files->pdata, files->len, on_item, &scored,
                       cancel, NULL, error))
    return FALSE;
  if (n_scored != NULL)
    *n_scored = scores->len;
  if (scores->len < DM_CALIBRATE_MIN_IMAGES)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: %u good part%s scored; calibrating needs at least %d", display, scores->len,
                   scores->len == 1 ? "" : "s", DM_CALIBRATE_MIN_IMAGES);
      return FALSE;
    }
  dm_calibrate_thresholds ((const float *)scores->data, (const float *)maxima->data, scores->len,
                           quantile, thresholds);
  return TRUE;
}

/* The class's entry of info->thresholds, added when missing. */
static DmClassThreshold *
class_entry (DmModelInfo *info, const char *class_name)
{
  DmClassThreshold *t;

  for (guint i = 0; i < info->n_thresholds; i++)
    if (g_strcmp0 (info->thresholds[i].class_name, class_name) == 0)
      return &info->thresholds[i];
  if (!g_strv_contains ((const char *const *)info->class_names, class_name))
    {
      guint n = g_strv_length (info->class_names);

      info->class_names = g_renew (char *, info->class_names, n + 2);
      info->class_names[n] = g_strdup (class_name);
      info->class_names[n + 1] = NULL;
    }
  info->thresholds = g_renew (DmClassThreshold, info->thresholds, info->n_thresholds + 1);
  t = &info->thresholds[info->n_thresholds++];
  memset (t, 0, sizeof *t);
  t->class_name = g_strdup (class_name);
  return t;
}

static gboolean rewrite (DmModelFile *file, const char *path, GError **error);

gboolean
dm_calibrate_store (const char *path,
                    const char *class_name,
                    const DmThresholds *thresholds,
                    GError **error)
{
  g_autoptr (DmModelFile) file = dm_model_file_open (path, error);
  g_autofree char *display = g_filename_display_name (path);
  DmClassThreshold *t;

  if (file == NULL)
    return FALSE;
  if (!isfinite (thresholds->image))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: no image threshold to store", display);
      return FALSE;
    }
  t = class_entry (file->info, class_name);
  t->image = thresholds->image;
  t->pixel = isfinite (thresholds->pixel) ? thresholds->pixel : t->pixel;
  if (isfinite (thresholds->uncertain_low) && isfinite (thresholds->uncertain_high))
    {
      t->has_uncertain = TRUE;
      t->uncertain_low = thresholds->uncertain_low;
      t->uncertain_high = thresholds->uncertain_high;
    }
  return rewrite (file, path, error);
}

gboolean
dm_calibrate_store_rules (const char *path,
                          const char *class_name,
                          const DmRules *rules,
                          GError **error)
{
  g_autoptr (DmModelFile) file = dm_model_file_open (path, error);
  g_autofree char *display = g_filename_display_name (path);

  if (file == NULL)
    return FALSE;
  if (!g_strv_contains ((const char *const *)file->info->class_names, class_name))
    {
      g_autofree char *joined = g_strjoinv (", ", file->info->class_names);

      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: no class '%s' in this model (%s%s)",
                   display, class_name, joined[0] ? "classes: " : "no classes recorded", joined);
      return FALSE;
    }
  dm_model_info_set_rules (file->info, class_name, rules);
  return rewrite (file, path, error);
}

/* Writes file's tensors with its (changed) info to path, atomically. */
static gboolean
rewrite (DmModelFile *file, const char *path, GError **error)
{
  g_autoptr (DmSafetensorsWriter) writer = NULL;

  if (!dm_model_info_validate (file->info, error))
    {
      g_autofree char *display = g_filename_display_name (path);

      g_prefix_error (error, "%s: ", display);
      return FALSE;
    }

  writer = dm_safetensors_writer_new ();
  for (const char *const *key = dm_safetensors_metadata_keys (file->st); *key != NULL; key++)
    dm_safetensors_writer_set_metadata (writer, *key, dm_safetensors_metadata (file->st, *key));
  dm_model_info_to_metadata (file->info, writer);
  for (guint i = 0; i < dm_safetensors_n_tensors (file->st); i++)
    {
      const DmTensorInfo *ti = dm_safetensors_tensor (file->st, i);

      if (!dm_safetensors_writer_add_raw (writer, ti->name, ti->dtype,
                                          dm_safetensors_tensor_bytes (file->st, ti), ti->rank,
                                          ti->shape, error))
        return FALSE;
    }
  /* the new file is renamed over the mapped old one: the mapping stays
   * valid until it is freed */
  return dm_safetensors_writer_write (writer, path, error);
}
