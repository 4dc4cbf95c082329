/* SPDX-License-Identifier: GPL-3.0-or-later */
/* New parts through a trained model: inputs, batched scoring with a
 * per-image callback, CSV and overlay export (dm-inspect.h). */
#include "dm-inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "dm-csv.h"
#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-image.h"
#include "dm-inspector.h"

#define MAP_PIXELS ((gsize)DM_INSPECT_MAP_SIZE * DM_INSPECT_MAP_SIZE)

/* ---- inputs ------------------------------------------------------------ */

/* What the first bytes of a file announce; FALSE with error when it cannot
 * be read at all. */
static gboolean
sniff_file (const char *path, DmImageFormat *format, GError **error)
{
  guint8 head[DM_IMAGE_SNIFF_BYTES];
  ssize_t n;
  int fd = dm_open_regular (path, NULL, error);

  if (fd < 0)
    return FALSE;
  do
    n = read (fd, head, sizeof head);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      int saved = errno;
      g_autofree char *display = g_filename_display_name (path);

      close (fd);
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot read: %s", display,
                   g_strerror (saved));
      return FALSE;
    }
  close (fd);
  *format = dm_image_sniff (head, (gsize)n);
  return TRUE;
}

static void
add_note (GPtrArray *notes, GError *note)
{
  if (notes != NULL)
    g_ptr_array_add (notes, note);
  else
    g_error_free (note);
}

static GError *
skipped_note (const char *path)
{
  g_autofree char *display = g_filename_display_name (path);

  return g_error_new (DM_ERROR, DM_ERROR_UNSUPPORTED,
                      "%s: not a PNG, TIFF, JPEG or BMP image, skipped", display);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* A folder's images, sorted; FALSE when it holds none. */
static gboolean
collect_folder (const char *folder, GPtrArray *files, GPtrArray *notes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (folder, 0, &error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) skipped = g_ptr_array_new ();
  g_autofree char *display = g_filename_display_name (folder);
  guint n_images = 0;
  const char *name;

  if (dir == NULL)
    {
      add_note (notes, g_error_new (DM_ERROR, DM_ERROR_IO, "%s: cannot read the folder: %s",
                                    display, error->message));
      return TRUE;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_build_filename (folder, name, NULL));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      const char *path = g_ptr_array_index (names, i);
      GError *file_error = NULL;
      DmImageFormat format;

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        continue;
      if (!sniff_file (path, &format, &file_error))
        add_note (notes, file_error);
      else if (format == DM_IMAGE_FORMAT_UNKNOWN)
        g_ptr_array_add (skipped, (gpointer)path);
      else
        {
          g_ptr_array_add (files, g_strdup (path));
          n_images++;
        }
    }
  if (n_images == 0)
    {
      if (skipped->len > 0)
        add_note (notes,
                  g_error_new (DM_ERROR, DM_ERROR_INVALID,
                               "%s: no PNG, TIFF, JPEG or BMP image in this folder (%u other "
                               "file%s)",
                               display, skipped->len, skipped->len > 1 ? "s" : ""));
      else
        add_note (notes,
                  g_error_new (DM_ERROR, DM_ERROR_INVALID,
                               "%s: no PNG, TIFF, JPEG or BMP image in this folder", display));
      return FALSE;
    }
  for (guint i = 0; i < skipped->len; i++)
    add_note (notes, skipped_note (g_ptr_array_index (skipped, i)));
  return TRUE;
}

gboolean
dm_inspect_collect (const char *const *paths, GPtrArray *files, GPtrArray *notes)
{
  gboolean ok = TRUE;

  for (const char *const *arg = paths; *arg != NULL; arg++)
    {
      GError *error = NULL;
      DmImageFormat format;

      if (g_file_test (*arg, G_FILE_TEST_IS_DIR))
        ok &= collect_folder (*arg, files, notes);
      else if (!sniff_file (*arg, &format, &error))
        add_note (notes, error);
      else if (format == DM_IMAGE_FORMAT_UNKNOWN)
        add_note (notes, skipped_note (*arg));
      else
        g_ptr_array_add (files, g_strdup (*arg));
    }
  return ok;
}

/* "name.ext" -> "name"; a leading dot is part of the name. */
static char *
stem_of (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  return g_steal_pointer (&base);
}

