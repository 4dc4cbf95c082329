/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The oneDNN engine, stream, thread count and primitive cache. */
#include "dm-engine.h"

#include <omp.h>
#include <string.h>
#include <time.h>

#include "dm-arena.h"
#include "dm-error.h"

struct _DmEngine
{
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  GHashTable *cache; /* key (owned) -> DmPrimitive* (owned) */
  int n_threads;
  void *scratchpad; /* shared by all primitives, aligned, owned */
  gsize scratchpad_size;
  dnnl_memory_t scratchpad_memory;
  GHashTable *workspaces;  /* key (owned) -> DmWorkspace* (owned) */
  GHashTable *profile;     /* name (owned) -> DmProfileEntry* (owned); NULL: off */
  GArray *profile_sorted;  /* DmProfileEntry, what dm_engine_get_profile returned */
  double profile_cpu0;     /* process CPU seconds at the last stamp */
  DmPackedWeights *packed; /* borrowed, or NULL */
  DmPrecision precision;
};

typedef struct
{
  void *data; /* aligned, owned */
  gsize size; /* bytes */
} DmWorkspace;

static void
workspace_free (gpointer data)
{
  DmWorkspace *w = data;

  dm_aligned_free (w->data);
  g_free (w);
}

gboolean
dm_dnnl_check (dnnl_status_t status, const char *what, GError **error)
{
  const char *reason;

  if (status == dnnl_success)
    return TRUE;
  switch (status)
    {
    case dnnl_out_of_memory: reason = "out of memory"; break;
    case dnnl_invalid_arguments: reason = "invalid arguments"; break;
    case dnnl_unimplemented: reason = "no implementation for these shapes or types"; break;
    case dnnl_runtime_error: reason = "runtime error"; break;
    default: reason = "failure"; break;
    }
  g_set_error (error, DM_ERROR,
               status == dnnl_out_of_memory ? DM_ERROR_NO_MEMORY : DM_ERROR_BACKEND,
               "oneDNN %s: %s (status %d)", what, reason, (int)status);
  return FALSE;
}

static void
primitive_free (gpointer data)
{
  DmPrimitive *p = data;

  for (int i = 0; i < p->n_args; i++)
    dnnl_memory_destroy (p->memories[i]);
  dnnl_primitive_destroy (p->primitive);
  dnnl_primitive_desc_destroy (p->pd);
  dm_aligned_free (p->aux);
  g_free (p->key);
  g_free (p);
}

void *
dm_primitive_get_aux (DmPrimitive *p, gsize n_bytes, GError **error)
{
  void *buffer;

  if (p->aux != NULL && n_bytes <= p->aux_size)
    return p->aux;
  buffer = dm_aligned_alloc (MAX (n_bytes, 1), error);
  if (buffer == NULL)
    return NULL;
  memset (buffer, 0, MAX (n_bytes, 1));
  dm_aligned_free (p->aux);
  p->aux = buffer;
  p->aux_size = n_bytes;
  return buffer;
}

DmEngine *
dm_engine_new (int n_threads, GError **error)
{
  g_autoptr (DmEngine) self = g_new0 (DmEngine, 1);

  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, primitive_free);
  self->workspaces = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, workspace_free);
  if (!dm_dnnl_check (dnnl_engine_create (&self->engine, dnnl_cpu, 0), "engine", error))
    return NULL;
  if (!dm_dnnl_check (dnnl_stream_create (&self->stream, self->engine, dnnl_stream_default_flags),
                      "stream", error))
    return NULL;
  dm_engine_set_n_threads (self, n_threads);
  dm_engine_set_precision (self, g_strcmp0 (g_getenv ("DINOMALY_PRECISION"), "f32") == 0
                                   ? DM_PRECISION_F32
                                   : DM_PRECISION_BF16);
  return g_steal_pointer (&self);
}

void
dm_engine_free (DmEngine *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->cache, g_hash_table_unref);
  g_clear_pointer (&self->workspaces, g_hash_table_unref);
  g_clear_pointer (&self->profile, g_hash_table_unref);
  g_clear_pointer (&self->profile_sorted, g_array_unref);
  if (self->scratchpad_memory)
    dnnl_memory_destroy (self->scratchpad_memory);
  dm_aligned_free (self->scratchpad);
  if (self->stream)
    dnnl_stream_destroy (self->stream);
  if (self->engine)
    dnnl_engine_destroy (self->engine);
  g_free (self);
}

