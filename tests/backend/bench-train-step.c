/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A standalone benchmark (not a test) of one training iteration on random
 * features of the real shapes, for profiling: `perf record` around it sees
 * the iterations only (no encoder, no cache), and the phases are timed.
 * Usage: bench-train-step [arch [crop [batch [iters [threads]]]]]
 * (defaults: small 224 8 10 0 = all cores). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dm-test-util.h"
#include "dm-train-step.h"

static double
now (void)
{
  return (double)g_get_monotonic_time () * 1e-6;
}

/* CPU seconds of the whole process: on a busy shared machine, with
 * OMP_WAIT_POLICY=passive, a steadier measure of the work than the clock. */
static double
cpu_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int
main (int argc, char *argv[])
{
  const char *arch = argc > 1 ? argv[1] : "small";
  int crop = argc > 2 ? atoi (argv[2]) : 224;
  int B = argc > 3 ? atoi (argv[3]) : 8;
  int iters = argc > 4 ? atoi (argv[4]) : 10;
  int threads = argc > 5 ? atoi (argv[5]) : 0;
  int D = strcmp (arch, "base") == 0 ? 768 : 384;
  int g = crop / 14, N = 5 + g * g;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (threads, &error);
  g_autoptr (DmDinomalyWeights) weights = NULL;
  g_autoptr (DmTrainStep) step = NULL;
  DmLossSettings loss;
  DmOptimizerSettings opt;
  double t_fwd = 0, t_all = 0, best = G_MAXDOUBLE, cpu = 0, cpu_best = G_MAXDOUBLE;

  if (engine == NULL || (weights = dm_dinomaly_weights_new (D, &error)) == NULL)
    g_error ("%s", error->message);
  dm_dinomaly_weights_init (weights, 1);
  step = dm_train_step_new (engine, weights, B, N, 5, &error);
  if (step == NULL)
    g_error ("%s", error->message);
  dm_test_fill_uniform (step->E1, (gsize)B * N * D, -1, 1, 2);
  dm_test_fill_uniform (step->E2, (gsize)B * N * D, -1, 1, 3);
  for (gsize i = 0; i < (gsize)B * N * D; i++)
    step->fused[i] = (step->E1[i] + step->E2[i]) * 0.5f;
  dm_loss_settings_default (&loss);
  dm_optimizer_settings_default (&opt, 1000);

  for (int it = 0; it <= iters; it++)
    {
      DmDropout dropout = { 0.2f, (guint64)it * 7919 };
      DmTrainStepResult r;
      double t0 = now (), c0 = cpu_now (), t1;

      if (!dm_train_step_gradients (step, 500 + it, &dropout, &loss, &r, &error))
        g_error ("%s", error->message);
      t1 = now ();
      dm_train_step_update (step, &opt, &r);
      if (it == 0)
        dm_engine_set_profiling (engine, g_getenv ("PROFILE") != NULL);
      if (it > 0) /* the first creates the primitives */
        {
          t_fwd += t1 - t0;
          t_all += now () - t0;
          best = MIN (best, now () - t0);
          cpu += cpu_now () - c0;
          cpu_best = MIN (cpu_best, cpu_now () - c0);
        }
    }
  printf ("%s/%d batch %d, %d threads: %.3f s/iteration (best %.3f), of which the optimiser "
          "%.1f%%; CPU %.3f s/iteration (best %.3f)\n",
          arch, crop, B, dm_engine_get_n_threads (engine), t_all / iters, best,
          100.0 * (t_all - t_fwd) / t_all, cpu / iters, cpu_best);
  if (g_getenv ("PROFILE") != NULL)
    {
      g_autofree char *table = dm_engine_format_profile (engine, iters);

      printf ("%s", table);
    }
  return 0;
}
