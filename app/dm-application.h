/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The AdwApplication of Dinomaly Studio: app-wide actions and windows. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define DM_TYPE_APPLICATION (dm_application_get_type ())
G_DECLARE_FINAL_TYPE (DmApplication, dm_application, DM, APPLICATION, AdwApplication)

DmApplication *dm_application_new (GApplicationFlags flags);

G_END_DECLS