int
dm_engine_get_n_threads (DmEngine *self)
{
  return self->n_threads;
}

void
dm_engine_set_n_threads (DmEngine *self, int n_threads)
{
  /* oneDNN is built on OpenMP here: its parallel regions use the calling
   * thread's OpenMP setting, so this takes effect for this thread. */
  if (n_threads <= 0)
    n_threads = omp_get_num_procs ();
  self->n_threads = n_threads;
  omp_set_num_threads (n_threads);
}

dnnl_engine_t
dm_engine_get_dnnl (DmEngine *self)
{
  return self->engine;
}

const char *
dm_engine_isa_name (void)
{
  switch (dnnl_get_effective_cpu_isa ())
    {
    case dnnl_cpu_isa_sse41: return "SSE4.1";
    case dnnl_cpu_isa_avx: return "AVX";
    case dnnl_cpu_isa_avx2: return "AVX2";
    case dnnl_cpu_isa_avx2_vnni: return "AVX2 VNNI";
    case dnnl_cpu_isa_avx512_mic:
    case dnnl_cpu_isa_avx512_mic_4ops: return "AVX-512 (Xeon Phi)";
    case dnnl_cpu_isa_avx512_core: return "AVX-512";
    case dnnl_cpu_isa_avx512_core_vnni: return "AVX-512 VNNI";
    case dnnl_cpu_isa_avx512_core_bf16: return "AVX-512 BF16";
    case dnnl_cpu_isa_avx512_core_amx: return "AVX-512 + AMX";
    case dnnl_cpu_isa_all:
    default: return "unknown";
    }
}

gboolean
dm_engine_cpu_has_bf16 (char **reason)
{
  dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa ();

  /* the ISA values are bit sets that include the lower ones */
  if (((unsigned)isa & (unsigned)dnnl_cpu_isa_avx512_core_bf16)
      == (unsigned)dnnl_cpu_isa_avx512_core_bf16)
    return TRUE;
  if (reason != NULL)
    *reason = g_strdup_printf ("no native bf16 on this CPU (oneDNN's ISA is %s: neither "
                               "AVX512_BF16 nor AMX); bf16 would only be emulated",
                               dm_engine_isa_name ());
  return FALSE;
}

DmPrecision
dm_engine_set_precision (DmEngine *self, DmPrecision precision)
{
  if (precision == DM_PRECISION_BF16 && !dm_engine_cpu_has_bf16 (NULL))
    precision = DM_PRECISION_F32;
  self->precision = precision;
  return precision;
}

DmPrecision
dm_engine_get_precision (DmEngine *self)
{
  return self->precision;
}

const char *
dm_precision_name (DmPrecision precision)
{
  return precision == DM_PRECISION_BF16 ? "bf16" : "f32";
}

void
dm_engine_set_packed_weights (DmEngine *self, DmPackedWeights *set)
{
  self->packed = set;
}

DmPackedWeights *
dm_engine_get_packed_weights (DmEngine *self)
{
  return self->packed;
}

guint
dm_engine_get_n_primitives (DmEngine *self)
{
  return g_hash_table_size (self->cache);
}

DmPrimitive *
dm_engine_lookup (DmEngine *self, const char *key)
{
  return g_hash_table_lookup (self->cache, key);
}

dnnl_primitive_attr_t
dm_engine_new_attr (dnnl_post_ops_t post_ops)
{
  dnnl_primitive_attr_t attr = NULL;

  dnnl_primitive_attr_create (&attr);
  dnnl_primitive_attr_set_scratchpad_mode (attr, dnnl_scratchpad_mode_user);
  if (post_ops != NULL)
    dnnl_primitive_attr_set_post_ops (attr, post_ops);
  return attr;
}

