/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What an inspection of one class starts from, as `dinomaly predict` and
 * libdinomaly open it: the model file of the class (a unified model, or a
 * folder of one model per class), its inspector, and the class whose
 * thresholds and inspection rules decide (its DmDecider). Written once so
 * that every front end that scores a class decides as predict does. */
#pragma once

#include <glib.h>

#include "dm-decider.h"
#include "dm-inspector.h"
#include "dm-model-file.h"

G_BEGIN_DECLS

typedef struct
{
  char *model_path;        /* the model file that scores (owned) */
  char *class_name;        /* the class that decides, or NULL (owned) */
  DmModelInfo *info;       /* that file's metadata (owned) */
  DmThresholds thresholds; /* the deciding class's; members NAN when not set */
  DmDecider *decider;      /* its thresholds and rules (owned) */
  gboolean decides;        /* dm_decider_decides: decisions are given */
} DmInspectClass;

/* Opens model_path (a model file, or a folder of one model per class:
 * dm_model_set_class_model picks class_name's, which may be NULL), loads
 * it (backbone_path for a model that refers to its backbone, else NULL)
 * into an inspector for batches of up to max_batch images on n_threads
 * (0: all cores), and chooses the class that decides: class_name (an
 * error when the model has no such class), else the model's only class
 * (or the first thresholds of a model that names none). Its thresholds
 * and rules make the decider; rules_path (may be NULL) is a rules file
 * that replaces the class's rules. cls receives the rest (clear it with
 * dm_inspect_class_clear, also after a failure). Errors name the file and
 * the problem. */
DmInspector *dm_inspect_class_open (const char *model_path,
                                    const char *backbone_path,
                                    const char *class_name,
                                    const char *rules_path,
                                    int max_batch,
                                    int n_threads,
                                    DmInspectClass *cls,
                                    GError **error);

void dm_inspect_class_clear (DmInspectClass *cls);

G_END_DECLS
