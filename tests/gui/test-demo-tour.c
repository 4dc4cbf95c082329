/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a newcomer does first, in the real window and at real size: Try the
 * Demo Project (generated washers and fabric, the random ViT-S backbone "for
 * trying only"), train it (a few iterations of the quick preset at 224
 * pixels, to keep the test short), review the scored test images and open
 * one, inspect new parts, read the metrics and export the report. Every
 * step is checked on disk and photographed (build/screenshots/tour-*.png). */
#include "config.h"

#include <string.h>

#include "dm-application.h"
#include "dm-inspect-page.h"
#include "dm-review-item.h"
#include "dm-test-gui.h"
#include "dm-test-util.h"
#include "dm-test-window.h"
#include "dm-window-private.h"

static char *tmp;

static void
show_page (GtkWidget *window, const char *name)
{
  adw_view_stack_set_visible_child_name (DM_WINDOW (window)->view_stack, name);
  dm_test_gui_wait_frames (window, 3);
}

static gboolean
project_open (gpointer window)
{
  return DM_WINDOW (window)->project != NULL;
}

static gboolean
not_training (gpointer window)
{
  return !dm_test_window_is_training (window);
}

static gboolean
results_shown (gpointer window)
{
  DmWindow *self = window;
  return dm_review_page_get_results (self->review_page) != NULL
         && g_list_model_get_n_items (dm_review_page_get_items (self->review_page)) > 0;
}

static gboolean
image_loaded (gpointer page)
{
  return !dm_review_page_is_loading (page);
}

static gboolean
inspect_done (gpointer page)
{
  return !dm_inspect_page_is_running (page);
}

static gboolean
metrics_ready (gpointer window)
{
  return !dm_test_window_metrics_busy (window);
}

static gboolean
export_done (gpointer window)
{
  return !dm_test_window_is_exporting (window);
}

static void
on_activate_after (GApplication *app, GtkWidget *window)
{
  DmWindow *self = DM_WINDOW (window);
  g_autofree char *demo = g_build_filename (tmp, "xdg", "dinomaly-studio", "demo", NULL);
  /* every training run is a version of its own: the first in models/v1 */
  g_autofree char *model = g_build_filename (demo, "models", "v1", "model.dinomaly", NULL);
  g_autofree char *pdf = g_build_filename (tmp, "demo-report.pdf", NULL);
  g_autofree char *new_parts
    = g_build_filename (demo, "dataset", "washer", "test", "scratch", NULL);
  GtkWidget *inspect;

  dm_test_gui_wait_frames (window, 2);
  dm_test_window_activate (window, "win.open-demo", NULL);
  g_assert_true (dm_test_gui_wait_until (project_open, window, 120000));
  dm_test_window_wait_transition (window);
  dm_test_gui_wait_frames (window, 3);
  dm_test_window_screenshot (window, "tour-data");

  /* a short run of the demo's settings: the test has no hour to spare */
  dm_test_window_activate (window, "win.set-train-setting",
                           g_variant_new ("(sd)", "total_iters", 6.0));
  dm_test_window_activate (window, "win.set-train-setting",
                           g_variant_new ("(sd)", "warmup_iters", 2.0));
  show_page (window, "train");
  dm_test_window_screenshot (window, "tour-train-ready");
  dm_test_window_activate (window, "win.train", NULL);
  g_assert_true (dm_test_gui_wait_until (not_training, window, 280000));
  dm_test_gui_wait_frames (window, 3);
  dm_test_window_screenshot (window, "tour-train-done");
  g_assert_true (g_file_test (model, G_FILE_TEST_IS_REGULAR));

  /* review: the scored test images, the highest one opened */
  show_page (window, "review");
  g_assert_true (dm_test_gui_wait_until (results_shown, window, 60000));
  dm_test_gui_wait_frames (window, 5);
  dm_test_window_screenshot (window, "tour-review");
  {
    g_autoptr (DmReviewItem) first
      = g_list_model_get_item (dm_review_page_get_items (self->review_page), 0);

    g_assert_true (dm_review_page_open_image (self->review_page, dm_review_item_get_path (first)));
    g_assert_true (dm_test_gui_wait_until (image_loaded, self->review_page, 30000));
    /* past the page's crossfade from the grid to the large view */
    dm_test_gui_wait_frames (window, 30);
    dm_test_window_screenshot (window, "tour-review-image");
    dm_review_page_close_image (self->review_page);
  }

  /* inspect: a folder of new parts */
  show_page (window, "inspect");
  inspect = adw_view_stack_get_child_by_name (self->view_stack, "inspect");
  {
    const char *paths[] = { new_parts, NULL };
    dm_test_window_activate (window, "win.inspect-paths", g_variant_new_strv (paths, -1));
  }
  g_assert_true (dm_test_gui_wait_until (inspect_done, inspect, 60000));
  dm_test_gui_wait_frames (window, 5);
  dm_test_window_screenshot (window, "tour-inspect");

  /* metrics and the report */
  show_page (window, "metrics");
  g_assert_true (dm_test_gui_wait_until (metrics_ready, window, 60000));
  dm_test_gui_wait_frames (window, 3);
  dm_test_window_screenshot (window, "tour-metrics");
  dm_test_window_activate (window, "win.export-report-to", g_variant_new_string (pdf));
  g_assert_true (dm_test_gui_wait_until (export_done, window, 120000));
  g_assert_true (g_file_test (pdf, G_FILE_TEST_IS_REGULAR));

  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
}

static void
test_demo_tour (void)
{

  tmp = dm_test_make_tmpdir ();
  dm_test_window_run (tmp, on_activate_after);
  g_free (tmp);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/demo-tour/newcomer", test_demo_tour);
  return g_test_run ();
}
