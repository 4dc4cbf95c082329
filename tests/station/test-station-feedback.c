/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The feedback loop's backend: a trained project's own station, set up as
 * its Line page does (dm_station_settings_from_project_line), inspects a
 * hot folder; every record names the model version; fails, uncertain
 * parts and one pass in keep_passes keep their picture; the uncertain
 * parts and kept passes come into the project's feedback store once (a
 * second import brings nothing, a repeated "arrived" is one part); parts
 * added to their class become training images (good) and test defects
 * with their painted mask (defect) of the project's dataset, and go again
 * when removed; a torn last event is skipped and cut by the next append;
 * which image to label next. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-image.h"
#include "dm-project-dataset.h"
#include "dm-project-feedback.h"
#include "dm-project-line.h"
#include "dm-project-versions.h"
#include "dm-station-feedback.h"
#include "dm-station-rules.h"
#include "dm-station.h"
#include "dm-test-data.h"
#include "dm-test-project.h"
#include "dm-test-station.h"
#include "dm-test-util.h"

#define KEEP_PASSES 2

static guint
count_split (DmDataset *ds, const char *klass, DmSplit split, DmLabel label)
{
  int c = dm_dataset_find_class (ds, klass);
  guint n = 0;

  for (guint i = 0; c >= 0 && i < ds->n_samples; i++)
    n += ds->samples[i].class_index == (guint)c
         && (ds->samples[i].split == split
             || (split == DM_SPLIT_TRAIN && ds->samples[i].split == DM_SPLIT_HOLDOUT))
         && ds->samples[i].label == label;
  return n;
}

static DmDataset *
load_dataset (DmProject *p)
{
  g_autoptr (GError) error = NULL;
  DmDataset *ds = dm_project_load_dataset (p, DM_DATASET_CHECK_NONE, NULL, &error);

  g_assert_no_error (error);
  return ds;
}

