/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The PDF report: Cairo's PDF surface, Pango for text, vector plots from
 * dm-report-plot.c and JPEG thumbnails for the gallery. Pages flow from a
 * cursor that starts a new page when the next block does not fit. */
#include "config.h"

#include <cairo-pdf.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "dm-dataset.h"
#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-report-plot.h"
#include "dm-report-private.h"

#define MARGIN 50.0
#define FONT "Sans"
#define BODY 9.0
#define SMALL 7.5
#define THUMB_PIXELS 200 /* longer side: ~130 dpi in a gallery cell */
#define JPEG_QUALITY 80
#define GALLERY_COLUMNS 4

typedef struct
{
  const DmReportInput *input;
  cairo_t *cr;
  double page_w, page_h;
  double y; /* the cursor: where the next block goes */
  int page;
  DmPlotStyle style;
  GPtrArray *jpegs; /* the thumbnails' JPEG bytes, freed after cairo_surface_finish */
} Pdf;

static double
content_width (const Pdf *p)
{
  return p->page_w - 2 * MARGIN;
}

static void
footer (Pdf *p)
{
  g_autofree char *text = g_strdup_printf (_ ("Page %d"), p->page);

  cairo_set_source_rgb (p->cr, 0.45, 0.45, 0.45);
  dm_report_text (p->cr, FONT, SMALL, FALSE, FALSE, text, p->page_w - MARGIN,
                  p->page_h - MARGIN / 2 - SMALL, 0, DM_TEXT_RIGHT);
  if (p->input->title != NULL)
    dm_report_text (p->cr, FONT, SMALL, FALSE, FALSE, p->input->title, MARGIN,
                    p->page_h - MARGIN / 2 - SMALL, content_width (p) * 0.7, DM_TEXT_LEFT);
}

static void
new_page (Pdf *p)
{
  if (p->page > 0)
    cairo_show_page (p->cr);
  p->page++;
  p->y = MARGIN;
  footer (p);
}

/* Starts a new page unless height fits below the cursor. */
static void
need (Pdf *p, double height)
{
  if (p->y + height > p->page_h - MARGIN)
    new_page (p);
}

static void
heading (Pdf *p, double size, const char *text)
{
  need (p, size * 4);
  p->y += size * 0.6;
  cairo_set_source_rgb (p->cr, 0.1, 0.1, 0.1);
  p->y += dm_report_text (p->cr, FONT, size, TRUE, FALSE, text, MARGIN, p->y, content_width (p),
                          DM_TEXT_LEFT);
  p->y += size * 0.4;
}

static void
paragraph (Pdf *p, const char *text, gboolean markup)
{
  double h;

  cairo_set_source_rgb (p->cr, 0.1, 0.1, 0.1);
  /* measure on a throwaway group: a paragraph moves whole to the next page */
  cairo_push_group (p->cr);
  h = dm_report_text (p->cr, FONT, BODY, FALSE, markup, text, MARGIN, p->y, content_width (p),
                      DM_TEXT_LEFT);
  cairo_pattern_destroy (cairo_pop_group (p->cr));
  need (p, h);
  cairo_set_source_rgb (p->cr, 0.1, 0.1, 0.1);
  p->y += dm_report_text (p->cr, FONT, BODY, FALSE, markup, text, MARGIN, p->y, content_width (p),
                          DM_TEXT_LEFT);
  p->y += BODY * 0.6;
}

static gboolean
is_checksum (const char *text)
{
  int n = 0;

  for (; text[n] != '\0'; n++)
    if (!g_ascii_isxdigit (text[n]))
      return FALSE;
  return n == 64;
}

/* A two-column table of labels and values (NULL-terminated pairs). */
static void
key_values (Pdf *p, const char *const *pairs)
{
  int n = 0;
  double widths[2] = { 130, content_width (p) - 130 };
  const DmTextAlign align[2] = { DM_TEXT_LEFT, DM_TEXT_LEFT };

  while (pairs[2 * n] != NULL)
    n++;
  for (int r = 0; r < n; r++)
    {
      double h;

      need (p, 2 * BODY);
      cairo_set_source_rgb (p->cr, 0.35, 0.35, 0.35);
      dm_report_text (p->cr, FONT, BODY, FALSE, FALSE, pairs[2 * r], MARGIN, p->y, widths[0] - 6,
                      align[0]);
      cairo_set_source_rgb (p->cr, 0.1, 0.1, 0.1);
      /* checksums in a fixed-width face, small enough for one line */
      if (is_checksum (pairs[2 * r + 1]))
        h = dm_report_text (p->cr, "Monospace", SMALL, FALSE, FALSE, pairs[2 * r + 1],
                            MARGIN + widths[0], p->y + 1, widths[1], align[1])
            + 1;
      else
        h = dm_report_text (p->cr, FONT, BODY, FALSE, FALSE, pairs[2 * r + 1], MARGIN + widths[0],
                            p->y, widths[1], align[1]);
      p->y += h + 2;
    }
  p->y += BODY * 0.5;
}

