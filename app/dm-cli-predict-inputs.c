/* SPDX-License-Identifier: GPL-3.0-or-later */
/* `dinomaly predict`'s inputs: files and folders in, the images to score
 * out (by content, sorted by name), with unique output stems; the listing
 * itself is the backend's (dm-inspect.h), shared with the window. */
#include "config.h"

#include "dm-cli-predict-private.h"
#include "dm-cli.h"
#include "dm-error.h"
#include "dm-inspect.h"

void
dm_predict_input_free (gpointer data)
{
  Input *in = data;

  g_free (in->path);
  g_free (in->display);
  g_free (in->stem);
  g_free (in);
}

/* Stems unique in the run, compared without case (dm_inspect_unique_stems). */
void
dm_predict_assign_stems (GPtrArray *inputs)
{
  g_autofree const char **paths = g_new0 (const char *, inputs->len + 1);
  g_auto (GStrv) stems = NULL;

  for (guint i = 0; i < inputs->len; i++)
    paths[i] = ((Input *)g_ptr_array_index (inputs, i))->path;
  stems = dm_inspect_unique_stems (paths, inputs->len);
  for (guint i = 0; i < inputs->len; i++)
    ((Input *)g_ptr_array_index (inputs, i))->stem = g_steal_pointer (&stems[i]);
}

/* The backend lists the images and what it left out, in the order met:
 * the notes are printed here as they come. */
gboolean
dm_predict_collect_inputs (char **args, GPtrArray *inputs, guint *n_unreadable)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) notes = g_ptr_array_new_with_free_func ((GDestroyNotify)g_error_free);
  gboolean ok = dm_inspect_collect ((const char *const *)args, files, notes);

  for (guint i = 0; i < notes->len; i++)
    {
      const GError *note = g_ptr_array_index (notes, i);

      dm_cli_print_error ("predict", note);
      if (g_error_matches (note, DM_ERROR, DM_ERROR_IO))
        (*n_unreadable)++;
    }
  for (guint i = 0; i < files->len; i++)
    {
      Input *in = g_new0 (Input, 1);

      in->path = g_strdup (g_ptr_array_index (files, i));
      in->display = g_filename_display_name (in->path);
      g_ptr_array_add (inputs, in);
    }
  return ok;
}
