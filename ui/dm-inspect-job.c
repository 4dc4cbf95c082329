/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmInspectJob: dm_inspect_run in a DmJob thread. The worker never touches
 * the results list: each scored image becomes an immutable DmInspectEntry
 * put on a mutex-guarded pending list, and the job's coalesced "progress"
 * moves the list into "results", so a burst of images costs the main loop
 * one update. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dm-error.h"
#include "dm-inspect-job.h"
#include "dm-model-set.h"
#include "dm-project-results.h"
#include "dm-project-versions.h"

/* ---- one result ---- */

G_DEFINE_FINAL_TYPE (DmInspectEntry, dm_inspect_entry, G_TYPE_OBJECT)

typedef struct
{
  DmDecider *decider; /* a copy */
  DmVerdict verdict;
} Judged;

static void
judged_free (gpointer data)
{
  Judged *j = data;

  dm_decider_free (j->decider);
  g_free (j);
}

const DmVerdict *
dm_inspect_entry_judge (DmInspectEntry *self, const DmDecider *decider)
{
  Judged *j;

  if (self->map == NULL || decider == NULL)
    return NULL;
  for (guint i = 0; i < self->verdicts->len; i++)
    {
      j = self->verdicts->pdata[i];
      if (dm_decider_equal (j->decider, decider))
        return &j->verdict;
    }
  j = g_new0 (Judged, 1);
  j->decider = dm_decider_copy (decider);
  dm_decider_run (decider, self->map, self->score, self->width, self->height, &j->verdict, NULL);
  g_ptr_array_add (self->verdicts, j);
  return &j->verdict;
}

static void
dm_inspect_entry_finalize (GObject *object)
{
  DmInspectEntry *self = DM_INSPECT_ENTRY (object);

  g_free (self->path);
  g_free (self->name);
  g_free (self->map);
  g_free (self->error);
  g_clear_object (&self->thumbnail);
  g_ptr_array_unref (self->verdicts);
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
  self->verdicts = g_ptr_array_new_with_free_func (judged_free);
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

/* ---- the job ---- */

typedef struct
{
  char *name;
  double low, high;
} MapRange;

struct _DmInspectJob
{
  DmJob parent_instance;

  char **paths;
  char *model_path, *backbone_path, *results_dir;
  /* every class's thresholds and rules, as the project had them */
  GArray *class_thresholds; /* DmThresholds */
  GPtrArray *class_rules;   /* DmRules* (NULL: none) */
  GPtrArray *deciders;      /* worker: DmDecider* (NULL when the rules do not apply) */
  gint cancel;              /* dm_inspect_run's stop flag, set when the job is cancelled */

  /* what the properties show (main thread) */
  GListStore *results; /* DmInspectEntry */
  guint n_files, n_done;
  gboolean listed;
  char **notes;
  GArray *ranges; /* MapRange, once listed */

  GMutex lock;        /* guards what follows: worker -> main */
  GPtrArray *pending; /* DmInspectEntry made since the last "progress" */
  guint worker_n_files, worker_n_done;
  gboolean worker_listed;
  char **worker_notes;
  GArray *worker_ranges;
};

G_DEFINE_FINAL_TYPE (DmInspectJob, dm_inspect_job, DM_TYPE_JOB)

enum
{
  PROP_0,
  PROP_RESULTS,
  PROP_N_FILES,
  PROP_N_DONE,
  PROP_LISTED,
  PROP_NOTES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
map_range_clear (gpointer data)
{
  g_free (((MapRange *)data)->name);
}

char *
dm_inspect_job_find_model (const DmProject *project, const char *class_name)
{
  g_autofree char *model = NULL;
  g_autoptr (DmModelSet) set = NULL;
  const char *path;

  if (project->model == NULL)
    return NULL;
  model = g_build_filename (project->folder, project->model, NULL);
  if (!g_file_test (model, G_FILE_TEST_IS_DIR))
    return g_file_test (model, G_FILE_TEST_IS_REGULAR) ? g_steal_pointer (&model) : NULL;
  /* one model per class */
  set = dm_model_set_open (model, NULL);
  if (set == NULL)
    return NULL;
  if (class_name == NULL)
    return g_steal_pointer (&model);
  path = dm_model_set_find (set, class_name);
  return path != NULL ? g_strdup (path) : NULL;
}

DmInspectJob *
dm_inspect_job_new (const DmProject *project,
                    const char *class_name,
                    const char *const *paths,
                    GError **error)
{
  g_autofree char *model = dm_inspect_job_find_model (project, class_name);
  g_autofree char *any = model == NULL ? dm_inspect_job_find_model (project, NULL) : NULL;
  DmInspectJob *self;

  if (model == NULL && any != NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   _ ("The project has one model per class and none for “%s”: train again "
                      "with this class on the Train page."),
                   class_name != NULL ? class_name : "");
      return NULL;
    }
  if (model == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s",
                   _ ("The project has no trained model yet: train one on the Train page first."));
      return NULL;
    }
  self = g_object_new (DM_TYPE_INSPECT_JOB, NULL);
  self->paths = g_strdupv ((char **)paths);
  self->model_path = g_steal_pointer (&model);
  self->backbone_path = g_strdup (project->backbone_path);
  self->results_dir = dm_project_results_folder (project);
  for (guint i = 0; i < project->classes->len; i++)
    {
      const DmProjectClass *pc = project->classes->pdata[i];
      DmThresholds t;

      dm_project_class_thresholds (pc, &t);
      g_array_append_val (self->class_thresholds, t);
      g_ptr_array_add (self->class_rules, pc->rules != NULL ? dm_rules_copy (pc->rules) : NULL);
    }
  return self;
}

