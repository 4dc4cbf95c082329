/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly predict`: scores images with a model file and writes, per
 * image, the 256x256 anomaly map the score comes from and a heatmap overlay
 * on the original picture, plus results.csv (path, score, decision). Three
 * stages overlap: a loader thread decodes and preprocesses the next batch,
 * the main thread runs inference, a writer thread writes the files. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dm-anomaly-map.h"
#include "dm-csv.h"
#include "dm-decider.h"
#include "dm-json-writer.h"
#include "dm-cli-predict-private.h"
#include "dm-cli.h"
#include "dm-dinomaly.h"
#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-image.h"
#include "dm-inspect-class.h"
#include "dm-inspect.h"
#include "dm-inspector.h"
#include "dm-overlay.h"
#include "dm-preprocess.h"

#define MAP_PIXELS ((gsize)DM_ANOMALY_MAP_SIZE * DM_ANOMALY_MAP_SIZE)
/* Batches in flight: one loading, one in inference, one being written. */
#define N_BATCHES 3
/* A batch closes early once its originals (kept for the overlays, as 8-bit)
 * take this much, so that big pictures do not pile up three batches deep. */
#define BATCH_IMAGE_BYTES ((gsize)256 << 20)

typedef struct
{
  int input;      /* index into Predict.inputs */
  DmImage *image; /* the decoded original (owned), NULL when it failed */
  DmCropGeometry geom;
  GError *error; /* why it failed (owned) */
  char *note;    /* what to know about a scored image (owned), or NULL */
} Item;

typedef struct
{
  GArray *items; /* Item: the batch's images in input order, failed ones included */
  int n_valid;   /* images in the tensors below, in item order */
  float *input;  /* (B, 3, crop, crop) */
  float *maps;   /* (B, 256, 256) */
  float *scores; /* (B) */
  gboolean last; /* the end of the stream: no items */
} Batch;

typedef struct
{
  /* settings */
  DmInspector *inspector;
  DmInspectClass cls; /* the model file, its class and thresholds */
  DmOverlayStyle style;
  char *out_dir;
  guint64 max_pixels;
  DmImageLoadFlags load_flags; /* DM_IMAGE_LOAD_ACCEPT_DAMAGED on request */
  int batch_size;
  gboolean progress; /* stderr is a terminal */

  GPtrArray *inputs; /* Input* */
  Batch batches[N_BATCHES];
  GAsyncQueue *free_q, *ready_q, *done_q; /* Batch* */
  int stop;                               /* atomic: a fatal error happened */
  GError *fatal;                          /* the first fatal error (writer or inference) */
  GMutex fatal_lock;

  /* writer state */
  GString *csv;
  GString *json_images; /* results.json's "images" entries so far */
  guint n_done, n_failed;
  gint64 t_start;
} Predict;

static void
item_clear (gpointer data)
{
  Item *item = data;

  g_clear_pointer (&item->image, dm_image_free);
  g_clear_error (&item->error);
  g_clear_pointer (&item->note, g_free);
}

/* What the result must say about an image that was scored: only its first
 * page (a multi-page TIFF), or damage it was decoded despite. */
static char *
image_note (const DmImageInfo *info)
{
  if (info->n_warnings > 0)
    return g_strdup_printf ("scored despite %s (--accept-damaged)", info->warning);
  if (info->n_pages > 1)
    return g_strdup_printf ("a TIFF of %d pages: only the first was scored", info->n_pages);
  return NULL;
}

static void
set_fatal (Predict *p, GError *error)
{
  g_mutex_lock (&p->fatal_lock);
  if (p->fatal == NULL)
    p->fatal = error;
  else
    g_error_free (error);
  g_mutex_unlock (&p->fatal_lock);
  g_atomic_int_set (&p->stop, 1);
}

/* Progress and input errors share stderr: an error line first clears the
 * progress line. */
static void
report_input_error (Predict *p, const GError *error)
{
  if (p->progress)
    g_printerr ("\r\033[K");
  dm_cli_print_error ("predict", error);
}

static void
print_progress (Predict *p)
{
  double s = (double)(g_get_monotonic_time () - p->t_start) * 1e-6;

  if (!p->progress)
    return;
  g_printerr ("\r\033[Kdinomaly predict: %u of %u images", p->n_done + p->n_failed, p->inputs->len);
  if (p->n_failed > 0)
    g_printerr (" (%u failed)", p->n_failed);
  if (s > 0 && p->n_done > 0)
    g_printerr (", %.2f images/s", p->n_done / s);
}

/* ---- the three stages -------------------------------------------------- */

/* What the overlay needs of the original: 8-bit gray or RGB (16-bit / 257,
 * float clamped to 0..255, rounded; alpha dropped), a third to an eighth of
 * a decoded 16-bit or float picture. 8-bit gray and RGB stay as they are. */
static DmImage *
compact_for_overlay (DmImage *image, GError **error)
{
  int channels = image->channels == 1 ? 1 : 3;
  DmImage *out;

  if (image->type == DM_PIXEL_U8 && image->channels == channels)
    return image;
  out = dm_image_new (image->width, image->height, channels, DM_PIXEL_U8, error);
  if (out == NULL)
    {
      dm_image_free (image);
      return NULL;
    }
  for (int y = 0; y < image->height; y++)
    {
      guint8 *row = out->data + (gsize)y * out->stride;

      for (int x = 0; x < image->width; x++)
        for (int c = 0; c < channels; c++)
          {
            float v = dm_image_get (image, x, y, c);

            if (image->type == DM_PIXEL_U16)
              v /= 257.0f;
            row[x * channels + c] = (guint8)(isfinite (v) ? CLAMP (lrintf (v), 0, 255) : 0);
          }
    }
  dm_image_free (image);
  return out;
}

static gpointer
loader_thread (gpointer data)
{
  Predict *p = data;
  const DmDinomalyModel *m = dm_inspector_get_model (p->inspector);
  gsize per_image = dm_inspector_input_size (p->inspector);
  guint next = 0;

  while (next < p->inputs->len && !g_atomic_int_get (&p->stop))
    {
      Batch *b = g_async_queue_pop (p->free_q);
      gsize held = 0;

      b->n_valid = 0;
      b->last = FALSE;
      while (next < p->inputs->len && b->n_valid < p->batch_size && held < BATCH_IMAGE_BYTES
             && !g_atomic_int_get (&p->stop))
        {
          Input *in = g_ptr_array_index (p->inputs, next);
          Item item = { (int)next++, NULL, { 0 }, NULL, NULL };
          DmImageInfo info;

          item.image
            = dm_image_load_full (in->path, p->max_pixels, p->load_flags, &info, &item.error);
          if (item.image != NULL)
            item.note = image_note (&info);
          if (item.image != NULL)
            {
              float *x = b->input + (gsize)b->n_valid * per_image;

              if (dm_inspector_prepare (p->inspector, item.image, in->path, x, &item.error))
                {
                  dm_crop_geometry_init (&item.geom, item.image->width, item.image->height,
                                         m->resize, m->crop);
                  item.image = compact_for_overlay (item.image, &item.error);
                  if (item.image != NULL)
                    {
                      held += item.image->stride * (gsize)item.image->height;
                      b->n_valid++;
                    }
                  else
                    g_prefix_error (&item.error, "%s: ", in->display);
                }
              else
                g_clear_pointer (&item.image, dm_image_free);
            }
          g_array_append_val (b->items, item);
        }
      g_async_queue_push (p->ready_q, b);
    }
  {
    Batch *end = g_async_queue_pop (p->free_q);

    end->n_valid = 0;
    end->last = TRUE;
    g_async_queue_push (p->ready_q, end);
  }
  return NULL;
}

/* results.json: the model, the class and its rules, then every image
 * written so far with its verdict (regions included). */
static gboolean
write_json (Predict *p, GError **error)
{
  g_autofree char *path = g_build_filename (p->out_dir, "results.json", NULL);
  g_autoptr (DmJsonWriter) j = dm_json_writer_new (TRUE);
  const DmThresholds *t = dm_decider_get_thresholds (p->cls.decider);

  dm_json_writer_begin_object (j);
  dm_json_writer_member_string (j, "class", p->cls.class_name);
  dm_json_writer_key (j, "thresholds");
  dm_json_writer_begin_inline_object (j);
  dm_json_writer_member_number (j, "image", t->image);
  dm_json_writer_member_number (j, "pixel", t->pixel);
  dm_json_writer_member_number (j, "uncertain_low", t->uncertain_low);
  dm_json_writer_member_number (j, "uncertain_high", t->uncertain_high);
  dm_json_writer_end_object (j);
  dm_json_writer_key (j, "rules");
  dm_json_writer_begin_object (j);
  dm_rules_write_members (dm_decider_get_rules (p->cls.decider), j);
  dm_json_writer_end_object (j);
  dm_json_writer_key (j, "images");
  dm_json_writer_raw (j, p->json_images->len > 0 ? p->json_images->str : "[]");
  dm_json_writer_end_object (j);
  return dm_json_writer_write_file (j, path, error);
}

static gboolean
write_csv (Predict *p, GError **error)
{
  g_autofree char *path = g_build_filename (p->out_dir, "results.csv", NULL);

  return dm_file_set_contents_atomic (path, p->csv->str, p->csv->len, error)
         && write_json (p, error);
}

/* One image's entry of results.json, appended to the array text. */
static void
append_json_image (Predict *p, const Input *in, const DmImage *image, const DmVerdict *v)
{
  g_autoptr (DmJsonWriter) j = dm_json_writer_new (FALSE);
  g_autofree char *path = g_filename_display_name (in->path);

  dm_json_writer_begin_object (j);
  dm_json_writer_member_string (j, "path", path);
  dm_json_writer_member_int (j, "width", image->width);
  dm_json_writer_member_int (j, "height", image->height);
  dm_json_writer_key (j, "score");
  dm_json_writer_float (j, v->score);
  if (p->cls.decides)
    dm_json_writer_member_string (j, "decision", dm_decision_name (v->decision));
  else
    {
      dm_json_writer_key (j, "decision");
      dm_json_writer_null (j);
    }
  dm_verdict_write_members (j, v);
  dm_json_writer_end_object (j);
  if (p->json_images->len == 0)
    g_string_append (p->json_images, "[\n");
  else
    {
      g_string_truncate (p->json_images, p->json_images->len - 2);
      g_string_append (p->json_images, ",\n");
    }
  g_string_append (p->json_images, dm_json_writer_get_text (j));
  g_string_append (p->json_images, "\n]");
}

/* The map, the overlay, then the CSV row: a row only names images whose
 * files are complete. */
static gboolean
write_item (Predict *p, const Item *item, const float *map, float score, GError **error)
{
  const Input *in = g_ptr_array_index (p->inputs, item->input);
  g_autofree char *map_name = g_strconcat (in->stem, "_map.tiff", NULL);
  g_autofree char *overlay_name = g_strconcat (in->stem, "_overlay.png", NULL);
  g_autofree char *map_path = g_build_filename (p->out_dir, map_name, NULL);
  g_autofree char *overlay_path = g_build_filename (p->out_dir, overlay_name, NULL);
  g_autoptr (DmImage) overlay = NULL;
  g_autofree guint8 *inspected = NULL;
  const DmRules *rules = dm_decider_get_rules (p->cls.decider);
  char number[G_ASCII_DTOSTR_BUF_SIZE];
  DmVerdict v;

  dm_decider_run (p->cls.decider, map, score, item->image->width, item->image->height, &v, NULL);
  if (!dm_image_save_tiff_f32 (map, DM_ANOMALY_MAP_SIZE, DM_ANOMALY_MAP_SIZE, map_path, error))
    return FALSE;
  if (!dm_roi_is_empty (rules->roi))
    {
      /* what the region of interest leaves out is hatched like the margin */
      inspected = g_malloc ((gsize)item->image->width * item->image->height);
      dm_roi_rasterize (rules->roi, rules->ref_width, rules->ref_height, item->image->width,
                        item->image->height, inspected);
    }
  overlay = dm_overlay_compose_masked (item->image, map, DM_ANOMALY_MAP_SIZE, &item->geom,
                                       &p->style, inspected, error);
  if (overlay == NULL || !dm_image_save_png (overlay, overlay_path, error))
    {
      /* no row will name it: leave no map without its overlay */
      g_unlink (map_path);
      return FALSE;
    }

  dm_csv_append_field (p->csv, in->path);
  g_string_append_printf (p->csv, ",%s,%s,",
                          g_ascii_formatd (number, sizeof number, "%.9g", v.score),
                          p->cls.decides ? dm_decision_name (v.decision) : "");
  dm_verdict_append_csv (p->csv, &v);
  g_string_append_c (p->csv, '\n');
  append_json_image (p, in, item->image, &v);
  return TRUE;
}

static gpointer
writer_thread (gpointer data)
{
  Predict *p = data;

  for (;;)
    {
      Batch *b = g_async_queue_pop (p->done_q);
      gboolean last = b->last;
      int slot = 0;

      for (guint i = 0; i < b->items->len; i++)
        {
          Item *item = &g_array_index (b->items, Item, i);
          g_autoptr (GError) error = NULL;

          if (g_atomic_int_get (&p->stop))
            break; /* drain: keep the batches moving so no stage blocks */
          if (item->image == NULL)
            {
              report_input_error (p, item->error);
              p->n_failed++;
              continue;
            }
          if (!isfinite (b->scores[slot]))
            {
              const Input *in = g_ptr_array_index (p->inputs, item->input);
              g_autoptr (GError) numeric = dm_inspector_check_score (in->path, b->scores[slot]);

              report_input_error (p, numeric);
              p->n_failed++;
            }
          else if (!write_item (p, item, b->maps + (gsize)slot * MAP_PIXELS, b->scores[slot],
                                &error))
            set_fatal (p, g_steal_pointer (&error));
          else
            {
              p->n_done++;
              if (item->note != NULL)
                {
                  const Input *in = g_ptr_array_index (p->inputs, item->input);

                  if (p->progress)
                    g_printerr ("\r\033[K");
                  g_printerr ("dinomaly predict: note: %s: %s\n", in->display, item->note);
                }
            }
          slot++;
        }
      if (!g_atomic_int_get (&p->stop) && b->items->len > 0)
        {
          g_autoptr (GError) error = NULL;

          if (!write_csv (p, &error))
            set_fatal (p, g_steal_pointer (&error));
          print_progress (p);
        }
      g_array_set_size (b->items, 0);
      g_async_queue_push (p->free_q, b);
      if (last)
        return NULL;
    }
}

static void
run_pipeline (Predict *p)
{
  GThread *loader, *writer;

  p->free_q = g_async_queue_new ();
  p->ready_q = g_async_queue_new ();
  p->done_q = g_async_queue_new ();
  for (int i = 0; i < N_BATCHES; i++)
    g_async_queue_push (p->free_q, &p->batches[i]);
  p->t_start = g_get_monotonic_time ();
  loader = g_thread_new ("predict-loader", loader_thread, p);
  writer = g_thread_new ("predict-writer", writer_thread, p);
  for (;;)
    {
      Batch *b = g_async_queue_pop (p->ready_q);
      gboolean last = b->last;
      g_autoptr (GError) error = NULL;

      if (b->n_valid > 0 && !g_atomic_int_get (&p->stop)
          && !dm_inspector_score (p->inspector, b->input, b->n_valid, b->maps, b->scores, &error))
        set_fatal (p, g_steal_pointer (&error));
      g_async_queue_push (p->done_q, b);
      if (last)
        break;
    }
  g_thread_join (loader);
  g_thread_join (writer);
  g_clear_pointer (&p->free_q, g_async_queue_unref);
  g_clear_pointer (&p->ready_q, g_async_queue_unref);
  g_clear_pointer (&p->done_q, g_async_queue_unref);
  if (p->progress)
    g_printerr ("\n");
}

/* ---- setup ------------------------------------------------------------- */

/* Creates the output folder and results.csv with its header: whatever
 * cannot be written fails here, before any work. */
static gboolean
prepare_output (Predict *p, GError **error)
{
  g_autofree char *display = g_filename_display_name (p->out_dir);

  if (g_file_test (p->out_dir, G_FILE_TEST_EXISTS) && !g_file_test (p->out_dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: exists and is not a folder", display);
      return FALSE;
    }
  if (g_mkdir_with_parents (p->out_dir, 0777) != 0)
    {
      int saved = errno;

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot create the folder: %s", display,
                   g_strerror (saved));
      return FALSE;
    }
  /* half-written overlays and maps of a run that was killed */
  dm_atomic_file_remove_stale_in (p->out_dir);
  p->csv = g_string_new ("path,score,decision," DM_VERDICT_CSV_COLUMNS "\n");
  p->json_images = g_string_new (NULL);
  return write_csv (p, error);
}

static gboolean
alloc_batches (Predict *p, GError **error)
{
  gsize per_image = dm_inspector_input_size (p->inspector);

  for (int i = 0; i < N_BATCHES; i++)
    {
      Batch *b = &p->batches[i];

      b->items = g_array_new (FALSE, TRUE, sizeof (Item));
      g_array_set_clear_func (b->items, item_clear);
      b->input = g_try_new (float, per_image * p->batch_size);
      b->maps = g_try_new (float, MAP_PIXELS * p->batch_size);
      b->scores = g_try_new (float, p->batch_size);
      if (b->input == NULL || b->maps == NULL || b->scores == NULL)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY,
                       "Out of memory for batches of %d images", p->batch_size);
          return FALSE;
        }
    }
  return TRUE;
}

static void
predict_clear (Predict *p)
{
  for (int i = 0; i < N_BATCHES; i++)
    {
      g_clear_pointer (&p->batches[i].items, g_array_unref);
      g_clear_pointer (&p->batches[i].input, g_free);
      g_clear_pointer (&p->batches[i].maps, g_free);
      g_clear_pointer (&p->batches[i].scores, g_free);
    }
  g_clear_pointer (&p->inputs, g_ptr_array_unref);
  g_clear_pointer (&p->inspector, dm_inspector_free);
  dm_inspect_class_clear (&p->cls);
  if (p->csv != NULL)
    g_string_free (p->csv, TRUE);
  if (p->json_images != NULL)
    g_string_free (p->json_images, TRUE);
  g_clear_error (&p->fatal);
  g_mutex_clear (&p->fatal_lock);
}

int
dm_cli_predict (int argc, char **argv)
{
  g_autofree char *model_path = NULL, *backbone_path = NULL, *out_dir = NULL;
  g_autofree char *class_name = NULL, *rules_path = NULL, *colormap_name = NULL;
  g_auto (GStrv) args = NULL;
  int batch = 8, threads = 0;
  gint64 max_pixels = DM_IMAGE_DEFAULT_MAX_PIXELS;
  gboolean accept_damaged = FALSE;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path,
      "the model file, or a folder of one model per class (--class picks one)", "M.dinomaly|DIR" },
    { "backbone", 0, 0, G_OPTION_ARG_FILENAME, &backbone_path,
      "the backbone file, for a model that refers to it by SHA-256", "ENCODER.safetensors" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir, "the folder to write to (created)", "DIR" },
    { "class", 0, 0, G_OPTION_ARG_STRING, &class_name,
      "the class whose thresholds decide (needed when the model has several), and whose model "
      "scores in a folder of one model per class",
      "NAME" },
    { "rules", 0, 0, G_OPTION_ARG_FILENAME, &rules_path,
      "inspection rules (region of interest, mm per pixel, limits on defect regions) from a "
      "JSON file, instead of the class's in the model",
      "FILE.json" },
    { "colormap", 0, 0, G_OPTION_ARG_STRING, &colormap_name,
      "the overlays' colours: ember (the default) or viridis (colour-blind safe)", "NAME" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "images per inference batch (8)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "threads (default: all cores)", "T" },
    { "max-pixels", 0, 0, G_OPTION_ARG_INT64, &max_pixels,
      "refuse images larger than this (100000000)", "N" },
    { "accept-damaged", 0, 0, G_OPTION_ARG_NONE, &accept_damaged,
      "score a damaged but decodable image (a JPEG with corrupt scan data, where the lost part "
      "is flat gray) with a note, instead of refusing it",
      NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &args, NULL, NULL },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  Predict p = { 0 };
  DmColormap colormap = DM_COLORMAP_EMBER;
  guint n_unreadable = 0;
  int rc = DM_CLI_OK;

  if (!dm_cli_parse ("predict", "IMAGE|FOLDER…",
                     "Scores images with a model. Writes into DIR: results.csv (path,score,\n"
                     "decision: pass or fail when the model has an image threshold for the\n"
                     "class, uncertain inside its uncertain band, else empty; then the rule\n"
                     "that decided, the defect regions that count and the largest one's area\n"
                     "and the longest extent, in pixels of the picture and in mm when the\n"
                     "class is calibrated), results.json (the same with every region's box,\n"
                     "area, extent, maximum and mean), and per image\n"
                     "STEM_map.tiff (the 256x256 anomaly map the score comes from, float32) and\n"
                     "STEM_overlay.png (the heatmap over the original image; the part the model\n"
                     "does not see, or its region of interest leaves out, is hatched). With a\n"
                     "region of interest the score is the mean of the top 1% of the inspected\n"
                     "map pixels. STEM is the file name without extension; a stem\n"
                     "seen before gets -2, -3, ...\n\n"
                     "Folders give their files sorted by name (not their subfolders; hidden\n"
                     "files ignored); files that are not PNG, TIFF, JPEG or BMP by content are\n"
                     "listed and skipped. An image that cannot be read is reported and the\n"
                     "others go on (exit status 1). Progress is shown when standard error is a\n"
                     "terminal.",
                     entries, &argc, &argv))
    return DM_CLI_USAGE;
  if (model_path == NULL || out_dir == NULL)
    return dm_cli_usage_error ("predict", "--model and --out are required");
  if (args == NULL || args[0] == NULL)
    return dm_cli_usage_error ("predict", "give at least one IMAGE or FOLDER");
  if (!dm_cli_check_int ("predict", "--batch", batch, 1, 256)
      || !dm_cli_check_int ("predict", "--threads", threads, 0, 4096)
      || !dm_cli_check_int ("predict", "--max-pixels", max_pixels, 1, G_MAXINT64))
    return DM_CLI_USAGE;
  if (colormap_name != NULL && !dm_colormap_from_name (colormap_name, &colormap))
    {
      g_autofree char *message
        = g_strdup_printf ("unknown --colormap '%s' (ember or viridis)", colormap_name);

      return dm_cli_usage_error ("predict", message);
    }

  g_mutex_init (&p.fatal_lock);
  p.out_dir = out_dir;
  p.max_pixels = (guint64)max_pixels;
  p.load_flags = accept_damaged ? DM_IMAGE_LOAD_ACCEPT_DAMAGED : DM_IMAGE_LOAD_DEFAULT;
  p.progress = isatty (STDERR_FILENO);
  p.inputs = g_ptr_array_new_with_free_func (dm_predict_input_free);

  if (!dm_predict_collect_inputs (args, p.inputs, &n_unreadable))
    {
      predict_clear (&p);
      return DM_CLI_FAILED;
    }
  if (p.inputs->len == 0)
    {
      if (n_unreadable == 0)
        g_printerr ("dinomaly predict: no PNG, TIFF, JPEG or BMP image to score\n");
      predict_clear (&p);
      return DM_CLI_FAILED;
    }
  dm_predict_assign_stems (p.inputs);

  /* a model file, or a folder of one model per class: the class's model */
  p.batch_size = (int)MIN ((guint)batch, p.inputs->len);
  p.inspector = dm_inspect_class_open (model_path, backbone_path, class_name, rules_path,
                                       p.batch_size, threads, &p.cls, &error);
  if (p.inspector == NULL)
    goto failed;
  dm_overlay_style_init (&p.style, p.cls.thresholds.pixel);
  p.style.colormap = colormap;
  if (!alloc_batches (&p, &error) || !prepare_output (&p, &error))
    goto failed;

  run_pipeline (&p);
  if (p.fatal != NULL)
    {
      dm_cli_print_error ("predict", p.fatal);
      rc = DM_CLI_FAILED;
    }
  else if (p.n_failed > 0 || n_unreadable > 0)
    rc = DM_CLI_FAILED;
  if (p.progress)
    {
      g_autofree char *csv = g_build_filename (out_dir, "results.csv", NULL);
      g_autofree char *display = g_filename_display_name (csv);

      g_printerr ("dinomaly predict: %u images scored, %u failed; see %s\n", p.n_done,
                  p.n_failed + n_unreadable, display);
    }
  predict_clear (&p);
  return rc;

failed:
  dm_cli_print_error ("predict", error);
  predict_clear (&p);
  return DM_CLI_FAILED;
}
