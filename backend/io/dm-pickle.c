/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The restricted pickle reader; what it reads and refuses is described in
 * dm-pickle.h. Opcode values are those of CPython's Lib/pickle.py. */
#include "dm-pickle-private.h"

#include <string.h>

#include "dm-error.h"

typedef struct
{
  const guint8 *data;
  gsize size;
  gsize at;
} Input;

gboolean
dm_pickle_fail (GError **error, const DmPickle *pk, int code, const char *format, ...)
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

DmPyValue *
dm_pickle_new_value (DmPickle *pk, DmPyKind kind, GError **error)
{
  DmPyValue *v;

  if (pk->values->len >= DM_PICKLE_MAX_VALUES)
    {
      dm_pickle_fail (error, pk, DM_ERROR_TOO_LARGE, "more than %u values: not a state dict",
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
    return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT,
                           "needs %" G_GUINT64_FORMAT " more bytes, %" G_GSIZE_FORMAT
                           " are left: truncated",
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

gboolean
dm_pickle_push (DmPickle *pk, const DmPyValue *v, GError **error)
{
  if (v == NULL)
    return FALSE; /* the maker failed and set the error */
  if (pk->stack->len >= DM_PICKLE_MAX_STACK)
    return dm_pickle_fail (error, pk, DM_ERROR_TOO_LARGE, "more than %u values on the stack",
                           DM_PICKLE_MAX_STACK);
  g_ptr_array_add (pk->stack, (gpointer)v);
  return TRUE;
}

DmPyValue *
dm_pickle_peek (DmPickle *pk, GError **error)
{
  if (pk->stack->len <= floor_of (pk))
    {
      dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "the stack is empty");
      return NULL;
    }
  return g_ptr_array_index (pk->stack, pk->stack->len - 1);
}

DmPyValue *
dm_pickle_pop (DmPickle *pk, GError **error)
{
  DmPyValue *v = dm_pickle_peek (pk, error);

  if (v != NULL)
    g_ptr_array_set_size (pk->stack, pk->stack->len - 1);
  return v;
}

/* Closes the last MARK: the items above it are stack[*start..len). */
static gboolean
pop_mark (DmPickle *pk, guint *start, GError **error)
{
  *start = 0; /* set on every path: callers read it only after TRUE */
  if (pk->marks->len == 0)
    return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "no MARK to close");
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
      dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "a dict of an odd number of keys and values");
      return NULL;
    }
  v = dm_pickle_new_value (pk, kind, error);
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
  DmPyValue *v = dm_pickle_new_value (pk, DM_PY_INT, error);

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
      dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "a string that is not UTF-8");
      return NULL;
    }
  v = dm_pickle_new_value (pk, kind, error);
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
    return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "a negative string length");
  if (len > DM_PICKLE_MAX_STRING)
    return dm_pickle_fail (error, pk, DM_ERROR_TOO_LARGE,
                           "a string of %" G_GUINT64_FORMAT " bytes, above the limit of %u", len,
                           DM_PICKLE_MAX_STRING);
  if (!take (pk, in, len, &p, error))
    return FALSE;
  return dm_pickle_push (pk, new_string (pk, kind, p, len, error), error);
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
    return dm_pickle_push (pk, new_string (pk, DM_PY_LONG, p, n, error), error);
  for (int i = (int)n - 1; i >= 0; i--)
    u = u << 8 | p[i];
  if (n > 0 && n < 8 && (p[n - 1] & 0x80))
    u |= ~G_GUINT64_CONSTANT (0) << (8 * n); /* sign extension */
  return dm_pickle_push (pk, new_int (pk, (gint64)u, error), error);
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
  v = dm_pickle_new_value (pk, DM_PY_FLOAT, error);
  if (v != NULL)
    memcpy (&v->f, &bits, sizeof bits);
  return dm_pickle_push (pk, v, error);
}

/* ---- globals ---- */

/* GLOBAL: "module\nname\n". */
static gboolean
read_global (DmPickle *pk, Input *in, GError **error)
{
  const guint8 *lines[2];
  gsize lens[2];

  for (int l = 0; l < 2; l++)
    {
      const guint8 *start = in->data + in->at;
      const guint8 *nl
        = memchr (start, '\n', MIN (in->size - in->at, (gsize)DM_PICKLE_MAX_GLOBAL_NAME + 1));

      if (nl == NULL)
        return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT,
                               "a GLOBAL name without its end of line");
      lines[l] = start;
      lens[l] = (gsize)(nl - start);
      in->at += lens[l] + 1;
    }
  return dm_pickle_push_global (pk, lines[0], lens[0], lines[1], lens[1], error);
}