/* A table of rows that breaks across pages, repeating the header. cells:
 * (1 + n_rows, n_cols), row 0 the header. */
static void
flowing_table (Pdf *p,
               double size,
               const double *widths,
               const DmTextAlign *align,
               int n_cols,
               const char *const *cells,
               int n_rows)
{
  double row_h = dm_report_table_height (p->cr, FONT, size, 1);
  int done = 0;

  while (done < n_rows)
    {
      int fit, k;
      g_autofree const char **part = NULL;

      need (p, 3 * row_h);
      fit = (int)floor ((p->page_h - MARGIN - p->y) / row_h) - 1;
      k = MIN (fit, n_rows - done);
      part = g_new (const char *, (gsize)(k + 1) * n_cols);
      memcpy (part, cells, sizeof (char *) * n_cols);
      memcpy (part + n_cols, cells + (gsize)(1 + done) * n_cols, sizeof (char *) * n_cols * k);
      p->y += dm_report_table (p->cr, FONT, size, MARGIN, p->y, widths, align, n_cols, part, k + 1);
      done += k;
      if (done < n_rows)
        new_page (p);
    }
  p->y += size;
}

/* ---- title page ------------------------------------------------------------------- */

static char *
format_duration (double seconds)
{
  gint64 s = (gint64)llround (seconds);

  if (!isfinite (seconds) || seconds < 0)
    return g_strdup ("\u2013");
  if (s < 60)
    return g_strdup_printf (_ ("%d s"), (int)s);
  if (s < 3600)
    return g_strdup_printf (_ ("%d min %d s"), (int)(s / 60), (int)(s % 60));
  return g_strdup_printf (_ ("%d h %d min"), (int)(s / 3600), (int)((s % 3600) / 60));
}

