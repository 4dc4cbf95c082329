/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Review page's large view and labeling: one image with its heatmap
 * (decoded and read off the main thread), the user's verdict (G / D),
 * next / previous in the grid's order (J / K, arrows), and a painted mask
 * saved as a PNG in MVTec layout 300 ms after the last stroke and whenever
 * the view leaves the image, so that a killed application loses at most
 * the last stroke. */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>

#include "dm-decider.h"
#include "dm-mask.h"
#include "dm-review-cell.h"
#include "dm-feedback.h"
#include "dm-review-page-private.h"
#include "dm-rules-dialog.h"

#define MASK_SAVE_DELAY_MS 300

/* The first read of a class's map opens its maps file, which is not safe
 * from two threads at once (a quick "next" overlaps two loads). */
static GMutex map_lock;

/* ---- loading an image, its map and its mask off the main thread ---- */

typedef struct
{
  /* in */
  DmProjectResults *results; /* shared reference */
  guint class_index, image_index;
  char *path;
  char *user_mask; /* the mask painted before, if any */
  char *dataset_mask;
  /* out */
  DmImage *image;
  float *map; /* (map_size, map_size) or NULL when it could not be read */
  DmImage *mask;
  gboolean mask_from_dataset;
  char *problem; /* why the map or the mask is missing */
} DetailLoad;

static void
detail_load_free (gpointer data)
{
  DetailLoad *load = data;

  g_clear_pointer (&load->results, dm_review_results_unref);
  g_free (load->path);
  g_free (load->user_mask);
  g_free (load->dataset_mask);
  g_clear_pointer (&load->image, dm_image_free);
  g_free (load->map);
  g_clear_pointer (&load->mask, dm_image_free);
  g_free (load->problem);
  g_free (load);
}

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DetailLoad *load = task_data;
  GError *error = NULL;
  g_autoptr (GError) map_error = NULL;
  g_autoptr (GError) mask_error = NULL;
  int size = load->results->map_size;

  load->image = dm_image_load (load->path, 0, &error);
  if (load->image == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_task_return_boolean (task, FALSE);
      return;
    }
  load->map = g_new (float, (gsize)size *size);
  g_mutex_lock (&map_lock);
  if (!dm_project_results_read_map (load->results, load->class_index, load->image_index, load->map,
                                    &map_error))
    g_clear_pointer (&load->map, g_free);
  g_mutex_unlock (&map_lock);

  if (g_file_test (load->user_mask, G_FILE_TEST_EXISTS))
    load->mask = dm_image_load (load->user_mask, 0, &mask_error);
  else if (load->dataset_mask != NULL)
    {
      /* the dataset's own mask is where the user's painting starts (a
       * folder of masks, as MVTec LOCO has, gives their union) */
      load->mask = dm_mask_load (load->dataset_mask, 0, DM_IMAGE_LOAD_DEFAULT, NULL, &mask_error);
      load->mask_from_dataset = load->mask != NULL;
    }
  if (map_error != NULL)
    load->problem = g_strdup (map_error->message);
  else if (mask_error != NULL)
    load->problem = g_strdup (mask_error->message);
  g_task_return_boolean (task, TRUE);
}

static void
show_status (DmReviewPage *self, const char *text)
{
  gtk_label_set_label (self->status_label, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label), text);
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DmReviewPage *self = DM_REVIEW_PAGE (source);
  DetailLoad *load = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  const DmResultClass *k;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  /* a load for an image the user already left */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    return;
  g_clear_object (&self->load_cancellable);
  self->loading = FALSE;
  if (!ok)
    {
      show_status (self, error != NULL ? error->message : "");
      return;
    }
  k = &load->results->classes[load->class_index];
  dm_heatmap_view_set_dm_image (self->heatmap_view, load->image);
  if (load->map != NULL)
    dm_heatmap_view_set_map (self->heatmap_view, load->map, load->results->map_size, k->resize,
                             k->crop);
  dm_heatmap_view_set_range (self->heatmap_view, k->map_low, k->map_high);
  dm_review_page_detail_sync_thresholds (self);
  if (load->mask != NULL)
    {
      g_autoptr (GError) mask_error = NULL;

      if (!dm_heatmap_view_set_mask (self->heatmap_view, load->mask, &mask_error))
        show_status (self, mask_error->message);
    }
  if (load->problem != NULL)
    show_status (self, load->problem);
  else if (load->mask_from_dataset)
    show_status (self, _ ("Defect region from the dataset’s mask"));
  else if (load->mask != NULL)
    show_status (self, _ ("Defect region painted by you"));
  else
    show_status (self, "");
}

