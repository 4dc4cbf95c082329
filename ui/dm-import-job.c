/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmImportJob: a dataset read in a DmJob thread, for the Data page. */
#include "config.h"

#include "dm-dataset.h"
#include "dm-error.h"
#include "dm-import-job.h"

struct _DmImportJob
{
  DmJob parent_instance;

  char *path;
  guint n_files;      /* worker writes it before its report: read after "progress" */
  DmDataset *dataset; /* result */
  gboolean plain_folder;
};

G_DEFINE_FINAL_TYPE (DmImportJob, dm_import_job, DM_TYPE_JOB)

enum
{
  PROP_0,
  PROP_N_FILES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

DmImportJob *
dm_import_job_new (const char *path)
{
  DmImportJob *self = g_object_new (DM_TYPE_IMPORT_JOB, NULL);

  self->path = g_strdup (path);
  return self;
}

const char *
dm_import_job_get_path (DmImportJob *self)
{
  return self->path;
}

guint
dm_import_job_get_n_files (DmImportJob *self)
{
  return (guint)g_atomic_int_get ((gint *)&self->n_files);
}

gboolean
dm_import_job_is_plain_folder (DmImportJob *self)
{
  return self->plain_folder;
}

/* Files under path (a CSV: the lines that name one), for "Reading N
 * files…"; only listing, so it is quick next to reading the headers. */
static guint
count_files (const char *path, int depth)
{
  g_autoptr (GDir) dir = NULL;
  const char *entry;
  guint n = 0;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *text = NULL;

      if (depth > 0 || !g_file_get_contents (path, &text, NULL, NULL))
        return 1;
      for (const char *p = text; *p != '\0'; p++)
        n += *p == '\n';
      return n > 0 ? n - 1 : 0;
    }
  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL || depth > 8)
    return 0;
  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, entry, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        n += count_files (child, depth + 1);
      else if (g_file_test (child, G_FILE_TEST_IS_REGULAR))
        n++;
    }
  return n;
}

static gboolean
dm_import_job_run (DmJob *job, GCancellable *cancellable, GError **error)
{
  DmImportJob *self = DM_IMPORT_JOB (job);
  GError *local = NULL;

  g_atomic_int_set ((gint *)&self->n_files, (gint)count_files (self->path, 0));
  dm_job_report_progress (job);
  /* the dataset's classes say their layout and source, which the project keeps */
  self->dataset = dm_dataset_load (self->path, DM_DATASET_CHECK_ALL, &local);
  if (self->dataset != NULL)
    return TRUE;
  /* a folder of plain images: the caller adds it as one class */
  self->plain_folder = g_error_matches (local, DM_ERROR, DM_ERROR_UNSUPPORTED)
                       && g_file_test (self->path, G_FILE_TEST_IS_DIR);
  if (self->plain_folder)
    {
      g_clear_error (&local);
      return TRUE;
    }
  g_propagate_error (error, local);
  return FALSE;
}

static void
dm_import_job_progress (DmJob *job)
{
  g_object_notify_by_pspec (G_OBJECT (job), properties[PROP_N_FILES]);
}

guint
dm_import_job_add_classes (DmImportJob *self, DmProject *project, GString *taken)
{
  guint added = 0;

  for (guint k = 0; self->dataset != NULL && k < self->dataset->n_classes; k++)
    {
      const DmDatasetClass *dc = &self->dataset->classes[k];
      /* the class folder, the VisA CSV or the Real-IAD JSON, as detected */
      DmProjectClass *c
        = dm_project_class_new (dc->name, dm_dataset_layout_name (dc->layout), dc->source);

      if (dm_project_add_class (project, c, NULL))
        added++;
      else
        {
          g_string_append_printf (taken, "%s“%s”", taken->len > 0 ? ", " : "", dc->name);
          dm_project_class_free (c);
        }
    }
  return added;
}

static void
dm_import_job_finalize (GObject *object)
{
  DmImportJob *self = DM_IMPORT_JOB (object);

  g_free (self->path);
  g_clear_pointer (&self->dataset, dm_dataset_free);
  G_OBJECT_CLASS (dm_import_job_parent_class)->finalize (object);
}

static void
dm_import_job_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_N_FILES:
      g_value_set_uint (value, dm_import_job_get_n_files (DM_IMPORT_JOB (object)));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_import_job_class_init (DmImportJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = dm_import_job_finalize;
  object_class->get_property = dm_import_job_get_property;
  DM_JOB_CLASS (klass)->run = dm_import_job_run;
  DM_JOB_CLASS (klass)->progress = dm_import_job_progress;
  properties[PROP_N_FILES]
    = g_param_spec_uint ("n-files", NULL, NULL, 0, G_MAXUINT, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
dm_import_job_init (DmImportJob *self)
{
}
