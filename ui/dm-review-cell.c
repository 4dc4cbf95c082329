/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A cell of the Review page's grid (see dm-review-cell.h). */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-review-cell.h"

struct _DmReviewCell
{
  GtkWidget parent_instance;

  GtkWidget *box;
  GtkImage *thumbnail;
  GtkLabel *decision_badge;
  GtkLabel *label_badge;
  GtkLabel *score_label;
  GtkLabel *type_label;
  GtkLabel *name_label;

  DmReviewItem *item;
  GCancellable *cancellable; /* of the thumbnail being loaded */
  gulong decision_handler, label_handler;
};

G_DEFINE_FINAL_TYPE (DmReviewCell, dm_review_cell, GTK_TYPE_WIDGET)

const char *
dm_review_decision_text (DmDecision decision)
{
  switch (decision)
    {
    case DM_DECISION_PASS: return C_ ("decision", "Pass");
    case DM_DECISION_UNCERTAIN: return C_ ("decision", "Uncertain");
    case DM_DECISION_FAIL:
    default: return C_ ("decision", "Fail");
    }
}

const char *
dm_review_label_text (DmUserLabel label)
{
  switch (label)
    {
    case DM_USER_LABEL_GOOD: return C_ ("user label", "Marked Good");
    case DM_USER_LABEL_DEFECT: return C_ ("user label", "Marked Defect");
    case DM_USER_LABEL_NONE:
    default: return C_ ("user label", "Not Marked");
    }
}

static void
show_decision (DmReviewCell *self)
{
  static const char *const classes[] = { "pass", "uncertain", "fail" };
  DmDecision d = dm_review_item_get_decision (self->item);

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (self->decision_badge), classes[i]);
  gtk_widget_add_css_class (GTK_WIDGET (self->decision_badge), classes[d]);
  gtk_label_set_label (self->decision_badge, dm_review_decision_text (d));
}

static void
show_label (DmReviewCell *self)
{
  DmUserLabel label = dm_review_item_get_user_label (self->item);
  GtkWidget *badge = GTK_WIDGET (self->label_badge);

  gtk_widget_set_visible (badge, label != DM_USER_LABEL_NONE);
  gtk_widget_remove_css_class (badge, "good");
  gtk_widget_remove_css_class (badge, "defect");
  if (label == DM_USER_LABEL_NONE)
    return;
  gtk_widget_add_css_class (badge, label == DM_USER_LABEL_GOOD ? "good" : "defect");
  /* short on the thumbnail; the large view spells it out */
  gtk_label_set_label (self->label_badge, label == DM_USER_LABEL_GOOD
                                            ? C_ ("user label", "Good")
                                            : C_ ("user label", "Defect"));
}

static void
on_thumbnail (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GtkImage) image = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture
    = dm_thumbnail_loader_load_finish (DM_THUMBNAIL_LOADER (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (texture != NULL)
    gtk_image_set_from_paintable (image, GDK_PAINTABLE (texture));
  else
    {
      gtk_image_set_from_icon_name (image, "image-missing-symbolic");
      gtk_widget_set_tooltip_text (GTK_WIDGET (image), error->message);
    }
}

void
dm_review_cell_set_item (DmReviewCell *self, DmReviewItem *item, DmThumbnailLoader *loader)
{
  g_return_if_fail (DM_IS_REVIEW_CELL (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->item != NULL)
    {
      g_clear_signal_handler (&self->decision_handler, self->item);
      g_clear_signal_handler (&self->label_handler, self->item);
    }
  g_set_object (&self->item, item);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->thumbnail), NULL);
  if (item == NULL)
    {
      gtk_image_set_from_icon_name (self->thumbnail, "image-x-generic-symbolic");
      return;
    }

  {
    g_autofree char *score = g_strdup_printf ("%.4f", dm_review_item_get_score (item));
    gtk_label_set_label (self->score_label, score);
  }
  gtk_label_set_label (self->name_label, dm_review_item_get_name (item));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), dm_review_item_get_path (item));
  gtk_label_set_label (self->type_label, dm_review_item_get_defect_type (item));
  self->decision_handler
    = g_signal_connect_swapped (item, "notify::decision", G_CALLBACK (show_decision), self);
  self->label_handler
    = g_signal_connect_swapped (item, "notify::user-label", G_CALLBACK (show_label), self);
  show_decision (self);
  show_label (self);

  if (loader != NULL)
    {
      const char *path = dm_review_item_get_path (item);
      g_autoptr (GdkTexture) cached
        = dm_thumbnail_loader_lookup (loader, path, DM_REVIEW_CELL_THUMBNAIL_SIZE);

      /* a cached thumbnail shows at once: scrolling back does not blink */
      if (cached != NULL)
        {
          gtk_image_set_from_paintable (self->thumbnail, GDK_PAINTABLE (cached));
          return;
        }
      gtk_image_set_from_icon_name (self->thumbnail, "image-x-generic-symbolic");
      self->cancellable = g_cancellable_new ();
      dm_thumbnail_loader_load_async (loader, path, DM_REVIEW_CELL_THUMBNAIL_SIZE,
                                      self->cancellable, on_thumbnail,
                                      g_object_ref (self->thumbnail));
    }
}

DmReviewItem *
dm_review_cell_get_item (DmReviewCell *self)
{
  return self->item;
}

GtkWidget *
dm_review_cell_new (void)
{
  return g_object_new (DM_TYPE_REVIEW_CELL, NULL);
}

static void
dm_review_cell_dispose (GObject *object)
{
  DmReviewCell *self = DM_REVIEW_CELL (object);

  dm_review_cell_set_item (self, NULL, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), DM_TYPE_REVIEW_CELL);
  G_OBJECT_CLASS (dm_review_cell_parent_class)->dispose (object);
}

static void
dm_review_cell_class_init (DmReviewCellClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_review_cell_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-review-cell.ui");
  gtk_widget_class_bind_template_child (widget_class, DmReviewCell, box);
  gtk_widget_class_bind_template_child (widget_class, DmReviewCell, thumbnail);
  gtk_widget_class_bind_template_child (widget_class, DmReviewCell, decision_badge);
  gtk_widget_class_bind_template_child (widget_class, DmReviewCell, label_badge);
  gtk_widget_class_bind_template_child (widget_class, DmReviewCell, score_label);
  gtk_widget_class_bind_template_child (widget_class, DmReviewCell, type_label);
  gtk_widget_class_bind_template_child (widget_class, DmReviewCell, name_label);
}

static void
dm_review_cell_init (DmReviewCell *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
