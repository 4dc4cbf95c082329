/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What `dinomaly eval` writes: the JSON report, the CSV of image scores and
 * decisions, and the evaluation folders that `dinomaly metrics` reads. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dm-csv.h"
#include "dm-cli-eval-private.h"
#include "dm-error.h"
#include "dm-image-header.h"
#include "dm-image.h"
#include "dm-json-writer.h"
#include "dm-thresholds.h"

void
dm_cli_eval_record_clear (DmCliEvalRecord *record)
{
  g_free (record->name);
  g_free (record->views);
  g_clear_pointer (&record->decider, dm_decider_free);
}

void
dm_cli_eval_sample_size (const DmSample *s, int *width, int *height)
{
  DmImageHeader header;

  *width = s->width;
  *height = s->height;
  if (*width > 0 && *height > 0)
    return;
  if (dm_image_read_header (s->path, &header, NULL))
    {
      *width = header.width;
      *height = header.height;
    }
}

static int
compare_views (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

void
dm_cli_eval_record_count_views (DmCliEvalRecord *record,
                                const DmDataset *ds,
                                const DmEvalClass *r)
{
  g_autoptr (GHashTable) samples = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) views = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree gpointer *names = NULL;
  guint n = 0;

  for (guint i = 0; i < r->n_images; i++)
    {
      char *sample = NULL, *view = NULL;

      if (dm_dataset_sample_view (ds->samples[r->sample_index[i]].path, &sample, &view))
        {
          g_hash_table_add (samples, sample);
          g_hash_table_add (views, view);
        }
    }
  record->n_samples = g_hash_table_size (samples);
  if (record->n_samples == 0)
    return;
  names = g_hash_table_get_keys_as_array (views, &n);
  qsort (names, n, sizeof *names, compare_views);
  g_free (record->views);
  record->views = g_strjoinv (",", (char **)names);
}

/* ---- CSV ------------------------------------------------------------------- */

