/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Training in the real window: a project over a copy of real images (a few
 * of ../shared/data/magnetic_tile, or generated parts when that is absent)
 * and a tiny random backbone; a setting changed on the Train page lands in
 * project.json; a run trains, saves the model and scores the test images
 * while the main loop keeps drawing (the worst gap between frames is
 * measured and printed); the memory a run needs is shown; one model per
 * class trains into the project's models folder; a long run is cancelled,
 * offered for resume on reopening and resumed; closing the window during
 * a run asks first and keeps a checkpoint. */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dm-application.h"
#include "dm-demo.h"
#include "dm-project-train.h"
#include "dm-project-versions.h"
#include "dm-test-gui.h"
#include "dm-test-project.h"
#include "dm-test-util.h"
#include "dm-test-window.h"
#include "dm-train-page.h"
#include "dm-window-private.h"

/* Where the second run, one model per class, keeps its models
 * (dm_project_version_model_rel): version 2, until promoted not the
 * active model. */
#define PER_CLASS_MODELS "models/v2/classes"

static char *tmp;
static char *folder; /* the project */

/* ---- the project on disk ---- */

static void
make_project (void)
{
  const char *defects[] = { "blowhole", NULL };
  g_autoptr (DmProject) p = NULL;

  folder = g_build_filename (tmp, "project", NULL);
  p = dm_test_real_project (folder, "Tiles", 8, 2, defects, 2, 1000);
}

/* ---- watching the window ---- */

static gint64 last_frame_us, worst_gap_us;
/* the main thread's own CPU time: what it did, not what the scheduler made
 * it wait for on a loaded machine */
static gint64 last_cpu_us, worst_cpu_us, cpu_us;
static gboolean measuring;

static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  gint64 now = g_get_monotonic_time (), cpu = thread_cpu_us ();

  if (measuring && last_frame_us > 0)
    {
      worst_gap_us = MAX (worst_gap_us, now - last_frame_us);
      worst_cpu_us = MAX (worst_cpu_us, cpu - last_cpu_us);
      cpu_us += cpu - last_cpu_us;
    }
  last_frame_us = now;
  last_cpu_us = cpu;
  return G_SOURCE_CONTINUE;
}

static gboolean
not_training (gpointer window)
{
  return !dm_test_window_is_training (window);
}

static guint points_wanted = 5;

static gboolean
curve_has_points (gpointer page)
{
  return dm_loss_curve_get_n_points (dm_train_page_get_loss_curve (page)) >= points_wanted;
}

/* Every label of a widget, visible or not (subtitles included). */
static void
collect_text (GtkWidget *root, GString *out)
{
  if (GTK_IS_LABEL (root))
    g_string_append_printf (out, "%s\n", gtk_label_get_text (GTK_LABEL (root)));
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    collect_text (c, out);
}

static gboolean
memory_known (gpointer page)
{
  GString *text = g_string_new (NULL);
  gboolean known;

  collect_text (page, text);
  known = strstr (text->str, "About ") != NULL && strstr (text->str, "the feature cache") != NULL;
  g_string_free (text, TRUE);
  return known;
}

static DmProject *
reopen (void)
{
  g_autoptr (GError) error = NULL;
  DmProject *p = dm_project_open (folder, &error);

  g_assert_no_error (error);
  return p;
}

static void
set_total (GtkWidget *window, int total)
{
  g_autoptr (DmProject) p = NULL;

  dm_test_window_activate (window, "win.set-train-setting",
                           g_variant_new ("(sd)", "total_iters", (double)total));
  p = reopen ();
  g_assert_cmpint (json_object_get_int_member (p->settings, "total_iters"), ==, total);
}

static GtkWidget *
find_dialog (void)
{
  return dm_test_window_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
}

static gboolean
dialog_shown (gpointer data)
{
  return find_dialog () != NULL;
}

static gboolean
window_gone (gpointer app)
{
  return gtk_application_get_active_window (app) == NULL;
}

