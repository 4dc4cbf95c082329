/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DmWindow's project actions: new, open (chooser, recent or path), close,
 * the demo; the classes (add from a folder, import a dataset, rename,
 * remove with undo) and the backbone. Every change to the project is saved
 * at once (atomically, by dm_project_save) and the pages follow it through
 * "changed". */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "dm-class-folders.h"
#include "dm-feedback.h"
#include "dm-project-audit.h"
#include "dm-start-page.h"
#include "dm-vit-random.h"
#include "dm-window-private.h"

static void
toast (DmWindow *self, const char *text)
{
  dm_feedback_toast (GTK_WIDGET (self->toast_overlay), text);
}

static gboolean
save (DmWindow *self, const char *part)
{
  return dm_feedback_save (GTK_WIDGET (self), self->project, part);
}

static DmProject *
project (DmWindow *self)
{
  return self->project != NULL ? dm_open_project_get_project (self->project) : NULL;
}

/* ---- opening and closing ---- */

static void
open_folder (DmWindow *self, const char *folder)
{
  g_autoptr (GError) error = NULL;
  DmProject *opened = dm_project_open (folder, &error);

  if (opened == NULL)
    dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Open the Project"), error);
  else
    dm_window_set_project (self, opened);
}

static void
create_in_folder (DmWindow *self, const char *folder)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_path_get_basename (folder);
  DmProject *created = dm_project_create (folder, name, &error);

  if (created == NULL)
    dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Create the Project"), error);
  else
    dm_window_set_project (self, created);
}

static void
on_new_chosen (DmWindow *self, const char *const *paths)
{
  create_in_folder (self, paths[0]);
}

static void
on_open_chosen (DmWindow *self, const char *const *paths)
{
  open_folder (self, paths[0]);
}

static void
new_project_action (GtkWidget *widget, const char *name, GVariant *param)
{
  GtkFileChooser *chooser
    = dm_window_choose (DM_WINDOW (widget), _ ("New Project"), GTK_FILE_CHOOSER_ACTION_SAVE,
                        _ ("_Create"), on_new_chosen);

  gtk_file_chooser_set_current_name (chooser, _ ("New Project"));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
open_project_action (GtkWidget *widget, const char *name, GVariant *param)
{
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (
    dm_window_choose (DM_WINDOW (widget), _ ("Open Project"), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                      _ ("_Open"), on_open_chosen)));
}

static void
new_project_folder_action (GtkWidget *widget, const char *name, GVariant *param)
{
  create_in_folder (DM_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
open_project_folder_action (GtkWidget *widget, const char *name, GVariant *param)
{
  open_folder (DM_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
close_project_action (GtkWidget *widget, const char *name, GVariant *param)
{
  dm_window_set_project (DM_WINDOW (widget), NULL);
}

/* ---- the demo project (the start page makes it) ---- */

static void
open_demo_action (GtkWidget *widget, const char *name, GVariant *param)
{
  GtkWidget *start = gtk_stack_get_child_by_name (DM_WINDOW (widget)->main_stack, "start");

  dm_start_page_open_demo (DM_START_PAGE (start));
}

/* ---- classes ---- */

/* Adds the classes a folder holds: a single MVTec class (train/good), an
 * MVTec dataset root (several such class folders), or a plain folder of
 * normal images. */
static void
add_classes_from_folder (DmWindow *self, const char *folder)
{
  g_autofree char *train_good = g_build_filename (folder, "train", "good", NULL);
  g_autoptr (GPtrArray) found
    = g_ptr_array_new_with_free_func ((GDestroyNotify)dm_project_class_free);
  g_autoptr (GError) error = NULL;
  guint added = 0;

  if (g_file_test (train_good, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *name = g_path_get_basename (folder);
      g_ptr_array_add (found, dm_project_class_new (name, "mvtec", folder));
    }
  else
    {
      g_autoptr (GDir) dir = g_dir_open (folder, 0, NULL);
      const char *entry;

      while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *sub = g_build_filename (folder, entry, NULL);
          g_autofree char *sub_good = g_build_filename (sub, "train", "good", NULL);

          if (g_file_test (sub_good, G_FILE_TEST_IS_DIR))
            g_ptr_array_add (found, dm_project_class_new (entry, "mvtec", sub));
        }
      if (found->len == 0)
        {
          g_autofree char *name = g_path_get_basename (folder);
          g_ptr_array_add (found, dm_project_class_new (name, "folders", folder));
        }
    }

  while (found->len > 0)
    {
      DmProjectClass *c = g_ptr_array_steal_index (found, 0);

      if (dm_project_add_class (project (self), c, &error))
        added++;
      else
        {
          toast (self, error->message);
          g_clear_error (&error);
          dm_project_class_free (c);
        }
    }
  if (added > 0 && save (self, "classes"))
    {
      g_autofree char *text = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "%u class added", "%u classes added", added), added);
      toast (self, text);
    }
}

static void
on_class_folder_chosen (DmWindow *self, const char *const *paths)
{
  add_classes_from_folder (self, paths[0]);
}

static void
add_class_action (GtkWidget *widget, const char *name, GVariant *param)
{
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (
    dm_window_choose (DM_WINDOW (widget), _ ("Add Class from Folder"),
                      GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _ ("_Add"), on_class_folder_chosen)));
}

static void
add_class_folder_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);

  if (self->project != NULL)
    add_classes_from_folder (self, g_variant_get_string (param, NULL));
}

