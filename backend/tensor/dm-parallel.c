/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one OpenMP parallel region of our own code. oneDNN runs on OpenMP
 * here, so its team is already there between primitives (spinning or
 * asleep): our loops use the same threads. A loop of ours left on one
 * thread cost twice its time on two cores while the other core waited;
 * measured in the closing note of issue 20. */
#include "dm-parallel.h"

#include <omp.h>

void
dm_parallel_for (DmEngine *engine, gsize n, gsize chunk, DmParallelFunc func, gpointer user_data)
{
  gsize n_chunks;
  int n_threads;

  if (n == 0)
    return;
  chunk = MAX (chunk, 1);
  n_chunks = dm_parallel_n_chunks (n, chunk);
  n_threads = engine != NULL ? dm_engine_get_n_threads (engine) : 1;
  n_threads = (int)MIN ((gsize)MAX (n_threads, 1), n_chunks);
  if (n_threads == 1)
    {
      for (gsize c = 0; c < n_chunks; c++)
        func (c * chunk, MIN ((c + 1) * chunk, n), user_data);
      return;
    }
#pragma omp parallel num_threads(n_threads)
  {
    gsize t = (gsize)omp_get_thread_num (), nt = (gsize)omp_get_num_threads ();

    for (gsize c = n_chunks * t / nt; c < n_chunks * (t + 1) / nt; c++)
      func (c * chunk, MIN ((c + 1) * chunk, n), user_data);
  }
}

void
dm_sum_partials (float *out, const double *partial, gsize n_chunks, gsize C)
{
  for (gsize c = 0; c < C; c++)
    {
      double sum = 0;

      for (gsize k = 0; k < n_chunks; k++)
        sum += partial[k * C + c];
      out[c] += (float)sum;
    }
}
