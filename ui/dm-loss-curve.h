/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The live loss curve of the Train page, drawn with Cairo: every
 * iteration's loss (faint) and its running average (bold) over the
 * iterations of the schedule. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DM_TYPE_LOSS_CURVE (dm_loss_curve_get_type ())
G_DECLARE_FINAL_TYPE (DmLossCurve, dm_loss_curve, DM, LOSS_CURVE, GtkWidget)

GtkWidget *dm_loss_curve_new (void);

/* Forgets every point; the x axis spans [0, total_iters). */
void dm_loss_curve_reset (DmLossCurve *self, gint64 total_iters);
/* The loss of iteration `iteration`. Iterations come in order (a gap, as
 * after a resume, is fine); one not after the last point is ignored. */
void dm_loss_curve_append (DmLossCurve *self, gint64 iteration, float loss);
guint dm_loss_curve_get_n_points (DmLossCurve *self);

G_END_DECLS
