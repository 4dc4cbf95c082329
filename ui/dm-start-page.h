/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The start page: what the app is, New / Open Project, the demo project,
 * the recent projects (GSettings "recent-projects", followed as it
 * changes). */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define DM_TYPE_START_PAGE (dm_start_page_get_type ())
G_DECLARE_FINAL_TYPE (DmStartPage, dm_start_page, DM, START_PAGE, AdwBin)

/* Makes the demo project (generated pictures, a random backbone) in the
 * user's data folder in the background, progress on the page, then opens
 * it (win.open-project-folder). */
void dm_start_page_open_demo (DmStartPage *self);
gboolean dm_start_page_is_preparing_demo (DmStartPage *self);

G_END_DECLS
