/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How the window's OpenMP threads wait between two parallel regions, set
 * before libgomp loads (it reads the environment once): by running the
 * program again with it. Shared by app/main.c and the window's speed
 * measurement (tests/gui/test-window-speed.c), so that the measurement runs
 * what the window runs. */
#pragma once

#include <stdlib.h>
#include <unistd.h>

/* libgomp's spin count before a waiting thread sleeps: 10,000 rounds of
 * its pause loop, some tens of microseconds. oneDNN's primitives follow
 * each other closely (a few microseconds apart within a forward), so the
 * threads find the next one still spinning; between jobs, and whenever the
 * main loop needs a core, they are asleep within that time. Measured
 * against passive (sleep at once: each of the ~150 parallel regions of an
 * inference pays a futex wake-up, batch 1 lost a third of its speed) and
 * libgomp's default (300,000 rounds, milliseconds of a core burnt after
 * every job step): see the closing note of issue 20. */
#define DM_OPENMP_SPIN_COUNT "10000"

/* Sets GOMP_SPINCOUNT (unless the user set it or OMP_WAIT_POLICY) and runs
 * the program again with it; returns only when nothing needed changing or
 * the re-run failed (no /proc: the default policy stays). */
static inline void
dm_openmp_policy_apply (char *argv[])
{
  if (getenv ("OMP_WAIT_POLICY") != NULL || getenv ("GOMP_SPINCOUNT") != NULL)
    return;
  setenv ("GOMP_SPINCOUNT", DM_OPENMP_SPIN_COUNT, 1);
  execv ("/proc/self/exe", argv);
}
