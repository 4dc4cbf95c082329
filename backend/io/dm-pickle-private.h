/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared by the two halves of the pickle reader: the loop over opcodes
 * (dm-pickle.c) and what the torch globals mean (dm-pickle-torch.c). */
#pragma once

#include "dm-pickle.h"

G_BEGIN_DECLS

#define DM_PICKLE_MAX_GLOBAL_NAME 256 /* bytes of a global's module or name */

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

/* "NAME: WHAT, byte N: message"; returns FALSE. */
gboolean G_GNUC_PRINTF (4, 5)
  dm_pickle_fail (GError **error, const DmPickle *pk, int code, const char *format, ...);
/* A value owned by pk (NULL with an error past DM_PICKLE_MAX_VALUES). */
DmPyValue *dm_pickle_new_value (DmPickle *pk, DmPyKind kind, GError **error);

/* The stack: push fails on a NULL value (its maker set the error) and past
 * DM_PICKLE_MAX_STACK; pop and peek reach no item below the last MARK. */
gboolean dm_pickle_push (DmPickle *pk, const DmPyValue *v, GError **error);
DmPyValue *dm_pickle_pop (DmPickle *pk, GError **error);
DmPyValue *dm_pickle_peek (DmPickle *pk, GError **error);

/* Pushes the known global module.name, or refuses it by name. */
gboolean dm_pickle_push_global (DmPickle *pk,
                                const guint8 *module,
                                gsize module_len,
                                const guint8 *name,
                                gsize name_len,
                                GError **error);
/* The opcodes that call or build with a global: REDUCE, NEWOBJ, BUILD,
 * and BINPERSID (torch's storages). */
gboolean dm_pickle_reduce (DmPickle *pk, GError **error);
gboolean dm_pickle_newobj (DmPickle *pk, GError **error);
gboolean dm_pickle_build (DmPickle *pk, GError **error);
gboolean dm_pickle_persistent_load (DmPickle *pk, GError **error);

G_END_DECLS
