/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by the test programs: paths, random data, comparisons. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Directory of the test sources (tests/), from DM_TEST_SRCDIR. */
const char *dm_test_srcdir (void);
/* ../shared of the checkout (DM_SHARED_DIR), or NULL when it is absent:
 * tests that need it call g_test_skip with the reason. */
const char *dm_test_shared_dir (void);
/* A fresh temporary directory, removed with its content at exit. */
char *dm_test_make_tmpdir (void);

/* Deterministic uniform floats in [lo, hi) from a seed. */
void dm_test_fill_uniform (float *x, gsize n, float lo, float hi, guint64 seed);

/* max |a - b| / max(max |b|, tiny): the relative-to-max error. */
double dm_test_rel_to_max (const float *a, const float *b, gsize n);
double dm_test_max_abs_diff (const float *a, const float *b, gsize n);

/* Asserts rel_to_max(a, b) <= tol, printing the worst element otherwise, and
 * records the largest error seen under `what` for the summary. */
#define dm_test_assert_close(a, b, n, tol, what)                                                   \
  dm_test_assert_close_impl ((a), (b), (n), (tol), (what), __FILE__, __LINE__)
void dm_test_assert_close_impl (const float *a,
                                const float *b,
                                gsize n,
                                double tol,
                                const char *what,
                                const char *file,
                                int line);

/* Runs the command-line program `cli` with args (NULL-terminated, without
 * the program) and returns its exit status; out and err receive what it
 * printed (either may be NULL), replacing (and freeing) what they held. */
int dm_test_run_cli (const char *cli, const char *const *args, char **out, char **err);

/* Fails the test, showing text, when text does not contain part. */
void dm_test_assert_has (const char *text, const char *part);

/* Prints the largest error recorded for each `what` (called at the end of
 * main, so test logs give the figures the closing notes quote). */
void dm_test_print_error_summary (void);

G_END_DECLS
