/* SPDX-License-Identifier: GPL-3.0-or-later */
/* VisA: its split CSV (object,split,label,image,mask), one line per image. */
#include "dm-dataset-private.h"

#include <string.h>

#include "dm-error.h"
#include "dm-file-util.h"

/* One CSV line into fields: commas separate, double quotes may enclose a
 * field ("" inside is a quote), as RFC 4180. */
static GPtrArray *
split_csv_line (const char *line)
{
  GPtrArray *fields = g_ptr_array_new_with_free_func (g_free);
  GString *field = g_string_new (NULL);
  gboolean quoted = FALSE;

  for (const char *p = line;; p++)
    {
      if (quoted)
        {
          if (*p == '\0')
            break;
          if (*p == '"' && p[1] == '"')
            g_string_append_c (field, *p++);
          else if (*p == '"')
            quoted = FALSE;
          else
            g_string_append_c (field, *p);
          continue;
        }
      if (*p == '"')
        quoted = TRUE;
      else if (*p == ',' || *p == '\0')
        {
          g_ptr_array_add (fields, g_strdup (g_strstrip (field->str)));
          g_string_truncate (field, 0);
          if (*p == '\0')
            break;
        }
      else
        g_string_append_c (field, *p);
    }
  g_string_free (field, TRUE);
  return fields;
}

static const char *const header[] = { "object", "split", "label", "image", "mask" };

static gboolean
is_header (GPtrArray *fields)
{
  if (fields->len != G_N_ELEMENTS (header))
    return FALSE;
  for (guint i = 0; i < fields->len; i++)
    if (g_ascii_strcasecmp (fields->pdata[i], header[i]) != 0)
      return FALSE;
  return TRUE;
}

/* The folder that the CSV's paths are relative to: the CSV's own, or the
 * one above when only that resolves the first image (split_csv/). */
