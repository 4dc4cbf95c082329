/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared between the files of `dinomaly predict`. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *path;    /* as given, or folder + name */
  char *display; /* for messages */
  char *stem;    /* unique output name stem */
} Input;

void dm_predict_input_free (gpointer data);

/* Files and folders (their files, not their subfolders, sorted by name,
 * hidden files ignored) -> inputs (Input*). Files that are not images by
 * their content are listed on stderr and skipped; files that cannot be read
 * are reported and counted in n_unreadable. FALSE when a folder holds no
 * image (reported). */
gboolean dm_predict_collect_inputs (char **args, GPtrArray *inputs, guint *n_unreadable);

/* Gives every input its output stem: the file name without extension,
 * unique in the run without regard to case (-2, -3, ... in input order). */
void dm_predict_assign_stems (GPtrArray *inputs);

G_END_DECLS
