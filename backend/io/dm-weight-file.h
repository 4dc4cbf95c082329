/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The one way weight files are opened: safetensors or PyTorch (.pth, .pt,
 * pytorch_model.bin; dm-pth.h), told apart by their first bytes, not their
 * names, and read as the same DmSafetensors. Model files (.dinomaly) and
 * checkpoints are safetensors and keep dm_safetensors_open. */
#pragma once

#include <glib.h>

#include "dm-pth.h"
#include "dm-safetensors.h"

G_BEGIN_DECLS

typedef enum
{
  DM_WEIGHT_FORMAT_SAFETENSORS,
  DM_WEIGHT_FORMAT_PTH,        /* torch.save's zip archive (PyTorch >= 1.6) */
  DM_WEIGHT_FORMAT_PTH_LEGACY, /* torch.save before PyTorch 1.6 */
} DmWeightFormat;

typedef struct
{
  DmWeightFormat format;
  guint64 file_size;
  DmPthInfo pth; /* the two PyTorch formats: where the tensors were found */
} DmWeightFileInfo;

/* The format of a file that starts with these n bytes (the first 512 or
 * all of a shorter file). Anything that is not PyTorch is safetensors,
 * whose reader says what is wrong with it. */
DmWeightFormat dm_weight_file_sniff (const guint8 *head, gsize n);
/* "safetensors", "PyTorch zip archive (torch.save)", ... */
const char *dm_weight_format_description (DmWeightFormat format);

/* Opens a weight file of either format; info (may be NULL) says which and
 * what was found. Errors name the file and the problem. */
DmSafetensors *dm_weight_file_open (const char *path, DmWeightFileInfo *info, GError **error);
/* The same on bytes in memory (tests, fuzzers). */
DmSafetensors *dm_weight_file_new_from_bytes (GBytes *bytes,
                                              const char *name,
                                              DmWeightFileInfo *info,
                                              GError **error);
void dm_weight_file_info_clear (DmWeightFileInfo *info);

G_END_DECLS