/* ---- the mask: saved as it changes ---- */

static void
save_mask (DmReviewPage *self)
{
  g_autoptr (DmImage) mask = dm_heatmap_view_get_mask (self->heatmap_view);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;

  if (mask == NULL || self->mask_path == NULL)
    return;
  if (dm_heatmap_view_count_mask_pixels (self->heatmap_view) == 0)
    {
      /* all erased: no painted region, the dataset's mask (if any) counts again */
      if (g_unlink (self->mask_path) != 0 && errno != ENOENT)
        g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", self->mask_path,
                     g_strerror (errno));
      else
        {
          show_status (self, _ ("No defect region painted"));
          dm_review_page_save (self);
          return;
        }
    }
  /* a one-channel PNG of the image's size takes milliseconds: written here,
   * in order, a later save can never be overtaken by an earlier one */
  dir = g_path_get_dirname (self->mask_path);
  if (g_mkdir_with_parents (dir, 0755) != 0)
    g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", dir,
                 g_strerror (errno));
  if (error == NULL && dm_image_save_png (mask, self->mask_path, &error))
    {
      show_status (self, _ ("Defect region painted by you (saved)"));
      /* a painted defect region makes the part a defect in the user's eyes */
      if (self->current != NULL
          && dm_review_item_get_user_label (self->current) != DM_USER_LABEL_DEFECT)
        dm_review_page_label_image (self, dm_review_item_get_path (self->current),
                                    DM_USER_LABEL_DEFECT);
      /* the metrics count painted masks: they are out of date now */
      dm_review_page_save (self);
      return;
    }
  {
    g_autofree char *text = g_strdup_printf (_ ("The mask could not be saved: %s"), error->message);
    dm_feedback_toast (GTK_WIDGET (self), text);
  }
}

void
dm_review_page_flush (DmReviewPage *self)
{
  g_return_if_fail (DM_IS_REVIEW_PAGE (self));
  if (self->mask_save_id == 0)
    return;
  g_clear_handle_id (&self->mask_save_id, g_source_remove);
  save_mask (self);
}

static gboolean
on_mask_save_timeout (gpointer data)
{
  DmReviewPage *self = data;

  self->mask_save_id = 0;
  save_mask (self);
  return G_SOURCE_REMOVE;
}

static void
on_mask_changed (DmReviewPage *self)
{
  if (self->current == NULL || self->loading)
    return;
  g_clear_handle_id (&self->mask_save_id, g_source_remove);
  self->mask_save_id = g_timeout_add (MASK_SAVE_DELAY_MS, on_mask_save_timeout, self);
}

/* ---- showing an image ---- */

void
dm_review_page_detail_sync_label (DmReviewPage *self)
{
  DmUserLabel label
    = self->current != NULL ? dm_review_item_get_user_label (self->current) : DM_USER_LABEL_NONE;
  g_autofree char *subtitle = NULL;

  self->updating = TRUE;
  gtk_toggle_button_set_active (self->good_button, label == DM_USER_LABEL_GOOD);
  gtk_toggle_button_set_active (self->defect_button, label == DM_USER_LABEL_DEFECT);
  self->updating = FALSE;
  if (self->current == NULL)
    return;
  /* TRANSLATORS: class · dataset folder · score · the user's verdict */
  subtitle = g_strdup_printf (
    _ ("%s · %s · score %.4f · %s"), dm_review_item_get_class_name (self->current),
    dm_review_item_get_defect_type (self->current), dm_review_item_get_score (self->current),
    dm_review_label_text (label));
  gtk_label_set_label (self->detail_subtitle, subtitle);
}

