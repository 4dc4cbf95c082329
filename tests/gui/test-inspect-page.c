/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Inspect page in the real window: a project trained in seconds (a
 * tiny random backbone, a few of ../shared/data/magnetic_tile's images or
 * generated parts when that is absent); without a model the page explains
 * why it is disabled; a folder of new parts with a broken file in it is
 * inspected through win.inspect-paths, results appear with the badges
 * dm_decide gives at the class's thresholds, the broken file is named; a
 * second, longer run is cancelled; the export writes a CSV that parses
 * and overlay PNGs at the images' sizes. Screenshots during and after. */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dm-application.h"
#include "dm-decider.h"
#include "dm-demo.h"
#include "dm-image.h"
#include "dm-inspect-page.h"
#include "dm-project-train.h"
#include "dm-test-gui.h"
#include "dm-test-data.h"
#include "dm-test-util.h"
#include "dm-test-window.h"
#include "dm-window-private.h"

static char *tmp;
static char *folder; /* the project */
static char *parts;  /* the new parts */
static guint n_parts;

static void
copy_some (const char *from_dir, const char *to_dir, guint first, guint n, const char *prefix)
{
  g_autoptr (GDir) dir = g_dir_open (from_dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc)g_strcmp0);
  g_assert_cmpint (g_mkdir_with_parents (to_dir, 0755), ==, 0);
  for (guint i = first; i < MIN (first + n, names->len); i++)
    {
      g_autofree char *src = g_build_filename (from_dir, names->pdata[i], NULL);
      g_autofree char *out = g_strconcat (prefix, names->pdata[i], NULL);
      g_autofree char *dst = g_build_filename (to_dir, out, NULL);

      dm_test_copy_file (src, dst);
    }
}

/* The class (MVTec layout) and the new parts: unseen good and defective
 * images, and a broken PNG. */
