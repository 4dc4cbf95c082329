/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The model and rules of `dinomaly station` as a user gives them: a
 * missing or wrong model file, a model without thresholds, an unknown
 * class, a second station on the same journal: one clear line and exit 1
 * each; thresholds from --calibrate, from `dinomaly calibrate` stored in
 * the file (the same numbers), and from a Studio project. */
#include <glib/gstdio.h>
#include <signal.h>
#include <math.h>
#include <string.h>

#include "dm-model-file.h"
#include "dm-project.h"
#include "dm-test-data.h"
#include "dm-test-station.h"
#include "dm-test-util.h"

static const char *cli;
static char *tmp, *model, *good, *hot;

static int
run (char **out, char **err, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  va_list ap;
  const char *a;

  va_start (ap, err);
  while ((a = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (gpointer)a);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return dm_test_run_cli (cli, (const char *const *)args->pdata, out, err);
}

static void
assert_one_line (const char *err, const char *part)
{
  g_test_message ("%s", err);
  g_assert_true (g_str_has_prefix (err, "dinomaly station: "));
  g_assert_true (strchr (err, '\n') == err + strlen (err) - 1);
  dm_test_assert_has (err, part);
}

static void
test_refused (void)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *missing = g_build_filename (tmp, "missing.dinomaly", NULL);
  g_autofree char *wrong = g_build_filename (tmp, "wrong.dinomaly", NULL);
  g_autofree char *journal = g_build_filename (tmp, "journal-refused", NULL);
  g_autofree char *source = g_strconcat ("folder:", hot, NULL);

  g_assert_cmpint (run (&out, &err, "station", "--model", missing, "--threshold", "1", "--source",
                        source, "--journal", journal, NULL),
                   ==, 1);
  assert_one_line (err, "missing.dinomaly");
  g_assert_true (g_file_set_contents (wrong, "not a model at all", -1, NULL));
  g_assert_cmpint (run (&out, &err, "station", "--model", wrong, "--threshold", "1", "--source",
                        source, "--journal", journal, NULL),
                   ==, 1);
  assert_one_line (err, "wrong.dinomaly");
  /* no thresholds in the file, none given */
  g_assert_cmpint (
    run (&out, &err, "station", "--model", model, "--source", source, "--journal", journal, NULL),
    ==, 1);
  assert_one_line (err, "has no thresholds: give --threshold");
  g_assert_cmpint (run (&out, &err, "station", "--model", model, "--class", "nope", "--threshold",
                        "1", "--source", source, "--journal", journal, NULL),
                   ==, 1);
  assert_one_line (err, "no class 'nope'");
  /* usage */
  g_assert_cmpint (
    run (&out, &err, "station", "--model", model, "--threshold", "1", "--journal", journal, NULL),
    ==, 2);
  dm_test_assert_has (err, "--source");
  g_assert_cmpint (run (&out, &err, "station", "--model", model, "--band", "2,1", "--source",
                        source, "--journal", journal, NULL),
                   ==, 2);
  dm_test_assert_has (err, "--band");
}

static void
test_one_station_per_journal (void)
{
  g_autofree char *journal = g_build_filename (tmp, "journal-shared", NULL);
  g_autofree char *source = g_strconcat ("folder:", hot, NULL);
  g_autofree char *log = g_build_filename (tmp, "first.log", NULL);
  g_autofree char *out = NULL, *err = NULL, *lock = NULL;
  g_auto (GStrv) argv = dm_test_station_argv (cli, "station", "--model", model, "--threshold", "1",
                                              "--source", source, "--journal", journal, NULL);
  g_autoptr (GSubprocess) first = dm_test_station_spawn ((const char *const *)argv, log);
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  lock = g_build_filename (journal, "status.json", NULL);
  while (!g_file_test (lock, G_FILE_TEST_EXISTS) && g_get_monotonic_time () < end)
    g_usleep (100000);
  g_assert_cmpint (run (&out, &err, "station", "--model", model, "--threshold", "1", "--source",
                        source, "--journal", journal, NULL),
                   ==, 1);
  assert_one_line (err, "another station is writing this journal");
  g_assert_cmpint (dm_test_station_stop (first, 30), ==, 0);
}

