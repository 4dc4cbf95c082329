/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One class on the Data page: name, source, counts, thumbnails, rename, remove. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-class-row.h"

#define THUMBNAIL_SIZE 128 /* decoded; shown at THUMBNAIL_SHOWN logical pixels */
#define THUMBNAIL_SHOWN 60

struct _DmClassRow
{
  AdwPreferencesRow parent_instance;

  GtkStack *name_stack;
  GtkLabel *name_label;
  GtkEntry *name_entry;
  GtkLabel *source_label;
  GtkLabel *counts_label;
  GtkButton *folders_button;
  GtkButton *rename_button;
  GtkButton *remove_button;
  GtkScrolledWindow *strip_scroller;
  GtkBox *strip;

  char *name;
  char *source_line;
  GCancellable *thumbnails_cancellable;
  guint n_shown;
};

G_DEFINE_FINAL_TYPE (DmClassRow, dm_class_row, ADW_TYPE_PREFERENCES_ROW)

static const char *
layout_title (const char *layout)
{
  if (g_strcmp0 (layout, "mvtec") == 0)
    return _ ("MVTec AD layout");
  if (g_strcmp0 (layout, "visa") == 0)
    return _ ("VisA split file");
  if (g_strcmp0 (layout, "btad") == 0)
    return _ ("BTAD layout");
  if (g_strcmp0 (layout, "mvtec-ad2") == 0)
    return _ ("MVTec AD 2 layout");
  if (g_strcmp0 (layout, "mvtec-loco") == 0)
    return _ ("MVTec LOCO AD layout");
  if (g_strcmp0 (layout, "realiad") == 0)
    return _ ("Real-IAD split file");
  return _ ("Folder of normal images");
}

GtkWidget *
dm_class_row_new (const DmProjectClass *c)
{
  DmClassRow *self = g_object_new (DM_TYPE_CLASS_ROW, NULL);
  g_autofree char *source = g_filename_display_name (c->source != NULL ? c->source : "");
  g_autofree char *rename = g_strdup_printf (_ ("Rename the class “%s”"), c->name);
  g_autofree char *remove = g_strdup_printf (_ ("Remove the class “%s”"), c->name);

  self->name = g_strdup (c->name);
  self->source_line = g_strdup_printf ("%s · %s", layout_title (c->layout), source);
  /* the row's title is what AdwPreferencesGroup and assistive technologies
   * name it by; the visible name is the editable label */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), c->name);
  gtk_label_set_text (self->name_label, c->name);
  gtk_label_set_text (self->source_label, self->source_line);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->source_label), source);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->rename_button), rename);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->rename_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, rename, -1);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->remove_button), remove);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->remove_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, remove, -1);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->remove_button),
                                          g_variant_new_string (c->name));
  /* a class of plain folders: its test images, masks and hold-out are set here */
  if (g_strcmp0 (c->layout, "folders") == 0)
    {
      g_autofree char *folders
        = g_strdup_printf (_ ("Test images, masks and hold-out of “%s”"), c->name);

      gtk_widget_set_visible (GTK_WIDGET (self->folders_button), TRUE);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->folders_button), folders);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->folders_button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, folders, -1);
      gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->folders_button),
                                              g_variant_new_string (c->name));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->folders_button),
                                      "win.edit-class-folders");
    }
  return GTK_WIDGET (self);
}

const char *
dm_class_row_get_name (DmClassRow *self)
{
  return self->name;
}

const char *
dm_class_row_get_source_line (DmClassRow *self)
{
  return self->source_line;
}

void
dm_class_row_set_counts (DmClassRow *self, const char *text)
{
  gtk_label_set_text (self->counts_label, text);
}

void
dm_class_row_start_rename (DmClassRow *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->name_entry), self->name);
  gtk_stack_set_visible_child_name (self->name_stack, "entry");
  gtk_widget_grab_focus (GTK_WIDGET (self->name_entry));
  gtk_editable_select_region (GTK_EDITABLE (self->name_entry), 0, -1);
}

gboolean
dm_class_row_is_renaming (DmClassRow *self)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->name_stack), "entry") == 0;
}

static void
stop_editing (DmClassRow *self)
{
  if (!dm_class_row_is_renaming (self))
    return;
  /* focus to the rename button first, so it does not fall to the window */
  gtk_widget_grab_focus (GTK_WIDGET (self->rename_button));
  gtk_stack_set_visible_child_name (self->name_stack, "label");
}

typedef struct
{
  DmClassRow *row;
  char *new_name;
} Rename;

/* Run from an idle: the window rebuilds the rows after a rename, which
 * must not happen inside the entry's own signal. */
static gboolean
rename_later (gpointer data)
{
  Rename *r = data;

  if (gtk_widget_get_root (GTK_WIDGET (r->row)) != NULL)
    gtk_widget_activate_action (GTK_WIDGET (r->row), "win.rename-class", "(ss)", r->row->name,
                                r->new_name);
  g_object_unref (r->row);
  g_free (r->new_name);
  g_free (r);
  return G_SOURCE_REMOVE;
}

/* Enter renames; the window checks the name (unique, not empty) and says
 * why when it refuses. */
