/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Inspect page (dm-inspect-page.h): the grid of results with their
 * badges, the large view, the class, dropping; the jobs are in
 * dm-inspect-page-jobs.c. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dm-error.h"
#include "dm-heatmap-view.h"
#include "dm-image.h"
#include "dm-inspect-page-private.h"
#include "dm-project-results.h"
#include "dm-project-train.h"
#include "dm-thumbnail-loader.h"

#define THUMB_SIZE 128

/* ---- the page ---- */

G_DEFINE_FINAL_TYPE (DmInspectPage, dm_inspect_page, ADW_TYPE_BIN)

static void show_selected (DmInspectPage *self);

/* ---- what the page shows ---- */

static const char *
decision_label (DmDecision d)
{
  return d == DM_DECISION_PASS        ? _ ("Pass")
         : d == DM_DECISION_UNCERTAIN ? _ ("Uncertain")
                                      : _ ("Fail");
}

static const char *
decision_class (DmDecision d)
{
  return d == DM_DECISION_PASS ? "success" : d == DM_DECISION_UNCERTAIN ? "warning" : "error";
}

static void
set_badge (GtkLabel *badge, DmInspectEntry *e, const InspectClass *k)
{
  static const char *const classes[] = { "success", "warning", "error" };

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (badge), classes[i]);
  if (e->error != NULL)
    {
      gtk_label_set_text (badge, _ ("Not Read"));
      gtk_widget_add_css_class (GTK_WIDGET (badge), "error");
    }
  else if (k != NULL)
    {
      DmDecision d = dm_decide (&k->thresholds, e->score);

      gtk_label_set_text (badge, decision_label (d));
      gtk_widget_add_css_class (GTK_WIDGET (badge), decision_class (d));
    }
  else
    gtk_label_set_text (badge, "");
}

void
dm_inspect_page_set_busy (DmInspectPage *self)
{
  gboolean running = self->run != NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), running);
  gtk_widget_set_visible (self->cancel_button, running);
  gtk_widget_set_sensitive (self->export_button, !running && !self->exporting && n > 0);
  gtk_widget_set_sensitive (self->clear_button, !running && !self->exporting && n > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->class_dropdown), !self->exporting);
}

/* The summary line once nothing runs. */
void
dm_inspect_page_update_status (DmInspectPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  guint counts[3] = { 0 };
  InspectClass *k = dm_inspect_page_current_class (self);
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (DmInspectEntry) e = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (e->error == NULL && k != NULL)
        counts[dm_decide (&k->thresholds, e->score)]++;
    }
  if (n > 0)
    {
      g_string_append_printf (text, ngettext ("%u image: ", "%u images: ", n), n);
      g_string_append_printf (text, _ ("%u pass, %u fail"), counts[DM_DECISION_PASS],
                              counts[DM_DECISION_FAIL]);
      if (counts[DM_DECISION_UNCERTAIN] > 0)
        g_string_append_printf (text, _ (", %u uncertain"), counts[DM_DECISION_UNCERTAIN]);
      if (self->n_failed > 0)
        g_string_append_printf (text, _ (", %u not read"), self->n_failed);
    }
  if (self->notes->len > 0)
    {
      g_autoptr (GString) tip = g_string_new (NULL);

      for (guint i = 0; i < self->notes->len; i++)
        g_string_append_printf (tip, "%s%s", i > 0 ? "\n" : "", (char *)self->notes->pdata[i]);
      g_string_append_printf (
        text, ngettext (" (%u file left out)", " (%u files left out)", self->notes->len),
        self->notes->len);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label), tip->str);
    }
  else
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label), NULL);
  gtk_label_set_text (self->status_label, text->str);
  g_string_free (text, TRUE);
}

static void
on_thumbnail (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DmInspectEntry) e = user_data;
  g_autoptr (GdkTexture) texture
    = dm_thumbnail_loader_load_finish (DM_THUMBNAIL_LOADER (source), result, NULL);

  if (texture == NULL || e->thumbnail != NULL)
    return;
  e->thumbnail = g_steal_pointer (&texture);
  g_signal_emit_by_name (e, "thumbnail-ready");
}

