/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Triton model repositories (dm-triton.h). */
#include "config.h"

#include "dm-triton.h"

#include <errno.h>
#include <string.h>

#include "dm-anomaly-map.h"
#include "dm-error.h"
#include "dm-file-util.h"
#include "dm-onnx-export.h"

static gboolean
name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-' || c == '.';
}

char *
dm_triton_name_from_path (const char *model_path)
{
  g_autofree char *base = g_path_get_basename (model_path);
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  for (char *p = base; *p != '\0'; p++)
    if (!name_char (*p))
      *p = '_';
  return g_steal_pointer (&base);
}

gboolean
dm_triton_check_name (const char *name, GError **error)
{
  gboolean ok = name[0] != '\0' && strcmp (name, ".") != 0 && strcmp (name, "..") != 0;

  for (const char *p = name; ok && *p != '\0'; p++)
    ok = name_char (*p);
  if (!ok)
    g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                 "\"%s\" cannot name a Triton model: use letters, digits, '_', '-' and '.'", name);
  return ok;
}

/* A string in protobuf text format: quoted, with \" \\ and every byte
 * outside printable ASCII as an octal escape (what protobuf's own
 * CEscape writes; UTF-8 reads back byte for byte). */
static void
append_quoted (GString *out, const char *text)
{
  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *)text; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (out, "\\%c", *p);
      else if (*p < 0x20 || *p >= 0x7f)
        g_string_append_printf (out, "\\%03o", *p);
      else
        g_string_append_c (out, (char)*p);
    }
  g_string_append_c (out, '"');
}

static void
append_tensor (GString *out, const char *name, const char *dims, const char *reshape, gboolean last)
{
  g_string_append (out, "  {\n    name: ");
  append_quoted (out, name);
  g_string_append_printf (out, "\n    data_type: TYPE_FP32\n    dims: [ %s ]\n", dims);
  if (reshape != NULL)
    g_string_append_printf (out, "    reshape: { shape: [ %s%s] }\n", reshape, *reshape ? " " : "");
  g_string_append (out, last ? "  }\n" : "  },\n");
}

static void
append_parameter (GString *out, const char *key, const char *value)
{
  g_string_append (out, "parameters {\n  key: ");
  append_quoted (out, key);
  g_string_append (out, "\n  value: { string_value: ");
  append_quoted (out, value);
  g_string_append (out, " }\n}\n");
}

char *
dm_triton_config_text (const DmDinomalyModel *model,
                       const DmModelInfo *info,
                       const char *name,
                       int max_batch)
{
  GString *out = g_string_new (NULL);
  g_autofree char *input_dims = g_strdup_printf ("3, %d, %d", model->crop, model->crop);
  g_autofree char *map_dims = g_strdup_printf ("%d, %d", DM_ANOMALY_MAP_SIZE, DM_ANOMALY_MAP_SIZE);
  g_autofree char *preprocessing = dm_onnx_preprocessing_text (info);
  const char *sections[] = { "classes", "thresholds", "input" };

  g_string_append_printf (
    out,
    "# A Dinomaly model for Triton's ONNX Runtime backend, written by Dinomaly Studio %s\n"
    "# (dinomaly export --triton). The client preprocesses each image as the parameter\n"
    "# dinomaly.preprocessing says and sends it as \"%s\"; \"%s\" and \"%s\" come back.\n",
    PACKAGE_VERSION, DM_ONNX_INPUT, DM_ONNX_OUTPUT_MAP, DM_ONNX_OUTPUT_SCORE);
  g_string_append (out, "name: ");
  append_quoted (out, name);
  g_string_append_printf (out, "\nbackend: \"onnxruntime\"\nmax_batch_size: %d\n", max_batch);
  g_string_append (out, "input [\n");
  append_tensor (out, DM_ONNX_INPUT, input_dims, NULL, TRUE);
  g_string_append (out, "]\noutput [\n");
  append_tensor (out, DM_ONNX_OUTPUT_MAP, map_dims, NULL, FALSE);
  /* the model's score is (N): one value per image, batch only */
  append_tensor (out, DM_ONNX_OUTPUT_SCORE, "1", "", TRUE);
  g_string_append_printf (out, "]\ndynamic_batching {\n  max_queue_delay_microseconds: %d\n}\n",
                          DM_TRITON_QUEUE_DELAY_US);
  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    {
      g_autofree char *key = g_strconcat ("dinomaly.", sections[i], NULL);
      g_autofree char *value = dm_model_info_section_to_json (info, sections[i]);

      append_parameter (out, key, value);
    }
  append_parameter (out, "dinomaly.preprocessing", preprocessing);
  return g_string_free (out, FALSE);
}

static gboolean
make_folder (const char *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot create the folder: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
dm_triton_write_model (const DmDinomalyModel *model,
                       const DmModelInfo *info,
                       const char *repository,
                       const char *name,
                       int version,
                       int max_batch,
                       char **onnx_path_out,
                       guint64 *size_out,
                       GError **error)
{
  g_autofree char *version_name = g_strdup_printf ("%d", version);
  g_autofree char *model_dir = g_build_filename (repository, name, NULL);
  g_autofree char *version_dir = g_build_filename (model_dir, version_name, NULL);
  g_autofree char *onnx_path = g_build_filename (version_dir, "model.onnx", NULL);
  g_autofree char *config_path = g_build_filename (model_dir, "config.pbtxt", NULL);
  g_autofree char *config = NULL;

  if (!dm_triton_check_name (name, error))
    return FALSE;
  if (version < 1 || max_batch < 1)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "Triton needs a model version >= 1 and a batch size >= 1 (got %d and %d)",
                   version, max_batch);
      return FALSE;
    }
  /* the model first: Triton loads a model folder once its config is there */
  if (!make_folder (version_dir, error)
      || !dm_onnx_export_write (model, info, onnx_path, size_out, error))
    return FALSE;
  config = dm_triton_config_text (model, info, name, max_batch);
  if (!dm_file_set_contents_atomic (config_path, config, strlen (config), error))
    return FALSE;
  if (onnx_path_out != NULL)
    *onnx_path_out = g_steal_pointer (&onnx_path);
  return TRUE;
}
