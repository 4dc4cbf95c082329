/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libdinomaly's public API (dinomaly.h) over the pipeline: a class opened
 * as predict opens it (dm_inspect_class_open), a caller's buffer seen as a
 * decoded picture, then predict's steps for one image. */
#include "dinomaly.h"

#include <math.h>
#include <string.h>

#include "dm-decider.h"
#include "dm-error.h"
#include "dm-image.h"
#include "dm-inspect-class.h"
#include "dm-inspector.h"
#include "dm-overlay.h"
#include "dm-rules.h"

struct dinomaly_model
{
  DmInspector *inspector;
  DmInspectClass cls;
  GMutex lock; /* one inference at a time (dm_inspector_score) */
};

struct dinomaly_result
{
  float score;
  dinomaly_decision decision;
  dinomaly_rule rule;
  float *map; /* (DM_INSPECTOR_MAP_SIZE, DM_INSPECTOR_MAP_SIZE) */
  size_t n_regions;
  size_t n_listed;
  dinomaly_region regions[DINOMALY_MAX_REGIONS];
  /* for the map at the picture's size */
  uint32_t width, height; /* the picture */
  DmCropGeometry geom;    /* where the map lies on it */
  DmRules *rules;         /* a copy when the class has a region of interest, else NULL */
};

/* ---- errors ------------------------------------------------------------ */

static GPrivate last_error = G_PRIVATE_INIT (g_free);

static void
set_message (const char *message)
{
  g_private_replace (&last_error, g_strdup (message));
}