static void
on_entry_thumbnail_ready (DmInspectEntry *e, GtkPicture *picture)
{
  gtk_picture_set_paintable (picture, GDK_PAINTABLE (e->thumbnail));
}

static void
setup_cell (GtkSignalListItemFactory *factory, GtkListItem *item, DmInspectPage *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *picture = gtk_picture_new ();
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *score = gtk_label_new (NULL);
  GtkWidget *badge = gtk_label_new (NULL);

  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_size_request (picture, THUMB_SIZE, THUMB_SIZE);
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_widget_add_css_class (picture, "thumbnail");
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (name), 16);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_xalign (GTK_LABEL (score), 0);
  gtk_widget_set_hexpand (score, TRUE);
  gtk_widget_add_css_class (score, "dim-label");
  gtk_widget_add_css_class (score, "numeric");
  gtk_widget_add_css_class (badge, "caption-heading");
  gtk_box_append (GTK_BOX (row), score);
  gtk_box_append (GTK_BOX (row), badge);
  gtk_box_append (GTK_BOX (box), picture);
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), row);
  g_object_set_data (G_OBJECT (box), "picture", picture);
  g_object_set_data (G_OBJECT (box), "name", name);
  g_object_set_data (G_OBJECT (box), "score", score);
  g_object_set_data (G_OBJECT (box), "badge", badge);
  gtk_list_item_set_child (item, box);
}

static void
bind_cell (GtkSignalListItemFactory *factory, GtkListItem *item, DmInspectPage *self)
{
  GtkWidget *box = gtk_list_item_get_child (item);
  DmInspectEntry *e = gtk_list_item_get_item (item);
  GtkPicture *picture = g_object_get_data (G_OBJECT (box), "picture");
  char text[64];

  gtk_label_set_text (g_object_get_data (G_OBJECT (box), "name"), e->name);
  if (e->error == NULL)
    g_snprintf (text, sizeof text, "%.4f", e->score);
  else
    g_strlcpy (text, "—", sizeof text);
  gtk_label_set_text (g_object_get_data (G_OBJECT (box), "score"), text);
  set_badge (g_object_get_data (G_OBJECT (box), "badge"), e, dm_inspect_page_current_class (self));
  gtk_widget_set_tooltip_text (box, e->error != NULL ? e->error : e->path);
  gtk_picture_set_paintable (picture, GDK_PAINTABLE (e->thumbnail));
  g_signal_connect_object (e, "thumbnail-ready", G_CALLBACK (on_entry_thumbnail_ready), picture, 0);
  if (e->thumbnail == NULL && e->error == NULL)
    dm_thumbnail_loader_load_async (self->loader, e->path, THUMB_SIZE, NULL, on_thumbnail,
                                    g_object_ref (e));
}

static void
unbind_cell (GtkSignalListItemFactory *factory, GtkListItem *item, DmInspectPage *self)
{
  GtkWidget *box = gtk_list_item_get_child (item);
  DmInspectEntry *e = gtk_list_item_get_item (item);

  g_signal_handlers_disconnect_by_func (e, on_entry_thumbnail_ready,
                                        g_object_get_data (G_OBJECT (box), "picture"));
}

/* ---- the large view ---- */

static void
decode_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  DmImage *image = dm_image_load (task_data, 0, &error);

  if (image == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, image, (GDestroyNotify)dm_image_free);
}

static void
show_map (DmInspectPage *self, DmInspectEntry *e)
{
  InspectClass *k = dm_inspect_page_current_class (self);
  double pixel = k != NULL ? k->thresholds.pixel : NAN;
  DmOverlayStyle style;

  /* the class's colours: new parts look as calm as its good test parts */
  dm_inspect_overlay_style (&style, pixel, k != NULL ? k->map_low : NAN,
                            k != NULL ? k->map_high : NAN);
  dm_heatmap_view_set_map (self->view, e->map, DM_INSPECT_MAP_SIZE, e->resize, e->crop);
  dm_heatmap_view_set_range (self->view, style.low, style.high);
  dm_heatmap_view_set_pixel_threshold (self->view, pixel);
}