/* A region's size as the rules measure it: mm² and mm when the class is
 * calibrated, else pixels. */
static char *
region_label (const DmRegion *r)
{
  g_autofree char *area = NULL, *length = NULL;

  if (isfinite (r->area_mm2))
    {
      g_autofree char *a = g_strdup_printf ("%.*f", r->area_mm2 < 10 ? 3 : 1, r->area_mm2);
      g_autofree char *l = g_strdup_printf ("%.*f", r->length_mm < 10 ? 2 : 1, r->length_mm);

      area = g_strdup_printf (_ ("%s mm²"), a);
      length = g_strdup_printf (_ ("%s mm"), l);
    }
  else
    {
      g_autofree char *a = g_strdup_printf ("%" G_GUINT64_FORMAT, r->area_px);
      g_autofree char *l = g_strdup_printf ("%.1f", r->length_px);

      area = g_strdup_printf (_ ("%s px"), a);
      length = g_strdup_printf (_ ("%s px"), l);
    }
  /* TRANSLATORS: a defect region's area and its longest extent */
  return g_strdup_printf (_ ("%s · %s long"), area, length);
}

/* The defect regions of the image shown, measured by the class's rules
 * (region of interest, calibration) at the pixel threshold t, outlined
 * with their sizes (the largest DM_VERDICT_MAX_REGIONS, as every output
 * lists them). */
static void
outline_regions (DmReviewPage *self, const DmThresholds *t)
{
  guint ci = dm_review_item_get_class_index (self->current);
  const DmResultClass *k = &self->results->classes[ci];
  const DmResultImage *image = &k->images[dm_review_item_get_image_index (self->current)];
  const DmProjectClass *pc = dm_project_find_class (dm_review_page_project (self), k->name);
  const float *map = dm_heatmap_view_get_map (self->heatmap_view);
  g_autoptr (GArray) regions = NULL;
  g_autoptr (GPtrArray) labels = NULL;
  g_autofree int *boxes = NULL;
  DmRegionSettings settings;
  guint n;

  if (map == NULL || isnan (t->pixel) || image->width <= 0)
    {
      dm_heatmap_view_set_regions (self->heatmap_view, NULL, NULL, 0);
      return;
    }
  dm_rules_region_settings (pc != NULL ? pc->rules : NULL, t->pixel, image->width, image->height,
                            k->resize, k->crop, &settings);
  regions = dm_regions_find (map, &settings, NULL);
  n = MIN (regions->len, DM_VERDICT_MAX_REGIONS);
  boxes = g_new (int, 4 * (gsize)MAX (n, 1));
  labels = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n; i++)
    {
      const DmRegion *r = &g_array_index (regions, DmRegion, i);

      boxes[4 * i] = r->x;
      boxes[4 * i + 1] = r->y;
      boxes[4 * i + 2] = r->width;
      boxes[4 * i + 3] = r->height;
      g_ptr_array_add (labels, region_label (r));
    }
  dm_heatmap_view_set_regions (self->heatmap_view, boxes, (const char *const *)labels->pdata, n);
}

void
dm_review_page_detail_sync_thresholds (DmReviewPage *self)
{
  static const char *const classes[] = { "pass", "uncertain", "fail" };
  DmDecision d;
  DmThresholds t;

  if (self->current == NULL || self->results == NULL)
    return;
  dm_review_page_class_thresholds (self, dm_review_item_get_class_index (self->current), &t);
  dm_heatmap_view_set_pixel_threshold (self->heatmap_view, t.pixel);
  outline_regions (self, &t);
  d = dm_review_item_get_decision (self->current);
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (self->detail_badge), classes[i]);
  gtk_widget_add_css_class (GTK_WIDGET (self->detail_badge), classes[d]);
  gtk_label_set_label (self->detail_badge, dm_review_decision_text (d));
}

static void
cancel_load (DmReviewPage *self)
{
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->loading = FALSE;
}

