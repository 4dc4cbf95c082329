/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A class made from a plain folder of normal images, in the real window:
 * its folders dialog sets a test folder (good/ and defect/) and a masks
 * folder, and the hold-out; the class then has defects with masks in its
 * dataset (what Review and the metrics read), project.json keeps the
 * folders, the audit trail the change; a folder that is not there, or a
 * test folder without good/ nor defect/, changes nothing. */
#include "config.h"

#include <glib/gstdio.h>

#include "dm-class-folders.h"
#include "dm-project-audit.h"
#include "dm-project-dataset.h"
#include "dm-test-data.h"
#include "dm-test-gui.h"
#include "dm-test-util.h"
#include "dm-test-window.h"
#include "dm-window-private.h"

static char *tmp, *folder, *test_dir, *mask_dir;

static void
make_project (void)
{
  g_autofree char *normal = g_build_filename (tmp, "normal", NULL);
  g_autoptr (DmProject) p = NULL;
  g_autoptr (GError) error = NULL;

  folder = g_build_filename (tmp, "project", NULL);
  test_dir = g_build_filename (tmp, "test", NULL);
  mask_dir = g_build_filename (tmp, "masks", NULL);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("%03u.png", i);
      g_autofree char *train = g_build_filename (normal, name, NULL);
      g_autofree char *good = g_build_filename (test_dir, "good", name, NULL);
      g_autofree char *bad = g_build_filename (test_dir, "defect", name, NULL);
      g_autofree char *mask = g_build_filename (mask_dir, name, NULL);

      dm_test_write_noise_image (train, 48, 40, i, FALSE);
      dm_test_write_noise_image (good, 48, 40, 100 + i, FALSE);
      dm_test_write_noise_image (bad, 48, 40, 200 + i, TRUE);
      g_assert_cmpint (g_mkdir_with_parents (mask_dir, 0755), ==, 0);
      dm_test_write_patch_mask (mask, 48, 40);
    }
  p = dm_project_create (folder, "Folders", &error);
  g_assert_no_error (error);
  g_assert_true (dm_project_add_class (p, dm_project_class_new ("part", "folders", normal), &error));
  g_assert_true (dm_project_save (p, &error));
}

static DmProject *
reopen (void)
{
  g_autoptr (GError) error = NULL;
  DmProject *p = dm_project_open (folder, &error);

  g_assert_no_error (error);
  return p;
}

static guint
n_defects (DmProject *p, guint *n_masks)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmDataset) ds = dm_project_load_dataset (p, DM_DATASET_CHECK_NONE, NULL, &error);

  g_assert_no_error (error);
  *n_masks = ds->classes[0].n_masks;
  return ds->classes[0].n_test_defect;
}

static void
set_folders (GtkWidget *window, const char *test, const char *mask, double holdout)
{
  DmClassFolders *dialog;

  dm_test_window_activate (window, "win.edit-class-folders", g_variant_new_string ("part"));
  dialog = DM_CLASS_FOLDERS (dm_test_window_find_toplevel (DM_TYPE_CLASS_FOLDERS));
  g_assert_nonnull (dialog);
  dm_class_folders_set (dialog, test, mask, holdout);
  /* the rows' titles move aside for the text: let them finish */
  dm_test_gui_wait_ms (500);
  dm_test_gui_wait_frames (GTK_WIDGET (dialog), 2);
  if (g_str_equal (test, test_dir))
    dm_test_window_screenshot (GTK_WIDGET (dialog), "class-folders");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "folders.save", NULL));
  dm_test_gui_wait_frames (window, 2);
  g_assert_null (dm_test_window_find_toplevel (DM_TYPE_CLASS_FOLDERS));
}

static void
on_activate_after (GApplication *app, GtkWidget *window)
{
  g_autofree char *nowhere = g_build_filename (tmp, "nowhere", NULL);
  g_autoptr (GPtrArray) trail = NULL;
  guint n_masks;

  dm_test_gui_wait_frames (window, 2);
  dm_test_window_activate (window, "win.open-project-folder", g_variant_new_string (folder));
  {
    g_autoptr (DmProject) p = reopen ();

    g_assert_cmpuint (n_defects (p, &n_masks), ==, 0);
  }
  /* refused: a folder that is not there, a test folder without good/ nor defect/ */
  set_folders (window, nowhere, "", 0.2);
  set_folders (window, mask_dir, "", 0.2);
  {
    g_autoptr (DmProject) p = reopen ();

    g_assert_null (((DmProjectClass *)p->classes->pdata[0])->test_source);
  }
  set_folders (window, test_dir, mask_dir, 0.25);
  {
    g_autoptr (DmProject) p = reopen ();
    DmProjectClass *c = p->classes->pdata[0];

    g_assert_cmpstr (c->test_source, ==, test_dir);
    g_assert_cmpstr (c->mask_source, ==, mask_dir);
    g_assert_cmpfloat (c->holdout_fraction, ==, 0.25);
    g_assert_cmpuint (n_defects (p, &n_masks), ==, 4);
    g_assert_cmpuint (n_masks, ==, 4);
  }
  trail = dm_audit_read (folder, NULL, NULL);
  g_assert_cmpuint (trail->len, ==, 1);
  g_assert_cmpstr (((DmAuditEntry *)trail->pdata[0])->action, ==, DM_AUDIT_CLASS_FOLDERS);
  g_assert_cmpstr (((DmAuditEntry *)trail->pdata[0])->target, ==, "part");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_class_folders (void)
{
  tmp = dm_test_make_tmpdir ();
  make_project ();
  dm_test_window_run (tmp, on_activate_after);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/class-folders/test-masks-holdout", test_class_folders);
  return g_test_run ();
}
