/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A bump allocator for activations, and aligned heap memory. */
#include "dm-arena.h"

#include <stdlib.h>
#include <string.h>

#include "dm-error.h"

static gsize
round_up (gsize n)
{
  return (n + DM_ALIGN - 1) & ~(gsize)(DM_ALIGN - 1);
}

void *
dm_aligned_alloc (gsize n_bytes, GError **error)
{
  void *ptr = NULL;

  if (n_bytes == 0)
    n_bytes = DM_ALIGN;
  if (posix_memalign (&ptr, DM_ALIGN, round_up (n_bytes)) != 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY,
                   "Out of memory: could not allocate %.1f MiB", n_bytes / (1024.0 * 1024.0));
      return NULL;
    }
  return ptr;
}

void
dm_aligned_free (void *ptr)
{
  free (ptr);
}

gboolean
dm_arena_init (DmArena *arena, gsize capacity, GError **error)
{
  memset (arena, 0, sizeof *arena);
  arena->base = dm_aligned_alloc (capacity, error);
  if (arena->base == NULL)
    return FALSE;
  arena->capacity = round_up (capacity);
  return TRUE;
}

void
dm_arena_clear (DmArena *arena)
{
  g_clear_pointer (&arena->base, dm_aligned_free);
  arena->capacity = arena->used = arena->peak = 0;
}

void
dm_arena_reset (DmArena *arena)
{
  arena->used = 0;
}

void *
dm_arena_alloc (DmArena *arena, gsize n_bytes)
{
  gsize size = round_up (n_bytes);
  void *ptr;

  if (arena->base == NULL || size > arena->capacity - arena->used)
    return NULL;
  ptr = arena->base + arena->used;
  arena->used += size;
  arena->peak = MAX (arena->peak, arena->used);
  return ptr;
}

float *
dm_arena_alloc_f32 (DmArena *arena, gsize n_floats)
{
  return dm_arena_alloc (arena, n_floats * sizeof (float));
}