static void
on_name_entry_activate (DmClassRow *self)
{
  g_autofree char *text
    = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_entry))));
  Rename *r;

  stop_editing (self);
  if (text[0] == '\0' || g_strcmp0 (text, self->name) == 0)
    return;
  r = g_new0 (Rename, 1);
  r->row = g_object_ref (self);
  r->new_name = g_steal_pointer (&text);
  g_idle_add (rename_later, r);
}

static gboolean
on_name_entry_key (DmClassRow *self, guint keyval, guint keycode, GdkModifierType state)
{
  if (keyval != GDK_KEY_Escape)
    return FALSE;
  stop_editing (self);
  return TRUE;
}

/* Clicking elsewhere cancels, as Escape does. */
static void
on_name_entry_leave (DmClassRow *self)
{
  if (dm_class_row_is_renaming (self))
    gtk_stack_set_visible_child_name (self->name_stack, "label");
}

/* ---- thumbnails ---- */

static void
on_thumbnail (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GtkWidget) picture = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture
    = dm_thumbnail_loader_load_finish (DM_THUMBNAIL_LOADER (source), result, &error);
  DmClassRow *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = DM_CLASS_ROW (gtk_widget_get_ancestor (picture, DM_TYPE_CLASS_ROW));
  if (texture != NULL)
    gtk_image_set_from_paintable (GTK_IMAGE (picture), GDK_PAINTABLE (texture));
  else
    {
      gtk_widget_set_tooltip_text (picture, error->message);
      gtk_widget_add_css_class (picture, "error");
    }
  if (self != NULL)
    self->n_shown++;
}

void
dm_class_row_set_images (DmClassRow *self,
                         DmThumbnailLoader *loader,
                         const char *const *paths,
                         guint n)
{
  GtkWidget *child;

  if (self->thumbnails_cancellable != NULL)
    g_cancellable_cancel (self->thumbnails_cancellable);
  g_clear_object (&self->thumbnails_cancellable);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->strip))) != NULL)
    gtk_box_remove (self->strip, child);
  self->n_shown = 0;
  gtk_widget_set_visible (GTK_WIDGET (self->strip_scroller), n > 0);
  if (n == 0)
    return;
  self->thumbnails_cancellable = g_cancellable_new ();
  for (guint i = 0; i < n; i++)
    {
      /* a GtkImage, not a GtkPicture: it keeps one square size whatever
       * the image's shape, so the strip lines up */
      GtkWidget *picture = gtk_image_new ();
      g_autofree char *base = g_path_get_basename (paths[i]);
      g_autofree char *name = g_filename_display_name (base);

      gtk_image_set_pixel_size (GTK_IMAGE (picture), THUMBNAIL_SHOWN);
      gtk_accessible_update_property (GTK_ACCESSIBLE (picture), GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                      -1);
      gtk_widget_set_tooltip_text (picture, name);
      gtk_widget_add_css_class (picture, "thumbnail");
      gtk_box_append (self->strip, picture);
      dm_thumbnail_loader_load_async (loader, paths[i], THUMBNAIL_SIZE,
                                      self->thumbnails_cancellable, on_thumbnail,
                                      g_object_ref (picture));
    }
}

guint
dm_class_row_get_n_thumbnails_shown (DmClassRow *self)
{
  return self->n_shown;
}

static void
dm_class_row_dispose (GObject *object)
{
  DmClassRow *self = DM_CLASS_ROW (object);

  if (self->thumbnails_cancellable != NULL)
    g_cancellable_cancel (self->thumbnails_cancellable);
  g_clear_object (&self->thumbnails_cancellable);
  G_OBJECT_CLASS (dm_class_row_parent_class)->dispose (object);
}

static void
dm_class_row_finalize (GObject *object)
{
  DmClassRow *self = DM_CLASS_ROW (object);

  g_free (self->name);
  g_free (self->source_line);
  G_OBJECT_CLASS (dm_class_row_parent_class)->finalize (object);
}

static void
dm_class_row_class_init (DmClassRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_class_row_dispose;
  object_class->finalize = dm_class_row_finalize;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-class-row.ui");
  gtk_widget_class_bind_template_child (widget_class, DmClassRow, name_stack);
  gtk_widget_class_bind_template_child (widget_class, DmClassRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, DmClassRow, name_entry);
  gtk_widget_class_bind_template_child (widget_class, DmClassRow, source_label);
  gtk_widget_class_bind_template_child (widget_class, DmClassRow, counts_label);
  gtk_widget_class_bind_template_child (widget_class, DmClassRow, folders_button);
  gtk_widget_class_bind_template_child (widget_class, DmClassRow, rename_button);
  gtk_widget_class_bind_template_child (widget_class, DmClassRow, remove_button);
  gtk_widget_class_bind_template_child (widget_class, DmClassRow, strip_scroller);
  gtk_widget_class_bind_template_child (widget_class, DmClassRow, strip);
  gtk_widget_class_bind_template_callback (widget_class, on_name_entry_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_name_entry_key);
  gtk_widget_class_bind_template_callback (widget_class, on_name_entry_leave);
  gtk_widget_class_bind_template_callback (widget_class, dm_class_row_start_rename);
}

static void
dm_class_row_init (DmClassRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
