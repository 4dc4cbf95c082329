/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Inspect page's background work: the inspection (dm_inspect_run in a
 * GTask thread, its results carried to the grid) and the export (CSV and
 * overlay PNGs written in a GTask thread).
 *
 * The inspection worker never touches a widget: each scored image becomes
 * an immutable DmInspectEntry put on a mutex-guarded pending list, and at
 * most one idle callback is pending to move the list into the grid, so a
 * burst of results costs the main loop one update. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dm-error.h"
#include "dm-inspect-page-private.h"
#include "dm-project-results.h"

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

InspectClass *
dm_inspect_page_current_class (DmInspectPage *self)
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

  g_array_set_clear_func (ranges, dm_inspect_class_clear);
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
      dm_inspect_page_set_busy (self);
      return;
    }
  if (!ok)
    g_ptr_array_set_size (self->queue, 0);
  dm_inspect_page_update_status (self);
  if (ok)
    dm_inspect_page_start_next (self);
  else
    {
      /* cancelled: what was scored stays, and the line says it stopped */
      g_autofree char *text
        = g_strdup_printf (_ ("Stopped. %s"), gtk_label_get_text (self->status_label));

      gtk_label_set_text (self->status_label, text);
      dm_inspect_page_set_busy (self);
    }
}

void
dm_inspect_page_start_next (DmInspectPage *self)
{
  g_autoptr (GTask) task = NULL;
  InspectRun *run;

  if (self->run != NULL || self->queue->len == 0 || self->model_path == NULL)
    {
      dm_inspect_page_set_busy (self);
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
  dm_inspect_page_set_busy (self);
  task = g_task_new (NULL, NULL, on_inspect_done, NULL);
  g_task_set_task_data (task, run, (GDestroyNotify)inspect_run_unref);
  g_task_run_in_thread (task, inspect_thread);
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

void
dm_inspect_page_toast (DmInspectPage *self, const char *text)
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
  dm_inspect_page_set_busy (self);
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
  dm_inspect_page_toast (self, text);
}

/* ---- public ---- */

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
  dm_inspect_page_start_next (self);
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
  /* its last results must not land in the next list */
  dm_inspect_page_detach_run (self);
  g_list_store_remove_all (self->store);
  g_ptr_array_set_size (self->notes, 0);
  self->n_failed = 0;
  gtk_label_set_text (self->status_label, "");
  gtk_stack_set_visible_child_name (self->content_stack, "empty");
  dm_inspect_page_set_busy (self);
}

gboolean
dm_inspect_page_export (DmInspectPage *self, const char *folder, GError **error)
{
  g_autoptr (GTask) task = NULL;
  InspectClass *k = dm_inspect_page_current_class (self);
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
  dm_inspect_page_set_busy (self);
  gtk_label_set_text (self->status_label, _ ("Exporting…"));
  task = g_task_new (self, NULL, on_export_done, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify)export_job_free);
  g_task_run_in_thread (task, export_thread);
  return TRUE;
}

void
dm_inspect_page_detach_run (DmInspectPage *self)
{
  if (self->run == NULL)
    return;
  g_atomic_int_set (&self->run->cancel, 1);
  self->run->page = NULL;
  self->run = NULL;
}
