/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reads safetensors files; the format is described in dm-safetensors.h. */
#include "dm-safetensors.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dm-error.h"
#include "dm-file-util.h"

struct _DmSafetensors
{
  char *path;
  GMappedFile *mapped; /* one of mapped and bytes holds the file */
  GBytes *bytes;
  const guint8 *file;
  guint64 file_size;
  guint64 header_size;
  const guint8 *data; /* the data section */
  guint64 data_size;
  DmTensorInfo *tensors; /* n_tensors, sorted by begin offset */
  guint n_tensors;
  GHashTable *by_name;  /* name -> DmTensorInfo* (keys are the names in tensors) */
  GHashTable *metadata; /* key -> value, owned */
  char **metadata_keys; /* sorted; the strings are owned by metadata */
};

static gboolean G_GNUC_PRINTF (4, 5)
  fail (GError **error, const DmSafetensors *st, int code, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, DM_ERROR, code, "%s: %s", st->path, message);
  return FALSE;
}

/* A JSON integer >= 0 (json-glib gives integers as gint64, other numbers as
 * doubles: 1.5 or 1e30 are refused here). */
static gboolean
get_uint (JsonNode *node, guint64 *out)
{
  gint64 v;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (node);
  if (v < 0)
    return FALSE;
  *out = (guint64)v;
  return TRUE;
}

static int
compare_str_ptr (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

static gboolean
parse_metadata (DmSafetensors *st, JsonNode *node, GError **error)
{
  JsonObject *object;
  g_autoptr (GList) members = NULL;
  guint i = 0;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (error, st, DM_ERROR_CORRUPT, "__metadata__ is not a JSON object");
  object = json_node_get_object (node);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *value = json_object_get_member (object, l->data);

      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        return fail (error, st, DM_ERROR_CORRUPT, "__metadata__ entry '%s' is not a string",
                     (const char *)l->data);
      g_hash_table_replace (st->metadata, g_strdup (l->data),
                            g_strdup (json_node_get_string (value)));
    }
  st->metadata_keys = g_new0 (char *, g_hash_table_size (st->metadata) + 1);
  for (GList *l = members; l != NULL; l = l->next)
    st->metadata_keys[i++] = l->data;
  /* members point into the JSON tree: point at the hash table's copies. */
  for (i = 0; st->metadata_keys[i] != NULL; i++)
    {
      gpointer key = NULL;

      g_hash_table_lookup_extended (st->metadata, st->metadata_keys[i], &key, NULL);
      st->metadata_keys[i] = key;
    }
  qsort (st->metadata_keys, i, sizeof (char *), compare_str_ptr);
  return TRUE;
}

/* rank and shape -> n_elements, at most 2^40. */
static gboolean
check_shape (const DmSafetensors *st, DmTensorInfo *t, GError **error)
{
  guint64 n = 1;

  if (t->rank < 0 || t->rank > DM_SAFETENSORS_MAX_RANK)
    return fail (error, st, DM_ERROR_TOO_LARGE, "tensor '%s': rank %d is outside 0..%d", t->name,
                 t->rank, DM_SAFETENSORS_MAX_RANK);
  for (int i = 0; i < t->rank; i++)
    {
      if (t->shape[i] < 0)
        return fail (error, st, DM_ERROR_CORRUPT, "tensor '%s': dimension %d is negative", t->name,
                     i);
      if ((guint64)t->shape[i] > DM_SAFETENSORS_MAX_ELEMENTS)
        return fail (error, st, DM_ERROR_TOO_LARGE,
                     "tensor '%s': dimension %d is %" G_GINT64_FORMAT ", above the limit of 2^40",
                     t->name, i, t->shape[i]);
      /* Both factors are <= 2^40, so the product cannot wrap before the test. */
      if (!g_uint64_checked_mul (&n, n, (guint64)t->shape[i]) || n > DM_SAFETENSORS_MAX_ELEMENTS)
        return fail (error, st, DM_ERROR_TOO_LARGE,
                     "tensor '%s': shape has more than 2^40 elements", t->name);
    }
  t->n_elements = n;
  return TRUE;
}

