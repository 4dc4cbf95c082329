/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reads an evaluation folder (scores.csv, maps/, masks/) into flat buffers;
 * every failure names the file, the line where there is one, and why. */
#include "dm-metrics-dir.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-image.h"

void
dm_metrics_input_free (DmMetricsInput *input)
{
  if (input == NULL)
    return;
  g_strfreev (input->names);
  g_free (input->scores);
  g_free (input->labels);
  g_free (input->maps);
  g_free (input->masks);
  g_clear_pointer (&input->missing_defect_masks, g_ptr_array_unref);
  g_free (input);
}

/* A float32 in the C locale's notation, the whole field: strtof rounds the
 * decimal once to float (through double it could round twice). */
static gboolean
parse_score (const char *text, float *value)
{
  static locale_t c_locale;
  locale_t old;
  char *end = NULL;
  int saved;

  if (c_locale == (locale_t)0)
    c_locale = newlocale (LC_NUMERIC_MASK, "C", (locale_t)0);
  if (c_locale == (locale_t)0 || *text == '\0')
    return FALSE;
  old = uselocale (c_locale);
  errno = 0;
  *value = strtof (text, &end);
  saved = errno;
  uselocale (old);
  if (end == text || *end != '\0')
    return FALSE;
  /* ERANGE with a finite result is an underflow to a subnormal: fine */
  return !(saved == ERANGE && isinf (*value));
}

static gboolean
bad_line (GError **error, const char *path, gsize line, const char *what)
{
  g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: line %" G_GSIZE_FORMAT ": %s", path, line,
               what);
  return FALSE;
}

/* Fills input->names, scores, labels from DIR/scores.csv. */
static gboolean
read_scores (DmMetricsInput *input, const char *path, GError **error)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) scores = g_array_new (FALSE, FALSE, sizeof (float));
  g_autoptr (GByteArray) labels = g_byte_array_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  const char *body;
  gboolean header = FALSE;

  /* one line per image */
  if (!dm_file_read_regular (path, 100u << 20, &text, NULL, error))
    return FALSE;
  body = g_str_has_prefix (text, "\xEF\xBB\xBF") ? text + 3 : text; /* UTF-8 BOM */
  lines = g_strsplit (body, "\n", -1);
  for (gsize i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]); /* also drops the CR of CR LF */
      g_auto (GStrv) fields = NULL;
      float score;
      const char *name;

      if (*line == '\0')
        continue;
      if (!header)
        {
          if (strcmp (line, "name,label,score") != 0)
            return bad_line (error, path, i + 1, "the header must be `name,label,score`");
          header = TRUE;
          continue;
        }
      fields = g_strsplit (line, ",", -1);
      if (g_strv_length (fields) != 3)
        return bad_line (error, path, i + 1, "want 3 comma-separated fields: name,label,score");
      name = g_strstrip (fields[0]);
      if (*name == '\0' || strchr (name, '/') != NULL || strchr (name, '\\') != NULL
          || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
        return bad_line (error, path, i + 1, "the name is empty or holds a path separator");
      if (g_hash_table_contains (seen, name))
        return bad_line (error, path, i + 1, "the name appears twice");
      if (strcmp (g_strstrip (fields[1]), "0") != 0 && strcmp (fields[1], "1") != 0)
        return bad_line (error, path, i + 1, "the label must be 0 or 1");
      if (!parse_score (g_strstrip (fields[2]), &score))
        return bad_line (error, path, i + 1, "the score is not a number in float range");
      g_ptr_array_add (names, g_strdup (name));
      g_hash_table_add (seen, g_ptr_array_index (names, names->len - 1));
      g_array_append_val (scores, score);
      g_byte_array_append (labels, (const guint8[]){ fields[1][0] == '1' }, 1);
    }
  if (!header)
    return bad_line (error, path, 1, "the header must be `name,label,score`");
  if (names->len == 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: no image listed", path);
      return FALSE;
    }
  input->n_images = names->len;
  g_ptr_array_add (names, NULL);
  input->names = (char **)g_ptr_array_free (g_steal_pointer (&names), FALSE);
  input->scores = (float *)(void *)g_array_free (g_steal_pointer (&scores), FALSE);
  input->labels = g_byte_array_free (g_steal_pointer (&labels), FALSE);
  return TRUE;
}

static const char *
pixel_type_name (DmPixelType type)
{
  switch (type)
    {
    case DM_PIXEL_U8: return "8-bit";
    case DM_PIXEL_U16: return "16-bit";
    case DM_PIXEL_F32: return "32-bit float";
    default: return "unknown";
    }
}

