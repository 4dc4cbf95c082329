/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The restricted pickle reader; what it reads and refuses is described in
 * dm-pickle.h. Opcode values are those of CPython's Lib/pickle.py. */
#include "dm-pickle.h"

#include <string.h>

#include "dm-error.h"

#define MAX_GLOBAL_NAME 256
#define MAX_STORAGE_KEY 1024
#define MAX_DIM (G_GINT64_CONSTANT (1) << 40)

struct _DmPickle
{
  char *name;
  GPtrArray *values;          /* every value made, freed with the DmPickle */
  GPtrArray *storages;        /* STORAGE values, first met first */
  GHashTable *storage_by_key; /* key -> STORAGE value */

  /* The pickle being read. */
  const char *what;
  gsize op_at; /* offset of the opcode being run, for messages */
  GPtrArray *stack;
  GArray *marks;    /* guint: stack lengths at each open MARK */
  GHashTable *memo; /* GUINT_TO_POINTER (index) -> value */
};

typedef struct
{
  const guint8 *data;
  gsize size;
  gsize at;
} Input;

static gboolean G_GNUC_PRINTF (4, 5)
  fail (GError **error, const DmPickle *pk, int code, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, DM_ERROR, code, "%s: %s, byte %" G_GSIZE_FORMAT ": %s", pk->name, pk->what,
               pk->op_at, message);
  return FALSE;
}

static void
value_free (gpointer p)
{
  DmPyValue *v = p;

  switch (v->kind)
    {
    case DM_PY_STR:
    case DM_PY_BYTES:
    case DM_PY_LONG: g_free (v->str.data); break;
    case DM_PY_TUPLE:
    case DM_PY_LIST:
    case DM_PY_DICT: g_ptr_array_unref (v->items); break;
    case DM_PY_STORAGE: g_free (v->storage.key); break;
    case DM_PY_TENSOR: g_free (v->tensor); break;
    default: break;
    }
  g_free (v);
}

DmPickle *
dm_pickle_new (const char *name)
{
  DmPickle *pk = g_new0 (DmPickle, 1);

  pk->name = g_strdup (name);
  pk->values = g_ptr_array_new_with_free_func (value_free);
  pk->storages = g_ptr_array_new ();
  pk->storage_by_key = g_hash_table_new (g_str_hash, g_str_equal);
  pk->what = "pickle";
  return pk;
}

void
dm_pickle_free (DmPickle *pk)
{
  if (pk == NULL)
    return;
  g_clear_pointer (&pk->stack, g_ptr_array_unref);
  g_clear_pointer (&pk->marks, g_array_unref);
  g_clear_pointer (&pk->memo, g_hash_table_unref);
  g_hash_table_unref (pk->storage_by_key);
  g_ptr_array_unref (pk->storages);
  g_ptr_array_unref (pk->values);
  g_free (pk->name);
  g_free (pk);
}

static DmPyValue *
new_value (DmPickle *pk, DmPyKind kind, GError **error)
{
  DmPyValue *v;

  if (pk->values->len >= DM_PICKLE_MAX_VALUES)
    {
      fail (error, pk, DM_ERROR_TOO_LARGE, "more than %u values: not a state dict",
            DM_PICKLE_MAX_VALUES);
      return NULL;
    }
  v = g_new0 (DmPyValue, 1);
  v->kind = kind;
  if (kind == DM_PY_TUPLE || kind == DM_PY_LIST || kind == DM_PY_DICT)
    v->items = g_ptr_array_new ();
  else if (kind == DM_PY_TENSOR)
    v->tensor = g_new0 (DmPyTensor, 1);
  g_ptr_array_add (pk->values, v);
  return v;
}

const char *
dm_py_kind_name (DmPyKind kind)
{
  static const char *const names[] = {
    [DM_PY_NONE] = "None",       [DM_PY_BOOL] = "bool",     [DM_PY_INT] = "int",
    [DM_PY_LONG] = "long int",   [DM_PY_FLOAT] = "float",   [DM_PY_STR] = "str",
    [DM_PY_BYTES] = "bytes",     [DM_PY_TUPLE] = "tuple",   [DM_PY_LIST] = "list",
    [DM_PY_DICT] = "dict",       [DM_PY_GLOBAL] = "global", [DM_PY_OBJECT] = "object",
    [DM_PY_STORAGE] = "storage", [DM_PY_TENSOR] = "tensor",
  };

  return (guint)kind < G_N_ELEMENTS (names) ? names[kind] : "?";
}

