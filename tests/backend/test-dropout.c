/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the counter-based dropout: keep fraction, independence of
 * neighbours and seeds, the same mask for any chunking and offset, the
 * backward's recomputed mask, and the p = 0 and p = 1 ends. */
#include <math.h>
#include <string.h>

#include "dm-dropout.h"
#include "dm-reference-dense.h"
#include "dm-test-fd.h"
#include "dm-test-util.h"

static const float probabilities[] = { 0.1f, 0.2f, 0.4f, 0.5f, 0.9f };

static float *
random_floats (gsize n, float lo, float hi, guint64 seed)
{
  float *x = g_new (float, n);

  dm_test_fill_uniform (x, n, lo, hi, seed);
  return x;
}

/* Keep fraction within 5 standard deviations of 1 - p, and neighbours kept
 * together with probability (1 - p)^2, both for the pairs that share a
 * hash (even i, i + 1) and for those that do not (odd i, i + 1). */
static void
test_statistics (void)
{
  gsize n = 1 << 20;
  g_autofree float *ones = g_new (float, n);
  g_autofree float *out = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    ones[i] = 1.0f;
  for (guint t = 0; t < G_N_ELEMENTS (probabilities); t++)
    {
      float p = probabilities[t];
      double q = 1.0 - p, sigma = sqrt (p * q / n);
      double sigma2 = sqrt (q * q * (1 - q * q) / (n / 2 - 1));
      gsize kept = 0, both[2] = { 0, 0 }, agree = 0;

      dm_dropout_forward (NULL, out, ones, n, p, 1234 + t, 0);
      for (gsize i = 0; i < n; i++)
        {
          kept += out[i] != 0.0f;
          if (i + 1 < n)
            both[i & 1] += out[i] != 0.0f && out[i + 1] != 0.0f;
        }
      g_assert_cmpfloat (fabs ((double)kept / n - q), <, 5 * sigma);
      for (int parity = 0; parity < 2; parity++)
        g_assert_cmpfloat (fabs ((double)both[parity] / (n / 2 - parity) - q * q), <, 5 * sigma2);

      /* Another seed: an independent mask (agreement p^2 + q^2). */
      {
        g_autofree float *other = g_new (float, n);
        double pa = p * p + q * q;

        dm_dropout_forward (NULL, other, ones, n, p, 1235 + t, 0);
        for (gsize i = 0; i < n; i++)
          agree += (out[i] != 0.0f) == (other[i] != 0.0f);
        g_assert_cmpfloat (fabs ((double)agree / n - pa), <, 5 * sqrt (pa * (1 - pa) / n));
      }
      g_test_message ("p = %.1f: kept %.5f (want %.5f)", p, (double)kept / n, q);
    }
}

/* Kept values are inp / (1 - p) exactly as PyTorch computes it, dropped
 * ones 0, and the whole equals the element-by-element reference. */
static void
test_values (void)
{
  gsize n = 10001;
  g_autofree float *inp = random_floats (n, -3, 3, 7);
  g_autofree float *out = g_new (float, n);
  g_autofree float *ref = g_new (float, n);

  for (guint t = 0; t < G_N_ELEMENTS (probabilities); t++)
    {
      float p = probabilities[t];
      float scale = (float)(1.0 / (1.0 - (double)p));

      for (guint64 offset = 0; offset < 3; offset++)
        {
          dm_dropout_forward (NULL, out, inp, n, p, 99, offset);
          dm_ref_dropout_forward (ref, inp, n, p, 99, offset);
          g_assert_cmpmem (out, n * sizeof (float), ref, n * sizeof (float));
          for (gsize i = 0; i < n; i++)
            g_assert_true (out[i] == 0.0f || out[i] == inp[i] * scale);
        }
    }
}

/* The mask of element i depends on (seed, offset + i) only: any split
 * into chunks, at odd or even boundaries, gives the same bits, and a run
 * starting at offset o is the tail of the run starting at 0. */
static void
test_chunking (void)
{
  gsize n = 4099;
  g_autofree float *inp = random_floats (n, -1, 1, 8);
  g_autofree float *whole = g_new (float, n);
  g_autofree float *pieces = g_new (float, n);
  static const gsize cuts[][6] = {
    { 1, 2, 3, 4, 5, 4099 },           { 2, 4, 6, 8, 10, 4099 },
    { 7, 100, 101, 2048, 4098, 4099 }, { 4099, 4099, 4099, 4099, 4099, 4099 },
    { 0, 0, 1, 1, 3, 4099 },
  };

  dm_dropout_forward (NULL, whole, inp, n, 0.2f, 42, 1000);
  for (guint c = 0; c < G_N_ELEMENTS (cuts); c++)
    {
      gsize start = 0;

      memset (pieces, 0xff, n * sizeof (float));
      for (guint j = 0; j < G_N_ELEMENTS (cuts[c]); j++)
        {
          gsize end = cuts[c][j];

          dm_dropout_forward (NULL, pieces + start, inp + start, end - start, 0.2f, 42,
                              1000 + start);
          start = end;
        }
      g_assert_cmpmem (pieces, n * sizeof (float), whole, n * sizeof (float));
    }

  /* Offsets shift the mask. */
  for (gsize o = 1; o < 4; o++)
    {
      dm_dropout_forward (NULL, pieces, inp + o, n - o, 0.2f, 42, 1000 + o);
      g_assert_cmpmem (pieces, (n - o) * sizeof (float), whole + o, (n - o) * sizeof (float));
    }
  /* In place gives the same. */
  memcpy (pieces, inp, n * sizeof (float));
  dm_dropout_forward (NULL, pieces, pieces, n, 0.2f, 42, 1000);
  g_assert_cmpmem (pieces, n * sizeof (float), whole, n * sizeof (float));
}

