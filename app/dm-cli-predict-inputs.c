/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly predict`'s inputs: files and folders in, the images to score
 * out (by content, sorted by name), with unique output stems. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "dm-cli-predict-private.h"
#include "dm-cli.h"
#include "dm-error.h"
#include "dm-image.h"

void
dm_predict_input_free (gpointer data)
{
  Input *in = data;

  g_free (in->path);
  g_free (in->display);
  g_free (in->stem);
  g_free (in);
}

/* What the first bytes of a file announce; FALSE with error when it cannot
 * be read at all. */
static gboolean
sniff_file (const char *path, DmImageFormat *format, GError **error)
{
  guint8 head[16];
  ssize_t n;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);

  if (fd < 0)
    {
      int saved = errno;
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot open: %s", display,
                   g_strerror (saved));
      return FALSE;
    }
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

/* Stems unique in the run, compared without case (output folders may be
 * on case-insensitive file systems): the first keeps its name, the next
 * get -2, -3, ... in input order. */
void
dm_predict_assign_stems (GPtrArray *inputs)
{
  g_autoptr (GHashTable) taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < inputs->len; i++)
    {
      Input *in = g_ptr_array_index (inputs, i);
      g_autofree char *stem = stem_of (in->path);
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
      in->stem = candidate;
    }
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

static void
add_input (GPtrArray *inputs, const char *path)
{
  Input *in = g_new0 (Input, 1);

  in->path = g_strdup (path);
  in->display = g_filename_display_name (path);
  g_ptr_array_add (inputs, in);
}

static void
report_skipped (const char *path)
{
  g_autofree char *display = g_filename_display_name (path);

  g_printerr ("dinomaly predict: %s: not a PNG, TIFF or JPEG image, skipped\n", display);
}

gboolean
dm_predict_collect_inputs (char **args, GPtrArray *inputs, guint *n_unreadable)
{
  gboolean ok = TRUE;

  for (char **arg = args; *arg != NULL; arg++)
    {
      g_autoptr (GError) error = NULL;
      DmImageFormat format;

      if (g_file_test (*arg, G_FILE_TEST_IS_DIR))
        {
          g_autoptr (GDir) dir = g_dir_open (*arg, 0, &error);
          g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
          g_autoptr (GPtrArray) skipped = g_ptr_array_new ();
          guint n_images = 0;
          const char *name;

          if (dir == NULL)
            {
              g_autofree char *display = g_filename_display_name (*arg);

              g_printerr ("dinomaly predict: %s: cannot read the folder: %s\n", display,
                          error->message);
              (*n_unreadable)++;
              continue;
            }
          while ((name = g_dir_read_name (dir)) != NULL)
            if (name[0] != '.')
              g_ptr_array_add (names, g_build_filename (*arg, name, NULL));
          g_ptr_array_sort (names, compare_names);
          for (guint i = 0; i < names->len; i++)
            {
              const char *path = g_ptr_array_index (names, i);
              g_autoptr (GError) file_error = NULL;

              if (g_file_test (path, G_FILE_TEST_IS_DIR))
                continue;
              if (!sniff_file (path, &format, &file_error))
                {
                  dm_cli_print_error ("predict", file_error);
                  (*n_unreadable)++;
                }
              else if (format == DM_IMAGE_FORMAT_UNKNOWN)
                g_ptr_array_add (skipped, (gpointer)path);
              else
                {
                  add_input (inputs, path);
                  n_images++;
                }
            }
          if (n_images == 0)
            {
              /* one line for the folder, not one per file in it */
              g_autofree char *display = g_filename_display_name (*arg);

              g_printerr ("dinomaly predict: %s: no PNG, TIFF or JPEG image in this folder",
                          display);
              if (skipped->len > 0)
                g_printerr (" (%u other file%s)", skipped->len, skipped->len > 1 ? "s" : "");
              g_printerr ("\n");
              ok = FALSE;
            }
          else
            for (guint i = 0; i < skipped->len; i++)
              report_skipped (g_ptr_array_index (skipped, i));
        }
      else if (!sniff_file (*arg, &format, &error))
        {
          dm_cli_print_error ("predict", error);
          (*n_unreadable)++;
        }
      else if (format == DM_IMAGE_FORMAT_UNKNOWN)
        report_skipped (*arg);
      else
        add_input (inputs, *arg);
    }
  return ok;
}
