/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report's figures and files, computed and written in DmJob threads. */
#include "config.h"

#include <string.h>

#include "dm-project-report.h"
#include "dm-project-versions.h"
#include "dm-report-job.h"

gboolean
dm_report_job_has_results (const DmProject *project)
{
  g_autofree char *dir = dm_project_results_folder (project);
  g_autofree char *path = g_build_filename (dir, DM_RESULTS_FILE, NULL);

  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

/* ---- the figures ---- */

typedef struct
{
  char *folder;
  DmReportInput *input;
} Input;

static void
input_free (Input *in)
{
  g_free (in->folder);
  g_clear_pointer (&in->input, dm_report_input_free);
  g_free (in);
}

static gboolean
input_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  Input *in = data;
  g_autoptr (DmProject) project = dm_project_open (in->folder, error);
  g_autoptr (DmProjectResults) results = NULL;
  g_autofree char *dir = NULL;

  if (project == NULL)
    return FALSE;
  dir = dm_project_results_folder (project);
  results = dm_project_results_load (dir, error);
  if (results != NULL)
    in->input = dm_project_report_input (project, results, error);
  return in->input != NULL;
}

DmJob *
dm_report_job_new_input (const char *folder)
{
  Input *in = g_new0 (Input, 1);

  in->folder = g_strdup (folder);
  return dm_job_new (input_run, in, (GDestroyNotify)input_free);
}

DmReportInput *
dm_report_job_steal_input (DmJob *job)
{
  return g_steal_pointer (&((Input *)dm_job_get_data (job))->input);
}

/* ---- the files ---- */

typedef struct
{
  DmReportInput *input;
  DmReportOptions options;
  char *pdf_path;
} Write;

static void
write_free (Write *w)
{
  dm_report_input_free (w->input);
  g_free (w->pdf_path);
  g_free (w);
}

/* path with its .pdf (if any) replaced by ext */
static char *
sibling (const char *pdf_path, const char *ext)
{
  g_autofree char *stem = g_str_has_suffix (pdf_path, ".pdf")
                            ? g_strndup (pdf_path, strlen (pdf_path) - 4)
                            : g_strdup (pdf_path);
  return g_strconcat (stem, ext, NULL);
}

static gboolean
write_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  Write *w = data;
  g_autofree char *csv = sibling (w->pdf_path, ".csv");
  g_autofree char *json = sibling (w->pdf_path, ".json");

  w->input->omit_plots = !w->options.plots;
  w->input->omit_gallery = !w->options.gallery;
  return dm_report_write_pdf (w->input, w->options.paper, w->pdf_path, error)
         && (!w->options.csv || dm_report_write_csv (w->input, csv, error))
         && (!w->options.json || dm_report_write_json (w->input, json, error));
}

DmJob *
dm_report_job_new_write (DmReportInput *input, const DmReportOptions *options, const char *pdf_path)
{
  Write *w = g_new0 (Write, 1);

  w->input = input;
  w->options = *options;
  w->pdf_path = g_strdup (pdf_path);
  return dm_job_new (write_run, w, (GDestroyNotify)write_free);
}

const char *
dm_report_job_get_pdf_path (DmJob *job)
{
  return ((Write *)dm_job_get_data (job))->pdf_path;
}
