/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reads PyTorch files; the layouts are described in dm-pth.h. */
#include "dm-pth.h"

#include <string.h>

#include "dm-error.h"
#include "dm-pickle.h"
#include "dm-zip.h"

/* torch/serialization.py: MAGIC_NUMBER and PROTOCOL_VERSION, the first two
 * pickles of a legacy file. */
static const guint8 legacy_magic[10]
  = { 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19 };
#define LEGACY_PROTOCOL 1001
#define MAX_DEPTH 3 /* levels of a checkpoint searched for the state dict */

typedef struct
{
  const char *name;
  const guint8 *file;
  guint64 size;
  DmPickle *pickle;
  /* zip */
  DmZip *zip;
  char *folder;
  GHashTable *checked; /* storage keys whose crc has been checked */
  /* legacy */
  GHashTable *legacy_at; /* storage key -> guint64* file offset of its bytes */
} Reader;

/* A tensor of the state dict. */
typedef struct
{
  const char *name; /* in the pickle's values */
  const DmPyTensor *t;
  guint64 n;          /* elements */
  guint64 storage_at; /* file offset of the storage's first byte */
  gboolean contiguous;
} Entry;

static gboolean G_GNUC_PRINTF (4, 5)
  fail (GError **error, const Reader *r, int code, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, DM_ERROR, code, "%s: %s", r->name, message);
  return FALSE;
}

void
dm_pth_info_clear (DmPthInfo *info)
{
  g_clear_pointer (&info->archive, g_free);
  g_clear_pointer (&info->found_under, g_free);
  g_clear_pointer (&info->stripped_prefix, g_free);
  g_clear_pointer (&info->other_keys, g_strfreev);
  memset (info, 0, sizeof *info);
}

/* ---- the zip layout ---- */

/* The folder of the single "<folder>/data.pkl". */
static gboolean
find_folder (Reader *r, GError **error)
{
  for (guint i = 0; i < dm_zip_n_entries (r->zip); i++)
    {
      const char *name = dm_zip_entry (r->zip, i)->name;
      const char *slash = strchr (name, '/');

      if (slash == NULL || strcmp (slash, "/data.pkl") != 0)
        continue;
      if (r->folder != NULL)
        return fail (error, r, DM_ERROR_UNSUPPORTED, "holds two pickles ('%s/data.pkl' and '%s')",
                     r->folder, name);
      r->folder = g_strndup (name, (gsize)(slash - name));
    }
  if (r->folder == NULL)
    return fail (error, r, DM_ERROR_UNSUPPORTED,
                 "a zip archive without a data.pkl: not a PyTorch file");
  return TRUE;
}

static const DmZipEntry *
record (Reader *r, const char *what)
{
  g_autofree char *name = g_strdup_printf ("%s/%s", r->folder, what);

  return dm_zip_find (r->zip, name);
}

static const DmPyValue *
load_zip (Reader *r, GError **error)
{
  const DmZipEntry *pkl, *order, *code;

  r->zip = dm_zip_open (r->file, r->size, r->name, error);
  if (r->zip == NULL || !find_folder (r, error))
    return NULL;
  code = record (r, "constants.pkl");
  if (code != NULL)
    {
      fail (error, r, DM_ERROR_UNSUPPORTED,
            "a TorchScript archive (torch.jit.save), not a state dict: save the model's "
            "state_dict() with torch.save");
      return NULL;
    }
  order = record (r, "byteorder");
  if (order != NULL
      && !(order->size >= 6 && memcmp (dm_zip_entry_data (r->zip, order), "little", 6) == 0))
    {
      fail (error, r, DM_ERROR_UNSUPPORTED,
            "its tensors are stored big-endian: re-save it with torch.save on a little-endian "
            "machine");
      return NULL;
    }
  pkl = record (r, "data.pkl");
  if (pkl->size > DM_PTH_MAX_PICKLE)
    {
      fail (error, r, DM_ERROR_TOO_LARGE,
            "data.pkl is %" G_GUINT64_FORMAT " bytes, above the limit of %u", pkl->size,
            DM_PTH_MAX_PICKLE);
      return NULL;
    }
  if (!dm_zip_check_crc (r->zip, pkl, error))
    return NULL;
  return dm_pickle_load (r->pickle, dm_zip_entry_data (r->zip, pkl), (gsize)pkl->size, "data.pkl",
                         NULL, error);
}

