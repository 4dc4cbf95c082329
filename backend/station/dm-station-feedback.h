/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The line's parts back to the project: a station's uncertain parts and
 * the passes it kept (keep_passes) are copied from its journal folder into
 * the project's feedback store (dm-project-feedback.h), where they wait on
 * the Review page for a person's verdict. The store keeps a cursor per
 * journal (folder/feedback/cursors/), so each part arrives once; a crash
 * between the events and the cursor brings some parts again, which the
 * store recognises by their id. Any thread; another process may be
 * writing the journal (only committed, whole lines are read). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The id a part of a journal has in the store: its record's id and the
 * journal's folder (two stations may both be called "station"). */
char *dm_station_feedback_id (const char *journal, const char *part_id);

/* Imports what journal committed since the last import into the project
 * in project_folder; *n_new (may be NULL) receives the parts that arrived.
 * Parts of classes the project does not have, fails, errors and parts
 * without a kept picture are passed over. */
gboolean dm_station_feedback_import (const char *project_folder,
                                     const char *journal,
                                     guint *n_new,
                                     GError **error);

G_END_DECLS
