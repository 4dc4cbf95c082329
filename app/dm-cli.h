/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `dinomaly` command line: one function per subcommand, each in its own
 * dm-cli-<name>.c, all over the same backend as the window application. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit codes shared by every subcommand. */
enum
{
  DM_CLI_OK = 0,
  DM_CLI_FAILED = 1, /* the work failed: a clear message was printed */
  DM_CLI_USAGE = 2,  /* bad arguments */
};

typedef int (*DmCliCommandFunc) (int argc, char **argv);

typedef struct
{
  const char *name;
  const char *summary;
  DmCliCommandFunc run;
} DmCliCommand;

/* Runs the command line; returns the process exit code. */
int dm_cli_run (int argc, char **argv);

/* Prints "dinomaly: <message>" for an error of the given subcommand. */
void dm_cli_print_error (const char *command, const GError *error);
/* "dinomaly COMMAND: message" and where to find help; returns DM_CLI_USAGE. */
int dm_cli_usage_error (const char *command, const char *message);

/* Numeric options keep these values when not given (GOption only writes
 * what is typed), so that every typed value, -1 included, is checked. */
#define DM_CLI_UNSET_INT G_MININT
#define DM_CLI_UNSET_INT64 G_MININT64
#define DM_CLI_UNSET_DOUBLE (-G_MAXDOUBLE)

/* Range checks of an option as typed: TRUE when value lies in [lo, hi];
 * else prints "dinomaly COMMAND: --option VALUE: must be ..." (the value
 * quoted as the user gave it) and returns FALSE: the command then exits
 * with DM_CLI_USAGE. Unset options pass. */
gboolean dm_cli_check_int (const char *command, const char *option, gint64 value, gint64 lo, gint64 hi);
gboolean
dm_cli_check_double (const char *command, const char *option, double value, double lo, double hi);

/* Parses argv with entries; on failure prints the reason and returns FALSE. */
gboolean dm_cli_parse (const char *command,
                       const char *parameter_string,
                       const char *summary,
                       const GOptionEntry *entries,
                       int *argc,
                       char ***argv);

/* A finite number, all of text (dot decimals); "LOW,HIGH" with LOW < HIGH. */
gboolean dm_cli_parse_number (const char *text, double *value);
gboolean dm_cli_parse_band (const char *text, double *low, double *high);

/* Where calibrate and rules store into: the model file itself, or (out not
 * NULL) a copy of it written to out atomically first. *target points to
 * model or out. */
gboolean
dm_cli_model_target (const char *model, const char *out, const char **target, GError **error);

/* For train and import: calibrates the model file at model on each spec
 * "[CLASS=]DIR" (a folder of good parts; CLASS may be left out for a model
 * of one class) and stores the thresholds in it (dm-cli-calibrate.c).
 * FALSE after printing the problem. */
gboolean dm_cli_calibrate_model (const char *command,
                                 const char *model,
                                 const char *backbone,
                                 char **specs,
                                 double quantile,
                                 int threads);

/* Subcommands, one dm-cli-<name>.c each. */
int dm_cli_info (int argc, char **argv);
int dm_cli_import (int argc, char **argv);
int dm_cli_export (int argc, char **argv);

int dm_cli_metrics (int argc, char **argv);
int dm_cli_eval (int argc, char **argv);
int dm_cli_train (int argc, char **argv);
int dm_cli_predict (int argc, char **argv);
int dm_cli_rules (int argc, char **argv);
int dm_cli_bench (int argc, char **argv);
int dm_cli_bench_train (int argc, char **argv);
int dm_cli_bench_station (int argc, char **argv);
int dm_cli_report (int argc, char **argv);
int dm_cli_calibrate (int argc, char **argv);
int dm_cli_station (int argc, char **argv);
int dm_cli_serve (int argc, char **argv);

G_END_DECLS