/* [begin, end) lies in the data section and holds exactly the shape. */
static gboolean
check_extent (const DmSafetensors *st, const DmTensorInfo *t, GError **error)
{
  guint64 bytes;

  if (t->begin > t->end)
    return fail (error, st, DM_ERROR_CORRUPT,
                 "tensor '%s': data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                 "] end before they begin",
                 t->name, t->begin, t->end);
  if (t->end > st->data_size)
    return fail (error, st, DM_ERROR_CORRUPT,
                 "tensor '%s': data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                 "] run past the data section (%" G_GUINT64_FORMAT " bytes): truncated file?",
                 t->name, t->begin, t->end, st->data_size);
  bytes = t->n_elements * dm_dtype_size (t->dtype); /* n <= 2^40, size <= 8: no overflow */
  if (t->end - t->begin != bytes)
    {
      g_autofree char *s = dm_tensor_info_shape_string (t);
      return fail (error, st, DM_ERROR_CORRUPT,
                   "tensor '%s': %" G_GUINT64_FORMAT
                   " bytes of data, but shape %s of %s needs %" G_GUINT64_FORMAT,
                   t->name, t->end - t->begin, s, dm_dtype_name (t->dtype), bytes);
    }
  return TRUE;
}

static gboolean
parse_tensor (DmSafetensors *st, const char *name, JsonNode *node, DmTensorInfo *t, GError **error)
{
  JsonObject *object;
  JsonNode *dtype_node, *shape_node, *offsets_node;
  JsonArray *shape, *offsets;
  guint rank;

  if (name[0] == '\0')
    return fail (error, st, DM_ERROR_CORRUPT, "a tensor has an empty name");
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (error, st, DM_ERROR_CORRUPT, "tensor '%s': header entry is not a JSON object",
                 name);
  object = json_node_get_object (node);
  t->name = name;

  dtype_node = json_object_get_member (object, "dtype");
  if (dtype_node == NULL)
    return fail (error, st, DM_ERROR_CORRUPT, "tensor '%s': no \"dtype\"", name);
  if (!JSON_NODE_HOLDS_VALUE (dtype_node) || json_node_get_value_type (dtype_node) != G_TYPE_STRING)
    return fail (error, st, DM_ERROR_CORRUPT, "tensor '%s': \"dtype\" is not a string", name);
  if (!dm_dtype_from_name (json_node_get_string (dtype_node), &t->dtype))
    return fail (error, st, DM_ERROR_UNSUPPORTED, "tensor '%s': unknown dtype \"%s\"", name,
                 json_node_get_string (dtype_node));

  shape_node = json_object_get_member (object, "shape");
  if (shape_node == NULL)
    return fail (error, st, DM_ERROR_CORRUPT, "tensor '%s': no \"shape\"", name);
  if (!JSON_NODE_HOLDS_ARRAY (shape_node))
    return fail (error, st, DM_ERROR_CORRUPT, "tensor '%s': \"shape\" is not an array", name);
  shape = json_node_get_array (shape_node);
  rank = json_array_get_length (shape);
  if (rank > DM_SAFETENSORS_MAX_RANK)
    return fail (error, st, DM_ERROR_TOO_LARGE, "tensor '%s': rank %u is above the limit of %d",
                 name, rank, DM_SAFETENSORS_MAX_RANK);
  t->rank = (int)rank;
  for (guint i = 0; i < rank; i++)
    {
      guint64 d;

      if (!get_uint (json_array_get_element (shape, i), &d))
        return fail (error, st, DM_ERROR_CORRUPT,
                     "tensor '%s': shape entry %u is not a non-negative integer", name, i);
      /* clamped: check_shape refuses anything above 2^40 */
      t->shape[i] = (gint64)MIN (d, (guint64)G_MAXINT64);
    }
  if (!check_shape (st, t, error))
    return FALSE;

  offsets_node = json_object_get_member (object, "data_offsets");
  if (offsets_node == NULL)
    return fail (error, st, DM_ERROR_CORRUPT, "tensor '%s': no \"data_offsets\"", name);
  if (!JSON_NODE_HOLDS_ARRAY (offsets_node)
      || json_array_get_length (offsets = json_node_get_array (offsets_node)) != 2)
    return fail (error, st, DM_ERROR_CORRUPT,
                 "tensor '%s': \"data_offsets\" is not an array of two integers", name);
  if (!get_uint (json_array_get_element (offsets, 0), &t->begin)
      || !get_uint (json_array_get_element (offsets, 1), &t->end))
    return fail (error, st, DM_ERROR_CORRUPT,
                 "tensor '%s': \"data_offsets\" are not non-negative integers", name);
  return check_extent (st, t, error);
}

static int
compare_offsets (const void *pa, const void *pb)
{
  const DmTensorInfo *a = pa, *b = pb;

  if (a->begin != b->begin)
    return a->begin < b->begin ? -1 : 1;
  if (a->end != b->end)
    return a->end < b->end ? -1 : 1;
  return strcmp (a->name, b->name);
}

