/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Data page of a project: its classes and where their images come from. */
#include "config.h"

#include <glib/gi18n.h>

#include "dm-class-row.h"
#include "dm-data-page.h"
#include "dm-feedback.h"
#include "dm-import-job.h"
#include "dm-project-dataset.h"

#define N_THUMBNAILS 8

struct _DmDataPage
{
  AdwBin parent_instance;

  GtkStack *stack;
  AdwPreferencesGroup *classes_group;
  AdwPreferencesGroup *problems_group;
  AdwExpanderRow *problems_row;
  GtkRevealer *busy_revealer;
  GtkSpinner *busy_spinner;
  GtkLabel *busy_label;
  GtkProgressBar *busy_progress;
  GtkWidget *drop_hint;

  GPtrArray *rows;         /* DmClassRow* added to classes_group */
  GPtrArray *problem_rows; /* rows added to problems_row */
  DmOpenProject *project;  /* the open project, or NULL */
  DmThumbnailLoader *thumbnails;
  guint pulse_id;
  DmJob *count_job;        /* counting the project's images */
  DmImportJob *import_job; /* the running import */
  GQueue imports;          /* char *: paths waiting to be imported */
};

G_DEFINE_FINAL_TYPE (DmDataPage, dm_data_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_PROJECT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
clear_problems (DmDataPage *self)
{
  for (guint i = 0; i < self->problem_rows->len; i++)
    adw_expander_row_remove (self->problems_row, g_ptr_array_index (self->problem_rows, i));
  g_ptr_array_set_size (self->problem_rows, 0);
  gtk_widget_set_visible (GTK_WIDGET (self->problems_group), FALSE);
}

static void
add_problem (DmDataPage *self, const char *title, const char *message)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), message);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 4);
  adw_expander_row_add_row (self->problems_row, row);
  g_ptr_array_add (self->problem_rows, row);
}

static char *
counts_text (const DmDatasetClass *c)
{
  g_autofree char *train
    = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u good part for training",
                                    "%u good parts for training", c->n_train),
                       c->n_train);
  g_autofree char *held = g_strdup_printf (
    g_dngettext (GETTEXT_PACKAGE, "%u held out", "%u held out", c->n_holdout), c->n_holdout);
  g_autofree char *test = g_strdup_printf (_ ("test: %u good, %u defective, %u masks"),
                                           c->n_test_good, c->n_test_defect, c->n_masks);

  return g_strdup_printf ("%s (%s) · %s", train, held, test);
}

/* The first training images of class k (hold-out and test images are not
 * what the user recognises the class by). */
static void
show_thumbnails (DmDataPage *self, DmClassRow *row, const DmDataset *dataset, int k)
{
  const char *paths[N_THUMBNAILS];
  guint first = 0, n = 0;

  if (k >= 0)
    dm_dataset_class_range (dataset, (guint)k, DM_SPLIT_TRAIN, &first, &n);
  n = MIN (n, N_THUMBNAILS);
  for (guint i = 0; i < n; i++)
    paths[i] = dataset->samples[first + i].path;
  dm_class_row_set_images (row, self->thumbnails, paths, n);
}

/* What the classes hold; dataset NULL: still counting. */
static void
show_dataset (DmDataPage *self, const DmDataset *dataset, GPtrArray *class_errors)
{
  guint n_problems;

  clear_problems (self);
  for (guint i = 0; i < self->rows->len; i++)
    {
      DmClassRow *row = g_ptr_array_index (self->rows, i);
      int k = dataset != NULL ? dm_dataset_find_class (dataset, dm_class_row_get_name (row)) : -1;
      g_autofree char *counts = NULL;

      if (dataset == NULL)
        dm_class_row_set_counts (row, _ ("Counting images…"));
      else if (k < 0)
        dm_class_row_set_counts (row, _ ("No images found"));
      else
        {
          counts = counts_text (&dataset->classes[k]);
          dm_class_row_set_counts (row, counts);
        }
      if (dataset != NULL)
        show_thumbnails (self, row, dataset, k);
    }
  if (dataset == NULL)
    return;

  for (guint i = 0; class_errors != NULL && i < class_errors->len; i++)
    add_problem (self, _ ("Class not loaded"), g_ptr_array_index (class_errors, i));
  for (guint i = 0; i < dataset->n_problems; i++)
    {
      const DmDatasetProblem *problem = &dataset->problems[i];
      g_autofree char *base = g_path_get_basename (problem->path);

      add_problem (self, base, problem->message);
    }
  n_problems = self->problem_rows->len;
  if (n_problems > 0)
    {
      g_autofree char *title
        = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u problem with the data",
                                        "%u problems with the data", n_problems),
                           n_problems);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->problems_row), title);
      gtk_widget_set_visible (GTK_WIDGET (self->problems_group), TRUE);
    }
}

