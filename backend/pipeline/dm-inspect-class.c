/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A class's model, inspector and decider, opened the way predict opens
 * them (dm-inspect-class.h). */
#include "dm-inspect-class.h"

#include <string.h>

#include "dm-error.h"
#include "dm-model-set.h"

/* The class whose thresholds and rules decide: class_name, or the only
 * class (or the only thresholds of a model that names no class). */
static gboolean
choose_class (DmInspectClass *cls,
              const DmDinomalyModel *model,
              const char *class_name,
              const char *rules_path,
              GError **error)
{
  const DmModelInfo *info = cls->info;
  guint n_classes = g_strv_length (info->class_names);
  g_autoptr (DmRules) file_rules = NULL;

  if (class_name != NULL)
    {
      gboolean known = dm_model_info_get_thresholds (info, class_name, &cls->thresholds)
                       || g_strv_contains ((const char *const *)info->class_names, class_name);

      if (!known)
        {
          g_autofree char *joined = g_strjoinv (", ", info->class_names);

          g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: no class '%s' in this model (%s%s)",
                       cls->model_path, class_name,
                       n_classes > 0 ? "classes: " : "no classes recorded", joined);
          return FALSE;
        }
      cls->class_name = g_strdup (class_name);
    }
  else if (n_classes == 1)
    cls->class_name = g_strdup (info->class_names[0]);
  else if (n_classes == 0 && info->n_thresholds >= 1)
    cls->class_name = g_strdup (info->thresholds[0].class_name);
  dm_model_info_get_thresholds (info, cls->class_name, &cls->thresholds);
  if (rules_path != NULL && (file_rules = dm_rules_load (rules_path, error)) == NULL)
    return FALSE;
  cls->decider = dm_decider_new (
    &cls->thresholds,
    file_rules != NULL ? file_rules : dm_model_info_get_rules (info, cls->class_name),
    model->resize, model->crop, error);
  if (cls->decider == NULL)
    {
      g_prefix_error (error, "%s: class '%s': ", rules_path != NULL ? rules_path : cls->model_path,
                      cls->class_name != NULL ? cls->class_name : "");
      return FALSE;
    }
  cls->decides = dm_decider_decides (cls->decider);
  return TRUE;
}

DmInspector *
dm_inspect_class_open (const char *model_path,
                       const char *backbone_path,
                       const char *class_name,
                       const char *rules_path,
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
  models = dm_model_set_open (model_path, error);
  if (models == NULL || (path = dm_model_set_class_model (models, class_name, error)) == NULL)
    return NULL;
  cls->model_path = g_strdup (path);
  inspector
    = dm_inspector_new (cls->model_path, backbone_path, max_batch, n_threads, &cls->info, error);
  if (inspector == NULL
      || !choose_class (cls, dm_inspector_get_model (inspector), class_name, rules_path, error))
    return NULL;
  return g_steal_pointer (&inspector);
}

void
dm_inspect_class_clear (DmInspectClass *cls)
{
  g_clear_pointer (&cls->model_path, g_free);
  g_clear_pointer (&cls->class_name, g_free);
  g_clear_pointer (&cls->info, dm_model_info_free);
  g_clear_pointer (&cls->decider, dm_decider_free);
}
