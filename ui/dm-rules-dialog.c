/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmRulesDialog: the class's rules in widgets and back (see the header). */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "dm-error.h"
#include "dm-roi-editor.h"
#include "dm-rules-dialog.h"

struct _DmRulesDialog
{
  AdwWindow parent_instance;

  /* template */
  GtkToggleButton *rectangle_button;
  GtkToggleButton *polygon_button;
  GtkToggleButton *brush_button;
  GtkToggleButton *measure_button;
  GtkDropDown *layer_dropdown;
  GtkToggleButton *erase_button;
  GtkAdjustment *radius_adjustment;
  GtkSpinButton *radius_spin;
  GtkStack *picture_stack;
  GtkLabel *picture_status;
  DmRoiEditor *editor;
  GtkLabel *roi_label;
  GtkLabel *measured_label;
  GtkSpinButton *known_spin;
  GtkSpinButton *mm_spin;
  AdwComboRow *units_row;
  GtkSpinButton *min_area_spin;
  AdwExpanderRow *max_area_row;
  GtkSpinButton *max_area_spin;
  AdwExpanderRow *max_length_row;
  GtkSpinButton *max_length_spin;
  AdwExpanderRow *max_regions_row;
  GtkSpinButton *max_regions_spin;
  GtkLabel *error_label;

  DmOpenProject *project;
  char *class_name;
  DmRules *rules;        /* as loaded: the ROI is placed once the picture is */
  GCancellable *loading; /* the reference picture */
};

G_DEFINE_FINAL_TYPE (DmRulesDialog, dm_rules_dialog, ADW_TYPE_WINDOW)

/* ---- widgets from rules and back ---- */

static void
set_limit (AdwExpanderRow *row, GtkSpinButton *spin, double value)
{
  adw_expander_row_set_enable_expansion (row, isfinite (value));
  if (isfinite (value))
    gtk_spin_button_set_value (spin, value);
}

static void
show_rules (DmRulesDialog *self, const DmRules *r)
{
  gtk_spin_button_set_value (self->mm_spin, isnan (r->mm_per_pixel) ? 0 : r->mm_per_pixel);
  adw_combo_row_set_selected (self->units_row, r->units == DM_UNITS_MM ? 1 : 0);
  gtk_spin_button_set_value (self->min_area_spin, r->min_area);
  set_limit (self->max_area_row, self->max_area_spin, r->max_area);
  set_limit (self->max_length_row, self->max_length_spin, r->max_length);
  set_limit (self->max_regions_row, self->max_regions_spin,
             r->max_regions >= 0 ? (double)r->max_regions : NAN);
}

DmRules *
dm_rules_dialog_get_rules (DmRulesDialog *self)
{
  DmRules *r = dm_rules_new ();
  const DmRoi *roi = dm_roi_editor_get_roi (self->editor);
  double mm = gtk_spin_button_get_value (self->mm_spin);

  if (!dm_roi_is_empty (roi))
    {
      dm_roi_free (r->roi);
      r->roi = dm_roi_copy (roi);
    }
  if (mm > 0)
    r->mm_per_pixel = mm;
  /* the picture the shapes and the measure refer to */
  if (!dm_roi_is_empty (roi) || mm > 0)
    {
      r->ref_width = dm_roi_editor_get_image_width (self->editor);
      r->ref_height = dm_roi_editor_get_image_height (self->editor);
    }
  r->units = adw_combo_row_get_selected (self->units_row) == 1 ? DM_UNITS_MM : DM_UNITS_PIXELS;
  r->min_area = gtk_spin_button_get_value (self->min_area_spin);
  if (adw_expander_row_get_enable_expansion (self->max_area_row))
    r->max_area = gtk_spin_button_get_value (self->max_area_spin);
  if (adw_expander_row_get_enable_expansion (self->max_length_row))
    r->max_length = gtk_spin_button_get_value (self->max_length_spin);
  if (adw_expander_row_get_enable_expansion (self->max_regions_row))
    r->max_regions = gtk_spin_button_get_value_as_int (self->max_regions_spin);
  return r;
}

static void
show_error (DmRulesDialog *self, const GError *error)
{
  gtk_label_set_label (self->error_label, error != NULL ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL);
}

