/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Metrics page and report export in the real window, on a trained tiny
 * project: the table shows the seven metrics of `dinomaly eval` on the same
 * model and data (as the page rounds them), the export dialog previews the
 * first page, and exporting writes the PDF, CSV and JSON. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "dm-application.h"
#include "dm-report-dialog.h"
#include "dm-test-gui.h"
#include "dm-test-project.h"
#include "dm-test-util.h"
#include "dm-test-window.h"
#include "dm-metrics-page.h"
#include "dm-window-private.h"

static char *tmp;
static char *folder;

static gboolean
metrics_ready (gpointer window)
{
  return !dm_test_window_metrics_busy (window);
}

static gboolean
export_done (gpointer window)
{
  return !dm_test_window_is_exporting (window);
}

static GtkWidget *
find_report_dialog (void)
{
  return dm_test_window_find_toplevel (DM_TYPE_REPORT_DIALOG);
}

static gboolean
dialog_shown (gpointer data)
{
  return find_report_dialog () != NULL && gtk_widget_get_mapped (find_report_dialog ());
}

/* The page's cells of each class as `dinomaly eval` numbers would show. */
static void
check_table (DmWindow *self, DmProject *p)
{
  GtkWidget *page = adw_view_stack_get_child_by_name (self->view_stack, "metrics");
  g_autofree char *table = dm_metrics_page_get_table_text (DM_METRICS_PAGE (page));
  const char *classes[] = { "fabric", "washer" };

  g_test_message ("metrics table:\n%s", table);
  for (guint k = 0; k < G_N_ELEMENTS (classes); k++)
    {
      g_autoptr (DmEvalClass) eval = dm_test_evaluate_project_class (p, classes[k]);
      g_autoptr (GString) row = g_string_new (classes[k]);

      for (int id = 0; id < DM_METRIC_COUNT; id++)
        {
          double v = dm_metrics_get (&eval->metrics, id);
          g_autofree char *text = isnan (v) ? g_strdup ("—") : g_strdup_printf ("%.1f", 100 * v);
          g_string_append_printf (row, "\t%s", text);
        }
      g_string_append_c (row, '\n');
      dm_test_assert_has (table, row->str);
    }
}

static void
on_activate_after (GApplication *app, GtkWidget *window)
{
  DmWindow *self = DM_WINDOW (window);
  g_autoptr (DmProject) p = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *pdf = g_build_filename (tmp, "exported.pdf", NULL);
  g_autofree char *csv = g_build_filename (tmp, "exported.csv", NULL);
  g_autofree char *json = g_build_filename (tmp, "exported.json", NULL);

  dm_test_gui_wait_frames (window, 2);
  dm_test_window_activate (window, "win.open-project-folder", g_variant_new_string (folder));
  adw_view_stack_set_visible_child_name (self->view_stack, "metrics");
  g_assert_true (dm_test_gui_wait_until (metrics_ready, window, 60000));
  dm_test_gui_wait_frames (window, 3);
  dm_test_window_screenshot (window, "metrics");
  p = dm_project_open (folder, &error);
  g_assert_no_error (error);
  check_table (self, p);

  /* the dialog with its preview */
  dm_test_window_activate (window, "win.export-report", NULL);
  g_assert_true (dm_test_gui_wait_until (dialog_shown, NULL, 60000));
  dm_test_gui_wait_frames (find_report_dialog (), 3);
  dm_test_window_screenshot (find_report_dialog (), "report-dialog");
  gtk_window_destroy (GTK_WINDOW (find_report_dialog ()));
  g_assert_true (dm_test_gui_wait_until (export_done, window, 10000));

  /* exporting writes the three files */
  dm_test_window_activate (window, "win.export-report-to", g_variant_new_string (pdf));
  g_assert_true (dm_test_gui_wait_until (export_done, window, 120000));
  g_assert_true (g_file_test (pdf, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (csv, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (json, G_FILE_TEST_IS_REGULAR));
  dm_test_gui_wait_frames (window, 2);
  dm_test_window_screenshot (window, "report-exported");

  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
}

static void
test_metrics_window (void)
{
  g_autoptr (DmProject) p = NULL;
  g_autoptr (DmProjectTrain) job = NULL;

  tmp = dm_test_make_tmpdir ();
  folder = g_build_filename (tmp, "project", NULL);
  p = dm_test_tiny_project (folder, 16);
  job = dm_test_train_project (p);
  dm_test_window_run (tmp, on_activate_after);
  g_free (folder);
  g_free (tmp);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics-window/table-and-export", test_metrics_window);
  return g_test_run ();
}
