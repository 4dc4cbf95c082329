/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Export Report dialog. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-report-dialog.h"

struct _DmReportDialog
{
  AdwWindow parent_instance;

  GtkDrawingArea *preview;
  AdwComboRow *paper_row;
  GtkSwitch *plots_switch;
  GtkSwitch *gallery_switch;
  GtkSwitch *csv_switch;
  GtkSwitch *json_switch;

  DmReportInput *input; /* owned, NULL once stolen */
};

G_DEFINE_FINAL_TYPE (DmReportDialog, dm_report_dialog, ADW_TYPE_WINDOW)

enum
{
  SIGNAL_EXPORT,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

void
dm_report_dialog_get_options (DmReportDialog *self, DmReportOptions *o)
{
  o->paper = adw_combo_row_get_selected (self->paper_row) == 1 ? DM_REPORT_PAPER_LETTER
                                                               : DM_REPORT_PAPER_A4;
  o->plots = gtk_switch_get_active (self->plots_switch);
  o->gallery = gtk_switch_get_active (self->gallery_switch);
  o->csv = gtk_switch_get_active (self->csv_switch);
  o->json = gtk_switch_get_active (self->json_switch);
}

static void
draw_preview (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  DmReportDialog *self = data;
  DmReportOptions o;
  double page_w, page_h, scale;

  dm_report_dialog_get_options (self, &o);
  page_w = o.paper == DM_REPORT_PAPER_LETTER ? 612.0 : 595.276;
  page_h = o.paper == DM_REPORT_PAPER_LETTER ? 792.0 : 841.89;
  scale = MIN (width / page_w, height / page_h);
  cairo_set_source_rgb (cr, 0.85, 0.85, 0.85);
  cairo_paint (cr);
  cairo_translate (cr, (width - page_w * scale) / 2, (height - page_h * scale) / 2);
  cairo_scale (cr, scale, scale);
  cairo_rectangle (cr, 0, 0, page_w, page_h);
  cairo_clip (cr);
  if (self->input != NULL)
    dm_report_render_title_page (self->input, o.paper, cr);
}

static void
on_paper_changed (DmReportDialog *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self->preview));
}

static void
on_export_clicked (DmReportDialog *self)
{
  g_signal_emit (self, signals[SIGNAL_EXPORT], 0);
}

DmReportInput *
dm_report_dialog_steal_input (DmReportDialog *self)
{
  return g_steal_pointer (&self->input);
}

DmReportDialog *
dm_report_dialog_new (GtkWindow *parent, DmReportInput *input)
{
  DmReportDialog *self = g_object_new (DM_TYPE_REPORT_DIALOG, "transient-for", parent, NULL);

  self->input = input;
  return self;
}

static void
dm_report_dialog_finalize (GObject *object)
{
  DmReportDialog *self = DM_REPORT_DIALOG (object);

  g_clear_pointer (&self->input, dm_report_input_free);
  G_OBJECT_CLASS (dm_report_dialog_parent_class)->finalize (object);
}

static void
dm_report_dialog_class_init (DmReportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = dm_report_dialog_finalize;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-report-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, DmReportDialog, preview);
  gtk_widget_class_bind_template_child (widget_class, DmReportDialog, paper_row);
  gtk_widget_class_bind_template_child (widget_class, DmReportDialog, plots_switch);
  gtk_widget_class_bind_template_child (widget_class, DmReportDialog, gallery_switch);
  gtk_widget_class_bind_template_child (widget_class, DmReportDialog, csv_switch);
  gtk_widget_class_bind_template_child (widget_class, DmReportDialog, json_switch);
  gtk_widget_class_bind_template_callback (widget_class, on_paper_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_export_clicked);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  /**
   * DmReportDialog::export:
   *
   * The user chose to export with the options shown.
   */
  signals[SIGNAL_EXPORT] = g_signal_new ("export", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
dm_report_dialog_init (DmReportDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_drawing_area_set_draw_func (self->preview, draw_preview, self, NULL);
}
