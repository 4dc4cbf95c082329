/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Perceptual colour maps for heatmaps: 256-entry sRGB tables, shared by the
 * command line's overlays and the window's heatmap views. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  /* Sequential, inferno-like, designed in OKLab for this project
   * (backend/image/make-colormap.py): lightness rises linearly from near
   * black (violet) through magenta, red and orange to pale yellow, so the
   * order reads in grey scale and with colour-vision deficiencies. */
  DM_COLORMAP_EMBER,
  /* viridis (matplotlib's default), perceptually uniform and safe for the
   * common colour-vision deficiencies: dark blue-violet to yellow. */
  DM_COLORMAP_VIRIDIS,
} DmColormap;

/* "ember", "viridis": the names the settings and options use. */
const char *dm_colormap_name (DmColormap map);
/* The map called name; FALSE (map untouched) for an unknown name. */
gboolean dm_colormap_from_name (const char *name, DmColormap *map);

/* The table: 256 entries of R, G, B. */
const guint8 (*dm_colormap_table (DmColormap map))[3];

/* The colour at t in [0, 1] (clamped; NaN is 0): the nearest entry. */
void dm_colormap_lookup (DmColormap map, float t, guint8 rgb[3]);

G_END_DECLS
