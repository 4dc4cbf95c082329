/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Standalone timing of the attention ops against the machine's f32 matmul
 * peak (not a test: build with `ninja -C build tests/bench-attention`, run
 * `build/tests/bench-attention [repeats] [threads]`). Each round times a
 * 1024^3 oneDNN matmul and every op once, interleaved, and the best round of
 * each is kept, so a shared machine's load affects all figures alike. With
 * `cpu` as third argument, times are the process's CPU time instead of wall
 * time: on a loaded machine and with 1 thread, that measures the kernels'
 * efficiency without the time other processes hold the core. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dm-attention.h"
#include "dm-linear-attention.h"
#include "dm-test-util.h"

typedef struct
{
  const char *name;
  int B, N, D, H;
  float *qkv, *out, *scratch, *saved, *qk1, *dqkv;
  double best_attention, best_linear_forward, best_linear_backward;
} Case;

static void
die_on_error (gboolean ok, GError *error)
{
  if (!ok)
    g_error ("%s", error != NULL ? error->message : "failed");
}

static clockid_t clock_id = CLOCK_MONOTONIC;

static double
now (void)
{
  struct timespec ts;

  clock_gettime (clock_id, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Keeps in best the shortest time of call seen so far. */
#define TIME_ONCE(best, call)                                                                      \
  do                                                                                               \
    {                                                                                              \
      double t0 = now ();                                                                          \
      call;                                                                                        \
      double dt = now () - t0;                                                                     \
      if (dt < best)                                                                               \
        best = dt;                                                                                 \
    }                                                                                              \
  while (0)

static DmPrimitive *
peak_matmul (DmEngine *engine, int M, GError **error)
{
  static const int args[] = { DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST };
  dnnl_memory_desc_t md;
  dnnl_matmul_desc_t desc;

  dm_md_f32 (&md, 2, (dnnl_dim_t[]){ M, M });
  if (!dm_dnnl_check (dnnl_matmul_desc_init (&desc, &md, &md, NULL, &md), "matmul", error))
    return NULL;
  return dm_engine_create (engine, "bench-peak", &desc, NULL, NULL, args, 3, error);
}

int
main (int argc, char *argv[])
{
  g_autoptr (GError) error = NULL;
  int repeats = argc > 1 ? atoi (argv[1]) : 20;
  int threads = argc > 2 ? atoi (argv[2]) : 0;
  g_autoptr (DmEngine) engine = dm_engine_new (threads, &error);
  Case cases[] = {
    { "ViT-S, 224 px", 8, 261, 384, 6 },
    { "ViT-B, 392 px", 1, 789, 768, 12 },
    { "ViT-S, 392 px", 8, 789, 384, 6 },
    { "ViT-B, 224 px", 8, 261, 768, 12 },
  };
  const int M = 1024;
  g_autofree float *pa = g_new (float, M *M), *pb = g_new (float, M *M), *pc = g_new (float, M *M);
  void *peak_bufs[3] = { pa, pb, pc };
  DmPrimitive *peak;
  double best_peak = INFINITY;

  die_on_error (engine != NULL, error);
  if (argc > 3 && strcmp (argv[3], "cpu") == 0)
    clock_id = CLOCK_PROCESS_CPUTIME_ID;
  peak = peak_matmul (engine, M, &error);
  die_on_error (peak != NULL, error);
  dm_test_fill_uniform (pa, (gsize)M * M, -1, 1, 1);
  dm_test_fill_uniform (pb, (gsize)M * M, -1, 1, 2);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      Case *c = &cases[i];
      gsize n_qkv = (gsize)c->B * c->N * 3 * c->D;

      c->qkv = g_new (float, n_qkv);
      c->dqkv = g_new (float, n_qkv);
      c->out = g_new (float, (gsize)c->B * c->N * c->D);
      c->scratch = g_new (float, dm_attention_scratch_size (c->B, c->N, c->D, c->H));
      c->saved = g_new (float, dm_linear_attention_saved_size (c->B, c->N, c->D, c->H));
      c->qk1 = g_new (float, (gsize)2 * c->B * c->N * c->D);
      dm_test_fill_uniform (c->qkv, n_qkv, -1, 1, 3 + i);
      c->best_attention = c->best_linear_forward = c->best_linear_backward = INFINITY;
    }

  for (int r = 0; r < repeats; r++)
    {
      TIME_ONCE (best_peak,
                 die_on_error (dm_engine_execute (engine, peak, peak_bufs, &error), error));
      for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
        {
          Case *c = &cases[i];

          TIME_ONCE (c->best_attention,
                     die_on_error (dm_attention_forward (engine, c->out, c->scratch, c->qkv, c->B,
                                                         c->N, c->D, c->H, &error),
                                   error));
          TIME_ONCE (
            c->best_linear_forward,
            die_on_error (dm_linear_attention_forward (engine, c->out, c->saved, c->qk1, c->qkv,
                                                       c->B, c->N, c->D, c->H, &error),
                          error));
          /* out stands in for dout */
          TIME_ONCE (c->best_linear_backward,
                     die_on_error (dm_linear_attention_backward (engine, c->dqkv, NULL, c->out,
                                                                 c->qkv, c->saved, c->qk1, c->B,
                                                                 c->N, c->D, c->H, &error),
                                   error));
        }
    }

  {
    double peak_gflops = 2.0 * M * M * M / best_peak * 1e-9;

    g_print ("threads %d, best of %d rounds, %s time\n", dm_engine_get_n_threads (engine), repeats,
             clock_id == CLOCK_MONOTONIC ? "wall" : "process CPU");
    g_print ("f32 matmul peak (1024^3): %.2f ms, %.1f GFLOP/s\n", best_peak * 1e3, peak_gflops);
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        Case *c = &cases[i];
        /* q k^T and p v: 2 * (2 N^2 hd) per head */
        double flops = 4.0 * c->B * c->N * c->N * c->D;
        /* k'^T v and q' KV: 2 * (2 N hd^2) per head, the backward's four: 4 * */
        double lflops = 4.0 * c->B * c->N * c->D * (c->D / c->H);
        double g = flops / c->best_attention * 1e-9;

        g_print ("%-14s B=%d N=%d D=%d H=%d\n", c->name, c->B, c->N, c->D, c->H);
        g_print ("  softmax attention forward: %8.3f ms, %6.1f GFLOP/s (%.0f%% of peak), "
                 "scratch %.2f MiB\n",
                 c->best_attention * 1e3, g, 100 * g / peak_gflops,
                 dm_attention_scratch_size (c->B, c->N, c->D, c->H) * 4.0 / (1 << 20));
        g_print ("  linear attention forward:  %8.3f ms, %6.1f GFLOP/s\n",
                 c->best_linear_forward * 1e3, lflops / c->best_linear_forward * 1e-9);
        g_print ("  linear attention backward: %8.3f ms, %6.1f GFLOP/s\n",
                 c->best_linear_backward * 1e3, 2 * lflops / c->best_linear_backward * 1e-9);
      }
  }

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_free (cases[i].qkv);
      g_free (cases[i].dqkv);
      g_free (cases[i].out);
      g_free (cases[i].scratch);
      g_free (cases[i].saved);
      g_free (cases[i].qk1);
    }
  return 0;
}
