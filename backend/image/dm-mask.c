/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Masks from one file or from a folder of them (their union). */
#include "dm-mask.h"

#include <string.h>

#include "dm-error.h"

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* The images of a mask folder (paths, sorted by name) with their sizes,
 * checked to agree; NULL with a GError when the folder cannot be read,
 * holds no image or its images differ in size. */
static GPtrArray *
list_masks (const char *dir, DmImageHeader *size, GError **error)
{
  g_autofree char *display = g_filename_display_name (dir);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) local = NULL;
  g_autoptr (GDir) d = g_dir_open (dir, 0, &local);
  g_autofree char *first = NULL;
  const char *entry;

  if (d == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot list the mask folder: %s", display,
                   local->message);
      return NULL;
    }
  while ((entry = g_dir_read_name (d)) != NULL)
    if (entry[0] != '.')
      g_ptr_array_add (names, g_strdup (entry));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
      g_autoptr (GError) header_error = NULL;
      DmImageHeader h;

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        continue;
      if (!dm_image_read_header (path, &h, &header_error))
        {
          if (g_error_matches (header_error, DM_ERROR, DM_ERROR_UNSUPPORTED))
            continue; /* not an image: a note, a thumbnail database */
          g_propagate_error (error, g_steal_pointer (&header_error));
          return NULL;
        }
      if (paths->len == 0)
        {
          *size = h;
          first = g_filename_display_name (path);
        }
      else if (h.width != size->width || h.height != size->height)
        {
          g_autofree char *other = g_filename_display_name (path);

          g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                       "%s: the masks of one image differ in size: %s is %d x %d, %s is %d x %d",
                       display, first, size->width, size->height, other, h.width, h.height);
          return NULL;
        }
      g_ptr_array_add (paths, g_steal_pointer (&path));
    }
  if (paths->len == 0)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: a mask folder without any image",
                   display);
      return NULL;
    }
  return g_steal_pointer (&paths);
}

gboolean
dm_mask_read_header (const char *path, DmImageHeader *out, GError **error)
{
  g_autoptr (GPtrArray) paths = NULL;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    return dm_image_read_header (path, out, error);
  memset (out, 0, sizeof *out);
  paths = list_masks (path, out, error);
  return paths != NULL;
}

/* How strongly a mask marks pixel (x, y) as defect, 0..255. */
static guint8
strength (const DmImage *m, const DmImageInfo *info, int x, int y)
{
  const guint8 *row = m->data + (gsize)y * m->stride;

  if (m->type == DM_PIXEL_U16)
    {
      const guint16 *p = (const guint16 *)(const void *)row + (gsize)x * m->channels;

      for (int c = 0; c < MIN (m->channels, 3); c++)
        if (p[c] > 0)
          return 255;
      return 0;
    }
  if (m->type == DM_PIXEL_F32)
    {
      const float *p = (const float *)(const void *)row + (gsize)x * m->channels;

      for (int c = 0; c < MIN (m->channels, 3); c++)
        if (p[c] > 0.0f)
          return 255;
      return 0;
    }
  if (m->channels == 1)
    {
      guint8 v = row[x];

      if (info->palette || info->bits_per_sample == 1)
        return v > 0 ? 255 : 0;
      return v;
    }
  return MAX (MAX (row[(gsize)x * m->channels], row[(gsize)x * m->channels + 1]),
              row[(gsize)x * m->channels + 2]);
}

DmImage *
dm_mask_load (
  const char *path, guint64 max_pixels, DmImageLoadFlags flags, DmImageInfo *info, GError **error)
{
  g_autoptr (GPtrArray) paths = NULL;
  g_autoptr (DmImage) out = NULL;
  DmImageHeader size;
  DmImageInfo first_info = { 0 };

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    return dm_image_load_full (path, max_pixels, flags, info, error);
  paths = list_masks (path, &size, error);
  if (paths == NULL)
    return NULL;
  if (paths->len == 1)
    return dm_image_load_full (paths->pdata[0], max_pixels, flags, info, error);

  for (guint i = 0; i < paths->len; i++)
    {
      DmImageInfo mask_info;
      g_autoptr (DmImage) mask
        = dm_image_load_full (paths->pdata[i], max_pixels, flags, &mask_info, error);

      if (mask == NULL)
        return NULL;
      if (out == NULL)
        {
          /* the header promised this size; the decoder has the last word */
          out = dm_image_new (mask->width, mask->height, 1, DM_PIXEL_U8, error);
          if (out == NULL)
            return NULL;
          first_info = mask_info;
        }
      if (mask->width != out->width || mask->height != out->height)
        {
          g_autofree char *display = g_filename_display_name (paths->pdata[i]);

          g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                       "%s: decodes to %d x %d, the other masks of its folder to %d x %d", display,
                       mask->width, mask->height, out->width, out->height);
          return NULL;
        }
      for (int y = 0; y < out->height; y++)
        {
          guint8 *o = out->data + (gsize)y * out->stride;

          for (int x = 0; x < out->width; x++)
            o[x] = MAX (o[x], strength (mask, &mask_info, x, y));
        }
    }
  if (info != NULL)
    {
      memset (info, 0, sizeof *info);
      info->format = first_info.format;
      info->bits_per_sample = 8;
      info->samples_per_pixel = 1;
    }
  return g_steal_pointer (&out);
}
