/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Review page's decisions by a class's inspection rules and its
 * regions: a class with rules or a pixel threshold is judged as predict and
 * the station judge it (dm_decider_run on each test image's map), off the
 * main thread; the items take the decisions and their largest region (the
 * filter "a region of at least") when the job ends. Without rules the
 * decider's decision is the score's (dm_decide), as set before. */
#include "config.h"

#include <math.h>

#include "dm-decider.h"
#include "dm-review-page-private.h"

#define MAP_PIXELS (256 * 256)

typedef struct
{
  DmProjectResults *results; /* shared */
  guint class_index;
  DmDecider *decider;
  DmDecision *decisions; /* (n_images), for the test images */
  double *largest;       /* (n_images): the largest region that counts, rule units */
} Judge;

static void
judge_free (Judge *j)
{
  g_clear_pointer (&j->results, dm_review_results_unref);
  g_clear_pointer (&j->decider, dm_decider_free);
  g_free (j->decisions);
  g_free (j->largest);
  g_free (j);
}

static gboolean
judge_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  Judge *j = data;
  const DmResultClass *k = &j->results->classes[j->class_index];
  g_autofree float *map = g_new (float, MAP_PIXELS);

  for (guint i = 0; i < k->n_images; i++)
    {
      const DmResultImage *image = &k->images[i];
      DmVerdict v;

      if (image->split != DM_SPLIT_TEST)
        continue;
      if (g_cancellable_set_error_if_cancelled (cancellable, error)
          || !dm_project_results_read_map (j->results, j->class_index, i, map, error))
        return FALSE;
      dm_decider_run (j->decider, map, image->score, image->width, image->height, &v, NULL);
      j->decisions[i] = v.decision;
      j->largest[i] = v.n_listed > 0
                        ? dm_rules_region_area (dm_decider_get_rules (j->decider), &v.regions[0])
                        : 0;
    }
  return TRUE;
}

static void
on_judged (DmReviewPage *self, DmJob *job)
{
  Judge *j = dm_job_get_data (job);
  GListModel *store = G_LIST_MODEL (self->store);

  if (dm_job_get_state (job) != DM_JOB_SUCCEEDED || j->results != self->results)
    return;
  for (guint i = 0; i < g_list_model_get_n_items (store); i++)
    {
      g_autoptr (DmReviewItem) item = g_list_model_get_item (store, i);

      guint index = dm_review_item_get_image_index (item);

      if (dm_review_item_get_class_index (item) != j->class_index)
        continue;
      dm_review_item_set_decision (item, j->decisions[index]);
      dm_review_item_set_largest_region (item, j->largest[index]);
    }
  dm_review_page_decisions_changed (self);
}

void
dm_review_page_judge_class (DmReviewPage *self, guint class_index)
{
  const DmResultClass *k;
  const DmProjectClass *pc;
  g_autoptr (DmDecider) decider = NULL;
  g_autofree float *first = NULL;
  DmThresholds t;
  Judge *j;
  DmJob *job;

  if (self->results == NULL || class_index >= self->results->n_classes)
    return;
  if (self->judge_jobs->len < self->results->n_classes)
    g_ptr_array_set_size (self->judge_jobs, self->results->n_classes);
  dm_job_clear ((DmJob **)&self->judge_jobs->pdata[class_index]);
  k = &self->results->classes[class_index];
  pc = dm_project_find_class (dm_review_page_project (self), k->name);
  dm_review_page_class_thresholds (self, class_index, &t);
  /* nothing to judge without rules nor regions: the score decides, as set
   * already; rules that do not apply to this model's maps leave it so too
   * (the Inspect page does the same) */
  if (k->n_images == 0 || (isnan (t.pixel) && (pc == NULL || dm_rules_is_empty (pc->rules))))
    return;
  decider = dm_decider_new (&t, pc != NULL ? pc->rules : NULL, k->resize, k->crop, NULL);
  if (decider == NULL)
    return;
  /* the class's maps file is opened here, on the main thread, before any
   * worker reads it (dm_project_results_read_map) */
  first = g_new (float, MAP_PIXELS);
  if (!dm_project_results_read_map (self->results, class_index, 0, first, NULL))
    return;

  j = g_new0 (Judge, 1);
  j->results = dm_review_results_ref (self->results);
  j->class_index = class_index;
  j->decider = g_steal_pointer (&decider);
  j->decisions = g_new0 (DmDecision, k->n_images);
  j->largest = g_new0 (double, k->n_images);
  job = dm_job_new (judge_run, j, (GDestroyNotify)judge_free);
  self->judge_jobs->pdata[class_index] = job;
  g_signal_connect_swapped (job, "finished", G_CALLBACK (on_judged), self);
  dm_job_start (job);
}

gboolean
dm_review_page_is_judging (DmReviewPage *self)
{
  for (guint i = 0; i < self->judge_jobs->len; i++)
    if (self->judge_jobs->pdata[i] != NULL && dm_job_is_running (self->judge_jobs->pdata[i]))
      return TRUE;
  return FALSE;
}

void
dm_review_page_rules_dispose (DmReviewPage *self)
{
  if (self->judge_jobs == NULL)
    return;
  for (guint i = 0; i < self->judge_jobs->len; i++)
    dm_job_clear ((DmJob **)&self->judge_jobs->pdata[i]);
  g_clear_pointer (&self->judge_jobs, g_ptr_array_unref);
}