static void
test_line_to_feedback_store (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *folder = g_build_filename (tmp, "project", NULL);
  g_autofree char *hot = g_build_filename (tmp, "hot", NULL);
  g_autoptr (DmProject) p = dm_test_tiny_project (folder, 6);
  g_autoptr (DmProjectTrain) job = dm_test_train_project (p);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmDataset) ds = load_dataset (p);
  g_autoptr (GPtrArray) tests = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) records = NULL;
  g_autoptr (DmFeedbackStore) store = NULL;
  g_autofree float *scores = NULL;
  g_autofree char *journal = NULL, *good_id = NULL, *defect_image = NULL;
  DmStationSettings s;
  DmStation *station;
  DmThresholds t;
  DmProjectClass *washer = dm_project_find_class (p, "washer");
  int wc = dm_dataset_find_class (ds, "washer");
  guint n_uncertain = 0, n_pass = 0, n_kept_pass = 0, n_fail = 0, n_new = 0;
  guint train_before, defect_before;
  DmFeedbackPart *good = NULL, *defect = NULL;

  /* the washer's test images, and a band around their median score */
  {
    DmProjectResults *r = dm_project_train_get_results (job);
    int rc = dm_project_results_find_class (r, "washer");

    scores = g_new (float, r->classes[rc].n_images);
    for (guint i = 0; i < r->classes[rc].n_images; i++)
      if (r->classes[rc].images[i].split == DM_SPLIT_TEST)
        {
          scores[tests->len] = r->classes[rc].images[i].score;
          g_ptr_array_add (tests, g_strdup (r->classes[rc].images[i].path));
        }
    dm_test_station_thresholds (scores, tests->len, &t);
  }
  washer->image_threshold = t.image;
  washer->uncertain_low = t.uncertain_low;
  washer->uncertain_high = t.uncertain_high;
  g_assert_cmpint (g_mkdir_with_parents (hot, 0755), ==, 0);

  /* the line as the Line page sets it up: one hot folder, passes sampled */
  {
    g_autofree char *uri = g_strdup_printf ("folder:%s", hot);
    dm_project_line_add_source (p->line, "washer", uri);
  }
  p->line->keep_passes = KEEP_PASSES;
  g_assert_true (dm_project_save (p, &error));
  dm_station_settings_init (&s);
  s.drain_seconds = 2;
  g_assert_true (dm_station_settings_from_project_line (&s, folder, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (s.model_version, ==, 1);
  journal = g_strdup (s.journal);
  g_assert_true (g_str_has_prefix (journal, folder));
  station = dm_station_new (&s, &error);
  g_assert_no_error (error);
  dm_station_settings_clear (&s);
  g_assert_true (dm_station_start (station, &error));
  for (guint i = 0; i < tests->len; i++)
    {
      g_autofree char *base = g_path_get_basename (tests->pdata[i]);
      g_autofree char *name = g_strdup_printf ("%02u-%s", i, base);
      g_autofree char *dst = g_build_filename (hot, name, NULL);

      dm_test_copy_file (tests->pdata[i], dst);
    }
  {
    gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
    DmStationStatus status = { 0 };

    do
      {
        dm_station_status_clear (&status);
        g_usleep (100 * 1000);
        dm_station_get_status (station, &status);
      }
    while (status.last_seq < tests->len && g_get_monotonic_time () < end);
    g_assert_cmpuint (status.last_seq, ==, tests->len);
    dm_station_status_clear (&status);
  }
  dm_station_free (station);

  /* every record names the version; pictures for fails, uncertain parts
   * and one pass in KEEP_PASSES */
  records = dm_test_station_read_journal (journal);
  g_assert_cmpuint (records->len, ==, tests->len);
  for (guint i = 0; i < records->len; i++)
    {
      const DmPart *part = records->pdata[i];

      g_assert_cmpuint (part->model_version, ==, 1);
      g_assert_false (part->is_error);
      switch (part->decision)
        {
        case DM_DECISION_PASS:
          n_pass++;
          n_kept_pass += part->image != NULL;
          break;
        case DM_DECISION_UNCERTAIN:
          n_uncertain++;
          g_assert_nonnull (part->image);
          break;
        case DM_DECISION_FAIL:
        default:
          n_fail++;
          g_assert_nonnull (part->image);
          break;
        }
    }
  g_test_message ("%u records: %u pass (%u kept), %u uncertain, %u fail", records->len, n_pass,
                  n_kept_pass, n_uncertain, n_fail);
  g_assert_cmpuint (n_uncertain, >, 0);
  g_assert_cmpuint (n_kept_pass, ==, (n_pass + KEEP_PASSES - 1) / KEEP_PASSES);

  /* into the store, once */
  g_assert_true (dm_station_feedback_import (folder, journal, &n_new, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_new, ==, n_uncertain + n_kept_pass);
  g_assert_true (dm_station_feedback_import (folder, journal, &n_new, &error));
  g_assert_cmpuint (n_new, ==, 0);
  store = dm_feedback_store_load (folder, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (store->parts->len, ==, n_uncertain + n_kept_pass);
  g_assert_cmpuint (store->n_skipped, ==, 0);
  for (guint i = 0; i < store->parts->len; i++)
    {
      DmFeedbackPart *part = store->parts->pdata[i];
      g_autoptr (DmImage) map = NULL;

      g_assert_true (g_str_has_prefix (part->image, folder));
      g_assert_true (g_file_test (part->image, G_FILE_TEST_IS_REGULAR));
      map = dm_image_load (part->map, 0, &error);
      g_assert_no_error (error);
      g_assert_cmpint (map->width, ==, 256);
      g_assert_cmpuint (part->model_version, ==, 1);
      g_assert_cmpstr (part->class_name, ==, "washer");
      g_assert_true (part->decision != DM_DECISION_FAIL);
      if (part->decision == DM_DECISION_PASS && good == NULL)
        good = part;
      if (part->decision == DM_DECISION_UNCERTAIN && defect == NULL)
        defect = part;
    }
  g_assert_nonnull (good);
  g_assert_nonnull (defect);
  g_assert_cmpuint (dm_feedback_store_count_added (store, 0), ==, 0);

  /* a verdict and an addition each: the dataset takes them in */
  train_before = count_split (ds, "washer", DM_SPLIT_TRAIN, DM_LABEL_GOOD);
  defect_before = count_split (ds, "washer", DM_SPLIT_TEST, DM_LABEL_DEFECT);
  g_assert_cmpint (wc, >=, 0);
  dm_project_set_label (p, good->image, DM_USER_LABEL_GOOD);
  dm_project_set_label (p, defect->image, DM_USER_LABEL_DEFECT);
  g_assert_true (dm_project_save (p, &error));
  {
    /* a painted mask goes with the defect */
    g_autofree char *mask_path = dm_project_mask_path (p, "washer", defect->image);
    g_autoptr (DmImage) image = dm_image_load (defect->image, 0, &error);
    g_autoptr (DmImage) mask = dm_image_new (image->width, image->height, 1, DM_PIXEL_U8, &error);
    g_autofree char *mask_dir = g_path_get_dirname (mask_path);

    g_assert_no_error (error);
    g_assert_cmpint (g_mkdir_with_parents (mask_dir, 0755), ==, 0);
    g_assert_true (dm_image_save_png (mask, mask_path, &error));
  }
  g_assert_true (dm_feedback_add_part (folder, good->id, FALSE, &error));
  g_assert_true (dm_feedback_add_part (folder, defect->id, TRUE, &error));
  good_id = g_strdup (good->id);
  defect_image = g_strdup (defect->image);
  good = defect = NULL;
  g_clear_pointer (&store, dm_feedback_store_free);
  store = dm_feedback_store_load (folder, &error);
  g_assert_cmpuint (dm_feedback_store_count_added (store, 0), ==, 2);
  g_clear_pointer (&ds, dm_dataset_free);
  ds = load_dataset (p);
  g_assert_cmpuint (count_split (ds, "washer", DM_SPLIT_TRAIN, DM_LABEL_GOOD), ==,
                    train_before + 1);
  g_assert_cmpuint (count_split (ds, "washer", DM_SPLIT_TEST, DM_LABEL_DEFECT), ==,
                    defect_before + 1);
  for (guint i = 0; i < ds->n_samples; i++)
    if (g_strcmp0 (ds->samples[i].path, defect_image) == 0)
      {
        g_assert_nonnull (ds->samples[i].mask_path);
        g_assert_cmpstr (ds->samples[i].defect_type, ==, "line");
      }

  /* undone: the dataset as before */
  g_assert_true (dm_feedback_remove_part (folder, good_id, &error));
  g_clear_pointer (&ds, dm_dataset_free);
  ds = load_dataset (p);
  g_assert_cmpuint (count_split (ds, "washer", DM_SPLIT_TRAIN, DM_LABEL_GOOD), ==, train_before);
}

static void
test_torn_and_repeated_events (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *events = g_build_filename (tmp, "feedback", "events.jsonl", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmFeedbackStore) store = NULL;
  g_autoptr (DmFeedbackEvent) a = dm_feedback_event_new (DM_FEEDBACK_ARRIVED, "s-1@x");
  DmFeedbackEvent *two[2];
  FILE *f;

  a->class_name = g_strdup ("washer");
  a->image = g_strdup ("feedback/parts/s-1.png");
  a->map = g_strdup ("feedback/parts/s-1_map.tiff");
  a->score = 0.5f;
  a->decision = DM_DECISION_UNCERTAIN;
  two[0] = two[1] = a;
  /* the same part twice (an import repeated): one part */
  g_assert_true (dm_feedback_append (tmp, two, 2, &error));
  g_assert_no_error (error);
  f = fopen (events, "a");
  fputs ("{\"event\": \"added\", \"id\": \"s-1@x\", \"ti", f);
  fclose (f);
  store = dm_feedback_store_load (tmp, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (store->parts->len, ==, 1);
  g_assert_cmpuint (store->n_skipped, ==, 1);
  g_assert_cmpint (((DmFeedbackPart *)store->parts->pdata[0])->added, ==, DM_FEEDBACK_NOT_ADDED);
  g_clear_pointer (&store, dm_feedback_store_free);
  g_assert_true (dm_feedback_add_part (tmp, "s-1@x", TRUE, &error));
  store = dm_feedback_store_load (tmp, &error);
  g_assert_cmpuint (store->n_skipped, ==, 0);
  g_assert_cmpint (((DmFeedbackPart *)store->parts->pdata[0])->added, ==, DM_FEEDBACK_ADDED_DEFECT);
  /* paths outside the project are no event */
  {
    const char *bad = "{\"event\": \"arrived\", \"id\": \"x\", \"time\": \"2026-01-01T00:00:00Z\", "
                      "\"class\": \"c\", \"image\": \"../../etc/passwd\", \"map\": \"m.tiff\", "
                      "\"decision\": \"pass\"}";

    g_assert_null (dm_feedback_event_from_json (bad, strlen (bad), "bad", &error));
    g_assert_nonnull (error);
  }
}

/* status.json read back as the window's Line page follows a station in
 * another process. */
static void
test_status_round_trip (void)
{
  DmStationStatus s = { 0 }, r;
  g_autofree char *json = NULL;
  g_autoptr (GError) error = NULL;
  gint64 updated = 0;

  s.state = DM_STATION_STALLED;
  s.message = g_strdup ("not taking parts: disk full");
  s.started_us = (gint64)1700000000 * G_USEC_PER_SEC;
  s.counts[0] = 10;
  s.counts[1] = 2;
  s.counts[2] = 3;
  s.counts[3] = 1;
  s.last_seq = 16;
  s.rate = 4.5;
  s.latency_p50_ms = 12.5;
  s.latency_p99_ms = 40;
  s.intake = 3;
  s.intake_capacity = 32;
  s.n_sources = 1;
  s.sources = g_new0 (DmSourceStatus, 1);
  s.sources[0].uri = g_strdup ("folder:/in");
  s.sources[0].state = g_strdup ("running");
  s.sources[0].taken = 16;
  s.n_sinks = 1;
  s.sinks = g_new0 (DmSinkStatus, 1);
  s.sinks[0].uri = g_strdup ("mqtt://127.0.0.1:1/line");
  s.sinks[0].state = g_strdup ("down: connection refused");
  s.sinks[0].backlog = 7;
  json = dm_station_status_to_json (&s);
  g_assert_true (dm_station_status_from_json (json, strlen (json), "status", &r, &updated, &error));
  g_assert_no_error (error);
  g_assert_cmpint (r.state, ==, DM_STATION_STALLED);
  g_assert_cmpstr (r.message, ==, s.message);
  g_assert_cmpint (r.started_us, ==, s.started_us);
  g_assert_cmpint (ABS (updated - g_get_real_time ()), <, 5 * G_USEC_PER_SEC);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpuint (r.counts[i], ==, s.counts[i]);
  g_assert_cmpfloat (r.rate, ==, 4.5);
  g_assert_cmpfloat (r.latency_p99_ms, ==, 40);
  g_assert_cmpuint (r.intake_capacity, ==, 32);
  g_assert_cmpuint (r.n_sinks, ==, 1);
  g_assert_cmpstr (r.sinks[0].state, ==, "down: connection refused");
  g_assert_cmpuint (r.sinks[0].backlog, ==, 7);
  g_assert_cmpstr (r.sources[0].uri, ==, "folder:/in");
  dm_station_status_clear (&r);
  dm_station_status_clear (&s);
  g_assert_false (
    dm_station_status_from_json ("{\"state\": \"dancing\"}", 19, "x", &r, NULL, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_CORRUPT);
}

static void
test_label_priority (void)
{
  DmThresholds t;

  dm_thresholds_init (&t);
  t.image = 0.5;
  t.uncertain_low = 0.4;
  t.uncertain_high = 0.6;
  /* the band's middle first, the band before anything outside it */
  g_assert_cmpfloat (dm_label_priority (&t, 0.5f, 1), <, dm_label_priority (&t, 0.41f, 1));
  g_assert_cmpfloat (dm_label_priority (&t, 0.41f, 1), <, dm_label_priority (&t, 0.39f, 1));
  /* outside: nearest a threshold first */
  g_assert_cmpfloat (dm_label_priority (&t, 0.39f, 1), <, dm_label_priority (&t, 0.1f, 1));
  g_assert_cmpfloat (dm_label_priority (&t, 0.65f, 1), <, dm_label_priority (&t, 0.9f, 1));
  /* without a band, the image threshold */
  t.uncertain_low = t.uncertain_high = NAN;
  g_assert_cmpfloat (dm_label_priority (&t, 0.52f, 1), <, dm_label_priority (&t, 0.3f, 1));
  g_assert_true (isinf (dm_label_priority (&t, NAN, 1)));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/station-feedback/line-to-feedback-store", test_line_to_feedback_store);
  g_test_add_func ("/station-feedback/torn-and-repeated-events", test_torn_and_repeated_events);
  g_test_add_func ("/station-feedback/label-priority", test_label_priority);
  g_test_add_func ("/station-feedback/status-round-trip", test_status_round_trip);
  return g_test_run ();
}
