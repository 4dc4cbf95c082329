/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers for GUI tests under Xvfb: waiting for frames, screenshots. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Runs the main loop until `widget` has drawn `n_frames` frames (or a
 * timeout of 10 s fails the test). */
void dm_test_gui_wait_frames (GtkWidget *widget, guint n_frames);

/* Renders `widget` as the user sees it into DM_SCREENSHOT_DIR/<name>.png and
 * returns the path (NULL-safe to free). The picture is checked to be the
 * widget's size and not a single flat colour. */
char *dm_test_gui_screenshot (GtkWidget *widget, const char *name);

/* Spins the main loop until condition() returns TRUE or timeout_ms passes. */
/* Runs the main loop for ms milliseconds (animations, timeouts). */
void dm_test_gui_wait_ms (guint ms);
gboolean dm_test_gui_wait_until (gboolean (*condition) (gpointer), gpointer data, guint timeout_ms);

/* The first widget under root (depth first, root included) whose
 * gtk_widget_get_name is name, or NULL. */
GtkWidget *dm_test_gui_find_named (GtkWidget *root, const char *name);

G_END_DECLS