static gboolean
ensure_scratchpad (DmEngine *self, const dnnl_memory_desc_t *md, GError **error)
{
  gsize size = dnnl_memory_desc_get_size (md);

  if (size <= self->scratchpad_size && self->scratchpad_memory != NULL)
    return TRUE;
  if (size > self->scratchpad_size)
    {
      void *buffer = dm_aligned_alloc (size, error);

      if (buffer == NULL)
        return FALSE;
      dm_aligned_free (self->scratchpad);
      self->scratchpad = buffer;
      self->scratchpad_size = size;
    }
  if (self->scratchpad_memory != NULL)
    dnnl_memory_destroy (self->scratchpad_memory);
  self->scratchpad_memory = NULL;
  {
    /* A 1-D u8 descriptor over the whole buffer: every primitive's own
     * scratchpad descriptor is smaller, and oneDNN only reads the pointer. */
    dnnl_memory_desc_t whole;
    dnnl_dims_t dims = { (dnnl_dim_t)self->scratchpad_size };

    dnnl_memory_desc_init_by_tag (&whole, 1, dims, dnnl_u8, dnnl_a);
    return dm_dnnl_check (
      dnnl_memory_create (&self->scratchpad_memory, &whole, self->engine, self->scratchpad),
      "scratchpad", error);
  }
}

DmPrimitive *
dm_engine_create_from_pd (DmEngine *self,
                          const char *key,
                          dnnl_primitive_desc_t pd,
                          const int *arg_ids,
                          int n_args,
                          GError **error)
{
  DmPrimitive *p;
  const dnnl_memory_desc_t *scratch_md;

  g_return_val_if_fail (n_args <= DM_PRIMITIVE_MAX_ARGS, NULL);

  p = g_new0 (DmPrimitive, 1);
  p->pd = pd;
  p->key = g_strdup (key);
  p->n_args = 0;
  if (!dm_dnnl_check (dnnl_primitive_create (&p->primitive, pd), key, error))
    {
      p->primitive = NULL;
      dnnl_primitive_desc_destroy (pd);
      g_free (p->key);
      g_free (p);
      return NULL;
    }
  for (int i = 0; i < n_args; i++)
    {
      const dnnl_memory_desc_t *md
        = dnnl_primitive_desc_query_md (pd, dnnl_query_exec_arg_md, arg_ids[i]);

      if (md == NULL
          || !dm_dnnl_check (
            dnnl_memory_create (&p->memories[i], md, self->engine, DNNL_MEMORY_NONE), key, error))
        {
          if (md == NULL)
            g_set_error (error, DM_ERROR, DM_ERROR_BACKEND, "oneDNN %s: argument %d unknown", key,
                         arg_ids[i]);
          primitive_free (p);
          return NULL;
        }
      p->arg_ids[i] = arg_ids[i];
      p->exec_args[i].arg = arg_ids[i];
      p->exec_args[i].memory = p->memories[i];
      p->n_args++;
    }

  scratch_md = dnnl_primitive_desc_query_md (pd, dnnl_query_scratchpad_md, 0);
  if (scratch_md != NULL && dnnl_memory_desc_get_size (scratch_md) > 0)
    {
      if (!ensure_scratchpad (self, scratch_md, error))
        {
          primitive_free (p);
          return NULL;
        }
    }
  g_hash_table_insert (self->cache, g_strdup (key), p);
  return p;
}

/* The first implementation oneDNN offers whose name contains prefer, else
 * its first (its own choice). */
static dnnl_status_t
create_pd (dnnl_primitive_desc_t *pd,
           const_dnnl_op_desc_t op_desc,
           const_dnnl_primitive_attr_t attr,
           dnnl_engine_t engine,
           const_dnnl_primitive_desc_t hint,
           const char *prefer)
{
  dnnl_primitive_desc_iterator_t it = NULL;
  dnnl_status_t status;

  if (prefer == NULL)
    return dnnl_primitive_desc_create (pd, op_desc, attr, engine, hint);
  status = dnnl_primitive_desc_iterator_create (&it, op_desc, attr, engine, hint);
  if (status != dnnl_success)
    return status;
  *pd = NULL;
  do
    {
      dnnl_primitive_desc_t candidate = dnnl_primitive_desc_iterator_fetch (it);
      const char *impl = NULL;

      if (candidate == NULL)
        break;
      dnnl_primitive_desc_query (candidate, dnnl_query_impl_info_str, 0, &impl);
      if (impl != NULL && strstr (impl, prefer) != NULL)
        {
          *pd = candidate;
          break;
        }
      dnnl_primitive_desc_destroy (candidate);
    }
  while (dnnl_primitive_desc_iterator_next (it) == dnnl_success);
  dnnl_primitive_desc_iterator_destroy (it);
  if (*pd != NULL)
    return dnnl_success;
  return dnnl_primitive_desc_create (pd, op_desc, attr, engine, hint);
}

