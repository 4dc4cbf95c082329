/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The AdwApplication of Dinomaly Studio: app-wide actions and windows. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-application.h"
#include "dm-window.h"

struct _DmApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (DmApplication, dm_application, ADW_TYPE_APPLICATION)

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
    window = GTK_WINDOW (dm_window_new (DM_APPLICATION (app)));
  gtk_window_present (window);
}

static void
about_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  static const char *developers[] = { "The Dinomaly Studio engineers", NULL };
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
  AdwAboutWindow *about;

  about = ADW_ABOUT_WINDOW (adw_about_window_new ());
  adw_about_window_set_application_name (about, _ ("Dinomaly Studio"));
  adw_about_window_set_application_icon (about, APP_ID);
  adw_about_window_set_version (about, PACKAGE_VERSION);
  adw_about_window_set_developer_name (about, _ ("The Dinomaly Studio engineers"));
  adw_about_window_set_comments (about, _ ("Train an anomaly detector on pictures of good parts, "
                                           "review test images with heatmaps, label defects and "
                                           "export inspection reports — on the CPU."));
  adw_about_window_set_license_type (about, GTK_LICENSE_GPL_3_0);
  adw_about_window_set_developers (about, developers);
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
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions),
                                   app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
}

static void
dm_application_class_init (DmApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = dm_application_activate;
  app_class->startup = dm_application_startup;
}

static void
dm_application_init (DmApplication *self)
{
}
