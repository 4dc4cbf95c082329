/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A measurement, not a timed test: inference at batch 1 and 8 and a few
 * training steps (ViT-S/224 shapes, random weights) run once on a plain
 * thread, as the command line runs them, and once beside a drawing GTK
 * window, as the window runs its jobs (a job thread at nice 10, the OpenMP
 * wait policy of app/main.c, dm-openmp-policy.h). It prints both speeds,
 * their ratio and the worst gap between the window's frames; it asserts
 * that both give the same scores and gradients bit for bit, and that the
 * main loop never stalls for a second (the speeds depend on the machine's
 * load, so they are never asserted). DM_TEST_OMP=passive|default|active|N
 * (a spin count) measures another wait policy; DM_TEST_SPEED_TRAIN=0
 * leaves training out. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dm-dinomaly.h"
#include "dm-openmp-policy.h"
#include "dm-test-gui.h"
#include "dm-test-util.h"
#include "dm-train-step.h"
#include "dm-vit-random.h"

#define CROP 224
#define RUNS 4        /* timed inference runs per batch size, the best counts */
#define TRAIN_STEPS 3 /* timed training steps, after one warm-up */
#define JOB_NICE 10   /* as the window's training thread (ui/dm-window-train.c) */

typedef struct
{
  DmDinomalyModel *model;
  gboolean nice;        /* lower the thread's priority first, as the window does */
  double seconds[2];    /* best inference batch, batch 1 and 8 */
  float *scores[2];     /* (B) of the last run */
  double train_seconds; /* mean training step */
  float *grads;         /* the gradients of the last training step */
  gsize n_grads;
  GError *error;
  volatile gint done;
} Job;

static gboolean train_too = TRUE;

/* Runs the policy of the window, or the one DM_TEST_OMP names, from the
 * start of the process (libgomp reads it once, when it loads). */
static void
apply_policy (char *argv[])
{
  const char *want = g_getenv ("DM_TEST_OMP");

  if (g_getenv ("DM_TEST_OMP_APPLIED") != NULL)
    return;
  setenv ("DM_TEST_OMP_APPLIED", "1", 1);
  /* the test suite runs everything passive: measure the window's policy */
  unsetenv ("OMP_WAIT_POLICY");
  unsetenv ("GOMP_SPINCOUNT");
  if (want == NULL)
    dm_openmp_policy_apply (argv);
  else if (strcmp (want, "passive") == 0 || strcmp (want, "active") == 0)
    setenv ("OMP_WAIT_POLICY", want, 1);
  else if (strcmp (want, "default") != 0)
    setenv ("GOMP_SPINCOUNT", want, 1);
  execv ("/proc/self/exe", argv);
}

static double
best_inference (Job *job, int batch, int slot)
{
  g_autoptr (DmEngine) engine = dm_engine_new (0, &job->error);
  g_autoptr (DmInference) inference = NULL;
  g_autofree float *img = g_new (float, (gsize)batch * 3 * CROP * CROP);
  double best = G_MAXDOUBLE;

  if (engine == NULL
      || (inference = dm_inference_new (engine, job->model, batch, &job->error)) == NULL)
    return NAN;
  dm_test_fill_uniform (img, (gsize)batch * 3 * CROP * CROP, -2, 2, 5);
  job->scores[slot] = g_new (float, batch);
  for (int r = 0; r <= RUNS; r++)
    {
      gint64 t0 = g_get_monotonic_time ();

      if (!dm_inference_run (inference, img, batch, NULL, job->scores[slot], &job->error))
        return NAN;
      if (r > 0) /* the first creates the primitives and packs the weights */
        best = MIN (best, (g_get_monotonic_time () - t0) * 1e-6);
    }
  return best;
}

static double
mean_training_step (Job *job)
{
  g_autoptr (DmEngine) engine = dm_engine_new (0, &job->error);
  g_autoptr (DmDinomalyWeights) weights = NULL;
  g_autoptr (DmTrainStep) step = NULL;
  int B = 8, N = 5 + (CROP / 14) * (CROP / 14), D = 384;
  DmLossSettings loss;
  DmOptimizerSettings opt;
  gint64 t0 = 0;

  if (engine == NULL || (weights = dm_dinomaly_weights_new (D, &job->error)) == NULL)
    return NAN;
  dm_dinomaly_weights_init (weights, 3);
  step = dm_train_step_new (engine, weights, B, N, 5, &job->error);
  if (step == NULL)
    return NAN;
  dm_test_fill_uniform (step->E1, (gsize)B * N * D, -1, 1, 6);
  dm_test_fill_uniform (step->E2, (gsize)B * N * D, -1, 1, 7);
  for (gsize i = 0; i < (gsize)B * N * D; i++)
    step->fused[i] = (step->E1[i] + step->E2[i]) * 0.5f;
  dm_loss_settings_default (&loss);
  dm_optimizer_settings_default (&opt, 1000);
  for (int it = 0; it <= TRAIN_STEPS; it++)
    {
      DmDropout dropout = { 0.2f, (guint64)it };
      DmTrainStepResult r;

      if (it == 1)
        t0 = g_get_monotonic_time ();
      if (!dm_train_step_gradients (step, 500 + it, &dropout, &loss, &r, &job->error))
        return NAN;
      if (it < TRAIN_STEPS)
        dm_train_step_update (step, &opt, &r);
    }
  job->n_grads = weights->layout.n_floats;
  job->grads = g_memdup2 (step->grads, job->n_grads * sizeof (float));
  return (g_get_monotonic_time () - t0) * 1e-6 / TRAIN_STEPS;
}