static void
title_page (Pdf *p)
{
  const DmReportInput *in = p->input;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = g_date_time_format (in->date != NULL ? in->date : now, "%x %X");
  g_autofree char *input_size
    = g_strdup_printf (_ ("resized to %d, centre crop %d pixels"), in->resize, in->crop);
  const char *none = "\u2013";
  g_autofree char *subtitle = NULL;

  new_page (p);
  cairo_set_source_rgb (p->cr, 0.1, 0.1, 0.1);
  p->y += dm_report_text (p->cr, FONT, 22, TRUE, FALSE,
                          in->title != NULL ? in->title : _ ("Inspection report"), MARGIN, p->y,
                          content_width (p), DM_TEXT_LEFT);
  subtitle
    = in->project_name != NULL
        ? g_strdup_printf (_ ("Anomaly detection report, project %s, %s"), in->project_name, date)
        : g_strdup_printf (_ ("Anomaly detection report, %s"), date);
  cairo_set_source_rgb (p->cr, 0.35, 0.35, 0.35);
  p->y += dm_report_text (p->cr, FONT, 11, FALSE, FALSE, subtitle, MARGIN, p->y + 4,
                          content_width (p), DM_TEXT_LEFT)
          + 12;

  heading (p, 12, _ ("Model"));
  {
    const char *pairs[] = {
      _ ("Model file"),
      in->model_name != NULL ? in->model_name : none,
      _ ("Model version"),
      in->model_version != NULL ? in->model_version : none,
      _ ("Model SHA-256"),
      in->model_sha256 != NULL ? in->model_sha256 : none,
      _ ("Backbone"),
      in->backbone_name != NULL ? in->backbone_name : none,
      _ ("Backbone SHA-256"),
      in->backbone_sha256 != NULL ? in->backbone_sha256 : none,
      _ ("Backbone storage"),
      in->backbone_embedded ? _ ("embedded in the model file")
                            : _ ("a separate file, identified by its checksum"),
      _ ("Input"),
      input_size,
      NULL,
    };

    key_values (p, pairs);
  }

  heading (p, 12, _ ("Training"));
  if (in->has_training)
    {
      const DmTrainingRecord *t = &in->training;
      g_autofree char *iterations = g_strdup_printf ("%" G_GINT64_FORMAT, t->iterations);
      g_autofree char *batch = g_strdup_printf ("%d", t->batch_size);
      g_autofree char *lr = g_strdup_printf ("%g", t->lr);
      g_autofree char *seed = g_strdup_printf ("%" G_GINT64_FORMAT, t->seed);
      g_autofree char *duration = format_duration (t->seconds);
      g_autofree char *loss = dm_report_format_number (t->final_loss, 4);
      const char *pairs[] = {
        _ ("Iterations"),
        iterations,
        _ ("Batch size"),
        batch,
        _ ("Peak learning rate"),
        lr,
        _ ("Random seed"),
        seed,
        _ ("Duration"),
        duration,
        _ ("Final loss"),
        loss,
        _ ("Started"),
        t->started != NULL ? t->started : none,
        NULL,
      };

      key_values (p, pairs);
    }
  else
    paragraph (p, _ ("The model file holds no training record."), FALSE);

  heading (p, 12, _ ("Data"));
  if (in->data_path != NULL)
    {
      const char *pairs[] = { _ ("Dataset"), in->data_path, NULL };

      key_values (p, pairs);
    }
  {
    const int n_cols = 6;
    g_autoptr (GPtrArray) owned = g_ptr_array_new_with_free_func (g_free);
    g_autofree const char **cells = g_new0 (const char *, (gsize)(in->n_classes + 1) * n_cols);
    double w = content_width (p);
    const double widths[6] = { w - 5 * 62, 62, 62, 62, 62, 62 };
    const DmTextAlign align[6]
      = { DM_TEXT_LEFT, DM_TEXT_RIGHT, DM_TEXT_RIGHT, DM_TEXT_RIGHT, DM_TEXT_RIGHT, DM_TEXT_RIGHT };

    cells[0] = _ ("Class");
    cells[1] = _ ("Training");
    cells[2] = _ ("Hold-out");
    cells[3] = _ ("Test normal");
    cells[4] = _ ("Test defect");
    cells[5] = _ ("Masks");
    for (guint c = 0; c < in->n_classes; c++)
      {
        const DmReportClass *k = &in->classes[c];
        const guint v[5]
          = { k->n_train, k->n_holdout, k->n_test_good, k->n_test_defect, k->n_masks };

        cells[(c + 1) * n_cols] = k->name;
        for (int j = 0; j < 5; j++)
          {
            char *text = g_strdup_printf ("%u", v[j]);

            g_ptr_array_add (owned, text);
            cells[(c + 1) * n_cols + 1 + j] = text;
          }
      }
    flowing_table (p, SMALL + 0.5, widths, align, n_cols, cells, (int)in->n_classes);
  }
}

/* ---- protocol and metrics ------------------------------------------------------------ */

static char *
threshold_sentence (const DmReportClass *k)
{
  g_autofree char *t = dm_report_format_number (k->image_threshold, 4);

  switch (k->threshold_source)
    {
    case DM_REPORT_THRESHOLD_MODEL:
      return g_strdup_printf (_ ("Image threshold %s, stored in the model file."), t);
    case DM_REPORT_THRESHOLD_F1_OPTIMAL:
      return g_strdup_printf (_ ("Image threshold %s, chosen here as the F1-optimal one on the "
                                 "test labels: optimistic, since the same images choose and "
                                 "measure it."),
                              t);
    case DM_REPORT_THRESHOLD_QUANTILE:
      {
        g_autofree char *q = dm_report_format_number (100.0 * k->threshold_quantile, 1);

        return g_strdup_printf (_ ("Image threshold %s: the %s %% quantile of the normal test "
                                   "images' scores."),
                                t, q);
      }
    case DM_REPORT_THRESHOLD_HOLDOUT_QUANTILE:
      {
        g_autofree char *q = dm_report_format_number (100.0 * k->threshold_quantile, 1);

        return g_strdup_printf (_ ("Image threshold %s: the %s %% quantile of the scores of the "
                                   "normal training images held out for calibration."),
                                t, q);
      }
    case DM_REPORT_THRESHOLD_USER:
      return g_strdup_printf (_ ("Image threshold %s, set by the user."), t);
    case DM_REPORT_THRESHOLD_NONE:
    default: return g_strdup (_ ("No image threshold: no decisions are made."));
    }
}

