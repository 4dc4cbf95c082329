/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one decision of the application: a part's anomaly map and score
 * judged by its class's thresholds and inspection rules (dm-rules.h), with
 * the rule that fired recorded. predict, the Inspect page's export, eval,
 * the reports, the station, serve and the window all decide through
 * dm_decider_run; dm_decide (dm-thresholds.h) is its score-only core.
 *
 * In order:
 *   1. the score: over the inspected map pixels when there is a region of
 *      interest (dm_roi_score), else the model's score as it came;
 *   2. dm_decide on that score: fail (rule "score": at or above the image
 *      threshold, or the top of the uncertain band), uncertain (inside the
 *      band), or pass;
 *   3. the regions (dm_regions_find, when there is a pixel threshold);
 *      those below the minimum area do not count;
 *   4. a failed score stays failed; otherwise a region at or above the
 *      maximum area fails ("region_area"), else one at or above the
 *      maximum length ("region_length"), else more regions than allowed
 *      ("region_count") — these fail an uncertain score too;
 *   5. otherwise the score's decision (rule "uncertain_band" when
 *      uncertain, none when passed). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "dm-json-writer.h"
#include "dm-regions.h"
#include "dm-rules.h"
#include "dm-thresholds.h"

G_BEGIN_DECLS

typedef enum
{
  DM_RULE_NONE,          /* passed */
  DM_RULE_SCORE,         /* the image score at or above the threshold */
  DM_RULE_UNCERTAIN,     /* the score inside the uncertain band */
  DM_RULE_REGION_AREA,   /* a region at or above the maximum area */
  DM_RULE_REGION_LENGTH, /* a region at or above the maximum length */
  DM_RULE_REGION_COUNT,  /* more regions than allowed */
} DmRule;

/* "", "score", "uncertain_band", "region_area", "region_length",
 * "region_count"; and back (FALSE for another name). */
const char *dm_rule_name (DmRule rule);
gboolean dm_rule_from_name (const char *name, DmRule *rule);

/* Regions a verdict lists (the largest); every output has the same. */
#define DM_VERDICT_MAX_REGIONS 32

typedef struct
{
  float score; /* the image score the decision used */
  DmDecision decision;
  DmRule rule;
  guint n_regions;                          /* regions that count (area at or above the minimum) */
  guint n_small;                            /* regions below the minimum area, not counted */
  guint n_listed;                           /* MIN (n_regions, DM_VERDICT_MAX_REGIONS) */
  DmRegion regions[DM_VERDICT_MAX_REGIONS]; /* those that count, largest first */
} DmVerdict;

typedef struct _DmDecider DmDecider;

/* The thresholds and rules (NULL: none) of a class, for maps of a model
 * with this resize and crop. Fails (DM_ERROR_INVALID) on rules that do not
 * validate, limits on regions without a pixel threshold, or a region of
 * interest that leaves no pixel of the map inspected. */
DmDecider *dm_decider_new (
  const DmThresholds *thresholds, const DmRules *rules, int resize, int crop, GError **error);
DmDecider *dm_decider_copy (const DmDecider *decider);
/* TRUE when both decide the same (thresholds, rules, resize and crop). */
gboolean dm_decider_equal (const DmDecider *a, const DmDecider *b);
void dm_decider_free (DmDecider *decider);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmDecider, dm_decider_free)

const DmThresholds *dm_decider_get_thresholds (const DmDecider *decider);
/* The rules (never NULL: empty rules when none were given). */
const DmRules *dm_decider_get_rules (const DmDecider *decider);
/* The inspected map pixels (256, 256), or NULL without a region of
 * interest; n (may be NULL) receives how many. */
const guint8 *dm_decider_get_map_mask (const DmDecider *decider, guint *n);
/* TRUE when it decides anything: an image threshold, a band or limits on
 * regions (without them every part passes, and front ends show no
 * decision). */
gboolean dm_decider_decides (const DmDecider *decider);

/* The verdict of one part: map (256, 256) the blurred anomaly map, score
 * the model's image score for it, width x height the original picture.
 * labels (may be NULL) receives (height, width) each pixel's region (its
 * index among all regions found + 1, small ones included, 0 for none; see
 * dm_regions_find). Safe on any thread. */
void dm_decider_run (const DmDecider *decider,
                     const float *map,
                     float score,
                     int width,
                     int height,
                     DmVerdict *verdict,
                     guint32 *labels);

/* The score alone, as step 1 computes it (for lists of scores: Review's
 * counts, proposals). scratch holds 256 * 256 floats. */
float dm_decider_score (const DmDecider *decider, const float *map, float score, float *scratch);

/* ---- a verdict in outputs (dm-verdict-io.c): every front end writes it
 * through these, so CSVs, JSON files, journal records and answers agree ---- */

/* The CSV columns a verdict adds, after the decision. */
#define DM_VERDICT_CSV_COLUMNS                                                                     \
  "rule,regions,largest_area_px,largest_area_mm2,largest_length_px,largest_length_mm"
/* Those fields (no leading or trailing comma): the rule's name, the
 * regions that count, the largest one's area and longest extent (empty
 * without a region; mm empty without a calibration). Numbers with a dot
 * whatever the locale, in the shortest text that reads back the same. */
void dm_verdict_append_csv (GString *csv, const DmVerdict *verdict);

/* Members of the object being written: "rule" (null when passed),
 * "n_regions", "n_small" and "regions": [{"x", "y", "width", "height",
 * "area_px", "area_mm2", "length_px", "length_mm", "max", "mean"}, ...]
 * (mm members null without a calibration), the listed regions largest
 * first. */
void dm_verdict_write_members (DmJsonWriter *writer, const DmVerdict *verdict);
/* One region as an object. */
void dm_region_write_json (DmJsonWriter *writer, const DmRegion *region);
/* Reads those members back into verdict's rule and regions (its score and
 * decision are left as they are), tolerantly: what is missing or of the
 * wrong type reads as none; at most DM_VERDICT_MAX_REGIONS regions. */
void dm_verdict_read_members (JsonObject *object, DmVerdict *verdict);

G_END_DECLS
