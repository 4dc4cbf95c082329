/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmWindow's Review page: the project's scored results, loaded off the
 * main thread when a project opens and after training, and the labeling
 * actions (win.label-image, win.next-image, win.previous-image) that the
 * keys and the tests drive. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-window-private.h"

static void
results_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  DmProjectResults *results = dm_project_results_load (task_data, &error);

  if (results == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, dm_review_results_share (results),
                           (GDestroyNotify)dm_review_results_unref);
}

static void
on_results_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DmWindow *self = DM_WINDOW (source);
  g_autoptr (GError) error = NULL;
  DmProjectResults *results = g_task_propagate_pointer (G_TASK (result), &error);

  /* of a project closed or results reloaded since */
  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    {
      g_clear_pointer (&results, dm_review_results_unref);
      return;
    }
  g_clear_object (&self->results_cancellable);
  if (results == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    dm_window_toast (self, error->message);
  g_clear_pointer (&self->results, dm_review_results_unref);
  self->results = results;
  dm_review_page_show (self->review_page, self->project, self->results,
                       dm_data_page_get_thumbnail_loader (self->data_page));
}

void
dm_window_load_results (DmWindow *self)
{
  g_autoptr (GTask) task = NULL;

  if (self->results_cancellable != NULL)
    g_cancellable_cancel (self->results_cancellable);
  g_clear_object (&self->results_cancellable);
  if (self->project == NULL)
    return;
  self->results_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->results_cancellable, on_results_loaded, NULL);
  g_task_set_task_data (task, dm_project_subfolder (self->project, "results"), g_free);
  g_task_run_in_thread (task, results_thread);
}

void
dm_window_clear_results (DmWindow *self)
{
  if (self->results_cancellable != NULL)
    g_cancellable_cancel (self->results_cancellable);
  g_clear_object (&self->results_cancellable);
  /* the page saves a mask being painted while the project is still there */
  if (self->review_page != NULL)
    dm_review_page_show (self->review_page, NULL, NULL, NULL);
  g_clear_pointer (&self->results, dm_review_results_unref);
}

static void
on_project_changed (DmWindow *self)
{
  dm_window_save_project (self);
}

static void
on_problem (DmWindow *self, const char *message)
{
  dm_window_toast (self, message);
}

static void
label_image_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  const char *path, *label;
  DmUserLabel value = DM_USER_LABEL_NONE;

  g_variant_get (param, "(&s&s)", &path, &label);
  if (g_str_equal (label, "good"))
    value = DM_USER_LABEL_GOOD;
  else if (g_str_equal (label, "defect"))
    value = DM_USER_LABEL_DEFECT;
  else if (!g_str_equal (label, "none"))
    {
      g_warning ("win.label-image: unknown label “%s” (good, defect or none)", label);
      return;
    }
  if (!dm_review_page_label_image (self->review_page, path, value))
    g_debug ("win.label-image: %s is not a reviewed test image", path);
}

static void
next_image_action (GtkWidget *widget, const char *name, GVariant *param)
{
  dm_review_page_next (DM_WINDOW (widget)->review_page);
}

static void
previous_image_action (GtkWidget *widget, const char *name, GVariant *param)
{
  dm_review_page_previous (DM_WINDOW (widget)->review_page);
}

void
dm_window_class_init_review_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_bind_template_child (widget_class, DmWindow, review_page);
  gtk_widget_class_bind_template_callback (widget_class, on_project_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_problem);
  /* (path, "good" | "defect" | "none") */
  gtk_widget_class_install_action (widget_class, "win.label-image", "(ss)", label_image_action);
  gtk_widget_class_install_action (widget_class, "win.next-image", NULL, next_image_action);
  gtk_widget_class_install_action (widget_class, "win.previous-image", NULL, previous_image_action);
}
