/* SPDX-License-Identifier: GPL-3.0-or-later */
/* CRC-32 by slicing-by-8: eight tables of 256 entries, eight bytes per step
 * (a few times faster than a byte at a time, so checking the storages of a
 * large .pth costs little next to reading them). */
#include "dm-crc32.h"

static guint32 tables[8][256];

static void
init_tables (void)
{
  for (guint32 i = 0; i < 256; i++)
    {
      guint32 c = i;

      for (int k = 0; k < 8; k++)
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      tables[0][i] = c;
    }
  for (guint32 i = 0; i < 256; i++)
    for (int t = 1; t < 8; t++)
      tables[t][i] = (tables[t - 1][i] >> 8) ^ tables[0][tables[t - 1][i] & 0xff];
}

guint32
dm_crc32_update (guint32 crc, const void *data, gsize n)
{
  static gsize initialised = 0;
  const guint8 *p = data;

  if (g_once_init_enter (&initialised))
    {
      init_tables ();
      g_once_init_leave (&initialised, 1);
    }
  crc = ~crc;
  for (; n >= 8; n -= 8, p += 8)
    {
      guint32 lo, hi;

      /* little-endian loads: the tables assume the lowest byte first */
      lo = crc ^ ((guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24);
      hi = (guint32)p[4] | (guint32)p[5] << 8 | (guint32)p[6] << 16 | (guint32)p[7] << 24;
      crc = tables[7][lo & 0xff] ^ tables[6][(lo >> 8) & 0xff] ^ tables[5][(lo >> 16) & 0xff]
            ^ tables[4][lo >> 24] ^ tables[3][hi & 0xff] ^ tables[2][(hi >> 8) & 0xff]
            ^ tables[1][(hi >> 16) & 0xff] ^ tables[0][hi >> 24];
    }
  for (; n > 0; n--, p++)
    crc = tables[0][(crc ^ *p) & 0xff] ^ (crc >> 8);
  return ~crc;
}