/* ---- input ---- */

static gboolean
take (DmPickle *pk, Input *in, guint64 n, const guint8 **out, GError **error)
{
  *out = in->data + in->at; /* not to be read unless TRUE is returned */
  if (n > in->size - in->at)
    return fail (error, pk, DM_ERROR_CORRUPT,
                 "needs %" G_GUINT64_FORMAT " more bytes, %" G_GSIZE_FORMAT " are left: truncated",
                 n, in->size - in->at);
  in->at += (gsize)n;
  return TRUE;
}

/* An unsigned little-endian integer of n (1, 2, 4 or 8) bytes. */
static gboolean
take_uint (DmPickle *pk, Input *in, int n, guint64 *out, GError **error)
{
  const guint8 *p;

  if (!take (pk, in, (guint64)n, &p, error))
    return FALSE;
  *out = 0;
  for (int i = n - 1; i >= 0; i--)
    *out = *out << 8 | p[i];
  return TRUE;
}

/* ---- the stack ---- */

/* Items below the last open MARK are out of reach until it is closed. */
static guint
floor_of (const DmPickle *pk)
{
  return pk->marks->len > 0 ? g_array_index (pk->marks, guint, pk->marks->len - 1) : 0;
}

static gboolean
push (DmPickle *pk, const DmPyValue *v, GError **error)
{
  if (v == NULL)
    return FALSE; /* the maker failed and set the error */
  if (pk->stack->len >= DM_PICKLE_MAX_STACK)
    return fail (error, pk, DM_ERROR_TOO_LARGE, "more than %u values on the stack",
                 DM_PICKLE_MAX_STACK);
  g_ptr_array_add (pk->stack, (gpointer)v);
  return TRUE;
}

static DmPyValue *
peek (DmPickle *pk, GError **error)
{
  if (pk->stack->len <= floor_of (pk))
    {
      fail (error, pk, DM_ERROR_CORRUPT, "the stack is empty");
      return NULL;
    }
  return g_ptr_array_index (pk->stack, pk->stack->len - 1);
}

static DmPyValue *
pop (DmPickle *pk, GError **error)
{
  DmPyValue *v = peek (pk, error);

  if (v != NULL)
    g_ptr_array_set_size (pk->stack, pk->stack->len - 1);
  return v;
}

/* Closes the last MARK: the items above it are stack[*start..len). */
static gboolean
pop_mark (DmPickle *pk, guint *start, GError **error)
{
  if (pk->marks->len == 0)
    return fail (error, pk, DM_ERROR_CORRUPT, "no MARK to close");
  *start = g_array_index (pk->marks, guint, pk->marks->len - 1);
  g_array_set_size (pk->marks, pk->marks->len - 1);
  return TRUE;
}

/* A new container of `kind` holding stack[start..len), which is dropped. */
static DmPyValue *
collect (DmPickle *pk, DmPyKind kind, guint start, GError **error)
{
  DmPyValue *v;

  if (kind == DM_PY_DICT && (pk->stack->len - start) % 2 != 0)
    {
      fail (error, pk, DM_ERROR_CORRUPT, "a dict of an odd number of keys and values");
      return NULL;
    }
  v = new_value (pk, kind, error);
  if (v == NULL)
    return NULL;
  for (guint i = start; i < pk->stack->len; i++)
    g_ptr_array_add (v->items, g_ptr_array_index (pk->stack, i));
  g_ptr_array_set_size (pk->stack, start);
  return v;
}

/* ---- values ---- */

static DmPyValue *
new_int (DmPickle *pk, gint64 i, GError **error)
{
  DmPyValue *v = new_value (pk, DM_PY_INT, error);

  if (v != NULL)
    v->i = i;
  return v;
}

static DmPyValue *
new_string (DmPickle *pk, DmPyKind kind, const guint8 *p, guint64 len, GError **error)
{
  DmPyValue *v;

  if (kind == DM_PY_STR && !g_utf8_validate_len ((const char *)p, (gsize)len, NULL))
    {
      fail (error, pk, DM_ERROR_CORRUPT, "a string that is not UTF-8");
      return NULL;
    }
  v = new_value (pk, kind, error);
  if (v == NULL)
    return NULL;
  v->str.data = g_malloc ((gsize)len + 1);
  memcpy (v->str.data, p, (gsize)len);
  v->str.data[len] = '\0';
  v->str.len = (gsize)len;
  return v;
}

