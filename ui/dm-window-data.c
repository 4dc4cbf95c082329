/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmWindow's data actions: import a whole dataset (MVTec AD folder, VisA
 * split file; chooser, path or drag and drop), read off the main thread
 * with progress on the Data page, and rename a class. Every change is
 * saved at once (dm_project_save, atomic). */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "dm-error.h"
#include "dm-window-private.h"

/* Imports wait in a queue (several folders dropped at once) and run one at
 * a time. Kept on the window as object data, so DmWindow's struct (shared
 * with the other window files) stays as it is. */
typedef struct
{
  GQueue paths; /* char*, waiting */
  gboolean running;
} ImportQueue;

static void
import_queue_free (gpointer data)
{
  ImportQueue *q = data;

  g_queue_clear_full (&q->paths, g_free);
  g_free (q);
}

static ImportQueue *
import_queue (DmWindow *self)
{
  ImportQueue *q = g_object_get_data (G_OBJECT (self), "dm-import-queue");

  if (q == NULL)
    {
      q = g_new0 (ImportQueue, 1);
      g_queue_init (&q->paths);
      g_object_set_data_full (G_OBJECT (self), "dm-import-queue", q, import_queue_free);
    }
  return q;
}

/* ---- import, off the main thread ---- */

typedef struct
{
  char *path;         /* what the user gave */
  char *project;      /* the folder of the project it is for */
  DmWindow *window;   /* for progress; the task holds a reference */
  DmDataset *dataset; /* result: its classes say their layout and source */
  gboolean not_a_dataset;
} ImportJob;

static void
import_job_free (gpointer data)
{
  ImportJob *job = data;

  g_free (job->path);
  g_free (job->project);
  g_clear_pointer (&job->dataset, dm_dataset_free);
  g_free (job);
}

typedef struct
{
  DmWindow *window;
  guint n_files;
} Progress;

static gboolean
show_progress (gpointer data)
{
  Progress *p = data;
  g_autofree char *text = g_strdup_printf (
    g_dngettext (GETTEXT_PACKAGE, "Reading %'u file…", "Reading %'u files…", p->n_files),
    p->n_files);

  /* data_page is NULL once the window is disposed */
  if (import_queue (p->window)->running && p->window->data_page != NULL)
    dm_data_page_set_busy (p->window->data_page, text, -1);
  return G_SOURCE_REMOVE;
}

static void
progress_free (gpointer data)
{
  Progress *p = data;

  g_object_unref (p->window);
  g_free (p);
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

static void
import_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ImportJob *job = task_data;
  Progress *progress = g_new0 (Progress, 1);
  GError *error = NULL;

  progress->window = g_object_ref (job->window);
  progress->n_files = count_files (job->path, 0);
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, show_progress, progress, progress_free);

  job->dataset = dm_dataset_load (job->path, DM_DATASET_CHECK_ALL, &error);
  if (job->dataset == NULL)
    {
      /* a folder of plain images: the caller adds it as one class */
      job->not_a_dataset = g_error_matches (error, DM_ERROR, DM_ERROR_UNSUPPORTED)
                           && g_file_test (job->path, G_FILE_TEST_IS_DIR);
      if (!job->not_a_dataset)
        {
          g_task_return_error (task, error);
          return;
        }
      g_clear_error (&error);
    }
  g_task_return_boolean (task, TRUE);
}

static void import_next (DmWindow *self);