/* A float in the shortest text that reads back as the same float. */
static void
append_float (GString *s, float v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (int digits = 6; digits <= 9; digits++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buf, sizeof buf, format, v);
      if ((float)g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (s, buf);
}

void
dm_cli_eval_append_csv (GString *csv,
                        const DmDataset *ds,
                        const DmEvalClass *r,
                        const DmCliEvalRecord *record)
{
  for (guint i = 0; i < r->n_images; i++)
    {
      const DmSample *s = &ds->samples[r->sample_index[i]];
      g_autofree char *path = g_filename_display_name (s->path);

      dm_csv_append_field (csv, record->name);
      g_string_append_c (csv, ',');
      dm_csv_append_field (csv, path);
      g_string_append (csv, r->labels[i] ? ",defect," : ",good,");
      DmVerdict v;
      int width, height;

      /* the decision of the whole application (dm-decider.h) */
      dm_cli_eval_sample_size (s, &width, &height);
      dm_decider_run (record->decider, r->maps + (gsize)i * DM_EVAL_MAP_SIZE * DM_EVAL_MAP_SIZE,
                      r->scores[i], width, height, &v, NULL);
      append_float (csv, v.score);
      g_string_append_c (csv, ',');
      if (dm_decider_decides (record->decider))
        g_string_append (csv, v.decision == DM_DECISION_FAIL        ? "defect"
                              : v.decision == DM_DECISION_UNCERTAIN ? "uncertain"
                                                                    : "good");
      g_string_append_c (csv, ',');
      dm_verdict_append_csv (csv, &v);
      g_string_append_c (csv, ',');
      dm_report_append_sample_view (csv, s->path);
      g_string_append_c (csv, '\n');
    }
}

char *
dm_cli_eval_paper_table (const DmCliEvalRecord *records,
                         guint n,
                         const DmMetrics *mean,
                         DmPaperTableFormat format)
{
  g_autofree const char **names = g_new0 (const char *, MAX (n, 1));
  g_autofree DmMetrics *metrics = g_new0 (DmMetrics, MAX (n, 1));

  for (guint c = 0; c < n; c++)
    {
      names[c] = records[c].name;
      metrics[c] = records[c].metrics;
    }
  return dm_report_paper_table (names, metrics, n, mean, format);
}

/* ---- evaluation folders --------------------------------------------------------- */

/* A name usable as a file name and in scores.csv: no separators, commas,
 * quotes or control characters; valid UTF-8. */
static char *
safe_name (const char *raw)
{
  char *name = g_filename_display_name (raw);

  for (char *p = name; *p != '\0'; p++)
    if (*p == '/' || *p == '\\' || *p == ',' || *p == '"' || (guchar)*p < 0x20)
      *p = '_';
  if (name[0] == '.' || name[0] == '\0')
    {
      char *prefixed = g_strconcat ("_", name, NULL);

      g_free (name);
      name = prefixed;
    }
  return name;
}

/* "<type>_<stem>", made unique within the class. */
static char *
image_name (const DmSample *s, GHashTable *taken)
{
  g_autofree char *base = g_path_get_basename (s->path);
  char *dot = strrchr (base, '.');
  g_autofree char *raw = NULL, *name = NULL;

  if (dot != NULL && dot != base)
    *dot = '\0';
  raw = g_strdup_printf ("%s_%s", s->defect_type, base);
  name = safe_name (raw);
  for (int k = 2; g_hash_table_contains (taken, name); k++)
    {
      g_autofree char *numbered = g_strdup_printf ("%s_%d", raw, k);

      g_free (name);
      name = safe_name (numbered);
    }
  g_hash_table_add (taken, g_strdup (name));
  return g_steal_pointer (&name);
}

static gboolean
make_dir (const char *dir, GError **error)
{
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;
      g_autofree char *display = g_filename_display_name (dir);

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot create the folder: %s", display,
                   g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
dm_cli_eval_save_maps (const char *dir, const DmDataset *ds, const DmEvalClass *r, GError **error)
{
  g_autofree char *class_name = safe_name (ds->classes[r->class_index].name);
  g_autofree char *class_dir = g_build_filename (dir, class_name, NULL);
  g_autofree char *maps_dir = g_build_filename (class_dir, "maps", NULL);
  g_autofree char *masks_dir = g_build_filename (class_dir, "masks", NULL);
  g_autofree char *scores_path = g_build_filename (class_dir, "scores.csv", NULL);
  g_autoptr (GHashTable) taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GString) scores = g_string_new ("name,label,score\n");
  g_autoptr (DmImage) mask = NULL;
  const gsize per = (gsize)DM_EVAL_MAP_SIZE * DM_EVAL_MAP_SIZE;

  if (!make_dir (maps_dir, error) || !make_dir (masks_dir, error))
    return FALSE;
  mask = dm_image_new (DM_EVAL_MAP_SIZE, DM_EVAL_MAP_SIZE, 1, DM_PIXEL_U8, error);
  if (mask == NULL)
    return FALSE;
  for (guint i = 0; i < r->n_images; i++)
    {
      const DmSample *s = &ds->samples[r->sample_index[i]];
      g_autofree char *name = image_name (s, taken);
      g_autofree char *map_file = g_strconcat (name, "_map.tiff", NULL);
      g_autofree char *map_path = g_build_filename (maps_dir, map_file, NULL);

      g_string_append_printf (scores, "%s,%d,", name, r->labels[i]);
      append_float (scores, r->scores[i]);
      g_string_append_c (scores, '\n');
      if (!dm_image_save_tiff_f32 (r->maps + i * per, DM_EVAL_MAP_SIZE, DM_EVAL_MAP_SIZE, map_path,
                                   error))
        return FALSE;
      /* good images need no file: no mask means no defect */
      if (r->labels[i] && r->has_truth[i])
        {
          g_autofree char *mask_file = g_strconcat (name, "_mask.png", NULL);
          g_autofree char *mask_path = g_build_filename (masks_dir, mask_file, NULL);
          const guint8 *m = r->masks + i * per;

          for (int y = 0; y < DM_EVAL_MAP_SIZE; y++)
            for (int x = 0; x < DM_EVAL_MAP_SIZE; x++)
              mask->data[(gsize)y * mask->stride + x]
                = m[(gsize)y * DM_EVAL_MAP_SIZE + x] ? 255 : 0;
          if (!dm_image_save_png (mask, mask_path, error))
            return FALSE;
        }
    }
  return g_file_set_contents (scores_path, scores->str, (gssize)scores->len, error);
}

/* ---- JSON ---- NaN as null, with the reason under "notes". */

gboolean
dm_cli_eval_write_json (const char *path,
                        const char *model_path,
                        const char *data_path,
                        const DmCliEvalRecord *records,
                        guint n_records,
                        const DmMetrics *mean,
                        const DmDataset *ds,
                        GPtrArray *failures,
                        GError **error)
{
  g_autoptr (DmJsonWriter) w = dm_json_writer_new (TRUE);
  g_autofree char *model_display = g_filename_display_name (model_path);
  g_autofree char *data_display = g_filename_display_name (data_path);

  dm_json_writer_begin_object (w);
  dm_json_writer_member_string (w, "model", model_display);
  dm_json_writer_member_string (w, "data", data_display);
  dm_json_writer_key (w, "classes");
  dm_json_writer_begin_object (w);
  for (guint c = 0; c < n_records; c++)
    {
      const DmCliEvalRecord *r = &records[c];

      dm_json_writer_key (w, r->name);
      dm_json_writer_begin_object (w);
      dm_metrics_write_json (w, &r->metrics);
      dm_json_writer_member_int (w, "n_images", r->n_images);
      dm_json_writer_member_int (w, "n_defect", r->n_defect);
      dm_json_writer_member_int (w, "n_with_ground_truth", r->n_truth);
      dm_json_writer_member_int (w, "aupro_regions", (gint64)r->metrics.aupro_regions);
      dm_json_writer_member_number (w, "image_threshold", r->has_threshold ? r->threshold : NAN);
      if (r->n_samples > 0)
        {
          /* every view an image: how many parts, seen by which cameras */
          g_auto (GStrv) views = g_strsplit (r->views, ",", -1);

          dm_json_writer_member_int (w, "n_samples", r->n_samples);
          dm_json_writer_key (w, "views");
          dm_json_writer_begin_inline_array (w);
          for (guint v = 0; views[v] != NULL; v++)
            dm_json_writer_string (w, views[v]);
          dm_json_writer_end_array (w);
        }
      dm_json_writer_member_number (w, "seconds", r->seconds);
      dm_json_writer_end_object (w);
    }
  dm_json_writer_end_object (w);
  dm_json_writer_key (w, "mean");
  dm_json_writer_begin_object (w);
  dm_metrics_write_json (w, mean);
  dm_json_writer_member_int (w, "n_classes", n_records);
  dm_json_writer_end_object (w);
  dm_json_writer_key (w, "problems");
  dm_json_writer_begin_array (w);
  for (guint i = 0; i < ds->n_problems; i++)
    {
      g_autofree char *problem_path = g_filename_display_name (ds->problems[i].path);

      dm_json_writer_begin_object (w);
      dm_json_writer_member_string (w, "kind",
                                    dm_dataset_problem_kind_name (ds->problems[i].kind));
      dm_json_writer_member_string (w, "path", problem_path);
      dm_json_writer_member_string (w, "message", ds->problems[i].message);
      dm_json_writer_end_object (w);
    }
  dm_json_writer_end_array (w);
  dm_json_writer_key (w, "failures");
  dm_json_writer_begin_array (w);
  for (guint i = 0; i < failures->len; i++)
    dm_json_writer_string (w, failures->pdata[i]);
  dm_json_writer_end_array (w);
  dm_json_writer_end_object (w);
  return dm_json_writer_write_file (w, path, error);
}
