/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly calibrate`: thresholds for a model file that has none (or new
 * ones), from a folder of good parts or given outright, stored into the
 * file atomically. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dm-calibrate.h"
#include "dm-cli.h"
#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-model-file.h"

#define SUMMARY                                                                                    \
  "Stores thresholds into a model file (or a copy of it with --out), so that\n"                    \
  "`dinomaly station`, `serve` and `predict` decide with them. With --good, the\n"                 \
  "images of a folder of good parts are scored and the image threshold is the\n"                   \
  "QUANTILE of their scores (0.99: about 1% of good parts fail), the pixel\n"                      \
  "threshold the same quantile of each map's largest value: the rule the\n"                        \
  "window uses on a project's held-out good parts. --threshold gives the image\n"                  \
  "threshold outright; --band adds an uncertain band [LOW, HIGH). The file is\n"                   \
  "rewritten atomically: it is never left half-written."

gboolean
dm_cli_model_target (const char *model, const char *out, const char **target, GError **error)
{
  g_autofree char *data = NULL;
  gsize size;

  *target = model;
  if (out == NULL)
    return TRUE;
  if (!g_file_get_contents (model, &data, &size, error)
      || !dm_file_set_contents_atomic (out, data, size, error))
    return FALSE;
  *target = out;
  return TRUE;
}

gboolean
dm_cli_parse_number (const char *text, double *v)
{
  char *end = NULL;

  *v = g_ascii_strtod (text, &end);
  return end != text && *end == '\0' && isfinite (*v);
}

gboolean
dm_cli_parse_band (const char *text, double *low, double *high)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);

  return g_strv_length (parts) == 2 && dm_cli_parse_number (g_strstrip (parts[0]), low)
         && dm_cli_parse_number (g_strstrip (parts[1]), high) && *low < *high;
}

/* The class to store: --class, or the model's only one. */
static const char *
pick_class (const DmModelInfo *info, const char *given, const char *model, GError **error)
{
  guint n = g_strv_length (info->class_names);

  if (given != NULL)
    return given;
  if (n == 1)
    return info->class_names[0];
  g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: %s: give --class NAME", model,
               n == 0 ? "the model names no class" : "the model has several classes");
  return NULL;
}

gboolean
dm_cli_calibrate_model (const char *command,
                        const char *model,
                        const char *backbone,
                        char **specs,
                        double quantile,
                        int threads)
{
  for (char **spec = specs; spec != NULL && *spec != NULL; spec++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (DmModelFile) file = NULL;
      g_autoptr (GPtrArray) notes = g_ptr_array_new_with_free_func ((GDestroyNotify)g_error_free);
      const char *eq = strchr (*spec, '=');
      g_autofree char *given = eq != NULL ? g_strndup (*spec, (gsize)(eq - *spec)) : NULL;
      const char *good = eq != NULL ? eq + 1 : *spec;
      g_autofree char *klass = NULL;
      DmThresholds t;
      guint n = 0;

      file = dm_model_file_open (model, &error);
      if (file != NULL)
        klass = g_strdup (pick_class (file->info, given, model, &error));
      g_clear_pointer (&file, dm_model_file_free);
      if (klass == NULL
          || !dm_calibrate_folder (model, backbone, good, quantile, 8, threads, &t, &n, notes, NULL,
                                   &error)
          || !dm_calibrate_store (model, klass, &t, &error))
        {
          dm_cli_print_error (command, error);
          return FALSE;
        }
      for (guint i = 0; i < notes->len; i++)
        dm_cli_print_error (command, notes->pdata[i]);
      printf ("%s: class %s calibrated on %u good parts of %s: image threshold %.9g, pixel "
              "threshold %.9g (quantile %g)\n",
              model, klass, n, good, t.image, t.pixel, quantile);
    }
  return TRUE;
}

int
dm_cli_calibrate (int argc, char **argv)
{
  g_autofree char *model = NULL, *backbone = NULL, *class_name = NULL, *good = NULL;
  g_autofree char *threshold = NULL, *band = NULL, *out = NULL;
  double quantile = DM_CALIBRATE_DEFAULT_QUANTILE;
  int batch = 8, threads = 0;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "the model file", "M.dinomaly" },
    { "backbone", 0, 0, G_OPTION_ARG_FILENAME, &backbone,
      "the backbone file, for a model that refers to it by SHA-256", "ENCODER.safetensors" },
    { "class", 0, 0, G_OPTION_ARG_STRING, &class_name,
      "the class (needed when the model has several or none)", "NAME" },
    { "good", 'g', 0, G_OPTION_ARG_FILENAME, &good,
      "a folder of good parts (at least 10 images) to calibrate on", "DIR" },
    { "quantile", 0, 0, G_OPTION_ARG_DOUBLE, &quantile, "the share of good parts that pass (0.99)",
      "Q" },
    { "threshold", 0, 0, G_OPTION_ARG_STRING, &threshold,
      "the image threshold outright (instead of --good)", "SCORE" },
    { "band", 0, 0, G_OPTION_ARG_STRING, &band,
      "an uncertain band: scores in [LOW, HIGH) are uncertain", "LOW,HIGH" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
      "write a calibrated copy here instead of changing the model file", "FILE" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "images per inference batch (8)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "threads (default: all cores)", "T" },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (DmModelFile) file = NULL;
  g_autoptr (GPtrArray) notes = g_ptr_array_new_with_free_func ((GDestroyNotify)g_error_free);
  const char *target;
  g_autofree char *klass = NULL;
  DmThresholds t;
  guint n_scored = 0;

  if (!dm_cli_parse ("calibrate", NULL, SUMMARY, entries, &argc, &argv))
    return DM_CLI_USAGE;
  if (model == NULL)
    return dm_cli_usage_error ("calibrate", "--model is required");
  if ((good == NULL) == (threshold == NULL))
    return dm_cli_usage_error ("calibrate", "give --good DIR or --threshold SCORE (one of them)");
  if (!(quantile > 0 && quantile <= 1))
    return dm_cli_usage_error ("calibrate", "--quantile: give a number in (0, 1]");
  if (batch < 1 || batch > 256 || threads < 0)
    return dm_cli_usage_error ("calibrate", "--batch or --threads is out of range");
  dm_thresholds_init (&t);
  if (threshold != NULL && !dm_cli_parse_number (threshold, &t.image))
    return dm_cli_usage_error ("calibrate", "--threshold: give a number");
  if (band != NULL && !dm_cli_parse_band (band, &t.uncertain_low, &t.uncertain_high))
    return dm_cli_usage_error ("calibrate", "--band: give LOW,HIGH with LOW < HIGH");

  file = dm_model_file_open (model, &error);
  if (file == NULL)
    goto failed;
  klass = g_strdup (pick_class (file->info, class_name, model, &error));
  if (klass == NULL)
    goto failed;
  if (good != NULL)
    {
      DmThresholds calibrated;

      if (!dm_calibrate_folder (model, backbone, good, quantile, batch, threads, &calibrated,
                                &n_scored, notes, NULL, &error))
        goto failed;
      for (guint i = 0; i < notes->len; i++)
        dm_cli_print_error ("calibrate", notes->pdata[i]);
      t.image = calibrated.image;
      t.pixel = calibrated.pixel;
    }
  /* the copy first, then the thresholds into it */
  if (!dm_cli_model_target (model, out, &target, &error))
    goto failed;
  g_clear_pointer (&file, dm_model_file_free);
  if (!dm_calibrate_store (target, klass, &t, &error))
    goto failed;
  printf ("class %s: image threshold %.9g", klass, t.image);
  if (isfinite (t.pixel))
    printf (", pixel threshold %.9g", t.pixel);
  if (isfinite (t.uncertain_low))
    printf (", uncertain [%.9g, %.9g)", t.uncertain_low, t.uncertain_high);
  if (good != NULL)
    printf (" (quantile %g of %u good parts)", quantile, n_scored);
  printf ("\nstored in %s\n", target);
  return DM_CLI_OK;

failed:
  dm_cli_print_error ("calibrate", error);
  return DM_CLI_FAILED;
}
