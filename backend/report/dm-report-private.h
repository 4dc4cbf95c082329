/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the report's writers share inside backend/report: Pango text on
 * cairo, locale-formatted numbers, simple tables, JPEG thumbnails. */
#pragma once

#include <cairo.h>
#include <glib.h>

#include "dm-report.h"

G_BEGIN_DECLS

typedef enum
{
  DM_TEXT_LEFT,
  DM_TEXT_CENTER,
  DM_TEXT_RIGHT,
} DmTextAlign;

/* Draws text (Pango markup when markup, else plain) with its top-left
 * corner at (x, y), wrapped at width (<= 0: no wrapping, the alignment
 * then refers to x as the left edge, centre or right edge), in the
 * current cairo source colour. Returns the height used. */
double dm_report_text (cairo_t *cr,
                       const char *family,
                       double size,
                       gboolean bold,
                       gboolean markup,
                       const char *text,
                       double x,
                       double y,
                       double width,
                       DmTextAlign align);
/* The width and height the text would take (no wrapping). */
void dm_report_text_size (cairo_t *cr,
                          const char *family,
                          double size,
                          gboolean bold,
                          const char *text,
                          double *width,
                          double *height);

/* v with `decimals` decimals in the locale's format, or an en dash for NaN. */
char *dm_report_format_number (double v, int decimals);

/* A table: n_cols columns whose widths are given in points; the first row
 * of cells is the header (bold, on a grey band); rows alternate a light
 * tint. cells: (n_rows, n_cols) strings, NULL for empty. align per
 * column. Returns the height drawn. */
double dm_report_table (cairo_t *cr,
                        const char *family,
                        double size,
                        double x,
                        double y,
                        const double *col_widths,
                        const DmTextAlign *align,
                        int n_cols,
                        const char *const *cells,
                        int n_rows);
/* The height dm_report_table would use for n_rows rows. */
double dm_report_table_height (cairo_t *cr, const char *family, double size, int n_rows);

/* The thumbnail of a gallery image, max_side pixels at most on its longer
 * side: the heatmap over the original image (dm-overlay.h; what the rules'
 * region of interest leaves out hatched, the defect regions outlined), or
 * the map
 * alone when the image cannot be read, or the image alone without a map.
 * An RGB24 cairo surface with its JPEG bytes attached
 * (CAIRO_MIME_TYPE_JPEG), so a PDF surface embeds the JPEG. With keep
 * (g_free elements) the JPEG bytes are added there and must outlive the
 * surface's use (until cairo_surface_finish); else the surface owns them.
 * NULL (with
 * the reason in error) when there is nothing to show. */
cairo_surface_t *dm_report_thumbnail (const DmReportImage *image,
                                      int resize,
                                      int crop,
                                      double pixel_threshold,
                                      const DmRules *rules,
                                      int max_side,
                                      int jpeg_quality,
                                      GPtrArray *keep,
                                      GError **error);

void dm_report_append_float (GString *s, float v);

/* ---- inspection rules and defect regions (dm-report-regions.c) ---- */

/* The class's rules in sentences (translated), or NULL without rules. */
char *dm_report_rules_sentence (const DmReportClass *klass);
/* "3 regions, largest 0.42 mm²" ("no region"), sizes in mm with a
 * calibration, else px. */
char *dm_report_regions_text (const DmReportClass *klass, const DmVerdict *verdict);
char *dm_report_area_text (const DmReportClass *klass, const DmRegion *region);
char *dm_report_length_text (const DmReportClass *klass, double length_px, double length_mm);
/* The rule that decided, in words ("region area"); "" for none. */
const char *dm_report_rule_text (DmRule rule);
/* The images the regions table lists (those with regions: a region rule's
 * failures first, then by their largest region), at most max_rows of them
 * into rows; returns how many. */
guint dm_report_regions_rows (const DmReportClass *klass, guint max_rows, guint *rows);
/* The five cells of image i's row (file, regions, largest area, longest
 * extent, rule); the strings made are added to owned. */
void
dm_report_regions_cells (const DmReportClass *klass, guint i, GPtrArray *owned, const char **row);

/* text to path, atomically (dm-file-util.h). */
gboolean dm_report_write_text (const char *path, const char *text, GError **error);

G_END_DECLS