void
dm_review_page_show_item (DmReviewPage *self, DmReviewItem *item, guint position)
{
  const DmResultImage *image;
  DetailLoad *load;
  g_autoptr (GTask) task = NULL;

  dm_review_page_flush (self);
  cancel_load (self);
  g_set_object (&self->current, item);
  self->current_position = position;
  /* the grid follows, so that going back shows where the user was */
  gtk_single_selection_set_selected (self->selection, position);
  gtk_widget_activate_action (GTK_WIDGET (self->grid_view), "list.scroll-to-item", "u", position);

  image = &self->results->classes[dm_review_item_get_class_index (item)]
             .images[dm_review_item_get_image_index (item)];
  g_free (self->mask_path);
  self->mask_path
    = dm_project_mask_path (dm_review_page_project (self), dm_review_item_get_class_name (item),
                            dm_review_item_get_path (item));
  gtk_label_set_label (self->detail_title, dm_review_item_get_name (item));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->detail_title), dm_review_item_get_path (item));
  dm_review_page_detail_sync_label (self);
  dm_review_page_detail_sync_thresholds (self);
  dm_review_page_show_panel_class (self, (int)dm_review_item_get_class_index (item));

  /* nothing of the previous image stays on screen while this one loads */
  self->loading = TRUE;
  dm_heatmap_view_set_image (self->heatmap_view, NULL, 0, 0);
  show_status (self, _ ("Loading…"));
  gtk_stack_set_visible_child_name (self->view_stack, "detail");
  gtk_widget_grab_focus (GTK_WIDGET (self->heatmap_view));

  load = g_new0 (DetailLoad, 1);
  load->results = dm_review_results_ref (self->results);
  load->class_index = dm_review_item_get_class_index (item);
  load->image_index = dm_review_item_get_image_index (item);
  load->path = g_strdup (image->path);
  load->user_mask = g_strdup (self->mask_path);
  load->dataset_mask = g_strdup (image->mask_path);
  self->load_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->load_cancellable, on_loaded, NULL);
  g_task_set_task_data (task, load, detail_load_free);
  g_task_run_in_thread (task, load_thread);
}