/* A string, bytes or long of a length read from n_len_bytes bytes. */
static gboolean
read_string (
  DmPickle *pk, Input *in, DmPyKind kind, int n_len_bytes, gboolean is_signed, GError **error)
{
  guint64 len;
  const guint8 *p;

  if (!take_uint (pk, in, n_len_bytes, &len, error))
    return FALSE;
  if (is_signed && (len & 0x80000000u))
    return fail (error, pk, DM_ERROR_CORRUPT, "a negative string length");
  if (len > DM_PICKLE_MAX_STRING)
    return fail (error, pk, DM_ERROR_TOO_LARGE,
                 "a string of %" G_GUINT64_FORMAT " bytes, above the limit of %u", len,
                 DM_PICKLE_MAX_STRING);
  if (!take (pk, in, len, &p, error))
    return FALSE;
  return push (pk, new_string (pk, kind, p, len, error), error);
}

/* LONG1: n little-endian two's complement bytes. */
static gboolean
read_long1 (DmPickle *pk, Input *in, GError **error)
{
  guint64 n, u = 0;
  const guint8 *p;

  if (!take_uint (pk, in, 1, &n, error) || !take (pk, in, n, &p, error))
    return FALSE;
  if (n > 8)
    return push (pk, new_string (pk, DM_PY_LONG, p, n, error), error);
  for (int i = (int)n - 1; i >= 0; i--)
    u = u << 8 | p[i];
  if (n > 0 && n < 8 && (p[n - 1] & 0x80))
    u |= ~G_GUINT64_CONSTANT (0) << (8 * n); /* sign extension */
  return push (pk, new_int (pk, (gint64)u, error), error);
}

static gboolean
read_float (DmPickle *pk, Input *in, GError **error)
{
  const guint8 *p;
  guint64 bits = 0;
  DmPyValue *v;

  if (!take (pk, in, 8, &p, error))
    return FALSE;
  for (int i = 0; i < 8; i++) /* big-endian */
    bits = bits << 8 | p[i];
  v = new_value (pk, DM_PY_FLOAT, error);
  if (v != NULL)
    memcpy (&v->f, &bits, sizeof bits);
  return push (pk, v, error);
}

/* ---- globals ---- */

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
  if (len == 0 || len > MAX_GLOBAL_NAME)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (p[i] < 0x20 || p[i] > 0x7e)
      return FALSE;
  return TRUE;
}

