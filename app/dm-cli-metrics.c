/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly metrics DIR [--json OUT]`: the seven benchmark metrics of one
 * evaluation folder (scores.csv, maps/, masks/), printed and saved as JSON. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>

#include "dm-cli.h"
#include "dm-metrics-dir.h"
#include "dm-metrics.h"

/* {"image_auroc": ..., ..., "aupro": ..., "notes": {metric: why it is null},
 *  "diagnostics": {...}}: NaN is written as null (JSON has no NaN). */
static gboolean
write_json (const char *path, const DmMetricsInput *in, const DmMetrics *m, GError **error)
{
  g_autoptr (DmJsonWriter) b = dm_json_writer_new (TRUE);

  dm_json_writer_begin_object (b);
  dm_metrics_write_json (b, m);
  dm_json_writer_key (b, "diagnostics");
  dm_json_writer_begin_object (b);
  dm_json_writer_member_int (b, "n_images", (gint64)m->n_images);
  dm_json_writer_member_int (b, "n_anomalous", (gint64)m->n_anomalous);
  dm_json_writer_member_int (b, "width", in->width);
  dm_json_writer_member_int (b, "height", in->height);
  dm_json_writer_member_int (b, "n_defect_pixels", (gint64)m->n_defect_pixels);
  dm_json_writer_member_int (b, "n_missing_masks", (gint64)in->n_missing_masks);
  dm_json_writer_member_int (b, "aupro_thresholds", m->aupro_thresholds);
  dm_json_writer_member_int (b, "aupro_regions", (gint64)m->aupro_regions);
  dm_json_writer_end_object (b);
  dm_json_writer_end_object (b);

  return dm_json_writer_write_file (b, path, error);
}

int
dm_cli_metrics (int argc, char **argv)
{
  g_autofree char *json_path = NULL;
  g_autoptr (DmMetricsInput) in = NULL;
  g_autoptr (GError) error = NULL;
  DmMetrics m;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path, "Also write the metrics as JSON to FILE",
      "FILE" },
    { NULL },
  };

  if (!dm_cli_parse ("metrics", "DIR",
                     "The seven metrics of one class: image AUROC, AP, F1-max; pixel AUROC, AP,\n"
                     "F1-max; AUPRO at FPR 0.3 (as the official Dinomaly evaluation).\n\n"
                     "DIR holds scores.csv (name,label,score), maps/NAME_map.tiff (one float\n"
                     "channel) and masks/NAME_mask.png (0 = good; a missing mask = all good).",
                     entries, &argc, &argv))
    return DM_CLI_USAGE;
  if (argc != 2)
    {
      g_printerr ("dinomaly metrics: want one folder, got %d\nTry 'dinomaly metrics --help'.\n",
                  argc - 1);
      return DM_CLI_USAGE;
    }

  in = dm_metrics_input_load_dir (argv[1], &error);
  if (in == NULL
      || !dm_metrics_compute (in->scores, in->labels, in->n_images, in->maps, in->masks, in->height,
                              in->width, &m, &error))
    {
      dm_cli_print_error ("metrics", error);
      return DM_CLI_FAILED;
    }

  if (in->n_defect_without_mask > 0)
    {
      g_autofree char *names = NULL;

      g_ptr_array_add (in->missing_defect_masks, NULL);
      names = g_strjoinv (", ", (char **)in->missing_defect_masks->pdata);
      g_printerr ("dinomaly metrics: warning: %s: %" G_GSIZE_FORMAT
                  " defect image%s without a mask "
                  "(%s%s): %s pixels count as normal in the pixel metrics and AUPRO\n",
                  argv[1], in->n_defect_without_mask, in->n_defect_without_mask == 1 ? "" : "s",
                  names, in->n_defect_without_mask > in->missing_defect_masks->len - 1 ? ", …" : "",
                  in->n_defect_without_mask == 1 ? "its" : "their");
    }
  printf ("%s: %" G_GUINT64_FORMAT " images (%" G_GUINT64_FORMAT
          " anomalous), maps %d x %d, %" G_GUINT64_FORMAT " defect pixels in %" G_GUINT64_FORMAT
          " regions\n",
          argv[1], m.n_images, m.n_anomalous, in->width, in->height, m.n_defect_pixels,
          m.aupro_regions);
  for (int id = 0; id < DM_METRIC_COUNT; id++)
    {
      double v = dm_metrics_get (&m, id);

      if (isnan (v))
        printf ("  %-12s nan (%s)\n", dm_metric_name (id), dm_metric_status_message (m.status[id]));
      else
        printf ("  %-12s %.10f\n", dm_metric_name (id), v);
    }

  if (json_path != NULL && !write_json (json_path, in, &m, &error))
    {
      dm_cli_print_error ("metrics", error);
      return DM_CLI_FAILED;
    }
  return DM_CLI_OK;
}