static gpointer
job_thread (gpointer data)
{
  Job *job = data;

  if (job->nice && setpriority (PRIO_PROCESS, (id_t)syscall (SYS_gettid), JOB_NICE) != 0)
    g_printerr ("could not lower the job's priority: %s\n", g_strerror (errno));
  job->seconds[0] = best_inference (job, 1, 0);
  if (job->error == NULL)
    job->seconds[1] = best_inference (job, 8, 1);
  if (job->error == NULL && train_too)
    job->train_seconds = mean_training_step (job);
  g_atomic_int_set (&job->done, 1);
  return NULL;
}

static gint64 last_frame_us, worst_gap_us;
static guint n_frames;

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  gint64 now = g_get_monotonic_time ();

  if (last_frame_us > 0)
    worst_gap_us = MAX (worst_gap_us, now - last_frame_us);
  last_frame_us = now;
  n_frames++;
  gtk_widget_queue_draw (widget);
  return G_SOURCE_CONTINUE;
}

static gboolean
job_done (gpointer job)
{
  return g_atomic_int_get (&((Job *)job)->done);
}

static void
clear_job (Job *job)
{
  for (int i = 0; i < 2; i++)
    g_free (job->scores[i]);
  g_free (job->grads);
  g_clear_error (&job->error);
}

static void
test_window_speed (void)
{
  DmVitConfig config;
  DmVitTargets targets;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmDinomalyModel) model = NULL;
  DmVitWeights *encoder;
  DmDinomalyWeights *decoder;
  Job cli = { 0 }, window = { 0 };
  GtkWidget *win, *spinner;
  GThread *thread;
  const char *policy = g_getenv ("OMP_WAIT_POLICY");
  const char *spin = g_getenv ("GOMP_SPINCOUNT");

  g_assert_true (dm_vit_config_for_arch ("small", &config));
  dm_vit_targets_default (&targets, &config);
  encoder
    = dm_vit_weights_new_random (&config, targets.targets[targets.n_targets - 1] + 1, 1, &error);
  g_assert_no_error (error);
  decoder = dm_dinomaly_weights_new (config.dim, &error);
  g_assert_no_error (error);
  dm_dinomaly_weights_init (decoder, 2);
  model = dm_dinomaly_model_new (encoder, decoder, &error);
  g_assert_no_error (error);
  model->crop = CROP;
  model->resize = 256;

  /* 1. as the command line: a plain thread, nothing drawing */
  cli.model = model;
  thread = g_thread_new ("cli-like", job_thread, &cli);
  g_thread_join (thread);
  g_assert_no_error (cli.error);

  /* 2. as the window: a job thread at nice 10 beside a window that draws
   * every frame */
  win = gtk_window_new ();
  spinner = gtk_spinner_new ();
  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_widget_set_size_request (spinner, 200, 200);
  gtk_window_set_child (GTK_WINDOW (win), spinner);
  gtk_window_present (GTK_WINDOW (win));
  dm_test_gui_wait_frames (win, 3);
  gtk_widget_add_tick_callback (spinner, on_tick, NULL, NULL);
  window.model = model;
  window.nice = TRUE;
  thread = g_thread_new ("window-job", job_thread, &window);
  g_assert_true (dm_test_gui_wait_until (job_done, &window, 600000));
  g_thread_join (thread);
  g_assert_no_error (window.error);

  printf ("# OpenMP wait: OMP_WAIT_POLICY=%s GOMP_SPINCOUNT=%s; load %s\n",
          policy != NULL ? policy : "(unset)", spin != NULL ? spin : "(unset)",
          g_getenv ("DM_TEST_LOAD") != NULL ? g_getenv ("DM_TEST_LOAD") : "see uptime");
  for (int i = 0; i < 2; i++)
    {
      int B = i == 0 ? 1 : 8;

      printf ("# inference batch %d: plain thread %.2f images/s, beside the window %.2f images/s "
              "(%.1f%%)\n",
              B, B / cli.seconds[i], B / window.seconds[i],
              100.0 * cli.seconds[i] / window.seconds[i]);
      /* correctness: the same scores */
      g_assert_cmpmem (cli.scores[i], B * sizeof (float), window.scores[i], B * sizeof (float));
    }
  if (train_too)
    {
      printf ("# training step (ViT-S/224 batch 8): plain thread %.3f s, beside the window %.3f s "
              "(%.1f%%)\n",
              cli.train_seconds, window.train_seconds,
              100.0 * cli.train_seconds / window.train_seconds);
      g_assert_cmpmem (cli.grads, cli.n_grads * sizeof (float), window.grads,
                       window.n_grads * sizeof (float));
    }
  printf ("# frames while the window's job ran: %u, worst gap %.1f ms\n", n_frames,
          worst_gap_us / 1000.0);
  /* a stall of a second would mean the job took the main thread's core */
  g_assert_cmpint (worst_gap_us, <, 1000000);
  gtk_window_destroy (GTK_WINDOW (win));
  clear_job (&cli);
  clear_job (&window);
}

int
main (int argc, char *argv[])
{
  apply_policy (argv);
  gtk_test_init (&argc, &argv, NULL);
  train_too = g_strcmp0 (g_getenv ("DM_TEST_SPEED_TRAIN"), "0") != 0;
  g_test_add_func ("/window-speed/inference-and-training", test_window_speed);
  return g_test_run ();
}