static gboolean
stack_global (DmPickle *pk, GError **error)
{
  DmPyValue *name = dm_pickle_pop (pk, error),
            *module = name != NULL ? dm_pickle_pop (pk, error) : NULL;

  if (module == NULL)
    return FALSE;
  if (name->kind != DM_PY_STR || module->kind != DM_PY_STR)
    return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "STACK_GLOBAL of a %s and a %s",
                           dm_py_kind_name (module->kind), dm_py_kind_name (name->kind));
  return dm_pickle_push_global (pk, (const guint8 *)module->str.data, module->str.len,
                                (const guint8 *)name->str.data, name->str.len, error);
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
    return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "%s without a %s before its MARK",
                           kind == DM_PY_LIST ? "APPENDS" : "SETITEMS", dm_py_kind_name (kind));
  target = g_ptr_array_index (pk->stack, start - 1);
  if (target->kind != kind)
    return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "adds items to a %s, not a %s",
                           dm_py_kind_name (target->kind), dm_py_kind_name (kind));
  if (kind == DM_PY_DICT && (pk->stack->len - start) % 2 != 0)
    return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT,
                           "SETITEMS of an odd number of keys and values");
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
    if ((items[i] = dm_pickle_pop (pk, error)) == NULL)
      return FALSE;
  target = dm_pickle_peek (pk, error);
  if (target == NULL)
    return FALSE;
  if (target->kind != kind)
    return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "adds items to a %s, not a %s",
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
    return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "the stack is empty");
  return dm_pickle_push (pk, collect (pk, DM_PY_TUPLE, pk->stack->len - n, error), error);
}

/* ---- the memo ---- */

static gboolean
memo_put (DmPickle *pk, guint64 index, GError **error)
{
  DmPyValue *top = dm_pickle_peek (pk, error);

  if (top == NULL)
    return FALSE;
  if (index > G_MAXUINT32)
    return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "memo index %" G_GUINT64_FORMAT, index);
  if (g_hash_table_size (pk->memo) >= DM_PICKLE_MAX_MEMO
      && !g_hash_table_contains (pk->memo, GUINT_TO_POINTER ((guint)index)))
    return dm_pickle_fail (error, pk, DM_ERROR_TOO_LARGE, "more than %u memo entries",
                           DM_PICKLE_MAX_MEMO);
  g_hash_table_insert (pk->memo, GUINT_TO_POINTER ((guint)index), top);
  return TRUE;
}