static void
on_decoded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (DmInspectEntry) e = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) image = g_task_propagate_pointer (G_TASK (result), &error);
  DmInspectPage *self;

  /* another image was selected meanwhile, or the page is gone */
  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    return;
  self = g_task_get_source_object (G_TASK (result));
  if (self->store == NULL)
    return;
  if (image == NULL)
    {
      gtk_label_set_text (self->detail_subtitle, error->message);
      self->view_ready = TRUE;
      return;
    }
  dm_heatmap_view_set_dm_image (self->view, image);
  show_map (self, e);
  self->view_ready = TRUE;
}

static void
show_selected (DmInspectPage *self)
{
  DmInspectEntry *e = gtk_single_selection_get_selected_item (self->selection);
  InspectClass *k = dm_inspect_page_current_class (self);
  g_autoptr (GTask) task = NULL;

  g_cancellable_cancel (self->view_cancellable);
  g_clear_object (&self->view_cancellable);
  g_set_object (&self->shown, e);
  self->view_ready = FALSE;
  if (e == NULL)
    {
      dm_heatmap_view_set_image (self->view, NULL, 0, 0);
      gtk_label_set_text (self->detail_title, "");
      gtk_label_set_text (self->detail_badge, "");
      gtk_label_set_text (self->detail_subtitle, "");
      return;
    }
  gtk_label_set_text (self->detail_title, e->name);
  set_badge (self->detail_badge, e, k);
  if (e->error != NULL)
    {
      dm_heatmap_view_set_image (self->view, NULL, 0, 0);
      gtk_label_set_text (self->detail_subtitle, e->error);
      self->view_ready = TRUE;
      return;
    }
  {
    g_autofree char *text = NULL;
    double fail_at = NAN;

    if (k != NULL)
      fail_at = isfinite (k->thresholds.uncertain_high) ? k->thresholds.uncertain_high
                                                        : k->thresholds.image;
    if (isfinite (fail_at))
      text = g_strdup_printf (_ ("Score %.4f; parts of class “%s” fail at %.4f. %d × %d pixels."),
                              e->score, k->name, fail_at, e->width, e->height);
    else
      text = g_strdup_printf (_ ("Score %.4f; no image threshold is set. %d × %d pixels."),
                              e->score, e->width, e->height);
    gtk_label_set_text (self->detail_subtitle, text);
  }
  self->view_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->view_cancellable, on_decoded, g_object_ref (e));
  g_task_set_task_data (task, g_strdup (e->path), g_free);
  g_task_run_in_thread (task, decode_thread);
}

/* Results arriving do not change the selected one: decoded once. */
static void
on_selection_changed (GtkSelectionModel *model, guint position, guint n, DmInspectPage *self)
{
  if (gtk_single_selection_get_selected_item (self->selection) != (gpointer)self->shown)
    show_selected (self);
}

static void
on_items_changed (
  GListModel *model, guint position, guint removed, guint added, DmInspectPage *self)
{
  on_selection_changed (NULL, 0, 0, self);
}

/* ---- class, drop, map ---- */

static void
on_class_selected (GtkDropDown *dropdown, GParamSpec *pspec, DmInspectPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (selected == GTK_INVALID_LIST_POSITION || selected == self->class_index)
    return;
  self->class_index = selected;
  /* badges follow the class's thresholds: every cell binds again */
  g_list_model_items_changed (G_LIST_MODEL (self->store), 0, n, n);
  show_selected (self);
  if (self->run == NULL)
    dm_inspect_page_update_status (self);
}

/* While files are dragged over the page, its edge says where they go. */
static void
on_current_drop (GtkDropTarget *target, GParamSpec *pspec, DmInspectPage *self)
{
  if (gtk_drop_target_get_current_drop (target) != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self), "dropping");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "dropping");
}

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, DmInspectPage *self)
{
  GSList *files = g_value_get_boxed (value);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) paths = NULL;

  for (GSList *l = files; l != NULL; l = l->next)
    {
      g_autofree char *path = g_file_get_path (l->data);

      if (path != NULL)
        g_strv_builder_add (builder, path);
    }
  paths = g_strv_builder_end (builder);
  if (paths[0] == NULL || self->model_path == NULL)
    return FALSE;
  return gtk_widget_activate_action (GTK_WIDGET (self), "win.inspect-paths", "^as", paths);
}

