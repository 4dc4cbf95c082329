/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Review page in the real window: a project over a copy of a few real
 * images (magnetic_tile from ../shared/data, or generated parts when that
 * is absent), trained in the window with a tiny random backbone; the grid
 * shows every test image by score with the badges of dm_decide; moving the
 * image threshold's slider saves it and changes badges and counts as the
 * definition says; labels and a painted mask are saved as they change and
 * are there again after closing and reopening the project. Screenshots of
 * the grid, the large view and labeling go to DM_SCREENSHOT_DIR. */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dm-application.h"
#include "dm-demo.h"
#include "dm-review-cell.h"
#include "dm-review-page-private.h"
#include "dm-decider.h"
#include "dm-inspect-page.h"
#include "dm-preprocess.h"
#include "dm-regions.h"
#include "dm-rules.h"
#include "dm-test-gui.h"
#include "dm-test-project.h"
#include "dm-test-util.h"
#include "dm-test-window.h"
#include "dm-window-private.h"

static char *tmp;
static char *folder; /* the project */

/* ---- the project on disk ---- */

static void
make_project (void)
{
  const char *defects[] = { "blowhole", "break", NULL };
  g_autoptr (DmProject) p = NULL;

  folder = g_build_filename (tmp, "project", NULL);
  /* 8 normal, 5 good and 5 defective test images of two kinds */
  p = dm_test_real_project (folder, "Tiles", 8, 5, defects, 3, 30);
}

static DmProject *
reopen (void)
{
  g_autoptr (GError) error = NULL;
  DmProject *p = dm_project_open (folder, &error);

  g_assert_no_error (error);
  return p;
}

/* ---- driving the window ---- */

static gboolean
not_training (gpointer window)
{
  return !dm_test_window_is_training (window);
}

static gboolean
has_results (gpointer window)
{
  return dm_review_page_get_results (DM_WINDOW (window)->review_page) != NULL
         && g_list_model_get_n_items (dm_review_page_get_items (DM_WINDOW (window)->review_page))
              > 0;
}

static gboolean
image_loaded (gpointer page)
{
  return !dm_review_page_is_loading (page)
         && !gtk_stack_get_transition_running (DM_REVIEW_PAGE (page)->view_stack);
}

/* The first widget of type under root (depth first). */
static GtkWidget *
find_widget (GtkWidget *root, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_widget (c, type);
      if (found != NULL)
        return found;
    }
  return NULL;
}

typedef struct
{
  float value;
  guint8 defect;
} Pixel;

static int
compare_pixels_descending (const void *a, const void *b)
{
  float x = ((const Pixel *)a)->value, y = ((const Pixel *)b)->value;

  return (x < y) - (x > y);
}

/* The reference of the F1-optimal pixel threshold of class c, computed
 * here from the stored maps and the dataset's masks: every pixel of the
 * test images with ground truth (good: empty mask; defect: its mask), sorted
 * by value, the cut walked down through the distinct values with F1 =
 * 2TP / (2TP + FP + FN); the first (highest) cut of the best F1 wins. */
