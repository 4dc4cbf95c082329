/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Review page's widgets in a window under Xvfb: the heatmap view on a
 * real image (tests/data) with a synthetic map, overlay, side by side,
 * zoomed and with a painted mask (undo restores it), and the threshold
 * panel over 2,000 scores: moving a slider gives the counts of the
 * definition, the proposals are the backend's, and an update is timed. */
#include "config.h"

#include <adwaita.h>
#include <math.h>
#include <string.h>

#include "dm-heatmap-view.h"
#include "dm-test-gui.h"
#include "dm-test-util.h"
#include "dm-threshold-panel.h"

#define MAP 256
#define RESIZE 448
#define CROP 392

static GtkWidget *window, *view, *panel;
static DmImage *image;
static guint mask_changes, thresholds_changes;

static void
on_mask_changed (DmHeatmapView *v, gpointer data)
{
  mask_changes++;
}

static void
on_thresholds_changed (DmThresholdPanel *p, gpointer data)
{
  thresholds_changes++;
}

/* Calm noise around 0.02 with a defect where the tire has its hole (about
 * (340, 350) on the 600 x 800 image, (147, 110) on the map) and a weaker
 * bump below the pixel threshold. */
static float *
synthetic_map (void)
{
  float *map = g_new (float, MAP *MAP);
  GRand *rand = g_rand_new_with_seed (5);

  for (int y = 0; y < MAP; y++)
    for (int x = 0; x < MAP; x++)
      {
        double d1 = (x - 147.0) * (x - 147.0) + (y - 110.0) * (y - 110.0);
        double d2 = (x - 60.0) * (x - 60.0) + (y - 200.0) * (y - 200.0);

        map[y * MAP + x] = (float)(0.02 + 0.01 * g_rand_double (rand) + 0.45 * exp (-d1 / 200.0)
                                   + 0.1 * exp (-d2 / 300.0));
      }
  g_rand_free (rand);
  return map;
}

static void
show (void)
{
  dm_test_gui_wait_frames (window, 3);
}

static void
screenshot (GtkWidget *widget, const char *name)
{
  g_autofree char *path = NULL;

  show ();
  path = dm_test_gui_screenshot (widget, name);
}

static void
test_heatmap (void)
{
  DmHeatmapView *v = DM_HEATMAP_VIEW (view);
  g_autofree float *map = synthetic_map ();
  double ix, iy, ix2, iy2, cx, cy;

  dm_heatmap_view_set_dm_image (v, image);
  dm_heatmap_view_set_map (v, map, MAP, RESIZE, CROP);
  dm_heatmap_view_set_range (v, 0.02, 0.3);
  dm_heatmap_view_set_pixel_threshold (v, 0.15);
  dm_heatmap_view_set_opacity (v, 0.7);
  screenshot (window, "review-overlay"); /* with the panel beside it */

  /* fit: the whole image is shown, its centre in the view's centre */
  cx = gtk_widget_get_width (view) / 2.0;
  cy = gtk_widget_get_height (view) / 2.0;
  g_assert_true (dm_heatmap_view_widget_to_image (v, cx, cy, &ix, &iy));
  g_assert_cmpfloat (fabs (ix - image->width / 2.0), <, 1.0);
  g_assert_cmpfloat (fabs (iy - image->height / 2.0), <, 1.0);

  dm_heatmap_view_set_mode (v, DM_HEATMAP_MODE_SIDE_BY_SIDE);
  screenshot (view, "review-side-by-side");
  dm_heatmap_view_set_mode (v, DM_HEATMAP_MODE_OVERLAY);

  /* zoom about a point: the image point under it stays put */
  g_assert_true (dm_heatmap_view_widget_to_image (v, cx + 20, cy - 30, &ix, &iy));
  dm_heatmap_view_zoom_at (v, 4.0, cx + 20, cy - 30);
  g_assert_cmpfloat (dm_heatmap_view_get_zoom (v), ==, 4.0);
  g_assert_true (dm_heatmap_view_widget_to_image (v, cx + 20, cy - 30, &ix2, &iy2));
  g_assert_cmpfloat (fabs (ix - ix2), <, 1e-6);
  g_assert_cmpfloat (fabs (iy - iy2), <, 1e-6);
  screenshot (view, "review-zoomed");
  /* keyboard: 0 goes back to the whole image */
  g_assert_true (gtk_widget_activate_action (view, "heatmap.zoom-reset", NULL));
  g_assert_cmpfloat (dm_heatmap_view_get_zoom (v), ==, 1.0);
  g_assert_true (gtk_widget_activate_action (view, "heatmap.zoom-in", NULL));
  g_assert_cmpfloat (dm_heatmap_view_get_zoom (v), ==, 1.25);
  g_assert_true (gtk_widget_activate_action (view, "heatmap.zoom-reset", NULL));
}

