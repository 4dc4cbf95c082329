/* SPDX-License-Identifier: GPL-3.0-or-later */
/* AUPRO at FPR 0.3: connected defect regions labelled once per image, every
 * threshold counted at once through per-region histograms of "how many
 * thresholds does this pixel exceed". */
#include "dm-aupro.h"

#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-metrics-private.h"

#define DM_AUPRO_FPR_LIMIT 0.3

int
dm_aupro_thresholds (float min, float max, float *t)
{
  float d = max - min; /* numpy: float32 - float32 */
  double step, t0, t1, count;
  int n;

  if (!(d > 0) || !isfinite (d))
    return 0;
  step = (double)d / 200;
  count = ceil ((double)d / step);
  if (!(count >= 1 && count <= DM_AUPRO_MAX_THRESHOLDS))
    return 0; /* cannot happen for a finite positive d: 200 or 201 */
  n = (int)count;
  t0 = (double)min;
  t1 = t0 + step;
  for (int i = 0; i < n; i++)
    {
      double ti = i == 0 ? t0 : i == 1 ? t1 : t0 + (double)i * (t1 - t0);
      t[i] = (float)ti;
    }
  return n;
}

/* Union-find root with path halving. */
static inline gint32
uf_find (gint32 *parent, gint32 p)
{
  while (parent[p] != p)
    {
      parent[p] = parent[parent[p]];
      p = parent[p];
    }
  return p;
}

static inline gint32
uf_union (gint32 *parent, gint32 a, gint32 b)
{
  a = uf_find (parent, a);
  b = uf_find (parent, b);
  if (a < b)
    {
      parent[b] = a;
      return a;
    }
  parent[a] = b;
  return b;
}

/* Labels the connected components of mask (h, w) != 0 into labels (h, w):
 * 0 = background, 1..R in raster order of their first pixel. parent holds
 * h * w + 1. Two passes: provisional labels joined by union-find over the
 * already visited neighbours (W, and N for 4; W, NW, N, NE for 8), then
 * roots renumbered. Returns R. */
static gint32
label_components (
  const guint8 *mask, int h, int w, int connectivity, gint32 *labels, gint32 *parent)
{
  gint32 next = 1, n_regions = 0;

  parent[0] = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        gsize i = (gsize)y * w + x;
        gint32 l = 0;

        if (!mask[i])
          {
            labels[i] = 0;
            continue;
          }
        /* neighbours already labelled: W, then the row above */
        if (x > 0 && labels[i - 1])
          l = labels[i - 1];
        if (y > 0)
          {
            const gint32 *up = labels + i - w;
            int x0 = connectivity == 8 ? MAX (x - 1, 0) : x;
            int x1 = connectivity == 8 ? MIN (x + 1, w - 1) : x;

            for (int xx = x0; xx <= x1; xx++)
              {
                gint32 u = up[xx - x];
                if (u)
                  l = l ? uf_union (parent, l, u) : u;
              }
          }
        if (!l)
          {
            l = next++;
            parent[l] = l;
          }
        labels[i] = l;
      }

  /* Roots get 1..R in order of first appearance, stored negated in parent.
   * Every link points to a smaller label (a union hangs the larger root
   * under the smaller, halving only shortens), so when label l is reached
   * its parent p < l already holds the set's final number. */
  for (gint32 l = 1; l < next; l++)
    {
      gint32 p = parent[l];
      parent[l] = p == l ? -(++n_regions) : parent[p];
    }
  for (gsize i = 0; i < (gsize)h * w; i++)
    if (labels[i])
      labels[i] = -parent[labels[i]];
  return n_regions;
}

/* Index of the first threshold that v does not exceed: v > t[i] exactly for
 * i < index. t is non-decreasing; the guess from the step is corrected. */
static inline int
threshold_index (float v, const float *t, int n, double t0, double inv_step)
{
  double g = ((double)v - t0) * inv_step + 1;
  int b = g <= 0 ? 0 : g >= n ? n : (int)g;

  while (b > 0 && !(v > t[b - 1]))
    b--;
  while (b < n && v > t[b])
    b++;
  return b;
}

