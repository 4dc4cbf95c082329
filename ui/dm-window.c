/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window of Dinomaly Studio. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-window.h"

struct _DmWindow
{
  AdwApplicationWindow parent_instance;

  AdwToastOverlay *toast_overlay;
  AdwStatusPage *start_page;
};

G_DEFINE_FINAL_TYPE (DmWindow, dm_window, ADW_TYPE_APPLICATION_WINDOW)

DmWindow *
dm_window_new (DmApplication *application)
{
  return g_object_new (DM_TYPE_WINDOW, "application", application, NULL);
}

static void
dm_window_class_init (DmWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/dinomaly/Studio/dm-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DmWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, DmWindow, start_page);
}

static void
dm_window_init (DmWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