static double
reference_pixel_f1 (DmProjectResults *r, guint c, double *best_f1)
{
  const DmResultClass *k = &r->classes[c];
  g_autoptr (GArray) pixels = g_array_new (FALSE, FALSE, sizeof (Pixel));
  g_autofree float *map = g_new (float, 256 * 256);
  g_autofree guint8 *mask = g_new (guint8, 256 * 256);
  gsize positives = 0, tp = 0, fp = 0;
  double best = 0, threshold = NAN;

  for (guint i = 0; i < k->n_images; i++)
    {
      const DmResultImage *im = &k->images[i];
      g_autoptr (GError) error = NULL;

      if (im->split != DM_SPLIT_TEST || (im->label == DM_LABEL_DEFECT && im->mask_path == NULL))
        continue;
      g_assert_true (dm_project_results_read_map (r, c, i, map, &error));
      memset (mask, 0, 256 * 256);
      if (im->label == DM_LABEL_DEFECT)
        g_assert_true (
          dm_preprocess_mask_file (im->mask_path, k->resize, k->crop, 256, 0, mask, NULL, &error));
      g_assert_no_error (error);
      for (guint p = 0; p < 256 * 256; p++)
        {
          Pixel px = { map[p], mask[p] != 0 };

          g_array_append_val (pixels, px);
          positives += px.defect;
        }
    }
  qsort (pixels->data, pixels->len, sizeof (Pixel), compare_pixels_descending);
  for (guint i = 0; i < pixels->len; i++)
    {
      const Pixel *px = &g_array_index (pixels, Pixel, i);
      double f1;

      tp += px->defect;
      fp += !px->defect;
      if (i + 1 < pixels->len && g_array_index (pixels, Pixel, i + 1).value == px->value)
        continue;
      f1 = 2.0 * tp / (double)(2 * tp + fp + (positives - tp));
      if (f1 > best)
        {
          best = f1;
          threshold = px->value;
        }
    }
  *best_f1 = best;
  return threshold;
}

/* The pixels the view draws now (RGBA), through a screenshot. */
static GBytes *
view_pixels (DmHeatmapView *view, const char *name)
{
  g_autofree char *path = dm_test_gui_screenshot (GTK_WIDGET (view), name);
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture = gdk_texture_new_from_filename (path, &error);
  gsize stride, size;
  guint8 *data;

  g_assert_no_error (error);
  stride = (gsize)gdk_texture_get_width (texture) * 4;
  size = stride * (gsize)gdk_texture_get_height (texture);
  data = g_malloc (size);
  gdk_texture_download (texture, data, stride);
  return g_bytes_new_take (data, size);
}

static gboolean
not_proposing (gpointer page)
{
  return !dm_review_page_is_proposing_pixel (page);
}

/* The text of the decision badge a grid cell shows. */
static const char *
cell_decision_text (GtkWidget *root)
{
  if (GTK_IS_LABEL (root) && gtk_widget_has_css_class (root, "review-badge")
      && !gtk_widget_has_css_class (root, "user-label"))
    return gtk_label_get_label (GTK_LABEL (root));
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      const char *text = cell_decision_text (c);
      if (text != NULL)
        return text;
    }
  return NULL;
}

