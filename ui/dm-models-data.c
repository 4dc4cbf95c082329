/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Models page's figures from the versions' results (dm-models-data.h). */
#include "config.h"

#include <math.h>

#include "dm-error.h"
#include "dm-models-data.h"
#include "dm-project-versions.h"

static void
disagreement_free (DmDisagreement *x)
{
  g_free (x->path);
  g_free (x->class_name);
  g_free (x);
}

DmModelsData *
dm_models_data_new (const char *folder, guint a, guint b)
{
  DmModelsData *d = g_new0 (DmModelsData, 1);

  d->folder = g_strdup (folder);
  d->compare[0] = a;
  d->compare[1] = b;
  d->rates = g_array_new (FALSE, TRUE, sizeof (DmVersionRates));
  d->disagreements = g_ptr_array_new_with_free_func ((GDestroyNotify)disagreement_free);
  return d;
}

void
dm_curve_clear (DmCurve *curve)
{
  g_clear_pointer (&curve->x, g_free);
  g_clear_pointer (&curve->y, g_free);
  curve->n = 0;
}

void
dm_models_data_free (DmModelsData *d)
{
  if (d == NULL)
    return;
  g_free (d->folder);
  g_array_unref (d->rates);
  g_free (d->curve_class);
  for (int i = 0; i < 2; i++)
    {
      dm_curve_clear (&d->roc[i]);
      dm_curve_clear (&d->pr[i]);
    }
  g_ptr_array_unref (d->disagreements);
  g_free (d);
}

/* ---- curves ---- */

typedef struct
{
  float score;
  gboolean positive;
} Scored;

static int
by_score_descending (gconstpointer a, gconstpointer b)
{
  float x = ((const Scored *)a)->score, y = ((const Scored *)b)->score;

  return x > y ? -1 : x < y;
}

/* The cumulated true and false positives at each distinct score, highest
 * first (sklearn's _binary_clf_curve): *n points. */
static void
cumulate (
  const float *scores, const gboolean *positive, guint n, guint **tp, guint **fp, guint *n_out)
{
  g_autofree Scored *s = g_new (Scored, MAX (n, 1));
  guint t = 0, f = 0, k = 0;

  for (guint i = 0; i < n; i++)
    s[i] = (Scored){ scores[i], positive[i] };
  qsort (s, n, sizeof *s, by_score_descending);
  *tp = g_new (guint, MAX (n, 1));
  *fp = g_new (guint, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      t += s[i].positive;
      f += !s[i].positive;
      if (i + 1 < n && s[i + 1].score == s[i].score)
        continue;
      (*tp)[k] = t;
      (*fp)[k] = f;
      k++;
    }
  *n_out = k;
}

void
dm_curve_roc (const float *scores, const gboolean *positive, guint n, DmCurve *out)
{
  g_autofree guint *tp = NULL, *fp = NULL;
  guint k;

  dm_curve_clear (out);
  cumulate (scores, positive, n, &tp, &fp, &k);
  if (k == 0 || tp[k - 1] == 0 || fp[k - 1] == 0)
    return;
  out->x = g_new (double, k + 1);
  out->y = g_new (double, k + 1);
  out->x[0] = out->y[0] = 0;
  for (guint i = 0; i < k; i++)
    {
      out->x[i + 1] = (double)fp[i] / fp[k - 1];
      out->y[i + 1] = (double)tp[i] / tp[k - 1];
    }
  out->n = k + 1;
}

void
dm_curve_pr (const float *scores, const gboolean *positive, guint n, DmCurve *out)
{
  g_autofree guint *tp = NULL, *fp = NULL;
  guint k;

  dm_curve_clear (out);
  cumulate (scores, positive, n, &tp, &fp, &k);
  if (k == 0 || tp[k - 1] == 0)
    return;
  /* from recall 0 (precision 1, sklearn's last point) up */
  out->x = g_new (double, k + 1);
  out->y = g_new (double, k + 1);
  out->x[0] = 0;
  out->y[0] = 1;
  for (guint i = 0; i < k; i++)
    {
      out->x[i + 1] = (double)tp[i] / tp[k - 1];
      out->y[i + 1] = (double)tp[i] / (tp[i] + fp[i]);
    }
  out->n = k + 1;
}

/* ---- the versions' results ---- */

static gboolean
is_defect (DmProject *p, const DmResultImage *image)
{
  DmUserLabel user = dm_project_get_label (p, image->path);

  return user != DM_USER_LABEL_NONE ? user == DM_USER_LABEL_DEFECT
                                    : image->label == DM_LABEL_DEFECT;
}

