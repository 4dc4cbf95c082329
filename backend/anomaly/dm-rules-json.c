/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Inspection rules as JSON: written through the project's JSON writer,
 * read from untrusted text with limits (dm-rules.h has the format). */
#include "dm-rules.h"

#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-json-util.h"

/* {"roi": [{"points": [[x, y]]}]} nests four deep; room for what later
 * versions add. */
#define MAX_DEPTH 16

/* ---- writing ----------------------------------------------------------- */

static void
write_shape (const DmRoiShape *s, DmJsonWriter *j)
{
  dm_json_writer_begin_object (j);
  dm_json_writer_member_string (j, "shape", dm_roi_shape_kind_name (s->kind));
  dm_json_writer_member_string (j, "layer", dm_roi_layer_name (s->layer));
  if (s->erase)
    dm_json_writer_member_bool (j, "erase", TRUE);
  if (s->kind == DM_ROI_STROKE)
    dm_json_writer_member_number (j, "radius", s->radius);
  dm_json_writer_key (j, "points");
  dm_json_writer_begin_inline_array (j);
  for (guint i = 0; i < s->n_points; i++)
    {
      dm_json_writer_begin_array (j);
      dm_json_writer_number (j, s->points[2 * i]);
      dm_json_writer_number (j, s->points[2 * i + 1]);
      dm_json_writer_end_array (j);
    }
  dm_json_writer_end_array (j);
  dm_json_writer_end_object (j);
}

void
dm_rules_write_members (const DmRules *r, DmJsonWriter *j)
{
  if (r->ref_width > 0)
    {
      dm_json_writer_key (j, "reference");
      dm_json_writer_begin_inline_object (j);
      dm_json_writer_member_int (j, "width", r->ref_width);
      dm_json_writer_member_int (j, "height", r->ref_height);
      dm_json_writer_end_object (j);
    }
  if (!isnan (r->mm_per_pixel))
    dm_json_writer_member_number (j, "mm_per_pixel", r->mm_per_pixel);
  if (!dm_roi_is_empty (r->roi))
    {
      dm_json_writer_key (j, "roi");
      dm_json_writer_begin_array (j);
      for (guint i = 0; i < r->roi->shapes->len; i++)
        write_shape (&g_array_index (r->roi->shapes, DmRoiShape, i), j);
      dm_json_writer_end_array (j);
    }
  if (r->min_area > 0 || dm_rules_has_limits (r) || r->units != DM_UNITS_PIXELS)
    {
      dm_json_writer_key (j, "regions");
      dm_json_writer_begin_inline_object (j);
      dm_json_writer_member_string (j, "units", dm_units_name (r->units));
      dm_json_writer_member_number (j, "min_area", r->min_area);
      if (!isnan (r->max_area))
        dm_json_writer_member_number (j, "max_area", r->max_area);
      if (!isnan (r->max_length))
        dm_json_writer_member_number (j, "max_length", r->max_length);
      if (r->max_regions >= 0)
        dm_json_writer_member_int (j, "max_regions", r->max_regions);
      dm_json_writer_end_object (j);
    }
}

char *
dm_rules_to_json (const DmRules *rules, gboolean pretty)
{
  DmJsonWriter *j = dm_json_writer_new (pretty);

  dm_json_writer_begin_object (j);
  dm_rules_write_members (rules, j);
  dm_json_writer_end_object (j);
  return dm_json_writer_free_to_text (j);
}

/* ---- reading ----------------------------------------------------------- */

typedef struct
{
  const char *where;
  GError **error;
} Parse;

static gboolean G_GNUC_PRINTF (2, 3) bad (const Parse *p, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (p->error, DM_ERROR, DM_ERROR_CORRUPT, "%s: %s", p->where, message);
  return FALSE;
}