/* ---- counting the project's images, off the main thread ---- */

typedef struct
{
  char *folder;
  DmDataset *dataset;
  GPtrArray *class_errors; /* char * */
} Count;

static void
count_free (Count *c)
{
  g_free (c->folder);
  g_clear_pointer (&c->dataset, dm_dataset_free);
  g_clear_pointer (&c->class_errors, g_ptr_array_unref);
  g_free (c);
}

static gboolean
count_run (DmJob *job, gpointer data, GCancellable *cancellable, GError **error)
{
  Count *c = data;
  /* the project is saved at every change: the thread reads its own copy */
  g_autoptr (DmProject) project = dm_project_open (c->folder, error);

  if (project == NULL)
    return FALSE;
  c->dataset = dm_project_load_dataset (project, DM_DATASET_CHECK_ALL, c->class_errors, error);
  return c->dataset != NULL;
}

static void
on_counted (DmDataPage *self, DmJob *job)
{
  Count *c = dm_job_get_data (job);

  if (dm_job_get_state (job) == DM_JOB_SUCCEEDED)
    show_dataset (self, c->dataset, c->class_errors);
  else
    dm_feedback_toast (GTK_WIDGET (self), dm_job_get_error (job)->message);
}

/* The project's classes as rows, then their images counted anew. */
static void
show_classes (DmDataPage *self)
{
  DmProject *project = self->project != NULL ? dm_open_project_get_project (self->project) : NULL;
  Count *c;

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->classes_group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);
  for (guint i = 0; project != NULL && i < project->classes->len; i++)
    {
      GtkWidget *row = dm_class_row_new (g_ptr_array_index (project->classes, i));

      adw_preferences_group_add (self->classes_group, row);
      g_ptr_array_add (self->rows, row);
    }
  gtk_stack_set_visible_child_name (self->stack, self->rows->len > 0 ? "classes" : "empty");
  show_dataset (self, NULL, NULL);
  dm_job_clear (&self->count_job);
  if (project == NULL)
    return;
  c = g_new0 (Count, 1);
  c->folder = g_strdup (project->folder);
  c->class_errors = g_ptr_array_new_with_free_func (g_free);
  self->count_job = dm_job_new (count_run, c, (GDestroyNotify)count_free);
  g_signal_connect_swapped (self->count_job, "finished", G_CALLBACK (on_counted), self);
  dm_job_start (self->count_job);
}

/* ---- imports, one at a time ---- */

static void import_next (DmDataPage *self);

static void
on_import_progress (DmDataPage *self)
{
  guint n = dm_import_job_get_n_files (self->import_job);
  g_autofree char *text = g_strdup_printf (
    g_dngettext (GETTEXT_PACKAGE, "Reading %'u file…", "Reading %'u files…", n), n);

  dm_data_page_set_busy (self, text, -1);
}

static void
add_imported_classes (DmDataPage *self, DmImportJob *job)
{
  g_autoptr (GString) taken = g_string_new (NULL);
  guint added = dm_import_job_add_classes (job, dm_open_project_get_project (self->project), taken);

  if (added > 0 && dm_feedback_save (GTK_WIDGET (self), self->project, "classes"))
    {
      g_autofree char *text = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "%u class imported", "%u classes imported", added), added);
      dm_feedback_toast (GTK_WIDGET (self), text);
    }
  if (taken->len > 0)
    {
      g_autofree char *text
        = g_strdup_printf (_ ("Already in the project, not imported again: %s"), taken->str);
      dm_feedback_toast (GTK_WIDGET (self), text);
    }
}

