/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The benchmark layouts beyond MVTec AD and VisA, each built in miniature
 * in its exact form (folder and file names, split files, mask naming and
 * formats, as the releases and the official Dinomaly loaders have them):
 * MPDD, BTAD (BMP images and masks), MVTec AD 2 (validation split, private
 * test sets), MVTec LOCO AD (a folder of masks per image, their union),
 * Real-IAD (split JSON, every view, sample and view names); the detection
 * of each, reloading a class from its source, and the messages for folders
 * that nearly fit a layout. */
#include <glib/gstdio.h>
#include <string.h>

#include "dm-dataset.h"
#include "dm-error.h"
#include "dm-mask.h"
#include "dm-preprocess.h"
#include "dm-test-util.h"
#include "test-bmp-writer.h"

#define IW 32 /* image size of the miniatures */
#define IH 24

/* ---- files ------------------------------------------------------------------- */

static char *
at (const char *root, const char *rel)
{
  return g_build_filename (root, rel, NULL);
}

static void
make_parent (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
}

/* An 8-bit gray PNG at root/rel, 0 with value in [x0, x1) x [y0, y1). */
static void
png_rect (const char *root, const char *rel, int x0, int y0, int x1, int y1, guint8 value)
{
  g_autofree char *path = at (root, rel);
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) img = dm_image_new (IW, IH, 1, DM_PIXEL_U8, &error);

  g_assert_no_error (error);
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      img->data[(gsize)y * img->stride + x] = value;
  make_parent (path);
  g_assert_true (dm_image_save_png (img, path, &error));
}

static void
png_at (const char *root, const char *rel)
{
  png_rect (root, rel, 0, 0, 1, 1, 200);
}

static void
bmp_at (const char *root, const char *rel, gboolean mask)
{
  g_autofree char *path = at (root, rel);
  guint8 pixels[IW * IH * 3];

  for (int i = 0; i < IW * IH * 3; i++)
    pixels[i] = (guint8)(i * 7);
  make_parent (path);
  if (mask)
    {
      /* the defect in the top left quarter */
      for (int y = 0; y < IH; y++)
        for (int x = 0; x < IW; x++)
          pixels[y * IW + x] = x < IW / 2 && y < IH / 2 ? 255 : 0;
      test_bmp_write_gray8 (path, IW, IH, pixels);
    }
  else
    test_bmp_write_rgb24 (path, IW, IH, pixels);
}