/* Sorts the checked tensors by offset, indexes their names and refuses
 * duplicates and overlaps. */
static gboolean
index_tensors (DmSafetensors *st, GError **error)
{
  qsort (st->tensors, st->n_tensors, sizeof (DmTensorInfo), compare_offsets);
  for (guint i = 0; i < st->n_tensors; i++)
    {
      if (g_hash_table_contains (st->by_name, st->tensors[i].name))
        return fail (error, st, DM_ERROR_CORRUPT, "two tensors are named '%s'",
                     st->tensors[i].name);
      g_hash_table_insert (st->by_name, (gpointer)st->tensors[i].name, &st->tensors[i]);
    }

  /* Sorted by begin: a tensor overlaps another iff it starts before the
   * furthest end seen so far (empty tensors own no bytes). */
  for (guint j = 0, last = G_MAXUINT; j < st->n_tensors; j++)
    {
      const DmTensorInfo *t = &st->tensors[j];

      if (t->begin == t->end)
        continue;
      if (last != G_MAXUINT && t->begin < st->tensors[last].end)
        return fail (error, st, DM_ERROR_CORRUPT,
                     "tensors '%s' [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                     ") and '%s' [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT ") overlap",
                     st->tensors[last].name, st->tensors[last].begin, st->tensors[last].end,
                     t->name, t->begin, t->end);
      if (last == G_MAXUINT || t->end > st->tensors[last].end)
        last = j;
    }
  return TRUE;
}

static gboolean
parse (DmSafetensors *st, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) json_error = NULL;
  g_autoptr (GList) members = NULL;
  JsonObject *root;
  const char *header;
  guint64 n = 0;
  guint i = 0, tensor_count;

  if (st->file_size < 8)
    return fail (error, st, DM_ERROR_CORRUPT,
                 "not a safetensors file: %" G_GUINT64_FORMAT
                 " bytes, too short for the 8-byte header length",
                 st->file_size);
  for (int b = 7; b >= 0; b--)
    n = (n << 8) | st->file[b];
  if (n > DM_SAFETENSORS_MAX_HEADER)
    return fail (error, st, DM_ERROR_CORRUPT,
                 "header length %" G_GUINT64_FORMAT
                 " bytes is above the 100 MB limit: not a safetensors file",
                 n);
  if (n > st->file_size - 8)
    return fail (error, st, DM_ERROR_CORRUPT,
                 "header length %" G_GUINT64_FORMAT
                 " bytes runs past the end of the file (%" G_GUINT64_FORMAT
                 " bytes): truncated, or not a safetensors file",
                 n, st->file_size);
  if (n < 2)
    return fail (error, st, DM_ERROR_CORRUPT, "header of %" G_GUINT64_FORMAT " bytes is empty", n);
  st->header_size = n;
  st->data = st->file + 8 + n;
  st->data_size = st->file_size - 8 - n;
  header = (const char *)st->file + 8;
  if (!g_utf8_validate (header, (gssize)n, NULL))
    return fail (error, st, DM_ERROR_CORRUPT, "header is not UTF-8 text: not a safetensors file");
  if (!json_parser_load_from_data (parser, header, (gssize)n, &json_error))
    return fail (error, st, DM_ERROR_CORRUPT, "header is not valid JSON: %s", json_error->message);
  if (json_parser_get_root (parser) == NULL
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return fail (error, st, DM_ERROR_CORRUPT, "header is not a JSON object");
  root = json_node_get_object (json_parser_get_root (parser));

  members = json_object_get_members (root);
  tensor_count = g_list_length (members);
  st->tensors = g_new0 (DmTensorInfo, tensor_count);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (root, name);

      if (strcmp (name, "__metadata__") == 0)
        {
          if (!parse_metadata (st, node, error))
            return FALSE;
          continue;
        }
      /* The name must outlive the parser: intern it in the info. */
      st->tensors[i].name = g_strdup (name);
      st->n_tensors = i + 1;
      if (!parse_tensor (st, st->tensors[i].name, node, &st->tensors[i], error))
        return FALSE;
      i++;
    }
  if (st->metadata_keys == NULL)
    st->metadata_keys = g_new0 (char *, 1);

  return index_tensors (st, error);
}

/* An empty one named `name`; the constructors give it its bytes. */
static DmSafetensors *
safetensors_new (const char *name)
{
  DmSafetensors *st = g_new0 (DmSafetensors, 1);

  st->path = g_strdup (name);
  st->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  st->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return st;
}