char **
dm_inspect_unique_stems (const char *const *paths, guint n)
{
  g_autoptr (GHashTable) taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  char **stems = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *stem = stem_of (paths[i]);
      char *candidate = g_strdup (stem);
      char *key = g_ascii_strdown (candidate, -1);

      for (int k = 2; g_hash_table_contains (taken, key); k++)
        {
          g_free (candidate);
          g_free (key);
          candidate = g_strdup_printf ("%s-%d", stem, k);
          key = g_ascii_strdown (candidate, -1);
        }
      g_hash_table_add (taken, key);
      stems[i] = candidate;
    }
  return stems;
}

/* ---- the job ----------------------------------------------------------- */

void
dm_inspect_settings_init (DmInspectSettings *settings)
{
  memset (settings, 0, sizeof *settings);
  settings->batch = 8;
}

typedef struct
{
  guint index;
  int width, height;
  GError *error; /* owned; NULL when the image is in the batch */
} Slot;

static gboolean
cancelled (const gint *cancel, GError **error)
{
  if (cancel == NULL || !g_atomic_int_get (cancel))
    return FALSE;
  g_set_error (error, DM_ERROR, DM_ERROR_CANCELLED, "inspection cancelled");
  return TRUE;
}

gboolean
dm_inspect_run (const DmInspectSettings *settings,
                const char *const *files,
                guint n,
                DmInspectFunc func,
                gpointer user_data,
                const gint *cancel,
                DmModelInfo **info_out,
                GError **error)
{
  g_autoptr (DmDinomalyModel) model = NULL;
  g_autoptr (DmInspector) inspector = NULL;
  g_autofree float *input = NULL, *maps = NULL, *scores = NULL;
  g_autofree Slot *slots = NULL;
  int batch = CLAMP (settings->batch, 1, 256);
  int resize, crop;
  gsize per_image;
  guint next = 0;

  g_return_val_if_fail (settings->model_path != NULL, FALSE);
  if (cancelled (cancel, error))
    return FALSE;
  model = dm_dinomaly_model_load (settings->model_path, settings->backbone_path, info_out, error);
  if (model == NULL)
    return FALSE;
  if (n == 0)
    return TRUE;
  batch = (int)MIN ((guint)batch, n);
  resize = model->resize;
  crop = model->crop;
  inspector
    = dm_inspector_new_for_model (g_steal_pointer (&model), batch, settings->n_threads, error);
  if (inspector == NULL)
    return FALSE;
  per_image = dm_inspector_input_size (inspector);
  input = g_try_malloc ((gsize)batch * per_image * sizeof (float));
  maps = g_try_malloc ((gsize)batch * MAP_PIXELS * sizeof (float));
  scores = g_new (float, batch);
  /* a batch of B decoded images may carry failed ones between them */
  slots = g_new0 (Slot, n);
  if (input == NULL || maps == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY, "out of memory for batches of %d images",
                   batch);
      return FALSE;
    }

  while (next < n)
    {
      guint first = next;
      int B = 0, b = 0;

      /* decode until the batch is full (failed files ride along) */
      while (next < n && B < batch)
        {
          Slot *s = &slots[next];

          if (cancelled (cancel, error))
            goto cancelled;
          s->index = next++;
          if (dm_inspector_prepare_file (inspector, files[s->index], settings->max_pixels,
                                         input + (gsize)B * per_image, &s->width, &s->height,
                                         &s->error))
            B++;
        }
      if (B > 0 && !dm_inspector_score (inspector, input, B, maps, scores, error))
        goto failed;
      for (guint i = first; i < next; i++)
        {
          Slot *s = &slots[i];
          DmInspectItem item = { 0 };

          item.index = i;
          item.n_files = n;
          item.path = files[i];
          item.score = NAN;
          item.resize = resize;
          item.crop = crop;
          if (s->error == NULL)
            {
              s->error = dm_inspector_check_score (files[i], scores[b]);
              if (s->error != NULL)
                b++;
            }
          if (s->error != NULL)
            item.error = s->error;
          else
            {
              item.score = scores[b];
              item.map = maps + (gsize)b * MAP_PIXELS;
              item.width = s->width;
              item.height = s->height;
              b++;
            }
          if (func != NULL)
            func (&item, user_data);
          g_clear_error (&s->error);
        }
    }
  return TRUE;