static void
on_activate_after (GApplication *app, GtkWidget *window)
{
  DmWindow *self = DM_WINDOW (window);
  GtkWidget *page;
  g_autoptr (DmProject) p = NULL;
  g_autofree char *model = NULL, *results = NULL;
  gint64 next = -1, total = 0;

  dm_test_gui_wait_frames (window, 2);
  dm_test_window_activate (window, "win.open-project-folder", g_variant_new_string (folder));
  page = GTK_WIDGET (self->train_page);
  adw_view_stack_set_visible_child_name (self->view_stack, "train");
  dm_test_gui_wait_frames (window, 2);
  dm_test_window_screenshot (window, "train-ready");

  /* 1. a full run of 40 iterations, frames measured */
  set_total (window, 40);
  gtk_widget_add_tick_callback (window, on_tick, NULL, NULL);
  measuring = TRUE;
  dm_test_window_activate (window, "win.train", NULL);
  g_assert_true (dm_test_window_is_training (window));
  g_assert_true (dm_test_gui_wait_until (not_training, window, 120000));
  measuring = FALSE;
  dm_test_gui_wait_frames (window, 2);
  dm_test_window_screenshot (window, "train-done");
  g_test_message ("worst gap between frames while training: %.1f ms", (double)worst_gap_us / 1000);
  printf ("# worst main-thread stall while training: %.1f ms\n", (double)worst_gap_us / 1000);
  printf ("# main-thread CPU while training: %.1f ms, at most %.1f ms between two frames\n",
          (double)cpu_us / 1000, (double)worst_cpu_us / 1000);
  /* a gap of a second would mean work on the main thread; a few frames of
   * scheduling delay on a loaded 2-core machine are not ours */
  g_assert_cmpint (worst_gap_us, <, 1000000);
  model = g_build_filename (folder, "models", "v1", DM_PROJECT_MODEL_FILE, NULL);
  results = g_build_filename (folder, "models", "v1", "results", DM_RESULTS_FILE, NULL);
  g_assert_true (g_file_test (model, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (results, G_FILE_TEST_IS_REGULAR));
  p = reopen ();
  g_assert_cmpstr (p->model, ==, "models/v1/model.dinomaly");
  g_assert_true (isfinite (((DmProjectClass *)p->classes->pdata[0])->image_threshold));
  g_assert_cmpuint (
    dm_loss_curve_get_n_points (dm_train_page_get_loss_curve (DM_TRAIN_PAGE (page))), ==, 40);
  g_clear_pointer (&p, dm_project_free);

  /* 1b. the memory the next run needs is said before it starts */
  g_assert_true (dm_test_gui_wait_until (memory_known, page, 30000));

  /* 1c. one model per class: version 2 holds each class's model in
   * models/v2/classes, and was scored with it; the first version stays
   * active until this one is promoted */
  dm_test_window_activate (window, "win.set-train-setting",
                           g_variant_new ("(sd)", "per_class", 1.0));
  p = reopen ();
  g_assert_true (json_object_get_boolean_member (p->settings, "per_class"));
  g_clear_pointer (&p, dm_project_free);
  dm_test_window_activate (window, "win.train", NULL);
  g_assert_true (dm_test_gui_wait_until (not_training, window, 120000));
  dm_test_gui_wait_frames (window, 2);
  dm_test_window_screenshot (window, "train-per-class-done");
  p = reopen ();
  g_assert_cmpstr (p->model, ==, "models/v1/model.dinomaly");
  g_assert_nonnull (dm_project_find_version (p, 2));
  g_assert_cmpstr (dm_project_find_version (p, 2)->model, ==, PER_CLASS_MODELS);
  {
    DmProjectClass *c = p->classes->pdata[0];
    g_autofree char *file = g_strconcat (c->name, ".dinomaly", NULL);
    g_autofree char *class_model = g_build_filename (folder, PER_CLASS_MODELS, file, NULL);

    g_assert_true (g_file_test (class_model, G_FILE_TEST_IS_REGULAR));
  }
  g_clear_pointer (&p, dm_project_free);
  g_assert_true (dm_test_gui_wait_until (memory_known, page, 30000));
  dm_test_window_activate (window, "win.set-train-setting",
                           g_variant_new ("(sd)", "per_class", 0.0));

  /* 2. a long run, cancelled after a few iterations: a checkpoint stays */
  set_total (window, 5000);
  dm_test_window_activate (window, "win.train", NULL);
  g_assert_true (dm_test_gui_wait_until (curve_has_points, page, 60000));
  dm_test_window_activate (window, "win.cancel-training", NULL);
  g_assert_true (dm_test_gui_wait_until (not_training, window, 60000));
  dm_test_gui_wait_frames (window, 2);
  dm_test_window_screenshot (window, "train-cancelled");
  p = reopen ();
  g_assert_true (dm_project_train_can_resume (p, &next, &total));
  g_test_message ("cancelled: the checkpoint resumes at iteration %lld", (long long)next);
  g_assert_cmpint (total, ==, 5000);
  g_assert_cmpint (next, >=, 5);
  g_clear_pointer (&p, dm_project_free);

  /* 3. reopened, the run is offered for resume; resumed, it goes on from
   * there (cancelled again so the test stays short) */
  dm_test_window_activate (window, "win.close-project", NULL);
  dm_test_window_activate (window, "win.open-project-folder", g_variant_new_string (folder));
  adw_view_stack_set_visible_child_name (self->view_stack, "train");
  dm_test_gui_wait_frames (window, 2);
  dm_test_window_screenshot (window, "train-resume-offered");
  dm_test_window_activate (window, "win.resume-training", NULL);
  /* the checkpoint's iterations are drawn at once; wait for new ones */
  points_wanted = (guint)next + 5;
  g_assert_true (dm_test_gui_wait_until (curve_has_points, page, 60000));
  dm_test_gui_wait_frames (window, 1);
  dm_test_window_screenshot (window, "train-running");
  {
    gint64 before = next;
    g_autoptr (DmProject) again = NULL;

    /* the curve holds the checkpoint's iterations and the new ones */
    g_assert_cmpuint (
      dm_loss_curve_get_n_points (dm_train_page_get_loss_curve (DM_TRAIN_PAGE (page))), >=,
      (guint)before);
    /* 4. closing the window while training asks, then stops with a checkpoint */
    gtk_window_close (GTK_WINDOW (window));
    g_assert_true (dm_test_gui_wait_until (dialog_shown, NULL, 10000));
    dm_test_gui_wait_frames (find_dialog (), 2);
    dm_test_window_screenshot (find_dialog (), "train-close-dialog");
    g_assert_true (dm_test_window_is_training (window));
    adw_message_dialog_response (ADW_MESSAGE_DIALOG (find_dialog ()), "stop");
    g_assert_true (dm_test_gui_wait_until (window_gone, app, 60000));
    again = reopen ();
    g_assert_true (dm_project_train_can_resume (again, &next, &total));
    g_assert_cmpint (next, >, before);
  }
}

static void
test_train_window (void)
{

  tmp = dm_test_make_tmpdir ();
  make_project ();
  dm_test_window_run (tmp, on_activate_after);
  g_free (folder);
  g_free (tmp);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train-window/train-cancel-resume-close", test_train_window);
  return g_test_run ();
}