static void
remove_class_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  const char *class_name = g_variant_get_string (param, NULL);
  g_autofree char *text = NULL;
  AdwToast *undo;

  if (self->project == NULL || !dm_open_project_remove_class (self->project, class_name))
    return;
  save (self, "classes");
  text = g_strdup_printf (_ ("Class “%s” removed"), class_name);
  undo = adw_toast_new (text);
  adw_toast_set_button_label (undo, _ ("_Undo"));
  adw_toast_set_action_name (undo, "win.undo-remove-class");
  adw_toast_overlay_add_toast (self->toast_overlay, undo);
}

static void
undo_remove_class_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  g_autoptr (GError) error = NULL;

  if (self->project == NULL || dm_open_project_get_removed_class (self->project) == NULL)
    return;
  if (dm_open_project_undo_remove_class (self->project, &error))
    save (self, "classes");
  else
    toast (self, error->message);
}

/* The user's painted masks live under masks/<class>/: they follow the name. */
static void
move_masks (DmWindow *self, const char *old_name, const char *new_name)
{
  g_autofree char *masks = dm_project_subfolder (project (self), "masks");
  g_autofree char *from = g_build_filename (masks, old_name, NULL);
  g_autofree char *to = g_build_filename (masks, new_name, NULL);

  if (g_file_test (from, G_FILE_TEST_IS_DIR) && g_rename (from, to) != 0)
    {
      int saved = errno;
      g_autofree char *display = g_filename_display_name (from);
      g_autoptr (GError) error
        = g_error_new (G_IO_ERROR, g_io_error_from_errno (saved),
                       _ ("%s: cannot rename the folder: %s"), display, g_strerror (saved));

      dm_feedback_error (GTK_WIDGET (self), _ ("Could Not Move the Class’s Masks"), error);
    }
}

static void
edit_class_folders_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  DmProjectClass *c = self->project != NULL
                        ? dm_project_find_class (project (self), g_variant_get_string (param, NULL))
                        : NULL;

  if (c != NULL)
    gtk_window_present (GTK_WINDOW (dm_class_folders_new (GTK_WINDOW (self), c)));
}

/* A folder the user named: absolute, a folder; NULL for none (""). */
static gboolean
check_folder (DmWindow *self, const char *path, gboolean test, char **out)
{
  g_autofree char *good = NULL, *defect = NULL;
  g_autofree char *text = NULL;

  *out = NULL;
  if (path[0] == '\0')
    return TRUE;
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    text = g_strdup_printf (_ ("%s: no such folder"), path);
  else if (test)
    {
      good = g_build_filename (path, "good", NULL);
      defect = g_build_filename (path, "defect", NULL);
      if (!g_file_test (good, G_FILE_TEST_IS_DIR) && !g_file_test (defect, G_FILE_TEST_IS_DIR))
        text = g_strdup_printf (_ ("%s has neither good/ nor defect/ inside"), path);
    }
  if (text != NULL)
    {
      toast (self, text);
      return FALSE;
    }
  *out = g_canonicalize_filename (path, NULL);
  return TRUE;
}

static char *
describe_folders (const DmProjectClass *c)
{
  return g_strdup_printf ("test=%s masks=%s holdout=%.2f",
                          c->test_source != NULL ? c->test_source : "",
                          c->mask_source != NULL ? c->mask_source : "", c->holdout_fraction);
}