/* ---- the legacy layout ---- */

static const DmPyValue *
load_next (Reader *r, guint64 *at, const char *what, GError **error)
{
  gsize used = 0;
  const DmPyValue *v
    = dm_pickle_load (r->pickle, r->file + *at, (gsize)(r->size - *at), what, &used, error);

  *at += used;
  return v;
}

/* The first three pickles, each checked before the next is read (a plain
 * Python pickle fails at the first). */
static gboolean
read_header (Reader *r, guint64 *at, GError **error)
{
  const DmPyValue *magic, *protocol, *sys_info, *little;

  magic = load_next (r, at, "magic number", error);
  if (magic == NULL)
    return FALSE;
  if (magic->kind != DM_PY_LONG || magic->str.len != sizeof legacy_magic
      || memcmp (magic->str.data, legacy_magic, sizeof legacy_magic) != 0)
    return fail (error, r, DM_ERROR_UNSUPPORTED,
                 "a Python pickle without PyTorch's magic number: not a PyTorch file");
  protocol = load_next (r, at, "protocol version", error);
  if (protocol == NULL)
    return FALSE;
  if (protocol->kind != DM_PY_INT || protocol->i != LEGACY_PROTOCOL)
    return fail (error, r, DM_ERROR_UNSUPPORTED, "legacy PyTorch format of an unknown version");
  sys_info = load_next (r, at, "system info", error);
  if (sys_info == NULL)
    return FALSE;
  little = dm_py_dict_get (sys_info, "little_endian");
  if (sys_info->kind != DM_PY_DICT
      || (little != NULL && (little->kind != DM_PY_BOOL || !little->i)))
    return fail (error, r, DM_ERROR_UNSUPPORTED,
                 "its tensors are stored big-endian: re-save it with torch.save on a little-endian "
                 "machine");
  return TRUE;
}

/* After the five pickles: each listed storage's count and bytes. */
static gboolean
index_legacy_storages (Reader *r, const DmPyValue *keys, guint64 at, GError **error)
{
  if (keys->kind != DM_PY_LIST)
    return fail (error, r, DM_ERROR_CORRUPT, "the list of storage keys is a %s",
                 dm_py_kind_name (keys->kind));
  r->legacy_at = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  for (guint i = 0; i < keys->items->len; i++)
    {
      const DmPyValue *key = g_ptr_array_index (keys->items, i);
      const DmPyValue *storage
        = key->kind == DM_PY_STR ? dm_pickle_find_storage (r->pickle, key->str.data) : NULL;
      guint64 numel = 0, bytes;
      guint64 *where;

      if (storage == NULL)
        return fail (error, r, DM_ERROR_CORRUPT, "lists a storage that no tensor uses");
      if (r->size - at < 8)
        return fail (error, r, DM_ERROR_CORRUPT, "storage '%s' is cut off: truncated",
                     storage->storage.key);
      for (int b = 7; b >= 0; b--)
        numel = numel << 8 | r->file[at + (guint)b];
      at += 8;
      if (numel != storage->storage.numel)
        return fail (error, r, DM_ERROR_CORRUPT,
                     "storage '%s' holds %" G_GUINT64_FORMAT
                     " elements, the pickle says %" G_GUINT64_FORMAT,
                     storage->storage.key, numel, storage->storage.numel);
      bytes = numel * dm_dtype_size (storage->storage.dtype); /* numel <= 2^40 */
      if (bytes > r->size - at)
        return fail (error, r, DM_ERROR_CORRUPT,
                     "storage '%s' needs %" G_GUINT64_FORMAT " bytes at offset %" G_GUINT64_FORMAT
                     ", the file ends before: truncated",
                     storage->storage.key, bytes, at);
      if (g_hash_table_contains (r->legacy_at, storage->storage.key))
        return fail (error, r, DM_ERROR_CORRUPT, "storage '%s' is listed twice",
                     storage->storage.key);
      where = g_new (guint64, 1);
      *where = at;
      g_hash_table_insert (r->legacy_at, storage->storage.key, where);
      at += bytes;
    }
  return TRUE;
}

