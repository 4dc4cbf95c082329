/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The feedback store: its events folded into parts, appended to, and
 * which image to label next (dm-project-feedback.h). */
#include "dm-project-feedback.h"

#include <math.h>

#include "dm-error.h"
#include "dm-jsonl.h"

static void
part_free (DmFeedbackPart *p)
{
  g_free (p->id);
  g_free (p->class_name);
  g_free (p->image);
  g_free (p->map);
  g_free (p->model_sha256);
  g_free (p->source);
  g_free (p);
}

void
dm_feedback_store_free (DmFeedbackStore *store)
{
  if (store == NULL)
    return;
  g_free (store->folder);
  g_ptr_array_unref (store->parts);
  g_hash_table_unref (store->by_id);
  g_free (store);
}

static char *
events_path (const char *project_folder)
{
  return g_build_filename (project_folder, DM_FEEDBACK_FOLDER, DM_FEEDBACK_EVENTS, NULL);
}

static void
apply_event (DmFeedbackStore *store, DmFeedbackEvent *e)
{
  DmFeedbackPart *p = g_hash_table_lookup (store->by_id, e->id);

  if (e->kind == DM_FEEDBACK_ARRIVED)
    {
      /* an import repeated after a crash: the part is there already */
      if (p != NULL)
        return;
      p = g_new0 (DmFeedbackPart, 1);
      p->id = g_steal_pointer (&e->id);
      p->class_name = g_steal_pointer (&e->class_name);
      p->image = g_build_filename (store->folder, e->image, NULL);
      p->map = g_build_filename (store->folder, e->map, NULL);
      p->score = e->score;
      p->decision = e->decision;
      p->thresholds = e->thresholds;
      p->model_sha256 = g_steal_pointer (&e->model_sha256);
      p->model_version = e->model_version;
      p->source = g_steal_pointer (&e->source);
      p->arrived_us = e->time_us;
      g_ptr_array_add (store->parts, p);
      g_hash_table_insert (store->by_id, p->id, p);
      return;
    }
  if (p == NULL)
    return;
  if (e->kind == DM_FEEDBACK_ADDED)
    {
      p->added = e->defect ? DM_FEEDBACK_ADDED_DEFECT : DM_FEEDBACK_ADDED_GOOD;
      p->added_us = e->time_us;
    }
  else
    {
      p->added = DM_FEEDBACK_NOT_ADDED;
      p->added_us = 0;
    }
}

static gboolean
read_event (const char *line, gsize len, guint64 line_no, gpointer data, GError **error)
{
  DmFeedbackStore *store = data;
  g_autoptr (DmFeedbackEvent) e = dm_feedback_event_from_json (line, len, "feedback event", NULL);

  if (e == NULL)
    store->n_skipped++;
  else
    apply_event (store, e);
  return TRUE;
}

DmFeedbackStore *
dm_feedback_store_load (const char *project_folder, GError **error)
{
  g_autoptr (DmFeedbackStore) store = g_new0 (DmFeedbackStore, 1);
  g_autofree char *path = events_path (project_folder);
  DmJsonlReadStats stats;

  store->folder = g_strdup (project_folder);
  store->parts = g_ptr_array_new_with_free_func ((GDestroyNotify)part_free);
  store->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  if (!dm_jsonl_read (path, DM_FEEDBACK_MAX_LINE, read_event, store, &stats, error))
    return NULL;
  store->n_skipped += (guint)stats.too_long + (stats.torn ? 1 : 0);
  return g_steal_pointer (&store);
}

DmFeedbackPart *
dm_feedback_store_find (DmFeedbackStore *store, const char *id)
{
  return g_hash_table_lookup (store->by_id, id);
}

DmFeedbackPart *
dm_feedback_store_find_image (DmFeedbackStore *store, const char *path)
{
  for (guint i = 0; i < store->parts->len; i++)
    {
      DmFeedbackPart *p = store->parts->pdata[i];

      if (g_strcmp0 (p->image, path) == 0)
        return p;
    }
  return NULL;
}

gboolean
dm_feedback_append (const char *project_folder,
                    DmFeedbackEvent *const *events,
                    guint n,
                    GError **error)
{
  g_autofree char *path = events_path (project_folder);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot create the folder", dir);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (lines, dm_feedback_event_to_json (events[i]));
  return dm_jsonl_append (path, (const char *const *)lines->pdata, n, error);
}

static gboolean
append_one (const char *project_folder, DmFeedbackEvent *e, GError **error)
{
  e->user = g_strdup (g_get_user_name ());
  return dm_feedback_append (project_folder, &e, 1, error);
}

gboolean
dm_feedback_add_part (const char *project_folder, const char *id, gboolean defect, GError **error)
{
  g_autoptr (DmFeedbackEvent) e = dm_feedback_event_new (DM_FEEDBACK_ADDED, id);

  e->defect = defect;
  return append_one (project_folder, e, error);
}

gboolean
dm_feedback_remove_part (const char *project_folder, const char *id, GError **error)
{
  g_autoptr (DmFeedbackEvent) e = dm_feedback_event_new (DM_FEEDBACK_REMOVED, id);

  return append_one (project_folder, e, error);
}

guint
dm_feedback_store_count_added (DmFeedbackStore *store, gint64 since_us)
{
  guint n = 0;

  for (guint i = 0; i < store->parts->len; i++)
    {
      const DmFeedbackPart *p = store->parts->pdata[i];

      n += p->added != DM_FEEDBACK_NOT_ADDED && p->added_us > since_us;
    }
  return n;
}

double
dm_label_priority (const DmThresholds *t, float score, double scale)
{
  double best = INFINITY;
  const double edges[] = { t->image, t->uncertain_low, t->uncertain_high };

  if (!(scale > 0) || !isfinite (scale))
    scale = 1;
  if (!isfinite (score))
    return INFINITY;
  if (isfinite (t->uncertain_low) && isfinite (t->uncertain_high) && score >= t->uncertain_low
      && score < t->uncertain_high)
    {
      double mid = (t->uncertain_low + t->uncertain_high) / 2;
      double half = (t->uncertain_high - t->uncertain_low) / 2;

      /* in [0, 1): the band's middle is the least sure */
      return half > 0 ? fabs (score - mid) / half * 0.999 : 0;
    }
  for (guint i = 0; i < G_N_ELEMENTS (edges); i++)
    if (isfinite (edges[i]))
      best = MIN (best, fabs (score - edges[i]));
  /* outside the band: after every part in it, nearest a threshold first */
  return 1 + best / scale;
}
