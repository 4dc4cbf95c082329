/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Inspect page (dm-inspect-page.h): the grid of results, the large
 * view, and the two background jobs, inspection and export.
 *
 * The inspection worker never touches a widget: each scored image becomes
 * an immutable DmInspectEntry put on a mutex-guarded pending list, and at
 * most one idle callback is pending to move the list into the grid, so a
 * burst of results costs the main loop one update. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dm-error.h"
#include "dm-heatmap-view.h"
#include "dm-image.h"
#include "dm-inspect-page.h"
#include "dm-inspect.h"
#include "dm-project-results.h"
#include "dm-project-train.h"
#include "dm-thumbnail-loader.h"

#define THUMB_SIZE 128

/* ---- one result (immutable once made, but for its thumbnail) ---- */

#define DM_TYPE_INSPECT_ENTRY (dm_inspect_entry_get_type ())
G_DECLARE_FINAL_TYPE (DmInspectEntry, dm_inspect_entry, DM, INSPECT_ENTRY, GObject)

struct _DmInspectEntry
{
  GObject parent_instance;
  char *path;
  char *name;  /* display name of the file */
  float score; /* NAN when it failed */
  float *map;  /* (256, 256), NULL when it failed */
  int width, height, resize, crop;
  char *error;           /* why it failed, or NULL */
  GdkTexture *thumbnail; /* main thread only; "notify::thumbnail" when set */
};

G_DEFINE_FINAL_TYPE (DmInspectEntry, dm_inspect_entry, G_TYPE_OBJECT)

static void
dm_inspect_entry_finalize (GObject *object)
{
  DmInspectEntry *self = DM_INSPECT_ENTRY (object);

  g_free (self->path);
  g_free (self->name);
  g_free (self->map);
  g_free (self->error);
  g_clear_object (&self->thumbnail);
  G_OBJECT_CLASS (dm_inspect_entry_parent_class)->finalize (object);
}

