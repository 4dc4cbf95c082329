/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Layer normalization on oneDNN's layer_normalization primitive (rows of
 * C floats), with the parameter gradients accumulated into the caller's. */
#include "dm-layernorm.h"

#include <math.h>

#include "dm-error.h"

#define LN_FLAGS (dnnl_use_scale | dnnl_use_shift)
/* Columns reduced at once by the plain-C parameter gradient. */
#define LN_BLOCK 256

static gboolean
check_args (const char *what, int M, int C, float eps, const float *weight, GError **error)
{
  if (M <= 0 || C <= 0 || !(eps >= 0.0f) || weight == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "%s: invalid arguments (M=%d, C=%d, eps=%g, weight %s)", what, M, C, eps,
                   weight == NULL ? "missing" : "given");
      return FALSE;
    }
  return TRUE;
}

static DmPrimitive *
get_forward (DmEngine *engine, gboolean training, int M, int C, float eps, GError **error)
{
  char key[DM_KEY_MAX];
  DmPrimitive *p;
  dnnl_memory_desc_t data;
  dnnl_layer_normalization_desc_t desc;
  const int args[] = { DNNL_ARG_SRC,   DNNL_ARG_DST,  DNNL_ARG_SCALE,
                       DNNL_ARG_SHIFT, DNNL_ARG_MEAN, DNNL_ARG_VARIANCE };

  /* %a: eps exactly, so 1e-6 and 1e-8 never share a primitive. */
  g_snprintf (key, sizeof key, "layernorm-fwd:%d,%d:%a:%d", M, C, (double)eps, training);
  p = dm_engine_lookup (engine, key);
  if (p != NULL)
    return p;
  dm_md_f32 (&data, 2, (dnnl_dim_t[]){ M, C });
  if (!dm_dnnl_check (dnnl_layer_normalization_forward_desc_init (
                        &desc, training ? dnnl_forward_training : dnnl_forward_inference, &data,
                        NULL, eps, LN_FLAGS),
                      key, error))
    return NULL;
  /* Inference computes the statistics on the fly and has no mean/var. */
  return dm_engine_create (engine, key, &desc, NULL, NULL, args, training ? 6 : 4, error);
}

/* dnnl_backward with the scale only: oneDNN 2.6 has no backward_data with
 * a scale, its backward with a shift wants 9 arguments (the unused shift
 * among them, one more than a DmPrimitive holds), and the shift's gradient
 * is a plain column sum anyway. diff_scale goes to the primitive's aux
 * buffer (C floats) to be added to the caller's. */
static DmPrimitive *
get_backward (DmEngine *engine, int M, int C, float eps, GError **error)
{
  char key[DM_KEY_MAX];
  DmPrimitive *p, *forward;
  dnnl_memory_desc_t data;
  dnnl_layer_normalization_desc_t desc;
  const int args[] = { DNNL_ARG_SRC,   DNNL_ARG_MEAN,     DNNL_ARG_VARIANCE,  DNNL_ARG_DIFF_DST,
                       DNNL_ARG_SCALE, DNNL_ARG_DIFF_SRC, DNNL_ARG_DIFF_SCALE };

  g_snprintf (key, sizeof key, "layernorm-bwd:%d,%d:%a", M, C, (double)eps);
  p = dm_engine_lookup (engine, key);
  if (p != NULL)
    return p;
  forward = get_forward (engine, TRUE, M, C, eps, error);
  if (forward == NULL)
    return NULL;
  dm_md_f32 (&data, 2, (dnnl_dim_t[]){ M, C });
  if (!dm_dnnl_check (dnnl_layer_normalization_backward_desc_init (
                        &desc, dnnl_backward, &data, &data, NULL, eps, dnnl_use_scale),
                      key, error))
    return NULL;
  p = dm_engine_create (engine, key, &desc, NULL, forward->pd, args, G_N_ELEMENTS (args), error);
  if (p != NULL && dm_primitive_get_aux (p, (gsize)C * sizeof (float), error) == NULL)
    return NULL;
  return p;
}

