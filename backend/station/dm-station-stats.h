/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The station's running statistics: counts per decision, the latency of
 * the last 1,024 parts (p50, p99) and a histogram of all of them, the rate
 * over the last ten seconds. Written by the committer, read by anyone. */
#pragma once

#include "dm-station.h"

G_BEGIN_DECLS

#define DM_STATION_LATENCY_WINDOW 1024
#define DM_STATION_RATE_TICKS 11

typedef struct
{
  GMutex lock;
  gint64 started_us;
  guint64 counts[4];                        /* pass, uncertain, fail, error */
  double window[DM_STATION_LATENCY_WINDOW]; /* seconds, a ring */
  guint window_n, window_next;
  guint64 histogram[DM_STATION_N_LATENCY_BUCKETS];
  double sum_s;
  /* committed totals at the last ticks (a ring), for the rate */
  guint64 tick_total[DM_STATION_RATE_TICKS];
  gint64 tick_time[DM_STATION_RATE_TICKS];
  guint n_ticks, tick_next;
} DmStationStats;

void dm_station_stats_init (DmStationStats *stats);
void dm_station_stats_clear (DmStationStats *stats);
/* A committed part and its latency (acquisition to commit, microseconds). */
void dm_station_stats_add (DmStationStats *stats, const DmPart *part, gint64 latency_us);
/* Once a second: a sample for the rate. */
void dm_station_stats_tick (DmStationStats *stats);
/* Fills the statistics members of status. */
void dm_station_stats_read (DmStationStats *stats, DmStationStatus *status);

G_END_DECLS
