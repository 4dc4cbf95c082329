/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The project's training job end to end on a small generated dataset and a
 * tiny random backbone: model file, results (scores, maps, proposals)
 * written and read back, thresholds applied; cancel writes a checkpoint
 * that resume continues to the same model; bad projects fail clearly. */
#include <gio/gio.h>
#include <math.h>
#include <string.h>

#include "dm-anomaly-map.h"
#include "dm-error.h"
#include "dm-project-train.h"
#include "dm-project-versions.h"
#include "dm-test-project.h"
#include "dm-test-util.h"

/* Where a project trained one model per class keeps its first version's
 * models (dm_project_version_model_rel). */
#define PER_CLASS_MODELS "models/v1/classes"

static DmProject *
make_project (const char *folder)
{
  DmProject *p = dm_test_tiny_project (folder, 8);

  /* a setting of the project, not of training */
  json_object_set_double_member (p->settings, "threshold_quantile", 0.9);
  g_assert_true (dm_project_save (p, NULL));
  return p;
}

typedef struct
{
  int phases_seen; /* bit mask of DmProjectTrainPhase */
  gint64 last_iter;
  guint scored, n_to_score;
  GCancellable *cancel_at; /* cancelled after iteration cancel_iter */
  gint64 cancel_iter;
  guint cancel_class; /* ... of this class, one model per class */
  guint class_mask;   /* one model per class: bit of each class index trained */
  guint n_classes;
} Seen;

static void
on_progress (const DmProjectTrainProgress *p, gpointer user_data)
{
  Seen *seen = user_data;

  seen->phases_seen |= 1 << p->phase;
  if (p->n_classes > 0)
    {
      g_assert_nonnull (p->class_name);
      seen->class_mask |= 1u << p->class_index;
      seen->n_classes = p->n_classes;
    }
  if (p->phase == DM_PROJECT_TRAIN_TRAINING)
    {
      seen->last_iter = p->train->iteration;
      if (seen->cancel_at != NULL && p->train->iteration == seen->cancel_iter
          && p->class_index == seen->cancel_class)
        g_cancellable_cancel (seen->cancel_at);
    }
  if (p->phase == DM_PROJECT_TRAIN_SCORING)
    {
      seen->scored = p->scored;
      seen->n_to_score = p->n_to_score;
    }
}

static void
check_results (DmProject *p, DmProjectTrain *job)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = dm_project_results_folder (p);
  g_autoptr (DmProjectResults) r = dm_project_results_load (dir, &error);
  DmProjectResults *mine = dm_project_train_get_results (job);
  g_autofree float *map = g_new (float, 256 * 256);
  g_autofree float *scratch = g_new (float, 256 * 256);

  g_assert_no_error (error);
  g_assert_nonnull (mine);
  g_assert_cmpuint (r->n_classes, ==, 2);
  for (guint c = 0; c < r->n_classes; c++)
    {
      DmResultClass *k = &r->classes[c];
      DmProjectClass *pc = dm_project_find_class (p, k->name);
      guint n_test = 0, n_hold = 0;

      g_assert_nonnull (pc);
      g_assert_cmpint (k->crop, ==, 28);
      for (guint i = 0; i < k->n_images; i++)
        {
          n_test += k->images[i].split == DM_SPLIT_TEST;
          n_hold += k->images[i].split == DM_SPLIT_HOLDOUT;
          g_assert_cmpint (k->images[i].width, ==, 64);
          g_assert_cmpfloat (k->images[i].score, ==, mine->classes[c].images[i].score);
        }
      /* demo: 2 good + 1 per defect type in test; 10% of 6 held out = 1 */
      g_assert_cmpuint (n_test, >=, 4);
      g_assert_cmpuint (n_hold, ==, 1);
      g_assert_true (k->map_high > k->map_low);
      {
        /* the proposal is the quantile of the held-out normals' scores */
        g_autofree float *hold = g_new (float, k->n_images);
        guint m = 0;

        for (guint i = 0; i < k->n_images; i++)
          if (k->images[i].split == DM_SPLIT_HOLDOUT)
            hold[m++] = k->images[i].score;
        g_assert_cmpfloat (r->quantile, ==, 0.9);
        g_assert_cmpfloat (k->proposed_image, ==, dm_quantile (hold, m, 0.9));
      }
      g_assert_true (isfinite (k->proposed_image) && isfinite (k->proposed_pixel));
      g_assert_true (isfinite (k->f1_image) && k->f1 > 0);
      /* the stored map gives back the stored score exactly */
      for (guint i = 0; i < k->n_images; i++)
        {
          g_assert_true (dm_project_results_read_map (r, c, i, map, &error));
          g_assert_no_error (error);
          g_assert_cmpfloat (dm_anomaly_score (map, scratch), ==, k->images[i].score);
        }
      /* the proposals were applied to the project's classes */
      g_assert_cmpfloat (pc->image_threshold, ==, k->proposed_image);
      g_assert_cmpfloat (pc->pixel_threshold, ==, k->proposed_pixel);
    }
}

