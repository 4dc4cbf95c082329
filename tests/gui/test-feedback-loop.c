/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The whole loop in the window, on a copy of real images
 * (../shared/data/magnetic_tile; skipped without them), with the tiny
 * random backbone: version 1 trained; an uncertain band set on Review;
 * the station run from the Line page on a hot folder; the uncertain parts
 * verified and added to their class; version 2 trained with them; the two
 * compared; version 2 promoted while the station runs (it takes the new
 * model up, and every part dropped is recorded exactly once); rolled back
 * (the station back on version 1); the audit trail holds each step. */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "dm-part.h"
#include "dm-project-audit.h"
#include "dm-project-dataset.h"
#include "dm-project-feedback.h"
#include "dm-project-versions.h"
#include "dm-test-data.h"
#include "dm-test-gui.h"
#include "dm-test-project.h"
#include "dm-test-util.h"
#include "dm-test-window.h"
#include "dm-window-private.h"

static char *tmp, *folder, *hot, *results_file;
static GPtrArray *images; /* the test images, dropped into the hot folder */
static guint n_dropped;

static void
make_project (void)
{
  const char *defects[] = { "crack", NULL };
  g_autoptr (DmProject) p = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmDataset) ds = NULL;

  folder = g_build_filename (tmp, "project", NULL);
  hot = g_build_filename (tmp, "hot", NULL);
  results_file = g_build_filename (tmp, "results.jsonl", NULL);
  p = dm_test_real_project (folder, "Loop", 8, 4, defects, 3, 6);
  ds = dm_project_load_dataset (p, DM_DATASET_CHECK_NONE, NULL, &error);
  g_assert_no_error (error);
  images = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < ds->n_samples; i++)
    if (ds->samples[i].split == DM_SPLIT_TEST)
      g_ptr_array_add (images, g_strdup (ds->samples[i].path));
  g_assert_cmpuint (images->len, >, 0);
  g_assert_cmpint (g_mkdir_with_parents (hot, 0755), ==, 0);
}

/* ---- waiting ---- */

static gboolean
not_training (gpointer window)
{
  return !dm_test_window_is_training (window);
}

static gboolean
review_loaded (gpointer page)
{
  return dm_review_page_get_results (page) != NULL;
}

static guint wanted_version;

static gboolean
line_runs_version (gpointer page)
{
  return !dm_line_page_is_busy (page) && dm_line_page_get_state (page) == DM_STATION_RUNNING
         && dm_line_page_get_model_version (page) == wanted_version;
}

static gboolean
line_stopped (gpointer page)
{
  return !dm_line_page_is_busy (page) && dm_line_page_get_state (page) == DM_STATION_STOPPED
         && !dm_line_page_is_importing (page);
}

static guint
count_lines (const char *path)
{
  g_autofree char *text = NULL;
  guint n = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  for (const char *c = text; *c != '\0'; c++)
    n += *c == '\n';
  return n;
}

static gboolean
all_recorded (gpointer data)
{
  return count_lines (results_file) >= n_dropped;
}

static gboolean
verify_read (gpointer page)
{
  return !dm_verify_page_is_loading (page) && dm_verify_page_get_ids (page)[0] != NULL;
}

static gboolean
compared (gpointer page)
{
  return !dm_models_page_is_loading (page) && dm_models_page_get_n_compared (page) > 0;
}

static void
shot (GtkWidget *window, const char *name)
{
  dm_test_gui_wait_frames (window, 2);
  dm_test_window_screenshot (window, name);
}

static void
activate (GtkWidget *widget, const char *action, GVariant *param)
{
  g_assert_true (gtk_widget_activate_action_variant (widget, action, param));
  dm_test_gui_wait_frames (widget, 2);
}

static void
drop (guint n)
{
  for (guint i = 0; i < n; i++, n_dropped++)
    {
      const char *src = images->pdata[n_dropped % images->len];
      g_autofree char *base = g_path_get_basename (src);
      g_autofree char *name = g_strdup_printf ("%03u-%s", n_dropped, base);
      g_autofree char *dst = g_build_filename (hot, name, NULL);

      dm_test_copy_file (src, dst);
    }
}

/* Every file dropped is recorded exactly once; those decided after the
 * promotion name version 2. */
