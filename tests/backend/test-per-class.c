/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Class-separated training (the paper's Table 2) through the one training
 * sequence: one model file per class in a folder, each exactly the model a
 * run on that class alone gives (weights bit for bit); a resumed run skips
 * the classes done and continues the interrupted one; the folder read back
 * as a model set, with its errors (an empty folder, a model of two
 * classes, two models of one class) and the file names of odd classes. */
#include <glib/gstdio.h>
#include <string.h>

#include "dm-error.h"
#include "dm-model-file.h"
#include "dm-model-set.h"
#include "dm-test-data.h"
#include "dm-test-util.h"
#include "dm-training.h"

static char *tmpdir;
static char *data; /* two MVTec classes, "gear" and "plate" */

typedef struct
{
  GPtrArray *started; /* class names, in order */
  GPtrArray *notes;
} Seen;

static void
on_class (guint index, guint n, const char *name, gpointer user_data)
{
  Seen *seen = user_data;

  g_assert_cmpuint (index, <, n);
  g_ptr_array_add (seen->started, g_strdup (name));
}

static void
on_note (const char *text, gpointer user_data)
{
  Seen *seen = user_data;

  g_ptr_array_add (seen->notes, g_strdup (text));
}

static void
settings_init (DmTrainSettings *s, gboolean per_class, const char *ckpt)
{
  dm_train_settings_init (s);
  s->resize = 32;
  s->crop = 28;
  s->batch = 2;
  s->total_iters = 3;
  s->opt.total_iters = 3;
  s->opt.warmup_iters = 1;
  s->n_threads = 1;
  s->per_class = per_class;
  s->checkpoint_dir = g_strdup (ckpt);
}

/* Trains the dataset's classes (only: NULL for all) into out. */
static gboolean
train (const DmTrainSettings *s,
       const char *const *only,
       const char *out,
       gboolean resume,
       Seen *seen,
       DmTrainingOutcome *outcome,
       GError **error)
{
  g_autoptr (DmDataset) ds = dm_dataset_load (data, DM_DATASET_CHECK_NONE, error);
  g_autoptr (DmVitWeights) backbone = NULL;
  g_autofree char *name = NULL, *sha = NULL;
  DmTrainingSet set = { 0 };
  DmTrainingRequest req = { 0 };
  DmTrainingCallbacks cb = { NULL, on_note, NULL, NULL, seen, on_class };
  gboolean ok;

  g_assert_nonnull (ds);
  g_assert_true (dm_training_set_from_dataset (ds, only, data, &set, error));
  backbone = dm_training_backbone_load ("random", NULL, "tiny", &name, &sha, error);
  g_assert_nonnull (backbone);
  req.set = &set;
  req.backbone = backbone;
  req.backbone_name = name;
  req.backbone_sha256 = sha;
  req.settings = s;
  req.resume = resume;
  req.model_path = out;
  ok = dm_training_run (&req, &cb, NULL, outcome, error);
  dm_training_set_clear (&set);
  return ok;
}

static void
seen_init (Seen *seen)
{
  seen->started = g_ptr_array_new_with_free_func (g_free);
  seen->notes = g_ptr_array_new_with_free_func (g_free);
}

static void
seen_clear (Seen *seen)
{
  g_clear_pointer (&seen->started, g_ptr_array_unref);
  g_clear_pointer (&seen->notes, g_ptr_array_unref);
}

static void
assert_same_decoder (const char *a, const char *b)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmModelFile) fa = dm_model_file_open (a, &error);
  g_autoptr (DmModelFile) fb = dm_model_file_open (b, &error);
  g_autoptr (DmDinomalyWeights) wa = NULL, wb = NULL;

  g_assert_no_error (error);
  wa = dm_model_file_load_weights (fa, &error);
  wb = dm_model_file_load_weights (fb, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (wa->arena, wa->layout.n_floats * 4, wb->arena, wb->layout.n_floats * 4);
}

