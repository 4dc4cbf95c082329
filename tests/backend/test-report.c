/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The report writers on a synthetic input: PDF (A4 and Letter; pdfinfo and
 * pdftotext, when installed, say how many pages and that every metric of
 * the JSON is printed), CSV and JSON that parse and agree, the shared
 * figures (curves against the metrics, F1-optimal threshold, quantile),
 * and the plot functions on a plain image surface. */
#include <cairo.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "dm-image.h"
#include "dm-report-plot.h"
#include "dm-report.h"
#include "dm-test-data.h"
#include "dm-test-util.h"

#define MAP 256

static const char *const metric_keys[7] = {
  "image_auroc", "image_ap", "image_f1max", "pixel_auroc", "pixel_ap", "pixel_f1max", "aupro",
};

/* A small RGB picture (a gradient with a bright square) for the overlays. */
static char *
write_picture (const char *dir, const char *name, gboolean defect)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (DmImage) img = dm_image_new (120, 90, 3, DM_PIXEL_U8, &error);
  char *path = g_build_filename (dir, name, NULL);

  g_assert_no_error (error);
  for (int y = 0; y < 90; y++)
    for (int x = 0; x < 120; x++)
      for (int c = 0; c < 3; c++)
        {
          gboolean patch = defect && x > 50 && x < 75 && y > 30 && y < 55;

          img->data[(gsize)y * img->stride + 3 * x + c]
            = (guint8)(patch ? 230 : 60 + x / 2 + c * 10);
        }
  g_assert_true (dm_image_save_png (img, path, &error));
  return path;
}

/* Class "alpha": 30 images (20 good, 10 defect), maps and masks, metrics
 * from dm_metrics_compute, F1-optimal threshold, pictures on disk for the
 * first images. Class "beta, \"b\"" (a name that CSV must quote): image
 * metrics only, a stored threshold with an uncertain band, no files. */
