/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A class's inspection rules: defaults, checks, units (dm-rules.h). */
#include "dm-rules.h"

#include <math.h>

#include "dm-error.h"

DmRules *
dm_rules_new (void)
{
  DmRules *rules = g_new0 (DmRules, 1);

  rules->mm_per_pixel = NAN;
  rules->roi = dm_roi_new ();
  rules->units = DM_UNITS_PIXELS;
  rules->max_area = NAN;
  rules->max_length = NAN;
  rules->max_regions = -1;
  return rules;
}

DmRules *
dm_rules_copy (const DmRules *rules)
{
  DmRules *copy = g_memdup2 (rules, sizeof *rules);

  copy->roi = dm_roi_copy (rules->roi);
  return copy;
}

void
dm_rules_free (DmRules *rules)
{
  if (rules == NULL)
    return;
  dm_roi_free (rules->roi);
  g_free (rules);
}

/* equal, NANs included */
static gboolean
same (double a, double b)
{
  return a == b || (isnan (a) && isnan (b));
}

gboolean
dm_rules_equal (const DmRules *a, const DmRules *b)
{
  if (a == NULL || b == NULL)
    return dm_rules_is_empty (a) && dm_rules_is_empty (b);
  return a->ref_width == b->ref_width && a->ref_height == b->ref_height
         && same (a->mm_per_pixel, b->mm_per_pixel) && dm_roi_equal (a->roi, b->roi)
         && a->units == b->units && same (a->min_area, b->min_area)
         && same (a->max_area, b->max_area) && same (a->max_length, b->max_length)
         && a->max_regions == b->max_regions;
}

gboolean
dm_rules_has_limits (const DmRules *rules)
{
  return rules != NULL
         && (!isnan (rules->max_area) || !isnan (rules->max_length) || rules->max_regions >= 0);
}

gboolean
dm_rules_is_empty (const DmRules *rules)
{
  return rules == NULL
         || (dm_roi_is_empty (rules->roi) && isnan (rules->mm_per_pixel) && rules->ref_width == 0
             && rules->min_area == 0 && !dm_rules_has_limits (rules));
}

static gboolean G_GNUC_PRINTF (2, 3) invalid (GError **error, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "inspection rules: %s", message);
  return FALSE;
}

/* NAN (unset) or a number in [0, 1e12]: far beyond any picture's area in
 * pixels, and no overflow in anything computed from it */
static gboolean
limit_ok (double v)
{
  return isnan (v) || (v >= 0 && v <= 1e12);
}

gboolean
dm_rules_validate (const DmRules *r, GError **error)
{
  if ((r->ref_width == 0) != (r->ref_height == 0) || r->ref_width < 0 || r->ref_height < 0
      || r->ref_width > DM_RULES_MAX_SIDE || r->ref_height > DM_RULES_MAX_SIDE)
    return invalid (error, "reference picture of %d x %d pixels (want 1 to %d a side)",
                    r->ref_width, r->ref_height, DM_RULES_MAX_SIDE);
  if (!dm_roi_is_empty (r->roi) && r->ref_width == 0)
    return invalid (error, "a region of interest needs the size of the picture it was drawn on "
                           "(\"reference\")");
  if (!isnan (r->mm_per_pixel) && !(r->mm_per_pixel > 0 && r->mm_per_pixel <= 1e6))
    return invalid (error, "%g millimetres per pixel is not a positive number", r->mm_per_pixel);
  if (r->units != DM_UNITS_PIXELS && r->units != DM_UNITS_MM)
    return invalid (error, "unknown units");
  if (r->units == DM_UNITS_MM && isnan (r->mm_per_pixel))
    return invalid (error, "limits in millimetres need a calibration (mm per pixel)");
  if (isnan (r->min_area) || !limit_ok (r->min_area) || !limit_ok (r->max_area)
      || !limit_ok (r->max_length))
    return invalid (error,
                    "region limits must be numbers from 0 to 1e12 (minimum area %g, "
                    "maximum area %g, maximum length %g)",
                    r->min_area, r->max_area, r->max_length);
  if (r->max_regions < -1)
    return invalid (error, "maximum number of regions %d", r->max_regions);
  return dm_roi_validate (r->roi, error);
}

double
dm_rules_region_area (const DmRules *rules, const DmRegion *region)
{
  return rules != NULL && rules->units == DM_UNITS_MM ? region->area_mm2 : (double)region->area_px;
}

double
dm_rules_region_length (const DmRules *rules, const DmRegion *region)
{
  return rules != NULL && rules->units == DM_UNITS_MM ? region->length_mm : region->length_px;
}

const char *
dm_units_name (DmUnits units)
{
  return units == DM_UNITS_MM ? "mm" : "px";
}

gboolean
dm_units_from_name (const char *name, DmUnits *units)
{
  if (g_strcmp0 (name, "px") == 0)
    *units = DM_UNITS_PIXELS;
  else if (g_strcmp0 (name, "mm") == 0)
    *units = DM_UNITS_MM;
  else
    return FALSE;
  return TRUE;
}

void
dm_rules_region_settings (const DmRules *rules,
                          double pixel_threshold,
                          int width,
                          int height,
                          int resize,
                          int crop,
                          DmRegionSettings *s)
{
  s->width = width;
  s->height = height;
  s->resize = resize;
  s->crop = crop;
  s->threshold = pixel_threshold;
  s->roi = rules != NULL && !dm_roi_is_empty (rules->roi) ? rules->roi : NULL;
  s->ref_width = rules != NULL ? rules->ref_width : 0;
  s->ref_height = rules != NULL ? rules->ref_height : 0;
  s->mm_per_pixel = rules != NULL ? rules->mm_per_pixel : NAN;
}
