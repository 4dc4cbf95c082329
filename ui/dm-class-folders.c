/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The folders of a plain-folder class (dm-class-folders.h). */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-class-folders.h"

struct _DmClassFolders
{
  AdwWindow parent_instance;

  AdwPreferencesGroup *group;
  AdwEntryRow *test_row;
  AdwEntryRow *mask_row;
  GtkSpinButton *holdout_spin;

  char *class_name;
  GtkWindow *parent; /* weak: the window whose action Save activates */
  GtkNativeDialog *chooser;
};

G_DEFINE_FINAL_TYPE (DmClassFolders, dm_class_folders, ADW_TYPE_WINDOW)

static void
save_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmClassFolders *self = DM_CLASS_FOLDERS (widget);
  g_autofree char *test
    = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->test_row))));
  g_autofree char *mask
    = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->mask_row))));

  if (self->parent != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self->parent), "win.set-class-folders", "(sssd)",
                                self->class_name, test, mask,
                                gtk_spin_button_get_value (self->holdout_spin));
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_chosen (GtkNativeDialog *dialog, int response, gpointer data)
{
  DmClassFolders *self = DM_CLASS_FOLDERS (data);
  AdwEntryRow *row = g_object_get_data (G_OBJECT (dialog), "row");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        gtk_editable_set_text (GTK_EDITABLE (row), path);
    }
  gtk_native_dialog_destroy (dialog);
  if (self->chooser == dialog)
    g_clear_object (&self->chooser);
}

static void
choose_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmClassFolders *self = DM_CLASS_FOLDERS (widget);
  gboolean test = g_str_equal (g_variant_get_string (param, NULL), "test");

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  self->chooser = GTK_NATIVE_DIALOG (gtk_file_chooser_native_new (
    test ? _ ("Choose the Test Images") : _ ("Choose the Masks"), GTK_WINDOW (self),
    GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _ ("_Choose"), _ ("_Cancel")));
  gtk_native_dialog_set_modal (self->chooser, TRUE);
  g_object_set_data (G_OBJECT (self->chooser), "row", test ? self->test_row : self->mask_row);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chosen), self);
  gtk_native_dialog_show (self->chooser);
}

DmClassFolders *
dm_class_folders_new (GtkWindow *parent, const DmProjectClass *c)
{
  DmClassFolders *self = g_object_new (DM_TYPE_CLASS_FOLDERS, "transient-for", parent, NULL);
  /* TRANSLATORS: the class whose folders are set */
  g_autofree char *title = g_strdup_printf (_ ("The Folders of “%s”"), c->name);

  self->class_name = g_strdup (c->name);
  self->parent = parent;
  g_object_add_weak_pointer (G_OBJECT (parent), (gpointer *)&self->parent);
  adw_preferences_group_set_title (self->group, title);
  gtk_editable_set_text (GTK_EDITABLE (self->test_row),
                         c->test_source != NULL ? c->test_source : "");
  gtk_editable_set_text (GTK_EDITABLE (self->mask_row),
                         c->mask_source != NULL ? c->mask_source : "");
  gtk_spin_button_set_value (self->holdout_spin, c->holdout_fraction);
  return self;
}

void
dm_class_folders_set (DmClassFolders *self, const char *test, const char *mask, double holdout)
{
  gtk_editable_set_text (GTK_EDITABLE (self->test_row), test);
  gtk_editable_set_text (GTK_EDITABLE (self->mask_row), mask);
  gtk_spin_button_set_value (self->holdout_spin, holdout);
}

static void
dm_class_folders_dispose (GObject *object)
{
  DmClassFolders *self = DM_CLASS_FOLDERS (object);

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  if (self->parent != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->parent), (gpointer *)&self->parent);
  self->parent = NULL;
  g_clear_pointer (&self->class_name, g_free);
  G_OBJECT_CLASS (dm_class_folders_parent_class)->dispose (object);
}

static void
dm_class_folders_class_init (DmClassFoldersClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_class_folders_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-class-folders.ui");
  gtk_widget_class_bind_template_child (widget_class, DmClassFolders, group);
  gtk_widget_class_bind_template_child (widget_class, DmClassFolders, test_row);
  gtk_widget_class_bind_template_child (widget_class, DmClassFolders, mask_row);
  gtk_widget_class_bind_template_child (widget_class, DmClassFolders, holdout_spin);
  gtk_widget_class_install_action (widget_class, "folders.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "folders.choose", "s", choose_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
dm_class_folders_init (DmClassFolders *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
