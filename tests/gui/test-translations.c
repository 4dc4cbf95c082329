/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The window speaks the language of LANGUAGE (de or zh_CN, set by meson)
 * with the catalogues compiled into <build>/po: a check, end to end, that
 * strings are marked, extracted, translated and loaded. */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "dm-application.h"
#include "dm-test-gui.h"
#include "dm-window.h"

/* A few translations as the user must see them; the full catalogues are
 * checked by the `po-*` tests of the data suite. */
typedef struct
{
  const char *language;
  const char *main_menu;      /* tooltip of the menu button */
  const char *general;        /* first group of the shortcuts window */
  const char *start_prefix;   /* start of the start page's description */
  const char *shortcuts_item; /* primary menu item, with its mnemonic */
} Expected;

static const Expected expected_table[] = {
  { "de", "Hauptmenü", "Allgemein", "Trainieren Sie", "_Tastenkürzel" },
  { "zh_CN", "主菜单", "常规", "用良品图片", "键盘快捷键(_K)" },
};

static const Expected *expected;

static gboolean
window_is_mapped (gpointer data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (data));

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

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

static gboolean
menu_has_label (GMenuModel *model, const char *label)
{
  for (int i = 0; i < g_menu_model_get_n_items (model); i++)
    {
      g_autoptr (GMenuModel) section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION);
      g_autofree char *item_label = NULL;

      if (section != NULL && menu_has_label (section, label))
        return TRUE;
      if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_LABEL, "s", &item_label)
          && g_strcmp0 (item_label, label) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
on_activate_after (GApplication *app, gpointer user_data)
{
  gboolean *checked = user_data;
  GtkWindow *window;
  GtkWidget *status_page, *menu_button, *group;
  GtkShortcutsWindow *overlay;
  g_autofree char *group_title = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  g_assert_true (dm_test_gui_wait_until (window_is_mapped, app, 10000));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));

  status_page = find_descendant (GTK_WIDGET (window), ADW_TYPE_STATUS_PAGE);
  g_assert_nonnull (status_page);
  g_assert_true (g_str_has_prefix (adw_status_page_get_description (ADW_STATUS_PAGE (status_page)),
                                   expected->start_prefix));

  menu_button = find_descendant (GTK_WIDGET (window), GTK_TYPE_MENU_BUTTON);
  g_assert_nonnull (menu_button);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (menu_button), ==, expected->main_menu);
  g_assert_true (menu_has_label (gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (menu_button)),
                                 expected->shortcuts_item));

  /* Strings with a context (msgctxt) go through the same catalogue. */
  overlay = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window));
  g_assert_nonnull (overlay);
  group = find_descendant (GTK_WIDGET (overlay), GTK_TYPE_SHORTCUTS_GROUP);
  g_assert_nonnull (group);
  g_object_get (group, "title", &group_title, NULL);
  g_assert_cmpstr (group_title, ==, expected->general);

  /* The test machine may lack CJK fonts, which would make a picture of
   * boxes: only the Latin-script translation is photographed. */
  if (strcmp (expected->language, "de") == 0)
    {
      dm_test_gui_wait_frames (GTK_WIDGET (window), 3);
      name = g_strdup_printf ("window-start-%s", expected->language);
      path = dm_test_gui_screenshot (GTK_WIDGET (window), name);
    }

  g_application_quit (app);
  *checked = TRUE;
}

static void
test_window_translated (void)
{
  g_autoptr (DmApplication) app = dm_application_new (G_APPLICATION_NON_UNIQUE);
  gboolean checked = FALSE;

  g_signal_connect_after (app, "activate", G_CALLBACK (on_activate_after), &checked);
  g_assert_cmpint (g_application_run (G_APPLICATION (app), 0, NULL), ==, 0);
  g_assert_true (checked);
}

int
main (int argc, char *argv[])
{
  const char *language = g_getenv ("LANGUAGE");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, DM_TEST_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (expected_table); i++)
    if (g_strcmp0 (language, expected_table[i].language) == 0)
      expected = &expected_table[i];
  if (expected == NULL)
    {
      g_printerr ("LANGUAGE must be one of de, zh_CN (got %s)\n", language ? language : "nothing");
      return 1;
    }
  g_test_add_func ("/translations/window", test_window_translated);
  return g_test_run ();
}
