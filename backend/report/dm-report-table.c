/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Text and tables for the report's pages: Pango layouts on cairo, numbers
 * in the locale's format, and a plain ruled table. */
#include "config.h"

#include <math.h>
#include <pango/pangocairo.h>

#include "dm-report-private.h"

static PangoLayout *
make_layout (cairo_t *cr, const char *family, double size, gboolean bold)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *font = pango_font_description_new ();
  PangoContext *context = pango_layout_get_context (layout);
  cairo_font_options_t *options = cairo_font_options_create ();

  /* No hinting: the same layout on every surface and at every scale. */
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options (context, options);
  cairo_font_options_destroy (options);
  pango_layout_context_changed (layout);
  pango_font_description_set_family (font, family != NULL ? family : "Sans");
  pango_font_description_set_absolute_size (font, size * PANGO_SCALE);
  pango_font_description_set_weight (font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  return layout;
}

double
dm_report_text (cairo_t *cr,
                const char *family,
                double size,
                gboolean bold,
                gboolean markup,
                const char *text,
                double x,
                double y,
                double width,
                DmTextAlign align)
{
  g_autoptr (PangoLayout) layout = make_layout (cr, family, size, bold);
  int w, h;

  if (markup)
    pango_layout_set_markup (layout, text, -1);
  else
    pango_layout_set_text (layout, text, -1);
  if (width > 0)
    {
      pango_layout_set_width (layout, (int)(width * PANGO_SCALE));
      pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
      pango_layout_set_alignment (layout, align == DM_TEXT_CENTER  ? PANGO_ALIGN_CENTER
                                          : align == DM_TEXT_RIGHT ? PANGO_ALIGN_RIGHT
                                                                   : PANGO_ALIGN_LEFT);
    }
  pango_layout_get_size (layout, &w, &h);
  if (width <= 0 && align == DM_TEXT_CENTER)
    x -= (double)w / PANGO_SCALE / 2;
  else if (width <= 0 && align == DM_TEXT_RIGHT)
    x -= (double)w / PANGO_SCALE;
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
  cairo_new_path (cr);
  return (double)h / PANGO_SCALE;
}

void
dm_report_text_size (cairo_t *cr,
                     const char *family,
                     double size,
                     gboolean bold,
                     const char *text,
                     double *width,
                     double *height)
{
  g_autoptr (PangoLayout) layout = make_layout (cr, family, size, bold);
  int w, h;

  pango_layout_set_text (layout, text, -1);
  pango_layout_get_size (layout, &w, &h);
  if (width != NULL)
    *width = (double)w / PANGO_SCALE;
  if (height != NULL)
    *height = (double)h / PANGO_SCALE;
}

char *
dm_report_format_number (double v, int decimals)
{
  if (!isfinite (v))
    return g_strdup ("\u2013");
  if (v == 0.0)
    v = 0.0; /* no "-0.0000" */
  /* printf follows LC_NUMERIC, which the application sets from the
   * environment: a decimal comma where the user's locale has one */
  return g_strdup_printf ("%.*f", decimals, v);
}

/* ---- tables ---------------------------------------------------------------------- */

#define ROW_PAD 3.0

double
dm_report_table_height (cairo_t *cr, const char *family, double size, int n_rows)
{
  double h;

  dm_report_text_size (cr, family, size, TRUE, "Ag", NULL, &h);
  return n_rows * (h + 2 * ROW_PAD);
}

double
dm_report_table (cairo_t *cr,
                 const char *family,
                 double size,
                 double x,
                 double y,
                 const double *col_widths,
                 const DmTextAlign *align,
                 int n_cols,
                 const char *const *cells,
                 int n_rows)
{
  double row_h = dm_report_table_height (cr, family, size, 1), total_w = 0;

  for (int c = 0; c < n_cols; c++)
    total_w += col_widths[c];
  cairo_save (cr);
  for (int r = 0; r < n_rows; r++)
    {
      double cy = y + r * row_h, cx = x;

      if (r == 0 || r % 2 == 0)
        {
          if (r == 0)
            cairo_set_source_rgb (cr, 0.86, 0.88, 0.91);
          else
            cairo_set_source_rgb (cr, 0.95, 0.96, 0.97);
          cairo_rectangle (cr, x, cy, total_w, row_h);
          cairo_fill (cr);
        }
      cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
      for (int c = 0; c < n_cols; c++)
        {
          const char *text = cells[r * n_cols + c];
          double pad = 4.0, tx;

          if (text != NULL)
            {
              /* clip each cell: a long name must not run into the next column */
              cairo_save (cr);
              cairo_rectangle (cr, cx, cy, col_widths[c], row_h);
              cairo_clip (cr);
              tx = align[c] == DM_TEXT_RIGHT    ? cx + col_widths[c] - pad
                   : align[c] == DM_TEXT_CENTER ? cx + col_widths[c] / 2
                                                : cx + pad;
              dm_report_text (cr, family, size, r == 0, FALSE, text, tx, cy + ROW_PAD, 0, align[c]);
              cairo_restore (cr);
            }
          cx += col_widths[c];
        }
    }
  /* rules: above and below the header, at the bottom */
  cairo_set_source_rgb (cr, 0.3, 0.3, 0.3);
  cairo_set_line_width (cr, 0.6);
  cairo_move_to (cr, x, y);
  cairo_rel_line_to (cr, total_w, 0);
  cairo_move_to (cr, x, y + row_h);
  cairo_rel_line_to (cr, total_w, 0);
  cairo_move_to (cr, x, y + n_rows * row_h);
  cairo_rel_line_to (cr, total_w, 0);
  cairo_stroke (cr);
  cairo_restore (cr);
  return n_rows * row_h;
}
