/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Layer normalization on oneDNN's layer_normalization primitive (rows of
 * C floats), with the parameter gradients accumulated into the caller's. */
#include "dm-layernorm.h"

#include <math.h>

#include "dm-error.h"
#include "dm-parallel.h"

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

typedef struct
{
  float *dx;
  const float *dout, *x, *weight, *mean, *var, *extra;
  float extra_scale, eps;
  gsize C, rows_per_chunk, n_chunks;
  double *partial; /* 3 blocks of (chunks, C): dweight, dbias, dsum */
} LnJob;

/* The 16 lanes of a vectorised float sum, added in double in a fixed
 * order. */
static inline double
sum_lanes (const float *acc)
{
  double s = 0;

  for (int l = 0; l < 16; l++)
    s += acc[l];
  return s;
}

/* One row: dx += rstd (dy w - s1 - xhat s2) [+ es e], and the row's
 * terms of the column sums. restrict parameters (not locals): the compiler
 * honours them after inlining and vectorises without alias checks. */
static G_ALWAYS_INLINE inline void
ln_row (gsize C,
        float *restrict dx,
        double *restrict pw,
        double *restrict pb,
        double *restrict ps,
        const float *restrict x,
        const float *restrict dy,
        const float *restrict w,
        const float *restrict e,
        float es,
        float mu,
        float rstd,
        float s1,
        float s2)
{
  for (gsize c = 0; c < C; c++)
    {
      float xhat = (x[c] - mu) * rstd;
      float d = dx[c] + rstd * (dy[c] * w[c] - s1 - xhat * s2);

      if (e != NULL)
        d += es * e[c];
      dx[c] = d;
      pw[c] += (double)dy[c] * xhat;
      pb[c] += dy[c];
      ps[c] += d;
    }
}

/* The row's sums of g = dy w and of g xhat, in 16 float lanes (they
 * vectorise), added in double in a fixed order. */
static G_ALWAYS_INLINE inline void
ln_row_sums (gsize C,
             const float *restrict x,
             const float *restrict dy,
             const float *restrict w,
             float mu,
             float rstd,
             double *s1,
             double *s2)
{
  float a1[16] = { 0 }, a2[16] = { 0 };
  gsize c = 0;

  for (; c + 16 <= C; c += 16)
    for (int l = 0; l < 16; l++)
      {
        float g = dy[c + l] * w[c + l], xhat = (x[c + l] - mu) * rstd;

        a1[l] += g;
        a2[l] += g * xhat;
      }
  for (; c < C; c++)
    {
      float g = dy[c] * w[c], xhat = (x[c] - mu) * rstd;

      a1[0] += g;
      a2[0] += g * xhat;
    }
  *s1 = sum_lanes (a1);
  *s2 = sum_lanes (a2);
}

/* Rows [r0, r1) of one chunk. Per row, with xhat = (x - mean) rstd and
 * g = dout weight: dxn = rstd (g - mean (g) - xhat mean (g xhat)). */
DM_VECTOR_CLONES static void
ln_backward_rows (const LnJob *j, gsize r0, gsize r1)
{
  gsize C = j->C, k = r0 / j->rows_per_chunk;
  double *pw = j->partial + k * C;
  double *pb = pw + j->n_chunks * C;
  double *ps = pb + j->n_chunks * C;

  for (gsize c = 0; c < C; c++)
    pw[c] = pb[c] = ps[c] = 0;
  for (gsize r = r0; r < r1; r++)
    {
      const float *x = j->x + r * C, *dy = j->dout + r * C;
      float mu = j->mean[r];
      float rstd = (float)(1.0 / sqrt ((double)j->var[r] + (double)j->eps));
      double s1, s2;

      ln_row_sums (C, x, dy, j->weight, mu, rstd, &s1, &s2);
      /* two copies of the loop, so that neither has a branch inside */
      if (j->extra != NULL)
        ln_row (C, j->dx + r * C, pw, pb, ps, x, dy, j->weight, j->extra + r * C, j->extra_scale,
                mu, rstd, (float)(s1 / (double)C), (float)(s2 / (double)C));
      else
        ln_row (C, j->dx + r * C, pw, pb, ps, x, dy, j->weight, NULL, 0.0f, mu, rstd,
                (float)(s1 / (double)C), (float)(s2 / (double)C));
    }
}

static void
ln_backward_chunk (gsize begin, gsize end, gpointer data)
{
  ln_backward_rows (data, begin, end);
}

gboolean
dm_layernorm_backward_add (DmEngine *engine,
                           float *dx,
                           float *dweight,
                           float *dbias,
                           float *dsum,
                           const float *dout,
                           const float *x,
                           const float *weight,
                           const float *mean,
                           const float *var,
                           const float *extra,
                           float extra_scale,
                           int M,
                           int C,
                           float eps,
                           GError **error)
{
  LnJob j = { 0 };
  gint64 stamp;

  if (!check_args ("dm_layernorm_backward_add", M, C, eps, weight, error))
    return FALSE;
  if (mean == NULL || var == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_INVALID,
                   "dm_layernorm_backward_add: the forward's mean and var are needed");
      return FALSE;
    }
  j.dx = dx;
  j.dout = dout;
  j.x = x;
  j.weight = weight;
  j.mean = mean;
  j.var = var;
  j.extra = extra;
  j.extra_scale = extra_scale;
  j.eps = eps;
  j.C = (gsize)C;
  j.rows_per_chunk = dm_row_chunk ((gsize)M);
  j.n_chunks = dm_parallel_n_chunks ((gsize)M, j.rows_per_chunk);
  j.partial = dm_engine_get_workspace (engine, "layernorm-sums",
                                       sizeof (double) * 3 * j.n_chunks * j.C, error);
  if (j.partial == NULL)
    return FALSE;
  stamp = dm_engine_profile_begin (engine);
  dm_parallel_for (engine, (gsize)M, j.rows_per_chunk, ln_backward_chunk, &j);
  if (dweight != NULL)
    dm_sum_partials (dweight, j.partial, j.n_chunks, j.C);
  if (dbias != NULL)
    dm_sum_partials (dbias, j.partial + j.n_chunks * j.C, j.n_chunks, j.C);
  if (dsum != NULL)
    dm_sum_partials (dsum, j.partial + 2 * j.n_chunks * j.C, j.n_chunks, j.C);
  dm_engine_profile_end (engine, "layernorm backward + residual", stamp);
  return TRUE;
}
