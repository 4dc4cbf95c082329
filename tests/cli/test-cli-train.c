/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly train` and `dinomaly bench train` as a user runs them: a plain
 * folder and an MVTec-layout folder of generated PNG textures, a small
 * random backbone file, the log, checkpoints and --resume, bad input
 * (no images, unreadable images, a batch larger than the data, unknown
 * class). With ../shared, the reference training steps replayed through
 * the command line (--init, --start-iter, --total-iters, --no-shuffle,
 * --dropout 0, --log) against tiny/train/it1000. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "dm-image.h"
#include "dm-file-util.h"
#include "dm-model-file.h"
#include "dm-safetensors-writer.h"
#include "dm-test-textures.h"
#include "dm-test-util.h"
#include "dm-vit-random.h"

#define CROP 56

static const char *cli_path;
static char *tmpdir;
static char *backbone_path;

static int
run_cli (const char *const *args, char **out, char **err)
{
  return dm_test_run_cli (cli_path, args, out, err);
}

/* A texture as an 8-bit RGB PNG. */
static void
write_texture (const char *path, guint64 seed, int defect)
{
  static const float mean[3] = { 0.485f, 0.456f, 0.406f }, std[3] = { 0.229f, 0.224f, 0.225f };
  g_autoptr (GError) error = NULL;
  g_autofree float *x = g_new (float, 3 * CROP * CROP);
  g_autoptr (DmImage) img = dm_image_new (CROP, CROP, 3, DM_PIXEL_U8, &error);

  g_assert_no_error (error);
  dm_test_texture (x, CROP, seed, defect);
  for (int y = 0; y < CROP; y++)
    for (int c = 0; c < 3; c++)
      for (int i = 0; i < CROP; i++)
        img->data[y * img->stride + i * 3 + c] = (guint8)CLAMP (
          lround ((x[(c * CROP + y) * CROP + i] * std[c] + mean[c]) * 255.0), 0, 255);
  g_assert_true (dm_image_save_png (img, path, &error));
  g_assert_no_error (error);
}

static char *
make_folder (const char *name, int n_images)
{
  char *dir = g_build_filename (tmpdir, name, NULL);

  g_mkdir_with_parents (dir, 0755);
  for (int i = 0; i < n_images; i++)
    {
      g_autofree char *file = g_strdup_printf ("%03d.png", i);
      g_autofree char *path = g_build_filename (dir, file, NULL);
      write_texture (path, (guint64)i, 0);
    }
  return dir;
}

/* A named pipe with an image's name among the training images: skipped
 * with the reason, never waited on (the run hung at "encoder features"). */
static void
test_named_pipe (void)
{
  g_autofree char *data = make_folder ("with-pipe", 3);
  g_autofree char *fifo = g_build_filename (data, "pipe.png", NULL);
  g_autofree char *out = g_build_filename (tmpdir, "with-pipe.dinomaly", NULL);
  g_autofree char *serr = NULL;
  const char *args[]
    = { "train",    "--data",  data,     "--backbone", backbone_path, "--out", out,
        "--resize", "64",      "--crop", "56",         "--batch",     "2",     "--total-iters",
        "10",       "--iters", "1",      "--threads",  "1",           NULL };

  g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);
  g_assert_cmpint (run_cli (args, NULL, &serr), ==, 0);
  g_test_message ("%s", serr);
  dm_test_assert_has (serr, "pipe.png");
  dm_test_assert_has (serr, "named pipe");
  dm_test_assert_has (serr, "1 image skipped");
}

static void
test_plain_folder (void)
{
  g_autofree char *data = make_folder ("plain", 6);
  g_autofree char *out = g_build_filename (tmpdir, "plain.dinomaly", NULL);
  g_autofree char *log = g_build_filename (tmpdir, "plain.csv", NULL);
  g_autofree char *ckpt = g_build_filename (tmpdir, "plain-ckpt", NULL);
  g_autofree char *sout = NULL, *serr = NULL, *csv = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmModelFile) model = NULL;
  g_auto (GStrv) lines = NULL;
  const char *args[] = { "train",       "--data",
                         data,          "--backbone",
                         backbone_path, "--out",
                         out,           "--resize",
                         "64",          "--crop",
                         "56",          "--batch",
                         "3",           "--total-iters",
                         "40",          "--iters",
                         "6",           "--warmup",
                         "2",           "--log",
                         log,           "--checkpoint-dir",
                         ckpt,          "--checkpoint-every",
                         "3",           "--threads",
                         "1",           NULL };
  const char *resume[]
    = { "train", "--data",   data,        "--backbone", backbone_path, "--out",
        out,     "--iters",  "4",         "--log",      log,           "--checkpoint-dir",
        ckpt,    "--resume", "--threads", "1",          NULL };

  g_assert_cmpint (run_cli (args, &sout, &serr), ==, 0);
  g_test_message ("%s%s", sout, serr);
  dm_test_assert_has (serr, "6 images of 1 class (plain folder), crop 56");
  dm_test_assert_has (serr, "training on 6 images, batch 3");
  dm_test_assert_has (sout, "trained 6 iterations");
  g_assert_true (g_file_get_contents (log, &csv, NULL, NULL));
  lines = g_strsplit (csv, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "iteration,lr,loss,grad_norm");
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 6 + 1);
  g_assert_true (g_str_has_prefix (lines[1], "0,0,"));

  model = dm_model_file_open (out, &error);
  g_assert_no_error (error);
  g_assert_true (model->info->has_training);
  g_assert_cmpint (model->info->training.iterations, ==, 6);
  g_assert_cmpint (model->info->training.batch_size, ==, 3);
  g_assert_cmpint (model->info->crop, ==, 56);
  g_assert_cmpint (model->info->resize, ==, 64);
  g_assert_cmpuint (model->info->training.n_losses, ==, 6);
  g_assert_true (model->info->backbone_embedded);
  g_assert_cmpstr (model->info->class_names[0], ==, "plain");
  g_clear_pointer (&model, dm_model_file_free);

  /* resume: 4 more iterations, the log goes on */
  g_clear_pointer (&sout, g_free);
  g_clear_pointer (&serr, g_free);
  g_clear_pointer (&csv, g_free);
  g_assert_cmpint (run_cli (resume, &sout, &serr), ==, 0);
  dm_test_assert_has (sout, "trained 10 iterations");
  g_assert_true (g_file_get_contents (log, &csv, NULL, NULL));
  g_strfreev (lines);
  lines = g_strsplit (csv, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 10 + 1);
  g_assert_true (g_str_has_prefix (lines[7], "6,"));
  model = dm_model_file_open (out, &error);
  g_assert_no_error (error);
  g_assert_cmpint (model->info->training.iterations, ==, 10);
  g_assert_cmpuint (model->info->training.n_losses, ==, 10);

  /* a run killed (-9) after the checkpoint of iteration 10: its rows 10
   * and 11 and half of row 12 stayed in the log; resuming again runs
   * 10 and 11 anew. The log holds every iteration once, whole. */
  {
    FILE *f = fopen (log, "a");

    g_assert_nonnull (f);
    fputs ("10,0.001,0.5,0.25\n11,0.001,0.5,0.25\n12,0.00", f);
    fclose (f);
  }
  resume[8] = "2"; /* --iters 2 */
  g_clear_pointer (&sout, g_free);
  g_clear_pointer (&serr, g_free);
  g_clear_pointer (&csv, g_free);
  g_assert_cmpint (run_cli (resume, &sout, &serr), ==, 0);
  g_assert_true (g_file_get_contents (log, &csv, NULL, NULL));
  g_strfreev (lines);
  lines = g_strsplit (csv, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 12 + 1);
  g_assert_cmpstr (lines[0], ==, "iteration,lr,loss,grad_norm");
  for (int i = 0; i < 12; i++)
    {
      g_auto (GStrv) fields = g_strsplit (lines[1 + i], ",", -1);

      g_assert_cmpuint (g_strv_length (fields), ==, 4);
      g_assert_cmpint (g_ascii_strtoll (fields[0], NULL, 10), ==, i);
    }
  g_assert_cmpstr (lines[13], ==, "");
}

static void
test_mvtec_and_bad_input (void)
{
  g_autofree char *root = g_build_filename (tmpdir, "mvtec", NULL);
  g_autofree char *out = g_build_filename (tmpdir, "mvtec.dinomaly", NULL);
  g_autofree char *sout = NULL, *serr = NULL;

  for (int c = 0; c < 2; c++)
    {
      g_autofree char *good
        = g_build_filename (root, c == 0 ? "carpet" : "tile", "train", "good", NULL);
      g_autofree char *test = g_build_filename (root, c == 0 ? "carpet" : "tile", "test", NULL);

      g_mkdir_with_parents (good, 0755);
      g_mkdir_with_parents (test, 0755);
      for (int i = 0; i < 2; i++)
        {
          g_autofree char *file = g_strdup_printf ("%03d.png", i);
          g_autofree char *path = g_build_filename (good, file, NULL);
          write_texture (path, (guint64)(10 * c + i), 0);
        }
    }
  {
    /* an unreadable image is skipped and named; batch 8 > 4 images is clamped */
    g_autofree char *bad = g_build_filename (root, "tile", "train", "good", "broken.png", NULL);
    const char *args[] = { "train", "--data",  root, "--backbone",    backbone_path, "--out",
                           out,     "--crop",  "56", "--total-iters", "20",          "--iters",
                           "2",     "--batch", "8",  "--threads",     "1",           NULL };

    g_assert_true (g_file_set_contents (bad, "not a png", -1, NULL));
    g_assert_cmpint (run_cli (args, &sout, &serr), ==, 0);
    g_test_message ("%s%s", sout, serr);
    dm_test_assert_has (serr, "skipping images that cannot be read");
    dm_test_assert_has (serr, "broken.png");
    dm_test_assert_has (serr, "1 image skipped");
    dm_test_assert_has (
      serr, "the batch size 8 is larger than the 4 training images: using a batch of 4");
    dm_test_assert_has (serr, "5 images of 2 classes (MVTec layout)");
    dm_test_assert_has (serr, "training on 4 images, batch 4");
  }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (DmModelFile) model = dm_model_file_open (out, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (model->info->class_names[0], ==, "carpet");
    g_assert_cmpstr (model->info->class_names[1], ==, "tile");
  }
  {
    /* one class only, and an unknown class */
    const char *one[] = { "train",       "--data",  root, "--classes", "carpet", "--backbone",
                          backbone_path, "--out",   out,  "--crop",    "56",     "--total-iters",
                          "20",          "--iters", "1",  "--batch",   "2",      "--threads",
                          "1",           NULL };
    const char *unknown[] = { "train",       "--data", root, "--classes", "wood", "--backbone",
                              backbone_path, "--out",  out,  "--threads", "1",    NULL };

    g_clear_pointer (&serr, g_free);
    g_assert_cmpint (run_cli (one, NULL, &serr), ==, 0);
    dm_test_assert_has (serr, "2 images of 1 class");
    g_clear_pointer (&serr, g_free);
    g_assert_cmpint (run_cli (unknown, NULL, &serr), ==, 1);
    dm_test_assert_has (serr, "no class 'wood'");
  }
  {
    /* no images at all */
    g_autofree char *empty = g_build_filename (tmpdir, "empty", NULL);
    const char *args[]
      = { "train", "--data", empty, "--backbone", backbone_path, "--out", out, NULL };

    g_mkdir_with_parents (empty, 0755);
    g_clear_pointer (&serr, g_free);
    g_assert_cmpint (run_cli (args, NULL, &serr), ==, 1);
    dm_test_assert_has (serr, "no training images");
  }
  {
    /* usage errors */
    const char *missing[] = { "train", "--data", root, NULL };
    const char *preset[] = { "train", "--data", root,       "--backbone", backbone_path,
                             "--out", out,      "--preset", "fastest",    NULL };
    g_assert_cmpint (run_cli (missing, NULL, NULL), ==, 2);
    g_assert_cmpint (run_cli (preset, NULL, NULL), ==, 2);
  }
  {
    /* every option checked as typed, the value quoted, usage status 2 */
    static const char *const bad[][3] = {
      { "--batch", "-1", "--batch -1: must be a whole number from 1 to 4096" },
      { "--resize", "-1", "--resize -1: must be a whole number from 14 to 8192" },
      { "--crop", "-14", "--crop -14: must be a whole number from 14 to 8190" },
      { "--crop", "100", "--crop 100: must be a multiple of the 14-pixel patch" },
      { "--iters", "0", "--iters 0: must be 1 or more" },
      { "--lr", "nan", "--lr nan: must be a number from 0 to 1" },
      { "--dropout", "1.5", "--dropout 1.5: must be a number from 0 to 0.99" },
      { "--threads", "-2", "--threads -2: must be a whole number from 0 to 4096" },
    };

    for (guint k = 0; k < G_N_ELEMENTS (bad); k++)
      {
        const char *args[] = { "train", "--data", root,      "--backbone", backbone_path,
                               "--out", out,      bad[k][0], bad[k][1],    NULL };

        g_clear_pointer (&serr, g_free);
        g_assert_cmpint (run_cli (args, NULL, &serr), ==, 2);
        dm_test_assert_has (serr, bad[k][2]);
      }
  }
  {
    /* where the model goes is checked before any work: under a regular
     * file, and a path too long to exist */
    g_autofree char *file = g_build_filename (tmpdir, "a-file", NULL);
    g_autofree char *under = g_build_filename (file, "model.dinomaly", NULL);
    g_autoptr (GString) longer = g_string_new (tmpdir);
    const char *places[] = { under, NULL };

    g_assert_true (g_file_set_contents (file, "", 0, NULL));
    while (longer->len < 5000)
      g_string_append (longer, "/a-rather-long-folder-name");
    places[1] = longer->str;
    for (guint k = 0; k < G_N_ELEMENTS (places); k++)
      {
        const char *args[]
          = { "train",  "--data", root,      "--backbone", backbone_path, "--out", places[k],
              "--crop", "56",     "--iters", "2",          "--threads",   "1",     NULL };

        g_clear_pointer (&serr, g_free);
        g_assert_cmpint (run_cli (args, NULL, &serr), ==, 1);
        g_test_message ("%s", serr);
        g_assert_null (strstr (serr, "encoder features"));
        g_assert_null (strstr (serr, "training on"));
      }
    dm_test_assert_has (serr, "longer than");
  }
  {
    /* a checkpoint folder in use by another run (here: held by this
     * test) is refused at once, naming the folder */
    g_autofree char *ckpt = g_build_filename (tmpdir, "shared-ckpt", NULL);
    g_autoptr (GError) error = NULL;
    const char *args[]
      = { "train", "--data",  root, "--backbone",       backbone_path, "--out",     out, "--crop",
          "56",    "--iters", "2",  "--checkpoint-dir", ckpt,          "--threads", "1", NULL };
    int lock = -1;

    g_assert_true (dm_folder_lock (ckpt, "training run", &lock, &error));
    g_clear_pointer (&serr, g_free);
    g_assert_cmpint (run_cli (args, NULL, &serr), ==, 1);
    dm_test_assert_has (serr, "shared-ckpt: in use by another training run");
    g_assert_null (strstr (serr, "(null)"));
    dm_folder_unlock (lock);
    g_clear_pointer (&serr, g_free);
    g_assert_cmpint (run_cli (args, NULL, &serr), ==, 0);
  }
}

static void
test_bench_train (void)
{
  g_autofree char *json_path = g_build_filename (tmpdir, "bench.json", NULL);
  g_autofree char *sout = NULL, *text = NULL;
  g_autoptr (JsonNode) root = NULL;
  const char *args[]
    = { "bench", "train",   "--arch", "small",     "--crop", "28",     "--batch", "2", "--dtype",
        "bf16",  "--iters", "1",      "--threads", "1",      "--json", json_path, NULL };
  JsonObject *row;

  g_assert_cmpint (run_cli (args, &sout, NULL), ==, 0);
  g_test_message ("%s", sout);
  dm_test_assert_has (sout, "bf16");
  dm_test_assert_has (sout, "s/iteration");
  g_assert_true (g_file_get_contents (json_path, &text, NULL, NULL));
  root = json_from_string (text, NULL);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (root));
  row = json_array_get_object_element (json_node_get_array (root), 0);
  g_assert_cmpstr (json_object_get_string_member (row, "arch"), ==, "small");
  g_assert_cmpint (json_object_get_int_member (row, "crop"), ==, 28);
  g_assert_cmpint (json_object_get_int_member (row, "batch"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (row, "dtype"), ==, "bf16");
  g_assert_cmpfloat (json_object_get_double_member (row, "images_per_s"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (row, "seconds_per_iteration"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (row, "peak_rss_mb"), >, 0);
}

/* The reference steps of tiny/train/it1000 through the command line. */
static void
test_reference_replay (void)
{
  const char *shared = dm_test_shared_dir ();
  g_autofree char *tiny = NULL, *data = NULL, *log = NULL, *out = NULL, *json = NULL;
  g_autofree char *encoder = NULL, *decoder = NULL, *csv = NULL, *serr = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonArray *steps;
  const char *names[] = { "tire_hole_000.png", "mt_crack_exp1_num_249594.jpg" };

  if (shared == NULL)
    {
      g_test_skip ("../shared is absent");
      return;
    }
  tiny = g_build_filename (shared, "testvectors", "tiny", NULL);
  encoder = g_build_filename (tiny, "encoder_dinov2_f32.safetensors", NULL);
  decoder = g_build_filename (tiny, "decoder_f32.safetensors", NULL);
  data = g_build_filename (tmpdir, "replay", NULL);
  log = g_build_filename (tmpdir, "replay.csv", NULL);
  out = g_build_filename (tmpdir, "replay.dinomaly", NULL);
  g_mkdir_with_parents (data, 0755);
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *src = g_build_filename (tiny, "forward", "images", names[i], NULL);
      g_autofree char *dst = g_build_filename (data, names[i], NULL);
      g_assert_cmpint (symlink (src, dst), ==, 0);
    }
  {
    const char *args[] = { "train",
                           "--data",
                           data,
                           "--backbone",
                           encoder,
                           "--out",
                           out,
                           "--init",
                           decoder,
                           "--resize",
                           "256",
                           "--crop",
                           "224",
                           "--batch",
                           "2",
                           "--no-shuffle",
                           "--dropout",
                           "0",
                           "--start-iter",
                           "1000",
                           "--total-iters",
                           "10000",
                           "--iters",
                           "3",
                           "--log",
                           log,
                           "--threads",
                           "1",
                           NULL };
    g_assert_cmpint (run_cli (args, NULL, &serr), ==, 0);
  }
  g_assert_true (g_file_get_contents (log, &csv, NULL, NULL));
  lines = g_strsplit (csv, "\n", -1);
  json = g_build_filename (tiny, "train", "it1000", "train.json", NULL);
  {
    g_autofree char *text = NULL;
    g_assert_true (g_file_get_contents (json, &text, NULL, NULL));
    root = json_from_string (text, NULL);
  }
  steps = json_object_get_array_member (json_node_get_object (root), "steps");
  for (int s = 0; s < 3; s++)
    {
      JsonObject *js = json_array_get_object_element (steps, s);
      g_auto (GStrv) f = g_strsplit (lines[1 + s], ",", -1);
      double lr = g_ascii_strtod (f[1], NULL), loss = g_ascii_strtod (f[2], NULL);
      double norm = g_ascii_strtod (f[3], NULL);
      double want_loss = json_object_get_double_member (js, "loss");
      double want_norm = json_object_get_double_member (js, "grad_norm_preclip");

      g_test_message ("replay step %d: %s", s + 1, lines[1 + s]);
      g_assert_cmpint (g_ascii_strtoll (f[0], NULL, 10), ==, 1000 + s);
      g_assert_cmpfloat (fabs (lr - json_object_get_double_member (js, "lr")), <=, 1e-8 * lr);
      g_assert_cmpfloat (fabs (loss - want_loss), <=, 1e-5 * want_loss);
      g_assert_cmpfloat (fabs (norm - want_norm), <=, 1e-5 * want_norm);
    }
}

int
main (int argc, char *argv[])
{
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, ==, 2);
  cli_path = argv[1];
  tmpdir = dm_test_make_tmpdir ();
  {
    /* a small random backbone file: D 64, depth 10 (targets 2..9) */
    g_autoptr (DmSafetensorsWriter) w = dm_safetensors_writer_new ();
    g_autoptr (DmVitWeights) enc = NULL;
    DmVitConfig config;

    g_assert_true (dm_vit_config_for_arch ("small", &config));
    config.dim = 64;
    config.heads = 1;
    config.mlp_hidden = 256;
    config.depth = 10;
    enc = dm_vit_weights_new_random (&config, -1, 9, &error);
    g_assert_no_error (error);
    backbone_path = g_build_filename (tmpdir, "backbone.safetensors", NULL);
    g_assert_true (dm_vit_weights_add_to_writer (enc, w, "", DM_DTYPE_F32, &error)
                   && dm_safetensors_writer_write (w, backbone_path, &error));
    g_assert_no_error (error);
  }
  g_test_add_func ("/cli-train/plain-folder", test_plain_folder);
  g_test_add_func ("/cli-train/named-pipe", test_named_pipe);
  g_test_add_func ("/cli-train/mvtec-and-bad-input", test_mvtec_and_bad_input);
  g_test_add_func ("/cli-train/bench", test_bench_train);
  g_test_add_func ("/cli-train/reference-replay", test_reference_replay);
  status = g_test_run ();
  g_free (tmpdir);
  g_free (backbone_path);
  return status;
}
