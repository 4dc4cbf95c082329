/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The start page: what the app is, New / Open Project, the recent projects
 * (GSettings "recent-projects", followed as it changes). */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define DM_TYPE_START_PAGE (dm_start_page_get_type ())
G_DECLARE_FINAL_TYPE (DmStartPage, dm_start_page, DM, START_PAGE, AdwBin)

G_END_DECLS
