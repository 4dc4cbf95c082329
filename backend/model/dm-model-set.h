/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The models a run scores with: one unified model file (every class), or
 * a folder of model files, one per class (the paper's class-separated
 * setting: `dinomaly train --per-class --out DIR`, a project trained one
 * model per class). Each file of a folder names its class in its metadata
 * (dinomaly.classes); its file name is not read. What `eval`, `report`,
 * `predict`, a project and (later) the station open, so that every front
 * end finds a class's model the same way. Only the metadata is read here;
 * the caller loads the model of a class when it needs it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DM_MODEL_FILE_SUFFIX ".dinomaly"

typedef struct
{
  char *path;     /* the model file */
  char **classes; /* the classes it was trained on (NULL-terminated, may be empty) */
} DmModelSetEntry;

typedef struct
{
  char *path;         /* what was opened: the file or the folder */
  gboolean per_class; /* a folder of one model per class */
  GPtrArray *entries; /* DmModelSetEntry *, sorted by file name */
} DmModelSet;

/* A model file, or a folder of them: every regular file ending in
 * .dinomaly (others are ignored), each a model file trained on exactly one
 * class, no class twice. FALSE with an error naming the file and the
 * problem (not a model file, a model of several classes or of none in a
 * per-class folder, two models of one class, an empty folder). */
DmModelSet *dm_model_set_open (const char *path, GError **error);
void dm_model_set_free (DmModelSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmModelSet, dm_model_set_free)

/* The model file that scores class_name: the unified model for any class,
 * or the folder's model of that class; NULL when the folder has none. */
const char *dm_model_set_find (const DmModelSet *set, const char *class_name);

/* The model file a run for class_name (may be NULL) scores with, as
 * `dinomaly predict --class` picks it: the unified model, the folder's
 * only model when no class is given, or the folder's model of that class.
 * NULL with an error (DM_ERROR_INVALID) naming the folder and its classes
 * when a folder of several needs a class, or has none of that class. */
const char *
dm_model_set_class_model (const DmModelSet *set, const char *class_name, GError **error);

/* The classes of the set's models, in entry order (NULL-terminated; free
 * the array only, with g_free). */
const char **dm_model_set_classes (const DmModelSet *set);

/* A file name for the model of a class in a per-class folder: the name
 * with every byte outside [A-Za-z0-9._-] written %XX (and a leading '.'
 * too), then ".dinomaly" ("bottle.dinomaly", "a%2Fb.dinomaly"). */
char *dm_model_set_file_name (const char *class_name);

G_END_DECLS
