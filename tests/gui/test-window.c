/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The application starts under a display, shows its main window, takes a
 * screenshot of it and quits cleanly. */
#include "config.h"

#include "dm-application.h"
#include "dm-test-gui.h"
#include "dm-window.h"

static gboolean
window_is_mapped (gpointer data)
{
  GtkApplication *app = data;
  GtkWindow *window = gtk_application_get_active_window (app);

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

static void
on_activate_after (GApplication *app, gpointer user_data)
{
  gboolean *checked = user_data;
  GtkWindow *window;
  g_autofree char *path = NULL;

  g_assert_true (dm_test_gui_wait_until (window_is_mapped, app, 10000));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (DM_IS_WINDOW (window));
  g_assert_cmpstr (gtk_window_get_title (window), ==, "Dinomaly Studio");
  dm_test_gui_wait_frames (GTK_WIDGET (window), 3);
  path = dm_test_gui_screenshot (GTK_WIDGET (window), "window-start");
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  /* Quit through the action, as the menu and Ctrl+Q do. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  *checked = TRUE;
}

static void
test_window_starts_and_quits (void)
{
  g_autoptr (DmApplication) app = dm_application_new (G_APPLICATION_NON_UNIQUE);
  gboolean checked = FALSE;
  int status;

  g_signal_connect_after (app, "activate", G_CALLBACK (on_activate_after), &checked);
  status = g_application_run (G_APPLICATION (app), 0, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (checked);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/window/starts-and-quits", test_window_starts_and_quits);
  return g_test_run ();
}
