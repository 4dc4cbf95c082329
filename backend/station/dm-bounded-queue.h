/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A bounded queue between the station's threads: a fixed capacity, a
 * blocking push for producers that can wait (hot folders: the file stays
 * where it is), a push that refuses when full for producers that cannot
 * (cameras: the caller counts the dropped frame), and close() as the one
 * way to stop it (pushes fail, pops drain what is left, then return
 * NULL). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DmBoundedQueue DmBoundedQueue;

/* free_func (may be NULL) frees the items still queued when the queue is
 * freed. */
DmBoundedQueue *dm_bounded_queue_new (guint capacity, GDestroyNotify free_func);
void dm_bounded_queue_free (DmBoundedQueue *queue);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmBoundedQueue, dm_bounded_queue_free)

/* Waits while the queue is full; FALSE (the item stays the caller's) once
 * it is closed, or when end_time (monotonic, -1: none) passes. */
gboolean dm_bounded_queue_push (DmBoundedQueue *queue, gpointer item, gint64 end_time);
/* FALSE at once when full or closed: the item stays the caller's. */
gboolean dm_bounded_queue_try_push (DmBoundedQueue *queue, gpointer item);
/* The oldest item, waiting until end_time (monotonic; -1: for ever, 0:
 * not at all); NULL on time-out, or when closed and empty. */
gpointer dm_bounded_queue_pop (DmBoundedQueue *queue, gint64 end_time);
/* Wakes every waiter; later pushes fail. */
void dm_bounded_queue_close (DmBoundedQueue *queue);
guint dm_bounded_queue_length (DmBoundedQueue *queue);
guint dm_bounded_queue_capacity (DmBoundedQueue *queue);

G_END_DECLS
