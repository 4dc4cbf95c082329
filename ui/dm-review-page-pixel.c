/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Review page's F1-optimal pixel threshold: the class's maps and masks
 * read off the main thread (as the metrics read them), the cut that
 * maximises F1 over their pixels handed to the threshold panel, which
 * takes it as a move of the pixel slider (saved, audited). */
#include "config.h"

#include "dm-feedback.h"
#include "dm-project-metrics.h"
#include "dm-review-page-private.h"

typedef struct
{
  DmProjectResults *results; /* shared */
  guint class_index;
  char *folder; /* the project's: its labels and painted masks, read afresh */
  double value;
} PixelF1;

static void
pixel_f1_free (PixelF1 *p)
{
  g_clear_pointer (&p->results, dm_review_results_unref);
  g_free (p->folder);
  g_free (p);
}

static gboolean
pixel_f1_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  PixelF1 *p = data;
  /* a copy of its own: the window's project stays on the main thread (every
   * change of labels and masks is saved at once, so the file is current) */
  g_autoptr (DmProject) project = dm_project_open (p->folder, error);
  g_autoptr (DmProjectClassEval) eval = NULL;

  if (project == NULL)
    return FALSE;
  eval = dm_project_class_eval (p->results, p->class_index, project, error);
  if (eval == NULL)
    return FALSE;
  p->value = dm_project_class_eval_pixel_f1_optimal (eval, NULL);
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

static void
on_pixel_f1_done (DmReviewPage *self, DmJob *job)
{
  PixelF1 *p = dm_job_get_data (job);
  const GError *error = dm_job_get_error (job);

  dm_threshold_panel_set_pixel_f1_busy (self->threshold_panel, FALSE);
  if (p->results != self->results || self->panel_class != (int)p->class_index)
    return;
  if (error != NULL)
    dm_feedback_toast (GTK_WIDGET (self), error->message);
  else
    dm_threshold_panel_propose_pixel (self->threshold_panel, p->value);
}

void
dm_review_page_propose_pixel_f1 (DmReviewPage *self)
{
  DmProject *project = dm_review_page_project (self);
  g_autofree float *first = NULL;
  PixelF1 *p;

  if (project == NULL || self->panel_class < 0)
    return;
  /* the class's maps file is opened here, on the main thread, before the
   * worker reads it (dm_project_results_read_map) */
  first = g_new (float, 256 * 256);
  if (self->results->classes[self->panel_class].n_images == 0
      || !dm_project_results_read_map (self->results, (guint)self->panel_class, 0, first, NULL))
    return;
  p = g_new0 (PixelF1, 1);
  p->results = dm_review_results_ref (self->results);
  p->class_index = (guint)self->panel_class;
  p->folder = g_strdup (project->folder);
  dm_job_clear (&self->pixel_job);
  self->pixel_job = dm_job_new (pixel_f1_run, p, (GDestroyNotify)pixel_f1_free);
  g_signal_connect_swapped (self->pixel_job, "finished", G_CALLBACK (on_pixel_f1_done), self);
  dm_threshold_panel_set_pixel_f1_busy (self->threshold_panel, TRUE);
  dm_job_start (self->pixel_job);
}

gboolean
dm_review_page_is_proposing_pixel (DmReviewPage *self)
{
  return self->pixel_job != NULL && dm_job_is_running (self->pixel_job);
}