static void
protocol_section (Pdf *p)
{
  heading (p, 12, _ ("Evaluation protocol"));
  paragraph (
    p,
    _ ("Each test image is resized and centre-cropped as in training and passed through "
       "the model. Its anomaly map is the reconstruction error of the encoder's features, "
       "resized to 256 × 256 pixels and blurred with a 5 × 5 Gaussian (σ = 4). The image score "
       "is the mean of the top 1 % of that map's values. Ground-truth masks are resized "
       "and cropped as the images are and binarised at > 0."),
    FALSE);
  paragraph (p,
             _ ("Image metrics (AUROC, average precision, F1-max) compare the image scores with "
                "the labels good and defect; pixel metrics (AUROC, average precision, F1-max) "
                "compare every map pixel with the mask; AUPRO is the area under the per-region "
                "overlap curve up to a false-positive rate of 0.3, normalised to 0..1. Metrics "
                "are computed per class; the last row is their unweighted mean over classes."),
             FALSE);
  paragraph (p,
             _ ("An image is a defect when its score is at or above the class's image threshold; "
                "with an uncertain band, scores from its lower end up to (not including) its "
                "upper end are left undecided."),
             FALSE);
}

static void
metrics_section (Pdf *p)
{
  const DmReportInput *in = p->input;
  const int n_cols = 11;
  g_autoptr (GPtrArray) owned = g_ptr_array_new_with_free_func (g_free);
  g_autofree const char **cells = g_new0 (const char *, (gsize)(in->n_classes + 2) * n_cols);
  double w = content_width (p);
  double widths[11];
  DmTextAlign align[11];
  g_autoptr (GString) notes = g_string_new (NULL);
  const char *full_names[DM_METRIC_COUNT] = {
    _ ("image AUROC"), _ ("image AP"),     _ ("image F1-max"), _ ("pixel AUROC"),
    _ ("pixel AP"),    _ ("pixel F1-max"), _ ("AUPRO"),
  };

  widths[0] = w - 2 * 34 - 7 * 41 - 44;
  align[0] = DM_TEXT_LEFT;
  for (int j = 1; j < n_cols; j++)
    {
      widths[j] = j <= 2 ? 34 : j <= 9 ? 41 : 44;
      align[j] = DM_TEXT_RIGHT;
    }
  cells[0] = _ ("Class");
  cells[1] = _ ("Images");
  cells[2] = _ ("Defect");
  cells[3] = C_ ("metric", "AUROC");
  cells[4] = C_ ("metric", "AP");
  cells[5] = C_ ("metric", "F1-max");
  cells[6] = C_ ("metric", "AUROC");
  cells[7] = C_ ("metric", "AP");
  cells[8] = C_ ("metric", "F1-max");
  cells[9] = _ ("AUPRO");
  cells[10] = _ ("Threshold");
  for (guint c = 0; c <= in->n_classes; c++)
    {
      gboolean is_mean = c == in->n_classes;
      const DmMetrics *m = is_mean ? &in->mean : &in->classes[c].metrics;
      const char **row = cells + (gsize)(c + 1) * n_cols;
      char *text;

      row[0] = is_mean ? _ ("Mean") : in->classes[c].name;
      text = g_strdup_printf ("%" G_GUINT64_FORMAT, m->n_images);
      g_ptr_array_add (owned, text);
      row[1] = text;
      text = g_strdup_printf ("%" G_GUINT64_FORMAT, m->n_anomalous);
      g_ptr_array_add (owned, text);
      row[2] = text;
      for (int id = 0; id < DM_METRIC_COUNT; id++)
        {
          text = dm_report_format_number (dm_metrics_get (m, id), 4);
          g_ptr_array_add (owned, text);
          row[3 + id] = text;
          if (isnan (dm_metrics_get (m, id)))
            g_string_append_printf (notes, "%s%s, %s: %s", notes->len > 0 ? "\n" : "",
                                    is_mean ? _ ("Mean") : in->classes[c].name, full_names[id],
                                    dm_metric_status_message (m->status[id]));
        }
      if (!is_mean && in->classes[c].threshold_source != DM_REPORT_THRESHOLD_NONE)
        {
          text = dm_report_format_number (in->classes[c].image_threshold, 4);
          g_ptr_array_add (owned, text);
          row[10] = text;
        }
    }
  heading (p, 12, _ ("Metrics"));
  /* group titles over the image and pixel columns */
  need (p, 3 * dm_report_table_height (p->cr, FONT, SMALL, 1));
  {
    double x = MARGIN + widths[0] + widths[1] + widths[2];
    const char *groups[2] = { _ ("Image"), _ ("Pixel") };

    for (int g = 0; g < 2; g++)
      {
        double gw = widths[3] * 3;

        cairo_set_source_rgb (p->cr, 0.1, 0.1, 0.1);
        dm_report_text (p->cr, FONT, SMALL, TRUE, FALSE, groups[g], x + gw / 2, p->y, 0,
                        DM_TEXT_CENTER);
        cairo_set_line_width (p->cr, 0.6);
        cairo_move_to (p->cr, x + 4, p->y + 1.5 * SMALL);
        cairo_rel_line_to (p->cr, gw - 8, 0);
        cairo_stroke (p->cr);
        x += gw;
      }
    p->y += 1.9 * SMALL;
  }
  flowing_table (p, SMALL, widths, align, n_cols, cells, (int)in->n_classes + 1);
  if (notes->len > 0)
    {
      g_autofree char *intro = g_strdup_printf ("%s\n%s", _ ("Undefined figures (–):"), notes->str);

      paragraph (p, intro, FALSE);
    }
}