static void
on_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (dm_inspect_page_parent_class)->map (widget);
  /* the project may have changed (a model trained, thresholds moved) */
  gtk_widget_activate_action (widget, "win.inspect-refresh", NULL);
}

/* ---- public ---- */

void
dm_inspect_class_clear (gpointer data)
{
  g_free (((InspectClass *)data)->name);
}

void
dm_inspect_page_show_project (DmInspectPage *self, const DmProject *project)
{
  g_autofree char *model = NULL;
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr (GArray) old = g_steal_pointer (&self->classes);
  g_autofree char *old_class = NULL;
  guint keep = 0;

  g_return_if_fail (DM_IS_INSPECT_PAGE (self));
  if (old != NULL && self->class_index < old->len)
    old_class = g_strdup (g_array_index (old, InspectClass, self->class_index).name);
  if (project == NULL || g_strcmp0 (project->folder, self->folder) != 0)
    {
      dm_inspect_page_clear (self);
      g_clear_pointer (&old_class, g_free);
    }
  g_clear_pointer (&self->folder, g_free);
  g_clear_pointer (&self->model_path, g_free);
  g_clear_pointer (&self->backbone_path, g_free);
  self->classes = g_array_new (FALSE, TRUE, sizeof (InspectClass));
  g_array_set_clear_func (self->classes, dm_inspect_class_clear);
  if (project != NULL)
    {
      self->folder = g_strdup (project->folder);
      if (project->model != NULL)
        model = g_build_filename (project->folder, project->model, NULL);
      if (model != NULL && g_file_test (model, G_FILE_TEST_IS_REGULAR))
        self->model_path = g_steal_pointer (&model);
      self->backbone_path = g_strdup (project->backbone_path);
      for (guint i = 0; i < project->classes->len; i++)
        {
          const DmProjectClass *pc = project->classes->pdata[i];
          InspectClass k = { g_strdup (pc->name), { 0 }, NAN, NAN };

          dm_thresholds_init (&k.thresholds);
          k.thresholds.image = pc->image_threshold;
          k.thresholds.pixel = pc->pixel_threshold;
          k.thresholds.uncertain_low = pc->uncertain_low;
          k.thresholds.uncertain_high = pc->uncertain_high;
          /* the colour range already read stays */
          for (guint j = 0; old != NULL && j < old->len; j++)
            if (g_strcmp0 (g_array_index (old, InspectClass, j).name, pc->name) == 0)
              {
                k.map_low = g_array_index (old, InspectClass, j).map_low;
                k.map_high = g_array_index (old, InspectClass, j).map_high;
              }
          if (g_strcmp0 (pc->name, old_class) == 0)
            keep = i;
          g_array_append_val (self->classes, k);
          gtk_string_list_append (names, pc->name);
        }
    }
  self->class_index = G_MAXUINT; /* so that the dropdown's choice applies */
  gtk_drop_down_set_model (self->class_dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->class_dropdown, keep);
  if (self->class_index == G_MAXUINT)
    on_class_selected (self->class_dropdown, NULL, self);
  gtk_stack_set_visible_child_name (self->stack, self->model_path != NULL ? "inspect" : "no-model");
}

gboolean
dm_inspect_page_has_model (DmInspectPage *self)
{
  return self->model_path != NULL;
}

gboolean
dm_inspect_page_is_running (DmInspectPage *self)
{
  return self->run != NULL || self->queue->len > 0;
}

gboolean
dm_inspect_page_is_exporting (DmInspectPage *self)
{
  return self->exporting;
}

void
dm_inspect_page_set_class (DmInspectPage *self, const char *name)
{
  for (guint i = 0; self->classes != NULL && i < self->classes->len; i++)
    if (g_strcmp0 (g_array_index (self->classes, InspectClass, i).name, name) == 0)
      gtk_drop_down_set_selected (self->class_dropdown, i);
}

const char *
dm_inspect_page_get_class (DmInspectPage *self)
{
  InspectClass *k = dm_inspect_page_current_class (self);

  return k != NULL ? k->name : NULL;
}

guint
dm_inspect_page_get_n_results (DmInspectPage *self)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->store));
}

