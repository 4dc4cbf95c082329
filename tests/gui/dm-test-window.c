/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers for tests that drive the real Dinomaly Studio window. */
#include "dm-test-window.h"

#include "dm-application.h"
#include "dm-metrics-page.h"
#include "dm-test-gui.h"
#include "dm-window-private.h"

typedef struct
{
  DmTestWindowBody body;
  gboolean done;
} Run;

static void
on_activate_after (GApplication *app, gpointer data)
{
  Run *run = data;
  GtkWidget *window = GTK_WIDGET (gtk_application_get_active_window (GTK_APPLICATION (app)));

  g_assert_nonnull (window);
  dm_test_gui_wait_frames (window, 2);
  run->body (app, window);
  run->done = TRUE;
}

void
dm_test_window_run (const char *tmp, DmTestWindowBody body)
{
  g_autoptr (DmApplication) app = dm_application_new (G_APPLICATION_NON_UNIQUE);
  g_autofree char *xdg = g_build_filename (tmp, "xdg", NULL);
  Run run = { body, FALSE };

  g_setenv ("XDG_DATA_HOME", xdg, TRUE);
  g_signal_connect_after (app, "activate", G_CALLBACK (on_activate_after), &run);
  g_assert_cmpint (g_application_run (G_APPLICATION (app), 0, NULL), ==, 0);
  g_assert_true (run.done);
}

static gboolean
transition_done (gpointer window)
{
  return !gtk_stack_get_transition_running (DM_WINDOW (window)->main_stack);
}

void
dm_test_window_wait_transition (GtkWidget *window)
{
  g_assert_true (dm_test_gui_wait_until (transition_done, window, 5000));
}

void
dm_test_window_activate (GtkWidget *window, const char *action, GVariant *param)
{
  g_assert_true (gtk_widget_activate_action_variant (window, action, param));
  dm_test_gui_wait_frames (window, 2);
  g_assert_true (dm_test_gui_wait_until (transition_done, window, 5000));
  dm_test_gui_wait_frames (window, 1);
}

void
dm_test_window_screenshot (GtkWidget *widget, const char *name)
{
  g_autofree char *shot = dm_test_gui_screenshot (widget, name);

  g_test_message ("screenshot: %s", shot);
}

GtkWidget *
dm_test_window_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels (); /* owned by GTK */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) w = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type))
        return GTK_WIDGET (w);
    }
  return NULL;
}

gboolean
dm_test_window_is_training (GtkWidget *window)
{
  DmTrainJob *job = dm_train_page_get_job (DM_WINDOW (window)->train_page);

  return job != NULL && dm_job_get_state (DM_JOB (job)) == DM_JOB_RUNNING;
}

gboolean
dm_test_window_metrics_busy (GtkWidget *window)
{
  GtkWidget *page = adw_view_stack_get_child_by_name (DM_WINDOW (window)->view_stack, "metrics");

  return dm_metrics_page_is_busy (DM_METRICS_PAGE (page));
}

gboolean
dm_test_window_is_exporting (GtkWidget *window)
{
  DmJob *job = DM_WINDOW (window)->report_job;

  return job != NULL && dm_job_get_state (job) == DM_JOB_RUNNING;
}
