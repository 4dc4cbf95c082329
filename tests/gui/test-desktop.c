/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Desktop integration under a display: the window keeps its geometry in
 * GSettings, the keyboard shortcuts window and the About window open from
 * their actions (with screenshots), the primary menu offers them, and the
 * application icon resolves. */
#include "config.h"

#include <string.h>

#include "dm-application.h"
#include "dm-test-gui.h"
#include "dm-window.h"

/* Runs a fresh application; `check` is called once its window is mapped,
 * then the application quits. GSETTINGS_BACKEND=memory keeps settings for
 * the whole process, so tests can seed them before and read them after. */
typedef void (*WindowCheck) (GtkApplication *app, GtkWindow *window);

typedef struct
{
  WindowCheck check;
  gboolean quit_after;
  gboolean ran;
} AppRun;

static gboolean
window_is_mapped (gpointer data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (data));

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

static gboolean
widget_is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data));
}

static void
on_activate_after (GApplication *app, gpointer user_data)
{
  AppRun *run = user_data;
  GtkWindow *window;

  g_assert_true (dm_test_gui_wait_until (window_is_mapped, app, 10000));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_assert_true (DM_IS_WINDOW (window));
  dm_test_gui_wait_frames (GTK_WIDGET (window), 3);
  run->check (GTK_APPLICATION (app), window);
  run->ran = TRUE;
  if (run->quit_after)
    g_application_quit (app);
}

static void
run_app (WindowCheck check, gboolean quit_after)
{
  g_autoptr (DmApplication) app = dm_application_new (G_APPLICATION_NON_UNIQUE);
  AppRun run = { check, quit_after, FALSE };

  g_signal_connect_after (app, "activate", G_CALLBACK (on_activate_after), &run);
  g_assert_cmpint (g_application_run (G_APPLICATION (app), 0, NULL), ==, 0);
  g_assert_true (run.ran);
}

/* --- window geometry ---------------------------------------------------- */

static void
check_restored_then_resize_and_close (GtkApplication *app, GtkWindow *window)
{
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_assert_cmpint (width, ==, 900);
  g_assert_cmpint (height, ==, 640);

  /* As if the user resized the window, then closed it: the application
   * quits with its last window and the size must have been saved. */
  gtk_window_set_default_size (window, 1000, 700);
  dm_test_gui_wait_frames (GTK_WIDGET (window), 3);
  gtk_window_close (window);
}

static void
test_window_size_saved_and_restored (void)
{
  g_autoptr (GSettings) settings = g_settings_new (APP_ID);

  g_settings_set_int (settings, "window-width", 900);
  g_settings_set_int (settings, "window-height", 640);
  g_settings_set_boolean (settings, "window-maximized", FALSE);

  run_app (check_restored_then_resize_and_close, FALSE);

  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 1000);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 700);
  g_assert_false (g_settings_get_boolean (settings, "window-maximized"));
}

static void
check_size_stable_on_close (GtkApplication *app, GtkWindow *window)
{
  /* Closing without any resize must save exactly what was restored: a
   * size that shrinks or grows by the decorations on every run is a bug. */
  gtk_window_close (window);
}

static void
test_window_size_stable (void)
{
  g_autoptr (GSettings) settings = g_settings_new (APP_ID);

  g_settings_set_int (settings, "window-width", 1100);
  g_settings_set_int (settings, "window-height", 720);
  g_settings_set_boolean (settings, "window-maximized", FALSE);
  for (int i = 0; i < 2; i++)
    run_app (check_size_stable_on_close, FALSE);
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 1100);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 720);
}

static void
check_maximized (GtkApplication *app, GtkWindow *window)
{
  int width, height;

  /* Without a window manager (Xvfb) the request may not be honoured, so
   * only the unmaximized size, which must not be lost, is asserted. */
  if (!gtk_window_is_maximized (window))
    g_test_message ("the display did not maximize the window (no window manager?)");
  gtk_window_get_default_size (window, &width, &height);
  g_assert_cmpint (width, ==, 800);
  g_assert_cmpint (height, ==, 600);
  gtk_window_close (window);
}

