/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the station's tests share: the tiny model, parts to score, the
 * reference scores (dm_inspect_run, the code `dinomaly predict` and the
 * window use), records read back, free ports, programs run and stopped. */
#pragma once

#include <gio/gio.h>

#include "dm-part.h"
#include "dm-thresholds.h"

G_BEGIN_DECLS

/* dir/tiny.dinomaly: the tiny model, one class "part", no thresholds. */
char *dm_test_station_model (const char *dir);

/* n noise PNGs dir/part-NN.png (64 x 48; every third with a bright
 * patch), seeded; their paths (g_strfreev). */
char **dm_test_station_parts (const char *dir, guint n, guint64 seed);

/* Scores and maps (may be NULL: (n, 256, 256)) of files through
 * dm_inspect_run. */
void dm_test_station_reference (const char *model, char **files, float *scores, float *maps);

/* Thresholds that split the scores: image at the median, a band around it
 * from the 30th to the 70th percentile. */
void dm_test_station_thresholds (const float *scores, guint n, DmThresholds *t);

/* The records of a JSON Lines file (DmPart*), in order. */
GPtrArray *dm_test_station_read_records (const char *path);
/* Waits until path holds at least n lines (FALSE after timeout_s). */
gboolean dm_test_station_wait_lines (const char *path, guint n, double timeout_s);
/* Lines in a file (0 when missing). */
guint dm_test_station_count_lines (const char *path);

/* A TCP port nobody listens on at 127.0.0.1 now. */
int dm_test_station_free_port (void);
/* TRUE once something accepts connections on 127.0.0.1:port. */
gboolean dm_test_station_wait_port (int port, double timeout_s);

/* Starts argv (NULL-terminated) with stdout and stderr to log_path. */
GSubprocess *dm_test_station_spawn (const char *const *argv, const char *log_path);
/* SIGTERM, then waits (SIGKILL after timeout_s); the exit status. */
int dm_test_station_stop (GSubprocess *process, double timeout_s);
/* SIGKILL, then waits. */
void dm_test_station_kill (GSubprocess *process);

/* The argv of `dinomaly station` with the given options after it
 * (NULL-terminated list of const char *); g_strfreev. */
char **dm_test_station_argv (const char *cli, const char *command, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
