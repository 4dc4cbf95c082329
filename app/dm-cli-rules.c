/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly rules`: a class's inspection rules (region of interest, mm per
 * pixel, limits on defect regions) shown, or stored into a model file
 * atomically, as `calibrate` stores thresholds. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dm-calibrate.h"
#include "dm-cli.h"
#include "dm-decider.h"
#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-model-file.h"

#define SUMMARY                                                                                    \
  "Shows or sets a class's inspection rules in a model file (or a copy of it\n"                    \
  "with --out), so that predict, eval, report, station and serve apply them:\n"                    \
  "\n"                                                                                             \
  "  a region of interest: inspection and ignore areas (rectangles, polygons,\n"                   \
  "    brush strokes) drawn on a reference picture; masked-out pixels take no\n"                   \
  "    part in the score (the mean of the top 1% of the inspected map pixels)\n"                   \
  "    nor in the defect regions;\n"                                                               \
  "  a calibration: millimetres per pixel of the reference picture;\n"                             \
  "  limits on the defect regions (8-connected areas of the anomaly map at or\n"                   \
  "    above the pixel threshold, measured on the original picture): a part\n"                     \
  "    fails when a region's area or longest extent is at or above the limit,\n"                   \
  "    or when more regions count than allowed; regions smaller than the\n"                        \
  "    minimum area do not count.\n"                                                               \
  "\n"                                                                                             \
  "FILE.json holds {\"reference\": {\"width\", \"height\"}, \"mm_per_pixel\", \"roi\":\n"          \
  "[{\"shape\": \"rectangle\"|\"polygon\"|\"stroke\", \"layer\": \"inspect\"|\"ignore\",\n"        \
  "\"erase\", \"radius\", \"points\": [[x, y], ...]}], \"regions\": {\"units\": \"px\"|\"mm\",\n"  \
  "\"min_area\", \"max_area\", \"max_length\", \"max_regions\"}} (every member optional;\n"        \
  "the window's ROI editor writes the same). Without an option that changes\n"                     \
  "something, the class's rules are printed as that JSON. A limit given as\n"                      \
  "'none' is removed."

/* "none" -> unset (NAN), else a finite number >= 0. */
static gboolean
parse_limit (const char *text, double *v)
{
  if (g_strcmp0 (text, "none") == 0)
    {
      *v = NAN;
      return TRUE;
    }
  return dm_cli_parse_number (text, v) && *v >= 0;
}

int
dm_cli_rules (int argc, char **argv)
{
  g_autofree char *model = NULL, *class_name = NULL, *out = NULL, *rules_path = NULL;
  g_autofree char *roi_path = NULL, *mm = NULL, *units = NULL, *min_area = NULL;
  g_autofree char *max_area = NULL, *max_length = NULL, *max_regions = NULL;
  gboolean clear = FALSE;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "the model file", "M.dinomaly" },
    { "class", 0, 0, G_OPTION_ARG_STRING, &class_name,
      "the class (needed when the model has several)", "NAME" },
    { "rules", 0, 0, G_OPTION_ARG_FILENAME, &rules_path,
      "all of the class's rules from this file (replacing what the model has)", "FILE.json" },
    { "roi", 0, 0, G_OPTION_ARG_FILENAME, &roi_path,
      "the region of interest (its \"reference\" and \"roi\") from this file", "FILE.json" },
    { "mm-per-pixel", 0, 0, G_OPTION_ARG_STRING, &mm,
      "millimetres per pixel of the reference picture ('none' removes it)", "MM" },
    { "units", 0, 0, G_OPTION_ARG_STRING, &units, "units of the limits: px or mm", "UNITS" },
    { "min-area", 0, 0, G_OPTION_ARG_STRING, &min_area, "smaller regions do not count (px or mm²)",
      "AREA" },
    { "max-area", 0, 0, G_OPTION_ARG_STRING, &max_area,
      "fail when a region's area is at or above this (px or mm²)", "AREA" },
    { "max-length", 0, 0, G_OPTION_ARG_STRING, &max_length,
      "fail when a region's longest extent is at or above this (px or mm)", "LENGTH" },
    { "max-regions", 0, 0, G_OPTION_ARG_STRING, &max_regions,
      "fail when more regions count than this", "N" },
    { "clear", 0, 0, G_OPTION_ARG_NONE, &clear, "remove the class's rules (before the others)",
      NULL },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
      "write a copy with the rules here instead of changing the model file", "FILE" },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (DmModelFile) file = NULL;
  g_autoptr (DmRules) rules = NULL;
  g_autoptr (DmDecider) check = NULL;
  g_autofree char *klass = NULL; /* a copy: the file is closed before storing */
  const char *target;            /* the model file, or its copy with --out */
  gboolean change;
  DmThresholds t;
  double v;

  if (!dm_cli_parse ("rules", NULL, SUMMARY, entries, &argc, &argv))
    return DM_CLI_USAGE;
  if (model == NULL)
    return dm_cli_usage_error ("rules", "--model is required");
  change = clear || rules_path != NULL || roi_path != NULL || mm != NULL || units != NULL
           || min_area != NULL || max_area != NULL || max_length != NULL || max_regions != NULL;
  if (out != NULL && !change)
    return dm_cli_usage_error ("rules", "--out: give the rules to store");

  file = dm_model_file_open (model, &error);
  if (file == NULL)
    goto failed;
  if (class_name == NULL && g_strv_length (file->info->class_names) != 1)
    {
      g_set_error (&error, DM_ERROR, DM_ERROR_INVALID, "%s: %s: give --class NAME", model,
                   file->info->class_names[0] == NULL ? "the model names no class"
                                                      : "the model has several classes");
      goto failed;
    }
  klass = g_strdup (class_name != NULL ? class_name : file->info->class_names[0]);
  rules = clear || dm_model_info_get_rules (file->info, klass) == NULL
            ? dm_rules_new ()
            : dm_rules_copy (dm_model_info_get_rules (file->info, klass));
  if (!change)
    {
      g_autofree char *json = dm_rules_to_json (rules, TRUE);

      fputs (json, stdout);
      return DM_CLI_OK;
    }

  if (rules_path != NULL)
    {
      dm_rules_free (rules);
      if ((rules = dm_rules_load (rules_path, &error)) == NULL)
        goto failed;
    }
  if (roi_path != NULL)
    {
      g_autoptr (DmRules) from = dm_rules_load (roi_path, &error);

      if (from == NULL)
        goto failed;
      /* the ROI and the picture it was drawn on; a calibration measured on
       * another picture would not fit it */
      if (!isnan (rules->mm_per_pixel) && from->ref_width != rules->ref_width
          && rules->ref_width != 0)
        g_printerr ("dinomaly rules: note: the region of interest is drawn on a %d x %d picture, "
                    "the calibration was made on %d x %d\n",
                    from->ref_width, from->ref_height, rules->ref_width, rules->ref_height);
      dm_roi_free (rules->roi);
      rules->roi = dm_roi_copy (from->roi);
      rules->ref_width = from->ref_width;
      rules->ref_height = from->ref_height;
    }
  if (mm != NULL && !parse_limit (mm, &rules->mm_per_pixel))
    return dm_cli_usage_error ("rules", "--mm-per-pixel: give a positive number or 'none'");
  if (units != NULL && !dm_units_from_name (units, &rules->units))
    return dm_cli_usage_error ("rules", "--units: give px or mm");
  if (min_area != NULL)
    {
      if (!parse_limit (min_area, &v))
        return dm_cli_usage_error ("rules", "--min-area: give a number >= 0 or 'none'");
      rules->min_area = isnan (v) ? 0 : v;
    }
  if (max_area != NULL && !parse_limit (max_area, &rules->max_area))
    return dm_cli_usage_error ("rules", "--max-area: give a number >= 0 or 'none'");
  if (max_length != NULL && !parse_limit (max_length, &rules->max_length))
    return dm_cli_usage_error ("rules", "--max-length: give a number >= 0 or 'none'");
  if (max_regions != NULL)
    {
      if (!parse_limit (max_regions, &v) || v != floor (v) || v > G_MAXINT)
        return dm_cli_usage_error ("rules", "--max-regions: give a whole number >= 0 or 'none'");
      rules->max_regions = isnan (v) ? -1 : (int)v;
    }

  /* what the station and predict will check, checked now */
  dm_model_info_get_thresholds (file->info, klass, &t);
  check = dm_decider_new (&t, rules, file->info->resize, file->info->crop, &error);
  if (check == NULL)
    {
      g_prefix_error (&error, "%s: class '%s': ", model, klass);
      goto failed;
    }
  g_clear_pointer (&file, dm_model_file_free);
  if (!dm_cli_model_target (model, out, &target, &error)
      || !dm_calibrate_store_rules (target, klass, rules, &error))
    goto failed;
  {
    guint n_inspected = 0;

    dm_decider_get_map_mask (check, &n_inspected);
    printf ("class %s: %u shape%s in the region of interest (%u of %d map pixels inspected)", klass,
            dm_roi_n_shapes (rules->roi), dm_roi_n_shapes (rules->roi) == 1 ? "" : "s", n_inspected,
            256 * 256);
    if (!isnan (rules->mm_per_pixel))
      printf (", %.6g mm per pixel", rules->mm_per_pixel);
    if (dm_rules_has_limits (rules) || rules->min_area > 0)
      printf (", limits in %s", dm_units_name (rules->units));
    printf ("\nstored in %s\n", target);
  }
  return DM_CLI_OK;

failed:
  dm_cli_print_error ("rules", error);
  return DM_CLI_FAILED;
}