static void
take_bytes (DmSafetensors *st, GBytes *bytes)
{
  gsize size = 0;

  st->bytes = g_bytes_ref (bytes);
  st->file = g_bytes_get_data (bytes, &size);
  st->file_size = size;
}

DmSafetensors *
dm_safetensors_open (const char *path, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  DmSafetensors *st = safetensors_new (path);
  int fd;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      fail (error, st, DM_ERROR_IO, "is a folder, not a weight file");
      dm_safetensors_free (st);
      return NULL;
    }
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      fail (error, st, DM_ERROR_IO, "no such file");
      dm_safetensors_free (st);
      return NULL;
    }
  fd = dm_open_regular (path, NULL, error);
  if (fd < 0)
    {
      dm_safetensors_free (st);
      return NULL;
    }
  st->mapped = g_mapped_file_new_from_fd (fd, FALSE, &local_error);
  close (fd);
  if (st->mapped == NULL)
    {
      /* GLib's message names the file too (in quotes). */
      g_set_error (error, DM_ERROR, DM_ERROR_IO, "%s: cannot read: %s", path, local_error->message);
      dm_safetensors_free (st);
      return NULL;
    }
  st->file = (const guint8 *)g_mapped_file_get_contents (st->mapped);
  st->file_size = g_mapped_file_get_length (st->mapped);
  if (!parse (st, error))
    {
      dm_safetensors_free (st);
      return NULL;
    }
  return st;
}

DmSafetensors *
dm_safetensors_new_from_bytes (GBytes *bytes, const char *name, GError **error)
{
  DmSafetensors *st = safetensors_new (name);

  take_bytes (st, bytes);
  if (!parse (st, error))
    {
      dm_safetensors_free (st);
      return NULL;
    }
  return st;
}

DmSafetensors *
dm_safetensors_new_from_tensors (
  GBytes *data, const char *name, const DmTensorInfo *tensors, guint n_tensors, GError **error)
{
  DmSafetensors *st = safetensors_new (name);

  take_bytes (st, data);
  st->data = st->file;
  st->data_size = st->file_size;
  st->metadata_keys = g_new0 (char *, 1);
  st->tensors = g_new0 (DmTensorInfo, MAX (n_tensors, 1));
  for (guint i = 0; i < n_tensors; i++)
    {
      DmTensorInfo *t = &st->tensors[i];

      *t = tensors[i];
      t->name = g_strdup (tensors[i].name);
      st->n_tensors = i + 1;
      if (t->name[0] == '\0' || (guint)t->dtype >= DM_N_DTYPES)
        fail (error, st, DM_ERROR_CORRUPT, "tensor %u has no name or an unknown dtype", i);
      else if (check_shape (st, t, error) && check_extent (st, t, error))
        continue;
      dm_safetensors_free (st);
      return NULL;
    }
  if (!index_tensors (st, error))
    {
      dm_safetensors_free (st);
      return NULL;
    }
  return st;
}

void
dm_safetensors_free (DmSafetensors *st)
{
  if (st == NULL)
    return;
  for (guint i = 0; i < st->n_tensors; i++)
    g_free ((char *)st->tensors[i].name);
  g_free (st->tensors);
  g_clear_pointer (&st->by_name, g_hash_table_unref);
  g_free (st->metadata_keys); /* the strings belong to metadata */
  g_clear_pointer (&st->metadata, g_hash_table_unref);
  g_clear_pointer (&st->mapped, g_mapped_file_unref);
  g_clear_pointer (&st->bytes, g_bytes_unref);
  g_free (st->path);
  g_free (st);
}

const char *
dm_safetensors_path (const DmSafetensors *st)
{
  return st->path;
}

guint64
dm_safetensors_header_size (const DmSafetensors *st)
{
  return st->header_size;
}

guint64
dm_safetensors_file_size (const DmSafetensors *st)
{
  return st->file_size;
}

guint
dm_safetensors_n_tensors (const DmSafetensors *st)
{
  return st->n_tensors;
}

const DmTensorInfo *
dm_safetensors_tensor (const DmSafetensors *st, guint i)
{
  g_return_val_if_fail (i < st->n_tensors, NULL);
  return &st->tensors[i];
}

const DmTensorInfo *
dm_safetensors_find (const DmSafetensors *st, const char *name)
{
  return g_hash_table_lookup (st->by_name, name);
}

const char *
dm_safetensors_metadata (const DmSafetensors *st, const char *key)
{
  return g_hash_table_lookup (st->metadata, key);
}

const char *const *
dm_safetensors_metadata_keys (const DmSafetensors *st)
{
  return (const char *const *)st->metadata_keys;
}