/* Every cell on screen shows its item's decision; returns how many. */
static guint
check_cells (GtkWidget *root)
{
  guint n = 0;

  if (DM_IS_REVIEW_CELL (root))
    {
      DmReviewItem *item = dm_review_cell_get_item (DM_REVIEW_CELL (root));

      if (item == NULL)
        return 0;
      g_assert_cmpstr (cell_decision_text (root), ==,
                       dm_review_decision_text (dm_review_item_get_decision (item)));
      return 1;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    n += check_cells (c);
  return n;
}

/* The grid holds every test image of the results, by score descending,
 * each decided as dm_decide says at the project's thresholds (read from
 * disk); the summary and the panel count the same. */
static void
check_grid (DmWindow *self)
{
  DmReviewPage *page = self->review_page;
  GListModel *items = dm_review_page_get_items (page);
  DmProjectResults *results = dm_review_page_get_results (self->review_page);
  const DmResultClass *k = &results->classes[0];
  g_autoptr (DmProject) disk = reopen ();
  DmProjectClass *c = dm_project_find_class (disk, k->name);
  g_autofree float *scores = g_new (float, k->n_images);
  g_autofree guint8 *labels = g_new (guint8, k->n_images);
  g_autofree guint8 *user = g_new (guint8, k->n_images);
  guint n_test = 0, counts[3] = { 0, 0, 0 }, marked = 0, n = 0;
  g_autofree char *summary = NULL;
  DmThresholdCounts brute, panel;
  DmThresholds t;
  float previous = INFINITY;

  g_assert_nonnull (c);
  dm_thresholds_init (&t);
  t.image = c->image_threshold;
  t.pixel = c->pixel_threshold;
  t.uncertain_low = c->uncertain_low;
  t.uncertain_high = c->uncertain_high;
  for (guint i = 0; i < k->n_images; i++)
    {
      /* hold-out normals are not in the grid nor in the counts */
      gboolean test = k->images[i].split == DM_SPLIT_TEST;

      n_test += test;
      scores[n] = k->images[i].score;
      labels[n] = k->images[i].label == DM_LABEL_DEFECT;
      user[n] = (guint8)dm_project_get_label (disk, k->images[i].path);
      n += test;
      if (test)
        {
          counts[dm_decide (&t, k->images[i].score)]++;
          marked += dm_project_get_label (disk, k->images[i].path) != DM_USER_LABEL_NONE;
        }
    }
  g_assert_cmpuint (g_list_model_get_n_items (items), ==, n_test);
  for (guint i = 0; i < g_list_model_get_n_items (items); i++)
    {
      g_autoptr (DmReviewItem) item = g_list_model_get_item (items, i);
      const DmResultImage *image = &k->images[dm_review_item_get_image_index (item)];

      g_assert_cmpstr (dm_review_item_get_path (item), ==, image->path);
      g_assert_cmpfloat (dm_review_item_get_score (item), <=, previous);
      previous = dm_review_item_get_score (item);
      g_assert_cmpint (dm_review_item_get_decision (item), ==, dm_decide (&t, image->score));
      g_assert_cmpint (dm_review_item_get_user_label (item), ==,
                       dm_project_get_label (disk, image->path));
    }
  g_assert_cmpuint (check_cells (GTK_WIDGET (page->grid_view)), >, 0);

  summary = g_strdup_printf ("%u images: %u pass, %u uncertain, %u fail, %u marked by you", n_test,
                             counts[0], counts[1], counts[2], marked);
  g_assert_cmpstr (dm_review_page_get_summary (page), ==, summary);
  dm_threshold_counts (&t, scores, labels, user, n, &brute);
  dm_threshold_panel_get_counts (dm_review_page_get_threshold_panel (page), &panel);
  g_assert_cmpmem (&brute, sizeof brute, &panel, sizeof panel);
  g_test_message ("%s; fail: %u good, %u defect", summary, brute.matrix[DM_DECISION_FAIL][0],
                  brute.matrix[DM_DECISION_FAIL][1]);
}

static void
wait_ms (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE), g_usleep (2000);
}

static gboolean
judged (gpointer data)
{
  return !dm_review_page_is_judging (data);
}

static int
compare_floats (const void *a, const void *b)
{
  float x = *(const float *)a, y = *(const float *)b;

  return (x > y) - (x < y);
}