static const DmPyValue *
load_legacy (Reader *r, GError **error)
{
  const DmPyValue *object, *keys;
  guint64 at = 0;

  if (r->size > 262 && memcmp (r->file + 257, "ustar", 5) == 0)
    {
      fail (error, r, DM_ERROR_UNSUPPORTED,
            "the tar format of PyTorch before 0.4 is not supported: re-save it with torch.save "
            "in a current PyTorch");
      return NULL;
    }
  if (!read_header (r, &at, error) || (object = load_next (r, &at, "object", error)) == NULL
      || (keys = load_next (r, &at, "storage keys", error)) == NULL
      || !index_legacy_storages (r, keys, at, error))
    return NULL;
  return object;
}

/* ---- finding the state dict ---- */

static gboolean
holds_tensors (const DmPyValue *dict)
{
  for (guint i = 1; i < dict->items->len; i += 2)
    if (((const DmPyValue *)g_ptr_array_index (dict->items, i))->kind == DM_PY_TENSOR)
      return TRUE;
  return FALSE;
}

static const DmPyValue *
find_state_dict (const DmPyValue *v, int depth, GString *path)
{
  static const char *const keys[] = { "model", "state_dict", "module", "model_state_dict" };

  if (v == NULL || v->kind != DM_PY_DICT)
    return NULL;
  if (holds_tensors (v))
    return v;
  if (depth == MAX_DEPTH)
    return NULL;
  for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
    {
      gsize len = path->len;
      const DmPyValue *found;

      g_string_append_printf (path, "%s%s", len > 0 ? "." : "", keys[k]);
      found = find_state_dict (dm_py_dict_get (v, keys[k]), depth + 1, path);
      if (found != NULL)
        return found;
      g_string_truncate (path, len);
    }
  return NULL;
}

/* The string keys of a dict except skip (NULL-terminated, 64 at most). */
static char **
string_keys (const DmPyValue *dict, const char *skip)
{
  GPtrArray *keys = g_ptr_array_new ();

  for (guint i = 0; dict->kind == DM_PY_DICT && i < dict->items->len; i += 2)
    {
      const DmPyValue *k = g_ptr_array_index (dict->items, i);

      if (k->kind == DM_PY_STR && g_strcmp0 (k->str.data, skip) != 0 && keys->len < 64)
        g_ptr_array_add (keys, g_strdup (k->str.data));
    }
  g_ptr_array_add (keys, NULL);
  return (char **)g_ptr_array_free (keys, FALSE);
}

/* The state dict's tensors, in order, a name set twice keeping its first
 * place and its last value (as a Python dict does). */
static GArray *
collect_tensors (Reader *r, const DmPyValue *dict, guint *n_skipped, GError **error)
{
  g_autoptr (GArray) entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  *n_skipped = 0;
  for (guint i = 0; i < dict->items->len; i += 2)
    {
      const DmPyValue *k = g_ptr_array_index (dict->items, i);
      const DmPyValue *v = g_ptr_array_index (dict->items, i + 1);
      gpointer at;
      Entry e = { 0 };

      if (k->kind != DM_PY_STR || v->kind != DM_PY_TENSOR)
        {
          (*n_skipped)++;
          continue;
        }
      if (strlen (k->str.data) != k->str.len || k->str.len == 0)
        {
          fail (error, r, DM_ERROR_CORRUPT, "a tensor name is empty or holds a NUL byte");
          return NULL;
        }
      e.name = k->str.data;
      e.t = v->tensor;
      if (g_hash_table_lookup_extended (seen, e.name, NULL, &at))
        {
          g_array_index (entries, Entry, GPOINTER_TO_UINT (at)).t = e.t;
          continue;
        }
      if (entries->len >= DM_PTH_MAX_TENSORS)
        {
          fail (error, r, DM_ERROR_TOO_LARGE, "more than %u tensors", DM_PTH_MAX_TENSORS);
          return NULL;
        }
      g_hash_table_insert (seen, (gpointer)e.name, GUINT_TO_POINTER (entries->len));
      g_array_append_val (entries, e);
    }
  return g_steal_pointer (&entries);
}