static DmReportInput *
make_input (const char *dir)
{
  DmReportInput *input = dm_report_input_new ();
  DmTrainingRecord training = { .iterations = 5000,
                                .seed = 1,
                                .seconds = 3725.0,
                                .started = (char *)"2026-11-29T10:00:00Z",
                                .batch_size = 16,
                                .lr = 2e-3,
                                .final_loss = 0.0123 };
  g_autoptr (GError) error = NULL;

  input->title = g_strdup ("Synthetic report");
  input->project_name = g_strdup ("test project");
  input->data_path = g_strdup ("/data/synthetic");
  input->model_name = g_strdup ("model.dinomaly");
  input->model_sha256 = g_strnfill (64, 'b');
  input->backbone_name = g_strdup ("dinov2_vits14_reg4_pretrain.safetensors");
  input->backbone_sha256 = g_strnfill (64, 'c');
  input->backbone_embedded = TRUE;
  input->resize = 256;
  input->crop = 224;
  dm_report_input_set_training (input, &training);

  {
    const guint n = 30;
    DmReportClass *k = dm_report_input_add_class (input, "alpha", n);
    g_autofree float *scores = g_new (float, n), *noise = g_new (float, n);
    g_autofree guint8 *labels = g_new (guint8, n);
    g_autofree float *maps = g_new0 (float, (gsize)n *MAP *MAP);
    g_autofree guint8 *masks = g_new0 (guint8, (gsize)n * MAP * MAP);

    dm_test_fill_uniform (noise, n, 0.0f, 1.0f, 7);
    for (guint i = 0; i < n; i++)
      {
        float *m = maps + (gsize)i * MAP * MAP;
        guint8 *mask = masks + (gsize)i * MAP * MAP;

        labels[i] = i >= 20;
        scores[i] = 0.2f + 0.3f * noise[i] + (labels[i] ? 0.25f : 0.0f);
        dm_test_fill_uniform (m, MAP * MAP, 0.0f, 0.1f, 100 + i);
        for (int y = 80; y < 140; y++)
          for (int x = 90; x < 150; x++)
            {
              m[y * MAP + x] += scores[i];
              if (labels[i])
                mask[y * MAP + x] = 1;
            }
      }
    g_assert_true (
      dm_metrics_compute (scores, labels, n, maps, masks, MAP, MAP, &k->metrics, &error));
    g_assert_no_error (error);
    k->n_train = 100;
    k->n_holdout = 10;
    k->n_test_good = 20;
    k->n_test_defect = 10;
    k->n_masks = 10;
    for (guint i = 0; i < n; i++)
      {
        g_autofree char *name = g_strdup_printf ("%03u.png", i);

        k->images[i].path = i < 4 || i >= 26 ? write_picture (dir, name, labels[i])
                                             : g_build_filename (dir, "missing", name, NULL);
        k->images[i].defect_type = g_strdup (labels[i] ? "crack" : "good");
        k->images[i].label = labels[i];
        k->images[i].score = scores[i];
        k->images[i].map = g_memdup2 (maps + (gsize)i * MAP * MAP, MAP * MAP * sizeof (float));
      }
    k->threshold_source = DM_REPORT_THRESHOLD_F1_OPTIMAL;
    k->image_threshold = dm_report_f1_threshold (scores, labels, n);
    k->pixel_threshold = 0.3;
  }
  {
    const guint n = 12;
    DmReportClass *k = dm_report_input_add_class (input, "beta, \"b\"", n);
    g_autofree float *scores = g_new (float, n);
    g_autofree guint8 *labels = g_new (guint8, n);

    for (guint i = 0; i < n; i++)
      {
        labels[i] = i % 3 == 0;
        scores[i] = 1.0f + 0.05f * (float)i + (labels[i] ? 0.2f : 0.0f);
        k->images[i].path = g_strdup_printf ("/nowhere/beta/%02u.png", i);
        k->images[i].defect_type = g_strdup (labels[i] ? "scratch" : "good");
        k->images[i].label = labels[i];
        k->images[i].score = scores[i];
      }
    g_assert_true (dm_metrics_compute (scores, labels, n, NULL, NULL, 0, 0, &k->metrics, &error));
    k->n_train = 40;
    k->n_test_good = 8;
    k->n_test_defect = 4;
    k->threshold_source = DM_REPORT_THRESHOLD_MODEL;
    k->image_threshold = 1.3;
    k->has_uncertain = TRUE;
    k->uncertain_low = 1.25;
    k->uncertain_high = 1.4;
  }
  dm_report_input_update_mean (input);
  return input;
}

static char *
run_tool (const char *const *argv)
{
  g_autofree char *err = NULL;
  char *out = NULL;
  int status = 0;
  g_autoptr (GError) error = NULL;

  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", argv[0], err);
  return out;
}