static gboolean
push_global (DmPickle *pk,
             const guint8 *module,
             gsize module_len,
             const guint8 *name,
             gsize name_len,
             GError **error)
{
  g_autofree char *full = NULL;
  DmPyValue *v;

  if (!is_plain_name (module, module_len) || !is_plain_name (name, name_len))
    return fail (error, pk, DM_ERROR_CORRUPT, "a global whose name is not plain text");
  for (guint i = 0; i < G_N_ELEMENTS (known_globals); i++)
    if (strlen (known_globals[i].module) == module_len
        && memcmp (known_globals[i].module, module, module_len) == 0
        && strlen (known_globals[i].name) == name_len
        && memcmp (known_globals[i].name, name, name_len) == 0)
      {
        v = new_value (pk, DM_PY_GLOBAL, error);
        if (v != NULL)
          {
            v->global.id = known_globals[i].id;
            v->global.dtype = known_globals[i].dtype;
          }
        return push (pk, v, error);
      }
  full = g_strdup_printf ("%.*s.%.*s", (int)module_len, module, (int)name_len, name);
  if (module_len == 5 && memcmp (module, "torch", 5) == 0 && g_str_has_suffix (full, "Storage"))
    return fail (error, pk, DM_ERROR_UNSUPPORTED,
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

/* GLOBAL: "module\nname\n". */
static gboolean
read_global (DmPickle *pk, Input *in, GError **error)
{
  const guint8 *lines[2];
  gsize lens[2];

  for (int l = 0; l < 2; l++)
    {
      const guint8 *start = in->data + in->at;
      const guint8 *nl = memchr (start, '\n', MIN (in->size - in->at, (gsize)MAX_GLOBAL_NAME + 1));

      if (nl == NULL)
        return fail (error, pk, DM_ERROR_CORRUPT, "a GLOBAL name without its end of line");
      lines[l] = start;
      lens[l] = (gsize)(nl - start);
      in->at += lens[l] + 1;
    }
  return push_global (pk, lines[0], lens[0], lines[1], lens[1], error);
}

static gboolean
stack_global (DmPickle *pk, GError **error)
{
  DmPyValue *name = pop (pk, error), *module = name != NULL ? pop (pk, error) : NULL;

  if (module == NULL)
    return FALSE;
  if (name->kind != DM_PY_STR || module->kind != DM_PY_STR)
    return fail (error, pk, DM_ERROR_CORRUPT, "STACK_GLOBAL of a %s and a %s",
                 dm_py_kind_name (module->kind), dm_py_kind_name (name->kind));
  return push_global (pk, (const guint8 *)module->str.data, module->str.len,
                      (const guint8 *)name->str.data, name->str.len, error);
}

/* ---- calls of the known globals ---- */

static gboolean
arg_kind (
  DmPickle *pk, const char *callee, const GPtrArray *args, guint i, DmPyKind kind, GError **error)
{
  const DmPyValue *v = g_ptr_array_index (args, i);

  if (v->kind != kind)
    return fail (error, pk, DM_ERROR_CORRUPT, "%s: argument %u is a %s, not a %s", callee, i + 1,
                 dm_py_kind_name (v->kind), dm_py_kind_name (kind));
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
    return fail (error, pk, DM_ERROR_UNSUPPORTED, "%s: a tensor of rank %u, above the limit of %d",
                 callee, t->items->len, DM_PICKLE_MAX_RANK);
  *rank = (int)t->items->len;
  for (guint d = 0; d < t->items->len; d++)
    {
      const DmPyValue *v = g_ptr_array_index (t->items, d);

      if (v->kind != DM_PY_INT || v->i < 0 || v->i > MAX_DIM)
        return fail (error, pk, DM_ERROR_CORRUPT,
                     "%s: argument %u holds something else than a size from 0 to 2^40", callee,
                     i + 1);
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
      fail (error, pk, DM_ERROR_CORRUPT, "%s called with %u arguments", callee, args->len);
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
      fail (error, pk, DM_ERROR_CORRUPT, "%s: storage offset %" G_GINT64_FORMAT, callee, offset->i);
      return NULL;
    }
  t = new_value (pk, DM_PY_TENSOR, error);
  if (t == NULL)
    return NULL;
  t->tensor->storage = g_ptr_array_index (args, 0);
  t->tensor->offset = (guint64)offset->i;
  if (!int_tuple (pk, callee, args, 2, &t->tensor->rank, t->tensor->shape, error)
      || !int_tuple (pk, callee, args, 3, &stride_rank, t->tensor->stride, error))
    return NULL;
  if (stride_rank != t->tensor->rank)
    {
      fail (error, pk, DM_ERROR_CORRUPT, "%s: %d sizes but %d strides", callee, t->tensor->rank,
            stride_rank);
      return NULL;
    }
  return t;
}

/* REDUCE: callable(*args), for the known callables only. */
static gboolean
reduce (DmPickle *pk, GError **error)
{
  DmPyValue *args = pop (pk, error), *callable = args != NULL ? pop (pk, error) : NULL;

  if (callable == NULL)
    return FALSE;
  if (callable->kind != DM_PY_GLOBAL || args->kind != DM_PY_TUPLE)
    return fail (error, pk, DM_ERROR_CORRUPT, "REDUCE calls a %s with a %s",
                 dm_py_kind_name (callable->kind), dm_py_kind_name (args->kind));
  switch (callable->global.id)
    {
    case DM_PY_GLOBAL_ORDERED_DICT:
      if (args->items->len != 0)
        return fail (error, pk, DM_ERROR_UNSUPPORTED, "OrderedDict called with %u arguments",
                     args->items->len);
      return push (pk, new_value (pk, DM_PY_DICT, error), error);
    case DM_PY_GLOBAL_REBUILD_TENSOR:
    case DM_PY_GLOBAL_REBUILD_TENSOR_V2:
      return push (pk,
                   rebuild_tensor (pk, args->items,
                                   callable->global.id == DM_PY_GLOBAL_REBUILD_TENSOR_V2, error),
                   error);
    case DM_PY_GLOBAL_REBUILD_PARAMETER:
    case DM_PY_GLOBAL_REBUILD_PARAMETER_WITH_STATE:
      {
        guint want = callable->global.id == DM_PY_GLOBAL_REBUILD_PARAMETER ? 3 : 4;

        if (args->items->len != want)
          return fail (error, pk, DM_ERROR_CORRUPT, "_rebuild_parameter called with %u arguments",
                       args->items->len);
        if (!arg_kind (pk, "_rebuild_parameter", args->items, 0, DM_PY_TENSOR, error))
          return FALSE;
        /* A parameter is its tensor; requires_grad and hooks do not matter. */
        return push (pk, g_ptr_array_index (args->items, 0), error);
      }
    case DM_PY_GLOBAL_NAMESPACE:
    case DM_PY_GLOBAL_STORAGE_TYPE:
    default:
      return fail (error, pk, DM_ERROR_UNSUPPORTED, "REDUCE of a global that is not a function");
    }
}

/* NEWOBJ: cls.__new__(cls, *args), for argparse.Namespace only (the args
 * of a training script, kept beside the weights). */
static gboolean
newobj (DmPickle *pk, GError **error)
{
  DmPyValue *args = pop (pk, error), *cls = args != NULL ? pop (pk, error) : NULL;

  if (cls == NULL)
    return FALSE;
  if (cls->kind != DM_PY_GLOBAL || cls->global.id != DM_PY_GLOBAL_NAMESPACE
      || args->kind != DM_PY_TUPLE)
    return fail (error, pk, DM_ERROR_UNSUPPORTED, "NEWOBJ of something else than a Namespace");
  return push (pk, new_value (pk, DM_PY_OBJECT, error), error);
}

/* BUILD: sets an object's state. A state dict's _metadata (module
 * versions) and a Namespace's fields are not needed: dropped. */
static gboolean
build (DmPickle *pk, GError **error)
{
  DmPyValue *state = pop (pk, error), *target = state != NULL ? peek (pk, error) : NULL;

  if (target == NULL)
    return FALSE;
  if (target->kind != DM_PY_DICT && target->kind != DM_PY_OBJECT)
    return fail (error, pk, DM_ERROR_UNSUPPORTED, "BUILD of a %s", dm_py_kind_name (target->kind));
  return TRUE;
}

/* BINPERSID: torch's ("storage", type, key, location, numel[, None]). */
static gboolean
persistent_load (DmPickle *pk, GError **error)
{
  DmPyValue *pid = pop (pk, error);
  const DmPyValue *tag, *type, *key, *location, *numel;
  DmPyValue *storage;

  if (pid == NULL)
    return FALSE;
  if (pid->kind != DM_PY_TUPLE || (pid->items->len != 5 && pid->items->len != 6))
    return fail (error, pk, DM_ERROR_UNSUPPORTED, "a persistent id that is not a torch storage: %s",
                 dm_py_kind_name (pid->kind));
  tag = g_ptr_array_index (pid->items, 0);
  type = g_ptr_array_index (pid->items, 1);
  key = g_ptr_array_index (pid->items, 2);
  location = g_ptr_array_index (pid->items, 3);
  numel = g_ptr_array_index (pid->items, 4);
  if (tag->kind != DM_PY_STR || strcmp (tag->str.data, "storage") != 0)
    return fail (error, pk, DM_ERROR_UNSUPPORTED, "a persistent id that is not a torch storage");
  if (type->kind != DM_PY_GLOBAL || type->global.id != DM_PY_GLOBAL_STORAGE_TYPE
      || key->kind != DM_PY_STR || location->kind != DM_PY_STR || numel->kind != DM_PY_INT)
    return fail (error, pk, DM_ERROR_CORRUPT, "a storage id of the wrong types");
  if (key->str.len == 0 || key->str.len > MAX_STORAGE_KEY)
    return fail (error, pk, DM_ERROR_CORRUPT, "a storage key of %" G_GSIZE_FORMAT " bytes",
                 key->str.len);
  if (numel->i < 0 || numel->i > MAX_DIM)
    return fail (error, pk, DM_ERROR_CORRUPT, "storage '%s' of %" G_GINT64_FORMAT " elements",
                 key->str.data, numel->i);
  if (pid->items->len == 6
      && ((const DmPyValue *)g_ptr_array_index (pid->items, 5))->kind != DM_PY_NONE)
    return fail (error, pk, DM_ERROR_UNSUPPORTED,
                 "storage '%s' is a view of another storage (PyTorch before 0.4)", key->str.data);

  storage = g_hash_table_lookup (pk->storage_by_key, key->str.data);
  if (storage != NULL)
    {
      /* Tensors of one storage name it again: it must be the same. */
      if (storage->storage.dtype != type->global.dtype
          || storage->storage.numel != (guint64)numel->i)
        return fail (error, pk, DM_ERROR_UNSUPPORTED,
                     "storage '%s' is named as %s of %" G_GINT64_FORMAT
                     " and as %s of %" G_GUINT64_FORMAT " elements",
                     key->str.data, dm_dtype_name (type->global.dtype), numel->i,
                     dm_dtype_name (storage->storage.dtype), storage->storage.numel);
      return push (pk, storage, error);
    }
  if (pk->storages->len >= DM_PICKLE_MAX_STORAGES)
    return fail (error, pk, DM_ERROR_TOO_LARGE, "more than %u storages", DM_PICKLE_MAX_STORAGES);
  storage = new_value (pk, DM_PY_STORAGE, error);
  if (storage == NULL)
    return FALSE;
  storage->storage.key = g_strdup (key->str.data);
  storage->storage.dtype = type->global.dtype;
  storage->storage.numel = (guint64)numel->i;
  g_ptr_array_add (pk->storages, storage);
  g_hash_table_insert (pk->storage_by_key, storage->storage.key, storage);
  return push (pk, storage, error);
}

/* ---- containers ---- */

/* APPENDS / SETITEMS: the items above the MARK go into the list or dict
 * just below it. */
static gboolean
extend (DmPickle *pk, DmPyKind kind, GError **error)
{
  DmPyValue *target;
  guint start;

  if (!pop_mark (pk, &start, error))
    return FALSE;
  if (start <= floor_of (pk))
    return fail (error, pk, DM_ERROR_CORRUPT, "%s without a %s before its MARK",
                 kind == DM_PY_LIST ? "APPENDS" : "SETITEMS", dm_py_kind_name (kind));
  target = g_ptr_array_index (pk->stack, start - 1);
  if (target->kind != kind)
    return fail (error, pk, DM_ERROR_CORRUPT, "adds items to a %s, not a %s",
                 dm_py_kind_name (target->kind), dm_py_kind_name (kind));
  if (kind == DM_PY_DICT && (pk->stack->len - start) % 2 != 0)
    return fail (error, pk, DM_ERROR_CORRUPT, "SETITEMS of an odd number of keys and values");
  for (guint i = start; i < pk->stack->len; i++)
    g_ptr_array_add (target->items, g_ptr_array_index (pk->stack, i));
  g_ptr_array_set_size (pk->stack, start);
  return TRUE;
}

/* APPEND / SETITEM: n items off the stack into the list or dict below. */
static gboolean
add_items (DmPickle *pk, DmPyKind kind, guint n, GError **error)
{
  DmPyValue *items[2] = { NULL, NULL }, *target;

  for (guint i = n; i-- > 0;)
    if ((items[i] = pop (pk, error)) == NULL)
      return FALSE;
  target = peek (pk, error);
  if (target == NULL)
    return FALSE;
  if (target->kind != kind)
    return fail (error, pk, DM_ERROR_CORRUPT, "adds items to a %s, not a %s",
                 dm_py_kind_name (target->kind), dm_py_kind_name (kind));
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (target->items, items[i]);
  return TRUE;
}

static gboolean
tuple_of (DmPickle *pk, guint n, GError **error)
{
  guint floor = floor_of (pk);

  if (pk->stack->len - floor < n)
    return fail (error, pk, DM_ERROR_CORRUPT, "the stack is empty");
  return push (pk, collect (pk, DM_PY_TUPLE, pk->stack->len - n, error), error);
}

/* ---- the memo ---- */

static gboolean
memo_put (DmPickle *pk, guint64 index, GError **error)
{
  DmPyValue *top = peek (pk, error);

  if (top == NULL)
    return FALSE;
  if (index > G_MAXUINT32)
    return fail (error, pk, DM_ERROR_CORRUPT, "memo index %" G_GUINT64_FORMAT, index);
  if (g_hash_table_size (pk->memo) >= DM_PICKLE_MAX_MEMO
      && !g_hash_table_contains (pk->memo, GUINT_TO_POINTER ((guint)index)))
    return fail (error, pk, DM_ERROR_TOO_LARGE, "more than %u memo entries", DM_PICKLE_MAX_MEMO);
  g_hash_table_insert (pk->memo, GUINT_TO_POINTER ((guint)index), top);
  return TRUE;
}

static gboolean
memo_get (DmPickle *pk, guint64 index, GError **error)
{
  DmPyValue *v
    = index <= G_MAXUINT32 ? g_hash_table_lookup (pk->memo, GUINT_TO_POINTER ((guint)index)) : NULL;

  if (v == NULL)
    return fail (error, pk, DM_ERROR_CORRUPT, "memo entry %" G_GUINT64_FORMAT " is not set", index);
  return push (pk, v, error);
}

/* ---- the loop ---- */

/* One opcode; *done on STOP with *result set. */
static gboolean
step (DmPickle *pk, Input *in, gboolean *done, const DmPyValue **result, GError **error)
{
  const guint8 *p;
  guint64 u;
  guint start;
  guint8 op;

  pk->op_at = in->at;
  if (!take (pk, in, 1, &p, error))
    return FALSE;
  op = *p;
  switch (op)
    {
    case 0x80: /* PROTO */
      if (!take_uint (pk, in, 1, &u, error))
        return FALSE;
      if (u > 5)
        return fail (error, pk, DM_ERROR_UNSUPPORTED, "pickle protocol %" G_GUINT64_FORMAT, u);
      return TRUE;
    case 0x95: /* FRAME: a length hint; the opcodes follow as usual */
      if (!take_uint (pk, in, 8, &u, error))
        return FALSE;
      if (u > in->size - in->at)
        return fail (error, pk, DM_ERROR_CORRUPT, "a frame runs past the end: truncated");
      return TRUE;
    case '.': /* STOP */
      *result = pop (pk, error);
      *done = *result != NULL;
      return *done;
    case '(': /* MARK */
      if (pk->marks->len >= DM_PICKLE_MAX_MARKS)
        return fail (error, pk, DM_ERROR_TOO_LARGE, "more than %u nested MARKs",
                     DM_PICKLE_MAX_MARKS);
      g_array_append_val (pk->marks, pk->stack->len);
      return TRUE;
    case '0': /* POP */ return pop (pk, error) != NULL;
    case '1': /* POP_MARK */
      if (!pop_mark (pk, &start, error))
        return FALSE;
      g_ptr_array_set_size (pk->stack, start);
      return TRUE;
    case '2': /* DUP */
      {
        DmPyValue *top = peek (pk, error);
        return top != NULL && push (pk, top, error);
      }
    case 'N': /* NONE */ return push (pk, new_value (pk, DM_PY_NONE, error), error);
    case 0x88: /* NEWTRUE */
    case 0x89: /* NEWFALSE */
      {
        DmPyValue *v = new_value (pk, DM_PY_BOOL, error);

        if (v != NULL)
          v->i = op == 0x88;
        return push (pk, v, error);
      }
    case 'J': /* BININT: signed 32 bits */
      return take_uint (pk, in, 4, &u, error)
             && push (pk, new_int (pk, (gint32)(guint32)u, error), error);
    case 'K': /* BININT1 */
      return take_uint (pk, in, 1, &u, error) && push (pk, new_int (pk, (gint64)u, error), error);
    case 'M': /* BININT2 */
      return take_uint (pk, in, 2, &u, error) && push (pk, new_int (pk, (gint64)u, error), error);
    case 0x8a: /* LONG1 */ return read_long1 (pk, in, error);
    case 'G': /* BINFLOAT */ return read_float (pk, in, error);
    case 'X': /* BINUNICODE */ return read_string (pk, in, DM_PY_STR, 4, FALSE, error);
    case 0x8c: /* SHORT_BINUNICODE */ return read_string (pk, in, DM_PY_STR, 1, FALSE, error);
    case 0x8d: /* BINUNICODE8 */ return read_string (pk, in, DM_PY_STR, 8, FALSE, error);
    /* Python 2 str: torch reads them as UTF-8 text */
    case 'T': /* BINSTRING */ return read_string (pk, in, DM_PY_STR, 4, TRUE, error);
    case 'U': /* SHORT_BINSTRING */ return read_string (pk, in, DM_PY_STR, 1, FALSE, error);
    case 'B': /* BINBYTES */ return read_string (pk, in, DM_PY_BYTES, 4, FALSE, error);
    case 'C': /* SHORT_BINBYTES */ return read_string (pk, in, DM_PY_BYTES, 1, FALSE, error);
    case 0x8e: /* BINBYTES8 */ return read_string (pk, in, DM_PY_BYTES, 8, FALSE, error);
    case ')': /* EMPTY_TUPLE */ return push (pk, new_value (pk, DM_PY_TUPLE, error), error);
    case 't': /* TUPLE */
      return pop_mark (pk, &start, error)
             && push (pk, collect (pk, DM_PY_TUPLE, start, error), error);
    case 0x85: /* TUPLE1 */ return tuple_of (pk, 1, error);
    case 0x86: /* TUPLE2 */ return tuple_of (pk, 2, error);
    case 0x87: /* TUPLE3 */ return tuple_of (pk, 3, error);
    case ']': /* EMPTY_LIST */ return push (pk, new_value (pk, DM_PY_LIST, error), error);
    case 'l': /* LIST */
      return pop_mark (pk, &start, error)
             && push (pk, collect (pk, DM_PY_LIST, start, error), error);
    case 'a': /* APPEND */ return add_items (pk, DM_PY_LIST, 1, error);
    case 'e': /* APPENDS */ return extend (pk, DM_PY_LIST, error);
    case '}': /* EMPTY_DICT */ return push (pk, new_value (pk, DM_PY_DICT, error), error);
    case 'd': /* DICT */
      return pop_mark (pk, &start, error)
             && push (pk, collect (pk, DM_PY_DICT, start, error), error);
    case 's': /* SETITEM */ return add_items (pk, DM_PY_DICT, 2, error);
    case 'u': /* SETITEMS */ return extend (pk, DM_PY_DICT, error);
    case 'q': /* BINPUT */ return take_uint (pk, in, 1, &u, error) && memo_put (pk, u, error);
    case 'r': /* LONG_BINPUT */ return take_uint (pk, in, 4, &u, error) && memo_put (pk, u, error);
    case 0x94: /* MEMOIZE */ return memo_put (pk, g_hash_table_size (pk->memo), error);
    case 'h': /* BINGET */ return take_uint (pk, in, 1, &u, error) && memo_get (pk, u, error);
    case 'j': /* LONG_BINGET */ return take_uint (pk, in, 4, &u, error) && memo_get (pk, u, error);
    case 'c': /* GLOBAL */ return read_global (pk, in, error);
    case 0x93: /* STACK_GLOBAL */ return stack_global (pk, error);
    case 'R': /* REDUCE */ return reduce (pk, error);
    case 0x81: /* NEWOBJ */ return newobj (pk, error);
    case 'b': /* BUILD */ return build (pk, error);
    case 'Q': /* BINPERSID */ return persistent_load (pk, error);
    default:
      return fail (error, pk, DM_ERROR_UNSUPPORTED, "pickle opcode 0x%02x%s%c%s is not supported",
                   op, g_ascii_isprint (op) ? " ('" : "", g_ascii_isprint (op) ? op : ' ',
                   g_ascii_isprint (op) ? "')" : "");
    }
}

const DmPyValue *
dm_pickle_load (
  DmPickle *pk, const guint8 *data, gsize size, const char *what, gsize *consumed, GError **error)
{
  Input in = { data, size, 0 };
  const DmPyValue *result = NULL;
  gboolean done = FALSE;

  pk->what = what;
  g_clear_pointer (&pk->stack, g_ptr_array_unref);
  g_clear_pointer (&pk->marks, g_array_unref);
  g_clear_pointer (&pk->memo, g_hash_table_unref);
  pk->stack = g_ptr_array_new ();
  pk->marks = g_array_new (FALSE, FALSE, sizeof (guint));
  pk->memo = g_hash_table_new (g_direct_hash, g_direct_equal);
  while (!done)
    if (!step (pk, &in, &done, &result, error))
      return NULL;
  if (consumed != NULL)
    *consumed = in.at;
  return result;
}

guint
dm_pickle_n_storages (const DmPickle *pk)
{
  return pk->storages->len;
}

const DmPyValue *
dm_pickle_storage (const DmPickle *pk, guint i)
{
  g_return_val_if_fail (i < pk->storages->len, NULL);
  return g_ptr_array_index (pk->storages, i);
}

const DmPyValue *
dm_pickle_find_storage (const DmPickle *pk, const char *key)
{
  return g_hash_table_lookup (pk->storage_by_key, key);
}

const char *
dm_pickle_storage_type (DmDtype dtype)
{
  for (guint i = 0; i < G_N_ELEMENTS (known_globals); i++)
    if (known_globals[i].id == DM_PY_GLOBAL_STORAGE_TYPE && known_globals[i].dtype == dtype)
      return known_globals[i].name;
  return NULL;
}

const DmPyValue *
dm_py_dict_get (const DmPyValue *dict, const char *key)
{
  if (dict == NULL || dict->kind != DM_PY_DICT)
    return NULL;
  for (guint i = dict->items->len; i >= 2; i -= 2)
    {
      const DmPyValue *k = g_ptr_array_index (dict->items, i - 2);

      if (k->kind == DM_PY_STR && strcmp (k->str.data, key) == 0)
        return g_ptr_array_index (dict->items, i - 1);
    }
  return NULL;
}
