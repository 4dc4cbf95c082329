/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reads PyTorch weight files (torch.save: .pth, .pt, HuggingFace
 * pytorch_model.bin) safely, as a DmSafetensors of their tensors: the same
 * object, names, shapes and bytes a safetensors file of the same weights
 * gives, so every reader of weights takes both.
 *
 * Two layouts:
 *
 *   zip (PyTorch >= 1.6): an archive of stored records under one folder
 *   (its name is free; torch uses the file's stem or "archive"):
 *     <folder>/data.pkl    the pickled object (dm-pickle.h)
 *     <folder>/data/<key>  the raw little-endian bytes of storage <key>
 *     <folder>/version     the format version ("3\n"; not needed to read)
 *     <folder>/byteorder   "little" or "big" (PyTorch >= 2.1; absent = little)
 *   Archive structure: dm-zip.h. Every storage record used is checked
 *   against its crc-32.
 *
 *   legacy (before 1.6): pickles one after the other, then the storages:
 *     pickle 1   the magic number 0x1950a86a20f9469cfc6c
 *     pickle 2   the protocol version 1001
 *     pickle 3   {"protocol_version", "little_endian": True, "type_sizes"}
 *     pickle 4   the object, its storages as persistent ids
 *     pickle 5   the storage keys in the order their data follows
 *     then per key: its element count (8 bytes, little-endian) and its bytes
 *
 * The object is a state dict ({name: tensor}) or a checkpoint holding one:
 * the first dict with tensors among the object itself and its entries
 * "model", "state_dict", "module", "model_state_dict" (three levels deep at
 * most) is taken; its other entries that are not tensors are skipped, and a
 * "module." prefix on every name (DistributedDataParallel) is dropped.
 *
 * Tensors are views of storages (offset, shape, strides); several may
 * share one storage. Every view is checked to lie inside its storage. When
 * each tensor is contiguous and none shares bytes with another (what
 * torch.save of a state dict writes), the DmSafetensors points into the
 * file's bytes; otherwise the tensors are copied out, each one contiguous,
 * into one block of memory no larger than DM_PTH_MAX_EXPANSION times the
 * file. The storage's dtype is the tensor's: float32, float16 and bfloat16
 * read as float32 exactly (dm_safetensors_read_f32); float64 and integer
 * tensors are carried as they are. */
#pragma once

#include <glib.h>

#include "dm-safetensors.h"

G_BEGIN_DECLS

#define DM_PTH_MAX_EXPANSION 4 /* copied tensors <= 4 x file size (+ 1 MiB) */
#define DM_PTH_MAX_TENSORS (1u << 20)
#define DM_PTH_MAX_PICKLE (256u << 20) /* bytes of data.pkl */

typedef struct
{
  gboolean legacy;       /* the format before PyTorch 1.6 */
  char *archive;         /* zip: the records' folder ("archive"); NULL for legacy */
  char *found_under;     /* "" for the top level, else e.g. "model" or "state_dict.module" */
  char *stripped_prefix; /* "module." when every name had it, else "" */
  char **other_keys;     /* a checkpoint's other top-level entries (NULL-terminated) */
  guint n_skipped;       /* entries of the state dict that are not tensors */
  gboolean copied;       /* tensors were copied out of the file (views, shared storages) */
} DmPthInfo;

/* Reads the file's bytes (kept, mapped or not); `name` names it in
 * messages. info (may be NULL) says what was found. */
DmSafetensors *dm_pth_read (GBytes *file, const char *name, DmPthInfo *info, GError **error);
void dm_pth_info_clear (DmPthInfo *info);

G_END_DECLS
