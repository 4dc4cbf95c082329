/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The engine's GError domain: every failure names the file and the problem. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DM_ERROR (dm_error_quark ())

typedef enum
{
  DM_ERROR_FAILED,      /* anything not listed below */
  DM_ERROR_IO,          /* a file could not be opened, read or written */
  DM_ERROR_CORRUPT,     /* a file is malformed or truncated */
  DM_ERROR_UNSUPPORTED, /* a valid file of a kind we do not handle */
  DM_ERROR_INVALID,     /* an argument or setting is out of range */
  DM_ERROR_MISMATCH,    /* shapes, sizes or architectures do not fit together */
  DM_ERROR_TOO_LARGE,   /* a limit (pixels, bytes, tensor size) was exceeded */
  DM_ERROR_NO_MEMORY,   /* an allocation failed */
  DM_ERROR_CANCELLED,   /* the caller asked to stop */
  DM_ERROR_NUMERIC,     /* NaN or Inf where a finite number was needed */
  DM_ERROR_BACKEND,     /* oneDNN refused or failed */
} DmError;

GQuark dm_error_quark (void);

/* Sets a DM_ERROR_CORRUPT error "PATH: WHAT" (WHAT formatted) and returns
 * FALSE, for readers that refuse a malformed file. */
gboolean dm_error_corrupt (GError **error, const char *path, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

G_END_DECLS
