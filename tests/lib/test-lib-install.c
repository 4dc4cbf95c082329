/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libdinomaly as a machine builder gets it: `meson install --destdir`
 * into a temporary folder, then the installed library checked (SONAME,
 * exports: exactly the functions of the installed dinomaly.h, nothing of
 * the engine), docs/examples/inspect.c compiled with `pkg-config --cflags
 * --libs dinomaly` against it alone and run on raw frames (8/16-bit,
 * gray/RGB) with LD_LIBRARY_PATH on the installed folder: its scores,
 * decisions, rules and maps must be `dinomaly predict`'s on PNG files of
 * the same pixels, bit for bit.
 * Arguments: BUILD_DIR PREFIX LIBDIR INCLUDEDIR EXAMPLE.c DINOMALY CC
 * [SANITIZE_FLAGS] (directories absolute, as configured). */
#include <stdlib.h>
#include <string.h>

#include "dm-test-lib.h"
#include "dm-test-util.h"

static const char *build_dir, *prefix, *libdir, *includedir, *example, *cli, *cc, *sanitize;

/* Runs argv (with LD_LIBRARY_PATH and PKG_CONFIG_PATH set when not NULL),
 * asserts exit status 0 and returns what it printed. */
static char *
run (const char *const *argv, const char *ld_path, const char *pc_path)
{
  g_auto (GStrv) env = g_get_environ ();
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  int status = 0;

  if (ld_path != NULL)
    env = g_environ_setenv (env, "LD_LIBRARY_PATH", ld_path, TRUE);
  if (pc_path != NULL)
    env = g_environ_setenv (env, "PKG_CONFIG_PATH", pc_path, TRUE);
  g_spawn_sync (NULL, (char **)argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed:\n%s%s", argv[0], out, err);
  return g_steal_pointer (&out);
}

/* The functions the installed header declares (DINOMALY_API ... name (). */
static GPtrArray *
header_functions (const char *header)
{
  g_autofree char *text = NULL;
  g_autoptr (GRegex) re = g_regex_new ("^DINOMALY_API[^;]*?\\b(dinomaly_[a-z_]+)\\s*\\(",
                                       G_REGEX_MULTILINE | G_REGEX_DOTALL, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  g_assert_true (g_file_get_contents (header, &text, NULL, NULL));
  for (g_regex_match (re, text, 0, &match); g_match_info_matches (match);
       g_match_info_next (match, NULL))
    g_ptr_array_add (names, g_match_info_fetch (match, 1));
  return names;
}

static gboolean
contains (GPtrArray *names, const char *name)
{
  return g_ptr_array_find_with_equal_func (names, name, g_str_equal, NULL);
}

/* nm -D: every defined dynamic symbol is a function of the header (or the
 * version node DINOMALY_1), and every function of the header is there. */
static void
check_exports (const char *library, const char *header)
{
  g_autoptr (GPtrArray) functions = header_functions (header);
  g_autoptr (GPtrArray) exported = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *nm
    = run ((const char *[]){ "nm", "-D", "--defined-only", library, NULL }, NULL, NULL);
  g_autofree char *dynamic = run ((const char *[]){ "readelf", "-d", library, NULL }, NULL, NULL);
  g_auto (GStrv) lines = g_strsplit (nm, "\n", -1);

  dm_test_assert_has (dynamic, "Library soname: [libdinomaly.so.1]");
  for (int i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) fields = g_strsplit_set (lines[i], " \t", -1);
      guint n = g_strv_length (fields);
      g_autofree char *name = NULL;
      char *at;

      if (n == 0 || lines[i][0] == '\0')
        continue;
      /* "ADDR T name@@DINOMALY_1" */
      name = g_strdup (fields[n - 1]);
      if ((at = strchr (name, '@')) != NULL)
        *at = '\0';
      if (strcmp (name, "DINOMALY_1") == 0)
        continue;
      if (!contains (functions, name))
        g_error ("%s exports %s, which dinomaly.h does not declare", library, name);
      g_assert_nonnull (strstr (lines[i], "@@DINOMALY_1"));
      g_ptr_array_add (exported, g_steal_pointer (&name));
    }
  for (guint i = 0; i < functions->len; i++)
    if (!contains (exported, g_ptr_array_index (functions, i)))
      g_error ("%s does not export %s", library, (char *)g_ptr_array_index (functions, i));
  g_assert_cmpuint (functions->len, >=, 15);
  g_test_message ("nm -D: %u symbols exported, all of dinomaly.h", exported->len);
  g_print ("# nm -D --defined-only: %u functions exported (+ the version node DINOMALY_1)\n",
           exported->len);
}

static void
test_installed (void)
{
  g_autofree char *dest = dm_test_make_tmpdir ();
  g_autofree char *root = g_strconcat (dest, prefix, NULL);
  g_autofree char *lib = g_strconcat (dest, libdir, NULL);
  g_autofree char *header = g_build_filename (dest, includedir, "dinomaly.h", NULL);
  g_autofree char *library = g_build_filename (lib, "libdinomaly.so.1", NULL);
  g_autofree char *pc_dir = g_build_filename (lib, "pkgconfig", NULL);
  g_autofree char *program = g_build_filename (dest, "inspect", NULL);
  g_autofree char *work = g_build_filename (dest, "work", NULL);
  g_autofree char *plain_model = g_build_filename (work, "plain.dinomaly", NULL);
  g_autofree char *band_model = g_build_filename (work, "band.dinomaly", NULL);
  g_autofree char *define = g_strconcat ("--define-variable=prefix=", root, NULL);
  g_autofree char *flags = NULL, *version = NULL, *shell = NULL, *cxx_path = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  DmTestFrame frames[2][DM_TEST_LIB_N_FORMATS];
  char *pngs[2 * DM_TEST_LIB_N_FORMATS + 1] = { 0 };
  float scores[2 * DM_TEST_LIB_N_FORMATS];
  int n = 2 * DM_TEST_LIB_N_FORMATS;
  guint decided[4] = { 0 };

  g_free (run ((const char *[]){ "meson", "install", "-C", build_dir, "--no-rebuild", "--quiet",
                                 "--destdir", dest, NULL },
               NULL, NULL));
  g_assert_true (g_file_test (header, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (library, G_FILE_TEST_IS_REGULAR));
  check_exports (library, header);

  /* the flags of the installed .pc, its prefix moved to the destdir */
  version = run ((const char *[]){ "pkg-config", "--modversion", "dinomaly", NULL }, NULL, pc_dir);
  g_assert_cmpstr (g_strstrip (version), ==, dinomaly_version ());
  flags = run ((const char *[]){ "pkg-config", define, "--cflags", "--libs", "dinomaly", NULL },
               NULL, pc_dir);
  dm_test_assert_has (flags, "-ldinomaly");
  dm_test_assert_has (flags, dest);
  shell = g_strdup_printf ("%s %s -std=c99 -Wall -Wextra -Werror -o '%s' '%s' %s", cc,
                           sanitize != NULL ? sanitize : "", program, example, g_strstrip (flags));
  g_free (run ((const char *[]){ "sh", "-c", shell, NULL }, NULL, NULL));
  /* the header is also valid C++ (extern "C") */
  cxx_path = g_find_program_in_path ("c++");
  if (cxx_path != NULL)
    {
      g_autofree char *source = g_build_filename (dest, "cxx.cc", NULL);
      g_autofree char *object = g_build_filename (dest, "cxx.o", NULL);
      g_autofree char *cxx = NULL;

      g_assert_true (g_file_set_contents (
        source,
        "#include <dinomaly.h>\nint main () { dinomaly_model *m = nullptr; return "
        "dinomaly_model_open (\"x\", nullptr, nullptr, nullptr, 0, &m); }\n",
        -1, NULL));
      cxx = g_strdup_printf ("c++ -Wall -Wextra -Werror -pedantic -c -o '%s' '%s' %s", object,
                             source, flags);
      g_free (run ((const char *[]){ "sh", "-c", cxx, NULL }, NULL, NULL));
    }

  /* predict on PNGs without thresholds, then with a band that gives all
   * three decisions */
  g_assert_cmpint (g_mkdir_with_parents (work, 0700), ==, 0);
  for (int k = 0; k < 2; k++)
    {
      dm_test_lib_make_frames (83 + 10 * k, 71, 21 + k, k == 1, frames[k]);
      for (int f = 0; f < DM_TEST_LIB_N_FORMATS; f++)
        {
          g_autofree char *name = g_strdup_printf ("p%d_%s.png", k, frames[k][f].name);

          pngs[k * DM_TEST_LIB_N_FORMATS + f] = g_build_filename (work, name, NULL);
          dm_test_lib_save_png (&frames[k][f], pngs[k * DM_TEST_LIB_N_FORMATS + f]);
        }
    }
  dm_test_lib_write_model (plain_model, FALSE, 0, 0, 0);
  {
    g_autofree char *out = g_build_filename (work, "plain", NULL);

    rows = dm_test_lib_run_predict (cli, plain_model, NULL, out, (const char *const *)pngs);
    for (int i = 0; i < n; i++)
      scores[i] = (float)g_ascii_strtod (((DmTestPredictRow *)rows->pdata[i])->score, NULL);
    g_clear_pointer (&rows, g_ptr_array_unref);
  }
  qsort (scores, n, sizeof (float), dm_test_lib_compare_floats);
  g_assert_cmpfloat (scores[0], <, scores[1]);
  g_assert_cmpfloat (scores[n - 2], <, scores[n - 1]);
  dm_test_lib_write_model (band_model, TRUE, (scores[0] + scores[1]) / 2.0,
                           (scores[n - 2] + scores[n - 1]) / 2.0, 10.0);
  {
    g_autofree char *out = g_build_filename (work, "band", NULL);

    rows = dm_test_lib_run_predict (cli, band_model, NULL, out, (const char *const *)pngs);
    for (int i = 0; i < n; i++)
      {
        const DmTestFrame *frame = &frames[i / DM_TEST_LIB_N_FORMATS][i % DM_TEST_LIB_N_FORMATS];
        const DmTestPredictRow *row = g_ptr_array_index (rows, i);
        g_autofree char *raw = g_strdup_printf ("%s/%d.raw", work, i);
        g_autofree char *map_path = g_strdup_printf ("%s/%d.f32", work, i);
        g_autofree char *width = g_strdup_printf ("%u", frame->width);
        g_autofree char *height = g_strdup_printf ("%u", frame->height);
        g_autofree char *printed = NULL, *want = NULL, *map = NULL;
        g_autofree float *want_map = dm_test_lib_read_predict_map (out, row->path);
        g_autofree char *what
          = g_strdup_printf ("installed example vs predict, %s map", frame->name);
        gsize map_size = 0;

        g_assert_true (g_file_set_contents (raw, (const char *)frame->pixels, frame->size, NULL));
        printed = run (
          (const char *[]){ program, band_model, frame->name, width, height, raw, map_path, NULL },
          lib, NULL);
        want = g_strdup_printf ("score=%s decision=%s rule=%s map=256x256 regions=0\n", row->score,
                                row->decision,
                                row->rule != NULL                          ? row->rule
                                : strcmp (row->decision, "fail") == 0      ? "score"
                                : strcmp (row->decision, "uncertain") == 0 ? "uncertain_band"
                                                                           : "");
        g_assert_cmpstr (printed, ==, want);
        g_assert_true (g_file_get_contents (map_path, &map, &map_size, NULL));
        g_assert_cmpuint (map_size, ==, 256 * 256 * sizeof (float));
        dm_test_assert_close ((const float *)map, want_map, 256 * 256, 0.0, what);
        g_assert_true (memcmp (map, want_map, map_size) == 0);
        if (strcmp (row->decision, "pass") == 0)
          decided[DINOMALY_DECISION_PASS]++;
        else if (strcmp (row->decision, "uncertain") == 0)
          decided[DINOMALY_DECISION_UNCERTAIN]++;
        else if (strcmp (row->decision, "fail") == 0)
          decided[DINOMALY_DECISION_REJECT]++;
      }
  }
  g_assert_cmpuint (decided[DINOMALY_DECISION_PASS], ==, 1);
  g_assert_cmpuint (decided[DINOMALY_DECISION_UNCERTAIN], ==, n - 2);
  g_assert_cmpuint (decided[DINOMALY_DECISION_REJECT], ==, 1);
  for (int i = 0; i < n; i++)
    {
      dm_test_lib_frame_clear (&frames[i / DM_TEST_LIB_N_FORMATS][i % DM_TEST_LIB_N_FORMATS]);
      g_free (pngs[i]);
    }
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, >=, 8);
  build_dir = argv[1];
  prefix = argv[2];
  libdir = argv[3];
  includedir = argv[4];
  example = argv[5];
  cli = argv[6];
  cc = argv[7];
  sanitize = argc > 8 ? argv[8] : NULL;
  g_test_add_func ("/lib/install/example", test_installed);
  rc = g_test_run ();
  dm_test_print_error_summary ();
  return rc;
}
