/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the pickle reader knows of torch: the globals a state dict names,
 * what calling them gives, and torch's persistent ids for storages (the
 * reader's loop is in dm-pickle.c; the rules in dm-pickle.h). */
#include "dm-pickle-private.h"

#include <string.h>

#include "dm-error.h"

#define MAX_STORAGE_KEY 1024
#define MAX_DIM (G_GINT64_CONSTANT (1) << 40)

static const struct
{
  const char *module;
  const char *name;
  DmPyGlobal id;
  DmDtype dtype;
} known_globals[] = {
  { "collections", "OrderedDict", DM_PY_GLOBAL_ORDERED_DICT, 0 },
  { "torch._utils", "_rebuild_tensor", DM_PY_GLOBAL_REBUILD_TENSOR, 0 },
  { "torch._utils", "_rebuild_tensor_v2", DM_PY_GLOBAL_REBUILD_TENSOR_V2, 0 },
  { "torch._utils", "_rebuild_parameter", DM_PY_GLOBAL_REBUILD_PARAMETER, 0 },
  { "torch._utils", "_rebuild_parameter_with_state", DM_PY_GLOBAL_REBUILD_PARAMETER_WITH_STATE, 0 },
  { "argparse", "Namespace", DM_PY_GLOBAL_NAMESPACE, 0 },
  { "torch", "FloatStorage", DM_PY_GLOBAL_STORAGE_TYPE, DM_DTYPE_F32 },
  { "torch", "HalfStorage", DM_PY_GLOBAL_STORAGE_TYPE, DM_DTYPE_F16 },
  { "torch", "BFloat16Storage", DM_PY_GLOBAL_STORAGE_TYPE, DM_DTYPE_BF16 },
  { "torch", "DoubleStorage", DM_PY_GLOBAL_STORAGE_TYPE, DM_DTYPE_F64 },
  { "torch", "LongStorage", DM_PY_GLOBAL_STORAGE_TYPE, DM_DTYPE_I64 },
  { "torch", "IntStorage", DM_PY_GLOBAL_STORAGE_TYPE, DM_DTYPE_I32 },
  { "torch", "ShortStorage", DM_PY_GLOBAL_STORAGE_TYPE, DM_DTYPE_I16 },
  { "torch", "CharStorage", DM_PY_GLOBAL_STORAGE_TYPE, DM_DTYPE_I8 },
  { "torch", "ByteStorage", DM_PY_GLOBAL_STORAGE_TYPE, DM_DTYPE_U8 },
  { "torch", "BoolStorage", DM_PY_GLOBAL_STORAGE_TYPE, DM_DTYPE_BOOL },
};

/* Printable ASCII only: the name goes into a message as it is. */
static gboolean
is_plain_name (const guint8 *p, gsize len)
{
  if (len == 0 || len > DM_PICKLE_MAX_GLOBAL_NAME)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (p[i] < 0x20 || p[i] > 0x7e)
      return FALSE;
  return TRUE;
}

gboolean
dm_pickle_push_global (DmPickle *pk,
                       const guint8 *module,
                       gsize module_len,
                       const guint8 *name,
                       gsize name_len,
                       GError **error)
{
  g_autofree char *full = NULL;
  DmPyValue *v;

  if (!is_plain_name (module, module_len) || !is_plain_name (name, name_len))
    return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "a global whose name is not plain text");
  for (guint i = 0; i < G_N_ELEMENTS (known_globals); i++)
    if (strlen (known_globals[i].module) == module_len
        && memcmp (known_globals[i].module, module, module_len) == 0
        && strlen (known_globals[i].name) == name_len
        && memcmp (known_globals[i].name, name, name_len) == 0)
      {
        v = dm_pickle_new_value (pk, DM_PY_GLOBAL, error);
        if (v != NULL)
          {
            v->global.id = known_globals[i].id;
            v->global.dtype = known_globals[i].dtype;
          }
        return dm_pickle_push (pk, v, error);
      }
  full = g_strdup_printf ("%.*s.%.*s", (int)module_len, module, (int)name_len, name);
  if (module_len == 5 && memcmp (module, "torch", 5) == 0 && g_str_has_suffix (full, "Storage"))
    return dm_pickle_fail (
      error, pk, DM_ERROR_UNSUPPORTED,
      "storage type '%s' is not supported (float, half, bfloat16, double and integer "
      "storages are)",
      full);
  /* The message the user sees for a hostile or merely unusual file. */
  g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
               "%s: refuses to run pickle global '%s' (%s, byte %" G_GSIZE_FORMAT
               "): a state dict needs only tensors, dicts, lists, strings and numbers; nothing "
               "was run",
               pk->name, full, pk->what, pk->op_at);
  return FALSE;
}

