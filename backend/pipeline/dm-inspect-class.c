/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A class's model, inspector and thresholds, opened the way predict opens
 * them (dm-inspect-class.h). */
#include "dm-inspect-class.h"

#include <string.h>

#include "dm-error.h"
#include "dm-model-set.h"

/* The class whose thresholds decide: class_name, or the only class. */
static gboolean
choose_thresholds (DmInspectClass *cls, GError **error)
{
  const DmModelInfo *info = cls->info;
  const DmClassThreshold *threshold = NULL;
  guint n_classes = g_strv_length (info->class_names);

  if (cls->class_name != NULL)
    {
      for (guint i = 0; i < info->n_thresholds; i++)
        if (g_strcmp0 (info->thresholds[i].class_name, cls->class_name) == 0)
          threshold = &info->thresholds[i];
      if (threshold == NULL
          && !g_strv_contains ((const char *const *)info->class_names, cls->class_name))
        {
          g_autofree char *joined = g_strjoinv (", ", info->class_names);

          g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: no class '%s' in this model (%s%s)",
                       cls->model_path, cls->class_name,
                       n_classes > 0 ? "classes: " : "no classes recorded", joined);
          return FALSE;
        }
    }
  else if (n_classes <= 1 && info->n_thresholds >= 1)
    {
      /* the first (only) class's threshold */
      threshold = &info->thresholds[0];
      for (guint i = 0; n_classes == 1 && i < info->n_thresholds; i++)
        if (g_strcmp0 (info->thresholds[i].class_name, info->class_names[0]) == 0)
          {
            threshold = &info->thresholds[i];
            break;
          }
    }
  dm_thresholds_init (&cls->thresholds);
  cls->decides = threshold != NULL;
  if (threshold != NULL)
    {
      cls->thresholds.image = threshold->image;
      cls->thresholds.pixel = threshold->pixel;
      if (threshold->has_uncertain)
        {
          cls->thresholds.uncertain_low = threshold->uncertain_low;
          cls->thresholds.uncertain_high = threshold->uncertain_high;
        }
    }
  return TRUE;
}

DmInspector *
dm_inspect_class_open (const char *model_path,
                       const char *backbone_path,
                       const char *class_name,
                       int max_batch,
                       int n_threads,
                       DmInspectClass *cls,
                       GError **error)
{
  g_autoptr (DmModelSet) models = NULL;
  g_autoptr (DmInspector) inspector = NULL;
  const char *path;

  memset (cls, 0, sizeof *cls);
  dm_thresholds_init (&cls->thresholds);
  cls->class_name = g_strdup (class_name);
  models = dm_model_set_open (model_path, error);
  if (models == NULL || (path = dm_model_set_class_model (models, class_name, error)) == NULL)
    return NULL;
  cls->model_path = g_strdup (path);
  inspector
    = dm_inspector_new (cls->model_path, backbone_path, max_batch, n_threads, &cls->info, error);
  if (inspector == NULL || !choose_thresholds (cls, error))
    return NULL;
  return g_steal_pointer (&inspector);
}

void
dm_inspect_class_clear (DmInspectClass *cls)
{
  g_clear_pointer (&cls->model_path, g_free);
  g_clear_pointer (&cls->class_name, g_free);
  g_clear_pointer (&cls->info, dm_model_info_free);
}
