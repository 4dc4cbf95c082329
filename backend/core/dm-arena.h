/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A bump allocator for activations: one 64-byte aligned block, carved into
 * named buffers once per batch shape, reset as a whole. Nothing is freed
 * one by one, so hot loops never allocate. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DM_ALIGN 64

typedef struct
{
  guint8 *base;   /* 64-byte aligned block, owned */
  gsize capacity; /* bytes in base */
  gsize used;     /* bytes handed out so far */
  gsize peak;     /* largest `used` seen */
} DmArena;

gboolean dm_arena_init (DmArena *arena, gsize capacity, GError **error);
void dm_arena_clear (DmArena *arena);
void dm_arena_reset (DmArena *arena);
/* Returns n_floats floats, 64-byte aligned, or NULL when the arena is full
 * (a sizing bug: callers size the arena from the same shapes first). */
float *dm_arena_alloc_f32 (DmArena *arena, gsize n_floats);
void *dm_arena_alloc (DmArena *arena, gsize n_bytes);

/* n floats rounded up to a whole number of 64-byte lines: the stride of
 * buffers carved one after the other from one block. */
static inline gsize
dm_pad_floats (gsize n)
{
  return (n + 15) & ~(gsize)15;
}

/* 64-byte aligned heap memory for long-lived buffers (weights, gradients).
 * Returns NULL and sets error when the allocation fails. */
void *dm_aligned_alloc (gsize n_bytes, GError **error);
void dm_aligned_free (void *ptr);

G_END_DECLS