static dinomaly_status fail (dinomaly_status status, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Keeps the message for dinomaly_last_error and returns status. */
static dinomaly_status
fail (dinomaly_status status, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_private_replace (&last_error, g_strdup_vprintf (format, args));
  va_end (args);
  return status;
}

/* The public status of an engine error; the message is kept. */
static dinomaly_status
fail_with (GError *error)
{
  dinomaly_status status = DINOMALY_ERROR_FAILED;

  if (error->domain == DM_ERROR)
    switch ((DmError)error->code)
      {
      case DM_ERROR_IO: status = DINOMALY_ERROR_IO; break;
      case DM_ERROR_CORRUPT:
      case DM_ERROR_UNSUPPORTED:
      case DM_ERROR_MISMATCH: status = DINOMALY_ERROR_MODEL; break;
      case DM_ERROR_INVALID: status = DINOMALY_ERROR_ARGUMENT; break;
      case DM_ERROR_TOO_LARGE: status = DINOMALY_ERROR_TOO_LARGE; break;
      case DM_ERROR_NO_MEMORY: status = DINOMALY_ERROR_NO_MEMORY; break;
      case DM_ERROR_NUMERIC: status = DINOMALY_ERROR_NUMERIC; break;
      case DM_ERROR_FAILED:
      case DM_ERROR_CANCELLED:
      case DM_ERROR_BACKEND:
      default: break;
      }
  set_message (error->message);
  g_error_free (error);
  return status;
}

const char *
dinomaly_last_error (void)
{
  const char *message = g_private_get (&last_error);

  return message != NULL ? message : "";
}

const char *
dinomaly_status_name (dinomaly_status status)
{
  switch (status)
    {
    case DINOMALY_OK: return "ok";
    case DINOMALY_ERROR_ARGUMENT: return "invalid argument";
    case DINOMALY_ERROR_IO: return "input/output error";
    case DINOMALY_ERROR_MODEL: return "unusable model";
    case DINOMALY_ERROR_TOO_LARGE: return "too large";
    case DINOMALY_ERROR_NO_MEMORY: return "out of memory";
    case DINOMALY_ERROR_NUMERIC: return "no finite score";
    case DINOMALY_ERROR_FAILED: return "failed";
    default: return "unknown";
    }
}

const char *
dinomaly_version (void)
{
  return G_STRINGIFY (DINOMALY_VERSION_MAJOR) "." G_STRINGIFY (
    DINOMALY_VERSION_MINOR) "." G_STRINGIFY (DINOMALY_VERSION_MICRO);
}

/* ---- models ------------------------------------------------------------ */

dinomaly_status
dinomaly_model_open (const char *model_path,
                     const char *backbone_path,
                     const char *class_name,
                     const char *rules_path,
                     int n_threads,
                     dinomaly_model **model)
{
  dinomaly_model *self;
  GError *error = NULL;

  if (model != NULL)
    *model = NULL;
  if (model_path == NULL || model == NULL)
    return fail (DINOMALY_ERROR_ARGUMENT, "dinomaly_model_open: %s is NULL",
                 model == NULL ? "model" : "model_path");
  if (n_threads < 0 || n_threads > 4096)
    return fail (DINOMALY_ERROR_ARGUMENT, "dinomaly_model_open: n_threads %d is not within 0..4096",
                 n_threads);
  self = g_new0 (dinomaly_model, 1);
  self->inspector = dm_inspect_class_open (model_path, backbone_path, class_name, rules_path, 1,
                                           n_threads, &self->cls, &error);
  if (self->inspector == NULL)
    {
      dm_inspect_class_clear (&self->cls);
      g_free (self);
      return fail_with (error);
    }
  g_mutex_init (&self->lock);
  *model = self;
  return DINOMALY_OK;
}

void
dinomaly_model_close (dinomaly_model *self)
{
  if (self == NULL)
    return;
  dm_inspector_free (self->inspector);
  dm_inspect_class_clear (&self->cls);
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* ---- inspection -------------------------------------------------------- */

/* The caller's buffer as a decoded picture (borrowed: data points into
 * pixels), after checking every size against the buffer; the picture is
 * then exactly what dm_image_load gives for a PNG of that format. */
static dinomaly_status
view_buffer (const void *pixels,
             size_t size,
             uint32_t width,
             uint32_t height,
             size_t stride,
             dinomaly_pixel_format format,
             DmImage *image)
{
  size_t sample, row;
  int channels;

  switch (format)
    {
    case DINOMALY_GRAY8: channels = 1, sample = 1; break;
    case DINOMALY_RGB8: channels = 3, sample = 1; break;
    case DINOMALY_GRAY16: channels = 1, sample = 2; break;
    case DINOMALY_RGB16: channels = 3, sample = 2; break;
    default:
      return fail (DINOMALY_ERROR_ARGUMENT, "dinomaly_inspect: unknown pixel format %d",
                   (int)format);
    }
  if (width == 0 || height == 0)
    return fail (DINOMALY_ERROR_ARGUMENT,
                 "dinomaly_inspect: a picture of %" G_GUINT32_FORMAT " x %" G_GUINT32_FORMAT
                 " pixels has no pixel",
                 width, height);
  if ((guint64)width * height > DINOMALY_MAX_PIXELS)
    return fail (DINOMALY_ERROR_TOO_LARGE,
                 "dinomaly_inspect: a picture of %" G_GUINT32_FORMAT " x %" G_GUINT32_FORMAT
                 " pixels is larger than %u pixels",
                 width, height, DINOMALY_MAX_PIXELS);
  /* width <= DINOMALY_MAX_PIXELS: no overflow */
  row = (size_t)width * channels * sample;
  if (stride < row)
    return fail (DINOMALY_ERROR_ARGUMENT,
                 "dinomaly_inspect: a stride of %zu bytes is shorter than a row (%zu bytes)",
                 stride, row);
  if (stride > (G_MAXSIZE - row) / height || stride * (height - 1) + row > size)
    return fail (DINOMALY_ERROR_ARGUMENT,
                 "dinomaly_inspect: %" G_GUINT32_FORMAT
                 " rows of stride %zu do not fit in a buffer of %zu bytes",
                 height, stride, size);
  if (sample == 2 && (((guintptr)pixels | stride) & 1) != 0)
    return fail (DINOMALY_ERROR_ARGUMENT,
                 "dinomaly_inspect: 16-bit pixels need an even address and an even stride");
  image->width = (int)width;
  image->height = (int)height;
  image->channels = channels;
  image->type = sample == 1 ? DM_PIXEL_U8 : DM_PIXEL_U16;
  image->stride = stride;
  image->data = (guint8 *)pixels; /* only read */
  return DINOMALY_OK;
}

static dinomaly_rule
public_rule (DmRule rule)
{
  switch (rule)
    {
    case DM_RULE_SCORE: return DINOMALY_RULE_SCORE;
    case DM_RULE_UNCERTAIN: return DINOMALY_RULE_UNCERTAIN_BAND;
    case DM_RULE_REGION_AREA: return DINOMALY_RULE_REGION_AREA;
    case DM_RULE_REGION_LENGTH: return DINOMALY_RULE_REGION_LENGTH;
    case DM_RULE_REGION_COUNT: return DINOMALY_RULE_REGION_COUNT;
    case DM_RULE_NONE:
    default: return DINOMALY_RULE_NONE;
    }
}

/* predict's writer: the verdict of the class's decider (score over the
 * region of interest, decision, rule, regions on the picture). */
static void
judge (const dinomaly_model *self, const DmImage *image, dinomaly_result *result)
{
  const DmRules *rules = dm_decider_get_rules (self->cls.decider);
  const DmDinomalyModel *model = dm_inspector_get_model (self->inspector);
  DmVerdict v;

  result->width = (uint32_t)image->width;
  result->height = (uint32_t)image->height;
  dm_crop_geometry_init (&result->geom, image->width, image->height, model->resize, model->crop);
  if (!dm_roi_is_empty (rules->roi))
    result->rules = dm_rules_copy (rules);
  dm_decider_run (self->cls.decider, result->map, result->score, image->width, image->height, &v,
                  NULL);
  result->score = v.score;
  if (self->cls.decides)
    switch (v.decision)
      {
      case DM_DECISION_PASS: result->decision = DINOMALY_DECISION_PASS; break;
      case DM_DECISION_UNCERTAIN: result->decision = DINOMALY_DECISION_UNCERTAIN; break;
      case DM_DECISION_FAIL:
      default: result->decision = DINOMALY_DECISION_REJECT; break;
      }
  result->rule = public_rule (v.rule);
  result->n_regions = v.n_regions;
  result->n_listed = MIN (v.n_listed, DINOMALY_MAX_REGIONS);
  for (size_t i = 0; i < result->n_listed; i++)
    {
      const DmRegion *from = &v.regions[i];
      dinomaly_region *to = &result->regions[i];

      to->x = (uint32_t)from->x;
      to->y = (uint32_t)from->y;
      to->width = (uint32_t)from->width;
      to->height = (uint32_t)from->height;
      to->area_px = from->area_px;
      to->length_px = from->length_px;
      to->area_mm2 = from->area_mm2;
      to->length_mm = from->length_mm;
      to->max_value = from->max_value;
      to->mean_value = from->mean_value;
    }
}

dinomaly_status
dinomaly_inspect (dinomaly_model *self,
                  const void *pixels,
                  size_t size,
                  uint32_t width,
                  uint32_t height,
                  size_t stride,
                  dinomaly_pixel_format format,
                  dinomaly_result **result)
{
  g_autofree float *x = NULL;
  dinomaly_result *r;
  GError *error = NULL;
  dinomaly_status status;
  DmImage image;
  gboolean ok;

  if (result != NULL)
    *result = NULL;
  if (self == NULL || pixels == NULL || result == NULL)
    return fail (DINOMALY_ERROR_ARGUMENT, "dinomaly_inspect: %s is NULL",
                 self == NULL     ? "model"
                 : pixels == NULL ? "pixels"
                                  : "result");
  status = view_buffer (pixels, size, width, height, stride, format, &image);
  if (status != DINOMALY_OK)
    return status;

  /* predict's loader: the picture preprocessed the model's way */
  x = g_try_new (float, dm_inspector_input_size (self->inspector));
  r = g_try_new0 (dinomaly_result, 1);
  if (r != NULL)
    r->map = g_try_new (float, DM_INSPECTOR_MAP_PIXELS);
  if (x == NULL || r == NULL || r->map == NULL)
    {
      dinomaly_result_free (r);
      return fail (DINOMALY_ERROR_NO_MEMORY, "dinomaly_inspect: out of memory");
    }
  if (!dm_inspector_prepare (self->inspector, &image, "dinomaly_inspect", x, &error))
    goto failed;

  /* predict's inference, then its writer's checks and decision */
  g_mutex_lock (&self->lock);
  ok = dm_inspector_score (self->inspector, x, 1, r->map, &r->score, &error);
  g_mutex_unlock (&self->lock);
  if (!ok || (error = dm_inspector_check_score ("dinomaly_inspect", r->score)) != NULL)
    goto failed;
  judge (self, &image, r);
  *result = r;
  return DINOMALY_OK;

failed:
  dinomaly_result_free (r);
  return fail_with (error);
}

/* ---- results ----------------------------------------------------------- */

float
dinomaly_result_score (const dinomaly_result *result)
{
  return result != NULL ? result->score : NAN;
}

dinomaly_decision
dinomaly_result_decision (const dinomaly_result *result)
{
  return result != NULL ? result->decision : DINOMALY_DECISION_NONE;
}

dinomaly_rule
dinomaly_result_rule (const dinomaly_result *result)
{
  return result != NULL ? result->rule : DINOMALY_RULE_NONE;
}

const char *
dinomaly_decision_name (dinomaly_decision decision)
{
  switch (decision)
    {
    case DINOMALY_DECISION_PASS: return dm_decision_name (DM_DECISION_PASS);
    case DINOMALY_DECISION_UNCERTAIN: return dm_decision_name (DM_DECISION_UNCERTAIN);
    case DINOMALY_DECISION_REJECT: return dm_decision_name (DM_DECISION_FAIL);
    case DINOMALY_DECISION_NONE:
    default: return "";
    }
}

const char *
dinomaly_rule_name (dinomaly_rule rule)
{
  static const DmRule rules[] = {
    [DINOMALY_RULE_NONE] = DM_RULE_NONE,
    [DINOMALY_RULE_SCORE] = DM_RULE_SCORE,
    [DINOMALY_RULE_UNCERTAIN_BAND] = DM_RULE_UNCERTAIN,
    [DINOMALY_RULE_REGION_AREA] = DM_RULE_REGION_AREA,
    [DINOMALY_RULE_REGION_LENGTH] = DM_RULE_REGION_LENGTH,
    [DINOMALY_RULE_REGION_COUNT] = DM_RULE_REGION_COUNT,
  };

  if ((guint)rule >= G_N_ELEMENTS (rules))
    return "";
  return dm_rule_name (rules[rule]);
}

const float *
dinomaly_result_map (const dinomaly_result *result, uint32_t *width, uint32_t *height)
{
  uint32_t side = result != NULL ? DM_INSPECTOR_MAP_SIZE : 0;

  if (width != NULL)
    *width = side;
  if (height != NULL)
    *height = side;
  return result != NULL ? result->map : NULL;
}

void
dinomaly_result_picture_size (const dinomaly_result *result, uint32_t *width, uint32_t *height)
{
  if (width != NULL)
    *width = result != NULL ? result->width : 0;
  if (height != NULL)
    *height = result != NULL ? result->height : 0;
}

dinomaly_status
dinomaly_result_picture_map (const dinomaly_result *result, float *map, size_t count)
{
  g_autofree guint8 *inspected = NULL;
  size_t n;

  if (result == NULL || map == NULL)
    return fail (DINOMALY_ERROR_ARGUMENT, "dinomaly_result_picture_map: %s is NULL",
                 result == NULL ? "result" : "map");
  n = (size_t)result->width * result->height;
  if (count < n)
    return fail (DINOMALY_ERROR_ARGUMENT,
                 "dinomaly_result_picture_map: room for %zu values, the picture has %zu", count, n);
  if (result->rules != NULL)
    {
      /* what the region of interest leaves out, as predict's overlay hatches it */
      inspected = g_try_malloc (n);
      if (inspected == NULL)
        return fail (DINOMALY_ERROR_NO_MEMORY, "dinomaly_result_picture_map: out of memory");
      dm_roi_rasterize (result->rules->roi, result->rules->ref_width, result->rules->ref_height,
                        (int)result->width, (int)result->height, inspected);
    }
  for (uint32_t y = 0; y < result->height; y++)
    for (uint32_t x = 0; x < result->width; x++)
      {
        size_t i = (size_t)y * result->width + x;

        if ((inspected != NULL && !inspected[i])
            || !dm_overlay_map_at_pixel (result->map, DM_INSPECTOR_MAP_SIZE, &result->geom, (int)x,
                                         (int)y, &map[i]))
          map[i] = NAN;
      }
  return DINOMALY_OK;
}

size_t
dinomaly_result_region_count (const dinomaly_result *result)
{
  return result != NULL ? result->n_regions : 0;
}

dinomaly_status
dinomaly_result_region (const dinomaly_result *result, size_t index, dinomaly_region *region)
{
  if (result == NULL || region == NULL)
    return fail (DINOMALY_ERROR_ARGUMENT, "dinomaly_result_region: %s is NULL",
                 result == NULL ? "result" : "region");
  if (index >= result->n_listed)
    return fail (DINOMALY_ERROR_ARGUMENT,
                 "dinomaly_result_region: region %zu of a result that lists %zu", index,
                 result->n_listed);
  *region = result->regions[index];
  return DINOMALY_OK;
}

void
dinomaly_result_free (dinomaly_result *result)
{
  if (result == NULL)
    return;
  g_free (result->map);
  g_clear_pointer (&result->rules, dm_rules_free);
  g_free (result);
}