static char *
find_base (const char *csv_dir, char **lines, guint first)
{
  for (guint i = first; lines[i] != NULL; i++)
    {
      g_autoptr (GPtrArray) fields = split_csv_line (lines[i]);
      g_autofree char *here = NULL, *parent = NULL, *above = NULL;

      if (fields->len < 4 || ((char *)fields->pdata[3])[0] == '\0')
        continue;
      here = g_build_filename (csv_dir, fields->pdata[3], NULL);
      if (g_file_test (here, G_FILE_TEST_EXISTS))
        break;
      parent = g_path_get_dirname (csv_dir);
      above = g_build_filename (parent, fields->pdata[3], NULL);
      if (g_file_test (above, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&parent);
      break;
    }
  return g_strdup (csv_dir);
}

static char *
resolve (const char *base, const char *relative)
{
  if (g_path_is_absolute (relative))
    return g_strdup (relative);
  return g_build_filename (base, relative, NULL);
}

gboolean
dm_dataset_add_visa (DmDataset *ds, const char *csv_path, DmDatasetChecks checks, GError **error)
{
  return dm_dataset_add_visa_object (ds, csv_path, NULL, NULL, checks, error);
}

gboolean
dm_dataset_add_visa_object (DmDataset *ds,
                            const char *csv_path,
                            const char *only_object,
                            const char *name,
                            DmDatasetChecks checks,
                            GError **error)
{
  g_autofree char *display = g_filename_display_name (csv_path);
  g_autofree char *text = NULL;
  g_autofree char *csv_dir = g_path_get_dirname (csv_path);
  g_autofree char *base = NULL;
  g_autoptr (GPtrArray) header_fields = NULL;
  g_autoptr (GArray) touched = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  g_auto (GStrv) lines = NULL;
  gsize length;
  guint first = 0;

  /* VisA's split CSV has one line per image: 100 MB is far beyond any */
  if (!dm_file_read_regular (csv_path, 100u << 20, &text, &length, error))
    return FALSE;
  if (strlen (text) != length || !g_utf8_validate (text, (gssize)length, NULL))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT, "%s: not a text file in UTF-8", display);
      return FALSE;
    }
  lines = g_strsplit (g_str_has_prefix (text, "\xef\xbb\xbf") ? text + 3 : text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      gsize n = strlen (lines[i]);

      if (n > 0 && lines[i][n - 1] == '\r')
        lines[i][n - 1] = '\0';
    }
  while (lines[first] != NULL && g_strstrip (lines[first])[0] == '\0')
    first++;
  if (lines[first] != NULL)
    header_fields = split_csv_line (lines[first]);
  if (header_fields == NULL || !is_header (header_fields))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_CORRUPT,
                   "%s: not a VisA split CSV: the first line must be "
                   "'object,split,label,image,mask'",
                   display);
      return FALSE;
    }
  first++;
  base = find_base (csv_dir, lines, first);

  for (guint i = first; lines[i] != NULL; i++)
    {
      g_autoptr (GPtrArray) f = NULL;
      g_autofree char *where = g_strdup_printf ("%s:%u", display, i + 1);
      g_autofree char *image = NULL, *mask = NULL, *class_dir = NULL;
      const char *object, *split, *label, *mask_field;
      gboolean is_train, is_anomaly;
      guint c;

      if (g_strstrip (lines[i])[0] == '\0')
        continue;
      f = split_csv_line (lines[i]);
      /* one object of a CSV that lists several: the other lines belong to
       * other classes (and report their own problems) */
      if (only_object != NULL && strcmp (f->pdata[0], only_object) != 0)
        continue;
      if (f->len != 5 && f->len != 4)
        {
          dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_BAD_ENTRY, where,
                                  "%u fields instead of 5: line skipped", f->len);
          continue;
        }
      object = f->pdata[0];
      split = f->pdata[1];
      label = f->pdata[2];
      mask_field = f->len == 5 ? f->pdata[4] : "";
      is_train = strcmp (split, "train") == 0;
      is_anomaly = strcmp (label, "anomaly") == 0;
      if (object[0] == '\0' || ((char *)f->pdata[3])[0] == '\0'
          || (!is_train && strcmp (split, "test") != 0)
          || (!is_anomaly && strcmp (label, "normal") != 0))
        {
          dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_BAD_ENTRY, where,
                                  "want an object, split train or test, label normal or "
                                  "anomaly and an image: line skipped");
          continue;
        }
      if (is_train && is_anomaly)
        {
          dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_BAD_ENTRY, where,
                                  "an anomalous image in the training split: line skipped");
          continue;
        }
      image = resolve (base, f->pdata[3]);
      class_dir = g_build_filename (base, object, NULL);
      c = dm_dataset_get_class (ds, name != NULL ? name : object, class_dir);
      dm_dataset_set_class_source (ds, c, DM_DATASET_LAYOUT_VISA, csv_path);
      if (g_hash_table_add (seen, GUINT_TO_POINTER (c + 1)))
        g_array_append_val (touched, c);
      if (!dm_dataset_is_image_name (image))
        {
          dm_dataset_add_problem (
            ds, DM_DATASET_PROBLEM_NOT_AN_IMAGE, image,
            "not a PNG, TIFF, JPEG or BMP file (by its name; line %u): skipped", i + 1);
          continue;
        }
      if (!g_file_test (image, G_FILE_TEST_IS_REGULAR))
        {
          dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_MISSING_FILE, image,
                                  "listed on line %u of %s but not found: skipped", i + 1, display);
          continue;
        }
      if (is_anomaly && mask_field[0] == '\0')
        dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_MISSING_MASK, image,
                                "no mask on line %u of %s: the image is kept without a mask", i + 1,
                                display);
      else if (is_anomaly)
        {
          mask = resolve (base, mask_field);
          if (!g_file_test (mask, G_FILE_TEST_IS_REGULAR))
            {
              dm_dataset_add_problem (ds, DM_DATASET_PROBLEM_MISSING_FILE, mask,
                                      "mask listed on line %u of %s not found: the image is "
                                      "kept without a mask",
                                      i + 1, display);
              g_clear_pointer (&mask, g_free);
            }
        }
      dm_dataset_commit_sample (ds, c, is_train ? DM_SPLIT_TRAIN : DM_SPLIT_TEST,
                                is_anomaly ? DM_LABEL_DEFECT : DM_LABEL_GOOD, "anomaly", image,
                                mask, checks);
    }

  /* each class once, in order of first appearance */
  for (guint i = 0; i < touched->len; i++)
    dm_dataset_check_class (ds, g_array_index (touched, guint, i), "the train split of the CSV");
  dm_dataset_finish (ds);
  return TRUE;
}
