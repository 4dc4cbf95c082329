/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A verdict's rule and regions as CSV fields and JSON members, written and
 * read back the same way by every front end (dm-decider.h). */
#include "dm-decider.h"

#include <math.h>

#include "dm-json-util.h"

static const char *const rule_names[] = {
  "", "score", "uncertain_band", "region_area", "region_length", "region_count",
};

const char *
dm_rule_name (DmRule rule)
{
  return (guint)rule < G_N_ELEMENTS (rule_names) ? rule_names[rule] : "";
}

gboolean
dm_rule_from_name (const char *name, DmRule *rule)
{
  for (guint i = 0; i < G_N_ELEMENTS (rule_names); i++)
    if (g_strcmp0 (name, rule_names[i]) == 0)
      {
        *rule = (DmRule)i;
        return TRUE;
      }
  return FALSE;
}

static void
append_number (GString *csv, double v)
{
  if (isfinite (v))
    dm_json_append_number (csv, v);
}

void
dm_verdict_append_csv (GString *csv, const DmVerdict *v)
{
  const DmRegion *largest = v->n_listed > 0 ? &v->regions[0] : NULL;
  double length_px = 0, length_mm = NAN;

  /* the longest extent of any listed region (the largest region by area
   * need not be the longest) */
  for (guint i = 0; i < v->n_listed; i++)
    {
      length_px = MAX (length_px, v->regions[i].length_px);
      if (isfinite (v->regions[i].length_mm))
        length_mm
          = isnan (length_mm) ? v->regions[i].length_mm : MAX (length_mm, v->regions[i].length_mm);
    }
  g_string_append_printf (csv, "%s,%u,", dm_rule_name (v->rule), v->n_regions);
  if (largest != NULL)
    {
      g_string_append_printf (csv, "%" G_GUINT64_FORMAT ",", largest->area_px);
      append_number (csv, largest->area_mm2);
      g_string_append_c (csv, ',');
      append_number (csv, length_px);
      g_string_append_c (csv, ',');
      append_number (csv, length_mm);
    }
  else
    g_string_append (csv, ",,,");
}

void
dm_region_write_json (DmJsonWriter *j, const DmRegion *r)
{
  dm_json_writer_begin_inline_object (j);
  dm_json_writer_member_int (j, "x", r->x);
  dm_json_writer_member_int (j, "y", r->y);
  dm_json_writer_member_int (j, "width", r->width);
  dm_json_writer_member_int (j, "height", r->height);
  dm_json_writer_member_int (j, "area_px", (gint64)r->area_px);
  dm_json_writer_member_number (j, "area_mm2", r->area_mm2);
  dm_json_writer_member_number (j, "length_px", r->length_px);
  dm_json_writer_member_number (j, "length_mm", r->length_mm);
  dm_json_writer_key (j, "max");
  dm_json_writer_float (j, r->max_value);
  dm_json_writer_key (j, "mean");
  dm_json_writer_float (j, r->mean_value);
  dm_json_writer_end_object (j);
}

void
dm_verdict_write_members (DmJsonWriter *j, const DmVerdict *v)
{
  if (v->rule == DM_RULE_NONE)
    {
      dm_json_writer_key (j, "rule");
      dm_json_writer_null (j);
    }
  else
    dm_json_writer_member_string (j, "rule", dm_rule_name (v->rule));
  dm_json_writer_member_int (j, "n_regions", v->n_regions);
  dm_json_writer_member_int (j, "n_small", v->n_small);
  dm_json_writer_key (j, "regions");
  dm_json_writer_begin_array (j);
  for (guint i = 0; i < v->n_listed; i++)
    dm_region_write_json (j, &v->regions[i]);
  dm_json_writer_end_array (j);
}

static gint64
int_member (JsonObject *o, const char *name, gint64 lo, gint64 hi)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return 0;
  return CLAMP (json_node_get_int (n), lo, hi);
}

void
dm_verdict_read_members (JsonObject *o, DmVerdict *v)
{
  JsonNode *node = json_object_get_member (o, "regions");
  g_autofree char *rule = dm_json_dup_string (o, "rule");

  if (rule == NULL || !dm_rule_from_name (rule, &v->rule))
    v->rule = DM_RULE_NONE;
  v->n_regions = (guint)int_member (o, "n_regions", 0, G_MAXUINT);
  v->n_small = (guint)int_member (o, "n_small", 0, G_MAXUINT);
  v->n_listed = 0;
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node))
                    && v->n_listed < DM_VERDICT_MAX_REGIONS;
       i++)
    {
      JsonNode *e = json_array_get_element (json_node_get_array (node), i);
      JsonObject *ro;
      DmRegion *r;

      if (!JSON_NODE_HOLDS_OBJECT (e))
        continue;
      ro = json_node_get_object (e);
      r = &v->regions[v->n_listed++];
      r->x = (int)int_member (ro, "x", 0, G_MAXINT);
      r->y = (int)int_member (ro, "y", 0, G_MAXINT);
      r->width = (int)int_member (ro, "width", 0, G_MAXINT);
      r->height = (int)int_member (ro, "height", 0, G_MAXINT);
      r->area_px = (guint64)int_member (ro, "area_px", 0, G_MAXINT64);
      r->area_mm2 = dm_json_number (ro, "area_mm2", NAN);
      r->length_px = dm_json_number (ro, "length_px", NAN);
      r->length_mm = dm_json_number (ro, "length_mm", NAN);
      r->max_value = (float)dm_json_number (ro, "max", NAN);
      r->mean_value = (float)dm_json_number (ro, "mean", NAN);
    }
  v->n_regions = MAX (v->n_regions, v->n_listed);
}
