/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window of Dinomaly Studio. */
#pragma once

#include <adwaita.h>

#include <adwaita.h>

G_BEGIN_DECLS

#define DM_TYPE_WINDOW (dm_window_get_type ())
G_DECLARE_FINAL_TYPE (DmWindow, dm_window, DM, WINDOW, AdwApplicationWindow)

DmWindow *dm_window_new (AdwApplication *application);

G_END_DECLS
