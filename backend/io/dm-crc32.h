/* SPDX-License-Identifier: GPL-3.0-or-later */
/* CRC-32 (IEEE 802.3, the checksum of zip archives and PNG), computed
 * eight bytes at a time. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Continues crc (0 to start) over n bytes. */
guint32 dm_crc32_update (guint32 crc, const void *data, gsize n);

G_END_DECLS
