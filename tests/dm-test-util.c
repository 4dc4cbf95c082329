/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by the test programs. */
#include "dm-test-util.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "dm-random.h"

static GHashTable *worst_errors; /* what -> double* */
static GPtrArray *tmpdirs;

const char *
dm_test_srcdir (void)
{
  const char *dir = g_getenv ("DM_TEST_SRCDIR");

  return dir != NULL ? dir : ".";
}

const char *
dm_test_shared_dir (void)
{
  static char *dir;
  const char *env;

  if (dir != NULL)
    return dir;
  env = g_getenv ("DM_SHARED_DIR");
  if (env == NULL || !g_file_test (env, G_FILE_TEST_IS_DIR))
    return NULL;
  dir = g_canonicalize_filename (env, NULL);
  return dir;
}

static void
remove_recursively (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_recursively (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
remove_tmpdirs (void)
{
  for (guint i = 0; tmpdirs != NULL && i < tmpdirs->len; i++)
    remove_recursively (g_ptr_array_index (tmpdirs, i));
  g_clear_pointer (&tmpdirs, g_ptr_array_unref);
}

char *
dm_test_make_tmpdir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("dinomaly-test-XXXXXX", &error);

  g_assert_no_error (error);
  if (tmpdirs == NULL)
    {
      tmpdirs = g_ptr_array_new_with_free_func (g_free);
      atexit (remove_tmpdirs);
    }
  g_ptr_array_add (tmpdirs, g_strdup (dir));
  return dir;
}

void
dm_test_fill_uniform (float *x, gsize n, float lo, float hi, guint64 seed)
{
  guint64 s = seed * DM_GOLDEN_GAMMA + 1;

  for (gsize i = 0; i < n; i++)
    {
      /* splitmix64: reproducible on every platform, unlike rand() */
      guint64 z = dm_splitmix64 (&s);
      x[i] = lo + (hi - lo) * (float)((z >> 40) * (1.0 / 16777216.0));
    }
}

double
dm_test_max_abs_diff (const float *a, const float *b, gsize n)
{
  double worst = 0;

  for (gsize i = 0; i < n; i++)
    {
      double d = fabs ((double)a[i] - (double)b[i]);
      if (!(d <= worst)) /* also catches NaN */
        worst = isnan (d) ? INFINITY : d;
    }
  return worst;
}

double
dm_test_rel_to_max (const float *a, const float *b, gsize n)
{
  double ref = 0;

  for (gsize i = 0; i < n; i++)
    ref = MAX (ref, fabs ((double)b[i]));
  return dm_test_max_abs_diff (a, b, n) / MAX (ref, 1e-30);
}

void
dm_test_assert_close_impl (
  const float *a, const float *b, gsize n, double tol, const char *what, const char *file, int line)
{
  double err = dm_test_rel_to_max (a, b, n);
  double *worst;

  if (worst_errors == NULL)
    worst_errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  worst = g_hash_table_lookup (worst_errors, what);
  if (worst == NULL)
    {
      worst = g_new0 (double, 1);
      g_hash_table_insert (worst_errors, g_strdup (what), worst);
    }
  *worst = MAX (*worst, err);

  if (!(err <= tol))
    {
      gsize at = 0;
      double d_at = -1;

      for (gsize i = 0; i < n; i++)
        {
          double d = fabs ((double)a[i] - (double)b[i]);
          if (d > d_at || isnan (d))
            {
              d_at = isnan (d) ? INFINITY : d;
              at = i;
            }
        }
      g_error ("%s:%d: %s: relative error %.3g > %.3g (element %" G_GSIZE_FORMAT
               ": got %.9g, want %.9g)",
               file, line, what, err, tol, at, a[at], b[at]);
    }
}

void
dm_test_print_error_summary (void)
{
  g_autoptr (GList) keys = NULL;

  if (worst_errors == NULL)
    return;
  keys = g_hash_table_get_keys (worst_errors);
  keys = g_list_sort (keys, (GCompareFunc)g_strcmp0);
  g_print ("# largest error seen:\n");
  for (GList *l = keys; l != NULL; l = l->next)
    g_print ("#   %-40s %.3g\n", (const char *)l->data,
             *(double *)g_hash_table_lookup (worst_errors, l->data));
}

int
dm_test_run_cli (const char *cli, const char *const *args, char **out, char **err)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, (gpointer)cli);
  for (int i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);
  /* the same pair is reused for call after call: drop the last outputs */
  if (out != NULL)
    g_clear_pointer (out, g_free);
  if (err != NULL)
    g_clear_pointer (err, g_free);
  g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status,
                &error);
  g_assert_no_error (error);
  if (g_spawn_check_wait_status (status, NULL))
    return 0;
  /* a crash is no success: WEXITSTATUS of a process killed by a signal is 0 */
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

void
dm_test_assert_has (const char *text, const char *part)
{
  if (strstr (text, part) == NULL)
    g_error ("output lacks '%s':\n%s", part, text);
}
