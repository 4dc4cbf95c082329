/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Models page in the real window over a project trained twice (a few
 * of ../shared/data/magnetic_tile copied, or generated parts; the tiny
 * random backbone, version 2 trained longer): both versions listed with
 * their metrics and rates, compared (the disagreements counted against a
 * count made here from the two versions' results), version 2 promoted,
 * the promotion undone, promoted and rolled back, version 2 deleted and
 * the deletion undone, then deleted for good (its files go once undo is no
 * longer possible: the window closed); project.json and the audit trail
 * record each step. */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>

#include "dm-project-audit.h"
#include "dm-project-versions.h"
#include "dm-test-gui.h"
#include "dm-test-project.h"
#include "dm-test-util.h"
#include "dm-test-window.h"
#include "dm-window-private.h"

static char *tmp, *folder;
static const char *const steps[]
  = { DM_AUDIT_PROMOTE,        DM_AUDIT_ROLL_BACK,       DM_AUDIT_PROMOTE,       DM_AUDIT_ROLL_BACK,
      DM_AUDIT_DELETE_VERSION, DM_AUDIT_RESTORE_VERSION, DM_AUDIT_DELETE_VERSION };
static guint expected_disagreements, expected_compared;

static void
count_disagreements (DmProject *p)
{
  g_autofree char *f1 = dm_project_version_results_folder (p, dm_project_find_version (p, 1));
  g_autofree char *f2 = dm_project_version_results_folder (p, dm_project_find_version (p, 2));
  g_autoptr (DmProjectResults) r1 = dm_project_results_load (f1, NULL);
  g_autoptr (DmProjectResults) r2 = dm_project_results_load (f2, NULL);
  DmThresholds t1, t2;

  g_assert_nonnull (r1);
  g_assert_nonnull (r2);
  dm_project_version_thresholds (p, dm_project_find_version (p, 1), r1->classes[0].name, &t1);
  dm_project_version_thresholds (p, dm_project_find_version (p, 2), r1->classes[0].name, &t2);
  for (guint i = 0; i < r1->classes[0].n_images; i++)
    for (guint j = 0; j < r2->classes[0].n_images; j++)
      if (r1->classes[0].images[i].split == DM_SPLIT_TEST
          && g_str_equal (r1->classes[0].images[i].path, r2->classes[0].images[j].path))
        {
          expected_compared++;
          expected_disagreements += dm_decide (&t1, r1->classes[0].images[i].score)
                                    != dm_decide (&t2, r2->classes[0].images[j].score);
        }
}

static int
compare_floats (gconstpointer a, gconstpointer b)
{
  float x = *(const float *)a, y = *(const float *)b;

  return x < y ? -1 : x > y;
}

/* Version 2 sends its middle scores to a person (an uncertain band), so
 * the two versions disagree on some parts. */
static void
band (DmProject *p, DmProjectResults *r)
{
  g_autoptr (GArray) scores = g_array_new (FALSE, FALSE, sizeof (float));
  DmVersionClass *c = dm_project_version_class (dm_project_find_version (p, 2), r->classes[0].name);

  for (guint i = 0; i < r->classes[0].n_images; i++)
    if (r->classes[0].images[i].split == DM_SPLIT_TEST)
      g_array_append_val (scores, r->classes[0].images[i].score);
  g_array_sort (scores, compare_floats);
  c->uncertain_low = g_array_index (scores, float, scores->len / 4);
  c->uncertain_high = g_array_index (scores, float, (3 * scores->len) / 4);
}

static void
make_project (void)
{
  const char *defects[] = { "blowhole", "crack", NULL };
  g_autoptr (DmProject) p = NULL;
  g_autoptr (DmProjectTrain) first = NULL, second = NULL;
  g_autoptr (GError) error = NULL;

  folder = g_build_filename (tmp, "project", NULL);
  p = dm_test_real_project (folder, "Models", 8, 4, defects, 3, 6);
  first = dm_test_train_project (p);
  json_object_set_int_member (p->settings, "total_iters", 14);
  second = dm_test_train_project (p);
  band (p, dm_project_train_get_results (second));
  g_assert_true (dm_project_save (p, &error));
  g_assert_cmpuint (p->versions->len, ==, 2);
  /* a new version waits to be promoted: the first stays active */
  g_assert_cmpuint (p->active_version, ==, 1);
  count_disagreements (p);
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
active_on_disk (void)
{
  g_autoptr (DmProject) p = reopen ();

  return p->active_version;
}

static gboolean
loaded (gpointer page)
{
  return !dm_models_page_is_loading (page) && dm_models_page_get_n_compared (page) > 0;
}

static gboolean
history_read (gpointer page)
{
  return !dm_history_page_is_loading (page)
         && dm_history_page_get_n_shown (page) >= G_N_ELEMENTS (steps);
}

static void
shot (GtkWidget *window, const char *name)
{
  dm_test_gui_wait_frames (window, 2);
  dm_test_window_screenshot (window, name);
}

static void
activate (GtkWidget *page, const char *action, GVariant *param)
{
  g_assert_true (gtk_widget_activate_action_variant (page, action, param));
  dm_test_gui_wait_frames (page, 2);
}

static void
on_activate_after (GApplication *app, GtkWidget *window)
{
  DmWindow *self = DM_WINDOW (window);
  GtkWidget *page = GTK_WIDGET (self->models_page);
  g_autofree char *v2 = g_build_filename (folder, "models", "v2", NULL);
  g_autoptr (GPtrArray) trail = NULL;
  guint from = 0;

  dm_test_gui_wait_frames (window, 2);
  dm_test_window_activate (window, "win.open-project-folder", g_variant_new_string (folder));
  adw_view_stack_set_visible_child_name (self->view_stack, "models");
  g_assert_true (dm_test_gui_wait_until (loaded, page, 60000));
  g_test_message ("versions 1 and 2 decide differently on %u of %u test images",
                  dm_models_page_get_n_disagreements (DM_MODELS_PAGE (page)),
                  dm_models_page_get_n_compared (DM_MODELS_PAGE (page)));
  g_assert_cmpuint (dm_models_page_get_n_compared (DM_MODELS_PAGE (page)), ==, expected_compared);
  g_assert_cmpuint (dm_models_page_get_n_disagreements (DM_MODELS_PAGE (page)), ==,
                    expected_disagreements);
  g_assert_cmpuint (expected_disagreements, >, 0);
  shot (window, "models-compare");

  /* promoted, undone (a roll back); promoted, rolled back by hand */
  activate (page, "models.promote", g_variant_new_uint32 (2));
  g_assert_cmpuint (active_on_disk (), ==, 2);
  shot (window, "models-promoted");
  activate (page, "models.undo", NULL);
  g_assert_cmpuint (active_on_disk (), ==, 1);
  activate (page, "models.promote", g_variant_new_uint32 (2));
  g_assert_cmpuint (active_on_disk (), ==, 2);
  activate (page, "models.roll-back", NULL);
  g_assert_cmpuint (active_on_disk (), ==, 1);
  /* the active version cannot be deleted; version 2 can, and come back */
  g_assert_false (
    gtk_widget_activate_action_variant (page, "models.delete", g_variant_new_uint32 (1))
    && active_on_disk () != 1);
  activate (page, "models.delete", g_variant_new_uint32 (2));
  {
    g_autoptr (DmProject) p = reopen ();

    g_assert_null (dm_project_find_version (p, 2));
    g_assert_nonnull (dm_project_find_version (p, 1));
    g_assert_true (g_file_test (v2, G_FILE_TEST_IS_DIR));
  }
  activate (page, "models.undo", NULL);
  {
    g_autoptr (DmProject) p = reopen ();

    g_assert_nonnull (dm_project_find_version (p, 2));
  }
  activate (page, "models.delete", g_variant_new_uint32 (2));
  shot (window, "models-deleted");
  /* the History page shows each step, the newest first */
  gtk_stack_set_visible_child_name (self->models_stack, "history");
  g_assert_true (dm_test_gui_wait_until (history_read, self->history_page, 30000));
  shot (window, "history");
  /* the window closed: the deletion can no longer be undone, its files go */
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_false (g_file_test (v2, G_FILE_TEST_EXISTS));

  trail = dm_audit_read (folder, NULL, NULL);
  g_assert_nonnull (trail);
  /* the trail may start with the training runs */
  for (; from < trail->len; from++)
    if (g_str_equal (((DmAuditEntry *)trail->pdata[from])->action, DM_AUDIT_PROMOTE))
      break;
  g_assert_cmpuint (trail->len - from, ==, G_N_ELEMENTS (steps));
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      DmAuditEntry *e = trail->pdata[from + i];

      g_assert_cmpstr (e->action, ==, steps[i]);
      g_assert_cmpstr (e->user, ==, g_get_user_name ());
    }
}

static void
test_models_page (void)
{
  tmp = dm_test_make_tmpdir ();
  make_project ();
  dm_test_window_run (tmp, on_activate_after);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/models-page/compare-promote-roll-back-delete", test_models_page);
  return g_test_run ();
}
