/* SPDX-License-Identifier: GPL-3.0-or-later */
/* BMP files of known pixels for the tests (see test-bmp-writer.h). */
#include "test-bmp-writer.h"

#include <string.h>

static void
put16 (GByteArray *b, guint32 v)
{
  guint8 p[2] = { (guint8)v, (guint8)(v >> 8) };

  g_byte_array_append (b, p, 2);
}

static void
put32 (GByteArray *b, guint32 v)
{
  guint8 p[4] = { (guint8)v, (guint8)(v >> 8), (guint8)(v >> 16), (guint8)(v >> 24) };

  g_byte_array_append (b, p, 4);
}

GByteArray *
test_bmp_build (const TestBmp *s)
{
  GByteArray *b = g_byte_array_new ();
  int rows = ABS (s->height);
  gsize row_bytes = ((gsize)s->width * s->bits + 31) / 32 * 4;
  gboolean masks_after = s->header_size == 40 && (s->compression == 3 || s->compression == 6);
  gsize offset;
  guint8 zero[128] = { 0 };

  g_assert (s->header_size == 12 || s->header_size == 40 || s->header_size == 52
            || s->header_size == 56 || s->header_size == 108 || s->header_size == 124);
  offset = 14 + (gsize)s->header_size + (masks_after ? (s->compression == 6 ? 16 : 12) : 0)
           + (gsize)s->n_colors * (s->header_size == 12 ? 3 : 4);

  g_byte_array_append (b, (const guint8 *)"BM", 2);
  put32 (b, (guint32)(offset + row_bytes * rows));
  put32 (b, 0);
  put32 (b, (guint32)offset);
  put32 (b, (guint32)s->header_size);
  if (s->header_size == 12)
    {
      put16 (b, (guint32)s->width);
      put16 (b, (guint32)s->height);
      put16 (b, 1);
      put16 (b, (guint32)s->bits);
    }
  else
    {
      put32 (b, (guint32)s->width);
      put32 (b, (guint32)s->height);
      put16 (b, 1);
      put16 (b, (guint32)s->bits);
      put32 (b, s->compression);
      put32 (b, (guint32)(row_bytes * rows));
      put32 (b, 2835);
      put32 (b, 2835);
      put32 (b, s->colors_used != 0 ? s->colors_used : s->n_colors);
      put32 (b, 0);
      if (s->header_size >= 52)
        for (int i = 0; i < 3; i++)
          put32 (b, s->masks[i]);
      if (s->header_size >= 56)
        put32 (b, s->masks[3]);
      if (s->header_size > 56)
        g_byte_array_append (b, zero, (guint)(s->header_size - 56));
    }
  if (masks_after)
    for (int i = 0; i < (s->compression == 6 ? 4 : 3); i++)
      put32 (b, s->masks[i]);
  for (guint i = 0; i < s->n_colors; i++)
    {
      guint8 e[4] = { s->palette[i * 3 + 2], s->palette[i * 3 + 1], s->palette[i * 3], 0 };

      g_byte_array_append (b, e, s->header_size == 12 ? 3 : 4);
    }
  g_assert_cmpuint (b->len, ==, offset);
  for (int r = 0; r < rows; r++)
    {
      int y = s->height < 0 ? r : rows - 1 - r; /* the image row this file row holds */
      g_autofree guint8 *row = g_malloc0 (row_bytes);

      for (int x = 0; x < s->width; x++)
        {
          guint32 v = s->pixel (x, y, s->data);

          switch (s->bits)
            {
            case 1:
            case 4:
            case 8: row[x * s->bits / 8] |= (guint8)(v << (8 - s->bits - (x * s->bits) % 8)); break;
            case 16:
              row[x * 2] = (guint8)v;
              row[x * 2 + 1] = (guint8)(v >> 8);
              break;
            case 24:
              row[x * 3] = (guint8)v; /* B, G, R */
              row[x * 3 + 1] = (guint8)(v >> 8);
              row[x * 3 + 2] = (guint8)(v >> 16);
              break;
            case 32:
              for (int k = 0; k < 4; k++)
                row[x * 4 + k] = (guint8)(v >> (8 * k));
              break;
            default: g_assert_not_reached ();
            }
        }
      g_byte_array_append (b, row, (guint)row_bytes);
    }
  return b;
}

typedef struct
{
  int width, channels;
  const guint8 *pixels;
} Plain;

static guint32
plain_pixel (int x, int y, gpointer data)
{
  const Plain *p = data;
  const guint8 *v = p->pixels + ((gsize)y * p->width + x) * p->channels;

  return p->channels == 1 ? v[0] : (guint32)v[0] << 16 | (guint32)v[1] << 8 | v[2];
}

static void
write_bytes (const char *path, GByteArray *b)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (path, (const char *)b->data, b->len, &error));
  g_byte_array_unref (b);
}

void
test_bmp_write_rgb24 (const char *path, int width, int height, const guint8 *rgb)
{
  Plain p = { width, 3, rgb };
  TestBmp spec = { .header_size = 40,
                   .width = width,
                   .height = height,
                   .bits = 24,
                   .pixel = plain_pixel,
                   .data = &p };

  write_bytes (path, test_bmp_build (&spec));
}

void
test_bmp_write_gray8 (const char *path, int width, int height, const guint8 *values)
{
  guint8 palette[256 * 3];
  Plain p = { width, 1, values };
  TestBmp spec = { .header_size = 40,
                   .width = width,
                   .height = height,
                   .bits = 8,
                   .n_colors = 256,
                   .palette = palette,
                   .pixel = plain_pixel,
                   .data = &p };

  for (int i = 0; i < 256; i++)
    palette[i * 3] = palette[i * 3 + 1] = palette[i * 3 + 2] = (guint8)i;
  write_bytes (path, test_bmp_build (&spec));
}