static JsonObject *
load_json (JsonParser *parser, const char *text)
{
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

/* ---- tests ------------------------------------------------------------------------- */

static void
test_figures (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autoptr (DmReportInput) input = make_input (dir);
  const DmReportClass *k = &input->classes[0];
  g_autofree float *scores = g_new (float, k->n_images);
  g_autofree guint8 *labels = g_new (guint8, k->n_images);
  DmReportCurve curve;
  DmReportConfusion cm;
  double auroc = 0, ap = 0, f1;
  guint tp, fp, fn;
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < k->n_images; i++)
    scores[i] = k->images[i].score, labels[i] = k->images[i].label;
  g_assert_true (dm_report_curve_compute (scores, labels, k->n_images, &curve, &error));
  for (guint p = 1; p < curve.n_points; p++)
    {
      auroc += (curve.fpr[p] - curve.fpr[p - 1]) * (curve.tpr[p] + curve.tpr[p - 1]) / 2;
      ap += (curve.tpr[p] - curve.tpr[p - 1]) * curve.precision[p];
    }
  g_assert_cmpfloat (fabs (auroc - k->metrics.image_auroc), <, 1e-12);
  g_assert_cmpfloat (fabs (ap - k->metrics.image_ap), <, 1e-12);
  dm_report_curve_clear (&curve);

  /* at the F1-optimal threshold, the confusion matrix's F1 is F1-max */
  dm_report_confusion_compute (k, &cm);
  tp = cm.counts[1][DM_REPORT_DECISION_DEFECT];
  fp = cm.counts[0][DM_REPORT_DECISION_DEFECT];
  fn = cm.counts[1][DM_REPORT_DECISION_GOOD];
  f1 = 2.0 * tp / (2.0 * tp + fp + fn);
  g_assert_cmpfloat (fabs (f1 - k->metrics.image_f1max), <, 1e-6);

  /* quantile: numpy's linear interpolation */
  {
    const float s[5] = { 4, 1, 3, 2, 100 };
    const guint8 l[5] = { 0, 0, 0, 0, 1 };

    g_assert_cmpfloat (dm_report_normal_quantile (s, l, 5, 0.5), ==, 2.5);
    g_assert_cmpfloat (dm_report_normal_quantile (s, l, 5, 1.0), ==, 4.0);
    g_assert_true (isnan (dm_report_normal_quantile (s, l + 4, 1, 0.5)));
    g_assert_true (isnan (dm_report_f1_threshold (s, l, 4)));
  }
  /* the uncertain band decides before the threshold */
  g_assert_cmpint (dm_report_decide (&input->classes[1], 1.3f), ==, DM_REPORT_DECISION_UNCERTAIN);
  g_assert_cmpint (dm_report_decide (&input->classes[1], 1.5f), ==, DM_REPORT_DECISION_DEFECT);
  g_assert_cmpint (dm_report_decide (&input->classes[1], 1.2f), ==, DM_REPORT_DECISION_GOOD);
}

