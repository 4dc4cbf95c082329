/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The AdwApplication of Dinomaly Studio: app-wide actions and windows. */
#include "config.h"

#include <glib/gi18n.h>
#include <oneapi/dnnl/dnnl.h>

#include "dm-application.h"
#include "dm-window.h"

struct _DmApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (DmApplication, dm_application, ADW_TYPE_APPLICATION)

#define DM_WEBSITE_URL "https://github.com/dinomaly-studio/dinomaly-studio"
#define DM_ISSUE_URL DM_WEBSITE_URL "/issues"

DmApplication *
dm_application_new (GApplicationFlags flags)
{
  return g_object_new (DM_TYPE_APPLICATION, "application-id", APP_ID, "flags", flags,
                       "resource-base-path", "/org/dinomaly/Studio", NULL);
}

static void
dm_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (dm_window_new (ADW_APPLICATION (app)));
  gtk_window_present (window);
}

/* Versions of the libraries a bug report needs, shown under the About
 * window's "Troubleshooting" page. */
static char *
build_debug_info (void)
{
  const dnnl_version_t *dnnl = dnnl_version ();

  return g_strdup_printf ("Dinomaly Studio %s\n"
                          "GLib %u.%u.%u\n"
                          "GTK %u.%u.%u\n"
                          "libadwaita %u.%u.%u\n"
                          "oneDNN %d.%d.%d (%s)\n"
                          "CPU threads: %u\n",
                          PACKAGE_VERSION, glib_major_version, glib_minor_version,
                          glib_micro_version, gtk_get_major_version (), gtk_get_minor_version (),
                          gtk_get_micro_version (), adw_get_major_version (),
                          adw_get_minor_version (), adw_get_micro_version (), dnnl->major,
                          dnnl->minor, dnnl->patch, dnnl->hash, g_get_num_processors ());
}

static void
about_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  const char *developers[] = { _ ("The Dinomaly Studio engineers"), NULL };
  static const char *method_authors[]
    = { "Jia Guo, Shuai Lu, Weihang Zhang, Fang Chen, Huiqi Li, Hongen Liao (Dinomaly, CVPR 2025)",
        NULL };
  static const char *backbone_authors[]
    = { "Maxime Oquab, Timothée Darcet, Théo Moutakanni et al. (DINOv2, Meta AI)",
        "Timothée Darcet, Maxime Oquab, Julien Mairal, Piotr Bojanowski (Vision Transformers Need "
        "Registers)",
        NULL };
  GtkApplication *app = GTK_APPLICATION (user_data);
  GtkWindow *window = gtk_application_get_active_window (app);
  g_autofree char *debug_info = build_debug_info ();
  AdwAboutWindow *about;

  about = ADW_ABOUT_WINDOW (adw_about_window_new ());
  adw_about_window_set_application_name (about, _ ("Dinomaly Studio"));
  adw_about_window_set_application_icon (about, APP_ID);
  adw_about_window_set_version (about, PACKAGE_VERSION);
  adw_about_window_set_developer_name (about, _ ("The Dinomaly Studio engineers"));
  adw_about_window_set_comments (about, _ ("Train an anomaly detector on pictures of good parts, "
                                           "review test images with heatmaps, label defects and "
                                           "export inspection reports — on the CPU."));
  adw_about_window_set_website (about, DM_WEBSITE_URL);
  adw_about_window_set_issue_url (about, DM_ISSUE_URL);
  /* Translators: the years and holder of the copyright, keep the © sign. */
  adw_about_window_set_copyright (about, _ ("© 2026 The Dinomaly Studio engineers"));
  adw_about_window_set_license_type (about, GTK_LICENSE_GPL_3_0);
  adw_about_window_set_developers (about, developers);
  /* Translators: replace this with your names, one per line, to appear
   * under "Translated by" in the About window. */
  adw_about_window_set_translator_credits (about, _ ("translator-credits"));
  adw_about_window_set_debug_info (about, debug_info);
  adw_about_window_set_debug_info_filename (about, "dinomaly-studio-debug-info.txt");
  adw_about_window_add_credit_section (about, _ ("Dinomaly method"), method_authors);
  adw_about_window_add_credit_section (about, _ ("DINOv2 backbone"), backbone_authors);
  adw_about_window_add_legal_section (about, "oneDNN", "Copyright Intel Corporation",
                                      GTK_LICENSE_APACHE_2_0, NULL);
  adw_about_window_add_legal_section (about, _ ("DINOv2 weights"), "Copyright Meta Platforms, Inc.",
                                      GTK_LICENSE_APACHE_2_0, NULL);
  if (window != NULL)
    gtk_window_set_transient_for (GTK_WINDOW (about), window);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static const GActionEntry app_actions[] = {
  { "about", about_action },
  { "quit", quit_action },
};

static void
dm_application_startup (GApplication *app)
{
  static const char *quit_accels[] = { "<primary>q", NULL };

  G_APPLICATION_CLASS (dm_application_parent_class)->startup (app);
  /* Every window (dialogs included) shows the application icon, which the
   * GResource provides under icons/ even when the app runs uninstalled. */
  gtk_window_set_default_icon_name (APP_ID);
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions),
                                   app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
}

/* Handles --version before the application registers or opens a display,
 * so it works on a headless machine. */
static int
dm_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("dinomaly-studio %s\n", PACKAGE_VERSION);
      return 0;
    }
  return -1;
}

static void
dm_application_class_init (DmApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = dm_application_activate;
  app_class->startup = dm_application_startup;
  app_class->handle_local_options = dm_application_handle_local_options;
}

static void
dm_application_init (DmApplication *self)
{
  g_application_add_main_option (G_APPLICATION (self), "version", 0, G_OPTION_FLAG_NONE,
                                 G_OPTION_ARG_NONE, _ ("Show the version and exit"), NULL);
}