/* A number member: absent or null leaves *out as it is. */
static gboolean
get_number (const Parse *p, JsonObject *o, const char *name, double *out)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n)
      || (json_node_get_value_type (n) != G_TYPE_DOUBLE
          && json_node_get_value_type (n) != G_TYPE_INT64))
    return bad (p, "'%s' is not a number", name);
  *out = json_node_get_double (n);
  return TRUE;
}

/* An integer member within [lo, hi]: absent or null leaves *out. */
static gboolean
get_int (const Parse *p, JsonObject *o, const char *name, gint64 lo, gint64 hi, int *out)
{
  JsonNode *n = json_object_get_member (o, name);
  gint64 v;

  if (n == NULL || JSON_NODE_HOLDS_NULL (n))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return bad (p, "'%s' is not an integer", name);
  v = json_node_get_int (n);
  if (v < lo || v > hi)
    return bad (p,
                "'%s' is %" G_GINT64_FORMAT " (want %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ")",
                name, v, lo, hi);
  *out = (int)v;
  return TRUE;
}

static const char *
get_string (JsonObject *o, const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gboolean
parse_shape (const Parse *p, JsonNode *node, guint index, guint64 *total, DmRoi *roi)
{
  JsonObject *o;
  JsonNode *pts;
  JsonArray *a;
  DmRoiShapeKind kind;
  DmRoiLayer layer = DM_ROI_INSPECT;
  double radius = 0;
  gboolean erase = FALSE;
  g_autofree double *points = NULL;
  guint n;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return bad (p, "roi shape %u is not an object", index + 1);
  o = json_node_get_object (node);
  if (!dm_roi_shape_kind_from_name (get_string (o, "shape"), &kind))
    {
      /* the value as given, escaped and cut: it comes from an untrusted file */
      g_autofree char *given
        = g_strescape (get_string (o, "shape") != NULL ? get_string (o, "shape") : "(none)", NULL);

      return bad (p,
                  "roi shape %u: 'shape' \"%.40s\" is not \"rectangle\", \"polygon\" or \"stroke\"",
                  index + 1, given);
    }
  if (json_object_has_member (o, "layer")
      && !dm_roi_layer_from_name (get_string (o, "layer"), &layer))
    return bad (p, "roi shape %u: 'layer' is not \"inspect\" or \"ignore\"", index + 1);
  if (json_object_has_member (o, "erase"))
    {
      JsonNode *e = json_object_get_member (o, "erase");

      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_BOOLEAN)
        return bad (p, "roi shape %u: 'erase' is not true or false", index + 1);
      erase = json_node_get_boolean (e);
    }
  if (kind == DM_ROI_STROKE && !get_number (p, o, "radius", &radius))
    return FALSE;
  pts = json_object_get_member (o, "points");
  if (pts == NULL || !JSON_NODE_HOLDS_ARRAY (pts))
    return bad (p, "roi shape %u: 'points' is not an array", index + 1);
  a = json_node_get_array (pts);
  n = json_array_get_length (a);
  *total += n;
  if (n > DM_ROI_MAX_POINTS || *total > DM_ROI_MAX_TOTAL_POINTS)
    return bad (p, "roi shape %u: too many points (at most %d per shape, %d in all)", index + 1,
                DM_ROI_MAX_POINTS, DM_ROI_MAX_TOTAL_POINTS);
  points = g_new (double, 2 * (gsize)MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      JsonArray *xy;

      if (!JSON_NODE_HOLDS_ARRAY (e) || json_array_get_length (xy = json_node_get_array (e)) != 2)
        return bad (p, "roi shape %u: point %u is not [x, y]", index + 1, i + 1);
      for (guint k = 0; k < 2; k++)
        {
          JsonNode *v = json_array_get_element (xy, k);

          if (!JSON_NODE_HOLDS_VALUE (v)
              || (json_node_get_value_type (v) != G_TYPE_DOUBLE
                  && json_node_get_value_type (v) != G_TYPE_INT64))
            return bad (p, "roi shape %u: point %u is not [x, y]", index + 1, i + 1);
          points[2 * i + k] = json_node_get_double (v);
        }
    }
  dm_roi_add (roi, kind, layer, erase, radius, points, n);
  return TRUE;
}