static void
check_records (guint *n_v2)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_assert_true (g_file_get_contents (results_file, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  *n_v2 = 0;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (DmPart) part = NULL;
      g_autofree char *base = NULL;

      if (lines[i][0] == '\0')
        continue;
      part = dm_part_from_json (lines[i], strlen (lines[i]), "results", NULL);
      g_assert_nonnull (part);
      g_assert_nonnull (part->file);
      base = g_path_get_basename (part->file);
      g_assert_false (g_hash_table_contains (seen, base));
      g_hash_table_add (seen, g_steal_pointer (&base));
      *n_v2 += part->model_version == 2;
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, n_dropped);
}

/* ---- the loop ---- */

static void
train (GtkWidget *window)
{
  dm_test_window_activate (window, "win.train", NULL);
  g_assert_true (dm_test_gui_wait_until (not_training, window, 280000));
}

static int
compare_floats (gconstpointer a, gconstpointer b)
{
  float x = *(const float *)a, y = *(const float *)b;

  return x < y ? -1 : x > y;
}

/* An uncertain band around the middle scores, set on Review. */
static void
set_band (DmWindow *self)
{
  DmProjectResults *r;
  g_autoptr (GArray) scores = g_array_new (FALSE, FALSE, sizeof (float));
  DmProjectClass *c = dm_open_project_get_project (self->project)->classes->pdata[0];
  DmThresholds t;

  g_assert_true (dm_test_gui_wait_until (review_loaded, self->review_page, 60000));
  r = dm_review_page_get_results (self->review_page);
  for (guint i = 0; i < r->classes[0].n_images; i++)
    g_array_append_val (scores, r->classes[0].images[i].score);
  g_array_sort (scores, compare_floats);
  t.image = c->image_threshold;
  t.pixel = c->pixel_threshold;
  t.uncertain_low = g_array_index (scores, float, scores->len / 4);
  t.uncertain_high = g_array_index (scores, float, (3 * scores->len) / 4);
  dm_review_page_set_thresholds (self->review_page, 0, &t);
}

static void
verify_and_add (GtkWidget *window, DmWindow *self)
{
  GtkWidget *page = GTK_WIDGET (self->verify_page);
  const char *const *ids;
  g_auto (GStrv) first = NULL;

  adw_view_stack_set_visible_child_name (self->view_stack, "review");
  gtk_stack_set_visible_child_name (self->review_stack, "verify");
  g_assert_true (dm_test_gui_wait_until (verify_read, page, 30000));
  ids = dm_verify_page_get_ids (DM_VERIFY_PAGE (page));
  g_assert_nonnull (ids[1]);
  first = g_strdupv ((char **)ids);
  /* the two that matter most: good, added to the training images */
  for (guint i = 0; i < 2; i++)
    {
      activate (page, "verify.label", g_variant_new ("(ss)", first[i], "good"));
      g_assert_true (dm_test_gui_wait_until (verify_read, page, 30000));
      activate (page, "verify.add", g_variant_new_string (first[i]));
      g_assert_true (dm_test_gui_wait_until (verify_read, page, 30000));
    }
  g_assert_cmpuint (dm_verify_page_get_n_new (DM_VERIFY_PAGE (page)), ==, 2);
  shot (window, "loop-verified");
}

