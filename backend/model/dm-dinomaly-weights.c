/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Bottleneck + decoder parameters: the layout table, named views, the
 * training init and loading/saving under the official state-dict names. */
#include "dm-dinomaly-weights.h"

#include <math.h>
#include <string.h>

#include "dm-arena.h"
#include "dm-error.h"
#include "dm-random.h"

static void
set_param (DmDinomalyLayout *layout,
           guint *i,
           gsize *offset,
           const char *name,
           DmParamKind kind,
           gint64 rows,
           gint64 cols)
{
  DmParamInfo *p = &layout->params[(*i)++];

  g_strlcpy (p->name, name, sizeof p->name);
  p->kind = kind;
  p->rank = cols > 0 ? 2 : 1;
  p->shape[0] = rows;
  p->shape[1] = cols > 0 ? cols : 0;
  p->n_elements = (gsize)rows * (gsize)(cols > 0 ? cols : 1);
  p->offset = *offset;
  *offset += dm_pad_floats (p->n_elements);
}

void
dm_dinomaly_layout_init (DmDinomalyLayout *layout, int dim)
{
  gint64 d = dim, h = (gint64)DM_DINOMALY_MLP_RATIO * dim;
  gsize offset = 0;
  guint i = 0;

  g_return_if_fail (dim > 0);
  memset (layout, 0, sizeof *layout);
  layout->dim = dim;
  layout->mlp_hidden = (int)h;
  set_param (layout, &i, &offset, "bottleneck.0.fc1.weight", DM_PARAM_LINEAR_WEIGHT, h, d);
  set_param (layout, &i, &offset, "bottleneck.0.fc1.bias", DM_PARAM_BIAS, h, 0);
  set_param (layout, &i, &offset, "bottleneck.0.fc2.weight", DM_PARAM_LINEAR_WEIGHT, d, h);
  set_param (layout, &i, &offset, "bottleneck.0.fc2.bias", DM_PARAM_BIAS, d, 0);
  for (int n = 0; n < DM_DECODER_DEPTH; n++)
    {
      const struct
      {
        const char *suffix;
        DmParamKind kind;
        gint64 rows, cols;
      } block[12] = {
        { "norm1.weight", DM_PARAM_NORM_WEIGHT, d, 0 },
        { "norm1.bias", DM_PARAM_BIAS, d, 0 },
        { "attn.qkv.weight", DM_PARAM_LINEAR_WEIGHT, 3 * d, d },
        { "attn.qkv.bias", DM_PARAM_BIAS, 3 * d, 0 },
        { "attn.proj.weight", DM_PARAM_LINEAR_WEIGHT, d, d },
        { "attn.proj.bias", DM_PARAM_BIAS, d, 0 },
        { "norm2.weight", DM_PARAM_NORM_WEIGHT, d, 0 },
        { "norm2.bias", DM_PARAM_BIAS, d, 0 },
        { "mlp.fc1.weight", DM_PARAM_LINEAR_WEIGHT, h, d },
        { "mlp.fc1.bias", DM_PARAM_BIAS, h, 0 },
        { "mlp.fc2.weight", DM_PARAM_LINEAR_WEIGHT, d, h },
        { "mlp.fc2.bias", DM_PARAM_BIAS, d, 0 },
      };

      for (int k = 0; k < 12; k++)
        {
          char name[40];

          g_snprintf (name, sizeof name, "decoder.%d.%s", n, block[k].suffix);
          set_param (layout, &i, &offset, name, block[k].kind, block[k].rows, block[k].cols);
        }
    }
  g_assert (i == DM_DINOMALY_N_PARAMS);
  layout->n_floats = offset;
}

void
dm_dinomaly_views_point (DmDinomalyViews *views, const DmDinomalyLayout *layout, float *base)
{
  float *p[DM_DINOMALY_N_PARAMS];

  for (guint i = 0; i < DM_DINOMALY_N_PARAMS; i++)
    p[i] = base + layout->params[i].offset;
  views->bottleneck = (DmBottleneckViews){ p[0], p[1], p[2], p[3] };
  for (int n = 0; n < DM_DECODER_DEPTH; n++)
    {
      float **q = p + 4 + 12 * n;
      views->blocks[n] = (DmDecoderBlockViews){ q[0], q[1], q[2], q[3], q[4],  q[5],
                                                q[6], q[7], q[8], q[9], q[10], q[11] };
    }
}

