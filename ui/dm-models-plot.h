/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ROC and PR curves of two model versions on one plot each, side by
 * side, drawn with cairo for the Models page. */
#pragma once

#include <gtk/gtk.h>

#include "dm-models-data.h"

G_BEGIN_DECLS

/* Draws data's curves into width x height (nothing when it has none);
 * names: the two versions as the legend says them. fg: the text colour. */
void dm_models_plot_draw (cairo_t *cr,
                          int width,
                          int height,
                          const DmModelsData *data,
                          const char *const names[2],
                          const GdkRGBA *fg);

G_END_DECLS
