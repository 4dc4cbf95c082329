/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A class's inspection rules as a quality engineer writes them, beside its
 * thresholds (dm-thresholds.h): the region of interest (dm-roi.h), a
 * calibration (millimetres per pixel, measured on a picture) and limits on
 * the defect regions (dm-regions.h) in pixels or millimetres.
 *
 * Their JSON form (a model file's "dinomaly.rules" entries, a project
 * class's "rules", `dinomaly rules --rules FILE`), every member optional:
 *
 *   {"reference": {"width": 1024, "height": 768},  the picture the ROI was
 *                                        drawn and the length measured on
 *    "mm_per_pixel": 0.05,               of that picture
 *    "roi": [{"shape": "rectangle" | "polygon" | "stroke",
 *             "layer": "inspect" | "ignore", "erase": false,
 *             "radius": 8 (strokes), "points": [[x, y], ...]}, ...],
 *    "regions": {"units": "px" | "mm", "min_area": 0, "max_area": 0.5,
 *                "max_length": 2, "max_regions": 3}}
 *
 * null (or a missing member) is "not set". Readers ignore members they do
 * not know. The parser is fed untrusted text (files given on the command
 * line, model files from elsewhere): sizes and counts are limited
 * (dm-roi.h's limits, DM_RULES_MAX_BYTES) and every value is checked. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "dm-json-writer.h"
#include "dm-regions.h"
#include "dm-roi.h"

G_BEGIN_DECLS

/* The longest rules text a reader accepts (a brushed ROI is a few MB at
 * most). */
#define DM_RULES_MAX_BYTES ((gsize)16 << 20)
/* Reference pictures up to this many pixels a side. */
#define DM_RULES_MAX_SIDE 65536

typedef enum
{
  DM_UNITS_PIXELS, /* areas in pixels of the picture, lengths in pixels */
  DM_UNITS_MM,     /* mm² and mm: needs mm_per_pixel */
} DmUnits;

typedef struct
{
  int ref_width, ref_height; /* the reference picture; 0 x 0: none */
  double mm_per_pixel;       /* NAN: not calibrated */
  DmRoi *roi;                /* owned, never NULL; empty: everything inspected */
  DmUnits units;             /* of the limits below */
  double min_area;           /* smaller regions are not counted (0: all count) */
  double max_area;           /* fail when a region's area is at or above; NAN: none */
  double max_length;         /* fail when a region's longest extent is at or above; NAN */
  int max_regions;           /* fail when more regions count; -1: no limit */
} DmRules;

/* Nothing set: no ROI, no calibration, no limits. */
DmRules *dm_rules_new (void);
DmRules *dm_rules_copy (const DmRules *rules);
void dm_rules_free (DmRules *rules);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmRules, dm_rules_free)
gboolean dm_rules_equal (const DmRules *a, const DmRules *b);

/* TRUE when any limit on regions is set (min_area only filters). */
gboolean dm_rules_has_limits (const DmRules *rules);
/* TRUE when nothing is set (NULL too): decisions are those of the score. */
gboolean dm_rules_is_empty (const DmRules *rules);

/* Checks every member: sizes, a reference for an ROI, a calibration for
 * limits in mm, limits that are numbers in range, the ROI's shapes.
 * Errors (DM_ERROR_INVALID) say what is wrong. */
gboolean dm_rules_validate (const DmRules *rules, GError **error);

/* A region's area and longest extent in the rules' units. */
double dm_rules_region_area (const DmRules *rules, const DmRegion *region);
double dm_rules_region_length (const DmRules *rules, const DmRegion *region);
/* "px" / "mm"; and back (FALSE for another name). */
const char *dm_units_name (DmUnits units);
gboolean dm_units_from_name (const char *name, DmUnits *units);

/* The region settings of a picture: its size, the model's resize and crop,
 * the pixel threshold, and the rules' ROI, reference and calibration
 * (rules may be NULL). */
void dm_rules_region_settings (const DmRules *rules,
                               double pixel_threshold,
                               int width,
                               int height,
                               int resize,
                               int crop,
                               DmRegionSettings *settings);

/* ---- JSON (dm-rules-json.c) ---- */

/* The rules' members into the object being written (only what is set). */
void dm_rules_write_members (const DmRules *rules, DmJsonWriter *writer);
/* The rules as one JSON object. */
char *dm_rules_to_json (const DmRules *rules, gboolean pretty);
/* Reads the members of o (others ignored) and validates them; where names
 * the text in messages ("FILE", "FILE: model metadata: rules of 'bottle'"). */
DmRules *dm_rules_from_json_object (JsonObject *o, const char *where, GError **error);
/* Parses len bytes of JSON text (at most DM_RULES_MAX_BYTES) holding one
 * object. */
DmRules *dm_rules_parse (const char *text, gsize len, const char *where, GError **error);
/* Reads a rules file (at most DM_RULES_MAX_BYTES); errors name the file. */
DmRules *dm_rules_load (const char *path, GError **error);

G_END_DECLS