static void
test_csv_json_agree (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autoptr (DmReportInput) input = make_input (dir);
  g_autofree char *csv = dm_report_csv (input);
  g_autofree char *json = dm_report_json (input);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *root = load_json (parser, json), *classes;
  g_auto (GStrv) lines = g_strsplit (csv, "\n", -1);
  guint n_rows = 0;

  g_assert_cmpint (json_object_get_int_member (root, "schema_version"), ==, 1);
  classes = json_object_get_object_member (root, "classes");
  g_assert_cmpint (json_object_get_size (classes), ==, 2);
  for (int id = 0; id < 7; id++)
    g_assert_true (
      json_object_has_member (json_object_get_object_member (root, "mean"), metric_keys[id]));
  g_assert_cmpstr (lines[0], ==,
                   "class,path,label,score,decision,threshold," DM_VERDICT_CSV_COLUMNS
                   ",sample,view");

  for (guint c = 0; c < input->n_classes; c++)
    {
      const DmReportClass *k = &input->classes[c];
      JsonObject *jc = json_object_get_object_member (classes, k->name);
      JsonObject *cm = json_object_get_object_member (jc, "confusion");
      guint counts[2][3] = { { 0 } };
      double threshold = json_object_get_double_member (jc, "image_threshold");

      g_assert_nonnull (jc);
      g_assert_cmpfloat (threshold, ==, k->image_threshold);
      for (int id = 0; id < 7; id++)
        {
          JsonNode *node = json_object_get_member (jc, metric_keys[id]);
          double v = dm_metrics_get (&k->metrics, id);

          if (isnan (v))
            g_assert_true (JSON_NODE_HOLDS_NULL (node));
          else
            g_assert_cmpfloat (json_node_get_double (node), ==, v);
        }
      /* the CSV rows of this class: parse (quoted class name), compare */
      for (guint i = 0; i < k->n_images; i++)
        {
          const char *line = lines[1 + n_rows + i];
          g_autofree char *rest = NULL;
          g_auto (GStrv) f = NULL;
          int label, decision;

          g_assert_nonnull (line);
          if (line[0] == '"')
            {
              const char *end = strstr (line, "\",");
              g_autofree char *quoted = g_strndup (line + 1, end - line - 1);
              g_autoptr (GString) unq = g_string_new (quoted);

              g_string_replace (unq, "\"\"", "\"", 0);
              g_assert_cmpstr (unq->str, ==, k->name);
              rest = g_strdup (end + 2);
            }
          else
            {
              g_assert_true (g_str_has_prefix (line, k->name));
              rest = g_strdup (line + strlen (k->name) + 1);
            }
          f = g_strsplit (rest, ",", -1);
          g_assert_cmpint (g_strv_length (f), ==, 13);
          /* no multi-view names here: sample and view stay empty; no
           * verdicts (no pixel threshold, no rules): their columns too */
          g_assert_cmpstr (f[5], ==, "");
          g_assert_cmpstr (f[10], ==, "");
          g_assert_cmpstr (f[11], ==, "");
          g_assert_cmpstr (f[12], ==, "");
          label = strcmp (f[1], "defect") == 0;
          g_assert_cmpint (label, ==, k->images[i].label);
          g_assert_cmpfloat ((float)g_ascii_strtod (f[2], NULL), ==, k->images[i].score);
          g_assert_cmpfloat (g_ascii_strtod (f[4], NULL), ==, threshold);
          decision = strcmp (f[3], "good") == 0 ? 0 : strcmp (f[3], "uncertain") == 0 ? 1 : 2;
          g_assert_true (strcmp (f[3], "good") == 0 || strcmp (f[3], "uncertain") == 0
                         || strcmp (f[3], "defect") == 0);
          counts[label][decision]++;
        }
      n_rows += k->n_images;
      g_assert_cmpint (counts[0][0], ==, json_object_get_int_member (cm, "good_as_good"));
      g_assert_cmpint (counts[0][1], ==, json_object_get_int_member (cm, "good_as_uncertain"));
      g_assert_cmpint (counts[0][2], ==, json_object_get_int_member (cm, "good_as_defect"));
      g_assert_cmpint (counts[1][0], ==, json_object_get_int_member (cm, "defect_as_good"));
      g_assert_cmpint (counts[1][1], ==, json_object_get_int_member (cm, "defect_as_uncertain"));
      g_assert_cmpint (counts[1][2], ==, json_object_get_int_member (cm, "defect_as_defect"));
      g_assert_cmpint (json_array_get_length (json_object_get_array_member (
                         json_object_get_object_member (jc, "roc"), "fpr")),
                       >, 1);
    }
  g_assert_cmpint (g_strv_length (lines), ==, n_rows + 2); /* header, rows, "" after the last \n */
  /* the band is in the JSON; the stored threshold is named */
  g_assert_nonnull (strstr (json, "\"threshold_method\": \"model\""));
  g_assert_nonnull (strstr (json, "\"threshold_method\": \"f1_optimal\""));
}

/* pdftotext's text, with runs of spaces and newlines made one space. */
static char *
pdf_text (const char *pdf)
{
  const char *argv[] = { "pdftotext", "-layout", pdf, "-", NULL };
  g_autofree char *text = run_tool (argv);
  g_autoptr (GRegex) spaces = g_regex_new ("\\s+", 0, 0, NULL);

  return g_regex_replace_literal (spaces, text, -1, 0, " ", 0, NULL);
}

