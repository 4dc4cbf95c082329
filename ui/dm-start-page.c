/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The start page: what the app is, New / Open Project, the demo (made in a
 * DmJob), recent projects (GSettings "recent-projects", those still there).
 * Rows and the demo, once made, open through win.open-project-folder. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-demo.h"
#include "dm-feedback.h"
#include "dm-job.h"
#include "dm-project.h"
#include "dm-start-page.h"

struct _DmStartPage
{
  AdwBin parent_instance;

  AdwPreferencesGroup *recent_group;
  GtkWidget *demo_button;
  GtkWidget *demo_progress;
  GtkSpinner *demo_spinner;
  GPtrArray *rows; /* the rows added to recent_group */
  GSettings *settings;
  DmJob *demo_job; /* making the demo project */
};

G_DEFINE_FINAL_TYPE (DmStartPage, dm_start_page, ADW_TYPE_BIN)

static void
show_recent (DmStartPage *self)
{
  g_auto (GStrv) folders = g_settings_get_strv (self->settings, "recent-projects");

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->recent_group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);

  for (guint i = 0; folders[i] != NULL; i++)
    {
      g_autofree char *file = g_build_filename (folders[i], DM_PROJECT_FILE, NULL);
      g_autofree char *name = g_path_get_basename (folders[i]);
      g_autofree char *display = g_filename_display_name (folders[i]);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *icon;

      /* projects deleted or on an unplugged disk are not offered */
      if (!g_file_test (file, G_FILE_TEST_EXISTS))
        continue;
      icon = gtk_image_new_from_icon_name ("go-next-symbolic");
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), display);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), icon);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "win.open-project-folder");
      gtk_actionable_set_action_target_value (GTK_ACTIONABLE (row),
                                              g_variant_new_string (folders[i]));
      adw_preferences_group_add (self->recent_group, row);
      g_ptr_array_add (self->rows, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->recent_group), self->rows->len > 0);
}

/* ---- the demo project, made off the main thread ---- */

static gboolean
demo_run (DmJob *job, gpointer folder, GCancellable *cancellable, GError **error)
{
  g_autoptr (DmProject) project = dm_demo_project_ensure (folder, error);

  return project != NULL;
}

/* The progress is on the page, not in a toast: libadwaita 1.2 (Debian 12
 * has 1.2.2) frees a toast dismissed in the first 0.2 s of the entrance it
 * gets while another toast leaves and reads it when the entrance ends, a
 * use after free fixed upstream in 1.3 (commit 1674ebc9). Dismissing the
 * "Preparing…" toast when the demo was ready was the rare SIGSEGV of the
 * project-window test; no toast is dismissed before its time now. */
static void
show_demo_progress (DmStartPage *self, gboolean busy)
{
  gtk_widget_set_visible (self->demo_button, !busy);
  gtk_widget_set_visible (self->demo_progress, busy);
  if (busy)
    gtk_spinner_start (self->demo_spinner);
  else
    gtk_spinner_stop (self->demo_spinner);
}

static void
on_demo_ready (DmStartPage *self, DmJob *job)
{
  show_demo_progress (self, FALSE);
  if (dm_job_get_state (job) == DM_JOB_SUCCEEDED)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.open-project-folder", "s",
                                (const char *)dm_job_get_data (job));
  else
    dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Prepare the Demo Project"),
                       dm_job_get_error (job));
}

void
dm_start_page_open_demo (DmStartPage *self)
{
  g_return_if_fail (DM_IS_START_PAGE (self));

  if (self->demo_job != NULL && dm_job_is_running (self->demo_job))
    return;
  dm_job_clear (&self->demo_job);
  self->demo_job = dm_job_new (
    demo_run, g_build_filename (g_get_user_data_dir (), "dinomaly-studio", "demo", NULL), g_free);
  g_signal_connect_swapped (self->demo_job, "finished", G_CALLBACK (on_demo_ready), self);
  show_demo_progress (self, TRUE);
  dm_job_start (self->demo_job);
}

gboolean
dm_start_page_is_preparing_demo (DmStartPage *self)
{
  return self->demo_job != NULL && dm_job_is_running (self->demo_job);
}

/* Shown again: a project may have gone meanwhile. */
static void
on_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (dm_start_page_parent_class)->map (widget);
  show_recent (DM_START_PAGE (widget));
}

static void
dm_start_page_dispose (GObject *object)
{
  DmStartPage *self = DM_START_PAGE (object);

  g_clear_object (&self->settings);
  dm_job_clear (&self->demo_job);
  gtk_widget_dispose_template (GTK_WIDGET (self), DM_TYPE_START_PAGE);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  G_OBJECT_CLASS (dm_start_page_parent_class)->dispose (object);
}

static void
dm_start_page_class_init (DmStartPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_start_page_dispose;
  widget_class->map = on_map;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-start-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DmStartPage, recent_group);
  gtk_widget_class_bind_template_child (widget_class, DmStartPage, demo_button);
  gtk_widget_class_bind_template_child (widget_class, DmStartPage, demo_progress);
  gtk_widget_class_bind_template_child (widget_class, DmStartPage, demo_spinner);
}

static void
dm_start_page_init (DmStartPage *self)
{
  self->rows = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (APP_ID);
  g_signal_connect_object (self->settings, "changed::recent-projects", G_CALLBACK (show_recent),
                           self, G_CONNECT_SWAPPED);
  show_recent (self);
}
