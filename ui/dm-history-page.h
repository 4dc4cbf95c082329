/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The History page: the project's audit trail (dm-project-audit.h), the
 * newest first: who labelled, painted, moved a threshold, trained,
 * promoted, rolled back or deleted what, and when. Read off the main
 * thread whenever a record is appended. */
#pragma once

#include <adwaita.h>

#include "dm-open-project.h"

G_BEGIN_DECLS

#define DM_TYPE_HISTORY_PAGE (dm_history_page_get_type ())
G_DECLARE_FINAL_TYPE (DmHistoryPage, dm_history_page, DM, HISTORY_PAGE, AdwBin)

void dm_history_page_set_project (DmHistoryPage *self, DmOpenProject *project);
DmOpenProject *dm_history_page_get_project (DmHistoryPage *self);
/* The records shown, and TRUE while the trail is being read. */
guint dm_history_page_get_n_shown (DmHistoryPage *self);
gboolean dm_history_page_is_loading (DmHistoryPage *self);

G_END_DECLS