cancelled:
failed:
  for (guint i = 0; i < n; i++)
    g_clear_error (&slots[i].error);
  return FALSE;
}

/* ---- export ------------------------------------------------------------ */

gboolean
dm_inspect_write_csv (const char *csv_path,
                      const char *class_name,
                      const DmDecider *decider,
                      const DmInspectRecord *records,
                      guint n,
                      GError **error)
{
  g_autoptr (GString) csv
    = g_string_new ("class,path,score,decision,threshold," DM_VERDICT_CSV_COLUMNS "\n");
  const DmThresholds *thresholds = dm_decider_get_thresholds (decider);
  gboolean band = isfinite (thresholds->uncertain_low) && isfinite (thresholds->uncertain_high);
  gboolean decides = dm_decider_decides (decider);
  double fail_at = band ? thresholds->uncertain_high : thresholds->image;
  char threshold[G_ASCII_DTOSTR_BUF_SIZE] = "";

  if (isfinite (fail_at))
    g_ascii_dtostr (threshold, sizeof threshold, fail_at);
  for (guint i = 0; i < n; i++)
    {
      const DmInspectRecord *r = &records[i];
      char score[G_ASCII_DTOSTR_BUF_SIZE];
      DmVerdict made;
      const DmVerdict *v = r->verdict;

      if (v == NULL)
        {
          dm_decider_run (decider, r->map, r->score, r->width, r->height, &made, NULL);
          v = &made;
        }
      dm_csv_append_field (csv, class_name);
      g_string_append_c (csv, ',');
      dm_csv_append_field (csv, r->path);
      g_string_append_printf (csv, ",%s,%s,%s,",
                              g_ascii_formatd (score, sizeof score, "%.9g", v->score),
                              decides ? dm_decision_name (v->decision) : "", threshold);
      dm_verdict_append_csv (csv, v);
      g_string_append_c (csv, '\n');
    }
  return dm_file_set_contents_atomic (csv_path, csv->str, csv->len, error);
}

void
dm_inspect_overlay_style (DmOverlayStyle *style,
                          double pixel_threshold,
                          double map_low,
                          double map_high)
{
  dm_overlay_style_init (style, pixel_threshold);
  if (isfinite (map_low) && isfinite (map_high) && map_high > map_low)
    {
      style->low = (float)map_low;
      style->high = (float)map_high;
    }
}

gboolean
dm_inspect_write_overlays (const char *folder,
                           const DmInspectRecord *records,
                           guint n,
                           int resize,
                           int crop,
                           const DmOverlayStyle *style,
                           const DmRules *rules,
                           guint64 max_pixels,
                           const gint *cancel,
                           guint *done,
                           GError **error)
{
  g_autofree const char **paths = g_new0 (const char *, n + 1);
  g_auto (GStrv) stems = NULL;

  if (done != NULL)
    *done = 0;
  if (g_mkdir_with_parents (folder, 0777) != 0)
    {
      int saved = errno;
      g_autofree char *display = g_filename_display_name (folder);

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot create the folder: %s", display,
                   g_strerror (saved));
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    paths[i] = records[i].path;
  stems = dm_inspect_unique_stems (paths, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strconcat (stems[i], "_overlay.png", NULL);
      g_autofree char *out = g_build_filename (folder, name, NULL);
      g_autoptr (DmImage) image = NULL;
      g_autoptr (DmImage) overlay = NULL;
      DmCropGeometry geom;

      if (cancelled (cancel, error))
        return FALSE;
      image = dm_image_load (records[i].path, max_pixels, error);
      if (image == NULL)
        return FALSE;
      g_autofree guint8 *inspected = NULL;

      dm_crop_geometry_init (&geom, image->width, image->height, resize, crop);
      if (rules != NULL && !dm_roi_is_empty (rules->roi))
        {
          inspected = g_malloc ((gsize)image->width * image->height);
          dm_roi_rasterize (rules->roi, rules->ref_width, rules->ref_height, image->width,
                            image->height, inspected);
        }
      overlay = dm_overlay_compose_masked (image, records[i].map, DM_INSPECT_MAP_SIZE, &geom, style,
                                           inspected, error);
      if (overlay == NULL || !dm_image_save_png (overlay, out, error))
        return FALSE;
      if (done != NULL)
        (*done)++;
    }
  return TRUE;
}
