/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's plots, drawn as vectors on any cairo_t inside a given
 * rectangle: ROC curve, precision-recall curve, score histogram with the
 * threshold lines, confusion matrix. The PDF writer draws them on its
 * pages; the window's Metrics page can draw them in a GtkDrawingArea with
 * the same calls (pass its theme's colours and font in DmPlotStyle).
 *
 * Each function saves and restores the cairo state, draws nothing outside
 * `area` (user units: points in a PDF, pixels in a widget), and sizes its
 * text from style->font_size. Texts are translated (gettext); numbers are
 * formatted for the current locale. */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "dm-report.h"

G_BEGIN_DECLS

typedef struct
{
  const char *font_family; /* Pango family, e.g. "Sans" */
  double font_size;        /* in user units (points on a PDF page) */
  double fg[3];            /* text, axes, frames: RGB 0..1 */
  double grid[3];          /* grid lines */
  double good[3];          /* normal images: curves of the good class, bars */
  double defect[3];        /* defect images, the ROC/PR curve */
  double threshold[3];     /* threshold lines and the operating point */
} DmPlotStyle;

/* Sans 8, black text, blue (good) and orange (defect) as in the Okabe-Ito
 * palette, which reads with colour-vision deficiencies. */
void dm_plot_style_init (DmPlotStyle *style);

/* ROC curve (false-positive rate vs true-positive rate, both 0..1) with
 * the chance diagonal, the AUROC in the legend and, when threshold is
 * finite, the operating point at that threshold (score >= threshold).
 * A curve without both labels draws "not defined" instead. */
void dm_plot_roc (cairo_t *cr,
                  const cairo_rectangle_t *area,
                  const DmPlotStyle *style,
                  const DmReportCurve *curve,
                  double auroc,
                  double threshold);

/* Precision-recall curve (recall vs precision) with the AP in the legend,
 * the prevalence as a dashed baseline and the operating point. */
void dm_plot_pr (cairo_t *cr,
                 const cairo_rectangle_t *area,
                 const DmPlotStyle *style,
                 const DmReportCurve *curve,
                 double ap,
                 double threshold);

/* Histogram of normal and defect scores (overlaid, translucent) with the
 * image threshold as a solid line and the uncertain band (when
 * has_band) shaded between low and high. */
void dm_plot_histogram (cairo_t *cr,
                        const cairo_rectangle_t *area,
                        const DmPlotStyle *style,
                        const DmReportHistogram *hist,
                        double threshold,
                        gboolean has_band,
                        double band_low,
                        double band_high);

/* 2 x 2 matrix (true label x decision), or 2 x 3 with an "uncertain"
 * column when show_uncertain; counts and row percentages, cells shaded by
 * their row fraction. */
void dm_plot_confusion (cairo_t *cr,
                        const cairo_rectangle_t *area,
                        const DmPlotStyle *style,
                        const DmReportConfusion *confusion,
                        gboolean show_uncertain);

G_END_DECLS
