/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers for tests that drive the real Dinomaly Studio window. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef void (*DmTestWindowBody) (GApplication *app, GtkWidget *window);

/* Runs the application (non-unique; XDG_DATA_HOME is tmp/xdg, so recent
 * projects and the demo stay in the test's folder). body runs once the
 * window is shown and must end the application (app.quit, or closing the
 * window); the test fails when it did not run to its end. */
void dm_test_window_run (const char *tmp, DmTestWindowBody body);

/* Activates a window action, then waits two frames and for the crossfade
 * between the start page and the project to end. */
void dm_test_window_activate (GtkWidget *window, const char *action, GVariant *param);

/* Waits for the crossfade between the start page and the project to end. */
void dm_test_window_wait_transition (GtkWidget *window);

/* dm_test_gui_screenshot, with the picture's path in the test's log. */
void dm_test_window_screenshot (GtkWidget *widget, const char *name);

/* The window's jobs, by their state: a training run on the Train page,
 * the Metrics page's figures, a report being prepared or written. */
gboolean dm_test_window_is_training (GtkWidget *window);
gboolean dm_test_window_metrics_busy (GtkWidget *window);
gboolean dm_test_window_is_exporting (GtkWidget *window);

/* The first toplevel window of a type (a dialog), or NULL. */
GtkWidget *dm_test_window_find_toplevel (GType type);

G_END_DECLS
