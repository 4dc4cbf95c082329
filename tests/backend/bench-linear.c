/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A standalone benchmark (not a test) of dm_linear_forward/backward on
 * ViT-sized matmuls against a plain dnnl_sgemm of the same size.
 * Usage: bench-linear [reps [threads [cpu]]]   (DNNL_VERBOSE=1 shows the
 * implementations; threads 0 = all cores, the default; "cpu" times by the
 * process's CPU time instead of the clock: with one thread and
 * OMP_WAIT_POLICY=passive, the work alone, steady on a busy machine)
 * Times are the best of `reps` single calls, interleaved between the
 * contenders, so that a busy shared machine disturbs them least. */
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dm-arena.h"
#include "dm-linear.h"
#include "dm-test-util.h"

typedef struct
{
  const char *name;
  int M, K, N;
} Case;

static const Case cases[] = {
  { "peak 2048^3", 2048, 2048, 2048 },
  { "quick qkv", 8 * 261, 384, 1152 }, { "quick proj", 8 * 261, 384, 384 },
  { "quick fc1", 8 * 261, 384, 1536 }, { "quick fc2", 8 * 261, 1536, 384 },
  { "ViT-S qkv", 8 * 257, 384, 1152 }, { "ViT-S proj", 8 * 257, 384, 384 },
  { "ViT-S fc1", 8 * 257, 384, 1536 }, { "ViT-S fc2", 8 * 257, 1536, 384 },
  { "ViT-B qkv", 8 * 261, 768, 2304 }, { "ViT-B fc1", 8 * 261, 768, 3072 },
  { "ViT-B fc2", 8 * 261, 3072, 768 },
};

enum
{
  SGEMM_NT, /* C = A B^T, the forward's layout */
  FORWARD,
  FORWARD_GELU,
  SGEMM_NN, /* C = A B, the backward-data layout */
  BACKWARD_DATA,
  SGEMM_TN, /* C += A^T B, the backward-weights layout */
  BACKWARD_WEIGHTS,
  N_KINDS
};

static const char *kind_names[N_KINDS] = {
  "sgemm N,T",       "linear fwd + bias", "linear fwd + bias + gelu", "sgemm N,N",
  "linear bwd dinp", "sgemm T,N beta=1",  "linear bwd dweight",
};

/* The sgemm each op is compared with (-1: it is one). */
static const int versus_sgemm[N_KINDS] = { -1, SGEMM_NT, SGEMM_NT, -1, SGEMM_NN, -1, SGEMM_TN };

static float *
alloc_random (gsize n, guint64 seed)
{
  float *x = dm_aligned_alloc (n * sizeof (float), NULL);

  dm_test_fill_uniform (x, n, -1, 1, seed);
  return x;
}

static gboolean use_cpu_time;

static double
now (void)
{
  struct timespec ts;

  if (!use_cpu_time)
    return g_get_monotonic_time () * 1e-6;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int
main (int argc, char *argv[])
{
  int reps = argc > 1 ? MAX (atoi (argv[1]), 1) : 10;
  int threads = argc > 2 ? atoi (argv[2]) : 0;
  use_cpu_time = argc > 3 && strcmp (argv[3], "cpu") == 0;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (threads, &error);

  if (engine == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  g_print ("threads %d, best of %d calls; GFLOP/s (ms)\n", dm_engine_get_n_threads (engine), reps);
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      int M = cases[c].M, K = cases[c].K, N = cases[c].N;
      double flops = 2.0 * M * K * N;
      float *inp = alloc_random ((gsize)M * K, 1);
      float *weight = alloc_random ((gsize)N * K, 2);
      float *bias = alloc_random (N, 3);
      float *out = alloc_random ((gsize)M * N, 4);
      float *dinp = alloc_random ((gsize)M * K, 5);
      float *dweight = alloc_random ((gsize)N * K, 6);
      double best[N_KINDS];

      for (int k = 0; k < N_KINDS; k++)
        best[k] = G_MAXDOUBLE;
      for (int r = 0; r <= reps; r++) /* r = 0: warm-up, primitive creation */
        for (int k = 0; k < N_KINDS; k++)
          {
            double t0 = now ();
            gboolean ok = TRUE;

            switch (k)
              {
              case SGEMM_NT:
                dnnl_sgemm ('N', 'T', M, N, K, 1.0f, inp, K, weight, K, 0.0f, out, N);
                break;
              case FORWARD:
                ok = dm_linear_forward (engine, out, inp, weight, bias, M, K, N, DM_ACT_NONE,
                                        &error);
                break;
              case FORWARD_GELU:
                ok = dm_linear_forward (engine, out, inp, weight, bias, M, K, N, DM_ACT_GELU,
                                        &error);
                break;
              case SGEMM_NN:
                dnnl_sgemm ('N', 'N', M, K, N, 1.0f, out, N, weight, K, 0.0f, dinp, K);
                break;
              case BACKWARD_DATA:
                ok = dm_linear_backward (engine, dinp, NULL, NULL, out, inp, weight, M, K, N,
                                         &error);
                break;
              case SGEMM_TN:
                dnnl_sgemm ('T', 'N', N, K, M, 1.0f, out, N, inp, K, 1.0f, dweight, K);
                break;
              case BACKWARD_WEIGHTS:
                ok = dm_linear_backward (engine, NULL, dweight, NULL, out, inp, weight, M, K, N,
                                         &error);
                break;
              }
            if (!ok)
              {
                g_printerr ("%s\n", error->message);
                return 1;
              }
            if (r > 0)
              best[k] = MIN (best[k], now () - t0);
          }
      g_print ("%s: M %d, K %d, N %d\n", cases[c].name, M, K, N);
      for (int k = 0; k < N_KINDS; k++)
        {
          char versus[32] = "";

          if (versus_sgemm[k] >= 0)
            g_snprintf (versus, sizeof versus, " = %3.0f%% of sgemm",
                        100.0 * best[versus_sgemm[k]] / best[k]);
          g_print ("  %-26s %6.1f GFLOP/s (%6.2f ms)%s\n", kind_names[k], flops / best[k] * 1e-9,
                   best[k] * 1e3, versus);
        }
      dm_aligned_free (inp);
      dm_aligned_free (weight);
      dm_aligned_free (bias);
      dm_aligned_free (out);
      dm_aligned_free (dinp);
      dm_aligned_free (dweight);
    }
  return 0;
}