/* Adds the classes found to the project, one per class of the dataset. */
static void
add_imported_classes (DmWindow *self, ImportJob *job)
{
  g_autoptr (GString) taken = g_string_new (NULL);
  guint added = 0;

  for (guint k = 0; k < job->dataset->n_classes; k++)
    {
      const DmDatasetClass *dc = &job->dataset->classes[k];
      /* the class folder, the VisA CSV or the Real-IAD JSON, as detected */
      DmProjectClass *c
        = dm_project_class_new (dc->name, dm_dataset_layout_name (dc->layout), dc->source);
      g_autoptr (GError) error = NULL;

      if (dm_project_add_class (self->project, c, &error))
        added++;
      else
        {
          g_string_append_printf (taken, "%s“%s”", taken->len > 0 ? ", " : "", dc->name);
          dm_project_class_free (c);
        }
    }
  if (added > 0 && dm_window_save_project (self))
    {
      g_autofree char *text = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "%u class imported", "%u classes imported", added), added);
      dm_window_toast (self, text);
    }
  if (taken->len > 0)
    {
      g_autofree char *text
        = g_strdup_printf (_ ("Already in the project, not imported again: %s"), taken->str);
      dm_window_toast (self, text);
    }
  dm_data_page_show_project (self->data_page, self->project);
  dm_window_reload_dataset (self);
}

static void
on_imported (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DmWindow *self = DM_WINDOW (source);
  ImportJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  import_queue (self)->running = FALSE;
  if (self->data_page != NULL)
    dm_data_page_set_busy (self->data_page, NULL, 0);
  /* the window was closed, or the project, or another one opened meanwhile */
  if (self->data_page == NULL || self->project == NULL
      || g_strcmp0 (self->project->folder, job->project) != 0)
    {
      g_queue_clear_full (&import_queue (self)->paths, g_free);
      return;
    }
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    dm_window_show_error (self, _ ("Could Not Import the Dataset"), error);
  else if (job->not_a_dataset)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.add-class-folder", "s", job->path);
  else
    add_imported_classes (self, job);
  import_next (self);
}

static void
import_next (DmWindow *self)
{
  ImportQueue *q = import_queue (self);
  g_autoptr (GTask) task = NULL;
  g_autofree char *display = NULL, *text = NULL;
  ImportJob *job;

  if (q->running || q->paths.length == 0 || self->project == NULL)
    return;
  job = g_new0 (ImportJob, 1);
  job->path = g_queue_pop_head (&q->paths);
  job->project = g_strdup (self->project->folder);
  job->window = self;
  q->running = TRUE;
  display = g_filename_display_name (job->path);
  text = g_strdup_printf (_ ("Looking for images in %s…"), display);
  dm_data_page_set_busy (self->data_page, text, -1);
  task = g_task_new (self, NULL, on_imported, NULL);
  g_task_set_task_data (task, job, import_job_free);
  g_task_run_in_thread (task, import_thread);
}

static void
import_path (DmWindow *self, const char *path)
{
  if (self->project == NULL)
    return;
  g_queue_push_tail (&import_queue (self)->paths, g_strdup (path));
  import_next (self);
}

static void
import_dataset_path_action (GtkWidget *widget, const char *name, GVariant *param)
{
  import_path (DM_WINDOW (widget), g_variant_get_string (param, NULL));
}

/* ---- choosers (GTK 4.8: GtkFileChooserNative) ---- */

static void
on_chooser_response (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  DmWindow *self = DM_WINDOW (user_data);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        import_path (self, path);
    }
  gtk_native_dialog_destroy (dialog);
  if (self->chooser == dialog)
    g_clear_object (&self->chooser);
}

static GtkFileChooser *
choose (DmWindow *self, const char *title, GtkFileChooserAction action)
{
  if (self->project == NULL)
    return NULL;
  if (self->chooser != NULL)
    {
      gtk_native_dialog_destroy (self->chooser);
      g_clear_object (&self->chooser);
    }
  self->chooser = GTK_NATIVE_DIALOG (
    gtk_file_chooser_native_new (title, GTK_WINDOW (self), action, _ ("_Import"), _ ("_Cancel")));
  gtk_native_dialog_set_modal (self->chooser, TRUE);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  return GTK_FILE_CHOOSER (self->chooser);
}

static void
import_dataset_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);

  if (choose (self, _ ("Import a Dataset Folder (MVTec AD or VisA)"),
              GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER)
      != NULL)
    gtk_native_dialog_show (self->chooser);
}

