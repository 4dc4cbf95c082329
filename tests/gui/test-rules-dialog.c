/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Inspection Rules dialog under Xvfb, on a real picture (tests/data):
 * an inspection rectangle, an ignore polygon and brush stroke and an
 * erased hole drawn with the editor's tools, a length measured and
 * entered (the millimetres per pixel follow), limits in mm² set; Save
 * stores them in the project file, read back equal shape for shape, and
 * the stored region of interest inspects exactly the pixels the shapes
 * say. Limits in mm without a calibration are refused with a message.
 * Screenshots: rules-dialog.png, rules-dialog-error.png. */
#include "config.h"

#include <adwaita.h>
#include <math.h>

#include "dm-error.h"
#include "dm-roi-editor.h"
#include "dm-rules-dialog.h"
#include "dm-test-gui.h"
#include "dm-test-project.h"
#include "dm-test-util.h"

static gboolean
image_loaded (gpointer data)
{
  return dm_roi_editor_get_image_width (data) > 0;
}

static GtkWidget *
child (DmRulesDialog *dialog, const char *name)
{
  GObject *o = gtk_widget_get_template_child (GTK_WIDGET (dialog), DM_TYPE_RULES_DIALOG, name);

  if (o == NULL)
    g_error ("no template child %s", name);
  return GTK_WIDGET (o);
}

static guint8
inspected_at (const guint8 *mask, int x, int y)
{
  return mask[y * 600 + x];
}

