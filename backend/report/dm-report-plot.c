/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's plots (ROC, precision-recall, histogram, confusion matrix)
 * as cairo vector drawings inside a rectangle; see dm-report-plot.h. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "dm-report-plot.h"
#include "dm-report-private.h"

void
dm_plot_style_init (DmPlotStyle *style)
{
  *style = (DmPlotStyle){
    .font_family = "Sans",
    .font_size = 8.0,
    .fg = { 0.13, 0.13, 0.13 },
    .grid = { 0.87, 0.87, 0.87 },
    .good = { 0.0, 0.447, 0.698 },   /* Okabe-Ito blue */
    .defect = { 0.835, 0.369, 0.0 }, /* Okabe-Ito vermillion */
    .threshold = { 0.0, 0.0, 0.0 },
  };
}

static const DmPlotStyle *
style_or_default (const DmPlotStyle *style, DmPlotStyle *fallback)
{
  if (style != NULL)
    return style;
  dm_plot_style_init (fallback);
  return fallback;
}

static void
set_rgb (cairo_t *cr, const double rgb[3])
{
  cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
}

/* The inner plotting frame of an area: room on the left for tick labels
 * and the y title, below for tick labels and the x title, above for the
 * legend line. */
typedef struct
{
  double x, y, w, h; /* the frame */
  double x_lo, x_hi; /* data range on x */
  double y_lo, y_hi; /* data range on y */
} Frame;

static double
fx (const Frame *f, double v)
{
  return f->x + (v - f->x_lo) / (f->x_hi - f->x_lo) * f->w;
}

static double
fy (const Frame *f, double v)
{
  return f->y + f->h - (v - f->y_lo) / (f->y_hi - f->y_lo) * f->h;
}

static void
frame_init (Frame *f, const cairo_rectangle_t *area, const DmPlotStyle *s)
{
  double fs = s->font_size;

  f->x = area->x + 3.6 * fs + 2;
  f->y = area->y + 1.8 * fs;
  f->w = area->width - (f->x - area->x) - 0.8 * fs;
  f->h = area->height - (f->y - area->y) - 3.2 * fs;
}

/* Grid, frame, ticks with locale-formatted labels, axis titles. */
static void
draw_axes (cairo_t *cr,
           const Frame *f,
           const DmPlotStyle *s,
           const char *x_title,
           const char *y_title,
           int x_ticks,
           int y_ticks,
           int x_decimals,
           int y_decimals)
{
  double fs = s->font_size;

  cairo_set_line_width (cr, 0.5);
  set_rgb (cr, s->grid);
  for (int i = 0; i <= x_ticks; i++)
    {
      double x = f->x + f->w * i / x_ticks;

      cairo_move_to (cr, x, f->y);
      cairo_line_to (cr, x, f->y + f->h);
    }
  for (int i = 0; i <= y_ticks; i++)
    {
      double y = f->y + f->h * i / y_ticks;

      cairo_move_to (cr, f->x, y);
      cairo_line_to (cr, f->x + f->w, y);
    }
  cairo_stroke (cr);

  set_rgb (cr, s->fg);
  cairo_set_line_width (cr, 0.8);
  cairo_rectangle (cr, f->x, f->y, f->w, f->h);
  cairo_stroke (cr);
  for (int i = 0; i <= x_ticks; i++)
    {
      double v = f->x_lo + (f->x_hi - f->x_lo) * i / x_ticks;
      g_autofree char *label = dm_report_format_number (v, x_decimals);

      dm_report_text (cr, s->font_family, fs * 0.85, FALSE, FALSE, label, fx (f, v),
                      f->y + f->h + 0.25 * fs, 0, DM_TEXT_CENTER);
    }
  for (int i = 0; i <= y_ticks; i++)
    {
      double v = f->y_lo + (f->y_hi - f->y_lo) * i / y_ticks;
      g_autofree char *label = dm_report_format_number (v, y_decimals);

      dm_report_text (cr, s->font_family, fs * 0.85, FALSE, FALSE, label, f->x - 0.3 * fs,
                      fy (f, v) - 0.55 * fs, 0, DM_TEXT_RIGHT);
    }
  dm_report_text (cr, s->font_family, fs, FALSE, FALSE, x_title, f->x + f->w / 2,
                  f->y + f->h + 1.4 * fs, 0, DM_TEXT_CENTER);
  /* the y title, turned a quarter anticlockwise */
  cairo_save (cr);
  cairo_translate (cr, f->x - 3.5 * fs, f->y + f->h / 2);
  cairo_rotate (cr, -G_PI / 2);
  dm_report_text (cr, s->font_family, fs, FALSE, FALSE, y_title, 0, 0, 0, DM_TEXT_CENTER);
  cairo_restore (cr);
}