/* ---- per class ----------------------------------------------------------------------- */

static void
class_plots (Pdf *p, const DmReportClass *k)
{
  g_autofree float *scores = g_new (float, MAX (k->n_images, 1));
  g_autofree guint8 *labels = g_new (guint8, MAX (k->n_images, 1));
  DmReportCurve curve;
  DmReportHistogram hist;
  DmReportConfusion cm;
  gboolean has_curve,
    decided = k->threshold_source != DM_REPORT_THRESHOLD_NONE && isfinite (k->image_threshold);
  double w = content_width (p), gap = 18, pw = (w - gap) / 2, ph = pw * 0.78;
  double t = decided ? k->image_threshold : NAN;
  cairo_rectangle_t area;

  for (guint i = 0; i < k->n_images; i++)
    {
      scores[i] = k->images[i].score;
      labels[i] = k->images[i].label;
    }
  has_curve = dm_report_curve_compute (scores, labels, k->n_images, &curve, NULL);
  dm_report_histogram_compute (k, &hist);
  dm_report_confusion_compute (k, &cm);

  need (p, 2 * ph + gap);
  area = (cairo_rectangle_t){ MARGIN, p->y, pw, ph };
  dm_plot_roc (p->cr, &area, &p->style, has_curve ? &curve : NULL, k->metrics.image_auroc, t);
  area.x += pw + gap;
  dm_plot_pr (p->cr, &area, &p->style, has_curve ? &curve : NULL, k->metrics.image_ap, t);
  area = (cairo_rectangle_t){ MARGIN, p->y + ph + gap * 0.5, pw, ph };
  dm_plot_histogram (p->cr, &area, &p->style, &hist, t, k->has_uncertain, k->uncertain_low,
                     k->uncertain_high);
  area.x += pw + gap;
  if (decided)
    dm_plot_confusion (p->cr, &area, &p->style, &cm, k->has_uncertain);
  else
    {
      cairo_set_source_rgb (p->cr, 0.3, 0.3, 0.3);
      dm_report_text (p->cr, FONT, BODY, FALSE, FALSE,
                      _ ("No confusion matrix: the class has no image threshold."), area.x,
                      area.y + ph / 3, pw, DM_TEXT_CENTER);
    }
  p->y += 2 * ph + gap;
  if (has_curve)
    dm_report_curve_clear (&curve);
}

static const char *
decision_word (DmReportDecision d)
{
  switch (d)
    {
    case DM_REPORT_DECISION_GOOD: return C_ ("decision", "Good");
    case DM_REPORT_DECISION_UNCERTAIN: return C_ ("decision", "Uncertain");
    case DM_REPORT_DECISION_DEFECT: return C_ ("decision", "Defect");
    case DM_REPORT_DECISION_NONE:
    default: return _ ("no decision");
    }
}

static gboolean
is_wrong (const DmReportClass *k, const DmReportImage *im)
{
  DmReportDecision d = dm_report_image_decision (k, (guint)(im - k->images));

  return (im->label && d == DM_REPORT_DECISION_GOOD)
         || (!im->label && d == DM_REPORT_DECISION_DEFECT);
}

