/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The paper's table: per class and the mean, the seven metrics in the
 * order the paper's tables and the official code's logs have them
 * (I-AUROC, I-AP, I-F1max, P-AUROC, P-AP, P-F1max, AUPRO) as percentages
 * with one decimal, so a row compares with the paper's at a glance. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "dm-csv.h"
#include "dm-report.h"

/* DmMetricId runs in the paper's order already; the headers are the
 * paper's. */
static const char *const headers[DM_METRIC_COUNT]
  = { "I-AUROC", "I-AP", "I-F1max", "P-AUROC", "P-AP", "P-F1max", "AUPRO" };

gboolean
dm_report_paper_format_from_name (const char *name, DmPaperTableFormat *format)
{
  static const char *const names[] = { "paper", "paper-csv", "paper-markdown" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (name, names[i]) == 0)
      {
        *format = (DmPaperTableFormat)i;
        return TRUE;
      }
  return FALSE;
}

/* 100 v with one decimal and a dot, whatever the locale; "" for NaN. A
 * value that rounds to zero is "0.0", never "-0.0" (an AUPRO may come out
 * as -0). */
static void
percent (char *buf, gsize size, double v)
{
  double p = 100.0 * v;

  if (isnan (v))
    buf[0] = '\0';
  else
    g_ascii_formatd (buf, (int)size, "%.1f", fabs (p) < 0.05 ? 0.0 : p);
}

static void
append_row (GString *s,
            DmPaperTableFormat format,
            const char *name,
            const DmMetrics *m,
            int name_width)
{
  if (format == DM_PAPER_TABLE_CSV)
    dm_csv_append_field (s, name);
  else if (format == DM_PAPER_TABLE_MARKDOWN)
    g_string_append_printf (s, "| %s |", name);
  else
    {
      g_string_append (s, name);
      for (int pad = (int)g_utf8_strlen (name, -1); pad < name_width; pad++)
        g_string_append_c (s, ' ');
    }
  for (int id = 0; id < DM_METRIC_COUNT; id++)
    {
      char value[G_ASCII_DTOSTR_BUF_SIZE];

      percent (value, sizeof value, dm_metrics_get (m, (DmMetricId)id));
      if (format == DM_PAPER_TABLE_CSV)
        g_string_append_printf (s, ",%s", value);
      else if (format == DM_PAPER_TABLE_MARKDOWN)
        g_string_append_printf (s, " %s |", value[0] != '\0' ? value : "-");
      else
        g_string_append_printf (s, " %*s", (int)MAX (strlen (headers[id]), 5),
                                value[0] != '\0' ? value : "-");
    }
  g_string_append_c (s, '\n');
}

char *
dm_report_paper_table (const char *const *names,
                       const DmMetrics *metrics,
                       guint n,
                       const DmMetrics *mean,
                       DmPaperTableFormat format)
{
  GString *s = g_string_new (NULL);
  int width = (int)strlen ("Mean");

  for (guint c = 0; c < n; c++)
    width = MAX (width, (int)g_utf8_strlen (names[c], -1));
  if (format == DM_PAPER_TABLE_CSV)
    g_string_append (s, "class");
  else if (format == DM_PAPER_TABLE_MARKDOWN)
    g_string_append (s, "| Class |");
  else
    g_string_append_printf (s, "%-*s", width, "Class");
  for (int id = 0; id < DM_METRIC_COUNT; id++)
    if (format == DM_PAPER_TABLE_CSV)
      g_string_append_printf (s, ",%s", headers[id]);
    else if (format == DM_PAPER_TABLE_MARKDOWN)
      g_string_append_printf (s, " %s |", headers[id]);
    else
      g_string_append_printf (s, " %*s", (int)MAX (strlen (headers[id]), 5), headers[id]);
  g_string_append_c (s, '\n');
  if (format == DM_PAPER_TABLE_MARKDOWN)
    {
      g_string_append (s, "|---|");
      for (int id = 0; id < DM_METRIC_COUNT; id++)
        g_string_append (s, "---:|");
      g_string_append_c (s, '\n');
    }
  for (guint c = 0; c < n; c++)
    append_row (s, format, names[c], &metrics[c], width);
  append_row (s, format, format == DM_PAPER_TABLE_MARKDOWN ? "**Mean**" : "Mean", mean, width);
  return g_string_free (s, FALSE);
}

char *
dm_report_input_paper_table (const DmReportInput *input, DmPaperTableFormat format)
{
  g_autofree const char **names = g_new0 (const char *, MAX (input->n_classes, 1));
  g_autofree DmMetrics *metrics = g_new0 (DmMetrics, MAX (input->n_classes, 1));

  for (guint c = 0; c < input->n_classes; c++)
    {
      names[c] = input->classes[c].name;
      metrics[c] = input->classes[c].metrics;
    }
  return dm_report_paper_table (names, metrics, input->n_classes, &input->mean, format);
}
