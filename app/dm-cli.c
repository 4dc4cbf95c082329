/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `dinomaly` command line: global options and the subcommand table. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "dm-cli.h"

/* One line per subcommand, in the order `dinomaly --help` lists them. */
static const DmCliCommand commands[] = {
  { "info", "Say what a weight or model file holds", dm_cli_info },
  { "import", "Build a model file from an encoder and decoder weights", dm_cli_import },
  { "export", "Write a model for other software: PyTorch state dict, ONNX, Triton", dm_cli_export },
  { "eval", "Evaluate a model on a dataset's test images, class by class", dm_cli_eval },
  { "metrics", "The seven metrics of an evaluation folder", dm_cli_metrics },
  { "train", "Train a model on the normal images of a dataset", dm_cli_train },
  { "report", "Evaluate a model and write an inspection report (PDF, CSV, JSON)", dm_cli_report },
  { "predict", "Score images with a model: scores, decisions, maps and overlays", dm_cli_predict },
  { "calibrate", "Store thresholds into a model file, from good parts or given", dm_cli_calibrate },
  { "rules", "Show or store a class's inspection rules: ROI, mm per pixel, limits", dm_cli_rules },
  { "station", "Run a model on the line: hot folders and cameras in, results out", dm_cli_station },
  { "serve", "Serve a model over HTTP: POST an image, get the decision", dm_cli_serve },
  { "bench", "How fast this machine runs Dinomaly (infer, train, station)", dm_cli_bench },
  { NULL, NULL, NULL },
};

void
dm_cli_print_error (const char *command, const GError *error)
{
  g_printerr ("dinomaly %s: %s\n", command, error->message);
}

int
dm_cli_usage_error (const char *command, const char *message)
{
  g_printerr ("dinomaly %s: %s\nTry 'dinomaly %s --help'.\n", command, message, command);
  return DM_CLI_USAGE;
}

gboolean
dm_cli_parse (const char *command,
              const char *parameter_string,
              const char *summary,
              const GOptionEntry *entries,
              int *argc,
              char ***argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (parameter_string);
  g_autoptr (GError) error = NULL;
  g_autofree char *prgname = g_strdup_printf ("dinomaly %s", command);

  g_set_prgname (prgname);
  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("dinomaly %s: %s\nTry 'dinomaly %s --help'.\n", command, error->message, command);
      return FALSE;
    }
  return TRUE;
}

gboolean
dm_cli_check_int (const char *command, const char *option, gint64 value, gint64 lo, gint64 hi)
{
  if (value == DM_CLI_UNSET_INT || value == DM_CLI_UNSET_INT64 || (value >= lo && value <= hi))
    return TRUE;
  if (hi == G_MAXINT || hi == G_MAXINT64)
    g_printerr ("dinomaly %s: %s %" G_GINT64_FORMAT ": must be %" G_GINT64_FORMAT " or more\n"
                "Try 'dinomaly %s --help'.\n",
                command, option, value, lo, command);
  else
    g_printerr ("dinomaly %s: %s %" G_GINT64_FORMAT
                ": must be a whole number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                "\nTry 'dinomaly %s --help'.\n",
                command, option, value, lo, hi, command);
  return FALSE;
}

gboolean
dm_cli_check_double (const char *command, const char *option, double value, double lo, double hi)
{
  char typed[G_ASCII_DTOSTR_BUF_SIZE];

  if (value == DM_CLI_UNSET_DOUBLE || (value >= lo && value <= hi))
    return TRUE;
  /* NaN fails both comparisons and lands here too */
  g_ascii_formatd (typed, sizeof typed, "%g", value);
  g_printerr ("dinomaly %s: %s %s: must be a number from %g to %g\nTry 'dinomaly %s --help'.\n",
              command, option, typed, lo, hi, command);
  return FALSE;
}

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: dinomaly COMMAND [OPTION…]\n\n"
                "Dinomaly anomaly detection on the CPU: the engine of Dinomaly Studio.\n\n"
                "Commands:\n");
  for (const DmCliCommand *c = commands; c->name != NULL; c++)
    fprintf (out, "  %-10s %s\n", c->name, c->summary);
  fprintf (out, "\nOptions:\n"
                "  -h, --help     Show this help\n"
                "  --version      Show the version\n\n"
                "Run 'dinomaly COMMAND --help' for the options of a command.\n");
}

int
dm_cli_run (int argc, char **argv)
{
  const char *name;

  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      print_usage (stderr);
      return DM_CLI_USAGE;
    }
  name = argv[1];
  if (strcmp (name, "--help") == 0 || strcmp (name, "-h") == 0 || strcmp (name, "help") == 0)
    {
      print_usage (stdout);
      return DM_CLI_OK;
    }
  if (strcmp (name, "--version") == 0)
    {
      printf ("dinomaly %s\n", PACKAGE_VERSION);
      return DM_CLI_OK;
    }
  for (const DmCliCommand *c = commands; c->name != NULL; c++)
    if (strcmp (c->name, name) == 0)
      return c->run (argc - 1, argv + 1);

  g_printerr ("dinomaly: unknown command '%s'\n", name);
  print_usage (stderr);
  return DM_CLI_USAGE;
}
