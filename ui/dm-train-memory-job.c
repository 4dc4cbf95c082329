/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The memory a project's next training run needs, for the Train page. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-project-train.h"
#include "dm-train-memory-job.h"

typedef struct
{
  char *folder;
  DmTrainMemory memory;
  gboolean per_class;
  guint64 physical;
} Estimate;

static void
estimate_free (Estimate *e)
{
  g_free (e->folder);
  g_free (e);
}

/* Worker thread: the project as saved (every change is saved at once). */
static gboolean
estimate_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  Estimate *e = data;
  g_autoptr (DmProject) project = dm_project_open (e->folder, error);
  DmTrainSettings s;

  if (project == NULL || !dm_project_train_memory (project, &e->memory, error))
    return FALSE;
  if (dm_project_train_settings (project, &s, NULL))
    e->per_class = s.per_class;
  dm_train_settings_clear (&s);
  e->physical = dm_train_memory_physical ();
  return TRUE;
}

DmJob *
dm_train_memory_job_new (const DmProject *project)
{
  Estimate *e = g_new0 (Estimate, 1);

  e->folder = g_strdup (project->folder);
  return dm_job_new (estimate_run, e, (GDestroyNotify)estimate_free);
}

char *
dm_train_memory_job_describe (DmJob *job, gboolean *too_much)
{
  Estimate *e = dm_job_get_data (job);
  const DmTrainMemory *m = &e->memory;
  g_autofree char *total = NULL, *enc = NULL, *cache = NULL, *dec = NULL, *acts = NULL;
  g_autofree char *have = NULL;
  GString *text;

  *too_much = FALSE;
  if (dm_job_get_state (job) != DM_JOB_SUCCEEDED)
    {
      const GError *error = dm_job_get_error (job);

      return g_strdup_printf (_ ("Not known: %s"), error != NULL ? error->message : "");
    }
  total = g_format_size (m->total);
  enc = g_format_size (m->encoder);
  cache = g_format_size (m->cache);
  dec = g_format_size (m->decoder);
  acts = g_format_size (m->activations);
  text = g_string_new (NULL);
  g_string_append_printf (text,
                          _ ("About %s: the encoder %s, the feature cache %s, the decoder and its "
                             "optimiser %s, the activations %s."),
                          total, enc, cache, dec, acts);
  if (e->per_class)
    g_string_append_printf (text, " %s", _ ("One model per class: for the largest class."));
  if (m->cache_in_file)
    g_string_append_printf (
      text, " %s",
      _ ("The feature cache does not fit in memory: it goes to a file in the project folder."));
  if (e->physical > 0)
    {
      have = g_format_size (e->physical);
      g_string_append_printf (text, " ");
      g_string_append_printf (text, _ ("This computer has %s."), have);
    }
  *too_much = dm_train_memory_exceeds (m, e->physical);
  if (*too_much)
    g_string_append_printf (text, " %s",
                            _ ("That is more than it has: choose a smaller backbone, crop or "
                               "batch size, or fewer images."));
  return g_string_free (text, FALSE);
}