/* ---- calls of the known globals ---- */

static gboolean
arg_kind (
  DmPickle *pk, const char *callee, const GPtrArray *args, guint i, DmPyKind kind, GError **error)
{
  const DmPyValue *v = g_ptr_array_index (args, i);

  if (v->kind != kind)
    return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "%s: argument %u is a %s, not a %s", callee,
                           i + 1, dm_py_kind_name (v->kind), dm_py_kind_name (kind));
  return TRUE;
}

/* A tuple of rank non-negative ints, each at most 2^40. */
static gboolean
int_tuple (DmPickle *pk,
           const char *callee,
           const GPtrArray *args,
           guint i,
           int *rank,
           gint64 *out,
           GError **error)
{
  const DmPyValue *t = g_ptr_array_index (args, i);

  if (!arg_kind (pk, callee, args, i, DM_PY_TUPLE, error))
    return FALSE;
  if (t->items->len > DM_PICKLE_MAX_RANK)
    return dm_pickle_fail (error, pk, DM_ERROR_UNSUPPORTED,
                           "%s: a tensor of rank %u, above the limit of %d", callee, t->items->len,
                           DM_PICKLE_MAX_RANK);
  *rank = (int)t->items->len;
  for (guint d = 0; d < t->items->len; d++)
    {
      const DmPyValue *v = g_ptr_array_index (t->items, d);

      if (v->kind != DM_PY_INT || v->i < 0 || v->i > MAX_DIM)
        return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT,
                               "%s: argument %u holds something else than a size from 0 to 2^40",
                               callee, i + 1);
      out[d] = v->i;
    }
  return TRUE;
}

static DmPyValue *
rebuild_tensor (DmPickle *pk, const GPtrArray *args, gboolean v2, GError **error)
{
  const char *callee = v2 ? "_rebuild_tensor_v2" : "_rebuild_tensor";
  const DmPyValue *offset;
  DmPyValue *t;
  int stride_rank;

  if (v2 ? (args->len != 6 && args->len != 7) : args->len != 4)
    {
      dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "%s called with %u arguments", callee,
                      args->len);
      return NULL;
    }
  if (!arg_kind (pk, callee, args, 0, DM_PY_STORAGE, error)
      || !arg_kind (pk, callee, args, 1, DM_PY_INT, error))
    return NULL;
  if (v2
      && (!arg_kind (pk, callee, args, 4, DM_PY_BOOL, error)
          || !arg_kind (pk, callee, args, 5, DM_PY_DICT, error)))
    return NULL;
  if (args->len == 7 && ((const DmPyValue *)g_ptr_array_index (args, 6))->kind != DM_PY_NONE
      && !arg_kind (pk, callee, args, 6, DM_PY_DICT, error))
    return NULL;
  offset = g_ptr_array_index (args, 1);
  if (offset->i < 0 || offset->i > MAX_DIM)
    {
      dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "%s: storage offset %" G_GINT64_FORMAT, callee,
                      offset->i);
      return NULL;
    }
  t = dm_pickle_new_value (pk, DM_PY_TENSOR, error);
  if (t == NULL)
    return NULL;
  t->tensor->storage = g_ptr_array_index (args, 0);
  t->tensor->offset = (guint64)offset->i;
  if (!int_tuple (pk, callee, args, 2, &t->tensor->rank, t->tensor->shape, error)
      || !int_tuple (pk, callee, args, 3, &stride_rank, t->tensor->stride, error))
    return NULL;
  if (stride_rank != t->tensor->rank)
    {
      dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "%s: %d sizes but %d strides", callee,
                      t->tensor->rank, stride_rank);
      return NULL;
    }
  return t;
}

