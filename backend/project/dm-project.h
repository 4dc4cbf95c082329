/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A Dinomaly Studio project: a folder the user picked, holding a
 * human-readable project.json and the subfolders labels/, masks/,
 * checkpoints/, results/ and reports/. Every change is saved at once and
 * atomically (temporary file, fsync, rename); a file written by a newer
 * version is refused, an older one is upgraded on open.
 *
 * project.json (format "org.dinomaly.Studio.project"):
 *   version      int, DM_PROJECT_VERSION
 *   name         string
 *   created, modified   ISO 8601 UTC
 *   classes      [{name, layout ("mvtec" | "visa" | "folders" | "btad" | "mvtec-ad2" |
 *                  "mvtec-loco" | "realiad": dm_dataset_layout_name), source (path),
 *                  test_source, mask_source (paths or null), object (VisA:
 *                  the CSV's object name; absent when it is the class name),
 *                  holdout_fraction,
 *                  thresholds {image, pixel, uncertain_low, uncertain_high}
 *                  (numbers or null), rules (the inspection rules, dm-rules.h;
 *                  absent when none)}]
 *   backbone     {kind ("file" | "random"), path, sha256, arch} (null members allowed)
 *   training     {preset, settings {name: number | string | bool}}
 *   model        the active model version's model file relative to the
 *                folder, or null
 *   labels       {image path: "good" | "defect"} the user's verdicts
 *   versions, active_version, roll_back, next_version   the model versions
 *                (dm-project-versions.h)
 *   line         the inspection station's sources and outputs
 *                (dm-project-line.h)
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "dm-rules.h"
#include "dm-thresholds.h"

G_BEGIN_DECLS

#define DM_PROJECT_VERSION 2
#define DM_PROJECT_FILE "project.json"

typedef enum
{
  DM_USER_LABEL_NONE, /* not labelled by the user */
  DM_USER_LABEL_GOOD,
  DM_USER_LABEL_DEFECT,
} DmUserLabel;

typedef struct
{
  char *name;
  char *layout;      /* "mvtec", "visa", "folders", or another dm_dataset_layout_name */
  char *source;      /* dataset root, VisA CSV, or folder of normal images */
  char *test_source; /* "folders": test images (sub-folders good/ and defect types), or NULL */
  char *mask_source; /* "folders": masks folder, or NULL */
  char *object;      /* "visa": the CSV's object name when it differs from name
                      * (renamed class, or a CSV of several objects), or NULL */
  double holdout_fraction;
  double image_threshold; /* NAN when not set */
  double pixel_threshold;
  double uncertain_low; /* NAN: no uncertain band */
  double uncertain_high;
  DmRules *rules; /* the inspection rules (ROI, calibration, limits), or NULL */
} DmProjectClass;

typedef struct _DmProjectVersion DmProjectVersion;
typedef struct _DmProjectLine DmProjectLine;

typedef struct
{
  char *folder; /* absolute path of the project folder */
  char *name;
  char *created;
  char *modified;
  GPtrArray *classes;  /* DmProjectClass*, owned */
  char *backbone_kind; /* "file", "random" or NULL when none chosen */
  char *backbone_path;
  char *backbone_sha256;
  char *backbone_arch;  /* "small" / "base" for a random backbone */
  char *preset;         /* "quick", "balanced", "paper" */
  JsonObject *settings; /* training settings that differ from the preset, owned */
  char *model;          /* the active version's, relative to folder, or NULL */
  GHashTable *labels;   /* image path -> GINT_TO_POINTER (DmUserLabel) */
  GPtrArray *versions;  /* DmProjectVersion*, by id, owned */
  guint active_version; /* 0: none */
  GArray *roll_back;    /* guint: the versions active before, most recent last */
  guint next_version;   /* the id of the next version trained */
  DmProjectLine *line;  /* the station's configuration, owned */
} DmProject;

/* Creates folder (and its parents) with the project layout and a new
 * project.json; refuses a folder that already holds a project. */
DmProject *dm_project_create (const char *folder, const char *name, GError **error);
/* Opens folder/project.json; refuses newer versions, upgrades older ones
 * (and saves the upgrade), recreates missing subfolders. */
DmProject *dm_project_open (const char *folder, GError **error);
void dm_project_free (DmProject *project);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmProject, dm_project_free)

/* Writes project.json atomically and updates `modified`. */
gboolean dm_project_save (DmProject *project, GError **error);

/* The project as JSON text (what save writes). */
char *dm_project_to_json (const DmProject *project);

DmProjectClass *dm_project_class_new (const char *name, const char *layout, const char *source);
void dm_project_class_free (DmProjectClass *klass);
/* The class's thresholds as the decision takes them. */
void dm_project_class_thresholds (const DmProjectClass *klass, DmThresholds *thresholds);
/* The class of that name, or NULL. */
DmProjectClass *dm_project_find_class (DmProject *project, const char *name);
/* Adds a class (owned by the project); FALSE when the name is taken. */
gboolean dm_project_add_class (DmProject *project, DmProjectClass *klass, GError **error);
/* Removes and returns the class (for undo), or NULL. */
DmProjectClass *dm_project_remove_class (DmProject *project, const char *name);
/* Puts a removed class back at index (undo). */
void dm_project_insert_class (DmProject *project, DmProjectClass *klass, guint index);

void dm_project_set_label (DmProject *project, const char *image_path, DmUserLabel label);
DmUserLabel dm_project_get_label (DmProject *project, const char *image_path);

/* folder/<sub> (sub: "labels", "masks", "checkpoints", "results", "reports"). */
char *dm_project_subfolder (const DmProject *project, const char *sub);
/* Where the user's painted mask of an image of a class lives, in MVTec
 * layout: folder/masks/<class>/<the image's folder name>/<stem>_mask.png
 * (e.g. masks/bottle/broken_large/000_mask.png). */
char *
dm_project_mask_path (const DmProject *project, const char *class_name, const char *image_path);

G_END_DECLS