static gboolean
masks_equal (const DmImage *a, const DmImage *b)
{
  if (a->width != b->width || a->height != b->height)
    return FALSE;
  for (int y = 0; y < a->height; y++)
    if (memcmp (a->data + (gsize)y * a->stride, b->data + (gsize)y * b->stride, a->width) != 0)
      return FALSE;
  return TRUE;
}

static void
test_brush (void)
{
  DmHeatmapView *v = DM_HEATMAP_VIEW (view);
  /* around the hole, in image coordinates */
  const double stroke[] = { 300, 320, 330, 345, 370, 350, 380, 390 };
  const double erase[] = { 330, 330, 340, 360 };
  g_autoptr (DmImage) empty = dm_heatmap_view_get_mask (v);
  g_autoptr (DmImage) painted = NULL;
  g_autoptr (DmImage) after = NULL;
  g_autoptr (DmImage) loaded = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "000_mask.png", NULL);
  gsize n_painted, n_erased;

  g_assert_nonnull (empty);
  g_assert_cmpint (empty->width, ==, image->width);
  g_assert_cmpuint (dm_heatmap_view_count_mask_pixels (v), ==, 0);
  g_assert_false (dm_heatmap_view_can_undo (v));

  dm_heatmap_view_set_tool (v, DM_HEATMAP_TOOL_PAINT);
  g_assert_true (gtk_widget_activate_action (view, "heatmap.brush-larger", NULL));
  g_assert_cmpfloat (dm_heatmap_view_get_brush_size (v), ==, 30);
  g_assert_true (gtk_widget_activate_action (view, "heatmap.brush-smaller", NULL));
  g_assert_cmpfloat (dm_heatmap_view_get_brush_size (v), ==, 24);
  mask_changes = 0;
  dm_heatmap_view_paint_stroke (v, stroke, 4, FALSE);
  g_assert_cmpuint (mask_changes, ==, 1);
  n_painted = dm_heatmap_view_count_mask_pixels (v);
  /* a band 24 px wide along a path of about 120 px, plus the round ends */
  g_test_message ("painted %zu pixels", n_painted);
  g_assert_cmpuint (n_painted, >, 24 * 110);
  g_assert_cmpuint (n_painted, <, 24 * 130 + 460);
  painted = dm_heatmap_view_get_mask (v);
  for (int k = 0; k < 4; k++)
    {
      /* only 0 and 255, and the stroke's points are inside */
      guint8 value
        = painted->data[(gsize)stroke[2 * k + 1] * painted->stride + (gsize)stroke[2 * k]];
      g_assert_cmpuint (value, ==, 255);
    }
  for (gsize i = 0; i < (gsize)painted->height * painted->stride; i++)
    g_assert_true (painted->data[i] == 0 || painted->data[i] == 255);

  /* zoom in a little, so that the brush outline and the mask show */
  dm_heatmap_view_zoom_at (v, 2.0, gtk_widget_get_width (view) / 2.0,
                           gtk_widget_get_height (view) / 2.0);
  screenshot (view, "review-brush");

  dm_heatmap_view_paint_stroke (v, erase, 2, TRUE);
  n_erased = dm_heatmap_view_count_mask_pixels (v);
  g_assert_cmpuint (n_erased, <, n_painted);
  g_assert_cmpuint (mask_changes, ==, 2);

  /* undo twice: back to the empty mask; redo twice: the erased one */
  g_assert_true (gtk_widget_activate_action (view, "heatmap.undo", NULL));
  after = dm_heatmap_view_get_mask (v);
  g_assert_true (masks_equal (after, painted));
  g_clear_pointer (&after, dm_image_free);
  dm_heatmap_view_undo (v);
  after = dm_heatmap_view_get_mask (v);
  g_assert_true (masks_equal (after, empty));
  g_assert_false (dm_heatmap_view_can_undo (v));
  g_assert_cmpuint (mask_changes, ==, 4);
  dm_heatmap_view_redo (v);
  g_assert_true (gtk_widget_activate_action (view, "heatmap.redo", NULL));
  g_assert_cmpuint (dm_heatmap_view_count_mask_pixels (v), ==, n_erased);
  g_assert_false (dm_heatmap_view_can_redo (v));

  /* save as the caller does on "mask-changed", load it back, continue */
  g_clear_pointer (&after, dm_image_free);
  after = dm_heatmap_view_get_mask (v);
  g_assert_true (dm_image_save_png (after, path, &error));
  g_assert_no_error (error);
  loaded = dm_image_load (path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (loaded->channels, ==, 1);
  dm_heatmap_view_set_image (v, NULL, 0, 0);
  dm_heatmap_view_set_dm_image (v, image);
  g_assert_cmpuint (dm_heatmap_view_count_mask_pixels (v), ==, 0);
  g_assert_true (dm_heatmap_view_set_mask (v, loaded, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (dm_heatmap_view_count_mask_pixels (v), ==, n_erased);
  g_assert_false (dm_heatmap_view_can_undo (v));
  dm_heatmap_view_set_tool (v, DM_HEATMAP_TOOL_NONE);

  /* a mask of another size is refused, naming both sizes */
  {
    g_autoptr (DmImage) wrong = dm_image_new (10, 10, 1, DM_PIXEL_U8, NULL);
    g_assert_false (dm_heatmap_view_set_mask (v, wrong, &error));
    g_assert_nonnull (strstr (error->message, "10 x 10"));
  }
}

/* 2,000 images of a class: 1,500 test normals, 300 held-out normals, 200
 * defects; a few verdicts of the user overrule the dataset. */
#define N_IMAGES 2000
static float scores[N_IMAGES];
static guint8 labels[N_IMAGES], users[N_IMAGES], holdout[N_IMAGES];

static void
make_class (void)
{
  GRand *rand = g_rand_new_with_seed (9);

  for (int i = 0; i < N_IMAGES; i++)
    {
      double u1 = g_rand_double_range (rand, 1e-9, 1), u2 = g_rand_double (rand);
      double normal = sqrt (-2 * log (u1)) * cos (2 * G_PI * u2);

      labels[i] = i >= 1800;
      holdout[i] = i >= 1500 && i < 1800;
      scores[i] = labels[i] ? (float)(0.25 + 0.06 * normal) : (float)(0.10 + 0.02 * normal);
      users[i] = i % 97 == 0 ? (labels[i] ? 1 : 2) : 0;
    }
  g_rand_free (rand);
}

/* The window's frames: from the frame clock's update phase to the end of
 * its paint (layout, snapshot, Cairo rendering, handing the picture to X). */
static gint64 frame_start, frame_worst;

static void
on_frame_update (GdkFrameClock *clock, gpointer data)
{
  frame_start = g_get_monotonic_time ();
}

static void
on_frame_after_paint (GdkFrameClock *clock, gpointer data)
{
  if (frame_start != 0)
    frame_worst = MAX (frame_worst, g_get_monotonic_time () - frame_start);
  frame_start = 0;
}

/* The counts of the test images, written out. */
static void
brute_counts (const DmThresholds *t, DmThresholdCounts *out)
{
  float s[N_IMAGES];
  guint8 l[N_IMAGES], u[N_IMAGES];
  gsize n = 0;

  for (int i = 0; i < N_IMAGES; i++)
    if (!holdout[i])
      {
        s[n] = scores[i];
        l[n] = labels[i];
        u[n] = users[i];
        n++;
      }
  dm_threshold_counts (t, s, l, u, n, out);
}

static void
check_counts (DmThresholdPanel *p)
{
  DmThresholds t;
  DmThresholdCounts got, want;

  dm_threshold_panel_get_thresholds (p, &t);
  dm_threshold_panel_get_counts (p, &got);
  brute_counts (&t, &want);
  g_assert_cmpmem (&got, sizeof got, &want, sizeof want);
}

static void
test_panel (void)
{
  DmThresholdPanel *p = DM_THRESHOLD_PANEL (panel);
  GtkRange *image_scale = GTK_RANGE (dm_test_gui_find_named (panel, "image-scale"));
  GtkRange *band_scale = GTK_RANGE (dm_test_gui_find_named (panel, "band-scale"));
  GtkRange *pixel_scale = GTK_RANGE (dm_test_gui_find_named (panel, "pixel-scale"));
  DmThresholds t;
  DmThresholdCounts counts;
  gint64 worst = 0, total = 0;
  float normals[300];
  double f1_want;
  guint8 truth[N_IMAGES];

  make_class ();
  dm_threshold_panel_set_scores (p, scores, labels, users, holdout, N_IMAGES);
  dm_threshold_panel_set_pixel_range (p, 0, 0.3);
  dm_thresholds_init (&t);
  t.image = 0.17;
  t.pixel = 0.15;
  dm_threshold_panel_set_thresholds (p, &t);
  check_counts (p);
  dm_threshold_panel_get_counts (p, &counts);
  g_assert_cmpuint (counts.truth[0] + counts.truth[1], ==, 1700);

  /* moving the slider: the counts of the definition, a signal each time */
  thresholds_changes = 0;
  for (int k = 0; k < 100; k++)
    {
      double value = 0.05 + 0.3 * k / 99.0;
      gint64 start = g_get_monotonic_time (), took;

      gtk_range_set_value (image_scale, value);
      took = g_get_monotonic_time () - start;
      worst = MAX (worst, took);
      total += took;
      dm_threshold_panel_get_thresholds (p, &t);
      g_assert_cmpfloat (t.image, ==, value);
      check_counts (p);
    }
  g_assert_cmpuint (thresholds_changes, ==, 100);
  g_test_message ("slider update: %.3f ms for 2000 images, worst of 100 (mean %.3f ms)",
                  worst / 1000.0, total / 100000.0);
  g_print ("# slider update: %.3f ms for 2000 images, worst of 100 (mean %.3f ms)\n",
           worst / 1000.0, total / 100000.0);

  /* and the frame that follows (histogram, lines, labels; the whole
   * window), reported, not limited: it depends on the machine */
  {
    GdkFrameClock *clock = gtk_widget_get_frame_clock (window);
    gulong update_id, paint_id;

    show ();
    update_id = g_signal_connect (clock, "update", G_CALLBACK (on_frame_update), NULL);
    paint_id = g_signal_connect (clock, "after-paint", G_CALLBACK (on_frame_after_paint), NULL);
    frame_worst = 0;
    for (int k = 0; k < 20; k++)
      {
        gtk_range_set_value (image_scale, 0.1 + 0.005 * k);
        dm_test_gui_wait_frames (window, 1);
      }
    g_signal_handler_disconnect (clock, update_id);
    g_signal_handler_disconnect (clock, paint_id);
    g_print ("# window frame after a slider move: %.3f ms, worst of 20\n", frame_worst / 1000.0);
  }

  /* the pixel slider */
  gtk_range_set_value (pixel_scale, 0.12);
  dm_threshold_panel_get_thresholds (p, &t);
  g_assert_cmpfloat (t.pixel, ==, 0.12);

  /* the pixel proposals: off with a reason without held-out images or
   * masks; the held-out quantile taken as a slider move (a signal), beyond
   * the slider's range too (the range widens) */
  {
    GtkWidget *quantile = dm_test_gui_find_named (panel, "pixel-quantile-button");
    GtkWidget *f1 = dm_test_gui_find_named (panel, "pixel-f1-button");
    g_autofree char *quantile_tip = NULL, *f1_tip = NULL;
    guint before;

    dm_threshold_panel_set_pixel_proposals (p, NAN, FALSE);
    g_assert_false (gtk_widget_get_sensitive (quantile));
    g_assert_false (gtk_widget_get_sensitive (f1));
    quantile_tip = g_strdup (gtk_widget_get_tooltip_text (quantile));
    f1_tip = g_strdup (gtk_widget_get_tooltip_text (f1));
    dm_threshold_panel_set_pixel_proposals (p, 0.4, TRUE);
    g_assert_true (gtk_widget_get_sensitive (quantile));
    g_assert_true (gtk_widget_get_sensitive (f1));
    g_assert_cmpstr (gtk_widget_get_tooltip_text (quantile), !=, quantile_tip);
    g_assert_cmpstr (gtk_widget_get_tooltip_text (f1), !=, f1_tip);
    dm_threshold_panel_set_pixel_f1_busy (p, TRUE);
    g_assert_false (gtk_widget_get_sensitive (f1));
    dm_threshold_panel_set_pixel_f1_busy (p, FALSE);
    before = thresholds_changes;
    g_signal_emit_by_name (quantile, "clicked");
    dm_threshold_panel_get_thresholds (p, &t);
    g_assert_cmpfloat (t.pixel, ==, 0.4);
    g_assert_cmpfloat (gtk_range_get_value (pixel_scale), ==, 0.4);
    g_assert_cmpuint (thresholds_changes, ==, before + 1);
    gtk_range_set_value (pixel_scale, 0.12);
  }

  /* "at most 1 % false rejects" is the 0.99 quantile of the held-out normals */
  memcpy (normals, scores + 1500, sizeof normals);
  g_signal_emit_by_name (dm_test_gui_find_named (panel, "false-reject-button"), "clicked");
  dm_threshold_panel_get_thresholds (p, &t);
  g_assert_cmpfloat (t.image, ==, dm_quantile (normals, 300, 0.99));
  check_counts (p);

  /* F1-optimal on the test images with the user's verdicts */
  {
    float s[N_IMAGES];
    guint8 l[N_IMAGES], u[N_IMAGES];
    gsize n = 0;

    for (int i = 0; i < N_IMAGES; i++)
      if (!holdout[i])
        {
          s[n] = scores[i];
          l[n] = labels[i];
          u[n] = users[i];
          n++;
        }
    dm_truth_resolve (l, u, n, truth);
    f1_want = dm_threshold_f1_optimal (s, truth, n, NULL);
  }
  g_signal_emit_by_name (dm_test_gui_find_named (panel, "f1-button"), "clicked");
  dm_threshold_panel_get_thresholds (p, &t);
  g_assert_cmpfloat (t.image, ==, f1_want);
  check_counts (p);

  /* the uncertain band: high is the image slider, low the second one */
  gtk_switch_set_active (GTK_SWITCH (dm_test_gui_find_named (panel, "band-switch")), TRUE);
  dm_threshold_panel_get_thresholds (p, &t);
  g_assert_false (isnan (t.uncertain_low));
  g_assert_cmpfloat (t.uncertain_high, ==, f1_want);
  gtk_range_set_value (band_scale, 0.15);
  dm_threshold_panel_get_thresholds (p, &t);
  g_assert_cmpfloat (t.uncertain_low, ==, 0.15);
  check_counts (p);
  dm_threshold_panel_get_counts (p, &counts);
  g_assert_cmpuint (counts.decided[DM_DECISION_UNCERTAIN], >, 0);
  screenshot (panel, "review-panel");

  /* a user relabels: the counts follow */
  users[0] = 2;
  dm_threshold_panel_set_user_labels (p, users);
  check_counts (p);
}

int
main (int argc, char *argv[])
{
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  GtkWidget *box, *scrolled;
  int status;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  path
    = g_build_filename (dm_test_srcdir (), "data", "image", "reference", "tire_hole_000.png", NULL);
  image = dm_image_load (path, 0, &error);
  g_assert_no_error (error);

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 760);
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  view = dm_heatmap_view_new ();
  gtk_widget_set_hexpand (view, TRUE);
  panel = dm_threshold_panel_new ();
  gtk_widget_set_size_request (panel, 400, -1);
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), panel);
  gtk_box_append (GTK_BOX (box), view);
  gtk_box_append (GTK_BOX (box), gtk_separator_new (GTK_ORIENTATION_VERTICAL));
  gtk_box_append (GTK_BOX (box), scrolled);
  gtk_window_set_child (GTK_WINDOW (window), box);
  g_signal_connect (view, "mask-changed", G_CALLBACK (on_mask_changed), NULL);
  g_signal_connect (panel, "thresholds-changed", G_CALLBACK (on_thresholds_changed), NULL);
  gtk_window_present (GTK_WINDOW (window));

  g_test_add_func ("/review/panel", test_panel);
  g_test_add_func ("/review/heatmap", test_heatmap);
  g_test_add_func ("/review/brush", test_brush);
  status = g_test_run ();
  gtk_window_destroy (GTK_WINDOW (window));
  dm_image_free (image);
  return status;
}
