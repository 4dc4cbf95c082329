/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The start page: what the app is, New / Open Project, recent projects
 * (GSettings "recent-projects", those still there). Rows activate
 * win.open-project-folder with the folder as parameter. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-project.h"
#include "dm-start-page.h"

struct _DmStartPage
{
  AdwBin parent_instance;

  AdwPreferencesGroup *recent_group;
  GPtrArray *rows; /* the rows added to recent_group */
  GSettings *settings;
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
