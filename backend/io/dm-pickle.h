/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A restricted reader of the Python pickles inside PyTorch files: it
 * interprets the opcodes of protocols 2 to 5 that a saved state dict or
 * checkpoint uses and builds plain values from them. It never runs code:
 * a pickle names Python callables ("globals") and asks for them to be
 * called (REDUCE, NEWOBJ); only these few are known, as data, not code:
 *
 *   collections.OrderedDict()                   an empty dict
 *   torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
 *       requires_grad, backward_hooks[, metadata])    a tensor (a view of a
 *   torch._utils._rebuild_tensor(storage, offset, size, stride)  storage)
 *   torch._utils._rebuild_parameter(tensor, requires_grad, hooks[, state])
 *   torch._utils._rebuild_parameter_with_state(...)  the tensor
 *   torch.FloatStorage, HalfStorage, BFloat16Storage, DoubleStorage,
 *     LongStorage, IntStorage, ShortStorage, CharStorage, ByteStorage,
 *     BoolStorage                                  storage types (dtypes)
 *   argparse.Namespace (through NEWOBJ + BUILD)    an opaque object
 *
 * Every other global is refused by name before anything else happens.
 * Storages come from persistent ids, torch's tuples
 *   ("storage", storage type, key, location, numel[, view metadata None])
 * and are only described here (key, dtype, element count): finding their
 * bytes is the caller's business (dm-pth.c).
 *
 * Opcodes read: PROTO, FRAME, STOP, MARK, POP, POP_MARK, DUP, NONE,
 * NEWTRUE, NEWFALSE, BININT, BININT1, BININT2, LONG1, BINFLOAT,
 * BINUNICODE, SHORT_BINUNICODE, BINUNICODE8, BINSTRING, SHORT_BINSTRING,
 * BINBYTES, SHORT_BINBYTES, BINBYTES8, EMPTY_TUPLE, TUPLE, TUPLE1-3,
 * EMPTY_LIST, LIST, APPEND, APPENDS, EMPTY_DICT, DICT, SETITEM, SETITEMS,
 * BINPUT, LONG_BINPUT, MEMOIZE, BINGET, LONG_BINGET, GLOBAL, STACK_GLOBAL,
 * REDUCE, NEWOBJ, BUILD, BINPERSID. Any other is refused by name and
 * offset. Limits: values, memo entries, stack and mark depth, string
 * lengths, tensor rank (DM_PICKLE_MAX_RANK); all arithmetic is checked.
 *
 * Values are owned by the DmPickle that made them and live as long as it:
 * nothing is freed while a pickle runs, so a memo or a self-referencing
 * list can never point at freed memory, and no function here recurses over
 * values. */
#pragma once

#include <glib.h>

#include "dm-dtype.h"

G_BEGIN_DECLS

#define DM_PICKLE_MAX_RANK 8
#define DM_PICKLE_MAX_VALUES (1u << 20)  /* values made by one DmPickle */
#define DM_PICKLE_MAX_MEMO (1u << 21)    /* memo entries of one pickle */
#define DM_PICKLE_MAX_STACK (1u << 22)   /* stack items */
#define DM_PICKLE_MAX_MARKS (1u << 16)   /* open MARKs (container nesting) */
#define DM_PICKLE_MAX_STRING (16u << 20) /* bytes of one string */
#define DM_PICKLE_MAX_STORAGES (1u << 20)

typedef enum
{
  DM_PY_NONE,
  DM_PY_BOOL,
  DM_PY_INT,  /* fits in 64 bits */
  DM_PY_LONG, /* a larger integer: its little-endian two's complement bytes */
  DM_PY_FLOAT,
  DM_PY_STR, /* UTF-8, NUL-terminated */
  DM_PY_BYTES,
  DM_PY_TUPLE,
  DM_PY_LIST,
  DM_PY_DICT,   /* items: key, value, key, value... in insertion order */
  DM_PY_GLOBAL, /* one of the known globals, not called yet */
  DM_PY_OBJECT, /* an argparse.Namespace: contents dropped */
  DM_PY_STORAGE,
  DM_PY_TENSOR,
} DmPyKind;

typedef enum
{
  DM_PY_GLOBAL_ORDERED_DICT,
  DM_PY_GLOBAL_REBUILD_TENSOR,
  DM_PY_GLOBAL_REBUILD_TENSOR_V2,
  DM_PY_GLOBAL_REBUILD_PARAMETER,
  DM_PY_GLOBAL_REBUILD_PARAMETER_WITH_STATE,
  DM_PY_GLOBAL_NAMESPACE,
  DM_PY_GLOBAL_STORAGE_TYPE,
} DmPyGlobal;

typedef struct _DmPyValue DmPyValue;

/* A view of a storage: element (i0, i1, ...) is storage element
 * offset + i0 * stride[0] + i1 * stride[1] + ... (not checked here against
 * the storage's size: the caller names the tensor when it does). */
typedef struct
{
  const DmPyValue *storage;
  guint64 offset; /* in elements */
  int rank;
  gint64 shape[DM_PICKLE_MAX_RANK];
  gint64 stride[DM_PICKLE_MAX_RANK]; /* in elements, >= 0 */
} DmPyTensor;

struct _DmPyValue
{
  DmPyKind kind;
  union
  {
    gint64 i; /* BOOL (0, 1), INT */
    double f; /* FLOAT */
    struct
    {
      char *data; /* STR, BYTES, LONG; NUL-terminated */
      gsize len;
    } str;
    GPtrArray *items; /* TUPLE, LIST, DICT: DmPyValue* */
    struct
    {
      DmPyGlobal id;
      DmDtype dtype; /* STORAGE_TYPE */
    } global;
    struct
    {
      char *key; /* the storage's name in the file ("0", "1", ...) */
      DmDtype dtype;
      guint64 numel; /* elements of dtype */
    } storage;
    DmPyTensor *tensor; /* TENSOR, owned */
  };
};

typedef struct _DmPickle DmPickle;

/* `name` names the file in messages. */
DmPickle *dm_pickle_new (const char *name);
void dm_pickle_free (DmPickle *pickle);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmPickle, dm_pickle_free)

/* Reads one pickle from the size bytes at data, up to its STOP; `what`
 * names it in messages ("data.pkl"). *consumed (may be NULL): its length,
 * for the next pickle of a legacy file. The value belongs to the
 * DmPickle. */
const DmPyValue *dm_pickle_load (DmPickle *pickle,
                                 const guint8 *data,
                                 gsize size,
                                 const char *what,
                                 gsize *consumed,
                                 GError **error);

/* The storages that persistent ids named, in the order first met. */
guint dm_pickle_n_storages (const DmPickle *pickle);
const DmPyValue *dm_pickle_storage (const DmPickle *pickle, guint i);
/* NULL when no persistent id named key. */
const DmPyValue *dm_pickle_find_storage (const DmPickle *pickle, const char *key);

/* "FloatStorage", "HalfStorage", ... for a dtype, NULL when PyTorch has
 * none (U16, U32, U64, F8): the writer's side of the table above. */
const char *dm_pickle_storage_type (DmDtype dtype);

/* A dict's value for a string key (the last one set), or NULL. */
const DmPyValue *dm_py_dict_get (const DmPyValue *dict, const char *key);
/* "dict", "tensor", ... for messages. */
const char *dm_py_kind_name (DmPyKind kind);

G_END_DECLS
