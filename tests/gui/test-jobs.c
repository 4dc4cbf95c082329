/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmJob, the window's way to run work off the main thread: a burst of
 * reports reaches the main loop as one "progress" before "finished"; a
 * cancelled run ends CANCELLED and says so; a discarded one is CANCELLED at
 * once and says nothing more; a failure keeps its error; a job and its data
 * go on the main thread once its thread is done, whoever lets go last. And DmOpenProject: saving
 * emits the part that changed, a removed class comes back where it was unless its name was taken
 * meanwhile. */
#include "config.h"

#include "dm-error.h"
#include "dm-job.h"
#include "dm-open-project.h"
#include "dm-test-util.h"

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean reported; /* the worker has sent its burst */
  gboolean go;       /* the test lets the worker return */
  int n_reports;
  gboolean fail;
  int *freed; /* 1: freed on the main thread, 2: elsewhere */
} Work;

static GThread *main_thread;

static void
work_free (Work *w)
{
  *w->freed = g_thread_self () == main_thread ? 1 : 2;
  g_mutex_clear (&w->lock);
  g_cond_clear (&w->cond);
  g_free (w);
}

static Work *
work_new (int n_reports, int *freed)
{
  Work *w = g_new0 (Work, 1);

  g_mutex_init (&w->lock);
  g_cond_init (&w->cond);
  w->n_reports = n_reports;
  w->freed = freed;
  return w;
}

/* Worker: a burst of reports, then it waits for the test (or a cancel). */
static gboolean
work_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  Work *w = data;

  for (int i = 0; i < w->n_reports; i++)
    dm_job_report_progress (job);
  g_mutex_lock (&w->lock);
  w->reported = TRUE;
  g_cond_broadcast (&w->cond);
  while (!w->go && !g_cancellable_is_cancelled (cancellable))
    {
      gint64 until = g_get_monotonic_time () + 10 * G_TIME_SPAN_MILLISECOND;
      g_cond_wait_until (&w->cond, &w->lock, until);
    }
  g_mutex_unlock (&w->lock);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (w->fail)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "/nowhere/file: cannot be read");
      return FALSE;
    }
  return TRUE;
}

static void
wait_reported (Work *w)
{
  g_mutex_lock (&w->lock);
  while (!w->reported)
    g_cond_wait (&w->cond, &w->lock);
  g_mutex_unlock (&w->lock);
}

static void
let_go (Work *w)
{
  g_mutex_lock (&w->lock);
  w->go = TRUE;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
}

typedef struct
{
  int progress, finished;
  gboolean progress_after_finished;
} Seen;

static void
on_progress (DmJob *job, Seen *seen)
{
  seen->progress++;
  seen->progress_after_finished |= seen->finished > 0;
}

static void
on_finished (DmJob *job, Seen *seen)
{
  seen->finished++;
}