static void
on_activate_after (GApplication *app, GtkWidget *window)
{
  DmWindow *self = DM_WINDOW (window);
  DmReviewPage *page = self->review_page;
  GListModel *items = dm_review_page_get_items (page);
  DmProjectResults *results;
  GtkWidget *scale;
  g_autoptr (DmProject) disk = NULL;
  g_autofree char *defect_path = NULL, *good_path = NULL, *painted_path = NULL;
  g_autofree char *mask_path = NULL;
  gsize n_painted;
  double new_threshold;
  /* around the image's centre, in image coordinates */
  double stroke[8];

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  dm_test_gui_wait_frames (window, 2);
  dm_test_window_activate (window, "win.open-project-folder", g_variant_new_string (folder));
  adw_view_stack_set_visible_child_name (self->view_stack, "review");
  dm_test_gui_wait_frames (window, 2);
  /* not trained yet: the empty state */
  g_assert_cmpstr (gtk_stack_get_visible_child_name (page->stack), ==, "empty");
  dm_test_window_screenshot (window, "review-empty");

  /* 1. trained in the window: the results land in the Review page */
  dm_test_window_activate (window, "win.train", NULL);
  g_assert_true (dm_test_gui_wait_until (not_training, window, 120000));
  g_assert_true (dm_test_gui_wait_until (has_results, window, 20000));
  adw_view_stack_set_visible_child_name (self->view_stack, "review");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (page->stack), ==, "results");
  dm_test_gui_wait_frames (window, 3);
  results = dm_review_page_get_results (page);
  check_grid (self);

  /* 2. the image threshold's slider moved to the median test score: saved
   * at once, badges and counts follow */
  {
    GListModel *m = items;
    guint n = g_list_model_get_n_items (m);
    g_autoptr (DmReviewItem) mid = g_list_model_get_item (m, n / 2);
    g_autoptr (DmReviewItem) next = g_list_model_get_item (m, n / 2 + 1);

    new_threshold = (dm_review_item_get_score (mid) + dm_review_item_get_score (next)) / 2.0;
  }
  scale = find_widget (GTK_WIDGET (dm_review_page_get_threshold_panel (page)), GTK_TYPE_SCALE);
  g_assert_nonnull (scale);
  {
    gint64 start = g_get_monotonic_time ();
    gtk_range_set_value (GTK_RANGE (scale), new_threshold);
    g_test_message ("slider move with a save of project.json: %.2f ms",
                    (g_get_monotonic_time () - start) / 1000.0);
  }
  disk = reopen ();
  g_assert_cmpfloat (
    fabs (((DmProjectClass *)disk->classes->pdata[0])->image_threshold - new_threshold), <, 1e-9);
  g_clear_pointer (&disk, dm_project_free);
  dm_test_gui_wait_frames (window, 2);
  check_grid (self);
  dm_test_window_screenshot (window, "review-grid");

  /* 2b. the pixel threshold's proposals: F1-optimal over the masked test
   * images' pixels equals the reference computed here from the same maps
   * and masks, saved as a move of the slider; the held-out quantile button
   * restores results' proposed_pixel */
  {
    GtkWidget *panel = GTK_WIDGET (dm_review_page_get_threshold_panel (page));
    GtkWidget *f1_button = dm_test_gui_find_named (panel, "pixel-f1-button");
    GtkWidget *quantile_button = dm_test_gui_find_named (panel, "pixel-quantile-button");
    guint c = (guint)page->panel_class;
    const DmResultClass *k = &results->classes[c];
    gboolean any_holdout = FALSE;
    double f1, expected = reference_pixel_f1 (results, c, &f1);
    DmThresholds t;

    g_assert_nonnull (f1_button);
    g_assert_nonnull (quantile_button);
    g_assert_false (isnan (expected));
    g_test_message ("F1-optimal pixel threshold %.6g (F1 %.4f)", expected, f1);
    g_assert_true (gtk_widget_get_sensitive (f1_button));
    g_signal_emit_by_name (f1_button, "clicked");
    g_assert_true (dm_test_gui_wait_until (not_proposing, page, 60000));
    dm_test_gui_wait_frames (window, 2);
    dm_review_page_class_thresholds (page, c, &t);
    g_assert_cmpfloat (t.pixel, ==, expected);
    dm_threshold_panel_get_thresholds (DM_THRESHOLD_PANEL (panel), &t);
    g_assert_cmpfloat (t.pixel, ==, expected);
    g_assert_true (gtk_widget_get_sensitive (f1_button));
    disk = reopen ();
    g_assert_cmpfloat (
      fabs (((DmProjectClass *)disk->classes->pdata[0])->pixel_threshold - expected), <=,
      1e-9 * fabs (expected));
    g_clear_pointer (&disk, dm_project_free);
    dm_test_window_screenshot (window, "review-pixel-f1");

    for (guint i = 0; i < k->n_images; i++)
      any_holdout |= k->images[i].split == DM_SPLIT_HOLDOUT;
    g_assert_cmpint (gtk_widget_get_sensitive (quantile_button), ==, any_holdout);
    if (any_holdout)
      {
        g_signal_emit_by_name (quantile_button, "clicked");
        dm_review_page_class_thresholds (page, c, &t);
        g_assert_cmpfloat (t.pixel, ==, k->proposed_pixel);
      }
  }

  /* filters: failures only, then a search by name */
  gtk_drop_down_set_selected (page->decision_dropdown, 3);
  for (guint i = 0; i < g_list_model_get_n_items (items); i++)
    {
      g_autoptr (DmReviewItem) item = g_list_model_get_item (items, i);
      g_assert_cmpint (dm_review_item_get_decision (item), ==, DM_DECISION_FAIL);
    }
  g_assert_cmpuint (g_list_model_get_n_items (items), >, 0);
  gtk_drop_down_set_selected (page->decision_dropdown, 0);
  {
    g_autoptr (DmReviewItem) first = g_list_model_get_item (items, 0);
    g_autofree char *needle = g_strdup (dm_review_item_get_name (first));

    gtk_editable_set_text (GTK_EDITABLE (page->search_entry), needle);
    g_signal_emit_by_name (page->search_entry, "search-changed");
    g_assert_cmpuint (g_list_model_get_n_items (items), ==, 1);
    gtk_editable_set_text (GTK_EDITABLE (page->search_entry), "");
    g_signal_emit_by_name (page->search_entry, "search-changed");
  }

  /* 3. labels: the top image defect, the last good (window actions) */
  {
    guint n = g_list_model_get_n_items (items);
    g_autoptr (DmReviewItem) top = g_list_model_get_item (items, 0);
    g_autoptr (DmReviewItem) last = g_list_model_get_item (items, n - 1);

    defect_path = g_strdup (dm_review_item_get_path (top));
    good_path = g_strdup (dm_review_item_get_path (last));
  }
  dm_test_window_activate (window, "win.label-image",
                           g_variant_new ("(ss)", defect_path, "defect"));
  dm_test_window_activate (window, "win.label-image", g_variant_new ("(ss)", good_path, "good"));
  disk = reopen ();
  g_assert_cmpint (dm_project_get_label (disk, defect_path), ==, DM_USER_LABEL_DEFECT);
  g_assert_cmpint (dm_project_get_label (disk, good_path), ==, DM_USER_LABEL_GOOD);
  g_clear_pointer (&disk, dm_project_free);
  check_grid (self); /* the panel's matrix counts the verdicts */

  /* 4. the large view of the top image, with its heatmap */
  g_assert_true (dm_review_page_open_image (page, defect_path));
  g_assert_true (dm_test_gui_wait_until (image_loaded, page, 10000));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (page->view_stack), ==, "detail");
  dm_test_window_screenshot (window, "review-large-view");
  /* 4b. the heatmap's colours: win.heatmap-colormap switches both large
   * views to viridis; the drawn heatmap changes, and switching back draws
   * the same pixels as before */
  {
    DmHeatmapView *view = dm_review_page_get_heatmap_view (page);
    DmHeatmapView *inspect_view = dm_inspect_page_get_heatmap_view (
      DM_INSPECT_PAGE (adw_view_stack_get_child_by_name (self->view_stack, "inspect")));
    g_autoptr (GBytes) ember = NULL, viridis = NULL, again = NULL;
    gsize n_changed = 0;

    g_assert_cmpstr (dm_heatmap_view_get_colormap (view), ==, "ember");
    ember = view_pixels (view, "review-heatmap-ember");
    dm_test_window_activate (window, "win.heatmap-colormap", g_variant_new_string ("viridis"));
    g_assert_cmpstr (dm_heatmap_view_get_colormap (view), ==, "viridis");
    g_assert_cmpstr (dm_heatmap_view_get_colormap (inspect_view), ==, "viridis");
    dm_test_gui_wait_frames (window, 3);
    dm_test_window_screenshot (window, "review-viridis");
    viridis = view_pixels (view, "review-heatmap-viridis");
    g_assert_cmpuint (g_bytes_get_size (viridis), ==, g_bytes_get_size (ember));
    for (gsize i = 0; i + 4 <= g_bytes_get_size (ember); i += 4)
      n_changed += memcmp ((const guint8 *)g_bytes_get_data (ember, NULL) + i,
                           (const guint8 *)g_bytes_get_data (viridis, NULL) + i, 4)
                   != 0;
    g_test_message ("%" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " pixels changed with viridis",
                    n_changed, g_bytes_get_size (ember) / 4);
    /* the heatmap covers the image's crop: a good share of the view */
    g_assert_cmpuint (n_changed, >, g_bytes_get_size (ember) / 4 / 10);
    dm_test_window_activate (window, "win.heatmap-colormap", g_variant_new_string ("ember"));
    g_assert_cmpstr (dm_heatmap_view_get_colormap (view), ==, "ember");
    dm_test_gui_wait_frames (window, 3);
    again = view_pixels (view, "review-heatmap-ember-again");
    g_assert_true (g_bytes_equal (again, ember));
  }
  {
    /* the regions above the pixel threshold outlined, as dm_regions_find
     * measures them on this picture (the largest 32) */
    DmHeatmapView *view = dm_review_page_get_heatmap_view (page);
    DmReviewItem *item = dm_review_page_get_current (page);
    const DmResultClass *rc = &page->results->classes[dm_review_item_get_class_index (item)];
    const DmResultImage *im = &rc->images[dm_review_item_get_image_index (item)];
    g_autoptr (GArray) found = NULL;
    DmRegionSettings rs;

    dm_rules_region_settings (NULL, dm_heatmap_view_get_pixel_threshold (view), im->width,
                              im->height, rc->resize, rc->crop, &rs);
    found = dm_regions_find (dm_heatmap_view_get_map (view), &rs, NULL);
    g_test_message ("%u regions outlined on the top image at pixel threshold %g",
                    dm_heatmap_view_get_n_regions (view),
                    dm_heatmap_view_get_pixel_threshold (view));
    g_assert_cmpuint (dm_heatmap_view_get_n_regions (view), ==, MIN (found->len, 32));

    /* a pixel threshold between the map's median and its peak: regions
     * appear, with their sizes */
    {
      const float *map = dm_heatmap_view_get_map (view);
      g_autofree float *sorted = g_memdup2 (map, 256 * 256 * sizeof (float));
      guint ci = dm_review_item_get_class_index (item);
      DmThresholds t;

      qsort (sorted, 256 * 256, sizeof (float), compare_floats);
      dm_review_page_class_thresholds (page, ci, &t);
      t.pixel = sorted[256 * 256 * 99 / 100];
      dm_review_page_set_thresholds (page, ci, &t);
      g_clear_pointer (&found, g_array_unref);
      dm_rules_region_settings (NULL, t.pixel, im->width, im->height, rc->resize, rc->crop, &rs);
      found = dm_regions_find (map, &rs, NULL);
      g_test_message ("%u regions outlined at pixel threshold %g",
                      dm_heatmap_view_get_n_regions (view), t.pixel);
      g_assert_cmpuint (found->len, >, 0);
      g_assert_cmpuint (dm_heatmap_view_get_n_regions (view), ==, MIN (found->len, 32));
      dm_test_gui_wait_frames (window, 3);
      dm_test_window_screenshot (window, "review-regions");

      /* rules for the class (no region allowed): the grid decides as
       * predict does, dm_decider_run on each image's map */
      {
        DmProjectClass *pc = dm_project_find_class (dm_review_page_project (page), rc->name);
        g_autoptr (DmRules) rules = dm_rules_new ();
        g_autoptr (DmDecider) decider = NULL;
        g_autoptr (GError) error = NULL;
        g_autofree float *m = g_new (float, 256 * 256);
        GListModel *all = G_LIST_MODEL (page->store);
        guint n_checked = 0, n_by_rules = 0;

        DmThresholds t2 = t;

        rules->max_regions = 0;
        dm_rules_free (pc->rules);
        pc->rules = dm_rules_copy (rules);
        /* an image threshold no score reaches: only the rule can fail a part */
        t2.image = 1e9;
        t2.uncertain_low = t2.uncertain_high = NAN;
        dm_review_page_set_thresholds (page, ci, &t2);
        g_assert_true (dm_test_gui_wait_until (judged, page, 20000));
        decider = dm_decider_new (&t2, rules, rc->resize, rc->crop, &error);
        g_assert_no_error (error);
        for (guint i = 0; i < g_list_model_get_n_items (all); i++)
          {
            g_autoptr (DmReviewItem) it = g_list_model_get_item (all, i);
            const DmResultImage *ri = &rc->images[dm_review_item_get_image_index (it)];
            DmVerdict v;

            if (dm_review_item_get_class_index (it) != ci)
              continue;
            g_assert_true (dm_project_results_read_map (
              page->results, ci, dm_review_item_get_image_index (it), m, &error));
            dm_decider_run (decider, m, ri->score, ri->width, ri->height, &v, NULL);
            g_assert_cmpint (dm_review_item_get_decision (it), ==, v.decision);
            n_checked++;
            n_by_rules += v.rule == DM_RULE_REGION_COUNT;
          }
        g_test_message ("%u decisions as predict's, %u of them by region_count", n_checked,
                        n_by_rules);
        g_assert_cmpuint (n_by_rules, >, 0);
        /* back to none: the score decides again */
        g_clear_pointer (&pc->rules, dm_rules_free);
        dm_review_page_set_thresholds (page, ci, &t);
        g_assert_true (dm_test_gui_wait_until (judged, page, 20000));

        /* the filter "a region of at least X px": the parts whose largest
         * region (dm_regions_find on the original picture) reaches X */
        {
          g_autoptr (DmDecider) plain = dm_decider_new (&t, NULL, rc->resize, rc->crop, &error);
          double largest = 0;
          guint want = 0;

          for (guint pass = 0; pass < 2; pass++)
            for (guint i = 0; i < g_list_model_get_n_items (all); i++)
              {
                g_autoptr (DmReviewItem) it = g_list_model_get_item (all, i);
                const DmResultImage *ri = &rc->images[dm_review_item_get_image_index (it)];
                DmVerdict v;

                if (dm_review_item_get_class_index (it) != ci)
                  continue;
                g_assert_true (dm_project_results_read_map (
                  page->results, ci, dm_review_item_get_image_index (it), m, &error));
                dm_decider_run (plain, m, ri->score, ri->width, ri->height, &v, NULL);
                if (pass == 0 && v.n_listed > 0)
                  largest = MAX (largest, (double)v.regions[0].area_px);
                if (pass == 1 && v.n_listed > 0 && v.regions[0].area_px >= largest / 2)
                  want++;
              }
          g_assert_cmpfloat (largest, >, 0);
          gtk_spin_button_set_value (page->region_spin, largest / 2);
          g_test_message ("%u parts with a region of at least %g px",
                          g_list_model_get_n_items (G_LIST_MODEL (page->filtered)), largest / 2);
          g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (page->filtered)), ==, want);
          g_assert_cmpuint (want, >, 0);
          /* the grid, filtered */
          gtk_widget_activate_action (GTK_WIDGET (page), "review.back", NULL);
          dm_test_gui_wait_ms (600); /* the stack's transition */
          dm_test_window_screenshot (window, "review-region-filter");
          gtk_spin_button_set_value (page->region_spin, 0);
          g_assert_true (dm_review_page_open_image (page, defect_path));
          g_assert_true (dm_test_gui_wait_until (image_loaded, page, 10000));
        }
      }
    }
  }

  /* next and previous follow the grid's order */
  dm_test_window_activate (window, "win.next-image", NULL);
  {
    g_autoptr (DmReviewItem) second = g_list_model_get_item (items, 1);
    g_assert_true (dm_review_page_get_current (page) == second);
  }
  dm_test_window_activate (window, "win.previous-image", NULL);
  g_assert_cmpstr (dm_review_item_get_path (dm_review_page_get_current (page)), ==, defect_path);
  g_assert_true (dm_test_gui_wait_until (image_loaded, page, 10000));

  /* 5. a painted defect region: saved 300 ms after the stroke */
  {
    DmHeatmapView *view = dm_review_page_get_heatmap_view (page);
    g_autoptr (DmImage) before = dm_heatmap_view_get_mask (view);
    double w = before->width, h = before->height;
    const double points[]
      = { 0.3 * w, 0.3 * h, 0.45 * w, 0.4 * h, 0.5 * w, 0.6 * h, 0.4 * w, 0.7 * h };

    memcpy (stroke, points, sizeof stroke);
    gtk_toggle_button_set_active (page->paint_button, TRUE);
    g_assert_cmpint (dm_heatmap_view_get_tool (view), ==, DM_HEATMAP_TOOL_PAINT);
    dm_heatmap_view_paint_stroke (view, stroke, 4, FALSE);
    n_painted = dm_heatmap_view_count_mask_pixels (view);
    g_assert_cmpuint (n_painted, >, 0);
    mask_path = dm_project_mask_path (dm_open_project_get_project (self->project),
                                      results->classes[0].name, defect_path);
    painted_path = g_strdup (defect_path);
    wait_ms (600);
    g_assert_true (g_file_test (mask_path, G_FILE_TEST_IS_REGULAR));
    dm_test_window_screenshot (window, "review-labeling");
  }
  {
    /* the PNG holds what was painted (0 / 255, the image's size) */
    g_autoptr (GError) error = NULL;
    g_autoptr (DmImage) png = dm_image_load (mask_path, 0, &error);
    gsize on = 0;

    g_assert_no_error (error);
    g_assert_cmpint (png->channels, ==, 1);
    for (int y = 0; y < png->height; y++)
      for (int x = 0; x < png->width; x++)
        on += png->data[(gsize)y * png->stride + x] != 0;
    g_assert_cmpuint (on, ==, n_painted);
  }
  /* keys: G on the image at hand marks it good, Escape goes back */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "review.mark-good", NULL));
  g_assert_cmpint (dm_review_item_get_user_label (dm_review_page_get_current (page)), ==,
                   DM_USER_LABEL_GOOD);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "review.mark-defect", NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "review.back", NULL));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (page->view_stack), ==, "grid");

  /* 6. closed and reopened: labels, thresholds and the mask are there */
  dm_test_window_activate (window, "win.close-project", NULL);
  g_assert_null (dm_review_page_get_results (page));
  dm_test_window_activate (window, "win.open-project-folder", g_variant_new_string (folder));
  g_assert_true (dm_test_gui_wait_until (has_results, window, 20000));
  g_assert_cmpint (dm_review_item_get_user_label (dm_review_page_find_item (page, defect_path)), ==,
                   DM_USER_LABEL_DEFECT);
  g_assert_cmpint (dm_review_item_get_user_label (dm_review_page_find_item (page, good_path)), ==,
                   DM_USER_LABEL_GOOD);
  check_grid (self);
  g_assert_true (dm_review_page_open_image (page, painted_path));
  g_assert_true (dm_test_gui_wait_until (image_loaded, page, 10000));
  g_assert_cmpuint (dm_heatmap_view_count_mask_pixels (dm_review_page_get_heatmap_view (page)), ==,
                    n_painted);
  disk = reopen ();
  g_assert_cmpint (dm_project_get_label (disk, defect_path), ==, DM_USER_LABEL_DEFECT);
  g_assert_cmpint (dm_project_get_label (disk, good_path), ==, DM_USER_LABEL_GOOD);
  g_assert_cmpfloat (
    fabs (((DmProjectClass *)disk->classes->pdata[0])->image_threshold - new_threshold), <, 1e-9);
  g_clear_pointer (&disk, dm_project_free);

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_review_page (void)
{

  tmp = dm_test_make_tmpdir ();
  make_project ();
  dm_test_window_run (tmp, on_activate_after);
  g_free (folder);
  g_free (tmp);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/review-page/grid-thresholds-labels-masks", test_review_page);
  return g_test_run ();
}