static gboolean
memo_get (DmPickle *pk, guint64 index, GError **error)
{
  DmPyValue *v
    = index <= G_MAXUINT32 ? g_hash_table_lookup (pk->memo, GUINT_TO_POINTER ((guint)index)) : NULL;

  if (v == NULL)
    return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT,
                           "memo entry %" G_GUINT64_FORMAT " is not set", index);
  return dm_pickle_push (pk, v, error);
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
        return dm_pickle_fail (error, pk, DM_ERROR_UNSUPPORTED,
                               "pickle protocol %" G_GUINT64_FORMAT, u);
      return TRUE;
    case 0x95: /* FRAME: a length hint; the opcodes follow as usual */
      if (!take_uint (pk, in, 8, &u, error))
        return FALSE;
      if (u > in->size - in->at)
        return dm_pickle_fail (error, pk, DM_ERROR_CORRUPT, "a frame runs past the end: truncated");
      return TRUE;
    case '.': /* STOP */
      *result = dm_pickle_pop (pk, error);
      *done = *result != NULL;
      return *done;
    case '(': /* MARK */
      if (pk->marks->len >= DM_PICKLE_MAX_MARKS)
        return dm_pickle_fail (error, pk, DM_ERROR_TOO_LARGE, "more than %u nested MARKs",
                               DM_PICKLE_MAX_MARKS);
      g_array_append_val (pk->marks, pk->stack->len);
      return TRUE;
    case '0': /* POP */ return dm_pickle_pop (pk, error) != NULL;
    case '1': /* POP_MARK */
      if (!pop_mark (pk, &start, error))
        return FALSE;
      g_ptr_array_set_size (pk->stack, start);
      return TRUE;
    case '2': /* DUP */
      {
        DmPyValue *top = dm_pickle_peek (pk, error);
        return top != NULL && dm_pickle_push (pk, top, error);
      }
    case 'N': /* NONE */
      return dm_pickle_push (pk, dm_pickle_new_value (pk, DM_PY_NONE, error), error);
    case 0x88: /* NEWTRUE */
    case 0x89: /* NEWFALSE */
      {
        DmPyValue *v = dm_pickle_new_value (pk, DM_PY_BOOL, error);

        if (v != NULL)
          v->i = op == 0x88;
        return dm_pickle_push (pk, v, error);
      }
    case 'J': /* BININT: signed 32 bits */
      return take_uint (pk, in, 4, &u, error)
             && dm_pickle_push (pk, new_int (pk, (gint32)(guint32)u, error), error);
    case 'K': /* BININT1 */
      return take_uint (pk, in, 1, &u, error)
             && dm_pickle_push (pk, new_int (pk, (gint64)u, error), error);
    case 'M': /* BININT2 */
      return take_uint (pk, in, 2, &u, error)
             && dm_pickle_push (pk, new_int (pk, (gint64)u, error), error);
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
    case ')': /* EMPTY_TUPLE */
      return dm_pickle_push (pk, dm_pickle_new_value (pk, DM_PY_TUPLE, error), error);
    case 't': /* TUPLE */
      return pop_mark (pk, &start, error)
             && dm_pickle_push (pk, collect (pk, DM_PY_TUPLE, start, error), error);
    case 0x85: /* TUPLE1 */ return tuple_of (pk, 1, error);
    case 0x86: /* TUPLE2 */ return tuple_of (pk, 2, error);
    case 0x87: /* TUPLE3 */ return tuple_of (pk, 3, error);
    case ']': /* EMPTY_LIST */
      return dm_pickle_push (pk, dm_pickle_new_value (pk, DM_PY_LIST, error), error);
    case 'l': /* LIST */
      return pop_mark (pk, &start, error)
             && dm_pickle_push (pk, collect (pk, DM_PY_LIST, start, error), error);
    case 'a': /* APPEND */ return add_items (pk, DM_PY_LIST, 1, error);
    case 'e': /* APPENDS */ return extend (pk, DM_PY_LIST, error);
    case '}': /* EMPTY_DICT */
      return dm_pickle_push (pk, dm_pickle_new_value (pk, DM_PY_DICT, error), error);
    case 'd': /* DICT */
      return pop_mark (pk, &start, error)
             && dm_pickle_push (pk, collect (pk, DM_PY_DICT, start, error), error);
    case 's': /* SETITEM */ return add_items (pk, DM_PY_DICT, 2, error);
    case 'u': /* SETITEMS */ return extend (pk, DM_PY_DICT, error);
    case 'q': /* BINPUT */ return take_uint (pk, in, 1, &u, error) && memo_put (pk, u, error);
    case 'r': /* LONG_BINPUT */ return take_uint (pk, in, 4, &u, error) && memo_put (pk, u, error);
    case 0x94: /* MEMOIZE */ return memo_put (pk, g_hash_table_size (pk->memo), error);
    case 'h': /* BINGET */ return take_uint (pk, in, 1, &u, error) && memo_get (pk, u, error);
    case 'j': /* LONG_BINGET */ return take_uint (pk, in, 4, &u, error) && memo_get (pk, u, error);
    case 'c': /* GLOBAL */ return read_global (pk, in, error);
    case 0x93: /* STACK_GLOBAL */ return stack_global (pk, error);
    case 'R': /* REDUCE */ return dm_pickle_reduce (pk, error);
    case 0x81: /* NEWOBJ */ return dm_pickle_newobj (pk, error);
    case 'b': /* BUILD */ return dm_pickle_build (pk, error);
    case 'Q': /* BINPERSID */ return dm_pickle_persistent_load (pk, error);
    default:
      return dm_pickle_fail (error, pk, DM_ERROR_UNSUPPORTED,
                             "pickle opcode 0x%02x%s%c%s is not supported", op,
                             g_ascii_isprint (op) ? " ('" : "", g_ascii_isprint (op) ? op : ' ',
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