static char *
make_data (void)
{
  const char *shared = dm_test_shared_dir ();
  g_autofree char *src = NULL;
  char *dst = g_build_filename (tmp, "data", "magnetic_tile", NULL);
  static const guint8 broken[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0 };
  g_autofree char *bad = NULL;

  parts = g_build_filename (tmp, "new parts", NULL);
  if (shared != NULL)
    src = g_build_filename (shared, "data", "magnetic_tile", "magnetic_tile", NULL);
  if (src != NULL && g_file_test (src, G_FILE_TEST_IS_DIR))
    {
#define COPY(sub, first, n, to, prefix)                                                            \
  {                                                                                                \
    g_autofree char *a = g_build_filename (src, sub, NULL);                                        \
    g_autofree char *b = to == NULL ? g_build_filename (dst, sub, NULL) : g_strdup (to);           \
    copy_some (a, b, first, n, prefix);                                                            \
  }
      COPY ("train/good", 0, 8, NULL, "");
      COPY ("test/good", 0, 2, NULL, "");
      COPY ("test/blowhole", 0, 2, NULL, "");
      COPY ("ground_truth/blowhole", 0, 2, NULL, "");
      COPY ("test/good", 2, 3, parts, "good-");
      COPY ("test/blowhole", 2, 2, parts, "blowhole-");
      COPY ("test/crack", 0, 2, parts, "crack-");
#undef COPY
    }
  else
    {
      g_autofree char *data = g_build_filename (tmp, "data", NULL);
      g_autofree char *washer = g_build_filename (data, "washer", NULL);
      g_autofree char *test = g_build_filename (washer, "test", NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (GDir) dir = NULL;
      const char *sub;
      DmDemoSettings demo;

      g_test_message ("../shared/data absent: generated parts instead of magnetic tiles");
      dm_demo_settings_default (&demo);
      demo.size = 64;
      demo.n_train = 8;
      demo.n_test_good = 2;
      demo.n_defect = 1;
      g_assert_true (dm_demo_write_dataset (data, &demo, &error));
      g_assert_no_error (error);
      dir = g_dir_open (test, 0, NULL);
      while ((sub = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *from = g_build_filename (test, sub, NULL);
          g_autofree char *prefix = g_strconcat (sub, "-", NULL);
          copy_some (from, parts, 0, 2, prefix);
        }
      g_free (dst);
      dst = g_steal_pointer (&washer);
    }
  bad = g_build_filename (parts, "zz-broken.png", NULL);
  g_assert_true (g_file_set_contents (bad, (const char *)broken, sizeof broken, NULL));
  {
    g_autoptr (GDir) dir = g_dir_open (parts, 0, NULL);
    while (g_dir_read_name (dir) != NULL)
      n_parts++;
  }
  return dst;
}

/* A project with its model trained (12 iterations of a tiny backbone). */
static void
make_trained_project (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmProject) p = NULL;
  g_autoptr (DmProjectTrain) job = NULL;
  g_autofree char *class_dir = make_data ();
  g_autofree char *class_name = g_path_get_basename (class_dir);
  gint64 t0 = g_get_monotonic_time ();

  folder = g_build_filename (tmp, "project", NULL);
  p = dm_project_create (folder, "Tiles", &error);
  g_assert_no_error (error);
  g_assert_true (
    dm_project_add_class (p, dm_project_class_new (class_name, "mvtec", class_dir), &error));
  p->backbone_kind = g_strdup ("random");
  p->backbone_arch = g_strdup ("tiny");
  json_object_set_int_member (p->settings, "resize", 32);
  json_object_set_int_member (p->settings, "crop", 28);
  json_object_set_int_member (p->settings, "batch", 4);
  json_object_set_int_member (p->settings, "warmup_iters", 2);
  json_object_set_int_member (p->settings, "total_iters", 12);
  g_assert_true (dm_project_save (p, &error));
  job = dm_project_train_new (p, FALSE, 0, &error);
  g_assert_no_error (error);
  g_assert_true (dm_project_train_run (job, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (dm_project_train_apply (job, p, &error));
  g_assert_no_error (error);
  g_test_message ("tiny model trained in %.1f s", (g_get_monotonic_time () - t0) / 1e6);
}

/* ---- watching the window ---- */

static gboolean
has_results (gpointer page)
{
  return dm_inspect_page_get_n_results (page) >= 2;
}

static gboolean
idle_page (gpointer page)
{
  return !dm_inspect_page_is_running (page) && !dm_inspect_page_is_exporting (page);
}

static gboolean
view_ready (gpointer page)
{
  return dm_inspect_page_view_ready (page);
}

static void
check_results (DmInspectPage *page, guint expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmProject) p = dm_project_open (folder, &error);
  DmProjectClass *pc = p->classes->pdata[0];
  DmThresholds th;
  guint n_broken = 0, counts[3] = { 0 };

  dm_thresholds_init (&th);
  th.image = pc->image_threshold;
  th.pixel = pc->pixel_threshold;
  th.uncertain_low = pc->uncertain_low;
  th.uncertain_high = pc->uncertain_high;
  g_assert_true (isfinite (th.image));
  g_assert_cmpuint (dm_inspect_page_get_n_results (page), ==, expected);
  for (guint i = 0; i < expected; i++)
    {
      const char *path, *message;
      float score;
      DmDecision decision;

      g_assert_true (dm_inspect_page_get_result (page, i, &path, &score, &decision, &message));
      if (message != NULL)
        {
          n_broken++;
          g_assert_nonnull (strstr (message, "zz-broken.png"));
          g_assert_true (isnan (score));
          continue;
        }
      g_assert_true (isfinite (score));
      g_assert_cmpint (decision, ==, dm_decide (&th, score));
      counts[decision]++;
    }
  g_assert_cmpuint (n_broken, ==, 1);
  g_test_message ("%u pass, %u uncertain, %u fail at threshold %g", counts[0], counts[1], counts[2],
                  th.image);
}

static void
check_export (const char *out, guint n_scored)
{
  g_autofree char *csv = g_build_filename (out, "inspection.csv", NULL);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "class,path,score,decision,threshold," DM_VERDICT_CSV_COLUMNS);
  g_assert_cmpuint (g_strv_length (lines), ==, n_scored + 2);
  for (guint i = 1; i <= n_scored; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
      g_autofree char *base = g_path_get_basename (f[1]);
      g_autofree char *stem = g_strndup (base, strrchr (base, '.') - base);
      g_autofree char *png_name = g_strconcat (stem, "_overlay.png", NULL);
      g_autofree char *png = g_build_filename (out, png_name, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (DmImage) original = dm_image_load (f[1], 0, &error);
      g_autoptr (DmImage) overlay = dm_image_load (png, 0, &error);
      char *end;

      g_assert_cmpuint (g_strv_length (f), ==, 11);
      g_ascii_strtod (f[2], &end);
      g_assert_true (*end == '\0' && end != f[2]);
      g_assert_no_error (error);
      g_assert_cmpint (overlay->width, ==, original->width);
      g_assert_cmpint (overlay->height, ==, original->height);
    }
}

static void
on_activate_after (GApplication *app, GtkWidget *window)
{
  DmWindow *self = DM_WINDOW (window);
  DmInspectPage *page;
  g_autofree char *model = g_build_filename (folder, "models", "v1", DM_PROJECT_MODEL_FILE, NULL);
  g_autofree char *hidden = g_strconcat (model, ".away", NULL);
  g_autofree char *out = g_build_filename (tmp, "export", NULL);
  const char *one[] = { parts, NULL };
  const char *many[17];
  guint best = 0;
  float best_score = -1;

  for (guint i = 0; i < 16; i++)
    many[i] = parts;
  many[16] = NULL;
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  dm_test_gui_wait_frames (window, 2);
  /* 1. without the model file the page says why it cannot inspect */
  g_assert_cmpint (g_rename (model, hidden), ==, 0);
  dm_test_window_activate (window, "win.open-project-folder", g_variant_new_string (folder));
  adw_view_stack_set_visible_child_name (self->view_stack, "inspect");
  dm_test_gui_wait_frames (window, 3);
  page = DM_INSPECT_PAGE (adw_view_stack_get_visible_child (self->view_stack));
  g_assert_false (dm_inspect_page_has_model (page));
  dm_test_window_screenshot (window, "inspect-no-model");
  g_assert_cmpint (g_rename (hidden, model), ==, 0);
  dm_test_window_activate (window, "win.inspect-refresh", NULL);
  g_assert_true (dm_inspect_page_has_model (page));
  dm_test_window_screenshot (window, "inspect-empty");

  /* 2. a folder of new parts */
  g_assert_true (
    gtk_widget_activate_action_variant (window, "win.inspect-paths", g_variant_new_strv (one, -1)));
  /* the job runs in a thread: the main loop has not waited for it */
  g_assert_true (dm_inspect_page_is_running (page));
  g_assert_true (dm_test_gui_wait_until (has_results, page, 60000));
  g_assert_true (dm_test_gui_wait_until (idle_page, page, 60000));
  check_results (page, n_parts);
  for (guint i = 0; i < n_parts; i++)
    {
      const char *path, *message;
      float score;
      DmDecision decision;

      dm_inspect_page_get_result (page, i, &path, &score, &decision, &message);
      if (message == NULL && score > best_score)
        {
          best = i;
          best_score = score;
        }
    }
  dm_inspect_page_select (page, best);
  g_assert_true (dm_test_gui_wait_until (view_ready, page, 10000));
  dm_test_gui_wait_frames (window, 3);
  dm_test_window_screenshot (window, "inspect-done");

  /* 3. export */
  dm_test_window_activate (window, "win.export-inspection", g_variant_new_string (out));
  g_assert_true (dm_test_gui_wait_until (idle_page, page, 60000));
  dm_test_gui_wait_frames (window, 2);
  check_export (out, n_parts - 1);
  dm_test_window_screenshot (window, "inspect-exported");

  /* 4. the folder sixteen times over (one run of 16 x n_parts images): a
   * picture while it runs, then cancelled */
  dm_test_window_activate (window, "win.clear-inspection", NULL);
  g_assert_cmpuint (dm_inspect_page_get_n_results (page), ==, 0);
  dm_test_window_activate (window, "win.inspect-paths", g_variant_new_strv (many, -1));
  g_assert_true (dm_test_gui_wait_until (has_results, page, 60000));
  dm_test_gui_wait_frames (window, 1);
  dm_test_window_screenshot (window, "inspect-running");
  dm_test_window_activate (window, "win.cancel-inspect", NULL);
  g_assert_true (dm_test_gui_wait_until (idle_page, page, 60000));

  /* 5. cancelled right after the start (no main loop turn between them, so
   * the worker cannot have finished): it stops short and says so */
  dm_test_window_activate (window, "win.clear-inspection", NULL);
  g_assert_true (gtk_widget_activate_action_variant (window, "win.inspect-paths",
                                                     g_variant_new_strv (many, -1)));
  g_assert_true (gtk_widget_activate_action_variant (window, "win.cancel-inspect", NULL));
  g_assert_true (dm_test_gui_wait_until (idle_page, page, 60000));
  dm_test_gui_wait_frames (window, 2);
  g_test_message ("cancelled after %u of %u images", dm_inspect_page_get_n_results (page),
                  16 * n_parts);
  g_assert_cmpuint (dm_inspect_page_get_n_results (page), <, 16 * n_parts);
  dm_test_window_screenshot (window, "inspect-cancelled");

  gtk_window_close (GTK_WINDOW (window));
}

static void
test_inspect_page (void)
{

  tmp = dm_test_make_tmpdir ();
  make_trained_project ();
  dm_test_window_run (tmp, on_activate_after);
  g_free (folder);
  g_free (parts);
  g_free (tmp);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/inspect-page/inspect-export-cancel", test_inspect_page);
  return g_test_run ();
}
