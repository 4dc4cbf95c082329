/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers for GUI tests under Xvfb: waiting for frames, screenshots. */
#include "dm-test-gui.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct
{
  guint frames_left;
  gboolean timed_out;
} FrameWait;

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  FrameWait *wait = user_data;

  if (wait->frames_left > 0)
    wait->frames_left--;
  gtk_widget_queue_draw (widget);
  return wait->frames_left > 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
on_timeout (gpointer user_data)
{
  FrameWait *wait = user_data;

  wait->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

void
dm_test_gui_wait_frames (GtkWidget *widget, guint n_frames)
{
  FrameWait wait = { n_frames, FALSE };
  guint timeout_id;

  gtk_widget_add_tick_callback (widget, on_tick, &wait, NULL);
  timeout_id = g_timeout_add (10000, on_timeout, &wait);
  while (wait.frames_left > 0 && !wait.timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (wait.timed_out);
  g_source_remove (timeout_id);
}

void
dm_test_gui_wait_ms (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

gboolean
dm_test_gui_wait_until (gboolean (*condition) (gpointer), gpointer data, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

char *
dm_test_gui_screenshot (GtkWidget *widget, const char *name)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree guchar *pixels = NULL;
  const char *dir = g_getenv ("DM_SCREENSHOT_DIR");
  GskRenderer *renderer;
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  char *path;
  gsize stride, n_different = 0;

  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_cmpint (gdk_texture_get_width (texture), ==, width);
  g_assert_cmpint (gdk_texture_get_height (texture), ==, height);

  /* A blank picture means nothing was drawn: count pixels unlike the first. */
  stride = (gsize)width * 4;
  pixels = g_malloc (stride * height);
  gdk_texture_download (texture, pixels, stride);
  for (gsize i = 4; i < stride * height; i += 4)
    if (memcmp (pixels + i, pixels, 4) != 0)
      n_different++;
  g_assert_cmpuint (n_different, >, (gsize)width * height / 100);

  if (dir == NULL)
    dir = g_get_tmp_dir ();
  g_mkdir_with_parents (dir, 0755);
  path = g_strdup_printf ("%s/%s.png", dir, name);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
  return path;
}

GtkWidget *
dm_test_gui_find_named (GtkWidget *root, const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = dm_test_gui_find_named (c, name);
      if (found != NULL)
        return found;
    }
  return NULL;
}
