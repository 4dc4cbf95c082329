/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The training images of a folder, minimal on purpose (a dataset module
 * with VisA layouts and hold-out splits can replace this one file):
 *
 *   - MVTec AD layout: DIR/<class>/train/good/<images>, every class or the
 *     ones asked for;
 *   - otherwise a plain folder of normal images: DIR/<images> (one class
 *     named after the folder).
 *
 * Images are files ending in .png, .jpg, .jpeg, .tif or .tiff (any case);
 * hidden files are skipped. Sorted by class, then by name (byte order), so
 * the list and its fingerprint do not depend on the file system. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *root;        /* DIR as given */
  gboolean mvtec;    /* the MVTec layout was found */
  char **classes;    /* NULL-terminated class names, in order */
  GPtrArray *paths;  /* char *: full paths */
  GPtrArray *labels; /* char *: the class of each path (borrowed from classes) */
} DmTrainImages;

/* only: NULL for every class, else the class names to keep (each must
 * exist). Fails when DIR is not a folder or a class is unknown; an empty
 * result is not an error (the caller says "no training images"). */
DmTrainImages *dm_train_images_list (const char *dir, const char *const *only, GError **error);
void dm_train_images_free (DmTrainImages *images);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmTrainImages, dm_train_images_free)

/* Drops entry i (an image that could not be read). */
void dm_train_images_remove (DmTrainImages *images, guint i);

/* SHA-256 (hex) of the paths relative to root, one per line: the identity
 * of the training set that checkpoints record. */
char *dm_train_images_fingerprint (const DmTrainImages *images);

G_END_DECLS