const DmParamInfo *
dm_dinomaly_layout_find (const DmDinomalyLayout *layout, const char *name)
{
  for (guint i = 0; i < DM_DINOMALY_N_PARAMS; i++)
    if (strcmp (layout->params[i].name, name) == 0)
      return &layout->params[i];
  return NULL;
}

DmDinomalyWeights *
dm_dinomaly_weights_new (int dim, GError **error)
{
  g_autoptr (DmDinomalyWeights) w = NULL;

  if (dim <= 0 || dim > 65536)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID, "decoder width %d is out of range", dim);
      return NULL;
    }
  w = g_new0 (DmDinomalyWeights, 1);
  dm_dinomaly_layout_init (&w->layout, dim);
  w->arena = dm_aligned_alloc (w->layout.n_floats * sizeof (float), error);
  if (w->arena == NULL)
    return NULL;
  memset (w->arena, 0, w->layout.n_floats * sizeof (float));
  dm_dinomaly_views_point (&w->v, &w->layout, w->arena);
  return g_steal_pointer (&w);
}

void
dm_dinomaly_weights_free (DmDinomalyWeights *weights)
{
  if (weights == NULL)
    return;
  dm_aligned_free (weights->arena);
  g_free (weights);
}

/* Uniform in (-1, 1), 53 bits. */
static double
next_signed (guint64 *state)
{
  return 2.0 * dm_random_open01 (state) - 1.0;
}

/* Standard normal (Marsaglia's polar method; only sqrt and log, so the
 * stream is the same wherever libm rounds log the same way). */
static double
next_normal (guint64 *state)
{
  double u, v, s;

  do
    {
      u = next_signed (state);
      v = next_signed (state);
      s = u * u + v * v;
    }
  while (s >= 1.0 || s == 0.0);
  /* The second value of the pair is dropped: simpler, and just as random. */
  return u * sqrt (-2.0 * log (s) / s);
}

void
dm_dinomaly_weights_init (DmDinomalyWeights *weights, guint64 seed)
{
  guint64 state = seed;

  memset (weights->arena, 0, weights->layout.n_floats * sizeof (float));
  for (guint i = 0; i < DM_DINOMALY_N_PARAMS; i++)
    {
      const DmParamInfo *p = &weights->layout.params[i];
      float *x = weights->arena + p->offset;

      switch (p->kind)
        {
        case DM_PARAM_LINEAR_WEIGHT:
          /* Truncation by rejection: a draw outside +-3 sigma is redrawn. */
          for (gsize j = 0; j < p->n_elements; j++)
            {
              double z;
              do
                z = next_normal (&state);
              while (fabs (z) > 3.0);
              x[j] = (float)(0.01 * z);
            }
          break;
        case DM_PARAM_NORM_WEIGHT:
          for (gsize j = 0; j < p->n_elements; j++)
            x[j] = 1.0f;
          break;
        case DM_PARAM_BIAS:
        default: break;
        }
    }
}

void
dm_dinomaly_probe_clear (DmDinomalyProbe *probe)
{
  g_clear_pointer (&probe->prefix, g_free);
}