gboolean
dm_layernorm_forward (DmEngine *engine,
                      float *out,
                      float *mean,
                      float *var,
                      const float *inp,
                      const float *weight,
                      const float *bias,
                      int M,
                      int C,
                      float eps,
                      GError **error)
{
  gboolean training = mean != NULL || var != NULL;
  void *buffers[6] = { (void *)inp, out, (void *)weight, (void *)bias, mean, var };
  DmPrimitive *p;

  if (!check_args ("dm_layernorm_forward", M, C, eps, weight, error))
    return FALSE;
  if (bias == NULL || (training && (mean == NULL || var == NULL)))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "dm_layernorm_forward: bias missing, or only one of mean and var given");
      return FALSE;
    }
  p = get_forward (engine, training, M, C, eps, error);
  return p != NULL && dm_engine_execute (engine, p, buffers, error);
}

/* dweight (C) += sum_m dout * xhat (when dweight is not NULL), dbias (C)
 * += sum_m dout (when dbias is not NULL), with xhat recomputed from the
 * saved statistics. Plain loops over column blocks with double sums: the
 * bias gradient always comes from here, the weight gradient only when no
 * input gradient is wanted (oneDNN's backward always writes one). */
static void
params_backward (float *dweight,
                 float *dbias,
                 const float *dout,
                 const float *inp,
                 const float *mean,
                 const float *var,
                 int M,
                 int C,
                 float eps)
{
  double acc_w[LN_BLOCK], acc_b[LN_BLOCK];

  for (int c0 = 0; c0 < C; c0 += LN_BLOCK)
    {
      int nc = MIN (LN_BLOCK, C - c0);

      for (int c = 0; c < nc; c++)
        acc_w[c] = acc_b[c] = 0.0;
      for (int m = 0; m < M; m++)
        {
          const float *g = dout + (gsize)m * C + c0;

          if (dweight != NULL)
            {
              const float *x = inp + (gsize)m * C + c0;
              double mu = mean[m];
              double rstd = 1.0 / sqrt ((double)var[m] + (double)eps);

              for (int c = 0; c < nc; c++)
                acc_w[c] += (double)g[c] * ((x[c] - mu) * rstd);
            }
          for (int c = 0; c < nc; c++)
            acc_b[c] += g[c];
        }
      for (int c = 0; c < nc; c++)
        {
          if (dweight != NULL)
            dweight[c0 + c] += (float)acc_w[c];
          if (dbias != NULL)
            dbias[c0 + c] += (float)acc_b[c];
        }
    }
}

gboolean
dm_layernorm_backward (DmEngine *engine,
                       float *dinp,
                       float *dweight,
                       float *dbias,
                       const float *dout,
                       const float *inp,
                       const float *weight,
                       const float *mean,
                       const float *var,
                       int M,
                       int C,
                       float eps,
                       GError **error)
{
  DmPrimitive *p;
  float *diff_scale;

  if (!check_args ("dm_layernorm_backward", M, C, eps, weight, error))
    return FALSE;
  if (mean == NULL || var == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "dm_layernorm_backward: the forward's mean and var are needed");
      return FALSE;
    }
  /* Before oneDNN's pass: dinp may overwrite dout. */
  if (dbias != NULL || (dinp == NULL && dweight != NULL))
    {
      gint64 stamp = dm_engine_profile_begin (engine);

      params_backward (dinp == NULL ? dweight : NULL, dbias, dout, inp, mean, var, M, C, eps);
      dm_engine_profile_end (engine, "layernorm parameter gradients", stamp);
    }
  if (dinp == NULL)
    return TRUE;

  p = get_backward (engine, M, C, eps, error);
  if (p == NULL)
    return FALSE;
  diff_scale = p->aux;
  {
    void *buffers[7]
      = { (void *)inp, (void *)mean, (void *)var, (void *)dout, (void *)weight, dinp, diff_scale };

    if (!dm_engine_execute (engine, p, buffers, error))
      return FALSE;
  }
  if (dweight != NULL)
    for (int c = 0; c < C; c++)
      dweight[c] += diff_scale[c];
  return TRUE;
}