/* One gallery cell: the thumbnail fitted in a square, three caption lines. */
static void
gallery_cell (
  Pdf *p, const DmReportClass *k, const DmReportImage *im, double x, double y, double cell_w)
{
  g_autoptr (GError) error = NULL;
  cairo_surface_t *thumb
    = dm_report_thumbnail (im, p->input->resize, p->input->crop, k->pixel_threshold, k->rules,
                           THUMB_PIXELS, JPEG_QUALITY, p->jpegs, &error);
  DmReportDecision d = dm_report_image_decision (k, (guint)(im - k->images));
  gboolean wrong = is_wrong (k, im);
  double box = cell_w - 8;
  g_autofree char *name
    = im->path != NULL ? g_filename_display_basename (im->path) : g_strdup ("\u2013");
  g_autofree char *score = dm_report_format_number (im->score, 4);
  g_autofree char *sample = NULL, *view = NULL;
  g_autofree char *line2 = NULL;
  g_autofree char *line3 = NULL;
  double ty = y + box + 3;

  /* a multi-view image names its part and camera: the file name alone is
   * cut short in a narrow cell */
  if (im->path != NULL && dm_dataset_sample_view (im->path, &sample, &view))
    line2 = g_strdup_printf ("%s · %s · %s %s",
                             im->label ? C_ ("true label", "Defect") : C_ ("true label", "Normal"),
                             im->defect_type != NULL ? im->defect_type : "", sample, view);
  else
    line2 = g_strdup_printf ("%s · %s",
                             im->label ? C_ ("true label", "Defect") : C_ ("true label", "Normal"),
                             im->defect_type != NULL ? im->defect_type : "");
  if (im->verdict != NULL)
    {
      g_autofree char *regions = dm_report_regions_text (k, im->verdict);

      line3 = g_strdup_printf (_ ("Score %s · %s · %s"), score, decision_word (d), regions);
    }
  else
    line3 = g_strdup_printf (_ ("Score %s · %s"), score, decision_word (d));

  if (thumb != NULL)
    {
      int tw = cairo_image_surface_get_width (thumb), th = cairo_image_surface_get_height (thumb);
      double scale = MIN (box / tw, box / th);
      double ox = x + (box - tw * scale) / 2, oy = y + (box - th * scale) / 2;

      cairo_save (p->cr);
      cairo_translate (p->cr, ox, oy);
      cairo_scale (p->cr, scale, scale);
      cairo_set_source_surface (p->cr, thumb, 0, 0);
      cairo_paint (p->cr);
      cairo_restore (p->cr);
      cairo_surface_destroy (thumb);
    }
  else
    {
      cairo_set_source_rgb (p->cr, 0.93, 0.93, 0.93);
      cairo_rectangle (p->cr, x, y, box, box);
      cairo_fill (p->cr);
      cairo_set_source_rgb (p->cr, 0.3, 0.3, 0.3);
      dm_report_text (p->cr, FONT, SMALL, FALSE, FALSE, _ ("Image not available"), x + 4,
                      y + box / 2 - SMALL, box - 8, DM_TEXT_CENTER);
    }
  if (wrong)
    {
      cairo_set_source_rgb (p->cr, p->style.defect[0], p->style.defect[1], p->style.defect[2]);
      cairo_set_line_width (p->cr, 1.5);
      cairo_rectangle (p->cr, x - 1, y - 1, box + 2, box + 2);
      cairo_stroke (p->cr);
    }
  cairo_save (p->cr);
  cairo_rectangle (p->cr, x, ty, box, 4 * SMALL);
  cairo_clip (p->cr);
  cairo_set_source_rgb (p->cr, 0.1, 0.1, 0.1);
  dm_report_text (p->cr, FONT, SMALL - 0.5, TRUE, FALSE, name, x, ty, 0, DM_TEXT_LEFT);
  cairo_set_source_rgb (p->cr, 0.3, 0.3, 0.3);
  dm_report_text (p->cr, FONT, SMALL - 0.5, FALSE, FALSE, line2, x, ty + 1.25 * SMALL, 0,
                  DM_TEXT_LEFT);
  dm_report_text (p->cr, FONT, SMALL - 0.5, FALSE, FALSE, line3, x, ty + 2.5 * SMALL, 0,
                  DM_TEXT_LEFT);
  cairo_restore (p->cr);
}

static void
gallery_grid (Pdf *p, const DmReportClass *k, const guint *indices, guint n)
{
  double cell_w = content_width (p) / GALLERY_COLUMNS, cell_h = cell_w - 8 + 4.4 * SMALL;

  for (guint i = 0; i < n; i += GALLERY_COLUMNS)
    {
      need (p, cell_h);
      for (guint j = i; j < n && j < i + GALLERY_COLUMNS; j++)
        gallery_cell (p, k, &k->images[indices[j]], MARGIN + (j - i) * cell_w, p->y, cell_w);
      p->y += cell_h + 6;
    }
}

