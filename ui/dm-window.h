/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window of Dinomaly Studio. */
#pragma once

#include <adwaita.h>

#include "dm-open-project.h"

G_BEGIN_DECLS

#define DM_TYPE_WINDOW (dm_window_get_type ())
G_DECLARE_FINAL_TYPE (DmWindow, dm_window, DM, WINDOW, AdwApplicationWindow)

DmWindow *dm_window_new (AdwApplication *application);

/* "project": the project open in the window, or NULL. */
DmOpenProject *dm_window_get_project (DmWindow *self);

G_END_DECLS
