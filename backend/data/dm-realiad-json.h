/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Real-IAD's split files, parsed without touching the file system (the
 * dataset reader checks the files; the fuzzer feeds this bytes). */
#pragma once

#include <glib.h>

#include "dm-dataset.h"

G_BEGIN_DECLS

/* One image of a split file. */
typedef struct
{
  DmSplit split;       /* DM_SPLIT_TRAIN or DM_SPLIT_TEST */
  guint index;         /* in its split's array, from 0 */
  char *anomaly_class; /* "OK" (good) or the defect's code */
  char *image_path;    /* relative to the class's image folder */
  char *mask_path;     /* the same, or NULL */
  char *problem;       /* not NULL: why the entry cannot be used (it is skipped) */
} DmRealiadEntry;

void dm_realiad_entry_free (DmRealiadEntry *entry);

/* Largest split file read (the real ones are a few megabytes). */
#define DM_REALIAD_MAX_JSON_BYTES (256u << 20)

/* Parses a split file:
 *   {"meta": {...},                      ignored (prefix, normal_class "OK")
 *    "train": [ENTRY, ...],              the normal training images
 *    "test": [ENTRY, ...]}               the test images, every view
 *   ENTRY = {"category": "audiojack",    ignored (the file names the class)
 *            "anomaly_class": "OK" | "AK" | "BX" | ...,
 *            "image_path": "OK/S0001/audiojack_0001_OK_C1_20231021130246.jpg",
 *            "mask_path": null | "NG/AK/S0011/audiojack_0011_NG_AK_C1_....png"}
 * as the official Dinomaly loader reads it (label = anomaly_class != "OK").
 * Paths must be relative and stay inside the image folder (no "..", no
 * leading "/"). An entry that breaks these rules, a defect in the training
 * split or a member of the wrong type gives an entry with `problem` set.
 * Returns every entry (DmRealiadEntry *, owned) in file order, train first;
 * NULL with a DM_ERROR naming `name` when the text is not a JSON object
 * with a "train" or "test" array. */
GPtrArray *dm_realiad_parse (const char *text, gsize length, const char *name, GError **error);

G_END_DECLS
