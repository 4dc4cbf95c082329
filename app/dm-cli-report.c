/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly report`: evaluates a model on a dataset exactly as `dinomaly
 * eval` does (the same run, dm_cli_eval_run) and writes the inspection
 * report: PDF, and optionally CSV and JSON (backend/report). */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dm-cli-eval-private.h"
#include "dm-cli.h"
#include "dm-project-report.h"
#include "dm-project-versions.h"
#include "dm-report.h"

typedef struct
{
  DmReportInput *input;
  double quantile;                /* NaN: not given */
  const DmModelInfo *const *info; /* the run's, once the model is loaded */
} Collect;

/* Copies one evaluated class into the report's input, with thresholds and
 * the maps of the images its gallery will show (the others are dropped
 * here: 256 KiB each). */
static gboolean
collect_class (const DmDataset *ds,
               const DmEvalClass *r,
               DmCliEvalRecord *record,
               gpointer user_data,
               GError **error)
{
  Collect *col = user_data;
  const DmDatasetClass *dc = &ds->classes[r->class_index];
  const DmClassThreshold *stored = dm_cli_eval_find_threshold (*col->info, dc->name);
  DmReportClass *k = dm_report_input_add_class (col->input, dc->name, r->n_images);
  g_autoptr (GArray) gallery = NULL;
  const gsize per = (gsize)DM_REPORT_MAP_SIZE * DM_REPORT_MAP_SIZE;

  k->n_train = dc->n_train;
  k->n_holdout = dc->n_holdout;
  k->n_test_good = dc->n_test_good;
  k->n_test_defect = dc->n_test_defect;
  k->n_masks = dc->n_masks;
  k->metrics = r->metrics;
  for (guint i = 0; i < r->n_images; i++)
    {
      const DmSample *s = &ds->samples[r->sample_index[i]];

      k->images[i].path = g_strdup (s->path);
      k->images[i].defect_type = g_strdup (s->defect_type);
      k->images[i].label = r->labels[i];
      k->images[i].score = r->scores[i];
    }

  /* the threshold: asked for, else the model's, else F1-optimal here */
  if (!isnan (col->quantile))
    {
      k->threshold_source = DM_REPORT_THRESHOLD_QUANTILE;
      k->threshold_quantile = col->quantile;
      k->image_threshold
        = dm_report_normal_quantile (r->scores, r->labels, r->n_images, col->quantile);
    }
  else if (stored != NULL)
    {
      k->threshold_source = DM_REPORT_THRESHOLD_MODEL;
      k->image_threshold = stored->image;
      k->has_uncertain = stored->has_uncertain;
      k->uncertain_low = stored->uncertain_low;
      k->uncertain_high = stored->uncertain_high;
    }
  else
    {
      k->threshold_source = DM_REPORT_THRESHOLD_F1_OPTIMAL;
      k->image_threshold = dm_report_f1_threshold (r->scores, r->labels, r->n_images);
    }
  if (isnan (k->image_threshold))
    {
      g_printerr ("dinomaly report: %s: no image threshold (%s): no decisions\n", dc->name,
                  k->threshold_source == DM_REPORT_THRESHOLD_QUANTILE
                    ? "no normal test image"
                    : "the test images need both normal and defect ones");
      k->threshold_source = DM_REPORT_THRESHOLD_NONE;
    }
  if (stored != NULL && stored->pixel > 0)
    k->pixel_threshold = stored->pixel;
  record->has_threshold = k->threshold_source != DM_REPORT_THRESHOLD_NONE;
  record->threshold = record->has_threshold ? k->image_threshold : 0.0;

  /* every image judged as predict and the station judge it: regions, and
   * the class's rules (the scores are already those over its ROI) */
  {
    const DmRules *rules = dm_model_info_get_rules (*col->info, dc->name);

    if (isfinite (k->pixel_threshold) || !dm_rules_is_empty (rules))
      {
        g_autoptr (DmDecider) decider
          = dm_report_class_decider (k, rules, (*col->info)->resize, (*col->info)->crop, error);

        if (decider == NULL)
          return FALSE;
        for (guint i = 0; i < r->n_images; i++)
          {
            int width, height;

            dm_cli_eval_sample_size (&ds->samples[r->sample_index[i]], &width, &height);
            dm_report_class_judge (k, decider, i, r->maps + i * per, width, height);
          }
      }
  }

  gallery = dm_report_gallery_select (k, DM_REPORT_GALLERY_TOP, DM_REPORT_GALLERY_MISCLASSIFIED,
                                      NULL, NULL);
  for (guint g = 0; g < gallery->len; g++)
    {
      guint i = g_array_index (gallery, guint, g);

      k->images[i].map = g_memdup2 (r->maps + i * per, per * sizeof (float));
    }
  return TRUE;
}

static gboolean
write_outputs (const DmReportInput *input,
               DmReportPaper paper,
               const char *out_path,
               const char *json_path,
               const char *csv_path,
               GError **error)
{
  return dm_report_write_pdf (input, paper, out_path, error)
         && (json_path == NULL || dm_report_write_json (input, json_path, error))
         && (csv_path == NULL || dm_report_write_csv (input, csv_path, error));
}

/* --table: the paper's table on standard output. */
static void
print_paper_table (const DmReportInput *input, const char *table, DmPaperTableFormat format)
{
  g_autofree char *text = NULL;

  if (table == NULL)
    return;
  text = dm_report_input_paper_table (input, format);
  fputs (text, stdout);
}

/* --project: the stored results, no evaluation. */
static int
report_project (const char *dir,
                const char *title,
                DmReportPaper paper,
                const char *out_path,
                const char *json_path,
                const char *csv_path,
                const char *table,
                DmPaperTableFormat table_format)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmProject) project = dm_project_open (dir, &error);
  g_autoptr (DmProjectResults) results = NULL;
  g_autoptr (DmReportInput) input = NULL;
  g_autofree char *results_dir = NULL, *display = NULL;

  if (project == NULL)
    goto failed;
  results_dir = dm_project_results_folder (project);
  results = dm_project_results_load (results_dir, &error);
  if (results == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          g_printerr ("dinomaly report: %s: the project has no scored images yet: train it "
                      "(in the window) first\n",
                      dir);
          return DM_CLI_FAILED;
        }
      goto failed;
    }
  input = dm_project_report_input (project, results, &error);
  if (input == NULL)
    goto failed;
  if (title != NULL)
    {
      g_free (input->title);
      input->title = g_strdup (title);
    }
  if (!write_outputs (input, paper, out_path, json_path, csv_path, &error))
    goto failed;
  display = g_filename_display_name (out_path);
  printf ("%u classes of project %s reported in %s\n", input->n_classes, project->name, display);
  print_paper_table (input, table, table_format);
  return DM_CLI_OK;

failed:
  dm_cli_print_error ("report", error);
  return DM_CLI_FAILED;
}

int
dm_cli_report (int argc, char **argv)
{
  g_autofree char *model_path = NULL, *backbone_path = NULL, *data_path = NULL;
  g_autofree char *classes = NULL, *out_path = NULL, *json_path = NULL, *csv_path = NULL;
  g_autofree char *paper_name = NULL, *quantile_text = NULL, *title = NULL, *project_dir = NULL;
  g_autofree char *table = NULL;
  int batch = DM_EVAL_BATCH, threads = 0, exit_code;
  DmPaperTableFormat table_format = DM_PAPER_TABLE_TEXT;
  const GOptionEntry entries[] = {
    { "project", 'p', 0, G_OPTION_ARG_FILENAME, &project_dir,
      "a trained project: its scored images, the user's labels, masks and thresholds "
      "(instead of --model and --data)",
      "FOLDER" },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path,
      "the model file, or a folder of one model per class", "M.dinomaly|DIR" },
    { "backbone", 0, 0, G_OPTION_ARG_FILENAME, &backbone_path,
      "the backbone file, when the model refers to it by checksum", "FILE" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_path,
      "the dataset: MVTec AD, MPDD, BTAD, MVTec AD 2 or MVTec LOCO AD (root or class folder), a "
      "VisA split CSV (or its root), or Real-IAD (its root or a split JSON)",
      "DIR" },
    { "classes", 0, 0, G_OPTION_ARG_STRING, &classes,
      "these classes only (default: every class with test images)", "A,B" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_path, "the PDF report to write", "REPORT.pdf" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path, "also write every figure as JSON", "FILE" },
    { "csv", 0, 0, G_OPTION_ARG_FILENAME, &csv_path,
      "also write one row per image: class,path,label,score,decision,threshold,rule,regions,"
      "largest_area_px,largest_area_mm2,largest_length_px,largest_length_mm,sample,view",
      "FILE" },
    { "paper", 0, 0, G_OPTION_ARG_STRING, &paper_name, "a4 (default) or letter", "SIZE" },
    { "threshold-quantile", 0, 0, G_OPTION_ARG_STRING, &quantile_text,
      "image threshold = this quantile (0..1) of each class's normal test scores "
      "(default: the model's threshold, else F1-optimal on the test labels)",
      "Q" },
    { "title", 0, 0, G_OPTION_ARG_STRING, &title, "the report's title", "TEXT" },
    { "table", 0, 0, G_OPTION_ARG_STRING, &table,
      "also print the paper's table (the seven metrics in the paper's order, in percent with one "
      "decimal): paper, paper-csv or paper-markdown",
      "FORMAT" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, "images per forward pass (4)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "CPU threads (default: all cores)", "N" },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_auto (DmCliEvalRun) run = { 0 };
  g_autoptr (DmReportInput) input = dm_report_input_new ();
  DmReportPaper paper = DM_REPORT_PAPER_A4;
  Collect col = { input, NAN, (const DmModelInfo *const *)&run.info };

  if (!dm_cli_parse ("report", "",
                     "Evaluates a model on the test images of a dataset as 'dinomaly eval' does\n"
                     "and writes an inspection report: a PDF (model, data, protocol, the seven\n"
                     "metrics, curves, histograms, confusion matrices, a gallery of heatmaps),\n"
                     "and optionally CSV and JSON files with the same figures. With --project,\n"
                     "reports a project trained in Dinomaly Studio from its stored results.",
                     entries, &argc, &argv))
    return DM_CLI_USAGE;
  if (argc > 1)
    return dm_cli_usage_error ("report", "unexpected argument (options only)");
  if (out_path == NULL)
    return dm_cli_usage_error ("report", "--out is required");
  if (project_dir != NULL
      && (model_path != NULL || data_path != NULL || classes != NULL || quantile_text != NULL))
    return dm_cli_usage_error ("report",
                               "--project takes the model, data and thresholds from the project: "
                               "--model, --data, --classes and --threshold-quantile do not apply");
  if (project_dir == NULL && (model_path == NULL || data_path == NULL))
    return dm_cli_usage_error ("report", "give --project, or --model and --data");
  if (!dm_cli_check_int ("report", "--batch", batch, 1, 256)
      || !dm_cli_check_int ("report", "--threads", threads, 0, 4096))
    return DM_CLI_USAGE;
  if (classes != NULL && g_strstrip (classes)[0] == '\0')
    return dm_cli_usage_error ("report", "--classes is empty (give NAME,NAME...)");
  if (table != NULL && !dm_report_paper_format_from_name (table, &table_format))
    return dm_cli_usage_error ("report", "--table: give paper, paper-csv or paper-markdown");
  if (paper_name != NULL && g_ascii_strcasecmp (paper_name, "letter") == 0)
    paper = DM_REPORT_PAPER_LETTER;
  else if (paper_name != NULL && g_ascii_strcasecmp (paper_name, "a4") != 0)
    return dm_cli_usage_error ("report", "--paper: give a4 or letter");
  if (quantile_text != NULL)
    {
      char *end = NULL;

      /* a dot whatever the locale, as in the CSV and JSON */
      col.quantile = g_ascii_strtod (quantile_text, &end);
      if (end == quantile_text || *end != '\0' || !(col.quantile >= 0.0 && col.quantile <= 1.0))
        return dm_cli_usage_error ("report",
                                   "--threshold-quantile: give a number from 0 to 1 (e.g. 0.99)");
    }

  /* the report's words in the user's language (the locale is set by dm_cli_run) */
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  if (project_dir != NULL)
    return report_project (project_dir, title, paper, out_path, json_path, csv_path, table,
                           table_format);
  run.command = "report";
  run.model_path = model_path;
  run.backbone_path = backbone_path;
  run.data_path = data_path;
  run.classes = classes;
  run.batch = batch;
  run.threads = threads;
  run.in_json = FALSE;
  exit_code = dm_cli_eval_run (&run, collect_class, &col);
  if (exit_code != DM_CLI_OK)
    return exit_code;

  {
    g_autofree char *data_display = g_filename_display_name (data_path);
    g_autofree char *data_base = g_filename_display_basename (data_path);
    g_autoptr (GError) sha_error = NULL;

    input->title
      = title != NULL ? g_strdup (title) : g_strdup_printf (_ ("Inspection report: %s"), data_base);
    input->data_path = g_steal_pointer (&data_display);
    input->date = g_date_time_new_now_local ();
    if (run.models->per_class)
      {
        /* one model per class: the folder is the model; the settings and
         * backbone are those of its models (trained together) */
        g_autofree char *folder = g_filename_display_basename (model_path);

        if (dm_report_input_set_model (input, run.model_loaded, run.info, NULL))
          g_clear_pointer (&input->model_sha256, g_free);
        g_free (input->model_name);
        input->model_name = g_strdup_printf (_ ("%s (one model per class)"), folder);
      }
    else if (!dm_report_input_set_model (input, model_path, run.info, &sha_error))
      g_printerr ("dinomaly report: note: no checksum of the model: %s\n", sha_error->message);
    input->mean = run.mean;
  }

  for (guint c = 0; c < input->n_classes; c++)
    {
      const DmReportClass *k = &input->classes[c];

      if (k->threshold_source != DM_REPORT_THRESHOLD_NONE)
        printf ("%s: image threshold %.6g (%s)\n", k->name, k->image_threshold,
                k->threshold_source == DM_REPORT_THRESHOLD_MODEL ? "the model's"
                : k->threshold_source == DM_REPORT_THRESHOLD_QUANTILE
                  ? "normal-score quantile"
                  : "F1-optimal on the test labels");
    }
  if (!write_outputs (input, paper, out_path, json_path, csv_path, &error))
    goto failed;
  {
    g_autofree char *display = g_filename_display_name (out_path);

    printf ("%u images of %u classes evaluated in %.1f s; report written to %s\n", run.n_images,
            input->n_classes, (double)(g_get_monotonic_time () - run.t_start) / 1e6, display);
  }
  print_paper_table (input, table, table_format);
  return DM_CLI_OK;

failed:
  dm_cli_print_error ("report", error);
  return DM_CLI_FAILED;
}