/* Worker thread. */
static void
on_item (const DmInspectItem *item, gpointer user_data)
{
  DmInspectJob *self = user_data;
  DmInspectEntry *entry = entry_new (item);

  /* judged here, off the main thread: the page finds the verdicts kept */
  if (self->deciders == NULL && item->map != NULL)
    {
      self->deciders = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_decider_free);
      for (guint c = 0; c < self->class_thresholds->len; c++)
        g_ptr_array_add (self->deciders,
                         dm_decider_new (&g_array_index (self->class_thresholds, DmThresholds, c),
                                         self->class_rules->pdata[c], item->resize, item->crop,
                                         NULL));
    }
  for (guint c = 0; item->map != NULL && c < self->deciders->len; c++)
    dm_inspect_entry_judge (entry, self->deciders->pdata[c]);

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->pending, entry);
  self->worker_n_done = item->index + 1;
  g_mutex_unlock (&self->lock);
  dm_job_report_progress (DM_JOB (self));
}

static void
on_cancelled (GCancellable *cancellable, gpointer data)
{
  g_atomic_int_set ((gint *)data, 1);
}

/* Worker thread: the colour ranges, the file list, then the scoring. */
static gboolean
dm_inspect_job_run (DmJob *job, GCancellable *cancellable, GError **error)
{
  DmInspectJob *self = DM_INSPECT_JOB (job);
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) notes = g_ptr_array_new_with_free_func ((GDestroyNotify)g_error_free);
  g_autoptr (DmProjectResults) results = dm_project_results_load (self->results_dir, NULL);
  g_autoptr (GArray) ranges = g_array_new (FALSE, TRUE, sizeof (MapRange));
  g_autoptr (GStrvBuilder) messages = g_strv_builder_new ();
  DmInspectSettings settings;
  gulong cancelled_id;
  gboolean ok;

  g_array_set_clear_func (ranges, map_range_clear);
  for (guint c = 0; results != NULL && c < results->n_classes; c++)
    {
      MapRange k = { g_strdup (results->classes[c].name), results->classes[c].map_low,
                     results->classes[c].map_high };
      g_array_append_val (ranges, k);
    }
  dm_inspect_collect ((const char *const *)self->paths, files, notes);
  for (guint i = 0; i < notes->len; i++)
    g_strv_builder_add (messages, ((GError *)notes->pdata[i])->message);
  g_mutex_lock (&self->lock);
  self->worker_ranges = g_steal_pointer (&ranges);
  self->worker_notes = g_strv_builder_end (messages);
  self->worker_n_files = files->len;
  self->worker_listed = TRUE;
  g_mutex_unlock (&self->lock);
  dm_job_report_progress (job);
  if (files->len == 0)
    return TRUE;

  dm_inspect_settings_init (&settings);
  settings.model_path = self->model_path;
  settings.backbone_path = self->backbone_path;
  /* called at once when the job was cancelled before it got here */
  cancelled_id
    = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), &self->cancel, NULL);
  ok = dm_inspect_run (&settings, (const char *const *)files->pdata, files->len, on_item, self,
                       &self->cancel, NULL, error);
  g_cancellable_disconnect (cancellable, cancelled_id);
  return ok;
}

/* Main thread: the pending results into the list, the counts into the
 * properties. */
