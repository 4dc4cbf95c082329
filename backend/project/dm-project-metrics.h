/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The seven metrics of a class of a scored project, by the protocol of
 * `dinomaly eval`, with what the user said overruling the dataset: a
 * user's label replaces the folder's, a mask the user painted replaces the
 * ground-truth mask (both through the same resize, crop and nearest 256 x
 * 256 as in evaluation). With no labels or masks of the user the numbers
 * are those of `dinomaly eval` on the same model and data, bit for bit. A
 * class's region of interest (its rules) applies as in eval: scores over
 * the inspected map pixels, pixel metrics over them alone.
 * Blocking (masks are decoded): run it off the main thread. */
#pragma once

#include <glib.h>

#include "dm-metrics.h"
#include "dm-project-results.h"
#include "dm-project.h"

G_BEGIN_DECLS

typedef struct
{
  guint n;           /* the class's test images */
  guint *image;      /* (n) index into the result class's images */
  float *scores;     /* (n) over the class's region of interest, if any */
  guint8 *labels;    /* (n) 1 defect: the user's label, else the dataset's */
  guint8 *has_truth; /* (n) good, or defect with a usable mask */
  float *maps;       /* (n, 256, 256) */
  guint8 *masks;     /* (n, 256, 256) 0/1 */
  guint8 *inspected; /* (256, 256) 1 inside the region of interest; NULL: all */
  guint n_user_labels, n_user_masks;
  GPtrArray *failures; /* char *: masks that could not be read */
  DmMetrics metrics;
} DmProjectClassEval;

void dm_project_class_eval_free (DmProjectClassEval *eval);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmProjectClassEval, dm_project_class_eval_free)

/* Class c of results, with project's labels and painted masks (project may
 * be NULL: the dataset's alone). NULL with a GError when the maps cannot
 * be read or memory runs out; a class without test images has n = 0 and
 * NaN metrics. */
DmProjectClassEval *dm_project_class_eval (DmProjectResults *results,
                                           guint c,
                                           const DmProject *project,
                                           GError **error);

/* The pixel threshold where F1 over the pixels of the images with ground
 * truth (has_truth, inside the region of interest) is highest: the pixels
 * the pixel F1-max of the metrics counts, cut by dm_threshold_f1_optimal
 * (a map value at or above it is a region). f1 (may be NULL) receives the
 * F1 reached. NAN (f1 0) when no pixel of a mask is a defect. */
double dm_project_class_eval_pixel_f1_optimal (const DmProjectClassEval *eval, double *f1);

G_END_DECLS
