/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The engine's GError domain. */
#include "dm-error.h"

G_DEFINE_QUARK (dm - error - quark, dm_error)