static void
test_train_per_class (void)
{
  g_autofree char *out = g_build_filename (tmpdir, "models", NULL);
  g_autofree char *ckpt = g_build_filename (tmpdir, "ckpt", NULL);
  g_autofree char *alone = g_build_filename (tmpdir, "plate-alone.dinomaly", NULL);
  g_autofree char *gear = g_build_filename (out, "gear.dinomaly", NULL);
  g_autofree char *plate = g_build_filename (out, "plate.dinomaly", NULL);
  g_autofree char *plate_ckpt_dir = dm_training_class_checkpoint_dir (ckpt, "plate");
  g_autofree char *plate_ckpt = g_build_filename (plate_ckpt_dir, "checkpoint.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmModelSet) set = NULL;
  DmTrainSettings s, unified;
  DmTrainingOutcome outcome;
  Seen seen;

  settings_init (&s, TRUE, ckpt);
  seen_init (&seen);
  dm_training_outcome_init (&outcome);
  g_assert_true (train (&s, NULL, out, FALSE, &seen, &outcome, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (outcome.n_models, ==, 2);
  g_assert_true (outcome.model_written);
  g_assert_cmpuint (seen.started->len, ==, 2);
  g_assert_cmpstr (seen.started->pdata[0], ==, "gear");
  g_assert_cmpstr (seen.started->pdata[1], ==, "plate");
  g_assert_cmpuint (outcome.losses->len, ==, 3); /* the last class's */
  g_assert_true (g_file_test (plate_ckpt, G_FILE_TEST_IS_REGULAR));
  dm_training_outcome_clear (&outcome);
  seen_clear (&seen);

  /* the folder as a model set: each class finds its own model */
  set = dm_model_set_open (out, &error);
  g_assert_no_error (error);
  g_assert_true (set->per_class);
  g_assert_cmpuint (set->entries->len, ==, 2);
  g_assert_cmpstr (dm_model_set_find (set, "gear"), ==, gear);
  g_assert_cmpstr (dm_model_set_find (set, "plate"), ==, plate);
  g_assert_null (dm_model_set_find (set, "screw"));
  {
    g_autofree const char **classes = dm_model_set_classes (set);
    g_assert_cmpstr (classes[0], ==, "gear");
    g_assert_cmpstr (classes[1], ==, "plate");
    g_assert_null (classes[2]);
  }

  /* a class's model is the model of a run on that class alone */
  settings_init (&unified, FALSE, NULL);
  seen_init (&seen);
  dm_training_outcome_init (&outcome);
  g_assert_true (train (&unified, (const char *const[]){ "plate", NULL }, alone, FALSE, &seen,
                        &outcome, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (seen.started->len, ==, 0);
  assert_same_decoder (alone, plate);
  dm_training_outcome_clear (&outcome);
  seen_clear (&seen);

  /* resumed: both done, nothing runs */
  seen_init (&seen);
  dm_training_outcome_init (&outcome);
  g_assert_true (train (&s, NULL, out, TRUE, &seen, &outcome, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (outcome.n_models, ==, 0);
  g_assert_cmpuint (outcome.n_done_before, ==, 2);
  g_assert_cmpuint (seen.started->len, ==, 0);
  g_assert_cmpuint (seen.notes->len, ==, 2);
  dm_test_assert_has (seen.notes->pdata[1], "class 'plate' is trained already");
  dm_training_outcome_clear (&outcome);
  seen_clear (&seen);

  /* an interrupted class: its model gone, its checkpoint at iteration 2
   * of 3 (a run stopped there); resuming trains that class alone, from
   * there, to the same model */
  {
    g_autofree char *saved = g_build_filename (tmpdir, "plate-saved.dinomaly", NULL);
    DmTrainSettings partial;

    g_assert_cmpint (g_rename (plate, saved), ==, 0);
    settings_init (&partial, TRUE, ckpt);
    partial.iters = 2;
    seen_init (&seen);
    dm_training_outcome_init (&outcome);
    g_assert_true (train (&partial, (const char *const[]){ "plate", NULL }, out, FALSE, &seen,
                          &outcome, &error));
    g_assert_no_error (error);
    dm_training_outcome_clear (&outcome);
    seen_clear (&seen);
    dm_train_settings_clear (&partial);

    seen_init (&seen);
    dm_training_outcome_init (&outcome);
    g_assert_true (train (&s, NULL, out, TRUE, &seen, &outcome, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (seen.started->len, ==, 1);
    g_assert_cmpstr (seen.started->pdata[0], ==, "plate");
    g_assert_cmpuint (outcome.n_done_before, ==, 1);
    g_assert_cmpuint (outcome.n_models, ==, 1);
    g_assert_cmpint (outcome.first_iter, ==, 0);
    g_assert_cmpint (outcome.next_iter, ==, 3);
    assert_same_decoder (saved, plate);
    dm_training_outcome_clear (&outcome);
    seen_clear (&seen);
  }
  dm_train_settings_clear (&s);
  dm_train_settings_clear (&unified);
}

static void
test_model_set_errors (void)
{
  g_autofree char *empty = g_build_filename (tmpdir, "empty", NULL);
  g_autofree char *mixed = g_build_filename (tmpdir, "mixed", NULL);
  g_autofree char *twice = g_build_filename (tmpdir, "twice", NULL);
  g_autofree char *unified = g_build_filename (tmpdir, "unified.dinomaly", NULL);
  g_autofree char *in_mixed = g_build_filename (mixed, "all.dinomaly", NULL);
  g_autofree char *a = g_build_filename (twice, "a.dinomaly", NULL);
  g_autofree char *b = g_build_filename (twice, "b.dinomaly", NULL);
  g_autofree char *note = g_build_filename (twice, "README.txt", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmModelSet) one = NULL;
  DmModelSet *set;

  g_assert_cmpint (g_mkdir (empty, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (mixed, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (twice, 0755), ==, 0);
  set = dm_model_set_open (empty, &error);
  g_assert_null (set);
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  dm_test_assert_has (error->message, "a folder without model files");
  g_clear_error (&error);

  /* a unified model scores any class */
  dm_test_write_tiny_model (unified, "tire,mt", NULL);
  one = dm_model_set_open (unified, &error);
  g_assert_no_error (error);
  g_assert_false (one->per_class);
  g_assert_cmpstr (dm_model_set_find (one, "anything"), ==, unified);

  dm_test_write_tiny_model (in_mixed, "tire,mt", NULL);
  set = dm_model_set_open (mixed, &error);
  g_assert_null (set);
  dm_test_assert_has (error->message, "all.dinomaly: a model of 2 classes in a folder");
  g_clear_error (&error);

  dm_test_write_tiny_model (a, "tire", NULL);
  dm_test_write_tiny_model (b, "tire", NULL);
  g_assert_true (g_file_set_contents (note, "not a model", -1, NULL));
  set = dm_model_set_open (twice, &error);
  g_assert_null (set);
  dm_test_assert_has (error->message, "are both models of class 'tire'");
  g_clear_error (&error);

  set = dm_model_set_open ("/nonexistent/model.dinomaly", &error);
  g_assert_null (set);
  dm_test_assert_has (error->message, "/nonexistent/model.dinomaly");
}

static void
test_file_names (void)
{
  const char *cases[][2] = {
    { "bottle", "bottle.dinomaly" },
    { "metal_nut", "metal_nut.dinomaly" },
    { "pcb1-v2.0", "pcb1-v2.0.dinomaly" },
    { "a/b", "a%2Fb.dinomaly" },
    { "..", "%2E..dinomaly" },
    { ".hidden", "%2Ehidden.dinomaly" },
    { "Zahnrad größe", "Zahnrad%20gr%C3%B6%C3%9Fe.dinomaly" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = dm_model_set_file_name (cases[i][0]);
      g_assert_cmpstr (name, ==, cases[i][1]);
    }
}

int
main (int argc, char *argv[])
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmpdir = dm_test_make_tmpdir ();
  data = g_build_filename (tmpdir, "data", NULL);
  dm_test_write_mvtec_class (data, "gear", 1);
  dm_test_write_mvtec_class (data, "plate", 2);
  g_test_add_func ("/per-class/train", test_train_per_class);
  g_test_add_func ("/per-class/model-set-errors", test_model_set_errors);
  g_test_add_func ("/per-class/file-names", test_file_names);
  rc = g_test_run ();
  g_free (data);
  g_free (tmpdir);
  return rc;
}