static void
spin_until_finished (DmJob *job, Seen *seen)
{
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  while (seen->finished == 0 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (seen->finished, ==, 1);
}

/* Drops the job and waits until it has gone with its data: on the main
 * thread, after its thread has returned. */
static void
finish (DmJob **job, int *freed)
{
  gint64 end = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  GWeakRef ref;

  g_weak_ref_init (&ref, *job);
  g_clear_object (job);
  while (*freed == 0 && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (*freed, ==, 1);
  g_assert_null (g_weak_ref_get (&ref));
  g_weak_ref_clear (&ref);
}

static DmJob *
start (Work *w, Seen *seen)
{
  DmJob *job = dm_job_new (work_run, w, (GDestroyNotify)work_free);

  g_signal_connect (job, "progress", G_CALLBACK (on_progress), seen);
  g_signal_connect (job, "finished", G_CALLBACK (on_finished), seen);
  g_assert_cmpint (dm_job_get_state (job), ==, DM_JOB_READY);
  dm_job_start (job);
  g_assert_cmpint (dm_job_get_state (job), ==, DM_JOB_RUNNING);
  g_assert_true (dm_job_is_running (job));
  return job;
}

static void
test_progress_coalesced (void)
{
  int freed = 0;
  Work *w = work_new (1000, &freed);
  Seen seen = { 0 };
  DmJob *job = start (w, &seen);

  /* the main loop did not turn while the thousand reports came */
  wait_reported (w);
  let_go (w);
  spin_until_finished (job, &seen);
  g_assert_cmpint (seen.progress, ==, 1);
  g_assert_false (seen.progress_after_finished);
  g_assert_cmpint (dm_job_get_state (job), ==, DM_JOB_SUCCEEDED);
  g_assert_null (dm_job_get_error (job));
  finish (&job, &freed);
}

static void
test_cancel (void)
{
  int freed = 0;
  Work *w = work_new (1, &freed);
  Seen seen = { 0 };
  DmJob *job = start (w, &seen);

  wait_reported (w);
  dm_job_cancel (job);
  /* a cancel asks: the run is still going until it says it stopped */
  g_assert_true (dm_job_is_running (job));
  spin_until_finished (job, &seen);
  g_assert_cmpint (dm_job_get_state (job), ==, DM_JOB_CANCELLED);
  g_assert_error (dm_job_get_error (job), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  finish (&job, &freed);
}

static void
test_discard (void)
{
  int freed = 0;
  Work *w = work_new (50, &freed);
  Seen seen = { 0 };
  DmJob *job = start (w, &seen);

  wait_reported (w);
  dm_job_discard (job);
  g_assert_cmpint (dm_job_get_state (job), ==, DM_JOB_CANCELLED);
  g_assert_false (dm_job_is_running (job));
  /* the run holds the job until its thread has returned; nothing more is
   * said, not even the reports it made before */
  finish (&job, &freed);
  g_assert_cmpint (seen.progress, ==, 0);
  g_assert_cmpint (seen.finished, ==, 0);
}

static void
test_failure (void)
{
  int freed = 0;
  Work *w = work_new (3, &freed);
  Seen seen = { 0 };
  DmJob *job = NULL;

  w->fail = TRUE;
  job = start (w, &seen);
  let_go (w);
  spin_until_finished (job, &seen);
  g_assert_cmpint (dm_job_get_state (job), ==, DM_JOB_FAILED);
  g_assert_error (dm_job_get_error (job), DM_ERROR, DM_ERROR_IO);
  g_assert_cmpstr (dm_job_get_error (job)->message, ==, "/nowhere/file: cannot be read");
  g_assert_cmpint (seen.progress, >=, 1);
  g_assert_false (seen.progress_after_finished);
  finish (&job, &freed);
}

/* ---- DmOpenProject ---- */

static void
on_changed (DmOpenProject *project, GString *parts)
{
  g_string_append (parts, "*");
}

static void
on_classes (DmOpenProject *project, GString *parts)
{
  g_string_append (parts, "c");
}

static const char *
class_name (DmProject *p, guint i)
{
  return ((DmProjectClass *)p->classes->pdata[i])->name;
}

static void
test_open_project (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *folder = g_build_filename (tmp, "p", NULL);
  g_autoptr (GError) error = NULL;
  DmProject *p = dm_project_create (folder, "P", &error);
  g_autoptr (DmOpenProject) open = NULL;
  g_autoptr (GString) parts = g_string_new (NULL);
  g_autoptr (DmProject) disk = NULL;

  g_assert_no_error (error);
  g_assert_true (dm_project_add_class (p, dm_project_class_new ("a", "folders", tmp), NULL));
  g_assert_true (dm_project_add_class (p, dm_project_class_new ("b", "folders", tmp), NULL));
  g_assert_true (dm_project_add_class (p, dm_project_class_new ("c", "folders", tmp), NULL));
  open = dm_open_project_new (p);
  g_signal_connect (open, "changed", G_CALLBACK (on_changed), parts);
  g_signal_connect (open, "changed::classes", G_CALLBACK (on_classes), parts);

  /* saved, and only the listeners of the part (and of all) hear it */
  g_assert_true (dm_open_project_save (open, "training", &error));
  g_assert_cmpstr (parts->str, ==, "*");
  g_assert_true (dm_open_project_remove_class (open, "b"));
  g_assert_false (dm_open_project_remove_class (open, "nothing"));
  g_assert_cmpstr (dm_open_project_get_removed_class (open), ==, "b");
  g_assert_true (dm_open_project_save (open, "classes", &error));
  g_assert_cmpstr (parts->str, ==, "**c");
  disk = dm_project_open (folder, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (disk->classes->len, ==, 2);
  g_clear_pointer (&disk, dm_project_free);

  /* undo puts it back where it was */
  g_assert_true (dm_open_project_undo_remove_class (open, &error));
  g_assert_cmpstr (class_name (p, 1), ==, "b");
  g_assert_null (dm_open_project_get_removed_class (open));

  /* a class that took the name meanwhile keeps it */
  g_assert_true (dm_open_project_remove_class (open, "c"));
  g_assert_true (dm_project_add_class (p, dm_project_class_new ("c", "mvtec", tmp), NULL));
  g_assert_false (dm_open_project_undo_remove_class (open, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_assert_null (dm_open_project_get_removed_class (open));
  g_assert_cmpstr (((DmProjectClass *)p->classes->pdata[2])->layout, ==, "mvtec");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  main_thread = g_thread_self ();
  g_test_add_func ("/jobs/progress-coalesced", test_progress_coalesced);
  g_test_add_func ("/jobs/cancel", test_cancel);
  g_test_add_func ("/jobs/discard", test_discard);
  g_test_add_func ("/jobs/failure", test_failure);
  g_test_add_func ("/jobs/open-project", test_open_project);
  return g_test_run ();
}
