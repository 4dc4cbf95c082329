/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The start page: what the app is, New / Open Project, recent projects. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define DM_TYPE_START_PAGE (dm_start_page_get_type ())
G_DECLARE_FINAL_TYPE (DmStartPage, dm_start_page, DM, START_PAGE, AdwBin)

/* Shows these folders (newest first) as recent projects. */
void dm_start_page_set_recent (DmStartPage *self, const char *const *folders);

G_END_DECLS
