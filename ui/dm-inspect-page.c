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
#include "dm-thumbnail-loader.h"

#define THUMB_SIZE 128

/* ---- the page ---- */

G_DEFINE_FINAL_TYPE (DmInspectPage, dm_inspect_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void show_selected (DmInspectPage *self);

InspectClass *
dm_inspect_page_current_class (DmInspectPage *self)
{
  if (self->classes == NULL || self->class_index >= self->classes->len)
    return NULL;
  return &g_array_index (self->classes, InspectClass, self->class_index);
}

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

const DmVerdict *
dm_inspect_page_verdict (InspectClass *k, DmInspectEntry *e)
{
  if (k == NULL || e->error != NULL || e->map == NULL)
    return NULL;
  if (k->decider == NULL)
    k->decider = dm_decider_new (&k->thresholds, k->rules, e->resize, e->crop, NULL);
  return dm_inspect_entry_judge (e, k->decider);
}

/* The entry's decision by the class: its verdict's (regions and rules),
 * else its score's. */
static DmDecision
entry_decision (InspectClass *k, DmInspectEntry *e)
{
  const DmVerdict *v = dm_inspect_page_verdict (k, e);

  return v != NULL ? v->decision : dm_decide (&k->thresholds, e->score);
}

static void
set_badge (GtkLabel *badge, DmInspectEntry *e, InspectClass *k)
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
      DmDecision d = entry_decision (k, e);

      gtk_label_set_text (badge, decision_label (d));
      gtk_widget_add_css_class (GTK_WIDGET (badge), decision_class (d));
    }
  else
    gtk_label_set_text (badge, "");
}

void
dm_inspect_page_set_busy (DmInspectPage *self)
{
  gboolean running = self->job != NULL && dm_job_is_running (DM_JOB (self->job));
  gboolean exporting = dm_inspect_page_is_exporting (self);
  guint n = g_list_model_get_n_items (self->results);

  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), running);
  gtk_widget_set_visible (self->cancel_button, running);
  gtk_widget_set_sensitive (self->export_button, !running && !exporting && n > 0);
  gtk_widget_set_sensitive (self->clear_button, !running && !exporting && n > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->class_dropdown), !exporting);
}

/* The summary line once nothing runs. */
void
dm_inspect_page_update_status (DmInspectPage *self)
{
  guint n = g_list_model_get_n_items (self->results);
  guint counts[3] = { 0 }, n_failed = 0;
  InspectClass *k = dm_inspect_page_current_class (self);
  const char *const *notes = self->job != NULL ? dm_inspect_job_get_notes (self->job) : NULL;
  guint n_notes = notes != NULL ? g_strv_length ((char **)notes) : 0;
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (DmInspectEntry) e = g_list_model_get_item (self->results, i);

      if (e->error != NULL)
        n_failed++;
      else if (k != NULL)
        counts[entry_decision (k, e)]++;
    }
  if (n > 0)
    {
      g_string_append_printf (text, ngettext ("%u image: ", "%u images: ", n), n);
      g_string_append_printf (text, _ ("%u pass, %u fail"), counts[DM_DECISION_PASS],
                              counts[DM_DECISION_FAIL]);
      if (counts[DM_DECISION_UNCERTAIN] > 0)
        g_string_append_printf (text, _ (", %u uncertain"), counts[DM_DECISION_UNCERTAIN]);
      if (n_failed > 0)
        g_string_append_printf (text, _ (", %u not read"), n_failed);
    }
  if (n_notes > 0)
    {
      g_autofree char *tip = g_strjoinv ("\n", (char **)notes);

      g_string_append_printf (
        text, ngettext (" (%u file left out)", " (%u files left out)", n_notes), n_notes);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label), tip);
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
  if (self->results == NULL)
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
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (selected == GTK_INVALID_LIST_POSITION || selected == self->class_index)
    return;
  self->class_index = selected;
  /* badges follow the class's thresholds: every cell binds again */
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->runs)); i++)
    {
      g_autoptr (GListModel) run = g_list_model_get_item (G_LIST_MODEL (self->runs), i);
      guint m = g_list_model_get_n_items (run);

      g_list_model_items_changed (run, 0, m, m);
    }
  show_selected (self);
  if (!dm_inspect_page_is_running (self))
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
  if (paths[0] == NULL || !self->has_model)
    return FALSE;
  return gtk_widget_activate_action (GTK_WIDGET (self), "win.inspect-paths", "^as", paths);
}

static void
on_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (dm_inspect_page_parent_class)->map (widget);
  /* the model file may have come or gone since the page was last shown */
  dm_inspect_page_refresh (DM_INSPECT_PAGE (widget));
}

/* ---- the project ---- */

static void
inspect_class_clear (gpointer data)
{
  InspectClass *k = data;

  g_free (k->name);
  g_clear_pointer (&k->rules, dm_rules_free);
  g_clear_pointer (&k->decider, dm_decider_free);
}

