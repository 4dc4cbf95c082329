/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The demo's corner for the station, and README's one-line run on it: the
 * demo project has an empty hot folder and new parts to drop into it; with
 * a trained model (here the tiny one, thresholds calibrated on the demo's
 * good washers as training would propose them), `dinomaly station
 * --project DEMO --class washer --source folder:DEMO/hot?move=1 --sink
 * jsonl:...` inspects the parts dropped in, one record each, and sorts
 * them into pass/, uncertain/, fail/. */
#include <glib/gstdio.h>
#include <string.h>

#include "dm-calibrate.h"
#include "dm-demo.h"
#include "dm-test-data.h"
#include "dm-test-station.h"
#include "dm-test-util.h"

static const char *cli;
static char *tmp;

static guint
count_png (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    n += g_str_has_suffix (name, ".png");
  return n;
}

static void
test_readme_line (void)
{
  g_autofree char *demo = g_build_filename (tmp, "demo", NULL);
  g_autofree char *hot = g_build_filename (demo, "hot", NULL);
  g_autofree char *parts = g_build_filename (demo, "new-parts", "washer", NULL);
  g_autofree char *good = g_build_filename (demo, "dataset", "washer", "train", "good", NULL);
  g_autofree char *journal = g_build_filename (demo, "journal", NULL);
  g_autofree char *results = g_build_filename (demo, "results.jsonl", NULL);
  g_autofree char *log = g_build_filename (tmp, "station.log", NULL);
  g_autofree char *model = dm_test_station_model (tmp);
  g_autofree char *source = g_strdup_printf ("folder:%s?move=1", hot);
  g_autofree char *sink = g_strconcat ("jsonl:", results, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmProject) project = dm_demo_project_ensure (demo, &error);
  g_autoptr (GSubprocess) station = NULL;
  g_autoptr (GPtrArray) records = NULL;
  g_auto (GStrv) argv = NULL;
  guint n, sorted = 0;

  g_assert_no_error (error);
  g_assert_true (g_file_test (hot, G_FILE_TEST_IS_DIR));
  g_assert_cmpuint (count_png (hot), ==, 0);
  n = count_png (parts);
  g_assert_cmpuint (n, ==, 12);

  /* as training leaves it: a model and proposed thresholds */
  {
    g_autofree char *dst = g_build_filename (demo, "model.dinomaly", NULL);
    g_autofree char *bytes = NULL;
    DmProjectClass *washer = dm_project_find_class (project, "washer");
    DmThresholds t;
    gsize size;

    g_assert_true (g_file_get_contents (model, &bytes, &size, NULL));
    g_assert_true (g_file_set_contents (dst, bytes, (gssize)size, NULL));
    g_assert_true (dm_calibrate_folder (dst, NULL, good, 0.5, 8, 0, &t, NULL, NULL, NULL, &error));
    g_assert_no_error (error);
    project->model = g_strdup ("model.dinomaly");
    washer->image_threshold = t.image;
    washer->pixel_threshold = t.pixel;
    g_assert_true (dm_project_save (project, &error));
  }

  /* README's line */
  argv = dm_test_station_argv (cli, "station", "--project", demo, "--class", "washer", "--source",
                               source, "--sink", sink, "--journal", journal, NULL);
  station = dm_test_station_spawn ((const char *const *)argv, log);
  {
    g_autoptr (GDir) d = g_dir_open (parts, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *from = g_build_filename (parts, name, NULL);
        g_autofree char *to = g_build_filename (hot, name, NULL);
        dm_test_copy_file (from, to);
      }
  }
  g_assert_true (dm_test_station_wait_lines (results, n, 120));
  g_assert_cmpint (dm_test_station_stop (station, 30), ==, 0);
  records = dm_test_station_read_records (results);
  g_assert_cmpuint (records->len, ==, n);
  for (const char *const *d = (const char *const[]){ "pass", "uncertain", "fail", NULL };
       *d != NULL; d++)
    {
      g_autofree char *dir = g_build_filename (hot, *d, NULL);

      sorted += count_png (dir);
      g_test_message ("%s: %u", *d, count_png (dir));
    }
  g_assert_cmpuint (sorted, ==, n);
  g_assert_cmpuint (count_png (hot), ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_FATAL_MASK);
  cli = argv[1];
  tmp = dm_test_make_tmpdir ();
  g_test_add_func ("/station/demo/readme-line", test_readme_line);
  return g_test_run ();
}
