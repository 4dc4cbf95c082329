/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Inspect page's background work: its inspection jobs, run one after
 * the other with their results in the grid as they come and their
 * progress on the bar, and the export (CSV and overlay PNGs written in a
 * DmJob thread). */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dm-error.h"
#include "dm-feedback.h"
#include "dm-inspect-page-private.h"

static void start_next (DmInspectPage *self);

/* ---- the running job, onto the bar and the status line ---- */

static void
on_progress (DmInspectPage *self)
{
  guint n_files = dm_inspect_job_get_n_files (self->job);
  guint n_done = dm_inspect_job_get_n_done (self->job);

  if (!dm_inspect_job_is_listed (self->job))
    {
      gtk_progress_bar_pulse (self->progress_bar);
      return;
    }
  if (n_files > 0)
    gtk_progress_bar_set_fraction (self->progress_bar, (double)n_done / n_files);
  {
    g_autofree char *text
      = g_strdup_printf (_ ("Scoring %u of %u images…"), MIN (n_done + 1, n_files), n_files);

    gtk_label_set_text (self->status_label, text);
  }
}

/* The colour ranges of the project's scored classes, as the job read them. */
static void
on_listed (DmInspectPage *self)
{
  for (guint c = 0; self->classes != NULL && c < self->classes->len; c++)
    {
      InspectClass *k = &g_array_index (self->classes, InspectClass, c);

      dm_inspect_job_get_map_range (self->job, k->name, &k->map_low, &k->map_high);
    }
  on_progress (self);
}