static void
dm_inspect_job_progress (DmJob *job)
{
  DmInspectJob *self = DM_INSPECT_JOB (job);
  g_autoptr (GPtrArray) pending = NULL;
  g_autoptr (GArray) ranges = NULL;
  char **notes;
  guint n_files, n_done;
  gboolean listed;

  g_mutex_lock (&self->lock);
  pending = g_steal_pointer (&self->pending);
  self->pending = g_ptr_array_new_with_free_func (g_object_unref);
  ranges = g_steal_pointer (&self->worker_ranges);
  notes = g_steal_pointer (&self->worker_notes);
  n_files = self->worker_n_files;
  n_done = self->worker_n_done;
  listed = self->worker_listed;
  g_mutex_unlock (&self->lock);

  g_object_freeze_notify (G_OBJECT (self));
  if (ranges != NULL)
    {
      g_clear_pointer (&self->ranges, g_array_unref);
      self->ranges = g_steal_pointer (&ranges);
    }
  if (notes != NULL)
    {
      g_strfreev (self->notes);
      self->notes = notes;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOTES]);
    }
  if (pending->len > 0)
    g_list_store_splice (self->results, g_list_model_get_n_items (G_LIST_MODEL (self->results)), 0,
                         pending->pdata, pending->len);
  if (self->n_files != n_files)
    {
      self->n_files = n_files;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_FILES]);
    }
  if (self->n_done != n_done)
    {
      self->n_done = n_done;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_DONE]);
    }
  if (self->listed != listed)
    {
      self->listed = listed;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTED]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

GListModel *
dm_inspect_job_get_results (DmInspectJob *self)
{
  return G_LIST_MODEL (self->results);
}

guint
dm_inspect_job_get_n_files (DmInspectJob *self)
{
  return self->n_files;
}

guint
dm_inspect_job_get_n_done (DmInspectJob *self)
{
  return self->n_done;
}

gboolean
dm_inspect_job_is_listed (DmInspectJob *self)
{
  return self->listed;
}

const char *const *
dm_inspect_job_get_notes (DmInspectJob *self)
{
  return (const char *const *)self->notes;
}

gboolean
dm_inspect_job_get_map_range (DmInspectJob *self, const char *class_name, double *low, double *high)
{
  for (guint i = 0; self->ranges != NULL && i < self->ranges->len; i++)
    {
      MapRange *k = &g_array_index (self->ranges, MapRange, i);

      if (g_strcmp0 (k->name, class_name) == 0)
        {
          *low = k->low;
          *high = k->high;
          return TRUE;
        }
    }
  return FALSE;
}

/* ---- GObject ---- */

static void
dm_inspect_job_finalize (GObject *object)
{
  DmInspectJob *self = DM_INSPECT_JOB (object);

  g_strfreev (self->paths);
  g_free (self->model_path);
  g_free (self->backbone_path);
  g_free (self->results_dir);
  g_array_unref (self->class_thresholds);
  g_ptr_array_unref (self->class_rules);
  g_clear_pointer (&self->deciders, g_ptr_array_unref);
  g_clear_object (&self->results);
  g_strfreev (self->notes);
  g_clear_pointer (&self->ranges, g_array_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_strfreev (self->worker_notes);
  g_clear_pointer (&self->worker_ranges, g_array_unref);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (dm_inspect_job_parent_class)->finalize (object);
}

static void
dm_inspect_job_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DmInspectJob *self = DM_INSPECT_JOB (object);

  switch (prop_id)
    {
    case PROP_RESULTS: g_value_set_object (value, self->results); break;
    case PROP_N_FILES: g_value_set_uint (value, self->n_files); break;
    case PROP_N_DONE: g_value_set_uint (value, self->n_done); break;
    case PROP_LISTED: g_value_set_boolean (value, self->listed); break;
    case PROP_NOTES: g_value_set_boxed (value, self->notes); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#define READABLE (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY)

static void
dm_inspect_job_class_init (DmInspectJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  DmJobClass *job_class = DM_JOB_CLASS (klass);

  object_class->finalize = dm_inspect_job_finalize;
  object_class->get_property = dm_inspect_job_get_property;
  job_class->run = dm_inspect_job_run;
  job_class->progress = dm_inspect_job_progress;

  properties[PROP_RESULTS]
    = g_param_spec_object ("results", NULL, NULL, G_TYPE_LIST_MODEL, READABLE);
  properties[PROP_N_FILES] = g_param_spec_uint ("n-files", NULL, NULL, 0, G_MAXUINT, 0, READABLE);
  properties[PROP_N_DONE] = g_param_spec_uint ("n-done", NULL, NULL, 0, G_MAXUINT, 0, READABLE);
  properties[PROP_LISTED] = g_param_spec_boolean ("listed", NULL, NULL, FALSE, READABLE);
  properties[PROP_NOTES] = g_param_spec_boxed ("notes", NULL, NULL, G_TYPE_STRV, READABLE);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dm_inspect_job_init (DmInspectJob *self)
{
  g_mutex_init (&self->lock);
  self->results = g_list_store_new (DM_TYPE_INSPECT_ENTRY);
  self->class_thresholds = g_array_new (FALSE, FALSE, sizeof (DmThresholds));
  self->class_rules = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_rules_free);
  self->pending = g_ptr_array_new_with_free_func (g_object_unref);
  self->notes = g_new0 (char *, 1);
}