/* The class's inspection rules in words, then its images with defect
 * regions: those a region rule failed first, then the largest regions. */
static void
regions_table (Pdf *p, const DmReportClass *k)
{
  enum
  {
    MAX_ROWS = 12,
    N_COLS = 5
  };
  g_autofree char *rules = dm_report_rules_sentence (k);
  g_autoptr (GPtrArray) owned = g_ptr_array_new_with_free_func (g_free);
  const char *cells[(MAX_ROWS + 1) * N_COLS];
  guint rows[MAX_ROWS], n;
  double w = content_width (p);
  double widths[N_COLS] = { w * 0.38, w * 0.12, w * 0.17, w * 0.15, w * 0.18 };
  const DmTextAlign align[N_COLS]
    = { DM_TEXT_LEFT, DM_TEXT_RIGHT, DM_TEXT_RIGHT, DM_TEXT_RIGHT, DM_TEXT_LEFT };

  if (rules != NULL)
    paragraph (p, rules, FALSE);
  n = dm_report_regions_rows (k, MAX_ROWS, rows);
  if (n == 0)
    return;
  heading (p, 11, _ ("Defect regions"));
  cells[0] = _ ("Image");
  cells[1] = _ ("Regions");
  cells[2] = _ ("Largest area");
  cells[3] = _ ("Longest extent");
  cells[4] = _ ("Decided by");
  for (guint r = 0; r < n; r++)
    dm_report_regions_cells (k, rows[r], owned, cells + (r + 1) * N_COLS);
  flowing_table (p, SMALL, widths, align, N_COLS, cells, (int)n);
}

static void
class_section (Pdf *p, const DmReportClass *k)
{
  g_autofree char *title = g_strdup_printf (_ ("Class %s"), k->name);
  guint n_defect = 0;
  g_autofree char *counts = NULL;
  g_autofree char *threshold = threshold_sentence (k);
  g_autofree char *band = NULL, *pixel = NULL, *summary = NULL;
  g_autoptr (GArray) gallery = NULL;
  guint n_top = 0, n_miss = 0;

  for (guint i = 0; i < k->n_images; i++)
    n_defect += k->images[i].label != 0;
  counts = g_strdup_printf (_ ("%u test images: %u normal, %u defect."), k->n_images,
                            k->n_images - n_defect, n_defect);
  if (k->has_uncertain)
    {
      g_autofree char *lo = dm_report_format_number (k->uncertain_low, 4);
      g_autofree char *hi = dm_report_format_number (k->uncertain_high, 4);

      band
        = g_strdup_printf (_ (" Uncertain band: scores from %s up to (not including) %s."), lo, hi);
    }
  if (isfinite (k->pixel_threshold))
    {
      g_autofree char *v = dm_report_format_number (k->pixel_threshold, 4);

      pixel = g_strdup_printf (
        _ (" Pixel threshold %s (the middle of the heatmaps' colour scale)."), v);
    }
  summary = g_strconcat (counts, " ", threshold, band != NULL ? band : "",
                         pixel != NULL ? pixel : "", NULL);
  new_page (p);
  heading (p, 14, title);
  paragraph (p, summary, FALSE);
  regions_table (p, k);
  if (!p->input->omit_plots)
    class_plots (p, k);
  if (p->input->omit_gallery)
    return;

  gallery = dm_report_gallery_select (k, DM_REPORT_GALLERY_TOP, DM_REPORT_GALLERY_MISCLASSIFIED,
                                      &n_top, &n_miss);
  heading (p, 11, _ ("Highest scores"));
  gallery_grid (p, k, (const guint *)(void *)gallery->data, n_top);
  if (k->threshold_source != DM_REPORT_THRESHOLD_NONE && isfinite (k->image_threshold))
    {
      guint shown = gallery->len - n_top, in_top = 0;
      g_autofree char *intro = NULL;

      for (guint g = 0; g < n_top; g++)
        in_top += is_wrong (k, &k->images[g_array_index (gallery, guint, g)]);
      heading (p, 11, _ ("Misclassified"));
      if (n_miss == 0)
        intro = g_strdup (_ ("No image is misclassified at this threshold."));
      else if (in_top + shown == n_miss)
        intro = g_strdup_printf (_ ("All %u misclassified images are shown, framed in colour: "
                                    "%u among the highest scores above, %u below."),
                                 n_miss, in_top, shown);
      else
        intro = g_strdup_printf (_ ("%u images are misclassified (framed in colour): %u among the "
                                    "highest scores above, and below the %u next highest of the "
                                    "others. The CSV file lists every decision."),
                                 n_miss, in_top, shown);
      paragraph (p, intro, FALSE);
      gallery_grid (p, k, (const guint *)(void *)gallery->data + n_top, shown);
    }
}