static void
on_job_finished (DmInspectPage *self)
{
  DmJobState state = dm_job_get_state (DM_JOB (self->job));

  if (state == DM_JOB_FAILED)
    {
      g_ptr_array_set_size (self->queue, 0);
      gtk_label_set_text (self->status_label, dm_job_get_error (DM_JOB (self->job))->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
      dm_inspect_page_set_busy (self);
      return;
    }
  if (state == DM_JOB_CANCELLED)
    g_ptr_array_set_size (self->queue, 0);
  dm_inspect_page_update_status (self);
  if (state == DM_JOB_SUCCEEDED)
    start_next (self);
  else
    {
      /* cancelled: what was scored stays, and the line says it stopped */
      g_autofree char *text
        = g_strdup_printf (_ ("Stopped. %s"), gtk_label_get_text (self->status_label));

      gtk_label_set_text (self->status_label, text);
      dm_inspect_page_set_busy (self);
    }
}

/* The job no longer reports to the page; a running one is discarded (its
 * last results must not land in the next list). */
static void
drop_job (DmInspectPage *self)
{
  if (self->job == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->job, self);
  dm_job_clear ((DmJob **)&self->job);
}

static void
start_next (DmInspectPage *self)
{
  if ((self->job != NULL && dm_job_is_running (DM_JOB (self->job))) || self->queue->len == 0)
    {
      dm_inspect_page_set_busy (self);
      return;
    }
  drop_job (self);
  self->job = g_ptr_array_steal_index (self->queue, 0);
  g_signal_connect_swapped (self->job, "notify::n-done", G_CALLBACK (on_progress), self);
  g_signal_connect_swapped (self->job, "notify::listed", G_CALLBACK (on_listed), self);
  g_signal_connect_swapped (self->job, "finished", G_CALLBACK (on_job_finished), self);
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
  gtk_label_set_text (self->status_label, _ ("Loading the model…"));
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  dm_job_start (DM_JOB (self->job));
  dm_inspect_page_set_busy (self);
}

void
dm_inspect_page_add_job (DmInspectPage *self, DmInspectJob *job)
{
  g_return_if_fail (DM_IS_INSPECT_PAGE (self));
  g_return_if_fail (dm_job_get_state (DM_JOB (job)) == DM_JOB_READY);

  g_list_store_append (self->runs, dm_inspect_job_get_results (job));
  g_ptr_array_add (self->queue, g_object_ref (job));
  start_next (self);
}

gboolean
dm_inspect_page_is_running (DmInspectPage *self)
{
  return (self->job != NULL && dm_job_is_running (DM_JOB (self->job))) || self->queue->len > 0;
}

/* Forgets the jobs waiting, and their (empty) places in the grid. */
static void
drop_queue (DmInspectPage *self)
{
  for (guint i = 0; i < self->queue->len; i++)
    {
      guint position;

      if (g_list_store_find (self->runs, dm_inspect_job_get_results (self->queue->pdata[i]),
                             &position))
        g_list_store_remove (self->runs, position);
    }
  g_ptr_array_set_size (self->queue, 0);
}

void
dm_inspect_page_cancel (DmInspectPage *self)
{
  drop_queue (self);
  if (self->job != NULL && dm_job_is_running (DM_JOB (self->job)))
    {
      dm_job_cancel (DM_JOB (self->job));
      gtk_label_set_text (self->status_label, _ ("Stopping…"));
    }
}

void
dm_inspect_page_clear (DmInspectPage *self)
{
  drop_queue (self);
  drop_job (self);
  g_list_store_remove_all (self->runs);
  gtk_label_set_text (self->status_label, "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label), NULL);
  gtk_stack_set_visible_child_name (self->content_stack, "empty");
  dm_inspect_page_set_busy (self);
}

/* ---- export ---- */

typedef struct
{
  char *folder;
  char *class_name;
  DmThresholds thresholds;
  DmRules *rules; /* the class's inspection rules, or NULL */
  DmOverlayStyle style;
  GPtrArray *entries; /* DmInspectEntry, scored ones */
  guint written;
} Export;

static void
export_free (Export *e)
{
  g_free (e->folder);
  g_free (e->class_name);
  g_clear_pointer (&e->rules, dm_rules_free);
  g_ptr_array_unref (e->entries);
  g_free (e);
}

static gboolean
export_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  Export *e = data;
  g_autofree DmInspectRecord *records = g_new0 (DmInspectRecord, MAX (e->entries->len, 1));
  g_autofree char *csv = g_build_filename (e->folder, "inspection.csv", NULL);
  DmInspectEntry *first = e->entries->pdata[0];
  g_autoptr (DmDecider) decider = NULL;

  /* as the page decides (dm_inspect_page_verdict): rules that do not apply
   * to this model's maps leave the score alone to decide */
  decider = dm_decider_new (&e->thresholds, e->rules, first->resize, first->crop, NULL);
  if (decider == NULL)
    {
      g_clear_pointer (&e->rules, dm_rules_free);
      decider = dm_decider_new (&e->thresholds, NULL, first->resize, first->crop, error);
      if (decider == NULL)
        return FALSE;
    }
  for (guint i = 0; i < e->entries->len; i++)
    {
      DmInspectEntry *entry = e->entries->pdata[i];

      records[i] = (DmInspectRecord){ entry->path,  entry->score,  entry->map,
                                      entry->width, entry->height, NULL };
    }
  /* overlays first: the CSV, written last, names only complete exports */
  return dm_inspect_write_overlays (e->folder, records, e->entries->len, first->resize, first->crop,
                                    &e->style, e->rules, 0, NULL, &e->written, error)
         && dm_inspect_write_csv (csv, e->class_name, decider, records, e->entries->len, error);
}

static void
on_export_finished (DmInspectPage *self, DmJob *job)
{
  Export *e = dm_job_get_data (job);
  g_autofree char *text = NULL;

  dm_inspect_page_set_busy (self);
  if (dm_job_get_state (job) == DM_JOB_SUCCEEDED)
    {
      g_autofree char *display = g_filename_display_name (e->folder);

      text = g_strdup_printf (
        ngettext ("%u result exported to %s", "%u results exported to %s", e->entries->len),
        e->entries->len, display);
      gtk_label_set_text (self->status_label, text);
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
    }
  else
    {
      text = g_strdup_printf (_ ("Export failed: %s"), dm_job_get_error (job)->message);
      gtk_label_set_text (self->status_label, text);
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
    }
  dm_feedback_toast (GTK_WIDGET (self), text);
}

gboolean
dm_inspect_page_is_exporting (DmInspectPage *self)
{
  return self->export_job != NULL && dm_job_is_running (self->export_job);
}

gboolean
dm_inspect_page_export (DmInspectPage *self, const char *folder, GError **error)
{
  InspectClass *k = dm_inspect_page_current_class (self);
  guint n = g_list_model_get_n_items (self->results);
  Export *e;

  if (dm_inspect_page_is_running (self) || dm_inspect_page_is_exporting (self))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s",
                   _ ("Wait until the running inspection or export is done."));
      return FALSE;
    }
  e = g_new0 (Export, 1);
  e->entries = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < n; i++)
    {
      DmInspectEntry *entry = g_list_model_get_item (self->results, i);

      if (entry->error == NULL)
        g_ptr_array_add (e->entries, entry);
      else
        g_object_unref (entry);
    }
  if (e->entries->len == 0)
    {
      export_free (e);
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s",
                   _ ("There are no scored images to export."));
      return FALSE;
    }
  e->folder = g_strdup (folder);
  e->class_name = g_strdup (k != NULL ? k->name : NULL);
  dm_thresholds_init (&e->thresholds);
  if (k != NULL)
    {
      e->thresholds = k->thresholds;
      e->rules = k->rules != NULL ? dm_rules_copy (k->rules) : NULL;
    }
  dm_inspect_overlay_style (&e->style, e->thresholds.pixel, k != NULL ? k->map_low : NAN,
                            k != NULL ? k->map_high : NAN);
  dm_job_clear (&self->export_job);
  self->export_job = dm_job_new (export_run, e, (GDestroyNotify)export_free);
  g_signal_connect_swapped (self->export_job, "finished", G_CALLBACK (on_export_finished), self);
  dm_job_start (self->export_job);
  dm_inspect_page_set_busy (self);
  gtk_label_set_text (self->status_label, _ ("Exporting…"));
  return TRUE;
}

void
dm_inspect_page_jobs_dispose (DmInspectPage *self)
{
  if (self->queue != NULL)
    g_ptr_array_set_size (self->queue, 0);
  drop_job (self);
  if (self->export_job != NULL)
    g_signal_handlers_disconnect_by_data (self->export_job, self);
  dm_job_clear (&self->export_job);
}