/* Drops "module." when every name starts with it (and is longer). */
static gsize
common_prefix_length (GArray *entries)
{
  static const char prefix[] = "module.";

  if (entries->len == 0)
    return 0;
  for (guint i = 0; i < entries->len; i++)
    {
      const char *name = g_array_index (entries, Entry, i).name;

      if (!g_str_has_prefix (name, prefix) || name[sizeof prefix - 1] == '\0')
        return 0;
    }
  return sizeof prefix - 1;
}

/* ---- storages and views ---- */

/* Where storage's bytes start in the file, after checking that they are
 * there, of the right size, and (zip) unharmed. */
static gboolean
locate_storage (Reader *r, const Entry *e, guint64 *at, GError **error)
{
  const DmPyValue *s = e->t->storage;
  guint64 need = s->storage.numel * dm_dtype_size (s->storage.dtype); /* numel <= 2^40 */
  const DmZipEntry *rec;
  g_autofree char *what = NULL;

  if (r->zip == NULL)
    {
      guint64 *where = g_hash_table_lookup (r->legacy_at, s->storage.key);

      if (where == NULL)
        return fail (error, r, DM_ERROR_CORRUPT, "tensor '%s': its storage '%s' is not in the file",
                     e->name, s->storage.key);
      *at = *where;
      return TRUE;
    }
  what = g_strdup_printf ("data/%s", s->storage.key);
  rec = record (r, what);
  if (rec == NULL)
    return fail (error, r, DM_ERROR_CORRUPT,
                 "tensor '%s': its storage record '%s/%s' is missing from the archive", e->name,
                 r->folder, what);
  if (rec->size != need)
    return fail (error, r, DM_ERROR_CORRUPT,
                 "tensor '%s': storage record '%s/%s' holds %" G_GUINT64_FORMAT
                 " bytes, its %" G_GUINT64_FORMAT " elements of %s need %" G_GUINT64_FORMAT,
                 e->name, r->folder, what, rec->size, s->storage.numel,
                 dm_dtype_name (s->storage.dtype), need);
  if (!g_hash_table_contains (r->checked, s->storage.key))
    {
      if (!dm_zip_check_crc (r->zip, rec, error))
        return FALSE;
      g_hash_table_add (r->checked, s->storage.key);
    }
  *at = rec->offset;
  return TRUE;
}

/* "(2, 3)" for sizes or strides, as safetensors shapes are written. */
static char *
dims_string (const gint64 *dims, int rank)
{
  DmTensorInfo t = { .rank = rank };

  memcpy (t.shape, dims, sizeof (gint64) * (gsize)rank);
  return dm_tensor_info_shape_string (&t);
}

/* Elements, the last storage element the view reaches, contiguity. */
static gboolean
check_view (Reader *r, Entry *e, GError **error)
{
  const DmPyTensor *t = e->t;
  guint64 n = 1, last = t->offset, expected_stride = 1;

  e->contiguous = TRUE;
  for (int d = t->rank - 1; d >= 0; d--)
    {
      guint64 reach;

      /* shape and stride are <= 2^40 (dm-pickle.c), n and last < 2^63 */
      if (!g_uint64_checked_mul (&n, n, (guint64)t->shape[d]) || n > (G_GUINT64_CONSTANT (1) << 40))
        return fail (error, r, DM_ERROR_TOO_LARGE, "tensor '%s' has more than 2^40 elements",
                     e->name);
      if (t->shape[d] > 0
          && (!g_uint64_checked_mul (&reach, (guint64)(t->shape[d] - 1), (guint64)t->stride[d])
              || !g_uint64_checked_add (&last, last, reach)))
        return fail (error, r, DM_ERROR_CORRUPT, "tensor '%s': its strides overflow", e->name);
      if (t->shape[d] != 1 && (guint64)t->stride[d] != expected_stride)
        e->contiguous = FALSE;
      expected_stride *= (guint64)t->shape[d];
    }
  e->n = n;
  if (n > 0 && last >= t->storage->storage.numel)
    {
      g_autofree char *shape = dims_string (t->shape, t->rank);
      g_autofree char *stride = dims_string (t->stride, t->rank);

      return fail (error, r, DM_ERROR_CORRUPT,
                   "tensor '%s' of shape %s, strides %s from offset %" G_GUINT64_FORMAT
                   " reaches element %" G_GUINT64_FORMAT
                   ", but its storage '%s' holds %" G_GUINT64_FORMAT " elements",
                   e->name, shape, stride, t->offset, last, t->storage->storage.key,
                   t->storage->storage.numel);
    }
  return TRUE;
}