static void
test_pdf (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autoptr (DmReportInput) input = make_input (dir);
  g_autofree char *pdf = g_build_filename (dir, "report.pdf", NULL);
  g_autofree char *letter = g_build_filename (dir, "letter.pdf", NULL);
  g_autofree char *json = dm_report_json (input);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *root = load_json (parser, json);
  g_autoptr (GError) error = NULL;
  GStatBuf st;
  gint64 t0 = g_get_monotonic_time ();

  g_assert_true (dm_report_write_pdf (input, DM_REPORT_PAPER_A4, pdf, &error));
  g_assert_no_error (error);
  g_test_message ("A4 report written in %.2f s", (g_get_monotonic_time () - t0) / 1e6);
  g_assert_true (dm_report_write_pdf (input, DM_REPORT_PAPER_LETTER, letter, &error));
  g_assert_cmpint (g_stat (pdf, &st), ==, 0);
  g_test_message ("A4 report: %lld bytes", (long long)st.st_size);
  g_assert_cmpint (st.st_size, >, 10000);
  g_assert_cmpint (st.st_size, <, 2 * 1024 * 1024);
  /* for a look: build/tests/report-sample.pdf */
  if (g_getenv ("DM_TEST_BUILDDIR") != NULL)
    {
      g_autofree char *keep
        = g_build_filename (g_getenv ("DM_TEST_BUILDDIR"), "report-sample.pdf", NULL);
      g_autofree char *bytes = NULL;
      gsize len;

      g_file_get_contents (pdf, &bytes, &len, NULL);
      g_file_set_contents (keep, bytes, (gssize)len, NULL);
    }

  if (!dm_test_have_program ("pdfinfo") || !dm_test_have_program ("pdftotext"))
    {
      g_test_skip ("pdfinfo/pdftotext not installed (Debian: poppler-utils)");
      return;
    }
  {
    const char *argv[] = { "pdfinfo", pdf, NULL };
    const char *argv_letter[] = { "pdfinfo", letter, NULL };
    g_autofree char *info = run_tool (argv);
    g_autofree char *info_letter = run_tool (argv_letter);

    dm_test_assert_has (info, "Title:           Synthetic report");
    dm_test_assert_has (info, "(A4)");
    dm_test_assert_has (info_letter, "612 x 792 pts (letter)");
    g_test_message ("%s", info);
  }
  {
    g_autofree char *text = pdf_text (pdf);
    JsonObject *classes = json_object_get_object_member (root, "classes");
    const char *names[3] = { "alpha", "beta, \"b\"", NULL };

    dm_test_assert_has (text, "Synthetic report");
    dm_test_assert_has (text, "Evaluation protocol");
    dm_test_assert_has (text, "top 1 %");
    dm_test_assert_has (text, "bbbbbbbbbbbbbbbb");
    dm_test_assert_has (text, "F1-optimal");
    dm_test_assert_has (text, "Confusion matrix");
    dm_test_assert_has (text, "Misclassified");
    /* every metric of the JSON, as the PDF prints it (4 decimals; the
     * test runs in the C locale) */
    for (int c = 0; c < 3; c++)
      {
        JsonObject *jc = names[c] != NULL ? json_object_get_object_member (classes, names[c])
                                          : json_object_get_object_member (root, "mean");

        for (int id = 0; id < 7; id++)
          {
            JsonNode *node = json_object_get_member (jc, metric_keys[id]);
            g_autofree char *want = NULL;

            if (JSON_NODE_HOLDS_NULL (node))
              continue;
            want = g_strdup_printf ("%.4f", json_node_get_double (node));
            dm_test_assert_has (text, want);
          }
        if (names[c] != NULL)
          {
            g_autofree char *want
              = g_strdup_printf ("%.4f", json_object_get_double_member (jc, "image_threshold"));

            dm_test_assert_has (text, want);
          }
      }
  }
}

