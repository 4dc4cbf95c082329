/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's words and rows for inspection rules and defect regions: the
 * rules in a sentence, a region's size, the images the regions table
 * lists (dm-report-private.h). */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "dm-report-private.h"

static gboolean
in_mm (const DmReportClass *k)
{
  return k->rules != NULL && !isnan (k->rules->mm_per_pixel);
}

char *
dm_report_area_text (const DmReportClass *k, const DmRegion *r)
{
  g_autofree char *v = NULL;

  if (in_mm (k) && isfinite (r->area_mm2))
    {
      v = dm_report_format_number (r->area_mm2, r->area_mm2 < 10 ? 3 : 1);
      return g_strdup_printf (_ ("%s mm²"), v);
    }
  /* through the locale's number format, as the other figures */
  v = dm_report_format_number ((double)r->area_px, 0);
  return g_strdup_printf (_ ("%s px"), v);
}

char *
dm_report_length_text (const DmReportClass *k, double length_px, double length_mm)
{
  g_autofree char *v = NULL;

  if (in_mm (k) && isfinite (length_mm))
    {
      v = dm_report_format_number (length_mm, length_mm < 10 ? 2 : 1);
      return g_strdup_printf (_ ("%s mm"), v);
    }
  v = dm_report_format_number (length_px, 1);
  return g_strdup_printf (_ ("%s px"), v);
}

/* The longest extent among the listed regions (the largest by area need
 * not be the longest), in px and mm. */
static void
longest (const DmVerdict *v, double *px, double *mm)
{
  *px = 0;
  *mm = NAN;
  for (guint i = 0; i < v->n_listed; i++)
    {
      *px = MAX (*px, v->regions[i].length_px);
      if (isfinite (v->regions[i].length_mm))
        *mm = isnan (*mm) ? v->regions[i].length_mm : MAX (*mm, v->regions[i].length_mm);
    }
}

char *
dm_report_regions_text (const DmReportClass *k, const DmVerdict *v)
{
  g_autofree char *area = NULL;

  if (v == NULL || v->n_regions == 0)
    return g_strdup (_ ("no region"));
  area = dm_report_area_text (k, &v->regions[0]);
  return g_strdup_printf (
    g_dngettext (GETTEXT_PACKAGE, "%u region, largest %s", "%u regions, largest %s", v->n_regions),
    v->n_regions, area);
}

const char *
dm_report_rule_text (DmRule rule)
{
  switch (rule)
    {
    case DM_RULE_SCORE: return C_ ("rule", "score");
    case DM_RULE_UNCERTAIN: return C_ ("rule", "uncertain band");
    case DM_RULE_REGION_AREA: return C_ ("rule", "region area");
    case DM_RULE_REGION_LENGTH: return C_ ("rule", "region length");
    case DM_RULE_REGION_COUNT: return C_ ("rule", "number of regions");
    case DM_RULE_NONE:
    default: return "";
    }
}

char *
dm_report_rules_sentence (const DmReportClass *k)
{
  const DmRules *r = k->rules;
  g_autoptr (GString) s = g_string_new (NULL);
  const char *area_unit, *length_unit;

  if (dm_rules_is_empty (r))
    return NULL;
  area_unit = r->units == DM_UNITS_MM ? _ ("mm²") : _ ("px");
  length_unit = r->units == DM_UNITS_MM ? _ ("mm") : _ ("px");
  if (!dm_roi_is_empty (r->roi))
    g_string_append_printf (s,
                            g_dngettext (GETTEXT_PACKAGE,
                                         "A region of interest of %u shape limits what is "
                                         "inspected: the score is the mean of the top 1 %% of the "
                                         "inspected map pixels, and regions lie inside it. ",
                                         "A region of interest of %u shapes limits what is "
                                         "inspected: the score is the mean of the top 1 %% of the "
                                         "inspected map pixels, and regions lie inside it. ",
                                         dm_roi_n_shapes (r->roi)),
                            dm_roi_n_shapes (r->roi));
  if (!isnan (r->mm_per_pixel))
    {
      g_autofree char *mm = dm_report_format_number (r->mm_per_pixel, 4);

      g_string_append_printf (s, _ ("Calibration: %s mm per pixel. "), mm);
    }
  if (r->min_area > 0)
    {
      g_autofree char *v = dm_report_format_number (r->min_area, 3);

      g_string_append_printf (s, _ ("Regions smaller than %s %s do not count. "), v, area_unit);
    }
  if (!isnan (r->max_area))
    {
      g_autofree char *v = dm_report_format_number (r->max_area, 3);

      g_string_append_printf (s, _ ("A part fails when a region's area is %s %s or more. "), v,
                              area_unit);
    }
  if (!isnan (r->max_length))
    {
      g_autofree char *v = dm_report_format_number (r->max_length, 3);

      g_string_append_printf (s, _ ("A part fails when a region is %s %s long or longer. "), v,
                              length_unit);
    }
  if (r->max_regions >= 0)
    g_string_append_printf (s,
                            g_dngettext (GETTEXT_PACKAGE, "A part fails with more than %d region. ",
                                         "A part fails with more than %d regions. ",
                                         (gulong)r->max_regions),
                            r->max_regions);
  if (s->len > 0)
    g_string_truncate (s, s->len - 1);
  return g_strdup (s->str);
}

static double
largest_area (const DmReportClass *k, guint i)
{
  const DmVerdict *v = k->images[i].verdict;

  return v != NULL && v->n_listed > 0 ? (double)v->regions[0].area_px : -1;
}

static int
by_largest_region (gconstpointer a, gconstpointer b, gpointer user_data)
{
  double x = largest_area (user_data, *(const guint *)a);
  double y = largest_area (user_data, *(const guint *)b);

  if (x != y)
    return x < y ? 1 : -1;
  return *(const guint *)a < *(const guint *)b ? -1 : 1;
}

guint
dm_report_regions_rows (const DmReportClass *k, guint max_rows, guint *rows)
{
  g_autofree guint *order = g_new (guint, MAX (k->n_images, 1));
  guint n = 0, listed = 0;

  for (guint i = 0; i < k->n_images; i++)
    if (k->images[i].verdict != NULL && k->images[i].verdict->n_regions > 0)
      order[n++] = i;
  g_qsort_with_data (order, (gint)n, sizeof *order, by_largest_region, (gpointer)k);
  /* the images a region rule failed first, then the largest regions */
  for (guint j = 0; j < n && listed < max_rows; j++)
    if (k->images[order[j]].verdict->rule >= DM_RULE_REGION_AREA)
      rows[listed++] = order[j];
  for (guint j = 0; j < n && listed < max_rows; j++)
    if (k->images[order[j]].verdict->rule < DM_RULE_REGION_AREA)
      rows[listed++] = order[j];
  return listed;
}

void
dm_report_regions_cells (const DmReportClass *k, guint i, GPtrArray *owned, const char **row)
{
  const DmVerdict *v = k->images[i].verdict;
  double px, mm;

  longest (v, &px, &mm);
  row[0]
    = k->images[i].path != NULL ? g_filename_display_basename (k->images[i].path) : g_strdup ("–");
  g_ptr_array_add (owned, (gpointer)row[0]);
  row[1] = g_strdup_printf ("%u", v->n_regions);
  g_ptr_array_add (owned, (gpointer)row[1]);
  row[2] = dm_report_area_text (k, &v->regions[0]);
  g_ptr_array_add (owned, (gpointer)row[2]);
  row[3] = dm_report_length_text (k, px, mm);
  g_ptr_array_add (owned, (gpointer)row[3]);
  row[4] = dm_report_rule_text (v->rule);
}
