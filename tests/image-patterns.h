/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The pixel patterns of the generated image corpus (tests/data/image/),
 * shared by the generator and the decoder tests so both know every value. */
#pragma once

#define PAT_W 37 /* odd sizes, and not multiples of the 16-pixel tiles */
#define PAT_H 23

static inline int
pat8 (int x, int y, int c)
{
  return (x * 7 + y * 11 + c * 80 + (x * y) % 13) & 255;
}

static inline int
pat16 (int x, int y, int c)
{
  return (x * 1789 + y * 2711 + c * 21000 + (x * y * 37) % 1000) & 0xffff;
}

static inline int
pat_alpha8 (int x, int y)
{
  return (255 - x * 3 - y * 5) & 255;
}

static inline int
pat_alpha16 (int x, int y)
{
  return (65535 - x * 997 - y * 1499) & 0xffff;
}

/* 1, 2 or 4-bit gray levels (before scaling to 8 bits). */
static inline int
pat_low (int x, int y, int bits)
{
  return (x + 2 * y + x / 5) % (1 << bits);
}

/* Palette indices and the palette itself. */
static inline int
pat_index (int x, int y, int bits)
{
  return (x * 3 + y * 5) % (1 << bits);
}

static inline int
pat_pal (int i, int c)
{
  return c == 0 ? i : c == 1 ? 255 - i : (i * 37 + 11) & 255;
}

static inline int
pat_pal_alpha (int i)
{
  return (i * 91) & 255;
}

/* tRNS colour key of the gray/RGB PNGs. */
static inline int
pat_key (int c, int bits)
{
  return bits == 16 ? 0x1234 : pat8 (0, 0, c);
}

static inline float
patf (int x, int y, int c)
{
  return (x - 3.5f) * 0.37f + y * 1.25f - c * 100.0f + 1e-3f * (float)((x * y) % 7);
}

/* Smooth content for JPEG (few artefacts). */
static inline int
pat_smooth (int x, int y, int c)
{
  return x * 3 + y * 3 + c * 40; /* 0..254 for 37 x 23, no wrap */
}