/* Reads map i into input->maps, allocating it at the first map's size. */
static gboolean
read_map (DmMetricsInput *input, gsize i, const char *path, GError **error)
{
  g_autoptr (DmImage) image = dm_image_load (path, 0, error);
  float *dst;

  if (image == NULL)
    return FALSE;
  if (image->channels != 1 || image->type != DM_PIXEL_F32)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                   "%s: an anomaly map must be one channel of 32-bit float, this has %d "
                   "channel(s) of %s",
                   path, image->channels, pixel_type_name (image->type));
      return FALSE;
    }
  if (i == 0)
    {
      gsize n = input->n_images * (gsize)image->width * (gsize)image->height;

      input->width = image->width;
      input->height = image->height;
      input->maps = g_try_malloc_n (n, sizeof (float));
      input->masks = g_try_malloc0 (n);
      if (input->maps == NULL || input->masks == NULL)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY,
                       "%s: cannot allocate %" G_GSIZE_FORMAT " maps of %d x %d pixels", path,
                       input->n_images, image->width, image->height);
          return FALSE;
        }
    }
  else if (image->width != input->width || image->height != input->height)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "%s: the map is %d x %d pixels, the first map (%s) is %d x %d", path,
                   image->width, image->height, input->names[0], input->width, input->height);
      return FALSE;
    }
  dst = input->maps + i * (gsize)input->width * input->height; /* (H, W) */
  for (int y = 0; y < image->height; y++)
    memcpy (dst + (gsize)y * image->width, image->data + (gsize)y * image->stride,
            (gsize)image->width * sizeof (float));
  return TRUE;
}

/* Reads mask i into input->masks as 0/1; a missing file leaves it zero. */
static gboolean
read_mask (DmMetricsInput *input, gsize i, const char *path, const char *map_path, GError **error)
{
  g_autoptr (DmImage) image = NULL;
  guint8 *dst = input->masks + i * (gsize)input->width * input->height; /* (H, W) */
  int colours;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      input->n_missing_masks++;
      if (input->labels[i])
        {
          /* a defect image without its mask: its pixels count as normal,
           * which lowers the pixel metrics: callers say so */
          if (input->missing_defect_masks->len < 5)
            g_ptr_array_add (input->missing_defect_masks, g_path_get_basename (path));
          input->n_defect_without_mask++;
        }
      return TRUE;
    }
  image = dm_image_load (path, 0, error);
  if (image == NULL)
    return FALSE;
  if (image->width != input->width || image->height != input->height)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "%s: the mask is %d x %d pixels but its map (%s) is %d x %d", path, image->width,
                   image->height, map_path, input->width, input->height);
      return FALSE;
    }
  colours = image->channels == 4 ? 3 : image->channels == 2 ? 1 : image->channels;
  for (int y = 0; y < image->height; y++)
    for (int x = 0; x < image->width; x++)
      {
        guint8 defect = 0;
        for (int c = 0; c < colours; c++)
          if (dm_image_get (image, x, y, c) > 0)
            defect = 1;
        dst[(gsize)y * image->width + x] = defect;
      }
  return TRUE;
}

DmMetricsInput *
dm_metrics_input_load_dir (const char *dir, GError **error)
{
  g_autoptr (DmMetricsInput) input = g_new0 (DmMetricsInput, 1);
  g_autofree char *csv = NULL;

  g_return_val_if_fail (dir != NULL, NULL);
  input->missing_defect_masks = g_ptr_array_new_with_free_func (g_free);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: no such folder", dir);
      return NULL;
    }
  csv = g_build_filename (dir, "scores.csv", NULL);
  if (!read_scores (input, csv, error))
    return NULL;
  for (gsize i = 0; i < input->n_images; i++)
    {
      g_autofree char *map_name = g_strconcat (input->names[i], "_map.tiff", NULL);
      g_autofree char *mask_name = g_strconcat (input->names[i], "_mask.png", NULL);
      g_autofree char *map_path = g_build_filename (dir, "maps", map_name, NULL);
      g_autofree char *mask_path = g_build_filename (dir, "masks", mask_name, NULL);

      if (!g_file_test (map_path, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: no such file (the map of `%s` in %s)",
                       map_path, input->names[i], csv);
          return NULL;
        }
      if (!read_map (input, i, map_path, error)
          || !read_mask (input, i, mask_path, map_path, error))
        return NULL;
    }
  return g_steal_pointer (&input);
}
