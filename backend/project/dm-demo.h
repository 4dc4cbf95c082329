/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The demo: a small generated dataset in MVTec AD layout, so a newcomer
 * can try the whole workflow without data of their own. Two classes of
 * generated parts, "washer" (a machined ring) and "fabric" (a woven
 * texture), with good parts for training and testing and parts with
 * generated defects (scratches, dents, holes, loose threads) and their
 * masks. The same seed gives the same images everywhere. */
#pragma once

#include <glib.h>

#include "dm-project.h"

G_BEGIN_DECLS

typedef struct
{
  int size;        /* image side in pixels (256) */
  int n_train;     /* good training images per class (40) */
  int n_test_good; /* good test images per class (10) */
  int n_defect;    /* test images per defect type (6) */
  guint64 seed;
} DmDemoSettings;

void dm_demo_settings_default (DmDemoSettings *settings);

/* Writes root/<class>/{train/good, test/good, test/<defect>,
 * ground_truth/<defect>/<stem>_mask.png}. Existing files are replaced. */
gboolean dm_demo_write_dataset (const char *root, const DmDemoSettings *settings, GError **error);

/* New parts for the station to inspect (parts the dataset does not hold):
 * root/<class>/ with good parts and parts of each defect type, named
 * <class>-NNN-<good|defect>.png, n_good good and n_defect of each defect
 * type per class. */
gboolean dm_demo_write_line_parts (
  const char *root, const DmDemoSettings *settings, int n_good, int n_defect, GError **error);

/* Creates (or, when it exists, opens) the demo project in folder: the
 * dataset in folder/dataset, its classes added, random weights as the
 * backbone; and for `dinomaly station`, an empty hot folder folder/hot and
 * new parts to drop into it in folder/new-parts (also added to a demo
 * made before they were). */
DmProject *dm_demo_project_ensure (const char *folder, GError **error);

G_END_DECLS