/* ---- the file ----------------------------------------------------------------------- */

/* Who labelled, painted, moved a threshold, trained or promoted what. */
static void
audit_appendix (Pdf *p)
{
  const DmReportInput *in = p->input;
  const int n_cols = 5;
  double w = content_width (p);
  const double widths[5] = { 92, 56, 90, w - 92 - 56 - 90 - 110, 110 };
  const DmTextAlign align[5]
    = { DM_TEXT_LEFT, DM_TEXT_LEFT, DM_TEXT_LEFT, DM_TEXT_LEFT, DM_TEXT_LEFT };
  g_autofree const char **cells = NULL;

  if (in->n_audit == 0)
    return;
  cells = g_new0 (const char *, (gsize)(in->n_audit + 1) * n_cols);
  cells[0] = _ ("When");
  cells[1] = _ ("Who");
  cells[2] = _ ("What");
  cells[3] = _ ("On");
  cells[4] = _ ("Change");
  for (guint i = 0; i < in->n_audit; i++)
    {
      const DmReportAuditRecord *a = &in->audit[i];
      const char **row = cells + (gsize)(i + 1) * n_cols;

      row[0] = a->time;
      row[1] = a->user;
      row[2] = a->action;
      row[3] = a->target;
      row[4] = a->change != NULL ? a->change : "";
    }
  new_page (p);
  heading (p, 14, _ ("Appendix: audit trail"));
  paragraph (p,
             _ ("Every change people made to the project, in order: labels and painted "
                "regions, thresholds, training runs and the model versions promoted. The "
                "trail is only ever appended to."),
             FALSE);
  flowing_table (p, 7.5, widths, align, n_cols, (const char *const *)cells, (int)in->n_audit);
}

static cairo_status_t
write_cb (void *closure, const unsigned char *data, unsigned int length)
{
  DmAtomicFile *file = closure;

  /* the error is reported from the surface's status */
  return dm_atomic_file_write (file, data, length, NULL) ? CAIRO_STATUS_SUCCESS
                                                         : CAIRO_STATUS_WRITE_ERROR;
}

static void
paper_size (Pdf *p, DmReportPaper paper)
{
  p->page_w = paper == DM_REPORT_PAPER_LETTER ? 612.0 : 595.276;
  p->page_h = paper == DM_REPORT_PAPER_LETTER ? 792.0 : 841.89;
}

void
dm_report_render_title_page (const DmReportInput *input, DmReportPaper paper, cairo_t *cr)
{
  Pdf p = { 0 };

  p.input = input;
  p.cr = cr;
  paper_size (&p, paper);
  dm_plot_style_init (&p.style);
  cairo_save (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  title_page (&p);
  cairo_restore (cr);
}

gboolean
dm_report_write_pdf (const DmReportInput *input,
                     DmReportPaper paper,
                     const char *path,
                     GError **error)
{
  DmAtomicFile file;
  cairo_surface_t *surface;
  cairo_status_t status;
  Pdf p = { 0 };
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = NULL;
  g_autoptr (GPtrArray) jpegs = g_ptr_array_new_with_free_func (g_free);

  p.input = input;
  p.jpegs = jpegs;
  paper_size (&p, paper);
  dm_plot_style_init (&p.style);
  if (!dm_atomic_file_begin (&file, path, error))
    return FALSE;
  surface = cairo_pdf_surface_create_for_stream (write_cb, &file, p.page_w, p.page_h);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE,
                                  input->title != NULL ? input->title : _ ("Inspection report"));
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Dinomaly Studio");
  date = g_date_time_format_iso8601 (input->date != NULL ? input->date : now);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATE_DATE, date);
  p.cr = cairo_create (surface);

  title_page (&p);
  new_page (&p);
  protocol_section (&p);
  metrics_section (&p);
  for (guint c = 0; c < input->n_classes; c++)
    class_section (&p, &input->classes[c]);
  audit_appendix (&p);

  cairo_show_page (p.cr);
  cairo_destroy (p.cr);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_autofree char *display = g_filename_display_name (path);

      dm_atomic_file_abort (&file);
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot write the PDF report: %s", display,
                   cairo_status_to_string (status));
      return FALSE;
    }
  return dm_atomic_file_commit (&file, error);
}