static void
on_imported (DmDataPage *self, DmJob *job)
{
  DmImportJob *import = DM_IMPORT_JOB (job);

  g_object_ref (import);
  g_clear_object (&self->import_job);
  dm_data_page_set_busy (self, NULL, 0);
  if (dm_job_get_state (job) != DM_JOB_SUCCEEDED)
    dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Import the Dataset"),
                       dm_job_get_error (job));
  else if (dm_import_job_is_plain_folder (import))
    gtk_widget_activate_action (GTK_WIDGET (self), "win.add-class-folder", "s",
                                dm_import_job_get_path (import));
  else
    add_imported_classes (self, import);
  g_object_unref (import);
  import_next (self);
}

static void
import_next (DmDataPage *self)
{
  g_autofree char *path = NULL;
  g_autofree char *display = NULL, *text = NULL;

  if (self->import_job != NULL || self->imports.length == 0 || self->project == NULL)
    return;
  path = g_queue_pop_head (&self->imports);
  display = g_filename_display_name (path);
  text = g_strdup_printf (_ ("Looking for images in %s…"), display);
  dm_data_page_set_busy (self, text, -1);
  self->import_job = dm_import_job_new (path);
  g_signal_connect_swapped (self->import_job, "progress", G_CALLBACK (on_import_progress), self);
  g_signal_connect_swapped (self->import_job, "finished", G_CALLBACK (on_imported), self);
  dm_job_start (DM_JOB (self->import_job));
}

void
dm_data_page_import (DmDataPage *self, const char *path)
{
  g_return_if_fail (DM_IS_DATA_PAGE (self));

  if (self->project == NULL)
    return;
  g_queue_push_tail (&self->imports, g_strdup (path));
  import_next (self);
}

/* Imports and counts of the project before are forgotten. */
static void
drop_jobs (DmDataPage *self)
{
  g_queue_clear_full (&self->imports, g_free);
  if (self->import_job != NULL)
    {
      dm_job_clear ((DmJob **)&self->import_job);
      dm_data_page_set_busy (self, NULL, 0);
    }
  dm_job_clear (&self->count_job);
}

/* ---- the project ---- */

void
dm_data_page_set_project (DmDataPage *self, DmOpenProject *project)
{
  g_return_if_fail (DM_IS_DATA_PAGE (self));

  if (self->project == project)
    return;
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  drop_jobs (self);
  g_set_object (&self->project, project);
  if (project != NULL)
    g_signal_connect_object (project, "changed::classes", G_CALLBACK (show_classes), self,
                             G_CONNECT_SWAPPED);
  show_classes (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROJECT]);
}

DmOpenProject *
dm_data_page_get_project (DmDataPage *self)
{
  return self->project;
}

/* ---- the busy bar ---- */

static gboolean
pulse (gpointer data)
{
  DmDataPage *self = data;

  gtk_progress_bar_pulse (self->busy_progress);
  return G_SOURCE_CONTINUE;
}

void
dm_data_page_set_busy (DmDataPage *self, const char *text, double fraction)
{
  gboolean busy = text != NULL;

  gtk_revealer_set_reveal_child (self->busy_revealer, busy);
  gtk_spinner_set_spinning (self->busy_spinner, busy);
  if (busy)
    gtk_label_set_text (self->busy_label, text);
  if (busy && fraction >= 0)
    gtk_progress_bar_set_fraction (self->busy_progress, CLAMP (fraction, 0.0, 1.0));
  if (busy && fraction < 0 && self->pulse_id == 0)
    self->pulse_id = g_timeout_add (100, pulse, self);
  if (!busy || fraction >= 0)
    g_clear_handle_id (&self->pulse_id, g_source_remove);
}

gboolean
dm_data_page_is_busy (DmDataPage *self)
{
  return gtk_revealer_get_reveal_child (self->busy_revealer);
}

DmThumbnailLoader *
dm_data_page_get_thumbnail_loader (DmDataPage *self)
{
  return self->thumbnails;
}

