/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A station's model and rules from a model file or a project
 * (dm-station-rules.h). */
#include "dm-station-rules.h"

#include <math.h>

#include "dm-calibrate.h"
#include "dm-error.h"
#include "dm-model-file.h"
#include "dm-project-line.h"
#include "dm-project.h"

gboolean
dm_station_rules_from_model (DmStationSettings *settings,
                             const char *model_path,
                             const char *backbone_path,
                             const char *class_name,
                             GError **error)
{
  g_autoptr (DmModelFile) file = dm_model_file_open (model_path, error);
  g_autofree char *display = g_filename_display_name (model_path);
  DmModelInfo *info;
  guint n_classes;
  DmThresholds t;

  if (file == NULL)
    return FALSE;
  info = file->info;
  n_classes = g_strv_length (info->class_names);
  if (class_name == NULL && n_classes != 1)
    {
      g_autofree char *joined = g_strjoinv (", ", info->class_names);

      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   n_classes == 0 ? "%s: the model names no class: give --class NAME%s"
                                  : "%s: the model has several classes (%s): give --class NAME",
                   display, joined);
      return FALSE;
    }
  if (class_name == NULL)
    class_name = info->class_names[0];
  else if (n_classes > 0 && !g_strv_contains ((const char *const *)info->class_names, class_name))
    {
      g_autofree char *joined = g_strjoinv (", ", info->class_names);

      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: no class '%s' in this model (classes: %s)", display, class_name, joined);
      return FALSE;
    }
  dm_model_info_get_thresholds (info, class_name, &t);
  g_free (settings->model_path);
  settings->model_path = g_strdup (model_path);
  g_free (settings->backbone_path);
  settings->backbone_path = g_strdup (backbone_path);
  g_free (settings->default_class);
  settings->default_class = g_strdup (class_name);
  dm_station_settings_set_class (settings, class_name, &t);
  dm_station_settings_set_rules (settings, class_name, dm_model_info_get_rules (info, class_name));
  return TRUE;
}

/* The model of an open project and the thresholds of one of its classes. */
static gboolean
rules_from_project (DmStationSettings *settings,
                    const DmProject *project,
                    const char *class_name,
                    GError **error)
{
  g_autofree char *model = NULL;
  DmProjectClass *klass;
  DmThresholds t;

  if (class_name == NULL && project->classes->len == 1)
    class_name = ((DmProjectClass *)project->classes->pdata[0])->name;
  if (class_name == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: the project has %u classes: give --class", project->folder,
                   project->classes->len);
      return FALSE;
    }
  klass = dm_project_find_class ((DmProject *)project, class_name);
  if (klass == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: no class '%s' in this project",
                   project->folder, class_name);
      return FALSE;
    }
  if (project->model != NULL)
    model = g_build_filename (project->folder, project->model, NULL);
  if (model == NULL || !g_file_test (model, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: the project has no trained model yet: train it first", project->folder);
      return FALSE;
    }
  dm_thresholds_init (&t);
  t.image = klass->image_threshold;
  t.pixel = klass->pixel_threshold;
  t.uncertain_low = klass->uncertain_low;
  t.uncertain_high = klass->uncertain_high;
  g_free (settings->model_path);
  settings->model_path = g_steal_pointer (&model);
  g_free (settings->backbone_path);
  settings->backbone_path = g_strdup (project->backbone_path);
  g_free (settings->default_class);
  settings->default_class = g_strdup (class_name);
  settings->model_version = project->active_version;
  dm_station_settings_set_class (settings, class_name, &t);
  dm_station_settings_set_rules (settings, class_name, klass->rules);
  return TRUE;
}

gboolean
dm_station_rules_from_project (DmStationSettings *settings,
                               const char *project_folder,
                               const char *class_name,
                               GError **error)
{
  g_autoptr (DmProject) project = dm_project_open (project_folder, error);

  return project != NULL && rules_from_project (settings, project, class_name, error);
}

gboolean
dm_station_settings_from_project_line (DmStationSettings *settings,
                                       const char *project_folder,
                                       GError **error)
{
  g_autoptr (DmProject) project = dm_project_open (project_folder, error);
  const DmProjectLine *line;
  g_autofree char *first = NULL;

  if (project == NULL)
    return FALSE;
  line = project->line;
  if (line->sources->len == 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: the line has no source: add a hot folder, a camera or a pipeline first",
                   project->folder);
      return FALSE;
    }
  for (guint i = 0; i < line->sources->len; i++)
    {
      const DmLineSource *s = line->sources->pdata[i];

      if (!rules_from_project (settings, project, s->class_name, error))
        return FALSE;
      g_ptr_array_add (settings->sources, g_strdup_printf ("%s=%s", s->class_name, s->uri));
      if (first == NULL)
        first = g_strdup (s->class_name);
    }
  for (guint i = 0; i < line->sinks->len; i++)
    g_ptr_array_add (settings->sinks, g_strdup (line->sinks->pdata[i]));
  g_free (settings->default_class);
  settings->default_class = g_steal_pointer (&first);
  g_free (settings->journal);
  settings->journal = dm_project_line_journal (project);
  settings->keep_passes = line->keep_passes;
  return TRUE;
}

const DmThresholds *
dm_station_rules_get (const DmStationSettings *settings)
{
  if (settings->default_class == NULL)
    return NULL;
  return g_hash_table_lookup (settings->classes, settings->default_class);
}

gboolean
dm_station_rules_override (DmStationSettings *settings,
                           double image,
                           double band_low,
                           double band_high,
                           const char *calibrate_folder,
                           double quantile,
                           GPtrArray *notes,
                           GError **error)
{
  const DmThresholds *current = dm_station_rules_get (settings);
  DmThresholds t;

  g_return_val_if_fail (current != NULL, FALSE);
  t = *current;
  if (calibrate_folder != NULL)
    {
      DmThresholds calibrated;

      if (!dm_calibrate_folder (settings->model_path, settings->backbone_path, calibrate_folder,
                                quantile, settings->batch, settings->n_threads, &calibrated, NULL,
                                notes, NULL, error))
        return FALSE;
      t.image = calibrated.image;
      t.pixel = calibrated.pixel;
    }
  if (isfinite (image))
    t.image = image;
  if (isfinite (band_low) && isfinite (band_high))
    {
      t.uncertain_low = band_low;
      t.uncertain_high = band_high;
    }
  dm_station_settings_set_class (settings, settings->default_class, &t);
  return TRUE;
}