/* Copies a view into dst, contiguous, in C order. */
static void
copy_view (guint8 *dst, const guint8 *storage, const Entry *e)
{
  const DmPyTensor *t = e->t;
  gsize es = dm_dtype_size (t->storage->storage.dtype);
  gint64 index[DM_PICKLE_MAX_RANK] = { 0 };
  guint64 inner, inner_stride;

  if (t->rank == 0 || e->contiguous)
    {
      memcpy (dst, storage + t->offset * es, (gsize)e->n * es);
      return;
    }
  inner = (guint64)t->shape[t->rank - 1];
  inner_stride = (guint64)t->stride[t->rank - 1];
  for (guint64 done = 0; done < e->n; done += inner)
    {
      guint64 base = t->offset; /* no overflow: check_view bounded the reach */

      for (int d = 0; d < t->rank - 1; d++)
        base += (guint64)index[d] * (guint64)t->stride[d];
      for (guint64 j = 0; j < inner; j++, dst += es)
        memcpy (dst, storage + (base + j * inner_stride) * es, es);
      for (int d = t->rank - 2; d >= 0; d--)
        {
          if (++index[d] < t->shape[d])
            break;
          index[d] = 0;
        }
    }
}

static int
compare_begin (const void *pa, const void *pb)
{
  const DmTensorInfo *a = pa, *b = pb;

  return a->begin < b->begin ? -1 : a->begin > b->begin;
}

/* TRUE when the tensors can be read in place: contiguous, no shared bytes. */
static gboolean
in_place (const Entry *entries, DmTensorInfo *infos, guint n)
{
  g_autofree DmTensorInfo *sorted = g_memdup2 (infos, sizeof *infos * MAX (n, 1));
  guint64 end = 0;

  for (guint i = 0; i < n; i++)
    if (!entries[i].contiguous)
      return FALSE;
  qsort (sorted, n, sizeof *sorted, compare_begin);
  for (guint i = 0; i < n; i++)
    {
      if (sorted[i].begin == sorted[i].end)
        continue;
      if (sorted[i].begin < end)
        return FALSE;
      end = sorted[i].end;
    }
  return TRUE;
}