static void
draw_title (cairo_t *cr, const Frame *f, const DmPlotStyle *s, const char *title)
{
  set_rgb (cr, s->fg);
  dm_report_text (cr, s->font_family, s->font_size, TRUE, FALSE, title, f->x,
                  f->y - 1.6 * s->font_size, 0, DM_TEXT_LEFT);
}

static void
draw_message (cairo_t *cr, const Frame *f, const DmPlotStyle *s, const char *message)
{
  set_rgb (cr, s->fg);
  dm_report_text (cr, s->font_family, s->font_size, FALSE, FALSE, message, f->x + 4,
                  f->y + f->h / 2 - s->font_size / 2, f->w - 8, DM_TEXT_CENTER);
}

/* The curve point used at threshold t (score >= t is positive): the last
 * point whose threshold is still at or above t. */
static guint
operating_point (const DmReportCurve *curve, double t)
{
  guint k = 0;

  while (k + 1 < curve->n_points && curve->threshold[k + 1] >= t)
    k++;
  return k;
}

static void
draw_point (cairo_t *cr, const DmPlotStyle *s, double x, double y)
{
  cairo_arc (cr, x, y, 0.35 * s->font_size, 0, 2 * G_PI);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_fill_preserve (cr);
  set_rgb (cr, s->threshold);
  cairo_set_line_width (cr, 1.0);
  cairo_stroke (cr);
}

static gboolean
curve_defined (const DmReportCurve *curve)
{
  return curve != NULL && curve->n_points > 1 && curve->n_positive > 0 && curve->n_negative > 0;
}

void
dm_plot_roc (cairo_t *cr,
             const cairo_rectangle_t *area,
             const DmPlotStyle *style,
             const DmReportCurve *curve,
             double auroc,
             double threshold)
{
  DmPlotStyle fallback;
  const DmPlotStyle *s = style_or_default (style, &fallback);
  Frame f;
  g_autofree char *value = dm_report_format_number (auroc, 4);
  g_autofree char *title = g_strdup_printf (_ ("ROC curve (AUROC %s)"), value);

  cairo_save (cr);
  frame_init (&f, area, s);
  f.x_lo = f.y_lo = 0.0;
  f.x_hi = f.y_hi = 1.0;
  draw_axes (cr, &f, s, _ ("False-positive rate"), _ ("True-positive rate"), 5, 5, 1, 1);
  draw_title (cr, &f, s, title);
  if (!curve_defined (curve))
    {
      draw_message (cr, &f, s,
                    _ ("Not defined: the test images need both normal and defect ones."));
      cairo_restore (cr);
      return;
    }
  /* chance */
  set_rgb (cr, s->grid);
  cairo_set_line_width (cr, 0.8);
  cairo_set_dash (cr, (double[]){ 3, 2 }, 2, 0);
  cairo_move_to (cr, fx (&f, 0), fy (&f, 0));
  cairo_line_to (cr, fx (&f, 1), fy (&f, 1));
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  set_rgb (cr, s->defect);
  cairo_set_line_width (cr, 1.3);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  for (guint k = 0; k < curve->n_points; k++)
    cairo_line_to (cr, fx (&f, curve->fpr[k]), fy (&f, curve->tpr[k]));
  cairo_stroke (cr);
  if (isfinite (threshold))
    {
      guint k = operating_point (curve, threshold);

      draw_point (cr, s, fx (&f, curve->fpr[k]), fy (&f, curve->tpr[k]));
    }
  cairo_restore (cr);
}