gboolean
dm_dinomaly_probe (const DmSafetensors *st, DmDinomalyProbe *probe, GError **error)
{
  static const char anchor[] = "bottleneck.0.fc1.weight";
  const char *path = dm_safetensors_path (st);
  const DmTensorInfo *t = NULL;
  DmDinomalyLayout layout;
  g_autofree char *extra = NULL;
  gboolean has_decoder = FALSE;

  memset (probe, 0, sizeof *probe);
  for (guint i = 0; i < dm_safetensors_n_tensors (st); i++)
    {
      const char *name = dm_safetensors_tensor (st, i)->name;
      gsize len = strlen (name), alen = sizeof anchor - 1;

      if (strstr (name, "decoder.0.") != NULL)
        has_decoder = TRUE;
      if (len < alen || strcmp (name + len - alen, anchor) != 0
          || (len > alen && name[len - alen - 1] != '.'))
        continue;
      if (t != NULL)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                       "%s: holds more than one bottleneck ('%s' and '%s')", path, t->name, name);
          dm_dinomaly_probe_clear (probe);
          return FALSE;
        }
      t = dm_safetensors_tensor (st, i);
      probe->prefix = g_strndup (name, len - alen);
    }
  if (t == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                   "%s: no Dinomaly bottleneck/decoder ('bottleneck.0.fc1.weight' is missing%s)",
                   path, has_decoder ? " although decoder blocks are there" : "");
      return FALSE;
    }
  if (t->rank != 2 || t->shape[1] < 1 || t->shape[1] > 65536
      || t->shape[0] != DM_DINOMALY_MLP_RATIO * t->shape[1])
    {
      g_autofree char *s = dm_tensor_info_shape_string (t);
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "%s: tensor '%s' has shape %s, expected (4D, D) (MLP ratio 4)", path, t->name,
                   s);
      dm_dinomaly_probe_clear (probe);
      return FALSE;
    }
  probe->dim = (int)t->shape[1];
  dm_dinomaly_layout_init (&layout, probe->dim);
  for (guint i = 0; i < DM_DINOMALY_N_PARAMS; i++)
    {
      const DmParamInfo *p = &layout.params[i];
      g_autofree char *key = g_strconcat (probe->prefix, p->name, NULL);
      const DmTensorInfo *u = dm_safetensors_find (st, key);

      if (u == NULL)
        {
          g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH, "%s: tensor '%s' is missing", path, key);
          dm_dinomaly_probe_clear (probe);
          return FALSE;
        }
      if (!dm_dtype_is_float (u->dtype) || !dm_tensor_info_has_shape (u, p->rank, p->shape))
        {
          g_autofree char *have = dm_tensor_info_shape_string (u);
          DmTensorInfo want = { .rank = p->rank, .shape = { p->shape[0], p->shape[1] } };
          g_autofree char *need = dm_tensor_info_shape_string (&want);

          g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                       "%s: tensor '%s' is %s %s, expected float %s (D = %d)", path, key,
                       dm_dtype_name (u->dtype), have, need, probe->dim);
          dm_dinomaly_probe_clear (probe);
          return FALSE;
        }
      probe->dtype_mask |= 1u << u->dtype;
      probe->n_params += u->n_elements;
    }
  extra = g_strdup_printf ("%sdecoder.%d.norm1.weight", probe->prefix, DM_DECODER_DEPTH);
  if (dm_safetensors_find (st, extra) != NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_UNSUPPORTED,
                   "%s: has more than %d decoder blocks ('%s')", path, DM_DECODER_DEPTH, extra);
      dm_dinomaly_probe_clear (probe);
      return FALSE;
    }
  return TRUE;
}

DmDinomalyWeights *
dm_dinomaly_weights_load (const DmSafetensors *st, int expected_dim, GError **error)
{
  g_autoptr (DmDinomalyWeights) w = NULL;
  DmDinomalyProbe probe;

  if (!dm_dinomaly_probe (st, &probe, error))
    return NULL;
  if (expected_dim > 0 && probe.dim != expected_dim)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_MISMATCH,
                   "%s: the decoder is %d wide but the backbone is %d wide: they do not belong "
                   "together",
                   dm_safetensors_path (st), probe.dim, expected_dim);
      dm_dinomaly_probe_clear (&probe);
      return NULL;
    }
  w = dm_dinomaly_weights_new (probe.dim, error);
  for (guint i = 0; w != NULL && i < DM_DINOMALY_N_PARAMS; i++)
    {
      const DmParamInfo *p = &w->layout.params[i];
      g_autofree char *key = g_strconcat (probe.prefix, p->name, NULL);

      if (!dm_safetensors_read_weights (st, key, w->arena + p->offset, p->n_elements, error))
        g_clear_pointer (&w, dm_dinomaly_weights_free);
    }
  dm_dinomaly_probe_clear (&probe);
  return g_steal_pointer (&w);
}

gboolean
dm_dinomaly_weights_add_to_writer (const DmDinomalyWeights *weights,
                                   DmSafetensorsWriter *writer,
                                   GError **error)
{
  for (guint i = 0; i < DM_DINOMALY_N_PARAMS; i++)
    {
      const DmParamInfo *p = &weights->layout.params[i];

      if (!dm_safetensors_writer_add_f32 (writer, p->name, DM_DTYPE_F32, weights->arena + p->offset,
                                          p->rank, p->shape, error))
        return FALSE;
    }
  return TRUE;
}
