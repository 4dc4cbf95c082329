/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A ring buffer under one mutex with two conditions (dm-bounded-queue.h). */
#include "dm-bounded-queue.h"

struct _DmBoundedQueue
{
  GMutex lock;
  GCond not_empty, not_full;
  gpointer *items; /* capacity slots, a ring from head */
  guint capacity, head, length;
  gboolean closed;
  GDestroyNotify free_func;
};

DmBoundedQueue *
dm_bounded_queue_new (guint capacity, GDestroyNotify free_func)
{
  DmBoundedQueue *q = g_new0 (DmBoundedQueue, 1);

  g_mutex_init (&q->lock);
  g_cond_init (&q->not_empty);
  g_cond_init (&q->not_full);
  q->capacity = MAX (capacity, 1);
  q->items = g_new0 (gpointer, q->capacity);
  q->free_func = free_func;
  return q;
}

void
dm_bounded_queue_free (DmBoundedQueue *q)
{
  if (q == NULL)
    return;
  for (guint i = 0; i < q->length; i++)
    if (q->free_func != NULL)
      q->free_func (q->items[(q->head + i) % q->capacity]);
  g_free (q->items);
  g_mutex_clear (&q->lock);
  g_cond_clear (&q->not_empty);
  g_cond_clear (&q->not_full);
  g_free (q);
}

static void
put (DmBoundedQueue *q, gpointer item)
{
  q->items[(q->head + q->length) % q->capacity] = item;
  q->length++;
  g_cond_signal (&q->not_empty);
}

gboolean
dm_bounded_queue_push (DmBoundedQueue *q, gpointer item, gint64 end_time)
{
  gboolean ok = FALSE;

  g_mutex_lock (&q->lock);
  while (!q->closed && q->length == q->capacity)
    if (end_time < 0)
      g_cond_wait (&q->not_full, &q->lock);
    else if (!g_cond_wait_until (&q->not_full, &q->lock, end_time))
      break;
  if (!q->closed && q->length < q->capacity)
    {
      put (q, item);
      ok = TRUE;
    }
  g_mutex_unlock (&q->lock);
  return ok;
}

gboolean
dm_bounded_queue_try_push (DmBoundedQueue *q, gpointer item)
{
  return dm_bounded_queue_push (q, item, 0);
}

gpointer
dm_bounded_queue_pop (DmBoundedQueue *q, gint64 end_time)
{
  gpointer item = NULL;

  g_mutex_lock (&q->lock);
  while (!q->closed && q->length == 0 && end_time != 0)
    if (end_time < 0)
      g_cond_wait (&q->not_empty, &q->lock);
    else if (!g_cond_wait_until (&q->not_empty, &q->lock, end_time))
      break;
  if (q->length > 0)
    {
      item = q->items[q->head];
      q->head = (q->head + 1) % q->capacity;
      q->length--;
      g_cond_signal (&q->not_full);
    }
  g_mutex_unlock (&q->lock);
  return item;
}

void
dm_bounded_queue_close (DmBoundedQueue *q)
{
  g_mutex_lock (&q->lock);
  q->closed = TRUE;
  g_cond_broadcast (&q->not_empty);
  g_cond_broadcast (&q->not_full);
  g_mutex_unlock (&q->lock);
}

guint
dm_bounded_queue_length (DmBoundedQueue *q)
{
  guint n;

  g_mutex_lock (&q->lock);
  n = q->length;
  g_mutex_unlock (&q->lock);
  return n;
}

guint
dm_bounded_queue_capacity (DmBoundedQueue *q)
{
  return q->capacity;
}