gboolean
dm_review_page_open_image (DmReviewPage *self, const char *path)
{
  GListModel *model = G_LIST_MODEL (self->filtered);

  g_return_val_if_fail (DM_IS_REVIEW_PAGE (self), FALSE);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (DmReviewItem) item = g_list_model_get_item (model, i);

      if (g_strcmp0 (dm_review_item_get_path (item), path) == 0)
        {
          dm_review_page_show_item (self, item, i);
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
dm_review_page_is_loading (DmReviewPage *self)
{
  return self->loading;
}

void
dm_review_page_close_image (DmReviewPage *self)
{
  g_return_if_fail (DM_IS_REVIEW_PAGE (self));
  dm_review_page_flush (self);
  cancel_load (self);
  g_clear_pointer (&self->mask_path, g_free);
  if (self->current == NULL)
    return;
  g_clear_object (&self->current);
  dm_heatmap_view_set_image (self->heatmap_view, NULL, 0, 0);
  gtk_stack_set_visible_child_name (self->view_stack, "grid");
  gtk_widget_grab_focus (GTK_WIDGET (self->grid_view));
}

/* ---- next / previous in the grid's order ---- */

static void
move (DmReviewPage *self, int delta)
{
  GListModel *model = G_LIST_MODEL (self->filtered);
  guint n = g_list_model_get_n_items (model);
  DmReviewItem *at = dm_review_page_get_current (self);
  guint position = self->current != NULL ? self->current_position
                                         : gtk_single_selection_get_selected (self->selection);
  gboolean found = FALSE;
  int next;
  g_autoptr (DmReviewItem) item = NULL;

  if (n == 0)
    return;
  if (position < n)
    {
      g_autoptr (DmReviewItem) there = g_list_model_get_item (model, position);
      found = there == at;
    }
  for (guint i = 0; !found && at != NULL && i < n; i++)
    {
      g_autoptr (DmReviewItem) there = g_list_model_get_item (model, i);
      if (there == at)
        {
          position = i;
          found = TRUE;
        }
    }
  /* the image left the filter (e.g. just labelled under "Not Marked"):
   * the one that took its place is the next */
  if (!found && position != GTK_INVALID_LIST_POSITION)
    next = delta > 0 ? (int)position : (int)position - 1;
  else if (!found)
    next = 0;
  else
    next = (int)position + delta;
  next = CLAMP (next, 0, (int)n - 1);
  if (found && next == (int)position)
    return;
  item = g_list_model_get_item (model, (guint)next);
  if (self->current != NULL)
    dm_review_page_show_item (self, item, (guint)next);
  else
    {
      gtk_single_selection_set_selected (self->selection, (guint)next);
      gtk_widget_activate_action (GTK_WIDGET (self->grid_view), "list.scroll-to-item", "u",
                                  (guint)next);
    }
}

void
dm_review_page_next (DmReviewPage *self)
{
  g_return_if_fail (DM_IS_REVIEW_PAGE (self));
  move (self, 1);
}

void
dm_review_page_previous (DmReviewPage *self)
{
  g_return_if_fail (DM_IS_REVIEW_PAGE (self));
  move (self, -1);
}

/* ---- actions and controls ---- */

static void
mark (DmReviewPage *self, DmUserLabel label)
{
  DmReviewItem *item = dm_review_page_get_current (self);

  if (item != NULL)
    dm_review_page_label_image (self, dm_review_item_get_path (item), label);
}

static void
review_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmReviewPage *self = DM_REVIEW_PAGE (widget);

  if (g_str_equal (name, "review.mark-good"))
    mark (self, DM_USER_LABEL_GOOD);
  else if (g_str_equal (name, "review.mark-defect"))
    mark (self, DM_USER_LABEL_DEFECT);
  else if (g_str_equal (name, "review.next"))
    dm_review_page_next (self);
  else if (g_str_equal (name, "review.previous"))
    dm_review_page_previous (self);
  else if (g_str_equal (name, "review.back"))
    dm_review_page_close_image (self);
}

static void
on_label_toggled (GtkToggleButton *button, DmReviewPage *self)
{
  DmUserLabel label = DM_USER_LABEL_NONE;

  if (self->updating || self->current == NULL)
    return;
  /* pressing the active verdict again takes it back */
  if (gtk_toggle_button_get_active (button))
    label = button == self->good_button ? DM_USER_LABEL_GOOD : DM_USER_LABEL_DEFECT;
  dm_review_page_label_image (self, dm_review_item_get_path (self->current), label);
}

static void
on_side_toggled (DmReviewPage *self)
{
  dm_heatmap_view_set_mode (self->heatmap_view, gtk_toggle_button_get_active (self->side_button)
                                                  ? DM_HEATMAP_MODE_SIDE_BY_SIDE
                                                  : DM_HEATMAP_MODE_OVERLAY);
}

/* Paint and erase exclude each other; with neither, a drag pans (a
 * grouped toggle could not be switched off again). */
static void
on_tool_toggled (GtkToggleButton *button, DmReviewPage *self)
{
  DmHeatmapTool tool = DM_HEATMAP_TOOL_NONE;

  if (gtk_toggle_button_get_active (button))
    gtk_toggle_button_set_active (
      button == self->paint_button ? self->erase_button : self->paint_button, FALSE);

  if (gtk_toggle_button_get_active (self->paint_button))
    tool = DM_HEATMAP_TOOL_PAINT;
  else if (gtk_toggle_button_get_active (self->erase_button))
    tool = DM_HEATMAP_TOOL_ERASE;
  dm_heatmap_view_set_tool (self->heatmap_view, tool);
}

static void
on_undo (DmReviewPage *self)
{
  dm_heatmap_view_undo (self->heatmap_view);
}

static void
on_redo (DmReviewPage *self)
{
  dm_heatmap_view_redo (self->heatmap_view);
}

/* The rules as saved: the outlines and the class's decisions follow. */
static void
on_rules_closed (DmReviewPage *self)
{
  dm_review_page_detail_sync_thresholds (self);
  if (self->current != NULL)
    dm_review_page_judge_class (self, dm_review_item_get_class_index (self->current));
}

/* The class's inspection rules, drawn on the picture shown. */
static void
rules_action (GtkWidget *widget, const char *name, GVariant *parameter)
{
  DmReviewPage *self = DM_REVIEW_PAGE (widget);
  DmRulesDialog *dialog;

  if (self->current == NULL || self->project == NULL)
    return;
  dialog = dm_rules_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), self->project,
                                dm_review_item_get_class_name (self->current),
                                dm_review_item_get_path (self->current));
  /* the outlines follow the rules saved (region of interest, calibration) */
  g_signal_connect_object (dialog, "destroy", G_CALLBACK (on_rules_closed), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
dm_review_page_detail_class_init (GtkWidgetClass *widget_class)
{
  static const struct
  {
    guint key;
    const char *action;
  } keys[] = {
    { GDK_KEY_g, "review.mark-good" }, { GDK_KEY_d, "review.mark-defect" },
    { GDK_KEY_j, "review.next" },      { GDK_KEY_Right, "review.next" },
    { GDK_KEY_k, "review.previous" },  { GDK_KEY_Left, "review.previous" },
    { GDK_KEY_Escape, "review.back" },
  };

  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, detail_title);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, detail_subtitle);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, detail_badge);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, good_button);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, defect_button);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, side_button);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, paint_button);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, erase_button);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, opacity_adjustment);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, brush_adjustment);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, undo_button);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, redo_button);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, heatmap_view);
  gtk_widget_class_bind_template_child (widget_class, DmReviewPage, status_label);

  gtk_widget_class_install_action (widget_class, "review.mark-good", NULL, review_action);
  gtk_widget_class_install_action (widget_class, "review.mark-defect", NULL, review_action);
  gtk_widget_class_install_action (widget_class, "review.next", NULL, review_action);
  gtk_widget_class_install_action (widget_class, "review.previous", NULL, review_action);
  gtk_widget_class_install_action (widget_class, "review.back", NULL, review_action);
  gtk_widget_class_install_action (widget_class, "review.rules", NULL, rules_action);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    gtk_widget_class_add_binding_action (widget_class, keys[i].key, 0, keys[i].action, NULL);
}