static void
test_plots_on_image_surface (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autoptr (DmReportInput) input = make_input (dir);
  const DmReportClass *k = &input->classes[0];
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 600, 500);
  cairo_t *cr = cairo_create (surface);
  g_autofree float *scores = g_new (float, k->n_images);
  g_autofree guint8 *labels = g_new (guint8, k->n_images);
  DmReportCurve curve;
  DmReportHistogram hist;
  DmReportConfusion cm;
  const cairo_rectangle_t areas[4]
    = { { 0, 0, 300, 250 }, { 300, 0, 300, 250 }, { 0, 250, 300, 250 }, { 300, 250, 300, 250 } };

  for (guint i = 0; i < k->n_images; i++)
    scores[i] = k->images[i].score, labels[i] = k->images[i].label;
  g_assert_true (dm_report_curve_compute (scores, labels, k->n_images, &curve, NULL));
  dm_report_histogram_compute (k, &hist);
  dm_report_confusion_compute (k, &cm);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  dm_plot_roc (cr, &areas[0], NULL, &curve, k->metrics.image_auroc, k->image_threshold);
  dm_plot_pr (cr, &areas[1], NULL, &curve, k->metrics.image_ap, k->image_threshold);
  dm_plot_histogram (cr, &areas[2], NULL, &hist, k->image_threshold, TRUE, 0.4, 0.5);
  dm_plot_confusion (cr, &areas[3], NULL, &cm, TRUE);
  /* a curve that is not defined says so instead of drawing */
  dm_plot_roc (cr, &areas[0], NULL, NULL, NAN, NAN);
  cairo_surface_flush (surface);
  g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
  /* each quadrant got ink */
  for (int q = 0; q < 4; q++)
    {
      const guint8 *data = cairo_image_surface_get_data (surface);
      int stride = cairo_image_surface_get_stride (surface), ink = 0;

      for (int y = (int)areas[q].y; y < (int)(areas[q].y + areas[q].height); y++)
        for (int x = (int)areas[q].x; x < (int)(areas[q].x + areas[q].width); x++)
          ink += (*(const guint32 *)(const void *)(data + (gsize)y * stride + 4 * x) & 0xffffff)
                 != 0xffffff;
      g_assert_cmpint (ink, >, 500);
    }
  if (g_getenv ("DM_TEST_BUILDDIR") != NULL)
    {
      g_autofree char *png
        = g_build_filename (g_getenv ("DM_TEST_BUILDDIR"), "report-plots.png", NULL);

      cairo_surface_write_to_png (surface, png);
    }
  dm_report_curve_clear (&curve);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
}

