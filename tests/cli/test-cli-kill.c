/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kill -9 during training: `dinomaly train --project` (the window's job) is
 * killed after its first checkpoint, possibly while it writes the next
 * one. The project still opens, the checkpoint reads, resuming finishes
 * the run, nothing half-written is left behind, and the model scores
 * exactly as a run that was never interrupted: only the iterations since
 * the last checkpoint were lost (and run again). */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "dm-checkpoint.h"
#include "dm-test-project.h"
#include "dm-test-util.h"

#define TOTAL_ITERS 400

static const char *cli_path;

static void
train (const char *folder, gboolean resume)
{
  g_autofree char *out = NULL, *err = NULL;
  const char *args[] = { "train", "--project", folder, resume ? "--resume" : NULL, NULL };

  g_assert_cmpint (dm_test_run_cli (cli_path, args, &out, &err), ==, 0);
}

/* Starts the run and kills it once a checkpoint exists. */
static gint64
train_and_kill (const char *folder)
{
  g_autofree char *ckpt = g_build_filename (folder, "checkpoints", DM_CHECKPOINT_FILE, NULL);
  const char *argv[] = { cli_path, "train", "--project", folder, NULL };
  g_autoptr (GError) error = NULL;
  DmCheckpointState st;
  GPid pid;
  int status = 0;
  gint64 next;

  g_assert_true (g_spawn_async (NULL, (char **)argv, NULL,
                                G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL
                                  | G_SPAWN_STDERR_TO_DEV_NULL,
                                NULL, NULL, &pid, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 60000 && !g_file_test (ckpt, G_FILE_TEST_EXISTS); i++)
    g_usleep (1000);
  g_assert_true (g_file_test (ckpt, G_FILE_TEST_EXISTS));
  /* a few more iterations: the kill may land in the middle of anything */
  g_usleep (30000);
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);

  dm_checkpoint_state_init (&st);
  g_assert_true (dm_checkpoint_read_state (ckpt, &st, &error));
  g_assert_no_error (error);
  next = st.next_iter;
  dm_checkpoint_state_clear (&st);
  return next;
}

static void
test_kill_and_resume (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *a = g_build_filename (tmp, "uninterrupted", NULL);
  g_autofree char *b = g_build_filename (tmp, "killed", NULL);
  g_autoptr (DmProject) reopened = NULL;
  g_autoptr (DmProjectResults) ra = NULL, rb = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *ra_dir = NULL, *rb_dir = NULL, *ckpt_dir = NULL;
  gint64 next, resumable = -1, total = 0;

  /* two identical projects, one trained straight through, one killed */
  dm_project_free (dm_test_tiny_project (a, TOTAL_ITERS));
  dm_project_free (dm_test_tiny_project (b, TOTAL_ITERS));
  train (a, FALSE);
  next = train_and_kill (b);
  g_test_message ("killed with a checkpoint at iteration %" G_GINT64_FORMAT " of %d", next,
                  TOTAL_ITERS);
  g_assert_cmpint (next, >, 0);

  /* the project opens and offers to resume where the checkpoint stands */
  reopened = dm_project_open (b, &error);
  g_assert_no_error (error);
  if (next < TOTAL_ITERS)
    {
      g_assert_true (dm_project_train_can_resume (reopened, &resumable, &total));
      g_assert_cmpint (resumable, ==, next);
      g_assert_cmpint (total, ==, TOTAL_ITERS);
      train (b, TRUE);
    }
  else
    train (b, FALSE); /* killed after the last checkpoint: the run starts again */

  /* nothing half-written is left in the checkpoint folder */
  ckpt_dir = g_build_filename (b, "checkpoints", NULL);
  {
    g_autoptr (GDir) dir = g_dir_open (ckpt_dir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      g_assert_false (name[0] == '.');
  }

  /* the same model as the run that was never interrupted */
  ra_dir = g_build_filename (a, "models", "v1", "results", NULL);
  rb_dir = g_build_filename (b, "models", "v1", "results", NULL);
  ra = dm_project_results_load (ra_dir, &error);
  g_assert_no_error (error);
  rb = dm_project_results_load (rb_dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ra->n_classes, ==, rb->n_classes);
  for (guint c = 0; c < ra->n_classes; c++)
    {
      g_assert_cmpuint (ra->classes[c].n_images, ==, rb->classes[c].n_images);
      for (guint i = 0; i < ra->classes[c].n_images; i++)
        g_assert_cmpfloat (ra->classes[c].images[i].score, ==, rb->classes[c].images[i].score);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, ==, 2);
  cli_path = argv[1];
  g_test_add_func ("/cli-kill/kill-and-resume", test_kill_and_resume);
  return g_test_run ();
}