DmPrimitive *
dm_engine_create_prefer (DmEngine *self,
                         const char *key,
                         const_dnnl_op_desc_t op_desc,
                         const_dnnl_primitive_attr_t attr,
                         const_dnnl_primitive_desc_t hint,
                         const char *prefer,
                         const int *arg_ids,
                         int n_args,
                         GError **error)
{
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_attr_t own_attr = NULL;
  dnnl_status_t status;

  if (attr == NULL)
    attr = own_attr = dm_engine_new_attr (NULL);
  status = create_pd (&pd, op_desc, attr, self->engine, hint, prefer);
  if (own_attr)
    dnnl_primitive_attr_destroy (own_attr);
  if (!dm_dnnl_check (status, key, error))
    return NULL;
  return dm_engine_create_from_pd (self, key, pd, arg_ids, n_args, error);
}

DmPrimitive *
dm_engine_create (DmEngine *self,
                  const char *key,
                  const_dnnl_op_desc_t op_desc,
                  const_dnnl_primitive_attr_t attr,
                  const_dnnl_primitive_desc_t hint,
                  const int *arg_ids,
                  int n_args,
                  GError **error)
{
  return dm_engine_create_prefer (self, key, op_desc, attr, hint, NULL, arg_ids, n_args, error);
}

gboolean
dm_primitive_set_arg_md (
  DmEngine *self, DmPrimitive *p, int slot, const dnnl_memory_desc_t *md, GError **error)
{
  dnnl_memory_t memory;

  g_return_val_if_fail (slot >= 0 && slot < p->n_args, FALSE);
  if (!dm_dnnl_check (dnnl_memory_create (&memory, md, self->engine, DNNL_MEMORY_NONE),
                      "argument descriptor", error))
    return FALSE;
  dnnl_memory_destroy (p->memories[slot]);
  p->memories[slot] = memory;
  p->exec_args[slot].memory = memory;
  return TRUE;
}

static double
process_cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void
dm_engine_set_profiling (DmEngine *self, gboolean profiling)
{
  if (profiling && self->profile == NULL)
    self->profile = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  else if (!profiling)
    g_clear_pointer (&self->profile, g_hash_table_unref);
}

void
dm_engine_reset_profile (DmEngine *self)
{
  if (self->profile != NULL)
    g_hash_table_remove_all (self->profile);
}

gint64
dm_engine_profile_begin (DmEngine *self)
{
  if (self->profile == NULL)
    return 0;
  self->profile_cpu0 = process_cpu_seconds ();
  return g_get_monotonic_time ();
}

static void
profile_add (DmEngine *self, const char *name, gsize name_len, gint64 stamp, double flop)
{
  char key[DM_KEY_MAX];
  DmProfileEntry *e;

  name_len = MIN (name_len, sizeof key - 1);
  memcpy (key, name, name_len);
  key[name_len] = '\0';
  e = g_hash_table_lookup (self->profile, key);
  if (e == NULL)
    {
      char *owned = g_strdup (key);

      e = g_new0 (DmProfileEntry, 1);
      e->name = owned;
      g_hash_table_insert (self->profile, owned, e);
    }
  e->calls++;
  e->wall_s += (double)(g_get_monotonic_time () - stamp) * 1e-6;
  e->cpu_s += process_cpu_seconds () - self->profile_cpu0;
  e->flop += flop;
}

void
dm_engine_profile_end (DmEngine *self, const char *name, gint64 stamp)
{
  if (self->profile != NULL && stamp != 0)
    profile_add (self, name, strlen (name), stamp, 0.0);
}

static int
compare_wall (gconstpointer a, gconstpointer b)
{
  double x = ((const DmProfileEntry *)a)->wall_s, y = ((const DmProfileEntry *)b)->wall_s;

  return (x < y) - (x > y);
}

const DmProfileEntry *
dm_engine_get_profile (DmEngine *self, guint *n)
{
  GHashTableIter iter;
  gpointer value;

  if (self->profile_sorted == NULL)
    self->profile_sorted = g_array_new (FALSE, FALSE, sizeof (DmProfileEntry));
  g_array_set_size (self->profile_sorted, 0);
  if (self->profile != NULL)
    {
      g_hash_table_iter_init (&iter, self->profile);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_array_append_vals (self->profile_sorted, value, 1);
    }
  g_array_sort (self->profile_sorted, compare_wall);
  *n = self->profile_sorted->len;
  return (const DmProfileEntry *)(void *)self->profile_sorted->data;
}