static void
dm_inspect_entry_class_init (DmInspectEntryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dm_inspect_entry_finalize;
  g_signal_new ("thumbnail-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                NULL, G_TYPE_NONE, 0);
}

static void
dm_inspect_entry_init (DmInspectEntry *self)
{
}

static DmInspectEntry *
entry_new (const DmInspectItem *item)
{
  DmInspectEntry *e = g_object_new (DM_TYPE_INSPECT_ENTRY, NULL);
  g_autofree char *base = g_path_get_basename (item->path);

  e->path = g_strdup (item->path);
  e->name = g_filename_display_name (base);
  e->score = item->score;
  e->error = item->error != NULL ? g_strdup (item->error->message) : NULL;
  if (item->map != NULL)
    e->map = g_memdup2 (item->map, sizeof (float) * DM_INSPECT_MAP_SIZE * DM_INSPECT_MAP_SIZE);
  e->width = item->width;
  e->height = item->height;
  e->resize = item->resize;
  e->crop = item->crop;
  return e;
}

/* ---- the page ---- */

typedef struct
{
  char *name;
  DmThresholds thresholds;
  double map_low, map_high; /* the class's heatmap colours; NAN until known */
} InspectClass;

typedef struct _InspectRun InspectRun;

struct _DmInspectPage
{
  AdwBin parent_instance;

  GtkStack *stack;
  GtkStack *content_stack;
  GtkDropDown *class_dropdown;
  GtkLabel *status_label;
  GtkProgressBar *progress_bar;
  GtkWidget *cancel_button;
  GtkWidget *export_button;
  GtkWidget *clear_button;
  GtkGridView *grid;
  DmHeatmapView *view;
  GtkLabel *detail_title;
  GtkLabel *detail_badge;
  GtkLabel *detail_subtitle;

  GListStore *store; /* DmInspectEntry */
  GtkSingleSelection *selection;
  DmThumbnailLoader *loader;
  GCancellable *view_cancellable; /* the selected image's decode */
  DmInspectEntry *shown;          /* what the large view shows (a ref) */
  gboolean view_ready;

  /* the project (copied) */
  char *folder;
  char *model_path; /* NULL: no trained model */
  char *backbone_path;
  GArray *classes; /* InspectClass */
  guint class_index;

  InspectRun *run;  /* the running inspection, or NULL */
  GPtrArray *queue; /* GStrv of paths waiting */
  guint n_failed;
  GPtrArray *notes; /* char *: files left out of the last run */
  gboolean exporting;
};

G_DEFINE_FINAL_TYPE (DmInspectPage, dm_inspect_page, ADW_TYPE_BIN)

static void inspect_class_clear (gpointer data);
static void update_status (DmInspectPage *self);
static void show_selected (DmInspectPage *self);

/* ---- the inspection job ---- */

struct _InspectRun
{
  DmInspectPage *page; /* NULL once the page is gone or moved on */
  char **paths;
  DmInspectSettings settings;
  char *model_path, *backbone_path, *results_dir;
  gint cancel;

  GMutex lock;        /* guards what follows */
  GPtrArray *pending; /* DmInspectEntry made since the last flush */
  GPtrArray *notes;   /* char *: files left out (set once, with n_files) */
  GArray *ranges;     /* InspectClass of results.json: names and colour ranges */
  guint n_files, n_seen;
  gboolean listed; /* n_files is known */
  guint idle_id;
};

static void
inspect_run_clear (InspectRun *run)
{
  g_strfreev (run->paths);
  g_free (run->model_path);
  g_free (run->backbone_path);
  g_free (run->results_dir);
  g_clear_pointer (&run->pending, g_ptr_array_unref);
  g_clear_pointer (&run->notes, g_ptr_array_unref);
  g_clear_pointer (&run->ranges, g_array_unref);
  g_mutex_clear (&run->lock);
}

static void
inspect_run_unref (InspectRun *run)
{
  g_atomic_rc_box_release_full (run, (GDestroyNotify)inspect_run_clear);
}

static InspectClass *
current_class (DmInspectPage *self)
{
  if (self->classes == NULL || self->class_index >= self->classes->len)
    return NULL;
  return &g_array_index (self->classes, InspectClass, self->class_index);
}

/* Main thread: the pending results into the grid, the counts onto the bar. */
static gboolean
flush_results (gpointer data)
{
  InspectRun *run = data;
  DmInspectPage *self = run->page;
  g_autoptr (GPtrArray) pending = NULL;
  g_autoptr (GArray) ranges = NULL;
  g_autoptr (GPtrArray) notes = NULL;
  guint n_files, n_seen;
  gboolean listed;

  g_mutex_lock (&run->lock);
  run->idle_id = 0;
  pending = g_steal_pointer (&run->pending);
  run->pending = g_ptr_array_new_with_free_func (g_object_unref);
  ranges = g_steal_pointer (&run->ranges);
  notes = g_steal_pointer (&run->notes);
  n_files = run->n_files;
  n_seen = run->n_seen;
  listed = run->listed;
  g_mutex_unlock (&run->lock);

  if (self == NULL || self->store == NULL)
    return G_SOURCE_REMOVE;
  /* the colour ranges of the project's scored classes */
  for (guint r = 0; ranges != NULL && r < ranges->len; r++)
    for (guint c = 0; c < self->classes->len; c++)
      {
        InspectClass *mine = &g_array_index (self->classes, InspectClass, c);
        InspectClass *got = &g_array_index (ranges, InspectClass, r);

        if (g_strcmp0 (mine->name, got->name) == 0)
          {
            mine->map_low = got->map_low;
            mine->map_high = got->map_high;
          }
      }
  if (notes != NULL)
    for (guint i = 0; i < notes->len; i++)
      g_ptr_array_add (self->notes, g_strdup (notes->pdata[i]));
  for (guint i = 0; i < pending->len; i++)
    self->n_failed += ((DmInspectEntry *)pending->pdata[i])->error != NULL;
  if (pending->len > 0)
    {
      g_list_store_splice (self->store, g_list_model_get_n_items (G_LIST_MODEL (self->store)), 0,
                           pending->pdata, pending->len);
      gtk_stack_set_visible_child_name (self->content_stack, "results");
    }
  if (listed && n_files > 0)
    gtk_progress_bar_set_fraction (self->progress_bar, (double)n_seen / n_files);
  else
    gtk_progress_bar_pulse (self->progress_bar);
  if (listed)
    {
      g_autofree char *text
        = g_strdup_printf (_ ("Scoring %u of %u images…"), MIN (n_seen + 1, n_files), n_files);

      gtk_label_set_text (self->status_label, text);
    }
  return G_SOURCE_REMOVE;
}

static void
schedule_flush (InspectRun *run)
{
  if (run->idle_id == 0)
    run->idle_id
      = g_idle_add_full (G_PRIORITY_DEFAULT, flush_results, g_atomic_rc_box_acquire (run),
                         (GDestroyNotify)inspect_run_unref);
}

/* Worker thread. */
static void
on_item (const DmInspectItem *item, gpointer user_data)
{
  InspectRun *run = user_data;
  DmInspectEntry *entry = entry_new (item);

  g_mutex_lock (&run->lock);
  g_ptr_array_add (run->pending, entry);
  run->n_seen = item->index + 1;
  schedule_flush (run);
  g_mutex_unlock (&run->lock);
}

/* Worker thread: the colour ranges, the file list, then the scoring. */
static void
inspect_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  InspectRun *run = task_data;
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) notes = g_ptr_array_new_with_free_func ((GDestroyNotify)g_error_free);
  g_autoptr (DmProjectResults) results = dm_project_results_load (run->results_dir, NULL);
  g_autoptr (GArray) ranges = g_array_new (FALSE, TRUE, sizeof (InspectClass));
  g_autoptr (GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;

  g_array_set_clear_func (ranges, inspect_class_clear);
  for (guint c = 0; results != NULL && c < results->n_classes; c++)
    {
      InspectClass k = { g_strdup (results->classes[c].name),
                         { 0 },
                         results->classes[c].map_low,
                         results->classes[c].map_high };
      g_array_append_val (ranges, k);
    }
  dm_inspect_collect ((const char *const *)run->paths, files, notes);
  for (guint i = 0; i < notes->len; i++)
    g_ptr_array_add (messages, g_strdup (((GError *)notes->pdata[i])->message));
  g_mutex_lock (&run->lock);
  run->ranges = g_steal_pointer (&ranges);
  run->notes = g_steal_pointer (&messages);
  run->n_files = files->len;
  run->listed = TRUE;
  schedule_flush (run);
  g_mutex_unlock (&run->lock);

  run->settings.model_path = run->model_path;
  run->settings.backbone_path = run->backbone_path;
  if (files->len == 0)
    g_task_return_boolean (task, TRUE);
  else if (dm_inspect_run (&run->settings, (const char *const *)files->pdata, files->len, on_item,
                           run, &run->cancel, NULL, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void set_busy (DmInspectPage *self);
static void start_next (DmInspectPage *self);

static void
on_inspect_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  InspectRun *run = g_task_get_task_data (G_TASK (result));
  DmInspectPage *self = run->page;
  g_autoptr (GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  flush_results (run);
  if (self == NULL)
    return;
  self->run = NULL;
  run->page = NULL;
  if (!ok && !g_error_matches (error, DM_ERROR, DM_ERROR_CANCELLED))
    {
      g_ptr_array_set_size (self->queue, 0);
      gtk_label_set_text (self->status_label, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
      set_busy (self);
      return;
    }
  if (!ok)
    g_ptr_array_set_size (self->queue, 0);
  update_status (self);
  if (ok)
    start_next (self);
  else
    set_busy (self);
}

static void
start_next (DmInspectPage *self)
{
  g_autoptr (GTask) task = NULL;
  InspectRun *run;

  if (self->run != NULL || self->queue->len == 0 || self->model_path == NULL)
    {
      set_busy (self);
      return;
    }
  run = g_atomic_rc_box_new0 (InspectRun);
  g_mutex_init (&run->lock);
  run->page = self;
  run->paths = g_ptr_array_steal_index (self->queue, 0);
  dm_inspect_settings_init (&run->settings);
  run->model_path = g_strdup (self->model_path);
  run->backbone_path = g_strdup (self->backbone_path);
  run->results_dir = g_build_filename (self->folder, "results", NULL);
  run->pending = g_ptr_array_new_with_free_func (g_object_unref);
  self->run = run;
  g_ptr_array_set_size (self->notes, 0);
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
  gtk_label_set_text (self->status_label, _ ("Loading the model…"));
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  set_busy (self);
  task = g_task_new (NULL, NULL, on_inspect_done, NULL);
  g_task_set_task_data (task, run, (GDestroyNotify)inspect_run_unref);
  g_task_run_in_thread (task, inspect_thread);
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

static void
set_busy (DmInspectPage *self)
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
static void
update_status (DmInspectPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  guint counts[3] = { 0 };
  InspectClass *k = current_class (self);
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
  set_badge (g_object_get_data (G_OBJECT (box), "badge"), e, current_class (self));
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
  InspectClass *k = current_class (self);
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
  InspectClass *k = current_class (self);
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
    update_status (self);
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

/* ---- export ---- */

typedef struct
{
  char *folder;
  char *class_name;
  DmThresholds thresholds;
  DmOverlayStyle style;
  GPtrArray *entries; /* DmInspectEntry, scored ones */
  guint written;
} ExportJob;

static void
export_job_free (ExportJob *job)
{
  g_free (job->folder);
  g_free (job->class_name);
  g_ptr_array_unref (job->entries);
  g_free (job);
}

static void
export_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ExportJob *job = task_data;
  g_autofree DmInspectRecord *records = g_new0 (DmInspectRecord, MAX (job->entries->len, 1));
  g_autofree char *csv = g_build_filename (job->folder, "inspection.csv", NULL);
  DmInspectEntry *first = job->entries->pdata[0];
  GError *error = NULL;

  for (guint i = 0; i < job->entries->len; i++)
    {
      DmInspectEntry *e = job->entries->pdata[i];

      records[i] = (DmInspectRecord){ e->path, e->score, e->map };
    }
  /* overlays first: the CSV, written last, names only complete exports */
  if (dm_inspect_write_overlays (job->folder, records, job->entries->len, first->resize,
                                 first->crop, &job->style, 0, NULL, &job->written, &error)
      && dm_inspect_write_csv (csv, job->class_name, &job->thresholds, records, job->entries->len,
                               &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
toast (DmInspectPage *self, const char *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}

static void
on_export_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DmInspectPage *self = DM_INSPECT_PAGE (source);
  ExportJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  self->exporting = FALSE;
  if (self->store == NULL)
    return;
  set_busy (self);
  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *display = g_filename_display_name (job->folder);

      text = g_strdup_printf (
        ngettext ("%u result exported to %s", "%u results exported to %s", job->entries->len),
        job->entries->len, display);
      gtk_label_set_text (self->status_label, text);
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
    }
  else
    {
      text = g_strdup_printf (_ ("Export failed: %s"), error->message);
      gtk_label_set_text (self->status_label, text);
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
    }
  toast (self, text);
}

/* ---- public ---- */

static void
inspect_class_clear (gpointer data)
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
  g_array_set_clear_func (self->classes, inspect_class_clear);
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
dm_inspect_page_start (DmInspectPage *self, const char *const *paths, GError **error)
{
  if (self->model_path == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   _ ("The project has no trained model yet: train one on the Train page first."));
      return FALSE;
    }
  if (paths == NULL || paths[0] == NULL)
    return TRUE;
  g_ptr_array_add (self->queue, g_strdupv ((char **)paths));
  start_next (self);
  return TRUE;
}

void
dm_inspect_page_cancel (DmInspectPage *self)
{
  g_ptr_array_set_size (self->queue, 0);
  if (self->run != NULL)
    {
      g_atomic_int_set (&self->run->cancel, 1);
      gtk_label_set_text (self->status_label, _ ("Stopping…"));
    }
}

void
dm_inspect_page_clear (DmInspectPage *self)
{
  dm_inspect_page_cancel (self);
  if (self->run != NULL)
    {
      /* its last results must not land in the next list */
      self->run->page = NULL;
      self->run = NULL;
    }
  g_list_store_remove_all (self->store);
  g_ptr_array_set_size (self->notes, 0);
  self->n_failed = 0;
  gtk_label_set_text (self->status_label, "");
  gtk_stack_set_visible_child_name (self->content_stack, "empty");
  set_busy (self);
}

gboolean
dm_inspect_page_export (DmInspectPage *self, const char *folder, GError **error)
{
  g_autoptr (GTask) task = NULL;
  InspectClass *k = current_class (self);
  ExportJob *job;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  if (self->run != NULL || self->exporting)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   _ ("Wait until the running inspection or export is done."));
      return FALSE;
    }
  job = g_new0 (ExportJob, 1);
  job->entries = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < n; i++)
    {
      DmInspectEntry *e = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (e->error == NULL)
        g_ptr_array_add (job->entries, e);
      else
        g_object_unref (e);
    }
  if (job->entries->len == 0)
    {
      export_job_free (job);
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, _ ("There are no scored images to export."));
      return FALSE;
    }
  job->folder = g_strdup (folder);
  job->class_name = g_strdup (k != NULL ? k->name : NULL);
  dm_thresholds_init (&job->thresholds);
  if (k != NULL)
    job->thresholds = k->thresholds;
  dm_inspect_overlay_style (&job->style, job->thresholds.pixel, k != NULL ? k->map_low : NAN,
                            k != NULL ? k->map_high : NAN);
  self->exporting = TRUE;
  set_busy (self);
  gtk_label_set_text (self->status_label, _ ("Exporting…"));
  task = g_task_new (self, NULL, on_export_done, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify)export_job_free);
  g_task_run_in_thread (task, export_thread);
  return TRUE;
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
  InspectClass *k = current_class (self);

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
  InspectClass *k = current_class (self);

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

  if (self->run != NULL)
    {
      g_atomic_int_set (&self->run->cancel, 1);
      self->run->page = NULL;
      self->run = NULL;
    }
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
  g_signal_connect (target, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
  set_busy (self);
}