/* REDUCE: callable(*args), for the known callables only. */
gboolean
dm_pickle_reduce (DmPickle *pk, GError **error)
{
  DmPyValue *args = dm_pickle_pop (pk, error),
            *callable = args != NULL ? dm_pickle_pop (pk, error) : NULL;

  if (callable == NULL)
    return FALSE;
  if (callable->kind != DM_PY_GLOBAL || args->kind != DM_PY_TUPLE)
    return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "REDUCE calls a %s with a %s",
                           dm_py_kind_name (callable->kind), dm_py_kind_name (args->kind));
  switch (callable->global.id)
    {
    case DM_PY_GLOBAL_ORDERED_DICT:
      if (args->items->len != 0)
        return dm_pickle_fail (error, pk, DM_ERROR_UNSUPPORTED,
                               "OrderedDict called with %u arguments", args->items->len);
      return dm_pickle_push (pk, dm_pickle_new_value (pk, DM_PY_DICT, error), error);
    case DM_PY_GLOBAL_REBUILD_TENSOR:
    case DM_PY_GLOBAL_REBUILD_TENSOR_V2:
      return dm_pickle_push (pk,
                             rebuild_tensor (pk, args->items,
                                             callable->global.id == DM_PY_GLOBAL_REBUILD_TENSOR_V2,
                                             error),
                             error);
    case DM_PY_GLOBAL_REBUILD_PARAMETER:
    case DM_PY_GLOBAL_REBUILD_PARAMETER_WITH_STATE:
      {
        guint want = callable->global.id == DM_PY_GLOBAL_REBUILD_PARAMETER ? 3 : 4;

        if (args->items->len != want)
          return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT,
                                 "_rebuild_parameter called with %u arguments", args->items->len);
        if (!arg_kind (pk, "_rebuild_parameter", args->items, 0, DM_PY_TENSOR, error))
          return FALSE;
        /* A parameter is its tensor; requires_grad and hooks do not matter. */
        return dm_pickle_push (pk, g_ptr_array_index (args->items, 0), error);
      }
    case DM_PY_GLOBAL_NAMESPACE:
    case DM_PY_GLOBAL_STORAGE_TYPE:
    default:
      return dm_pickle_fail (error, pk, DM_ERROR_UNSUPPORTED,
                             "REDUCE of a global that is not a function");
    }
}

/* NEWOBJ: cls.__new__(cls, *args), for argparse.Namespace only (the args
 * of a training script, kept beside the weights). */
gboolean
dm_pickle_newobj (DmPickle *pk, GError **error)
{
  DmPyValue *args = dm_pickle_pop (pk, error),
            *cls = args != NULL ? dm_pickle_pop (pk, error) : NULL;

  if (cls == NULL)
    return FALSE;
  if (cls->kind != DM_PY_GLOBAL || cls->global.id != DM_PY_GLOBAL_NAMESPACE
      || args->kind != DM_PY_TUPLE)
    return dm_pickle_fail (error, pk, DM_ERROR_UNSUPPORTED,
                           "NEWOBJ of something else than a Namespace");
  return dm_pickle_push (pk, dm_pickle_new_value (pk, DM_PY_OBJECT, error), error);
}

/* BUILD: sets an object's state. A state dict's _metadata (module
 * versions) and a Namespace's fields are not needed: dropped. */
gboolean
dm_pickle_build (DmPickle *pk, GError **error)
{
  DmPyValue *state = dm_pickle_pop (pk, error),
            *target = state != NULL ? dm_pickle_peek (pk, error) : NULL;

  if (target == NULL)
    return FALSE;
  if (target->kind != DM_PY_DICT && target->kind != DM_PY_OBJECT)
    return dm_pickle_fail (error, pk, DM_ERROR_UNSUPPORTED, "BUILD of a %s",
                           dm_py_kind_name (target->kind));
  return TRUE;
}

