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
  { "eval", "Evaluate a model on a dataset's test images, class by class", dm_cli_eval },
  { "metrics", "The seven metrics of an evaluation folder", dm_cli_metrics },
  { "train", "Train a model on the normal images of a dataset", dm_cli_train },
  { "report", "Evaluate a model and write an inspection report (PDF, CSV, JSON)", dm_cli_report },
  { "predict", "Score images with a model: scores, decisions, maps and overlays", dm_cli_predict },
  { "calibrate", "Store thresholds into a model file, from good parts or given", dm_cli_calibrate },
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