gboolean
dm_rules_dialog_save (DmRulesDialog *self, GError **error)
{
  g_autoptr (DmRules) rules = dm_rules_dialog_get_rules (self);
  DmProjectClass *pc;
  g_autoptr (GError) local = NULL;

  pc = dm_project_find_class (dm_open_project_get_project (self->project), self->class_name);
  if (pc == NULL)
    g_set_error (&local, DM_ERROR, DM_ERROR_INVALID,
                 _ ("The class “%s” is no longer in the project."), self->class_name);
  else if (dm_rules_validate (rules, &local))
    {
      dm_rules_free (pc->rules);
      pc->rules = dm_rules_is_empty (rules) ? NULL : g_steal_pointer (&rules);
      dm_open_project_save (self->project, "review", &local);
    }
  show_error (self, local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}

GtkWidget *
dm_rules_dialog_get_editor (DmRulesDialog *self)
{
  return GTK_WIDGET (self->editor);
}

/* ---- callbacks ---- */

static void
on_save_clicked (DmRulesDialog *self)
{
  if (dm_rules_dialog_save (self, NULL))
    gtk_window_close (GTK_WINDOW (self));
}

static void
on_tool_toggled (DmRulesDialog *self)
{
  DmRoiTool tool = DM_ROI_TOOL_RECTANGLE;

  if (gtk_toggle_button_get_active (self->polygon_button))
    tool = DM_ROI_TOOL_POLYGON;
  else if (gtk_toggle_button_get_active (self->brush_button))
    tool = DM_ROI_TOOL_BRUSH;
  else if (gtk_toggle_button_get_active (self->measure_button))
    tool = DM_ROI_TOOL_MEASURE;
  dm_roi_editor_set_tool (self->editor, tool);
}

static void
on_layer_changed (DmRulesDialog *self)
{
  g_object_set (self->editor, "ignore", gtk_drop_down_get_selected (self->layer_dropdown) == 1,
                NULL);
}

static void
on_undo_clicked (DmRulesDialog *self)
{
  dm_roi_editor_undo (self->editor);
}

static void
on_clear_clicked (DmRulesDialog *self)
{
  dm_roi_editor_clear (self->editor);
}

static void
on_roi_changed (DmRulesDialog *self)
{
  const DmRoi *roi = dm_roi_editor_get_roi (self->editor);
  g_autofree char *text = NULL;
  guint n = dm_roi_n_shapes (roi);

  if (n == 0)
    text = g_strdup (_ ("No shape: the whole picture is inspected."));
  else
    text = g_strdup_printf (ngettext ("%u shape. What is dimmed and hatched is not inspected.",
                                      "%u shapes. What is dimmed and hatched is not inspected.", n),
                            n);
  gtk_label_set_label (self->roi_label, text);
}

/* the known length over the measured one */
static void
update_calibration (DmRulesDialog *self)
{
  double measured = dm_roi_editor_get_measured_length (self->editor);
  double known = gtk_spin_button_get_value (self->known_spin);

  if (measured > 0 && known > 0)
    gtk_spin_button_set_value (self->mm_spin, known / measured);
}

static void
on_measured (DmRulesDialog *self)
{
  g_autofree char *text
    = g_strdup_printf (_ ("%.1f px"), dm_roi_editor_get_measured_length (self->editor));

  gtk_label_set_label (self->measured_label, text);
  update_calibration (self);
}

static void
on_known_changed (DmRulesDialog *self)
{
  update_calibration (self);
}

static void
on_mm_changed (DmRulesDialog *self)
{
  /* limits in mm need a calibration */
  gboolean calibrated = gtk_spin_button_get_value (self->mm_spin) > 0;

  if (!calibrated && adw_combo_row_get_selected (self->units_row) == 1)
    adw_combo_row_set_selected (self->units_row, 0);
}

static void
on_units_changed (DmRulesDialog *self)
{
  if (adw_combo_row_get_selected (self->units_row) == 1
      && gtk_spin_button_get_value (self->mm_spin) <= 0)
    {
      g_autoptr (GError) error = g_error_new_literal (
        DM_ERROR, DM_ERROR_INVALID, _ ("Limits in millimetres need a calibration first."));

      show_error (self, error);
    }
  else
    show_error (self, NULL);
}

/* ---- the reference picture ---- */

static void
load_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;
  DmImage *image = dm_image_load (data, 0, &error);

  if (image == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, image, (GDestroyNotify)dm_image_free);
}