void
dm_review_page_detail_init (DmReviewPage *self)
{
  g_object_bind_property (self->opacity_adjustment, "value", self->heatmap_view, "opacity",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->brush_adjustment, "value", self->heatmap_view, "brush-size",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->heatmap_view, "can-undo", self->undo_button, "sensitive",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->heatmap_view, "can-redo", self->redo_button, "sensitive",
                          G_BINDING_SYNC_CREATE);
  g_signal_connect (self->good_button, "toggled", G_CALLBACK (on_label_toggled), self);
  g_signal_connect (self->defect_button, "toggled", G_CALLBACK (on_label_toggled), self);
  g_signal_connect_swapped (self->side_button, "toggled", G_CALLBACK (on_side_toggled), self);
  g_signal_connect (self->paint_button, "toggled", G_CALLBACK (on_tool_toggled), self);
  g_signal_connect (self->erase_button, "toggled", G_CALLBACK (on_tool_toggled), self);
  g_signal_connect_swapped (self->undo_button, "clicked", G_CALLBACK (on_undo), self);
  g_signal_connect_swapped (self->redo_button, "clicked", G_CALLBACK (on_redo), self);
  g_signal_connect_swapped (self->heatmap_view, "mask-changed", G_CALLBACK (on_mask_changed), self);
}

void
dm_review_page_detail_dispose (DmReviewPage *self)
{
  /* a stroke of the last 300 ms is written before the page goes */
  if (self->heatmap_view != NULL)
    dm_review_page_flush (self);
  cancel_load (self);
  g_clear_object (&self->current);
  g_clear_pointer (&self->mask_path, g_free);
}