static void
on_activate_after (GApplication *app, GtkWidget *window)
{
  DmWindow *self = DM_WINDOW (window);
  GtkWidget *line = GTK_WIDGET (self->line_page);
  GtkWidget *models = GTK_WIDGET (self->models_page);
  g_autofree char *source = g_strdup_printf ("folder:%s", hot);
  g_autofree char *sink = g_strdup_printf ("jsonl:%s", results_file);
  DmProject *p;
  g_autoptr (GPtrArray) trail = NULL;
  static const char *const steps[]
    = { DM_AUDIT_TRAIN,    DM_AUDIT_THRESHOLD, DM_AUDIT_LABEL,   DM_AUDIT_ADD_PART, DM_AUDIT_LABEL,
        DM_AUDIT_ADD_PART, DM_AUDIT_TRAIN,     DM_AUDIT_PROMOTE, DM_AUDIT_ROLL_BACK };
  guint step = 0, n_v2;

  dm_test_gui_wait_frames (window, 2);
  dm_test_window_activate (window, "win.open-project-folder", g_variant_new_string (folder));
  p = dm_open_project_get_project (self->project);

  /* version 1, and a band of parts a person decides */
  train (window);
  g_assert_cmpuint (p->active_version, ==, 1);
  set_band (self);

  /* the line: a hot folder, a result file, every part's verdict kept */
  adw_view_stack_set_visible_child_name (self->view_stack, "line");
  activate (line, "line.add-source",
            g_variant_new ("(ss)", ((DmProjectClass *)p->classes->pdata[0])->name, source));
  activate (line, "line.add-sink", g_variant_new_string (sink));
  activate (line, "line.set-keep-passes", g_variant_new_uint32 (1));
  activate (line, "line.start", NULL);
  wanted_version = 1;
  g_assert_true (dm_test_gui_wait_until (line_runs_version, line, 120000));
  drop (images->len);
  g_assert_true (dm_test_gui_wait_until (all_recorded, NULL, 120000));
  activate (line, "line.stop", NULL);
  g_assert_true (dm_test_gui_wait_until (line_stopped, line, 60000));
  shot (window, "loop-line");

  /* verified, added, version 2 trained with them */
  verify_and_add (window, self);
  train (window);
  g_assert_cmpuint (p->versions->len, ==, 2);
  g_assert_cmpuint (((DmProjectVersion *)p->versions->pdata[1])->n_line_parts, ==, 2);
  g_assert_cmpuint (p->active_version, ==, 1);

  /* compared */
  adw_view_stack_set_visible_child_name (self->view_stack, "models");
  dm_models_page_compare (DM_MODELS_PAGE (models), 1, 2);
  g_assert_true (dm_test_gui_wait_until (compared, models, 60000));
  shot (window, "loop-compare");

  /* promoted while the line runs: it takes version 2 up, no part lost */
  activate (line, "line.start", NULL);
  g_assert_true (dm_test_gui_wait_until (line_runs_version, line, 120000));
  drop (4);
  activate (models, "models.promote", g_variant_new_uint32 (2));
  drop (4);
  wanted_version = 2;
  g_assert_true (dm_test_gui_wait_until (line_runs_version, line, 120000));
  drop (4);
  g_assert_true (dm_test_gui_wait_until (all_recorded, NULL, 120000));
  check_records (&n_v2);
  g_test_message ("%u parts recorded once each, %u of them by version 2", n_dropped, n_v2);
  g_assert_cmpuint (n_v2, >=, 4);

  /* rolled back: the line is on version 1 again */
  activate (models, "models.roll-back", NULL);
  wanted_version = 1;
  g_assert_true (dm_test_gui_wait_until (line_runs_version, line, 120000));
  activate (line, "line.stop", NULL);
  g_assert_true (dm_test_gui_wait_until (line_stopped, line, 60000));

  /* the trail: each step, in order (others between them) */
  dm_open_project_audit_flush (self->project);
  trail = dm_audit_read (folder, NULL, NULL);
  for (guint i = 0; i < trail->len; i++)
    {
      DmAuditEntry *e = trail->pdata[i];

      g_test_message ("trail: %s %s %s", e->action, e->target, e->value != NULL ? e->value : "");
    }
  g_assert_cmpuint (trail->len, ==, G_N_ELEMENTS (steps));
  for (; step < G_N_ELEMENTS (steps); step++)
    {
      DmAuditEntry *e = trail->pdata[step];

      g_assert_cmpstr (e->action, ==, steps[step]);
      g_assert_cmpstr (e->user, ==, g_get_user_name ());
    }
  adw_view_stack_set_visible_child_name (self->view_stack, "models");
  gtk_stack_set_visible_child_name (self->models_stack, "history");
  dm_test_gui_wait_ms (500);
  shot (window, "loop-history");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_loop (void)
{
  g_autofree char *real
    = dm_test_shared_dir () != NULL
        ? g_build_filename (dm_test_shared_dir (), "data", "magnetic_tile", NULL)
        : NULL;

  if (real == NULL || !g_file_test (real, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("../shared/data/magnetic_tile is absent");
      return;
    }
  tmp = dm_test_make_tmpdir ();
  make_project ();
  dm_test_window_run (tmp, on_activate_after);
  g_ptr_array_unref (images);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/feedback-loop/train-line-verify-train-promote-roll-back", test_loop);
  return g_test_run ();
}
