/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the Models page shows that needs the versions' scored results,
 * read off the main thread from the project as saved: the false-reject and
 * escape rates of every version at its thresholds, and for two versions
 * compared their image-level ROC and PR curves on one class and the test
 * images they decide differently. */
#pragma once

#include <glib.h>

#include "dm-thresholds.h"

G_BEGIN_DECLS

/* the disagreements kept for the gallery (all are counted) */
#define DM_MODELS_GALLERY 24

typedef struct
{
  guint id;
  double false_reject; /* mean over the classes that have one; NAN: none */
  double escape;
} DmVersionRates;

typedef struct
{
  char *path;
  char *class_name;
  DmDecision a, b; /* the first version's decision, the second's */
  float score_a, score_b;
  gboolean is_defect; /* the user's label, else the dataset's */
} DmDisagreement;

typedef struct
{
  guint n;
  double *x, *y; /* ROC: false and true positive rates; PR: recall, precision */
} DmCurve;

typedef struct
{
  /* in */
  char *folder;
  guint compare[2]; /* version ids; 0: nothing to compare */
  /* out */
  GArray *rates;     /* DmVersionRates, by version */
  char *curve_class; /* the class whose curves were made, or NULL */
  DmCurve roc[2], pr[2];
  GPtrArray *disagreements; /* DmDisagreement*, the first DM_MODELS_GALLERY */
  guint n_disagreements;
  guint n_compared; /* test images both versions scored */
} DmModelsData;

DmModelsData *dm_models_data_new (const char *folder, guint a, guint b);
void dm_models_data_free (DmModelsData *data);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmModelsData, dm_models_data_free)
/* Blocking: opens the project and the versions' results. A version whose
 * results cannot be read has no rates (NAN); the comparison fails then. */
gboolean dm_models_data_load (DmModelsData *data, GError **error);

/* The curves of the scores of one class (positives: defects), as sklearn's
 * roc_curve and precision_recall_curve draw them. */
void dm_curve_roc (const float *scores, const gboolean *positive, guint n, DmCurve *out);
void dm_curve_pr (const float *scores, const gboolean *positive, guint n, DmCurve *out);
void dm_curve_clear (DmCurve *curve);

G_END_DECLS