void
dm_plot_pr (cairo_t *cr,
            const cairo_rectangle_t *area,
            const DmPlotStyle *style,
            const DmReportCurve *curve,
            double ap,
            double threshold)
{
  DmPlotStyle fallback;
  const DmPlotStyle *s = style_or_default (style, &fallback);
  Frame f;
  g_autofree char *value = dm_report_format_number (ap, 4);
  g_autofree char *title = g_strdup_printf (_ ("Precision-recall curve (AP %s)"), value);
  double prevalence;

  cairo_save (cr);
  frame_init (&f, area, s);
  f.x_lo = f.y_lo = 0.0;
  f.x_hi = f.y_hi = 1.0;
  draw_axes (cr, &f, s, _ ("Recall"), _ ("Precision"), 5, 5, 1, 1);
  draw_title (cr, &f, s, title);
  if (!curve_defined (curve))
    {
      draw_message (cr, &f, s,
                    _ ("Not defined: the test images need both normal and defect ones."));
      cairo_restore (cr);
      return;
    }
  prevalence = (double)curve->n_positive / (double)(curve->n_positive + curve->n_negative);
  set_rgb (cr, s->grid);
  cairo_set_line_width (cr, 0.8);
  cairo_set_dash (cr, (double[]){ 3, 2 }, 2, 0);
  cairo_move_to (cr, fx (&f, 0), fy (&f, prevalence));
  cairo_line_to (cr, fx (&f, 1), fy (&f, prevalence));
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  /* a step curve, as AP sums it: precision holds until recall moves */
  set_rgb (cr, s->defect);
  cairo_set_line_width (cr, 1.3);
  cairo_move_to (cr, fx (&f, 0), fy (&f, curve->precision[1]));
  for (guint k = 1; k < curve->n_points; k++)
    {
      cairo_line_to (cr, fx (&f, curve->tpr[k]), fy (&f, curve->precision[k]));
      if (k + 1 < curve->n_points)
        cairo_line_to (cr, fx (&f, curve->tpr[k]), fy (&f, curve->precision[k + 1]));
    }
  cairo_stroke (cr);
  if (isfinite (threshold))
    {
      guint k = MAX (operating_point (curve, threshold), 1);

      draw_point (cr, s, fx (&f, curve->tpr[k]), fy (&f, curve->precision[k]));
    }
  cairo_restore (cr);
}

