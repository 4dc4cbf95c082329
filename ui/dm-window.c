/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window of Dinomaly Studio. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-window-private.h"

G_DEFINE_FINAL_TYPE (DmWindow, dm_window, ADW_TYPE_APPLICATION_WINDOW)

DmWindow *
dm_window_new (AdwApplication *application)
{
  return g_object_new (DM_TYPE_WINDOW, "application", application, NULL);
}

static void
dm_window_restore_state (DmWindow *self)
{
  int width = g_settings_get_int (self->settings, "window-width");
  int height = g_settings_get_int (self->settings, "window-height");

  /* A corrupt or hand-edited value must not give a window of zero size. */
  if (width > 0 && height > 0)
    gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static void
dm_window_save_state (DmWindow *self)
{
  int width = 0, height = 0;

  /* GTK keeps the default size at the last unmaximized size, so saving it
   * together with the maximized flag restores both states correctly. */
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_delay (self->settings);
  if (width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  g_settings_apply (self->settings);
}

static gboolean
dm_window_close_request (GtkWindow *window)
{
  GtkWindowClass *parent_class = GTK_WINDOW_CLASS (dm_window_parent_class);

  if (dm_window_train_close_request (DM_WINDOW (window)))
    return TRUE;
  dm_window_save_state (DM_WINDOW (window));
  return parent_class->close_request != NULL ? parent_class->close_request (window) : FALSE;
}

static void
dm_window_dispose (GObject *object)
{
  DmWindow *self = DM_WINDOW (object);

  dm_window_close_project (self);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  g_clear_object (&self->demo_toast);
  g_clear_object (&self->dataset_cancellable);
  if (self->train_cancellable != NULL)
    g_cancellable_cancel (self->train_cancellable);
  if (self->metrics_cancellable != NULL)
    g_cancellable_cancel (self->metrics_cancellable);
  g_clear_object (&self->metrics_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), DM_TYPE_WINDOW);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (dm_window_parent_class)->dispose (object);
}

static void
dm_window_class_init (DmWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = dm_window_dispose;
  window_class->close_request = dm_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/dinomaly/Studio/dm-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DmWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, start_page);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, data_page);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, backbone_page);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, train_page);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, metrics_page);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, window_title);
  dm_window_class_init_project_actions (widget_class);
  dm_window_class_init_train_actions (widget_class);
  dm_window_class_init_report_actions (widget_class);
  dm_window_class_init_data_actions (widget_class);
  dm_window_class_init_review_actions (widget_class);
  dm_window_class_init_inspect_actions (widget_class);
}

static void
dm_window_init (DmWindow *self)
{
  g_type_ensure (DM_TYPE_START_PAGE);
  g_type_ensure (DM_TYPE_DATA_PAGE);
  g_type_ensure (DM_TYPE_BACKBONE_PAGE);
  g_type_ensure (DM_TYPE_TRAIN_PAGE);
  g_type_ensure (DM_TYPE_METRICS_PAGE);
  g_type_ensure (DM_TYPE_REVIEW_PAGE);
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (APP_ID);
  dm_window_restore_state (self);
  dm_window_update_recent (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel-training", FALSE);
  dm_window_init_report (self);
}