/* (class, test folder, mask folder, hold-out fraction): "" is none; the
 * fraction is the project's, set on every class. */
static void
set_class_folders_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  const char *class_name, *test, *mask;
  g_autofree char *test_path = NULL, *mask_path = NULL, *before = NULL, *after = NULL;
  g_autoptr (GError) error = NULL;
  DmProject *p = project (self);
  DmProjectClass *c;
  double holdout;

  if (p == NULL)
    return;
  g_variant_get (param, "(&s&s&sd)", &class_name, &test, &mask, &holdout);
  c = dm_project_find_class (p, class_name);
  if (c == NULL || g_strcmp0 (c->layout, "folders") != 0)
    return;
  if (!(holdout >= 0 && holdout <= 0.9))
    {
      toast (self, _ ("The share held out is between 0 and 0.9"));
      return;
    }
  if (!check_folder (self, test, TRUE, &test_path) || !check_folder (self, mask, FALSE, &mask_path))
    return;
  before = describe_folders (c);
  g_free (c->test_source);
  c->test_source = g_steal_pointer (&test_path);
  g_free (c->mask_source);
  c->mask_source = g_steal_pointer (&mask_path);
  for (guint i = 0; i < p->classes->len; i++)
    ((DmProjectClass *)p->classes->pdata[i])->holdout_fraction = holdout;
  after = describe_folders (c);
  if (g_str_equal (before, after))
    return;
  if (save (self, "classes")
      && !dm_open_project_audit (self->project, DM_AUDIT_CLASS_FOLDERS, class_name, after, before,
                                 &error))
    g_warning ("%s", error->message);
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
  c = dm_project_find_class (project (self), old_name);
  new_name = g_strstrip (g_strdup (requested));
  if (c == NULL || g_strcmp0 (old_name, new_name) == 0)
    return;
  /* the name is a folder name under masks/ and a key everywhere else */
  if (new_name[0] == '\0' || strchr (new_name, '/') != NULL || strchr (new_name, '\\') != NULL
      || g_strcmp0 (new_name, ".") == 0 || g_strcmp0 (new_name, "..") == 0)
    {
      toast (self, _ ("A class name cannot be empty or contain “/”"));
      return;
    }
  if (dm_project_find_class (project (self), new_name) != NULL)
    {
      g_autofree char *text
        = g_strdup_printf (_ ("There is already a class called “%s”"), new_name);
      toast (self, text);
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
  if (save (self, "classes"))
    {
      g_autofree char *text = g_strdup_printf (_ ("Class renamed to “%s”"), new_name);
      toast (self, text);
    }
}

/* ---- importing a dataset (the Data page reads it) ---- */

static void
on_import_chosen (DmWindow *self, const char *const *paths)
{
  dm_data_page_import (self->data_page, paths[0]);
}

static void
import_dataset_path_action (GtkWidget *widget, const char *name, GVariant *param)
{
  dm_data_page_import (DM_WINDOW (widget)->data_page, g_variant_get_string (param, NULL));
}

static void
import_dataset_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);

  if (self->project != NULL)
    gtk_native_dialog_show (GTK_NATIVE_DIALOG (
      dm_window_choose (self, _ ("Import a Dataset Folder (MVTec AD or VisA)"),
                        GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _ ("_Import"), on_import_chosen)));
}