static void
text_at (const char *root, const char *rel, const char *text)
{
  g_autofree char *path = at (root, rel);

  make_parent (path);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
dir_at (const char *root, const char *rel)
{
  g_autofree char *path = at (root, rel);

  g_assert_cmpint (g_mkdir_with_parents (path, 0755), ==, 0);
}

/* ---- looking things up ------------------------------------------------------------ */

static void
dump_problems (const DmDataset *ds)
{
  for (guint i = 0; i < ds->n_problems; i++)
    g_printerr ("  problem %s %s: %s\n", dm_dataset_problem_kind_name (ds->problems[i].kind),
                ds->problems[i].path, ds->problems[i].message);
}

static const DmDatasetProblem *
find_problem (const DmDataset *ds, DmDatasetProblemKind kind, const char *suffix)
{
  for (guint i = 0; i < ds->n_problems; i++)
    if (ds->problems[i].kind == kind && g_str_has_suffix (ds->problems[i].path, suffix))
      return &ds->problems[i];
  return NULL;
}

static const DmDatasetProblem *
assert_problem (const DmDataset *ds, DmDatasetProblemKind kind, const char *suffix)
{
  const DmDatasetProblem *p = find_problem (ds, kind, suffix);

  if (p == NULL)
    {
      dump_problems (ds);
      g_error ("no %s problem for ...%s", dm_dataset_problem_kind_name (kind), suffix);
    }
  return p;
}

static const DmSample *
sample_at (const DmDataset *ds, const char *suffix)
{
  for (guint i = 0; i < ds->n_samples; i++)
    if (g_str_has_suffix (ds->samples[i].path, suffix))
      return &ds->samples[i];
  g_error ("no sample ...%s", suffix);
  return NULL;
}

static const DmDatasetClass *
class_named (const DmDataset *ds, const char *name)
{
  int c = dm_dataset_find_class (ds, name);

  if (c < 0)
    g_error ("no class %s", name);
  return &ds->classes[c];
}

static void
assert_counts (const DmDatasetClass *c,
               guint train,
               guint holdout,
               guint test_good,
               guint test_defect,
               guint masks)
{
  g_assert_cmpuint (c->n_train, ==, train);
  g_assert_cmpuint (c->n_holdout, ==, holdout);
  g_assert_cmpuint (c->n_test_good, ==, test_good);
  g_assert_cmpuint (c->n_test_defect, ==, test_defect);
  g_assert_cmpuint (c->n_masks, ==, masks);
}

static DmDataset *
load_ok (const char *path)
{
  g_autoptr (GError) error = NULL;
  DmDataset *ds = dm_dataset_load (path, DM_DATASET_CHECK_ALL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (ds);
  return ds;
}

/* Every class read again from what DmDatasetClass says it came from (what
 * a project stores) gives the same counts. */
static void
assert_reloads (const DmDataset *ds)
{
  for (guint c = 0; c < ds->n_classes; c++)
    {
      const DmDatasetClass *k = &ds->classes[c];
      g_autoptr (DmDataset) again = dm_dataset_new ();
      g_autoptr (GError) error = NULL;
      DmDatasetLayout layout;

      g_assert_true (dm_dataset_layout_from_name (dm_dataset_layout_name (k->layout), &layout));
      g_assert_cmpint (layout, ==, k->layout);
      g_assert_true (
        dm_dataset_add_class (again, k->layout, k->source, k->name, DM_DATASET_CHECK_ALL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (again->n_classes, ==, 1);
      assert_counts (&again->classes[0], k->n_train, k->n_holdout, k->n_test_good, k->n_test_defect,
                     k->n_masks);
    }
}

static void
assert_load_error (const char *path, int code, const char *part)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmDataset) ds = dm_dataset_load (path, DM_DATASET_CHECK_ALL, &error);

  g_assert_null (ds);
  g_assert_error (error, DM_ERROR, code);
  dm_test_assert_has (error->message, part);
  g_test_message ("%s", error->message);
}

/* ---- MPDD ------------------------------------------------------------------------- */

/* MPDD: MVTec AD's layout and naming (the official dinomaly_mpdd_sep.py
 * reads it with MVTecDataset; anomalib's mpdd.py pairs 000.png with
 * 000_mask.png), its six classes and their defect folders. */
static void
test_mpdd (void)
{
  g_autofree char *root = dm_test_make_tmpdir ();
  g_autofree char *mpdd = at (root, "MPDD");
  g_autoptr (DmDataset) ds = NULL;
  static const char *const classes[][2] = { { "bracket_black", "hole" },
                                            { "bracket_brown", "bend_and_parts_mismatch" },
                                            { "bracket_white", "defective_painting" },
                                            { "connector", "parts_mismatch" },
                                            { "metal_plate", "major_rust" },
                                            { "tubes", "anomalous" } };

  for (guint k = 0; k < G_N_ELEMENTS (classes); k++)
    {
      const char *c = classes[k][0], *type = classes[k][1];

      for (int i = 0; i < 3; i++)
        {
          g_autofree char *train = g_strdup_printf ("MPDD/%s/train/good/%03d.png", c, i);
          g_autofree char *good = g_strdup_printf ("MPDD/%s/test/good/%03d.png", c, i);

          png_at (root, train);
          if (i < 2)
            png_at (root, good);
        }
      for (int i = 0; i < 2; i++)
        {
          g_autofree char *bad = g_strdup_printf ("MPDD/%s/test/%s/%03d.png", c, type, i);
          g_autofree char *mask
            = g_strdup_printf ("MPDD/%s/ground_truth/%s/%03d_mask.png", c, type, i);

          png_at (root, bad);
          png_rect (root, mask, 4, 4, 12, 10, 255);
        }
    }
  ds = load_ok (mpdd);
  dump_problems (ds);
  g_assert_cmpuint (ds->n_problems, ==, 0);
  g_assert_cmpuint (ds->n_classes, ==, 6);
  for (guint k = 0; k < G_N_ELEMENTS (classes); k++)
    {
      const DmDatasetClass *c = class_named (ds, classes[k][0]);
      g_autofree char *suffix
        = g_strdup_printf ("%s/test/%s/001.png", classes[k][0], classes[k][1]);
      const DmSample *s = sample_at (ds, suffix);

      g_assert_cmpint (c->layout, ==, DM_DATASET_LAYOUT_MVTEC_AD);
      assert_counts (c, 3, 0, 2, 2, 2);
      g_assert_cmpstr (s->defect_type, ==, classes[k][1]);
      g_assert_true (g_str_has_suffix (s->mask_path, "001_mask.png"));
    }
  assert_reloads (ds);
}

/* ---- BTAD ------------------------------------------------------------------------- */

/* BTAD (BTech_Dataset_transformed): products 01 and 03 in BMP, 02 in PNG;
 * ok/ko folders; masks ground_truth/ko/<stem>.png, .bmp for 03 (the BTAD
 * loaders of the papers that report it, anomalib's btech.py). */
static void
build_btad (const char *root)
{
  static const struct
  {
    const char *product, *ext, *mask_ext;
  } products[] = { { "01", "bmp", "png" }, { "02", "png", "png" }, { "03", "bmp", "bmp" } };

  for (guint p = 0; p < G_N_ELEMENTS (products); p++)
    {
      gboolean bmp = strcmp (products[p].ext, "bmp") == 0;

      for (int i = 0; i < 4; i++)
        {
          g_autofree char *train
            = g_strdup_printf ("BTAD/%s/train/ok/%04d.%s", products[p].product, i, products[p].ext);

          bmp ? bmp_at (root, train, FALSE) : png_at (root, train);
        }
      for (int i = 0; i < 2; i++)
        {
          g_autofree char *ok
            = g_strdup_printf ("BTAD/%s/test/ok/%04d.%s", products[p].product, i, products[p].ext);

          bmp ? bmp_at (root, ok, FALSE) : png_at (root, ok);
        }
      for (int i = 0; i < 3; i++)
        {
          g_autofree char *ko
            = g_strdup_printf ("BTAD/%s/test/ko/%04d.%s", products[p].product, i, products[p].ext);
          g_autofree char *mask = g_strdup_printf ("BTAD/%s/ground_truth/ko/%04d.%s",
                                                   products[p].product, i, products[p].mask_ext);

          bmp ? bmp_at (root, ko, FALSE) : png_at (root, ko);
          if (strcmp (products[p].mask_ext, "bmp") == 0)
            bmp_at (root, mask, TRUE);
          else
            png_rect (root, mask, 0, 0, IW / 2, IH / 2, 255);
        }
    }
}

static void
test_btad (void)
{
  g_autofree char *root = dm_test_make_tmpdir ();
  g_autofree char *btad = at (root, "BTAD");
  g_autofree char *product3 = at (root, "BTAD/03");
  g_autoptr (DmDataset) ds = NULL;
  guint8 out[16 * 16];
  g_autoptr (GError) error = NULL;
  const DmSample *s;
  int positives = 0;

  build_btad (root);
  ds = load_ok (btad);
  dump_problems (ds);
  g_assert_cmpuint (ds->n_problems, ==, 0); /* headers and mask sizes checked, BMP included */
  g_assert_cmpuint (ds->n_classes, ==, 3);
  for (guint c = 0; c < ds->n_classes; c++)
    {
      g_assert_cmpint (ds->classes[c].layout, ==, DM_DATASET_LAYOUT_BTAD);
      assert_counts (&ds->classes[c], 4, 0, 2, 3, 3);
    }
  s = sample_at (ds, "01/test/ko/0002.bmp");
  g_assert_cmpint (s->label, ==, DM_LABEL_DEFECT);
  g_assert_cmpstr (s->defect_type, ==, "ko");
  g_assert_cmpint (s->width, ==, IW);
  g_assert_true (g_str_has_suffix (s->mask_path, "01/ground_truth/ko/0002.png"));
  g_assert_cmpint (sample_at (ds, "03/test/ok/0001.bmp")->label, ==, DM_LABEL_GOOD);
  s = sample_at (ds, "03/test/ko/0001.bmp");
  g_assert_true (g_str_has_suffix (s->mask_path, "03/ground_truth/ko/0001.bmp"));
  /* the BMP mask goes through the mask pipeline: its quarter is defect */
  g_assert_true (dm_preprocess_mask_file (s->mask_path, 32, 32, 16, 0, out, NULL, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 16 * 16; i++)
    positives += out[i];
  g_assert_cmpint (out[0], ==, 1);
  g_assert_cmpint (out[16 * 16 - 1], ==, 0);
  g_assert_cmpint (positives, >=, 8 * 8 - 16);
  assert_reloads (ds);

  /* one product folder alone */
  {
    g_autoptr (DmDataset) one = load_ok (product3);

    g_assert_cmpuint (one->n_classes, ==, 1);
    g_assert_cmpstr (one->classes[0].name, ==, "03");
    g_assert_cmpint (one->classes[0].layout, ==, DM_DATASET_LAYOUT_BTAD);
  }
}

/* ---- MVTec AD 2 ---------------------------------------------------------------------- */

static void
test_mvtec_ad2 (void)
{
  g_autofree char *root = dm_test_make_tmpdir ();
  g_autofree char *ad2 = at (root, "mvtec_ad_2");
  g_autoptr (DmDataset) ds = NULL;
  g_autoptr (GError) error = NULL;
  const DmDatasetClass *can;
  const DmDatasetProblem *p;

  for (int i = 0; i < 5; i++)
    {
      g_autofree char *train = g_strdup_printf ("mvtec_ad_2/can/train/good/%03d_regular.png", i);

      png_at (root, train);
    }
  png_at (root, "mvtec_ad_2/can/validation/good/000_regular.png");
  png_at (root, "mvtec_ad_2/can/validation/good/001_regular.png");
  png_at (root, "mvtec_ad_2/can/test_public/good/000_regular.png");
  png_at (root, "mvtec_ad_2/can/test_public/good/001_overexposed.png");
  png_at (root, "mvtec_ad_2/can/test_public/bad/000_regular.png");
  png_at (root, "mvtec_ad_2/can/test_public/bad/001_shift_1.png");
  png_at (root, "mvtec_ad_2/can/test_public/bad/002_regular.png");
  png_rect (root, "mvtec_ad_2/can/test_public/ground_truth/bad/000_regular_mask.png", 2, 2, 8, 8,
            255);
  png_rect (root, "mvtec_ad_2/can/test_public/ground_truth/bad/001_shift_1_mask.png", 2, 2, 8, 8,
            255);
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *private
        = g_strdup_printf ("mvtec_ad_2/can/test_private/%03d_regular.png", i);

      png_at (root, private);
    }
  png_at (root, "mvtec_ad_2/can/test_private_mixed/000_mixed.png");
  png_at (root, "mvtec_ad_2/fabric/train/good/000_regular.png");
  png_at (root, "mvtec_ad_2/fabric/test_public/good/000_regular.png");

  ds = load_ok (ad2);
  g_assert_cmpuint (ds->n_classes, ==, 2);
  can = class_named (ds, "can");
  g_assert_cmpint (can->layout, ==, DM_DATASET_LAYOUT_MVTEC_AD2);
  /* the validation split is the hold-out, whatever the fraction */
  assert_counts (can, 5, 2, 2, 3, 2);
  g_assert_true (sample_at (ds, "validation/good/001_regular.png")->validation);
  g_assert_cmpint (sample_at (ds, "validation/good/001_regular.png")->split, ==, DM_SPLIT_HOLDOUT);
  g_assert_cmpstr (sample_at (ds, "bad/001_shift_1.png")->defect_type, ==, "bad");
  g_assert_true (
    g_str_has_suffix (sample_at (ds, "bad/001_shift_1.png")->mask_path, "001_shift_1_mask.png"));
  assert_problem (ds, DM_DATASET_PROBLEM_MISSING_MASK, "bad/002_regular.png");
  p = assert_problem (ds, DM_DATASET_PROBLEM_UNLABELED, "can/test_private");
  dm_test_assert_has (p->message, "3 images without labels");
  p = assert_problem (ds, DM_DATASET_PROBLEM_UNLABELED, "can/test_private_mixed");
  dm_test_assert_has (p->message, "1 image without labels");
  g_assert_cmpuint (ds->n_problems, ==, 3);

  g_assert_true (dm_dataset_set_holdout (ds, 0.5, 3, &error));
  assert_counts (class_named (ds, "can"), 5, 2, 2, 3, 2);
  /* a class without validation images keeps the usual rule */
  g_assert_cmpuint (class_named (ds, "fabric")->n_train, ==, 1);
  g_assert_true (dm_dataset_set_holdout (ds, 0.0, 3, &error));
  assert_counts (class_named (ds, "can"), 5, 2, 2, 3, 2);
  assert_reloads (ds);
}

/* ---- MVTec LOCO AD -------------------------------------------------------------------- */

static void
build_loco (const char *root)
{
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *train = g_strdup_printf ("loco/juice_bottle/train/good/%03d.png", i);

      png_at (root, train);
    }
  png_at (root, "loco/juice_bottle/validation/good/000.png");
  png_at (root, "loco/juice_bottle/test/good/000.png");
  png_at (root, "loco/juice_bottle/test/logical_anomalies/000.png");
  png_at (root, "loco/juice_bottle/test/logical_anomalies/001.png");
  png_at (root, "loco/juice_bottle/test/logical_anomalies/002.png");
  png_at (root, "loco/juice_bottle/test/structural_anomalies/000.png");
  /* 000: two defects, one mask each (LOCO marks them with values other than 255 too) */
  png_rect (root, "loco/juice_bottle/ground_truth/logical_anomalies/000/000.png", 0, 0, 8, 8, 255);
  png_rect (root, "loco/juice_bottle/ground_truth/logical_anomalies/000/001.png", 24, 16, 32, 24,
            238);
  png_rect (root, "loco/juice_bottle/ground_truth/logical_anomalies/001/000.png", 4, 4, 12, 12,
            255);
  /* 002: no mask folder; 007: a mask folder without an image */
  png_rect (root, "loco/juice_bottle/ground_truth/structural_anomalies/000/000.png", 8, 8, 16, 16,
            255);
  png_rect (root, "loco/juice_bottle/ground_truth/structural_anomalies/007/000.png", 8, 8, 16, 16,
            255);
}

static void
test_loco (void)
{
  g_autofree char *root = dm_test_make_tmpdir ();
  g_autofree char *loco = at (root, "loco");
  g_autoptr (DmDataset) ds = NULL;
  g_autoptr (GError) error = NULL;
  const DmSample *s;

  build_loco (root);
  ds = load_ok (loco);
  g_assert_cmpuint (ds->n_classes, ==, 1);
  g_assert_cmpint (ds->classes[0].layout, ==, DM_DATASET_LAYOUT_MVTEC_LOCO);
  assert_counts (&ds->classes[0], 4, 1, 1, 4, 3);
  s = sample_at (ds, "logical_anomalies/000.png");
  g_assert_true (g_str_has_suffix (s->mask_path, "ground_truth/logical_anomalies/000"));
  g_assert_true (g_file_test (s->mask_path, G_FILE_TEST_IS_DIR));
  g_assert_cmpstr (s->defect_type, ==, "logical_anomalies");
  assert_problem (ds, DM_DATASET_PROBLEM_MISSING_MASK, "logical_anomalies/002.png");
  assert_problem (ds, DM_DATASET_PROBLEM_MASK_WITHOUT_IMAGE, "structural_anomalies/007");
  g_assert_cmpuint (ds->n_problems, ==, 2);

  /* the union: both defects of image 000, as the largest value */
  {
    g_autoptr (DmImage) u
      = dm_mask_load (s->mask_path, 0, DM_IMAGE_LOAD_PALETTE_INDICES, NULL, &error);
    guint8 out[IW * IW], first[IW * IW], second[IW * IW];
    g_autofree char *m0 = g_build_filename (s->mask_path, "000.png", NULL);
    g_autofree char *m1 = g_build_filename (s->mask_path, "001.png", NULL);
    int n = 0;

    g_assert_no_error (error);
    g_assert_cmpint (u->channels, ==, 1);
    g_assert_cmpint (u->data[0], ==, 255);
    g_assert_cmpint (u->data[(gsize)(IH - 1) * u->stride + IW - 1], ==, 238);
    g_assert_cmpint (u->data[(gsize)12 * u->stride + 12], ==, 0);
    /* through the mask pipeline: the union of what each mask gives alone */
    g_assert_true (dm_preprocess_mask_file (s->mask_path, IW, IW, IW, 0, out, NULL, &error));
    g_assert_true (dm_preprocess_mask_file (m0, IW, IW, IW, 0, first, NULL, &error));
    g_assert_true (dm_preprocess_mask_file (m1, IW, IW, IW, 0, second, NULL, &error));
    g_assert_no_error (error);
    for (int i = 0; i < IW * IW; i++)
      {
        g_assert_cmpint (out[i], ==, first[i] | second[i]);
        n += out[i];
      }
    g_assert_cmpint (n, >, 0);
  }
  /* a folder of one mask reads exactly like the mask itself */
  {
    const DmSample *one = sample_at (ds, "logical_anomalies/001.png");
    g_autofree char *file = g_build_filename (one->mask_path, "000.png", NULL);
    g_autoptr (DmImage) a = dm_mask_load (one->mask_path, 0, 0, NULL, &error);
    g_autoptr (DmImage) b = dm_image_load (file, 0, &error);

    g_assert_no_error (error);
    g_assert_cmpmem (a->data, a->stride * IH, b->data, b->stride * IH);
  }
  assert_reloads (ds);

  /* masks of one image that differ in size: the image keeps no mask */
  {
    g_autoptr (DmDataset) again = NULL;
    const DmDatasetProblem *p;
    g_autofree char *odd
      = at (root, "loco/juice_bottle/ground_truth/logical_anomalies/000/002.png");
    g_autoptr (DmImage) small = dm_image_new (8, 8, 1, DM_PIXEL_U8, &error);

    g_assert_true (dm_image_save_png (small, odd, &error));
    again = load_ok (loco);
    p = assert_problem (again, DM_DATASET_PROBLEM_UNREADABLE, "logical_anomalies/000");
    dm_test_assert_has (p->message, "differ in size");
    g_assert_null (sample_at (again, "logical_anomalies/000.png")->mask_path);
  }
}

/* ---- Real-IAD ------------------------------------------------------------------------------ */

/* Real-IAD/realiad_1024/CLASS/{OK/SXXXX, NG/TYPE/SXXXX}/CLASS_XXXX_..._Cv_TIME.jpg
 * with .png masks beside the NG images, and the split files of
 * realiad_jsons/realiad_jsons/CLASS.json (every view) and realiad_jsons_sv/
 * (single view). The images are PNG data under .jpg names: the loader goes
 * by name, the header checks by content. */
static char *
realiad_image (const char *cls, int sample, const char *kind, int view, gboolean mask)
{
  const char *ext = mask ? "png" : "jpg";

  if (strcmp (kind, "OK") == 0)
    return g_strdup_printf ("OK/S%04d/%s_%04d_OK_C%d_20231021%06d.%s", sample, cls, sample, view,
                            130000 + sample * 10 + view, ext);
  return g_strdup_printf ("NG/%s/S%04d/%s_%04d_NG_%s_C%d_20231021%06d.%s", kind, sample, cls,
                          sample, kind, view, 130000 + sample * 10 + view, ext);
}

static void
append_entry (
  GString *json, const char *cls, const char *anomaly, const char *image, const char *mask)
{
  g_string_append_printf (json,
                          "%s{\"category\": \"%s\", \"anomaly_class\": \"%s\", "
                          "\"image_path\": \"%s\", \"mask_path\": ",
                          json->str[json->len - 1] == '[' ? "\n  " : ",\n  ", cls, anomaly, image);
  if (mask != NULL)
    g_string_append_printf (json, "\"%s\"}", mask);
  else
    g_string_append (json, "null}");
}

/* One class: samples 1, 2 (OK) to train, 3 (OK) and 11 (NG "AK", visible
 * from views 1 and 2 only: the other views are labelled OK) to test; five
 * views each. Returns the number of test images. */
static void
build_realiad_class (const char *root, const char *cls)
{
  g_autoptr (GString) json = g_string_new ("{\"meta\": {\"prefix\": \"\", \"normal_class\": "
                                           "\"OK\"},\n \"train\": [");
  g_autoptr (GString) sv = NULL;
  g_autofree char *base = g_strdup_printf ("Real-IAD/realiad_1024/%s", cls);
  g_autofree char *json_rel = g_strdup_printf ("Real-IAD/realiad_jsons/realiad_jsons/%s.json", cls);
  g_autofree char *sv_rel
    = g_strdup_printf ("Real-IAD/realiad_jsons/realiad_jsons_sv/%s.json", cls);

  for (int sample = 1; sample <= 3; sample++)
    {
      if (sample == 3)
        g_string_append (json, "],\n \"test\": [");
      for (int view = 1; view <= 5; view++)
        {
          g_autofree char *image = realiad_image (cls, sample, "OK", view, FALSE);
          g_autofree char *path = g_build_filename (base, image, NULL);

          png_at (root, path);
          append_entry (json, cls, "OK", image, NULL);
        }
    }
  for (int view = 1; view <= 5; view++)
    {
      g_autofree char *image = realiad_image (cls, 11, "AK", view, FALSE);
      g_autofree char *mask = realiad_image (cls, 11, "AK", view, TRUE);
      g_autofree char *path = g_build_filename (base, image, NULL);
      g_autofree char *mask_path = g_build_filename (base, mask, NULL);

      png_at (root, path);
      if (view <= 2)
        {
          png_rect (root, mask_path, 3, 3, 9, 9, 255);
          append_entry (json, cls, "AK", image, mask);
        }
      else
        append_entry (json, cls, "OK", image, NULL);
    }
  g_string_append (json, "]}\n");
  text_at (root, json_rel, json->str);

  /* the single-view split: one view per sample */
  sv = g_string_new ("{\"train\": [");
  {
    g_autofree char *a = realiad_image (cls, 1, "OK", 1, FALSE);
    g_autofree char *b = realiad_image (cls, 3, "OK", 1, FALSE);

    append_entry (sv, cls, "OK", a, NULL);
    g_string_append (sv, "], \"test\": [");
    append_entry (sv, cls, "OK", b, NULL);
    g_string_append (sv, "]}");
  }
  text_at (root, sv_rel, sv->str);
}

static void
test_realiad (void)
{
  g_autofree char *root = dm_test_make_tmpdir ();
  g_autofree char *realiad = at (root, "Real-IAD");
  g_autofree char *json = at (root, "Real-IAD/realiad_jsons/realiad_jsons/audiojack.json");
  g_autofree char *sv = at (root, "Real-IAD/realiad_jsons/realiad_jsons_sv");
  g_autoptr (DmDataset) ds = NULL;
  g_autofree char *sample = NULL, *view = NULL;
  const DmDatasetClass *audiojack;
  const DmSample *s;

  build_realiad_class (root, "audiojack");
  build_realiad_class (root, "pcb");
  text_at (root, "Real-IAD/README.md", "beside the folders");

  ds = load_ok (realiad);
  dump_problems (ds);
  g_assert_cmpuint (ds->n_problems, ==, 0);
  g_assert_cmpuint (ds->n_classes, ==, 2);
  audiojack = class_named (ds, "audiojack");
  g_assert_cmpint (audiojack->layout, ==, DM_DATASET_LAYOUT_REALIAD);
  g_assert_cmpstr (audiojack->source, ==, json);
  g_assert_true (g_str_has_suffix (audiojack->dir, "realiad_1024/audiojack"));
  /* every view is an image: 10 to train, 5 + 5 to test, 2 of them defects */
  assert_counts (audiojack, 10, 0, 8, 2, 2);

  s = sample_at (ds, "NG/AK/S0011/audiojack_0011_NG_AK_C2_20231021130112.jpg");
  g_assert_cmpint (s->label, ==, DM_LABEL_DEFECT);
  g_assert_cmpstr (s->defect_type, ==, "AK");
  g_assert_true (g_str_has_suffix (s->mask_path, "audiojack_0011_NG_AK_C2_20231021130112.png"));
  g_assert_true (dm_dataset_sample_view (s->path, &sample, &view));
  g_assert_cmpstr (sample, ==, "S0011");
  g_assert_cmpstr (view, ==, "C2");
  /* the same sample seen from camera 4 shows no defect: labelled good */
  s = sample_at (ds, "audiojack_0011_NG_AK_C4_20231021130114.jpg");
  g_assert_cmpint (s->label, ==, DM_LABEL_GOOD);
  g_assert_null (s->mask_path);
  assert_reloads (ds);

  /* a split file among others that cannot be used: the others load */
  {
    g_autofree char *broken = at (root, "Real-IAD/realiad_jsons/realiad_jsons/zz_broken.json");
    g_autofree char *lost = at (root, "Real-IAD/realiad_jsons/realiad_jsons/lost.json");
    g_autoptr (DmDataset) partial = NULL;
    const DmDatasetProblem *p;

    g_assert_true (g_file_set_contents (broken, "{\"train\": [", -1, NULL));
    g_assert_true (g_file_set_contents (lost, "{\"train\": [], \"test\": []}", -1, NULL));
    partial = load_ok (realiad);
    g_assert_cmpuint (partial->n_classes, ==, 2);
    p = assert_problem (partial, DM_DATASET_PROBLEM_UNREADABLE, "zz_broken.json");
    dm_test_assert_has (p->message, "not JSON");
    p = assert_problem (partial, DM_DATASET_PROBLEM_MISSING_FILE, "lost.json");
    dm_test_assert_has (p->message, "its images are not there: expected realiad_1024/lost");
    dm_test_assert_has (p->message, "class left out");
    g_assert_false (g_str_has_prefix (p->message, "/"));
    g_assert_cmpint (g_unlink (broken), ==, 0);
    g_assert_cmpint (g_unlink (lost), ==, 0);
  }

  /* one split file; the single-view folder */
  {
    g_autoptr (DmDataset) one = load_ok (json);

    g_assert_cmpuint (one->n_classes, ==, 1);
    assert_counts (&one->classes[0], 10, 0, 8, 2, 2);
  }
  {
    g_autoptr (DmDataset) single = load_ok (sv);

    g_assert_cmpuint (single->n_classes, ==, 2);
    assert_counts (class_named (single, "pcb"), 1, 0, 1, 0, 0);
  }
}

static void
test_realiad_bad_entries (void)
{
  g_autofree char *root = dm_test_make_tmpdir ();
  g_autofree char *json = at (root, "Real-IAD/realiad_jsons/realiad_jsons/toy.json");
  g_autoptr (DmDataset) ds = NULL;
  const DmDatasetProblem *p;

  png_at (root, "Real-IAD/realiad_1024/toy/OK/S0001/toy_0001_OK_C1_1.jpg");
  png_at (root, "Real-IAD/realiad_1024/toy/NG/HS/S0002/toy_0002_NG_HS_C1_1.jpg");
  png_at (root, "Real-IAD/realiad_1024/toy/NG/HS/S0002/toy_0002_NG_HS_C2_1.jpg");
  png_at (root, "secret.jpg");
  text_at (
    root, "Real-IAD/realiad_jsons/realiad_jsons/toy.json",
    "{\"train\": [\n"
    "  {\"anomaly_class\": \"OK\", \"image_path\": \"OK/S0001/toy_0001_OK_C1_1.jpg\"},\n"
    "  {\"anomaly_class\": \"HS\", \"image_path\": \"NG/HS/S0002/toy_0002_NG_HS_C1_1.jpg\"},\n"
    "  \"not an object\",\n"
    "  {\"anomaly_class\": \"OK\", \"image_path\": \"../../../secret.jpg\"},\n"
    "  {\"anomaly_class\": \"OK\", \"image_path\": \"/etc/passwd\"},\n"
    "  {\"image_path\": \"OK/S0001/toy_0001_OK_C1_1.jpg\"}],\n"
    " \"test\": [\n"
    "  {\"anomaly_class\": \"HS\", \"image_path\": \"NG/HS/S0002/toy_0002_NG_HS_C1_1.jpg\","
    " \"mask_path\": null},\n"
    "  {\"anomaly_class\": \"HS\", \"image_path\": \"NG/HS/S0002/toy_0002_NG_HS_C2_1.jpg\","
    " \"mask_path\": \"NG/HS/S0002/gone.png\"},\n"
    "  {\"anomaly_class\": \"OK\", \"image_path\": \"OK/S0009/toy_0009_OK_C1_1.jpg\"},\n"
    "  {\"anomaly_class\": \"OK\", \"image_path\": \"OK/S0001/notes.txt\"},\n"
    "  {\"anomaly_class\": 7, \"image_path\": \"OK/S0001/toy_0001_OK_C1_1.jpg\"}]}\n");
  ds = load_ok (json);
  assert_counts (&ds->classes[0], 1, 0, 0, 2, 0);
  p = assert_problem (ds, DM_DATASET_PROBLEM_BAD_ENTRY, "toy.json:train[1]");
  dm_test_assert_has (p->message, "anomalous image (\"HS\") in the training split");
  assert_problem (ds, DM_DATASET_PROBLEM_BAD_ENTRY, "toy.json:train[2]");
  p = assert_problem (ds, DM_DATASET_PROBLEM_BAD_ENTRY, "toy.json:train[3]");
  dm_test_assert_has (p->message, "not a relative path inside the class's folder");
  assert_problem (ds, DM_DATASET_PROBLEM_BAD_ENTRY, "toy.json:train[4]");
  assert_problem (ds, DM_DATASET_PROBLEM_BAD_ENTRY, "toy.json:train[5]");
  assert_problem (ds, DM_DATASET_PROBLEM_MISSING_MASK, "toy_0002_NG_HS_C1_1.jpg");
  assert_problem (ds, DM_DATASET_PROBLEM_MISSING_FILE, "NG/HS/S0002/gone.png");
  assert_problem (ds, DM_DATASET_PROBLEM_MISSING_FILE, "toy_0009_OK_C1_1.jpg");
  assert_problem (ds, DM_DATASET_PROBLEM_NOT_AN_IMAGE, "OK/S0001/notes.txt");
  assert_problem (ds, DM_DATASET_PROBLEM_BAD_ENTRY, "toy.json:test[4]");
  g_assert_cmpuint (ds->n_problems, ==, 10);
}

static void
test_sample_view (void)
{
  static const struct
  {
    const char *path, *sample, *view;
  } cases[] = {
    { "/d/realiad_1024/audiojack/OK/S0001/audiojack_0001_OK_C1_20231021130246.jpg", "S0001", "C1" },
    { "NG/ZW/S0123/usb_adaptor_0123_NG_ZW_C5_20231027090807.jpg", "S0123", "C5" },
    { "NG/ZW/S0123/usb_adaptor_0123_NG_ZW_C5_20231027090807_mask.png", "S0123", "C5" },
    { "/mvtec/bottle/test/good/000.png", NULL, NULL },
    { "S0001/audiojack_0002_OK_C1_1.jpg", NULL, NULL }, /* another sample's number */
    { "S0001/audiojack_0001_OK_1.jpg", NULL, NULL },    /* no camera */
    { "SX/audiojack_0001_OK_C1_1.jpg", NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *sample = NULL, *view = NULL;
      gboolean ok = dm_dataset_sample_view (cases[i].path, &sample, &view);

      g_assert_cmpint (ok, ==, cases[i].sample != NULL);
      g_assert_cmpstr (sample, ==, cases[i].sample);
      g_assert_cmpstr (view, ==, cases[i].view);
    }
}

/* ---- detection and near misses ---------------------------------------------------------- */

static void
test_near_misses (void)
{
  g_autofree char *root = dm_test_make_tmpdir ();
  g_autofree char *no_good = at (root, "no_good");
  g_autofree char *realiad_class = at (root, "realiad_1024/audiojack");
  g_autofree char *realiad_root = at (root, "Real-IAD");
  g_autofree char *realiad_no_images = at (root, "Lonely/realiad_jsons/realiad_jsons/toy.json");
  g_autofree char *visa_raw = at (root, "VisA");
  g_autofree char *plain = at (root, "plain");
  g_autofree char *not_json = at (root, "bad.json");
  g_autofree char *not_split = at (root, "other.json");

  /* train/ without good/ and nothing else: the brief's own example */
  png_at (root, "no_good/train/images/000.png");
  assert_load_error (no_good, DM_ERROR_CORRUPT,
                     "looks like MVTec AD but has no 'train/good' (its train/ holds images/)");
  /* the same one level down */
  {
    g_autofree char *parent = at (root, "parent");

    png_at (root, "parent/widget/train/images/000.png");
    assert_load_error (parent, DM_ERROR_CORRUPT, "widget/ looks like MVTec AD but has no");
  }
  /* a Real-IAD class folder without its split file */
  png_at (root, "realiad_1024/audiojack/OK/S0001/audiojack_0001_OK_C1_1.jpg");
  dir_at (root, "realiad_1024/audiojack/NG/AK");
  assert_load_error (realiad_class, DM_ERROR_CORRUPT,
                     "looks like a Real-IAD class folder (OK/, NG/), whose split comes from "
                     "realiad_jsons/realiad_jsons/audiojack.json");
  /* a Real-IAD root with only the single-view split */
  dir_at (root, "Real-IAD/realiad_jsons/realiad_jsons_sv");
  dir_at (root, "Real-IAD/realiad_1024");
  assert_load_error (realiad_root, DM_ERROR_CORRUPT,
                     "looks like Real-IAD but has no split files in realiad_jsons/realiad_jsons/");
  assert_load_error (realiad_root, DM_ERROR_CORRUPT, "realiad_jsons/ holds realiad_jsons_sv");
  /* a split file whose images are elsewhere */
  text_at (root, "Lonely/realiad_jsons/realiad_jsons/toy.json", "{\"train\": [], \"test\": []}");
  assert_load_error (realiad_no_images, DM_ERROR_UNSUPPORTED,
                     "its images are not there: expected realiad_1024/toy");
  /* VisA as downloaded, before its split */
  png_at (root, "VisA/candle/Data/Images/Normal/0000.JPG");
  assert_load_error (visa_raw, DM_ERROR_CORRUPT,
                     "candle/ looks like a VisA class but has no split");
  /* images only: not a dataset, every layout named */
  png_at (root, "plain/x.png");
  assert_load_error (plain, DM_ERROR_UNSUPPORTED, "not a dataset: expected MVTec AD or MPDD");
  assert_load_error (plain, DM_ERROR_UNSUPPORTED, "BTAD (CLASS/train/ok, CLASS/test/ko)");
  assert_load_error (plain, DM_ERROR_UNSUPPORTED, "Real-IAD");
  /* JSON that is no split file */
  text_at (root, "bad.json", "{\"train\": [");
  assert_load_error (not_json, DM_ERROR_CORRUPT, "bad.json: not JSON");
  text_at (root, "other.json", "{\"images\": []}");
  assert_load_error (not_split, DM_ERROR_CORRUPT,
                     "other.json: not a Real-IAD split file: expected an object with \"train\"");
}

/* Every layout side by side in one root: each class read by its own reader. */
static void
test_mixed_root (void)
{
  g_autofree char *root = dm_test_make_tmpdir ();
  g_autofree char *all = at (root, "all");
  g_autoptr (DmDataset) ds = NULL;

  png_at (root, "all/bottle/train/good/000.png");
  png_at (root, "all/bottle/test/good/000.png");
  bmp_at (root, "all/02/train/ok/0000.bmp", FALSE);
  bmp_at (root, "all/02/test/ko/0000.bmp", FALSE);
  bmp_at (root, "all/02/ground_truth/ko/0000.bmp", TRUE);
  png_at (root, "all/vial/train/good/000_regular.png");
  png_at (root, "all/vial/test_public/good/000_regular.png");
  png_at (root, "all/pushpins/train/good/000.png");
  png_at (root, "all/pushpins/test/structural_anomalies/000.png");
  png_at (root, "all/pushpins/ground_truth/structural_anomalies/000/000.png");
  text_at (root, "all/notes.txt", "ignored");
  ds = load_ok (all);
  dump_problems (ds);
  g_assert_cmpuint (ds->n_problems, ==, 0);
  g_assert_cmpuint (ds->n_classes, ==, 4);
  g_assert_cmpint (class_named (ds, "bottle")->layout, ==, DM_DATASET_LAYOUT_MVTEC_AD);
  g_assert_cmpint (class_named (ds, "02")->layout, ==, DM_DATASET_LAYOUT_BTAD);
  g_assert_cmpint (class_named (ds, "vial")->layout, ==, DM_DATASET_LAYOUT_MVTEC_AD2);
  g_assert_cmpint (class_named (ds, "pushpins")->layout, ==, DM_DATASET_LAYOUT_MVTEC_LOCO);
  g_assert_cmpstr (dm_dataset_layout_title (DM_DATASET_LAYOUT_MVTEC_LOCO), ==, "MVTec LOCO AD");
  assert_reloads (ds);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dataset-layouts/mpdd", test_mpdd);
  g_test_add_func ("/dataset-layouts/btad", test_btad);
  g_test_add_func ("/dataset-layouts/mvtec-ad2", test_mvtec_ad2);
  g_test_add_func ("/dataset-layouts/loco", test_loco);
  g_test_add_func ("/dataset-layouts/realiad", test_realiad);
  g_test_add_func ("/dataset-layouts/realiad-bad-entries", test_realiad_bad_entries);
  g_test_add_func ("/dataset-layouts/sample-view", test_sample_view);
  g_test_add_func ("/dataset-layouts/near-misses", test_near_misses);
  g_test_add_func ("/dataset-layouts/mixed-root", test_mixed_root);
  return g_test_run ();
}
