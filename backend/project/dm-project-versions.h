/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A project's model versions: every training run becomes a version, with
 * its own model file and scored results in folder/models/vN/ (model.dinomaly
 * and results/), and a record in project.json: when and by whom it was
 * trained, the backbone, preset and settings, a fingerprint of the
 * training images by content, the thresholds of each class and its
 * metrics on the project's test images. Nothing is overwritten: a new run
 * is a new version. One version is active: its model is what Inspect, the
 * station and reports use (project->model), its thresholds are the
 * classes' (the ones the Review page moves). Promoting another keeps the
 * active one's thresholds in its record and takes the new one's; rolling
 * back promotes the version that was active before.
 *
 * project.json (project version 2):
 *   versions        [{id, model (relative path), created, user,
 *                     model_sha256, backbone, backbone_sha256, preset,
 *                     settings {...}, data_fingerprint, n_train,
 *                     n_line_parts, classes: [{name, thresholds {image,
 *                     pixel, uncertain_low, uncertain_high}, metrics
 *                     {image_auroc ... aupro} or null, n_test_good,
 *                     n_test_defect}]}]
 *   active_version  the active version's id, or null
 *   roll_back       ids of the versions active before, most recent last
 *   next_version    the id the next run gets (never reused, deleted or not)
 *
 * A project of version 1 (one model.dinomaly beside results/) opens with
 * that model as version 1, its results where they are. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "dm-json-writer.h"
#include "dm-metrics.h"
#include "dm-project-results.h"
#include "dm-project.h"

G_BEGIN_DECLS

#define DM_PROJECT_MODELS_FOLDER "models"

typedef struct
{
  char *name;
  double image_threshold; /* NAN: not set */
  double pixel_threshold;
  double uncertain_low;
  double uncertain_high;
  gboolean has_metrics;
  double metrics[DM_METRIC_COUNT]; /* dm_metric_name order; NAN: not defined */
  guint n_test_good, n_test_defect;
} DmVersionClass;

struct _DmProjectVersion
{
  guint id;
  char *model;   /* the model file, relative to the project folder */
  char *created; /* ISO 8601 UTC */
  char *user;
  char *model_sha256;
  char *backbone; /* "DINOv2 file NAME", or "random small" ... as shown */
  char *backbone_sha256;
  char *preset;
  JsonObject *settings; /* the run's own settings over the preset, owned */
  char *data_fingerprint;
  guint n_train;      /* training images */
  guint n_line_parts; /* of them, parts added from the line */
  GPtrArray *classes; /* DmVersionClass*, owned */
};

DmProjectVersion *dm_project_version_new (guint id);
void dm_project_version_free (DmProjectVersion *version);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmProjectVersion, dm_project_version_free)
/* The class of that name, added (thresholds NAN, no metrics) when absent. */
DmVersionClass *dm_project_version_class (DmProjectVersion *version, const char *name);
DmVersionClass *dm_project_version_find_class (const DmProjectVersion *version, const char *name);

/* ---- in project.json (dm-project.c calls these) ---- */

void dm_project_versions_write (DmJsonWriter *writer, const DmProject *project);
gboolean
dm_project_versions_read (DmProject *project, JsonObject *root, const char *path, GError **error);
/* A project of version 1: its one model (project->model) becomes version 1. */
void dm_project_versions_upgrade (DmProject *project);

/* ---- the versions ---- */

DmProjectVersion *dm_project_find_version (const DmProject *project, guint id);
/* The active version, or NULL (nothing trained yet). */
DmProjectVersion *dm_project_get_active_version (const DmProject *project);
/* "models/vN" and "models/vN/model.dinomaly" (or, trained one model per
 * class, the folder "models/vN/classes" of CLASS.dinomaly files), relative
 * to the project folder. */
char *dm_project_version_dir (guint id);
char *dm_project_version_model_rel (guint id, gboolean per_class);
/* Absolute paths of a version's model file and results folder (the
 * results lie beside the model, in results/). */
char *dm_project_version_model_path (const DmProject *project, const DmProjectVersion *version);
char *dm_project_version_results_folder (const DmProject *project, const DmProjectVersion *version);
/* The active version's results folder (folder/results when none). */
char *dm_project_results_folder (const DmProject *project);

/* Adds a trained version (taken); the next id moves past it. The first
 * version of a project becomes active. */
void dm_project_add_version (DmProject *project, DmProjectVersion *version);
/* Makes version id the active model: the active one keeps the classes'
 * thresholds in its record, the classes take id's (those it has). The
 * version active before is remembered for roll_back. */
gboolean dm_project_promote (DmProject *project, guint id, GError **error);
/* The version a roll back returns to, or 0. */
guint dm_project_roll_back_target (const DmProject *project);
/* Promotes the version active before the active one (forgetting it). */
gboolean dm_project_roll_back (DmProject *project, GError **error);
/* Takes version id out of the project (the active one is refused), for a
 * deletion that can be undone: *index receives its place. */
DmProjectVersion *
dm_project_remove_version (DmProject *project, guint id, guint *index, GError **error);
/* Puts a removed version back (undo). */
void dm_project_insert_version (DmProject *project, DmProjectVersion *version, guint index);
/* Removes a version's files (once its deletion can no longer be undone):
 * the model file and results folder, and its folder models/vN. */
gboolean dm_project_version_delete_files (const DmProject *project,
                                          const DmProjectVersion *version,
                                          GError **error);

/* ---- describing a trained version ---- */

/* SHA-256 over the sorted SHA-256 digests of the files' contents: the
 * same images give the same fingerprint whatever their names, order or
 * place. Files that cannot be read are left out (training leaves them out
 * too). */
char *dm_project_data_fingerprint (const char *const *paths, guint n);

/* The record of a version just trained from project (the run's copy):
 * its model (relative path, SHA-256), backbone (name, SHA-256), the
 * project's preset and settings, and the training images (fingerprint,
 * counts; parts added from the line are those under folder/feedback). */
DmProjectVersion *dm_project_version_begin (const DmProject *project,
                                            guint id,
                                            const char *model_rel,
                                            const char *model_sha256,
                                            const char *backbone_name,
                                            const char *backbone_sha256,
                                            const char *const *train_paths,
                                            guint n_train);
/* Then, once its images are scored: the proposed thresholds of each class
 * and its metrics with the project's labels and painted masks
 * (dm-project-metrics.h). Blocking (maps and masks are read). */
gboolean dm_project_version_finish (DmProjectVersion *version,
                                    const DmProject *project,
                                    DmProjectResults *results,
                                    GError **error);

/* The false-reject rate (good test images that fail) and escape rate
 * (defect test images that pass) of a scored class at thresholds (the
 * user's labels overrule the dataset's; uncertain parts go to a person
 * and count as neither). NAN when there are no such images. */
void dm_project_class_rates (const DmResultClass *klass,
                             const DmProject *project,
                             const DmThresholds *thresholds,
                             double *false_reject,
                             double *escape);

/* The thresholds of a class of a version (the classes' own for the
 * active one). */
void dm_project_version_thresholds (const DmProject *project,
                                    const DmProjectVersion *version,
                                    const char *class_name,
                                    DmThresholds *thresholds);

G_END_DECLS
