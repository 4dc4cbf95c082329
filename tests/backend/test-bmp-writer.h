/* SPDX-License-Identifier: GPL-3.0-or-later */
/* BMP files of known pixels for the tests (the decoder's and the
 * datasets'), written by hand so that every header variant can be made,
 * broken ones included. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The raw value of pixel (x, y), y = 0 the top row: a palette index for
 * 1/4/8 bits, the 16 or 32-bit word, or 0xRRGGBB for 24 bits. */
typedef guint32 (*TestBmpPixelFunc) (int x, int y, gpointer data);

typedef struct
{
  int header_size;       /* 12, 40, 52, 56, 108 or 124 */
  int width, height;     /* height < 0: rows stored top-down */
  int bits;              /* 1, 4, 8, 16, 24 or 32 */
  guint32 compression;   /* 0 BI_RGB, 3 BI_BITFIELDS, 6 BI_ALPHABITFIELDS, or anything */
  guint32 masks[4];      /* R, G, B, A: in the header (52+) or after it (40) */
  guint n_colors;        /* palette entries written, and the "colours used" field */
  guint32 colors_used;   /* written instead of n_colors when not 0 */
  const guint8 *palette; /* (n_colors, 3) R, G, B */
  TestBmpPixelFunc pixel;
  gpointer data;
} TestBmp;

/* The file's bytes. */
GByteArray *test_bmp_build (const TestBmp *spec);

/* Writes a 24-bit BMP of rgb (height, width, 3) to path. */
void test_bmp_write_rgb24 (const char *path, int width, int height, const guint8 *rgb);
/* Writes an 8-bit BMP with the gray identity palette of values (height, width). */
void test_bmp_write_gray8 (const char *path, int width, int height, const guint8 *values);

G_END_DECLS
