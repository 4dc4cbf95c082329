/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Tests of the oneDNN engine: primitive cache reuse, thread count, arena. */
#include <string.h>

#include "dm-arena.h"
#include "dm-engine.h"
#include "dm-error.h"
#include "dm-test-util.h"

/* A plain matmul primitive through the cache: (M,K) x (K,N). */
static DmPrimitive *
get_matmul (DmEngine *engine, int M, int K, int N)
{
  char key[DM_KEY_MAX];
  DmPrimitive *p;
  dnnl_memory_desc_t a, b, c;
  dnnl_matmul_desc_t desc;
  const int args[] = { DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST };
  g_autoptr (GError) error = NULL;

  g_snprintf (key, sizeof key, "test-matmul:%d,%d,%d", M, K, N);
  p = dm_engine_lookup (engine, key);
  if (p != NULL)
    return p;
  dm_md_f32 (&a, 2, (dnnl_dim_t[]){ M, K });
  dm_md_f32 (&b, 2, (dnnl_dim_t[]){ K, N });
  dm_md_f32 (&c, 2, (dnnl_dim_t[]){ M, N });
  g_assert_true (dm_dnnl_check (dnnl_matmul_desc_init (&desc, &a, &b, NULL, &c), "matmul", &error));
  p = dm_engine_create (engine, key, &desc, NULL, NULL, args, 3, &error);
  g_assert_no_error (error);
  return p;
}

static void
test_engine_cache_reuse (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (0, &error);
  float a[6] = { 1, 2, 3, 4, 5, 6 }, b[6] = { 1, 0, 0, 1, 1, 1 }, c[4] = { 0 };
  void *bufs[3] = { a, b, c };
  DmPrimitive *p1, *p2;

  g_assert_no_error (error);
  g_assert_cmpint (dm_engine_get_n_threads (engine), >=, 1);
  p1 = get_matmul (engine, 2, 3, 2);
  p2 = get_matmul (engine, 2, 3, 2);
  g_assert_true (p1 == p2);
  g_assert_cmpuint (dm_engine_get_n_primitives (engine), ==, 1);
  g_assert_true (dm_engine_execute (engine, p1, bufs, &error));
  g_assert_no_error (error);
  /* [1 2 3; 4 5 6] x [1 0; 0 1; 1 1] */
  g_assert_cmpfloat (c[0], ==, 4);
  g_assert_cmpfloat (c[1], ==, 5);
  g_assert_cmpfloat (c[2], ==, 10);
  g_assert_cmpfloat (c[3], ==, 11);

  get_matmul (engine, 3, 3, 2);
  g_assert_cmpuint (dm_engine_get_n_primitives (engine), ==, 2);
}

static void
test_engine_threads (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmEngine) engine = dm_engine_new (1, &error);

  g_assert_no_error (error);
  g_assert_cmpint (dm_engine_get_n_threads (engine), ==, 1);
  dm_engine_set_n_threads (engine, 2);
  g_assert_cmpint (dm_engine_get_n_threads (engine), ==, 2);
}

static void
test_engine_bad_shape_error (void)
{
  g_autoptr (GError) error = NULL;
  dnnl_memory_desc_t a, b, c;
  dnnl_matmul_desc_t desc;
  dnnl_status_t status;

  /* K of a and b differ: oneDNN refuses, and the error says so. */
  dm_md_f32 (&a, 2, (dnnl_dim_t[]){ 2, 3 });
  dm_md_f32 (&b, 2, (dnnl_dim_t[]){ 4, 2 });
  dm_md_f32 (&c, 2, (dnnl_dim_t[]){ 2, 2 });
  status = dnnl_matmul_desc_init (&desc, &a, &b, NULL, &c);
  g_assert_false (dm_dnnl_check (status, "matmul", &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_BACKEND);
  g_assert_nonnull (strstr (error->message, "matmul"));
}

static void
test_arena (void)
{
  DmArena arena;
  g_autoptr (GError) error = NULL;
  float *a, *b;

  g_assert_true (dm_arena_init (&arena, 1000, &error));
  a = dm_arena_alloc_f32 (&arena, 3);
  b = dm_arena_alloc_f32 (&arena, 5);
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpuint ((guintptr)a % DM_ALIGN, ==, 0);
  g_assert_cmpuint ((guintptr)b % DM_ALIGN, ==, 0);
  g_assert_true ((guint8 *)b - (guint8 *)a == DM_ALIGN);
  g_assert_null (dm_arena_alloc (&arena, 100000));
  dm_arena_reset (&arena);
  g_assert_true (dm_arena_alloc_f32 (&arena, 3) == a);
  g_assert_cmpuint (arena.peak, ==, 2 * DM_ALIGN);
  dm_arena_clear (&arena);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/cache-reuse", test_engine_cache_reuse);
  g_test_add_func ("/engine/threads", test_engine_threads);
  g_test_add_func ("/engine/bad-shape-error", test_engine_bad_shape_error);
  g_test_add_func ("/engine/arena", test_arena);
  return g_test_run ();
}
