/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Backbone page: the DINOv2 file, what it is, or random weights. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-backbone-check.h"
#include "dm-backbone-page.h"

struct _DmBackbonePage
{
  AdwBin parent_instance;

  AdwActionRow *file_row;
  AdwActionRow *found_row;
  GtkImage *found_icon;
  GtkSpinner *spinner;
  AdwActionRow *random_row;
  GtkSwitch *random_switch;

  DmProject *project;        /* borrowed */
  GCancellable *cancellable; /* of the running check */
  gboolean updating;         /* set while the switch is set from the project */
};

G_DEFINE_FINAL_TYPE (DmBackbonePage, dm_backbone_page, ADW_TYPE_BIN)

static void
set_found (
  DmBackbonePage *self, const char *title, const char *subtitle, const char *icon, gboolean error)
{
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->found_row), title);
  adw_action_row_set_subtitle (self->found_row, subtitle != NULL ? subtitle : "");
  gtk_image_set_from_icon_name (self->found_icon, icon);
  gtk_widget_set_visible (GTK_WIDGET (self->found_icon), icon != NULL);
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (self->found_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->found_row), "error");
}

static void
check_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DmBackboneCheck *check = g_new0 (DmBackboneCheck, 1);
  GError *error = NULL;

  if (dm_backbone_check (task_data, check, &error))
    g_task_return_pointer (task, check, NULL);
  else
    {
      g_free (check);
      g_task_return_error (task, error);
    }
}

static void
on_check_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DmBackbonePage *self = DM_BACKBONE_PAGE (source);
  g_autoptr (GError) error = NULL;
  DmBackboneCheck *check = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);
  gtk_spinner_stop (self->spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
  if (check == NULL)
    {
      set_found (self, _ ("This file cannot be used"), error->message, "dialog-error-symbolic",
                 TRUE);
      return;
    }
  {
    const DmVitConfig *c = &check->probe.config;
    g_autofree char *arch = dm_backbone_arch_name (c);
    g_autofree char *size = g_format_size (check->file_size);
    g_autofree char *title
      = g_strdup_printf (_ ("%s with %d registers, %d blocks"), arch, c->n_registers, c->depth);
    g_autofree char *subtitle = g_strdup_printf (
      _ ("%.1f million parameters · %s · %s names · SHA-256 %.12s…"), check->probe.n_params / 1e6,
      size, dm_vit_scheme_name (check->probe.scheme), check->sha256);

    set_found (self, title, subtitle, "emblem-ok-symbolic", FALSE);
    /* remember the checksum: the model file records which backbone it used */
    if (self->project != NULL && g_strcmp0 (self->project->backbone_path, check->path) == 0
        && g_strcmp0 (self->project->backbone_sha256, check->sha256) != 0)
      {
        g_autoptr (GError) save_error = NULL;

        g_free (self->project->backbone_sha256);
        self->project->backbone_sha256 = g_strdup (check->sha256);
        if (!dm_project_save (self->project, &save_error))
          g_warning ("%s", save_error->message);
      }
  }
  dm_backbone_check_clear (check);
  g_free (check);
}

static void
start_check (DmBackbonePage *self, const char *path)
{
  g_autoptr (GTask) task = NULL;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, on_check_done, NULL);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_set_return_on_cancel (task, TRUE);
  set_found (self, _ ("Checking the file…"), NULL, NULL, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), TRUE);
  gtk_spinner_start (self->spinner);
  g_task_run_in_thread (task, check_thread);
}

void
dm_backbone_page_show_project (DmBackbonePage *self, DmProject *project)
{
  gboolean random;
  const char *path;

  self->project = project;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_spinner_stop (self->spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);

  random = project != NULL && g_strcmp0 (project->backbone_kind, "random") == 0;
  path = project != NULL && g_strcmp0 (project->backbone_kind, "file") == 0 ? project->backbone_path
                                                                            : NULL;
  self->updating = TRUE;
  gtk_switch_set_active (self->random_switch, random);
  self->updating = FALSE;

  if (path != NULL)
    {
      g_autofree char *display = g_filename_display_name (path);
      adw_action_row_set_subtitle (self->file_row, display);
    }
  else
    adw_action_row_set_subtitle (self->file_row, _ ("None chosen"));

  if (random)
    set_found (self, _ ("Random weights, for trying only"),
               _ ("Scores and heatmaps mean little: this backbone has learnt nothing. Use it to "
                  "try the workflow, not to inspect parts."),
               "dialog-warning-symbolic", FALSE);
  else if (path != NULL)
    start_check (self, path);
  else
    set_found (self, _ ("No backbone yet"),
               _ ("Dinomaly builds on a DINOv2 vision transformer with registers. Download "
                  "dinov2_vits14_reg4 or dinov2_vitb14_reg4 as a .safetensors file from a model "
                  "hub (the HuggingFace, timm and original names are all read) and choose it "
                  "here, or switch on random weights to try the workflow."),
               NULL, FALSE);
}

gboolean
dm_backbone_page_is_checking (DmBackbonePage *self)
{
  return self->cancellable != NULL;
}

static void
on_random_switched (DmBackbonePage *self)
{
  gboolean active = gtk_switch_get_active (self->random_switch);

  if (self->updating)
    return;
  gtk_widget_activate_action (GTK_WIDGET (self), "win.use-random-backbone", "b", active);
}

static void
dm_backbone_page_dispose (GObject *object)
{
  DmBackbonePage *self = DM_BACKBONE_PAGE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (dm_backbone_page_parent_class)->dispose (object);
}

static void
dm_backbone_page_class_init (DmBackbonePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_backbone_page_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-backbone-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DmBackbonePage, file_row);
  gtk_widget_class_bind_template_child (widget_class, DmBackbonePage, found_row);
  gtk_widget_class_bind_template_child (widget_class, DmBackbonePage, found_icon);
  gtk_widget_class_bind_template_child (widget_class, DmBackbonePage, spinner);
  gtk_widget_class_bind_template_child (widget_class, DmBackbonePage, random_row);
  gtk_widget_class_bind_template_child (widget_class, DmBackbonePage, random_switch);
  gtk_widget_class_bind_template_callback (widget_class, on_random_switched);
}

static void
dm_backbone_page_init (DmBackbonePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  dm_backbone_page_show_project (self, NULL);
}