char *
dm_engine_format_profile (DmEngine *self, double per)
{
  guint n;
  const DmProfileEntry *e = dm_engine_get_profile (self, &n);
  GString *s = g_string_new (NULL);
  double total = 0, total_cpu = 0;

  for (guint i = 0; i < n; i++)
    {
      total += e[i].wall_s;
      total_cpu += e[i].cpu_s;
    }
  g_string_append_printf (s, "%-34s %7s %9s %6s %9s %8s\n", "op", "calls", "wall ms", "share",
                          "CPU ms", "GFLOP/s");
  for (guint i = 0; i < n; i++)
    {
      g_string_append_printf (s, "%-34s %7.0f %9.2f %5.1f%% %9.2f", e[i].name,
                              (double)e[i].calls / per, 1e3 * e[i].wall_s / per,
                              100.0 * e[i].wall_s / MAX (total, 1e-12), 1e3 * e[i].cpu_s / per);
      if (e[i].flop > 0)
        g_string_append_printf (s, " %8.1f", e[i].flop / e[i].wall_s * 1e-9);
      g_string_append_c (s, '\n');
    }
  g_string_append_printf (s, "%-34s %7s %9.2f %5.1f%% %9.2f\n", "all", "", 1e3 * total / per, 100.0,
                          1e3 * total_cpu / per);
  return g_string_free (s, FALSE);
}

gboolean
dm_engine_execute (DmEngine *self, DmPrimitive *p, void *const *buffers, GError **error)
{
  int n = p->n_args;
  gint64 stamp = dm_engine_profile_begin (self);
  gboolean ok;

  for (int i = 0; i < p->n_args; i++)
    dnnl_memory_set_data_handle_v2 (p->memories[i], buffers[i], self->stream);
  if (self->scratchpad_memory != NULL)
    {
      p->exec_args[n].arg = DNNL_ARG_SCRATCHPAD;
      p->exec_args[n].memory = self->scratchpad_memory;
      n++;
    }
  if (!dm_dnnl_check (dnnl_primitive_execute (p->primitive, self->stream, n, p->exec_args),
                      "execute", error))
    return FALSE;
  ok = dm_dnnl_check (dnnl_stream_wait (self->stream), "stream wait", error);
  if (stamp != 0)
    {
      const char *colon = strchr (p->key, ':');

      profile_add (self, p->key, colon != NULL ? (gsize)(colon - p->key) : strlen (p->key), stamp,
                   p->flop);
    }
  return ok;
}

void
dm_md_f32 (dnnl_memory_desc_t *md, int ndims, const dnnl_dim_t *dims)
{
  dnnl_dim_t strides[DNNL_MAX_NDIMS];
  dnnl_dim_t s = 1;

  for (int i = ndims - 1; i >= 0; i--)
    {
      strides[i] = s;
      s *= dims[i];
    }
  dm_md_f32_strided (md, ndims, dims, strides);
}

void
dm_md_f32_strided (dnnl_memory_desc_t *md,
                   int ndims,
                   const dnnl_dim_t *dims,
                   const dnnl_dim_t *strides)
{
  /* oneDNN reads whole DNNL_MAX_NDIMS arrays: copy into full-size ones. */
  dnnl_dims_t d = { 0 }, s = { 0 };

  memcpy (d, dims, sizeof (dnnl_dim_t) * ndims);
  memcpy (s, strides, sizeof (dnnl_dim_t) * ndims);
  dnnl_memory_desc_init_by_strides (md, ndims, d, dnnl_f32, s);
}

void *
dm_engine_get_workspace (DmEngine *self, const char *key, gsize n_bytes, GError **error)
{
  DmWorkspace *w = g_hash_table_lookup (self->workspaces, key);
  void *data;

  if (w != NULL && w->size >= n_bytes)
    return w->data;
  data = dm_aligned_alloc (MAX (n_bytes, 1), error);
  if (data == NULL)
    return NULL;
  if (w == NULL)
    {
      w = g_new0 (DmWorkspace, 1);
      g_hash_table_insert (self->workspaces, g_strdup (key), w);
    }
  dm_aligned_free (w->data);
  w->data = data;
  w->size = n_bytes;
  return data;
}
