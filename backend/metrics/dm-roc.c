/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ROC and precision-recall machinery: one radix sort per label, one merged
 * walk over the distinct score values, three metrics from the same counts. */
#include "dm-roc.h"

#include <math.h>
#include <string.h>

#include "dm-error.h"
#include "dm-metrics-private.h"

const char *
dm_metric_status_message (DmMetricStatus status)
{
  switch (status)
    {
    case DM_METRIC_OK: return "defined";
    case DM_METRIC_EMPTY: return "no samples";
    case DM_METRIC_NON_FINITE: return "a score or map value is NaN or infinite";
    case DM_METRIC_NO_POSITIVES:
      return "no anomalous sample (every label is 0): undefined with one class";
    case DM_METRIC_NO_NEGATIVES:
      return "no normal sample (every label is 1): undefined with one class";
    case DM_METRIC_CONSTANT_MAP: return "every map value is the same: no AUPRO thresholds";
    case DM_METRIC_NO_REGIONS: return "no defect region in any mask";
    case DM_METRIC_TOO_FEW_POINTS: return "fewer than 2 AUPRO thresholds have FPR < 0.3";
    case DM_METRIC_ZERO_FPR:
      return "the FPR is 0 at every AUPRO threshold with FPR < 0.3: cannot normalise";
    case DM_METRIC_UNDEFINED_CLASS: return "undefined for at least one class";
    default: return "unknown status";
    }
}

/* Radix sort of 32-bit keys, ascending: 3 passes of 11, 11 and 10 bits,
 * from histograms the caller filled while writing the keys (one read less);
 * a pass whose digit is the same for every key is skipped (the sign and
 * high exponent bits of anomaly maps mostly are). keys and tmp hold n each;
 * returns whichever of the two holds the result. */
#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)

typedef gsize RadixHist[3][RADIX_SIZE];

static inline void
radix_count (RadixHist hist, guint32 k)
{
  hist[0][k & (RADIX_SIZE - 1)]++;
  hist[1][(k >> 11) & (RADIX_SIZE - 1)]++;
  hist[2][k >> 22]++;
}

static guint32 *
radix_sort_u32 (guint32 *keys, guint32 *tmp, gsize n, RadixHist hist)
{
  static const int shift[3] = { 0, 11, 22 };
  guint32 *src = keys, *dst = tmp;

  for (int pass = 0; pass < 3; pass++)
    {
      gsize *h = hist[pass];
      gsize sum = 0;
      gboolean trivial = FALSE;

      for (guint b = 0; b < RADIX_SIZE; b++)
        {
          gsize c = h[b];
          if (c == n)
            trivial = TRUE;
          h[b] = sum;
          sum += c;
        }
      if (trivial)
        continue;
      for (gsize i = 0; i < n; i++)
        {
          guint32 k = src[i];
          dst[h[(k >> shift[pass]) & (RADIX_SIZE - 1)]++] = k;
        }
      guint32 *swap = src;
      src = dst;
      dst = swap;
    }
  return src;
}

/* Order-preserving key of a finite float: the unsigned order of the keys is
 * the numeric order of the floats; -0.0 maps to the key of +0.0. */