static void
import_visa_csv_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  g_autoptr (GtkFileFilter) csv = gtk_file_filter_new ();
  g_autoptr (GtkFileFilter) all = gtk_file_filter_new ();
  GtkFileChooser *chooser
    = choose (self, _ ("Import a VisA Split File"), GTK_FILE_CHOOSER_ACTION_OPEN);

  if (chooser == NULL)
    return;
  gtk_file_filter_set_name (csv, _ ("Split files (.csv)"));
  gtk_file_filter_add_pattern (csv, "*.csv");
  gtk_file_filter_add_pattern (csv, "*.CSV");
  gtk_file_filter_set_name (all, _ ("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (chooser, csv);
  gtk_file_chooser_add_filter (chooser, all);
  gtk_native_dialog_show (self->chooser);
}

/* ---- rename ---- */

/* The user's painted masks live under masks/<class>/: they follow the name. */
static void
move_masks (DmWindow *self, const char *old_name, const char *new_name)
{
  g_autofree char *masks = dm_project_subfolder (self->project, "masks");
  g_autofree char *from = g_build_filename (masks, old_name, NULL);
  g_autofree char *to = g_build_filename (masks, new_name, NULL);

  if (g_file_test (from, G_FILE_TEST_IS_DIR) && g_rename (from, to) != 0)
    {
      int saved = errno;
      g_autofree char *display = g_filename_display_name (from);
      g_autoptr (GError) error
        = g_error_new (G_IO_ERROR, g_io_error_from_errno (saved),
                       _ ("%s: cannot rename the folder: %s"), display, g_strerror (saved));

      dm_window_show_error (self, _ ("Could Not Move the Class’s Masks"), error);
    }
}

static void
rename_class_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  const char *old_name, *requested;
  g_autofree char *new_name = NULL;
  DmProjectClass *c;

  if (self->project == NULL)
    return;
  g_variant_get (param, "(&s&s)", &old_name, &requested);
  c = dm_project_find_class (self->project, old_name);
  new_name = g_strstrip (g_strdup (requested));
  if (c == NULL || g_strcmp0 (old_name, new_name) == 0)
    return;
  /* the name is a folder name under masks/ and a key everywhere else */
  if (new_name[0] == '\0' || strchr (new_name, '/') != NULL || strchr (new_name, '\\') != NULL
      || g_strcmp0 (new_name, ".") == 0 || g_strcmp0 (new_name, "..") == 0)
    {
      dm_window_toast (self, _ ("A class name cannot be empty or contain “/”"));
      return;
    }
  if (dm_project_find_class (self->project, new_name) != NULL)
    {
      g_autofree char *text
        = g_strdup_printf (_ ("There is already a class called “%s”"), new_name);
      dm_window_toast (self, text);
      return;
    }
  /* a VisA class is its CSV's object: remember which under the new name */
  if (g_strcmp0 (c->layout, "visa") == 0 && c->object == NULL)
    c->object = g_strdup (old_name);
  else if (g_strcmp0 (c->object, new_name) == 0)
    g_clear_pointer (&c->object, g_free);
  move_masks (self, old_name, new_name);
  g_free (c->name);
  c->name = g_strdup (new_name);
  if (dm_window_save_project (self))
    {
      g_autofree char *text = g_strdup_printf (_ ("Class renamed to “%s”"), new_name);
      dm_window_toast (self, text);
    }
  dm_data_page_show_project (self->data_page, self->project);
  dm_window_reload_dataset (self);
}

void
dm_window_class_init_data_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.import-dataset", NULL, import_dataset_action);
  gtk_widget_class_install_action (widget_class, "win.import-visa-csv", NULL,
                                   import_visa_csv_action);
  gtk_widget_class_install_action (widget_class, "win.import-dataset-path", "s",
                                   import_dataset_path_action);
  gtk_widget_class_install_action (widget_class, "win.rename-class", "(ss)", rename_class_action);
}
