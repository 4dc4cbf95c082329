/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Writes a collection of tensors (a DmSafetensorsWriter) as a PyTorch
 * state dict in the format of torch.save (PyTorch >= 1.6; dm-pth.h):
 *
 *   archive/data.pkl     pickle protocol 2 of an OrderedDict name -> tensor,
 *                        each tensor torch._utils._rebuild_tensor_v2 of its
 *                        own storage (persistent id ("storage", type, key,
 *                        "cpu", numel)), offset 0, C-contiguous strides
 *   archive/byteorder    "little"
 *   archive/data/<key>   the tensor's bytes, key = its index "0", "1", ...
 *   archive/version      "3\n"
 *
 * so torch.load (weights_only too) returns the same dict a model's
 * state_dict() gives. The file is written atomically. */
#pragma once

#include <glib.h>

#include "dm-safetensors-writer.h"

G_BEGIN_DECLS

/* Fails on a dtype PyTorch has no storage type for (U16, U32, U64, F8). */
gboolean dm_pth_write (const DmSafetensorsWriter *tensors, const char *path, GError **error);
/* The same into memory (tests, fuzz seeds). */
GBytes *dm_pth_write_bytes (const DmSafetensorsWriter *tensors, GError **error);

G_END_DECLS
