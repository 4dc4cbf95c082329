/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What `dinomaly station` and `dinomaly serve` share: the options that
 * choose the model and the rules, the station's tuning options, the log
 * (a file reopened on SIGHUP), and the run: signals, a status line, a
 * draining stop. */
#pragma once

#include <glib.h>

#include "dm-station.h"

G_BEGIN_DECLS

typedef struct
{
  /* model and rules */
  char *model, *backbone, *project, *class_name;
  char *threshold, *band, *calibrate, *rules;
  double quantile;
  /* the station */
  char *journal, *name;
  char **sources, **sinks;
  int batch, max_wait_ms, queue, threads, prepare_threads;
  gint64 max_pixels;
  int segment_mb;
  gboolean no_keep_images;
  gboolean accept_damaged;
  int keep_passes;
  double drain_seconds;
  /* the run */
  char *log_path;
  int status_every;
  double duration; /* stop after this many seconds (0: until a signal) */
} DmCliStationOptions;

void dm_cli_station_options_init (DmCliStationOptions *options);
void dm_cli_station_options_clear (DmCliStationOptions *options);

/* The entries for options (with_sources: --source as well); free the
 * array with g_free. */
GOptionEntry *dm_cli_station_entries (DmCliStationOptions *options, gboolean with_sources);

/* Checks the options and fills settings (model, rules, calibration...).
 * FALSE after printing the problem; *rc receives the exit code. */
gboolean dm_cli_station_settings (const char *command,
                                  DmCliStationOptions *options,
                                  DmStationSettings *settings,
                                  int *rc);

/* Sends GLib's messages to --log FILE (reopened on SIGHUP) or stderr, with
 * a UTC time stamp. */
gboolean dm_cli_station_open_log (const char *command, const char *path);
void dm_cli_station_close_log (void);

/* Runs the main loop until SIGINT or SIGTERM (or the duration), printing
 * the status line every status_every seconds, then stops the station
 * (drain and flush). Returns the exit code. */
int
dm_cli_station_run (const char *command, DmStation *station, const DmCliStationOptions *options);

/* One line: state, counts, rate, latency, queue, outputs. */
char *dm_cli_station_status_line (const DmStationStatus *status);

G_END_DECLS
