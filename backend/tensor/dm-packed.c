/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A set of packed weight matrices, keyed by the address of the original. */
#include "dm-packed.h"

#include "dm-arena.h"
#include "dm-error.h"

typedef struct
{
  dnnl_memory_desc_t md; /* the layout it was packed into */
  float *data;           /* aligned, owned */
} Packed;

struct _DmPackedWeights
{
  GHashTable *by_address; /* const float * -> Packed * (owned) */
  gsize bytes;
};

static void
packed_free (gpointer data)
{
  Packed *p = data;

  dm_aligned_free (p->data);
  g_free (p);
}

DmPackedWeights *
dm_packed_weights_new (void)
{
  DmPackedWeights *set = g_new0 (DmPackedWeights, 1);

  set->by_address = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, packed_free);
  return set;
}

void
dm_packed_weights_free (DmPackedWeights *set)
{
  if (set == NULL)
    return;
  g_hash_table_unref (set->by_address);
  g_free (set);
}

gsize
dm_packed_weights_get_bytes (const DmPackedWeights *set)
{
  return set->bytes;
}

/* dst (layout md) = weight read as the (K, N) matrix with strides (1, K),
 * by a oneDNN reorder made for the occasion (once per matrix). */
static gboolean
pack (DmEngine *engine,
      float *dst,
      const float *weight,
      int K,
      int N,
      const dnnl_memory_desc_t *md,
      GError **error)
{
  dnnl_engine_t dnnl = dm_engine_get_dnnl (engine);
  dnnl_memory_desc_t plain;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_t reorder = NULL;
  dnnl_memory_t from = NULL, to = NULL;
  dnnl_stream_t stream = NULL;
  dnnl_exec_arg_t args[2];
  gboolean ok;

  dm_md_f32_strided (&plain, 2, (dnnl_dim_t[]){ K, N }, (dnnl_dim_t[]){ 1, K });
  ok = dm_dnnl_check (dnnl_reorder_primitive_desc_create (&pd, &plain, dnnl, md, dnnl, NULL),
                      "packing weights", error)
       && dm_dnnl_check (dnnl_primitive_create (&reorder, pd), "packing weights", error)
       && dm_dnnl_check (dnnl_memory_create (&from, &plain, dnnl, (void *)weight),
                         "packing weights", error)
       && dm_dnnl_check (dnnl_memory_create (&to, md, dnnl, dst), "packing weights", error)
       && dm_dnnl_check (dnnl_stream_create (&stream, dnnl, dnnl_stream_default_flags),
                         "packing weights", error);
  if (ok)
    {
      args[0] = (dnnl_exec_arg_t){ DNNL_ARG_FROM, from };
      args[1] = (dnnl_exec_arg_t){ DNNL_ARG_TO, to };
      ok = dm_dnnl_check (dnnl_primitive_execute (reorder, stream, 2, args), "packing weights",
                          error)
           && dm_dnnl_check (dnnl_stream_wait (stream), "packing weights", error);
    }
  if (stream != NULL)
    dnnl_stream_destroy (stream);
  if (to != NULL)
    dnnl_memory_destroy (to);
  if (from != NULL)
    dnnl_memory_destroy (from);
  if (reorder != NULL)
    dnnl_primitive_destroy (reorder);
  if (pd != NULL)
    dnnl_primitive_desc_destroy (pd);
  return ok;
}

const float *
dm_packed_weights_lookup (DmPackedWeights *set,
                          DmEngine *engine,
                          const float *weight,
                          int K,
                          int N,
                          const dnnl_memory_desc_t *md,
                          GError **error)
{
  Packed *p = g_hash_table_lookup (set->by_address, weight);
  gsize size = dnnl_memory_desc_get_size (md);

  if (p != NULL && dnnl_memory_desc_equal (&p->md, md))
    return p->data;
  if (p == NULL)
    {
      p = g_new0 (Packed, 1);
      g_hash_table_insert (set->by_address, (gpointer)weight, p);
    }
  else
    {
      /* another layout asked for: repack (never seen: the blocked layout
       * depends on K and N only) */
      set->bytes -= dnnl_memory_desc_get_size (&p->md);
      g_clear_pointer (&p->data, dm_aligned_free);
    }
  p->md = *md;
  p->data = dm_aligned_alloc (size, error);
  if (p->data == NULL)
    {
      g_hash_table_remove (set->by_address, weight);
      return NULL;
    }
  if (!pack (engine, p->data, weight, K, N, md, error))
    {
      g_hash_table_remove (set->by_address, weight);
      return NULL;
    }
  set->bytes += size;
  return p->data;
}
