/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The engine's GError domain. */
#include "dm-error.h"

#include <stdarg.h>

GQuark
dm_error_quark (void)
{
  return g_quark_from_static_string ("dm-error-quark");
}

gboolean
dm_error_corrupt (GError **error, const char *path, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: %s", path, what);
  return FALSE;
}