/* --calibrate, `dinomaly calibrate` and the file's thresholds agree. */
static void
test_calibration (void)
{
  g_autofree char *calibrated = g_build_filename (tmp, "calibrated.dinomaly", NULL);
  g_autofree char *journal1 = g_build_filename (tmp, "journal-cal1", NULL);
  g_autofree char *journal2 = g_build_filename (tmp, "journal-cal2", NULL);
  g_autofree char *source = g_strconcat ("folder:", hot, "?settle=200", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GPtrArray) r1 = NULL, r2 = NULL;
  g_autoptr (DmModelFile) file = NULL;
  g_autoptr (GError) error = NULL;
  double stored;

  /* dinomaly calibrate into a copy; the original keeps no thresholds */
  g_assert_cmpint (run (&out, &err, "calibrate", "--model", model, "--good", good, "--band",
                        "0.9,1.3", "--out", calibrated, NULL),
                   ==, 0);
  g_test_message ("%s", out);
  dm_test_assert_has (out, "class part: image threshold");
  file = dm_model_file_open (calibrated, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (file->info->n_thresholds, ==, 1);
  stored = file->info->thresholds[0].image;
  g_assert_true (isfinite (stored));
  g_assert_true (file->info->thresholds[0].has_uncertain);
  g_assert_cmpfloat (file->info->thresholds[0].uncertain_low, ==, 0.9);
  {
    g_autoptr (DmModelFile) original = dm_model_file_open (model, &error);

    g_assert_cmpuint (original->info->n_thresholds, ==, 0);
  }

  /* the station with --calibrate on the same folder */
  g_assert_cmpint (run (&out, &err, "station", "--model", model, "--calibrate", good, "--source",
                        source, "--journal", journal1, "--duration", "6", "--status-every", "0",
                        NULL),
                   ==, 0);
  /* the station with the stored thresholds */
  g_assert_cmpint (run (&out, &err, "station", "--model", calibrated, "--source", source,
                        "--journal", journal2, "--duration", "6", "--status-every", "0", NULL),
                   ==, 0);
  r1 = dm_test_station_read_journal (journal1);
  r2 = dm_test_station_read_journal (journal2);
  g_assert_cmpuint (r1->len, ==, 3);
  g_assert_cmpuint (r2->len, ==, 3);
  for (guint i = 0; i < r1->len; i++)
    {
      const DmPart *a = r1->pdata[i], *b = r2->pdata[i];

      g_assert_cmpfloat (a->thresholds.image, ==, stored);
      g_assert_cmpfloat (b->thresholds.image, ==, stored);
      g_assert_cmpfloat (b->thresholds.uncertain_high, ==, 1.3);
      g_assert_true (a->score == b->score);
      g_assert_cmpstr (a->model_sha256, !=, b->model_sha256); /* another file */
    }
  g_test_message ("calibrated image threshold %.9g, the same from --calibrate and the file",
                  stored);
}

static void
test_project (void)
{
  g_autofree char *folder = g_build_filename (tmp, "project", NULL);
  g_autofree char *journal = g_build_filename (tmp, "journal-project", NULL);
  g_autofree char *source = g_strconcat ("folder:", hot, "?settle=200", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmProject) project = dm_project_create (folder, "line", &error);
  g_autoptr (GPtrArray) records = NULL;
  DmProjectClass *klass = dm_project_class_new ("part", "folders", good);

  g_assert_no_error (error);
  g_assert_true (dm_project_add_class (project, klass, &error));
  g_assert_true (dm_project_save (project, &error));
  /* no model yet */
  g_assert_cmpint (run (&out, &err, "station", "--project", folder, "--source", source, "--journal",
                        journal, NULL),
                   ==, 1);
  assert_one_line (err, "no trained model yet");
  /* trained: the model and the thresholds set on the Review page */
  {
    g_autofree char *dst = g_build_filename (folder, "model.dinomaly", NULL);
    dm_test_copy_file (model, dst);
  }
  project->model = g_strdup ("model.dinomaly");
  klass->image_threshold = 1.125;
  klass->uncertain_low = 1.0;
  klass->uncertain_high = 1.25;
  g_assert_true (dm_project_save (project, &error));
  g_assert_cmpint (run (&out, &err, "station", "--project", folder, "--source", source, "--journal",
                        journal, "--duration", "6", "--status-every", "0", NULL),
                   ==, 0);
  records = dm_test_station_read_journal (journal);
  g_assert_cmpuint (records->len, ==, 3);
  for (guint i = 0; i < records->len; i++)
    {
      const DmPart *p = records->pdata[i];

      g_assert_cmpfloat (p->thresholds.image, ==, 1.125);
      g_assert_cmpfloat (p->thresholds.uncertain_low, ==, 1.0);
      g_assert_cmpint (p->decision, ==, dm_decide (&p->thresholds, p->score));
    }
}

/* `dinomaly train --calibrate`: the trained model leaves with thresholds,
 * and a station takes it without --threshold. */
static void
test_train_calibrate (void)
{
  g_autofree char *encoder = g_build_filename (dm_test_srcdir (), "data", "forward",
                                               "encoder_timm_bf16.safetensors", NULL);
  g_autofree char *out = g_build_filename (tmp, "trained.dinomaly", NULL);
  g_autofree char *journal = g_build_filename (tmp, "journal-trained", NULL);
  g_autofree char *source = g_strconcat ("folder:", hot, "?settle=200", NULL);
  g_autofree char *sout = NULL, *serr = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmModelFile) file = NULL;

  g_assert_cmpint (run (&sout, &serr, "train", "--data", good, "--backbone", encoder, "--out", out,
                        "--resize", "64", "--crop", "56", "--batch", "3", "--total-iters", "2",
                        "--warmup", "1", "--threads", "1", "--calibrate", good, NULL),
                   ==, 0);
  g_test_message ("%s", sout);
  dm_test_assert_has (sout, "calibrated on 12 good parts");
  file = dm_model_file_open (out, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (file->info->n_thresholds, ==, 1);
  g_assert_true (isfinite (file->info->thresholds[0].image));
  g_assert_cmpint (run (&sout, &serr, "station", "--model", out, "--source", source, "--journal",
                        journal, "--duration", "1", "--status-every", "0", NULL),
                   ==, 0);
  /* dinomaly import --calibrate alike */
  {
    g_autofree char *decoder
      = g_build_filename (dm_test_srcdir (), "data", "forward", "decoder_f32.safetensors", NULL);
    g_autofree char *imported = g_build_filename (tmp, "imported.dinomaly", NULL);
    g_autoptr (DmModelFile) imp = NULL;

    g_assert_cmpint (run (&sout, &serr, "import", "--backbone", encoder, "--weights", decoder,
                          "--out", imported, "--resize", "256", "--crop", "224", "--classes",
                          "part", "--calibrate", good, NULL),
                     ==, 0);
    g_test_message ("%s", sout);
    dm_test_assert_has (sout, "class part calibrated on 12 good parts");
    imp = dm_model_file_open (imported, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (imp->info->n_thresholds, ==, 1);
    g_assert_cmpstr (imp->info->thresholds[0].class_name, ==, "part");
  }
  /* not with --project: a project calibrates by its own rule */
  g_assert_cmpint (run (&sout, &serr, "train", "--project", tmp, "--calibrate", good, NULL), ==, 2);
}

/* --log FILE, moved away by a log rotator: SIGHUP opens FILE again; the
 * status line is written to it. */
static void
test_log_reopen (void)
{
  g_autofree char *log = g_build_filename (tmp, "station-log.txt", NULL);
  g_autofree char *rotated = g_strconcat (log, ".1", NULL);
  g_autofree char *journal = g_build_filename (tmp, "journal-log", NULL);
  g_autofree char *source = g_strconcat ("folder:", hot, NULL);
  g_autofree char *console = g_build_filename (tmp, "station-console.txt", NULL);
  g_autofree char *text = NULL;
  g_auto (GStrv) argv = dm_test_station_argv (cli, "station", "--model", model, "--threshold", "1",
                                              "--source", source, "--journal", journal, "--log",
                                              log, "--status-every", "1", NULL);
  g_autoptr (GSubprocess) station = dm_test_station_spawn ((const char *const *)argv, console);
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < end)
    {
      g_clear_pointer (&text, g_free);
      if (g_file_get_contents (log, &text, NULL, NULL) && strstr (text, "station running") != NULL)
        break;
      g_usleep (100000);
    }
  dm_test_assert_has (text, "station running");
  g_assert_cmpint (g_rename (log, rotated), ==, 0);
  g_subprocess_send_signal (station, SIGHUP);
  end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    {
      g_clear_pointer (&text, g_free);
      if (g_file_get_contents (log, &text, NULL, NULL) && strstr (text, "running: ") != NULL)
        break;
      g_usleep (100000);
    }
  /* the new file gets the status lines */
  dm_test_assert_has (text, "running: ");
  g_assert_cmpint (dm_test_station_stop (station, 30), ==, 0);
  g_clear_pointer (&text, g_free);
  g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
  dm_test_assert_has (text, "stopped: ");
}

int
main (int argc, char *argv[])
{
  g_auto (GStrv) good_parts = NULL, hot_parts = NULL;

  g_test_init (&argc, &argv, NULL);
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_FATAL_MASK);
  cli = argv[1];
  tmp = dm_test_make_tmpdir ();
  model = dm_test_station_model (tmp);
  good = g_build_filename (tmp, "good", NULL);
  hot = g_build_filename (tmp, "hot", NULL);
  good_parts = dm_test_station_parts (good, 12, 40);
  hot_parts = dm_test_station_parts (hot, 3, 60);
  g_test_add_func ("/station/model/refused", test_refused);
  g_test_add_func ("/station/model/one-station-per-journal", test_one_station_per_journal);
  g_test_add_func ("/station/model/calibration", test_calibration);
  g_test_add_func ("/station/model/project", test_project);
  g_test_add_func ("/station/model/train-calibrate", test_train_calibrate);
  g_test_add_func ("/station/model/log-reopen", test_log_reopen);
  return g_test_run ();
}
