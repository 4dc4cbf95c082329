/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An evaluation folder on disk (scores, anomaly maps, ground-truth masks of
 * one class), read into the flat buffers that dm_metrics_compute takes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The folder, field by field:
 *   DIR/scores.csv           UTF-8 text, first line exactly `name,label,score`,
 *                            then one line per image: name (no comma, no
 *                            slash, unique), label (0 = normal, 1 =
 *                            anomalous), score (a float read as float32, "."
 *                            decimal point whatever the locale). Empty lines
 *                            and a final newline are allowed; CR LF too.
 *   DIR/maps/NAME_map.tiff   the anomaly map: one channel, 32-bit float; all
 *                            maps of the folder have the same size.
 *   DIR/masks/NAME_mask.png  the ground truth, the size of the map: a pixel
 *                            is a defect iff a colour sample is > 0 (0/255
 *                            gray in practice); no file = no defect.
 * Images are decoded by dm_image_load (by content, not by extension). */
typedef struct
{
  gsize n_images;
  int height; /* of every map and mask */
  int width;
  char **names;          /* (n_images + 1), NULL-terminated */
  float *scores;         /* (n_images) */
  guint8 *labels;        /* (n_images) 0/1 */
  float *maps;           /* (n_images, height, width) */
  guint8 *masks;         /* (n_images, height, width) 0/1 */
  gsize n_missing_masks; /* images without a mask file (all good) */
  /* defect images (label 1) among those: their pixels count as normal */
  gsize n_defect_without_mask;
  GPtrArray *missing_defect_masks; /* the first few of their mask names (char *) */
} DmMetricsInput;

/* Reads DIR as above. NULL and a GError naming the file (and the line of
 * scores.csv) and the problem: DM_ERROR_IO (missing or unreadable),
 * DM_ERROR_CORRUPT (a bad CSV line), DM_ERROR_UNSUPPORTED (a map that is not
 * one float channel), DM_ERROR_MISMATCH (sizes that differ), or what
 * dm_image_load said. */
DmMetricsInput *dm_metrics_input_load_dir (const char *dir, GError **error);
void dm_metrics_input_free (DmMetricsInput *input);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmMetricsInput, dm_metrics_input_free)

G_END_DECLS