static void
test_train_and_score (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *folder = g_build_filename (tmp, "project", NULL);
  g_autoptr (DmProject) p = make_project (folder);
  g_autoptr (DmProjectTrain) job = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmProject) reopened = NULL;
  g_autofree char *model = g_build_filename (folder, "models", "v1", DM_PROJECT_MODEL_FILE, NULL);
  Seen seen = { 0 };
  gsize n_losses;

  g_assert_false (dm_project_train_can_resume (p, NULL, NULL));
  job = dm_project_train_new (p, FALSE, 0, &error);
  g_assert_no_error (error);
  g_assert_true (dm_project_train_run (job, on_progress, &seen, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (seen.phases_seen, ==, 0x1f);
  g_assert_cmpint (seen.last_iter, ==, 7);
  g_assert_cmpuint (seen.scored, ==, seen.n_to_score);
  g_assert_true (dm_project_train_has_model (job));
  g_assert_true (g_file_test (model, G_FILE_TEST_IS_REGULAR));
  dm_project_train_get_losses (job, &n_losses, NULL);
  g_assert_cmpuint (n_losses, ==, 8);
  g_assert_true (dm_project_train_apply (job, p, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (p->model, ==, "models/v1/model.dinomaly");
  /* a finished run leaves nothing to resume */
  g_assert_false (dm_project_train_can_resume (p, NULL, NULL));
  reopened = dm_project_open (folder, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reopened->model, ==, "models/v1/model.dinomaly");
  check_results (reopened, job);
}

/* Cancel after iteration 4, resume: the same decoder as one run. */
static void
test_cancel_resume (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *a = g_build_filename (tmp, "a", NULL), *b = g_build_filename (tmp, "b", NULL);
  g_autoptr (DmProject) pa = make_project (a);
  g_autoptr (DmProject) pb = make_project (b);
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  Seen seen = { 0 };
  gint64 next = 0, total = 0;
  const float *la, *lb;
  gsize na, nb;
  g_autoptr (DmProjectTrain) ja = dm_project_train_new (pa, FALSE, 0, &error);
  g_autoptr (DmProjectTrain) jb1 = dm_project_train_new (pb, FALSE, 0, &error);
  g_autoptr (DmProjectTrain) jb2 = NULL;

  g_assert_true (dm_project_train_run (ja, NULL, NULL, NULL, &error));
  seen.cancel_at = cancel;
  seen.cancel_iter = 4;
  g_assert_false (dm_project_train_run (jb1, on_progress, &seen, cancel, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_false (dm_project_train_has_model (jb1));
  g_assert_true (dm_project_train_can_resume (pb, &next, &total));
  g_assert_cmpint (next, ==, 5);
  g_assert_cmpint (total, ==, 8);
  jb2 = dm_project_train_new (pb, TRUE, 0, &error);
  g_assert_true (dm_project_train_run (jb2, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  la = dm_project_train_get_losses (ja, &na, NULL);
  lb = dm_project_train_get_losses (jb2, &nb, NULL);
  g_assert_cmpuint (na, ==, nb);
  for (gsize i = 0; i < na; i++)
    g_assert_cmpfloat (la[i], ==, lb[i]);
  {
    /* the same decoder gives the same scores (the model files differ in
     * their recorded times) */
    DmProjectResults *ra = dm_project_train_get_results (ja),
                     *rb = dm_project_train_get_results (jb2);

    for (guint c = 0; c < ra->n_classes; c++)
      for (guint i = 0; i < ra->classes[c].n_images; i++)
        g_assert_cmpfloat (ra->classes[c].images[i].score, ==, rb->classes[c].images[i].score);
  }
}

static void
test_bad_projects (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *folder = g_build_filename (tmp, "p", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmProject) p = dm_project_create (folder, "empty", &error);
  g_autoptr (DmProjectTrain) job = NULL;

  /* no backbone */
  g_assert_null (dm_project_train_new (p, FALSE, 0, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "backbone"));
  g_clear_error (&error);
  /* no classes */
  p->backbone_kind = g_strdup ("random");
  p->backbone_arch = g_strdup ("tiny");
  g_assert_true (dm_project_save (p, &error));
  job = dm_project_train_new (p, FALSE, 0, &error);
  g_assert_no_error (error);
  g_assert_false (dm_project_train_run (job, NULL, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("no classes: %s", error->message);
  g_clear_error (&error);
  /* a bad setting names itself */
  json_object_set_int_member (p->settings, "crop", 300);
  g_assert_null (dm_project_train_new (p, FALSE, 0, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "crop"));
  /* no results yet */
  g_clear_error (&error);
  {
    g_autofree char *dir = dm_project_results_folder (p);
    g_assert_null (dm_project_results_load (dir, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  }
}

/* One model per class: models/v1/classes/<class>.dinomaly, each class scored by its
 * own model (the scores of `dinomaly eval` with that model file), the
 * memory estimate of the largest class; cancelled in the second class,
 * resuming trains that class alone. */
static void
test_per_class (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *folder = g_build_filename (tmp, "project", NULL);
  g_autofree char *models = g_build_filename (folder, PER_CLASS_MODELS, NULL);
  g_autofree char *ckpt = g_build_filename (folder, "checkpoints", "fabric", NULL);
  g_autoptr (DmProject) p = make_project (folder);
  g_autoptr (DmProjectTrain) job = NULL, again = NULL;
  g_autoptr (DmProject) reopened = NULL;
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  DmTrainMemory all, per_class;
  Seen seen = { 0 };
  gint64 next = 0, total = 0;

  g_assert_true (dm_project_train_memory (p, &all, &error));
  g_assert_no_error (error);
  json_object_set_boolean_member (p->settings, "per_class", TRUE);
  g_assert_true (dm_project_save (p, &error));
  g_assert_true (dm_project_train_memory (p, &per_class, &error));
  /* two classes of 6 training images, 1 held out each: 5 of 10 */
  g_assert_cmpuint (per_class.cache * 2, ==, all.cache);
  g_assert_cmpuint (per_class.decoder, ==, all.decoder);

  /* stopped in the second class, the first one's model is written */
  job = dm_project_train_new (p, FALSE, 0, &error);
  g_assert_no_error (error);
  seen.cancel_at = cancel;
  seen.cancel_iter = 3;
  seen.cancel_class = 1;
  g_assert_false (dm_project_train_run (job, on_progress, &seen, cancel, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpuint (seen.n_classes, ==, 2);
  g_assert_cmpuint (seen.class_mask, ==, 3);
  g_assert_true (dm_project_train_can_resume (p, &next, &total));
  g_assert_cmpint (next, ==, 4);
  g_assert_cmpint (total, ==, 8);

  /* resumed: only fabric runs, then both classes are scored */
  memset (&seen, 0, sizeof seen);
  again = dm_project_train_new (p, TRUE, 0, &error);
  g_assert_no_error (error);
  g_assert_true (dm_project_train_run (again, on_progress, &seen, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (seen.class_mask, ==, 2);
  g_assert_cmpint (seen.last_iter, ==, 7);
  g_assert_cmpint (seen.phases_seen & (1 << DM_PROJECT_TRAIN_SCORING), !=, 0);
  g_assert_true (dm_project_train_apply (again, p, &error));
  g_assert_cmpstr (p->model, ==, PER_CLASS_MODELS);
  g_assert_false (dm_project_train_can_resume (p, NULL, NULL));
  g_assert_false (g_file_test (ckpt, G_FILE_TEST_EXISTS));
  reopened = dm_project_open (folder, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reopened->model, ==, PER_CLASS_MODELS);
  check_results (reopened, again);

  /* each class's scores are its own model's */
  for (int c = 0; c < 2; c++)
    {
      const char *name = c == 0 ? "washer" : "fabric";
      g_autofree char *file = g_strconcat (name, ".dinomaly", NULL);
      g_autofree char *model = g_build_filename (PER_CLASS_MODELS, file, NULL);
      g_autofree char *saved = g_strdup (reopened->model);
      DmProjectResults *r = dm_project_train_get_results (again);
      int k = dm_project_results_find_class (r, name);
      g_autoptr (DmEvalClass) e = NULL;

      g_free (reopened->model);
      reopened->model = g_steal_pointer (&model);
      e = dm_test_evaluate_project_class (reopened, name);
      g_free (reopened->model);
      reopened->model = g_steal_pointer (&saved);
      g_assert_cmpint (k, >=, 0);
      for (guint i = 0; i < e->n_images; i++)
        g_assert_cmpfloat (e->scores[i], ==, r->classes[k].images[i].score);
    }
  g_assert_true (g_file_test (models, G_FILE_TEST_IS_DIR));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/project-train/train-and-score", test_train_and_score);
  g_test_add_func ("/project-train/cancel-resume", test_cancel_resume);
  g_test_add_func ("/project-train/per-class", test_per_class);
  g_test_add_func ("/project-train/bad-projects", test_bad_projects);
  return g_test_run ();
}