gboolean
dm_aupro_compute (const float *maps,
                  const guint8 *masks,
                  gsize n_images,
                  int height,
                  int width,
                  int connectivity,
                  DmAuproResult *out,
                  GError **error)
{
  return dm_aupro_compute_inspected (maps, masks, n_images, height, width, connectivity, NULL, out,
                                     error);
}

gboolean
dm_aupro_compute_inspected (const float *maps,
                            const guint8 *masks,
                            gsize n_images,
                            int height,
                            int width,
                            int connectivity,
                            const guint8 *inspected,
                            DmAuproResult *out,
                            GError **error)
{
  gsize hw, n_pixels;
  float vmin = INFINITY, vmax = -INFINITY;
  int n;
  double t0, inv_step;
  g_autofree gint32 *labels = NULL;  /* (H, W) region label per pixel */
  g_autofree gint32 *parent = NULL;  /* (H * W + 1) union-find, then label map */
  g_autofree gint32 *start = NULL;   /* (H * W + 2) first slot of each region */
  g_autofree guint8 *buckets = NULL; /* (H * W) threshold indices grouped by region */
  g_autofree guint8 *cut = NULL;     /* (H * W) a mask without the pixels not inspected */
  guint64 fp_hist[DM_AUPRO_MAX_THRESHOLDS + 1] = { 0 };
  guint32 hist[DM_AUPRO_MAX_THRESHOLDS + 1];
  DmSum pro_sum[DM_AUPRO_MAX_THRESHOLDS];
  double fpr_max = 0;
  int first_kept = -1;
  DmSum area = { 0, 0 };
  gboolean falling = FALSE;

  g_return_val_if_fail (out != NULL, FALSE);
  memset (out, 0, sizeof *out);
  out->aupro = NAN;
  if (height <= 0 || width <= 0 || (connectivity != 4 && connectivity != 8))
    {
      g_set_error (
        error, DM_ERROR, DM_ERROR_INVALID,
        "AUPRO: maps of %d x %d pixels with connectivity %d (want a positive size, 4 or 8)", width,
        height, connectivity);
      return FALSE;
    }
  if (n_images == 0)
    {
      out->status = DM_METRIC_EMPTY;
      return TRUE;
    }
  g_return_val_if_fail (maps != NULL && masks != NULL, FALSE);
  hw = (gsize)height * width;
  n_pixels = hw * n_images;

  for (gsize i = 0; i < n_pixels; i++)
    {
      float v = maps[i];
      if (inspected != NULL && !inspected[i % hw])
        continue;
      if (!isfinite (v))
        {
          out->status = DM_METRIC_NON_FINITE;
          return TRUE;
        }
      vmin = MIN (vmin, v);
      vmax = MAX (vmax, v);
    }
  n = dm_aupro_thresholds (vmin, vmax, out->threshold);
  out->n_thresholds = n;
  if (n == 0)
    {
      out->status = vmax > vmin ? DM_METRIC_NON_FINITE : DM_METRIC_CONSTANT_MAP;
      return TRUE;
    }
  t0 = (double)vmin;
  inv_step = 200.0 / (double)(vmax - vmin); /* only a guess, corrected */

  if (hw > (gsize)G_MAXINT32 - 2 || (labels = g_try_malloc (hw * sizeof *labels)) == NULL
      || (parent = g_try_malloc ((hw + 1) * sizeof *parent)) == NULL
      || (start = g_try_malloc ((hw + 2) * sizeof *start)) == NULL
      || (buckets = g_try_malloc (hw)) == NULL
      || (inspected != NULL && (cut = g_try_malloc (hw)) == NULL))
    {
      g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY,
                   "AUPRO: cannot allocate the scratch for maps of %d x %d pixels", width, height);
      return FALSE;
    }
  memset (pro_sum, 0, sizeof pro_sum);

  for (gsize img = 0; img < n_images; img++)
    {
      const float *map = maps + img * hw;    /* (H, W) */
      const guint8 *mask = masks + img * hw; /* (H, W) */
      gint32 n_regions;

      /* pixels a region of interest leaves out belong to no region and
       * are no defect-free pixel either: they do not exist */
      if (inspected != NULL)
        {
          for (gsize i = 0; i < hw; i++)
            cut[i] = inspected[i] ? mask[i] : 0;
          mask = cut;
        }
      n_regions = label_components (mask, height, width, connectivity, labels, parent);

      /* start[r + 1] = first slot of region r (1-based labels): counting sort
       * of the defect pixels by region */
      memset (start, 0, (n_regions + 2) * sizeof *start);
      for (gsize i = 0; i < hw; i++)
        if (labels[i])
          start[labels[i] + 1]++;
      for (gint32 r = 1; r <= n_regions + 1; r++)
        start[r] += start[r - 1];
      for (gsize i = 0; i < hw; i++)
        {
          int b;

          if (inspected != NULL && !inspected[i])
            continue;
          b = threshold_index (map[i], out->threshold, n, t0, inv_step);
          if (labels[i])
            buckets[start[labels[i]]++] = (guint8)b;
          else
            fp_hist[b]++;
        }
      /* start[r] now ends region r, start[r - 1] begins it */

      for (gint32 r = 1; r <= n_regions; r++)
        {
          gint32 a = start[r] - start[r - 1];
          guint32 c = 0;

          memset (hist, 0, (n + 1) * sizeof *hist);
          for (gint32 k = start[r - 1]; k < start[r]; k++)
            hist[buckets[k]]++;
          /* predicted pixels at threshold i: those with index > i;
           * numpy: tp_pixels / region.area, one division */
          for (int i = n - 1; i >= 0; i--)
            {
              c += hist[i + 1];
              dm_sum_add (&pro_sum[i], (double)c / (double)a);
            }
        }
      out->n_regions += (guint64)n_regions;
    }

  for (int b = 0; b <= n; b++)
    out->n_negative += fp_hist[b];
  {
    guint64 fp = 0;
    for (int i = n - 1; i >= 0; i--)
      {
        fp += fp_hist[i + 1];
        out->fpr[i] = (double)fp / (double)out->n_negative;
        /* statistics.mean: the (exact) sum divided by the count */
        out->pro[i] = dm_sum_value (&pro_sum[i]) / (double)out->n_regions;
      }
  }
  if (out->n_regions == 0)
    {
      out->status = DM_METRIC_NO_REGIONS;
      return TRUE;
    }
  if (out->n_negative == 0)
    {
      out->status = DM_METRIC_NO_NEGATIVES;
      return TRUE;
    }

  /* df[df.fpr < 0.3]; fpr / fpr.max(); auc(fpr, pro) in threshold order */
  for (int i = 0; i < n; i++)
    if (out->fpr[i] < DM_AUPRO_FPR_LIMIT)
      {
        if (first_kept < 0)
          first_kept = i;
        out->n_kept++;
        fpr_max = MAX (fpr_max, out->fpr[i]);
      }
  if (out->n_kept < 2)
    {
      out->status = DM_METRIC_TOO_FEW_POINTS;
      return TRUE;
    }
  if (!(fpr_max > 0))
    {
      out->status = DM_METRIC_ZERO_FPR;
      return TRUE;
    }
  {
    double x_prev = 0, y_prev = 0;
    gboolean have_prev = FALSE;

    for (int i = first_kept; i < n; i++)
      {
        double x, y;

        if (!(out->fpr[i] < DM_AUPRO_FPR_LIMIT))
          continue;
        x = out->fpr[i] / fpr_max;
        y = out->pro[i];
        if (have_prev)
          {
            /* np.trapz: diff(x) * (y[1:] + y[:-1]) / 2.0 */
            double dx = x - x_prev;
            if (dx < 0)
              falling = TRUE;
            dm_sum_add (&area, dx * (y + y_prev) / 2.0);
          }
        x_prev = x;
        y_prev = y;
        have_prev = TRUE;
      }
  }
  /* auc: direction -1 when x decreases (it never increases: FPR only falls
   * as the threshold rises) */
  out->aupro = falling ? -dm_sum_value (&area) : dm_sum_value (&area);
  out->status = DM_METRIC_OK;
  return TRUE;
}