guint
dm_data_page_get_n_thumbnails_shown (DmDataPage *self)
{
  guint n = 0;

  for (guint i = 0; i < self->rows->len; i++)
    n += dm_class_row_get_n_thumbnails_shown (g_ptr_array_index (self->rows, i));
  return n;
}

/* ---- drag and drop ---- */

static void
on_current_drop (GtkDropTarget *target, GParamSpec *pspec, DmDataPage *self)
{
  gtk_widget_set_visible (self->drop_hint, gtk_drop_target_get_current_drop (target) != NULL);
}

/* Each dropped folder or CSV is imported in turn (the window queues them). */
static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, DmDataPage *self)
{
  GSList *files;
  gboolean any = FALSE;

  gtk_widget_set_visible (self->drop_hint, FALSE);
  if (self->project == NULL || !G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = g_value_get_boxed (value);
  for (GSList *l = files; l != NULL; l = l->next)
    {
      g_autofree char *path = g_file_get_path (l->data);

      if (path == NULL)
        continue;
      any |= gtk_widget_activate_action (GTK_WIDGET (self), "win.import-dataset-path", "s", path);
    }
  return any;
}

static void
dm_data_page_dispose (GObject *object)
{
  DmDataPage *self = DM_DATA_PAGE (object);

  /* No gtk_widget_dispose_template: the bound overlay is the bin's own
   * child, which AdwBin unparents itself (doing both unparents it twice). */
  drop_jobs (self);
  if (self->project != NULL)
    g_signal_handlers_disconnect_by_data (self->project, self);
  g_clear_object (&self->project);
  g_clear_handle_id (&self->pulse_id, g_source_remove);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->problem_rows, g_ptr_array_unref);
  G_OBJECT_CLASS (dm_data_page_parent_class)->dispose (object);
}

static void
dm_data_page_finalize (GObject *object)
{
  DmDataPage *self = DM_DATA_PAGE (object);

  /* the rows are gone and have cancelled their requests; the loader lives
   * on (each waiting request holds it) until they have answered */
  g_clear_object (&self->thumbnails);
  G_OBJECT_CLASS (dm_data_page_parent_class)->finalize (object);
}

static void
dm_data_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PROJECT: g_value_set_object (value, DM_DATA_PAGE (object)->project); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_data_page_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_PROJECT:
      dm_data_page_set_project (DM_DATA_PAGE (object), g_value_get_object (value));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
dm_data_page_class_init (DmDataPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = dm_data_page_dispose;
  object_class->finalize = dm_data_page_finalize;
  object_class->get_property = dm_data_page_get_property;
  object_class->set_property = dm_data_page_set_property;
  properties[PROP_PROJECT]
    = g_param_spec_object ("project", NULL, NULL, DM_TYPE_OPEN_PROJECT,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/dinomaly/Studio/dm-data-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DmDataPage, stack);
  gtk_widget_class_bind_template_child (widget_class, DmDataPage, classes_group);
  gtk_widget_class_bind_template_child (widget_class, DmDataPage, problems_group);
  gtk_widget_class_bind_template_child (widget_class, DmDataPage, problems_row);
  gtk_widget_class_bind_template_child (widget_class, DmDataPage, busy_revealer);
  gtk_widget_class_bind_template_child (widget_class, DmDataPage, busy_spinner);
  gtk_widget_class_bind_template_child (widget_class, DmDataPage, busy_label);
  gtk_widget_class_bind_template_child (widget_class, DmDataPage, busy_progress);
  gtk_widget_class_bind_template_child (widget_class, DmDataPage, drop_hint);
}

static void
dm_data_page_init (DmDataPage *self)
{
  GtkDropTarget *target;

  g_type_ensure (DM_TYPE_CLASS_ROW);
  self->rows = g_ptr_array_new ();
  self->problem_rows = g_ptr_array_new ();
  g_queue_init (&self->imports);
  self->thumbnails = dm_thumbnail_loader_new (2, 512);
  gtk_widget_init_template (GTK_WIDGET (self));

  target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (target, "notify::current-drop", G_CALLBACK (on_current_drop), self);
  g_signal_connect (target, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
}