static gboolean
parse_regions (const Parse *p, JsonNode *node, DmRules *r)
{
  JsonObject *o;

  if (JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return bad (p, "'regions' is not an object");
  o = json_node_get_object (node);
  if (json_object_has_member (o, "units")
      && !dm_units_from_name (get_string (o, "units"), &r->units))
    return bad (p, "'regions.units' is not \"px\" or \"mm\"");
  return get_number (p, o, "min_area", &r->min_area) && get_number (p, o, "max_area", &r->max_area)
         && get_number (p, o, "max_length", &r->max_length)
         && get_int (p, o, "max_regions", -1, G_MAXINT, &r->max_regions);
}

DmRules *
dm_rules_from_json_object (JsonObject *o, const char *where, GError **error)
{
  g_autoptr (DmRules) r = dm_rules_new ();
  g_autoptr (GError) invalid = NULL;
  Parse p = { where, error };
  JsonNode *node;

  if ((node = json_object_get_member (o, "reference")) != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      JsonObject *ref;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          bad (&p, "'reference' is not an object");
          return NULL;
        }
      ref = json_node_get_object (node);
      if (!json_object_has_member (ref, "width") || !json_object_has_member (ref, "height"))
        {
          bad (&p, "'reference' needs a width and a height");
          return NULL;
        }
      if (!get_int (&p, ref, "width", 1, DM_RULES_MAX_SIDE, &r->ref_width)
          || !get_int (&p, ref, "height", 1, DM_RULES_MAX_SIDE, &r->ref_height))
        return NULL;
    }
  if (!get_number (&p, o, "mm_per_pixel", &r->mm_per_pixel))
    return NULL;
  if ((node = json_object_get_member (o, "roi")) != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      JsonArray *a;
      guint64 total = 0;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          bad (&p, "'roi' is not an array of shapes");
          return NULL;
        }
      a = json_node_get_array (node);
      if (json_array_get_length (a) > DM_ROI_MAX_SHAPES)
        {
          bad (&p, "'roi' has %u shapes (at most %d)", json_array_get_length (a),
               DM_ROI_MAX_SHAPES);
          return NULL;
        }
      for (guint i = 0; i < json_array_get_length (a); i++)
        if (!parse_shape (&p, json_array_get_element (a, i), i, &total, r->roi))
          return NULL;
    }
  if ((node = json_object_get_member (o, "regions")) != NULL && !parse_regions (&p, node, r))
    return NULL;
  if (!dm_rules_validate (r, &invalid))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: %s", where, invalid->message);
      return NULL;
    }
  return g_steal_pointer (&r);
}

DmRules *
dm_rules_parse (const char *text, gsize len, const char *where, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  JsonNode *root;

  if (len > DM_RULES_MAX_BYTES)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_TOO_LARGE,
                   "%s: %" G_GSIZE_FORMAT " bytes of rules (at most %" G_GSIZE_FORMAT ")", where,
                   len, DM_RULES_MAX_BYTES);
      return NULL;
    }
  if (!dm_json_depth_within (text, len, MAX_DEPTH))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: nested deeper than %d levels", where,
                   MAX_DEPTH);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, text, (gssize)len, &local))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: not valid JSON: %s", where,
                   local->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: the top level is not an object", where);
      return NULL;
    }
  return dm_rules_from_json_object (json_node_get_object (root), where, error);
}

DmRules *
dm_rules_load (const char *path, GError **error)
{
  g_autofree char *text = NULL, *display = g_filename_display_name (path);
  gsize len = 0;

  if (!dm_file_read_regular (path, DM_RULES_MAX_BYTES, &text, &len, error))
    return NULL;
  return dm_rules_parse (text, len, display, error);
}