static void
test_window_maximized_restored (void)
{
  g_autoptr (GSettings) settings = g_settings_new (APP_ID);

  g_settings_set_int (settings, "window-width", 800);
  g_settings_set_int (settings, "window-height", 600);
  g_settings_set_boolean (settings, "window-maximized", TRUE);
  run_app (check_maximized, FALSE);
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 800);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 600);
  g_settings_reset (settings, "window-maximized");
}

/* --- primary menu ------------------------------------------------------- */

static GtkWidget *
find_descendant (GtkWidget *widget, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
collect_menu_actions (GMenuModel *model, GPtrArray *actions)
{
  for (int i = 0; i < g_menu_model_get_n_items (model); i++)
    {
      g_autoptr (GMenuModel) section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION);
      char *action = NULL;

      if (section != NULL)
        collect_menu_actions (section, actions);
      if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_ACTION, "s", &action))
        g_ptr_array_add (actions, action);
    }
}

static gboolean
str_in_array (GPtrArray *array, const char *str)
{
  return g_ptr_array_find_with_equal_func (array, str, g_str_equal, NULL);
}

static void
check_primary_menu (GtkApplication *app, GtkWindow *window)
{
  GtkWidget *button = find_descendant (GTK_WIDGET (window), GTK_TYPE_MENU_BUTTON);
  g_autoptr (GPtrArray) actions = g_ptr_array_new_with_free_func (g_free);

  g_assert_nonnull (button);
  /* "primary" is what binds F10 to the menu. */
  g_assert_true (gtk_menu_button_get_primary (GTK_MENU_BUTTON (button)));
  collect_menu_actions (gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (button)), actions);
  g_assert_true (str_in_array (actions, "win.show-help-overlay"));
  g_assert_true (str_in_array (actions, "app.about"));
  g_assert_true (str_in_array (actions, "app.quit"));
}

static void
test_primary_menu (void)
{
  run_app (check_primary_menu, TRUE);
}

/* --- keyboard shortcuts window ------------------------------------------ */

static gboolean
accels_contain (GtkApplication *app, const char *action, const char *accel)
{
  g_auto (GStrv) accels = gtk_application_get_accels_for_action (app, action);
  guint want_key = 0, key = 0;
  GdkModifierType want_mods = 0, mods = 0;

  g_assert_true (gtk_accelerator_parse (accel, &want_key, &want_mods));
  for (int i = 0; accels[i] != NULL; i++)
    if (gtk_accelerator_parse (accels[i], &key, &mods) && key == want_key && mods == want_mods)
      return TRUE;
  return FALSE;
}

static void
collect_shortcuts (GtkWidget *widget, GPtrArray *actions, GPtrArray *accelerators)
{
  if (GTK_IS_SHORTCUTS_SHORTCUT (widget))
    {
      g_autofree char *action = NULL;
      g_autofree char *accelerator = NULL;

      g_object_get (widget, "action-name", &action, "accelerator", &accelerator, NULL);
      if (action != NULL)
        g_ptr_array_add (actions, g_steal_pointer (&action));
      if (accelerator != NULL)
        g_ptr_array_add (accelerators, g_steal_pointer (&accelerator));
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_shortcuts (child, actions, accelerators);
}

static void
check_shortcuts_window (GtkApplication *app, GtkWindow *window)
{
  GtkShortcutsWindow *overlay
    = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window));
  g_autoptr (GPtrArray) actions = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) accelerators = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *path = NULL;

  /* GtkApplication found gtk/help-overlay.ui under the resource base path
   * and bound Ctrl+? to it. */
  g_assert_nonnull (overlay);
  g_assert_true (accels_contain (app, "win.show-help-overlay", "<Control>question"));
  g_assert_true (accels_contain (app, "app.quit", "<Control>q"));

  /* Every shortcut listed by action has a real accelerator behind it. */
  collect_shortcuts (GTK_WIDGET (overlay), actions, accelerators);
  g_assert_true (str_in_array (actions, "win.show-help-overlay"));
  g_assert_true (str_in_array (actions, "app.quit"));
  g_assert_true (str_in_array (accelerators, "F10"));
  for (guint i = 0; i < actions->len; i++)
    {
      g_auto (GStrv) accels = gtk_application_get_accels_for_action (app, actions->pdata[i]);

      g_assert_nonnull (accels[0]);
    }

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL));
  g_assert_true (dm_test_gui_wait_until (widget_is_mapped, overlay, 10000));
  dm_test_gui_wait_frames (GTK_WIDGET (overlay), 3);
  path = dm_test_gui_screenshot (GTK_WIDGET (overlay), "shortcuts");
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  gtk_window_close (GTK_WINDOW (overlay));
}