static void
add_filters (GtkFileChooser *chooser, const char *name, const char *const *patterns)
{
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  g_autoptr (GtkFileFilter) all = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, name);
  for (guint i = 0; patterns[i] != NULL; i++)
    gtk_file_filter_add_pattern (filter, patterns[i]);
  gtk_file_filter_set_name (all, _ ("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (chooser, filter);
  gtk_file_chooser_add_filter (chooser, all);
}

static void
import_visa_csv_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  static const char *const csv[] = { "*.csv", "*.CSV", NULL };
  GtkFileChooser *chooser;

  if (self->project == NULL)
    return;
  chooser = dm_window_choose (self, _ ("Import a VisA Split File"), GTK_FILE_CHOOSER_ACTION_OPEN,
                              _ ("_Import"), on_import_chosen);
  add_filters (chooser, _ ("Split files (.csv)"), csv);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ---- the backbone ---- */

static void
set_backbone_file (DmWindow *self, const char *path)
{
  DmProject *p = project (self);

  if (p == NULL)
    return;
  g_free (p->backbone_kind);
  g_free (p->backbone_path);
  g_clear_pointer (&p->backbone_sha256, g_free);
  p->backbone_kind = g_strdup ("file");
  p->backbone_path = g_strdup (path);
  g_settings_set_string (self->settings, "backbone-file", path);
  save (self, "backbone");
}

static void
on_backbone_chosen (DmWindow *self, const char *const *paths)
{
  set_backbone_file (self, paths[0]);
}

static void
choose_backbone_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  static const char *const weights[] = { "*.safetensors", "*.pth", NULL };
  GtkFileChooser *chooser;

  if (self->project == NULL)
    return;
  chooser = dm_window_choose (self, _ ("Choose a DINOv2 Weight File"), GTK_FILE_CHOOSER_ACTION_OPEN,
                              _ ("_Choose"), on_backbone_chosen);
  add_filters (chooser, _ ("Weight files (.safetensors)"), weights);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
set_backbone_file_action (GtkWidget *widget, const char *name, GVariant *param)
{
  set_backbone_file (DM_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
use_random_backbone_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  DmProject *p = project (self);

  if (p == NULL)
    return;
  g_free (p->backbone_kind);
  if (g_variant_get_boolean (param))
    {
      p->backbone_kind = g_strdup ("random");
      if (p->backbone_arch == NULL)
        p->backbone_arch = g_strdup ("small");
    }
  else
    p->backbone_kind = g_strdup (p->backbone_path != NULL ? "file" : NULL);
  save (self, "backbone");
}

/* The size of the random backbone: "small", "base" or "large" (and the
 * tests' "tiny"). */
static void
set_random_backbone_arch_action (GtkWidget *widget, const char *name, GVariant *param)
{
  DmWindow *self = DM_WINDOW (widget);
  DmProject *p = project (self);
  const char *arch = g_variant_get_string (param, NULL);
  DmVitConfig config;

  if (p == NULL || !dm_vit_config_for_arch (arch, &config)
      || g_strcmp0 (p->backbone_arch, arch) == 0)
    return;
  g_free (p->backbone_arch);
  p->backbone_arch = g_strdup (arch);
  save (self, "backbone");
}

void
dm_window_class_init_project_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.new-project", NULL, new_project_action);
  gtk_widget_class_install_action (widget_class, "win.open-project", NULL, open_project_action);
  gtk_widget_class_install_action (widget_class, "win.new-project-folder", "s",
                                   new_project_folder_action);
  gtk_widget_class_install_action (widget_class, "win.open-project-folder", "s",
                                   open_project_folder_action);
  gtk_widget_class_install_action (widget_class, "win.close-project", NULL, close_project_action);
  gtk_widget_class_install_action (widget_class, "win.open-demo", NULL, open_demo_action);
  gtk_widget_class_install_action (widget_class, "win.add-class", NULL, add_class_action);
  gtk_widget_class_install_action (widget_class, "win.add-class-folder", "s",
                                   add_class_folder_action);
  gtk_widget_class_install_action (widget_class, "win.remove-class", "s", remove_class_action);
  gtk_widget_class_install_action (widget_class, "win.undo-remove-class", NULL,
                                   undo_remove_class_action);
  gtk_widget_class_install_action (widget_class, "win.rename-class", "(ss)", rename_class_action);
  gtk_widget_class_install_action (widget_class, "win.edit-class-folders", "s",
                                   edit_class_folders_action);
  gtk_widget_class_install_action (widget_class, "win.set-class-folders", "(sssd)",
                                   set_class_folders_action);
  gtk_widget_class_install_action (widget_class, "win.import-dataset", NULL, import_dataset_action);
  gtk_widget_class_install_action (widget_class, "win.import-visa-csv", NULL,
                                   import_visa_csv_action);
  gtk_widget_class_install_action (widget_class, "win.import-dataset-path", "s",
                                   import_dataset_path_action);
  gtk_widget_class_install_action (widget_class, "win.choose-backbone", NULL,
                                   choose_backbone_action);
  gtk_widget_class_install_action (widget_class, "win.set-backbone-file", "s",
                                   set_backbone_file_action);
  gtk_widget_class_install_action (widget_class, "win.use-random-backbone", "b",
                                   use_random_backbone_action);
  gtk_widget_class_install_action (widget_class, "win.set-random-backbone-arch", "s",
                                   set_random_backbone_arch_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-project",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK,
                                       "win.open-project", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK,
                                       "win.close-project", NULL);
}