static void
mean_rates (DmProject *p, DmProjectVersion *v, DmProjectResults *r, DmVersionRates *out)
{
  double fr = 0, esc = 0;
  guint n_fr = 0, n_esc = 0;

  for (guint c = 0; r != NULL && c < r->n_classes; c++)
    {
      DmThresholds t;
      double f, e;

      dm_project_version_thresholds (p, v, r->classes[c].name, &t);
      dm_project_class_rates (&r->classes[c], p, &t, &f, &e);
      if (isfinite (f))
        fr += f, n_fr++;
      if (isfinite (e))
        esc += e, n_esc++;
    }
  out->id = v->id;
  out->false_reject = n_fr > 0 ? fr / n_fr : NAN;
  out->escape = n_esc > 0 ? esc / n_esc : NAN;
}

static void
class_curves (DmModelsData *d, DmProject *p, const DmResultClass *k, int which)
{
  g_autofree float *scores = g_new (float, MAX (k->n_images, 1));
  g_autofree gboolean *positive = g_new (gboolean, MAX (k->n_images, 1));
  guint n = 0;

  for (guint i = 0; i < k->n_images; i++)
    if (k->images[i].split == DM_SPLIT_TEST)
      {
        scores[n] = k->images[i].score;
        positive[n] = is_defect (p, &k->images[i]);
        n++;
      }
  dm_curve_roc (scores, positive, n, &d->roc[which]);
  dm_curve_pr (scores, positive, n, &d->pr[which]);
}

/* The test images of a class both versions scored, decided differently. */
static void
disagree (DmModelsData *d, DmProject *p, DmProjectVersion *const v[2], DmResultClass *const k[2])
{
  DmThresholds t[2];
  g_autoptr (GHashTable) b_index = g_hash_table_new (g_str_hash, g_str_equal);

  for (int i = 0; i < 2; i++)
    dm_project_version_thresholds (p, v[i], k[i]->name, &t[i]);
  for (guint j = 0; j < k[1]->n_images; j++)
    if (k[1]->images[j].split == DM_SPLIT_TEST)
      g_hash_table_insert (b_index, k[1]->images[j].path, &k[1]->images[j]);
  for (guint i = 0; i < k[0]->n_images; i++)
    {
      const DmResultImage *a = &k[0]->images[i];
      const DmResultImage *b;
      DmDecision da, db;

      if (a->split != DM_SPLIT_TEST || (b = g_hash_table_lookup (b_index, a->path)) == NULL)
        continue;
      d->n_compared++;
      da = dm_decide (&t[0], a->score);
      db = dm_decide (&t[1], b->score);
      if (da == db)
        continue;
      d->n_disagreements++;
      if (d->disagreements->len < DM_MODELS_GALLERY)
        {
          DmDisagreement *x = g_new0 (DmDisagreement, 1);

          x->path = g_strdup (a->path);
          x->class_name = g_strdup (k[0]->name);
          x->a = da;
          x->b = db;
          x->score_a = a->score;
          x->score_b = b->score;
          x->is_defect = is_defect (p, a);
          g_ptr_array_add (d->disagreements, x);
        }
    }
}

static DmProjectResults *
load_results (DmProject *p, DmProjectVersion *v, GError **error)
{
  g_autofree char *folder = dm_project_version_results_folder (p, v);

  return dm_project_results_load (folder, error);
}

gboolean
dm_models_data_load (DmModelsData *d, GError **error)
{
  g_autoptr (DmProject) p = dm_project_open (d->folder, error);
  g_autoptr (DmProjectResults) first = NULL;
  g_autoptr (DmProjectResults) second = NULL;
  DmProjectResults **compared[2] = { &first, &second };
  DmProjectVersion *v[2] = { NULL, NULL };

  if (p == NULL)
    return FALSE;
  for (guint i = 0; i < p->versions->len; i++)
    {
      DmProjectVersion *version = p->versions->pdata[i];
      g_autoptr (DmProjectResults) r = load_results (p, version, NULL);
      DmVersionRates rates = { version->id, NAN, NAN };

      mean_rates (p, version, r, &rates);
      g_array_append_val (d->rates, rates);
    }
  if (d->compare[0] == 0 || d->compare[1] == 0)
    return TRUE;
  for (int i = 0; i < 2; i++)
    {
      v[i] = dm_project_find_version (p, d->compare[i]);
      if (v[i] == NULL)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: no model version %u", d->folder,
                       d->compare[i]);
          return FALSE;
        }
      *compared[i] = load_results (p, v[i], error);
      if (*compared[i] == NULL)
        return FALSE;
    }
  for (guint c = 0; c < first->n_classes; c++)
    {
      int other = dm_project_results_find_class (second, first->classes[c].name);
      DmResultClass *k[2];

      if (other < 0)
        continue;
      k[0] = &first->classes[c];
      k[1] = &second->classes[other];
      if (d->curve_class == NULL)
        {
          d->curve_class = g_strdup (k[0]->name);
          class_curves (d, p, k[0], 0);
          class_curves (d, p, k[1], 1);
        }
      disagree (d, p, v, k);
    }
  return TRUE;
}