/* Tick step for a range: 1, 2 or 5 times a power of ten, about 5 ticks. */
static double
nice_step (double range)
{
  double raw = range / 5, p = pow (10, floor (log10 (raw))), m = raw / p;

  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void
vertical_line (cairo_t *cr, const Frame *f, double v)
{
  cairo_move_to (cr, fx (f, v), f->y);
  cairo_line_to (cr, fx (f, v), f->y + f->h);
}

void
dm_plot_histogram (cairo_t *cr,
                   const cairo_rectangle_t *area,
                   const DmPlotStyle *style,
                   const DmReportHistogram *hist,
                   double threshold,
                   gboolean has_band,
                   double band_low,
                   double band_high)
{
  DmPlotStyle fallback;
  const DmPlotStyle *s = style_or_default (style, &fallback);
  Frame f;
  guint top = 1;
  double bin_w = (hist->hi - hist->lo) / DM_REPORT_HISTOGRAM_BINS, step, first;
  int decimals;
  double fs = s->font_size, lx;

  for (int b = 0; b < DM_REPORT_HISTOGRAM_BINS; b++)
    top = MAX (top, MAX (hist->good[b], hist->defect[b]));
  cairo_save (cr);
  frame_init (&f, area, s);
  f.x_lo = hist->lo;
  f.x_hi = hist->hi;
  /* whole counts on the y axis: 4 ticks of a whole step */
  f.y_lo = 0;
  f.y_hi = 4.0 * ceil (top * 1.1 / 4.0);
  /* our own ticks on x: round numbers inside the scores' range */
  step = nice_step (hist->hi - hist->lo);
  decimals = CLAMP ((int)ceil (-log10 (step)), 0, 6);
  draw_axes (cr, &f, s, _ ("Image score"), _ ("Images"), 1, 4, decimals, 0);
  /* draw_axes put labels at both ends only; add the round ones between */
  set_rgb (cr, s->fg);
  first = ceil (hist->lo / step) * step;
  for (double v = first; v < hist->hi - 0.5 * step; v += step)
    if (v > hist->lo + 0.5 * step)
      {
        g_autofree char *label = dm_report_format_number (v, decimals);

        cairo_move_to (cr, fx (&f, v), f.y + f.h);
        cairo_rel_line_to (cr, 0, -3);
        cairo_stroke (cr);
        dm_report_text (cr, s->font_family, fs * 0.85, FALSE, FALSE, label, fx (&f, v),
                        f.y + f.h + 0.25 * fs, 0, DM_TEXT_CENTER);
      }
  draw_title (cr, &f, s, _ ("Score histogram"));

  if (has_band && isfinite (band_low) && isfinite (band_high))
    {
      cairo_set_source_rgba (cr, s->threshold[0], s->threshold[1], s->threshold[2], 0.10);
      cairo_rectangle (cr, fx (&f, band_low), f.y, fx (&f, band_high) - fx (&f, band_low), f.h);
      cairo_fill (cr);
    }
  for (int which = 0; which < 2; which++)
    {
      const guint *counts = which == 0 ? hist->good : hist->defect;
      const double *rgb = which == 0 ? s->good : s->defect;

      for (int b = 0; b < DM_REPORT_HISTOGRAM_BINS; b++)
        if (counts[b] > 0)
          cairo_rectangle (cr, fx (&f, hist->lo + b * bin_w), fy (&f, counts[b]),
                           fx (&f, hist->lo + (b + 1) * bin_w) - fx (&f, hist->lo + b * bin_w),
                           fy (&f, 0) - fy (&f, counts[b]));
      cairo_set_source_rgba (cr, rgb[0], rgb[1], rgb[2], 0.45);
      cairo_fill_preserve (cr);
      cairo_set_source_rgba (cr, rgb[0], rgb[1], rgb[2], 0.9);
      cairo_set_line_width (cr, 0.5);
      cairo_stroke (cr);
    }
  if (isfinite (threshold))
    {
      set_rgb (cr, s->threshold);
      cairo_set_line_width (cr, 1.2);
      vertical_line (cr, &f, threshold);
      cairo_stroke (cr);
    }
  if (has_band && isfinite (band_low) && isfinite (band_high))
    {
      set_rgb (cr, s->threshold);
      cairo_set_line_width (cr, 0.7);
      cairo_set_dash (cr, (double[]){ 2, 2 }, 2, 0);
      vertical_line (cr, &f, band_low);
      vertical_line (cr, &f, band_high);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
    }

  /* legend, top right inside the frame */
  lx = f.x + f.w - 0.5 * fs;
  {
    const char *labels[3] = { _ ("Normal"), _ ("Defect"), _ ("Threshold") };
    double y = f.y + 0.4 * fs;

    for (int i = 0; i < 3; i++)
      {
        double w;

        if (i == 2 && !isfinite (threshold))
          break;
        dm_report_text_size (cr, s->font_family, fs * 0.85, FALSE, labels[i], &w, NULL);
        if (i < 2)
          {
            const double *rgb = i == 0 ? s->good : s->defect;

            cairo_set_source_rgba (cr, rgb[0], rgb[1], rgb[2], 0.6);
            cairo_rectangle (cr, lx - w - 1.3 * fs, y + 0.15 * fs, 0.9 * fs, 0.8 * fs);
            cairo_fill (cr);
          }
        else
          {
            set_rgb (cr, s->threshold);
            cairo_set_line_width (cr, 1.2);
            cairo_move_to (cr, lx - w - 0.85 * fs, y + 0.1 * fs);
            cairo_rel_line_to (cr, 0, 0.9 * fs);
            cairo_stroke (cr);
          }
        set_rgb (cr, s->fg);
        dm_report_text (cr, s->font_family, fs * 0.85, FALSE, FALSE, labels[i], lx, y, 0,
                        DM_TEXT_RIGHT);
        y += 1.2 * fs;
      }
  }
  cairo_restore (cr);
}

void
dm_plot_confusion (cairo_t *cr,
                   const cairo_rectangle_t *area,
                   const DmPlotStyle *style,
                   const DmReportConfusion *confusion,
                   gboolean show_uncertain)
{
  DmPlotStyle fallback;
  const DmPlotStyle *s = style_or_default (style, &fallback);
  const DmReportDecision columns[3]
    = { DM_REPORT_DECISION_GOOD, DM_REPORT_DECISION_UNCERTAIN, DM_REPORT_DECISION_DEFECT };
  const char *col_titles[3]
    = { C_ ("decision", "Good"), C_ ("decision", "Uncertain"), C_ ("decision", "Defect") };
  const char *row_titles[2] = { C_ ("true label", "Normal"), C_ ("true label", "Defect") };
  double fs = s->font_size;
  int n_cols = show_uncertain ? 3 : 2;
  double left = area->x + 6.0 * fs, top = area->y + 4.2 * fs;
  double cell_w = MIN ((area->x + area->width - left) / n_cols, 7.5 * fs);
  double cell_h = MIN ((area->y + area->height - top) / 2, 4.0 * fs);

  cairo_save (cr);
  set_rgb (cr, s->fg);
  dm_report_text (cr, s->font_family, fs, TRUE, FALSE, _ ("Confusion matrix"),
                  area->x + 3.6 * fs + 2, area->y + 0.2 * fs, 0, DM_TEXT_LEFT);
  dm_report_text (cr, s->font_family, fs * 0.9, FALSE, FALSE, _ ("Decision"),
                  left + n_cols * cell_w / 2, area->y + 1.7 * fs, 0, DM_TEXT_CENTER);
  for (int r = 0; r < 2; r++)
    {
      guint row_total = 0;

      for (int c = 0; c < 3; c++)
        row_total += confusion->counts[r][columns[c]];
      set_rgb (cr, s->fg);
      dm_report_text (cr, s->font_family, fs * 0.9, FALSE, FALSE, row_titles[r], left - 0.4 * fs,
                      top + r * cell_h + cell_h / 2 - 0.6 * fs, 0, DM_TEXT_RIGHT);
      for (int k = 0, c = 0; k < 3; k++)
        {
          guint n;
          double frac, x, y;
          gboolean correct;
          g_autofree char *pct = NULL, *count = NULL;

          if (k == 1 && !show_uncertain)
            continue;
          n = confusion->counts[r][columns[k]];
          frac = row_total > 0 ? (double)n / row_total : 0.0;
          x = left + c * cell_w;
          y = top + r * cell_h;
          correct = (r == 0 && k == 0) || (r == 1 && k == 2);
          if (r == 0)
            {
              set_rgb (cr, s->fg);
              dm_report_text (cr, s->font_family, fs * 0.9, FALSE, FALSE, col_titles[k],
                              x + cell_w / 2, top - 1.3 * fs, 0, DM_TEXT_CENTER);
            }
          /* shade: the good or defect colour of the right answer, grey for errors */
          {
            const double *rgb = correct ? s->good : s->defect;

            cairo_set_source_rgba (cr, rgb[0], rgb[1], rgb[2], 0.08 + 0.5 * frac);
            cairo_rectangle (cr, x, y, cell_w, cell_h);
            cairo_fill (cr);
          }
          set_rgb (cr, s->fg);
          cairo_set_line_width (cr, 0.6);
          cairo_rectangle (cr, x, y, cell_w, cell_h);
          cairo_stroke (cr);
          count = g_strdup_printf ("%u", n);
          pct = dm_report_format_number (100.0 * frac, 1);
          dm_report_text (cr, s->font_family, fs * 1.2, TRUE, FALSE, count, x + cell_w / 2,
                          y + cell_h / 2 - 1.3 * fs, 0, DM_TEXT_CENTER);
          {
            g_autofree char *line = g_strdup_printf (_ ("%s %%"), pct);

            dm_report_text (cr, s->font_family, fs * 0.85, FALSE, FALSE, line, x + cell_w / 2,
                            y + cell_h / 2 + 0.2 * fs, 0, DM_TEXT_CENTER);
          }
          c++;
        }
    }
  /* the row axis title, turned */
  cairo_save (cr);
  cairo_translate (cr, area->x + 0.6 * fs, top + cell_h);
  cairo_rotate (cr, -G_PI / 2);
  set_rgb (cr, s->fg);
  dm_report_text (cr, s->font_family, fs * 0.9, FALSE, FALSE, _ ("True label"), 0, 0, 0,
                  DM_TEXT_CENTER);
  cairo_restore (cr);
  cairo_restore (cr);
}
