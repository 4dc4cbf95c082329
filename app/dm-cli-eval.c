/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly eval`: a model on the test images of a dataset, class by class,
 * with the seven metrics of the reference protocol, a table on standard
 * output and optional JSON, CSV and evaluation folders. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dm-cli-eval-private.h"
#include "dm-cli.h"
#include "dm-dinomaly.h"
#include "dm-engine.h"
#include "dm-evaluation.h"
#include "dm-model-file.h"
#include "dm-report.h"

/* Problems printed before "... and N more". */
#define MAX_PROBLEMS_SHOWN 20

typedef struct
{
  const char *class_name;
  gboolean on_terminal;
} Progress;

static void
show_progress (guint done, guint total, gpointer user_data)
{
  Progress *p = user_data;

  if (p->on_terminal)
    fprintf (stderr, "\r  %s: %u/%u images", p->class_name, done, total);
}

static void
print_problems (const char *command, const DmDataset *ds, const char *data_path, gboolean in_json)
{
  g_autofree char *display = g_filename_display_name (data_path);

  if (ds->n_problems == 0)
    return;
  g_printerr ("dinomaly %s: %u problem%s in %s (the rest is evaluated):\n", command, ds->n_problems,
              ds->n_problems == 1 ? "" : "s", display);
  for (guint i = 0; i < ds->n_problems && i < MAX_PROBLEMS_SHOWN; i++)
    {
      g_autofree char *path = g_filename_display_name (ds->problems[i].path);

      g_printerr ("  %s: %s\n", path, ds->problems[i].message);
    }
  if (ds->n_problems > MAX_PROBLEMS_SHOWN)
    g_printerr ("  ... and %u more%s\n", ds->n_problems - MAX_PROBLEMS_SHOWN,
                in_json ? " (all of them are in the JSON report)" : "");
}

/* The classes to evaluate, as dataset indices: those named (in the order
 * given, each once), or every class with test images. */
static GArray *
select_classes (const char *command,
                const DmDataset *ds,
                const char *names,
                const char *data_path,
                int *exit_code)
{
  g_autoptr (GArray) chosen = g_array_new (FALSE, FALSE, sizeof (guint));

  if (names == NULL)
    {
      for (guint c = 0; c < ds->n_classes; c++)
        if (ds->classes[c].n_test_good + ds->classes[c].n_test_defect > 0)
          g_array_append_val (chosen, c);
    }
  else
    {
      g_auto (GStrv) parts = g_strsplit (names, ",", -1);

      for (char **p = parts; *p != NULL; p++)
        {
          const char *name = g_strstrip (*p);
          int c = dm_dataset_find_class (ds, name);
          gboolean seen = FALSE;

          if (name[0] == '\0')
            {
              *exit_code
                = dm_cli_usage_error (command, "--classes: empty class name (give NAME,NAME...)");
              return NULL;
            }
          if (c < 0)
            {
              g_autoptr (GString) known = g_string_new (NULL);
              g_autofree char *display = g_filename_display_name (data_path);

              for (guint k = 0; k < ds->n_classes; k++)
                g_string_append_printf (known, "%s%s", k ? ", " : "", ds->classes[k].name);
              g_printerr ("dinomaly %s: no class '%s' in %s (its classes: %s)\n", command, name,
                          display, known->str);
              *exit_code = DM_CLI_FAILED;
              return NULL;
            }
          for (guint k = 0; k < chosen->len; k++)
            seen |= g_array_index (chosen, guint, k) == (guint)c;
          if (!seen)
            g_array_append_val (chosen, c);
        }
    }
  return g_steal_pointer (&chosen);
}

static void
print_value (double v)
{
  if (isnan (v))
    printf (" %9s", "-");
  else
    printf (" %9.4f", v);
}

static void
print_table (const DmCliEvalRecord *records, guint n, const DmMetrics *mean)
{
  int width = 12;

  for (guint c = 0; c < n; c++)
    width = MAX (width, (int)g_utf8_strlen (records[c].name, -1));
  printf ("%-*s %7s %7s %9s %9s %9s %9s %9s %9s %9s\n", width, "class", "images", "defect",
          "img AUROC", "img AP", "img F1", "px AUROC", "px AP", "px F1", "AUPRO");
  for (guint c = 0; c < n; c++)
    {
      const DmCliEvalRecord *r = &records[c];

      printf ("%-*s %7u %7u", width, r->name, r->n_images, r->n_defect);
      for (int id = 0; id < DM_METRIC_COUNT; id++)
        print_value (dm_metrics_get (&r->metrics, id));
      printf ("\n");
    }
  printf ("%-*s %7" G_GUINT64_FORMAT " %7" G_GUINT64_FORMAT, width, "mean", mean->n_images,
          mean->n_anomalous);
  for (int id = 0; id < DM_METRIC_COUNT; id++)
    print_value (dm_metrics_get (mean, id));
  printf ("\n");
}

/* Why a figure is missing, after either table. */
static void
print_notes (const DmCliEvalRecord *records, guint n)
{
  for (guint c = 0; c < n; c++)
    {
      const DmCliEvalRecord *r = &records[c];

      for (int id = 0; id < DM_METRIC_COUNT; id++)
        if (isnan (dm_metrics_get (&r->metrics, id)))
          printf ("  %s %s: %s\n", r->name, dm_metric_name (id),
                  dm_metric_status_message (r->metrics.status[id]));
      if (r->n_truth < r->n_images)
        printf ("  %s: %u defect image%s without a mask: counted in the image metrics only\n",
                r->name, r->n_images - r->n_truth, r->n_images - r->n_truth == 1 ? "" : "s");
    }
}

const DmClassThreshold *
dm_cli_eval_find_threshold (const DmModelInfo *info, const char *name)
{
  for (guint i = 0; i < info->n_thresholds; i++)
    if (g_strcmp0 (info->thresholds[i].class_name, name) == 0)
      return &info->thresholds[i];
  return NULL;
}

void
dm_cli_eval_run_clear (DmCliEvalRun *run)
{
  g_clear_pointer (&run->dataset, dm_dataset_free);
  g_clear_pointer (&run->info, dm_model_info_free);
  g_clear_pointer (&run->model, dm_dinomaly_model_free);
  g_clear_pointer (&run->models, dm_model_set_free);
  g_clear_pointer (&run->model_loaded, g_free);
  g_clear_pointer (&run->records, g_array_unref);
  g_clear_pointer (&run->failures, g_ptr_array_unref);
}

/* The model of a class loaded (kept while the next class shares it);
 * *found FALSE when the set has none for it (what was loaded stays). */
static gboolean
load_class_model (DmCliEvalRun *run,
                  DmEngine *engine,
                  DmInference **inference,
                  const char *name,
                  gboolean *found,
                  GError **error)
{
  const char *path = dm_model_set_find (run->models, name);

  *found = path != NULL;
  if (path == NULL || g_strcmp0 (path, run->model_loaded) == 0)
    return TRUE;
  g_clear_pointer (inference, dm_inference_free);
  g_clear_pointer (&run->model, dm_dinomaly_model_free);
  g_clear_pointer (&run->info, dm_model_info_free);
  g_clear_pointer (&run->model_loaded, g_free);
  run->model = dm_dinomaly_model_load (path, run->backbone_path, &run->info, error);
  if (run->model == NULL)
    return FALSE;
  *inference = dm_inference_new (engine, run->model, run->batch, error);
  if (*inference == NULL)
    return FALSE;
  run->model_loaded = g_strdup (path);
  if (run->t_model == 0)
    run->t_model = g_get_monotonic_time ();
  return TRUE;
}

int
dm_cli_eval_run (DmCliEvalRun *run, DmCliEvalClassFunc per_class, gpointer user_data)
{
  const char *command = run->command;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) chosen = NULL;
  g_autoptr (DmEngine) engine = NULL;
  g_autoptr (DmInference) inference = NULL;
  g_autofree DmMetrics *class_metrics = NULL;
  Progress progress = { NULL, isatty (STDERR_FILENO) };
  int exit_code = DM_CLI_OK;

  run->t_start = g_get_monotonic_time ();
  run->failures = g_ptr_array_new_with_free_func (g_free);
  run->records = g_array_new (FALSE, TRUE, sizeof (DmCliEvalRecord));
  g_array_set_clear_func (run->records, (GDestroyNotify)dm_cli_eval_record_clear);

  /* the data first: its problems are cheap to find and often the news */
  run->dataset = dm_dataset_load (run->data_path, DM_DATASET_CHECK_ALL, &error);
  if (run->dataset == NULL)
    goto failed;
  chosen = select_classes (command, run->dataset, run->classes, run->data_path, &exit_code);
  if (chosen == NULL)
    return exit_code;
  print_problems (command, run->dataset, run->data_path, run->in_json);
  if (chosen->len == 0)
    {
      g_autofree char *display = g_filename_display_name (run->data_path);

      g_printerr ("dinomaly %s: %s: no class has test images\n", command, display);
      return DM_CLI_FAILED;
    }

  /* a unified model, or a folder of one model per class */
  run->models = dm_model_set_open (run->model_path, &error);
  if (run->models == NULL)
    goto failed;
  engine = dm_engine_new (run->threads, &error);
  if (engine == NULL)
    goto failed;

  for (guint k = 0; k < chosen->len; k++)
    {
      const DmDataset *ds = run->dataset;
      guint c = g_array_index (chosen, guint, k);
      const char *name = ds->classes[c].name;
      const DmClassThreshold *threshold;
      g_autoptr (DmEvalClass) result = NULL;
      gboolean found;
      DmCliEvalRecord record = { 0 };

      if (ds->classes[c].n_test_good + ds->classes[c].n_test_defect == 0)
        {
          g_printerr ("dinomaly %s: class '%s' has no test images: skipped\n", command, name);
          continue;
        }
      if (!load_class_model (run, engine, &inference, name, &found, &error))
        goto failed;
      if (!found)
        {
          g_autofree char *display = g_filename_display_name (run->model_path);

          g_printerr ("dinomaly %s: %s has no model of class '%s': skipped\n", command, display,
                      name);
          continue;
        }
      threshold = dm_cli_eval_find_threshold (run->info, name);
      if (!run->models->per_class && run->info->class_names[0] != NULL
          && !g_strv_contains ((const char *const *)run->info->class_names, name))
        g_printerr ("dinomaly %s: note: the model does not list class '%s' among its classes\n",
                    command, name);
      progress.class_name = name;
      result = dm_evaluate_class (inference, run->model, ds, c, run->batch, 0, show_progress,
                                  &progress, NULL, &error);
      if (progress.on_terminal)
        fprintf (stderr, "\r%*s\r", (int)strlen (name) + 32, "");
      if (result == NULL)
        goto failed;
      for (guint i = 0; i < result->failures->len; i++)
        {
          g_printerr ("dinomaly %s: %s\n", command, (char *)result->failures->pdata[i]);
          g_ptr_array_add (run->failures, g_strdup (result->failures->pdata[i]));
        }

      {
        /* the class's thresholds and rules: a region of interest changes
         * the scores and the pixel metrics */
        DmThresholds t;

        dm_model_info_get_thresholds (run->info, name, &t);
        record.decider = dm_decider_new (&t, dm_model_info_get_rules (run->info, name),
                                         run->model->resize, run->model->crop, &error);
        if (record.decider == NULL)
          {
            g_prefix_error (&error, "%s: class '%s': ", run->model_path, name);
            goto failed;
          }
        if (!dm_eval_class_apply_rules (result, record.decider, &error))
          {
            dm_cli_eval_record_clear (&record);
            goto failed;
          }
      }
      record.name = g_strdup (name);
      record.metrics = result->metrics;
      record.n_images = result->n_images;
      record.n_truth = result->n_truth;
      dm_cli_eval_record_count_views (&record, ds, result);
      for (guint i = 0; i < result->n_images; i++)
        record.n_defect += result->labels[i];
      record.has_threshold = threshold != NULL;
      record.threshold = threshold != NULL ? threshold->image : 0.0;
      record.seconds = result->seconds;
      run->n_images += result->n_images;

      if (per_class != NULL && !per_class (ds, result, &record, user_data, &error))
        {
          dm_cli_eval_record_clear (&record);
          goto failed;
        }
      g_array_append_val (run->records, record);
    }

  if (run->records->len == 0)
    {
      g_printerr ("dinomaly %s: none of the chosen classes has test images\n", command);
      return DM_CLI_FAILED;
    }
  class_metrics = g_new0 (DmMetrics, MAX (run->records->len, 1));
  for (guint c = 0; c < run->records->len; c++)
    class_metrics[c] = g_array_index (run->records, DmCliEvalRecord, c).metrics;
  dm_metrics_mean (class_metrics, run->records->len, &run->mean);
  return DM_CLI_OK;

failed:
  dm_cli_print_error (command, error);
  return DM_CLI_FAILED;
}

typedef struct
{
  GString *csv;
  const char *maps_dir;
} EvalOutputs;

static gboolean
eval_class_done (const DmDataset *ds,
                 const DmEvalClass *result,
                 DmCliEvalRecord *record,
                 gpointer user_data,
                 GError **error)
{
  EvalOutputs *out = user_data;
  const char *name = record->name;

  dm_cli_eval_append_csv (out->csv, ds, result, record);
  if (out->maps_dir != NULL && !dm_cli_eval_save_maps (out->maps_dir, ds, result, error))
    return FALSE;
  if (out->maps_dir != NULL && result->n_truth < result->n_images)
    g_printerr ("dinomaly eval: %s: %u defect images have no mask: 'dinomaly metrics' on "
                "the saved folder counts their pixels as normal\n",
                name, result->n_images - result->n_truth);
  return TRUE;
}

int
dm_cli_eval (int argc, char **argv)
{
  g_autofree char *model_path = NULL, *backbone_path = NULL, *data_path = NULL;
  g_autofree char *classes = NULL, *json_path = NULL, *csv_path = NULL, *maps_dir = NULL;
  g_autofree char *table = NULL;
  int batch = DM_EVAL_BATCH, threads = 0, exit_code;
  DmPaperTableFormat table_format = DM_PAPER_TABLE_TEXT;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path,
      "the model file, or a folder of one model per class (each class scored by its own)",
      "M.dinomaly|DIR" },
    { "backbone", 0, 0, G_OPTION_ARG_FILENAME, &backbone_path,
      "the backbone file, when the model refers to it by checksum", "FILE" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_path,
      "the dataset: MVTec AD, MPDD, BTAD, MVTec AD 2 or MVTec LOCO AD (root or class folder), a "
      "VisA split CSV (or its root), or Real-IAD (its root or a split JSON)",
      "DIR" },
    { "classes", 0, 0, G_OPTION_ARG_STRING, &classes,
      "evaluate these classes only (default: every class with test images)", "A,B" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path, "write the metrics as JSON", "FILE" },
    { "csv", 0, 0, G_OPTION_ARG_FILENAME, &csv_path,
      "write one row per test image: class,path,label,score,decision,rule,regions,"
      "largest_area_px,largest_area_mm2,largest_length_px,largest_length_mm,sample,view",
      "FILE" },
    { "table", 0, 0, G_OPTION_ARG_STRING, &table,
      "print the paper's table instead (the seven metrics in the paper's order, in percent with "
      "one decimal): paper, paper-csv or paper-markdown",
      "FORMAT" },
    { "save-maps", 0, 0, G_OPTION_ARG_FILENAME, &maps_dir,
      "write DIR/CLASS/{scores.csv,maps,masks} for 'dinomaly metrics'", "DIR" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, "images per forward pass (4)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "CPU threads (default: all cores)", "N" },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) csv
    = g_string_new ("class,path,label,score,decision," DM_VERDICT_CSV_COLUMNS ",sample,view\n");
  g_auto (DmCliEvalRun) run = { 0 };
  EvalOutputs outputs = { NULL, NULL };
  const DmCliEvalRecord *records;

  if (!dm_cli_parse ("eval", "",
                     "Runs a model on the test images of a dataset and computes, per class and\n"
                     "as the mean over classes, image AUROC, AP, F1-max, pixel AUROC, AP, F1-max\n"
                     "and AUPRO (the official Dinomaly protocol: image score = mean of the top 1%\n"
                     "of the blurred 256 x 256 map; masks resized and cropped as the images).",
                     entries, &argc, &argv))
    return DM_CLI_USAGE;
  if (argc > 1)
    return dm_cli_usage_error ("eval", "unexpected argument (options only)");
  if (model_path == NULL || data_path == NULL)
    return dm_cli_usage_error ("eval", "--model and --data are required");
  if (!dm_cli_check_int ("eval", "--batch", batch, 1, 256)
      || !dm_cli_check_int ("eval", "--threads", threads, 0, 4096))
    return DM_CLI_USAGE;
  if (classes != NULL && g_strstrip (classes)[0] == '\0')
    return dm_cli_usage_error ("eval", "--classes is empty (give NAME,NAME...)");
  if (table != NULL && !dm_report_paper_format_from_name (table, &table_format))
    return dm_cli_usage_error ("eval", "--table: give paper, paper-csv or paper-markdown");

  run.command = "eval";
  run.model_path = model_path;
  run.backbone_path = backbone_path;
  run.data_path = data_path;
  run.classes = classes;
  run.batch = batch;
  run.threads = threads;
  run.in_json = json_path != NULL;
  outputs.csv = csv;
  outputs.maps_dir = maps_dir;
  exit_code = dm_cli_eval_run (&run, eval_class_done, &outputs);
  if (exit_code != DM_CLI_OK)
    return exit_code;
  records = (const DmCliEvalRecord *)(void *)run.records->data;

  {
    g_autofree char *model_display = g_filename_display_name (model_path);
    double seconds = (double)(g_get_monotonic_time () - run.t_start) / 1e6;
    double elapsed = (double)(g_get_monotonic_time () - run.t_model) / 1e6;

    if (run.models->per_class)
      printf ("models %s: one per class (%u), crop %d (resize %d), D %d\n", model_display,
              run.models->entries->len, run.model->crop, run.model->resize,
              run.model->encoder->config.dim);
    else
      printf ("model %s: crop %d (resize %d), D %d, %d encoder blocks\n", model_display,
              run.model->crop, run.model->resize, run.model->encoder->config.dim,
              run.model->encoder->n_blocks);
    if (table != NULL)
      {
        g_autofree char *text
          = dm_cli_eval_paper_table (records, run.records->len, &run.mean, table_format);

        fputs (text, stdout);
      }
    else
      print_table (records, run.records->len, &run.mean);
    print_notes (records, run.records->len);
    printf ("%u images in %.2f s (%.3f s per image, metrics included; %.2f s in all)\n",
            run.n_images, elapsed, run.n_images > 0 ? elapsed / run.n_images : 0.0, seconds);
  }

  if (json_path != NULL
      && !dm_cli_eval_write_json (json_path, model_path, data_path, records, run.records->len,
                                  &run.mean, run.dataset, run.failures, &error))
    goto failed;
  if (csv_path != NULL && !g_file_set_contents (csv_path, csv->str, (gssize)csv->len, &error))
    goto failed;
  return DM_CLI_OK;

failed:
  dm_cli_print_error ("eval", error);
  return DM_CLI_FAILED;
}