static void
test_dialog (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *folder = g_build_filename (tmp, "project", NULL);
  g_autofree char *picture
    = g_build_filename (dm_test_srcdir (), "data", "image", "reference", "tire_hole_000.png", NULL);
  g_autofree char *shot = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmOpenProject) open = NULL;
  g_autoptr (DmProject) reopened = NULL;
  g_autofree guint8 *mask = g_new (guint8, 600 * 800);
  DmProject *project = dm_test_tiny_project (folder, 1);
  DmRulesDialog *dialog;
  DmRoiEditor *editor;
  const DmRules *stored;

  g_assert_true (dm_project_save (project, &error));
  open = dm_open_project_new (project);
  dialog = dm_rules_dialog_new (NULL, open, "washer", picture);
  gtk_window_present (GTK_WINDOW (dialog));
  editor = DM_ROI_EDITOR (dm_rules_dialog_get_editor (dialog));
  g_assert_true (dm_test_gui_wait_until (image_loaded, editor, 10000));
  g_assert_cmpint (dm_roi_editor_get_image_width (editor), ==, 600);
  g_assert_cmpint (dm_roi_editor_get_image_height (editor), ==, 800);

  /* the inspection area: a rectangle, chosen with the tool buttons */
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (child (dialog, "rectangle_button")), TRUE);
  g_assert_cmpint (dm_roi_editor_get_tool (editor), ==, DM_ROI_TOOL_RECTANGLE);
  dm_roi_editor_drag (editor, 540, 760, 60, 80); /* dragged up and left: the same */
  /* ignore areas: a triangle and a brush stroke */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (child (dialog, "layer_dropdown")), 1);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (child (dialog, "polygon_button")), TRUE);
  g_assert_cmpint (dm_roi_editor_get_tool (editor), ==, DM_ROI_TOOL_POLYGON);
  dm_roi_editor_click (editor, 100, 100, 1);
  dm_roi_editor_click (editor, 300, 120, 1);
  dm_roi_editor_click (editor, 200, 300, 1);
  dm_roi_editor_click (editor, 200, 300, 2);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (child (dialog, "brush_button")), TRUE);
  gtk_adjustment_set_value (
    gtk_spin_button_get_adjustment (GTK_SPIN_BUTTON (child (dialog, "radius_spin"))), 20);
  dm_roi_editor_drag (editor, 150, 600, 450, 600);
  /* a hole erased from the stroke */
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (child (dialog, "erase_button")), TRUE);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (child (dialog, "rectangle_button")), TRUE);
  dm_roi_editor_drag (editor, 280, 570, 320, 630);
  g_assert_cmpuint (dm_roi_n_shapes (dm_roi_editor_get_roi (editor)), ==, 4);

  /* the calibration: 500 pixels measured are 25 mm */
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (child (dialog, "measure_button")), TRUE);
  dm_roi_editor_drag (editor, 100, 100, 400, 500);
  g_assert_cmpfloat (dm_roi_editor_get_measured_length (editor), ==, 500);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (child (dialog, "known_spin")), 25);
  g_assert_cmpfloat (
    fabs (gtk_spin_button_get_value (GTK_SPIN_BUTTON (child (dialog, "mm_spin"))) - 0.05), <, 1e-9);

  /* limits in mm² */
  adw_combo_row_set_selected (ADW_COMBO_ROW (child (dialog, "units_row")), 1);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (child (dialog, "min_area_spin")), 0.05);
  adw_expander_row_set_enable_expansion (ADW_EXPANDER_ROW (child (dialog, "max_area_row")), TRUE);
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (child (dialog, "max_area_row")), TRUE);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (child (dialog, "max_area_spin")), 0.5);
  adw_expander_row_set_enable_expansion (ADW_EXPANDER_ROW (child (dialog, "max_regions_row")),
                                         TRUE);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (child (dialog, "max_regions_spin")), 3);
  dm_test_gui_wait_frames (GTK_WIDGET (dialog), 3);
  shot = dm_test_gui_screenshot (GTK_WIDGET (dialog), "rules-dialog");
  g_test_message ("screenshot %s", shot);

  g_assert_true (dm_rules_dialog_save (dialog, &error));
  g_assert_no_error (error);

  /* read back from the file */
  reopened = dm_project_open (folder, &error);
  g_assert_no_error (error);
  stored = dm_project_find_class (reopened, "washer")->rules;
  g_assert_nonnull (stored);
  g_assert_cmpint (stored->ref_width, ==, 600);
  g_assert_cmpint (stored->ref_height, ==, 800);
  g_assert_cmpfloat (fabs (stored->mm_per_pixel - 0.05), <, 1e-9);
  g_assert_cmpint (stored->units, ==, DM_UNITS_MM);
  g_assert_cmpfloat (stored->min_area, ==, 0.05);
  g_assert_cmpfloat (stored->max_area, ==, 0.5);
  g_assert_true (isnan (stored->max_length));
  g_assert_cmpint (stored->max_regions, ==, 3);
  g_assert_true (dm_roi_equal (stored->roi, dm_roi_editor_get_roi (editor)));
  g_assert_null (dm_project_find_class (reopened, "fabric")->rules);

  /* what the shapes say, pixel by pixel at a few places */
  dm_roi_rasterize (stored->roi, 600, 800, 600, 800, mask);
  g_assert_cmpuint (inspected_at (mask, 30, 400), ==, 0);  /* outside the rectangle */
  g_assert_cmpuint (inspected_at (mask, 500, 400), ==, 1); /* inside it */
  g_assert_cmpuint (inspected_at (mask, 200, 150), ==, 0); /* in the triangle */
  g_assert_cmpuint (inspected_at (mask, 200, 600), ==, 0); /* on the stroke */
  g_assert_cmpuint (inspected_at (mask, 300, 600), ==, 1); /* in the hole erased from it */
  g_assert_cmpuint (inspected_at (mask, 200, 640), ==, 1); /* below the stroke (radius 20) */

  /* mm without a calibration: refused, the message shown */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (child (dialog, "mm_spin")), 0);
  adw_combo_row_set_selected (ADW_COMBO_ROW (child (dialog, "units_row")), 1);
  g_assert_false (dm_rules_dialog_save (dialog, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_test_message ("refused: %s", error->message);
  g_assert_true (gtk_widget_get_visible (child (dialog, "error_label")));
  g_clear_pointer (&shot, g_free);
  dm_test_gui_wait_frames (GTK_WIDGET (dialog), 3);
  shot = dm_test_gui_screenshot (GTK_WIDGET (dialog), "rules-dialog-error");

  gtk_window_destroy (GTK_WINDOW (dialog));
}

int
main (int argc, char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add_func ("/rules-dialog/draw-calibrate-save", test_dialog);
  return g_test_run ();
}
