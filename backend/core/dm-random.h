/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SplitMix64, the one small random generator of the engine: the same
 * stream on every platform, for initial weights, generated images, the
 * sampler and dropout. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DM_GOLDEN_GAMMA G_GUINT64_CONSTANT (0x9E3779B97F4A7C15)

/* SplitMix64's finaliser: a strong 64-bit hash of z. */
static inline guint64
dm_mix64 (guint64 z)
{
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* The next 64 bits of the stream in *state. */
static inline guint64
dm_splitmix64 (guint64 *state)
{
  return dm_mix64 (*state += DM_GOLDEN_GAMMA);
}

/* Uniform in [0, 1), 53 bits. */
static inline double
dm_random_uniform (guint64 *state)
{
  return (double)(dm_splitmix64 (state) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform in (0, 1): never 0, so log () of it is finite. */
static inline double
dm_random_open01 (guint64 *state)
{
  return ((double)(dm_splitmix64 (state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

G_END_DECLS