/* BINPERSID: torch's ("storage", type, key, location, numel[, None]). */
gboolean
dm_pickle_persistent_load (DmPickle *pk, GError **error)
{
  DmPyValue *pid = dm_pickle_pop (pk, error);
  const DmPyValue *tag, *type, *key, *location, *numel;
  DmPyValue *storage;

  if (pid == NULL)
    return FALSE;
  if (pid->kind != DM_PY_TUPLE || (pid->items->len != 5 && pid->items->len != 6))
    return dm_pickle_fail (error, pk, DM_ERROR_UNSUPPORTED,
                           "a persistent id that is not a torch storage: %s",
                           dm_py_kind_name (pid->kind));
  tag = g_ptr_array_index (pid->items, 0);
  type = g_ptr_array_index (pid->items, 1);
  key = g_ptr_array_index (pid->items, 2);
  location = g_ptr_array_index (pid->items, 3);
  numel = g_ptr_array_index (pid->items, 4);
  if (tag->kind != DM_PY_STR || strcmp (tag->str.data, "storage") != 0)
    return dm_pickle_fail (error, pk, DM_ERROR_UNSUPPORTED,
                           "a persistent id that is not a torch storage");
  if (type->kind != DM_PY_GLOBAL || type->global.id != DM_PY_GLOBAL_STORAGE_TYPE
      || key->kind != DM_PY_STR || location->kind != DM_PY_STR || numel->kind != DM_PY_INT)
    return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "a storage id of the wrong types");
  if (key->str.len == 0 || key->str.len > MAX_STORAGE_KEY)
    return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT,
                           "a storage key of %" G_GSIZE_FORMAT " bytes", key->str.len);
  if (numel->i < 0 || numel->i > MAX_DIM)
    return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT,
                           "storage '%s' of %" G_GINT64_FORMAT " elements", key->str.data,
                           numel->i);
  if (pid->items->len == 6
      && ((const DmPyValue *)g_ptr_array_index (pid->items, 5))->kind != DM_PY_NONE)
    return dm_pickle_fail (error, pk, DM_ERROR_UNSUPPORTED,
                           "storage '%s' is a view of another storage (PyTorch before 0.4)",
                           key->str.data);

  storage = g_hash_table_lookup (pk->storage_by_key, key->str.data);
  if (storage != NULL)
    {
      /* Tensors of one storage name it again: it must be the same. */
      if (storage->storage.dtype != type->global.dtype
          || storage->storage.numel != (guint64)numel->i)
        return dm_pickle_fail (error, pk, DM_ERROR_UNSUPPORTED,
                               "storage '%s' is named as %s of %" G_GINT64_FORMAT
                               " and as %s of %" G_GUINT64_FORMAT " elements",
                               key->str.data, dm_dtype_name (type->global.dtype), numel->i,
                               dm_dtype_name (storage->storage.dtype), storage->storage.numel);
      return dm_pickle_push (pk, storage, error);
    }
  if (pk->storages->len >= DM_PICKLE_MAX_STORAGES)
    return dm_pickle_fail (error, pk, DM_ERROR_TOO_LARGE, "more than %u storages",
                           DM_PICKLE_MAX_STORAGES);
  storage = dm_pickle_new_value (pk, DM_PY_STORAGE, error);
  if (storage == NULL)
    return FALSE;
  storage->storage.key = g_strdup (key->str.data);
  storage->storage.dtype = type->global.dtype;
  storage->storage.numel = (guint64)numel->i;
  g_ptr_array_add (pk->storages, storage);
  g_hash_table_insert (pk->storage_by_key, storage->storage.key, storage);
  return dm_pickle_push (pk, storage, error);
}

const char *
dm_pickle_storage_type (DmDtype dtype)
{
  for (guint i = 0; i < G_N_ELEMENTS (known_globals); i++)
    if (known_globals[i].id == DM_PY_GLOBAL_STORAGE_TYPE && known_globals[i].dtype == dtype)
      return known_globals[i].name;
  return NULL;
}