static void
test_shortcuts_window (void)
{
  run_app (check_shortcuts_window, TRUE);
}

/* --- About window ------------------------------------------------------- */

static AdwAboutWindow *
find_about_window (void)
{
  GListModel *toplevels = gtk_window_get_toplevels (); /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_ABOUT_WINDOW (window))
        return ADW_ABOUT_WINDOW (window);
    }
  return NULL;
}

static gboolean
about_is_mapped (gpointer data)
{
  AdwAboutWindow *about = find_about_window ();

  return about != NULL && gtk_widget_get_mapped (GTK_WIDGET (about));
}

static void
check_about_window (GtkApplication *app, GtkWindow *window)
{
  AdwAboutWindow *about;
  g_autofree char *path = NULL;

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  g_assert_true (dm_test_gui_wait_until (about_is_mapped, NULL, 10000));
  about = find_about_window ();
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (about)) == window);
  g_assert_cmpstr (adw_about_window_get_application_icon (about), ==, APP_ID);
  g_assert_cmpstr (adw_about_window_get_version (about), ==, PACKAGE_VERSION);
  g_assert_true (g_str_has_prefix (adw_about_window_get_website (about), "https://"));
  g_assert_true (g_str_has_prefix (adw_about_window_get_issue_url (about), "https://"));
  g_assert_nonnull (strstr (adw_about_window_get_copyright (about), "©"));
  g_assert_cmpint (adw_about_window_get_license_type (about), ==, GTK_LICENSE_GPL_3_0);
  g_assert_nonnull (strstr (adw_about_window_get_debug_info (about), "oneDNN"));
  dm_test_gui_wait_frames (GTK_WIDGET (about), 3);
  path = dm_test_gui_screenshot (GTK_WIDGET (about), "about");
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  gtk_window_destroy (GTK_WINDOW (about));
}

static void
test_about_window (void)
{
  run_app (check_about_window, TRUE);
}

/* --- icon --------------------------------------------------------------- */

static void
check_icon (GtkApplication *app, GtkWindow *window)
{
  GtkIconTheme *theme
    = gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (window)));

  /* The window manager and the task switcher take the window's icon from
   * the default icon name; the GResource provides the icon uninstalled. */
  g_assert_cmpstr (gtk_window_get_default_icon_name (), ==, APP_ID);
  g_assert_true (gtk_icon_theme_has_icon (theme, APP_ID));
  g_assert_true (gtk_icon_theme_has_icon (theme, APP_ID "-symbolic"));
}

static void
test_icon (void)
{
  run_app (check_icon, TRUE);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/desktop/window-size-saved-and-restored", test_window_size_saved_and_restored);
  g_test_add_func ("/desktop/window-size-stable", test_window_size_stable);
  g_test_add_func ("/desktop/window-maximized-restored", test_window_maximized_restored);
  g_test_add_func ("/desktop/primary-menu", test_primary_menu);
  g_test_add_func ("/desktop/shortcuts-window", test_shortcuts_window);
  g_test_add_func ("/desktop/about-window", test_about_window);
  g_test_add_func ("/desktop/icon", test_icon);
  return g_test_run ();
}
