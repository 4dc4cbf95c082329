/* SPDX-License-Identifier: GPL-3.0-or-later */
/* CSV as RFC 4180 writes it: the one field writer of every CSV the
 * application produces (evaluation records, reports, inspections). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* text (NULL: empty) as one field: made valid UTF-8, as it is, or quoted
 * with "" for " when it holds a comma, a quote, CR or LF. */
void dm_csv_append_field (GString *out, const char *text);

G_END_DECLS
