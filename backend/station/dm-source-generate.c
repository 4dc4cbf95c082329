/* SPDX-License-Identifier: GPL-3.0-or-later */
/* generate:RATE[?size=WxH&count=N&seed=S] — frames made up at RATE per
 * second (noise, seeded), for `dinomaly bench station` and for trying a
 * station without a camera. Frames come on a fixed clock: a frame the
 * station's queue has no room for is dropped and counted, as a camera's
 * would be, so the highest rate without drops is the sustained rate. */
#include "dm-station-private.h"

#include <stdio.h>
#include <string.h>

#include "dm-error.h"
#include "dm-random.h"

/* Distinct frames made once and handed out in turn: making noise for every
 * frame would cost more than the station. */
#define N_TEMPLATES 4

typedef struct
{
  double rate;
  int width, height;
  gint64 count; /* 0: for ever */
  guint64 seed;
  DmImage *templates[N_TEMPLATES];
  GThread *thread;
} Generate;

static gpointer
generate_thread (gpointer data)
{
  DmSource *source = data;
  Generate *g = source->impl;
  gint64 t0 = g_get_monotonic_time ();
  gint64 period = (gint64)(G_USEC_PER_SEC / g->rate);

  dm_source_set_state (source, "running at %g frames/s", g->rate);
  for (gint64 k = 0; g->count == 0 || k < g->count; k++)
    {
      const DmImage *t = g->templates[k % N_TEMPLATES];
      gint64 due = t0 + k * period;
      gint64 wait = due - g_get_monotonic_time ();
      DmImage *frame;

      if (wait > 0 && !dm_station_sleep (source->station, wait))
        break;
      if (dm_station_stopping (source->station))
        break;
      frame = dm_image_new (t->width, t->height, t->channels, t->type, NULL);
      if (frame == NULL)
        continue;
      memcpy (frame->data, t->data, t->stride * (gsize)t->height);
      dm_source_submit_frame (source, frame, k);
    }
  dm_source_set_state (source, "ended");
  return NULL;
}

static gboolean
generate_start (DmSource *source, GError **error)
{
  Generate *g = source->impl;

  for (int i = 0; i < N_TEMPLATES; i++)
    {
      guint64 state = g->seed * 31 + (guint64)i;

      g->templates[i] = dm_image_new (g->width, g->height, 3, DM_PIXEL_U8, error);
      if (g->templates[i] == NULL)
        return FALSE;
      for (int y = 0; y < g->height; y++)
        for (int x = 0; x < g->width * 3; x++)
          g->templates[i]->data[(gsize)y * g->templates[i]->stride + (gsize)x]
            = (guint8)(dm_splitmix64 (&state) >> 56);
    }
  g->thread = g_thread_new ("station-generate", generate_thread, source);
  return TRUE;
}

static void
generate_stop (DmSource *source)
{
  Generate *g = source->impl;

  g_clear_pointer (&g->thread, g_thread_join);
}

static void
generate_free (DmSource *source)
{
  Generate *g = source->impl;

  for (int i = 0; i < N_TEMPLATES; i++)
    g_clear_pointer (&g->templates[i], dm_image_free);
  g_free (g);
}

static const DmSourceOps generate_ops = {
  .kind = "generate",
  .start = generate_start,
  .stop = generate_stop,
  .free = generate_free,
};

gboolean
dm_source_generate_init (DmSource *source, const char *argument, GError **error)
{
  static const char *const allowed[] = { "size", "count", "seed", NULL };
  const char *q = strchr (argument, '?');
  g_autofree char *rate_text
    = g_strndup (argument, q != NULL ? (gsize)(q - argument) : strlen (argument));
  g_autoptr (GHashTable) options
    = dm_station_parse_options (source->uri, q != NULL ? q + 1 : NULL, allowed, error);
  const char *size = options != NULL ? g_hash_table_lookup (options, "size") : NULL;
  char *end = NULL;
  double rate = g_ascii_strtod (rate_text, &end), count = 0, seed = 1;
  int w = 640, h = 480;
  Generate *g;

  if (options == NULL)
    return FALSE;
  if (end == rate_text || *end != '\0' || !(rate > 0 && rate <= 10000))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: give the rate in frames per second (0 to 10000)", source->uri);
      return FALSE;
    }
  if (size != NULL
      && (sscanf (size, "%dx%d", &w, &h) != 2 || w < 1 || h < 1 || w > 8192 || h > 8192))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "%s: size=%s: give WIDTHxHEIGHT", source->uri,
                   size);
      return FALSE;
    }
  if (!dm_station_option_double (options, source->uri, "count", 0, 1e12, &count, error)
      || !dm_station_option_double (options, source->uri, "seed", 0, 1e15, &seed, error))
    return FALSE;
  g = g_new0 (Generate, 1);
  g->rate = rate;
  g->width = w;
  g->height = h;
  g->count = (gint64)count;
  g->seed = (guint64)seed;
  source->impl = g;
  source->ops = &generate_ops;
  return TRUE;
}
