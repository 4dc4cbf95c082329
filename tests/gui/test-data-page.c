/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Data page in the real window: import an MVTec AD dataset and a VisA
 * split file through the window's actions, see the classes, counts, broken
 * files and thumbnails on screen and in project.json, rename (action and
 * in place), remove and undo; and the thumbnail loader on its own (LRU
 * cache, cancellation, errors naming the file). */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "dm-application.h"
#include "dm-class-row.h"
#include "dm-data-page.h"
#include "dm-demo.h"
#include "dm-project-dataset.h"
#include "dm-project.h"
#include "dm-test-gui.h"
#include "dm-test-util.h"
#include "dm-thumbnail-loader.h"
#include "dm-window.h"

static char *tmp;

/* ---- helpers ---- */

static gboolean
window_is_mapped (gpointer data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (data));
  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

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

static GtkWidget *
find_class_row (GtkWidget *root, const char *name)
{
  if (DM_IS_CLASS_ROW (root) && g_strcmp0 (dm_class_row_get_name (DM_CLASS_ROW (root)), name) == 0)
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_class_row (c, name);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
collect_text (GtkWidget *root, GString *out)
{
  if (!gtk_widget_get_visible (root))
    return;
  if (GTK_IS_LABEL (root))
    g_string_append_printf (out, "%s\n", gtk_label_get_text (GTK_LABEL (root)));
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    collect_text (c, out);
}

static char *
page_text (GtkWidget *page)
{
  GString *out = g_string_new (NULL);
  collect_text (page, out);
  return g_string_free (out, FALSE);
}

static void
activate (GtkWidget *window, const char *action, GVariant *param)
{
  g_assert_true (gtk_widget_activate_action_variant (window, action, param));
  dm_test_gui_wait_frames (window, 2);
}

/* The import and the reload after it are done, and the counts shown. */
static gboolean
page_settled (gpointer page)
{
  g_autofree char *text = NULL;

  if (dm_data_page_is_busy (page))
    return FALSE;
  text = page_text (page);
  return strstr (text, "Counting images") == NULL && strstr (text, "good parts for training");
}

static gboolean
not_busy (gpointer page)
{
  return !dm_data_page_is_busy (page);
}

static void
wait_settled (GtkWidget *window, GtkWidget *page)
{
  g_assert_true (dm_test_gui_wait_until (page_settled, page, 30000));
  dm_test_gui_wait_frames (window, 2);
}

static gboolean
thumbnails_done (gpointer page)
{
  DmThumbnailLoader *loader = dm_data_page_get_thumbnail_loader (page);
  return dm_thumbnail_loader_get_n_pending (loader) == 0
         && dm_data_page_get_n_thumbnails_shown (page) > 0;
}

static DmProject *
reload (const char *folder)
{
  g_autoptr (GError) error = NULL;
  DmProject *p = dm_project_open (folder, &error);

  g_assert_no_error (error);
  return p;
}

static void
screenshot (GtkWidget *window, const char *name)
{
  g_autofree char *path = dm_test_gui_screenshot (window, name);
  g_test_message ("screenshot %s", path != NULL ? path : "(none)");
}

/* ---- test data ---- */

static void
small_demo (const char *root)
{
  g_autoptr (GError) error = NULL;
  DmDemoSettings s;

  dm_demo_settings_default (&s);
  s.size = 64;
  s.n_train = 10;
  s.n_test_good = 3;
  s.n_defect = 2;
  g_assert_true (dm_demo_write_dataset (root, &s, &error));
  g_assert_no_error (error);
}

static void
csv_lines_for (GString *csv, const char *root, const char *cls, const char *object)
{
  g_autofree char *test_dir = g_build_filename (root, cls, "test", NULL);
  g_autoptr (GDir) types = g_dir_open (test_dir, 0, NULL);
  const char *type;
  const char *splits[] = { "train", "test" };

  g_assert_nonnull (types);
  for (int s = 0; s < 2; s++)
    {
      g_autofree char *good = g_build_filename (root, cls, splits[s], "good", NULL);
      g_autoptr (GDir) dir = g_dir_open (good, 0, NULL);
      const char *f;

      while (dir != NULL && (f = g_dir_read_name (dir)) != NULL)
        g_string_append_printf (csv, "%s,%s,normal,data/%s/%s/good/%s,\n", object, splits[s], cls,
                                splits[s], f);
    }
  while ((type = g_dir_read_name (types)) != NULL)
    {
      g_autofree char *dir_path = g_build_filename (test_dir, type, NULL);
      g_autoptr (GDir) dir = NULL;
      const char *f;

      if (strcmp (type, "good") == 0)
        continue;
      dir = g_dir_open (dir_path, 0, NULL);
      while ((f = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *stem = g_strndup (f, strrchr (f, '.') - f);
          g_string_append_printf (csv,
                                  "%s,test,anomaly,data/%s/test/%s/%s,"
                                  "data/%s/ground_truth/%s/%s_mask.png\n",
                                  object, cls, type, f, cls, type, stem);
        }
    }
}

/* VisA layout: root/split_csv/1cls.csv naming images under root/data, two
 * objects ("candle" from the washers, "pcb1" from the fabric). */
static char *
make_visa (const char *root)
{
  g_autofree char *data = g_build_filename (root, "data", NULL);
  g_autofree char *csv_dir = g_build_filename (root, "split_csv", NULL);
  char *csv_path = g_build_filename (csv_dir, "1cls.csv", NULL);
  g_autoptr (GString) csv = g_string_new ("object,split,label,image,mask\n");

  small_demo (data);
  csv_lines_for (csv, data, "washer", "candle");
  csv_lines_for (csv, data, "fabric", "pcb1");
  g_assert_cmpint (g_mkdir_with_parents (csv_dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (csv_path, csv->str, -1, NULL));
  return csv_path;
}

/* A few files of magnetic_tile (MVTec layout, real JPEGs and masks). */
static char *
copy_magnetic_tile (void)
{
  const char *shared = dm_test_shared_dir ();
  g_autofree char *src = NULL;
  char *dst;
  const char *parts[][2] = { { "train", "good" }, { "test", "good" }, { "test", "blowhole" } };
  guint n_copied = 0;

  if (shared == NULL)
    return NULL;
  src = g_build_filename (shared, "data", "magnetic_tile", "magnetic_tile", NULL);
  if (!g_file_test (src, G_FILE_TEST_IS_DIR))
    return NULL;
  dst = g_build_filename (tmp, "mt", "magnetic_tile", NULL);
  for (guint p = 0; p < G_N_ELEMENTS (parts); p++)
    {
      g_autofree char *from = g_build_filename (src, parts[p][0], parts[p][1], NULL);
      g_autofree char *to = g_build_filename (dst, parts[p][0], parts[p][1], NULL);
      g_autofree char *gt = g_build_filename (dst, "ground_truth", parts[p][1], NULL);
      g_autoptr (GDir) dir = g_dir_open (from, 0, NULL);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *f;

      g_assert_nonnull (dir);
      g_assert_cmpint (g_mkdir_with_parents (to, 0755), ==, 0);
      while ((f = g_dir_read_name (dir)) != NULL)
        g_ptr_array_add (names, g_strdup (f));
      g_ptr_array_sort (names, (GCompareFunc)g_strcmp0);
      for (guint i = 0; i < names->len && i < (p == 0 ? 12u : 3u); i++)
        {
          const char *name = g_ptr_array_index (names, i);
          g_autofree char *a = g_build_filename (from, name, NULL);
          g_autofree char *b = g_build_filename (to, name, NULL);
          g_autofree char *contents = NULL;
          gsize len;

          g_assert_true (g_file_get_contents (a, &contents, &len, NULL));
          g_assert_true (g_file_set_contents (b, contents, len, NULL));
          n_copied++;
          if (strcmp (parts[p][1], "good") != 0)
            {
              g_autofree char *stem = g_strndup (name, strrchr (name, '.') - name);
              g_autofree char *mask = g_strdup_printf ("%s_mask.png", stem);
              g_autofree char *ma = g_build_filename (src, "ground_truth", parts[p][1], mask, NULL);
              g_autofree char *mb = g_build_filename (gt, mask, NULL);

              g_assert_cmpint (g_mkdir_with_parents (gt, 0755), ==, 0);
              g_clear_pointer (&contents, g_free);
              g_assert_true (g_file_get_contents (ma, &contents, &len, NULL));
              g_assert_true (g_file_set_contents (mb, contents, len, NULL));
            }
        }
    }
  g_assert_cmpuint (n_copied, ==, 18);
  return dst;
}

/* ---- the window ---- */

static void
on_activate_after (GApplication *app, gpointer user_data)
{
  gboolean *done = user_data;
  g_autofree char *folder = g_build_filename (tmp, "Parts project", NULL);
  g_autofree char *mvtec = g_build_filename (tmp, "mvtec", NULL);
  g_autofree char *visa_root = g_build_filename (tmp, "visa", NULL);
  g_autofree char *csv = NULL, *tile = NULL, *text = NULL;
  g_autoptr (DmProject) p = NULL;
  GtkWidget *window, *page;
  gint64 t0 = g_get_monotonic_time ();

  g_assert_true (dm_test_gui_wait_until (window_is_mapped, app, 10000));
  window = GTK_WIDGET (gtk_application_get_active_window (GTK_APPLICATION (app)));
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 1000);
  page = find_widget (window, DM_TYPE_DATA_PAGE);
  g_assert_nonnull (page);

  small_demo (mvtec);
  {
    /* a broken image among the training images: listed with the reason */
    g_autofree char *broken
      = g_build_filename (mvtec, "washer", "train", "good", "broken.png", NULL);
    g_assert_true (g_file_set_contents (broken, "\x89PNG\r\n\x1a\n truncated", -1, NULL));
  }
  csv = make_visa (visa_root);

  activate (window, "win.new-project-folder", g_variant_new_string (folder));
  text = page_text (page);
  g_assert_nonnull (strstr (text, "No Classes Yet"));
  g_clear_pointer (&text, g_free);
  screenshot (window, "data-empty");

  /* the progress bar as it looks while a big dataset is read */
  dm_data_page_set_busy (DM_DATA_PAGE (page), "Reading 1,736 files…", -1);
  dm_test_gui_wait_frames (window, 20);
  screenshot (window, "data-busy");
  dm_data_page_set_busy (DM_DATA_PAGE (page), NULL, 0);

  /* MVTec AD root: two classes, test images and masks attached */
  activate (window, "win.import-dataset-path", g_variant_new_string (mvtec));
  wait_settled (window, page);
  p = reload (folder);
  g_assert_cmpuint (p->classes->len, ==, 2);
  g_assert_cmpstr (dm_project_find_class (p, "washer")->layout, ==, "mvtec");
  {
    g_autofree char *washer = g_build_filename (mvtec, "washer", NULL);
    g_assert_cmpstr (dm_project_find_class (p, "washer")->source, ==, washer);
  }
  g_clear_pointer (&p, dm_project_free);
  text = page_text (page);
  /* 10 good + 1 broken: the broken one is skipped and named */
  g_assert_nonnull (strstr (text, "9 good parts for training (1 held out)"));
  g_assert_nonnull (strstr (text, "test: 3 good, "));
  g_assert_nonnull (strstr (text, "1 problem with the data"));
  g_assert_nonnull (strstr (text, "broken.png"));
  g_clear_pointer (&text, g_free);
  g_assert_true (dm_test_gui_wait_until (thumbnails_done, page, 20000));
  g_assert_cmpuint (dm_data_page_get_n_thumbnails_shown (DM_DATA_PAGE (page)), ==, 16);
  dm_test_gui_wait_frames (window, 3);
  screenshot (window, "data-mvtec");

  /* VisA split file: one class per object, all pointing at the CSV; each
   * class gets its own lines only (no duplicates between them) */
  activate (window, "win.import-dataset-path", g_variant_new_string (csv));
  wait_settled (window, page);
  p = reload (folder);
  g_assert_cmpuint (p->classes->len, ==, 4);
  g_assert_cmpstr (dm_project_find_class (p, "candle")->layout, ==, "visa");
  g_assert_cmpstr (dm_project_find_class (p, "pcb1")->source, ==, csv);
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (DmDataset) ds = dm_project_load_dataset (p, DM_DATASET_CHECK_ALL, errors, &error);
    int k = dm_dataset_find_class (ds, "candle");

    g_assert_no_error (error);
    g_assert_cmpint (k, >=, 0);
    g_assert_cmpuint (ds->classes[k].n_train + ds->classes[k].n_holdout, ==, 10);
    g_assert_cmpuint (ds->classes[k].n_test_good, ==, 3);
    g_assert_cmpuint (ds->classes[k].n_test_defect, >, 0);
    g_assert_cmpuint (ds->classes[k].n_masks, ==, ds->classes[k].n_test_defect);
    g_assert_cmpuint (dm_dataset_count_problems (ds, DM_DATASET_PROBLEM_DUPLICATE), ==, 0);
  }
  g_clear_pointer (&p, dm_project_free);

  /* importing the same again adds nothing */
  activate (window, "win.import-dataset-path", g_variant_new_string (csv));
  wait_settled (window, page);
  p = reload (folder);
  g_assert_cmpuint (p->classes->len, ==, 4);
  g_clear_pointer (&p, dm_project_free);

  /* rename by action: saved at once, the VisA object remembered */
  activate (window, "win.rename-class", g_variant_new ("(ss)", "candle", "candles"));
  wait_settled (window, page);
  p = reload (folder);
  g_assert_null (dm_project_find_class (p, "candle"));
  g_assert_cmpstr (dm_project_find_class (p, "candles")->object, ==, "candle");
  g_clear_pointer (&p, dm_project_free);
  text = page_text (page);
  g_assert_nonnull (strstr (text, "candles"));
  g_assert_null (strstr (text, "No images found"));
  g_clear_pointer (&text, g_free);

  /* a name that is taken is refused */
  activate (window, "win.rename-class", g_variant_new ("(ss)", "candles", "fabric"));
  p = reload (folder);
  g_assert_nonnull (dm_project_find_class (p, "candles"));
  g_clear_pointer (&p, dm_project_free);

  /* rename in place: the row's editable name */
  {
    GtkWidget *row = find_class_row (page, "fabric");
    GtkWidget *entry = find_widget (row, GTK_TYPE_ENTRY);

    g_assert_nonnull (entry);
    dm_class_row_start_rename (DM_CLASS_ROW (row));
    g_assert_true (dm_class_row_is_renaming (DM_CLASS_ROW (row)));
    gtk_editable_set_text (GTK_EDITABLE (entry), "woven fabric");
    dm_test_gui_wait_frames (window, 2);
    screenshot (window, "data-rename");
    g_signal_emit_by_name (entry, "activate");
    g_assert_false (dm_class_row_is_renaming (DM_CLASS_ROW (row)));
    dm_test_gui_wait_frames (window, 2);
    wait_settled (window, page);
    p = reload (folder);
    g_assert_nonnull (dm_project_find_class (p, "woven fabric"));
    g_assert_cmpstr (dm_project_find_class (p, "woven fabric")->layout, ==, "mvtec");
    g_clear_pointer (&p, dm_project_free);
  }

  /* remove and undo */
  activate (window, "win.remove-class", g_variant_new_string ("pcb1"));
  wait_settled (window, page);
  p = reload (folder);
  g_assert_null (dm_project_find_class (p, "pcb1"));
  g_clear_pointer (&p, dm_project_free);
  activate (window, "win.undo-remove-class", NULL);
  wait_settled (window, page);
  p = reload (folder);
  g_assert_cmpuint (p->classes->len, ==, 4);
  g_assert_cmpstr (((DmProjectClass *)g_ptr_array_index (p->classes, 3))->name, ==, "pcb1");
  g_clear_pointer (&p, dm_project_free);

  /* real images, when the shared data is there */
  tile = copy_magnetic_tile ();
  if (tile != NULL)
    {
      activate (window, "win.import-dataset-path", g_variant_new_string (tile));
      wait_settled (window, page);
      text = page_text (page);
      g_assert_nonnull (strstr (text, "magnetic_tile"));
      g_assert_nonnull (strstr (text, "test: 3 good, 3 defective, 3 masks"));
      g_clear_pointer (&text, g_free);
    }
  else
    g_test_message ("no ../shared: magnetic_tile not imported");
  g_assert_true (dm_test_gui_wait_until (thumbnails_done, page, 20000));
  dm_test_gui_wait_frames (window, 3);
  screenshot (window, "data-imported");

  /* what the page looks like while files are dragged over it */
  {
    GtkWidget *overlay = find_widget (page, GTK_TYPE_OVERLAY);
    GtkWidget *hint = NULL;

    for (GtkWidget *c = gtk_widget_get_first_child (overlay); c != NULL;
         c = gtk_widget_get_next_sibling (c))
      if (gtk_widget_has_css_class (c, "drop-hint"))
        hint = c;
    g_assert_nonnull (hint);
    gtk_widget_set_visible (hint, TRUE);
    dm_test_gui_wait_frames (window, 2);
    screenshot (window, "data-drop-hint");
    gtk_widget_set_visible (hint, FALSE);
  }

  /* something that is no dataset at all: a dialog, nothing added */
  {
    g_autofree char *junk = g_build_filename (tmp, "junk.csv", NULL);

    g_assert_true (g_file_set_contents (junk, "hello\n", -1, NULL));
    activate (window, "win.import-dataset-path", g_variant_new_string (junk));
    g_assert_true (dm_test_gui_wait_until (not_busy, page, 20000));
    p = reload (folder);
    g_assert_cmpuint (p->classes->len, ==, tile != NULL ? 5 : 4);
    g_clear_pointer (&p, dm_project_free);
  }

  g_test_message ("window part: %.1f s", (g_get_monotonic_time () - t0) / 1e6);
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  *done = TRUE;
}

static void
test_data_page_workflow (void)
{
  g_autoptr (DmApplication) app = dm_application_new (G_APPLICATION_NON_UNIQUE);
  gboolean done = FALSE;

  tmp = dm_test_make_tmpdir ();
  {
    g_autofree char *data = g_build_filename (tmp, "data", NULL);
    g_setenv ("XDG_DATA_HOME", data, TRUE);
  }
  g_signal_connect_after (app, "activate", G_CALLBACK (on_activate_after), &done);
  g_assert_cmpint (g_application_run (G_APPLICATION (app), 0, NULL), ==, 0);
  g_assert_true (done);
  g_free (tmp);
}

/* ---- the thumbnail loader alone ---- */

typedef struct
{
  guint n_done, n_ok, n_cancelled, n_failed;
  char *last_error;
} Results;

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Results *r = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) t
    = dm_thumbnail_loader_load_finish (DM_THUMBNAIL_LOADER (source), result, &error);

  r->n_done++;
  if (t != NULL)
    {
      r->n_ok++;
      g_assert_cmpint (MAX (gdk_texture_get_width (t), gdk_texture_get_height (t)), ==, 32);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    r->n_cancelled++;
  else
    {
      r->n_failed++;
      g_free (r->last_error);
      r->last_error = g_strdup (error->message);
    }
}

