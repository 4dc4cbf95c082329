/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The project open in a window, as an object the pages can hold: it owns
 * the DmProject (freed with the last reference, so a page never reads a
 * closed project), saves it and tells who listens what changed. Pages have
 * a "project" property bound to the window's; each refreshes itself on
 * "changed::<part>", with part one of
 *   "classes"   classes added, removed, renamed
 *   "backbone"  the backbone file or random weights
 *   "training"  the preset or a training setting
 *   "model"     a model trained, or another version promoted (the active
 *               model, its results and thresholds changed)
 *   "versions"  a version added, deleted or restored
 *   "review"    thresholds and labels set on the Review page
 *   "feedback"  parts from the line arrived or were added to their class
 *   "line"      the line's sources, outputs or settings
 *   "audit"     a record appended to the audit trail */
#pragma once

#include <gio/gio.h>

#include "dm-project.h"

G_BEGIN_DECLS

#define DM_TYPE_OPEN_PROJECT (dm_open_project_get_type ())
G_DECLARE_FINAL_TYPE (DmOpenProject, dm_open_project, DM, OPEN_PROJECT, GObject)

/* Takes project. */
DmOpenProject *dm_open_project_new (DmProject *project);

/* The project (valid as long as self is); changes to it are followed by
 * dm_open_project_save. */
DmProject *dm_open_project_get_project (DmOpenProject *self);

/* Saves the project after a change to part and emits "changed::part"
 * (also when saving failed: the change stays in memory and the next save
 * retries). */
gboolean dm_open_project_save (DmOpenProject *self, const char *part, GError **error);
/* Emits "changed::part" for a change saved by someone else. */
void dm_open_project_changed (DmOpenProject *self, const char *part);

/* Removes a class and keeps it for undo (one level); FALSE when there is
 * no such class. Not saved yet. */
gboolean dm_open_project_remove_class (DmOpenProject *self, const char *name);
/* The class removed last, or NULL. */
const char *dm_open_project_get_removed_class (DmOpenProject *self);
/* Puts the class removed last (there must be one) back where it was, not
 * saved yet; FALSE with an error when another class took its name
 * meanwhile (then it is forgotten). */
gboolean dm_open_project_undo_remove_class (DmOpenProject *self, GError **error);

/* Appends a record of what the user did to the project's audit trail
 * (dm-project-audit.h: by this account, now, with the active version) and
 * emits "changed::audit". */
gboolean dm_open_project_audit (DmOpenProject *self,
                                const char *action,
                                const char *target,
                                const char *value,
                                const char *previous,
                                GError **error);
/* The same for a change that comes in bursts (a threshold slider, strokes
 * of a brush): one record per action and target once it rests for a
 * moment, from the first previous to the last value. */
void dm_open_project_audit_later (DmOpenProject *self,
                                  const char *action,
                                  const char *target,
                                  const char *value,
                                  const char *previous);
/* Writes the records waiting to rest now (a closing project). */
void dm_open_project_audit_flush (DmOpenProject *self);

G_END_DECLS