/* Shapes drawn on a picture of another size, scaled onto this one. */
static DmRoi *
scaled_roi (const DmRules *r, int width, int height)
{
  DmRoi *roi = dm_roi_new ();
  double sx = r->ref_width > 0 ? (double)width / r->ref_width : 1;
  double sy = r->ref_height > 0 ? (double)height / r->ref_height : 1;

  for (guint i = 0; i < dm_roi_n_shapes (r->roi); i++)
    {
      const DmRoiShape *s = &g_array_index (r->roi->shapes, DmRoiShape, i);
      g_autofree double *p = g_new (double, 2 * (gsize)s->n_points);

      for (guint k = 0; k < s->n_points; k++)
        {
          p[2 * k] = s->points[2 * k] * sx;
          p[2 * k + 1] = s->points[2 * k + 1] * sy;
        }
      dm_roi_add (roi, s->kind, s->layer, s->erase, s->radius * sqrt (sx * sy), p, s->n_points);
    }
  return roi;
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) image = g_task_propagate_pointer (G_TASK (result), &error);
  DmRulesDialog *self = data;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (image == NULL)
    {
      gtk_label_set_label (self->picture_status, error->message);
      return;
    }
  dm_roi_editor_set_image (self->editor, image);
  if (self->rules != NULL)
    {
      g_autoptr (DmRoi) roi = scaled_roi (self->rules, image->width, image->height);

      dm_roi_editor_set_roi (self->editor, roi);
      /* the calibration follows the picture's size */
      if (!isnan (self->rules->mm_per_pixel) && self->rules->ref_width > 0)
        gtk_spin_button_set_value (self->mm_spin, self->rules->mm_per_pixel * self->rules->ref_width
                                                    / image->width);
    }
  gtk_stack_set_visible_child_name (self->picture_stack, "editor");
}

DmRulesDialog *
dm_rules_dialog_new (GtkWindow *parent,
                     DmOpenProject *project,
                     const char *class_name,
                     const char *reference_path)
{
  DmRulesDialog *self = g_object_new (DM_TYPE_RULES_DIALOG, "transient-for", parent, NULL);
  DmProjectClass *pc = dm_project_find_class (dm_open_project_get_project (project), class_name);
  g_autoptr (GTask) task = NULL;
  g_autofree char *title = g_strdup_printf (_ ("Inspection Rules of “%s”"), class_name);

  gtk_window_set_title (GTK_WINDOW (self), title);
  self->project = g_object_ref (project);
  self->class_name = g_strdup (class_name);
  if (pc != NULL && pc->rules != NULL)
    {
      self->rules = dm_rules_copy (pc->rules);
      show_rules (self, self->rules);
    }
  task = g_task_new (NULL, self->loading, on_loaded, self);
  g_task_set_task_data (task, g_strdup (reference_path), g_free);
  g_task_run_in_thread (task, load_thread);
  return self;
}

static void
dm_rules_dialog_dispose (GObject *object)
{
  DmRulesDialog *self = DM_RULES_DIALOG (object);

  g_cancellable_cancel (self->loading);
  gtk_widget_dispose_template (GTK_WIDGET (self), DM_TYPE_RULES_DIALOG);
  G_OBJECT_CLASS (dm_rules_dialog_parent_class)->dispose (object);
}

static void
dm_rules_dialog_finalize (GObject *object)
{
  DmRulesDialog *self = DM_RULES_DIALOG (object);

  g_clear_object (&self->project);
  g_clear_object (&self->loading);
  g_free (self->class_name);
  g_clear_pointer (&self->rules, dm_rules_free);
  G_OBJECT_CLASS (dm_rules_dialog_parent_class)->finalize (object);
}

static void
dm_rules_dialog_class_init (DmRulesDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_rules_dialog_dispose;
  object_class->finalize = dm_rules_dialog_finalize;

  g_type_ensure (DM_TYPE_ROI_EDITOR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-rules-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, rectangle_button);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, polygon_button);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, brush_button);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, measure_button);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, layer_dropdown);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, erase_button);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, radius_adjustment);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, radius_spin);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, picture_stack);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, picture_status);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, editor);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, roi_label);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, measured_label);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, known_spin);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, mm_spin);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, units_row);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, min_area_spin);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, max_area_row);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, max_area_spin);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, max_length_row);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, max_length_spin);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, max_regions_row);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, max_regions_spin);
  gtk_widget_class_bind_template_child (widget_class, DmRulesDialog, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_save_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_tool_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_layer_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_undo_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_clear_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_roi_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_measured);
  gtk_widget_class_bind_template_callback (widget_class, on_known_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_mm_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_units_changed);
}

static void
dm_rules_dialog_init (DmRulesDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->loading = g_cancellable_new ();
  g_object_bind_property (self->erase_button, "active", self->editor, "erase",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->radius_adjustment, "value", self->editor, "radius",
                          G_BINDING_SYNC_CREATE);
  on_roi_changed (self);
}
