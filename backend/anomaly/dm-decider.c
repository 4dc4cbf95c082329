/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one decision: score, regions and rules (dm-decider.h). */
#include "dm-decider.h"

#include <math.h>
#include <string.h>

#include "dm-anomaly-map.h"
#include "dm-error.h"

#define MAP_PIXELS ((gsize)DM_ANOMALY_MAP_SIZE * DM_ANOMALY_MAP_SIZE)

struct _DmDecider
{
  DmThresholds thresholds;
  DmRules *rules; /* owned, never NULL */
  int resize, crop;
  guint8 *mask; /* (256, 256), NULL without an ROI */
  guint n_inspected;
};

DmDecider *
dm_decider_new (
  const DmThresholds *thresholds, const DmRules *rules, int resize, int crop, GError **error)
{
  g_autoptr (DmDecider) self = g_new0 (DmDecider, 1);

  self->thresholds = *thresholds;
  self->rules = rules != NULL ? dm_rules_copy (rules) : dm_rules_new ();
  self->resize = resize;
  self->crop = crop;
  if (!dm_rules_validate (self->rules, error))
    return NULL;
  if (dm_rules_has_limits (self->rules) && isnan (thresholds->pixel))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "inspection rules: limits on defect regions need a pixel threshold");
      return NULL;
    }
  if (!(resize > 0 && crop > 0 && crop <= resize))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "inspection rules: resize %d, crop %d",
                   resize, crop);
      return NULL;
    }
  if (!dm_roi_is_empty (self->rules->roi))
    {
      self->mask = g_malloc (MAP_PIXELS);
      self->n_inspected = dm_roi_map_mask (self->rules->roi, self->rules->ref_width,
                                           self->rules->ref_height, resize, crop, self->mask);
      if (self->n_inspected == 0)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                       "inspection rules: the region of interest leaves nothing of the "
                       "model's view to inspect");
          return NULL;
        }
    }
  return g_steal_pointer (&self);
}

DmDecider *
dm_decider_copy (const DmDecider *decider)
{
  DmDecider *copy = g_memdup2 (decider, sizeof *decider);

  copy->rules = dm_rules_copy (decider->rules);
  copy->mask = g_memdup2 (decider->mask, decider->mask != NULL ? MAP_PIXELS : 0);
  return copy;
}

/* equal, NANs included */
static gboolean
same (double a, double b)
{
  return a == b || (isnan (a) && isnan (b));
}

gboolean
dm_decider_equal (const DmDecider *a, const DmDecider *b)
{
  const DmThresholds *s = &a->thresholds, *t = &b->thresholds;

  return a->resize == b->resize && a->crop == b->crop && same (s->image, t->image)
         && same (s->pixel, t->pixel) && same (s->uncertain_low, t->uncertain_low)
         && same (s->uncertain_high, t->uncertain_high) && dm_rules_equal (a->rules, b->rules);
}

void
dm_decider_free (DmDecider *self)
{
  if (self == NULL)
    return;
  dm_rules_free (self->rules);
  g_free (self->mask);
  g_free (self);
}

const DmThresholds *
dm_decider_get_thresholds (const DmDecider *self)
{
  return &self->thresholds;
}

const DmRules *
dm_decider_get_rules (const DmDecider *self)
{
  return self->rules;
}

const guint8 *
dm_decider_get_map_mask (const DmDecider *self, guint *n)
{
  if (n != NULL)
    *n = self->mask != NULL ? self->n_inspected : (guint)MAP_PIXELS;
  return self->mask;
}

gboolean
dm_decider_decides (const DmDecider *self)
{
  const DmThresholds *t = &self->thresholds;

  return !isnan (t->image) || (!isnan (t->uncertain_low) && !isnan (t->uncertain_high))
         || dm_rules_has_limits (self->rules);
}

float
dm_decider_score (const DmDecider *self, const float *map, float score, float *scratch)
{
  if (self->mask == NULL)
    return score;
  return dm_roi_score (map, self->mask, scratch);
}

/* The area limit: regions come largest first (in mm² too: one scale for
 * every region of a picture), so the first that counts is the largest. */
static gboolean
too_large (const DmRules *r, const DmVerdict *v)
{
  return !isnan (r->max_area) && v->n_listed > 0
         && dm_rules_region_area (r, &v->regions[0]) >= r->max_area;
}

void
dm_decider_run (const DmDecider *self,
                const float *map,
                float score,
                int width,
                int height,
                DmVerdict *v,
                guint32 *labels)
{
  const DmRules *r = self->rules;
  g_autoptr (GArray) regions = NULL;
  DmRegionSettings settings;
  DmDecision by_score;
  gboolean too_long = FALSE;

  memset (v, 0, sizeof *v);
  if (self->mask != NULL)
    {
      g_autofree float *scratch = g_new (float, self->n_inspected);
      v->score = dm_roi_score (map, self->mask, scratch);
    }
  else
    v->score = score;

  dm_rules_region_settings (r, self->thresholds.pixel, width, height, self->resize, self->crop,
                            &settings);
  regions = dm_regions_find (map, &settings, labels);
  for (guint i = 0; i < regions->len; i++)
    {
      const DmRegion *region = &g_array_index (regions, DmRegion, i);

      if (dm_rules_region_area (r, region) < r->min_area)
        {
          v->n_small++;
          continue;
        }
      if (!isnan (r->max_length) && dm_rules_region_length (r, region) >= r->max_length)
        too_long = TRUE;
      if (v->n_listed < DM_VERDICT_MAX_REGIONS)
        v->regions[v->n_listed++] = *region;
      v->n_regions++;
    }

  by_score = dm_decide (&self->thresholds, v->score);
  v->decision = by_score;
  if (by_score == DM_DECISION_FAIL)
    v->rule = DM_RULE_SCORE;
  else if (too_large (r, v))
    {
      v->rule = DM_RULE_REGION_AREA;
      v->decision = DM_DECISION_FAIL;
    }
  else if (too_long)
    {
      v->rule = DM_RULE_REGION_LENGTH;
      v->decision = DM_DECISION_FAIL;
    }
  else if (r->max_regions >= 0 && v->n_regions > (guint)r->max_regions)
    {
      v->rule = DM_RULE_REGION_COUNT;
      v->decision = DM_DECISION_FAIL;
    }
  else
    v->rule = by_score == DM_DECISION_UNCERTAIN ? DM_RULE_UNCERTAIN : DM_RULE_NONE;
}
