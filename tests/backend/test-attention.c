/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the softmax attention forward against the naive double reference:
 * odd shapes, every chunking path, thread counts, primitive reuse. */
#include <math.h>
#include <string.h>

#include "dm-attention.h"
#include "dm-error.h"
#include "dm-reference-attention.h"
#include "dm-test-util.h"

static double *
to_double (const float *x, gsize n)
{
  double *y = g_new (double, n);

  for (gsize i = 0; i < n; i++)
    y[i] = x[i];
  return y;
}

static float *
to_float (const double *x, gsize n)
{
  float *y = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    y[i] = (float)x[i];
  return y;
}

/* Runs the op on random qkv (scores spread over about +-range^2 * sqrt(hd))
 * and compares with the reference. */
static void
check_forward (DmEngine *engine, int B, int N, int D, int H, float range, guint64 seed)
{
  g_autoptr (GError) error = NULL;
  gsize n_qkv = (gsize)B * N * 3 * D, n_out = (gsize)B * N * D;
  gsize n_scratch = dm_attention_scratch_size (B, N, D, H);
  g_autofree float *qkv = g_new (float, n_qkv);
  g_autofree float *out = g_new (float, n_out);
  /* exactly the size asked for, so ASan sees any overrun */
  g_autofree float *scratch = g_new (float, n_scratch);
  g_autofree double *qkv_d = NULL;
  g_autofree double *want_d = g_new (double, n_out);
  g_autofree float *want = NULL;
  char what[64];

  g_assert_cmpuint (n_scratch, >, 0);
  g_assert_cmpuint (n_scratch, <=, (gsize)B * H * N * N + N);
  dm_test_fill_uniform (qkv, n_qkv, -range, range, seed);
  qkv_d = to_double (qkv, n_qkv);
  g_assert_true (dm_attention_forward (engine, out, scratch, qkv, B, N, D, H, &error));
  g_assert_no_error (error);
  dm_reference_attention_forward (want_d, qkv_d, B, N, D, H);
  want = to_float (want_d, n_out);
  g_snprintf (what, sizeof what, "attention forward");
  dm_test_assert_close (out, want, n_out, 1e-5, what);
}

static void
test_attention_odd_shapes (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (0, &error);
  static const int shapes[][4] = {
    /* B, N, D, H */
    { 1, 1, 64, 1 },   { 1, 7, 64, 1 },  { 2, 7, 128, 2 },
    { 3, 7, 384, 6 },  { 2, 1, 384, 6 }, { 1, 13, 48, 3 }, /* hd = 16 */
    { 2, 5, 40, 4 },                                       /* hd = 10: not a multiple of 16 */
    { 2, 37, 384, 6 },
  };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    check_forward (engine, shapes[i][0], shapes[i][1], shapes[i][2], shapes[i][3], 1.0f, 10 + i);
}

/* Large logits: softmax close to one-hot, where a missing max subtraction
 * or a wrong scale would show. */
static void
test_attention_peaky (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (0, &error);

  g_assert_no_error (error);
  check_forward (engine, 2, 19, 128, 2, 3.0f, 77);
}

/* Every way of chunking: several whole images with a shorter last chunk,
 * some heads of one image, rows of one head with a shorter last block, under
 * several thread counts (the plan depends on it; the scratch size covers
 * them all). */
static void
test_attention_chunking (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (0, &error);
  int threads[] = { 1, 2, 6, 16 };

  g_assert_no_error (error);
  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    {
      dm_engine_set_n_threads (engine, threads[t]);
      check_forward (engine, 14, 100, 64, 1, 1.0f, 100 + t); /* 13 images a chunk, then 1 */
      check_forward (engine, 1, 261, 384, 6, 1.0f, 110 + t); /* heads of one image */
      check_forward (engine, 1, 401, 128, 2, 1.0f, 120 + t); /* rows 201 + 200 */
    }
  dm_engine_set_n_threads (engine, 0);
  g_assert_cmpuint (dm_attention_scratch_size (8, 789, 768, 12), <, (gsize)8 * 12 * 789 * 789);
}

static void
test_attention_reuse (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (0, &error);
  int B = 2, N = 9, D = 128, H = 2;
  gsize n_qkv = (gsize)B * N * 3 * D, n_out = (gsize)B * N * D;
  g_autofree float *qkv = g_new (float, n_qkv);
  g_autofree float *out1 = g_new (float, n_out);
  g_autofree float *out2 = g_new (float, n_out);
  g_autofree float *scratch = g_new (float, dm_attention_scratch_size (B, N, D, H));
  guint n_prims;

  g_assert_no_error (error);
  dm_test_fill_uniform (qkv, n_qkv, -1, 1, 5);
  g_assert_true (dm_attention_forward (engine, out1, scratch, qkv, B, N, D, H, &error));
  n_prims = dm_engine_get_n_primitives (engine);
  g_assert_cmpuint (n_prims, ==, 3);
  g_assert_true (dm_attention_forward (engine, out2, scratch, qkv, B, N, D, H, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (dm_engine_get_n_primitives (engine), ==, n_prims);
  g_assert_cmpmem (out1, n_out * sizeof (float), out2, n_out * sizeof (float));
}

static void
test_attention_bad_shapes (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (0, &error);
  float dummy[4] = { 0 };

  g_assert_no_error (error);
  g_assert_cmpuint (dm_attention_scratch_size (1, 4, 10, 3), ==, 0);
  g_assert_false (dm_attention_forward (engine, dummy, dummy, dummy, 1, 4, 10, 3, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "attention"));
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/attention/odd-shapes", test_attention_odd_shapes);
  g_test_add_func ("/attention/peaky", test_attention_peaky);
  g_test_add_func ("/attention/chunking", test_attention_chunking);
  g_test_add_func ("/attention/reuse", test_attention_reuse);
  g_test_add_func ("/attention/bad-shapes", test_attention_bad_shapes);
  status = g_test_run ();
  dm_test_print_error_summary ();
  return status;
}