static void
test_write_errors (void)
{
  g_autofree char *dir = dm_test_make_tmpdir ();
  g_autoptr (DmReportInput) input = make_input (dir);
  g_autofree char *bad = g_build_filename (dir, "no", "such", "folder", "r.pdf", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_false (dm_report_write_pdf (input, DM_REPORT_PAPER_A4, bad, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_false (dm_report_write_csv (input, bad, &error));
  g_assert_nonnull (error);
  /* an empty report is still a report */
  {
    g_autoptr (DmReportInput) empty = dm_report_input_new ();
    g_autofree char *path = g_build_filename (dir, "empty.pdf", NULL);
    g_autofree char *json = dm_report_json (empty);
    g_autoptr (JsonParser) parser = json_parser_new ();

    g_clear_error (&error);
    g_assert_true (dm_report_write_pdf (empty, DM_REPORT_PAPER_A4, path, &error));
    g_assert_no_error (error);
    load_json (parser, json);
  }
}

/* The paper's table: the seven metrics in the paper's order, in percent
 * with one decimal, a row per class and the mean; NaN shown as such. */
static void
test_paper_table (void)
{
  DmMetrics m[2], mean;
  const char *names[2] = { "bottle", "screw, \"m8\"" };
  g_autofree char *text = NULL, *csv = NULL, *md = NULL;
  DmPaperTableFormat format;
  static const double values[2][7] = {
    { 1.0, 0.99999, 0.9949, 0.99051, 0.72049, 0.6895, 0.9634 },
    { 0.9861, 0.9955, 0.97, 0.994, 0.4, 0.45449, NAN },
  };

  memset (m, 0, sizeof m);
  memset (&mean, 0, sizeof mean);
  for (int c = 0; c < 2; c++)
    {
      m[c].image_auroc = values[c][0];
      m[c].image_ap = values[c][1];
      m[c].image_f1max = values[c][2];
      m[c].pixel_auroc = values[c][3];
      m[c].pixel_ap = values[c][4];
      m[c].pixel_f1max = values[c][5];
      m[c].aupro = values[c][6];
    }
  dm_metrics_mean (m, 2, &mean);
  text = dm_report_paper_table (names, m, 2, &mean, DM_PAPER_TABLE_TEXT);
  g_test_message ("\n%s", text);
  g_assert_cmpstr (text, ==,
                   "Class       I-AUROC  I-AP I-F1max P-AUROC  P-AP P-F1max AUPRO\n"
                   "bottle        100.0 100.0    99.5    99.1  72.0    69.0  96.3\n"
                   "screw, \"m8\"    98.6  99.6    97.0    99.4  40.0    45.4     -\n"
                   "Mean           99.3  99.8    98.2    99.2  56.0    57.2     -\n");
  csv = dm_report_paper_table (names, m, 2, &mean, DM_PAPER_TABLE_CSV);
  g_assert_cmpstr (csv, ==,
                   "class,I-AUROC,I-AP,I-F1max,P-AUROC,P-AP,P-F1max,AUPRO\n"
                   "bottle,100.0,100.0,99.5,99.1,72.0,69.0,96.3\n"
                   "\"screw, \"\"m8\"\"\",98.6,99.6,97.0,99.4,40.0,45.4,\n"
                   "Mean,99.3,99.8,98.2,99.2,56.0,57.2,\n");
  md = dm_report_paper_table (names, m, 2, &mean, DM_PAPER_TABLE_MARKDOWN);
  g_assert_true (g_str_has_prefix (md, "| Class | I-AUROC | I-AP | I-F1max | P-AUROC | P-AP | "
                                       "P-F1max | AUPRO |\n|---|---:|---:|"));
  dm_test_assert_has (md, "| **Mean** | 99.3 | 99.8 | 98.2 | 99.2 | 56.0 | 57.2 | - |\n");
  g_assert_true (dm_report_paper_format_from_name ("paper-csv", &format));
  g_assert_cmpint (format, ==, DM_PAPER_TABLE_CSV);
  g_assert_false (dm_report_paper_format_from_name ("latex", &format));
}

/* A multi-view image keeps its sample and camera in the CSV and in the
 * JSON's gallery (Real-IAD's names). */
static void
test_multi_view_names (void)
{
  g_autoptr (DmReportInput) input = dm_report_input_new ();
  DmReportClass *k = dm_report_input_add_class (input, "audiojack", 2);
  g_autofree char *csv = NULL, *json = NULL;

  k->images[0].path = g_strdup ("/r/realiad_1024/audiojack/NG/AK/S0011/"
                                "audiojack_0011_NG_AK_C3_20231021132157.jpg");
  k->images[0].defect_type = g_strdup ("AK");
  k->images[0].label = 1;
  k->images[0].score = 0.9f;
  k->images[1].path = g_strdup ("/r/other/000.png");
  k->images[1].defect_type = g_strdup ("good");
  k->images[1].score = 0.1f;
  k->threshold_source = DM_REPORT_THRESHOLD_USER;
  k->image_threshold = 0.5;
  csv = dm_report_csv (input);
  dm_test_assert_has (csv, "audiojack_0011_NG_AK_C3_20231021132157.jpg,defect,0.9,defect,0.5,"
                           ",,,,,,S0011,C3\n");
  dm_test_assert_has (csv, "/r/other/000.png,good,0.1,good,0.5,,,,,,,,\n");
  json = dm_report_json (input);
  dm_test_assert_has (json, "\"sample\": \"S0011\", \"view\": \"C3\"");
  dm_test_assert_has (json, "\"sample\": null, \"view\": null");
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/report/figures", test_figures);
  g_test_add_func ("/report/paper-table", test_paper_table);
  g_test_add_func ("/report/multi-view-names", test_multi_view_names);
  g_test_add_func ("/report/csv-json-agree", test_csv_json_agree);
  g_test_add_func ("/report/pdf", test_pdf);
  g_test_add_func ("/report/plots-on-image-surface", test_plots_on_image_surface);
  g_test_add_func ("/report/write-errors", test_write_errors);
  status = g_test_run ();
  dm_test_print_error_summary ();
  return status;
}
