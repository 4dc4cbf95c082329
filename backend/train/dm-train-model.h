/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every training front end (the command line, the window's job) does
 * around a DmTrainer: describe the model for a backbone, fit the batch to
 * the images that could be read, and write the finished model file. */
#pragma once

#include <glib.h>

#include "dm-model-file.h"
#include "dm-trainer.h"

G_BEGIN_DECLS

/* SHA-256 (hex) of the training images' paths, one per line, relative to
 * root when they lie under it (root may be NULL): the identity of a
 * training set that checkpoints record, so that a resume on other images
 * is refused. */
char *dm_train_fingerprint (const char *const *paths, guint n, const char *root);

/* A model description for this backbone (targets, groups, fusion) and the
 * trainer's targets from it. */
DmModelInfo *
dm_train_model_info_new (const DmVitWeights *backbone, DmVitTargets *targets, GError **error);

/* After the cache is built: a batch larger than the images that could be
 * read becomes that number (a resumed run keeps its own). *note (may be
 * NULL) receives what was changed, in words, or NULL. */
gboolean dm_train_fit_batch (DmTrainer *trainer, gboolean resumed, char **note, GError **error);

/* Fills info from the finished trainer (sizes, dropout, training record)
 * and writes the model file at path atomically, the backbone embedded.
 * backbone_name: the backbone file's base name; backbone_sha256 its checksum. */
gboolean dm_train_write_model (DmTrainer *trainer,
                               DmModelInfo *info,
                               const DmVitWeights *backbone,
                               const char *backbone_name,
                               const char *backbone_sha256,
                               const char *const *class_names,
                               const char *path,
                               GError **error);

G_END_DECLS