static inline guint32
float_key (float f)
{
  guint32 u;

  memcpy (&u, &f, sizeof u);
  if (u == 0x80000000u)
    u = 0;
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

gboolean
dm_roc_compute (
  const float *scores, const guint8 *labels, gsize n, DmRocResult *out, GError **error)
{
  g_autofree guint32 *block = NULL;
  g_autofree RadixHist *hist = NULL; /* [0] positives, [1] negatives */
  gboolean finite = TRUE;
  guint32 *pos, *neg;
  gsize n_pos = 0, n_neg = 0, ip, in;
  double P, N;
  double tp = 0, fp = 0, fpr_prev = 0, tpr_prev = 0, recall_prev = 0;
  DmSum auroc = { 0, 0 }, ap = { 0, 0 };
  double f1max = -INFINITY;
  guint64 n_points = 0;

  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (n == 0 || (scores != NULL && labels != NULL), FALSE);

  *out = (DmRocResult){ NAN, NAN, NAN, DM_METRIC_OK, 0, 0, 0 };
  if (n == 0)
    {
      out->status = DM_METRIC_EMPTY;
      return TRUE;
    }
  /* (2n): keys of the positives from the front, of the negatives from the
   * back (their order does not matter: they get sorted), then scratch (n) */
  if (n > G_MAXSIZE / (2 * sizeof (guint32))
      || (block = g_try_malloc (2 * n * sizeof (guint32))) == NULL
      || (hist = g_try_malloc0 (2 * sizeof (RadixHist))) == NULL)
    {
      g_set_error (error, DM_ERROR, DM_ERROR_NO_MEMORY,
                   "metrics: cannot allocate %" G_GSIZE_FORMAT " MiB to sort %" G_GSIZE_FORMAT
                   " scores",
                   (2 * n * sizeof (guint32)) >> 20, n);
      return FALSE;
    }
  ip = 0;
  in = n;
  for (gsize i = 0; i < n; i++)
    {
      guint32 k = float_key (scores[i]);

      finite &= isfinite (scores[i]);
      if (labels[i])
        {
          block[ip++] = k;
          radix_count (hist[0], k);
        }
      else
        {
          block[--in] = k;
          radix_count (hist[1], k);
        }
    }
  n_pos = ip;
  n_neg = n - n_pos;
  out->n_positive = n_pos;
  out->n_negative = n_neg;
  if (!finite)
    out->status = DM_METRIC_NON_FINITE;
  else if (n_pos == 0)
    out->status = DM_METRIC_NO_POSITIVES;
  else if (n_neg == 0)
    out->status = DM_METRIC_NO_NEGATIVES;
  if (out->status != DM_METRIC_OK)
    return TRUE;
  pos = radix_sort_u32 (block, block + n, n_pos, hist[0]);
  neg = radix_sort_u32 (block + n_pos, block + n + n_pos, n_neg, hist[1]);

  /* Walk both lists from their largest key down; each distinct key is one
   * point of the curves, reached with every sample of that score. */
  P = (double)n_pos;
  N = (double)n_neg;
  ip = n_pos;
  in = n_neg;
  while (ip > 0 || in > 0)
    {
      guint32 k;
      double fpr, tpr, recall, precision, f1;

      if (ip == 0)
        k = neg[in - 1];
      else if (in == 0)
        k = pos[ip - 1];
      else
        k = MAX (pos[ip - 1], neg[in - 1]);
      while (ip > 0 && pos[ip - 1] == k)
        {
          ip--;
          tp += 1;
        }
      while (in > 0 && neg[in - 1] == k)
        {
          in--;
          fp += 1;
        }
      n_points++;

      /* roc_curve: fpr = fps / fps[-1], tpr = tps / tps[-1]; np.trapz's
       * term is diff(x) * (y[1:] + y[:-1]) / 2.0 */
      fpr = fp / N;
      tpr = tp / P;
      dm_sum_add (&auroc, (fpr - fpr_prev) * (tpr + tpr_prev) / 2.0);
      fpr_prev = fpr;
      tpr_prev = tpr;

      /* precision_recall_curve: precision = tps / (tps + fps), recall =
       * tps / tps[-1]; AP adds diff(recall) * precision */
      precision = tp / (tp + fp);
      recall = tp / P;
      dm_sum_add (&ap, (recall - recall_prev) * precision);
      recall_prev = recall;

      /* f1_score_max: 2 * precs * recs / (precs + recs + 1e-7) */
      f1 = 2 * precision * recall / (precision + recall + 1e-7);
      if (f1 > f1max)
        f1max = f1;
    }

  out->auroc = dm_sum_value (&auroc);
  out->ap = dm_sum_value (&ap);
  out->f1max = f1max;
  out->n_thresholds = n_points;
  return TRUE;
}