static void
wait_results (Results *r, guint n)
{
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (r->n_done < n && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (r->n_done, ==, n);
}

static void
test_thumbnail_loader (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autofree char *good = g_build_filename (dir, "washer", "train", "good", NULL);
  g_autofree char *broken = g_build_filename (dir, "broken.png", NULL);
  g_autoptr (DmThumbnailLoader) loader = dm_thumbnail_loader_new (2, 4);
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GdkTexture) hit = NULL;
  Results r = { 0 };
  const char *f;

  small_demo (dir);
  d = g_dir_open (good, 0, NULL);
  while ((f = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (paths, g_build_filename (good, f, NULL));
  g_ptr_array_sort (paths, (GCompareFunc)g_strcmp0);
  g_assert_cmpuint (paths->len, ==, 10);

  /* six loads through a cache of four: the oldest two are evicted */
  for (guint i = 0; i < 6; i++)
    dm_thumbnail_loader_load_async (loader, paths->pdata[i], 32, NULL, on_loaded, &r);
  g_assert_cmpuint (dm_thumbnail_loader_get_n_pending (loader), ==, 6);
  wait_results (&r, 6);
  g_assert_cmpuint (r.n_ok, ==, 6);
  g_assert_cmpuint (dm_thumbnail_loader_get_n_cached (loader), ==, 4);
  /* the first two start at once, the rest wait most recent first: the
   * last one asked (2) starts last and is cached; the first two finish
   * first and at least one of them was evicted */
  hit = dm_thumbnail_loader_lookup (loader, paths->pdata[2], 32);
  g_assert_nonnull (hit);
  {
    g_autoptr (GdkTexture) a = dm_thumbnail_loader_lookup (loader, paths->pdata[0], 32);
    g_autoptr (GdkTexture) b = dm_thumbnail_loader_lookup (loader, paths->pdata[1], 32);
    g_assert_true (a == NULL || b == NULL);
  }
  g_assert_null (dm_thumbnail_loader_lookup (loader, paths->pdata[2], 64));
  g_assert_cmpuint (dm_thumbnail_loader_get_n_cached (loader), ==, 4);

  /* a cache hit still answers from the main loop, not inside the call */
  memset (&r, 0, sizeof r);
  dm_thumbnail_loader_load_async (loader, paths->pdata[2], 32, NULL, on_loaded, &r);
  g_assert_cmpuint (r.n_done, ==, 0);
  wait_results (&r, 1);
  g_assert_cmpuint (r.n_ok, ==, 1);

  /* cancelled while waiting: every request answers, none decodes late */
  memset (&r, 0, sizeof r);
  for (guint i = 6; i < 10; i++)
    dm_thumbnail_loader_load_async (loader, paths->pdata[i], 32, cancellable, on_loaded, &r);
  g_cancellable_cancel (cancellable);
  wait_results (&r, 4);
  g_assert_cmpuint (r.n_cancelled, >=, 2); /* at most 2 were running */
  g_assert_cmpuint (dm_thumbnail_loader_get_n_pending (loader), ==, 0);

  /* a broken file: the error names it */
  memset (&r, 0, sizeof r);
  g_assert_true (g_file_set_contents (broken, "\x89PNG\r\n\x1a\n truncated", -1, NULL));
  dm_thumbnail_loader_load_async (loader, broken, 32, NULL, on_loaded, &r);
  wait_results (&r, 1);
  g_assert_cmpuint (r.n_failed, ==, 1);
  g_assert_nonnull (strstr (r.last_error, "broken.png"));
  g_free (r.last_error);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/data-page/thumbnail-loader", test_thumbnail_loader);
  g_test_add_func ("/data-page/workflow", test_data_page_workflow);
  return g_test_run ();
}