/* On two threads (chunks of the parallel loop, odd and even offsets) the
 * output is bit for bit the one-thread output, and every element is the
 * naive definition: kept (seed, offset + i) ? x / (1 - p) : 0. */
static void
test_threads (void)
{
  gsize n = 3 * 16384 + 777;
  g_autoptr (DmEngine) engine = dm_engine_new (2, NULL);
  g_autofree float *inp = random_floats (n, -1, 1, 9);
  g_autofree float *one = g_new (float, n);
  g_autofree float *two = g_new (float, n);

  for (guint64 offset = 5; offset <= 6; offset++)
    {
      float scale = (float)(1.0 / (1.0 - 0.3));

      dm_dropout_forward (NULL, one, inp, n, 0.3f, 77, offset);
      dm_dropout_forward (engine, two, inp, n, 0.3f, 77, offset);
      g_assert_cmpmem (one, n * sizeof (float), two, n * sizeof (float));
      for (gsize i = 0; i < n; i++)
        {
          float want = dm_dropout_is_kept (77, offset + i, 0.3f) ? inp[i] * scale : 0.0f;

          if (one[i] != want)
            g_error ("dropout element %" G_GSIZE_FORMAT ": %g, naive %g", i, one[i], want);
        }
      dm_dropout_backward (engine, two, inp, n, 0.3f, 77, offset);
      g_assert_cmpmem (one, n * sizeof (float), two, n * sizeof (float));
    }
}

typedef struct
{
  gsize n;
  const float *mask; /* the forward of ones: the scaled mask */
  double *inp, *wout;
} DropoutLoss;

static double
dropout_loss (gpointer data)
{
  DropoutLoss *l = data;
  double s = 0.0;

  for (gsize i = 0; i < l->n; i++)
    s += l->wout[i] * l->inp[i] * l->mask[i];
  return s;
}

/* The backward recomputes the forward's mask: backward (dout) equals
 * forward (dout) bit for bit, and matches central differences. */
static void
test_backward (void)
{
  gsize n = 3001;
  g_autofree float *dout = random_floats (n, -1, 1, 9);
  g_autofree float *inp = random_floats (n, -1, 1, 10);
  g_autofree float *ones = g_new (float, n);
  g_autofree float *mask = g_new (float, n);
  g_autofree float *fwd = g_new (float, n);
  g_autofree float *dinp = g_new (float, n);
  g_autofree float *fd = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    ones[i] = 1.0f;
  for (guint t = 0; t < G_N_ELEMENTS (probabilities); t++)
    {
      float p = probabilities[t];
      DropoutLoss l = { n, mask };

      dm_dropout_forward (NULL, fwd, dout, n, p, 5, 17);
      dm_dropout_backward (NULL, dinp, dout, n, p, 5, 17);
      g_assert_cmpmem (dinp, n * sizeof (float), fwd, n * sizeof (float));

      dm_dropout_forward (NULL, mask, ones, n, p, 5, 17);
      l.inp = dm_test_to_f64 (inp, n);
      l.wout = dm_test_to_f64 (dout, n);
      dm_test_fd_gradient (l.inp, n, 1e-3, dropout_loss, &l, fd);
      dm_test_assert_close (dinp, fd, n, 1e-6, "dropout fd");
      g_free (l.inp);
      g_free (l.wout);

      /* In place. */
      memcpy (fwd, dout, n * sizeof (float));
      dm_dropout_backward (NULL, fwd, fwd, n, p, 5, 17);
      g_assert_cmpmem (fwd, n * sizeof (float), dinp, n * sizeof (float));
    }
}

static void
test_ends (void)
{
  gsize n = 257;
  g_autofree float *inp = random_floats (n, -1, 1, 11);
  g_autofree float *out = g_new (float, n);

  dm_dropout_forward (NULL, out, inp, n, 0.0f, 3, 0);
  g_assert_cmpmem (out, n * sizeof (float), inp, n * sizeof (float));
  dm_dropout_backward (NULL, out, inp, n, 0.0f, 3, 0);
  g_assert_cmpmem (out, n * sizeof (float), inp, n * sizeof (float));
  dm_dropout_forward (NULL, out, inp, n, 1.0f, 3, 0);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (out[i], ==, 0.0f);
  g_assert_true (dm_dropout_is_kept (3, 12345, 0.0f));
  g_assert_false (dm_dropout_is_kept (3, 12345, 1.0f));
  dm_dropout_forward (NULL, NULL, NULL, 0, 0.5f, 3, 0);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dropout/statistics", test_statistics);
  g_test_add_func ("/dropout/values", test_values);
  g_test_add_func ("/dropout/chunking", test_chunking);
  g_test_add_func ("/dropout/backward", test_backward);
  g_test_add_func ("/dropout/threads", test_threads);
  g_test_add_func ("/dropout/ends", test_ends);
  status = g_test_run ();
  dm_test_print_error_summary ();
  return status;
}