void
dm_inspect_page_refresh (DmInspectPage *self)
{
  DmProject *project = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;
  g_autofree char *model = project != NULL ? dm_inspect_job_find_model (project, NULL) : NULL;
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr (GArray) old = g_steal_pointer (&self->classes);
  const char *old_class = NULL;
  guint keep = 0;

  g_return_if_fail (DM_IS_INSPECT_PAGE (self));
  if (old != NULL && self->class_index < old->len)
    old_class = g_array_index (old, InspectClass, self->class_index).name;
  self->has_model = model != NULL;
  self->classes = g_array_new (FALSE, TRUE, sizeof (InspectClass));
  g_array_set_clear_func (self->classes, inspect_class_clear);
  for (guint i = 0; project != NULL && i < project->classes->len; i++)
    {
      const DmProjectClass *pc = project->classes->pdata[i];
      InspectClass k = { g_strdup (pc->name), { 0 }, NAN, NAN, NULL, NULL };

      dm_project_class_thresholds (pc, &k.thresholds);
      if (pc->rules != NULL)
        k.rules = dm_rules_copy (pc->rules);
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
  self->class_index = G_MAXUINT; /* so that the dropdown's choice applies */
  gtk_drop_down_set_model (self->class_dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->class_dropdown, keep);
  if (self->class_index == G_MAXUINT)
    on_class_selected (self->class_dropdown, NULL, self);
  gtk_stack_set_visible_child_name (self->stack, self->has_model ? "inspect" : "no-model");
}

/* A threshold moved, a model trained: seen now, or when the page is shown. */
static void
on_project_changed (DmInspectPage *self)
{
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    dm_inspect_page_refresh (self);
}

void
dm_inspect_page_set_project (DmInspectPage *self, DmOpenProject *project)
{
  g_return_if_fail (DM_IS_INSPECT_PAGE (self));

  if (self->project == project)
    return;
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  /* another project: the results of this one go */
  dm_inspect_page_clear (self);
  g_set_object (&self->project, project);
  if (project != NULL)
    g_signal_connect_object (project, "changed", G_CALLBACK (on_project_changed), self,
                             G_CONNECT_SWAPPED);
  dm_inspect_page_refresh (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

DmHeatmapView *
dm_inspect_page_get_heatmap_view (DmInspectPage *self)
{
  g_return_val_if_fail (DM_IS_INSPECT_PAGE (self), NULL);
  return self->view;
}

DmOpenProject *
dm_inspect_page_get_project (DmInspectPage *self)
{
  return self->project;
}

gboolean
dm_inspect_page_has_model (DmInspectPage *self)
{
  return self->has_model;
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
  return g_list_model_get_n_items (self->results);
}

gboolean
dm_inspect_page_get_result (DmInspectPage *self,
                            guint index,
                            const char **path,
                            float *score,
                            DmDecision *decision,
                            const char **error_message)
{
  g_autoptr (DmInspectEntry) e = g_list_model_get_item (self->results, index);
  InspectClass *k = dm_inspect_page_current_class (self);

  if (e == NULL)
    return FALSE;
  /* the results keep the entry alive: the strings stay valid */
  *path = e->path;
  *score = e->score;
  *decision = k != NULL && e->error == NULL ? entry_decision (k, e) : DM_DECISION_PASS;
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
on_results_changed (DmInspectPage *self)
{
  if (g_list_model_get_n_items (self->results) > 0)
    gtk_stack_set_visible_child_name (self->content_stack, "results");
}

static void
dm_inspect_page_dispose (GObject *object)
{
  DmInspectPage *self = DM_INSPECT_PAGE (object);

  dm_inspect_page_jobs_dispose (self);
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_clear_object (&self->project);
  g_cancellable_cancel (self->view_cancellable);
  g_clear_object (&self->view_cancellable);
  g_clear_object (&self->shown);
  gtk_widget_dispose_template (GTK_WIDGET (self), DM_TYPE_INSPECT_PAGE);
  g_clear_object (&self->selection);
  self->results = NULL; /* the selection's */
  g_clear_object (&self->runs);
  g_clear_object (&self->loader);
  G_OBJECT_CLASS (dm_inspect_page_parent_class)->dispose (object);
}

static void
dm_inspect_page_finalize (GObject *object)
{
  DmInspectPage *self = DM_INSPECT_PAGE (object);

  g_clear_pointer (&self->classes, g_array_unref);
  g_ptr_array_unref (self->queue);
  G_OBJECT_CLASS (dm_inspect_page_parent_class)->finalize (object);
}

static void
dm_inspect_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DmInspectPage *self = DM_INSPECT_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROJECT: g_value_set_object (value, self->project); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_inspect_page_set_property (GObject *object,
                              guint prop_id,
                              const GValue *value,
                              GParamSpec *pspec)
{
  DmInspectPage *self = DM_INSPECT_PAGE (object);

  switch (prop_id)
    {
    case PROP_PROJECT: dm_inspect_page_set_project (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_inspect_page_class_init (DmInspectPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_inspect_page_dispose;
  object_class->finalize = dm_inspect_page_finalize;
  object_class->get_property = dm_inspect_page_get_property;
  object_class->set_property = dm_inspect_page_set_property;
  widget_class->map = on_map;

  properties[PROP_PROJECT]
    = g_param_spec_object ("project", NULL, NULL, DM_TYPE_OPEN_PROJECT,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

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
  self->queue = g_ptr_array_new_with_free_func (g_object_unref);
  self->loader = dm_thumbnail_loader_new (0, 0);
  /* one grid over every run's results: a run's images land as they come */
  self->runs = g_list_store_new (G_TYPE_LIST_MODEL);
  self->results
    = G_LIST_MODEL (gtk_flatten_list_model_new (g_object_ref (G_LIST_MODEL (self->runs))));
  self->selection = gtk_single_selection_new (self->results);
  g_signal_connect (self->selection, "selection-changed", G_CALLBACK (on_selection_changed), self);
  g_signal_connect_after (self->selection, "items-changed", G_CALLBACK (on_items_changed), self);
  g_signal_connect_swapped (self->results, "items-changed", G_CALLBACK (on_results_changed), self);
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
