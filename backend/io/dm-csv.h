/* SPDX-License-Identifier: GPL-3.0-or-later */
/* CSV as RFC 4180 writes it: the one field writer of every CSV the
 * application produces (evaluation records, reports, inspections). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* text (NULL: empty) as one field: as it is, or quoted with "" for " when
 * it holds a comma, a quote, CR or LF. Bytes are kept as they are, also
 * when they are not UTF-8: a file name in another encoding still names the
 * real file (replacement characters would name none). */
void dm_csv_append_field (GString *out, const char *text);

G_END_DECLS