const guint8 *
dm_safetensors_tensor_bytes (const DmSafetensors *st, const DmTensorInfo *tensor)
{
  return st->data + tensor->begin;
}

gboolean
dm_safetensors_read_f32_range (const DmSafetensors *st,
                               const DmTensorInfo *tensor,
                               guint64 first,
                               gsize n,
                               float *out,
                               GError **error)
{
  if (!dm_dtype_is_float (tensor->dtype))
    return fail (error, st, DM_ERROR_UNSUPPORTED,
                 "tensor '%s' is %s; only F32, F16 and BF16 can be read as float32", tensor->name,
                 dm_dtype_name (tensor->dtype));
  if (first > tensor->n_elements || n > tensor->n_elements - first)
    return fail (error, st, DM_ERROR_MISMATCH,
                 "tensor '%s' has %" G_GUINT64_FORMAT " elements; elements %" G_GUINT64_FORMAT
                 "..+%" G_GSIZE_FORMAT " were asked for",
                 tensor->name, tensor->n_elements, first, n);
  dm_dtype_widen_f32 (tensor->dtype,
                      st->data + tensor->begin + first * dm_dtype_size (tensor->dtype), out, n);
  return TRUE;
}

gboolean
dm_safetensors_read_f32 (
  const DmSafetensors *st, const char *name, float *out, gsize n_expected, GError **error)
{
  const DmTensorInfo *t = dm_safetensors_find (st, name);

  if (t == NULL)
    return fail (error, st, DM_ERROR_MISMATCH, "no tensor '%s'", name);
  if (t->n_elements != n_expected)
    {
      g_autofree char *s = dm_tensor_info_shape_string (t);
      return fail (error, st, DM_ERROR_MISMATCH,
                   "tensor '%s' has shape %s (%" G_GUINT64_FORMAT
                   " elements), expected %" G_GSIZE_FORMAT " elements",
                   name, s, t->n_elements, n_expected);
    }
  return dm_safetensors_read_f32_range (st, t, 0, n_expected, out, error);
}

gboolean
dm_safetensors_read_weights (
  const DmSafetensors *st, const char *name, float *out, gsize n_expected, GError **error)
{
  if (!dm_safetensors_read_f32 (st, name, out, n_expected, error))
    return FALSE;
  for (gsize i = 0; i < n_expected; i++)
    if (!isfinite (out[i]))
      return fail (error, st, DM_ERROR_NUMERIC,
                   "tensor '%s' holds %s at element %" G_GSIZE_FORMAT
                   ": the weights are broken (a diverged training run, or a damaged file)",
                   name, isnan (out[i]) ? "NaN" : "an infinite value", i);
  return TRUE;
}

gboolean
dm_safetensors_check_finite (const DmSafetensors *st, GError **error)
{
  const gsize chunk = 1 << 20;
  g_autofree float *buf = g_new (float, chunk);

  for (guint i = 0; i < st->n_tensors; i++)
    {
      const DmTensorInfo *t = &st->tensors[i];

      if (t->dtype != DM_DTYPE_F32 && t->dtype != DM_DTYPE_F16 && t->dtype != DM_DTYPE_BF16)
        continue;
      for (guint64 first = 0; first < t->n_elements; first += chunk)
        {
          gsize n = (gsize)MIN ((guint64)chunk, t->n_elements - first);

          if (!dm_safetensors_read_f32_range (st, t, first, n, buf, error))
            return FALSE;
          for (gsize k = 0; k < n; k++)
            if (!isfinite (buf[k]))
              return fail (error, st, DM_ERROR_NUMERIC,
                           "tensor '%s' holds %s at element %" G_GUINT64_FORMAT
                           ": the weights are broken (a diverged training run, or a damaged file)",
                           t->name, isnan (buf[k]) ? "NaN" : "an infinite value", first + k);
        }
    }
  return TRUE;
}

char *
dm_tensor_info_shape_string (const DmTensorInfo *tensor)
{
  GString *s = g_string_new ("(");

  for (int i = 0; i < tensor->rank; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i > 0 ? ", " : "", tensor->shape[i]);
  g_string_append_c (s, ')');
  return g_string_free (s, FALSE);
}

gboolean
dm_tensor_info_has_shape (const DmTensorInfo *tensor, int rank, const gint64 *shape)
{
  if (tensor->rank != rank)
    return FALSE;
  for (int i = 0; i < rank; i++)
    if (tensor->shape[i] != shape[i])
      return FALSE;
  return TRUE;
}