gboolean
dm_inspect_page_get_result (DmInspectPage *self,
                            guint index,
                            const char **path,
                            float *score,
                            DmDecision *decision,
                            const char **error_message)
{
  g_autoptr (DmInspectEntry) e = g_list_model_get_item (G_LIST_MODEL (self->store), index);
  InspectClass *k = dm_inspect_page_current_class (self);

  if (e == NULL)
    return FALSE;
  /* the store keeps the entry alive: the strings stay valid */
  *path = e->path;
  *score = e->score;
  *decision
    = k != NULL && e->error == NULL ? dm_decide (&k->thresholds, e->score) : DM_DECISION_PASS;
  *error_message = e->error;
  return TRUE;
}

void
dm_inspect_page_select (DmInspectPage *self, guint index)
{
  gtk_single_selection_set_selected (self->selection, index);
}

gboolean
dm_inspect_page_view_ready (DmInspectPage *self)
{
  return self->view_ready;
}

/* ---- GObject ---- */

static void
dm_inspect_page_dispose (GObject *object)
{
  DmInspectPage *self = DM_INSPECT_PAGE (object);

  dm_inspect_page_detach_run (self);
  g_cancellable_cancel (self->view_cancellable);
  g_clear_object (&self->view_cancellable);
  g_clear_object (&self->shown);
  gtk_widget_dispose_template (GTK_WIDGET (self), DM_TYPE_INSPECT_PAGE);
  g_clear_object (&self->selection);
  g_clear_object (&self->store);
  g_clear_object (&self->loader);
  G_OBJECT_CLASS (dm_inspect_page_parent_class)->dispose (object);
}

static void
dm_inspect_page_finalize (GObject *object)
{
  DmInspectPage *self = DM_INSPECT_PAGE (object);

  g_free (self->folder);
  g_free (self->model_path);
  g_free (self->backbone_path);
  g_clear_pointer (&self->classes, g_array_unref);
  g_ptr_array_unref (self->queue);
  g_ptr_array_unref (self->notes);
  G_OBJECT_CLASS (dm_inspect_page_parent_class)->finalize (object);
}

static void
dm_inspect_page_class_init (DmInspectPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_inspect_page_dispose;
  object_class->finalize = dm_inspect_page_finalize;
  widget_class->map = on_map;
  g_type_ensure (DM_TYPE_HEATMAP_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-inspect-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DmInspectPage, stack);
  gtk_widget_class_bind_template_child (widget_class, DmInspectPage, content_stack);
  gtk_widget_class_bind_template_child (widget_class, DmInspectPage, class_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DmInspectPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, DmInspectPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, DmInspectPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, DmInspectPage, export_button);
  gtk_widget_class_bind_template_child (widget_class, DmInspectPage, clear_button);
  gtk_widget_class_bind_template_child (widget_class, DmInspectPage, grid);
  gtk_widget_class_bind_template_child (widget_class, DmInspectPage, view);
  gtk_widget_class_bind_template_child (widget_class, DmInspectPage, detail_title);
  gtk_widget_class_bind_template_child (widget_class, DmInspectPage, detail_badge);
  gtk_widget_class_bind_template_child (widget_class, DmInspectPage, detail_subtitle);
}

static void
dm_inspect_page_init (DmInspectPage *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkDropTarget *target;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->queue = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
  self->notes = g_ptr_array_new_with_free_func (g_free);
  self->loader = dm_thumbnail_loader_new (0, 0);
  self->store = g_list_store_new (DM_TYPE_INSPECT_ENTRY);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->store)));
  g_signal_connect (self->selection, "selection-changed", G_CALLBACK (on_selection_changed), self);
  g_signal_connect_after (self->selection, "items-changed", G_CALLBACK (on_items_changed), self);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cell), self);
  gtk_grid_view_set_model (self->grid, GTK_SELECTION_MODEL (self->selection));
  gtk_grid_view_set_factory (self->grid, factory);
  g_object_unref (factory);
  g_signal_connect (self->class_dropdown, "notify::selected", G_CALLBACK (on_class_selected), self);
  dm_heatmap_view_set_opacity (self->view, 0.65);

  target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (target, "notify::current-drop", G_CALLBACK (on_current_drop), self);
  g_signal_connect (target, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
  dm_inspect_page_set_busy (self);
}
