/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One scored test image in the Review page's grid (see dm-review-item.h). */
#include "config.h"

#include <math.h>

#include "dm-review-item.h"

struct _DmReviewItem
{
  GObject parent_instance;

  guint class_index, image_index;
  char *class_name;
  char *path;
  char *name;
  char *defect_type;
  gboolean defect;
  float score;
  DmDecision decision;
  double largest_region; /* NAN until judged */
  DmUserLabel user_label;
};

enum
{
  PROP_0,
  PROP_DECISION,
  PROP_USER_LABEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (DmReviewItem, dm_review_item, G_TYPE_OBJECT)

static void
dm_review_item_finalize (GObject *object)
{
  DmReviewItem *self = DM_REVIEW_ITEM (object);

  g_free (self->class_name);
  g_free (self->path);
  g_free (self->name);
  g_free (self->defect_type);
  G_OBJECT_CLASS (dm_review_item_parent_class)->finalize (object);
}

static void
dm_review_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  DmReviewItem *self = DM_REVIEW_ITEM (object);

  switch (prop_id)
    {
    case PROP_DECISION: g_value_set_uint (value, self->decision); break;
    case PROP_USER_LABEL: g_value_set_uint (value, self->user_label); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_review_item_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  DmReviewItem *self = DM_REVIEW_ITEM (object);

  switch (prop_id)
    {
    case PROP_DECISION: dm_review_item_set_decision (self, g_value_get_uint (value)); break;
    case PROP_USER_LABEL: dm_review_item_set_user_label (self, g_value_get_uint (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_review_item_class_init (DmReviewItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dm_review_item_finalize;
  object_class->get_property = dm_review_item_get_property;
  object_class->set_property = dm_review_item_set_property;

  /* plain uints rather than enum types: DmDecision and DmUserLabel live in
   * the backend, which has no GType registrations */
  properties[PROP_DECISION] = g_param_spec_uint (
    "decision", NULL, NULL, DM_DECISION_PASS, DM_DECISION_FAIL, DM_DECISION_PASS,
    G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_USER_LABEL] = g_param_spec_uint (
    "user-label", NULL, NULL, DM_USER_LABEL_NONE, DM_USER_LABEL_DEFECT, DM_USER_LABEL_NONE,
    G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dm_review_item_init (DmReviewItem *self)
{
  self->largest_region = NAN;
}

DmReviewItem *
dm_review_item_new (guint class_index,
                    guint image_index,
                    const char *class_name,
                    const char *path,
                    const char *defect_type,
                    gboolean defect,
                    float score)
{
  DmReviewItem *self = g_object_new (DM_TYPE_REVIEW_ITEM, NULL);

  self->class_index = class_index;
  self->image_index = image_index;
  self->class_name = g_strdup (class_name);
  self->path = g_strdup (path);
  self->name = g_path_get_basename (path);
  self->defect_type = g_strdup (defect_type != NULL ? defect_type : (defect ? "defect" : "good"));
  self->defect = defect;
  self->score = score;
  return self;
}

guint
dm_review_item_get_class_index (DmReviewItem *self)
{
  return self->class_index;
}

guint
dm_review_item_get_image_index (DmReviewItem *self)
{
  return self->image_index;
}

const char *
dm_review_item_get_class_name (DmReviewItem *self)
{
  return self->class_name;
}

const char *
dm_review_item_get_path (DmReviewItem *self)
{
  return self->path;
}

const char *
dm_review_item_get_name (DmReviewItem *self)
{
  return self->name;
}

const char *
dm_review_item_get_defect_type (DmReviewItem *self)
{
  return self->defect_type;
}

gboolean
dm_review_item_get_defect (DmReviewItem *self)
{
  return self->defect;
}

float
dm_review_item_get_score (DmReviewItem *self)
{
  return self->score;
}

double
dm_review_item_get_largest_region (DmReviewItem *self)
{
  return self->largest_region;
}

void
dm_review_item_set_largest_region (DmReviewItem *self, double area)
{
  self->largest_region = area;
}

DmDecision
dm_review_item_get_decision (DmReviewItem *self)
{
  return self->decision;
}

void
dm_review_item_set_decision (DmReviewItem *self, DmDecision decision)
{
  g_return_if_fail (DM_IS_REVIEW_ITEM (self));
  if (self->decision == decision)
    return;
  self->decision = decision;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DECISION]);
}

DmUserLabel
dm_review_item_get_user_label (DmReviewItem *self)
{
  return self->user_label;
}

void
dm_review_item_set_user_label (DmReviewItem *self, DmUserLabel label)
{
  g_return_if_fail (DM_IS_REVIEW_ITEM (self));
  if (self->user_label == label)
    return;
  self->user_label = label;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER_LABEL]);
}
