/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Datasets: header sizes against the decoders, MVTec / VisA / plain-folder
 * trees built in temporary folders with every kind of problem, the hold-out
 * rule, and the real datasets of ../shared/data (skipped when absent). */
#include <glib/gstdio.h>
#include <string.h>

#include "dm-dataset.h"
#include "dm-error.h"
#include "dm-image-header.h"
#include "dm-test-util.h"

/* ---- helpers -------------------------------------------------------------- */

static void
write_png (const char *path, int w, int h)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) img = dm_image_new (w, h, 1, DM_PIXEL_U8, &error);
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_no_error (error);
  memset (img->data, 0, img->stride * (gsize)h);
  img->data[0] = 255;
  g_mkdir_with_parents (dir, 0755);
  g_assert_true (dm_image_save_png (img, path, &error));
  g_assert_no_error (error);
}

static void
write_text (const char *path, const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  g_mkdir_with_parents (dir, 0755);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

/* path = root / rel */
static char *
at (const char *root, const char *rel)
{
  return g_build_filename (root, rel, NULL);
}

static void
png_at (const char *root, const char *rel, int w, int h)
{
  g_autofree char *path = at (root, rel);

  write_png (path, w, h);
}

static void
text_at (const char *root, const char *rel, const char *text)
{
  g_autofree char *path = at (root, rel);

  write_text (path, text);
}

/* The problem of this kind whose path ends with suffix, or NULL. */
static const DmDatasetProblem *
find_problem (const DmDataset *ds, DmDatasetProblemKind kind, const char *suffix)
{
  for (guint i = 0; i < ds->n_problems; i++)
    if (ds->problems[i].kind == kind && g_str_has_suffix (ds->problems[i].path, suffix))
      return &ds->problems[i];
  return NULL;
}

static void
assert_problem (const DmDataset *ds, DmDatasetProblemKind kind, const char *suffix)
{
  if (find_problem (ds, kind, suffix) == NULL)
    {
      for (guint i = 0; i < ds->n_problems; i++)
        g_printerr ("  problem %s %s: %s\n", dm_dataset_problem_kind_name (ds->problems[i].kind),
                    ds->problems[i].path, ds->problems[i].message);
      g_error ("no %s problem for ...%s", dm_dataset_problem_kind_name (kind), suffix);
    }
}

static const DmSample *
find_sample (const DmDataset *ds, const char *suffix)
{
  for (guint i = 0; i < ds->n_samples; i++)
    if (g_str_has_suffix (ds->samples[i].path, suffix))
      return &ds->samples[i];
  return NULL;
}

/* The sample whose path ends with suffix; fails the test when absent. */
static const DmSample *
sample_at (const DmDataset *ds, const char *suffix)
{
  const DmSample *s = find_sample (ds, suffix);

  if (s == NULL)
    g_error ("no sample ...%s", suffix);
  return s;
}

static void
print_problems (const DmDataset *ds)
{
  for (guint i = 0; i < ds->n_problems; i++)
    g_test_message ("problem %s %s: %s", dm_dataset_problem_kind_name (ds->problems[i].kind),
                    ds->problems[i].path, ds->problems[i].message);
}

/* ---- header sizes ------------------------------------------------------------ */

static void
test_header_sizes (void)
{
  g_autofree char *dir = g_build_filename (dm_test_srcdir (), "data", "image", "corpus", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  int n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (DmImage) img = dm_image_load (path, 0, NULL);
      DmImageHeader h;
      gboolean ok = dm_image_read_header (path, &h, &error);

      if (img == NULL)
        continue; /* the corpus holds some files the decoders refuse */
      if (!ok)
        g_error ("%s: %s", name, error->message);
      g_assert_cmpint (h.width, ==, img->width);
      g_assert_cmpint (h.height, ==, img->height);
      n++;
    }
  g_assert_cmpint (n, >=, 30);
  g_test_message ("%d corpus files: header sizes equal the decoded sizes", n);
}

static void
test_header_bad_files (void)
{
  g_autofree char *tmp = dm_test_make_tmpdir ();
  g_autofree char *text = at (tmp, "a.png"), *empty = at (tmp, "e.png");
  g_autofree char *png_short = at (tmp, "s.png"), *jpeg_short = at (tmp, "s.jpg");
  g_autofree char *tiff_short = at (tmp, "s.tif"), *missing = at (tmp, "missing.png");
  static const guint8 png_sig[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13 };
  static const guint8 jpeg_soi_eoi[] = { 0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xd9 };
  static const guint8 tiff_head[] = { 'I', 'I', 42, 0, 200, 0, 0, 0 };
  struct
  {
    const char *path;
    int code;
  } cases[] = {
    { text, DM_ERROR_UNSUPPORTED },
    { empty, DM_ERROR_UNSUPPORTED },
    { png_short, DM_ERROR_CORRUPT },
    { jpeg_short, DM_ERROR_CORRUPT },
    { tiff_short, DM_ERROR_CORRUPT },
    { missing, DM_ERROR_IO },
    { tmp, DM_ERROR_IO },
  };

  write_text (text, "hello, not an image");
  write_text (empty, "");
  g_assert_true (g_file_set_contents (png_short, (const char *)png_sig, sizeof png_sig, NULL));
  g_assert_true (
    g_file_set_contents (jpeg_short, (const char *)jpeg_soi_eoi, sizeof jpeg_soi_eoi, NULL));
  g_assert_true (g_file_set_contents (tiff_short, (const char *)tiff_head, sizeof tiff_head, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      DmImageHeader h;

      g_assert_false (dm_image_read_header (cases[i].path, &h, &error));
      g_assert_error (error, DM_ERROR, cases[i].code);
      g_test_message ("%s", error->message);
      g_assert_cmpint (h.width, ==, 0);
    }
}

/* ---- MVTec ------------------------------------------------------------------- */

/* ROOT/widget: every kind of problem; ROOT/empty: no images; ROOT/evalonly:
 * test images only. Masks are named so that sort order would pair them
 * wrongly (001 has none). */
static void
build_mvtec (const char *root)
{
  for (int i = 0; i < 6; i++)
    {
      g_autofree char *rel = g_strdup_printf ("widget/train/good/%03d.png", i);
      png_at (root, rel, 32, 24);
    }
  png_at (root, "widget/train/good/003.jpg", 32, 24); /* 003.png is the duplicate (byte order) */
  text_at (root, "widget/train/good/notes.txt", "not an image");
  text_at (root, "widget/train/good/.hidden", "ignored");
  text_at (root, "widget/train/good/broken.png", "text in a png");    /* content */
  text_at (root, "widget/train/good/trunc.png", "\x89PNG\r\n\x1a\n"); /* header */
  png_at (root, "widget/test/good/000.png", 32, 24);
  png_at (root, "widget/test/good/001.png", 32, 24);
  png_at (root, "widget/test/crack/000.png", 32, 24);
  png_at (root, "widget/test/crack/001.png", 32, 24);
  png_at (root, "widget/test/crack/002.png", 32, 24);
  png_at (root, "widget/test/crack/003.png", 32, 24);
  png_at (root, "widget/ground_truth/crack/000_mask.png", 32, 24);
  png_at (root, "widget/ground_truth/crack/002_mask.png", 32, 24);
  png_at (root, "widget/ground_truth/crack/003_mask.png", 30, 24);   /* wrong size */
  png_at (root, "widget/ground_truth/crack/009_mask.png", 32, 24);   /* no image */
  png_at (root, "widget/test/hole/000.png", 32, 24);                 /* no ground_truth/hole */
  png_at (root, "widget/ground_truth/scratch/000_mask.png", 32, 24); /* no test/scratch */
  text_at (root, "widget/README.md", "files beside the folders are ignored");
  {
    g_autofree char *empty = g_build_filename (root, "empty", "train", "good", NULL);
    g_mkdir_with_parents (empty, 0755);
  }
  png_at (root, "evalonly/test/good/a.png", 16, 16);
  text_at (root, "README.md", "ignored");
}

static void
check_mvtec_widget (const DmDataset *ds, int widget)
{
  const DmDatasetClass *c = &ds->classes[widget];
  const DmSample *s;

  g_assert_cmpuint (c->n_train, ==, 6);
  g_assert_cmpuint (c->n_holdout, ==, 0);
  g_assert_cmpuint (c->n_test_good, ==, 2);
  g_assert_cmpuint (c->n_test_defect, ==, 5);
  g_assert_cmpuint (c->n_masks, ==, 2); /* 000 and 002; 003's is the wrong size */

  s = sample_at (ds, "crack/002.png");
  g_assert_true (g_str_has_suffix (s->mask_path, "crack/002_mask.png"));
  g_assert_cmpint (s->label, ==, DM_LABEL_DEFECT);
  g_assert_cmpstr (s->defect_type, ==, "crack");
  g_assert_cmpint (s->width, ==, 32);
  g_assert_null (sample_at (ds, "crack/001.png")->mask_path);
  g_assert_null (sample_at (ds, "crack/003.png")->mask_path);
  g_assert_null (sample_at (ds, "hole/000.png")->mask_path);
  g_assert_cmpstr (sample_at (ds, "test/good/000.png")->defect_type, ==, "good");
  g_assert_null (find_sample (ds, "train/good/003.png"));
  g_assert_nonnull (find_sample (ds, "train/good/003.jpg"));
  g_assert_null (find_sample (ds, "broken.png"));

  assert_problem (ds, DM_DATASET_PROBLEM_DUPLICATE, "train/good/003.png");
  assert_problem (ds, DM_DATASET_PROBLEM_NOT_AN_IMAGE, "train/good/notes.txt");
  assert_problem (ds, DM_DATASET_PROBLEM_NOT_AN_IMAGE, "train/good/broken.png");
  assert_problem (ds, DM_DATASET_PROBLEM_UNREADABLE, "train/good/trunc.png");
  assert_problem (ds, DM_DATASET_PROBLEM_MISSING_MASK, "crack/001.png");
  assert_problem (ds, DM_DATASET_PROBLEM_MASK_SIZE, "crack/003_mask.png");
  assert_problem (ds, DM_DATASET_PROBLEM_MASK_WITHOUT_IMAGE, "crack/009_mask.png");
  assert_problem (ds, DM_DATASET_PROBLEM_MISSING_MASK, "ground_truth/hole");
  assert_problem (ds, DM_DATASET_PROBLEM_MASK_WITHOUT_IMAGE, "ground_truth/scratch");
  g_assert_null (find_problem (ds, DM_DATASET_PROBLEM_NOT_AN_IMAGE, ".hidden"));
  g_assert_null (find_problem (ds, DM_DATASET_PROBLEM_NOT_AN_IMAGE, "README.md"));
}

static void
test_mvtec_root (void)
{
  g_autofree char *root = dm_test_make_tmpdir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (DmDataset) ds = NULL;
  int widget, evalonly;
  guint first, n;

  build_mvtec (root);
  ds = dm_dataset_load (root, DM_DATASET_CHECK_ALL, &error);
  g_assert_no_error (error);
  print_problems (ds);
  g_assert_cmpuint (ds->n_classes, ==, 2); /* "empty" is left out */
  g_assert_cmpstr (ds->classes[0].name, ==, "evalonly");
  g_assert_cmpstr (ds->classes[1].name, ==, "widget");
  widget = dm_dataset_find_class (ds, "widget");
  evalonly = dm_dataset_find_class (ds, "evalonly");
  g_assert_cmpint (dm_dataset_find_class (ds, "empty"), ==, -1);
  check_mvtec_widget (ds, widget);
  assert_problem (ds, DM_DATASET_PROBLEM_EMPTY_CLASS, "empty");
  assert_problem (ds, DM_DATASET_PROBLEM_EMPTY_CLASS, "evalonly");
  g_assert_cmpuint (ds->classes[evalonly].n_test_good, ==, 1);
  g_assert_cmpuint (ds->n_problems, ==, 11);

  /* sorted: class, split, label, type, path */
  for (guint i = 1; i < ds->n_samples; i++)
    {
      const DmSample *a = &ds->samples[i - 1], *b = &ds->samples[i];

      g_assert_true (a->class_index <= b->class_index);
      if (a->class_index == b->class_index && a->split == b->split && a->label == b->label
          && strcmp (a->defect_type, b->defect_type) == 0)
        g_assert_cmpint (strcmp (a->path, b->path), <, 0);
    }
  dm_dataset_class_range (ds, (guint)widget, DM_SPLIT_TEST, &first, &n);
  g_assert_cmpuint (n, ==, 7);
  g_assert_cmpint (ds->samples[first].label, ==, DM_LABEL_GOOD);
  g_assert_cmpstr (ds->samples[first + 2].defect_type, ==, "crack");
  g_assert_cmpstr (ds->samples[first + 6].defect_type, ==, "hole");
  dm_dataset_class_range (ds, (guint)widget, DM_SPLIT_TRAIN, &first, &n);
  g_assert_cmpuint (n, ==, 6);

  /* adding the same class again: every file is a duplicate, nothing changes */
  {
    g_autofree char *widget_dir = at (root, "widget");
    guint n_samples = ds->n_samples;

    g_assert_true (dm_dataset_add_mvtec_class (ds, widget_dir, NULL, DM_DATASET_CHECK_ALL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (ds->n_samples, ==, n_samples);
    g_assert_cmpuint (dm_dataset_count_problems (ds, DM_DATASET_PROBLEM_DUPLICATE), ==, 1 + 14);
  }
}

static void
test_mvtec_single_class (void)
{
  g_autofree char *root = dm_test_make_tmpdir ();
  g_autofree char *widget = at (root, "widget");
  g_autoptr (GError) error = NULL;
  g_autoptr (DmDataset) ds = NULL;

  build_mvtec (root);
  ds = dm_dataset_load (widget, DM_DATASET_CHECK_ALL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ds->n_classes, ==, 1);
  g_assert_cmpstr (ds->classes[0].name, ==, "widget");
  check_mvtec_widget (ds, 0);
}

/* Without checks nothing is opened: the broken files are samples, sizes 0. */
static void
test_mvtec_no_checks (void)
{
  g_autofree char *root = dm_test_make_tmpdir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (DmDataset) ds = NULL;
  int widget;

  build_mvtec (root);
  ds = dm_dataset_load (root, DM_DATASET_CHECK_NONE, &error);
  g_assert_no_error (error);
  widget = dm_dataset_find_class (ds, "widget");
  g_assert_cmpuint (ds->classes[widget].n_train, ==, 8);
  g_assert_cmpuint (ds->classes[widget].n_masks, ==, 3);
  g_assert_nonnull (find_sample (ds, "broken.png"));
  g_assert_cmpint (sample_at (ds, "crack/000.png")->width, ==, 0);
  g_assert_null (find_problem (ds, DM_DATASET_PROBLEM_MASK_SIZE, ""));

  /* mask sizes only: the broken training files are not opened */
  g_clear_pointer (&ds, dm_dataset_free);
  ds = dm_dataset_load (root, DM_DATASET_CHECK_MASK_SIZES, &error);
  g_assert_no_error (error);
  assert_problem (ds, DM_DATASET_PROBLEM_MASK_SIZE, "crack/003_mask.png");
  g_assert_nonnull (find_sample (ds, "broken.png"));
}

static void
test_load_errors (void)
{
  g_autofree char *root = dm_test_make_tmpdir ();
  g_autofree char *missing = at (root, "nope");
  g_autofree char *plain = at (root, "plain");
  g_autofree char *csv = at (root, "bad.csv");
  g_autofree char *empty_class = at (root, "emptyroot");
  g_autoptr (GError) error = NULL;

  g_assert_null (dm_dataset_load (missing, DM_DATASET_CHECK_ALL, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_IO);
  g_clear_error (&error);

  png_at (plain, "x.png", 8, 8);
  g_assert_null (dm_dataset_load (plain, DM_DATASET_CHECK_ALL, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "MVTec"));
  g_clear_error (&error);

  write_text (csv, "a,b,c\n");
  g_assert_null (dm_dataset_load (csv, DM_DATASET_CHECK_ALL, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "object,split,label,image,mask"));
  g_clear_error (&error);

  {
    g_autofree char *dir = g_build_filename (empty_class, "a", "train", "good", NULL);
    g_mkdir_with_parents (dir, 0755);
  }
  g_assert_null (dm_dataset_load (empty_class, DM_DATASET_CHECK_ALL, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "no images"));
}

/* ---- VisA ------------------------------------------------------------------------ */

static void
test_visa (void)
{
  g_autofree char *root = dm_test_make_tmpdir ();
  g_autofree char *csv = at (root, "split_csv/1cls.csv");
  g_autoptr (GError) error = NULL;
  g_autoptr (DmDataset) ds = NULL;
  int candle, pcb;

  for (int i = 0; i < 4; i++)
    {
      g_autofree char *rel = g_strdup_printf ("candle/Data/Images/Normal/%04d.JPG", i);
      png_at (root, rel, 20, 10); /* PNG content under a .JPG name: by content */
    }
  png_at (root, "candle/Data/Images/Anomaly/000.JPG", 20, 10);
  png_at (root, "candle/Data/Images/Anomaly/001.JPG", 20, 10);
  png_at (root, "candle/Data/Images/Anomaly/002.JPG", 20, 10);
  png_at (root, "candle/Data/Masks/Anomaly/000.png", 20, 10);
  png_at (root, "candle/Data/Masks/Anomaly/002.png", 10, 10);
  png_at (root, "pcb1/Data/Images/Normal/0000.JPG", 8, 8);
  png_at (root, "pcb1/Data/Images/Anomaly/000.JPG", 8, 8);
  write_text (csv, "\xef\xbb\xbfobject,split,label,image,mask\r\n"
                   "candle,train,normal,candle/Data/Images/Normal/0000.JPG,\r\n"
                   "candle,train,normal,candle/Data/Images/Normal/0001.JPG,\r\n"
                   "candle,train,normal,candle/Data/Images/Normal/0002.JPG,\r\n"
                   "candle,test,normal,candle/Data/Images/Normal/0003.JPG,\r\n"
                   "candle,test,anomaly,candle/Data/Images/Anomaly/000.JPG,"
                   "candle/Data/Masks/Anomaly/000.png\r\n"
                   "candle,test,anomaly,candle/Data/Images/Anomaly/001.JPG,\r\n"
                   "candle,test,anomaly,candle/Data/Images/Anomaly/002.JPG,"
                   "candle/Data/Masks/Anomaly/002.png\r\n"
                   "candle,test,anomaly,candle/Data/Images/Anomaly/404.JPG,"
                   "candle/Data/Masks/Anomaly/404.png\r\n"
                   "candle,train,normal,candle/Data/Images/Normal/0000.JPG,\r\n"
                   "candle,train,anomaly,candle/Data/Images/Anomaly/000.JPG,\r\n"
                   "candle,valid,normal,candle/Data/Images/Normal/0000.JPG,\r\n"
                   "candle,test\r\n"
                   "\r\n"
                   "\"pcb1\",train,normal,\"pcb1/Data/Images/Normal/0000.JPG\",\r\n"
                   "pcb1,test,anomaly,pcb1/Data/Images/Anomaly/000.JPG,pcb1/missing.png\r\n");

  ds = dm_dataset_load (root, DM_DATASET_CHECK_ALL, &error);
  g_assert_no_error (error);
  print_problems (ds);
  g_assert_cmpuint (ds->n_classes, ==, 2);
  candle = dm_dataset_find_class (ds, "candle");
  pcb = dm_dataset_find_class (ds, "pcb1");
  g_assert_cmpuint (ds->classes[candle].n_train, ==, 3);
  g_assert_cmpuint (ds->classes[candle].n_test_good, ==, 1);
  g_assert_cmpuint (ds->classes[candle].n_test_defect, ==, 3);
  g_assert_cmpuint (ds->classes[candle].n_masks, ==, 1);
  g_assert_cmpuint (ds->classes[pcb].n_train, ==, 1);
  g_assert_cmpuint (ds->classes[pcb].n_test_defect, ==, 1);
  g_assert_cmpuint (ds->classes[pcb].n_masks, ==, 0);
  g_assert_cmpstr (sample_at (ds, "Anomaly/000.JPG")->defect_type, ==, "anomaly");
  g_assert_true (g_str_has_suffix (sample_at (ds, "Anomaly/000.JPG")->mask_path, "000.png"));
  g_assert_cmpint (sample_at (ds, "Anomaly/000.JPG")->width, ==, 20);

  assert_problem (ds, DM_DATASET_PROBLEM_MISSING_MASK, "Anomaly/001.JPG");
  assert_problem (ds, DM_DATASET_PROBLEM_MASK_SIZE, "Masks/Anomaly/002.png");
  assert_problem (ds, DM_DATASET_PROBLEM_MISSING_FILE, "Anomaly/404.JPG");
  assert_problem (ds, DM_DATASET_PROBLEM_DUPLICATE, "Normal/0000.JPG");
  assert_problem (ds, DM_DATASET_PROBLEM_BAD_ENTRY, "1cls.csv:11");
  assert_problem (ds, DM_DATASET_PROBLEM_BAD_ENTRY, "1cls.csv:12");
  assert_problem (ds, DM_DATASET_PROBLEM_BAD_ENTRY, "1cls.csv:13");
  assert_problem (ds, DM_DATASET_PROBLEM_MISSING_FILE, "pcb1/missing.png");
  g_assert_cmpuint (ds->n_problems, ==, 8);

  /* one object of the CSV under another name (a project's renamed class):
   * the other object's lines and their problems stay out */
  {
    g_autoptr (DmDataset) one = dm_dataset_new ();

    g_assert_true (
      dm_dataset_add_visa_object (one, csv, "pcb1", "boards", DM_DATASET_CHECK_ALL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (one->n_classes, ==, 1);
    g_assert_cmpstr (one->classes[0].name, ==, "boards");
    g_assert_cmpuint (one->classes[0].n_train, ==, 1);
    g_assert_cmpuint (one->classes[0].n_test_defect, ==, 1);
    assert_problem (one, DM_DATASET_PROBLEM_MISSING_FILE, "pcb1/missing.png");
    g_assert_cmpuint (one->n_problems, ==, 1);
  }

  /* the same CSV beside the class folders: paths relative to its own folder */
  {
    g_autofree char *text = NULL;
    g_autofree char *csv2 = at (root, "here.csv");
    g_autoptr (DmDataset) ds2 = NULL;

    g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
    write_text (csv2, text);
    ds2 = dm_dataset_load (csv2, DM_DATASET_CHECK_ALL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (ds2->n_samples, ==, ds->n_samples);
  }
}

/* ---- plain folders ------------------------------------------------------------------- */

static void
test_folders (void)
{
  g_autofree char *root = dm_test_make_tmpdir ();
  g_autofree char *normal = at (root, "normal"), *good = at (root, "good");
  g_autofree char *defect = at (root, "scratches"), *masks = at (root, "masks");
  g_autofree char *nowhere = at (root, "nowhere");
  g_autoptr (GError) error = NULL;
  g_autoptr (DmDataset) ds = dm_dataset_new ();
  DmFolderClass spec = { "bolt", normal, good, defect, masks };
  DmFolderClass only_normal = { "nut", good, NULL, NULL, NULL };
  DmFolderClass bad = { "x", nowhere, NULL, NULL, NULL };

  for (int i = 0; i < 5; i++)
    {
      g_autofree char *rel = g_strdup_printf ("normal/n%d.png", i);
      png_at (root, rel, 12, 12);
    }
  png_at (root, "good/g0.png", 12, 12);
  png_at (root, "scratches/s0.png", 12, 12);
  png_at (root, "scratches/s1.png", 12, 12);
  png_at (root, "scratches/s2.png", 12, 12);
  png_at (root, "masks/s0.png", 12, 12);      /* the stem itself */
  png_at (root, "masks/s1_mask.png", 12, 12); /* stem + _mask */
  png_at (root, "masks/zz.png", 12, 12);      /* no image */

  g_assert_true (dm_dataset_add_folders (ds, &spec, DM_DATASET_CHECK_ALL, &error));
  g_assert_no_error (error);
  g_assert_true (dm_dataset_add_folders (ds, &only_normal, DM_DATASET_CHECK_ALL, &error));
  g_assert_no_error (error);
  g_assert_false (dm_dataset_add_folders (ds, &bad, DM_DATASET_CHECK_ALL, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_IO);
  print_problems (ds);
  g_assert_cmpuint (ds->n_classes, ==, 1); /* nut: good/g0.png is already bolt's */
  g_assert_cmpstr (ds->classes[0].name, ==, "bolt");
  g_assert_cmpuint (ds->classes[0].n_train, ==, 5);
  g_assert_cmpuint (ds->classes[0].n_test_good, ==, 1);
  g_assert_cmpuint (ds->classes[0].n_test_defect, ==, 3);
  g_assert_cmpuint (ds->classes[0].n_masks, ==, 2);
  g_assert_cmpstr (sample_at (ds, "scratches/s0.png")->defect_type, ==, "scratches");
  g_assert_true (g_str_has_suffix (sample_at (ds, "scratches/s1.png")->mask_path, "s1_mask.png"));
  assert_problem (ds, DM_DATASET_PROBLEM_MISSING_MASK, "scratches/s2.png");
  assert_problem (ds, DM_DATASET_PROBLEM_MASK_WITHOUT_IMAGE, "masks/zz.png");
  assert_problem (ds, DM_DATASET_PROBLEM_DUPLICATE, "good/g0.png");
  assert_problem (ds, DM_DATASET_PROBLEM_EMPTY_CLASS, "good");
}

/* ---- hold-out ------------------------------------------------------------------------ */

static char *
holdout_set (const DmDataset *ds)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < ds->n_samples; i++)
    if (ds->samples[i].split == DM_SPLIT_HOLDOUT)
      g_string_append_printf (s, "%s;", strrchr (ds->samples[i].path, '/') + 1);
  return g_string_free (s, FALSE);
}

static void
test_holdout (void)
{
  g_autofree char *root = dm_test_make_tmpdir ();
  g_autofree char *normal = at (root, "normal");
  g_autoptr (GError) error = NULL;
  g_autoptr (DmDataset) ds = dm_dataset_new ();
  g_autoptr (DmDataset) again = dm_dataset_new ();
  DmFolderClass spec = { "c", normal, NULL, NULL, NULL };
  g_autofree char *set_a = NULL, *set_b = NULL, *set_seed2 = NULL, *set_added = NULL;
  guint moved = 0;

  for (int i = 0; i < 20; i++)
    {
      g_autofree char *rel = g_strdup_printf ("normal/img%02d.png", i);
      png_at (root, rel, 4, 4);
    }
  g_assert_true (dm_dataset_add_folders (ds, &spec, DM_DATASET_CHECK_NONE, &error));
  g_assert_false (dm_dataset_set_holdout (ds, 1.0, 1, &error));
  g_assert_error (error, DM_ERROR, DM_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (dm_dataset_set_holdout (ds, 0.25, 7, &error));
  g_assert_cmpuint (ds->classes[0].n_holdout, ==, 5);
  g_assert_cmpuint (ds->classes[0].n_train, ==, 15);
  set_a = holdout_set (ds);

  /* the same on a fresh load, a different set for another seed */
  g_assert_true (dm_dataset_set_holdout (again, 0.25, 7, &error));
  g_assert_true (dm_dataset_add_folders (again, &spec, DM_DATASET_CHECK_NONE, &error));
  set_b = holdout_set (again);
  g_assert_cmpstr (set_a, ==, set_b);
  g_assert_true (dm_dataset_set_holdout (again, 0.25, 8, &error));
  set_seed2 = holdout_set (again);
  g_assert_cmpstr (set_a, !=, set_seed2);

  /* one file more: at most one of the others changes side */
  png_at (root, "normal/img20.png", 4, 4);
  {
    g_autoptr (DmDataset) grown = dm_dataset_new ();
    g_auto (GStrv) before = g_strsplit (set_a, ";", -1);

    g_assert_true (dm_dataset_set_holdout (grown, 0.25, 7, &error));
    g_assert_true (dm_dataset_add_folders (grown, &spec, DM_DATASET_CHECK_NONE, &error));
    g_assert_cmpuint (grown->classes[0].n_holdout, ==, 5); /* round(5.25) */
    set_added = holdout_set (grown);
    for (guint i = 0; before[i] != NULL && before[i][0] != '\0'; i++)
      {
        g_autofree char *needle = g_strconcat (before[i], ";", NULL);
        moved += strstr (set_added, needle) == NULL;
      }
    g_assert_cmpuint (moved, <=, 1);
    g_test_message ("hold-out %s -> %s after adding img20 (%u moved)", set_a, set_added, moved);
  }

  /* small classes: one trains, one is held out */
  {
    g_autofree char *two = at (root, "two");
    g_autoptr (DmDataset) small = dm_dataset_new ();
    DmFolderClass spec2 = { "two", two, NULL, NULL, NULL };

    png_at (root, "two/a.png", 4, 4);
    png_at (root, "two/b.png", 4, 4);
    g_assert_true (dm_dataset_set_holdout (small, 0.01, 1, &error));
    g_assert_true (dm_dataset_add_folders (small, &spec2, DM_DATASET_CHECK_NONE, &error));
    g_assert_cmpuint (small->classes[0].n_holdout, ==, 1);
    g_assert_true (dm_dataset_set_holdout (small, 0.99, 1, &error));
    g_assert_cmpuint (small->classes[0].n_train, ==, 1);
  }
}

/* ---- real datasets -------------------------------------------------------------------- */

static void
check_real (const char *sub, const char *class_name, guint train, guint good, guint defect)
{
  const char *shared = dm_test_shared_dir ();
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (DmDataset) ds = NULL;
  gint64 t0;
  double seconds;
  int c;

  if (shared == NULL)
    {
      g_test_skip ("../shared is absent");
      return;
    }
  path = g_build_filename (shared, "data", sub, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("the dataset is absent");
      return;
    }
  t0 = g_get_monotonic_time ();
  ds = dm_dataset_load (path, DM_DATASET_CHECK_ALL, &error);
  seconds = (double)(g_get_monotonic_time () - t0) / 1e6;
  g_assert_no_error (error);
  print_problems (ds);
  g_assert_cmpuint (ds->n_problems, ==, 0);
  g_assert_cmpuint (ds->n_classes, ==, 1);
  c = dm_dataset_find_class (ds, class_name);
  g_assert_cmpint (c, ==, 0);
  g_assert_cmpuint (ds->classes[c].n_train, ==, train);
  g_assert_cmpuint (ds->classes[c].n_test_good, ==, good);
  g_assert_cmpuint (ds->classes[c].n_test_defect, ==, defect);
  g_assert_cmpuint (ds->classes[c].n_masks, ==, defect);
  g_test_message ("%s: %u images + %u masks loaded with every check in %.3f s", sub, ds->n_samples,
                  defect, seconds);
  g_clear_pointer (&ds, dm_dataset_free);
  t0 = g_get_monotonic_time ();
  ds = dm_dataset_load (path, DM_DATASET_CHECK_NONE, &error);
  seconds = (double)(g_get_monotonic_time () - t0) / 1e6;
  g_assert_no_error (error);
  g_assert_cmpuint (ds->classes[0].n_masks, ==, defect);
  g_test_message ("%s: loaded without checks (no file opened) in %.3f s", sub, seconds);
}

static void
test_real_magnetic_tile (void)
{
  check_real ("magnetic_tile", "magnetic_tile", 667, 285, 392);
}

static void
test_real_tire (void)
{
  check_real ("mvtec3d_tire", "tire", 35, 25, 87);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dataset/header-sizes", test_header_sizes);
  g_test_add_func ("/dataset/header-bad-files", test_header_bad_files);
  g_test_add_func ("/dataset/mvtec-root", test_mvtec_root);
  g_test_add_func ("/dataset/mvtec-single-class", test_mvtec_single_class);
  g_test_add_func ("/dataset/mvtec-no-checks", test_mvtec_no_checks);
  g_test_add_func ("/dataset/load-errors", test_load_errors);
  g_test_add_func ("/dataset/visa", test_visa);
  g_test_add_func ("/dataset/folders", test_folders);
  g_test_add_func ("/dataset/holdout", test_holdout);
  g_test_add_func ("/dataset/real-magnetic-tile", test_real_magnetic_tile);
  g_test_add_func ("/dataset/real-tire", test_real_tire);
  return g_test_run ();
}
