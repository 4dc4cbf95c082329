/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The feedback store: parts from the line that come back to the project.
 * The station keeps the image and map of its uncertain parts and of a
 * sample of passes; those arrive here (dm-station-feedback.h copies them
 * in), wait for a person's verdict on the Review page (a project label
 * like any test image's, with an optional painted mask), and may then be
 * added to their class: good parts to its training images (used by the
 * next model version), defects to its test images with their mask.
 *
 *   folder/feedback/events.jsonl   append-only (dm-jsonl.h), one event a line:
 *     {"event": "arrived", "id", "time", "class", "image", "map" (relative
 *      to the project folder), "score", "decision" ("pass" | "uncertain"),
 *      "thresholds" {image, uncertain_low, uncertain_high}, "model_sha256",
 *      "model_version", "source"}
 *     {"event": "added", "id", "time", "user", "label" ("good" | "defect")}:
 *      the part joins its class as that (training or test image)
 *     {"event": "removed", "id", "time", "user"}: an addition undone
 *   folder/feedback/parts/<class>/<id>.<ext>, <id>_map.tiff   the copies
 *
 * The state is the events folded in order: a part that arrives twice (an
 * import repeated after a crash) is one part. */
#pragma once

#include <glib.h>

#include "dm-thresholds.h"

G_BEGIN_DECLS

#define DM_FEEDBACK_FOLDER "feedback"
#define DM_FEEDBACK_EVENTS "events.jsonl"
#define DM_FEEDBACK_MAX_LINE 16384

typedef enum
{
  DM_FEEDBACK_ARRIVED,
  DM_FEEDBACK_ADDED,
  DM_FEEDBACK_REMOVED,
} DmFeedbackEventKind;

typedef struct
{
  DmFeedbackEventKind kind;
  char *id;       /* the station's part id */
  gint64 time_us; /* when (UTC microseconds) */
  /* arrived */
  char *class_name;
  char *image; /* relative to the project folder */
  char *map;
  float score;
  DmDecision decision;
  DmThresholds thresholds; /* the station's, when it decided */
  char *model_sha256;
  guint model_version; /* 0: not known */
  char *source;
  /* added, removed */
  char *user;
  gboolean defect; /* added as a defect (test image), else good (training) */
} DmFeedbackEvent;

DmFeedbackEvent *dm_feedback_event_new (DmFeedbackEventKind kind, const char *id);
void dm_feedback_event_free (DmFeedbackEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmFeedbackEvent, dm_feedback_event_free)
char *dm_feedback_event_to_json (const DmFeedbackEvent *event);
/* One line (at most DM_FEEDBACK_MAX_LINE bytes); what names it in
 * messages. Paths must stay inside the project (relative, no ".."). */
DmFeedbackEvent *
dm_feedback_event_from_json (const char *line, gsize len, const char *what, GError **error);

/* ---- the store ---- */

typedef enum
{
  DM_FEEDBACK_NOT_ADDED,
  DM_FEEDBACK_ADDED_GOOD,   /* a training image of its class */
  DM_FEEDBACK_ADDED_DEFECT, /* a test image of its class, a defect */
} DmFeedbackAdded;

typedef struct
{
  char *id;
  char *class_name;
  char *image; /* absolute */
  char *map;   /* absolute */
  float score;
  DmDecision decision;
  DmThresholds thresholds;
  char *model_sha256;
  guint model_version;
  char *source;
  gint64 arrived_us;
  DmFeedbackAdded added;
  gint64 added_us; /* when it was added (0: not) */
} DmFeedbackPart;

typedef struct
{
  char *folder;     /* the project's */
  GPtrArray *parts; /* DmFeedbackPart*, in order of arrival */
  GHashTable *by_id;
  guint n_skipped; /* lines that were no event */
} DmFeedbackStore;

/* The store of the project in folder (empty when it has none yet). */
DmFeedbackStore *dm_feedback_store_load (const char *project_folder, GError **error);
void dm_feedback_store_free (DmFeedbackStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmFeedbackStore, dm_feedback_store_free)
DmFeedbackPart *dm_feedback_store_find (DmFeedbackStore *store, const char *id);
/* The part whose image is path, or NULL. */
DmFeedbackPart *dm_feedback_store_find_image (DmFeedbackStore *store, const char *path);

/* Appends events (one fsync'd write) to the project's store. */
gboolean dm_feedback_append (const char *project_folder,
                             DmFeedbackEvent *const *events,
                             guint n,
                             GError **error);
/* "added" (defect: as a test defect, else as a training image) or
 * "removed" for one part, by this user, now. */
gboolean
dm_feedback_add_part (const char *project_folder, const char *id, gboolean defect, GError **error);
gboolean dm_feedback_remove_part (const char *project_folder, const char *id, GError **error);

/* Parts added since the moment since_us (0: all): what a new version
 * would learn from. */
guint dm_feedback_store_count_added (DmFeedbackStore *store, gint64 since_us);

/* ---- which image to label next ---- */

/* How much a verdict on an image of this score would change the
 * decisions, as a sort key (smaller: label sooner): parts in the
 * uncertain band first (their middle first), then by the distance to the
 * nearest threshold in units of scale (the spread of the class's scores,
 * > 0). */
double dm_label_priority (const DmThresholds *thresholds, float score, double scale);

G_END_DECLS