static DmSafetensors *
build (Reader *r, GBytes *file, GArray *entries, gsize strip, DmPthInfo *info, GError **error)
{
  guint n = entries->len;
  g_autofree DmTensorInfo *infos = g_new0 (DmTensorInfo, MAX (n, 1));
  g_autoptr (GBytes) copy = NULL;
  guint64 total = 0, limit;
  guint8 *block;

  for (guint i = 0; i < n; i++)
    {
      Entry *e = &g_array_index (entries, Entry, i);
      const DmPyTensor *t = e->t;
      gsize es = dm_dtype_size (t->storage->storage.dtype);

      if (!check_view (r, e, error) || (e->n > 0 && !locate_storage (r, e, &e->storage_at, error)))
        return NULL;
      infos[i].name = e->name + strip;
      infos[i].dtype = t->storage->storage.dtype;
      infos[i].rank = t->rank;
      memcpy (infos[i].shape, t->shape, sizeof (gint64) * (gsize)t->rank);
      infos[i].begin = e->n > 0 ? e->storage_at + t->offset * es : 0;
      infos[i].end = infos[i].begin + e->n * es;
      total += e->n * es; /* each < 2^43: no overflow for 2^20 tensors */
    }
  if (in_place ((const Entry *)entries->data, infos, n))
    return dm_safetensors_new_from_tensors (file, r->name, infos, n, error);

  /* Views and shared storages: copy each tensor out, contiguous. */
  limit = r->size * DM_PTH_MAX_EXPANSION + (1u << 20);
  if (total > limit)
    {
      fail (error, r, DM_ERROR_TOO_LARGE,
            "its tensors would take %" G_GUINT64_FORMAT " bytes, more than %d times the file",
            total, DM_PTH_MAX_EXPANSION);
      return NULL;
    }
  block = g_try_malloc (MAX ((gsize)total, 1));
  if (block == NULL)
    {
      fail (error, r, DM_ERROR_NO_MEMORY, "no memory for %" G_GUINT64_FORMAT " bytes of tensors",
            total);
      return NULL;
    }
  copy = g_bytes_new_take (block, (gsize)total);
  total = 0;
  for (guint i = 0; i < n; i++)
    {
      const Entry *e = &g_array_index (entries, Entry, i);
      guint64 bytes = infos[i].end - infos[i].begin;

      if (e->n > 0)
        copy_view (block + total, r->file + e->storage_at, e);
      infos[i].begin = total;
      infos[i].end = total + bytes;
      total += bytes;
    }
  if (info != NULL)
    info->copied = TRUE;
  return dm_safetensors_new_from_tensors (copy, r->name, infos, n, error);
}

DmSafetensors *
dm_pth_read (GBytes *file, const char *name, DmPthInfo *info, GError **error)
{
  Reader r = { 0 };
  DmPthInfo local = { 0 };
  g_autoptr (GArray) entries = NULL;
  g_autoptr (GString) path = g_string_new (NULL);
  const DmPyValue *object, *dict;
  DmSafetensors *st = NULL;
  gsize size = 0;

  if (info == NULL)
    info = &local;
  memset (info, 0, sizeof *info);
  r.name = name;
  r.file = g_bytes_get_data (file, &size);
  r.size = size;
  r.pickle = dm_pickle_new (name);
  r.checked = g_hash_table_new (g_str_hash, g_str_equal);
  if (size == 0)
    {
      fail (error, &r, DM_ERROR_CORRUPT, "an empty file");
      goto out;
    }
  info->legacy = !(size >= 2 && r.file[0] == 'P' && r.file[1] == 'K');
  object = info->legacy ? load_legacy (&r, error) : load_zip (&r, error);
  if (object == NULL)
    goto out;
  dict = find_state_dict (object, 0, path);
  if (dict == NULL)
    {
      g_auto (GStrv) keys = string_keys (object, NULL);
      g_autofree char *joined = g_strjoinv (", ", keys);

      fail (error, &r, DM_ERROR_UNSUPPORTED,
            "holds no state dict: no tensors in a %s%s%s%s or under 'model', 'state_dict', "
            "'module'",
            dm_py_kind_name (object->kind), keys[0] != NULL ? " (keys: " : "", joined,
            keys[0] != NULL ? ")" : "");
      goto out;
    }
  entries = collect_tensors (&r, dict, &info->n_skipped, error);
  if (entries == NULL)
    goto out;
  info->archive = g_strdup (r.folder);
  info->found_under = g_strdup (path->str);
  if (path->len > 0)
    {
      /* the checkpoint's other entries: iteration, optimizer, args... */
      const char *dot = strchr (path->str, '.');
      g_autofree char *first
        = g_strndup (path->str, dot != NULL ? (gsize)(dot - path->str) : path->len);

      info->other_keys = string_keys (object, first);
    }
  else
    info->other_keys = g_new0 (char *, 1);
  {
    gsize strip = common_prefix_length (entries);

    info->stripped_prefix = g_strndup ("module.", strip);
    st = build (&r, file, entries, strip, info, error);
  }

out:
  if (st == NULL)
    dm_pth_info_clear (info);
  dm_pth_info_clear (&local);
  g_clear_pointer (&r.legacy_at, g_hash_table_unref);
  g_hash_table_unref (r.checked);
  g_clear_pointer (&r.zip, dm_zip_free);
  g_free (r.folder);
  dm_pickle_free (r.pickle);
  return st;
}
