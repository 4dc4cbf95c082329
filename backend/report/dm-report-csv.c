/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's CSV: one row per test image with its decision (and the
 * sample and view of a multi-view image), and the number formatting that
 * the CSV and JSON share (a dot, whatever the locale, and the shortest
 * text that reads back exactly). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "dm-csv.h"
#include "dm-dataset.h"
#include "dm-file-util.h"
#include "dm-json-writer.h"
#include "dm-report-private.h"

void
dm_report_append_float (GString *s, float v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (v))
    {
      g_string_append (s, "null");
      return;
    }
  for (int digits = 6; digits <= 9; digits++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buf, sizeof buf, format, v);
      if ((float)g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (s, buf);
}

void
dm_report_append_sample_view (GString *csv, const char *path)
{
  g_autofree char *sample = NULL, *view = NULL;

  if (path != NULL && dm_dataset_sample_view (path, &sample, &view))
    {
      dm_csv_append_field (csv, sample);
      g_string_append_c (csv, ',');
      dm_csv_append_field (csv, view);
    }
  else
    g_string_append_c (csv, ',');
}

char *
dm_report_csv (const DmReportInput *input)
{
  GString *s = g_string_new ("class,path,label,score,decision,threshold," DM_VERDICT_CSV_COLUMNS
                             ",sample,view\n");

  for (guint c = 0; c < input->n_classes; c++)
    {
      const DmReportClass *k = &input->classes[c];

      for (guint i = 0; i < k->n_images; i++)
        {
          const DmReportImage *im = &k->images[i];
          g_autofree char *path = im->path != NULL ? g_filename_display_name (im->path) : NULL;

          dm_csv_append_field (s, k->name);
          g_string_append_c (s, ',');
          dm_csv_append_field (s, path);
          g_string_append (s, im->label ? ",defect," : ",good,");
          if (isfinite (im->score))
            dm_report_append_float (s, im->score);
          g_string_append_c (s, ',');
          g_string_append (s, dm_report_decision_name (dm_report_image_decision (k, i)));
          g_string_append_c (s, ',');
          if (k->threshold_source != DM_REPORT_THRESHOLD_NONE && isfinite (k->image_threshold))
            dm_json_append_number (s, k->image_threshold);
          g_string_append_c (s, ',');
          if (im->verdict != NULL)
            dm_verdict_append_csv (s, im->verdict);
          else
            g_string_append (s, ",,,,,");
          g_string_append_c (s, ',');
          dm_report_append_sample_view (s, im->path);
          g_string_append_c (s, '\n');
        }
    }
  return g_string_free (s, FALSE);
}

gboolean
dm_report_write_text (const char *path, const char *text, GError **error)
{
  DmAtomicFile file;

  if (!dm_atomic_file_begin (&file, path, error))
    return FALSE;
  if (!dm_atomic_file_write (&file, text, strlen (text), error))
    {
      dm_atomic_file_abort (&file);
      return FALSE;
    }
  return dm_atomic_file_commit (&file, error);
}

gboolean
dm_report_write_csv (const DmReportInput *input, const char *path, GError **error)
{
  g_autofree char *text = dm_report_csv (input);

  return dm_report_write_text (path, text, error);
}
